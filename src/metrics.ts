// Prometheus metrics: HTTP requests and latencies by route template, and scheduled job runs as the database
// records them (so the API reports the runs of every worker, not just its own process).
import type { Knex } from 'knex';
import client from 'prom-client';

export interface Metrics {
  registry: client.Registry;
  http: HttpMetrics;
}

export const HTTP_LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface RequestSeries {
  labels: { method: string; route: string; status: string };
  count: number;
}

interface LatencySeries {
  labels: { method: string; route: string };
  /** Requests per bucket, not cumulative; the last counts those slower than the largest bound. */
  perBucket: number[];
  sum: number;
  count: number;
}

/** What prom-client's registry reads from a metric at scrape time (the shape its own metrics answer). */
interface CollectedMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>;
}

/**
 * HTTP requests by route template and status, and their latencies by route template: the
 * `warden_http_requests_total` counter and the `warden_http_request_duration_seconds` histogram. The request path
 * only adds to plain numbers kept per series; the registry turns them into samples when scraped, in the shape
 * prom-client's own Counter and Histogram give (test/metrics.test.ts compares the two). Those validate and hash
 * their labels on every call, which cost more than the rest of a request to a cached route.
 */
export class HttpMetrics {
  private readonly requests = new Map<string, RequestSeries>();
  private readonly latencies = new Map<string, LatencySeries>();

  record(method: string, route: string, status: number, seconds: number): void {
    const routeKey = `${method} ${route}`;
    const requestKey = `${routeKey} ${status}`;
    let requests = this.requests.get(requestKey);
    if (!requests) {
      requests = { labels: { method, route, status: String(status) }, count: 0 };
      this.requests.set(requestKey, requests);
    }
    requests.count++;
    let latency = this.latencies.get(routeKey);
    if (!latency) {
      latency = { labels: { method, route }, perBucket: HTTP_LATENCY_BUCKETS.map(() => 0).concat(0), sum: 0, count: 0 };
      this.latencies.set(routeKey, latency);
    }
    let bucket = 0;
    while (bucket < HTTP_LATENCY_BUCKETS.length && seconds > HTTP_LATENCY_BUCKETS[bucket]!) bucket++;
    latency.perBucket[bucket]!++;
    latency.sum += seconds;
    latency.count++;
  }

  /** Registers both metrics with the registry. */
  registerWith(registry: client.Registry): void {
    // The registry reads metrics by duck type; these answer what its Counter and Histogram answer.
    registry.registerMetric({ name: 'warden_http_requests_total', get: () => this.collectRequests() } as never);
    registry.registerMetric({
      name: 'warden_http_request_duration_seconds',
      get: () => this.collectLatencies(),
    } as never);
  }

  collectRequests(): CollectedMetric {
    return {
      name: 'warden_http_requests_total',
      help: 'HTTP requests answered, by route template and status',
      type: 'counter',
      aggregator: 'sum',
      values: [...this.requests.values()].map((series) => ({ labels: { ...series.labels }, value: series.count })),
    };
  }

  collectLatencies(): CollectedMetric {
    const name = 'warden_http_request_duration_seconds';
    const values: CollectedMetric['values'] = [];
    for (const series of this.latencies.values()) {
      let cumulative = 0;
      HTTP_LATENCY_BUCKETS.forEach((bound, i) => {
        cumulative += series.perBucket[i]!;
        values.push({ labels: { le: bound, ...series.labels }, value: cumulative, metricName: `${name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: `${name}_bucket` });
      values.push({ labels: { ...series.labels }, value: series.sum, metricName: `${name}_sum` });
      values.push({ labels: { ...series.labels }, value: series.count, metricName: `${name}_count` });
    }
    return { name, help: 'HTTP request latency, by route template', type: 'histogram', aggregator: 'sum', values };
  }
}

export function createMetrics(knex: Knex): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const http = new HttpMetrics();
  http.registerWith(registry);
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
  return { registry, http };
}
