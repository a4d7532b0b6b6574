// The API process's short trust in tokens it authenticated: the same process forgets a token the moment it is
// revoked; a revocation made elsewhere (another API process, the CLI, SQL) is noticed within the cache time.
import { CLI_ACTOR } from '../../src/auth/roles';
import { authenticate, createToken, revokeToken } from '../../src/auth/tokens';
import { createTestDatabase, type TestDatabase } from '../support/database';

describe('token authentication cache', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('forgets a token revoked through this process at once', async () => {
    const { secret } = await createToken(db.knex, { name: 'ci', role: 'automation' }, { actor: CLI_ACTOR });
    const first = await authenticate(db.knex, secret, { cacheMs: 60_000 });
    expect(first).toMatchObject({ name: 'ci', role: 'automation' });
    await revokeToken(db.knex, (first as { tokenId: string }).tokenId, { actor: CLI_ACTOR });
    expect(await authenticate(db.knex, secret, { cacheMs: 60_000 })).toBe('revoked');
  });

  it('notices a revocation made elsewhere within the cache time, and expiry on every request', async () => {
    const { secret, token } = await createToken(
      db.knex,
      { name: 'viewer', role: 'security-viewer' },
      { actor: CLI_ACTOR },
    );
    expect(await authenticate(db.knex, secret, { cacheMs: 300 })).toMatchObject({ tokenId: token.id });
    await db.knex('api_tokens').where({ id: token.id }).update({ revoked_at: new Date() });
    // Still trusted from the cache for up to 300 ms...
    expect(await authenticate(db.knex, secret, { cacheMs: 300 })).toMatchObject({ tokenId: token.id });
    await new Promise((resolve) => setTimeout(resolve, 350));
    // ...then asked again, and refused.
    expect(await authenticate(db.knex, secret, { cacheMs: 300 })).toBe('revoked');
    // Without a cache, the database answers every time.
    expect(await authenticate(db.knex, secret)).toBe('revoked');

    const expiring = await createToken(db.knex, { name: 'short', role: 'automation' }, { actor: CLI_ACTOR });
    await db
      .knex('api_tokens')
      .where({ id: expiring.token.id })
      .update({ expires_at: new Date(Date.now() + 200) });
    expect(await authenticate(db.knex, expiring.secret, { cacheMs: 60_000 })).toMatchObject({ name: 'short' });
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await authenticate(db.knex, expiring.secret, { cacheMs: 60_000 })).toBe('expired');
  });
});
