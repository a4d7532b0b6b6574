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
