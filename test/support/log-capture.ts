// A logger whose lines are kept in memory, for tests that read what was logged.
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log';

export function captureLog(level: Parameters<typeof createLogger>[0] = 'info') {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: createLogger(level, sink), text: () => lines.join('') };
}
