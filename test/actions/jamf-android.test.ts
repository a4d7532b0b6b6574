// Remote actions on Jamf Pro and Android Management devices, through the API and the worker against the
// emulators over HTTPS: a retire of each kind is requested, approved by a second admin, sent once after its
// cancel window and confirmed from the MDM's record (Jamf: the record turns unmanaged; Android: the device is
// deleted, only its work profile removed), and the next sync marks the device gone. What Android refuses (a
// wipe of a personal phone, a retire of a company-owned one, a sync) ends as a failed device action saying why,
// with nothing sent. A Jamf lock stays sent until the device acknowledges it.
import {
  type AndroidEmulator,
  androidEmulatorConnection,
  deviceCallCount,
  startAndroidEmulator,
} from '../../src/sim/android';
import { type JamfEmulator, jamfEmulatorConnection, startJamfEmulator } from '../../src/sim/jamf';
import { REFERENCE_TIME, TEST_PKI_DIR } from '../sim/graph/helpers';
import { startTestApi, type TestApi } from '../support/api';

interface ActionBody {
  id: string;
  status: string;
  approvalsRequired: number;
  devices: Array<{ deviceId: string; state: string; attempts: number; error: string | null }>;
}

describe('remote actions on Jamf Pro and Android devices', () => {
  let jamf: JamfEmulator;
  let android: AndroidEmulator;
  let api: TestApi;
  let secondAdmin: string;
  const connections: Record<'jamf' | 'android', string> = { jamf: '', android: '' };
  let key = 0;

  const get = async (id: string) => (await api.request<ActionBody>('GET', `/v1/actions/${id}`)).body;

  async function until<T>(what: string, probe: () => Promise<T | undefined | false>, seconds = 40): Promise<T> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  async function syncNow(connectionId: string) {
    const runs = () => api.db.knex('sync_runs').where({ connection_id: connectionId }).whereNot({ outcome: 'running' });
    const before = (await runs()).length;
    expect((await api.request('POST', `/v1/connections/${connectionId}/sync`)).status).toBe(202);
    return until('the sync', async () => {
      const done = await runs().orderBy('id', 'desc');
      return done.length > before ? done[0] : undefined;
    });
  }

  /** Warden's id of the device an MDM knows as externalId. */
  const wardenId = async (connectionId: string, externalId: string): Promise<string> =>
    (await api.db.knex('devices').where({ connection_id: connectionId, external_id: externalId }).first('id')).id;

  /** Asks for an action and, when it needs one, approves it as a second admin. */
  async function requestApproved(action: string, deviceId: string): Promise<ActionBody> {
    const asked = await api.request<ActionBody>('POST', '/v1/actions', {
      body: { action, devices: [deviceId], reason: 'test', idempotencyKey: `jamf-android-${++key}` },
    });
    expect(asked.status).toBe(201);
    if (asked.body.approvalsRequired === 0) return asked.body;
    expect(asked.body).toMatchObject({ status: 'awaiting-approval', devices: [{ state: 'requested' }] });
    const approved = await api.request<ActionBody>('POST', `/v1/actions/${asked.body.id}/approve`, {
      token: secondAdmin,
    });
    expect(approved.body).toMatchObject({ status: 'scheduled', devices: [{ state: 'scheduled' }] });
    return approved.body;
  }

  const ended = (id: string) =>
    until(`action ${id} to end`, async () => {
      const action = await get(id);
      return ['done', 'failed'].includes(action.status) ? action : undefined;
    });

  /** The audit trail of one action, oldest first. */
  const trail = async (actionId: string) =>
    (await api.db.knex('audit_events').where({ target_id: actionId }).orderBy('seq')).map(
      (e: { action: string; outcome: string }) => `${e.action}:${e.outcome}`,
    );

  beforeAll(async () => {
    [jamf, android] = await Promise.all([
      startJamfEmulator({
        pkiDir: TEST_PKI_DIR,
        referenceTime: REFERENCE_TIME,
        mobileDevices: 40,
        computers: 4,
        seed: 31,
        commandLatencyMs: null,
      }),
      startAndroidEmulator({ pkiDir: TEST_PKI_DIR, referenceTime: REFERENCE_TIME, devices: 60, seed: 32 }),
    ]);
    api = await startTestApi({
      worker: true,
      config: {
        extraCaPem: jamf.caPem,
        actions: {
          cancelWindowSeconds: 1,
          destructivePerRequest: 5,
          destructivePerHour: 20,
          fleetSharePercent: 10,
          approvalHours: 24,
          leaseSeconds: 300,
        },
      },
    });
    secondAdmin = await api.tokenFor('admin', 'second-admin');
    for (const [kind, body] of [
      ['jamf', { name: 'acme-jamf', ...jamfEmulatorConnection(jamf) }],
      ['android', { name: 'acme-android', ...androidEmulatorConnection(android) }],
    ] as const) {
      const created = await api.request<{ id: string }>('POST', '/v1/connections', { body });
      connections[kind] = created.body.id;
    }
    const synced = await Promise.all([syncNow(connections.jamf), syncNow(connections.android)]);
    expect(synced.map((run) => run.outcome)).toEqual(['succeeded', 'succeeded']);
  }, 90_000);
  afterAll(async () => {
    await api?.close();
    await jamf?.stop();
    await android?.stop();
  });

  it('retires a Jamf device (unmanaged) and an Android work profile: sent once, confirmed, then gone', async () => {
    const jamfDevice = jamf.fleet.mobileDevices.find((d) => d.managed)!;
    const androidDevice = android.enterprise
      .listed()
      .find((d) => d.state === 'ACTIVE' && d.ownership === 'PERSONALLY_OWNED' && d.managementMode === 'PROFILE_OWNER')!;
    const targets = [
      { connectionId: connections.jamf, externalId: `mobile:${jamfDevice.id}` },
      { connectionId: connections.android, externalId: androidDevice.id },
    ];
    const actions = await Promise.all(
      targets.map(async (t) => requestApproved('retire', await wardenId(t.connectionId, t.externalId))),
    );
    const done = await Promise.all(actions.map((a) => ended(a.id)));
    for (const action of done) {
      expect(action.status).toBe('done');
      expect(action.devices).toEqual([expect.objectContaining({ state: 'confirmed', attempts: 1, error: null })]);
      expect(await trail(action.id)).toEqual([
        'action.request:success',
        'action.approve:success',
        'action.sent:success',
        'action.confirm:success',
      ]);
    }
    // Exactly one call reached each MDM, and did what a retire means there.
    expect(jamf.stats().unmanaged).toEqual({ [`mobile:${jamfDevice.id}`]: 1 });
    expect(jamf.fleet.mobileDevice(jamfDevice.id)!.managed).toBe(false);
    expect(deviceCallCount(android.stats(), androidDevice.id, 'delete')).toBe(1);
    expect(android.enterprise.deleteEffect(androidDevice.id)).toBe('work-profile-removed');

    // The next complete sync of each connection no longer finds the retired device.
    const syncs = await Promise.all([syncNow(connections.jamf), syncNow(connections.android)]);
    for (const [i, run] of syncs.entries()) {
      expect(run).toMatchObject({ outcome: 'succeeded', counts: expect.objectContaining({ gone: 1 }) });
      const device = await api.db
        .knex('devices')
        .where({ connection_id: targets[i]!.connectionId, external_id: targets[i]!.externalId })
        .first();
      expect(device.gone_at).not.toBeNull();
    }
  }, 60_000);

  it('fails, saying why and sending nothing, what Android refuses: wipe of a personal phone, retire of a company one, sync', async () => {
    const active = android.enterprise.listed().filter((d) => d.state === 'ACTIVE');
    const personal = active.find((d) => d.ownership === 'PERSONALLY_OWNED')!;
    const company = active.find((d) => d.ownership === 'COMPANY_OWNED')!;
    const cases = [
      { action: 'wipe', device: personal, error: /^invalid: refusing to wipe .*not company-owned/ },
      { action: 'retire', device: company, error: /^invalid: refusing to retire .*factory-reset/ },
      { action: 'sync', device: company, error: /^invalid: the Android Management API has no sync command/ },
    ];
    for (const c of cases) {
      const asked = await requestApproved(c.action, await wardenId(connections.android, c.device.id));
      const action = await ended(asked.id);
      expect(action.status).toBe('failed');
      expect(action.devices).toEqual([expect.objectContaining({ state: 'failed', attempts: 1 })]);
      expect(action.devices[0]!.error).toMatch(c.error);
      expect((await trail(asked.id)).at(-1)).toBe('action.send:failure');
    }
    expect(deviceCallCount(android.stats(), personal.id, 'delete')).toBe(0);
    expect(deviceCallCount(android.stats(), company.id, 'delete')).toBe(0);
    expect(android.enterprise.device(personal.id)).toBeDefined();
    expect(android.enterprise.device(company.id)).toBeDefined();
  }, 60_000);

  it('keeps a Jamf lock sent until the device acknowledges it, then confirms it', async () => {
    const device = jamf.fleet.mobileDevices.filter((d) => d.managed)[3]!;
    const asked = await requestApproved('lock', await wardenId(connections.jamf, `mobile:${device.id}`));
    await until('the lock to be sent', async () => (await get(asked.id)).devices[0]!.state === 'sent');
    await api.scheduler.runNow('action-confirm');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await get(asked.id)).devices[0]!.state).toBe('sent');
    expect(jamf.stats().commands[`${device.managementId}:DEVICE_LOCK`]).toBe(1);

    expect(jamf.completePendingCommands()).toBeGreaterThanOrEqual(1);
    await api.scheduler.runNow('action-confirm');
    const done = await ended(asked.id);
    expect(done.devices[0]).toMatchObject({ state: 'confirmed', attempts: 1 });
    expect(jamf.stats().commands[`${device.managementId}:DEVICE_LOCK`]).toBe(1);
  }, 60_000);
});
