// The audit log's storage: appending an event inside the caller's transaction (so a mutation and its event
// commit or roll back together), reading pages by keyset, and verifying the whole chain.
import type { Knex } from 'knex';
import {
  type Actor,
  type AuditOutcome,
  type BrokenLink,
  digestDetails,
  GENESIS_HASH,
  linkHash,
  type StoredEvent,
  verifyLinks,
} from './chain';

export interface AuditInput {
  actor: Actor;
  action: string;
  outcome?: AuditOutcome;
  target?: { type: string; id: string | null };
  requestId?: string | null;
  details?: Record<string, unknown>;
}

interface AuditRow {
  seq: number;
  occurred_at: Date;
  actor_type: Actor['type'];
  actor_id: string | null;
  actor_name: string;
  actor_role: string | null;
  action: string;
  outcome: AuditOutcome;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
  details_digest: string;
  prev_hash: string;
  hash: string;
}

function fromRow(row: AuditRow): StoredEvent {
  return {
    seq: row.seq,
    occurredAt: row.occurred_at,
    actor: { type: row.actor_type, id: row.actor_id, name: row.actor_name, role: row.actor_role },
    action: row.action,
    outcome: row.outcome,
    targetType: row.target_type,
    targetId: row.target_id,
    requestId: row.request_id,
    details: row.details,
    detailsDigest: row.details_digest,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * Appends one event. It must run in the transaction of the change it records: the head row's lock, held to
 * commit, is what keeps the chain linear when several transactions audit at once.
 */
export async function appendAudit(trx: Knex.Transaction, input: AuditInput): Promise<StoredEvent> {
  const head = await trx('audit_chain_head').select('seq', 'hash').forUpdate().first();
  if (!head) throw new Error('audit_chain_head is missing: the database was not migrated');
  const details = input.details ?? {};
  const fields = {
    seq: head.seq + 1,
    occurredAt: new Date(),
    actor: input.actor,
    action: input.action,
    outcome: input.outcome ?? 'success',
    targetType: input.target?.type ?? null,
    targetId: input.target?.id ?? null,
    requestId: input.requestId ?? null,
    detailsDigest: digestDetails(details),
    prevHash: head.hash,
  };
  const hash = linkHash(fields);
  await trx('audit_events').insert({
    seq: fields.seq,
    occurred_at: fields.occurredAt,
    actor_type: fields.actor.type,
    actor_id: fields.actor.id,
    actor_name: fields.actor.name,
    actor_role: fields.actor.role,
    action: fields.action,
    outcome: fields.outcome,
    target_type: fields.targetType,
    target_id: fields.targetId,
    request_id: fields.requestId,
    details,
    details_digest: fields.detailsDigest,
    prev_hash: fields.prevHash,
    hash,
  });
  await trx('audit_chain_head').update({ seq: fields.seq, hash });
  return { ...fields, details, hash };
}

export interface AuditFilter {
  action?: string;
  outcome?: AuditOutcome;
  actorId?: string;
  targetType?: string;
  targetId?: string;
  since?: Date;
  until?: Date;
  /** Only events with a seq below this one (the keyset cursor). */
  beforeSeq?: number;
}

/** Newest first. Reads one row more than asked to know whether another page exists. */
export async function listAudit(
  knex: Knex,
  filter: AuditFilter,
  limit: number,
): Promise<{ events: StoredEvent[]; more: boolean }> {
  const query = knex<AuditRow>('audit_events')
    .select('*')
    .orderBy('seq', 'desc')
    .limit(limit + 1);
  if (filter.action !== undefined) query.where('action', filter.action);
  if (filter.outcome !== undefined) query.where('outcome', filter.outcome);
  if (filter.actorId !== undefined) query.where('actor_id', filter.actorId);
  if (filter.targetType !== undefined) query.where('target_type', filter.targetType);
  if (filter.targetId !== undefined) query.where('target_id', filter.targetId);
  if (filter.since !== undefined) query.where('occurred_at', '>=', filter.since);
  if (filter.until !== undefined) query.where('occurred_at', '<', filter.until);
  if (filter.beforeSeq !== undefined) query.where('seq', '<', filter.beforeSeq);
  const rows = (await query) as AuditRow[];
  return { events: rows.slice(0, limit).map(fromRow), more: rows.length > limit };
}

export interface ChainVerification {
  intact: boolean;
  checkedEvents: number;
  head: { seq: number; hash: string };
  firstBrokenLink: BrokenLink | null;
}

const VERIFY_BATCH = 5000;

/**
 * Recomputes every link in seq order, in batches, and checks that the recorded head is the last link. The head
 * and the events are read in one read-only REPEATABLE READ snapshot (the caller's transaction, if it passes one),
 * so events appended while it runs are neither judged nor mistaken for a head that does not match, while an
 * event stored past the head in that snapshot still is.
 */
export async function verifyAuditChain(knex: Knex): Promise<ChainVerification> {
  if (!(knex as Knex.Transaction).isTransaction)
    return knex.transaction((trx) => verifyAuditChain(trx), { isolationLevel: 'repeatable read', readOnly: true });
  const head = await knex('audit_chain_head').select('seq', 'hash').first();
  if (!head) throw new Error('audit_chain_head is missing: the database was not migrated');
  let last = { seq: 0, hash: GENESIS_HASH };
  let checkedEvents = 0;
  for (;;) {
    const rows = (await knex<AuditRow>('audit_events')
      .select('*')
      .where('seq', '>', last.seq)
      .orderBy('seq', 'asc')
      .limit(VERIFY_BATCH)) as AuditRow[];
    if (rows.length === 0) break;
    const result = verifyLinks(rows.map(fromRow), last);
    checkedEvents += result.checked;
    if (result.broken) return { intact: false, checkedEvents, head, firstBrokenLink: result.broken };
    last = result.last;
  }
  if (last.seq !== head.seq || last.hash !== head.hash) {
    const missing = head.seq > last.seq;
    const firstBrokenLink: BrokenLink = missing
      ? {
          seq: last.seq + 1,
          reason: 'missing-event',
          detail: `the head records ${head.seq} events but the log ends at ${last.seq}`,
        }
      : { seq: head.seq, reason: 'head-mismatch', detail: 'the recorded chain head does not match the last event' };
    return { intact: false, checkedEvents, head, firstBrokenLink };
  }
  return { intact: true, checkedEvents, head, firstBrokenLink: null };
}
