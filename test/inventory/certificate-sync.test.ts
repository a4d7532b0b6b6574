// A connection authenticated by certificate, given through the API as PEM or as PFX, syncs: the credential is
// sealed as given and handed to the connector in the shape it takes.
import { randomUUID } from 'node:crypto';
import forge from 'node-forge';
import { syncConnection } from '../../src/inventory/sync';
import { emulatorConnection, type GraphEmulator, startGraphEmulator } from '../../src/sim/graph';
import { createSelfSignedCertificate } from '../../src/sim/tls';
import { startTestApi, type TestApi } from '../support/api';

const CERT_CLIENT = '0b8e7f5a-3c2d-4e1f-9a8b-7c6d5e4f3a2b';
const certificate = createSelfSignedCertificate('warden-test-app');

function pfxBase64(password: string): string {
  const key = forge.pki.privateKeyFromPem(certificate.keyPem);
  const cert = forge.pki.certificateFromPem(certificate.certPem);
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, [cert], password, { algorithm: '3des' });
  return forge.util.encode64(forge.asn1.toDer(asn1).getBytes());
}

describe('sync with certificate credentials', () => {
  let emulator: GraphEmulator;
  let api: TestApi;
  beforeAll(async () => {
    emulator = await startGraphEmulator({
      pkiDir: '.warden/pki',
      devices: 150,
      clients: [{ clientId: CERT_CLIENT, certificatePem: certificate.certPem }],
    });
    api = await startTestApi({ config: { extraCaPem: emulator.caPem } });
  });
  afterAll(async () => {
    await api?.close();
    await emulator?.stop();
  });

  it.each([
    ['PEM', { type: 'certificate', certificatePem: certificate.certPem, privateKeyPem: certificate.keyPem }],
    ['PFX', { type: 'certificate-pfx', pfxBase64: pfxBase64('s3cret'), pfxPassword: 's3cret' }],
  ])('syncs with a %s certificate given through the API', async (_form, credentials) => {
    const created = await api.request<{ id: string; credentials: { type: string } }>('POST', '/v1/connections', {
      body: {
        name: `cert-${randomUUID().slice(0, 6)}`,
        ...emulatorConnection(emulator, { clientId: CERT_CLIENT, credentials }),
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.credentials.type).toBe(credentials.type);
    expect(created.text).not.toContain('PRIVATE KEY');
    const result = await syncConnection(
      { knex: api.db.knex, log: api.log, secretBox: api.secretBox, extraCaPem: emulator.caPem },
      { connectionId: created.body.id, trigger: 'manual', worker: 'test' },
    );
    expect(result).toMatchObject({ outcome: 'succeeded', counts: { devices: 150 } });
  });
});
