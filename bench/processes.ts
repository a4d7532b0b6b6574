// Warden's production processes for benchmarks: `warden serve` and `warden worker` started from the build as
// children, resolved once the API says where it serves (a worker after a short settling time).
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export const root = path.resolve(__dirname, '../..');

export function startWarden(
  args: string[],
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string | null }> {
  const child = spawn(process.execPath, [path.join(root, 'bin/warden.js'), ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`warden ${args[0]} did not start:\n${output}`)), 60_000);
    let resolved = false;
    const seen = (chunk: Buffer) => {
      // Only the start is kept: a long run's log would otherwise grow this process.
      if (!resolved) output += chunk;
      const url = /serving on (http:\/\/\S+)/.exec(output)?.[1] ?? null;
      if (resolved || (args[0] === 'serve' && !url)) return;
      resolved = true;
      clearTimeout(timer);
      resolve({ child, url });
    };
    child.stderr!.on('data', seen);
    child.stdout!.on('data', seen);
    if (args[0] === 'worker') setTimeout(() => seen(Buffer.from('')), 3000);
  });
}
