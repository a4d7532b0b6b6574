// Remote actions: a request (wipe, retire, lock, sync) with its reason, approvals and idempotency key, and one
// row per device carrying that device's state (requested -> scheduled -> sending -> sent -> confirmed, or failed,
// canceled, expired). The device row is the outbox: it is marked "sending" (and its attempt counted) in a
// committed transaction before the MDM is called, so a restarted worker knows to ask the MDM before any resend.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('actions', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('kind').notNullable();
    t.text('reason').notNullable();
    t.jsonb('requested_by').notNullable();
    t.timestamp('requested_at', { useTz: true }).notNullable();
    // The requester's idempotency key: the same key from the same token answers with the same request.
    t.text('idempotency_key').notNullable();
    t.text('requester_key').notNullable();
    t.text('request_hash').notNullable();
    t.jsonb('target').notNullable();
    t.boolean('break_glass').notNullable().defaultTo(false);
    t.integer('approvals_required').notNullable();
    t.jsonb('approvals').notNullable().defaultTo('[]');
    t.timestamp('approved_at', { useTz: true });
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('canceled_at', { useTz: true });
    t.jsonb('canceled_by');
    t.unique(['requester_key', 'idempotency_key']);
    t.index(['requested_at', 'id']);
  });
  await knex.raw(
    `alter table actions add constraint actions_kind_check check (kind in ('wipe', 'retire', 'lock', 'sync'))`,
  );

  await knex.schema.createTable('device_actions', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('action_id').notNullable().references('actions.id').onDelete('cascade');
    t.uuid('device_id').notNullable().references('devices.id').onDelete('cascade');
    t.uuid('connection_id').notNullable();
    t.text('external_id').notNullable();
    t.text('kind').notNullable();
    t.text('state').notNullable();
    t.timestamp('dispatch_after', { useTz: true });
    t.timestamp('lease_until', { useTz: true });
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('first_attempt_at', { useTz: true });
    t.timestamp('sent_at', { useTz: true });
    t.boolean('found_sent').notNullable().defaultTo(false);
    t.timestamp('confirmed_at', { useTz: true });
    t.timestamp('finished_at', { useTz: true });
    t.text('error');
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['action_id']);
    t.index(['state', 'dispatch_after']);
  });
  await knex.raw(`alter table device_actions add constraint device_actions_state_check
    check (state in ('requested', 'scheduled', 'sending', 'sent', 'confirmed', 'failed', 'canceled', 'expired'))`);
  // A device with an action under way refuses a second one, whoever asks.
  await knex.raw(`create unique index device_actions_one_pending on device_actions (device_id)
    where state in ('requested', 'scheduled', 'sending', 'sent')`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('device_actions');
  await knex.schema.dropTable('actions');
}
