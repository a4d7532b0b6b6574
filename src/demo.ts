// `warden demo`: the way to see Warden work with nothing installed. Starts an emulated Intune tenant with a
// realistic fleet, the service and its worker on the embedded database (or DATABASE_URL), registers the
// tenant as a connection through the same service code the API uses, runs a first sync, and prints where to
// look and a token to look with.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CLI_ACTOR } from './auth/roles';
import { ensureBootstrapToken } from './auth/tokens';
import type { Config } from './config';
import { resolveSecretBox } from './connections/keys';
import { createConnection, getConnection, listConnections } from './connections/store';
import type { Logger } from './log';
import { EvidenceSigner } from './posture/evidence-signer';
import { type RunningService, startServer } from './service';
import { emulatorConnection, startGraphEmulator } from './sim/graph';
import { createSelfSignedCertificate } from './sim/tls';

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
  const emulator = await startGraphEmulator({ pkiDir: path.join(dataDir, 'pki'), devices: options.devices, port: 0 });
  const token = baseConfig.bootstrapToken ?? `wdn_demo_${randomBytes(24).toString('base64url')}`;
  const evidence = baseConfig.evidenceSigner ? null : demoEvidenceSigner(dataDir);
  const config: Config = {
    ...baseConfig,
    dataDir,
    port: options.port,
    bootstrapToken: token,
    extraCaPem: emulator.caPem,
    evidenceSigner: baseConfig.evidenceSigner ?? evidence!.signer,
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
