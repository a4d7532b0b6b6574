// /v1/devices: filters, keyset pages in every sort order, gone devices hidden unless asked, and one device with
// its apps, MDM record and history.
import { upsertAppHits, upsertDevicePage } from '../../src/inventory/store';
import { startTestApi, type TestApi } from '../support/api';
import { aConnection, aDevice, aSyncRun } from '../support/factories';

interface DeviceBody {
  id: string;
  name: string | null;
  platform: string;
  lastCheckInAt: string | null;
  goneAt: string | null;
}
interface Page {
  items: DeviceBody[];
  nextCursor: string | null;
}

describe('/v1/devices', () => {
  let api: TestApi;
  let viewer: string;
  let connectionId: string;
  let otherConnection: string;

  beforeAll(async () => {
    api = await startTestApi();
    viewer = await api.tokenFor('security-viewer');
    connectionId = await aConnection(api.db.knex, 'one');
    otherConnection = await aConnection(api.db.knex, 'two');
    const run = await aSyncRun(api.db.knex, connectionId);
    const devices = Array.from({ length: 23 }, (_, i) =>
      aDevice({
        name: i === 5 ? null : `phone-${String(i).padStart(2, '0')}`,
        platform: i % 3 === 0 ? 'ios' : 'android',
        ownership: i % 2 === 0 ? 'company' : 'personal',
        compliance: i % 4 === 0 ? 'noncompliant' : 'compliant',
        lastCheckInAt: i === 7 ? null : new Date(Date.UTC(2026, 10, 1 + (i % 10), i)),
        user: {
          externalId: `u${i % 5}`,
          principalName: `User${i % 5}@Contoso.example`,
          displayName: null,
          email: null,
        },
      }),
    );
    await upsertDevicePage(api.db.knex, connectionId, run, devices);
    await upsertAppHits(api.db.knex, connectionId, [
      {
        identifier: 'com.whatsapp',
        appExternalId: 'wa',
        displayName: 'com.whatsapp',
        version: '2',
        scope: 'work-profile',
        deviceExternalId: devices[1]!.externalId,
      },
      {
        identifier: 'com.whatsapp',
        appExternalId: 'wa',
        displayName: 'com.whatsapp',
        version: '2',
        scope: 'device',
        deviceExternalId: devices[2]!.externalId,
      },
    ]);
    await api.db.knex('devices').where({ external_id: devices[22]!.externalId }).update({ gone_at: new Date() });
    const otherRun = await aSyncRun(api.db.knex, otherConnection);
    await upsertDevicePage(api.db.knex, otherConnection, otherRun, [aDevice({ name: 'elsewhere' })]);
  });
  afterAll(() => api.close());

  async function all(query: string): Promise<DeviceBody[]> {
    const items: DeviceBody[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: Page } = await api.request<Page>(
        'GET',
        `/v1/devices?${query}&limit=4${cursor ? `&cursor=${cursor}` : ''}`,
        { token: viewer },
      );
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return items;
  }

  it('pages through every sort order without gaps or repeats, nulls first ascending', async () => {
    const byName = await all(`connection=${connectionId}&sort=name`);
    expect(byName).toHaveLength(22);
    expect(byName[0]!.name).toBeNull();
    expect(byName.slice(1).map((d) => d.name)).toEqual([...byName.slice(1).map((d) => d.name)].sort());
    const byNameDesc = await all(`connection=${connectionId}&sort=-name`);
    expect(byNameDesc.map((d) => d.id)).toEqual(byName.map((d) => d.id).reverse());

    const byCheckIn = await all(`connection=${connectionId}&sort=lastCheckInAt`);
    expect(new Set(byCheckIn.map((d) => d.id)).size).toBe(22);
    expect(byCheckIn[0]!.lastCheckInAt).toBeNull();
    const times = byCheckIn.slice(1).map((d) => Date.parse(d.lastCheckInAt!));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const desc = await all(`connection=${connectionId}&sort=-lastCheckInAt`);
    expect(desc.map((d) => d.id)).toEqual(byCheckIn.map((d) => d.id).reverse());
  });

  it('filters by connection, platform, ownership, compliance, user and app, and hides gone devices unless asked', async () => {
    const count = async (query: string) => (await all(query)).length;
    expect(await count('')).toBe(23);
    expect(await count(`connection=${otherConnection}`)).toBe(1);
    expect(await count(`connection=${connectionId}&platform=ios`)).toBe(8);
    expect(await count(`connection=${connectionId}&ownership=company`)).toBe(11);
    expect(await count(`connection=${connectionId}&compliance=noncompliant`)).toBe(6);
    expect(await count('user=user1@contoso.EXAMPLE')).toBe(5);
    expect(await count('user=u1')).toBe(5);
    const holders = await all('hasApp=com.whatsapp');
    expect(holders).toHaveLength(2);
    expect(await count(`connection=${connectionId}&includeGone=true`)).toBe(23);
  });

  it('refuses a cursor it did not issue and an unknown filter value, naming the field', async () => {
    expect((await api.request<{ field: string }>('GET', '/v1/devices?cursor=garbage')).body.field).toBe('query.cursor');
    expect((await api.request<{ field: string }>('GET', '/v1/devices?platform=symbian')).body.field).toBe(
      'query.platform',
    );
  });

  it('shows one device with its apps, native record and history', async () => {
    const [holder] = await all('hasApp=com.whatsapp&sort=name');
    const detail = await api.request<{
      apps: Array<{ identifier: string; scope: string }>;
      history: Array<{ change: string }>;
      native: { id: string };
    }>('GET', `/v1/devices/${holder!.id}`, { token: viewer });
    expect(detail.status).toBe(200);
    expect(detail.body.apps).toEqual([expect.objectContaining({ identifier: 'com.whatsapp' })]);
    expect(detail.body.history).toEqual([]);
    expect(detail.body.native.id).toEqual(expect.any(String));
    expect((await api.request('GET', '/v1/devices/8a1bbf33-64c6-4f39-a61c-0d1e3c6e9f05')).status).toBe(404);
  });
});
