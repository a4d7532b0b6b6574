// Evaluating findings over the inventory: opened once, updated while they hold, resolved when they stop
// holding or the device is gone, and new again if they come back.

import { CLI_ACTOR } from '../../src/auth/roles';
import { evaluateFindings } from '../../src/findings/evaluate';
import { listFindings } from '../../src/findings/store';
import { upsertAppHits, upsertDevicePage } from '../../src/inventory/store';
import { savePolicy } from '../../src/policies/store';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { aConnection, aDevice, aSyncRun } from '../support/factories';

const T1 = new Date('2026-11-20T10:00:00Z');
const T2 = new Date('2026-11-21T10:00:00Z');
const T3 = new Date('2026-11-22T10:00:00Z');

describe('evaluateFindings', () => {
  let db: TestDatabase;
  let connectionId: string;
  const open = () => db.knex('findings').whereNull('resolved_at').orderBy(['rule', 'device_id']);

  beforeAll(async () => {
    db = await createTestDatabase();
    connectionId = await aConnection(db.knex, 'contoso');
    await savePolicy(
      db.knex,
      'messengers',
      {
        policy: {
          name: 'messengers',
          targets: { connections: ['contoso'], platforms: ['android', 'ios'] },
          controls: { blockedApps: { mode: 'enforce', apps: ['com.whatsapp'] }, encryptionRequired: { mode: 'alert' } },
        },
        reason: 'test',
      },
      { actor: CLI_ACTOR },
    );
  });
  afterAll(() => db.drop());

  it('opens findings with evidence, then updates rather than duplicates them', async () => {
    const run = await aSyncRun(db.knex, connectionId);
    const withWhatsApp = aDevice({ name: 'has-whatsapp' });
    const unencryptedPhone = aDevice({ name: 'unencrypted', encrypted: false });
    const clean = aDevice({ name: 'clean' });
    await upsertDevicePage(db.knex, connectionId, run, [withWhatsApp, unencryptedPhone, clean]);
    await upsertAppHits(db.knex, connectionId, [
      {
        identifier: 'com.whatsapp',
        appExternalId: 'wa',
        displayName: null,
        version: '2.24',
        scope: 'work-profile',
        deviceExternalId: withWhatsApp.externalId,
      },
    ]);
    // A webhook subscribed to critical findings hears of the new one, in the evaluation's own statement.
    const [hook] = await db
      .knex('webhooks')
      .insert({
        url: 'https://hooks.example/w',
        secret_sealed: 'x',
        events: ['finding.critical'],
        created_by: '{}',
        created_at: T1,
      })
      .returning('id');
    expect(await evaluateFindings(db.knex, { connectionId, now: T1 })).toEqual({
      devices: 3,
      opened: 2,
      held: 0,
      updated: 0,
      resolved: 0,
    });
    const findings = await open();
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([
      ['blocked-messenger', 'critical'],
      ['unencrypted', 'high'],
    ]);
    const deliveries = await db.knex('webhook_deliveries').where({ webhook_id: hook.id });
    expect(deliveries.map((d) => [d.event, d.payload.rule, d.payload.severity])).toEqual([
      ['finding.critical', 'blocked-messenger', 'critical'],
    ]);
    expect(findings[0].evidence).toEqual({
      apps: [{ identifier: 'com.whatsapp', scope: 'work-profile', version: '2.24' }],
      inWorkProfile: true,
      policies: ['messengers'],
    });
    expect(await evaluateFindings(db.knex, { connectionId, now: T2 })).toEqual({
      devices: 3,
      opened: 0,
      held: 2,
      updated: 0,
      resolved: 0,
    });
    // Unchanged findings are not rewritten, yet read as seen at the latest evaluation.
    expect((await open()).map((f) => f.last_seen_at)).toEqual([T1, T1]);
    const listed = await listFindings(db.knex, {}, { limit: 10 });
    expect(listed.findings.map((f) => [f.firstSeenAt, f.lastSeenAt])).toEqual([
      [T1, T2],
      [T1, T2],
    ]);
  });

  it('rewrites a finding only when its evidence changes', async () => {
    await db.knex('device_apps').update({ version: '2.25' });
    expect(await evaluateFindings(db.knex, { connectionId, now: T2 })).toMatchObject({ held: 2, updated: 1 });
    const [messenger] = await open();
    expect(messenger.evidence.apps[0].version).toBe('2.25');
  });

  it('resolves a finding that stops holding, and opens a new one if it comes back', async () => {
    const phone = await db.knex('devices').where({ name: 'unencrypted' }).first();
    await db.knex('devices').where({ id: phone.id }).update({ encrypted: true });
    expect(await evaluateFindings(db.knex, { connectionId, now: T3 })).toMatchObject({ resolved: 1 });
    // Last seen at the evaluation before the one that found it gone.
    const [fixed] = await db.knex('findings').where({ device_id: phone.id, rule: 'unencrypted' });
    expect(fixed).toMatchObject({ resolved_at: T3, last_seen_at: T2 });
    await db.knex('devices').where({ id: phone.id }).update({ encrypted: false });
    expect(await evaluateFindings(db.knex, { connectionId })).toMatchObject({ opened: 1 });
    const history = await db
      .knex('findings')
      .where({ device_id: phone.id, rule: 'unencrypted' })
      .orderBy('first_seen_at');
    expect(history.map((f) => f.resolved_at === null)).toEqual([false, true]);
  });

  it('resolves the findings of a device that is gone', async () => {
    const phone = await db.knex('devices').where({ name: 'has-whatsapp' }).first();
    await db.knex('devices').where({ id: phone.id }).update({ gone_at: new Date() });
    const counts = await evaluateFindings(db.knex, { connectionId });
    expect(counts.devices).toBe(2);
    expect(await db.knex('findings').where({ device_id: phone.id }).whereNull('resolved_at')).toEqual([]);
  });
});
