// The job processor: agenda 6 on its PostgreSQL backend, over a small pool of its own. Each run of each job
// is recorded in job_runs. Recurring jobs are single agenda documents, so with any number of workers each runs
// once per period; LISTEN/NOTIFY wakes workers at once on PostgreSQL, while the embedded PGlite (one session,
// no notifications) is polled every second.
import os from 'node:os';
import { PostgresBackend } from '@agendajs/postgres-backend';
import { Agenda, type Job } from 'agenda';
import pg from 'pg';
import type { Config } from '../config';
import type { SecretBox } from '../connections/secret-box';
import type { Database } from '../db';
import type { Logger } from '../log';
import { type JobCounts, type JobDefinition, JobFailure } from './job';
import { finishRun, startRun } from './runs';

export interface WorkerDeps {
  config: Config;
  db: Database;
  log: Logger;
  secretBox: SecretBox | null;
}

export interface Scheduler {
  agenda: Agenda;
  /** Queues a run of a job now; returns agenda's job id. */
  runNow(jobName: string, data?: Record<string, unknown>): Promise<string>;
  /** Queues a run of a job at a given time; returns agenda's job id. */
  runAt(when: Date, jobName: string, data?: Record<string, unknown>): Promise<string>;
  stop(): Promise<void>;
}

export const workerName = () => `${os.hostname()}:${process.pid}`;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Wraps a job's handler: records the run, passes a lock-extending touch, and logs the outcome. */
function runRecorded(job: JobDefinition, deps: WorkerDeps, worker: string, agenda: Agenda) {
  const enqueue = async (jobName: string, data: Record<string, unknown>) =>
    String((await agenda.now(jobName, data)).attrs._id);
  const enqueueAt = async (when: Date, jobName: string, data: Record<string, unknown>) =>
    String((await agenda.schedule(when, jobName, data)).attrs._id);
  return async (agendaJob: Job<Record<string, unknown>>) => {
    const log = deps.log.child({ job: job.name, agendaJobId: String(agendaJob.attrs._id) });
    const runId = await startRun(deps.db.knex, job.name, worker, job.lockLifetimeMs);
    const started = Date.now();
    let counts: JobCounts = {};
    try {
      counts = await job.run(
        { ...deps, log, worker, enqueue, enqueueAt, touch: () => agendaJob.touch() },
        agendaJob.attrs.data ?? {},
      );
      await finishRun(deps.db.knex, runId, 'succeeded', counts);
      log.info({ counts, ms: Date.now() - started }, 'job run succeeded');
    } catch (error) {
      if (error instanceof JobFailure) counts = error.counts;
      await finishRun(deps.db.knex, runId, 'failed', counts, errorMessage(error)).catch((recordError) =>
        log.error({ err: recordError }, 'could not record the failed run'),
      );
      log.error({ err: error, counts, ms: Date.now() - started }, 'job run failed');
      throw error;
    }
  };
}

export interface SchedulerOptions {
  /** How often to look for due jobs; notifications wake workers sooner on PostgreSQL. (Tests lengthen it.) */
  processEvery?: string;
}

function createAgenda(
  deps: WorkerDeps,
  worker: string,
  options: SchedulerOptions = {},
): { agenda: Agenda; pool: pg.Pool; backend: PostgresBackend } {
  const pool = new pg.Pool({ ...deps.db.connection, max: deps.db.embedded ? 2 : 4 });
  pool.on('error', (error) => deps.log.warn({ err: error }, 'job queue connection error'));
  const backend = new PostgresBackend({
    pool,
    ensureSchema: false, // the tables come from a migration: workers starting together would race to create them
    disableNotifications: deps.db.embedded,
  });
  // The LISTEN connection emits 'error' when PostgreSQL goes away (a restart, a failover) and again for each
  // failed reconnect; agenda does not listen for it, and an EventEmitter 'error' nobody listens for kills the
  // process. The channel reconnects by itself; until then workers fall back to polling.
  // It retries every 100 ms or so while the database is down: log one error per 10 s.
  let lastLogged = 0;
  backend.notificationChannel?.on('error', (error: unknown) => {
    if (Date.now() - lastLogged < 10_000) return;
    lastLogged = Date.now();
    deps.log.warn({ err: error }, 'job queue notification channel error; reconnecting');
  });
  const agenda = new Agenda({
    backend,
    name: worker,
    processEvery: options.processEvery ?? (deps.db.embedded ? '1 second' : '5 seconds'),
    defaultLockLifetime: 10 * 60_000,
  });
  agenda.on('error', (error: unknown) => deps.log.error({ err: error }, 'job queue error'));
  return { agenda, pool, backend };
}

function schedulerOf(agenda: Agenda, stop: () => Promise<void>): Scheduler {
  return {
    agenda,
    async runAt(when, jobName, data = {}) {
      const job = await agenda.schedule(when, jobName, data);
      return String(job.attrs._id);
    },
    async runNow(jobName, data = {}) {
      const job = await agenda.now(jobName, data);
      return String(job.attrs._id);
    },
    stop,
  };
}

/**
 * A scheduler that only queues jobs (the API's side: e.g. "sync this connection now"). It processes nothing.
 */
export async function createQueue(deps: WorkerDeps): Promise<Scheduler> {
  const { agenda, pool, backend } = createAgenda(deps, workerName());
  await agenda.ready;
  // agenda connects its notification channel only in start(), which a queue never calls; without it, a job
  // queued here would wait for a worker's next poll instead of waking it through NOTIFY.
  await backend.notificationChannel?.connect();
  return schedulerOf(agenda, async () => {
    await backend.notificationChannel?.disconnect();
    await pool.end();
  });
}

/** Starts processing the given jobs and makes sure every recurring one is scheduled. */
export async function startWorker(
  deps: WorkerDeps,
  jobs: readonly JobDefinition[],
  options: SchedulerOptions = {},
): Promise<Scheduler> {
  const worker = workerName();
  const { agenda, pool } = createAgenda(deps, worker, options);
  for (const job of jobs) {
    agenda.define(job.name, runRecorded(job, deps, worker, agenda), {
      concurrency: job.concurrency,
      lockLimit: job.concurrency,
      lockLifetime: job.lockLifetimeMs,
    });
  }
  await agenda.start();
  for (const job of jobs) {
    if (job.every) await agenda.every(job.every, job.name, undefined, { skipImmediate: true });
  }
  deps.log.info({ worker, jobs: jobs.map((j) => j.name) }, 'worker started');
  return schedulerOf(agenda, async () => {
    // Let running jobs finish, within a bound; a run still going after it keeps its lock until the lock
    // lifetime passes, then another worker takes the job over.
    const result = await agenda.drain(30_000);
    if (result.timedOut) deps.log.warn({ running: result.running }, 'worker stopped with jobs still running');
    await pool.end();
  });
}
