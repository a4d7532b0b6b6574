// The embedded database: PGlite (PostgreSQL compiled to WebAssembly) on a data directory, served on a loopback
// port by pglite-socket so that Warden talks to it with the same `pg` driver and SQL as to a real PostgreSQL.
// PGlite is one backend session shared by every connection: no LISTEN/NOTIFY, no session SETs, and a
// transaction blocks every other connection until it ends. A data directory belongs to one process, which a
// lock file enforces.
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { keepExchangesTogether } from './pglite-queue';

export interface EmbeddedPostgres {
  host: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export class DataDirLockedError extends Error {
  constructor(dataDir: string, pid: number) {
    super(
      `another Warden process (pid ${pid}) is using the embedded database in ${dataDir}; ` +
        'the embedded database serves one process: stop it, or set DATABASE_URL to run several processes',
    );
    this.name = 'DataDirLockedError';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the data directory's lock file, replacing one left by a process that no longer runs. */
function lockDataDir(dataDir: string): () => void {
  const lockFile = path.join(dataDir, 'warden.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(lockFile, 'utf8'));
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
        throw new DataDirLockedError(dataDir, holder);
      }
      fs.rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`could not lock ${lockFile}`);
}

export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  fs.mkdirSync(dataDir, { recursive: true });
  const unlock = lockDataDir(dataDir);
  try {
    const db = await PGlite.create(path.join(dataDir, 'pgdata'));
    // Connections beyond one are multiplexed onto PGlite's single session by the socket server.
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 32 });
    keepExchangesTogether(server);
    await server.start();
    const port = Number(server.getServerConn().split(':').pop());
    return {
      host: '127.0.0.1',
      port,
      dataDir,
      async stop() {
        await server.stop();
        await db.close();
        unlock();
      },
    };
  } catch (error) {
    unlock();
    throw error;
  }
}
