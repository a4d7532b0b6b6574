// Policy plans: what applying a policy version would change, per connection, kept so that apply carries out
// exactly the plan a caller saw (by id and hash).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('policy_plans', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('policy_name').notNullable().references('policies.name');
    t.integer('policy_version').notNullable();
    t.text('hash').notNullable();
    t.jsonb('connections').notNullable();
    t.jsonb('created_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('applied_at', { useTz: true });
    t.index(['policy_name', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('policy_plans');
}
