// The directory behind a connection, through the API and the worker against the emulated tenant: after a
// directory sync, exactly the devices whose users the emulator has disabled or deleted carry owner-departed
// findings; a user disabled later shows at the next sync and is resolved when enabled again; a directory that
// cannot be listed marks no one deleted and says why on the connection.
import { emulatorConnection, type GraphEmulator } from '../../src/sim/graph';
import { startEmulator } from '../sim/graph/helpers';
import { startTestApi, type TestApi } from '../support/api';

interface ConnectionBody {
  id: string;
  lastCompleteSync: { finishedAt: string } | null;
  directory: { lastCompleteSyncAt: string | null; lastError: string | null };
}

describe('directory sync and owner-departed findings', () => {
  let emulator: GraphEmulator;
  let api: TestApi;
  let connectionId: string;

  const connection = async () => (await api.request<ConnectionBody>('GET', `/v1/connections/${connectionId}`)).body;

  async function until(what: string, done: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Queues a directory sync through the API and waits for its job run to end. */
  async function syncDirectoryNow(): Promise<{ outcome: string; counts: Record<string, number> }> {
    const runs = () => api.db.knex('job_runs').where({ job_name: 'directory-sync' }).whereNot({ outcome: 'running' });
    const before = (await runs()).length;
    const queued = await api.request<{ scope: string }>('POST', `/v1/connections/${connectionId}/sync`, {
      body: { scope: 'directory' },
    });
    expect(queued).toMatchObject({ status: 202, body: { scope: 'directory' } });
    await until('the directory sync', async () => (await runs()).length > before);
    return (await runs().orderBy('id', 'desc').first()) as { outcome: string; counts: Record<string, number> };
  }

  /** Device ids (the MDM's) whose owner the emulator holds as disabled or deleted. */
  function departedInEmulator(): Map<string, string> {
    const departed = new Map<string, string>();
    for (let ordinal = 0; ordinal < emulator.tenant.deviceCount; ordinal++) {
      const device = emulator.tenant.deviceAt(ordinal);
      if (!device.userId) continue;
      const user = emulator.tenant.getUser(device.userId);
      if (!user) departed.set(device.id, 'deleted');
      else if (!user.accountEnabled) departed.set(device.id, 'disabled');
    }
    return departed;
  }

  async function departedFindings(): Promise<Map<string, string>> {
    const rows = await api.db
      .knex('findings as f')
      .join('devices as d', 'd.id', 'f.device_id')
      .where({ 'f.rule': 'owner-departed' })
      .whereNull('f.resolved_at')
      .select('d.external_id', 'f.evidence');
    return new Map(
      rows.map((r: { external_id: string; evidence: { state: string } }) => [r.external_id, r.evidence.state]),
    );
  }

  beforeAll(async () => {
    emulator = await startEmulator({ devices: 400, seed: 21 });
    api = await startTestApi({ worker: true, config: { extraCaPem: emulator.caPem } });
    const created = await api.request<ConnectionBody>('POST', '/v1/connections', {
      body: { name: 'contoso', ...emulatorConnection(emulator) },
    });
    connectionId = created.body.id;
    await api.request('POST', `/v1/connections/${connectionId}/sync`);
    await until('the inventory sync', async () => (await connection()).lastCompleteSync !== null);
  }, 90_000);
  afterAll(async () => {
    await api?.close();
    await emulator?.stop();
  });

  it('finds exactly the devices of users the directory holds as disabled or deleted', async () => {
    const expected = departedInEmulator();
    expect(new Set(expected.values())).toEqual(new Set(['disabled', 'deleted']));
    const run = await syncDirectoryNow();
    expect(run.outcome).toBe('succeeded');
    expect((await connection()).directory).toMatchObject({ lastError: null, lastCompleteSyncAt: expect.any(String) });
    expect(await departedFindings()).toEqual(expected);
    const [sample] = (
      await api.request<{ items: Array<{ evidence: Record<string, unknown>; severity: string }> }>(
        'GET',
        '/v1/findings?rule=owner-departed&limit=1',
      )
    ).body.items;
    expect(sample).toMatchObject({
      severity: 'high',
      evidence: { userId: expect.any(String), user: expect.any(String) },
    });
  }, 60_000);

  it('follows a user disabled and enabled again in the directory', async () => {
    const active = emulator.tenant.deviceAt(
      [...Array(emulator.tenant.deviceCount).keys()].find((ordinal) => {
        const device = emulator.tenant.deviceAt(ordinal);
        return device.userId && emulator.tenant.getUser(device.userId)?.accountEnabled;
      })!,
    );
    emulator.tenant.disableUser(active.userId!);
    await syncDirectoryNow();
    expect((await departedFindings()).get(active.id)).toBe('disabled');
    emulator.tenant.enableUser(active.userId!);
    await syncDirectoryNow();
    expect((await departedFindings()).has(active.id)).toBe(false);
    expect(await departedFindings()).toEqual(departedInEmulator());
  }, 60_000);

  it('marks no one deleted when the directory cannot be listed, and says why', async () => {
    const before = await api.db.knex('directory_users').whereNotNull('deleted_at').count({ n: '*' });
    emulator.setFaults({ throttleRate: 1 });
    try {
      const run = await syncDirectoryNow();
      expect(run.outcome).toBe('failed');
    } finally {
      emulator.setFaults({ throttleRate: 0 });
    }
    expect((await connection()).directory.lastError).toMatch(/^throttled: /);
    expect(await api.db.knex('directory_users').whereNotNull('deleted_at').count({ n: '*' })).toEqual(before);
    expect(await departedFindings()).toEqual(departedInEmulator());
  }, 60_000);
});
