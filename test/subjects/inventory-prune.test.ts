// Inventory retention on real PostgreSQL: the inventory-prune job, run by the worker, deletes exactly the
// inventory history older than WARDEN_INVENTORY_RETENTION_DAYS (rows seeded with old timestamps) and keeps
// everything else (open findings, devices not gone, devices an action names, each connection's last sync runs,
// directory users a device still names), recording its counts in job_runs and its deletions in the audit log.
import { inventoryPrune } from '../../jobs/inventory-prune';
import { verifyAuditChain } from '../../src/audit/store';
import { loadConfig } from '../../src/config';
import { upsertDevicePage } from '../../src/inventory/store';
import { createLogger } from '../../src/log';
import { pruneInventory } from '../../src/privacy/retention';
import { recentRuns } from '../../src/worker/runs';
import { type Scheduler, startWorker } from '../../src/worker/scheduler';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { aConnection, aDevice, aSyncRun } from '../support/factories';
import { until } from '../support/wait';

const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);

const WAIT_MS = 20_000;

describe('inventory-prune', () => {
  let db: TestDatabase;
  let worker: Scheduler;
  let connectionId: string;
  const ids = new Map<string, string>();
  const config = loadConfig({ WARDEN_INVENTORY_RETENTION_DAYS: '365' });

  async function seedDevice(key: string, goneDaysAgo: number | null, run: number) {
    const device = aDevice({ name: key });
    await upsertDevicePage(db.knex, connectionId, run, [device], daysAgo(1000));
    const [{ id }] = await db.knex('devices').where({ external_id: device.externalId }).select('id');
    if (goneDaysAgo !== null) {
      await db
        .knex('devices')
        .where({ id })
        .update({ gone_at: daysAgo(goneDaysAgo), last_seen_at: daysAgo(goneDaysAgo + 1) });
    }
    ids.set(key, id);
    return id as string;
  }
  const finding = (deviceId: string, rule: string, resolvedDaysAgo: number | null) => ({
    device_id: deviceId,
    connection_id: connectionId,
    rule,
    severity: 'high',
    evidence: {},
    first_seen_at: daysAgo(900),
    last_seen_at: daysAgo(resolvedDaysAgo ?? 1),
    resolved_at: resolvedDaysAgo === null ? null : daysAgo(resolvedDaysAgo),
  });
  const change = (deviceId: string, observedDaysAgo: number, run: number) => ({
    device_id: deviceId,
    sync_run_id: run,
    observed_at: daysAgo(observedDaysAgo),
    change: 'changed',
    fields: { compliance: ['compliant', 'noncompliant'] },
  });
  const run = (connection: string, outcome: string, finishedDaysAgo: number) => ({
    connection_id: connection,
    trigger: 'schedule',
    worker: 'test',
    started_at: daysAgo(finishedDaysAgo),
    heartbeat_at: daysAgo(finishedDaysAgo),
    finished_at: daysAgo(finishedDaysAgo),
    outcome,
  });
  const user = (externalId: string, deletedDaysAgo: number | null) => ({
    connection_id: connectionId,
    external_id: externalId,
    principal_name: `${externalId}@contoso.example`,
    display_name: externalId,
    enabled: deletedDaysAgo === null,
    first_seen_at: daysAgo(1000),
    changed_at: daysAgo(deletedDaysAgo ?? 10),
    deleted_at: deletedDaysAgo === null ? null : daysAgo(deletedDaysAgo),
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    connectionId = await aConnection(db.knex, 'contoso');
    const seedRun = await aSyncRun(db.knex, connectionId);
    await db
      .knex('sync_runs')
      .where({ id: seedRun })
      .update(run(connectionId, 'succeeded', 1000));

    const active = await seedDevice('active', null, seedRun);
    const oldGone = await seedDevice('old-gone', 400, seedRun);
    await seedDevice('recently-gone', 100, seedRun);
    const goneWithOpenFinding = await seedDevice('gone-open-finding', 400, seedRun);
    const goneActedOn = await seedDevice('gone-acted-on', 400, seedRun);
    // The old gone device's user, deleted long ago, goes with it; a user an active device names stays.
    await db.knex('devices').where({ id: oldGone }).update({ user_external_id: 'gone-user' });
    await db.knex('devices').where({ id: active }).update({ user_external_id: 'kept-user' });
    await db
      .knex('directory_users')
      .insert([user('gone-user', 400), user('kept-user', 400), user('recently-deleted', 30), user('enabled', null)]);

    await db
      .knex('findings')
      .insert([
        finding(active, 'old-resolved', 400),
        finding(active, 'recently-resolved', 30),
        finding(active, 'open-for-long', null),
        finding(oldGone, 'old-gone-resolved', 390),
        finding(goneWithOpenFinding, 'still-open', null),
      ]);
    await db
      .knex('device_changes')
      .insert([
        change(active, 500, seedRun),
        change(active, 366, seedRun),
        change(active, 364, seedRun),
        change(active, 1, seedRun),
      ]);

    const [action] = await db
      .knex('actions')
      .insert({
        kind: 'retire',
        reason: 'left',
        requested_by: JSON.stringify({ type: 'cli', id: null, name: 'cli', role: null }),
        requested_at: daysAgo(420),
        idempotency_key: 'k-000001',
        requester_key: 'cli',
        request_hash: 'h',
        target: JSON.stringify({ devices: [goneActedOn] }),
        approvals_required: 0,
        expires_at: daysAgo(419),
      })
      .returning('id');
    await db.knex('device_actions').insert({
      action_id: action.id,
      device_id: goneActedOn,
      connection_id: connectionId,
      external_id: 'x',
      kind: 'retire',
      state: 'confirmed',
      updated_at: daysAgo(410),
    });

    // Runs: old ones go, but each connection keeps its last run and its last complete run, however old.
    const other = await aConnection(db.knex, 'fabrikam');
    const runs = await db
      .knex('sync_runs')
      .insert([
        run(connectionId, 'succeeded', 600),
        run(connectionId, 'failed', 500),
        run(connectionId, 'succeeded', 30),
        run(other, 'succeeded', 700),
        run(other, 'succeeded', 450),
        run(other, 'failed', 400),
      ])
      .returning('id');
    ids.set('runs', JSON.stringify(runs.map((r: { id: number }) => r.id)));

    worker = await startWorker({ config, db, log: createLogger('silent'), secretBox: null }, [inventoryPrune], {
      processEvery: '1 second',
    });
  }, 60_000);
  afterAll(async () => {
    await worker?.stop();
    await db?.drop();
  });

  it('is scheduled daily', async () => {
    const [job] = await db.knex('agenda_jobs').where({ name: 'inventory-prune' });
    expect(job).toMatchObject({ type: 'single', repeat_interval: '1 day' });
  });

  it('deletes what is older than the retention, keeps the rest, and records the counts in job_runs', async () => {
    const devicesBefore = await db.knex('devices').count({ n: '*' }).first();
    await worker.runNow(inventoryPrune.name);
    const [jobRun] = await until(async () => {
      const runs = await recentRuns(db.knex, inventoryPrune.name);
      return runs.some((r) => r.outcome !== 'running') ? runs : undefined;
    }, WAIT_MS);
    expect(jobRun).toMatchObject({
      outcome: 'succeeded',
      error: null,
      counts: { devices: 1, findings: 1, deviceHistory: 2, syncRuns: 4, directoryUsers: 1, devicesKept: 2 },
    });
    expect(Number(devicesBefore!.n) - 1).toBe(Number((await db.knex('devices').count({ n: '*' }).first())!.n));

    const names = (await db.knex('devices').orderBy('name').select('name')).map((d) => d.name);
    expect(names).toEqual(['active', 'gone-acted-on', 'gone-open-finding', 'recently-gone']);
    const rules = (await db.knex('findings').orderBy('rule').select('rule')).map((f) => f.rule);
    // old-gone-resolved went with its device; old-resolved by age.
    expect(rules).toEqual(['open-for-long', 'recently-resolved', 'still-open']);
    const history = await db
      .knex('device_changes')
      .where({ device_id: ids.get('active') })
      .orderBy('observed_at');
    expect(history).toHaveLength(2);
    expect(history.every((h) => h.observed_at.getTime() > daysAgo(365).getTime())).toBe(true);
    const users = (await db.knex('directory_users').orderBy('external_id').select('external_id')).map(
      (u) => u.external_id,
    );
    expect(users).toEqual(['enabled', 'kept-user', 'recently-deleted']);
    // contoso keeps its last run (30 days) and the seed run is gone; fabrikam keeps its last (failed, 400 days)
    // and its last complete (450 days) runs.
    const [, , contosoLast, , fabrikamComplete, fabrikamLast] = JSON.parse(ids.get('runs')!) as number[];
    const left = (await db.knex('sync_runs').orderBy('id').select('id')).map((r) => r.id);
    expect(left).toEqual([contosoLast, fabrikamComplete, fabrikamLast]);
    expect(await db.knex('device_actions').count({ n: '*' }).first()).toEqual({ n: 1 });

    const [event] = await db.knex('audit_events').where({ action: 'inventory.prune' });
    expect(event).toMatchObject({ actor_type: 'system', outcome: 'success' });
    expect(event.details).toMatchObject({ retentionDays: 365, devices: 1, deviceHistory: 2, syncRuns: 4 });
    expect((await verifyAuditChain(db.knex)).intact).toBe(true);
  });

  it('deletes in batches, and a run with nothing to delete changes nothing', async () => {
    const active = ids.get('active')!;
    await db.knex('device_changes').insert(Array.from({ length: 7 }, (_, i) => change(active, 400 + i, 1)));
    let touches = 0;
    const counts = await pruneInventory(db.knex, {
      retentionDays: 365,
      batchSize: 2,
      touch: async () => {
        touches++;
      },
    });
    expect(counts).toMatchObject({ deviceHistory: 7, devices: 0, findings: 0, syncRuns: 0, directoryUsers: 0 });
    // Full batches are followed by a touch: 2 + 2 + 2 + 1.
    expect(touches).toBe(3);
    const events = await db.knex('audit_events').where({ action: 'inventory.prune' });
    expect(events).toHaveLength(2);

    const again = await pruneInventory(db.knex, { retentionDays: 365, batchSize: 2 });
    expect(again).toMatchObject({ deviceHistory: 0, devices: 0, findings: 0, syncRuns: 0, directoryUsers: 0 });
    expect(await db.knex('audit_events').where({ action: 'inventory.prune' })).toHaveLength(2);
  });

  it('refuses a retention outside 30 to 3650 days at start', () => {
    expect(() => loadConfig({ WARDEN_INVENTORY_RETENTION_DAYS: '7' })).toThrow(
      'WARDEN_INVENTORY_RETENTION_DAYS: expected an integer from 30 to 3650, got "7"',
    );
    expect(loadConfig({}).inventoryRetentionDays).toBe(400);
  });
});
