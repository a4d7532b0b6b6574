// Policy as code through the built `warden` binary against a served API and an emulated tenant: plan -f shows
// what a file would change without saving it, apply -f saves it as the next version and applies exactly what was
// shown, a saved plan applies as reviewed (and is refused once the policy moved on), and mistakes are one line.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { emulatorConnection, type GraphEmulator } from '../../src/sim/graph';
import { startEmulator } from '../sim/graph/helpers';
import { startTestApi, type TestApi } from '../support/api';
import { runWardenAsync } from '../support/cli';

const POLICY_YAML = `
name: chats-as-code
targets: { connections: [contoso], platforms: [android] }
controls:
  workDataBackup: { mode: enforce, allowed: false }
  staleCheckIn: { mode: report, days: 14 }
`;

describe('warden plan and apply (policy as code)', () => {
  let emulator: GraphEmulator;
  let api: TestApi;
  let dir: string;
  let env: Record<string, string>;
  const file = (name: string, text: string) => {
    const at = path.join(dir, name);
    writeFileSync(at, text);
    return at;
  };
  const warden = (...args: string[]) => runWardenAsync(args, env);

  beforeAll(async () => {
    emulator = await startEmulator({ devices: 5, seed: 3 });
    api = await startTestApi({ config: { extraCaPem: emulator.caPem } });
    await api.request('POST', '/v1/connections', { body: { name: 'contoso', ...emulatorConnection(emulator) } });
    dir = mkdtempSync(path.join(tmpdir(), 'warden-policy-'));
    env = { WARDEN_URL: api.url, WARDEN_TOKEN: await api.tokenFor('automation', 'pipeline') };
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await emulator?.stop();
  });

  it('plans a new policy from a file without saving it', async () => {
    const planned = await warden('plan', '-f', file('policy.yaml', POLICY_YAML));
    expect(planned.stderr).toBe('');
    expect(planned.status).toBe(0);
    expect(planned.stdout).toMatch(/for policy chats-as-code: a new policy; the file would become version 1/);
    expect(planned.stdout).toMatch(/contoso: 1 to create/);
    expect(planned.stdout).toMatch(/\+ create android-app-protection \(androidManagedAppProtections\)/);
    expect(planned.stdout).toMatch(/report only: staleCheckIn/);
    expect((await api.request('GET', '/v1/policies/chats-as-code')).status).toBe(404);
    expect(emulator.tenant.policies.list('androidManagedAppProtections')).toHaveLength(0);
  });

  it('applies a file, saving it as the next version with the reason, then finds nothing to apply', async () => {
    const at = file('policy.yaml', POLICY_YAML);
    const applied = await warden('apply', '-f', at, '--auto-approve', '--reason', 'commit 1a2b: roll out');
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toMatch(
      /Applied plan [0-9a-f-]+: policy chats-as-code is at version 1; 1 native change made/,
    );
    const saved = await api.request<{ version: number; reason: string; changedBy: { name: string } }>(
      'GET',
      '/v1/policies/chats-as-code',
    );
    expect(saved.body).toMatchObject({ version: 1, reason: 'commit 1a2b: roll out', changedBy: { name: 'pipeline' } });
    expect(emulator.tenant.policies.list('androidManagedAppProtections')).toEqual([
      expect.objectContaining({ dataBackupBlocked: true }),
    ]);

    const again = await warden('apply', '-f', at, '--auto-approve');
    expect(again.stdout).toMatch(/the file equals version 1/);
    expect(again.stdout).toMatch(/contoso: no changes/);
    expect(again.stdout).toMatch(/Nothing to apply/);
  });

  it('applies a saved plan exactly as reviewed, and refuses it once the policy has moved on', async () => {
    const changed = file('policy.yaml', POLICY_YAML.replace('allowed: false', 'allowed: true'));
    const out = path.join(dir, 'plan.json');
    const planned = await warden('plan', '-f', changed, '--out', out, '--reason', 'allow backups');
    expect(planned.stdout).toMatch(/the file would become version 2/);
    expect(planned.stdout).toMatch(/dataBackupBlocked: true -> false/);

    const applied = await warden('apply', '--plan', out);
    expect(applied.stdout).toMatch(/is at version 2; 1 native change made/);
    expect(emulator.tenant.policies.list('androidManagedAppProtections')[0]).toMatchObject({
      dataBackupBlocked: false,
    });

    const replay = await warden('apply', '--plan', out);
    expect(replay.status).toBe(1);
    expect(replay.stderr).toMatch(/409 this plan has already been applied/);

    // A plan reviewed before someone else saved a version is not applied over their change.
    const reviewed = path.join(dir, 'reviewed.json');
    await warden('plan', '-f', file('v3.yaml', POLICY_YAML), '--out', reviewed);
    const meanwhile = POLICY_YAML.replace('allowed: false', 'allowed: true').replace('days: 14', 'days: 30');
    const put = await warden('apply', '-f', file('meanwhile.yaml', meanwhile), '--auto-approve');
    expect(put.stdout).toMatch(/is at version 3; 0 native changes made/);
    const stale = await warden('apply', '--plan', reviewed);
    expect(stale).toMatchObject({
      status: 1,
      stderr: expect.stringMatching(/the policy changed since the plan \(version 2 -> 3\)/),
    });
  });

  it('says in one line what is wrong with the file, the token or the server', async () => {
    const noName = await warden('plan', '-f', file('bad.yaml', 'targets: {}\n'));
    expect(noName).toMatchObject({ status: 2, stderr: expect.stringMatching(/bad.yaml: the policy has no name/) });
    const broken = await warden('plan', '-f', file('broken.yaml', 'name: [unclosed\n'));
    expect(broken.stderr).toMatch(/broken.yaml: not valid YAML or JSON/);
    const invalid = await warden(
      'plan',
      '-f',
      file('invalid.yaml', POLICY_YAML.replace('mode: enforce', 'mode: always')),
    );
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toMatch(/400 .*\(body\.policy\.controls\.workDataBackup\.mode\)/);
    const noToken = await runWardenAsync(['plan', '-f', file('ok.yaml', POLICY_YAML)], { WARDEN_URL: api.url });
    expect(noToken).toMatchObject({ status: 2, stderr: 'warden: no API token: set WARDEN_TOKEN or pass --token\n' });
    const viewer = await runWardenAsync(['plan', '-f', path.join(dir, 'ok.yaml')], {
      WARDEN_URL: api.url,
      WARDEN_TOKEN: await api.tokenFor('security-viewer'),
    });
    expect(viewer.stderr).toMatch(/403/);
    const nowhere = await runWardenAsync(['plan', '-f', path.join(dir, 'ok.yaml'), '--url', 'http://127.0.0.1:9'], env);
    expect(nowhere).toMatchObject({
      status: 1,
      stderr: expect.stringMatching(/cannot reach Warden at http:\/\/127.0.0.1:9/),
    });
    const both = await warden('apply');
    expect(both).toMatchObject({ status: 2, stderr: expect.stringMatching(/either -f <policy file> or --plan/) });
    // A file that would change something is not applied without a yes: here there is no terminal to ask.
    const prompt = await warden('apply', '-f', file('again.yaml', POLICY_YAML));
    expect(prompt).toMatchObject({ status: 2, stderr: expect.stringMatching(/not a terminal: pass --auto-approve/) });
    expect(prompt.stdout).toMatch(/dataBackupBlocked: false -> true/);
    expect(emulator.tenant.policies.list('androidManagedAppProtections')[0]).toMatchObject({
      dataBackupBlocked: false,
    });
  });
});
