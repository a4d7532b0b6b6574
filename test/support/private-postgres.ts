// A throwaway PostgreSQL cluster of a test's own (initdb in a temporary directory, its own port and socket
// directory), for fault tests that stop and start the server: the suite's shared PostgreSQL must never be
// restarted, since other test files use it at the same time. Needs the PostgreSQL server binaries
// (/usr/lib/postgresql/<version>/bin, or initdb on PATH). initdb refuses to run as root, so as root the binaries
// run as the `postgres` user through runuser (or su) and the directory belongs to that user.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:PORT/DATABASE */
  url: string;
  port: number;
  dir: string;
  /** Stops the server (`pg_ctl stop -m fast`: open sessions are ended). */
  stop(): void;
  /** Starts it again on the same port and waits until it accepts connections. */
  start(): void;
  /** Stops the server if it runs and deletes the cluster. */
  destroy(): void;
}

/** The directory holding initdb, pg_ctl and postgres, or null when there is none. */
export function findPostgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (fs.existsSync(root)) {
    const versions = fs
      .readdirSync(root)
      .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(root, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? path.dirname(which.stdout.trim()) : null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a PostgreSQL binary, as the postgres user when this process is root. Throws with its output on failure. */
function runAsOwner(binary: string, args: string[]): string {
  const [command, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
  try {
    return execFileSync(command, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${path.basename(binary)} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`,
    );
  }
}

/** Why a private cluster cannot be started here, or null when it can (binaries present; runuser when root). */
export function privatePostgresUnavailable(): string | null {
  const bin = findPostgresBin();
  if (!bin) return 'no PostgreSQL server binaries (initdb) found under /usr/lib/postgresql or on PATH';
  if (isRoot()) {
    if (spawnSync('runuser', ['-u', 'postgres', '--', 'true']).status !== 0)
      return 'running as root and cannot run commands as the postgres user (runuser -u postgres) for initdb';
  }
  return null;
}

/** initdb, start on a free port, create `database`. */
export async function startPrivatePostgres(database = 'warden'): Promise<PrivatePostgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('no PostgreSQL server binaries found');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-pg-'));
  if (isRoot()) execFileSync('chown', ['postgres:', dir]);
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  const port = await freePort();
  runAsOwner(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
  let running = false;
  const pgCtl = (...args: string[]) => runAsOwner(path.join(bin, 'pg_ctl'), ['-D', data, ...args]);
  const start = () => {
    pgCtl('-o', options, '-l', logFile, '-w', '-t', '30', 'start');
    running = true;
  };
  const stop = () => {
    pgCtl('-m', 'fast', '-w', '-t', '30', 'stop');
    running = false;
  };
  try {
    start();
    runAsOwner(path.join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', database]);
  } catch (error) {
    if (running) stop();
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/${database}`,
    port,
    dir,
    stop,
    start,
    destroy() {
      try {
        if (running) stop();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
