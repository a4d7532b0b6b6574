// Plan and apply through the API against an emulated Intune tenant: a plan states each change, apply carries
// out exactly the plan seen (id and hash), planning again says "no changes", a console edit plans as that edit,
// and a tenant that cannot be read plans as unknown, never as "no changes".
import { emulatorConnection, type GraphEmulator, startGraphEmulator } from '../../src/sim/graph';
import { startTestApi, type TestApi } from '../support/api';

const POLICY = {
  name: 'keep-work-chats-managed',
  targets: { connections: ['contoso'], platforms: ['android', 'ios'] },
  controls: {
    blockedApps: { mode: 'enforce', apps: ['com.whatsapp', 'net.whatsapp.WhatsApp'] },
    workDataBackup: { mode: 'enforce', allowed: false },
    crossProfileContacts: { mode: 'enforce', allowed: false },
    workProfileRequired: { mode: 'enforce' },
    staleCheckIn: { mode: 'report', days: 14 },
  },
};

interface PlanBody {
  id: string;
  hash: string;
  connections: Array<{
    status: string;
    summary: string;
    steps: Array<{
      action: string;
      key: string;
      id?: string;
      changes?: Array<{ setting: string; current: unknown; desired: unknown }>;
    }>;
    unenforceable: Array<{ control: string; platform: string }>;
    reportOnly: string[];
    error?: { kind: string };
  }>;
}

describe('policy plan and apply through the API', () => {
  let emulator: GraphEmulator;
  let api: TestApi;
  const plan = async () => (await api.request<PlanBody>('POST', `/v1/policies/${POLICY.name}/plan`)).body;

  beforeAll(async () => {
    emulator = await startGraphEmulator({ pkiDir: '.warden/pki', devices: 20 });
    api = await startTestApi({ config: { extraCaPem: emulator.caPem } });
    await api.request('POST', '/v1/connections', { body: { name: 'contoso', ...emulatorConnection(emulator) } });
    await api.request('POST', '/v1/connections', { body: { name: 'not-targeted', ...emulatorConnection(emulator) } });
    await api.request('PUT', `/v1/policies/${POLICY.name}`, { body: { policy: POLICY, reason: 'roll out' } });
  });
  afterAll(async () => {
    await api?.close();
    await emulator?.stop();
  });

  it('plans each object to create for the targeted connection only, saying what Intune cannot enforce', async () => {
    const first = await plan();
    expect(first.connections).toHaveLength(1);
    const [contoso] = first.connections;
    expect(contoso!.status).toBe('planned');
    expect(contoso!.summary).toBe('4 to create');
    expect(contoso!.steps.map((s) => s.key).sort()).toEqual([
      'android-app-protection',
      'android-work-profile',
      'ios-app-protection',
      'ios-restrictions',
    ]);
    expect(contoso!.unenforceable.map((u) => u.control)).toEqual(['workProfileRequired', 'blockedApps']);
    expect(contoso!.reportOnly).toEqual(['staleCheckIn']);
  });

  it('applies exactly the plan seen, refusing another hash, then plans no changes twice', async () => {
    const seen = await plan();
    const wrong = await api.request<{ status: number; field: string }>('POST', `/v1/policies/${POLICY.name}/apply`, {
      body: { planId: seen.id, hash: '0'.repeat(64) },
    });
    expect(wrong.body).toMatchObject({ status: 409, field: 'body.hash' });
    const applied = await api.request<{ connections: Array<{ applied: number }> }>(
      'POST',
      `/v1/policies/${POLICY.name}/apply`,
      { body: { planId: seen.id, hash: seen.hash } },
    );
    expect(applied.status).toBe(200);
    expect(applied.body.connections).toEqual([expect.objectContaining({ applied: 4 })]);
    expect(await api.db.knex('audit_events').where({ action: 'policy.apply.change' })).toHaveLength(4);
    const again = await api.request('POST', `/v1/policies/${POLICY.name}/apply`, {
      body: { planId: seen.id, hash: seen.hash },
    });
    expect(again.status).toBe(409);

    const next = await plan();
    const andNext = await plan();
    expect(next.connections[0]!.summary).toBe('no changes');
    expect(andNext.connections[0]!.summary).toBe('no changes');
    expect(andNext.hash).toBe(next.hash);
  });

  it('plans a console edit as exactly that edit, and refuses a plan the tenant has moved on from', async () => {
    const stale = await plan();
    const [android] = emulator.tenant.policies.list('androidManagedAppProtections');
    emulator.tenant.policies.update('androidManagedAppProtections', android!.id as string, {
      contactSyncBlocked: false,
    });
    const refused = await api.request<{ detail: string }>('POST', `/v1/policies/${POLICY.name}/apply`, {
      body: { planId: stale.id, hash: stale.hash },
    });
    expect(refused.body.detail).toMatch(/tenant of contoso changed since the plan/);

    const drifted = await plan();
    expect(drifted.connections[0]!.steps.filter((s) => s.action === 'update')).toEqual([
      expect.objectContaining({
        key: 'android-app-protection',
        changes: [{ setting: 'contactSyncBlocked', current: false, desired: true }],
      }),
    ]);
    await api.request('POST', `/v1/policies/${POLICY.name}/apply`, {
      body: { planId: drifted.id, hash: drifted.hash },
    });
    expect((await plan()).connections[0]!.summary).toBe('no changes');
  });

  it('plans an unreadable tenant as unknown, never as no changes, and will not apply it', async () => {
    emulator.setFaults({ throttleRate: 1, throttleRetryAfter: false });
    try {
      const blind = await plan();
      expect(blind.connections[0]).toMatchObject({
        status: 'unknown',
        summary: 'unknown: the MDM could not be read',
        error: { kind: 'throttled' },
      });
      emulator.setFaults({ throttleRate: 0 });
      const refused = await api.request<{ detail: string }>('POST', `/v1/policies/${POLICY.name}/apply`, {
        body: { planId: blind.id, hash: blind.hash },
      });
      expect(refused.body.detail).toMatch(/could not be read/);
    } finally {
      emulator.setFaults({ throttleRate: 0 });
    }
  }, 120_000);

  it('assigns directory groups named in the targets, and will not guess between two groups of one name', async () => {
    const grouped = {
      ...POLICY,
      name: 'sales-phones',
      targets: { connections: ['contoso'], platforms: ['android'], groups: ['Sales'] },
      controls: { workDataBackup: { mode: 'enforce', allowed: false } },
    };
    await api.request('PUT', '/v1/policies/sales-phones', { body: { policy: grouped, reason: 'sales only' } });
    const sales = emulator.tenant.groups.byName('Sales')[0]!;
    const planned = (await api.request<PlanBody>('POST', '/v1/policies/sales-phones/plan')).body;
    expect(planned.connections[0]).toMatchObject({ status: 'planned', summary: '1 to create' });
    await api.request('POST', '/v1/policies/sales-phones/apply', { body: { planId: planned.id, hash: planned.hash } });
    const [created] = emulator.tenant.policies
      .list('androidManagedAppProtections')
      .filter((o) => String(o.description).includes('[warden:sales-phones/'));
    expect(created!.assignments.map((a) => (a.target as { groupId: string }).groupId)).toEqual([sales.id]);
    const again = (await api.request<PlanBody>('POST', '/v1/policies/sales-phones/plan')).body;
    expect(again.connections[0]!.summary).toBe('no changes');

    emulator.tenant.groups.add('Sales');
    const ambiguous = (await api.request<PlanBody>('POST', '/v1/policies/sales-phones/plan')).body;
    expect(ambiguous.connections[0]).toMatchObject({
      status: 'invalid',
      summary: 'invalid: targets.groups: several groups are named "Sales" (use the group id)',
      error: { kind: 'invalid' },
    });
    const refused = await api.request<{ status: number; detail: string }>('POST', '/v1/policies/sales-phones/apply', {
      body: { planId: ambiguous.id, hash: ambiguous.hash },
    });
    expect(refused.body).toMatchObject({ status: 409, detail: expect.stringMatching(/cannot take this policy/) });
  });
});
