// Starting and stopping Warden's processes: the API server (optionally with the worker in the same process,
// which the embedded database requires) and the standalone worker. Start-up order: database, migrations,
// bootstrap token, then listen; shutdown in reverse, letting requests and jobs in flight finish.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { JOBS } from '../jobs';
import { createApp } from './app';
import { ensureBootstrapToken, hasActiveAdminToken } from './auth/tokens';
import type { Config } from './config';
import { resolveSecretBox } from './connections/keys';
import { type Database, openDatabase } from './db';
import { migrateToLatest } from './db/migrate';
import type { Logger } from './log';
import { createMetrics } from './metrics';
import { createQueue, type Scheduler, startWorker } from './worker/scheduler';

export interface RunningService {
  url: string;
  db: Database;
  worker: Scheduler | null;
  stop(): Promise<void>;
}

async function openAndMigrate(config: Config, log: Logger): Promise<Database> {
  const db = await openDatabase(config, log);
  try {
    const applied = await migrateToLatest(db.knex);
    if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');
    return db;
  } catch (error) {
    await db.close();
    throw error;
  }
}

function listen(server: http.Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

export async function startServer(
  config: Config,
  log: Logger,
  options: { withWorker: boolean },
): Promise<RunningService> {
  const db = await openAndMigrate(config, log);
  try {
    if (config.bootstrapToken && (await ensureBootstrapToken(db.knex, config.bootstrapToken)) === 'created') {
      log.info('bootstrap admin token from WARDEN_BOOTSTRAP_TOKEN is active');
    }
    if (!(await hasActiveAdminToken(db.knex))) {
      log.warn(
        'no admin token exists yet: set WARDEN_BOOTSTRAP_TOKEN (e.g. to the output of `openssl rand -hex 32`) and restart, ' +
          'or stop the service and run `npx warden token create --name me --role admin`',
      );
    }
    const secretBox = resolveSecretBox(config);
    // The API queues jobs either way; with the worker in this process the same scheduler also runs them.
    const scheduler = options.withWorker
      ? await startWorker({ config, db, log, secretBox }, JOBS)
      : await createQueue({ config, db, log, secretBox });
    const app = createApp({ config, db, log, metrics: createMetrics(db.knex), secretBox, queue: scheduler });
    const server = http.createServer(app.callback());
    const address = await listen(server, config.port, config.host);
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}`;
    log.info({ url, embeddedDatabase: db.embedded, worker: options.withWorker }, 'warden is serving');
    return {
      url,
      db,
      worker: options.withWorker ? scheduler : null,
      async stop() {
        await closeServer(server);
        await scheduler.stop();
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}

export async function startStandaloneWorker(config: Config, log: Logger): Promise<RunningService> {
  const db = await openAndMigrate(config, log);
  try {
    const worker = await startWorker({ config, db, log, secretBox: resolveSecretBox(config) }, JOBS);
    return {
      url: '',
      db,
      worker,
      async stop() {
        await worker.stop();
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
