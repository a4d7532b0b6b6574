// The worker on real PostgreSQL through agenda: jobs run on demand and on schedule, every run is recorded
// with its counts, a failing run is recorded as failed, and recurring jobs exist once however many workers start.

import { JOBS } from '../../jobs';
import { auditChainCheck } from '../../jobs/audit-chain-check';
import { appendAudit } from '../../src/audit/store';
import { SYSTEM_ACTOR } from '../../src/auth/roles';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import type { JobDefinition } from '../../src/worker/job';
import { recentRuns } from '../../src/worker/runs';
import { type Scheduler, startWorker } from '../../src/worker/scheduler';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { until } from '../support/wait';

describe('worker', () => {
  let db: TestDatabase;
  let worker: Scheduler;
  const deps = () => ({ config: loadConfig({}), db, log: createLogger('silent'), secretBox: null });
  const finishedRun = (after: number) => () =>
    recentRuns(db.knex, auditChainCheck.name).then((runs) => runs.find((r) => r.id > after && r.outcome !== 'running'));

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.knex.transaction((trx) => appendAudit(trx, { actor: SYSTEM_ACTOR, action: 'test.event' }));
    worker = await startWorker(deps(), JOBS);
  });
  afterAll(async () => {
    await worker.stop();
    await db.drop();
  });

  it('schedules every recurring job once, even when several workers start', async () => {
    const second = await startWorker(deps(), JOBS);
    await second.stop();
    const rows = await db.knex('agenda_jobs').where({ name: auditChainCheck.name });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ type: 'single', repeat_interval: '1 hour' });
    expect(rows[0].next_run_at.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
  });

  it('runs the audit chain check on demand and records its counts', async () => {
    await worker.runNow(auditChainCheck.name);
    const run = await until(finishedRun(0));
    expect(run).toMatchObject({ outcome: 'succeeded', counts: { checkedEvents: 1, headSeq: 1 }, error: null });
    expect(run.finishedAt!.getTime()).toBeGreaterThanOrEqual(run.startedAt.getTime());
  });

  it('records a failed run when the chain has been tampered with', async () => {
    const [last] = await recentRuns(db.knex, auditChainCheck.name, 1);
    await db.knex.transaction(async (trx) => {
      await trx.raw('alter table audit_events disable trigger audit_events_no_update');
      await trx('audit_events').where({ seq: 1 }).update({ action: 'forged' });
      await trx.raw('alter table audit_events enable trigger audit_events_no_update');
    });
    await worker.runNow(auditChainCheck.name);
    const run = await until(finishedRun(last!.id));
    expect(run.outcome).toBe('failed');
    expect(run.error).toMatch(/^audit chain broken at event 1 \(hash-mismatch\)/);
    expect(run.counts).toEqual({ checkedEvents: 1, headSeq: 1 });
  });

  it('closes runs abandoned by a worker that died, once their lock has expired', async () => {
    const job: JobDefinition = {
      name: 'test-quick',
      description: 'test',
      every: null,
      lockLifetimeMs: 60_000,
      concurrency: 1,
      run: async () => ({ done: 1 }),
    };
    await db
      .knex('job_runs')
      .insert({ job_name: job.name, worker: 'dead:1', started_at: new Date(Date.now() - 120_000), outcome: 'running' });
    const local = await startWorker(deps(), [job]);
    try {
      await local.runNow(job.name);
      const runs = await until(async () => {
        const all = await recentRuns(db.knex, job.name);
        return all.some((r) => r.outcome === 'succeeded') ? all : undefined;
      });
      expect(runs.map((r) => [r.worker, r.outcome, r.error])).toEqual([
        [expect.stringMatching(/:\d+$/), 'succeeded', null],
        ['dead:1', 'failed', 'abandoned: the worker stopped during the run'],
      ]);
    } finally {
      await local.stop();
    }
  });
});
