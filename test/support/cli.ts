// Runs the compiled `warden` command (bin/warden.js, built by global-setup) as a child process, the way a user
// or a deployment does.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

export const WARDEN_BIN = path.resolve(__dirname, '../../bin/warden.js');

/** The environment of a child: the parent's minus everything Warden reads, plus the given variables. */
export function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(WARDEN_|DATABASE_URL$|PORT$|HOST$|LOG_LEVEL$)/.test(key) && key !== 'WARDEN_TEST_DATABASE_URL')
      delete env[key];
  }
  return { ...env, ...vars };
}

export function runWarden(args: string[], vars: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [WARDEN_BIN, ...args], {
    env: childEnv(vars),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface ServingWarden {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `warden serve` and waits for the line that says where it serves. */
export function serveWarden(vars: Record<string, string>, args: string[] = []): Promise<ServingWarden> {
  const child = spawn(process.execPath, [WARDEN_BIN, 'serve', ...args], { env: childEnv({ PORT: '0', ...vars }) });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`warden serve did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /serving on (http:\/\/\S+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        child,
        url: match[1]!,
        output: () => output,
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`warden serve exited with ${code} before serving:\n${output}`));
    });
  });
}

/** Like runWarden, without blocking this process (for a command that calls an API served by the test itself). */
export function runWardenAsync(
  args: string[],
  vars: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [WARDEN_BIN, ...args], {
    env: childEnv(vars),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}

export interface RunningWorker {
  child: ChildProcess;
  output: () => string;
}

/** Starts `warden worker` as a deployment does, keeping what it prints for failure messages. */
export function spawnWorker(vars: Record<string, string>): RunningWorker {
  const child = spawn(process.execPath, [WARDEN_BIN, 'worker'], {
    env: childEnv(vars),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const stream of [child.stdout, child.stderr])
    stream.on('data', (chunk) => {
      output += chunk;
    });
  return { child, output: () => output };
}

/** SIGTERM, then SIGKILL if the process has not exited within the grace period. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, graceMs))]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** One JSON call to a served Warden with a bearer token: status, content type and the parsed body (null if none). */
export async function callWarden<T = Record<string, unknown>>(
  baseUrl: string,
  token: string,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; contentType: string; body: T }> {
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: (await response.json().catch(() => null)) as T,
  };
}
