// `warden demo`: the way to see Warden work with nothing installed. Starts three emulated tenants with realistic
// fleets (Intune, Jamf Pro and the Android Management API), the service and its worker on the embedded database
// (or DATABASE_URL), registers each tenant as a connection through the same service code the API uses, runs
// their first syncs side by side, and prints the connections, where to look and a token to look with.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { appendAudit } from './audit/store';
import { CLI_ACTOR } from './auth/roles';
import { ensureBootstrapToken } from './auth/tokens';
import type { Config } from './config';
import { resolveSecretBox } from './connections/keys';
import { createConnection, getConnection, listConnections } from './connections/store';
import type { Logger } from './log';
import { EvidenceSigner } from './posture/evidence-signer';
import { type RunningService, startServer } from './service';
import { androidEmulatorConnection, startAndroidEmulator } from './sim/android';
import { emulatorConnection, startGraphEmulator } from './sim/graph';
import { jamfEmulatorConnection, startJamfEmulator } from './sim/jamf';
import { createSelfSignedCertificate, ensureTestPki } from './sim/tls';

/** The demo's tenants, by the name of their connection. */
const DEMO_CONNECTIONS = {
  intune: 'contoso-intune (emulated)',
  jamf: 'contoso-jamf (emulated)',
  android: 'contoso-android (emulated)',
} as const;

/** The Jamf and Android fleets are a quarter of the Intune one each (at least 10 devices). */
export function demoFleetSizes(devices: number): { intune: number; jamf: number; android: number } {
  const quarter = Math.max(10, Math.round(devices / 4));
  return { intune: devices, jamf: quarter, android: quarter };
}

async function waitForSync(service: RunningService, connectionId: string, since: Date, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const connection = await getConnection(service.db.knex, connectionId);
    const run = connection.lastSync;
    if (run && run.startedAt >= since && run.outcome !== 'running') return run;
    if (Date.now() > deadline)
      throw new Error(`the first sync of ${connection.name} did not finish within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * A self-signed evidence-signing certificate and key kept in the demo's data directory (made once, remade when
 * unusable), so that the demo's evidence can be verified with the certificate itself as the trusted CA.
 */
function demoEvidenceSigner(dataDir: string): { signer: EvidenceSigner; certFile: string } {
  const dir = path.join(dataDir, 'evidence');
  const certFile = path.join(dir, 'evidence-cert.pem');
  const keyFile = path.join(dir, 'evidence-key.pem');
  try {
    return {
      signer: EvidenceSigner.fromPem(fs.readFileSync(certFile, 'utf8'), fs.readFileSync(keyFile, 'utf8')),
      certFile,
    };
  } catch {
    const made = createSelfSignedCertificate('Warden demo evidence signer', 365);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(keyFile, made.keyPem, { mode: 0o600 });
    fs.writeFileSync(certFile, made.certPem);
    return { signer: EvidenceSigner.fromPem(made.certPem, made.keyPem), certFile };
  }
}

const shellQuote = (text: string) => (/^[\w./:-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);

export async function runDemo(
  baseConfig: Config,
  log: Logger,
  options: { devices: number; port: number },
): Promise<RunningService> {
  const dataDir = baseConfig.databaseUrl ? baseConfig.dataDir : path.join(baseConfig.dataDir, 'demo');
  const pkiDir = path.join(dataDir, 'pki');
  const fleet = demoFleetSizes(options.devices);
  // One test CA signs all three emulators: made (if need be) once, before they start side by side.
  ensureTestPki(pkiDir);
  const [graph, jamf, android] = await Promise.all([
    startGraphEmulator({ pkiDir, devices: fleet.intune, port: 0 }),
    startJamfEmulator({ pkiDir, mobileDevices: fleet.jamf }),
    startAndroidEmulator({ pkiDir, devices: fleet.android }),
  ]);
  const stopEmulators = () => Promise.all([graph.stop(), jamf.stop(), android.stop()]).then(() => undefined);
  const token = baseConfig.bootstrapToken ?? `wdn_demo_${randomBytes(24).toString('base64url')}`;
  const evidence = baseConfig.evidenceSigner ? null : demoEvidenceSigner(dataDir);
  const config: Config = {
    ...baseConfig,
    dataDir,
    port: options.port,
    bootstrapToken: token,
    extraCaPem: graph.caPem,
    evidenceSigner: baseConfig.evidenceSigner ?? evidence!.signer,
  };
  let service: RunningService;
  try {
    service = await startServer(config, log, { withWorker: true });
  } catch (error) {
    await stopEmulators();
    throw error;
  }
  try {
    await ensureBootstrapToken(service.db.knex, token);
    const definitions = [
      { name: DEMO_CONNECTIONS.intune, ...emulatorConnection(graph) },
      { name: DEMO_CONNECTIONS.jamf, ...jamfEmulatorConnection(jamf) },
      { name: DEMO_CONNECTIONS.android, ...androidEmulatorConnection(android) },
    ];
    // The emulated tenants are new at every start; connections kept from an earlier demo point at old ports.
    const names: string[] = Object.values(DEMO_CONNECTIONS);
    const stale = (await listConnections(service.db.knex)).filter((c) => names.includes(c.name));
    await service.db.knex.transaction(async (trx) => {
      for (const connection of stale) {
        await trx('connections').where({ id: connection.id }).delete();
        await appendAudit(trx, {
          actor: CLI_ACTOR,
          action: 'connection.delete',
          target: { type: 'connection', id: connection.id },
          details: { name: connection.name, kind: connection.kind, reason: 'the demo starts new emulated tenants' },
        });
      }
    });
    const box = resolveSecretBox(config);
    const started = new Date();
    const connections = [];
    for (const definition of definitions) {
      const connection = await createConnection(service.db.knex, box, definition, { actor: CLI_ACTOR });
      await service.worker!.runNow('connection-sync', { connectionId: connection.id, trigger: 'manual' });
      connections.push(connection);
    }
    const runs = await Promise.all(connections.map((c) => waitForSync(service, c.id, started, 120_000)));
    const out = process.stderr;
    out.write(`\nWarden demo is running at ${service.url}\n`);
    out.write(`  emulated Intune tenant:      ${graph.url} (${fleet.intune} devices)\n`);
    out.write(
      `  emulated Jamf Pro server:    ${jamf.url} (${jamf.fleet.mobileDevices.length} iPhones and iPads, ${jamf.fleet.computers.length} Macs)\n`,
    );
    out.write(`  emulated Android enterprise: ${android.url} (${fleet.android} devices)\n`);
    out.write('  connections, first sync:\n');
    for (const [i, connection] of connections.entries()) {
      const run = runs[i]!;
      const devices = run.counts.devices ?? 0;
      out.write(
        `    ${connection.name.padEnd(28)} ${connection.kind.padEnd(8)} ${run.outcome}, ${devices} devices, ${run.counts.appHits ?? 0} watched apps${run.error ? ` (${run.error})` : ''}\n`,
      );
    }
    out.write(`  admin token: ${token}\n\n`);
    out.write(`  curl -H "Authorization: Bearer ${token}" ${service.url}/v1/connections\n`);
    out.write(`  curl -H "Authorization: Bearer ${token}" "${service.url}/v1/devices?hasApp=com.whatsapp&limit=5"\n\n`);
    out.write(
      evidence
        ? `  Signed posture evidence (signer: self-signed ${evidence.certFile}):\n`
        : '  Signed posture evidence (ca.pem: the CA that issued WARDEN_EVIDENCE_CERT_FILE):\n',
    );
    out.write(
      `  curl -sH "Authorization: Bearer ${token}" ${service.url}/v1/posture/evidence > evidence-answer.json\n`,
    );
    out.write('  jq -j .document evidence-answer.json > evidence.json\n');
    out.write('  jq -j .signature evidence-answer.json > evidence.p7s\n');
    out.write(`  ${config.evidenceSigner!.verifyCommand(evidence ? shellQuote(evidence.certFile) : 'ca.pem')}\n\n`);
    out.write('Stop with Ctrl-C.\n');
  } catch (error) {
    await service.stop();
    await stopEmulators();
    throw error;
  }
  return {
    ...service,
    async stop() {
      await service.stop();
      await stopEmulators();
    },
  };
}
