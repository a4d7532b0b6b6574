// Migrations run up, down and up again on an empty database, and the schema they leave enforces what the code
// relies on (the audit log refuses updates and deletes).

import { MIGRATIONS } from '../../migrations';
import { openDatabase } from '../../src/db';
import { migrateToLatest, migrationStatus, rollback } from '../../src/db/migrate';
import { createEmptyDatabase, type TestDatabase } from '../support/database';

const TABLES = ['api_tokens', 'audit_events', 'audit_chain_head', 'job_runs', 'agenda_jobs'];

async function tables(db: TestDatabase): Promise<string[]> {
  const rows = await db.knex('information_schema.tables').select('table_name').where({ table_schema: 'public' });
  return rows.map((r: { table_name: string }) => r.table_name);
}

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createEmptyDatabase();
  });
  afterAll(() => db.drop());

  it('apply every migration to an empty database, roll all back, and apply again', async () => {
    expect(await migrateToLatest(db.knex)).toEqual(MIGRATIONS.map((m) => m.name));
    expect(await tables(db)).toEqual(expect.arrayContaining(TABLES));
    expect(await migrationStatus(db.knex)).toEqual({ applied: MIGRATIONS.map((m) => m.name), pending: [] });

    expect(await rollback(db.knex, true)).toEqual(MIGRATIONS.map((m) => m.name).reverse());
    const left = await tables(db);
    expect(left.filter((t) => TABLES.includes(t))).toEqual([]);
    expect((await migrationStatus(db.knex)).pending).toHaveLength(MIGRATIONS.length);

    expect(await migrateToLatest(db.knex)).toHaveLength(MIGRATIONS.length);
    expect(await migrateToLatest(db.knex)).toEqual([]);
  });

  it('leave an audit log that refuses updates, deletes and truncation', async () => {
    await db.knex('audit_events').insert({
      seq: 1,
      occurred_at: new Date(),
      actor_type: 'system',
      actor_name: 'test',
      action: 'test',
      outcome: 'success',
      details: {},
      details_digest: 'd',
      prev_hash: '0'.repeat(64),
      hash: 'h',
    });
    await expect(db.knex('audit_events').update({ action: 'forged' })).rejects.toThrow(
      /append-only \(UPDATE refused\)/,
    );
    await expect(db.knex('audit_events').delete()).rejects.toThrow(/append-only \(DELETE refused\)/);
    await expect(db.knex.raw('truncate audit_events')).rejects.toThrow(/append-only \(TRUNCATE refused\)/);
    expect(await db.knex('audit_events').count({ n: '*' }).first()).toEqual({ n: 1 });
  });

  it("serialise the migrations of processes starting together instead of failing on knex's lock", async () => {
    await rollback(db.knex, true);
    // Separate pools, as separate processes would have.
    const processes = await Promise.all(
      [1, 2, 3, 4].map(() => openDatabase({ databaseUrl: db.url, dataDir: '', databasePoolMax: 3 })),
    );
    try {
      const results = await Promise.all(processes.map((p) => migrateToLatest(p.knex)));
      expect(results.flat()).toEqual(MIGRATIONS.map((m) => m.name));
    } finally {
      await Promise.all(processes.map((p) => p.close()));
    }
  });
});
