// Outbound webhooks: subscriptions (the signing secret sealed like MDM credentials) and a delivery outbox whose
// rows are written in the same transaction as the event they report, then sent, signed and retried by a job.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhooks', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('url').notNullable();
    t.text('secret_sealed').notNullable();
    t.specificType('events', 'text[]').notNullable();
    t.jsonb('created_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('deleted_at', { useTz: true });
  });
  await knex.schema.createTable('webhook_deliveries', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('webhook_id').notNullable().references('webhooks.id').onDelete('cascade');
    t.text('event').notNullable();
    t.jsonb('payload').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable();
    t.timestamp('delivered_at', { useTz: true });
    t.timestamp('given_up_at', { useTz: true });
    t.integer('last_status');
    t.text('last_error');
  });
  await knex.raw(`create index webhook_deliveries_due on webhook_deliveries (next_attempt_at)
    where delivered_at is null and given_up_at is null`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_deliveries');
  await knex.schema.dropTable('webhooks');
}
