// Exactly once under SIGKILL: 50 approved wipes are dispatched by a `warden worker` process that is killed with
// SIGKILL at random moments and started again, against PostgreSQL and an emulated tenant that answers slowly.
// In the end every wipe has reached the emulator exactly once (it counts the calls) and every device action is
// confirmed, with its audit trail.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../src/connections/secret-box';
import { syncConnection } from '../../src/inventory/sync';
import { actionCount, emulatorConnection, type GraphEmulator } from '../../src/sim/graph';
import { startEmulator } from '../sim/graph/helpers';
import { startTestApi, type TestApi } from '../support/api';
import { childEnv, WARDEN_BIN } from '../support/cli';

const WIPES = 50;

describe('wipes dispatched by a worker killed with SIGKILL at random moments', () => {
  let emulator: GraphEmulator;
  let api: TestApi;
  const key = randomBytes(32);
  let worker: ChildProcess | null = null;
  let workerLog = '';

  const startWorker = () => {
    const child = spawn(process.execPath, [WARDEN_BIN, 'worker'], {
      env: childEnv({
        DATABASE_URL: api.db.url,
        WARDEN_SECRET_KEY: key.toString('hex'),
        WARDEN_EXTRA_CA_FILE: emulator.caPath,
        WARDEN_ACTION_LEASE_SECONDS: '1',
        WARDEN_ACTION_CANCEL_WINDOW_SECONDS: '0',
        LOG_LEVEL: 'warn',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk) => {
      workerLog += chunk;
    });
    child.stderr!.on('data', (chunk) => {
      workerLog += chunk;
    });
    worker = child;
    return child;
  };
  const kill = async () => {
    const child = worker;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    worker = null;
  };

  beforeAll(async () => {
    // Each Graph answer takes 40 ms, so a dispatch of 50 wipes (with their status checks) spans several kills.
    emulator = await startEmulator({ devices: 60, seed: 13, actionLatencyMs: 500 });
    api = await startTestApi({
      secretBox: new SecretBox(key),
      config: {
        extraCaPem: emulator.caPem,
        actions: {
          cancelWindowSeconds: 0,
          destructivePerRequest: 10,
          destructivePerHour: 1000,
          fleetSharePercent: 100,
          approvalHours: 24,
          leaseSeconds: 1,
        },
      },
    });
    const connection = await api.request<{ id: string }>('POST', '/v1/connections', {
      body: { name: 'contoso', ...emulatorConnection(emulator) },
    });
    const synced = await syncConnection(
      { knex: api.db.knex, log: api.log, secretBox: api.secretBox, extraCaPem: emulator.caPem },
      { connectionId: connection.body.id, trigger: 'manual', worker: 'test' },
    );
    expect(synced.outcome).toBe('succeeded');
  }, 90_000);
  afterAll(async () => {
    await kill();
    await api?.close();
    await emulator?.stop();
  });

  it('sends each approved wipe exactly once and confirms every one', async () => {
    const devices: Array<{ id: string; external_id: string }> = await api.db
      .knex('devices')
      .orderBy('id')
      .limit(WIPES)
      .select('id', 'external_id');
    expect(devices).toHaveLength(WIPES);
    const approver = await api.tokenFor('admin', 'second-admin');
    // Five requests of ten (the per-request cap), each approved by a second admin; nothing runs them yet.
    for (let i = 0; i < WIPES; i += 10) {
      const asked = await api.request<{ id: string }>('POST', '/v1/actions', {
        body: {
          action: 'wipe',
          devices: devices.slice(i, i + 10).map((d) => d.id),
          reason: 'chaos test',
          idempotencyKey: `chaos-wipes-${i}`,
        },
      });
      expect(asked.status).toBe(201);
      const approved = await api.request('POST', `/v1/actions/${asked.body.id}/approve`, { token: approver });
      expect(approved.status).toBe(200);
    }
    emulator.setFaults({ latencyMs: 40 });

    // Kill the worker at random moments while it dispatches, then let the last one finish.
    let kills = 0;
    for (let round = 0; round < 8; round++) {
      const spawnedAt = new Date();
      startWorker();
      await api.scheduler.runNow('action-dispatch');
      // Once this worker has begun a dispatch run (however long it took to start on a loaded machine), the kill
      // lands somewhere in its dispatching.
      const begun = () =>
        api.db.knex('job_runs').where({ job_name: 'action-dispatch' }).where('started_at', '>=', spawnedAt).first();
      const deadline = Date.now() + 30_000;
      while (!(await begun()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 1200)));
      await kill();
      kills++;
    }
    const sentBeforeLastRun = devices.filter((d) => actionCount(emulator.stats(), d.external_id, 'wipe') > 0).length;
    startWorker();
    const deadline = Date.now() + 90_000;
    for (;;) {
      // Recurring jobs locked by a killed worker wait out their lock lifetime; runs queued now go at once.
      await api.scheduler.runNow('action-dispatch');
      await api.scheduler.runNow('action-confirm');
      const open = await api.db.knex('device_actions').whereNot({ state: 'confirmed' }).count({ n: '*' });
      if (Number(open[0]!.n) === 0) break;
      if (Date.now() > deadline) throw new Error(`not all confirmed:\n${workerLog.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }

    expect(kills).toBe(8);
    expect(sentBeforeLastRun).toBeGreaterThan(0);
    for (const device of devices)
      expect([device.id, actionCount(emulator.stats(), device.external_id, 'wipe')]).toEqual([device.id, 1]);
    const rows = await api.db.knex('device_actions').select('state', 'attempts', 'found_sent');
    expect(rows.every((r: { state: string }) => r.state === 'confirmed')).toBe(true);
    // Kills landed between a claim and its outcome: those device actions were taken over (and the MDM asked).
    expect(rows.some((r: { attempts: number }) => r.attempts > 1)).toBe(true);
    const sentEvents = await api.db.knex('audit_events').where({ action: 'action.sent' }).count({ n: '*' });
    const confirmEvents = await api.db.knex('audit_events').where({ action: 'action.confirm' }).count({ n: '*' });
    expect([Number(sentEvents[0]!.n), Number(confirmEvents[0]!.n)]).toEqual([WIPES, WIPES]);
  }, 240_000);
});
