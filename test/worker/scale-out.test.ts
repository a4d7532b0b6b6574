// Scale-out on one PostgreSQL: two `warden serve --no-worker` processes and two `warden worker` processes, as a
// deployment runs them. Requests go to either API; recurring jobs run once per period whichever worker takes
// them; each device action reaches the MDM exactly once though both workers dispatch; and the syncs of two
// connections proceed at the same time.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { actionCount, emulatorConnection, type GraphEmulator } from '../../src/sim/graph';
import { startEmulator } from '../sim/graph/helpers';
import { callWarden, childEnv, type ServingWarden, serveWarden, stopChild, WARDEN_BIN } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { waitFor } from '../support/wait';

const LOCKS = 12;

describe('two API processes and two workers on one PostgreSQL', () => {
  let db: TestDatabase;
  let tenants: GraphEmulator[];
  const apis: ServingWarden[] = [];
  const workers: ChildProcess[] = [];
  const token = `wdn_scale_${randomBytes(24).toString('hex')}`;
  let env: Record<string, string>;

  const call = <T>(api: number, method: string, route: string, body?: unknown) =>
    callWarden<T>(apis[api]!.url, token, method, route, body);
  const until = (what: string, check: () => Promise<boolean>, ms = 60_000) => waitFor(what, check, ms);

  beforeAll(async () => {
    db = await createTestDatabase();
    // Each Graph answer takes 150 ms, so a sync lasts long enough to overlap with the other tenant's.
    tenants = await Promise.all([
      startEmulator({ devices: 600, seed: 31, faults: { latencyMs: 150 } }),
      startEmulator({ devices: 600, seed: 32, faults: { latencyMs: 150 } }),
    ]);
    env = {
      DATABASE_URL: db.url,
      WARDEN_BOOTSTRAP_TOKEN: token,
      WARDEN_SECRET_KEY: randomBytes(32).toString('hex'),
      WARDEN_EXTRA_CA_FILE: tenants[0]!.caPath,
      WARDEN_ACTION_CANCEL_WINDOW_SECONDS: '0',
      LOG_LEVEL: 'warn',
    };
    // Both start at once, as a deployment's do. Each one that started is kept for afterAll to stop, even if the
    // other failed (a process left running would outlive the suite).
    const started = await Promise.allSettled([serveWarden(env, ['--no-worker']), serveWarden(env, ['--no-worker'])]);
    for (const result of started) if (result.status === 'fulfilled') apis.push(result.value);
    for (const result of started) if (result.status === 'rejected') throw result.reason;
    for (let i = 0; i < 2; i++) {
      const child = spawn(process.execPath, [WARDEN_BIN, 'worker'], {
        env: childEnv(env),
        stdio: ['ignore', 'ignore', 'ignore'],
      });
      workers.push(child);
    }
  }, 90_000);
  afterAll(async () => {
    // SIGTERM, then SIGKILL after 10 s: a process that hangs in its shutdown must not outlive the suite.
    await Promise.all(workers.map((worker) => stopChild(worker)));
    await Promise.all(apis.map((api) => stopChild(api.child)));
    await Promise.all((tenants ?? []).map((t) => t.stop()));
    await db?.drop();
  }, 60_000);

  it('syncs two connections at the same time, whichever API was asked', async () => {
    const ids: string[] = [];
    for (const [index, tenant] of tenants.entries()) {
      const created = await call<{ id: string }>(index, 'POST', '/v1/connections', {
        name: `tenant-${index}`,
        ...emulatorConnection(tenant),
      });
      expect(created.status).toBe(201);
      ids.push(created.body.id);
    }
    // Each sync asked of the other API than the one that created the connection.
    for (const [index, id] of ids.entries())
      expect((await call(1 - index, 'POST', `/v1/connections/${id}/sync`)).status).toBe(202);
    await until('both syncs', async () => {
      const done = await db.knex('sync_runs').whereIn('connection_id', ids).where({ outcome: 'succeeded' });
      return done.length === 2;
    });
    const runs: Array<{ started_at: Date; finished_at: Date }> = await db
      .knex('sync_runs')
      .whereIn('connection_id', ids)
      .select('started_at', 'finished_at');
    const [a, b] = runs as [(typeof runs)[0], (typeof runs)[0]];
    // The two runs overlap in time.
    expect(a.started_at < b.finished_at && b.started_at < a.finished_at).toBe(true);
    for (const [index, id] of ids.entries()) {
      const devices = await db.knex('devices').where({ connection_id: id }).whereNull('gone_at').count({ n: '*' });
      expect(Number(devices[0]!.n)).toBe(tenants[index]!.tenant.deviceCount);
    }
    // Both APIs answer from the same database.
    const seen = await Promise.all([0, 1].map((api) => call<{ items: unknown[] }>(api, 'GET', '/v1/connections')));
    expect(seen.map((s) => s.body.items.length)).toEqual([2, 2]);
  }, 120_000);

  it('sends each device action to the MDM exactly once though both workers dispatch', async () => {
    const devices: Array<{ id: string; external_id: string; connection_id: string }> = await db
      .knex('devices')
      .orderBy('id')
      .limit(LOCKS)
      .select('id', 'external_id', 'connection_id');
    const asked = await call<{ id: string }>(0, 'POST', '/v1/actions', {
      action: 'lock',
      devices: devices.map((d) => d.id),
      reason: 'scale-out test',
      idempotencyKey: 'scale-out-locks',
    });
    expect(asked.status).toBe(201);
    // The same request again, through the other API: the idempotency key makes it the same request.
    const again = await call<{ id: string }>(1, 'POST', '/v1/actions', {
      action: 'lock',
      devices: devices.map((d) => d.id),
      reason: 'scale-out test',
      idempotencyKey: 'scale-out-locks',
    });
    expect(again.body.id).toBe(asked.body.id);
    await until('every lock sent', async () => {
      const sent = await db.knex('device_actions').whereIn('state', ['sent', 'confirmed']);
      return sent.length === LOCKS;
    });
    for (const device of devices) {
      const calls = tenants.reduce((sum, t) => sum + actionCount(t.stats(), device.external_id, 'remoteLock'), 0);
      expect([device.external_id, calls]).toEqual([device.external_id, 1]);
    }
    const sent = await db.knex('audit_events').where({ action: 'action.sent' }).count({ n: '*' });
    expect(Number(sent[0]!.n)).toBe(LOCKS);
  }, 120_000);

  it('runs a recurring job once per period, whichever worker takes it', async () => {
    // webhook-deliver is due every 10 seconds: over 25 seconds two workers must not run it more than once a period.
    const since = new Date();
    await new Promise((resolve) => setTimeout(resolve, 25_000));
    const runs: Array<{ started_at: Date; worker: string | null }> = await db
      .knex('job_runs')
      .where({ job_name: 'webhook-deliver' })
      .where('started_at', '>=', since)
      .orderBy('started_at')
      .select('started_at', 'worker');
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.length).toBeLessThanOrEqual(3);
    for (let i = 1; i < runs.length; i++)
      expect(runs[i]!.started_at.getTime() - runs[i - 1]!.started_at.getTime()).toBeGreaterThan(8_000);
  }, 60_000);
});
