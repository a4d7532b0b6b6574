// The posture summary and trend through the HTTP API, checked against counts computed directly in SQL over the
// same database: devices by state (overall, per platform, ownership and connection), open findings by rule and
// severity, and the alignment of a policy's controls with unknown and not-enforceable kept apart.
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { CLI_ACTOR } from '../../src/auth/roles';
import { evaluateFindings } from '../../src/findings/evaluate';
import { upsertAppHits, upsertDevicePage } from '../../src/inventory/store';
import { savePolicy } from '../../src/policies/store';
import { takePostureSnapshot } from '../../src/posture/summary';
import { startTestApi, type TestApi } from '../support/api';
import { aConnection, aDevice, aSyncRun } from '../support/factories';

interface StateCounts {
  compliant: number;
  noncompliant: number;
  unknown: number;
  gone: number;
  total: number;
}
interface Alignment {
  targeted: number;
  holds: number;
  fails: number;
  unknown: number;
  notEnforceable: number;
  score: number | null;
}
interface Summary {
  asOf: string | null;
  devices: {
    byState: StateCounts;
    byPlatform: Record<string, StateCounts>;
    byOwnership: Record<string, StateCounts>;
    byConnection: Array<{ connectionId: string; name: string; states: StateCounts }>;
  };
  findings: {
    bySeverity: Record<string, number>;
    byRule: Array<{ rule: string; counts: Record<string, number> }>;
  };
  alignment: Array<{
    policy: string;
    version: number;
    alignment: Alignment;
    controls: Array<{ control: string; mode: string; alignment: Alignment }>;
  }>;
  actions: { pending: { total: number; items: unknown[] }; recent: { total: number } };
  freshness: Array<{ name: string; evaluatedAt: string | null; lastSyncOutcome: string | null }>;
}

/** Warden's device state, written independently in SQL. */
const STATE_SQL = `case
  when d.gone_at is not null then 'gone'
  when exists (select 1 from findings f where f.device_id = d.id and f.resolved_at is null)
    or d.compliance in ('noncompliant', 'in-grace-period') then 'noncompliant'
  when d.compliance = 'unknown' then 'unknown'
  else 'compliant' end`;

describe('/v1/posture', () => {
  let api: TestApi;
  let viewer: string;
  let contoso: string;
  let fabrikam: string;

  beforeAll(async () => {
    api = await startTestApi({ config: { posture: { cacheMs: 0, retentionDays: 400 } } });
    viewer = await api.tokenFor('security-viewer');
    const knex = api.db.knex;
    contoso = await aConnection(knex, 'contoso');
    fabrikam = await aConnection(knex, 'fabrikam');
    await savePolicy(
      knex,
      'work-chats',
      {
        policy: {
          name: 'work-chats',
          targets: { connections: ['contoso'], platforms: ['android', 'ios', 'windows'] },
          controls: {
            blockedApps: { mode: 'enforce', apps: ['com.whatsapp'] },
            encryptionRequired: { mode: 'alert' },
            workDataBackup: { mode: 'enforce', allowed: false },
          },
        },
        reason: 'test',
      },
      { actor: CLI_ACTOR },
    );
    const contosoDevices = [
      ...Array.from({ length: 7 }, () => aDevice({ platform: 'android' })),
      aDevice({ platform: 'android', encrypted: false }),
      aDevice({ platform: 'android', encrypted: null }),
      aDevice({ platform: 'android', ownership: 'company', enrollmentMode: 'fully-managed' }),
      aDevice({ platform: 'ios', enrollmentMode: 'device', compliance: 'unknown' }),
      aDevice({ platform: 'ios', enrollmentMode: 'device' }),
      aDevice({ platform: 'ios', enrollmentMode: 'device', compliance: 'in-grace-period' }),
      aDevice({ platform: 'windows', ownership: 'company', enrollmentMode: 'device', jailbroken: true }),
      aDevice({ platform: 'windows', ownership: 'company', enrollmentMode: 'device' }),
    ];
    await upsertDevicePage(knex, contoso, await aSyncRun(knex, contoso), contosoDevices);
    await upsertAppHits(
      knex,
      contoso,
      contosoDevices.slice(0, 2).map((d, i) => ({
        identifier: 'com.whatsapp',
        appExternalId: 'wa',
        displayName: 'WhatsApp',
        version: null,
        scope: i === 0 ? 'work-profile' : 'personal-profile',
        deviceExternalId: d.externalId,
      })),
    );
    const fabrikamDevices = [
      aDevice({ platform: 'macos', ownership: 'company', enrollmentMode: 'device' }),
      aDevice({ platform: 'macos', ownership: 'company', enrollmentMode: 'device', compliance: 'noncompliant' }),
      aDevice({ platform: 'macos', ownership: 'company', enrollmentMode: 'device', jailbroken: true }),
      aDevice({ platform: 'macos', ownership: 'company', enrollmentMode: 'device' }),
    ];
    await upsertDevicePage(knex, fabrikam, await aSyncRun(knex, fabrikam), fabrikamDevices);
    await knex('devices')
      .whereIn(
        'external_id',
        fabrikamDevices.slice(2).map((d) => d.externalId),
      )
      .update({ gone_at: new Date(), last_seen_at: new Date() });
    // Alert-mode drift of a policy: a finding without a device, raised by a drift check between evaluations.
    await knex('findings').insert({
      connection_id: contoso,
      policy_name: 'work-chats',
      rule: 'policy-drift',
      severity: 'high',
      evidence: JSON.stringify({ events: [] }),
      first_seen_at: new Date(),
      last_seen_at: new Date(),
    });
    await evaluateFindings(knex);
  });
  afterAll(() => api.close());

  const summary = async () => {
    const response = await api.request<Summary>('GET', '/v1/posture/summary', { token: viewer });
    expect(response.status).toBe(200);
    return response.body;
  };

  it('counts devices by state exactly as SQL does over the same data, in every breakdown', async () => {
    const body = await summary();
    const rows: Array<{ connection_id: string; platform: string; ownership: string; state: string; count: string }> = (
      await api.db.knex.raw(
        `select d.connection_id, d.platform, d.ownership, ${STATE_SQL} as state, count(*) from devices d group by 1, 2, 3, 4`,
      )
    ).rows;
    const tally = (pick: (r: (typeof rows)[number]) => boolean) => {
      const counts: StateCounts = { compliant: 0, noncompliant: 0, unknown: 0, gone: 0, total: 0 };
      for (const r of rows.filter(pick)) {
        counts[r.state as keyof StateCounts] += Number(r.count);
        counts.total += Number(r.count);
      }
      return counts;
    };
    expect(body.devices.byState).toEqual(tally(() => true));
    expect(body.devices.byState).toEqual({ compliant: 10, noncompliant: 6, unknown: 1, gone: 2, total: 19 });
    for (const platform of ['android', 'ios', 'windows', 'macos'])
      expect(body.devices.byPlatform[platform]).toEqual(tally((r) => r.platform === platform));
    for (const ownership of ['company', 'personal'])
      expect(body.devices.byOwnership[ownership]).toEqual(tally((r) => r.ownership === ownership));
    expect(body.devices.byConnection.map((c) => c.name)).toEqual(['contoso', 'fabrikam']);
    expect(body.devices.byConnection[0]!.states).toEqual(tally((r) => r.connection_id === contoso));
    expect(body.devices.byConnection[1]!.states).toEqual(tally((r) => r.connection_id === fabrikam));
  });

  it('counts open findings by rule and severity as SQL does, policy drift included', async () => {
    const body = await summary();
    const rows: Array<{ rule: string; severity: string; count: string }> = await api.db
      .knex('findings')
      .select('rule', 'severity')
      .count('* as count')
      .whereNull('resolved_at')
      .groupBy('rule', 'severity');
    const expected: Record<string, Record<string, number>> = {};
    for (const r of rows) {
      expected[r.rule] = { ...expected[r.rule], [r.severity]: Number(r.count) };
    }
    const got: Record<string, Record<string, number>> = {};
    for (const { rule, counts } of body.findings.byRule) {
      for (const [severity, n] of Object.entries(counts))
        if (severity !== 'total' && n > 0) got[rule] = { ...got[rule], [severity]: n };
    }
    expect(got).toEqual(expected);
    expect(got['policy-drift']).toEqual({ high: 1 });
    expect(got['blocked-messenger']).toEqual({ critical: 1, high: 1 });
    const total = rows.reduce((n, r) => n + Number(r.count), 0);
    expect(body.findings.bySeverity.total).toBe(total);
  });

  it('scores each control over targeted devices, never counting unknown or not enforceable as holding', async () => {
    const body = await summary();
    const [policy] = body.alignment;
    expect(policy!.policy).toBe('work-chats');
    const control = (name: string) => policy!.controls.find((c) => c.control === name)!.alignment;
    // contoso: 10 Android, 3 iOS, 2 Windows are targeted; fabrikam's Macs are not.
    expect(control('blockedApps')).toEqual({
      targeted: 15,
      holds: 13,
      fails: 2,
      unknown: 0,
      notEnforceable: 0,
      score: 13 / 15,
    });
    expect(control('encryptionRequired')).toEqual({
      targeted: 15,
      holds: 13,
      fails: 1,
      unknown: 1,
      notEnforceable: 0,
      score: 13 / 15,
    });
    // No drift check has read the tenant: unknown on Android and iOS; Windows is not configured by Warden.
    expect(control('workDataBackup')).toEqual({
      targeted: 15,
      holds: 0,
      fails: 0,
      unknown: 13,
      notEnforceable: 2,
      score: 0,
    });
    expect(policy!.alignment).toEqual({
      targeted: 45,
      holds: 26,
      fails: 3,
      unknown: 14,
      notEnforceable: 2,
      score: 26 / 45,
    });
  });

  it('shows freshness per connection and answers only to readers', async () => {
    const body = await summary();
    expect(body.freshness.map((f) => [f.name, f.lastSyncOutcome])).toEqual([
      ['contoso', 'succeeded'],
      ['fabrikam', 'succeeded'],
    ]);
    expect(body.freshness.every((f) => f.evaluatedAt !== null)).toBe(true);
    expect(body.asOf).not.toBeNull();
    expect(body.actions.pending.total).toBe(0);
    const anonymous = await api.request('GET', '/v1/posture/summary', { token: null });
    expect(anonymous.status).toBe(401);
  });

  it('lists devices with their posture, filtered by state exactly as the summary counts them', async () => {
    const body = await summary();
    for (const state of ['compliant', 'noncompliant', 'unknown', 'gone'] as const) {
      const page = await api.request<{ items: Array<{ posture: { state: string; openFindings: number } }> }>(
        'GET',
        `/v1/devices?state=${state}&limit=500`,
        { token: viewer },
      );
      expect(page.status).toBe(200);
      expect(page.body.items).toHaveLength(body.devices.byState[state]);
      expect(page.body.items.every((d) => d.posture.state === state)).toBe(true);
    }
    const rooted = await api.request<{ items: Array<{ posture: { openFindings: number; worstSeverity: string } }> }>(
      'GET',
      '/v1/devices?platform=windows&state=noncompliant',
      { token: viewer },
    );
    expect(rooted.body.items.map((d) => d.posture)).toEqual([
      { state: 'noncompliant', openFindings: 1, worstSeverity: 'critical' },
    ]);
  });

  it('counts a settings control as holding once a drift check read the tenant in sync, and lists pending retires', async () => {
    const knex = api.db.knex;
    await knex('drift_checks').insert({
      policy_name: 'work-chats',
      connection_id: contoso,
      checked_at: new Date(),
      policy_version: 1,
      status: 'in-sync',
      summary: 'in sync',
      events: '[]',
    });
    await evaluateFindings(knex, { connectionId: contoso });
    const [device] = await knex('devices').where({ connection_id: contoso, platform: 'ios' }).limit(1);
    const asked = await api.request('POST', '/v1/actions', {
      body: { action: 'retire', devices: [device.id], reason: 'left the company', idempotencyKey: 'posture-retire-1' },
    });
    expect(asked.status).toBe(201);
    const body = await summary();
    const backup = body.alignment[0]!.controls.find((c) => c.control === 'workDataBackup')!.alignment;
    expect(backup).toEqual({ targeted: 15, holds: 13, fails: 0, unknown: 0, notEnforceable: 2, score: 13 / 15 });
    expect(body.actions.pending.total).toBe(1);
    expect(body.actions.pending).toMatchObject({ items: [{ deviceId: device.id, kind: 'retire' }] });
  });

  it('keeps one snapshot per day for the trend, the latest of the day winning, and prunes past the retention', async () => {
    const knex = api.db.knex;
    await takePostureSnapshot(knex, { now: new Date(Date.now() - 3 * 86_400_000), retentionDays: 400 });
    await takePostureSnapshot(knex, { now: new Date(Date.now() - 500 * 86_400_000), retentionDays: 400 });
    expect((await takePostureSnapshot(knex, { retentionDays: 400 })).pruned).toBe(1);
    // Something changes, and today's snapshot is taken again: it replaces the earlier one.
    await knex('devices').where({ platform: 'windows', jailbroken: true }).update({ jailbroken: false });
    await evaluateFindings(knex);
    await takePostureSnapshot(knex, { retentionDays: 400 });
    const trend = await api.request<{ items: Array<{ day: string; devices: { byState: StateCounts } }> }>(
      'GET',
      '/v1/posture/trend?days=7',
      { token: viewer },
    );
    expect(trend.status).toBe(200);
    expect(trend.body.items).toHaveLength(2);
    const [earlier, today] = trend.body.items;
    expect(earlier!.devices.byState.noncompliant).toBe(6);
    expect(today!.devices.byState.noncompliant).toBe(5);
    expect(today!.day).toBe(new Date().toISOString().slice(0, 10));
    const tooMany = await api.request<{ field: string }>('GET', '/v1/posture/trend?days=5000', { token: viewer });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.field).toBe('query.days');
  });

  it('answers gzip-compressed to a client that accepts gzip, the same JSON, and says it varies by encoding', async () => {
    /** node:http does not decompress, so what went over the wire is what is checked. */
    const raw = (acceptEncoding?: string) =>
      new Promise<{ headers: http.IncomingHttpHeaders; bytes: Buffer }>((resolve, reject) => {
        const headers: Record<string, string> = { authorization: `Bearer ${viewer}` };
        if (acceptEncoding) headers['accept-encoding'] = acceptEncoding;
        http
          .get(`${api.url}/v1/posture/summary`, { headers }, (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk) => chunks.push(chunk));
            response.on('end', () => resolve({ headers: response.headers, bytes: Buffer.concat(chunks) }));
          })
          .on('error', reject);
      });
    const plain = await raw();
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toMatch(/accept-encoding/i);
    const summaryText = plain.bytes.toString('utf8');
    // Each answer is made anew here (no cache in tests): all but the instant it was made must agree.
    const figures = (text: string) => ({ ...JSON.parse(text), generatedAt: undefined });
    expect(figures(summaryText)).toEqual({ ...(await summary()), generatedAt: undefined });

    const compressed = await raw('gzip, deflate, br');
    expect(compressed.headers['content-encoding']).toBe('gzip');
    expect(compressed.headers['content-type']).toMatch(/^application\/json/);
    expect(compressed.headers.vary).toMatch(/accept-encoding/i);
    expect(figures(gunzipSync(compressed.bytes).toString('utf8'))).toEqual(figures(summaryText));
    expect(compressed.bytes.length).toBeLessThan(summaryText.length / 2);

    // A client that refuses gzip (q=0) gets the plain text; asking again (the answer is remembered per header)
    // changes nothing for either.
    for (let again = 0; again < 2; again++) {
      expect((await raw('gzip;q=0, identity')).headers['content-encoding']).toBeUndefined();
      expect((await raw('gzip, deflate, br')).headers['content-encoding']).toBe('gzip');
    }
    expect(plain.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(plain.headers['content-length'])).toBe(plain.bytes.length);
  });
});
