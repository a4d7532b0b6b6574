// Device findings: what the rules found on a device, with evidence, opened, updated and resolved over time.
// At most one open finding per device and rule; a finding that comes back after being resolved is a new one.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('findings', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('device_id').notNullable().references('devices.id').onDelete('cascade');
    t.uuid('connection_id').notNullable();
    t.text('rule').notNullable();
    t.text('severity').notNullable();
    t.jsonb('evidence').notNullable();
    t.timestamp('first_seen_at', { useTz: true }).notNullable();
    t.timestamp('last_seen_at', { useTz: true }).notNullable();
    t.timestamp('resolved_at', { useTz: true });
    t.index(['device_id']);
    t.index(['first_seen_at', 'id']);
  });
  await knex.raw(`alter table findings add constraint findings_severity_check
    check (severity in ('low', 'medium', 'high', 'critical'))`);
  await knex.raw('create unique index findings_one_open on findings (device_id, rule) where resolved_at is null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('findings');
}
