// Governance policies: a row per policy naming its current version, and every version ever saved with who
// saved it and why. Versions are never changed or removed.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('policies', (t) => {
    t.text('name').primary();
    t.integer('current_version').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('policy_versions', (t) => {
    t.text('name').notNullable().references('policies.name');
    t.integer('version').notNullable();
    t.jsonb('document').notNullable();
    t.text('hash').notNullable();
    t.jsonb('changed_by').notNullable();
    t.text('reason').notNullable();
    t.timestamp('changed_at', { useTz: true }).notNullable();
    t.primary(['name', 'version']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('policy_versions');
  await knex.schema.dropTable('policies');
}
