// Evidence signing: the certificate and RSA key that sign posture evidence, checked once at start, and the
// detached PKCS#7 (CMS) SignedData made with them, which `openssl smime -verify` checks. node-forge builds the
// SignedData; the RSA operation itself is node's (native: a few milliseconds where forge's JavaScript takes a
// tenth of a second for a 3072-bit key, blocking the event loop). The private key stays a KeyObject in an
// EvidenceSigner's private field: it is never serialised, inspected, logged or answered.
import { constants, createPrivateKey, type KeyObject, privateEncrypt, X509Certificate } from 'node:crypto';
import { inspect } from 'node:util';
import forge from 'node-forge';

/** What a credential file got wrong; config.ts names the variable. */
export class SigningCredentialsError extends Error {
  constructor(
    readonly part: 'certificate' | 'key',
    readonly expected: string,
  ) {
    super(expected);
    this.name = 'SigningCredentialsError';
  }
}

export interface SignerInfo {
  subject: string;
  issuer: string;
  /** Upper-case hex, as `openssl x509 -noout -serial` prints it. */
  serialNumber: string;
  notAfter: string;
  /** Colon-separated upper-case hex, as `openssl x509 -noout -fingerprint -sha256` prints it. */
  sha256Fingerprint: string;
}

/** DER of DigestInfo { AlgorithmIdentifier sha256 NULL, OCTET STRING (32 bytes) }, before the digest. */
const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * A forge private key whose sign() is RSASSA-PKCS1-v1_5 done by node: EMSA-PKCS1-v1_5 is the DigestInfo of the
 * digest under block type 1 padding, which is what a private-key "encryption" with PKCS#1 padding applies.
 */
function nativeRsaSigner(key: KeyObject): forge.pki.rsa.PrivateKey {
  const sign = (md: forge.md.MessageDigest) => {
    if (md.algorithm !== 'sha256') throw new Error(`evidence signing uses SHA-256, not ${md.algorithm}`);
    const digestInfo = Buffer.concat([SHA256_DIGEST_INFO_PREFIX, Buffer.from(md.digest().getBytes(), 'binary')]);
    return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, digestInfo).toString('binary');
  };
  return { sign } as unknown as forge.pki.rsa.PrivateKey;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const OID_EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4';
const OID_ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

// forge's typings know only the `strict` flag; undecoded bit strings keep a certificate's bytes as they were.
const fromDer = forge.asn1.fromDer as unknown as (
  bytes: string,
  options: { decodeBitStrings: boolean },
) => forge.asn1.Asn1;
const names = (dn: string) => dn.split('\n').join(', ');

/**
 * Whether OpenSSL's default S/MIME signing purpose admits the certificate: an extended key usage, when present,
 * must include emailProtection (or anyExtendedKeyUsage), on the signer and on every CA certificate above it.
 */
function admitsSmime(cert: X509Certificate): boolean {
  const extended = cert.keyUsage; // node names the extended key usage OIDs `keyUsage`
  return !extended || extended.includes(OID_EMAIL_PROTECTION) || extended.includes(OID_ANY_EXTENDED_KEY_USAGE);
}

function parseCertificates(pem: string, now: Date): { x509: X509Certificate[]; der: Buffer[] } {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0)
    throw new SigningCredentialsError('certificate', 'PEM certificates, but the file holds none');
  const x509 = blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new SigningCredentialsError('certificate', `PEM certificates, but certificate ${i + 1} does not parse`);
    }
  });
  const signer = x509[0]!;
  if (new Date(signer.validFrom) > now || new Date(signer.validTo) <= now) {
    throw new SigningCredentialsError(
      'certificate',
      `a signer certificate valid now, but the first certificate is valid from ${signer.validFrom} to ${signer.validTo}`,
    );
  }
  return { x509, der: x509.map((c) => c.raw) };
}

function parseKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // The underlying message may quote the input; say only what was expected.
    throw new SigningCredentialsError(
      'key',
      'an unencrypted PEM RSA private key ("BEGIN PRIVATE KEY" or "BEGIN RSA PRIVATE KEY"), but it does not parse',
    );
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new SigningCredentialsError(
      'key',
      `an RSA private key, but it is ${key.asymmetricKeyType ?? 'another kind'}`,
    );
  }
  return key;
}

/** The certificate's key usage, when it has one, must allow signatures (digitalSignature or nonRepudiation). */
function checkKeyUsage(cert: forge.pki.Certificate): void {
  const usage = cert.getExtension('keyUsage') as { digitalSignature?: boolean; nonRepudiation?: boolean } | undefined;
  if (usage && !usage.digitalSignature && !usage.nonRepudiation) {
    throw new SigningCredentialsError(
      'certificate',
      'a signer certificate whose key usage allows digitalSignature, but the first certificate does not',
    );
  }
}

/** A certificate as forge ASN.1 carrying exactly its DER bytes (forge does not parse non-RSA certificates). */
function certificateAsn1(der: Buffer, index: number): forge.asn1.Asn1 {
  const bytes = der.toString('binary');
  const node = fromDer(bytes, { decodeBitStrings: false });
  if (forge.asn1.toDer(node).getBytes() !== bytes) {
    throw new SigningCredentialsError('certificate', `DER certificates, but certificate ${index + 1} is not DER`);
  }
  return node;
}

export class EvidenceSigner {
  readonly info: SignerInfo;
  /** OpenSSL's verification needs `-purpose any`: some certificate's extended key usage lacks emailProtection. */
  readonly needsPurposeAny: boolean;
  readonly #key: forge.pki.rsa.PrivateKey;
  readonly #signer: forge.pki.Certificate;
  readonly #certificates: forge.asn1.Asn1[];

  private constructor(certPem: string, keyPem: string, now: Date) {
    const { x509, der } = parseCertificates(certPem, now);
    const key = parseKey(keyPem);
    const signer = x509[0]!;
    if (!signer.checkPrivateKey(key)) {
      throw new SigningCredentialsError(
        'key',
        'the private key of the first certificate in WARDEN_EVIDENCE_CERT_FILE, but it belongs to another certificate',
      );
    }
    try {
      this.#signer = forge.pki.certificateFromAsn1(forge.asn1.fromDer(der[0]!.toString('binary')));
    } catch {
      throw new SigningCredentialsError('certificate', 'an RSA signer certificate, but node-forge cannot read it');
    }
    checkKeyUsage(this.#signer);
    this.#key = nativeRsaSigner(key);
    this.#certificates = der.map(certificateAsn1);
    this.needsPurposeAny = !x509.every(admitsSmime);
    this.info = {
      subject: names(signer.subject),
      issuer: names(signer.issuer),
      serialNumber: signer.serialNumber.toUpperCase(),
      notAfter: new Date(signer.validTo).toISOString(),
      sha256Fingerprint: signer.fingerprint256,
    };
  }

  /** Checks the certificate file (signer first, then any chain) and the key; throws SigningCredentialsError. */
  static fromPem(certPem: string, keyPem: string, now = new Date()): EvidenceSigner {
    return new EvidenceSigner(certPem, keyPem, now);
  }

  /**
   * A detached PKCS#7 SignedData over `content` (SHA-256, RSA PKCS#1 v1.5) with the authenticated attributes
   * contentType, messageDigest and signingTime, carrying the signer's certificate and the chain, as PEM.
   */
  sign(content: Buffer): string {
    const p7 = forge.pkcs7.createSignedData();
    p7.content = forge.util.createBuffer(content.toString('binary'));
    p7.addSigner({
      key: this.#key,
      certificate: this.#signer,
      digestAlgorithm: forge.pki.oids.sha256!,
      authenticatedAttributes: [
        { type: forge.pki.oids.contentType!, value: forge.pki.oids.data },
        { type: forge.pki.oids.messageDigest! },
        { type: forge.pki.oids.signingTime! },
      ],
    });
    p7.sign({ detached: true });
    // The certificates go in as their exact DER bytes rather than forge's re-encoding (which also cannot
    // carry a non-RSA chain certificate): [0] IMPLICIT certificates, after SignedData's encapContentInfo.
    const contentInfo = p7.toAsn1();
    const signedData = (contentInfo.value as forge.asn1.Asn1[])[1]!.value[0] as forge.asn1.Asn1;
    (signedData.value as forge.asn1.Asn1[]).splice(
      3,
      0,
      forge.asn1.create(forge.asn1.Class.CONTEXT_SPECIFIC, 0, true, this.#certificates),
    );
    const base64 = Buffer.from(forge.asn1.toDer(contentInfo).getBytes(), 'binary').toString('base64');
    return `-----BEGIN PKCS7-----\n${base64.replace(/.{1,64}/g, '$&\n')}-----END PKCS7-----\n`;
  }

  /** The command that verifies a signature saved as evidence.p7s over a document saved as evidence.json. */
  verifyCommand(caFile = 'ca.pem'): string {
    return [
      'openssl smime -verify -binary -inform PEM -in evidence.p7s -content evidence.json',
      `-CAfile ${caFile}`,
      ...(this.needsPurposeAny ? ['-purpose any'] : []),
      '-out /dev/null',
    ].join(' ');
  }

  toJSON(): { signer: SignerInfo } {
    return { signer: this.info };
  }

  [inspect.custom](): string {
    return `EvidenceSigner(${this.info.subject})`;
  }
}
