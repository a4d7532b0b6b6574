// bench/soak: steady load against `warden serve` (a production API process on PostgreSQL, its worker beside it)
// for an hour, sampling the API process's resident memory, to show it stays flat. The load cycles through the
// reads a dashboard and the security team's tooling make (posture summary and trend, device and finding listings,
// one device's detail, the audit listing) at a fixed rate, with the per-token rate limiter on (set above the soak's
// rate, so it admits everything but keeps its buckets as production does). Memory growth compares the median
// resident memory of the first 10 minutes after a 5-minute warm-up with that of the last 10 minutes.
// Run: `npm run bench:soak` (BENCH_SOAK_MINUTES, default 60; BENCH_SOAK_RATE requests/s, default 100;
// BENCH_DEVICES, default 10,000).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import autocannon from 'autocannon';
import { evaluateFindings } from '../src/findings/evaluate';
import { takePostureSnapshot } from '../src/posture/summary';
import { withBenchDatabase } from './database';
import { seedFleet } from './fleet';
import { startWarden } from './processes';

const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 60);
const RATE = Number(process.env.BENCH_SOAK_RATE ?? 100);
const DEVICES = Number(process.env.BENCH_DEVICES ?? 10_000);
/** The first samples are the warm-up (JIT, pools, caches filling); growth is measured from this one on. */
const WARM_UP_MS = Math.min(5 * 60_000, (MINUTES * 60_000) / 6);
const SAMPLE_EVERY_MS = 15_000;
/** The windows whose median resident memory is compared: the first after the warm-up and the last. */
const WINDOW_MS = Math.min(10 * 60_000, (MINUTES * 60_000) / 6);

function median(samples: Array<{ rssMb: number }>): number {
  const sorted = samples.map((s) => s.rssMb).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function main() {
  await withBenchDatabase('warden_bench_soak', async (db) => {
    await seedFleet(db.knex, DEVICES);
    await evaluateFindings(db.knex);
    await takePostureSnapshot(db.knex, { retentionDays: 400 });
    const [device] = await db.knex('devices').select('id').limit(1);
    const token = `wdn_bench_${randomBytes(24).toString('hex')}`;
    const env = {
      DATABASE_URL: db.connection.connectionString as string,
      WARDEN_BOOTSTRAP_TOKEN: token,
      WARDEN_SECRET_KEY: randomBytes(32).toString('hex'),
      WARDEN_RATE_LIMIT_PER_MINUTE: String(RATE * 60 * 2),
      LOG_LEVEL: 'info',
      PORT: '0',
    };
    const api = await startWarden(['serve', '--no-worker'], env);
    const worker = await startWarden(['worker'], env);
    const pid = api.child.pid!;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const samples: Array<{ atSeconds: number; rssMb: number }> = [];
    const started = Date.now();
    const sample = () => samples.push({ atSeconds: Math.round((Date.now() - started) / 1000), rssMb: rssMb(pid) });
    sample();
    const timer = setInterval(sample, SAMPLE_EVERY_MS);
    try {
      const result = await autocannon({
        url: api.url!,
        connections: 8,
        overallRate: RATE,
        duration: MINUTES * 60,
        headers,
        requests: [
          { method: 'GET', path: '/v1/posture/summary' },
          { method: 'GET', path: '/v1/devices?limit=50' },
          { method: 'GET', path: '/v1/findings?limit=50' },
          { method: 'GET', path: `/v1/devices/${device.id}` },
          { method: 'GET', path: '/v1/posture/trend?days=30' },
          { method: 'GET', path: '/v1/audit?limit=20' },
          { method: 'GET', path: '/v1/findings?severity=critical&limit=100' },
          { method: 'GET', path: '/v1/devices?platform=ios&limit=100' },
        ],
      });
      sample();
      // Resident memory dips by 20-30 MB whenever the collector gives pages back, so growth is measured between
      // the medians of two windows (the first after the warm-up, the last of the run), not between two samples.
      const windowSeconds = WINDOW_MS / 1000;
      const lastAt = samples.at(-1)!.atSeconds;
      const warmUpSeconds = WARM_UP_MS / 1000;
      const baseline = median(
        samples.filter((s) => s.atSeconds >= warmUpSeconds && s.atSeconds < warmUpSeconds + windowSeconds),
      );
      const end = median(samples.filter((s) => s.atSeconds > lastAt - windowSeconds));
      console.log(
        JSON.stringify(
          {
            minutes: MINUTES,
            ratePerSecond: RATE,
            devices: DEVICES,
            requests: result.requests.total,
            non2xx: result.non2xx,
            errors: result.errors,
            latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
            rssMb: {
              start: Math.round(samples[0]!.rssMb),
              windowMinutes: WINDOW_MS / 60_000,
              medianFirstWindowAfterWarmUp: Math.round(baseline),
              medianLastWindow: Math.round(end),
              min: Math.round(Math.min(...samples.map((s) => s.rssMb))),
              max: Math.round(Math.max(...samples.map((s) => s.rssMb))),
              growthAfterWarmUpPercent: Number((((end - baseline) / baseline) * 100).toFixed(1)),
            },
            samples: samples.map((s) => [s.atSeconds, Math.round(s.rssMb)]),
          },
          null,
          2,
        ),
      );
    } finally {
      clearInterval(timer);
      api.child.kill('SIGTERM');
      worker.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
