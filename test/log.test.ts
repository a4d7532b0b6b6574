import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { accessLogOf } from '../src/log';
import { captureLog } from './support/log-capture';

const capture = () => captureLog('info');

describe('logger', () => {
  it('redacts secrets by key at any of the first three levels', () => {
    const { log, text } = capture();
    log.info(
      {
        token: 'wdn_top-secret-1',
        req: { headers: { authorization: 'Bearer wdn_top-secret-2' } },
        connection: { credentials: { clientSecret: 'top-secret-3' }, clientAssertion: 'eyJ-top-secret-4' },
        config: { databaseUrl: 'postgres://u:top-secret-5@db/w', bootstrapToken: 'top-secret-6' },
      },
      'hello',
    );
    const line = JSON.parse(text());
    expect(text()).not.toMatch(/top-secret/);
    expect(line.token).toBe('[redacted]');
    expect(line.req.headers.authorization).toBe('[redacted]');
    expect(line.connection.credentials).toBe('[redacted]');
    expect(line.config.databaseUrl).toBe('[redacted]');
    expect(line).toMatchObject({ level: 'info', service: 'warden', msg: 'hello' });
  });
});

describe('access log', () => {
  const entry = {
    requestId: 'req-1',
    method: 'GET',
    route: '/v1/devices/:id',
    path: '/v1/devices/"quoted"\\back\u00e9',
    status: 404,
    ms: 3,
    tokenId: '6f1c2b7e-0000-4000-8000-000000000001',
  };
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  it("writes lines in pino's own format, escaping the path", async () => {
    const { log, text } = capture();
    const before = Date.now();
    accessLogOf(log)(entry);
    accessLogOf(log)({ ...entry, requestId: 'req-2', tokenId: undefined });
    expect(text()).toBe(''); // held until the end of this turn of the event loop
    await nextTurn();
    const [first, second, more] = text().split('\n');
    expect(more).toBe('');
    const line = JSON.parse(first!);
    expect(Object.keys(line)).toEqual([
      'level',
      'time',
      'service',
      'requestId',
      'method',
      'route',
      'path',
      'status',
      'ms',
      'tokenId',
      'msg',
    ]);
    expect(line).toMatchObject({ ...entry, level: 'info', service: 'warden', msg: 'request' });
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(line.time)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(line.time)).toBeLessThanOrEqual(Date.now());
    expect(JSON.parse(second!)).not.toHaveProperty('tokenId');
    // The same line as pino's own, but for the time.
    const { log: plain, text: plainText } = capture();
    plain.info(entry, 'request');
    expect({ ...JSON.parse(plainText()), time: line.time }).toEqual(line);
  });

  it('follows the logger level', async () => {
    const { log, text } = capture();
    log.level = 'warn';
    accessLogOf(log)(entry);
    await nextTurn();
    expect(text()).toBe('');
  });

  it('writes what it holds when the process exits', () => {
    // The compiled module (global-setup builds it), in a process of its own that exits in the same turn.
    const script = `
      const { createLogger, accessLogOf } = require(${JSON.stringify(path.resolve(__dirname, '../dist/src/log.js'))});
      const log = createLogger('info');
      accessLogOf(log)(${JSON.stringify(entry)});
      process.exit(0);
    `;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out.trim())).toMatchObject({ requestId: 'req-1', msg: 'request' });
  });
});
