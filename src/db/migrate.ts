// Runs the schema migrations listed in migrations/index.ts (an explicit, ordered list: no folder scanning, so
// the same list runs from TypeScript in tests and from compiled JavaScript in production).
import type { Knex } from 'knex';
import { MIGRATIONS, type NamedMigration } from '../../migrations';

const migrationSource: Knex.MigrationSource<NamedMigration> = {
  getMigrations: async () => MIGRATIONS,
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration,
};

const config: Knex.MigratorConfig = { migrationSource, tableName: 'knex_migrations' };

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

export async function migrationStatus(knex: Knex): Promise<MigrationStatus> {
  const [applied, pending] = (await knex.migrate.list(config)) as [Array<{ name: string }>, NamedMigration[]];
  return { applied: applied.map((m) => m.name), pending: pending.map((m) => m.name) };
}

/**
 * Brings the schema to the latest version. Processes starting together are safe: knex takes its lock row
 * inside the transaction that wraps all pending migrations, so the others wait on that row and then find
 * nothing left to do. (A migration that opts out of transactions would lose this; the tests would say so.)
 */
export async function migrateToLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest(config)) as [number, string[]];
  return applied;
}

/** Undoes migrations: the last batch, or all of them. */
export async function rollback(knex: Knex, all = false): Promise<string[]> {
  const [, undone] = (await knex.migrate.rollback(config, all)) as [number, string[]];
  return undone;
}
