// A running Warden API for a test file: the real Koa app on a real port over the file's own database, an
// admin token, and an HTTP client whose every answer is checked against the contract.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { JOBS } from '../../jobs';
import { createApp } from '../../src/app';
import { CLI_ACTOR, type Role } from '../../src/auth/roles';
import { createToken } from '../../src/auth/tokens';
import { type Config, loadConfig } from '../../src/config';
import { SecretBox } from '../../src/connections/secret-box';
import { createLogger, type Logger } from '../../src/log';
import { createMetrics } from '../../src/metrics';
import { createQueue, type Scheduler, startWorker } from '../../src/worker/scheduler';
import { assertMatchesContract } from './contract';
import { createTestDatabase, type TestDatabase } from './database';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  contentType: string;
  body: T;
  text: string;
}

export interface RequestOptions {
  token?: string | null;
  body?: unknown;
  /** Sent as is, for malformed bodies. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface TestApi {
  url: string;
  db: TestDatabase;
  config: Config;
  log: Logger;
  secretBox: SecretBox | null;
  scheduler: Scheduler;
  adminToken: string;
  /** Every log line the app wrote, as JSON text. */
  logs: string[];
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  tokenFor(role: Role, name?: string): Promise<string>;
  close(): Promise<void>;
}

export interface TestApiOptions {
  config?: Partial<Config>;
  /** Run the job worker (all of JOBS) in the test process too; otherwise jobs are only queued. */
  worker?: boolean;
  /** Override the secret box (null: no key configured). */
  secretBox?: SecretBox | null;
}

export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const db = await createTestDatabase();
  // Rate limiting off unless a test asks for it: a test file may well send more than 600 requests a minute.
  const config: Config = {
    ...loadConfig({}),
    databaseUrl: db.url,
    port: 0,
    logLevel: 'info',
    rateLimitPerMinute: 0,
    ...options.config,
  };
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const log = createLogger(config.logLevel, sink);
  const secretBox = options.secretBox === undefined ? new SecretBox(randomBytes(32)) : options.secretBox;
  const scheduler = options.worker
    ? await startWorker({ config, db, log, secretBox }, JOBS)
    : await createQueue({ config, db, log, secretBox });
  const app = createApp({ config, db, log, metrics: createMetrics(db.knex), secretBox, queue: scheduler });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const tokenFor = async (role: Role, name = `test-${role}`) =>
    (await createToken(db.knex, { name, role }, { actor: CLI_ACTOR })).secret;
  const adminToken = await tokenFor('admin', 'test-admin');

  async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? adminToken : options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(url + path, { method, headers, body });
    const text = await response.text();
    const contentType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const parsed = contentType.endsWith('json') && text ? JSON.parse(text) : text || undefined;
    assertMatchesContract(method, path.split('?')[0]!, { status: response.status, contentType, body: parsed });
    return { status: response.status, headers: response.headers, contentType, body: parsed as T, text };
  }

  return {
    url,
    db,
    config,
    log,
    secretBox,
    scheduler,
    adminToken,
    logs,
    request,
    tokenFor,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await scheduler.stop();
      await db.drop();
    },
  };
}
