// /healthz, /readyz, /metrics and /openapi.json.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MIGRATIONS } from '../../migrations';
import { createApp } from '../../src/app';
import { openDatabase } from '../../src/db';
import { rollback } from '../../src/db/migrate';
import { loadSpec } from '../../src/http/spec';
import { createLogger } from '../../src/log';
import { createMetrics } from '../../src/metrics';
import { startTestApi, type TestApi } from '../support/api';

describe('operational endpoints', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('/healthz answers without a token', async () => {
    const response = await api.request('GET', '/healthz', { token: null });
    expect(response).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('/readyz is green with the database up and migrated', async () => {
    const response = await api.request('GET', '/readyz', { token: null });
    expect(response).toMatchObject({
      status: 200,
      body: { status: 'ready', checks: { database: 'ok', migrations: 'current' } },
    });
  });

  it('/readyz is red, quickly, when the database does not answer', async () => {
    const unreachable = await openDatabase(
      { databaseUrl: 'postgres://postgres@127.0.0.1:1/none', dataDir: '', databasePoolMax: 1 },
      createLogger('silent'),
    );
    const app = createApp({
      config: api.config,
      db: unreachable,
      log: createLogger('silent'),
      metrics: createMetrics(unreachable.knex),
      secretBox: null,
      queue: api.scheduler,
    });
    const server = http.createServer(app.callback()).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const started = Date.now();
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`);
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await response.json()).toMatchObject({
        type: 'urn:warden:problem:not-ready',
        checks: { database: 'unreachable', migrations: 'unknown' },
      });
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      server.close();
      await unreachable.close();
    }
  });

  it('/readyz is red while migrations are pending, and names them', async () => {
    const fresh = await startTestApi();
    try {
      await rollback(fresh.db.knex, true);
      const response = await fresh.request<{ checks: { pendingMigrations: string[] } }>('GET', '/readyz', {
        token: null,
      });
      expect(response.status).toBe(503);
      expect(response.body.checks).toEqual({
        database: 'ok',
        migrations: 'pending',
        pendingMigrations: MIGRATIONS.map((m) => m.name),
      });
    } finally {
      await fresh.close();
    }
  });

  it('/metrics counts requests by route template and reports job runs from the database', async () => {
    await api.request('GET', '/v1/tokens');
    await api.request('GET', '/v1/tokens/00000000-0000-4000-8000-000000000000');
    await api.db.knex('job_runs').insert([
      { job_name: 'audit-chain-check', worker: 'w', started_at: new Date(1_800_000_000_000), outcome: 'succeeded' },
      { job_name: 'audit-chain-check', worker: 'w', started_at: new Date(1_800_000_100_000), outcome: 'succeeded' },
      { job_name: 'audit-chain-check', worker: 'w', started_at: new Date(1_800_000_200_000), outcome: 'failed' },
    ]);
    const response = await api.request<string>('GET', '/metrics', { token: null });
    expect(response.status).toBe(200);
    expect(response.body).toMatch(/warden_http_requests_total\{method="GET",route="\/v1\/tokens",status="200"\} 1/);
    expect(response.body).toMatch(
      /warden_http_requests_total\{method="GET",route="\/v1\/tokens\/:id",status="404"\} 1/,
    );
    expect(response.body).toMatch(
      /warden_http_request_duration_seconds_bucket\{le="0.1",method="GET",route="\/v1\/tokens"\} 1/,
    );
    expect(response.body).toContain('warden_job_runs{job="audit-chain-check",outcome="succeeded"} 2');
    expect(response.body).toContain('warden_job_runs{job="audit-chain-check",outcome="failed"} 1');
    expect(response.body).toContain(
      'warden_job_last_run_timestamp_seconds{job="audit-chain-check",outcome="failed"} 1800000200',
    );
    expect(response.body).toContain('warden_metrics_database_up 1');
  });

  it('/openapi.json serves the contract', async () => {
    const response = await api.request<{ openapi: string; paths: Record<string, unknown> }>('GET', '/openapi.json', {
      token: null,
    });
    expect(response.body).toEqual(loadSpec().document);
    expect(response.body.openapi).toBe('3.1.0');
  });
});
