// `warden demo` (what `npm run demo` runs), as a user runs it, on a real PostgreSQL: three emulated tenants
// (Intune, Jamf Pro, Android Management) registered as connections and synced before it says it is running;
// the printed token reads them through the API; Ctrl-C stops everything cleanly; a second run replaces the
// first run's connections (their emulated tenants are gone), auditing the removal.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoFleetSizes } from '../../src/demo';
import { childEnv, WARDEN_BIN } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';

interface ConnectionBody {
  name: string;
  kind: string;
  credentialStatus: string;
  lastSync: { outcome: string; counts: Record<string, number> } | null;
}

describe('warden demo', () => {
  let db: TestDatabase;
  let child: ChildProcess | undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-demo-'));
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** The same key for both runs, as a deployment keeps it. */
  const vars = {
    WARDEN_SECRET_KEY: randomBytes(32).toString('hex'),
    WARDEN_DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'warn',
  };

  /** Starts `warden demo` and resolves with what it printed once it says it is running. */
  async function startDemo(): Promise<{ output: string; exited: Promise<number | null> }> {
    child = spawn(process.execPath, [WARDEN_BIN, 'demo', '--devices', '200'], {
      env: childEnv({ ...vars, DATABASE_URL: db.url }),
    });
    let output = '';
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the demo did not start:\n${output}`)), 90_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Stop with Ctrl-C.')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child!.stdout!.on('data', onData);
      child!.stderr!.on('data', onData);
      exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`the demo exited with ${code}:\n${output}`));
      });
    });
    return { output, exited };
  }

  async function connectionsOf(output: string): Promise<Array<ConnectionBody & { id: string }>> {
    const url = /Warden demo is running at (http:\/\/\S+)/.exec(output)![1]!;
    const token = /admin token: (\S+)/.exec(output)![1]!;
    const answer = await fetch(`${url}/v1/connections`, { headers: { authorization: `Bearer ${token}` } });
    expect(answer.status).toBe(200);
    return ((await answer.json()) as { items: Array<ConnectionBody & { id: string }> }).items;
  }

  it('connects and syncs an Intune, a Jamf Pro and an Android tenant, and prints them', async () => {
    const started = Date.now();
    const { output, exited } = await startDemo();
    // Keep the demo fast: three tenants connected and synced well within this.
    expect(Date.now() - started).toBeLessThan(60_000);

    const fleet = demoFleetSizes(200);
    for (const kind of ['intune', 'jamf', 'android']) {
      expect(output).toMatch(new RegExp(`contoso-${kind} \\(emulated\\)\\s+${kind}\\s+succeeded, \\d+ devices`));
    }
    const items = await connectionsOf(output);
    expect(items.map((c) => [c.name, c.kind, c.credentialStatus, c.lastSync?.outcome])).toEqual([
      ['contoso-android (emulated)', 'android', 'ok', 'succeeded'],
      ['contoso-intune (emulated)', 'intune', 'ok', 'succeeded'],
      ['contoso-jamf (emulated)', 'jamf', 'ok', 'succeeded'],
    ]);
    const devices = Object.fromEntries(items.map((c) => [c.kind, c.lastSync!.counts.devices]));
    expect(devices.intune).toBe(fleet.intune);
    expect(devices.android).toBe(fleet.android);
    // Jamf: its iPhones, iPads and Macs, less the few records no longer managed.
    expect(devices.jamf).toBeGreaterThan(fleet.jamf * 0.9);
    expect(devices.jamf).toBeLessThanOrEqual(fleet.jamf + Math.ceil(fleet.jamf / 10));
    const stored = await db.knex('devices').select('connection_id').count({ n: '*' }).groupBy('connection_id');
    expect(stored).toHaveLength(3);

    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);

  it('replaces the connections of an earlier run (their tenants are gone), auditing the removal', async () => {
    const before = await db.knex('connections').orderBy('name').pluck('id');
    const { output, exited } = await startDemo();
    const items = await connectionsOf(output);
    expect(items.map((c) => c.lastSync?.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(items.some((c) => before.includes(c.id))).toBe(false);
    const removed = await db.knex('audit_events').where({ action: 'connection.delete' }).orderBy('seq');
    expect(removed.map((e: { target_id: string }) => e.target_id).sort()).toEqual([...before].sort());
    expect(removed[0]).toMatchObject({ actor_type: 'cli' });
    expect(await db.knex('devices').whereIn('connection_id', before).count({ n: '*' }).first()).toEqual({ n: 0 });
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);
});
