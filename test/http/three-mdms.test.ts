// One policy over an organisation with Intune, Jamf Pro and Android Management connections, through the API and
// the worker against the three emulators: the plan holds one diff per connection, apply carries them out, the
// next plan says "no changes" for each; a setting changed by hand in each MDM is reported as drift against that
// connection only, and enforce mode puts each back. Posture says backup cannot be enforced on Android
// Management instead of counting it as holding.
import type { AndroidEmulator } from '../../src/sim/android';
import { emulatorConnection, type GraphEmulator } from '../../src/sim/graph';
import type { JamfEmulator } from '../../src/sim/jamf';
import { androidConnector } from '../mdm/android/helpers';
import { jamfConnector } from '../mdm/jamf/helpers';
import { startEmulator as startAndroid } from '../sim/android/helpers';
import { EmulatorClient, startEmulator as startGraph } from '../sim/graph/helpers';
import { startJamf } from '../sim/jamf/helpers';
import { startTestApi, type TestApi } from '../support/api';

const POLICY = {
  name: 'chats-stay-managed',
  targets: { connections: ['all'], platforms: ['android', 'ios'] },
  controls: {
    blockedApps: { mode: 'alert', apps: ['com.whatsapp', 'net.whatsapp.WhatsApp'] },
    workDataBackup: { mode: 'enforce', allowed: false },
    crossProfileContacts: { mode: 'enforce', allowed: false },
    crossProfileDataSharing: { mode: 'enforce', direction: 'work-to-personal-blocked' },
  },
};

interface ConnectionPlanBody {
  connectionName: string;
  status: string;
  summary: string;
  steps: Array<{ action: string; collection: string; key: string }>;
  unenforceable: Array<{ control: string; platform: string; reason: string }>;
}
interface PlanBody {
  id: string;
  hash: string;
  connections: ConnectionPlanBody[];
}
interface DriftBody {
  connectionName: string;
  status: string;
  summary: string;
  events: Array<{ kind: string; key: string; setting?: string; remediated: boolean }>;
}

describe('one policy over Intune, Jamf Pro and Android Management', () => {
  let graph: GraphEmulator;
  let jamf: JamfEmulator;
  let android: AndroidEmulator;
  let api: TestApi;

  const plan = async () => {
    const answer = await api.request<PlanBody>('POST', `/v1/policies/${POLICY.name}/plan`);
    expect(answer.status).toBe(201);
    return answer.body;
  };
  const byConnection = (body: PlanBody) =>
    Object.fromEntries(body.connections.map((c) => [c.connectionName, c])) as Record<string, ConnectionPlanBody>;

  async function waitForJob(name: string, before: number): Promise<void> {
    const done = () => api.db.knex('job_runs').where({ job_name: name }).whereNot({ outcome: 'running' });
    const deadline = Date.now() + 90_000;
    while ((await done()).length === before) {
      if (Date.now() > deadline) throw new Error(`${name} did not finish`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const finishedRuns = async (name: string) =>
    (await api.db.knex('job_runs').where({ job_name: name }).whereNot({ outcome: 'running' })).length;

  async function checkDrift(): Promise<Record<string, DriftBody>> {
    const before = await finishedRuns('drift-check');
    expect((await api.request('POST', '/v1/drift/check', { body: { policy: POLICY.name } })).status).toBe(202);
    await waitForJob('drift-check', before);
    const { items } = (await api.request<{ items: DriftBody[] }>('GET', `/v1/drift?policy=${POLICY.name}`)).body;
    return Object.fromEntries(items.map((c) => [c.connectionName, c]));
  }

  beforeAll(async () => {
    [graph, jamf, android] = await Promise.all([
      startGraph({ devices: 12, seed: 5 }),
      startJamf({ mobileDevices: 12 }),
      startAndroid({ devices: 12 }),
    ]);
    api = await startTestApi({ worker: true, config: { extraCaPem: graph.caPem } });
    const connections = [
      { name: 'contoso-intune', ...emulatorConnection(graph) },
      {
        name: 'contoso-jamf',
        kind: 'jamf',
        settings: { baseUrl: jamf.url },
        credentials: { type: 'client-credentials', clientId: jamf.clientId, clientSecret: jamf.clientSecret },
      },
      {
        name: 'contoso-android',
        kind: 'android',
        settings: { enterpriseName: android.enterpriseName, rootUrl: android.url, tokenUri: android.tokenUri },
        credentials: { type: 'service-account', key: android.serviceAccountKey },
      },
    ];
    for (const body of connections) expect((await api.request('POST', '/v1/connections', { body })).status).toBe(201);
    const saved = await api.request('PUT', `/v1/policies/${POLICY.name}`, {
      body: { policy: POLICY, reason: 'roll out' },
    });
    expect(saved.status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await Promise.all([graph?.stop(), jamf?.stop(), android?.stop()]);
  });

  it('plans for each connection, applies, then plans no changes for each', async () => {
    const first = byConnection(await plan());
    expect(Object.keys(first).sort()).toEqual(['contoso-android', 'contoso-intune', 'contoso-jamf']);
    for (const connection of Object.values(first)) {
      expect(connection.status).toBe('planned');
      expect(connection.steps.every((s) => s.action === 'create')).toBe(true);
    }
    expect(first['contoso-jamf']!.steps.map((s) => [s.collection, s.key])).toEqual([
      ['mobileDeviceConfigurationProfiles', 'ios-restrictions'],
    ]);
    expect(first['contoso-android']!.steps.map((s) => [s.collection, s.key])).toEqual([['policies', 'android-policy']]);
    expect(first['contoso-intune']!.summary).toMatch(/^\d+ to create$/);
    // Each MDM says what it cannot enforce: backup on Android Management, Android devices in Jamf.
    const said = (name: string) => first[name]!.unenforceable.map((u) => `${u.control}/${u.platform}`);
    expect(said('contoso-android')).toContain('workDataBackup/android');
    expect(said('contoso-jamf')).toContain('workDataBackup/android');
    expect(said('contoso-intune')).not.toContain('workDataBackup/android');

    const planned = await plan();
    const applied = await api.request<{ connections: Array<{ applied: number }> }>(
      'POST',
      `/v1/policies/${POLICY.name}/apply`,
      { body: { planId: planned.id, hash: planned.hash } },
    );
    expect(applied.status).toBe(200);
    expect(applied.body.connections.every((c) => c.applied > 0)).toBe(true);

    const again = byConnection(await plan());
    for (const name of ['contoso-intune', 'contoso-jamf', 'contoso-android'])
      expect([name, again[name]!.summary]).toEqual([name, 'no changes']);
    // The native objects are really there.
    expect(jamf.profiles.all().filter((p) => p.description.includes('[warden:chats-stay-managed/'))).toHaveLength(1);
    const policies = await androidConnector(android).readPolicies();
    expect(policies.map((p) => p.name)).toContain(
      `${android.enterpriseName}/policies/warden.chats-stay-managed.android-policy`,
    );
  });

  it('reports drift made by hand in each MDM against that connection, and puts enforced settings back', async () => {
    expect(Object.values(await checkDrift()).map((c) => c.status)).toEqual(['in-sync', 'in-sync', 'in-sync']);

    // Intune: backup allowed again on the iOS restrictions, through Graph.
    const console = new EmulatorClient(graph);
    const restrictions = graph.tenant.policies
      .list('deviceConfigurations')
      .find((o) => String(o.description).includes('[warden:chats-stay-managed/ios-restrictions]'))!;
    const patched = await console.graph('PATCH', `/v1.0/deviceManagement/deviceConfigurations/${restrictions.id}`, {
      '@odata.type': '#microsoft.graph.iosGeneralDeviceConfiguration',
      iCloudBlockBackup: false,
    });
    expect(patched.status).toBe(204);
    await console.close();
    // Jamf: managed documents may open in unmanaged apps again.
    const jamfAdmin = jamfConnector(jamf);
    const [profile] = await jamfAdmin.readRestrictionProfiles();
    await jamfAdmin.applyRestrictionProfile({
      op: 'update',
      ...profile!,
      restrictions: { ...profile!.restrictions, allowOpenFromManagedToUnmanaged: true },
    });
    // Android: work contacts shown in the personal profile again.
    const androidAdmin = androidConnector(android);
    const name = `${android.enterpriseName}/policies/warden.chats-stay-managed.android-policy`;
    const stored = (await androidAdmin.readPolicies()).find((p) => p.name === name)!;
    await androidAdmin.patchPolicy(name, {
      ...stored,
      crossProfilePolicies: {
        ...stored.crossProfilePolicies,
        showWorkContactsInPersonalProfile: 'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_ALLOWED',
      },
    });

    const drift = await checkDrift();
    const events = (connection: string) =>
      drift[connection]!.events.map((e) => [e.kind, e.key, e.setting, e.remediated]);
    expect(events('contoso-intune')).toEqual([['setting-changed', 'ios-restrictions', 'iCloudBlockBackup', true]]);
    expect(events('contoso-jamf')).toEqual([
      ['setting-changed', 'ios-restrictions', 'allowOpenFromManagedToUnmanaged', true],
    ]);
    expect(events('contoso-android')).toEqual([
      ['setting-changed', 'android-policy', 'crossProfilePolicies.showWorkContactsInPersonalProfile', true],
    ]);
    // Put back: the next check finds all three in sync, and the audit trail holds each repair.
    expect(Object.values(await checkDrift()).map((c) => c.status)).toEqual(['in-sync', 'in-sync', 'in-sync']);
    expect(await api.db.knex('audit_events').where({ action: 'drift.remediate' })).toHaveLength(3);
  });

  it('counts backup on Android Management devices as not enforceable, never as holding', async () => {
    const connections = (await api.request<{ items: Array<{ id: string; name: string }> }>('GET', '/v1/connections'))
      .body.items;
    const androidId = connections.find((c) => c.name === 'contoso-android')!.id;
    expect((await api.request('POST', `/v1/connections/${androidId}/sync`)).status).toBe(202);
    const synced = () => api.db.knex('sync_runs').where({ connection_id: androidId, outcome: 'succeeded' }).first();
    const deadline = Date.now() + 60_000;
    while (!(await synced())) {
      if (Date.now() > deadline) throw new Error('the Android sync did not finish');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const devices = await api.db
      .knex('devices')
      .where({ connection_id: androidId, platform: 'android' })
      .whereNull('gone_at');
    expect(devices.length).toBeGreaterThan(0);
    // The summary is served from figures the evaluation after the sync materialized (cached for a second).
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const summary = await api.request<{
      alignment: Array<{ policy: string; controls: Array<{ control: string; alignment: Record<string, number> }> }>;
    }>('GET', '/v1/posture/summary');
    const controls = summary.body.alignment.find((a) => a.policy === POLICY.name)!.controls;
    const backup = controls.find((c) => c.control === 'workDataBackup')!.alignment;
    expect(backup).toMatchObject({ holds: 0, fails: 0, unknown: 0, notEnforceable: devices.length });
    // Cross-profile contacts are enforceable there, and were held at the last drift check.
    const contacts = controls.find((c) => c.control === 'crossProfileContacts')!.alignment;
    expect(contacts).toMatchObject({ holds: devices.length, notEnforceable: 0 });
  });
});
