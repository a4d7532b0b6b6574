// Drift: each check of a policy against one connection's tenant (in sync, drifted, unknown when the MDM could
// not be read, or not applied yet), with its events and what remediation did. Findings widen to policy-level
// ones (device_id null, policy_name set): alert-mode drift opens one per connection and policy.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('drift_checks', (t) => {
    t.bigIncrements('id').primary();
    t.text('policy_name').notNullable().references('policies.name');
    t.uuid('connection_id').notNullable().references('connections.id').onDelete('cascade');
    t.timestamp('checked_at', { useTz: true }).notNullable();
    // The applied version the tenant was compared with (null: never applied to this connection).
    t.integer('policy_version');
    t.text('status').notNullable();
    t.text('summary').notNullable();
    t.jsonb('events').notNullable().defaultTo('[]');
    t.jsonb('error');
    t.jsonb('remediation');
    t.index(['policy_name', 'connection_id', 'id']);
    t.index(['connection_id', 'id']);
  });
  await knex.raw(`alter table drift_checks add constraint drift_checks_status_check
    check (status in ('in-sync', 'drifted', 'unknown', 'not-applied'))`);

  await knex.schema.alterTable('findings', (t) => {
    t.setNullable('device_id');
    t.text('policy_name');
  });
  await knex.raw(`alter table findings add constraint findings_subject_check
    check ((device_id is null) = (policy_name is not null))`);
  await knex.raw(`create unique index findings_one_open_per_policy on findings (connection_id, policy_name, rule)
    where resolved_at is null and device_id is null`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index findings_one_open_per_policy');
  await knex.raw('alter table findings drop constraint findings_subject_check');
  await knex('findings').whereNull('device_id').delete();
  await knex.schema.alterTable('findings', (t) => {
    t.dropColumn('policy_name');
    t.dropNullable('device_id');
  });
  await knex.schema.dropTable('drift_checks');
}
