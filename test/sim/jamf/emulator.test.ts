// The emulated Jamf Pro server over real HTTPS: auth as Jamf answers it, inventory paging and filters, MDM
// commands and unmanaging, faults and counters, and sampled answers checked against the reference schemas.
import type { JamfEmulator } from '../../../src/sim/jamf';
import { JamfApi, referenceSchema, startJamf } from './helpers';

let emulator: JamfEmulator;
let api: JamfApi;

beforeAll(async () => {
  emulator = await startJamf({ mobileDevices: 150, computers: 12 });
  api = new JamfApi(emulator);
});
afterAll(async () => {
  await api.close();
  await emulator.stop();
});
afterEach(() => emulator.setFaults({ throttleRate: 0, serverErrorRate: 0, resetRate: 0, truncateListingAfter: null }));

function expectValid(schema: string, body: unknown): void {
  const validate = referenceSchema(schema);
  const valid = validate(body);
  expect(valid ? [] : validate.errors).toEqual([]);
}

describe('auth', () => {
  it('issues tokens on both token paths and refuses a wrong secret with invalid_client', async () => {
    for (const tokenPath of ['/api/oauth/token', '/api/v1/oauth/token']) {
      const answer = await api.tokenAnswer(emulator.clientSecret, tokenPath);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual(expect.objectContaining({ token_type: 'Bearer', expires_in: 1200 }));
    }
    const wrong = await api.tokenAnswer('not-the-secret');
    expect({ status: wrong.status, body: wrong.body }).toEqual({ status: 401, body: { error: 'invalid_client' } });
  });

  it('answers 401 with an ApiError to calls without a live bearer token', async () => {
    const answer = await api.send('GET', '/api/v2/mobile-devices');
    expect(answer.status).toBe(401);
    expectValid('ApiError', answer.body);
    const classic = await api.send('GET', '/JSSResource/mobiledeviceconfigurationprofiles');
    expect(classic.status).toBe(401);
  });
});

describe('inventory', () => {
  it('pages mobile devices from 0 in id order with the true totalCount', async () => {
    const first = await api.api('GET', '/api/v2/mobile-devices?page=0&page-size=100');
    const second = await api.api('GET', '/api/v2/mobile-devices?page=1&page-size=100');
    expectValid('MobileDeviceSearchResultsV2', first.body);
    const ids = [first, second].flatMap((a) => (a.body as { results: Array<{ id: string }> }).results.map((r) => r.id));
    expect(ids).toEqual(Array.from({ length: 150 }, (_, i) => String(i + 1)));
    expect((first.body as { totalCount: number }).totalCount).toBe(150);
    const tooBig = await api.api('GET', '/api/v2/mobile-devices?page-size=2001');
    expect(tooBig.status).toBe(400);
    expectValid('ApiError', tooBig.body);
  });

  it('serves detail sections, filters with RSQL and refuses fields the reference does not allow', async () => {
    const query = 'section=GENERAL&section=SECURITY&section=APPLICATIONS&section=HARDWARE&section=USER_AND_LOCATION';
    const answer = await api.api(
      'GET',
      `/api/v2/mobile-devices/detail?${query}&filter=managed==true&sort=mobileDeviceId:asc&page-size=2000`,
    );
    expect(answer.status).toBe(200);
    expectValid('MobileDeviceInventorySearchResults', answer.body);
    const body = answer.body as { totalCount: number; results: Array<{ general: { managed: boolean } }> };
    const managed = emulator.fleet.mobileDevices.filter((d) => d.managed).length;
    expect(body.totalCount).toBe(managed);
    expect(body.results.every((r) => r.general.managed)).toBe(true);
    const byId = await api.api('GET', '/api/v2/mobile-devices/detail?filter=mobileDeviceId=in=(3,5,7)');
    expect((byId.body as { results: Array<{ mobileDeviceId: string }> }).results.map((r) => r.mobileDeviceId)).toEqual([
      '3',
      '5',
      '7',
    ]);
    const refused = await api.api(
      'GET',
      '/api/v2/mobile-devices/detail?filter=applications.identifier==net.whatsapp.WhatsApp',
    );
    expect(refused.status).toBe(400);
    expect((refused.body as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('INVALID_RSQL_FILTER_FIELD');
  });

  it('serves one device and the computer inventory in the reference shapes', async () => {
    const one = await api.api('GET', '/api/v2/mobile-devices/4/detail');
    expectValid('MobileDeviceDetailsV2', one.body);
    expect((await api.api('GET', '/api/v2/mobile-devices/9999')).status).toBe(404);
    const computers = await api.api(
      'GET',
      '/api/v1/computers-inventory?section=GENERAL&section=HARDWARE&section=OPERATING_SYSTEM&section=USER_AND_LOCATION&page-size=5',
    );
    expectValid('ComputerInventorySearchResults', computers.body);
    expect((computers.body as { totalCount: number }).totalCount).toBe(12);
  });

  it('is reproducible from its seed', async () => {
    const again = await startJamf({ mobileDevices: 150, computers: 12 });
    try {
      expect(again.fleet.mobileDevices).toEqual(emulator.fleet.mobileDevices);
      expect(again.fleet.computers).toEqual(emulator.fleet.computers);
    } finally {
      await again.stop();
    }
  });
});

describe('commands', () => {
  it('queues a command (201 [{id, href}]), lists it pending, then acknowledged after check-in', async () => {
    const device = emulator.fleet.mobileDevices[10]!;
    const created = await api.api('POST', '/api/v2/mdm/commands', {
      json: { clientData: [{ managementId: device.managementId }], commandData: { commandType: 'DEVICE_LOCK' } },
    });
    expect(created.status).toBe(201);
    const [href] = created.body as Array<{ id: string; href: string }>;
    expect(href!.id).toMatch(/^[0-9a-f-]{36}$/);
    const filter = `clientManagementId==${device.managementId};command==DEVICE_LOCK`;
    const pending = await api.api('GET', `/api/v2/mdm/commands?filter=${encodeURIComponent(filter)}`);
    expectValid('MdmCommandResults', pending.body);
    expect((pending.body as { results: Array<{ commandState: string }> }).results[0]!.commandState).toBe('PENDING');
    expect(emulator.completePendingCommands()).toBeGreaterThanOrEqual(1);
    const done = await api.api('GET', `/api/v2/mdm/commands?filter=${encodeURIComponent(filter)}`);
    expect((done.body as { results: Array<{ commandState: string }> }).results[0]!.commandState).toBe('ACKNOWLEDGED');
    expect(emulator.stats().commands[`${device.managementId}:DEVICE_LOCK`]).toBe(1);
    expect((await api.api('GET', '/api/v2/mdm/commands')).status).toBe(400);
  });

  it('unmanages a mobile device: the record stays, unmanaged', async () => {
    const answer = await api.api('POST', '/api/v2/mobile-devices/20/unmanage');
    expect(answer.status).toBe(204);
    const detail = await api.api('GET', '/api/v2/mobile-devices/20/detail');
    expect((detail.body as { managed: boolean }).managed).toBe(false);
    expect(emulator.stats().unmanaged['mobile:20']).toBe(1);
  });
});

describe('faults and control', () => {
  it('throttles with Retry-After, truncates listings while totalCount stays true, counts in-flight requests', async () => {
    const control = await api.send('PUT', '/_sim/faults', { json: { throttleRate: 1, retryAfterSeconds: 7 } });
    expect(control.status).toBe(200);
    const throttled = await api.api('GET', '/api/v2/mobile-devices');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    emulator.setFaults({ throttleRate: 0, truncateListingAfter: 40 });
    const cut = await api.api('GET', '/api/v2/mobile-devices?page-size=2000');
    const body = cut.body as { totalCount: number; results: unknown[] };
    expect({ total: body.totalCount, served: body.results.length }).toEqual({ total: 150, served: 40 });
    const stats = (await api.send('GET', '/_sim/stats')).body as { maxInFlight: number; throttled: number };
    expect(stats.maxInFlight).toBeGreaterThanOrEqual(1);
    expect(stats.throttled).toBeGreaterThanOrEqual(1);
  });
});
