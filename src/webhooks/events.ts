// Webhook events: written to the delivery outbox in the caller's transaction, one row per subscribed webhook,
// so an event is reported if and only if the change it reports was committed.
import type { Knex } from 'knex';

/** Event types; a subscription names the ones it wants ("action.*" and "finding.critical" cover groups). */
export const WEBHOOK_EVENTS = [
  'action.requested',
  'action.approved',
  'action.canceled',
  'action.expired',
  'action.sent',
  'action.confirmed',
  'action.failed',
  'finding.critical',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Queues an event for every live webhook subscribed to it (by its name, or by its group with "<group>.*"). */
export async function emitEvent(
  trx: Knex | Knex.Transaction,
  event: WebhookEvent,
  data: Record<string, unknown>,
  now = new Date(),
): Promise<void> {
  const group = `${event.split('.')[0]}.*`;
  await trx.raw(
    `insert into webhook_deliveries (webhook_id, event, payload, created_at, next_attempt_at)
     select w.id, ?, ?::jsonb, ?, ? from webhooks w
     where w.deleted_at is null and (? = any(w.events) or ? = any(w.events))`,
    [event, JSON.stringify(data), now, now, event, group],
  );
}

/** The same for many events at once, in SQL: rows of (event, payload) from a query the caller writes. */
export function emitEventsSql(eventsQuery: string): string {
  return `insert into webhook_deliveries (webhook_id, event, payload, created_at, next_attempt_at)
    select w.id, e.event, e.payload, now(), now() from (${eventsQuery}) e(event, payload)
    join webhooks w on w.deleted_at is null and (e.event = any(w.events) or split_part(e.event, '.', 1) || '.*' = any(w.events))`;
}
