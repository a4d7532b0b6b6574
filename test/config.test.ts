import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../src/config';

const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const caFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'warden-config-')), 'ca.pem');
fs.writeFileSync(caFile, CA_PEM);

describe('loadConfig', () => {
  it('has working defaults with nothing set: embedded database in ./.warden on port 8080', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: null,
      dataDir: path.resolve('.warden'),
      bootstrapToken: null,
      logLevel: 'info',
      bodyLimitBytes: 1024 * 1024,
      secretKey: null,
      extraCaPem: null,
      actions: {
        cancelWindowSeconds: 120,
        destructivePerHour: 20,
        destructivePerRequest: 10,
        fleetSharePercent: 5,
        approvalHours: 24,
        leaseSeconds: 300,
      },
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '9000',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgresql://u:p@db:5432/warden',
      WARDEN_DATA_DIR: '/var/lib/warden',
      WARDEN_BOOTSTRAP_TOKEN: 'x'.repeat(40),
      LOG_LEVEL: 'debug',
      WARDEN_BODY_LIMIT: '512kb',
      WARDEN_DB_POOL_MAX: '20',
      WARDEN_SECRET_KEY: 'ab'.repeat(32),
      WARDEN_EXTRA_CA_FILE: caFile,
      WARDEN_ACTION_CANCEL_WINDOW_SECONDS: '300',
      WARDEN_DESTRUCTIVE_ACTIONS_PER_HOUR: '50',
      WARDEN_DESTRUCTIVE_ACTIONS_PER_REQUEST: '5',
      WARDEN_ACTION_FLEET_SHARE_PERCENT: '2',
      WARDEN_ACTION_APPROVAL_HOURS: '8',
      WARDEN_ACTION_LEASE_SECONDS: '30',
    });
    expect(config).toEqual({
      port: 9000,
      host: '0.0.0.0',
      databaseUrl: 'postgresql://u:p@db:5432/warden',
      dataDir: '/var/lib/warden',
      bootstrapToken: 'x'.repeat(40),
      logLevel: 'debug',
      bodyLimitBytes: 512 * 1024,
      databasePoolMax: 20,
      secretKey: Buffer.alloc(32, 0xab),
      extraCaPem: CA_PEM,
      actions: {
        cancelWindowSeconds: 300,
        destructivePerHour: 50,
        destructivePerRequest: 5,
        fleetSharePercent: 2,
        approvalHours: 8,
        leaseSeconds: 30,
      },
    });
    expect(loadConfig({ WARDEN_SECRET_KEY: Buffer.alloc(32, 1).toString('base64') }).secretKey).toEqual(
      Buffer.alloc(32, 1),
    );
  });

  it('treats a blank variable as unset', () => {
    expect(loadConfig({ PORT: '  ', DATABASE_URL: '' })).toMatchObject({ port: 8080, databaseUrl: null });
  });

  it.each([
    ['PORT', 'eighty', /^PORT: expected an integer from 0 to 65535, got "eighty"$/],
    ['PORT', '70000', /^PORT: expected an integer/],
    ['DATABASE_URL', 'not a url', /^DATABASE_URL: expected a postgres:\/\/ or postgresql:\/\/ URL/],
    ['DATABASE_URL', 'mysql://db/warden', /^DATABASE_URL: .* got a mysql:\/\/ URL$/],
    ['WARDEN_BOOTSTRAP_TOKEN', 'short', /^WARDEN_BOOTSTRAP_TOKEN: expected 32 to 256 printable characters/],
    ['WARDEN_BOOTSTRAP_TOKEN', `${'x'.repeat(20)} ${'y'.repeat(20)}`, /^WARDEN_BOOTSTRAP_TOKEN: expected/],
    ['LOG_LEVEL', 'loud', /^LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"$/],
    ['WARDEN_BODY_LIMIT', '1gb', /^WARDEN_BODY_LIMIT: expected a size from 1kb to 64mb/],
    ['WARDEN_DB_POOL_MAX', '0', /^WARDEN_DB_POOL_MAX: expected an integer from 1 to 200/],
    ['WARDEN_SECRET_KEY', 'too-short', /^WARDEN_SECRET_KEY: expected 32 bytes as 64 hex characters or base64/],
    ['WARDEN_SECRET_KEY', 'ab'.repeat(16), /^WARDEN_SECRET_KEY: expected 32 bytes/],
    ['WARDEN_ACTION_FLEET_SHARE_PERCENT', '0', /^WARDEN_ACTION_FLEET_SHARE_PERCENT: expected an integer from 1 to 100/],
    ['WARDEN_DESTRUCTIVE_ACTIONS_PER_HOUR', '-1', /^WARDEN_DESTRUCTIVE_ACTIONS_PER_HOUR: expected an integer/],
    ['WARDEN_EXTRA_CA_FILE', '/nonexistent/ca.pem', /^WARDEN_EXTRA_CA_FILE: expected a readable PEM file, but ENOENT/],
  ])('refuses %s=%s with one line naming the variable', (variable, value, message) => {
    let thrown: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).variable).toBe(variable);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toContain('\n');
  });
});
