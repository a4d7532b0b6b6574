// Planner statistics after bulk writes. PostgreSQL's autovacuum analyzes a table once about a tenth of it has
// changed, but only at its next round (a minute apart, more under load); until then the planner believes a table
// that just grew from nothing is still empty and picks plans that cost seconds (measured: the re-evaluation of
// 100,000 devices 5.4 s on stale statistics, 2.2 s on fresh ones). A job that has just grown a table by that
// much analyzes it itself, as autovacuum would have.
import type { Knex } from 'knex';

/** Share of a table's estimated rows that a bulk write must add before its statistics are refreshed. */
const GROWTH_SHARE = 0.1;
/** Fewer added rows than this never matter to a plan. */
const MIN_ROWS = 1_000;

/**
 * Analyzes the tables when `added` rows are a large share of the first one's estimated size (never analyzed: any
 * large number). Returns whether it did.
 */
export async function refreshStatisticsAfterGrowth(
  knex: Knex,
  tables: readonly string[],
  added: number,
): Promise<boolean> {
  if (added < MIN_ROWS || tables.length === 0) return false;
  const { rows } = await knex.raw<{ rows: Array<{ estimate: number }> }>(
    'select reltuples::float8 as estimate from pg_class where oid = to_regclass(?)',
    [tables[0]],
  );
  const estimate = Number(rows[0]?.estimate ?? -1);
  // reltuples is -1 (PostgreSQL 14+) or 0 for a table never analyzed.
  if (estimate > 0 && added < estimate * GROWTH_SHARE) return false;
  await knex.raw(`analyze ${tables.map((t) => knex.raw('??', [t]).toQuery()).join(', ')}`);
  return true;
}
