// Delivering webhook events: each due delivery is POSTed as JSON, signed with HMAC-SHA256 over
// "<timestamp>.<body>" with the webhook's secret (headers X-Warden-Timestamp and X-Warden-Signature:
// "sha256=<hex>"), so a receiver can check it came from Warden and is fresh. A non-2xx answer or no answer is
// retried with exponential backoff (30 s doubling, at most 1 hour apart) and given up after 12 attempts.
import { createHmac } from 'node:crypto';
import type { Knex } from 'knex';
import type { SecretBox } from '../connections/secret-box';
import type { Logger } from '../log';
import { openSecret } from './store';

export const MAX_ATTEMPTS = 12;
const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 3_600_000;
const TIMEOUT_MS = 10_000;

/** The signature a receiver recomputes: HMAC-SHA256 of "<timestamp>.<body>" with the webhook's secret. */
export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export const retryDelayMs = (attempts: number) => Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempts - 1));

export interface DeliveryCounts {
  delivered: number;
  failed: number;
  givenUp: number;
}

export async function deliverDue(
  deps: { knex: Knex; log: Logger; secretBox: SecretBox | null },
  options: { now?: () => Date; limit?: number } = {},
): Promise<DeliveryCounts> {
  const now = options.now ?? (() => new Date());
  const counts: DeliveryCounts = { delivered: 0, failed: 0, givenUp: 0 };
  if (!deps.secretBox) return counts;
  const due = await deps
    .knex('webhook_deliveries as d')
    .join('webhooks as w', 'w.id', 'd.webhook_id')
    .whereNull('w.deleted_at')
    .whereNull('d.delivered_at')
    .whereNull('d.given_up_at')
    .where('d.next_attempt_at', '<=', now())
    .orderBy('d.id')
    .limit(options.limit ?? 200)
    .select(
      'd.id',
      'd.event',
      'd.payload',
      'd.created_at',
      'd.attempts',
      'w.id as webhook_id',
      'w.url',
      'w.secret_sealed',
    );
  for (const delivery of due) {
    const body = JSON.stringify({
      id: String(delivery.id),
      event: delivery.event,
      createdAt: delivery.created_at.toISOString(),
      data: delivery.payload,
    });
    const timestamp = String(Math.floor(now().getTime() / 1000));
    const secret = openSecret(deps.secretBox, { id: delivery.webhook_id, secret_sealed: delivery.secret_sealed });
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'warden-webhooks',
          'x-warden-event': delivery.event,
          'x-warden-delivery': String(delivery.id),
          'x-warden-timestamp': timestamp,
          'x-warden-signature': signature(secret, timestamp, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      status = response.status;
      await response.arrayBuffer().catch(() => undefined);
    } catch (cause) {
      error = cause instanceof Error ? cause.message : String(cause);
    }
    const attempts = Number(delivery.attempts) + 1;
    if (status !== null && status >= 200 && status < 300) {
      await deps
        .knex('webhook_deliveries')
        .where({ id: delivery.id })
        .update({ attempts, delivered_at: now(), last_status: status, last_error: null });
      counts.delivered++;
      continue;
    }
    const givenUp = attempts >= MAX_ATTEMPTS;
    await deps
      .knex('webhook_deliveries')
      .where({ id: delivery.id })
      .update({
        attempts,
        last_status: status,
        last_error: error ?? `answered ${status}`,
        next_attempt_at: new Date(now().getTime() + retryDelayMs(attempts)),
        given_up_at: givenUp ? now() : null,
      });
    deps.log.warn({ deliveryId: String(delivery.id), status, error, attempts, givenUp }, 'webhook delivery failed');
    if (givenUp) counts.givenUp++;
    else counts.failed++;
  }
  return counts;
}
