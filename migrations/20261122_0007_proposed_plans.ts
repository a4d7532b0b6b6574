// Plans of proposed documents (policy as code): a plan may carry a policy document that is not saved yet, with
// the reason to save it under; applying it saves that document as a new version. applied_version records which
// version an applied plan put in place (what drift compares the tenant with).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('policy_plans', (t) => {
    t.jsonb('proposed');
    t.text('reason');
    t.integer('applied_version');
  });
  await knex('policy_plans')
    .whereNotNull('applied_at')
    .update({ applied_version: knex.ref('policy_version') });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('policy_plans', (t) => {
    t.dropColumn('proposed');
    t.dropColumn('reason');
    t.dropColumn('applied_version');
  });
}
