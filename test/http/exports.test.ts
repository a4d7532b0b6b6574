// /v1/exports: whole listings as one JSON array or one RFC 4180 CSV document, over more records than a page: the
// same objects as the listings, the same filters, CSV quoting and formula neutralisation, a chunked attachment.
// A stream that fails part-way aborts the connection; a client that stops reading stops the reading of pages.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import { createApp } from '../../src/app';
import { evaluateFindings } from '../../src/findings/evaluate';
import { exportReply, exportStream, type PageReader } from '../../src/http/exports';
import type { RouteOptions } from '../../src/http/route';
import { ROUTES } from '../../src/http/routes';
import { listDevices } from '../../src/inventory/devices';
import { upsertAppHits, upsertDevicePage } from '../../src/inventory/store';
import { createMetrics } from '../../src/metrics';
import { type ApiResponse, startTestApi, type TestApi } from '../support/api';
import { aConnection, aDevice, aSyncRun } from '../support/factories';

type Item = Record<string, unknown> & { id: string };
type Cell = string | null;

const DEVICE_COLUMNS =
  'id,connectionId,externalId,name,platform,osVersion,model,manufacturer,serialNumber,ownership,enrollmentMode,' +
  'supervised,encrypted,jailbroken,compliance,managementState,user.externalId,user.principalName,user.displayName,' +
  'user.email,enrolledAt,lastCheckInAt,firstSeenAt,lastSeenAt,goneAt,posture.state,posture.openFindings,' +
  'posture.worstSeverity';
const FINDING_COLUMNS =
  'id,deviceId,policy,connectionId,rule,severity,status,evidence,firstSeenAt,lastSeenAt,resolvedAt,device.name,' +
  'device.platform,device.userPrincipalName';
const ACTION_COLUMNS =
  'id,action,reason,status,requestedBy.type,requestedBy.id,requestedBy.name,requestedAt,breakGlass,' +
  'approvalsRequired,approvals,approvedAt,sendAfter,expiresAt,canceledAt,devices';
const TRICKY_NAME = '=SUM(1,2) "Bob\'s"\nphone';

/** RFC 4180, strictly: records end with CRLF, quoted cells double their quotes; an unquoted empty cell is null. */
function parseCsv(text: string): Cell[][] {
  const records: Cell[][] = [];
  let record: Cell[] = [];
  let at = 0;
  while (at < text.length) {
    let cell: Cell;
    if (text[at] === '"') {
      cell = '';
      at++;
      for (;;) {
        const quote = text.indexOf('"', at);
        if (quote === -1) throw new Error('an unterminated quoted cell');
        cell += text.slice(at, quote);
        at = quote + 1;
        if (text[at] !== '"') break;
        cell += '"';
        at++;
      }
    } else {
      let end = at;
      while (end < text.length && text[end] !== ',' && text[end] !== '\r') {
        if (text[end] === '"' || text[end] === '\n') throw new Error(`a bare ${JSON.stringify(text[end])} at ${end}`);
        end++;
      }
      cell = end === at ? null : text.slice(at, end);
      at = end;
    }
    record.push(cell);
    if (text[at] === ',') {
      at++;
    } else if (text.startsWith('\r\n', at)) {
      records.push(record);
      record = [];
      at += 2;
    } else {
      throw new Error(`a cell must be followed by a comma or CRLF (at ${at})`);
    }
  }
  if (record.length > 0) throw new Error('the last record does not end with CRLF');
  return records;
}

/** The CSV as objects keyed by the header row, after checking every record has as many cells as the header. */
function csvObjects(text: string): { header: string; rows: Array<Record<string, Cell>> } {
  const [header, ...records] = parseCsv(text);
  for (const record of records) expect(record).toHaveLength(header!.length);
  return {
    header: header!.join(','),
    rows: records.map((record) => Object.fromEntries(header!.map((name, i) => [name!, record[i]!]))),
  };
}

/** What the documentation says a JSON value becomes in a CSV cell. */
function expectedCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

function valueAt(item: Item, column: string): unknown {
  return column
    .split('.')
    .reduce<unknown>((at, key) => (at == null ? null : (at as Record<string, unknown>)[key]), item);
}

function expectRowMatches(row: Record<string, Cell>, item: Item, columns: string): void {
  for (const column of columns.split(','))
    expect([column, row[column]]).toEqual([column, expectedCell(valueAt(item, column))]);
}

/** Every field of a JSON item has its column: the field itself, or one dotted column per field of an object. */
function expectColumnsCover(header: string, item: Item): void {
  const columns = header.split(',');
  for (const [key, value] of Object.entries(item)) {
    const nested = columns.filter((column) => column.startsWith(`${key}.`));
    if (nested.length === 0) expect(columns).toContain(key);
    else if (value !== null)
      expect(nested.sort()).toEqual(
        Object.keys(value as object)
          .map((k) => `${key}.${k}`)
          .sort(),
      );
  }
}

function expectAttachment(response: ApiResponse, subject: string, format: 'csv' | 'json'): void {
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe(
    format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
  );
  expect(response.headers.get('content-length')).toBeNull();
  expect(response.headers.get('transfer-encoding')).toBe('chunked');
  const disposition = response.headers.get('content-disposition') ?? '';
  const match = new RegExp(`^attachment; filename="warden-${subject}-(\\d{8}T\\d{6}Z)\\.${format}"$`).exec(disposition);
  expect(match).not.toBeNull();
  const stamp = match![1]!.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z');
  expect(Math.abs(Date.parse(stamp) - Date.now())).toBeLessThan(60_000);
}

describe('/v1/exports', () => {
  let api: TestApi;
  let viewer: string;
  let connectionA: string;
  let connectionB: string;

  const ids = (items: Item[]) => items.map((item) => item.id);
  const exportJson = async (path: string, token = viewer) => {
    const response = await api.request<Item[]>('GET', path, { token });
    expectAttachment(response, path.split('/')[3]!.split('?')[0]!, 'json');
    expect(response.text.endsWith(']')).toBe(true);
    return response.body;
  };
  const exportCsv = async (path: string) => {
    const response = await api.request<string>('GET', path, { token: viewer });
    expectAttachment(response, path.split('/')[3]!.split('?')[0]!, 'csv');
    return csvObjects(response.text);
  };
  /** Every item of a listing, following its cursor. */
  async function listAll(path: string): Promise<Item[]> {
    const items: Item[] = [];
    let cursor: string | null = null;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const page: ApiResponse<{ items: Item[]; nextCursor: string | null }> = await api.request(
        'GET',
        `${path}${separator}limit=500${cursor ? `&cursor=${cursor}` : ''}`,
        { token: viewer },
      );
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return items;
  }
  const sqlIds = async (query: Knex.QueryBuilder) =>
    ((await query.select('id')) as Array<{ id: string }>).map((row) => row.id).sort();

  beforeAll(async () => {
    api = await startTestApi();
    viewer = await api.tokenFor('security-viewer');
    connectionA = await aConnection(api.db.knex, 'exports-a');
    connectionB = await aConnection(api.db.knex, 'exports-b');
    const devices = Array.from({ length: 2500 }, (_, i) =>
      aDevice({
        name: `phone-${String(i).padStart(4, '0')}`,
        platform: i % 3 === 0 ? 'ios' : 'android',
        compliance: i % 4 === 0 ? 'noncompliant' : 'compliant',
        jailbroken: i % 5 === 0,
        user: {
          externalId: `u${i % 50}`,
          principalName: `User${i % 50}@Contoso.example`,
          displayName: null,
          email: null,
        },
      }),
    );
    const tricky = aDevice({
      name: TRICKY_NAME,
      model: '+1 Pixel, "Pro"',
      user: { externalId: 'tricky', principalName: 'tricky@contoso.example', displayName: '-Robert', email: '' },
    });
    await upsertDevicePage(api.db.knex, connectionA, await aSyncRun(api.db.knex, connectionA), [...devices, tricky]);
    await upsertDevicePage(api.db.knex, connectionB, await aSyncRun(api.db.knex, connectionB), [
      ...Array.from({ length: 5 }, (_, i) => aDevice({ name: `elsewhere-${i}`, platform: 'ios' })),
    ]);
    await upsertAppHits(
      api.db.knex,
      connectionA,
      [17, 18, 1900].map((i) => ({
        identifier: 'com.whatsapp',
        appExternalId: 'wa',
        displayName: 'WhatsApp',
        version: '2',
        scope: 'work-profile' as const,
        deviceExternalId: devices[i]!.externalId,
      })),
    );
    await api.db
      .knex('devices')
      .whereIn(
        'external_id',
        devices.slice(0, 10).map((d) => d.externalId),
      )
      .update({ gone_at: new Date() });
    await evaluateFindings(api.db.knex);
  }, 60_000);
  afterAll(() => api.close());

  it('exports every device as one JSON array of the listing objects, across pages, chunked as an attachment', async () => {
    const exported = await exportJson('/v1/exports/devices');
    expect(exported.length).toBeGreaterThan(2000);
    expect(ids(exported).sort()).toEqual(await sqlIds(api.db.knex('devices').whereNull('gone_at')));
    expect(exported).toEqual(await listAll('/v1/devices?sort=name'));
    expect(exported.find((d) => d.name === TRICKY_NAME)).toMatchObject({ model: '+1 Pixel, "Pro"' });
  });

  it('honours the filters of the device listing', async () => {
    const filtered = await exportJson(
      `/v1/exports/devices?connection=${connectionA}&platform=ios&compliance=noncompliant`,
    );
    expect(ids(filtered).sort()).toEqual(
      await sqlIds(
        api.db
          .knex('devices')
          .where({ connection_id: connectionA, platform: 'ios', compliance: 'noncompliant' })
          .whereNull('gone_at'),
      ),
    );
    expect(filtered.length).toBeGreaterThan(100);
    const everyone = await exportJson('/v1/exports/devices?includeGone=true');
    expect(everyone).toHaveLength(Number((await api.db.knex('devices').count({ n: '*' }))[0]!.n));
    expect(everyone.filter((d) => d.goneAt !== null)).toHaveLength(10);
    const user7 = await exportJson('/v1/exports/devices?user=user7@contoso.EXAMPLE');
    expect(user7).toHaveLength(49); // 50 devices, phone-0007 gone
    expect(ids(user7)).toEqual(ids(await listAll('/v1/devices?user=user7@contoso.EXAMPLE')));
    expect((await exportJson('/v1/exports/devices?hasApp=com.whatsapp')).map((d) => d.name)).toEqual([
      'phone-0017',
      'phone-0018',
      'phone-1900',
    ]);
    const noncompliant = await exportJson('/v1/exports/devices?state=noncompliant');
    expect(noncompliant.length).toBeGreaterThan(900); // a finding or the MDM's word
    expect(ids(noncompliant)).toEqual(ids(await listAll('/v1/devices?state=noncompliant')));
    expect(await exportJson(`/v1/exports/devices?connection=${connectionB}&platform=android`)).toEqual([]);
  });

  it('exports devices as RFC 4180 CSV, row for row and field by field the JSON export', async () => {
    const json = await exportJson('/v1/exports/devices');
    const csv = await exportCsv('/v1/exports/devices?format=csv');
    expect(csv.header).toBe(DEVICE_COLUMNS);
    expectColumnsCover(csv.header, json[0]!);
    expect(csv.rows.map((row) => row.id)).toEqual(ids(json));
    for (const index of [0, 999, 1000, 1001, json.length - 1])
      expectRowMatches(csv.rows[index]!, json[index]!, DEVICE_COLUMNS);
    const trickyIndex = json.findIndex((d) => d.name === TRICKY_NAME);
    expectRowMatches(csv.rows[trickyIndex]!, json[trickyIndex]!, DEVICE_COLUMNS);
  });

  it('quotes commas, quotes and newlines, keeps empty strings apart from nulls, and neutralises formulas', async () => {
    const response = await api.request<string>('GET', '/v1/exports/devices?format=csv&user=tricky', { token: viewer });
    expect(response.text.startsWith(`${DEVICE_COLUMNS}\r\n`)).toBe(true);
    expect(response.text).toContain(`,"'=SUM(1,2) ""Bob's""\nphone",`);
    expect(response.text).toContain(`,"'+1 Pixel, ""Pro""",`);
    const { rows } = csvObjects(response.text);
    expect(rows).toHaveLength(1);
    const [parsed] = rows;
    expect(parsed).toMatchObject({
      name: `'${TRICKY_NAME}`,
      model: `'+1 Pixel, "Pro"`,
      'user.displayName': "'-Robert",
      'user.email': '',
      'user.principalName': 'tricky@contoso.example',
      goneAt: null,
      encrypted: 'true',
      jailbroken: 'false',
    });
    expect(response.text).toMatch(/,"",/); // the empty email, quoted
    expect(response.text.endsWith('\r\n')).toBe(true);
  });

  it('exports findings with the filters of the finding listing, as JSON and CSV', async () => {
    const open = await exportJson('/v1/exports/findings');
    expect(open.length).toBeGreaterThan(1000);
    expect(ids(open).sort()).toEqual(await sqlIds(api.db.knex('findings').whereNull('resolved_at')));
    expect(open).toEqual(await listAll('/v1/findings'));
    const critical = await exportJson(
      `/v1/exports/findings?rule=jailbroken&severity=critical&connection=${connectionA}`,
    );
    expect(ids(critical).sort()).toEqual(
      await sqlIds(
        api.db.knex('findings').where({ rule: 'jailbroken', severity: 'critical' }).whereNull('resolved_at'),
      ),
    );
    expect(critical.length).toBeGreaterThan(400);
    const [oneDevice] = critical;
    expect(ids(await exportJson(`/v1/exports/findings?device=${oneDevice!.deviceId}&status=all`))).toEqual(
      ids(await listAll(`/v1/findings?device=${oneDevice!.deviceId}&status=all`)),
    );

    const csv = await exportCsv('/v1/exports/findings?format=csv');
    expect(csv.header).toBe(FINDING_COLUMNS);
    expectColumnsCover(csv.header, open[0]!);
    expect(csv.rows.map((row) => row.id)).toEqual(ids(open));
    for (const index of [0, 1000, open.length - 1]) {
      expectRowMatches(csv.rows[index]!, open[index]!, FINDING_COLUMNS);
      expect(JSON.parse(csv.rows[index]!.evidence!)).toEqual(open[index]!.evidence);
    }
  });

  it('exports the action requests made through the API', async () => {
    const [device] = await api.db.knex('devices').whereNull('gone_at').orderBy('name').limit(1).select('id');
    const asked = await api.request<Item>('POST', '/v1/actions', {
      body: {
        action: 'retire',
        devices: [device.id],
        reason: 'Lost, "left in a taxi"',
        idempotencyKey: 'export-test-1',
      },
    });
    expect(asked.status).toBe(201);
    const exported = await exportJson('/v1/exports/actions');
    expect(exported).toEqual([(await api.request<Item>('GET', `/v1/actions/${asked.body.id}`)).body]);
    const csv = await exportCsv('/v1/exports/actions?format=csv');
    expect(csv.header).toBe(ACTION_COLUMNS);
    expectColumnsCover(csv.header, exported[0]!);
    expect(csv.rows).toHaveLength(1);
    expectRowMatches(csv.rows[0]!, exported[0]!, ACTION_COLUMNS);
    expect(csv.rows[0]).toMatchObject({
      reason: 'Lost, "left in a taxi"',
      'requestedBy.name': 'test-admin',
      status: 'awaiting-approval',
    });
    expect(JSON.parse(csv.rows[0]!.devices!)).toEqual(exported[0]!.devices);
  });

  it('admits the reading roles, refuses without a token and names a bad format or a paging parameter', async () => {
    const automation = await api.tokenFor('automation');
    expect(await exportJson('/v1/exports/actions', automation)).toHaveLength(1); // the request made above
    const anonymous = await api.request<{ type: string }>('GET', '/v1/exports/devices', { token: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.contentType).toBe('application/problem+json');
    const badFormat = await api.request<{ type: string; field: string }>('GET', '/v1/exports/findings?format=xlsx', {
      token: viewer,
    });
    expect(badFormat.status).toBe(400);
    expect(badFormat.contentType).toBe('application/problem+json');
    expect(badFormat.body).toMatchObject({ type: 'urn:warden:problem:validation', field: 'query.format' });
    const paged = await api.request<{ field: string }>('GET', '/v1/exports/devices?limit=10', { token: viewer });
    expect([paged.status, paged.body.field]).toEqual([400, 'query.limit']);
  });

  it('answers a problem when the database fails before the first page', async () => {
    await api.db.knex.raw('alter table devices rename to devices_away');
    try {
      const failed = await api.request<{ type: string }>('GET', '/v1/exports/devices?format=csv', { token: viewer });
      expect(failed.status).toBe(500);
      expect(failed.body.type).toBe('urn:warden:problem:internal');
    } finally {
      await api.db.knex.raw('alter table devices_away rename to devices');
    }
  });

  describe('streaming', () => {
    /** The real app and router, with exportDevices answering from the page reader given. */
    async function serveExport<T>(readPage: PageReader<T>, pageSize: number) {
      const route: RouteOptions<'exportDevices'> = {
        roles: ['admin', 'security-viewer', 'automation'],
        async handler() {
          return exportReply('devices', 'json', await exportStream('json', [], readPage, pageSize));
        },
      };
      const deps = {
        config: api.config,
        db: api.db,
        log: api.log,
        metrics: createMetrics(api.db.knex),
        secretBox: api.secretBox,
        queue: api.scheduler,
      };
      const server = http.createServer(createApp(deps, { ...ROUTES, exportDevices: route }).callback());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/exports/devices`,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      };
    }

    it('aborts the connection, without the closing bracket, when a page fails part-way', async () => {
      let pagesRead = 0;
      const server = await serveExport(async (cursor, limit) => {
        if (++pagesRead > 1) throw new Error('Connection terminated unexpectedly');
        const page = await listDevices(api.db.knex, {}, { sort: 'name', limit, cursor });
        return { items: page.devices, nextCursor: page.nextCursor };
      }, 100);
      try {
        const response = await fetch(server.url, { headers: { authorization: `Bearer ${viewer}` } });
        expect(response.status).toBe(200);
        const chunks: Buffer[] = [];
        const download = (async () => {
          for await (const chunk of response.body!) chunks.push(Buffer.from(chunk));
        })();
        await expect(download).rejects.toThrow();
        const received = Buffer.concat(chunks).toString('utf8');
        expect(received.startsWith('[\n{')).toBe(true);
        expect(received.trimEnd().endsWith(']')).toBe(false);
        expect(() => JSON.parse(received)).toThrow();
        expect(pagesRead).toBe(2);
        const requestId = response.headers.get('x-request-id');
        expect(
          api.logs.some((line) => line.includes('a streamed answer failed part-way') && line.includes(requestId!)),
        ).toBe(true);
      } finally {
        await server.close();
      }
    });

    it('reads pages only as fast as the client takes them', async () => {
      let pagesRead = 0;
      const filler = 'x'.repeat(64 * 1024);
      const server = await serveExport(async (cursor) => {
        pagesRead++;
        const at = cursor ? Number(cursor) : 0;
        return { items: [{ at, filler }], nextCursor: at < 10_000 ? String(at + 1) : null };
      }, 1);
      try {
        const request = http.get(server.url, { headers: { authorization: `Bearer ${viewer}` } });
        request.on('error', () => undefined); // destroying it below is the point
        const response = await new Promise<http.IncomingMessage>((resolve) => request.once('response', resolve));
        response.on('error', () => undefined);
        expect(response.statusCode).toBe(200);
        response.pause(); // a client that stops reading
        await new Promise((resolve) => setTimeout(resolve, 500));
        const stalledAt = pagesRead;
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(pagesRead).toBe(stalledAt);
        expect(stalledAt).toBeLessThan(1000); // far from the 10,001 pages (640 MB) there are
        request.destroy();
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(pagesRead).toBe(stalledAt);
      } finally {
        await server.close();
      }
    });
  });
});
