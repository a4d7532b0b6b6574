// GET /v1/me: each token learns its own id, name and role (the dashboard shows them and offers only what the
// role allows); without a valid token there is nothing to tell.
import { CLI_ACTOR, ROLES } from '../../src/auth/roles';
import { createToken } from '../../src/auth/tokens';
import { startTestApi, type TestApi } from '../support/api';

interface Self {
  tokenId: string;
  name: string;
  role: string;
}

describe('GET /v1/me', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it.each(ROLES)('tells a %s token who it is', async (role) => {
    const { token, secret } = await createToken(api.db.knex, { name: `me-${role}`, role }, { actor: CLI_ACTOR });
    const response = await api.request<Self>('GET', '/v1/me', { token: secret });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ tokenId: token.id, name: `me-${role}`, role });
  });

  it('answers 401 without a token, and for a revoked one', async () => {
    const anonymous = await api.request<{ type: string }>('GET', '/v1/me', { token: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.type).toBe('urn:warden:problem:unauthenticated');

    const { token, secret } = await createToken(
      api.db.knex,
      { name: 'soon-gone', role: 'security-viewer' },
      { actor: CLI_ACTOR },
    );
    await api.request('DELETE', `/v1/tokens/${token.id}`);
    const revoked = await api.request<{ detail: string }>('GET', '/v1/me', { token: secret });
    expect(revoked.status).toBe(401);
    expect(revoked.body.detail).toBe('the bearer token has been revoked');
  });
});
