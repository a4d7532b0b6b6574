// Planner statistics after bulk writes: a table that grew by a large share of its estimated size is analyzed at
// once (its estimate becomes real); small growth leaves it to autovacuum.
import { refreshStatisticsAfterGrowth } from '../../src/db/statistics';
import { createEmptyDatabase, type TestDatabase } from '../support/database';

describe('refreshStatisticsAfterGrowth', () => {
  let db: TestDatabase;
  const estimate = async () =>
    Number(
      (await db.knex.raw(`select reltuples::float8 as n from pg_class where oid = to_regclass('grown')`)).rows[0].n,
    );
  const grow = (from: number, count: number) =>
    db.knex.raw('insert into grown select g from generate_series(?::int, ?::int) g', [from, from + count - 1]);

  beforeAll(async () => {
    db = await createEmptyDatabase();
    // Autovacuum kept out of it, so only the function under test analyzes the table.
    await db.knex.raw('create table grown (n int) with (autovacuum_enabled = false)');
  });
  afterAll(() => db.drop());

  it('ignores growth too small to change a plan', async () => {
    await grow(1, 999);
    expect(await refreshStatisticsAfterGrowth(db.knex, ['grown'], 999)).toBe(false);
    expect(await estimate()).toBeLessThanOrEqual(0);
  });

  it('analyzes a never-analyzed table that grew, so the planner sees its real size', async () => {
    await grow(1_000, 20_000);
    expect(await refreshStatisticsAfterGrowth(db.knex, ['grown'], 20_000)).toBe(true);
    expect(await estimate()).toBe(20_999);
  });

  it('leaves growth under a tenth of the estimate to autovacuum, and analyzes beyond it', async () => {
    await grow(30_000, 1_500);
    expect(await refreshStatisticsAfterGrowth(db.knex, ['grown'], 1_500)).toBe(false);
    expect(await estimate()).toBe(20_999);
    await grow(40_000, 5_000);
    expect(await refreshStatisticsAfterGrowth(db.knex, ['grown'], 5_000)).toBe(true);
    expect(await estimate()).toBe(27_499);
  });
});
