// PostgreSQL restarted under a running Warden (issue 8). On a throwaway cluster of its own (the suite's shared
// PostgreSQL is never touched), with the real processes of a deployment (`warden serve --no-worker` and
// `warden worker`) and the Graph emulator, this file proves that, without restarting any Warden process:
// 1. /readyz answers 200 with the database up, a 503 problem while PostgreSQL is stopped, and 200 again once it is
//    started; /healthz answers 200 throughout.
// 2. A sync interrupted by the restart ends failed (or is retried), marks nothing gone, and the sync after the
//    restart stores exactly the emulator's devices (same ids, no duplicates).
// 3. Device actions being dispatched when PostgreSQL restarts each reach the emulator exactly once and all end
//    sent or confirmed: the worker's jobs resume after the restart.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { actionCount, emulatorConnection, type GraphEmulator } from '../../src/sim/graph';
import { startEmulator } from '../sim/graph/helpers';
import {
  callWarden,
  type RunningWorker,
  type ServingWarden,
  serveWarden,
  spawnWorker,
  stopChild,
} from '../support/cli';
import { type PrivatePostgres, privatePostgresUnavailable, startPrivatePostgres } from '../support/private-postgres';
import { sleep, waitFor } from '../support/wait';

const DEVICES = 2000;
const LOCKS = 16;
const unavailable = privatePostgresUnavailable();
if (unavailable) console.warn(`postgres-restart tests skipped: ${unavailable}`);
const describeIfPostgres = unavailable ? describe.skip : describe;

describeIfPostgres('PostgreSQL restarted under a running Warden', () => {
  let db: PrivatePostgres;
  let tenant: GraphEmulator;
  let api: ServingWarden;
  let workerProcess: RunningWorker;
  let worker: ChildProcess;
  let connectionId: string;
  const token = `wdn_pgrestart_${randomBytes(24).toString('hex')}`;

  /** One query on a fresh connection (a pool would hold connections the restart kills). */
  const query = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> => {
    const client = new pg.Client({ connectionString: db.url });
    client.on('error', () => {});
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end().catch(() => {});
    }
  };
  const call = <T>(method: string, route: string, body?: unknown) => callWarden<T>(api.url, token, method, route, body);
  const until = (what: string, check: () => Promise<boolean>, ms = 30_000) =>
    waitFor(
      what,
      check,
      ms,
      () => `API output:\n${api.output().slice(-3000)}\nworker output:\n${workerProcess.output().slice(-3000)}`,
    );
  /** `pg_ctl stop -m fast`, a pause with the database down, then `pg_ctl start`. */
  const restartPostgres = async (downMs: number, whileDown?: () => Promise<void>) => {
    db.stop();
    await whileDown?.();
    await sleep(downMs);
    db.start();
  };

  beforeAll(async () => {
    db = await startPrivatePostgres();
    tenant = await startEmulator({ devices: DEVICES, seed: 81 });
    const env = {
      DATABASE_URL: db.url,
      WARDEN_BOOTSTRAP_TOKEN: token,
      WARDEN_SECRET_KEY: randomBytes(32).toString('hex'),
      WARDEN_EXTRA_CA_FILE: tenant.caPath,
      WARDEN_RATE_LIMIT_PER_MINUTE: '0',
      WARDEN_ACTION_CANCEL_WINDOW_SECONDS: '0',
      // A send cut off by the restart is retried (after asking the MDM) once its lease runs out.
      WARDEN_ACTION_LEASE_SECONDS: '3',
      LOG_LEVEL: 'warn',
    };
    api = await serveWarden(env, ['--no-worker']);
    workerProcess = spawnWorker(env);
    worker = workerProcess.child;
    const created = await call<{ id: string }>('POST', '/v1/connections', {
      name: 'pg-restart',
      ...emulatorConnection(tenant),
    });
    expect(created.status).toBe(201);
    connectionId = created.body.id;
    // The worker is up once it has scheduled its recurring jobs (it migrates first, like serve).
    await until('the worker to schedule its recurring jobs', async () => {
      const rows = await query("select 1 from agenda_jobs where name = 'webhook-deliver'");
      return rows.length > 0 && worker.exitCode === null;
    });
  }, 60_000);

  afterAll(async () => {
    if (worker) await stopChild(worker);
    if (api) await stopChild(api.child);
    await tenant?.stop();
    db?.destroy();
  }, 60_000);

  it('/readyz goes 503 while PostgreSQL is down and 200 once it is back; /healthz stays 200', async () => {
    const ready = await call<{ status: string }>('GET', '/readyz');
    expect([ready.status, ready.body.status]).toEqual([200, 'ready']);
    expect((await call('GET', '/healthz')).status).toBe(200);

    await restartPostgres(0, async () => {
      let down: Awaited<ReturnType<typeof call<{ status: number; checks: { database: string } }>>> | undefined;
      await until('/readyz to answer 503 with the database stopped', async () => {
        down = await call('GET', '/readyz');
        return down.status === 503;
      });
      expect(down!.contentType).toContain('application/problem+json');
      expect(down!.body.status).toBe(503);
      expect(down!.body.checks.database).toBe('unreachable');
      expect((await call('GET', '/healthz')).status).toBe(200);
    });

    await until('/readyz to answer 200 after PostgreSQL started again', async () => {
      const again = await call<{ status: string }>('GET', '/readyz');
      return again.status === 200 && again.body.status === 'ready';
    });
    expect((await call('GET', '/healthz')).status).toBe(200);
    expect(api.child.exitCode).toBeNull();
    expect(worker.exitCode).toBeNull();
  }, 60_000);

  it('a sync cut by the restart marks nothing gone, and the next sync stores exactly the tenant', async () => {
    // Each Graph answer takes 100 ms, so the sync lasts long enough to be caught in the middle.
    tenant.setFaults({ latencyMs: 100 });
    expect((await call('POST', `/v1/connections/${connectionId}/sync`)).status).toBe(202);
    await until('the sync to start writing devices', async () => {
      const [row] = await query<{ n: number }>('select count(*)::int as n from devices where connection_id = $1', [
        connectionId,
      ]);
      return row!.n > 0;
    });
    const [firstRun] = await query<{ id: number; outcome: string }>(
      'select id, outcome from sync_runs where connection_id = $1 order by id limit 1',
      [connectionId],
    );
    expect(firstRun!.outcome).toBe('running');
    await restartPostgres(1000);
    tenant.setFaults({ latencyMs: 0 });

    // The cut run is closed (failed), or the sync is retried; either way none stays running.
    await until('the interrupted sync run to end', async () => {
      const running = await query('select 1 from sync_runs where connection_id = $1 and outcome = $2', [
        connectionId,
        'running',
      ]);
      return running.length === 0;
    });
    // The restart did cut the run, which was closed as failed once the database answered again.
    const [cut] = await query<{ outcome: string; error: string }>(
      'select outcome, error from sync_runs where id = $1',
      [firstRun!.id],
    );
    expect(cut!.outcome).toBe('failed');
    const [gone] = await query<{ n: number }>('select count(*)::int as n from devices where gone_at is not null');
    expect(gone!.n).toBe(0);

    expect((await call('POST', `/v1/connections/${connectionId}/sync`)).status).toBe(202);
    await until('a sync after the restart to succeed', async () => {
      const rows = await query('select 1 from sync_runs where connection_id = $1 and id > $2 and outcome = $3', [
        connectionId,
        firstRun!.id,
        'succeeded',
      ]);
      return rows.length > 0;
    });
    const stored = await query<{ external_id: string }>(
      'select external_id from devices where connection_id = $1 and gone_at is null',
      [connectionId],
    );
    const [totals] = await query<{ all: number; distinct: number; gone: number }>(
      `select count(*)::int as all, count(distinct external_id)::int as distinct,
              count(*) filter (where gone_at is not null)::int as gone
         from devices where connection_id = $1`,
      [connectionId],
    );
    const expected = [...tenant.tenant.devices()].map((d) => d.id).sort();
    expect(expected).toHaveLength(tenant.tenant.deviceCount);
    expect(stored.map((d) => d.external_id).sort()).toEqual(expected);
    expect(totals).toEqual({ all: tenant.tenant.deviceCount, distinct: tenant.tenant.deviceCount, gone: 0 });
  }, 60_000);

  it('device actions dispatched across the restart each reach the MDM exactly once', async () => {
    const devices = await query<{ id: string; external_id: string }>(
      'select id, external_id from devices where connection_id = $1 order by id limit $2',
      [connectionId, LOCKS],
    );
    expect(devices).toHaveLength(LOCKS);
    // Each Graph answer takes 300 ms, so the dispatch of all locks spans the restart.
    tenant.setFaults({ latencyMs: 300 });
    const asked = await call<{ id: string }>('POST', '/v1/actions', {
      action: 'lock',
      devices: devices.map((d) => d.id),
      reason: 'postgres restart test',
      idempotencyKey: 'pg-restart-locks',
    });
    expect(asked.status).toBe(201);
    await until('the first lock to be sent', async () => {
      const sent = await query("select 1 from device_actions where state in ('sent', 'confirmed')");
      return sent.length > 0;
    });
    const [before] = await query<{ n: number }>(
      "select count(*)::int as n from device_actions where state in ('sent', 'confirmed')",
    );
    await restartPostgres(1000);
    const restartedAt = new Date();
    tenant.setFaults({ latencyMs: 0 });

    await until(
      'every lock to be sent or confirmed',
      async () => {
        const [row] = await query<{ n: number }>(
          "select count(*)::int as n from device_actions where state in ('sent', 'confirmed')",
        );
        return row!.n === LOCKS;
      },
      45_000,
    );
    // The restart did land in the middle of the dispatch.
    expect(before!.n).toBeLessThan(LOCKS);
    for (const device of devices) {
      expect([device.external_id, actionCount(tenant.stats(), device.external_id, 'remoteLock')]).toEqual([
        device.external_id,
        1,
      ]);
    }
    // The same worker process went on running jobs after the restart.
    const [resumed] = await query<{ n: number }>(
      "select count(*)::int as n from job_runs where job_name = 'action-dispatch' and outcome = 'succeeded' and started_at > $1",
      [restartedAt],
    );
    expect(resumed!.n).toBeGreaterThan(0);
    expect(worker.exitCode).toBeNull();
    expect(api.child.exitCode).toBeNull();
  }, 60_000);
});
