// The web dashboard's static files: served without a token, with the right content types, a strict
// Content-Security-Policy and the other security headers, ETags for conditional requests, and a problem for a
// file that is not part of it.
import fs from 'node:fs';
import path from 'node:path';
import { startTestApi, type TestApi } from '../support/api';

const WEB = path.resolve(__dirname, '../../web');
const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

/** The scripts and stylesheets in web/ (everything /assets/{file} must serve). */
const assetFiles = () => fs.readdirSync(WEB).filter((name) => /\.(js|css)$/.test(name));

function expectSecurityHeaders(headers: Headers): void {
  expect(headers.get('content-security-policy')).toBe(CSP);
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
}

describe('the web dashboard', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('serves the page at / without a token, as HTML that must be revalidated', async () => {
    const page = await api.request<string>('GET', '/', { token: null });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expectSecurityHeaders(page.headers);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('etag')).toMatch(/^"[\w-]+"$/);
    expect(page.text).toBe(fs.readFileSync(path.join(WEB, 'index.html'), 'utf8'));
    expect(page.text).toContain('<script type="module" src="/assets/dashboard.js"></script>');
  });

  it('serves every script and stylesheet with its content type, the headers and a short cache life', async () => {
    expect(assetFiles()).toEqual(
      expect.arrayContaining(['dashboard.js', 'dashboard.css', 'api.js', 'dom.js', 'charts.js', 'device.js']),
    );
    for (const name of assetFiles()) {
      const asset = await api.request<string>('GET', `/assets/${name}`, { token: null });
      expect({ name, status: asset.status }).toEqual({ name, status: 200 });
      expect(asset.headers.get('content-type')).toBe(
        name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
      );
      expectSecurityHeaders(asset.headers);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=300');
      expect(asset.text).toBe(fs.readFileSync(path.join(WEB, name), 'utf8'));
    }
  });

  it('serves every file the page and its modules refer to', async () => {
    const page = fs.readFileSync(path.join(WEB, 'index.html'), 'utf8');
    const referred = new Set([...page.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((m) => m[1]!));
    for (const name of assetFiles().filter((file) => file.endsWith('.js'))) {
      const source = fs.readFileSync(path.join(WEB, name), 'utf8');
      for (const m of source.matchAll(/from '\.\/([^']+)'/g)) referred.add(m[1]!);
    }
    expect(referred.size).toBeGreaterThanOrEqual(6);
    for (const name of referred) {
      expect({ name, status: (await api.request('GET', `/assets/${name}`, { token: null })).status }).toEqual({
        name,
        status: 200,
      });
    }
  });

  it('answers a conditional request for an unchanged file with 304 and no body', async () => {
    for (const url of ['/', '/assets/dashboard.js']) {
      const first = await api.request('GET', url, { token: null });
      const etag = first.headers.get('etag')!;
      const again = await api.request('GET', url, { token: null, headers: { 'if-none-match': `W/${etag}, "other"` } });
      expect(again.status).toBe(304);
      expect(again.text).toBe('');
      expect(again.headers.get('etag')).toBe(etag);
      const changed = await api.request('GET', url, { token: null, headers: { 'if-none-match': '"stale"' } });
      expect(changed.status).toBe(200);
    }
  });

  it('answers a file that is not part of the dashboard with a problem, never with another file', async () => {
    const unknown = await api.request<{ type: string; field: string }>('GET', '/assets/secrets.js', { token: null });
    expect(unknown.status).toBe(404);
    expect(unknown.contentType).toBe('application/problem+json');
    expect(unknown.body).toMatchObject({ type: 'urn:warden:problem:not-found', field: 'path.file' });

    for (const name of ['index.html', '..%2Fpackage.json', '..%2F..%2Fsrc%2Fconfig.ts']) {
      const refused = await api.request<{ type: string }>('GET', `/assets/${name}`, { token: null });
      expect({ name, status: refused.status }).toEqual({ name, status: 400 });
      expect(refused.body.type).toBe('urn:warden:problem:validation');
    }
  });
});
