// Webhook subscriptions: created by an admin (the signing secret generated, sealed at rest and shown once),
// listed, and deleted (pending deliveries to a deleted webhook are dropped). Each change is audited.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Actor } from '../audit/chain';
import { appendAudit } from '../audit/store';
import type { SecretBox } from '../connections/secret-box';
import { AppError, notFound } from '../errors';

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  createdAt: Date;
  createdBy: Actor;
}

const SEAL_CONTEXT = (id: string) => `webhook:${id}`;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** https only, except to this machine (a local relay, or a test). */
function checkUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('validation', 'body.url: is not a URL', { field: 'body.url' });
  }
  const local = url.protocol === 'http:' && LOOPBACK.has(url.hostname);
  if (url.protocol !== 'https:' && !local) {
    throw new AppError('validation', 'body.url: must be https:// (http:// only to localhost)', { field: 'body.url' });
  }
  if (url.username || url.password) {
    throw new AppError('validation', 'body.url: must not carry credentials; the signature authenticates Warden', {
      field: 'body.url',
    });
  }
  return url.toString();
}

const fromRow = (row: Record<string, unknown>): Webhook => ({
  id: row.id as string,
  url: row.url as string,
  events: row.events as string[],
  createdAt: row.created_at as Date,
  createdBy: row.created_by as Actor,
});

export async function createWebhook(
  knex: Knex,
  box: SecretBox | null,
  input: { url: string; events: string[] },
  by: { actor: Actor; requestId?: string | null },
): Promise<{ webhook: Webhook; secret: string }> {
  if (!box) throw new AppError('conflict', 'webhook secrets are sealed at rest: set WARDEN_SECRET_KEY first');
  const url = checkUrl(input.url);
  const secret = `whsec_${randomBytes(32).toString('base64url')}`;
  return knex.transaction(async (trx) => {
    const [row] = await trx('webhooks')
      .insert({
        url,
        events: [...new Set(input.events)],
        secret_sealed: 'pending',
        created_by: JSON.stringify(by.actor),
        created_at: new Date(),
      })
      .returning('*');
    await trx('webhooks')
      .where({ id: row.id })
      .update({ secret_sealed: box.seal(secret, SEAL_CONTEXT(row.id)) });
    await appendAudit(trx, {
      actor: by.actor,
      action: 'webhook.create',
      target: { type: 'webhook', id: row.id },
      requestId: by.requestId ?? null,
      details: { url, events: row.events },
    });
    return { webhook: fromRow(row), secret };
  });
}

export async function listWebhooks(knex: Knex): Promise<Webhook[]> {
  return (await knex('webhooks').whereNull('deleted_at').orderBy('created_at')).map(fromRow);
}

export async function deleteWebhook(knex: Knex, id: string, by: { actor: Actor; requestId?: string | null }) {
  await knex.transaction(async (trx) => {
    const deleted = await trx('webhooks').where({ id }).whereNull('deleted_at').update({ deleted_at: new Date() });
    if (deleted === 0) throw notFound('webhook', id);
    await trx('webhook_deliveries').where({ webhook_id: id }).whereNull('delivered_at').delete();
    await appendAudit(trx, {
      actor: by.actor,
      action: 'webhook.delete',
      target: { type: 'webhook', id },
      requestId: by.requestId ?? null,
      details: {},
    });
  });
}

/** The secret a webhook's deliveries are signed with. */
export function openSecret(box: SecretBox, row: { id: string; secret_sealed: string }): string {
  return box.open(row.secret_sealed, SEAL_CONTEXT(row.id));
}
