// The record of every job run (started, finished, outcome, counts, error), whichever worker ran it.
import type { Knex } from 'knex';
import type { JobCounts } from './job';

export type RunOutcome = 'running' | 'succeeded' | 'failed';

export interface JobRun {
  id: number;
  jobName: string;
  worker: string;
  startedAt: Date;
  finishedAt: Date | null;
  outcome: RunOutcome;
  counts: JobCounts;
  error: string | null;
}

/**
 * Starts a run record. Runs of the same job still marked running after the lock lifetime belong to a worker
 * that died mid-run (its lock has expired, so agenda hands the job to another worker): they are closed as failed.
 */
export async function startRun(knex: Knex, jobName: string, worker: string, lockLifetimeMs: number): Promise<number> {
  const abandonedBefore = new Date(Date.now() - lockLifetimeMs);
  await knex('job_runs')
    .where({ job_name: jobName, outcome: 'running' })
    .where('started_at', '<', abandonedBefore)
    .update({ outcome: 'failed', finished_at: new Date(), error: 'abandoned: the worker stopped during the run' });
  const [row] = await knex('job_runs')
    .insert({ job_name: jobName, worker, started_at: new Date(), outcome: 'running' })
    .returning('id');
  return row.id;
}

export async function finishRun(
  knex: Knex,
  id: number,
  outcome: 'succeeded' | 'failed',
  counts: JobCounts,
  error?: string,
): Promise<void> {
  await knex('job_runs')
    .where({ id })
    .update({ outcome, counts: JSON.stringify(counts), error: error ?? null, finished_at: new Date() });
}

export async function recentRuns(knex: Knex, jobName: string, limit = 20): Promise<JobRun[]> {
  const rows = await knex('job_runs').where({ job_name: jobName }).orderBy('id', 'desc').limit(limit);
  return rows.map((row) => ({
    id: row.id,
    jobName: row.job_name,
    worker: row.worker,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    outcome: row.outcome,
    counts: row.counts,
    error: row.error,
  }));
}
