// bench/sync: a full inventory sync of an emulated tenant into PostgreSQL. The emulator runs in its own process
// (`warden sim`) so its work does not count against Warden's; this process runs the real sync code and reports
// devices per second, Graph requests per 1,000 devices and its own peak RSS. Run: `npm run bench:sync`
// (BENCH_DEVICES, default 100000; BENCH_DATABASE_URL, default the local server's postgres database).
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { CLI_ACTOR } from '../src/auth/roles';
import { SecretBox } from '../src/connections/secret-box';
import { createConnection, loadConnectorDefinition } from '../src/connections/store';
import { syncConnection } from '../src/inventory/sync';
import { WATCHED_APPS } from '../src/inventory/watched-apps';
import { createLogger } from '../src/log';
import { createConnector } from '../src/mdm';
import { withBenchDatabase } from './database';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 100_000);
const root = path.resolve(__dirname, '../..');

function startSim(): Promise<{ child: ChildProcess; url: string; fields: Record<string, string> }> {
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'bin/warden.js'),
      'sim',
      '--devices',
      String(DEVICES),
      '--pki-dir',
      path.join(root, '.warden/pki'),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      if (!out.includes('faults:')) return;
      const fields = Object.fromEntries(
        [...out.matchAll(/^\s+([a-zA-Z ]+):\s+(\S+)/gm)].map((m) => [m[1]!.trim(), m[2]!]),
      );
      resolve({ child, url: fields['Graph base URL']!, fields });
    });
    child.once('exit', (code) => reject(new Error(`warden sim exited with ${code}:\n${out}`)));
  });
}

/** CPU seconds a child process has used so far (Linux /proc), to show what the emulator costs the machine. */
function cpuSecondsOf(pid: number): number | null {
  try {
    const fields = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(((Number(fields[11]) + Number(fields[12])) / 100).toFixed(1));
  } catch {
    return null;
  }
}

async function main() {
  const simStarted = Date.now();
  const sim = await startSim();
  const simReady = Date.now() - simStarted;
  await withBenchDatabase('warden_bench', async (db) => {
    const box = new SecretBox(Buffer.alloc(32, 7));
    const caPem = require('node:fs').readFileSync(sim.fields['CA certificate']!, 'utf8');
    const connection = await createConnection(
      db.knex,
      box,
      {
        name: 'bench',
        kind: 'intune',
        settings: {
          tenantId: sim.fields['tenant id']!,
          clientId: sim.fields['client id']!,
          authorityHost: sim.fields['authority host']!,
          graphBaseUrl: sim.url,
        },
        credentials: { type: 'client-secret', clientSecret: sim.fields['client secret']! },
      },
      { actor: CLI_ACTOR },
    );
    const deps = { knex: db.knex, log: createLogger('warn'), secretBox: box, extraCaPem: caPem };
    const results: Array<Record<string, unknown>> = [];
    for (const label of ['first sync (all new)', 'second sync (unchanged)']) {
      await fetch(`${sim.url}/_sim/stats/reset`, { method: 'POST' }).catch(() => undefined);
      const started = process.hrtime.bigint();
      const result = await syncConnection(deps, { connectionId: connection.id, trigger: 'manual', worker: 'bench' });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (result.outcome !== 'succeeded') throw new Error(`sync ${result.outcome}: ${JSON.stringify(result)}`);
      results.push({
        label,
        devices: result.counts.devices,
        seconds: Number(seconds.toFixed(2)),
        devicesPerSecond: Math.round(result.counts.devices / seconds),
        graphRequests: result.counts.requests,
        requestsPer1000Devices: Number(((result.counts.requests / result.counts.devices) * 1000).toFixed(2)),
        listingRequests: result.counts.listingRequests,
        appRequests: result.counts.appRequests,
        budget: Math.ceil(result.counts.devices / 1000) + result.counts.appRequests + 5,
        appHits: result.counts.appHits,
        deviceWriteMs: result.counts.writeMs,
      });
    }
    // The ceiling the emulator allows on this machine: the same listings with nothing written.
    const { definition } = await loadConnectorDefinition(db.knex, box, connection.id);
    const connector = createConnector(definition, { caPem });
    const listingStarted = process.hrtime.bigint();
    let listed = 0;
    for await (const page of connector.listDevices()) listed += page.length;
    for await (const hits of connector.devicesWithApps(WATCHED_APPS)) void hits;
    const listingSeconds = Number(process.hrtime.bigint() - listingStarted) / 1e9;
    results.push({
      label: 'listings only, nothing written',
      devices: listed,
      seconds: Number(listingSeconds.toFixed(2)),
      devicesPerSecond: Math.round(listed / listingSeconds),
    });
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    const cpu = process.cpuUsage();
    const wardenCpuSeconds = Number(((cpu.user + cpu.system) / 1e6).toFixed(1));
    const emulatorCpuSeconds = cpuSecondsOf(sim.child.pid!);
    console.log(
      JSON.stringify(
        { devices: DEVICES, emulatorStartMs: simReady, peakRssMb, wardenCpuSeconds, emulatorCpuSeconds, results },
        null,
        2,
      ),
    );
  }).finally(() => sim.child.kill('SIGTERM'));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
