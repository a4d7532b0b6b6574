// Evidence signatures checked by the real openssl: the detached PKCS#7 verifies over the exact bytes and fails
// over changed ones, carries the chain, has the signed attributes auditors expect, and `-purpose any` is asked
// for exactly when a certificate's extended key usage leaves out emailProtection.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EvidenceSigner } from '../../src/posture/evidence-signer';
import {
  type CertificateAndKey,
  createCertificateAuthority,
  createSelfSignedCertificate,
  issueCertificate,
} from '../../src/sim/tls';

const DOCUMENT = Buffer.from('{"device":"Zoë’s Pixel","kind":"warden-posture-evidence","note":"日本"}', 'utf8');

/** Writes the files the verify command names into a fresh directory and runs the command there. */
function runVerify(signer: EvidenceSigner, caPem: string, content: Buffer, command = signer.verifyCommand()) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-evidence-'));
  fs.writeFileSync(path.join(dir, 'evidence.json'), content);
  fs.writeFileSync(path.join(dir, 'evidence.p7s'), signer.sign(DOCUMENT));
  fs.writeFileSync(path.join(dir, 'ca.pem'), caPem);
  const result = spawnSync('sh', ['-c', command], { cwd: dir, encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr, dir };
}

describe('EvidenceSigner', () => {
  const ca = createCertificateAuthority('Evidence Root CA');
  const signing = issueCertificate(ca, { commonName: 'Warden evidence', usage: 'signing' });
  const signerOf = (pair: CertificateAndKey, chain = '') => EvidenceSigner.fromPem(pair.certPem + chain, pair.keyPem);

  it('signs so that openssl smime -verify accepts the exact bytes, and nothing else', () => {
    const signer = signerOf(signing);
    expect(signer.verifyCommand()).toBe(
      'openssl smime -verify -binary -inform PEM -in evidence.p7s -content evidence.json -CAfile ca.pem -out /dev/null',
    );
    const good = runVerify(signer, ca.certPem, DOCUMENT);
    expect(good.stderr).toContain('Verification successful');
    expect(good.status).toBe(0);

    const changed = Buffer.from(DOCUMENT);
    changed[changed.length - 2] ^= 0x01;
    const bad = runVerify(signer, ca.certPem, changed);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/digest failure|Verification failure/);

    const stranger = createCertificateAuthority('Some other CA');
    expect(runVerify(signer, stranger.certPem, DOCUMENT).status).not.toBe(0);
  });

  it('uses SHA-256 and signs contentType, messageDigest and signingTime', () => {
    const { dir } = runVerify(signerOf(signing), ca.certPem, DOCUMENT);
    const printed = execFileSync(
      'openssl',
      ['cms', '-cmsout', '-print', '-inform', 'PEM', '-in', path.join(dir, 'evidence.p7s')],
      { encoding: 'utf8' },
    );
    expect(printed).toMatch(/eContentType: pkcs7-data/);
    expect(printed).toMatch(/eContent: <ABSENT>/); // detached
    expect(printed).toMatch(/digestAlgorithm:\s+algorithm: sha256/);
    for (const attribute of ['contentType', 'messageDigest', 'signingTime']) {
      expect(printed).toMatch(new RegExp(`object: ${attribute} \\(`));
    }
  });

  it('carries the configured chain, so trusting the root is enough', () => {
    const intermediate = createCertificateAuthority('Evidence Issuing CA', 365, ca);
    const leaf = issueCertificate(intermediate, { commonName: 'Warden evidence (chained)', usage: 'signing' });
    const chained = signerOf(leaf, intermediate.certPem);
    expect(runVerify(chained, ca.certPem, DOCUMENT).status).toBe(0);
    const certs = execFileSync('openssl', ['pkcs7', '-print_certs', '-noout'], {
      input: chained.sign(DOCUMENT),
      encoding: 'utf8',
    });
    expect(certs.match(/^subject=/gm)).toHaveLength(2);
    // Without the intermediate in the signature, the root alone does not suffice.
    expect(runVerify(signerOf(leaf), ca.certPem, DOCUMENT).stderr).toMatch(/unable to get local issuer certificate/);
  });

  it('asks for -purpose any when the extended key usage leaves out emailProtection', () => {
    const serverProfile = signerOf(issueCertificate(ca, { commonName: 'a TLS server', usage: 'server' }));
    expect(serverProfile.needsPurposeAny).toBe(true);
    expect(serverProfile.verifyCommand()).toContain(' -purpose any ');
    expect(runVerify(serverProfile, ca.certPem, DOCUMENT).status).toBe(0);
    const withoutPurpose = runVerify(
      serverProfile,
      ca.certPem,
      DOCUMENT,
      serverProfile.verifyCommand().replace(' -purpose any', ''),
    );
    expect(withoutPurpose.stderr).toMatch(/unsuitable certificate purpose/);
  });

  it('accepts a self-signed certificate without extended key usage (the demo) as its own CA', () => {
    const selfSigned = createSelfSignedCertificate('Warden demo evidence');
    const signer = signerOf(selfSigned);
    expect(signer.needsPurposeAny).toBe(false);
    expect(runVerify(signer, selfSigned.certPem, DOCUMENT).status).toBe(0);
  });

  it('describes the signer as openssl x509 does', () => {
    const signer = signerOf(signing);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-evidence-'));
    fs.writeFileSync(path.join(dir, 'signer.pem'), signing.certPem);
    const printed = execFileSync(
      'openssl',
      ['x509', '-noout', '-serial', '-fingerprint', '-sha256', '-in', path.join(dir, 'signer.pem')],
      { encoding: 'utf8' },
    );
    expect(printed).toContain(`serial=${signer.info.serialNumber}\n`);
    expect(printed).toContain(`sha256 Fingerprint=${signer.info.sha256Fingerprint}\n`);
    expect(signer.info.subject).toBe('CN=Warden evidence, O=Warden test PKI');
    expect(new Date(signer.info.notAfter).getTime()).toBeGreaterThan(Date.now());
    expect(JSON.stringify(signer)).toBe(JSON.stringify({ signer: signer.info }));
  });
});
