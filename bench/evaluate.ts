// bench/evaluate: findings for a 100,000-device inventory, evaluated from scratch and then re-evaluated (the
// steady state after every sync), against PostgreSQL. Run: `npm run bench:evaluate` (BENCH_DEVICES).
import { evaluateFindings } from '../src/findings/evaluate';
import { withBenchDatabase } from './database';
import { seedFleet } from './fleet';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 100_000);

async function main() {
  await withBenchDatabase('warden_bench_eval', async (db) => {
    await seedFleet(db.knex, DEVICES);
    const results = [];
    for (const label of ['first evaluation (all findings new)', 're-evaluation (steady state)']) {
      const started = process.hrtime.bigint();
      const counts = await evaluateFindings(db.knex);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      results.push({
        label,
        seconds: Number(seconds.toFixed(2)),
        devicesPerSecond: Math.round(counts.devices / seconds),
        ...counts,
      });
    }
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    console.log(JSON.stringify({ devices: DEVICES, peakRssMb, results }, null, 2));
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
