// bench/offboarding: the time from an offboarding call to the retire request reaching the MDM, on PostgreSQL
// with agenda's notifications on. Production processes: `warden serve` (API only) and `warden worker`, each its
// own process on one database; the emulated tenant runs here and notes the moment each retire arrives. The
// offboarded people left (they are disabled or deleted in the directory) and a policy retires departed users'
// devices, so no approval stands between the call and the retire; the cancel window is set to 0 for the
// measurement (with the default 120 s window, the retire goes out 120 s later by design).
// Run: `npm run bench:offboarding` (BENCH_OFFBOARDINGS, default 20; BENCH_DATABASE_URL).
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { startGraphEmulator } from '../src/sim/graph';
import { emulatorConnection } from '../src/sim/graph/connection';
import { withBenchDatabase } from './database';
import { root, startWarden } from './processes';

const OFFBOARDINGS = Number(process.env.BENCH_OFFBOARDINGS ?? 20);

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function main() {
  const emulator = await startGraphEmulator({
    pkiDir: path.join(root, '.warden/pki'),
    devices: 2000,
    seed: 17,
    actionLatencyMs: 60_000,
  });
  await withBenchDatabase('warden_bench_offboarding', async (db) => {
    const token = `wdn_bench_${randomBytes(24).toString('hex')}`;
    const env = {
      DATABASE_URL: db.connection.connectionString as string,
      WARDEN_BOOTSTRAP_TOKEN: token,
      WARDEN_SECRET_KEY: randomBytes(32).toString('hex'),
      WARDEN_EXTRA_CA_FILE: emulator.caPath,
      WARDEN_ACTION_CANCEL_WINDOW_SECONDS: '0',
      WARDEN_DESTRUCTIVE_ACTIONS_PER_HOUR: '100000',
      PORT: '0',
    };
    const api = await startWarden(['serve', '--no-worker'], env);
    const worker = await startWarden(['worker'], env);
    const call = async (method: string, route: string, body?: unknown) => {
      const response = await fetch(`${api.url}${route}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const parsed = await response.json().catch(() => null);
      if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(parsed)}`);
      return parsed as Record<string, unknown>;
    };
    const until = async (check: () => Promise<boolean>) => {
      while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 100));
    };
    try {
      const connection = await call('POST', '/v1/connections', { name: 'bench', ...emulatorConnection(emulator) });
      const id = connection.id as string;
      await call('POST', `/v1/connections/${id}/sync`);
      await until(async () => ((await call('GET', `/v1/connections/${id}`)).lastCompleteSync ?? null) !== null);
      // The directory sync (and its job's end: departures are offboarded there, once a policy allows it) before
      // the policy exists, so that every offboarding below is one this benchmark times.
      const directoryRuns = () =>
        db
          .knex('job_runs')
          .where({ job_name: 'directory-sync' })
          .whereNotNull('finished_at')
          .whereRaw("(counts->>'users')::int > 0");
      await call('POST', `/v1/connections/${id}/sync`, { scope: 'directory' });
      await until(async () => (await directoryRuns()).length > 0);
      await call('PUT', '/v1/policies/leavers', {
        reason: 'retire the devices of people who leave',
        policy: {
          name: 'leavers',
          targets: { connections: ['all'], platforms: ['android', 'ios', 'windows', 'macos'] },
          controls: { staleCheckIn: { mode: 'report', days: 30 } },
          remediation: { graceHours: 0, steps: ['retire'] },
        },
      });
      // People who left and still hold devices, each offboarded once by a timed call.
      const departed = new Map<string, string[]>();
      for (const device of emulator.tenant.devices()) {
        if (!device.userId || !device.userPrincipalName) continue;
        if (emulator.tenant.getUser(device.userId)?.accountEnabled === true) continue;
        departed.set(device.userPrincipalName, [...(departed.get(device.userPrincipalName) ?? []), device.id]);
      }
      const people = [...departed].slice(0, OFFBOARDINGS);
      const latencies: number[] = [];
      for (const [user, devices] of people) {
        const started = performance.now();
        const answer = await call('POST', '/v1/offboarding', {
          user,
          reason: 'bench',
          idempotencyKey: `bench-${user}`,
        });
        if (!answer.automatic) throw new Error(`offboarding of ${user} was not automatic: ${JSON.stringify(answer)}`);
        const arrived = () => devices.some((d) => (emulator.stats().actions[d.toLowerCase()]?.retire ?? 0) > 0);
        while (!arrived()) await new Promise((resolve) => setImmediate(resolve));
        latencies.push(performance.now() - started);
      }
      latencies.sort((a, b) => a - b);
      const ms = (value: number) => Number(value.toFixed(1));
      console.log(
        JSON.stringify(
          {
            offboardings: latencies.length,
            p50Ms: ms(quantile(latencies, 0.5)),
            p95Ms: ms(quantile(latencies, 0.95)),
            maxMs: ms(latencies.at(-1)!),
            meanMs: ms(latencies.reduce((a, b) => a + b, 0) / latencies.length),
          },
          null,
          2,
        ),
      );
    } finally {
      api.child.kill('SIGTERM');
      worker.child.kill('SIGTERM');
      await Promise.all([api.child, worker.child].map((c) => new Promise((resolve) => c.once('exit', resolve))));
    }
  });
  await emulator.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
