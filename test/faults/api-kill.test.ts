// The API process killed with SIGKILL mid-request (issue 8). Writers keep a stream of mutations going through a
// real `warden serve --no-worker` process (policy versions saved, locks requested with idempotency keys) while the
// process is killed at random moments and started again; each writer retries a request that got no answer, as a
// client is told to. A `warden worker` beside it dispatches the locks throughout. Afterwards:
// - no answer was a 5xx, and every request ended answered;
// - nothing was lost or duplicated: each policy has exactly its two versions, each idempotency key exactly one
//   action request with one device action, and each of those exactly one creating audit event;
// - the audit chain verifies (a transaction cut by the kill left no half-written link);
// - every lock reached the MDM exactly once (the emulator counts), and /readyz is green on the last process.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
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
import { createTestDatabase, type TestDatabase } from '../support/database';
import { sleep, waitFor } from '../support/wait';

const POLICIES = 60;
const LOCKS = 120;
const WRITERS = 6;
const KILLS = 6;
/** The figures of a run, for bench/RESULTS.md's hardening table. */
const ARTIFACT = path.join(__dirname, '..', '..', 'test-artifacts', 'api-kill.json');

const policyDocument = (name: string, staleDays: number) => ({
  name,
  targets: { connections: ['all'], platforms: ['android', 'ios'] },
  controls: {
    blockedApps: { mode: 'alert', apps: ['com.whatsapp', 'net.whatsapp.WhatsApp'] },
    staleCheckIn: { mode: 'alert', days: staleDays },
  },
});

/** One logical request a writer sends until it is answered (a new API process may be serving by then). */
interface Operation {
  label: string;
  method: 'PUT' | 'POST';
  path: string;
  body: unknown;
  expect: number[];
}

interface Outcome {
  operation: Operation;
  status: number;
  body: Record<string, unknown>;
  attempts: number;
}

describe('the API process killed with SIGKILL mid-request', () => {
  let db: TestDatabase;
  let tenant: GraphEmulator;
  let api: ServingWarden;
  let worker: RunningWorker;
  const token = `wdn_apikill_${randomBytes(24).toString('hex')}`;
  let env: Record<string, string>;

  const call = <T = Record<string, unknown>>(method: string, route: string, body?: unknown) =>
    callWarden<T>(api.url, token, method, route, body);
  const until = (what: string, check: () => Promise<boolean>, ms = 60_000) =>
    waitFor(what, check, ms, () => `worker output:\n${worker.output().slice(-3000)}`);

  beforeAll(async () => {
    db = await createTestDatabase();
    tenant = await startEmulator({ devices: LOCKS + 20, seed: 88 });
    env = {
      DATABASE_URL: db.url,
      WARDEN_BOOTSTRAP_TOKEN: token,
      WARDEN_SECRET_KEY: randomBytes(32).toString('hex'),
      WARDEN_EXTRA_CA_FILE: tenant.caPath,
      WARDEN_RATE_LIMIT_PER_MINUTE: '0',
      WARDEN_ACTION_CANCEL_WINDOW_SECONDS: '0',
      LOG_LEVEL: 'warn',
    };
    api = await serveWarden(env, ['--no-worker']);
    worker = spawnWorker(env);
    const created = await call<{ id: string }>('POST', '/v1/connections', {
      name: 'api-kill',
      ...emulatorConnection(tenant),
    });
    expect(created.status).toBe(201);
    await until(
      'the worker to start',
      async () => worker.child.exitCode === null && (await db.knex.schema.hasTable('agenda_jobs')),
    );
    expect((await call('POST', `/v1/connections/${created.body.id}/sync`)).status).toBe(202);
    await until('the first sync', async () => {
      const [row] = await db.knex('devices').count({ n: '*' });
      return Number(row!.n) === LOCKS + 20;
    });
  }, 120_000);

  afterAll(async () => {
    if (worker) await stopChild(worker.child);
    if (api) await stopChild(api.child);
    await tenant?.stop();
    await db?.drop();
  }, 60_000);

  it('loses and duplicates nothing, keeps the audit chain whole, and sends each lock once', async () => {
    const devices: Array<{ id: string; external_id: string }> = await db
      .knex('devices')
      .orderBy('id')
      .limit(LOCKS)
      .select('id', 'external_id');
    const names = Array.from({ length: POLICIES }, (_, i) => `kill-test-${String(i).padStart(3, '0')}`);
    // Interleaved, so kills land on both kinds of write; a policy's second version follows its first.
    const queue: Operation[] = [];
    for (let i = 0; i < Math.max(POLICIES, LOCKS); i++) {
      if (i < LOCKS)
        queue.push({
          label: `lock ${i}`,
          method: 'POST',
          path: '/v1/actions',
          body: { action: 'lock', devices: [devices[i]!.id], reason: 'kill test', idempotencyKey: `kill-lock-${i}` },
          expect: [200, 201],
        });
      if (i < POLICIES)
        queue.push({
          label: `policy ${names[i]} v1`,
          method: 'PUT',
          path: `/v1/policies/${names[i]}`,
          body: { policy: policyDocument(names[i]!, 14), reason: 'first version' },
          expect: [200, 201],
        });
    }
    const secondVersions: Operation[] = names.map((name) => ({
      label: `policy ${name} v2`,
      method: 'PUT',
      path: `/v1/policies/${name}`,
      body: { policy: policyDocument(name, 7), reason: 'second version' },
      expect: [200],
    }));

    const fiveHundreds: string[] = [];
    const cutMidRequest: string[] = [];
    let answeredByCurrentProcess = 0;
    let writing = true;

    /** Sends until answered; a connection refused (no process yet) or cut (killed mid-request) is retried. */
    const send = async (operation: Operation): Promise<Outcome> => {
      for (let attempts = 1; ; attempts++) {
        let connected = false;
        try {
          const response = await fetch(`${api.url}${operation.path}`, {
            method: operation.method,
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify(operation.body),
          });
          connected = true;
          const body = (await response.json()) as Record<string, unknown>;
          if (response.status >= 500) {
            fiveHundreds.push(`${operation.label}: ${response.status} ${JSON.stringify(body)}`);
            await sleep(50);
            continue;
          }
          answeredByCurrentProcess++;
          return { operation, status: response.status, body, attempts };
        } catch (error) {
          const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
          if (connected || code !== 'ECONNREFUSED') cutMidRequest.push(`${operation.label}: ${code}`);
          await sleep(20);
        }
      }
    };
    const writer = async (operations: Operation[], outcomes: Outcome[]) => {
      for (let next = operations.shift(); next; next = operations.shift()) {
        outcomes.push(await send(next));
        if (next.label.endsWith(' v1')) {
          // The second version of a policy goes back in the queue once its first is answered.
          const second = secondVersions.find((s) => s.label === next!.label.replace(/ v1$/, ' v2'))!;
          operations.push(second);
        }
      }
    };

    const killer = async () => {
      let kills = 0;
      while (kills < KILLS && writing) {
        // Once the current process has answered some writes, kill it at a random moment among the next ones.
        const answeredBefore = answeredByCurrentProcess;
        await until('the API to answer writes', async () => answeredByCurrentProcess >= answeredBefore + 3 || !writing);
        if (!writing) break;
        await sleep(Math.floor(Math.random() * 150));
        const exited = new Promise((resolve) => api.child.once('exit', resolve));
        api.child.kill('SIGKILL');
        await exited;
        kills++;
        api = await serveWarden(env, ['--no-worker']);
      }
      return kills;
    };

    const outcomes: Outcome[] = [];
    const writers = Array.from({ length: WRITERS }, () => writer(queue, outcomes));
    const killing = killer();
    await Promise.all(writers);
    writing = false;
    const kills = await killing;

    // A retried write answered "already done" (200 to a first version or a lock) was committed by a process
    // killed before it could answer: the case idempotency exists for.
    const committedBeforeTheKill = outcomes.filter(
      (o) => o.attempts > 1 && o.status === 200 && !o.operation.label.endsWith(' v2'),
    );
    fs.mkdirSync(path.dirname(ARTIFACT), { recursive: true });
    fs.writeFileSync(
      ARTIFACT,
      `${JSON.stringify(
        {
          kills: KILLS,
          writes: outcomes.length,
          requestsCutMidFlight: cutMidRequest.length,
          answersLostAfterCommit: committedBeforeTheKill.map((o) => o.operation.label),
          fiveHundreds: fiveHundreds.length,
        },
        null,
        2,
      )}\n`,
    );
    expect(fiveHundreds).toEqual([]);
    expect(kills).toBe(KILLS);
    // The kills cut requests in flight, not only ones that found no process listening.
    expect(cutMidRequest.length).toBeGreaterThan(0);
    expect(outcomes).toHaveLength(LOCKS + 2 * POLICIES);
    const unexpected = outcomes.filter((o) => !o.operation.expect.includes(o.status));
    expect(unexpected.map((o) => [o.operation.label, o.status, o.body])).toEqual([]);

    // Policies: exactly two versions each, each with one audit event of its own.
    const versions = await db.knex('policy_versions').whereIn('name', names).select('name', 'version', 'reason');
    expect(versions).toHaveLength(2 * POLICIES);
    for (const name of names)
      expect(
        versions
          .filter((v) => v.name === name)
          .map((v) => [v.version, v.reason])
          .sort(),
      ).toEqual([
        [1, 'first version'],
        [2, 'second version'],
      ]);
    const policyAudits = await db
      .knex('audit_events')
      .whereIn('action', ['policy.create', 'policy.update'])
      .whereIn('target_id', names)
      .select('action', 'target_id');
    expect(policyAudits).toHaveLength(2 * POLICIES);
    for (const name of names)
      expect(
        policyAudits
          .filter((a) => a.target_id === name)
          .map((a) => a.action)
          .sort(),
      ).toEqual(['policy.create', 'policy.update']);

    // Locks: one request per idempotency key, one device action each, one request audit each.
    const requests = await db.knex('actions').where('idempotency_key', 'like', 'kill-lock-%').select('id');
    expect(requests).toHaveLength(LOCKS);
    const perRequest = await db
      .knex('device_actions')
      .whereIn(
        'action_id',
        requests.map((r) => r.id),
      )
      .groupBy('action_id')
      .select('action_id', db.knex.raw('count(*)::int as n'));
    expect(perRequest.filter((r) => r.n !== 1)).toEqual([]);
    expect(perRequest).toHaveLength(LOCKS);
    const requestAudits = await db
      .knex('audit_events')
      .where({ action: 'action.request' })
      .groupBy('target_id')
      .select('target_id', db.knex.raw('count(*)::int as n'));
    expect(requestAudits.filter((a) => a.n !== 1)).toEqual([]);
    expect(new Set(requestAudits.map((a) => a.target_id))).toEqual(new Set(requests.map((r) => r.id)));

    // The chain, recomputed link by link by the last process.
    const verified = await call<{ intact: boolean; checkedEvents: number }>('GET', '/v1/audit/verify');
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ intact: true });
    expect(verified.body.checkedEvents).toBeGreaterThanOrEqual(LOCKS + 2 * POLICIES);

    // The worker, never restarted, dispatches every lock exactly once.
    await until(
      'every lock to be sent',
      async () => {
        const [open] = await db.knex('device_actions').whereNotIn('state', ['sent', 'confirmed']).count({ n: '*' });
        return Number(open!.n) === 0;
      },
      90_000,
    );
    const stats = tenant.stats();
    expect(devices.filter((d) => actionCount(stats, d.external_id, 'remoteLock') !== 1).map((d) => d.id)).toEqual([]);
    expect((await call<{ status: string }>('GET', '/readyz')).body.status).toBe('ready');
  }, 240_000);
});
