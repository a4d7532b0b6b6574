// Certificate credentials (PEM and PFX made with node-forge here) and credential failures, against the emulated
// Entra ID: which credential works, and which failure is sorted into which MdmError kind.
import forge from 'node-forge';
import { createConnector, type IntuneCredentials, MdmError } from '../../../src/mdm';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, type GraphEmulator } from '../../../src/sim/graph';
import { collect, collectFailure, intuneConnector, startEmulator } from './helpers';

const CERT_CLIENT_ID = '6c1d0f4e-2b7a-4c39-9e85-3f0a1b2c4d5e';
const READER_CLIENT_ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

interface Issued {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
  certPem: string;
  keyPem: string;
}

function issue(commonName: string, issuer?: Issued): Issued {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = `0${forge.util.bytesToHex(forge.random.getBytesSync(8))}`;
  cert.validity.notBefore = new Date(Date.now() - 86_400_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : [{ name: 'commonName', value: commonName }]);
  cert.sign(issuer?.key ?? keys.privateKey, forge.md.sha256.create());
  return {
    cert,
    key: keys.privateKey,
    certPem: forge.pki.certificateToPem(cert),
    keyPem: forge.pki.privateKeyToPem(keys.privateKey),
  };
}

function pfx(key: forge.pki.rsa.PrivateKey, certs: forge.pki.Certificate[], password: string): string {
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, certs, password, { algorithm: '3des' });
  return forge.util.encode64(forge.asn1.toDer(asn1).getBytes());
}

describe('Intune credentials', () => {
  const authority = issue('Contoso Issuing CA');
  const leaf = issue('warden-intune-connector', authority);
  const stranger = issue('not-registered');
  let emulator: GraphEmulator;
  let expectedIds: string[];

  beforeAll(async () => {
    emulator = await startEmulator({
      devices: 300,
      seed: 3,
      clients: [
        { clientId: DEFAULT_CLIENT_ID, clientSecret: DEFAULT_CLIENT_SECRET },
        { clientId: CERT_CLIENT_ID, certificatePem: leaf.certPem },
        { clientId: READER_CLIENT_ID, clientSecret: DEFAULT_CLIENT_SECRET, roles: ['User.Read.All'] },
      ],
    });
    expectedIds = [...emulator.tenant.devices()].map((device) => device.id);
  });
  afterAll(async () => {
    await emulator.stop();
  });

  const listIds = async (credentials: IntuneCredentials, clientId = CERT_CLIENT_ID) => {
    const connector = intuneConnector(emulator, credentials, { clientId });
    await connector.verify();
    return (await collect(connector.listDevices())).items.map((device) => device.externalId);
  };

  it('authenticates with a PEM certificate and private key', async () => {
    const ids = await listIds({ type: 'certificate', certificatePem: leaf.certPem, privateKeyPem: leaf.keyPem });
    expect(ids).toEqual(expectedIds);
  });

  it('authenticates with a password-protected PFX holding the key, the certificate and its issuer', async () => {
    // The issuer comes first in the bag: the connector must pick the certificate that matches the key.
    const pfxBase64 = pfx(leaf.key, [authority.cert, leaf.cert], 'pfx-pass');
    expect(await listIds({ type: 'certificate', pfxBase64, pfxPassword: 'pfx-pass' })).toEqual(expectedIds);
  });

  it('authenticates with a PFX without a password', async () => {
    const pfxBase64 = pfx(leaf.key, [leaf.cert], '');
    expect(await listIds({ type: 'certificate', pfxBase64 })).toEqual(expectedIds);
  });

  it('refuses unreadable certificate material as MdmError auth before sending anything', () => {
    const wrongPassword = pfx(leaf.key, [leaf.cert], 'right');
    const attempts: IntuneCredentials[] = [
      { type: 'certificate', pfxBase64: wrongPassword, pfxPassword: 'wrong' },
      { type: 'certificate', pfxBase64: Buffer.from('not a pfx').toString('base64') },
      { type: 'certificate', certificatePem: 'garbage', privateKeyPem: leaf.keyPem },
      { type: 'certificate', certificatePem: leaf.certPem, privateKeyPem: stranger.keyPem },
    ];
    for (const credentials of attempts) {
      expect(() => intuneConnector(emulator, credentials)).toThrow(MdmError);
      try {
        intuneConnector(emulator, credentials);
      } catch (error) {
        expect(error).toMatchObject({ kind: 'auth', credentialBroken: true });
      }
    }
  });

  it('sorts an unregistered certificate into MdmError auth', async () => {
    const credentials: IntuneCredentials = {
      type: 'certificate',
      certificatePem: stranger.certPem,
      privateKeyPem: stranger.keyPem,
    };
    const connector = intuneConnector(emulator, credentials, { clientId: CERT_CLIENT_ID });
    await expect(connector.verify()).rejects.toMatchObject({ kind: 'auth', status: 401, credentialBroken: true });
  });

  it('sorts a missing Graph permission into MdmError permission', async () => {
    const connector = intuneConnector(emulator, undefined, { clientId: READER_CLIENT_ID });
    const { error } = await collectFailure(connector.listDevices());
    expect(error).toMatchObject({ kind: 'permission', status: 403, credentialBroken: true });
    expect((error as MdmError).requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(connector.stats()).toEqual({ requests: 1, throttled: 0, retried: 0 });
  });

  it('sorts an unreachable token endpoint into MdmError transient, which is not a broken credential', async () => {
    const connector = createConnector(
      {
        kind: 'intune',
        settings: {
          tenantId: emulator.tenantId,
          clientId: DEFAULT_CLIENT_ID,
          authorityHost: 'https://127.0.0.1:9',
          graphBaseUrl: emulator.url,
        },
        credentials: { type: 'client-secret', clientSecret: DEFAULT_CLIENT_SECRET },
      },
      { caPem: emulator.caPem },
    );
    await expect(connector.verify()).rejects.toMatchObject({ kind: 'transient', credentialBroken: false });
  });
});
