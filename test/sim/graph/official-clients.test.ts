import { createHash, createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { ClientCertificateCredential, ClientSecretCredential, type TokenCredential } from '@azure/identity';
import { BatchRequestContent, BatchResponseContent, Client, PageIterator } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { Agent } from 'undici';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, type GraphEmulator } from '../../../src/sim/graph';
import { createSelfSignedCertificate } from '../../../src/sim/tls';
import { EmulatorClient, startEmulator } from './helpers';

const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
const CERT_CLIENT_ID = '0b7d3c5e-9a21-4f6e-8d4c-2b1a0e9f8c73';

/**
 * The official SDKs against the emulator, trusting the test CA without touching process-wide TLS:
 * - @azure/identity: `tlsOptions: { ca }` (a pipeline option of every credential) plus
 *   `disableInstanceDiscovery: true`, because MSAL's instance discovery otherwise goes to the real
 *   login.microsoftonline.com whatever the authorityHost;
 * - microsoft-graph-client: `fetchOptions.dispatcher` = an undici Agent with `connect.ca`, and
 *   `customHosts` so the bearer token is attached to 127.0.0.1.
 */
function credentialOptions(emulator: GraphEmulator) {
  return { authorityHost: emulator.authorityHost, disableInstanceDiscovery: true, tlsOptions: { ca: emulator.caPem } };
}

function graphClient(emulator: GraphEmulator, credential: TokenCredential, dispatcher: Agent): Client {
  return Client.initWithMiddleware({
    authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: [GRAPH_SCOPE] }),
    baseUrl: `${emulator.url}/`,
    defaultVersion: 'v1.0',
    customHosts: new Set(['127.0.0.1']),
    fetchOptions: { dispatcher } as RequestInit,
  });
}

async function listAllDeviceIds(client: Client, pageSize: number): Promise<string[]> {
  const ids: string[] = [];
  const first = await client.api('/deviceManagement/managedDevices').top(pageSize).select('id,deviceName').get();
  await new PageIterator(client, first, (device: { id: string }) => {
    ids.push(device.id);
    return true;
  }).iterate();
  return ids;
}

describe('official Microsoft clients against the emulator', () => {
  const certificate = createSelfSignedCertificate('warden-connector');
  const strangerCertificate = createSelfSignedCertificate('not-registered');
  let emulator: GraphEmulator;
  let dispatcher: Agent;

  beforeAll(async () => {
    emulator = await startEmulator({
      devices: 230,
      seed: 5,
      clients: [
        { clientId: DEFAULT_CLIENT_ID, clientSecret: DEFAULT_CLIENT_SECRET },
        { clientId: CERT_CLIENT_ID, certificatePem: certificate.certPem },
      ],
    });
    dispatcher = new Agent({ connect: { ca: emulator.caPem } });
  });
  afterAll(async () => {
    await dispatcher.close();
    await emulator.stop();
  });

  const expectedIds = () => [...emulator.tenant.devices()].map((device) => device.id);

  it('ClientSecretCredential + Graph client page through the exact fleet', async () => {
    const credential = new ClientSecretCredential(
      emulator.tenantId,
      DEFAULT_CLIENT_ID,
      DEFAULT_CLIENT_SECRET,
      credentialOptions(emulator),
    );
    const client = graphClient(emulator, credential, dispatcher);
    const ids = await listAllDeviceIds(client, 100);
    expect(ids).toEqual(expectedIds());
    expect(emulator.stats().requests['GET /v1.0/deviceManagement/managedDevices']?.['200']).toBeGreaterThanOrEqual(3);
  });

  it('ClientCertificateCredential (PEM, PS256 + x5t#S256) pages through the exact fleet', async () => {
    const pem = `${certificate.certPem}\n${certificate.keyPem}`;
    const credential = new ClientCertificateCredential(
      emulator.tenantId,
      CERT_CLIENT_ID,
      { certificate: pem },
      credentialOptions(emulator),
    );
    const token = await credential.getToken(GRAPH_SCOPE);
    const claims = JSON.parse(Buffer.from(token.token.split('.')[1] as string, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    expect(claims).toMatchObject({
      appid: CERT_CLIENT_ID,
      appidacr: '2',
      aud: 'https://graph.microsoft.com',
      tid: emulator.tenantId,
    });
    const ids = await listAllDeviceIds(graphClient(emulator, credential, dispatcher), 1000);
    expect(ids).toEqual(expectedIds());
  });

  it('rejects a wrong secret with invalid_client / AADSTS7000215', async () => {
    const credential = new ClientSecretCredential(
      emulator.tenantId,
      DEFAULT_CLIENT_ID,
      'not-the-secret',
      credentialOptions(emulator),
    );
    await expect(credential.getToken(GRAPH_SCOPE)).rejects.toThrow(/invalid_client[\s\S]*AADSTS7000215/);
  });

  it('rejects an unregistered certificate with invalid_client / AADSTS700027', async () => {
    const pem = `${strangerCertificate.certPem}\n${strangerCertificate.keyPem}`;
    const credential = new ClientCertificateCredential(
      emulator.tenantId,
      CERT_CLIENT_ID,
      { certificate: pem },
      credentialOptions(emulator),
    );
    await expect(credential.getToken(GRAPH_SCOPE)).rejects.toThrow(/invalid_client[\s\S]*AADSTS700027/);
  });

  it('accepts an RS256 assertion with the SHA-1 x5t, and checks audience, issuer and lifetime', async () => {
    const client = new EmulatorClient(emulator);
    const tokenUrl = `${emulator.url}/${emulator.tenantId}/oauth2/v2.0/token`;
    const der = new X509Certificate(certificate.certPem).raw;
    const now = Math.floor(Date.now() / 1000);
    const assertion = (overrides: Record<string, unknown>) => {
      const header = { alg: 'RS256', typ: 'JWT', x5t: createHash('sha1').update(der).digest('base64url') };
      const claims = {
        aud: tokenUrl,
        iss: CERT_CLIENT_ID,
        sub: CERT_CLIENT_ID,
        jti: randomUUID(),
        nbf: now,
        iat: now,
        exp: now + 600,
        ...overrides,
      };
      const body = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      return `${body}.${sign('sha256', Buffer.from(body), createPrivateKey(certificate.keyPem)).toString('base64url')}`;
    };
    const request = (clientAssertion: string) =>
      client.send('POST', `/${emulator.tenantId}/oauth2/v2.0/token`, {
        form: {
          grant_type: 'client_credentials',
          client_id: CERT_CLIENT_ID,
          scope: GRAPH_SCOPE,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: clientAssertion,
        },
      });
    const ok = await request(assertion({}));
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
    for (const [overrides, code] of [
      [{ aud: `${emulator.url}/common/oauth2/v2.0/token` }, 700212],
      [{ iss: DEFAULT_CLIENT_ID }, 700021],
      [{ exp: now - 3600, nbf: now - 4200 }, 700024],
    ] as const) {
      const rejected = await request(assertion(overrides));
      expect(rejected.status).toBe(401);
      expect(rejected.body).toMatchObject({ error: 'invalid_client', error_codes: [code] });
    }
    const tampered = `${assertion({}).slice(0, -4)}AAAA`;
    expect((await request(tampered)).body).toMatchObject({ error: 'invalid_client', error_codes: [700027] });
    await client.close();
  });

  it('answers Graph calls without a valid bearer with 401 InvalidAuthenticationToken', async () => {
    const client = new EmulatorClient(emulator);
    const missing = await client.send('GET', '/v1.0/deviceManagement/managedDevices');
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({
      error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.' },
    });
    const forged = await client.send('GET', '/v1.0/users', { headers: { authorization: 'Bearer a.b.c' } });
    expect(forged.status).toBe(401);
    expect(forged.body).toMatchObject({ error: { code: 'InvalidAuthenticationToken' } });
    await client.close();
  });

  it('works with the SDK batch helpers, including a dependsOn chain', async () => {
    const credential = new ClientSecretCredential(
      emulator.tenantId,
      DEFAULT_CLIENT_ID,
      DEFAULT_CLIENT_SECRET,
      credentialOptions(emulator),
    );
    const client = graphClient(emulator, credential, dispatcher);
    const deviceId = expectedIds()[0] as string;
    const batch = new BatchRequestContent([
      {
        id: 'sync',
        request: new Request(`${emulator.url}/v1.0/deviceManagement/managedDevices/${deviceId}/syncDevice`, {
          method: 'POST',
        }),
      },
      {
        id: 'read',
        request: new Request(
          `${emulator.url}/v1.0/deviceManagement/managedDevices/${deviceId}?$select=deviceActionResults`,
        ),
        dependsOn: ['sync'],
      },
    ]);
    const response = new BatchResponseContent(await client.api('/$batch').post(await batch.getContent()));
    expect(response.getResponseById('sync').status).toBe(204);
    const read = response.getResponseById('read');
    expect(read.status).toBe(200);
    const device = (await read.json()) as { deviceActionResults: { actionName: string }[] };
    expect(device.deviceActionResults.map((result) => result.actionName)).toEqual(['syncDevice']);
  });
});
