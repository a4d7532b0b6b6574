import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { ConfigError, loadConfig } from '../src/config';
import { createCertificateAuthority, issueCertificate } from '../src/sim/tls';

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
      WARDEN_TOKEN_CACHE_MS: '2000',
      WARDEN_POSTURE_CACHE_MS: '250',
      WARDEN_POSTURE_RETENTION_DAYS: '120',
      WARDEN_INVENTORY_RETENTION_DAYS: '90',
      WARDEN_SYNC_GONE_GUARD_PERCENT: '40',
      WARDEN_SECRET_KEY_PREVIOUS: `${'cd'.repeat(32)}, ${Buffer.alloc(32, 0xef).toString('base64')}`,
      WARDEN_RATE_LIMIT_PER_MINUTE: '120',
    });
    expect(config).toEqual({
      port: 9000,
      host: '0.0.0.0',
      databaseUrl: 'postgresql://u:p@db:5432/warden',
      dataDir: '/var/lib/warden',
      bootstrapToken: 'x'.repeat(40),
      logLevel: 'debug',
      bodyLimitBytes: 512 * 1024,
      tokenCacheMs: 2000,
      databasePoolMax: 20,
      secretKey: Buffer.alloc(32, 0xab),
      secretKeyPrevious: [Buffer.alloc(32, 0xcd), Buffer.alloc(32, 0xef)],
      extraCaPem: CA_PEM,
      evidenceSigner: null,
      actions: {
        cancelWindowSeconds: 300,
        destructivePerHour: 50,
        destructivePerRequest: 5,
        fleetSharePercent: 2,
        approvalHours: 8,
        leaseSeconds: 30,
      },
      posture: { cacheMs: 250, retentionDays: 120 },
      inventoryRetentionDays: 90,
      syncGoneGuardPercent: 40,
      rateLimitPerMinute: 120,
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

describe('loadConfig: evidence signing', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-evidence-config-'));
  const file = (name: string, content: string) => {
    fs.writeFileSync(path.join(dir, name), content);
    return path.join(dir, name);
  };
  const ca = createCertificateAuthority('Evidence Test CA');
  const signer = issueCertificate(ca, { commonName: 'Warden evidence', usage: 'signing' });
  const other = issueCertificate(ca, { commonName: 'Someone else', usage: 'signing' });
  const certFile = file('signer.pem', signer.certPem + ca.certPem);
  const pkcs8File = file('signer-key.pem', signer.keyPem);
  const pkcs1Pem = createPrivateKey(signer.keyPem).export({ type: 'pkcs1', format: 'pem' }) as string;
  const pkcs1File = file('signer-key-rsa.pem', pkcs1Pem);
  /** The base64 body of the key, as it would appear if it leaked anywhere. */
  const keyBody = signer.keyPem.split('\n')[1]!;

  function refusal(env: Record<string, string>): ConfigError {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).not.toContain('\n');
      return error as ConfigError;
    }
    throw new Error('loadConfig accepted the configuration');
  }

  it('is off when neither variable is set', () => {
    expect(loadConfig({}).evidenceSigner).toBeNull();
  });

  it.each([
    ['PKCS#8', pkcs8File],
    ['PKCS#1', pkcs1File],
  ])('accepts a %s RSA key matching the certificate, and never shows the key', (_format, keyFile) => {
    const config = loadConfig({ WARDEN_EVIDENCE_CERT_FILE: certFile, WARDEN_EVIDENCE_KEY_FILE: keyFile });
    expect(config.evidenceSigner?.info).toMatchObject({
      subject: 'CN=Warden evidence, O=Warden test PKI',
      issuer: 'CN=Evidence Test CA, O=Warden test PKI',
    });
    expect(config.evidenceSigner?.needsPurposeAny).toBe(false);
    expect(JSON.stringify(config)).not.toContain(keyBody);
    expect(inspect(config, { depth: 10, showHidden: true })).not.toContain(keyBody);
  });

  it('refuses one variable without the other, naming the missing one', () => {
    expect(refusal({ WARDEN_EVIDENCE_CERT_FILE: certFile }).variable).toBe('WARDEN_EVIDENCE_KEY_FILE');
    expect(refusal({ WARDEN_EVIDENCE_KEY_FILE: pkcs8File }).variable).toBe('WARDEN_EVIDENCE_CERT_FILE');
  });

  it('refuses a key that belongs to another certificate', () => {
    const error = refusal({
      WARDEN_EVIDENCE_CERT_FILE: file('other.pem', other.certPem),
      WARDEN_EVIDENCE_KEY_FILE: pkcs8File,
    });
    expect(error.variable).toBe('WARDEN_EVIDENCE_KEY_FILE');
    expect(error.message).toMatch(
      /^WARDEN_EVIDENCE_KEY_FILE: expected the private key of the first certificate .* belongs to another certificate$/,
    );
    expect(error.message).not.toContain(keyBody);
  });

  it.each([
    [
      'an unreadable key file',
      { WARDEN_EVIDENCE_KEY_FILE: path.join(dir, 'missing.pem') },
      'WARDEN_EVIDENCE_KEY_FILE',
      /a readable PEM file, but ENOENT/,
    ],
    [
      'a certificate file without certificates',
      { WARDEN_EVIDENCE_CERT_FILE: file('empty.pem', 'nothing here') },
      'WARDEN_EVIDENCE_CERT_FILE',
      /PEM certificates, but the file holds none/,
    ],
    [
      'a key that is not PEM',
      { WARDEN_EVIDENCE_KEY_FILE: file('garbage-key.pem', 'garbage') },
      'WARDEN_EVIDENCE_KEY_FILE',
      /an unencrypted PEM RSA private key/,
    ],
    [
      'an EC key',
      {
        WARDEN_EVIDENCE_KEY_FILE: file(
          'ec-key.pem',
          generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
            type: 'pkcs8',
            format: 'pem',
          }) as string,
        ),
      },
      'WARDEN_EVIDENCE_KEY_FILE',
      /an RSA private key, but it is ec/,
    ],
    [
      'an expired certificate',
      (() => {
        const expired = issueCertificate(ca, { commonName: 'expired', usage: 'signing', validityDays: 0 });
        return {
          WARDEN_EVIDENCE_CERT_FILE: file('expired.pem', expired.certPem),
          WARDEN_EVIDENCE_KEY_FILE: file('expired-key.pem', expired.keyPem),
        };
      })(),
      'WARDEN_EVIDENCE_CERT_FILE',
      /a signer certificate valid now, but the first certificate is valid from/,
    ],
  ])('refuses %s, naming the variable', (_case, env, variable, message) => {
    const error = refusal({ WARDEN_EVIDENCE_CERT_FILE: certFile, WARDEN_EVIDENCE_KEY_FILE: pkcs8File, ...env });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(message);
  });
});
