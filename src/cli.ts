// The `warden` command line: serve, worker, migrate, token, keys rotate, sim (an emulated Intune, Jamf Pro or Android
// Management tenant), demo, and plan/apply for policy as code. Start-up problems (bad configuration, a locked
// data directory, an unreachable database) end the process with one clear line and a non-zero status.
import { Command, InvalidArgumentError, Option } from 'commander';
import { CLI_ACTOR, ROLES, type Role } from './auth/roles';
import { createToken } from './auth/tokens';
import { ConfigError, loadConfig } from './config';
import { resolveSecretBox } from './connections/keys';
import { RotationError, rotateSecrets } from './connections/rotate-key';
import { openDatabase } from './db';
import { DataDirLockedError } from './db/embedded';
import { migrateToLatest, migrationStatus, rollback } from './db/migrate';
import { runDemo } from './demo';
import { AppError } from './errors';
import { createLogger } from './log';
import {
  applyCommand,
  PolicyCodeFailure,
  PolicyCodeUsageError,
  planCommand,
  type ServerOptions,
} from './policy-as-code';
import { type RunningService, startServer, startStandaloneWorker } from './service';
import { SIM_KINDS, type SimKind, startSim } from './sim/cli';
import { FAULT_OPTIONS, faultSettingsFromOptions } from './sim/graph';
import { packageRoot } from './util/package-root';

/** An error the user can fix, printed as one line. */
class UsageError extends Error {}

const ROTATE_NEEDS_KEY =
  'keys rotate needs WARDEN_SECRET_KEY, the key to seal under (e.g. `openssl rand -hex 32`), and the keys that ' +
  'sealed the stored secrets in WARDEN_SECRET_KEY_PREVIOUS';

function portNumber(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535)
    throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return Number(value);
}

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('expected a whole number of at least 1');
  return Number(value);
}

/**
 * Runs until SIGINT/SIGTERM, stops gracefully, then exits. The exit is explicit because agenda leaves a timer
 * per finished job run (its lock check sleeps half the lock lifetime and is never cleared), which would keep
 * the process alive for minutes after everything has stopped. A second signal exits at once.
 */
function runUntilSignalled(
  service: Pick<RunningService, 'stop'>,
  log: ReturnType<typeof createLogger>,
): Promise<never> {
  return new Promise(() => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(130);
      stopping = true;
      log.info({ signal }, 'stopping');
      service.stop().then(
        () => {
          log.info('stopped');
          log.flush?.();
          process.exit(0);
        },
        (error) => {
          log.error({ err: error }, 'error while stopping');
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

async function withDatabase<T>(work: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  const db = await openDatabase(loadConfig());
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

export function buildCli(): Command {
  const { version } = require(`${packageRoot()}/package.json`) as { version: string };
  const program = new Command('warden')
    .description('Device governance above the MDMs you already run')
    .version(version)
    .showHelpAfterError();

  program
    .command('serve')
    .description('serve the HTTP API (with the job worker in the same process when the database is embedded)')
    .addOption(new Option('--worker', 'also run the job worker in this process (default with the embedded database)'))
    .addOption(new Option('--no-worker', 'do not run the job worker here'))
    .action(async (options: { worker?: boolean }) => {
      const config = loadConfig();
      const log = createLogger(config.logLevel);
      const embedded = config.databaseUrl === null;
      const withWorker = options.worker ?? embedded;
      const service = await startServer(config, log, { withWorker });
      const database = embedded ? `embedded database in ${config.dataDir}` : 'PostgreSQL';
      process.stderr.write(
        `warden: serving on ${service.url} (${database}${withWorker ? ', worker in this process' : ''})\n`,
      );
      await runUntilSignalled(service, log);
    });

  program
    .command('worker')
    .description('run the job worker (sync, drift, evaluation, remediation, audit checks)')
    .action(async () => {
      const config = loadConfig();
      const log = createLogger(config.logLevel);
      const service = await startStandaloneWorker(config, log);
      await runUntilSignalled(service, log);
    });

  program
    .command('migrate')
    .description('bring the database schema up to date (serve and worker also do this at start)')
    .option('--status', 'only list applied and pending migrations')
    .option('--rollback', 'undo the last batch of migrations')
    .option('--all', 'with --rollback: undo every migration')
    .action(async (options: { status?: boolean; rollback?: boolean; all?: boolean }) => {
      await withDatabase(async (db) => {
        if (options.status) {
          const status = await migrationStatus(db.knex);
          for (const name of status.applied) process.stdout.write(`applied  ${name}\n`);
          for (const name of status.pending) process.stdout.write(`pending  ${name}\n`);
          return;
        }
        const names = options.rollback ? await rollback(db.knex, options.all) : await migrateToLatest(db.knex);
        const verb = options.rollback ? 'rolled back' : 'applied';
        process.stdout.write(names.length ? names.map((n) => `${verb} ${n}\n`).join('') : 'already up to date\n');
      });
    });

  const sim = program
    .command('sim')
    .description(
      'run an emulated MDM tenant over HTTPS for tests, demos and benchmarks: Intune (Microsoft Graph), Jamf Pro or the Android Management API',
    )
    .addOption(new Option('--mdm <kind>', 'which MDM to emulate').choices(SIM_KINDS).default('intune'))
    .option('--devices <n>', 'fleet size (Jamf: mobile devices, plus a tenth as many Macs)', positiveInteger, 2000)
    .option('--seed <n>', 'fleet seed: the same seed gives the same fleet', positiveInteger, 1)
    .option('--port <port>', 'HTTPS port (0: any free port)', portNumber, 0)
    .option('--pki-dir <dir>', 'where the test CA is kept (trust <dir>/ca.pem)', '.warden/pki')
    .option('--enforce-limits', "intune: answer 429 past Intune's published request limits")
    .option('--action-latency <ms>', 'how long a device action or command stays pending', positiveInteger, 2000)
    .option(
      '--key-file <file>',
      "android: where to write the emulated service account's key file",
      '.warden/sim/android-service-account.json',
    );
  for (const option of FAULT_OPTIONS)
    sim.option(option.flags, option.description, option.parse as (value: string) => unknown);
  sim.action(async (options: Record<string, unknown>) => {
    const mdm = options.mdm as SimKind;
    if (options.enforceLimits === true && mdm !== 'intune')
      throw new UsageError('--enforce-limits applies to --mdm intune only (Jamf and Google publish no such limits)');
    const faults = faultSettingsFromOptions(options);
    // Left to each emulator's default unless asked (by either flag): Graph and Jamf send Retry-After, Google
    // mostly does not.
    const asked = (name: string) => sim.getOptionValueSource(name) === 'cli';
    if (!asked('retryAfter') && !asked('retryAfterSeconds')) delete faults.throttleRetryAfter;
    const running = await startSim({
      mdm,
      devices: options.devices as number,
      seed: options.seed as number,
      port: options.port as number,
      pkiDir: options.pkiDir as string,
      enforceLimits: options.enforceLimits === true,
      actionLatencyMs: options.actionLatency as number,
      faults,
      keyFile: options.keyFile as string,
    });
    process.stdout.write(`${running.lines.join('\n')}\n`);
    await runUntilSignalled({ stop: () => running.stop() }, createLogger('info'));
  });

  program
    .command('demo')
    .description(
      'see Warden work: emulated Intune, Jamf Pro and Android tenants, the service and its worker, connected and synced',
    )
    .option(
      '--devices <n>',
      'Intune fleet size (the Jamf and Android fleets are a quarter of it each)',
      positiveInteger,
      2000,
    )
    .action(async (options: { devices: number }) => {
      const config = loadConfig();
      const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
      const service = await runDemo(config, log, { devices: options.devices, port: config.port });
      await runUntilSignalled(service, log);
    });

  // plan and apply talk to a running Warden over its API, as a pipeline in a policy repository would.
  const server = (options: { url: string; token?: string }): ServerOptions => ({
    url: options.url,
    token: options.token ?? process.env.WARDEN_TOKEN,
  });
  const serverOptions = (command: Command) =>
    command
      .addOption(new Option('--url <url>', 'the Warden API').env('WARDEN_URL').default('http://localhost:8080'))
      .option('--token <token>', 'an admin or automation API token (default: $WARDEN_TOKEN)');
  serverOptions(
    program
      .command('plan')
      .description('show what a policy file would change in each tenant, without saving it')
      .requiredOption('-f, --file <file>', 'the policy document (YAML or JSON)')
      .option('--reason <text>', 'why (kept with the version if this plan is applied)')
      .option('--out <file>', 'save the plan id and hash, for "warden apply --plan <file>"')
      .option('--json', 'print the plan as JSON'),
  ).action(
    async (options: { file: string; reason?: string; out?: string; json?: boolean; url: string; token?: string }) =>
      planCommand(server(options), options),
  );
  serverOptions(
    program
      .command('apply')
      .description('apply a policy file (planned, shown and confirmed), or a plan saved by "warden plan --out"')
      .option('-f, --file <file>', 'the policy document (YAML or JSON)')
      .option('--plan <file>', 'a plan saved by "warden plan --out", applied exactly as reviewed')
      .option('--reason <text>', 'why (kept with the new version; a pipeline passes the commit message)')
      .option('--auto-approve', 'apply without asking'),
  ).action(
    async (options: {
      file?: string;
      plan?: string;
      reason?: string;
      autoApprove?: boolean;
      url: string;
      token?: string;
    }) => applyCommand(server(options), options),
  );

  const token = program.command('token').description('manage API tokens');
  token
    .command('create')
    .description('create an API token and print it (it is shown only this once)')
    .requiredOption('--name <name>', 'what the token is for')
    .addOption(new Option('--role <role>', 'the role of the token').choices(ROLES).makeOptionMandatory())
    .option('--expires-in-days <days>', 'lifetime in days (default: no expiry)', positiveInteger)
    .action(async (options: { name: string; role: Role; expiresInDays?: number }) => {
      const name = options.name.trim();
      if (name.length < 1 || name.length > 100) throw new UsageError('--name must have 1 to 100 characters');
      await withDatabase(async (db) => {
        await migrateToLatest(db.knex);
        const { token: created, secret } = await createToken(
          db.knex,
          { name, role: options.role, expiresInDays: options.expiresInDays },
          { actor: CLI_ACTOR },
        );
        process.stderr.write(
          `created ${created.role} token "${created.name}" (id ${created.id}); store it now, it is not shown again:\n`,
        );
        process.stdout.write(`${secret}\n`);
      });
    });

  const keys = program.command('keys').description('manage the key that seals MDM credentials and webhook secrets');
  keys
    .command('rotate')
    .description(
      're-seal every stored secret under WARDEN_SECRET_KEY, opening old values with WARDEN_SECRET_KEY_PREVIOUS',
    )
    .action(async () => {
      const config = loadConfig();
      const box = resolveSecretBox(config);
      if (!box) throw new UsageError(ROTATE_NEEDS_KEY);
      await withDatabase(async (db) => {
        await migrateToLatest(db.knex);
        const report = await rotateSecrets(db.knex, box, { actor: CLI_ACTOR });
        const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
        const resealed = report.resealed.connections + report.resealed.webhooks;
        const current = report.alreadyCurrent.connections + report.alreadyCurrent.webhooks;
        process.stdout.write(
          `re-sealed ${count(resealed, 'secret')} under key ${report.keyId} ` +
            `(${count(report.resealed.connections, 'connection')}, ${count(report.resealed.webhooks, 'webhook')}); ` +
            `${count(current, 'secret')} already current ` +
            `(${count(report.alreadyCurrent.connections, 'connection')}, ${count(report.alreadyCurrent.webhooks, 'webhook')})\n`,
        );
        if (config.secretKeyPrevious.length > 0) {
          process.stderr.write(
            'every secret is sealed under WARDEN_SECRET_KEY now: WARDEN_SECRET_KEY_PREVIOUS can be removed ' +
              '(restart the warden processes without it)\n',
          );
        }
      });
    });

  return program;
}

/** Entry point for bin/warden.js. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    if (
      error instanceof ConfigError ||
      error instanceof UsageError ||
      error instanceof DataDirLockedError ||
      error instanceof AppError ||
      error instanceof RotationError ||
      error instanceof PolicyCodeUsageError
    ) {
      process.stderr.write(`warden: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    if (error instanceof PolicyCodeFailure) {
      process.stderr.write(`warden: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === '28P01' || code === '3D000') {
      process.stderr.write(`warden: cannot use the database: ${(error as Error).message}\n`);
      process.exitCode = 1;
      return;
    }
    if (code === 'EADDRINUSE') {
      process.stderr.write(`warden: the port is already in use (${(error as Error).message}); set PORT\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`warden: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
}
