// Proof that no secret reaches the logs: the real service (startServer, with WARDEN_SECRET_KEY and
// WARDEN_BOOTSTRAP_TOKEN, the worker in the same process, logging at trace) runs a full flow against the three
// emulated MDMs: Intune by client secret, by PEM certificate and by PFX, Jamf Pro, Android Management by service
// account key, each also with a wrong credential so that the failure paths log their errors; syncs through the
// worker; API tokens created, used and revoked; a webhook whose deliveries are signed. Then every secret used,
// including the bearer tokens the emulators issued and the client assertions Warden signed (recorded by spying on
// the emulators' token endpoints), is looked for in everything that was logged.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import forge from 'node-forge';
import { type Config, loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { type RunningService, startServer } from '../../src/service';
import { type AndroidEmulator, androidEmulatorConnection } from '../../src/sim/android';
import { TokenAuthority as AndroidTokenAuthority, createServiceAccountKey } from '../../src/sim/android/auth';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, emulatorConnection, type GraphEmulator } from '../../src/sim/graph';
import { TokenAuthority as GraphTokenAuthority } from '../../src/sim/graph/auth';
import { type JamfEmulator, jamfEmulatorConnection } from '../../src/sim/jamf';
import { JamfTokenAuthority } from '../../src/sim/jamf/auth';
import { createSelfSignedCertificate } from '../../src/sim/tls';
import { startEmulator as startAndroid } from '../sim/android/helpers';
import { startEmulator as startGraph } from '../sim/graph/helpers';
import { startJamf } from '../sim/jamf/helpers';
import { assertMatchesContract } from '../support/contract';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { captureLog } from '../support/log-capture';

const CERT_CLIENT = '5d0c8b1e-7a2f-4c3d-9e8f-1a2b3c4d5e6f';
const certificate = createSelfSignedCertificate('warden-redaction-test');
const PFX_PASSWORD = `pfx-${randomBytes(9).toString('hex')}`;
const pfxBase64 = (() => {
  const asn1 = forge.pkcs12.toPkcs12Asn1(
    forge.pki.privateKeyFromPem(certificate.keyPem),
    [forge.pki.certificateFromPem(certificate.certPem)],
    PFX_PASSWORD,
    { algorithm: '3des' },
  );
  return forge.util.encode64(forge.asn1.toDer(asn1).getBytes());
})();
const SECRET_KEY = randomBytes(32);
const BOOTSTRAP_TOKEN = `boot_${randomBytes(24).toString('base64url')}`;
const WRONG_INTUNE_SECRET = `wrong-intune-${randomBytes(12).toString('hex')}`;
const WRONG_JAMF_SECRET = `wrong-jamf-${randomBytes(12).toString('hex')}`;
const unregisteredKey = createServiceAccountKey('not-registered');

/** Every form field and access token that went through an emulator's token endpoint. */
function tokenEndpointSecrets(): string[] {
  const found: string[] = [];
  const spies = [
    jest.mocked(GraphTokenAuthority.prototype.token),
    jest.mocked(JamfTokenAuthority.prototype.token),
    jest.mocked(AndroidTokenAuthority.prototype.token),
  ];
  for (const spy of spies) {
    for (const [request] of spy.mock.calls) {
      const form = new URLSearchParams(
        (request as { rawBody?: string; body?: string }).rawBody ?? (request as { body?: string }).body ?? '',
      );
      for (const field of ['client_secret', 'client_assertion', 'assertion']) {
        const value = form.get(field);
        if (value) found.push(value);
      }
    }
    for (const result of spy.mock.results) {
      const value = result.value as { response?: { body?: unknown }; body?: unknown };
      const body = (value.response?.body ?? value.body) as { access_token?: string } | undefined;
      if (body?.access_token) found.push(body.access_token);
    }
  }
  return found;
}

/** The value, and the parts of it that would be as bad to leak: a JWT's signature, a PEM's body lines. */
function withFragments(secret: string): string[] {
  const fragments = [secret];
  const jwt = secret.split('.');
  if (jwt.length === 3 && jwt[2]!.length >= 16) fragments.push(jwt[2]!);
  if (secret.includes('-----BEGIN')) {
    const body = secret.split('\n').filter((line) => line.length >= 40 && !line.startsWith('-----'));
    fragments.push(body[Math.floor(body.length / 2)]!, body[body.length - 1]!.slice(0, 32));
  }
  return fragments;
}

describe('no secret in the logs', () => {
  let graph: GraphEmulator;
  let jamf: JamfEmulator;
  let android: AndroidEmulator;
  let db: TestDatabase;
  let service: RunningService;
  let stopped = false;
  let receiver: http.Server;
  const received: string[] = [];
  const lines: string[] = [];
  const secrets = new Set<string>([
    BOOTSTRAP_TOKEN,
    SECRET_KEY.toString('hex'),
    SECRET_KEY.toString('base64'),
    SECRET_KEY.toString('base64url'),
    DEFAULT_CLIENT_SECRET,
    WRONG_INTUNE_SECRET,
    WRONG_JAMF_SECRET,
    certificate.keyPem,
    pfxBase64,
    PFX_PASSWORD,
    unregisteredKey.private_key,
  ]);

  async function request<T = unknown>(method: string, path: string, token: string | null, body?: unknown) {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(service.url + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const contentType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const parsed = contentType.endsWith('json') && text ? JSON.parse(text) : text || undefined;
    assertMatchesContract(method, path.split('?')[0]!, { status: response.status, contentType, body: parsed });
    return { status: response.status, body: parsed as T };
  }

  async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 90_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  beforeAll(async () => {
    jest.spyOn(GraphTokenAuthority.prototype, 'token');
    jest.spyOn(JamfTokenAuthority.prototype, 'token');
    jest.spyOn(AndroidTokenAuthority.prototype, 'token');
    [graph, jamf, android] = await Promise.all([
      startGraph({
        devices: 15,
        seed: 7,
        actionLatencyMs: 100,
        clients: [
          { clientId: DEFAULT_CLIENT_ID, clientSecret: DEFAULT_CLIENT_SECRET },
          { clientId: CERT_CLIENT, certificatePem: certificate.certPem },
        ],
      }),
      startJamf({ mobileDevices: 10 }),
      startAndroid({ devices: 10 }),
    ]);
    secrets.add(jamf.clientSecret);
    secrets.add(android.serviceAccountKey!.private_key);

    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        received.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));

    db = await createTestDatabase();
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const config: Config = {
      ...loadConfig({
        WARDEN_SECRET_KEY: SECRET_KEY.toString('hex'),
        WARDEN_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN,
        LOG_LEVEL: 'trace',
      }),
      databaseUrl: db.url,
      port: 0,
      extraCaPem: graph.caPem,
    };
    service = await startServer(config, createLogger(config.logLevel, sink), { withWorker: true });
  }, 90_000);

  afterAll(async () => {
    if (!stopped) await service?.stop();
    await db?.drop();
    await Promise.all([graph?.stop(), jamf?.stop(), android?.stop()]);
    await new Promise((resolve) => receiver?.close(resolve));
    jest.restoreAllMocks();
  });

  it('logs none of the secrets used in a full flow', async () => {
    // Tokens: created with the bootstrap token, used, one revoked and then refused.
    const admin = await request<{ id: string; token: string }>('POST', '/v1/tokens', BOOTSTRAP_TOKEN, {
      name: 'redaction-admin',
      role: 'admin',
    });
    expect(admin.status).toBe(201);
    const viewer = await request<{ id: string; token: string }>('POST', '/v1/tokens', admin.body.token, {
      name: 'redaction-viewer',
      role: 'security-viewer',
    });
    expect(viewer.status).toBe(201);
    for (const token of [admin.body.token, viewer.body.token]) secrets.add(token);
    expect((await request('GET', '/v1/me', viewer.body.token)).status).toBe(200);
    expect((await request('DELETE', `/v1/tokens/${viewer.body.id}`, admin.body.token)).status).toBe(204);
    expect((await request('GET', '/v1/me', viewer.body.token)).status).toBe(401);
    // A token in the query string and in a malformed header, and a made-up token.
    expect((await request('GET', `/v1/me?access_token=${admin.body.token}`, null)).status).toBe(401);
    const malformed = await fetch(`${service.url}/v1/me`, { headers: { authorization: `Token ${admin.body.token}` } });
    expect(malformed.status).toBe(401);
    const madeUp = `wdn_${randomBytes(32).toString('base64url')}`;
    secrets.add(madeUp);
    expect((await request('GET', '/v1/me', madeUp)).status).toBe(401);
    const token = admin.body.token;

    // Connections, good and bad credentials, through the API.
    const intune = (credentials: Record<string, unknown> & { type: string }, clientId = DEFAULT_CLIENT_ID) =>
      emulatorConnection(graph, { clientId, credentials });
    const connections = [
      { name: 'intune-secret', ...intune({ type: 'client-secret', clientSecret: DEFAULT_CLIENT_SECRET }) },
      {
        name: 'intune-pem',
        ...intune(
          { type: 'certificate', certificatePem: certificate.certPem, privateKeyPem: certificate.keyPem },
          CERT_CLIENT,
        ),
      },
      {
        name: 'intune-pfx',
        ...intune({ type: 'certificate-pfx', pfxBase64, pfxPassword: PFX_PASSWORD }, CERT_CLIENT),
      },
      { name: 'jamf', ...jamfEmulatorConnection(jamf) },
      { name: 'android', ...androidEmulatorConnection(android) },
      { name: 'intune-wrong', ...intune({ type: 'client-secret', clientSecret: WRONG_INTUNE_SECRET }) },
      {
        name: 'jamf-wrong',
        ...jamfEmulatorConnection(jamf, { clientId: jamf.clientId, clientSecret: WRONG_JAMF_SECRET }),
      },
      { name: 'android-wrong', ...androidEmulatorConnection(android, unregisteredKey) },
    ];
    const ids: Record<string, string> = {};
    for (const body of connections) {
      const created = await request<{ id: string }>('POST', '/v1/connections', token, body);
      expect([body.name, created.status]).toEqual([body.name, 201]);
      ids[body.name] = created.body.id;
    }
    // A refused connection whose body carries a secret (the validation error must not log it).
    const refused = await request('POST', '/v1/connections', token, {
      name: 'bad',
      kind: 'jamf',
      settings: { baseUrl: 'not a url' },
      credentials: { type: 'client-credentials', clientId: 'x', clientSecret: WRONG_JAMF_SECRET },
    });
    expect(refused.status).toBe(400);

    // Sync each through the worker, and wait for every run to end.
    for (const id of Object.values(ids)) {
      expect((await request('POST', `/v1/connections/${id}/sync`, token)).status).toBe(202);
    }
    await waitFor('every sync to finish', async () => {
      const runs = await db.knex('sync_runs').whereNot({ outcome: 'running' }).distinct('connection_id');
      return runs.length === Object.keys(ids).length;
    });
    const outcomes = Object.fromEntries(
      (await db.knex('sync_runs').join('connections', 'connections.id', 'sync_runs.connection_id')).map((row) => [
        row.name,
        row.outcome,
      ]),
    );
    expect(outcomes).toMatchObject({
      'intune-secret': 'succeeded',
      'intune-pem': 'succeeded',
      'intune-pfx': 'succeeded',
      jamf: 'succeeded',
      android: 'succeeded',
      'intune-wrong': 'failed',
      'jamf-wrong': 'failed',
      'android-wrong': 'failed',
    });

    // A webhook, and an action whose events it receives signed.
    const hook = await request<{ secret: string }>('POST', '/v1/webhooks', token, {
      url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
      events: ['action.*'],
    });
    expect(hook.status).toBe(201);
    secrets.add(hook.body.secret);
    const [device] = await db.knex('devices').where({ connection_id: ids['intune-secret'] }).select('id').limit(1);
    const action = await request('POST', '/v1/actions', token, {
      action: 'sync',
      devices: [device.id],
      reason: 'redaction test',
      idempotencyKey: 'redaction-1',
    });
    expect(action.status).toBe(201);
    await waitFor('a webhook delivery', async () => {
      await service.worker!.runNow('webhook-deliver');
      return received.length > 0;
    });

    stopped = true;
    await service.stop();
    const logged = lines.join('');
    // The flow was logged at all: requests, syncs, failures with their errors, job runs.
    expect(logged).toMatch(/"msg":"request"/);
    expect(logged).toMatch(/sync failed/);
    expect(logged).toMatch(/"msg":"job run succeeded"/);

    const issued = tokenEndpointSecrets();
    // Client secrets and assertions went out, and the emulators issued bearer tokens to Warden.
    expect(issued.filter((s) => s.split('.').length === 3).length).toBeGreaterThan(2);
    expect(issued.length).toBeGreaterThan(6);
    const leaks: string[] = [];
    for (const secret of [...secrets, ...issued]) {
      for (const fragment of withFragments(secret)) {
        if (logged.includes(fragment)) leaks.push(`${secret.slice(0, 12)}… (as ${fragment.slice(0, 12)}…)`);
      }
    }
    expect(leaks).toEqual([]);
  }, 180_000);
});

describe('careless logging', () => {
  const capture = () => captureLog('trace');

  it('keeps the secret keys out when the whole configuration is logged', () => {
    const { log, text } = capture();
    const previous = randomBytes(32);
    const config = loadConfig({
      WARDEN_SECRET_KEY: SECRET_KEY.toString('hex'),
      WARDEN_SECRET_KEY_PREVIOUS: previous.toString('hex'),
      WARDEN_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN,
      DATABASE_URL: 'postgres://warden:db-password-1234@db.internal/warden',
    });
    log.info({ config }, 'configuration');
    log.debug({ ...config }, 'configuration, spread');
    expect(text()).toMatch(/"msg":"configuration"/);
    // A Buffer is logged as its bytes: look for the key's first bytes as JSON numbers too.
    const asJsonBytes = (key: Buffer) => [...key.subarray(0, 8)].join(',');
    for (const secret of [BOOTSTRAP_TOKEN, 'db-password-1234', asJsonBytes(SECRET_KEY), asJsonBytes(previous)]) {
      expect(text()).not.toContain(secret);
    }
  });

  it('keeps secrets out of HTTP client shapes: capitalised headers, form fields, cookies, deeper objects', () => {
    const { log, text } = capture();
    const secret = (n: number) => `careless-secret-${n}-${randomBytes(6).toString('hex')}`;
    const used = Array.from({ length: 9 }, (_, i) => secret(i));
    log.warn(
      {
        request: { method: 'POST', headers: { Authorization: `Bearer ${used[0]}`, Cookie: `session=${used[1]}` } },
        form: { grant_type: 'jwt-bearer', assertion: used[2], client_assertion: used[3] },
        error: { config: { headers: { authorization: `Bearer ${used[4]}` } } },
        webhook: { url: 'http://127.0.0.1/hook', secret: used[5] },
        key: { private_key: used[6], private_key_id: 'abc' },
        apiKey: used[7],
        passphrase: used[8],
      },
      'careless',
    );
    expect(text()).toMatch(/"msg":"careless"/);
    for (const value of used) expect(text()).not.toContain(value);
  });

  it('logs no raw bytes, and a Buffer anywhere does not make the log call fail', () => {
    const { log, text } = capture();
    const key = Buffer.from('raw-key-material-0123456789abcdef');
    const shapes = [
      { buf: key },
      { a: { buf: key } },
      { a: { b: [key, new Uint8Array(key)] } },
      { a: { b: { c: { buf: key.buffer } } } },
    ];
    for (const shape of shapes) expect(() => log.info(shape, 'binary')).not.toThrow();
    const err = Object.assign(new Error('with a body'), { body: key, response: { data: key } });
    expect(() => log.error({ err }, 'binary')).not.toThrow();
    expect(text().match(/"msg":"binary"/g)).toHaveLength(shapes.length + 1);
    expect(text()).toMatch(/"err":\{"type":"Error","message":"with a body"/);
    expect(text()).toMatch(/\[binary, 33 bytes\]/);
    expect(text()).not.toContain('raw-key-material');
    expect(text()).not.toContain([...key.subarray(0, 8)].join(','));
    // The caller's objects are left as they were.
    expect(shapes[1]!.a!.buf).toBe(key);
  });
});
