import {
  DEFAULT_FAULTS,
  type DetectedApp,
  type EmulatorStats,
  type GraphEmulator,
  type ManagedDevice,
} from '../../../src/sim/graph';
import { EmulatorClient, expectGraphError, startEmulator } from './helpers';

/** The /_sim control API mirrors the in-process one, for a demo or test driving the emulator from another process. */
describe('admin API (/_sim)', () => {
  let emulator: GraphEmulator;
  let client: EmulatorClient;

  beforeAll(async () => {
    emulator = await startEmulator({ devices: 80, seed: 71 });
    client = new EmulatorClient(emulator);
  });
  afterAll(async () => {
    await client.close();
    await emulator.stop();
  });

  it('reads and changes faults, validating them', async () => {
    expect((await client.send('GET', '/_sim/faults')).body).toEqual(DEFAULT_FAULTS);
    const changed = await client.send('PUT', '/_sim/faults', { json: { throttleRate: 0.5, truncateListingAfter: 10 } });
    expect(changed.body).toEqual({ ...DEFAULT_FAULTS, throttleRate: 0.5, truncateListingAfter: 10 });
    expect(emulator.faults()).toEqual(changed.body);
    const invalid = await client.send('PUT', '/_sim/faults', { json: { throttleRate: 'often' } });
    expect(invalid.status).toBe(400);
    expect((await client.send('PUT', '/_sim/faults', { json: { chaos: 1 } })).status).toBe(400);
    await client.send('PUT', '/_sim/faults', { json: DEFAULT_FAULTS });
    expect(emulator.faults()).toEqual(DEFAULT_FAULTS);
  });

  it('reads and resets stats', async () => {
    await client.graph('GET', '/v1.0/deviceManagement/detectedApps');
    const stats = (await client.send('GET', '/_sim/stats')).body as EmulatorStats;
    expect(stats.requests['GET /v1.0/deviceManagement/detectedApps']).toEqual({ '200': 1 });
    expect(stats.tokensIssued).toBe(1);
    expect((await client.send('POST', '/_sim/stats/reset')).status).toBe(204);
    expect(emulator.stats().totalRequests).toBe(0);
  });

  it('adds, modifies and removes devices', async () => {
    const user = [...emulator.tenant.users()][2];
    const created = await client.send('POST', '/_sim/devices', {
      json: {
        deviceName: 'CONTOSO-LOANER',
        operatingSystem: 'Windows',
        userId: user?.id,
        complianceState: 'noncompliant',
      },
    });
    expect(created.status).toBe(201);
    const device = created.body as ManagedDevice;
    expect(device).toMatchObject({
      deviceName: 'CONTOSO-LOANER',
      userPrincipalName: user?.userPrincipalName,
      complianceState: 'noncompliant',
    });
    expect(emulator.tenant.deviceCount).toBe(81);
    const patched = await client.send('PATCH', `/_sim/devices/${device.id}`, {
      json: { isEncrypted: false, jailBroken: 'True' },
    });
    expect(patched.body).toMatchObject({ id: device.id, isEncrypted: false, jailBroken: 'True' });
    const graph = await client.graph(
      'GET',
      `/v1.0/deviceManagement/managedDevices/${device.id}?$select=isEncrypted,deviceName`,
    );
    expect(graph.body).toMatchObject({ isEncrypted: false, deviceName: 'CONTOSO-LOANER' });
    expect(
      (await client.send('PATCH', `/_sim/devices/${device.id}`, { json: { complianceState: 'bad' } })).status,
    ).toBe(400);
    expect((await client.send('PATCH', `/_sim/devices/${device.id}`, { json: { isEncryptd: true } })).status).toBe(400);
    expect((await client.send('DELETE', `/_sim/devices/${device.id}`)).status).toBe(204);
    expectGraphError(
      await client.graph('GET', `/v1.0/deviceManagement/managedDevices/${device.id}`),
      404,
      'ResourceNotFound',
    );
    expect((await client.send('DELETE', `/_sim/devices/${device.id}`)).status).toBe(404);
  });

  it('adds and removes detected apps on a device, keeping deviceCount consistent', async () => {
    const device = [...emulator.tenant.devices()][0] as ManagedDevice;
    const added = await client.send('POST', `/_sim/devices/${device.id}/detectedApps`, {
      json: {
        displayName: 'com.whatsapp',
        platform: 'androidWorkProfile',
        version: '9.9.9',
        publisher: 'WhatsApp LLC',
      },
    });
    expect(added.status).toBe(201);
    const app = added.body as DetectedApp;
    expect(app).toMatchObject({ displayName: 'com.whatsapp', platform: 'androidWorkProfile', deviceCount: 1 });
    const holders = await client.graph(
      'GET',
      `/v1.0/deviceManagement/detectedApps/${app.id}/managedDevices?$select=id`,
    );
    expect((holders.body as { value: { id: string }[] }).value.map((d) => d.id)).toEqual([device.id]);
    const listed = await client.send('GET', `/_sim/devices/${device.id}/detectedApps`);
    expect((listed.body as { value: DetectedApp[] }).value.map((a) => a.id)).toContain(app.id);
    expect((await client.send('DELETE', `/_sim/devices/${device.id}/detectedApps/${app.id}`)).status).toBe(204);
    expectGraphError(
      await client.graph('GET', `/v1.0/deviceManagement/detectedApps/${app.id}`),
      404,
      'ResourceNotFound',
    );
    const existing = emulator.tenant.appsOfDevice(device.id)[0] as DetectedApp;
    await client.send('DELETE', `/_sim/devices/${device.id}/detectedApps/${existing.id}`);
    expect(emulator.tenant.getDetectedApp(existing.id)?.deviceCount ?? 0).toBe(existing.deviceCount - 1);
    await client.send('POST', `/_sim/devices/${device.id}/detectedApps`, { json: { id: existing.id } });
    expect(emulator.tenant.getDetectedApp(existing.id)?.deviceCount).toBe(existing.deviceCount);
  });

  it('disables, enables and deletes users', async () => {
    const user = [...emulator.tenant.users()].find((u) => u.accountEnabled);
    expect((await client.send('POST', `/_sim/users/${user?.id}/disable`)).status).toBe(204);
    expect(emulator.tenant.getUser(user?.id as string)?.accountEnabled).toBe(false);
    await client.send('POST', `/_sim/users/${user?.id}/enable`);
    expect(emulator.tenant.getUser(user?.id as string)?.accountEnabled).toBe(true);
    expect((await client.send('DELETE', `/_sim/users/${user?.id}`)).status).toBe(204);
    expect(emulator.tenant.getUser(user?.id as string)).toBeUndefined();
    expect((await client.send('POST', `/_sim/users/${user?.id}/disable`)).status).toBe(404);
  });
});
