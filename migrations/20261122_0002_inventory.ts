// Inventory: MDM connections (credentials sealed), their sync runs, the devices each sync found, the watched
// apps on them, and each device's history of observed changes (its appearance is first_seen_at).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('connections', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('name').notNullable().unique();
    t.text('kind').notNullable();
    t.jsonb('settings').notNullable();
    t.text('credentials_sealed').notNullable();
    t.text('credential_type').notNullable();
    t.text('credential_status').notNullable().defaultTo('unverified');
    t.text('credential_error');
    t.integer('sync_interval_minutes').notNullable().defaultTo(15);
    t.boolean('enabled').notNullable().defaultTo(true);
    t.timestamp('next_sync_at', { useTz: true });
    // When the last complete sync ended: every device not gone was present during it.
    t.timestamp('last_complete_sync_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['next_sync_at']);
  });
  await knex.raw(`alter table connections add constraint connections_credential_status_check
    check (credential_status in ('unverified', 'ok', 'broken'))`);

  await knex.schema.createTable('sync_runs', (t) => {
    t.bigIncrements('id');
    t.uuid('connection_id').notNullable().references('connections.id').onDelete('cascade');
    t.text('trigger').notNullable();
    t.text('worker').notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('heartbeat_at', { useTz: true }).notNullable();
    t.timestamp('finished_at', { useTz: true });
    t.text('outcome').notNullable();
    t.jsonb('counts').notNullable().defaultTo('{}');
    t.text('error_kind');
    t.text('error');
    t.index(['connection_id', 'id']);
  });
  await knex.raw(`alter table sync_runs add constraint sync_runs_outcome_check
    check (outcome in ('running', 'succeeded', 'failed'))`);
  // At most one running sync per connection: the database refuses a second, whichever worker tries.
  await knex.raw(`create unique index sync_runs_one_running on sync_runs (connection_id) where outcome = 'running'`);

  await knex.schema.createTable('devices', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('connection_id').notNullable().references('connections.id').onDelete('cascade');
    t.text('external_id').notNullable();
    t.text('name');
    t.text('platform').notNullable();
    t.text('os_version');
    t.text('model');
    t.text('manufacturer');
    t.text('serial_number');
    t.text('ownership').notNullable();
    t.text('enrollment_mode').notNullable();
    t.boolean('supervised');
    t.boolean('encrypted');
    t.boolean('jailbroken');
    t.text('compliance').notNullable();
    t.text('management_state');
    t.text('user_external_id');
    t.text('user_principal_name');
    t.text('user_display_name');
    t.text('user_email');
    t.timestamp('enrolled_at', { useTz: true });
    t.timestamp('last_check_in_at', { useTz: true });
    // json, not jsonb: stored as received (Graph's property order) without conversion, which a sync of 100k
    // devices notices; nothing queries inside it.
    t.json('native').notNullable();
    t.timestamp('first_seen_at', { useTz: true }).notNullable();
    // Unchanged devices are not rewritten by a sync, so presence lives on the connection
    // (last_complete_sync_at); a device keeps its own last-seen time only once it is gone.
    t.timestamp('gone_at', { useTz: true });
    t.timestamp('last_seen_at', { useTz: true });
    t.unique(['connection_id', 'external_id']);
    // No single-column indexes on platform, ownership or compliance: each value keeps 10-40% of a fleet, which
    // the planner scans anyway, and every sync would pay for them on insert.
    t.index(['user_principal_name']);
  });
  // Keyset orders of GET /v1/devices; nulls sort as the lowest value.
  await knex.raw(`create index devices_by_name on devices ((coalesce(name, '')), id)`);
  await knex.raw(
    `create index devices_by_check_in on devices ((coalesce(last_check_in_at, 'epoch'::timestamptz)), id)`,
  );

  await knex.schema.createTable('device_apps', (t) => {
    t.uuid('device_id').notNullable().references('devices.id').onDelete('cascade');
    t.text('app_external_id').notNullable();
    t.text('identifier').notNullable();
    t.text('display_name');
    t.text('version');
    t.text('scope').notNullable();
    t.timestamp('first_seen_at', { useTz: true }).notNullable();
    t.timestamp('removed_at', { useTz: true });
    t.primary(['device_id', 'app_external_id']);
    t.index(['identifier']);
  });

  await knex.schema.createTable('device_changes', (t) => {
    t.bigIncrements('id');
    t.uuid('device_id').notNullable().references('devices.id').onDelete('cascade');
    t.bigInteger('sync_run_id').notNullable();
    t.timestamp('observed_at', { useTz: true }).notNullable();
    t.text('change').notNullable();
    t.jsonb('fields').notNullable().defaultTo('{}');
    t.index(['device_id', 'id']);
  });
  await knex.raw(`alter table device_changes add constraint device_changes_change_check
    check (change in ('changed', 'gone', 'returned'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('device_changes');
  await knex.schema.dropTable('device_apps');
  await knex.schema.dropTable('devices');
  await knex.schema.dropTable('sync_runs');
  await knex.schema.dropTable('connections');
}
