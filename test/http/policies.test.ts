// /v1/policies: versions kept with who and why, equal documents not re-versioned, If-Match guarding
// concurrent editors, validation naming the field.
import { startTestApi, type TestApi } from '../support/api';

const POLICY = {
  name: 'keep-work-chats-managed',
  targets: { connections: ['all'], platforms: ['android', 'ios'] },
  controls: {
    workProfileRequired: { mode: 'enforce' },
    blockedApps: { mode: 'enforce', apps: ['com.whatsapp', 'net.whatsapp.WhatsApp', 'com.facebook.orca'] },
    workDataBackup: { mode: 'enforce', allowed: false },
    crossProfileContacts: { mode: 'enforce', allowed: false },
    crossProfileDataSharing: { mode: 'enforce', direction: 'work-to-personal-blocked' },
    managedAppExemptions: { mode: 'alert', forbid: ['com.whatsapp'] },
    encryptionRequired: { mode: 'alert' },
    staleCheckIn: { mode: 'alert', days: 14 },
  },
  remediation: { graceHours: 24, steps: ['notify', 'resync', 'retire'] },
};
const PATH = `/v1/policies/${POLICY.name}`;

interface Saved {
  version: number;
  changed: boolean;
  hash: string;
  reason: string;
  changedBy: { name: string };
  policy: typeof POLICY;
}

describe('/v1/policies', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  const audits = (action: string) =>
    api.db.knex('audit_events').where({ action, target_id: POLICY.name }).orderBy('seq');

  it('creates version 1 with who and why, audited', async () => {
    const created = await api.request<Saved>('PUT', PATH, {
      body: { policy: POLICY, reason: 'first rollout of the messenger policy' },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.body).toMatchObject({
      version: 1,
      changed: true,
      reason: 'first rollout of the messenger policy',
      changedBy: { name: 'test-admin' },
    });
    expect(await audits('policy.create')).toEqual([
      expect.objectContaining({
        details: { version: 1, hash: created.body.hash, reason: 'first rollout of the messenger policy' },
      }),
    ]);
  });

  it('adds no version for an equal document, even reordered', async () => {
    const reordered = {
      ...POLICY,
      controls: {
        ...POLICY.controls,
        blockedApps: { mode: 'enforce', apps: [...POLICY.controls.blockedApps.apps].reverse() },
      },
    };
    const same = await api.request<Saved>('PUT', PATH, { body: { policy: reordered, reason: 'no real change' } });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ version: 1, changed: false });
    expect(await audits('policy.update')).toEqual([]);
  });

  it('keeps every version, newest first, and serves an earlier one', async () => {
    const changed = { ...POLICY, controls: { ...POLICY.controls, staleCheckIn: { mode: 'enforce', days: 7 } } };
    const saved = await api.request<Saved>('PUT', PATH, {
      body: { policy: changed, reason: 'tighten check-ins' },
      token: await api.tokenFor('automation', 'policy-pipeline'),
    });
    expect(saved.body).toMatchObject({ version: 2, changed: true, changedBy: { name: 'policy-pipeline' } });
    const history = await api.request<{ items: Saved[] }>('GET', `${PATH}/versions`, {
      token: await api.tokenFor('security-viewer'),
    });
    expect(history.body.items.map((v) => [v.version, v.reason])).toEqual([
      [2, 'tighten check-ins'],
      [1, 'first rollout of the messenger policy'],
    ]);
    const first = await api.request<Saved>('GET', `${PATH}?version=1`);
    expect(first.body.policy.controls.staleCheckIn).toEqual({ mode: 'alert', days: 14 });
    const current = await api.request<Saved>('GET', PATH);
    expect(current.body.version).toBe(2);
    expect((await api.request<{ items: Saved[] }>('GET', '/v1/policies')).body.items.map((p) => p.version)).toEqual([
      2,
    ]);
  });

  it('refuses a stale If-Match with 412 and saves nothing', async () => {
    const stale = await api.request<{ status: number; field: string }>('PUT', PATH, {
      body: { policy: { ...POLICY, description: 'edited from an old copy' }, reason: 'edit' },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.body).toMatchObject({ status: 412, field: 'header.if-match' });
    const fresh = await api.request<Saved>('PUT', PATH, {
      body: { policy: { ...POLICY, description: 'edited' }, reason: 'edit' },
      headers: { 'if-match': '"2"' },
    });
    expect(fresh.body.version).toBe(3);
    const badHeader = await api.request<{ field: string }>('PUT', PATH, {
      body: { policy: POLICY, reason: 'x y z' },
      headers: { 'if-match': 'W/"weak"' },
    });
    expect(badHeader.body.field).toBe('header.if-match');
  });

  it('names the field that is wrong', async () => {
    const badMode = await api.request<{ field: string; detail: string }>('PUT', PATH, {
      body: { policy: { ...POLICY, controls: { encryptionRequired: { mode: 'block' } } }, reason: 'oops' },
    });
    expect(badMode.body).toMatchObject({
      field: 'body.policy.controls.encryptionRequired.mode',
      detail: expect.stringMatching(/report, alert, enforce/),
    });
    const unknownControl = await api.request<{ field: string }>('PUT', PATH, {
      body: { policy: { ...POLICY, controls: { teleport: { mode: 'report' } } }, reason: 'oops' },
    });
    expect(unknownControl.body.field).toBe('body.policy.controls.teleport');
    const badApp = await api.request<{ field: string }>('PUT', PATH, {
      body: {
        policy: { ...POLICY, controls: { blockedApps: { mode: 'enforce', apps: ['WhatsApp!'] } } },
        reason: 'oops',
      },
    });
    expect(badApp.body.field).toBe('body.policy.controls.blockedApps.apps[0]');
    const noReason = await api.request<{ field: string }>('PUT', PATH, { body: { policy: POLICY } });
    expect(noReason.body.field).toBe('body.reason');
    const otherName = await api.request<{ field: string }>('PUT', '/v1/policies/another-name', {
      body: { policy: POLICY, reason: 'copy' },
    });
    expect(otherName.body.field).toBe('body.policy.name');
    expect((await api.request('GET', '/v1/policies/another-name')).status).toBe(404);
  });

  it('lets a security-viewer read but not change, recording the refusal', async () => {
    const viewer = await api.tokenFor('security-viewer', 'auditor');
    expect((await api.request('GET', PATH, { token: viewer })).status).toBe(200);
    expect((await api.request('PUT', PATH, { token: viewer, body: { policy: POLICY, reason: 'sneaky' } })).status).toBe(
      403,
    );
    expect(
      await api.db.knex('audit_events').where({ action: 'policy.update', outcome: 'denied', actor_name: 'auditor' }),
    ).toHaveLength(1);
  });
});
