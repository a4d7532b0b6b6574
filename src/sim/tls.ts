/**
 * Test PKI shared by every emulator (Graph now, Jamf and Android later): a long-lived test certificate
 * authority plus a server certificate for 127.0.0.1/localhost/::1, kept on disk so the demo, a test run
 * and a child process (NODE_EXTRA_CA_CERTS) all trust one CA. RSA keys come from node's crypto (fast,
 * native); certificates are built and signed with node-forge.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';

export interface TestPki {
  /** PEM of the test CA certificate: what a client must trust. */
  caPem: string;
  /** Absolute path of `ca.pem` (usable as NODE_EXTRA_CA_CERTS). */
  caPath: string;
  /** PKCS#8 PEM private key of the server certificate. */
  keyPem: string;
  /** PEM of the server certificate (issued by the CA). */
  certPem: string;
}

export interface TestPkiOptions {
  /** DNS names and IP addresses the server certificate must cover. Default: localhost, 127.0.0.1, ::1. */
  hosts?: string[];
}

export interface CertificateAndKey {
  certPem: string;
  keyPem: string;
}

const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '::1'];
const DAY_MS = 24 * 60 * 60 * 1000;
const CA_VALIDITY_DAYS = 3650;
const SERVER_VALIDITY_DAYS = 397;
/** Certificates expiring sooner than this are replaced, so a long test run never sees one expire. */
const RENEW_BEFORE_MS = 7 * DAY_MS;
const LOCK_STALE_MS = 30_000;

const FILES = {
  ca: 'ca.pem',
  caKey: 'ca-key.pem',
  server: 'server.pem',
  serverKey: 'server-key.pem',
  lock: '.pki.lock',
} as const;

/**
 * Returns the test CA and a server certificate from `dir`, creating or renewing whatever is missing,
 * expired, inconsistent or not covering the requested hosts. An existing valid CA is always kept, so
 * clients that already trust it keep working. Safe against concurrent callers (jest workers, the demo).
 */
export function ensureTestPki(dir: string, options: TestPkiOptions = {}): TestPki {
  const hosts = options.hosts ?? DEFAULT_HOSTS;
  mkdirSync(dir, { recursive: true });
  const existing = readValidPki(dir, hosts);
  if (existing) return existing;
  return withDirectoryLock(join(dir, FILES.lock), () => {
    // Another process may have finished the job while this one waited for the lock.
    const afterWait = readValidPki(dir, hosts);
    if (afterWait) return afterWait;
    let ca = readValidCa(dir);
    if (!ca) {
      ca = createCertificateAuthority('Warden Test CA');
      writeAtomically(join(dir, FILES.caKey), ca.keyPem);
      writeAtomically(join(dir, FILES.ca), ca.certPem);
    }
    const server = issueCertificate(ca, { commonName: hosts[0] ?? 'localhost', hosts, usage: 'server' });
    writeAtomically(join(dir, FILES.serverKey), server.keyPem);
    writeAtomically(join(dir, FILES.server), server.certPem);
    return { caPem: ca.certPem, caPath: join(dir, FILES.ca), keyPem: server.keyPem, certPem: server.certPem };
  });
}

/** A certificate authority (RSA 2048, SHA-256): self-signed, or an intermediate when `issuer` is given. */
export function createCertificateAuthority(
  commonName: string,
  validityDays = CA_VALIDITY_DAYS,
  issuer?: CertificateAndKey,
): CertificateAndKey {
  const { keyPem, forgeKey } = generateRsaKey();
  const cert = newCertificate(forgeKey, commonName, validityDays);
  cert.setIssuer(issuer ? forge.pki.certificateFromPem(issuer.certPem).subject.attributes : cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  const signingKey = issuer ? (forge.pki.privateKeyFromPem(issuer.keyPem) as forge.pki.rsa.PrivateKey) : forgeKey;
  cert.sign(signingKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

export interface IssueOptions {
  commonName: string;
  /** Subject alternative names; IPv4/IPv6 literals become IP entries, the rest DNS names. */
  hosts?: string[];
  /** `signing`: document signing (digitalSignature and nonRepudiation, extended key usage emailProtection). */
  usage: 'server' | 'client' | 'signing';
  validityDays?: number;
}

/** Issues a leaf certificate signed by `issuer` (a CA from createCertificateAuthority or ensureTestPki's files). */
export function issueCertificate(issuer: CertificateAndKey, options: IssueOptions): CertificateAndKey {
  const issuerCert = forge.pki.certificateFromPem(issuer.certPem);
  const issuerKey = forge.pki.privateKeyFromPem(issuer.keyPem);
  const { keyPem, forgeKey } = generateRsaKey();
  const cert = newCertificate(forgeKey, options.commonName, options.validityDays ?? SERVER_VALIDITY_DAYS);
  cert.setIssuer(issuerCert.subject.attributes);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    options.usage === 'signing'
      ? { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true }
      : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    {
      name: 'extKeyUsage',
      serverAuth: options.usage === 'server',
      clientAuth: options.usage === 'client',
      emailProtection: options.usage === 'signing',
    },
    { name: 'subjectKeyIdentifier' },
  ];
  if (options.hosts && options.hosts.length > 0) {
    extensions.push({ name: 'subjectAltName', altNames: options.hosts.map(toAltName) });
  }
  cert.setExtensions(extensions);
  cert.sign(issuerKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

/** A self-signed certificate, e.g. the credential of an app registration (client certificate auth). */
export function createSelfSignedCertificate(commonName: string, validityDays = 365): CertificateAndKey {
  const { keyPem, forgeKey } = generateRsaKey();
  const cert = newCertificate(forgeKey, commonName, validityDays);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
  ]);
  cert.sign(forgeKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

function generateRsaKey(): { keyPem: string; forgeKey: forge.pki.rsa.PrivateKey } {
  // node's native generator takes ~0.1 s where forge's pure-JS one takes seconds.
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { keyPem: privateKey, forgeKey: forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey };
}

function newCertificate(
  key: forge.pki.rsa.PrivateKey,
  commonName: string,
  validityDays: number,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  // A positive serial: clear the top bit so the DER integer is not read as negative.
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  cert.serialNumber = serial.toString('hex');
  const now = Date.now();
  // Backdated an hour so a client whose clock runs a little behind still accepts it.
  cert.validity.notBefore = new Date(now - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(now + validityDays * DAY_MS);
  cert.setSubject([
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'Warden test PKI' },
  ]);
  return cert;
}

function toAltName(host: string): { type: number; value?: string; ip?: string } {
  const isIp = /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
  return isIp ? { type: 7, ip: host } : { type: 2, value: host };
}

function readValidCa(dir: string): CertificateAndKey | null {
  const certPem = readIfExists(join(dir, FILES.ca));
  const keyPem = readIfExists(join(dir, FILES.caKey));
  if (!certPem || !keyPem) return null;
  try {
    const cert = new X509Certificate(certPem);
    if (!cert.ca || !isFresh(cert) || !cert.checkPrivateKey(createPrivateKey(keyPem))) return null;
    return { certPem, keyPem };
  } catch {
    return null;
  }
}

function readValidPki(dir: string, hosts: string[]): TestPki | null {
  const ca = readValidCa(dir);
  const certPem = readIfExists(join(dir, FILES.server));
  const keyPem = readIfExists(join(dir, FILES.serverKey));
  if (!ca || !certPem || !keyPem) return null;
  try {
    const caCert = new X509Certificate(ca.certPem);
    const cert = new X509Certificate(certPem);
    const valid =
      isFresh(cert) &&
      cert.checkIssued(caCert) &&
      cert.verify(caCert.publicKey) &&
      cert.checkPrivateKey(createPrivateKey(keyPem)) &&
      hosts.every((host) => coversHost(cert, host));
    return valid ? { caPem: ca.certPem, caPath: join(dir, FILES.ca), keyPem, certPem } : null;
  } catch {
    return null;
  }
}

function coversHost(cert: X509Certificate, host: string): boolean {
  const isIp = /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
  return isIp ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined;
}

function isFresh(cert: X509Certificate): boolean {
  const now = Date.now();
  return new Date(cert.validFrom).getTime() <= now && new Date(cert.validTo).getTime() - RENEW_BEFORE_MS > now;
}

function readIfExists(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

/** Write-then-rename so a concurrent reader sees either the old or the new file, never half of one. */
function writeAtomically(path: string, content: string): void {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  // Private keys stay private to the user; certificates may be read by anyone.
  writeFileSync(temporary, content, { mode: content.includes('PRIVATE KEY') ? 0o600 : 0o644 });
  renameSync(temporary, path);
}

/** A cross-process mutex made of an exclusively created file; a holder that died leaves a stale lock we break. */
function withDirectoryLock<T>(lockPath: string, action: () => T): T {
  const deadline = Date.now() + 2 * LOCK_STALE_MS;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      closeSync(openSync(lockPath, 'wx'));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (isStale(lockPath)) rmSync(lockPath, { force: true });
      else if (Date.now() > deadline) throw new Error(`ensureTestPki: timed out waiting for ${lockPath}`);
      else Atomics.wait(sleeper, 0, 0, 25);
    }
  }
  try {
    return action();
  } finally {
    rmSync(lockPath, { force: true });
  }
}

function isStale(lockPath: string): boolean {
  try {
    return Date.now() - statSync(lockPath).mtimeMs > LOCK_STALE_MS;
  } catch {
    return false;
  }
}
