import { actionCount, DEFAULT_FAULTS, type GraphEmulator, type ManagedDevice } from '../../../src/sim/graph';
import { EmulatorClient, expectGraphError, startEmulator } from './helpers';

interface BatchResponse {
  responses: { id: string; status: number; headers: Record<string, string>; body?: unknown }[];
}

describe('JSON batching (POST /v1.0/$batch)', () => {
  let emulator: GraphEmulator;
  let client: EmulatorClient;
  let devices: ManagedDevice[];

  beforeAll(async () => {
    emulator = await startEmulator({ devices: 40, seed: 51, actionLatencyMs: 0 });
    client = new EmulatorClient(emulator);
    devices = [...emulator.tenant.devices()];
  });
  afterEach(() => emulator.setFaults({ ...DEFAULT_FAULTS }));
  afterAll(async () => {
    await client.close();
    await emulator.stop();
  });

  const batch = async (requests: unknown[]) => {
    const response = await client.graph('POST', '/v1.0/$batch', { requests });
    return { status: response.status, body: response.body as BatchResponse, raw: response };
  };

  it('answers each request with its own status, headers and body', async () => {
    const { status, body } = await batch([
      { id: '1', method: 'GET', url: `/deviceManagement/managedDevices/${devices[0]?.id}?$select=deviceName` },
      { id: '2', method: 'GET', url: 'deviceManagement/managedDevices/4b1d0000-0000-4000-8000-000000000000' },
      {
        id: '3',
        method: 'POST',
        url: `/deviceManagement/managedDevices/${devices[1]?.id}/retire`,
        headers: { 'Content-Type': 'application/json' },
        body: {},
      },
      { id: '4', method: 'GET', url: '/users?$top=2&$select=id' },
    ]);
    expect(status).toBe(200);
    expect(body.responses.map((r) => [r.id, r.status])).toEqual([
      ['1', 200],
      ['2', 404],
      ['3', 204],
      ['4', 200],
    ]);
    expect(body.responses[0]?.body).toMatchObject({ id: devices[0]?.id, deviceName: devices[0]?.deviceName });
    expect(body.responses[0]?.headers['Content-Type']).toBe('application/json');
    expect(body.responses[1]?.body).toMatchObject({ error: { code: 'ResourceNotFound' } });
    expect(body.responses[2]?.body).toBeUndefined();
    expect((body.responses[3]?.body as { value: unknown[] } | undefined)?.value).toHaveLength(2);
    expect(emulator.tenant.getDevice(devices[1]?.id as string)?.managementState).toBe('retireIssued');
    expect(emulator.stats().batchItems['POST /v1.0/deviceManagement/managedDevices/{id}/retire']).toEqual({ '204': 1 });
  });

  it('accepts at most 20 requests and validates the envelope', async () => {
    const get = (id: number) => ({ id: String(id), method: 'GET', url: '/deviceManagement/detectedApps?$top=1' });
    expect((await batch(Array.from({ length: 20 }, (_, i) => get(i)))).status).toBe(200);
    const tooMany = await batch(Array.from({ length: 21 }, (_, i) => get(i)));
    expectGraphError(tooMany.raw, 400, 'BadRequest');
    expect((tooMany.body as unknown as { error: { message: string } }).error.message).toMatch(
      /exceeds the limit of 20/,
    );
    expectGraphError((await batch([get(1), get(1)])).raw, 400, 'BadRequest');
    expectGraphError((await batch([{ ...get(1), url: `${emulator.url}/v1.0/users` }])).raw, 400, 'BadRequest');
    expectGraphError((await batch([{ ...get(1), dependsOn: ['9'] }])).raw, 400, 'BadRequest');
    expectGraphError(
      (
        await batch([
          { ...get(1), dependsOn: ['2'] },
          { ...get(2), dependsOn: ['1'] },
        ])
      ).raw,
      400,
      'BadRequest',
    );
    expectGraphError((await batch([])).raw, 400, 'BadRequest');
  });

  it('honours dependsOn: runs dependencies first and fails dependents of a failed request with 424', async () => {
    const device = devices[5] as ManagedDevice;
    const { body } = await batch([
      {
        id: 'read',
        method: 'GET',
        url: `/deviceManagement/managedDevices/${device.id}?$select=deviceActionResults`,
        dependsOn: ['lock'],
      },
      { id: 'lock', method: 'POST', url: `/deviceManagement/managedDevices/${device.id}/remoteLock` },
      {
        id: 'bad',
        method: 'POST',
        url: `/deviceManagement/managedDevices/${device.id}/wipe`,
        headers: { 'content-type': 'application/json' },
        body: { wipeEverything: true },
      },
      {
        id: 'after-bad',
        method: 'POST',
        url: `/deviceManagement/managedDevices/${device.id}/retire`,
        dependsOn: ['bad'],
      },
    ]);
    const byId = Object.fromEntries(body.responses.map((r) => [r.id, r]));
    expect(body.responses.map((r) => r.id)).toEqual(['read', 'lock', 'bad', 'after-bad']);
    expect(byId.lock?.status).toBe(204);
    expect((byId.read?.body as ManagedDevice | undefined)?.deviceActionResults?.map((r) => r.actionName)).toEqual([
      'remoteLock',
    ]);
    expect(byId.bad?.status).toBe(400);
    expect(byId['after-bad']).toMatchObject({ status: 424, body: { error: { code: 'FailedDependency' } } });
    expect(actionCount(emulator.stats(), device.id, 'retire')).toBe(0);
  });

  it('needs Content-Type on items with a body', async () => {
    const { body } = await batch([
      { id: '1', method: 'POST', url: `/deviceManagement/managedDevices/${devices[6]?.id}/wipe`, body: {} },
    ]);
    expect(body.responses[0]).toMatchObject({ status: 400, body: { error: { code: 'BadRequest' } } });
  });

  it('applies throttling and server errors per item, inside a 200 batch', async () => {
    emulator.setFaults({ throttleRate: 0.4, serverErrorRate: 0.2, retryAfterSeconds: 3 });
    const { status, body } = await batch(
      Array.from({ length: 20 }, (_, i) => ({
        id: `r${i}`,
        method: 'GET',
        url: `/deviceManagement/managedDevices/${devices[i]?.id}`,
      })),
    );
    expect(status).toBe(200);
    const statuses = body.responses.map((r) => r.status);
    expect(statuses).toContain(429);
    expect(statuses).toContain(200);
    expect(statuses.some((s) => s >= 500)).toBe(true);
    for (const throttled of body.responses.filter((r) => r.status === 429)) {
      expect(throttled.headers['Retry-After']).toBe('3');
      expect(throttled.body).toMatchObject({ error: { code: 'TooManyRequests' } });
    }
  });

  it('resets the whole connection rather than a single item', async () => {
    emulator.setFaults({ resetRate: 1 });
    const before = emulator.stats().resets;
    await expect(batch([{ id: '1', method: 'GET', url: '/users' }])).rejects.toThrow();
    expect(emulator.stats().resets).toBe(before + 1);
  });
});
