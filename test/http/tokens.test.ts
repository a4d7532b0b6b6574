// /v1/tokens: a secret is shown once and stored only as its hash; revocation is immediate and audited; the
// last admin cannot be revoked; a token and its audit event commit together or not at all.
import { createHash } from 'node:crypto';
import { ensureBootstrapToken } from '../../src/auth/tokens';
import { startTestApi, type TestApi } from '../support/api';

interface TokenBody {
  id: string;
  name: string;
  role: string;
  prefix: string;
  token?: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

describe('/v1/tokens', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('creates a token whose secret works, is shown once, and is stored only as a SHA-256 hash', async () => {
    const created = await api.request<TokenBody>('POST', '/v1/tokens', {
      body: { name: 'ci-apply', role: 'automation', expiresInDays: 30 },
    });
    expect(created.status).toBe(201);
    const secret = created.body.token!;
    expect(secret).toMatch(/^wdn_[A-Za-z0-9_-]{43}$/);
    expect(created.body.prefix).toBe(secret.slice(0, 8));
    expect(Date.parse(created.body.expiresAt!) - Date.now()).toBeGreaterThan(29.9 * 86_400_000);

    const row = await api.db.knex('api_tokens').where({ id: created.body.id }).first();
    expect(row.token_hash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(secret.slice(8));

    const fetched = await api.request<TokenBody>('GET', `/v1/tokens/${created.body.id}`);
    expect(fetched.body).not.toHaveProperty('token');
    const listed = await api.request<{ items: TokenBody[] }>('GET', '/v1/tokens');
    expect(listed.text).not.toContain(secret);
    expect(listed.body.items.map((t) => t.name)).toContain('ci-apply');

    const used = await api.request('GET', '/v1/audit/verify', { token: secret, headers: {} });
    expect(used.status).toBe(403); // automation may not read the audit log, but the token authenticated
    const afterUse = await api.request<TokenBody>('GET', `/v1/tokens/${created.body.id}`);
    expect(afterUse.body.lastUsedAt).not.toBeNull();
  });

  it('audits creation and revocation with the actor, the target and the request id', async () => {
    const created = await api.request<TokenBody>('POST', '/v1/tokens', {
      body: { name: 'temp', role: 'security-viewer' },
      headers: { 'x-request-id': 'create-1' },
    });
    const revoked = await api.request('DELETE', `/v1/tokens/${created.body.id}`, {
      headers: { 'x-request-id': 'revoke-1' },
    });
    expect(revoked.status).toBe(204);
    const events = await api.db.knex('audit_events').whereIn('request_id', ['create-1', 'revoke-1']).orderBy('seq');
    expect(events).toEqual([
      expect.objectContaining({
        action: 'token.create',
        outcome: 'success',
        actor_name: 'test-admin',
        actor_role: 'admin',
        target_type: 'token',
        target_id: created.body.id,
      }),
      expect.objectContaining({
        action: 'token.revoke',
        outcome: 'success',
        actor_name: 'test-admin',
        target_id: created.body.id,
      }),
    ]);
    expect(events[0].details).toEqual({ name: 'temp', role: 'security-viewer', expiresAt: null });

    const listed = await api.request<{ items: TokenBody[] }>('GET', '/v1/tokens');
    expect(listed.body.items.map((t) => t.id)).not.toContain(created.body.id);
    const all = await api.request<{ items: TokenBody[] }>('GET', '/v1/tokens?includeRevoked=true');
    expect(all.body.items.find((t) => t.id === created.body.id)?.revokedAt).not.toBeNull();

    const again = await api.request('DELETE', `/v1/tokens/${created.body.id}`);
    expect(again.status).toBe(204);
    expect(
      await api.db
        .knex('audit_events')
        .where({ action: 'token.revoke', target_id: created.body.id })
        .count({ n: '*' })
        .first(),
    ).toEqual({ n: 1 });
  });

  it('refuses to revoke the last active admin token', async () => {
    const admins = await api.db.knex('api_tokens').where({ role: 'admin' }).whereNull('revoked_at');
    const others = admins.filter((a: { name: string }) => a.name !== 'test-admin');
    for (const other of others) await api.request('DELETE', `/v1/tokens/${other.id}`);
    const self = admins.find((a: { name: string }) => a.name === 'test-admin');
    const refused = await api.request<{ type: string; detail: string }>('DELETE', `/v1/tokens/${self.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/last active admin token/);
  });

  it('404 for a token that does not exist', async () => {
    const missing = await api.request<{ detail: string }>('DELETE', '/v1/tokens/3f0e3f7c-2d7e-4f4e-9d0a-9b9d5f1b2c3d');
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toBe('token 3f0e3f7c-2d7e-4f4e-9d0a-9b9d5f1b2c3d does not exist');
  });

  it('creates nothing when the audit event cannot be written: both are one transaction', async () => {
    await api.db.knex.raw('alter table audit_chain_head rename to audit_chain_head_away');
    try {
      const failed = await api.request('POST', '/v1/tokens', { body: { name: 'orphan', role: 'admin' } });
      expect(failed.status).toBe(500);
    } finally {
      await api.db.knex.raw('alter table audit_chain_head_away rename to audit_chain_head');
    }
    expect(await api.db.knex('api_tokens').where({ name: 'orphan' }).first()).toBeUndefined();
  });

  it('ensures the bootstrap token idempotently and rotates it when the value changes', async () => {
    const first = 'b'.repeat(40);
    expect(await ensureBootstrapToken(api.db.knex, first)).toBe('created');
    expect(await ensureBootstrapToken(api.db.knex, first)).toBe('unchanged');
    expect((await api.request('GET', '/v1/tokens', { token: first })).status).toBe(200);

    const second = 'c'.repeat(40);
    expect(await ensureBootstrapToken(api.db.knex, second)).toBe('created');
    expect((await api.request('GET', '/v1/tokens', { token: first })).status).toBe(401);
    expect((await api.request('GET', '/v1/tokens', { token: second })).status).toBe(200);
    const events = await api.db.knex('audit_events').where({ action: 'token.bootstrap' });
    expect(events).toHaveLength(2);
    await expect(ensureBootstrapToken(api.db.knex, first)).rejects.toThrow(/revoked or is not an admin token/);
  });

  it('creates the bootstrap token once when several processes start at the same moment', async () => {
    const shared = 'd'.repeat(40);
    const outcomes = await Promise.all(Array.from({ length: 4 }, () => ensureBootstrapToken(api.db.knex, shared)));
    expect(outcomes.sort()).toEqual(['created', 'unchanged', 'unchanged', 'unchanged']);
    const active = await api.db.knex('api_tokens').where({ bootstrap: true }).whereNull('revoked_at');
    expect(active).toHaveLength(1);
    expect((await api.request('GET', '/v1/tokens', { token: shared })).status).toBe(200);
  });
});
