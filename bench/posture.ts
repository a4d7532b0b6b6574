// bench/posture: GET /v1/posture/summary over a 100,000-device fleet under 64 concurrent clients (autocannon),
// side by side with a bare Koa route answering a fixed JSON body on the same machine in the same run. The full
// Warden app serves the summary: token authentication, access log (to a file), metrics, validation, the
// materialized figures; asked once as autocannon asks (no Accept-Encoding) and once as a browser asks (gzip). Run: `npm run bench:posture` (BENCH_DEVICES, BENCH_SECONDS, BENCH_CONNECTIONS).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import Koa from 'koa';
import pino from 'pino';
import { createApp } from '../src/app';
import { CLI_ACTOR } from '../src/auth/roles';
import { createToken } from '../src/auth/tokens';
import { loadConfig } from '../src/config';
import { evaluateFindings } from '../src/findings/evaluate';
import { createLogger } from '../src/log';
import { createMetrics } from '../src/metrics';
import { takePostureSnapshot } from '../src/posture/summary';
import { createQueue } from '../src/worker/scheduler';
import { withBenchDatabase } from './database';
import { seedFleet } from './fleet';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

async function load(url: string, headers: Record<string, string>) {
  // The load comes from a worker thread, so the servers under test keep the main thread to themselves.
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers, workers: 1 });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors`);
  return {
    requestsPerSecond: Math.round(result.requests.average),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    requests: result.requests.total,
  };
}

async function main() {
  await withBenchDatabase('warden_bench_posture', async (db) => {
    await seedFleet(db.knex, DEVICES);
    await evaluateFindings(db.knex);
    await takePostureSnapshot(db.knex, { retentionDays: 400 });

    // No rate limit: the benchmark is one token asking as fast as it can.
    const config = { ...loadConfig({}), databaseUrl: 'bench', port: 0, rateLimitPerMinute: 0 };
    const logFile = path.join(os.tmpdir(), `warden-bench-posture-${process.pid}.log`);
    const log = createLogger('info', pino.destination({ dest: logFile, sync: false }));
    const queue = await createQueue({ config, db, log, secretBox: null });
    const warden = http.createServer(
      createApp({ config, db, log, metrics: createMetrics(db.knex), secretBox: null, queue }).callback(),
    );
    const wardenUrl = await listen(warden);
    const { secret } = await createToken(db.knex, { name: 'bench', role: 'security-viewer' }, { actor: CLI_ACTOR });
    const auth = { authorization: `Bearer ${secret}` };
    const summary = await fetch(`${wardenUrl}/v1/posture/summary`, { headers: auth });
    const body = (await summary.json()) as { devices: { byState: unknown } };
    const summaryBytes = JSON.stringify(body).length;
    // The bare route: Koa with one middleware answering from memory, no authentication, logging or database.
    // `/tiny` answers a 40-byte JSON body; `/same` the summary's own bytes, so that the cost of writing the larger
    // answer is on both sides. Both answer UTF-8 bytes made once, as Warden answers its cached summary, so that
    // neither serialises nor encodes per request.
    const bare = new Koa();
    const tinyBytes = Buffer.from(JSON.stringify({ ok: true, generatedAt: new Date().toISOString() }));
    const sameBytes = Buffer.from(JSON.stringify(body));
    bare.use((ctx) => {
      ctx.set('Content-Type', 'application/json; charset=utf-8');
      ctx.body = ctx.path === '/same' ? sameBytes : tinyBytes;
    });
    const bareServer = http.createServer(bare.callback());
    const bareUrl = await listen(bareServer);

    // Warm all three, then alternate so that none profits from running last.
    await load(`${bareUrl}/tiny`, {});
    await load(`${bareUrl}/same`, {});
    await load(`${wardenUrl}/v1/posture/summary`, auth);
    // What a browser (the dashboard) or `curl --compressed` asks for: the cached answer, gzip-compressed.
    const authGzip = { ...auth, 'accept-encoding': 'gzip, deflate, br' };
    await load(`${wardenUrl}/v1/posture/summary`, authGzip);
    const ratio = (a: { requestsPerSecond: number }, b: { requestsPerSecond: number }) =>
      Number((a.requestsPerSecond / b.requestsPerSecond).toFixed(2));
    const rounds = [];
    for (let round = 1; round <= 3; round++) {
      const bareTiny = await load(`${bareUrl}/tiny`, {});
      const bareSame = await load(`${bareUrl}/same`, {});
      const summaryResult = await load(`${wardenUrl}/v1/posture/summary`, auth);
      const summaryGzip = await load(`${wardenUrl}/v1/posture/summary`, authGzip);
      rounds.push({
        round,
        bareTiny,
        bareSame,
        summary: summaryResult,
        summaryGzip,
        ratioToBareTiny: ratio(summaryResult, bareTiny),
        ratioToBareSame: ratio(summaryResult, bareSame),
        gzipRatioToBareTiny: ratio(summaryGzip, bareTiny),
      });
    }
    await new Promise((r) => warden.close(r));
    await new Promise((r) => bareServer.close(r));
    await queue.stop();
    fs.rmSync(logFile, { force: true });
    console.log(
      JSON.stringify(
        {
          devices: DEVICES,
          connections: CONNECTIONS,
          seconds: SECONDS,
          summaryBytes,
          summaryGzipBytes: gzipSync(JSON.stringify(body)).length,
          byState: body.devices.byState,
          cpus: os.cpus().length,
          cpuModel: os.cpus()[0]?.model,
          rounds,
        },
        null,
        2,
      ),
    );
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
