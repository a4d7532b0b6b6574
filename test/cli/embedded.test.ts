// The newcomer's path: with no DATABASE_URL, `warden serve` (what `npm start` runs) keeps its data in an
// embedded PGlite directory. It starts, migrates, takes writes, stops cleanly, and reads them back after a
// restart; a second process on the same directory is refused with a clear message.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runWarden, serveWarden } from '../support/cli';

const BOOTSTRAP = 'e'.repeat(48);

async function api(url: string, method: string, route: string, body?: unknown) {
  const response = await fetch(url + route, {
    method,
    headers: { authorization: `Bearer ${BOOTSTRAP}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as { items: Array<{ name: string }> } };
}

describe('embedded database (PGlite)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-embedded-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('starts, migrates, writes, restarts and reads back', async () => {
    const vars = { WARDEN_DATA_DIR: dataDir, WARDEN_BOOTSTRAP_TOKEN: BOOTSTRAP, LOG_LEVEL: 'warn' };
    const first = await serveWarden(vars);
    try {
      expect(first.output()).toContain(`embedded database in ${dataDir}, worker in this process`);
      expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
      expect((await api(first.url, 'GET', '/readyz')).body).toMatchObject({ status: 'ready' });
      const created = await api(first.url, 'POST', '/v1/tokens', { name: 'survives-restart', role: 'security-viewer' });
      expect(created.status).toBe(201);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    expect(fs.existsSync(path.join(dataDir, 'warden.lock'))).toBe(false);

    const second = await serveWarden(vars);
    try {
      const tokens = await api(second.url, 'GET', '/v1/tokens');
      expect(tokens.body.items.map((t: { name: string }) => t.name)).toEqual(['survives-restart', 'bootstrap']);
      const verified = await api(second.url, 'GET', '/v1/audit/verify');
      expect(verified.body).toMatchObject({ intact: true, checkedEvents: 2 });
      // The posture summary and the dashboard work on the embedded database too (an empty fleet).
      const posture = await api(second.url, 'GET', '/v1/posture/summary');
      expect(posture.status).toBe(200);
      expect(posture.body).toMatchObject({ devices: { byState: { total: 0 } }, asOf: null });
      expect((await api(second.url, 'GET', '/v1/posture/trend')).status).toBe(200);
      expect((await fetch(`${second.url}/`)).headers.get('content-type')).toMatch(/^text\/html/);

      const intruder = runWarden(['serve'], { WARDEN_DATA_DIR: dataDir, PORT: '0' });
      expect(intruder.status).toBe(2);
      expect(intruder.stderr).toMatch(
        /^warden: another Warden process \(pid \d+\) is using the embedded database in .*; .*set DATABASE_URL/,
      );
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });
});
