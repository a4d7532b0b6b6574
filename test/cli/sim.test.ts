// `warden sim --mdm jamf|android`, as a user runs it: the emulator starts in its own process and prints how to
// connect Warden to it; following those printed instructions (the Jamf request body, the Android `jq` command
// over the key file it wrote) gives a connection that syncs the emulator's whole fleet. Options that do not
// apply to an MDM are refused plainly.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestApi, type TestApi } from '../support/api';
import { childEnv, runWarden, WARDEN_BIN } from '../support/cli';

interface ConnectionBody {
  id: string;
  kind: string;
  lastSync: { outcome: string; counts: Record<string, number> } | null;
}

describe('warden sim --mdm', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-sim-'));
  const pkiDir = path.join(dir, 'pki');
  const children: ChildProcess[] = [];
  let api: TestApi;

  /** Starts `warden sim` and resolves with everything it printed once it printed the connect line. */
  function startSim(args: string[]): Promise<string> {
    const child = spawn(process.execPath, [WARDEN_BIN, 'sim', '--pki-dir', pkiDir, ...args], { env: childEnv({}) });
    children.push(child);
    let output = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`warden sim did not start:\n${output}`)), 30_000);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (/connect Warden to it:\n.*\n/.test(output)) {
          clearTimeout(timer);
          resolve(output);
        }
      });
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`warden sim exited with ${code}:\n${output}`));
      });
    });
  }

  async function syncThroughApi(id: string): Promise<ConnectionBody> {
    expect((await api.request('POST', `/v1/connections/${id}/sync`)).status).toBe(202);
    for (;;) {
      const connection = (await api.request<ConnectionBody>('GET', `/v1/connections/${id}`)).body;
      if (connection.lastSync && connection.lastSync.outcome !== 'running') return connection;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  /** The -d argument of the printed curl command, evaluated the way a shell would (Android's runs jq). */
  const requestBody = (output: string): unknown => {
    const curl = /^ {2}curl .* -d (.*)$/m.exec(output)![1]!;
    return JSON.parse(execFileSync('bash', ['-c', `printf %s ${curl}`], { encoding: 'utf8' }));
  };

  beforeAll(async () => {
    // The emulators make the CA on first start: start one before the API, which must trust it.
    const jamfOutput = startSim(['--mdm', 'jamf', '--devices', '30']);
    await jamfOutput;
    api = await startTestApi({
      worker: true,
      config: { extraCaPem: fs.readFileSync(path.join(pkiDir, 'ca.pem'), 'utf8') },
    });
  }, 60_000);
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await api?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints a Jamf connection that syncs the emulated server', async () => {
    const output = await startSim(['--mdm', 'jamf', '--devices', '40', '--seed', '3']);
    expect(output).toMatch(/^emulated Jamf Pro server on https:\/\/127\.0\.0\.1:\d+ \(40 mobile devices, 4 Macs\)/);
    const created = await api.request<ConnectionBody>('POST', '/v1/connections', {
      body: { ...(requestBody(output) as object), name: 'jamf-from-cli' },
    });
    expect(created.status).toBe(201);
    const synced = await syncThroughApi(created.body.id);
    expect(synced.lastSync!.outcome).toBe('succeeded');
    expect(synced.lastSync!.counts.devices).toBeGreaterThan(35);
    expect(synced.lastSync!.counts.devices).toBeLessThanOrEqual(44);
  }, 60_000);

  it('writes the Android key file (owner-only) and prints a jq command that makes a connection that syncs', async () => {
    const keyFile = path.join(dir, 'keys', 'android.json');
    const output = await startSim(['--mdm', 'android', '--devices', '120', '--key-file', keyFile]);
    expect(output).toMatch(/^emulated Android Management API enterprise on https:\/\/127\.0\.0\.1:\d+ \(120 devices\)/);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = JSON.parse(fs.readFileSync(keyFile, 'utf8'));
    expect(key).toMatchObject({ type: 'service_account', private_key: expect.stringMatching(/BEGIN PRIVATE KEY/) });
    // The key itself is never printed, only where it is.
    expect(output).not.toContain(key.private_key.split('\n')[3]);
    // Google sends most 429s without Retry-After: so does the emulator unless told otherwise.
    expect(output).toContain('"throttleRetryAfter":false');

    const created = await api.request<ConnectionBody>('POST', '/v1/connections', { body: requestBody(output) });
    expect(created.status).toBe(201);
    expect(created.body.kind).toBe('android');
    const synced = await syncThroughApi(created.body.id);
    expect(synced.lastSync).toMatchObject({ outcome: 'succeeded', counts: { devices: 120 } });
  }, 60_000);

  it('refuses an MDM it does not emulate, and Intune-only options elsewhere', () => {
    const unknown = runWarden(['sim', '--mdm', 'airwatch']);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/Allowed choices are intune, jamf, android/);
    const limits = runWarden(['sim', '--mdm', 'android', '--enforce-limits', '--pki-dir', pkiDir]);
    expect(limits.status).toBe(2);
    expect(limits.stderr).toBe(
      'warden: --enforce-limits applies to --mdm intune only (Jamf and Google publish no such limits)\n',
    );
  });
});
