// What a scheduled job is: a name, an optional schedule, lock and concurrency settings, and a handler that
// returns counts. Jobs live one per file in jobs/ and are listed in jobs/index.ts.
import type { Config } from '../config';
import type { SecretBox } from '../connections/secret-box';
import type { Database } from '../db';
import type { Logger } from '../log';

export interface JobContext {
  config: Config;
  db: Database;
  log: Logger;
  /** Seals and unseals MDM credentials; null when no key is configured. */
  secretBox: SecretBox | null;
  /** This worker's name (host:pid), recorded on what it runs. */
  worker: string;
  /** Extends the job's lock; long jobs call it between steps so no other worker takes the job over. */
  touch(): Promise<void>;
  /** Queues another job to run now. */
  enqueue(jobName: string, data: Record<string, unknown>): Promise<string>;
  /** Queues a job to run at a given time. */
  enqueueAt(when: Date, jobName: string, data: Record<string, unknown>): Promise<string>;
}

/** What a run reports, recorded in job_runs: e.g. { devices: 2000, created: 3 }. */
export type JobCounts = Record<string, number>;

/** A run that completed its work but whose result is bad news (e.g. tampering found) is recorded as failed. */
export class JobFailure extends Error {
  constructor(
    message: string,
    readonly counts: JobCounts,
  ) {
    super(message);
    this.name = 'JobFailure';
  }
}

export interface JobDefinition<Data = Record<string, unknown>> {
  name: string;
  description: string;
  /** A recurring schedule in agenda's syntax ('1 hour', '15 minutes' or cron), or null for jobs run on demand. */
  every: string | null;
  /** How long a run may hold its lock before another worker may assume it died. Keep it above the run time. */
  lockLifetimeMs: number;
  /** Runs of this job at once in one worker; 1 means no overlap. */
  concurrency: number;
  run(ctx: JobContext, data: Data): Promise<JobCounts>;
}
