// Token secrets hash to their SHA-256, whether the hash is remembered, forgotten or never kept.
import { createHash } from 'node:crypto';
import { generateTokenSecret, hashTokenSecret } from '../../src/auth/secrets';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('hashTokenSecret', () => {
  it('is the SHA-256 of the secret, the first time and again, after the memo has been forgotten, and for long ones', () => {
    const secrets = Array.from({ length: 2500 }, () => generateTokenSecret()); // more than the memo holds
    for (const secret of [...secrets, ...secrets.slice(0, 50), ...secrets.slice(-50)]) {
      expect(hashTokenSecret(secret)).toBe(sha256(secret));
    }
    const long = `wdn_${'x'.repeat(400)}é`;
    expect(hashTokenSecret(long)).toBe(sha256(long));
    expect(hashTokenSecret(long)).toBe(sha256(long));
    expect(new Set(secrets.map(hashTokenSecret)).size).toBe(secrets.length);
  });
});
