// Offboarding through the API and the worker against the emulated tenant: a person's devices are retired across
// connections; an active user's offboarding waits for a second admin; a user the directory says left, under a
// policy that retires departed users' devices, is offboarded by the directory sync itself, without approval, and
// each retire reaches the emulator once and is confirmed.
import { actionCount, emulatorConnection, type GraphEmulator } from '../../src/sim/graph';
import { startEmulator } from '../sim/graph/helpers';
import { startTestApi, type TestApi } from '../support/api';

interface OffboardingBody {
  user: string;
  automatic: string | null;
  remaining: number;
  action: { id: string; status: string; approvalsRequired: number; devices: Array<{ state: string }> } | null;
}

describe('offboarding', () => {
  let emulator: GraphEmulator;
  let api: TestApi;
  let connectionId: string;

  const waitFor = async (what: string, check: () => Promise<boolean>, seconds = 40) => {
    const deadline = Date.now() + seconds * 1000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  const jobsDone = async (name: string) =>
    Number(
      (await api.db.knex('job_runs').where({ job_name: name }).whereNot({ outcome: 'running' }).count({ n: '*' }))[0]!
        .n,
    );

  /** Users (directory id -> principal name) holding devices in the emulator, by whether they are still enabled. */
  function usersWithDevices(active: boolean): Array<{ id: string; upn: string; devices: string[] }> {
    const users = new Map<string, { id: string; upn: string; devices: string[] }>();
    for (let ordinal = 0; ordinal < emulator.tenant.deviceCount; ordinal++) {
      const device = emulator.tenant.deviceAt(ordinal);
      if (!device.userId) continue;
      const user = emulator.tenant.getUser(device.userId);
      const isActive = user?.accountEnabled === true;
      if (isActive !== active) continue;
      const entry = users.get(device.userId) ?? { id: device.userId, upn: device.userPrincipalName ?? '', devices: [] };
      entry.devices.push(device.id);
      users.set(device.userId, entry);
    }
    return [...users.values()];
  }

  beforeAll(async () => {
    emulator = await startEmulator({ devices: 60, seed: 9, actionLatencyMs: 200 });
    api = await startTestApi({
      worker: true,
      config: {
        extraCaPem: emulator.caPem,
        actions: {
          cancelWindowSeconds: 0,
          destructivePerRequest: 10,
          destructivePerHour: 1000,
          fleetSharePercent: 50,
          approvalHours: 24,
          leaseSeconds: 300,
        },
      },
    });
    connectionId = (
      await api.request<{ id: string }>('POST', '/v1/connections', {
        body: { name: 'contoso', ...emulatorConnection(emulator) },
      })
    ).body.id;
    const before = await jobsDone('connection-sync');
    await api.request('POST', `/v1/connections/${connectionId}/sync`);
    await waitFor('the inventory sync', async () => (await jobsDone('connection-sync')) > before);
  }, 90_000);
  afterAll(async () => {
    await api?.close();
    await emulator?.stop();
  });

  it("retires an active user's devices only after a second admin approves", async () => {
    const [user] = usersWithDevices(true);
    const asked = await api.request<OffboardingBody>('POST', '/v1/offboarding', {
      body: { user: user!.upn, reason: 'last day', idempotencyKey: `offboard-${user!.id}` },
    });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({ automatic: null, remaining: user!.devices.length });
    expect(asked.body.action).toMatchObject({ status: 'awaiting-approval', approvalsRequired: 1 });
    const second = await api.tokenFor('admin', 'second-admin');
    await api.request('POST', `/v1/actions/${asked.body.action!.id}/approve`, { token: second });
    await waitFor('the retires to be confirmed', async () => {
      const action = (await api.request<{ status: string }>('GET', `/v1/actions/${asked.body.action!.id}`)).body;
      return action.status === 'done';
    });
    for (const device of user!.devices) expect(actionCount(emulator.stats(), device, 'retire')).toBe(1);
    const again = await api.request<OffboardingBody>('POST', '/v1/offboarding', {
      body: { user: user!.upn, reason: 'last day', idempotencyKey: `offboard-${user!.id}` },
    });
    expect(again).toMatchObject({ status: 200, body: { remaining: 0, action: { status: 'done' } } });
  }, 60_000);

  it('answers a user holding no device with nothing to do', async () => {
    const none = await api.request<OffboardingBody>('POST', '/v1/offboarding', {
      body: { user: 'nobody@contoso.example', reason: 'never enrolled', idempotencyKey: 'offboard-nobody' },
    });
    expect(none).toMatchObject({ status: 200, body: { action: null, remaining: 0 } });
  });

  it('offboards departed users by itself after a directory sync, when a policy says so', async () => {
    const saved = await api.request('PUT', '/v1/policies/leavers', {
      body: {
        reason: 'retire the devices of people who leave',
        policy: {
          name: 'leavers',
          targets: { connections: ['all'], platforms: ['android', 'ios', 'windows', 'macos'] },
          controls: { staleCheckIn: { mode: 'report', days: 30 } },
          remediation: { graceHours: 0, steps: ['retire'] },
        },
      },
    });
    expect(saved.status).toBe(201);
    const departed = usersWithDevices(false);
    expect(departed.length).toBeGreaterThan(0);
    const before = await jobsDone('directory-sync');
    await api.request('POST', `/v1/connections/${connectionId}/sync`, { body: { scope: 'directory' } });
    await waitFor('the directory sync', async () => (await jobsDone('directory-sync')) > before);
    const devices = departed.flatMap((u) => u.devices);
    await waitFor("every departed user's retire at the emulator", async () =>
      devices.every((id) => actionCount(emulator.stats(), id, 'retire') === 1),
    );
    const requests = await api.db
      .knex('audit_events')
      .where({ action: 'action.request' })
      .where({ actor_type: 'system' });
    expect(requests).toHaveLength(departed.length);
    const actions = await api.db.knex('actions').where({ approvals_required: 0, kind: 'retire' }).count({ n: '*' });
    expect(Number(actions[0]!.n)).toBe(departed.length);
    // A second directory sync offboards no one twice.
    const next = await jobsDone('directory-sync');
    await api.request('POST', `/v1/connections/${connectionId}/sync`, { body: { scope: 'directory' } });
    await waitFor('the second directory sync', async () => (await jobsDone('directory-sync')) > next);
    for (const id of devices) expect(actionCount(emulator.stats(), id, 'retire')).toBe(1);
  }, 90_000);
});
