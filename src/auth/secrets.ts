// API token secrets: generated from 32 random bytes, stored only as a SHA-256 hash. A fast hash is right here
// (unlike for passwords): the secret has 256 bits of entropy, so there is nothing to brute-force.
import { hash, randomBytes } from 'node:crypto';

const TOKEN_PREFIX = 'wdn_';

export function generateTokenSecret(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * Hashes of secrets presented recently. Every authenticated request needs its token's hash, usually of one of a
 * few tokens, and a lookup costs a fraction of a hash. It holds only secrets this process was sent, no longer than
 * a real one could be, and is forgotten whole when full, so made-up tokens cannot grow it.
 */
const recentHashes = new Map<string, string>();
const RECENT_HASHES_MAX = 1024;
const REMEMBERED_SECRET_MAX_LENGTH = 128; // a secret is 47 characters

export function hashTokenSecret(secret: string): string {
  let hashed = recentHashes.get(secret);
  if (hashed === undefined) {
    hashed = hash('sha256', secret, 'hex');
    if (secret.length <= REMEMBERED_SECRET_MAX_LENGTH) {
      if (recentHashes.size >= RECENT_HASHES_MAX) recentHashes.clear();
      recentHashes.set(secret, hashed);
    }
  }
  return hashed;
}

/** Enough of the secret to recognise it in a list, not enough to matter. */
export function displayPrefix(secret: string): string {
  return secret.slice(0, TOKEN_PREFIX.length + 4);
}
