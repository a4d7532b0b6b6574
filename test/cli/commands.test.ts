// The `warden` command against a real PostgreSQL: help, configuration errors, migrate and token create.
import { MIGRATIONS } from '../../migrations';
import { startTestApi, type TestApi } from '../support/api';
import { runWarden } from '../support/cli';

describe('warden CLI', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('lists its commands', () => {
    const help = runWarden(['--help']);
    expect(help.status).toBe(0);
    for (const command of ['serve', 'worker', 'migrate', 'token']) expect(help.stdout).toContain(command);
  });

  it('stops on a bad variable with one line naming it', () => {
    const result = runWarden(['serve'], { PORT: 'eighty' });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('warden: PORT: expected an integer from 0 to 65535, got "eighty"\n');
  });

  it('says plainly when the database cannot be reached', () => {
    const result = runWarden(['migrate', '--status'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^warden: cannot use the database: .*ECONNREFUSED/);
  });

  it('reports migration status', () => {
    const result = runWarden(['migrate', '--status'], { DATABASE_URL: api.db.url });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(MIGRATIONS.map((m) => `applied  ${m.name}\n`).join(''));
    expect(runWarden(['migrate'], { DATABASE_URL: api.db.url }).stdout).toBe('already up to date\n');
  });

  it('creates a token that works, printing only the secret on stdout, and audits it as the CLI', async () => {
    const result = runWarden(
      ['token', 'create', '--name', 'from-cli', '--role', 'security-viewer', '--expires-in-days', '7'],
      {
        DATABASE_URL: api.db.url,
      },
    );
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/^created security-viewer token "from-cli" \(id [0-9a-f-]{36}\)/);
    const secret = result.stdout.trim();
    expect(secret).toMatch(/^wdn_/);
    expect((await api.request('GET', '/v1/audit', { token: secret })).status).toBe(200);
    const event = await api.db.knex('audit_events').where({ action: 'token.create' }).orderBy('seq', 'desc').first();
    expect(event).toMatchObject({ actor_type: 'cli', actor_name: 'cli' });
  });

  it('refuses a bad role with the choices', () => {
    const result = runWarden(['token', 'create', '--name', 'x', '--role', 'root'], { DATABASE_URL: api.db.url });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/Allowed choices are admin, security-viewer, automation/);
  });
});
