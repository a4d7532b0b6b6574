// `warden demo`: the way to see Warden work with nothing installed. Starts an emulated Intune tenant with a
// realistic fleet, the service and its worker on the embedded database (or DATABASE_URL), registers the
// tenant as a connection through the same service code the API uses, runs a first sync, and prints where to
// look and a token to look with.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { CLI_ACTOR } from './auth/roles';
import { ensureBootstrapToken } from './auth/tokens';
import type { Config } from './config';
import { resolveSecretBox } from './connections/keys';
import { createConnection, getConnection, listConnections } from './connections/store';
import type { Logger } from './log';
import { type RunningService, startServer } from './service';
import { emulatorConnection, startGraphEmulator } from './sim/graph';

const DEMO_CONNECTION = 'contoso-intune (emulated)';

async function waitForSync(service: RunningService, connectionId: string, since: Date, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const connection = await getConnection(service.db.knex, connectionId);
    const run = connection.lastSync;
    if (run && run.startedAt >= since && run.outcome !== 'running') return run;
    if (Date.now() > deadline) throw new Error(`the first sync did not finish within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function runDemo(
  baseConfig: Config,
  log: Logger,
  options: { devices: number; port: number },
): Promise<RunningService> {
  const dataDir = baseConfig.databaseUrl ? baseConfig.dataDir : path.join(baseConfig.dataDir, 'demo');
  const emulator = await startGraphEmulator({ pkiDir: path.join(dataDir, 'pki'), devices: options.devices, port: 0 });
  const token = baseConfig.bootstrapToken ?? `wdn_demo_${randomBytes(24).toString('base64url')}`;
  const config: Config = {
    ...baseConfig,
    dataDir,
    port: options.port,
    bootstrapToken: token,
    extraCaPem: emulator.caPem,
  };
  const service = await startServer(config, log, { withWorker: true });
  try {
    await ensureBootstrapToken(service.db.knex, token);
    const existing = (await listConnections(service.db.knex)).find((c) => c.name === DEMO_CONNECTION);
    // The emulator's tenant is new at every start; a connection kept from an earlier demo points at its old port.
    if (existing) await service.db.knex('connections').where({ id: existing.id }).delete();
    const connection = await createConnection(
      service.db.knex,
      resolveSecretBox(config),
      { name: DEMO_CONNECTION, ...emulatorConnection(emulator) },
      { actor: CLI_ACTOR },
    );
    const started = new Date();
    await service.worker!.runNow('connection-sync', { connectionId: connection.id, trigger: 'manual' });
    const run = await waitForSync(service, connection.id, started, 120_000);
    const out = process.stderr;
    out.write(`\nWarden demo is running at ${service.url}\n`);
    out.write(`  emulated Intune tenant: ${emulator.url} (${options.devices} devices)\n`);
    out.write(`  first sync: ${run.outcome}, ${JSON.stringify(run.counts)}${run.error ? ` (${run.error})` : ''}\n`);
    out.write(`  admin token: ${token}\n\n`);
    out.write(`  curl -H "Authorization: Bearer ${token}" ${service.url}/v1/connections\n`);
    out.write(`  curl -H "Authorization: Bearer ${token}" "${service.url}/v1/devices?hasApp=com.whatsapp&limit=5"\n\n`);
    out.write('Stop with Ctrl-C.\n');
  } catch (error) {
    await service.stop();
    await emulator.stop();
    throw error;
  }
  return {
    ...service,
    async stop() {
      await service.stop();
      await emulator.stop();
    },
  };
}
