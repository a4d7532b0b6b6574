import { actionCount, DEFAULT_ROLES, type GraphEmulator, type ManagedDevice } from '../../../src/sim/graph';
import { EmulatorClient, expectGraphError, startEmulator } from './helpers';

const LATENCY_MS = 300;

describe('device actions', () => {
  let emulator: GraphEmulator;
  let client: EmulatorClient;
  let devices: ManagedDevice[];

  beforeAll(async () => {
    emulator = await startEmulator({
      devices: 60,
      seed: 41,
      actionLatencyMs: LATENCY_MS,
      clients: [
        { clientId: 'aaaaaaaa-0000-4000-8000-000000000001', clientSecret: 'full' },
        {
          clientId: 'aaaaaaaa-0000-4000-8000-000000000002',
          clientSecret: 'read-write-only',
          roles: DEFAULT_ROLES.filter((role) => !role.includes('PrivilegedOperations')),
        },
      ],
    });
    client = new EmulatorClient(emulator, { clientId: 'aaaaaaaa-0000-4000-8000-000000000001', clientSecret: 'full' });
    devices = [...emulator.tenant.devices()];
  });
  afterAll(async () => {
    await client.close();
    await emulator.stop();
  });

  const path = (device: ManagedDevice, action: string) =>
    `/v1.0/deviceManagement/managedDevices/${device.id}/${action}`;
  const read = async (device: ManagedDevice) =>
    (await client.graph('GET', `/v1.0/deviceManagement/managedDevices/${device.id}`)).body as ManagedDevice;
  const waitForCompletion = () => new Promise((resolve) => setTimeout(resolve, LATENCY_MS + 100));

  it('answers 204 and shows wipe/retire pending, then done with the issued management state', async () => {
    const [wiped, retired] = [devices[0] as ManagedDevice, devices[1] as ManagedDevice];
    const wipe = await client.graph('POST', path(wiped, 'wipe'), {
      keepEnrollmentData: false,
      keepUserData: false,
      persistEsimDataPlan: true,
      macOsUnlockCode: '123456',
    });
    expect([wipe.status, wipe.body]).toEqual([204, undefined]);
    expect((await client.graph('POST', path(retired, 'retire'))).status).toBe(204);

    const pendingWipe = await read(wiped);
    expect(pendingWipe.managementState).toBe('wipePending');
    expect(pendingWipe.deviceActionResults).toEqual([
      expect.objectContaining({
        actionName: 'wipe',
        actionState: 'pending',
        startDateTime: pendingWipe.deviceActionResults?.[0]?.lastUpdatedDateTime,
      }),
    ]);
    expect((await read(retired)).managementState).toBe('retirePending');

    await waitForCompletion();
    const doneWipe = await read(wiped);
    expect(doneWipe.managementState).toBe('wipeIssued');
    const result = doneWipe.deviceActionResults?.[0];
    expect(result).toMatchObject({ actionName: 'wipe', actionState: 'done' });
    expect(
      Date.parse(result?.lastUpdatedDateTime ?? '') - Date.parse(result?.startDateTime ?? ''),
    ).toBeGreaterThanOrEqual(0);
    const doneRetire = await read(retired);
    expect([doneRetire.managementState, doneRetire.deviceActionResults?.[0]?.actionState]).toEqual([
      'retireIssued',
      'done',
    ]);
  });

  it('records remoteLock and syncDevice; a completed sync moves lastSyncDateTime forward', async () => {
    // The fleet was generated for REFERENCE_TIME, so its last sync lies well before now.
    const device = devices[2] as ManagedDevice;
    expect(Date.parse(device.lastSyncDateTime)).toBeLessThan(Date.now() - 86_400_000);
    expect((await client.graph('POST', path(device, 'remoteLock'))).status).toBe(204);
    expect((await client.graph('POST', path(device, 'syncDevice'), {})).status).toBe(204);
    const pending = await read(device);
    expect(pending.deviceActionResults?.map((r) => [r.actionName, r.actionState])).toEqual([
      ['remoteLock', 'pending'],
      ['syncDevice', 'pending'],
    ]);
    expect(pending.managementState).toBe('managed');
    await waitForCompletion();
    const done = await read(device);
    expect(done.deviceActionResults?.map((r) => r.actionState)).toEqual(['done', 'done']);
    expect(Date.parse(done.lastSyncDateTime)).toBeGreaterThan(Date.now() - 10_000);
    // The listing shows the same state.
    const listed = await client.graph(
      'GET',
      `/v1.0/deviceManagement/managedDevices?$select=deviceActionResults&$top=1000`,
    );
    const row = (listed.body as { value: ManagedDevice[] }).value.find((d) => d.id === device.id);
    expect(row?.deviceActionResults).toEqual(done.deviceActionResults);
  });

  it('counts every accepted call per (deviceId, action), and only accepted ones', async () => {
    const device = devices[10] as ManagedDevice;
    emulator.resetStats();
    for (let i = 0; i < 3; i++) await client.graph('POST', path(device, 'syncDevice'));
    await client.graph('POST', path(device, 'wipe'), { keepUserData: true });
    await client.graph('POST', path(device, 'wipe'), { keepUserDta: true });
    await client.graph('POST', '/v1.0/deviceManagement/managedDevices/00000000-0000-4000-8000-000000000000/wipe');
    const stats = emulator.stats();
    expect(actionCount(stats, device.id, 'syncDevice')).toBe(3);
    expect(actionCount(stats, device.id, 'wipe')).toBe(1);
    expect(actionCount(stats, device.id, 'retire')).toBe(0);
    expect(stats.actions).toEqual({ [device.id]: { syncDevice: 3, wipe: 1 } });
    expect(stats.requests['POST /v1.0/deviceManagement/managedDevices/{id}/wipe']).toEqual({
      '204': 1,
      '400': 1,
      '404': 1,
    });
  });

  it('rejects unknown or mistyped body fields with 400, and unknown devices with 404', async () => {
    const device = devices[20] as ManagedDevice;
    const unknown = expectGraphError(
      await client.graph('POST', path(device, 'wipe'), { keepEnrolmentData: true }),
      400,
      'BadRequest',
    );
    expect(unknown.error.message).toBe(
      "The parameter 'keepEnrolmentData' in the request payload is not a valid parameter for the operation 'wipe'.",
    );
    expectGraphError(await client.graph('POST', path(device, 'wipe'), { keepUserData: 'yes' }), 400, 'BadRequest');
    expectGraphError(await client.graph('POST', path(device, 'retire'), { keepUserData: true }), 400, 'BadRequest');
    expectGraphError(await client.graph('POST', path(device, 'selfDestruct')), 400, 'BadRequest');
    const missing = await client.graph(
      'POST',
      '/v1.0/deviceManagement/managedDevices/4a0b1c2d-0000-4000-8000-000000000000/remoteLock',
    );
    expectGraphError(missing, 404, 'ResourceNotFound');
    expect((await read(device)).deviceActionResults).toEqual([]);
  });

  it('needs DeviceManagementManagedDevices.PrivilegedOperations.All (403 with ReadWrite.All only)', async () => {
    const limited = new EmulatorClient(emulator, {
      clientId: 'aaaaaaaa-0000-4000-8000-000000000002',
      clientSecret: 'read-write-only',
    });
    const device = devices[30] as ManagedDevice;
    const denied = await limited.graph('POST', path(device, 'syncDevice'));
    const error = expectGraphError(denied, 403, 'Forbidden');
    expect(JSON.parse(error.error.message).Message).toContain(
      'DeviceManagementManagedDevices.PrivilegedOperations.All',
    );
    expect((await limited.graph('GET', `/v1.0/deviceManagement/managedDevices/${device.id}`)).status).toBe(200);
    expect(actionCount(emulator.stats(), device.id, 'syncDevice')).toBe(0);
    await limited.close();
  });
});
