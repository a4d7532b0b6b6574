// Every refusal is a problem+json with a stable type, the offending field and the request id; only a refused
// mutation by an authenticated caller is audited (as denied). Answers never carry stacks or SQL.
import { startTestApi, type TestApi } from '../support/api';

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  field?: string;
  requestId: string;
  instance: string;
}

describe('errors', () => {
  let api: TestApi;
  const auditCount = async () => Number((await api.db.knex('audit_events').count({ n: '*' }).first())!.n);

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('401 without a token, with WWW-Authenticate, and nothing audited', async () => {
    const before = await auditCount();
    for (const [method, path] of [
      ['GET', '/v1/tokens'],
      ['POST', '/v1/tokens'],
      ['GET', '/v1/audit'],
    ] as const) {
      const response = await api.request<Problem>(method, path, {
        token: null,
        body: method === 'POST' ? { name: 'x', role: 'admin' } : undefined,
      });
      expect(response.status).toBe(401);
      expect(response.contentType).toBe('application/problem+json');
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="warden"');
      expect(response.body).toMatchObject({ type: 'urn:warden:problem:unauthenticated', status: 401, instance: path });
      expect(response.body.requestId).toBe(response.headers.get('x-request-id'));
    }
    expect(await auditCount()).toBe(before);
  });

  it('401 for a malformed Authorization header or an unknown token', async () => {
    const basic = await api.request<Problem>('GET', '/v1/tokens', {
      token: null,
      headers: { authorization: 'Basic YTpi' },
    });
    expect(basic.body).toMatchObject({ status: 401, field: 'header.authorization' });
    const unknown = await api.request<Problem>('GET', '/v1/tokens', { token: 'wdn_not-a-real-token' });
    expect(unknown.body).toMatchObject({ status: 401, detail: 'the bearer token is not recognised' });
  });

  it('401 for a revoked or an expired token', async () => {
    const created = await api.request<{ id: string; token: string }>('POST', '/v1/tokens', {
      body: { name: 'short-lived', role: 'automation' },
    });
    await api.request('DELETE', `/v1/tokens/${created.body.id}`);
    const revoked = await api.request<Problem>('GET', '/v1/audit/verify', { token: created.body.token });
    expect(revoked.body).toMatchObject({ status: 401, detail: 'the bearer token has been revoked' });

    const viewer = await api.tokenFor('security-viewer', 'expiring');
    await api.db
      .knex('api_tokens')
      .where({ name: 'expiring' })
      .update({ expires_at: new Date(Date.now() - 1000) });
    const expired = await api.request<Problem>('GET', '/v1/audit', { token: viewer });
    expect(expired.body).toMatchObject({ status: 401, detail: 'the bearer token has expired' });
  });

  it('403 for a security-viewer on a mutation, audited as denied; 403 on a read is not audited', async () => {
    const viewer = await api.tokenFor('security-viewer', 'viewer-403');
    const before = await auditCount();

    const read = await api.request<Problem>('GET', '/v1/tokens', { token: viewer });
    expect(read.status).toBe(403);
    expect(await auditCount()).toBe(before);

    const write = await api.request<Problem>('POST', '/v1/tokens', {
      token: viewer,
      body: { name: 'sneaky', role: 'admin' },
    });
    expect(write.status).toBe(403);
    expect(write.body).toMatchObject({
      type: 'urn:warden:problem:forbidden',
      detail: "this operation needs one of the roles admin; your token's role is security-viewer",
    });
    expect(await api.db.knex('api_tokens').where({ name: 'sneaky' }).first()).toBeUndefined();
    const denied = await api.db.knex('audit_events').orderBy('seq', 'desc').first();
    expect(denied).toMatchObject({
      action: 'token.create',
      outcome: 'denied',
      actor_name: 'viewer-403',
      actor_role: 'security-viewer',
      request_id: write.body.requestId,
    });
    expect(denied.details).toEqual({ operationId: 'createToken', method: 'POST', path: '/v1/tokens' });
    const logged = api.logs
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'request' && l.requestId === write.body.requestId);
    expect(logged).toMatchObject({ status: 403, route: '/v1/tokens', tokenId: denied.actor_id });
    expect(await auditCount()).toBe(before + 1);
  });

  it('400 naming the field for malformed JSON and wrong types, without auditing anything', async () => {
    const before = await auditCount();
    const malformed = await api.request<Problem>('POST', '/v1/tokens', {
      rawBody: '{"name": "x", ',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ type: 'urn:warden:problem:malformed-json', field: 'body' });

    const wrongType = await api.request<Problem>('POST', '/v1/tokens', { body: { name: 42, role: 'admin' } });
    expect(wrongType.body).toMatchObject({
      type: 'urn:warden:problem:validation',
      field: 'body.name',
      detail: 'body.name: must be string',
    });

    const badEnum = await api.request<Problem>('POST', '/v1/tokens', { body: { name: 'x', role: 'root' } });
    expect(badEnum.body).toMatchObject({
      field: 'body.role',
      detail: 'body.role: must be one of: admin, security-viewer, automation',
    });

    const missing = await api.request<Problem>('POST', '/v1/tokens', { body: { role: 'admin' } });
    expect(missing.body).toMatchObject({ field: 'body.name', detail: 'body.name: is required' });

    const extra = await api.request<Problem>('POST', '/v1/tokens', {
      body: { name: 'x', role: 'admin', scope: 'all' },
    });
    expect(extra.body).toMatchObject({ field: 'body.scope', detail: 'body.scope: is not allowed here' });

    const array = await api.request<Problem>('POST', '/v1/tokens', { body: [] });
    expect(array.body).toMatchObject({ field: 'body', detail: 'body: must be object' });

    const badQuery = await api.request<Problem>('GET', '/v1/audit?limit=0');
    expect(badQuery.body).toMatchObject({ field: 'query.limit', detail: 'query.limit: must be >= 1' });

    const unknownQuery = await api.request<Problem>('GET', '/v1/audit?limt=5');
    expect(unknownQuery.body).toMatchObject({ field: 'query.limt' });

    const badPath = await api.request<Problem>('GET', '/v1/tokens/not-a-uuid');
    expect(badPath.body).toMatchObject({ field: 'path.id' });

    const bodyOnGet = await api.request<Problem>('DELETE', '/v1/tokens/00000000-0000-4000-8000-000000000000', {
      body: { x: 1 },
    });
    expect(bodyOnGet.body).toMatchObject({
      status: 400,
      field: 'body',
      detail: 'body: this operation takes no request body',
    });

    expect(await auditCount()).toBe(before);
  });

  it('415 for a body that is not JSON, 413 over the body limit', async () => {
    const text = await api.request<Problem>('POST', '/v1/tokens', {
      rawBody: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(text.body).toMatchObject({ status: 415, type: 'urn:warden:problem:unsupported-media-type' });
    const huge = await api.request<Problem>('POST', '/v1/tokens', {
      body: { name: 'x'.repeat(api.config.bodyLimitBytes + 10), role: 'admin' },
    });
    expect(huge.body).toMatchObject({ status: 413, type: 'urn:warden:problem:payload-too-large' });
  });

  it('404 for an unknown route and 405 with Allow for a wrong method', async () => {
    const unknown = await api.request<Problem>('GET', '/v1/nothing-here');
    expect(unknown.body).toMatchObject({ status: 404, type: 'urn:warden:problem:not-found' });
    const wrong = await api.request<Problem>('PUT', '/v1/tokens');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('HEAD, GET, POST');
    expect(wrong.body).toMatchObject({ type: 'urn:warden:problem:method-not-allowed' });
  });

  it('answers a GET of a parameterless path by exact lookup as the router does for its other spellings', async () => {
    const viewer = await api.tokenFor('security-viewer', 'viewer-exact');
    const exact = await api.request('GET', '/v1/posture/summary', { token: viewer });
    // The router's other spelling (a trailing slash) is outside the contract, so it is asked without its checks.
    const slash = await fetch(`${api.url}/v1/posture/summary/`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(exact.status).toBe(200);
    expect(slash.status).toBe(200);
    expect(await slash.json()).toEqual(exact.body);
    const routes = [exact, slash].map(
      (answer) =>
        api.logs
          .map((l) => JSON.parse(l))
          .find((l) => l.msg === 'request' && l.requestId === answer.headers.get('x-request-id'))?.route,
    );
    expect(routes).toEqual(['/v1/posture/summary', '/v1/posture/summary']);
    // The exact lookup is for GET alone: other methods still get the router's 405, and no token still a 401.
    const wrong = await api.request<Problem>('DELETE', '/v1/posture/summary', { token: viewer });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('HEAD, GET');
    expect((await api.request<Problem>('GET', '/v1/posture/summary', { token: null })).status).toBe(401);
  });

  it("keeps a caller's plain X-Request-Id and replaces one that is not", async () => {
    const kept = await api.request<Problem>('GET', '/v1/nothing', { headers: { 'x-request-id': 'trace-123' } });
    expect(kept.body.requestId).toBe('trace-123');
    const replaced = await api.request<Problem>('GET', '/v1/nothing', {
      headers: { 'x-request-id': 'bad id <script>' },
    });
    expect(replaced.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('500 without stack or SQL when the database fails underneath, with the details in the log only', async () => {
    await api.db.knex.raw('alter table audit_events rename to audit_events_away');
    try {
      const response = await api.request<Problem>('GET', '/v1/audit');
      expect(response.status).toBe(500);
      expect(response.body).toMatchObject({ type: 'urn:warden:problem:internal' });
      expect(response.body.detail).toContain(response.body.requestId);
      expect(response.text).not.toMatch(/audit_events|select|relation|at .*\.ts/i);
      const logged = api.logs
        .map((l) => JSON.parse(l))
        .find((l) => l.msg === 'unhandled error' && l.requestId === response.body.requestId);
      expect(logged.err.message).toMatch(/audit_events/);
    } finally {
      await api.db.knex.raw('alter table audit_events_away rename to audit_events');
    }
  });
});
