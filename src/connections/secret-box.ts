// Encryption at rest for MDM credentials (and webhook secrets): AES-256-GCM with a random 96-bit IV per value and
// a context as additional authenticated data (the connection's id, so a ciphertext copied onto another connection
// does not decrypt). The envelope names the key by a fingerprint, so a box that knows the previous keys as well
// (WARDEN_SECRET_KEY_PREVIOUS) opens what they sealed, while it always seals with the current key; `warden keys
// rotate` re-seals everything under the current key so the previous ones can be dropped.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/** The fingerprint that names a key in the envelopes it seals: not secret, and not enough to find the key. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

/** The id of the key that sealed an envelope, or null when it is not a sealed value. */
export function sealedKeyId(envelope: string): string | null {
  const [version, keyId] = envelope.split(':');
  return version === VERSION && keyId ? keyId : null;
}

/** A sealed value names a key this box does not hold: its message says which one and where to give it. */
export class UnknownKeyError extends Error {
  constructor(
    readonly keyId: string,
    currentKeyId: string,
  ) {
    super(
      `sealed with key ${keyId}, which is neither WARDEN_SECRET_KEY (key ${currentKeyId}) nor in ` +
        'WARDEN_SECRET_KEY_PREVIOUS: add the key that sealed it to WARDEN_SECRET_KEY_PREVIOUS',
    );
    this.name = 'UnknownKeyError';
  }
}

export class SecretBox {
  /** The current key's id: every value is sealed under it. */
  readonly keyId: string;
  private readonly keys = new Map<string, Buffer>();

  /** `key` seals and opens; each of `previous` only opens (values sealed before a rotation). */
  constructor(key: Buffer, previous: readonly Buffer[] = []) {
    for (const k of [key, ...previous]) if (k.length !== 32) throw new Error('the secret key must be 32 bytes');
    this.keyId = keyIdOf(key);
    this.keys.set(this.keyId, key);
    for (const k of previous) if (!this.keys.has(keyIdOf(k))) this.keys.set(keyIdOf(k), k);
  }

  /** The ids of the previous keys this box can still open with (not the current one). */
  get previousKeyIds(): string[] {
    return [...this.keys.keys()].filter((id) => id !== this.keyId);
  }

  /** Whether a sealed value is sealed under the current key (a rotation leaves it as it is). */
  isCurrent(envelope: string): boolean {
    return sealedKeyId(envelope) === this.keyId;
  }

  /** Whether this box holds the key an envelope names (the current key or a previous one). */
  canOpen(envelope: string): boolean {
    const keyId = sealedKeyId(envelope);
    return keyId !== null && this.keys.has(keyId);
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.keyId)!, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [
      VERSION,
      this.keyId,
      iv.toString('base64url'),
      tag.toString('base64url'),
      ciphertext.toString('base64url'),
    ].join(':');
  }

  open(envelope: string, context: string): string {
    const [version, keyId, iv, tag, ciphertext] = envelope.split(':');
    if (version !== VERSION || !keyId || !iv || !tag || ciphertext === undefined) throw new Error('not a sealed value');
    const key = this.keys.get(keyId);
    if (!key) throw new UnknownKeyError(keyId, this.keyId);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** The same plaintext sealed under the current key (the envelope as it is when it already is). */
  reseal(envelope: string, context: string): string {
    return this.isCurrent(envelope) ? envelope : this.seal(this.open(envelope, context), context);
  }
}

/** Reads a 32-byte key given as 64 hex characters or as base64 (standard or url-safe). */
export function parseSecretKey(text: string): Buffer | null {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return key.length === 32 ? key : null;
  }
  return null;
}
