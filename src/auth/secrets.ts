// API token secrets: generated from 32 random bytes, stored only as a SHA-256 hash. A fast hash is right here
// (unlike for passwords): the secret has 256 bits of entropy, so there is nothing to brute-force.
import { createHash, randomBytes } from 'node:crypto';

const TOKEN_PREFIX = 'wdn_';

export function generateTokenSecret(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashTokenSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Enough of the secret to recognise it in a list, not enough to matter. */
export function displayPrefix(secret: string): string {
  return secret.slice(0, TOKEN_PREFIX.length + 4);
}
