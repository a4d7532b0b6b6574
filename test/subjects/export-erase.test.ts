// Data protection through the API, on real PostgreSQL: a person's export holds their data and nobody else's;
// erasure pseudonymises them in every table (searched column by column afterwards), leaves the audit chain intact
// and posture as it was, is refused while a retire of their devices is pending, and is idempotent; only admins
// may do either, and bad input is a 400 naming the field.
import type { Knex } from 'knex';
import { evaluateFindings } from '../../src/findings/evaluate';
import { upsertDevicePage } from '../../src/inventory/store';
import { startTestApi, type TestApi } from '../support/api';
import { aConnection, aDevice, aSyncRun } from '../support/factories';

const ANA = {
  upn: 'Ana.Silva@contoso.example',
  id: 'c3f1a2b4-0000-4000-8000-00000000a0a0',
  name: 'Ana Silva',
  email: 'asilva@mail.contoso.example',
};
const BOB = {
  upn: 'bob.jones@contoso.example',
  id: 'd4e2b3c5-0000-4000-8000-00000000b0b0',
  name: 'Bob Jones',
  email: 'bob.jones@contoso.example',
};
const anaUser = { externalId: ANA.id, principalName: ANA.upn, displayName: ANA.name, email: ANA.email };
const bobUser = { externalId: BOB.id, principalName: BOB.upn, displayName: BOB.name, email: BOB.email };

type Problem = { type: string; status: number; detail: string; field?: string; actions?: string[] };
interface Erasure {
  subject: string;
  alreadyErased: boolean;
  changes: Record<string, number>;
  stillInMdm: { devices: number; directoryUsers: number };
  auditSeq: number;
}
interface ExportDoc {
  kind: string;
  subject: { query: string; reference: string; principalNames: string[]; externalIds: string[] };
  directoryUsers: Array<{ externalId: string; principalName: string | null }>;
  devices: Array<{ id: string; name: string | null; user: { principalName: string | null }; history: unknown[] }>;
  formerDeviceHistory: Array<{ deviceId: string; fields: Record<string, [unknown, unknown]> }>;
  actions: Array<{ id: string }>;
  auditEvents: Array<{ seq: number; action: string; target: { type: string | null; id: string | null } }>;
}

/** Every text, json and array column of every table, cast to text, that holds `needle` (any case). */
async function columnsHolding(knex: Knex, needle: string, except: string[] = []): Promise<string[]> {
  const columns: Array<{ table_name: string; column_name: string }> = await knex('information_schema.columns')
    .join('information_schema.tables', (j) =>
      j
        .on('tables.table_name', 'columns.table_name')
        .andOn('tables.table_schema', 'columns.table_schema')
        .andOnVal('tables.table_type', 'BASE TABLE'),
    )
    .where('columns.table_schema', 'public')
    .whereIn('columns.data_type', ['text', 'character varying', 'json', 'jsonb', 'ARRAY'])
    .whereNotIn('columns.table_name', except)
    .select('columns.table_name', 'columns.column_name');
  expect(columns.length).toBeGreaterThan(40);
  const hits: string[] = [];
  for (const { table_name: table, column_name: column } of columns) {
    const { rows } = await knex.raw('select count(*)::int as n from ?? where ??::text ilike ?', [
      table,
      column,
      `%${needle}%`,
    ]);
    if (rows[0].n > 0) hits.push(`${table}.${column}`);
  }
  return hits;
}

describe('data subjects: export and erasure', () => {
  let api: TestApi;
  let knex: Knex;
  let connectionId: string;
  const devices: Record<'anaPhone' | 'anaTablet' | 'bobPixel' | 'handMeDown', string> = {
    anaPhone: '',
    anaTablet: '',
    bobPixel: '',
    handMeDown: '',
  };
  let offboardingId: string;
  let syncId: string;
  let bobLockId: string;
  const at = (user: string) => `/v1/subjects/${user}`;

  beforeAll(async () => {
    api = await startTestApi({
      config: {
        posture: { cacheMs: 0, retentionDays: 400 },
        actions: {
          cancelWindowSeconds: 120,
          destructivePerRequest: 10,
          destructivePerHour: 100,
          fleetSharePercent: 100,
          approvalHours: 24,
          leaseSeconds: 300,
        },
      },
    });
    knex = api.db.knex;
    connectionId = await aConnection(knex, 'contoso');
    await knex('webhooks').insert({
      url: 'https://hooks.example/w',
      secret_sealed: 'x',
      events: ['action.*'],
      created_by: '{}',
      created_at: new Date(),
    });
    const first = await aSyncRun(knex, connectionId);
    const anaPhone = aDevice({
      name: 'ana.silva_AndroidForWork_1/2/2026',
      user: anaUser,
      native: { userPrincipalName: ANA.upn, emailAddress: ANA.email, userDisplayName: ANA.name, phoneNumber: '+351' },
    });
    const anaTablet = aDevice({ name: "Ana's iPad", platform: 'ios', encrypted: false, user: anaUser });
    const bobPixel = aDevice({ name: "Bob's Pixel", user: bobUser });
    const handMeDown = aDevice({ name: "Ana's old Galaxy", user: anaUser });
    await upsertDevicePage(knex, connectionId, first, [anaPhone, anaTablet, bobPixel, handMeDown]);
    // The old Galaxy goes to Bob: its history records who had it before.
    const second = await aSyncRun(knex, connectionId);
    await upsertDevicePage(knex, connectionId, second, [{ ...handMeDown, name: "Bob's Galaxy", user: bobUser }]);
    const ids = await knex('devices').select('id', 'external_id');
    const idOf = (externalId: string) => ids.find((d) => d.external_id === externalId)!.id as string;
    devices.anaPhone = idOf(anaPhone.externalId);
    devices.anaTablet = idOf(anaTablet.externalId);
    devices.bobPixel = idOf(bobPixel.externalId);
    devices.handMeDown = idOf(handMeDown.externalId);
    // Ana left (disabled in the directory): her devices get an owner-departed finding naming her.
    const now = new Date();
    await knex('directory_users').insert([
      {
        connection_id: connectionId,
        external_id: ANA.id,
        principal_name: ANA.upn,
        display_name: ANA.name,
        enabled: false,
        first_seen_at: now,
        changed_at: now,
      },
      {
        connection_id: connectionId,
        external_id: BOB.id,
        principal_name: BOB.upn,
        display_name: BOB.name,
        enabled: true,
        first_seen_at: now,
        changed_at: now,
      },
    ]);
    await evaluateFindings(knex, { connectionId });
    // The tablet is then gone: its findings are resolved.
    await knex('devices').where({ id: devices.anaTablet }).update({ gone_at: new Date(), last_seen_at: new Date() });
    await evaluateFindings(knex, { connectionId });

    // A request for "every device of" Ana, by directory id, canceled; then her offboarding, awaiting approval.
    const sync = await api.request<{ id: string }>('POST', '/v1/actions', {
      body: { action: 'sync', user: ANA.id, reason: 'refresh before offboarding', idempotencyKey: 'sync-all-0001' },
    });
    expect(sync.status).toBe(201);
    syncId = sync.body.id;
    expect((await api.request('POST', `/v1/actions/${syncId}/cancel`)).status).toBe(200);
    const offboarding = await api.request<{ action: { id: string } }>('POST', '/v1/offboarding', {
      body: { user: ANA.upn, reason: 'Ana Silva leaves on Friday', idempotencyKey: 'offboard-ana-2026' },
    });
    expect(offboarding.status).toBe(201);
    offboardingId = offboarding.body.action.id;
    const lock = await api.request<{ id: string }>('POST', '/v1/actions', {
      body: {
        action: 'lock',
        devices: [devices.bobPixel],
        reason: 'Bob lost his phone',
        idempotencyKey: 'lock-bob-0001',
      },
    });
    expect(lock.status).toBe(201);
    bobLockId = lock.body.id;
  }, 60_000);
  afterAll(() => api?.close());

  describe('export', () => {
    it("holds exactly the person's data, asked by principal name (any case) or directory id", async () => {
      const answer = await api.request<ExportDoc>('GET', `${at(ANA.upn.toUpperCase())}/export`);
      expect(answer.status).toBe(200);
      expect(answer.contentType).toBe('application/json');
      expect(answer.headers.get('content-disposition')).toMatch(
        /^attachment; filename="warden-subject-erased-[0-9a-f]{20}-\d{8}T\d{6}Z\.json"$/,
      );
      expect(answer.headers.get('content-disposition')).not.toMatch(/ana/i);
      const doc = answer.body;
      expect(doc.kind).toBe('warden-subject-export');
      expect(doc.subject).toMatchObject({ principalNames: [ANA.upn], externalIds: [ANA.id] });
      expect(doc.directoryUsers.map((u) => u.externalId)).toEqual([ANA.id]);
      expect(doc.devices.map((d) => d.id).sort()).toEqual([devices.anaPhone, devices.anaTablet].sort());
      const phone = doc.devices.find((d) => d.id === devices.anaPhone) as unknown as {
        native: Record<string, unknown>;
        findings: Array<{ rule: string; status: string; evidence: Record<string, unknown> }>;
      };
      expect(phone.native).toMatchObject({ phoneNumber: '+351', emailAddress: ANA.email });
      expect(phone.findings).toEqual([
        expect.objectContaining({
          rule: 'owner-departed',
          status: 'open',
          evidence: expect.objectContaining({ user: ANA.upn }),
        }),
      ]);
      const tablet = doc.devices.find((d) => d.id === devices.anaTablet) as unknown as {
        findings: Array<{ rule: string; status: string }>;
        history: Array<{ change: string }>;
      };
      expect(tablet.findings.map((f) => [f.rule, f.status])).toEqual([['owner-departed', 'resolved']]);
      // The Galaxy was hers: the change that gave it to Bob, with Bob's values left out.
      expect(doc.formerDeviceHistory).toEqual([
        expect.objectContaining({
          deviceId: devices.handMeDown,
          fields: {
            name: ["Ana's old Galaxy", null],
            user_principal_name: [ANA.upn, null],
            user_external_id: [ANA.id, null],
          },
        }),
      ]);
      expect(doc.actions.map((a) => a.id)).toEqual([syncId, offboardingId]);
      expect(doc.auditEvents.map((e) => [e.action, e.target.id])).toEqual([
        ['action.request', syncId],
        ['action.cancel', syncId],
        ['action.request', offboardingId],
      ]);
      // Nothing of Bob: not his name, address, id, device or action.
      for (const other of [BOB.upn, BOB.id, 'bob', devices.bobPixel, bobLockId])
        expect(answer.text).not.toContain(other);

      const byId = await api.request<ExportDoc>('GET', `${at(ANA.id)}/export`);
      expect(byId.status).toBe(200);
      expect(byId.body.devices.map((d) => d.id).sort()).toEqual(doc.devices.map((d) => d.id).sort());
      expect(byId.body.actions.map((a) => a.id)).toEqual([syncId, offboardingId]);
      // The first export is now in the log, naming the person by pseudonym only.
      expect(byId.body.auditEvents.map((e) => e.action)).toEqual([
        'action.request',
        'action.cancel',
        'action.request',
        'subject.export',
      ]);
      const [exported] = await knex('audit_events').where({ action: 'subject.export' }).orderBy('seq');
      expect(exported).toMatchObject({ target_type: 'subject', target_id: doc.subject.reference, outcome: 'success' });
      const named = (event: Record<string, unknown>) =>
        JSON.stringify([event.target_id, event.actor_name, event.details]);
      expect(named(exported)).not.toMatch(new RegExp(`ana|silva|${ANA.id}`, 'i'));
    });

    it('answers 404 for someone Warden holds nothing about', async () => {
      const answer = await api.request<Problem>('GET', `${at('nobody@contoso.example')}/export`);
      expect(answer.status).toBe(404);
      expect(answer.contentType).toBe('application/problem+json');
      expect(answer.body).toMatchObject({ type: 'urn:warden:problem:not-found', field: 'path.user' });
    });
  });

  describe('who may ask, and what', () => {
    it('refuses security viewers and automation (403), and audits the refused erasure', async () => {
      for (const role of ['security-viewer', 'automation'] as const) {
        const token = await api.tokenFor(role, `${role}-subjects`);
        const exported = await api.request<Problem>('GET', `${at(ANA.upn)}/export`, { token });
        expect(exported.status).toBe(403);
        expect(exported.body.type).toBe('urn:warden:problem:forbidden');
        const erased = await api.request<Problem>('POST', `${at(ANA.upn)}/erase`, {
          token,
          body: { reason: 'ticket DPO-17' },
        });
        expect(erased.status).toBe(403);
        expect(erased.contentType).toBe('application/problem+json');
      }
      const denied = await knex('audit_events').where({ action: 'subject.erase', outcome: 'denied' });
      expect(denied).toHaveLength(2);
    });

    it('answers bad input with 400 problem+json naming the field', async () => {
      const cases: Array<[string, string, unknown, string]> = [
        ['POST', `${at(ANA.upn)}/erase`, {}, 'body.reason'],
        ['POST', `${at(ANA.upn)}/erase`, { reason: 'x' }, 'body.reason'],
        ['POST', `${at(ANA.upn)}/erase`, { reason: 'ticket 1', extra: true }, 'body.extra'],
        ['POST', `${at(ANA.upn)}/erase`, { reason: 'erase Ana Silva please' }, 'body.reason'],
        ['POST', `${at(ANA.upn)}/erase`, { reason: `for ${ANA.upn.toLowerCase()}` }, 'body.reason'],
        ['POST', `${at('%01ana')}/erase`, { reason: 'ticket 1' }, 'path.user'],
        ['GET', `${at('x'.repeat(321))}/export`, undefined, 'path.user'],
      ];
      for (const [method, path, body, field] of cases) {
        const answer = await api.request<Problem>(method, path, { body });
        expect({ path, status: answer.status, type: answer.contentType }).toEqual({
          path,
          status: 400,
          type: 'application/problem+json',
        });
        expect(answer.body.field).toBe(field);
        expect(answer.body.detail).toContain(field);
      }
    });
  });

  describe('erasure', () => {
    let before: { devices: unknown; findings: unknown; total: number };
    const posture = async () => {
      const summary = (await api.request<{ devices: unknown; findings: unknown }>('GET', '/v1/posture/summary')).body;
      const listed = await api.request<{ items: unknown[] }>('GET', '/v1/devices?includeGone=true&limit=500');
      return { devices: summary.devices, findings: summary.findings, total: listed.body.items.length };
    };

    it("is refused (409) while a retire of the person's devices is pending", async () => {
      before = await posture();
      const answer = await api.request<Problem>('POST', `${at(ANA.upn)}/erase`, { body: { reason: 'ticket DPO-17' } });
      expect(answer.status).toBe(409);
      expect(answer.body.type).toBe('urn:warden:problem:conflict');
      expect(answer.body.detail).toMatch(/retire requested/);
      expect(answer.body.actions).toEqual([offboardingId]);
      expect(await columnsHolding(knex, ANA.upn, ['audit_events'])).not.toEqual([]);
    });

    it('pseudonymises the person in every table, leaving counts, posture and the audit chain intact', async () => {
      expect((await api.request('POST', `/v1/actions/${offboardingId}/cancel`)).status).toBe(200);
      const bobBefore = await knex('devices').where({ id: devices.bobPixel }).first();
      const answer = await api.request<Erasure>('POST', `${at(ANA.upn)}/erase`, { body: { reason: 'ticket DPO-17' } });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({
        alreadyErased: false,
        // The phone is still enrolled and Ana still listed: their next syncs would bring her back.
        stillInMdm: { devices: 1, directoryUsers: 1 },
        changes: { directoryUsers: 1, devices: 2, actions: 2, webhookDeliveries: 1 },
      });
      expect(answer.body.subject).toMatch(/^erased-[0-9a-f]{20}$/);
      expect(answer.body.changes.deviceHistory).toBeGreaterThanOrEqual(1);
      expect(answer.body.changes.findings).toBeGreaterThanOrEqual(1);

      // Searched everywhere but the audit log: not her principal name, id, display name, address or user name.
      for (const needle of [ANA.upn, ANA.id, ANA.name, ANA.email, 'ana.silva', "Ana's"]) {
        expect({ needle, hits: await columnsHolding(knex, needle, ['audit_events']) }).toEqual({ needle, hits: [] });
      }
      // The audit log keeps, as the README says, what callers wrote: a refused request's path and a reason.
      const mentions = await knex('audit_events').whereRaw('details::text ilike ?', [`%${ANA.upn}%`]);
      expect(mentions.map((e) => [e.action, e.outcome])).toEqual([
        ['subject.erase', 'denied'],
        ['subject.erase', 'denied'],
      ]);
      const ours = await knex('audit_events')
        .whereIn('action', ['subject.erase', 'subject.export'])
        .where({ outcome: 'success' });
      expect(ours.length).toBe(3);
      const named = (event: Record<string, unknown>) =>
        JSON.stringify([event.target_id, event.actor_name, event.details]);
      for (const event of ours) expect(named(event)).not.toMatch(new RegExp(`ana|silva|${ANA.id}`, 'i'));
      const verify = await api.request<{ intact: boolean }>('GET', '/v1/audit/verify');
      expect(verify.body.intact).toBe(true);

      // Counts and posture as they were, and still after a re-evaluation (the same pseudonym everywhere keeps the
      // device joined to its directory user, so the owner-departed finding holds unchanged).
      expect(await posture()).toEqual(before);
      expect(await evaluateFindings(knex, { connectionId })).toMatchObject({ opened: 0, updated: 0, resolved: 0 });
      expect(await posture()).toEqual(before);
      const phone = await knex('devices').where({ id: devices.anaPhone }).first();
      expect(phone).toMatchObject({
        user_principal_name: expect.stringMatching(/^erased-/),
        user_external_id: expect.stringMatching(/^erased-/),
        user_display_name: null,
        user_email: null,
        native: {},
        name: expect.stringMatching(/^erased-[0-9a-f]{20}_AndroidForWork_1\/2\/2026$/),
      });
      expect(phone.user_principal_name).not.toBe(phone.user_external_id);
      const [directory] = await knex('directory_users').where({ external_id: phone.user_external_id });
      expect(directory).toMatchObject({
        principal_name: phone.user_principal_name,
        display_name: null,
        enabled: false,
      });
      const [finding] = await knex('findings').where({ device_id: devices.anaPhone, rule: 'owner-departed' });
      expect(finding.evidence).toEqual({
        userId: phone.user_external_id,
        user: phone.user_principal_name,
        state: 'disabled',
      });

      // Bob is untouched; the Galaxy's history names Ana's pseudonym before Bob.
      expect(await knex('devices').where({ id: devices.bobPixel }).first()).toEqual(bobBefore);
      const [handOver] = await knex('device_changes').where({ device_id: devices.handMeDown });
      expect(handOver.fields.user_principal_name).toEqual([phone.user_principal_name, BOB.upn]);
      expect(handOver.fields.name).toEqual([
        expect.stringMatching(/^erased-[0-9a-f]{20}'s old Galaxy$/),
        "Bob's Galaxy",
      ]);
      const lock = await api.request<{ reason: string }>('GET', `/v1/actions/${bobLockId}`);
      expect(lock.body.reason).toBe('Bob lost his phone');
      expect(await columnsHolding(knex, BOB.upn, ['audit_events'])).toEqual(
        expect.arrayContaining(['devices.user_principal_name', 'directory_users.principal_name']),
      );
    });

    it('is idempotent: a second erasure changes nothing and says so', async () => {
      const seqBefore = (await knex('audit_chain_head').first()).seq;
      for (const user of [ANA.upn, ANA.id]) {
        const again = await api.request<Erasure>('POST', `${at(user)}/erase`, { body: { reason: 'ticket DPO-17' } });
        expect(again.status).toBe(200);
        expect(again.body.alreadyErased).toBe(true);
        expect(Object.values(again.body.changes)).toEqual([0, 0, 0, 0, 0, 0, 0]);
      }
      expect(Number((await knex('audit_chain_head').first()).seq)).toBe(Number(seqBefore) + 2);
      expect((await api.request<{ intact: boolean }>('GET', '/v1/audit/verify')).body.intact).toBe(true);
    });

    it('exports what remains of an erased person, by the identifier or the pseudonym', async () => {
      const answer = await api.request<ExportDoc>('GET', `${at(ANA.upn)}/export`);
      expect(answer.status).toBe(200);
      // The inventory part is pseudonymous; the audit events are the log's, as they were written.
      const inventory = JSON.stringify({ ...answer.body, auditEvents: [], subject: null });
      for (const needle of [ANA.upn, ANA.id, ANA.name, ANA.email, 'ana.silva', "Ana's"]) {
        expect(inventory.toLowerCase()).not.toContain(needle.toLowerCase());
      }
      expect(answer.body.subject.principalNames).toEqual([]);
      expect(answer.body.devices.map((d) => d.id).sort()).toEqual([devices.anaPhone, devices.anaTablet].sort());
      expect(answer.body.auditEvents.map((e) => e.action)).toEqual(
        expect.arrayContaining(['action.request', 'action.cancel', 'subject.export', 'subject.erase']),
      );
      // Asked by the identifier itself: the refused requests that named it are about the person too.
      expect(answer.body.auditEvents.filter((e) => e.action === 'subject.erase').length).toBeGreaterThanOrEqual(5);
      const byPseudonym = await api.request<ExportDoc>('GET', `${at(answer.body.subject.reference)}/export`);
      expect(byPseudonym.body.devices.map((d) => d.id).sort()).toEqual([devices.anaPhone, devices.anaTablet].sort());
    });
  });
});
