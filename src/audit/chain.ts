// The audit hash chain's rules, as pure functions: what a link covers, how its hash is computed, and how a
// sequence of stored events is checked. Each event's hash covers the previous event's hash, so changing,
// inserting or removing any event breaks every link after it.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../util/canonical-json';

export const GENESIS_HASH = '0'.repeat(64);

export type ActorType = 'token' | 'system' | 'cli';
export type AuditOutcome = 'success' | 'denied' | 'failure';

export interface Actor {
  type: ActorType;
  id: string | null;
  name: string;
  role: string | null;
}

/** What the chain covers for one event. `details` enter through their digest (see the migration). */
export interface ChainedFields {
  seq: number;
  occurredAt: Date;
  actor: Actor;
  action: string;
  outcome: AuditOutcome;
  targetType: string | null;
  targetId: string | null;
  requestId: string | null;
  detailsDigest: string;
  prevHash: string;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export function digestDetails(details: Record<string, unknown>): string {
  return sha256(canonicalJson(details));
}

export function linkHash(fields: ChainedFields): string {
  return sha256(
    canonicalJson({
      seq: fields.seq,
      occurredAt: fields.occurredAt.toISOString(),
      actor: fields.actor,
      action: fields.action,
      outcome: fields.outcome,
      targetType: fields.targetType,
      targetId: fields.targetId,
      requestId: fields.requestId,
      detailsDigest: fields.detailsDigest,
      prevHash: fields.prevHash,
    }),
  );
}

export interface StoredEvent extends ChainedFields {
  hash: string;
  details: Record<string, unknown>;
}

export type BrokenLinkReason =
  | 'hash-mismatch'
  | 'prev-hash-mismatch'
  | 'missing-event'
  | 'details-mismatch'
  | 'head-mismatch';

export interface BrokenLink {
  seq: number;
  reason: BrokenLinkReason;
  detail: string;
}

/**
 * Checks events in seq order, continuing from `previous` (the last verified link, or the genesis).
 * Returns the first broken link, or null and the new last link.
 */
export function verifyLinks(
  events: Iterable<StoredEvent>,
  previous: { seq: number; hash: string },
): { broken: BrokenLink | null; last: { seq: number; hash: string }; checked: number } {
  let last = previous;
  let checked = 0;
  for (const event of events) {
    checked++;
    if (event.seq !== last.seq + 1) {
      const broken = {
        seq: last.seq + 1,
        reason: 'missing-event' as const,
        detail: `event ${last.seq + 1} is missing; the next stored event is ${event.seq}`,
      };
      return { broken, last, checked };
    }
    if (event.prevHash !== last.hash) {
      const detail = `prev_hash does not match the hash of event ${last.seq}`;
      return { broken: { seq: event.seq, reason: 'prev-hash-mismatch', detail }, last, checked };
    }
    if (linkHash(event) !== event.hash) {
      const detail = 'the stored fields do not hash to the stored hash: the event was altered';
      return { broken: { seq: event.seq, reason: 'hash-mismatch', detail }, last, checked };
    }
    if (digestDetails(event.details) !== event.detailsDigest) {
      const detail = 'the stored details do not match their digest: the details were altered';
      return { broken: { seq: event.seq, reason: 'details-mismatch', detail }, last, checked };
    }
    last = { seq: event.seq, hash: event.hash };
  }
  return { broken: null, last, checked };
}
