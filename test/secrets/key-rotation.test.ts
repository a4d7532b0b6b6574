// Key rotation: WARDEN_SECRET_KEY_PREVIOUS opens what older keys sealed while the current key seals; `warden keys
// rotate` re-seals every connection credential and webhook secret under the current key, audited with counts only,
// idempotent, and refusing to change anything when a value cannot be opened.
import { randomBytes } from 'node:crypto';
import { CLI_ACTOR } from '../../src/auth/roles';
import { ConfigError, loadConfig } from '../../src/config';
import { resolveSecretBox } from '../../src/connections/keys';
import { RotationError, rotateSecrets } from '../../src/connections/rotate-key';
import { keyIdOf, SecretBox, sealedKeyId, UnknownKeyError } from '../../src/connections/secret-box';
import { createConnection, loadConnectorDefinition } from '../../src/connections/store';
import { openSecret } from '../../src/webhooks/store';
import { startTestApi, type TestApi } from '../support/api';
import { runWarden } from '../support/cli';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const keyC = randomBytes(32);
const hex = (key: Buffer) => key.toString('hex');
const boxA = new SecretBox(keyA);

describe('SecretBox with previous keys', () => {
  it('opens values sealed under a previous key, seals only under the current one', () => {
    const sealedA = boxA.seal('hello', 'ctx');
    const rotating = new SecretBox(keyB, [keyA]);
    expect(rotating.open(sealedA, 'ctx')).toBe('hello');
    expect(rotating.isCurrent(sealedA)).toBe(false);
    const resealed = rotating.reseal(sealedA, 'ctx');
    expect(sealedKeyId(resealed)).toBe(keyIdOf(keyB));
    expect(rotating.reseal(resealed, 'ctx')).toBe(resealed);
    expect(new SecretBox(keyB).open(resealed, 'ctx')).toBe('hello');
    expect(rotating.previousKeyIds).toEqual([keyIdOf(keyA)]);
    // The context still binds the value.
    expect(() => rotating.open(sealedA, 'other')).toThrow();
  });

  it('names the missing key and where to give it', () => {
    const sealedA = boxA.seal('hello', 'ctx');
    let thrown: unknown;
    try {
      new SecretBox(keyB).open(sealedA, 'ctx');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UnknownKeyError);
    expect((thrown as Error).message).toContain(`sealed with key ${keyIdOf(keyA)}`);
    expect((thrown as Error).message).toContain('WARDEN_SECRET_KEY_PREVIOUS');
    expect((thrown as Error).message).not.toContain(hex(keyA));
  });
});

describe('WARDEN_SECRET_KEY_PREVIOUS', () => {
  it('takes comma-separated keys, hex or base64, into the secret box', () => {
    const config = loadConfig({
      WARDEN_SECRET_KEY: hex(keyB),
      WARDEN_SECRET_KEY_PREVIOUS: ` ${hex(keyA)} ,${keyC.toString('base64url')}`,
    });
    expect(config.secretKeyPrevious).toEqual([keyA, keyC]);
    const box = resolveSecretBox(config)!;
    expect(box.keyId).toBe(keyIdOf(keyB));
    expect(box.previousKeyIds).toEqual([keyIdOf(keyA), keyIdOf(keyC)]);
    expect(loadConfig({}).secretKeyPrevious).toEqual([]);
  });

  it.each([
    [
      'a malformed entry',
      { WARDEN_SECRET_KEY: hex(keyB), WARDEN_SECRET_KEY_PREVIOUS: `${hex(keyA)},not-a-key` },
      'WARDEN_SECRET_KEY_PREVIOUS',
      /entry 2 of 2 is not one/,
    ],
    [
      'previous keys without a current one',
      { WARDEN_SECRET_KEY_PREVIOUS: hex(keyA) },
      'WARDEN_SECRET_KEY',
      /as WARDEN_SECRET_KEY_PREVIOUS is set/,
    ],
  ])('refuses %s, naming the variable without echoing a key', (_case, env, variable, message) => {
    let thrown: unknown;
    try {
      loadConfig(env);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).variable).toBe(variable);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toContain(hex(keyA));
  });
});

describe('rotating the key', () => {
  let api: TestApi;
  const plaintexts: string[] = [];

  const sealedRows = async () => ({
    connections: await api.db.knex('connections').select('id', 'credentials_sealed as sealed').orderBy('id'),
    webhooks: await api.db.knex('webhooks').select('id', 'secret_sealed as sealed').orderBy('id'),
  });
  const keyIds = async () => {
    const rows = await sealedRows();
    return [...rows.connections, ...rows.webhooks].map((row) => sealedKeyId(row.sealed));
  };

  beforeAll(async () => {
    api = await startTestApi({ secretBox: boxA });
    for (const [index, secret] of ['intune-secret-1', 'jamf-secret-2'].entries()) {
      plaintexts.push(secret);
      const created = await api.request('POST', '/v1/connections', {
        body: {
          name: `tenant-${index}`,
          kind: 'jamf',
          settings: { baseUrl: 'https://jamf.example.com' },
          credentials: { type: 'client-credentials', clientId: `client-${index}`, clientSecret: secret },
        },
      });
      expect(created.status).toBe(201);
    }
    for (const port of [9001, 9002]) {
      const hook = await api.request<{ id: string; secret: string }>('POST', '/v1/webhooks', {
        body: { url: `http://127.0.0.1:${port}/hook`, events: ['action.*'] },
      });
      expect(hook.status).toBe(201);
      plaintexts.push(hook.body.secret);
      // A deleted webhook's secret is still stored, so it must move to the new key too.
      if (port === 9002) expect((await api.request('DELETE', `/v1/webhooks/${hook.body.id}`)).status).toBe(204);
    }
  }, 30_000);
  afterAll(() => api?.close());

  it('refuses, changing nothing, when the previous key is missing or wrong', async () => {
    const before = await sealedRows();
    for (const box of [new SecretBox(keyB), new SecretBox(keyB, [keyC])]) {
      const attempt = rotateSecrets(api.db.knex, box, { actor: CLI_ACTOR });
      await expect(attempt).rejects.toThrow(RotationError);
      await expect(attempt).rejects.toThrow(
        new RegExp(
          `nothing was re-sealed: 4 sealed values cannot be opened .*key ${keyIdOf(keyA)}, which is not configured.*WARDEN_SECRET_KEY_PREVIOUS`,
        ),
      );
    }
    expect(await sealedRows()).toEqual(before);
    expect(await api.db.knex('audit_events').where({ action: 'secrets.rotate' })).toEqual([]);
  });

  it('re-seals every row under the new key, which then opens them alone; audited with counts only', async () => {
    const report = await rotateSecrets(api.db.knex, new SecretBox(keyB, [keyA]), { actor: CLI_ACTOR });
    expect(report).toEqual({
      keyId: keyIdOf(keyB),
      resealed: { connections: 2, webhooks: 2 },
      alreadyCurrent: { connections: 0, webhooks: 0 },
      from: { [keyIdOf(keyA)]: 4 },
    });
    expect(await keyIds()).toEqual(Array(4).fill(keyIdOf(keyB)));

    // Key B alone opens everything: the connector definitions and the webhook secrets.
    const onlyB = new SecretBox(keyB);
    const rows = await sealedRows();
    const opened: string[] = [];
    for (const { id } of rows.connections) {
      const { definition } = await loadConnectorDefinition(api.db.knex, onlyB, id);
      opened.push((definition.credentials as { clientSecret: string }).clientSecret);
    }
    for (const row of rows.webhooks) opened.push(openSecret(onlyB, { id: row.id, secret_sealed: row.sealed }));
    expect(opened.sort()).toEqual([...plaintexts].sort());
    await expect(loadConnectorDefinition(api.db.knex, boxA, rows.connections[0]!.id)).rejects.toThrow(UnknownKeyError);

    const events = await api.db.knex('audit_events').where({ action: 'secrets.rotate' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor_type: 'cli', target_type: 'secret-key', target_id: keyIdOf(keyB) });
    expect(events[0].details).toEqual({
      keyId: keyIdOf(keyB),
      resealed: { connections: 2, webhooks: 2 },
      from: { [keyIdOf(keyA)]: 4 },
      alreadyCurrent: { connections: 0, webhooks: 0 },
      batch: 1,
      batches: 1,
    });
    const stored = JSON.stringify(events[0]);
    for (const secret of [...plaintexts, hex(keyA), hex(keyB)]) expect(stored).not.toContain(secret);
    expect((await api.request<{ intact: boolean }>('GET', '/v1/audit/verify')).body.intact).toBe(true);
  });

  it('is idempotent: a second run re-seals nothing and says all were current', async () => {
    const before = await sealedRows();
    const report = await rotateSecrets(api.db.knex, new SecretBox(keyB, [keyA]), { actor: CLI_ACTOR });
    expect(report).toMatchObject({
      resealed: { connections: 0, webhooks: 0 },
      alreadyCurrent: { connections: 2, webhooks: 2 },
    });
    expect(await sealedRows()).toEqual(before);
  });

  it('re-seals in batches, one transaction and audit event each', async () => {
    // Two more credentials sealed under B by a process not yet moved to C; then rotate to C in batches of 2.
    for (const name of ['late-1', 'late-2']) {
      await createConnection(
        api.db.knex,
        new SecretBox(keyB),
        {
          name,
          kind: 'jamf',
          settings: { baseUrl: 'https://jamf.example.com' },
          credentials: { type: 'client-credentials', clientId: name, clientSecret: `${name}-secret` },
        },
        { actor: CLI_ACTOR },
      );
    }
    const seqBefore = (await api.db.knex('audit_events').max('seq as seq').first())!.seq as number;
    const report = await rotateSecrets(
      api.db.knex,
      new SecretBox(keyC, [keyB]),
      { actor: CLI_ACTOR },
      { batchSize: 2 },
    );
    expect(report.resealed).toEqual({ connections: 4, webhooks: 2 });
    expect(await keyIds()).toEqual(Array(6).fill(keyIdOf(keyC)));
    const events = await api.db
      .knex('audit_events')
      .where({ action: 'secrets.rotate' })
      .where('seq', '>', seqBefore)
      .orderBy('seq');
    expect(events.map((e) => [e.details.batch, e.details.batches])).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });

  it('runs as `warden keys rotate`, reporting what it re-sealed and what was current', async () => {
    const env = { DATABASE_URL: api.db.url, WARDEN_SECRET_KEY: hex(keyA), WARDEN_SECRET_KEY_PREVIOUS: hex(keyB) };
    const missing = runWarden(['keys', 'rotate'], env);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^warden: nothing was re-sealed: 6 sealed values cannot be opened .*\n$/);
    expect(missing.stderr.split('\n')).toHaveLength(2);
    expect(await keyIds()).toEqual(Array(6).fill(keyIdOf(keyC)));

    const rotated = runWarden(['keys', 'rotate'], { ...env, WARDEN_SECRET_KEY_PREVIOUS: `${hex(keyB)},${hex(keyC)}` });
    expect(rotated.stderr).toMatch(/WARDEN_SECRET_KEY_PREVIOUS can be removed/);
    expect(rotated.status).toBe(0);
    expect(rotated.stdout).toBe(
      `re-sealed 6 secrets under key ${keyIdOf(keyA)} (4 connections, 2 webhooks); 0 secrets already current (0 connections, 0 webhooks)\n`,
    );
    const again = runWarden(['keys', 'rotate'], { DATABASE_URL: api.db.url, WARDEN_SECRET_KEY: hex(keyA) });
    expect(again.status).toBe(0);
    expect(again.stdout).toBe(
      `re-sealed 0 secrets under key ${keyIdOf(keyA)} (0 connections, 0 webhooks); 6 secrets already current (4 connections, 2 webhooks)\n`,
    );
    expect(`${rotated.stdout}${rotated.stderr}${again.stdout}`).not.toMatch(new RegExp(`${hex(keyA)}|${hex(keyB)}`));

    const noKey = runWarden(['keys', 'rotate'], { DATABASE_URL: api.db.url });
    expect(noKey.status).toBe(2);
    expect(noKey.stderr).toMatch(/^warden: keys rotate needs WARDEN_SECRET_KEY/);
  });
});
