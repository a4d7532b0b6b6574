// The directory behind each connection: who the devices' users are and whether they are still with the
// organisation (enabled, disabled, or deleted: gone from a complete listing). Findings about departed owners and
// offboarding read it.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('directory_users', (t) => {
    t.uuid('connection_id').notNullable().references('connections.id').onDelete('cascade');
    t.text('external_id').notNullable();
    t.text('principal_name');
    t.text('display_name');
    t.boolean('enabled').notNullable();
    t.timestamp('first_seen_at', { useTz: true }).notNullable();
    t.timestamp('changed_at', { useTz: true }).notNullable();
    // Set when a complete listing no longer holds the user; cleared if the user comes back (restored).
    t.timestamp('deleted_at', { useTz: true });
    t.primary(['connection_id', 'external_id']);
  });
  await knex.schema.alterTable('connections', (t) => {
    t.timestamp('last_directory_sync_at', { useTz: true });
    t.text('last_directory_sync_error');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('connections', (t) => {
    t.dropColumn('last_directory_sync_at');
    t.dropColumn('last_directory_sync_error');
  });
  await knex.schema.dropTable('directory_users');
}
