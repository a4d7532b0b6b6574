// When each connection's devices were last evaluated. An open device finding was seen at its connection's last
// evaluation, so re-evaluating no longer rewrites every unchanged finding just to move its last-seen time.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('connections', (t) => {
    t.timestamp('findings_evaluated_at', { useTz: true });
  });
  // Open findings already carry their last sighting; the newest of them per connection is its last evaluation.
  await knex.raw(`update connections c set findings_evaluated_at = (
    select max(f.last_seen_at) from findings f where f.connection_id = c.id and f.device_id is not null)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`update findings f set last_seen_at = c.findings_evaluated_at from connections c
    where c.id = f.connection_id and f.device_id is not null and f.resolved_at is null
      and c.findings_evaluated_at > f.last_seen_at`);
  await knex.schema.alterTable('connections', (t) => {
    t.dropColumn('findings_evaluated_at');
  });
}
