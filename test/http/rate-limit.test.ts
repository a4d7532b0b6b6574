// API rate limiting: a token bucket per token (per client address without one) answers 429 problem+json with
// Retry-After when empty, leaves other tokens alone, refills with time, exempts health, readiness and metrics,
// and gives made-up tokens no fresh buckets.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { loadConfig } from '../../src/config';
import { rateLimit, TokenBuckets } from '../../src/http/rate-limit';
import { startTestApi, type TestApi } from '../support/api';

describe('TokenBuckets', () => {
  it('admits a minute of requests at once, then one per 60/N seconds, saying how long to wait', () => {
    let now = 0;
    const buckets = new TokenBuckets(6, () => now); // a request every 10 s
    for (let i = 0; i < 6; i++) expect(buckets.take('a')).toBe(0);
    expect(buckets.take('a')).toBe(10);
    expect(buckets.take('b')).toBe(0); // another key is unaffected
    now += 4_000;
    expect(buckets.peek('a')).toBe(6);
    expect(buckets.take('a')).toBe(6);
    now += 6_000;
    expect(buckets.take('a')).toBe(0);
    expect(buckets.take('a')).toBe(10);
    now += 120_000; // refills to a full minute, no more
    for (let i = 0; i < 6; i++) expect(buckets.take('a')).toBe(0);
    expect(buckets.take('a')).toBeGreaterThan(0);
  });

  it('forgets full buckets rather than growing without bound', () => {
    let now = 0;
    const buckets = new TokenBuckets(60, () => now);
    for (let i = 0; i < 10_000; i++) buckets.take(`address:${i}`);
    now += 60_000;
    buckets.take('another');
    expect(buckets.size).toBe(1);
  });
});

describe('rateLimit middleware', () => {
  let now = 0;
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    const app = new Koa();
    app.use(rateLimit({ perMinute: 3, now: () => now }));
    // Stands in for the router: "good-*" tokens authenticate, others get 401.
    app.use((ctx) => {
      const token = /^Bearer (\S+)$/.exec(ctx.get('authorization'))?.[1];
      if (token && !token.startsWith('good-')) ctx.status = 401;
      else {
        if (token) ctx.state.tokenId = token;
        ctx.body = { ok: true };
      }
    });
    server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const get = (path: string, token?: string) =>
    fetch(url + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('limits each token, and requests without one by address; health, readiness and metrics are exempt', async () => {
    for (let i = 0; i < 3; i++) expect((await get('/v1/me', 'good-a')).status).toBe(200);
    const refused = await get('/v1/me', 'good-a');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('20');
    expect((await get('/v1/me', 'good-b')).status).toBe(200);
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await get(path, 'good-a')).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await get('/openapi.json')).status).toBe(200);
    expect((await get('/openapi.json')).status).toBe(429);
    expect((await get('/v1/me', 'good-b')).status).toBe(200); // a token is not the address
    now += 20_000;
    expect((await get('/v1/me', 'good-a')).status).toBe(200);
    expect((await get('/v1/me', 'good-a')).status).toBe(429);
  });

  it('counts answers 401 against the address: made-up tokens get no fresh buckets', async () => {
    now += 60_000;
    for (let i = 0; i < 3; i++) expect((await get('/v1/me', `made-up-${i}`)).status).toBe(401);
    const refused = await get('/v1/me', 'made-up-4');
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/tokens that do not authenticate/);
    // Tokens that authenticated before are unaffected; one not yet seen waits with the address.
    expect((await get('/v1/me', 'good-a')).status).toBe(200);
    expect((await get('/v1/me', 'good-new')).status).toBe(429);
    now += 20_000;
    expect((await get('/v1/me', 'good-new')).status).toBe(200);
  });

  it('is off at 0', async () => {
    const app = new Koa();
    app.use(rateLimit({ perMinute: 0 }));
    app.use((ctx) => {
      ctx.body = { ok: true };
    });
    const plain = http.createServer(app.callback());
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const address = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
    for (let i = 0; i < 20; i++) expect((await fetch(`${address}/v1/me`)).status).toBe(200);
    await new Promise<void>((resolve) => plain.close(() => resolve()));
  });
});

describe('WARDEN_RATE_LIMIT_PER_MINUTE', () => {
  it('defaults to 600 a minute; 0 disables', () => {
    expect(loadConfig({}).rateLimitPerMinute).toBe(600);
    expect(loadConfig({ WARDEN_RATE_LIMIT_PER_MINUTE: '0' }).rateLimitPerMinute).toBe(0);
    expect(() => loadConfig({ WARDEN_RATE_LIMIT_PER_MINUTE: 'lots' })).toThrow(
      /^WARDEN_RATE_LIMIT_PER_MINUTE: expected an integer from 0 to 1000000, got "lots"$/,
    );
  });
});

describe('the API, rate limited', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ config: { rateLimitPerMinute: 60 } }); // a request a second
  });
  afterAll(() => api?.close());

  it('answers 429 problem+json with Retry-After past the limit; another token is unaffected; it refills', async () => {
    const other = await api.tokenFor('security-viewer');
    let admitted = 0;
    let refused: Awaited<ReturnType<typeof api.request<{ type: string; status: number; detail: string }>>> | null =
      null;
    const started = Date.now();
    while (!refused && admitted < 200) {
      const answer = await api.request<{ type: string; status: number; detail: string }>('GET', '/v1/me');
      if (answer.status === 429) refused = answer;
      else {
        expect(answer.status).toBe(200);
        admitted++;
      }
    }
    // A full bucket of 60, plus what refilled (one a second) while the loop ran. The answer passed the contract
    // check (every operation's `default` is a problem).
    expect(admitted).toBeGreaterThanOrEqual(60);
    expect(admitted).toBeLessThanOrEqual(60 + Math.ceil((Date.now() - started) / 1000) + 1);
    expect(refused).not.toBeNull();
    expect(refused!.contentType).toBe('application/problem+json');
    expect(refused!.body).toMatchObject({
      type: 'urn:warden:problem:rate-limited',
      status: 429,
      detail: expect.stringMatching(/^more than 60 requests a minute with this token; retry in 1 s$/),
    });
    expect(refused!.headers.get('retry-after')).toBe('1');
    expect(refused!.headers.get('x-request-id')).toBeTruthy();

    expect((await api.request('GET', '/v1/me', { token: other })).status).toBe(200);
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await api.request('GET', path)).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await api.request('GET', '/v1/me')).status).toBe(200);
    // The refusals are in the access log like any answer.
    expect(api.logs.some((line) => line.includes('"status":429'))).toBe(true);
  });

  it('counts tokens that do not authenticate against the address, sparing tokens already seen', async () => {
    const known = await api.tokenFor('automation');
    expect((await api.request('GET', '/v1/me', { token: known })).status).toBe(200);
    let unauthenticated = 0;
    let refused: Awaited<ReturnType<typeof api.request<{ detail: string }>>> | null = null;
    while (!refused && unauthenticated < 200) {
      const answer = await api.request<{ detail: string }>('GET', '/v1/me', {
        token: `wdn_made-up-${unauthenticated}`,
      });
      if (answer.status === 429) refused = answer;
      else {
        expect(answer.status).toBe(401);
        unauthenticated++;
      }
    }
    expect(unauthenticated).toBeGreaterThanOrEqual(60);
    expect(refused!.body.detail).toMatch(/tokens that do not authenticate/);
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await api.request('GET', '/v1/me', { token: known })).status).toBe(200);
  });
});
