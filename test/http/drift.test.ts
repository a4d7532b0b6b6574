// Drift through the API and the worker against an emulated Intune tenant: objects changed by hand through the
// emulator's Graph API show as exactly those changes; enforce-mode drift is put back and audited, alert-mode
// drift opens a policy-drift finding; a tenant answering 429 or 5xx is "unknown" with its last known truth
// beside it, never drift and never in sync; applying again brings it back in sync and resolves the finding.
// Devices follow: backup-not-blocked and cross-profile-contacts while the MDM is known not to hold the control.
import { emulatorConnection, type GraphEmulator } from '../../src/sim/graph';
import { EmulatorClient, startEmulator } from '../sim/graph/helpers';
import { startTestApi, type TestApi } from '../support/api';

const POLICY = {
  name: 'chats-stay-managed',
  targets: { connections: ['contoso'], platforms: ['android', 'ios'] },
  controls: {
    workDataBackup: { mode: 'enforce', allowed: false },
    crossProfileContacts: { mode: 'alert', allowed: false },
    crossProfileDataSharing: { mode: 'alert', direction: 'work-to-personal-blocked' },
    managedAppExemptions: { mode: 'enforce', forbid: ['com.whatsapp', 'net.whatsapp.WhatsApp'] },
  },
};

interface DriftEventBody {
  kind: string;
  key: string;
  objectId: string | null;
  setting?: string;
  current?: unknown;
  desired?: unknown;
  controls: string[];
  mode: string;
  remediated: boolean;
}

interface DriftBody {
  id: string;
  policy: string;
  connectionName: string;
  policyVersion: number | null;
  status: string;
  summary: string;
  events: DriftEventBody[];
  error: { kind: string } | null;
  remediation: { attempted: number; applied: number; error: unknown } | null;
  lastKnown?: { id: string; status: string; summary: string; events: DriftEventBody[] } | null;
}

const MAM = '/v1.0/deviceAppManagement';
const CONFIGS = '/v1.0/deviceManagement/deviceConfigurations';

describe('drift through the API and the worker', () => {
  let emulator: GraphEmulator;
  let console: EmulatorClient;
  let api: TestApi;

  const drift = async (query = '') =>
    (await api.request<{ items: DriftBody[]; nextCursor: string | null }>('GET', `/v1/drift${query}`)).body;

  /** Queues a check through the API and waits for the worker to finish it; returns the latest check. */
  async function checkNow(): Promise<DriftBody> {
    const done = () => api.db.knex('job_runs').where({ job_name: 'drift-check' }).whereNot({ outcome: 'running' });
    const before = (await done()).length;
    const queued = await api.request<{ jobId: string }>('POST', '/v1/drift/check', { body: { policy: POLICY.name } });
    expect(queued.status).toBe(202);
    const deadline = Date.now() + 90_000;
    while ((await done()).length === before) {
      if (Date.now() > deadline) throw new Error('the drift check did not finish');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const [run] = await done().orderBy('id', 'desc').limit(1);
    expect(run.outcome).toBe('succeeded');
    const { items } = await drift(`?policy=${POLICY.name}`);
    expect(items).toHaveLength(1);
    return items[0]!;
  }

  async function applyPolicy(): Promise<void> {
    const plan = await api.request<{ id: string; hash: string }>('POST', `/v1/policies/${POLICY.name}/plan`);
    const applied = await api.request('POST', `/v1/policies/${POLICY.name}/apply`, {
      body: { planId: plan.body.id, hash: plan.body.hash },
    });
    expect(applied.status).toBe(200);
  }

  const objectOf = (collection: string, key: string) => {
    const record = emulator.tenant.policies
      .list(collection as 'deviceConfigurations')
      .find((o) => String(o.description).includes(`[warden:${POLICY.name}/${key}]`));
    if (!record) throw new Error(`no ${key} in the tenant`);
    return record;
  };

  /** Open device findings of a rule: MDM device id -> the policies' standing in the evidence. */
  async function deviceFindings(rule: string): Promise<Map<string, string>> {
    const rows = await api.db
      .knex('findings as f')
      .join('devices as d', 'd.id', 'f.device_id')
      .where({ 'f.rule': rule })
      .whereNull('f.resolved_at')
      .select('d.external_id', 'f.evidence');
    return new Map(
      rows.map((r: { external_id: string; evidence: { policies: Array<{ enforcement: string }> } }) => [
        r.external_id,
        r.evidence.policies.map((p) => p.enforcement).join(),
      ]),
    );
  }

  /** MDM ids of the emulator's devices on the given platforms. */
  const devicesOn = (...platforms: string[]) => {
    const ids: string[] = [];
    for (let ordinal = 0; ordinal < emulator.tenant.deviceCount; ordinal++) {
      const device = emulator.tenant.deviceAt(ordinal);
      if (platforms.includes((device.operatingSystem ?? '').toLowerCase())) ids.push(device.id);
    }
    return ids.sort();
  };
  const keys = (map: Map<string, string>) => [...map.keys()].sort();

  const driftFindings = async () =>
    (
      await api.request<{
        items: Array<{
          deviceId: string | null;
          policy: string;
          status: string;
          device: unknown;
          evidence: { events: DriftEventBody[] };
        }>;
      }>('GET', '/v1/findings?rule=policy-drift&status=all')
    ).body.items;

  beforeAll(async () => {
    emulator = await startEmulator({ devices: 10, seed: 11 });
    console = new EmulatorClient(emulator);
    api = await startTestApi({ worker: true, config: { extraCaPem: emulator.caPem } });
    await api.request('POST', '/v1/connections', { body: { name: 'contoso', ...emulatorConnection(emulator) } });
    await api.request('PUT', `/v1/policies/${POLICY.name}`, { body: { policy: POLICY, reason: 'roll out' } });
    const [connection] = (await api.request<{ items: Array<{ id: string }> }>('GET', '/v1/connections')).body.items;
    await api.request('POST', `/v1/connections/${connection!.id}/sync`);
    const synced = () => api.db.knex('sync_runs').where({ outcome: 'succeeded' }).first();
    while (!(await synced())) await new Promise((resolve) => setTimeout(resolve, 100));
  }, 60_000);
  afterAll(async () => {
    await console?.close();
    await api?.close();
    await emulator?.stop();
  });

  it('says a policy never applied to a connection is not applied, not in sync', async () => {
    const check = await checkNow();
    expect(check).toMatchObject({ status: 'not-applied', policyVersion: null, events: [], connectionName: 'contoso' });
    // Every targeted device is known not to be protected yet.
    const mobile = devicesOn('android', 'ios');
    expect(mobile.length).toBeGreaterThan(0);
    const backup = await deviceFindings('backup-not-blocked');
    expect(keys(backup)).toEqual(mobile);
    expect(new Set(backup.values())).toEqual(new Set(['not-applied']));
    expect(keys(await deviceFindings('cross-profile-contacts'))).toEqual(mobile);
  });

  it('finds an applied, untouched tenant in sync', async () => {
    await applyPolicy();
    const check = await checkNow();
    expect(check).toMatchObject({ status: 'in-sync', summary: 'in sync', policyVersion: 1, events: [] });
    expect(check.remediation).toBeNull();
    expect((await deviceFindings('backup-not-blocked')).size).toBe(0);
    expect((await deviceFindings('cross-profile-contacts')).size).toBe(0);
  });

  it('shows exactly the changes made through Graph, puts back the enforced ones and raises the rest', async () => {
    const android = objectOf('androidManagedAppProtections', 'android-app-protection');
    const iosRestrictions = objectOf('deviceConfigurations', 'ios-restrictions');
    const iosProtection = objectOf('iosManagedAppProtections', 'ios-app-protection');
    const workProfile = objectOf('deviceConfigurations', 'android-work-profile');
    const edits = [
      // An alert-mode setting and an enforce-mode setting changed in "the console".
      await console.graph('PATCH', `${MAM}/androidManagedAppProtections/${android.id}`, {
        '@odata.type': '#microsoft.graph.androidManagedAppProtection',
        contactSyncBlocked: false,
      }),
      await console.graph('PATCH', `${CONFIGS}/${iosRestrictions.id}`, {
        '@odata.type': '#microsoft.graph.iosGeneralDeviceConfiguration',
        iCloudBlockBackup: false,
      }),
      // Every assignment removed from an object that carries an enforced control.
      await console.graph('POST', `${MAM}/iosManagedAppProtections/${iosProtection.id}/assign`, { assignments: [] }),
      // An object carrying only alert-mode controls deleted.
      await console.graph('DELETE', `${CONFIGS}/${workProfile.id}`),
    ];
    expect(edits.map((e) => e.status)).toEqual([204, 204, 204, 204]);

    const check = await checkNow();
    expect(check.status).toBe('drifted');
    expect(check.summary).toBe('2 settings changed, 1 assignment removed, 1 object deleted');
    const byKey = Object.fromEntries(check.events.map((e) => [`${e.kind} ${e.key} ${e.setting ?? ''}`.trim(), e]));
    expect(Object.keys(byKey).sort()).toEqual([
      'assignment-removed ios-app-protection assignments',
      'object-deleted android-work-profile',
      'setting-changed android-app-protection contactSyncBlocked',
      'setting-changed ios-restrictions iCloudBlockBackup',
    ]);
    expect(byKey['setting-changed android-app-protection contactSyncBlocked']).toMatchObject({
      current: false,
      desired: true,
      controls: ['crossProfileContacts'],
      mode: 'alert',
      remediated: false,
    });
    expect(byKey['setting-changed ios-restrictions iCloudBlockBackup']).toMatchObject({
      current: false,
      desired: true,
      controls: ['workDataBackup'],
      mode: 'enforce',
      remediated: true,
    });
    expect(byKey['assignment-removed ios-app-protection assignments']).toMatchObject({
      current: [],
      mode: 'enforce',
      remediated: true,
    });
    expect(byKey['object-deleted android-work-profile']).toMatchObject({
      objectId: null,
      controls: ['crossProfileContacts', 'crossProfileDataSharing'],
      mode: 'alert',
      remediated: false,
    });
    expect(check.remediation).toEqual({ attempted: 2, applied: 2, error: null });

    // The enforced drift is back in the tenant, read through Graph; the alert-mode drift is left as found.
    const restrictions = await console.graph('GET', `${CONFIGS}/${iosRestrictions.id}`);
    expect(restrictions.body).toMatchObject({ iCloudBlockBackup: true });
    const assignments = await console.graph('GET', `${MAM}/iosManagedAppProtections/${iosProtection.id}/assignments`);
    expect((assignments.body as { value: unknown[] }).value).toHaveLength(1);
    const protection = await console.graph('GET', `${MAM}/androidManagedAppProtections/${android.id}`);
    expect(protection.body).toMatchObject({ contactSyncBlocked: false });

    const remediations = await api.db.knex('audit_events').where({ action: 'drift.remediate' });
    expect(remediations).toHaveLength(2);
    expect(await api.db.knex('audit_events').where({ action: 'drift.detected' })).toHaveLength(1);

    const [finding] = await driftFindings();
    expect(finding).toMatchObject({
      deviceId: null,
      device: null,
      policy: POLICY.name,
      severity: 'high',
      status: 'open',
    });
    expect(finding!.evidence.events.map((e) => e.key).sort()).toEqual([
      'android-app-protection',
      'android-work-profile',
    ]);

    // Contacts stay open to personal apps on Android (alert mode left it); backups were put back everywhere.
    const contacts = await deviceFindings('cross-profile-contacts');
    expect(keys(contacts)).toEqual(devicesOn('android'));
    expect(new Set(contacts.values())).toEqual(new Set(['drifted']));
    expect((await deviceFindings('backup-not-blocked')).size).toBe(0);

    // The next check finds only what alert mode left, and keeps the one finding open.
    const next = await checkNow();
    expect(next.summary).toBe('1 setting changed, 1 object deleted');
    expect(next.remediation).toBeNull();
    expect(await driftFindings()).toHaveLength(1);
  }, 120_000);

  it.each([
    ['throttled', { throttleRate: 1 }],
    ['transient', { serverErrorRate: 1 }],
  ])(
    'reports a tenant answering %s as unknown, keeping the last known drift and the finding',
    async (kind, faults) => {
      const latest = (await drift(`?policy=${POLICY.name}`)).items[0]!;
      const known = latest.status === 'unknown' ? latest.lastKnown! : latest;
      const findingBefore = (await driftFindings())[0];
      emulator.setFaults(faults);
      let check: DriftBody;
      try {
        check = await checkNow();
      } finally {
        emulator.setFaults({ throttleRate: 0, serverErrorRate: 0 });
      }
      expect(check).toMatchObject({
        status: 'unknown',
        summary: 'unknown: the MDM could not be read',
        events: [],
        error: { kind },
      });
      expect(check.lastKnown).toMatchObject({ id: known.id, status: 'drifted', summary: known.summary });
      expect(await driftFindings()).toEqual([findingBefore]);
      expect(keys(await deviceFindings('cross-profile-contacts'))).toEqual(devicesOn('android'));
      expect((await drift(`?status=unknown`)).items).toHaveLength(1);
      expect((await drift(`?status=in-sync`)).items).toHaveLength(0);
    },
    120_000,
  );

  it('is back in sync after the policy is applied again, resolving the finding', async () => {
    await applyPolicy();
    const check = await checkNow();
    expect(check).toMatchObject({ status: 'in-sync', events: [] });
    const [finding] = await driftFindings();
    expect(finding).toMatchObject({ status: 'resolved' });
  }, 60_000);

  it('pages the history of checks, newest first, and lets a security viewer read but not check', async () => {
    const first = await drift('?history=true&limit=2');
    expect(first.items.map((c) => c.status)).toEqual(['in-sync', 'unknown']);
    const second = await drift(`?history=true&limit=2&cursor=${first.nextCursor}`);
    expect(Number(second.items[0]!.id)).toBeLessThan(Number(first.items[1]!.id));

    const viewer = await api.tokenFor('security-viewer');
    expect((await api.request('GET', '/v1/drift', { token: viewer })).status).toBe(200);
    const refused = await api.request('POST', '/v1/drift/check', { token: viewer, body: {} });
    expect(refused.status).toBe(403);
    const unknownPolicy = await api.request<{ status: number }>('POST', '/v1/drift/check', {
      body: { policy: 'no-such-policy' },
    });
    expect(unknownPolicy.status).toBe(404);
    const badCursor = await api.request<{ field: string }>('GET', '/v1/drift?history=true&cursor=abc');
    expect(badCursor.body.field).toBe('query.cursor');
  });

  it('reports a forbidden messenger added to an exemption list through Graph beta, which it cannot put back', async () => {
    const android = objectOf('androidManagedAppProtections', 'android-app-protection');
    const ios = objectOf('iosManagedAppProtections', 'ios-app-protection');
    const pair = (name: string, value: string) => ({ '@odata.type': '#microsoft.graph.keyValuePair', name, value });
    const edits = [
      await console.graph('PATCH', `/beta/deviceAppManagement/androidManagedAppProtections/${android.id}`, {
        exemptedAppPackages: [pair('WhatsApp', 'com.whatsapp'), pair('Teams', 'com.microsoft.teams')],
      }),
      await console.graph('PATCH', `/beta/deviceAppManagement/iosManagedAppProtections/${ios.id}`, {
        exemptedAppProtocols: [pair('WhatsApp', 'whatsapp://')],
      }),
    ];
    expect(edits.map((e) => e.status)).toEqual([204, 204]);
    const check = await checkNow();
    expect(check).toMatchObject({ status: 'drifted', summary: '2 forbidden exemptions', remediation: null });
    expect(check.events).toEqual([
      expect.objectContaining({
        kind: 'exemption-added',
        key: 'android-app-protection',
        setting: 'exemptedAppPackages',
        current: ['com.whatsapp'],
        mode: 'enforce',
        remediated: false,
      }),
      expect.objectContaining({ kind: 'exemption-added', key: 'ios-app-protection', current: ['whatsapp://'] }),
    ]);
    const open = (await driftFindings()).filter((f) => f.status === 'open');
    expect(open).toHaveLength(1);

    await console.graph('PATCH', `/beta/deviceAppManagement/androidManagedAppProtections/${android.id}`, {
      exemptedAppPackages: [pair('Teams', 'com.microsoft.teams')],
    });
    await console.graph('PATCH', `/beta/deviceAppManagement/iosManagedAppProtections/${ios.id}`, {
      exemptedAppProtocols: [],
    });
    expect(await checkNow()).toMatchObject({ status: 'in-sync' });
    expect((await driftFindings()).every((f) => f.status === 'resolved')).toBe(true);
  }, 60_000);
});
