// Posture: the figures each evaluation materializes per connection (devices by state, open findings, alignment
// of each policy's controls), so the summary never scans the fleet per request, and one snapshot of the whole
// per day for the trend.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('posture_aggregates', (t) => {
    t.uuid('connection_id').primary().references('connections.id').onDelete('cascade');
    t.timestamp('evaluated_at', { useTz: true }).notNullable();
    t.jsonb('figures').notNullable();
  });
  await knex.schema.createTable('posture_snapshots', (t) => {
    t.date('day').primary();
    t.timestamp('taken_at', { useTz: true }).notNullable();
    t.jsonb('figures').notNullable();
  });
  // Policy-drift findings have no device; the summary counts the open ones on every refresh.
  await knex.raw(
    'create index findings_open_without_device on findings (rule) where device_id is null and resolved_at is null',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index findings_open_without_device');
  await knex.schema.dropTable('posture_snapshots');
  await knex.schema.dropTable('posture_aggregates');
}
