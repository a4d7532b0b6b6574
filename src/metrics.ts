// Prometheus metrics: HTTP requests and latencies by route template, and scheduled job runs as the database
// records them (so the API reports the runs of every worker, not just its own process).
import type { Knex } from 'knex';
import client from 'prom-client';

export interface Metrics {
  registry: client.Registry;
  httpRequests: client.Counter<'method' | 'route' | 'status'>;
  httpDuration: client.Histogram<'method' | 'route'>;
}

export function createMetrics(knex: Knex): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const httpRequests = new client.Counter({
    name: 'warden_http_requests_total',
    help: 'HTTP requests answered, by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new client.Histogram({
    name: 'warden_http_request_duration_seconds',
    help: 'HTTP request latency, by route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // The registry collects all metrics concurrently, so the three database-backed gauges share one query per
  // scrape: whichever collects first starts it, the others wait for the same promise.
  let refreshing: Promise<void> | null = null;
  const refresh = () => {
    refreshing ??= readJobRuns().finally(() => {
      refreshing = null;
    });
    return refreshing;
  };
  const jobRuns = new client.Gauge({
    name: 'warden_job_runs',
    help: 'Scheduled job runs recorded in the database (all workers), by job and outcome',
    labelNames: ['job', 'outcome'] as const,
    registers: [registry],
    collect: refresh,
  });
  const jobLastRun = new client.Gauge({
    name: 'warden_job_last_run_timestamp_seconds',
    help: 'When each job last started a run that ended with this outcome',
    labelNames: ['job', 'outcome'] as const,
    registers: [registry],
    collect: refresh,
  });
  const databaseUp = new client.Gauge({
    name: 'warden_metrics_database_up',
    help: '1 when the job-run figures could be read from the database at this scrape',
    registers: [registry],
    collect: refresh,
  });
  async function readJobRuns(): Promise<void> {
    try {
      const rows = (await knex('job_runs')
        .select('job_name', 'outcome')
        .count({ runs: '*' })
        .max({ last: 'started_at' })
        .groupBy('job_name', 'outcome')
        .timeout(2000)) as Array<{ job_name: string; outcome: string; runs: number; last: Date }>;
      jobRuns.reset();
      jobLastRun.reset();
      for (const row of rows) {
        jobRuns.set({ job: row.job_name, outcome: row.outcome }, Number(row.runs));
        jobLastRun.set({ job: row.job_name, outcome: row.outcome }, new Date(row.last).getTime() / 1000);
      }
      databaseUp.set(1);
    } catch {
      databaseUp.set(0);
    }
  }
  return { registry, httpRequests, httpDuration };
}
