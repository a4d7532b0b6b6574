// /v1/audit: the audit log, read by keyset pages, and verification of its hash chain.
import type { StoredEvent } from '../../audit/chain';
import { listAudit, verifyAuditChain } from '../../audit/store';
import { AppError } from '../../errors';
import type { components } from '../api-types';
import type { RouteTable } from '../route';

export function presentAuditEvent(event: StoredEvent): components['schemas']['AuditEvent'] {
  return {
    seq: event.seq,
    occurredAt: event.occurredAt.toISOString(),
    actor: {
      type: event.actor.type,
      id: event.actor.id,
      name: event.actor.name,
      role: event.actor.role as components['schemas']['Role'] | null,
    },
    action: event.action,
    outcome: event.outcome,
    target: { type: event.targetType, id: event.targetId },
    requestId: event.requestId,
    details: event.details,
    prevHash: event.prevHash,
    hash: event.hash,
  };
}

/** A date-time the contract admits but JavaScript cannot represent (a leap second, 23:59:60) is refused here. */
function timeOf(value: string | undefined, field: string): Date | undefined {
  if (!value) return undefined;
  const at = new Date(value);
  if (Number.isNaN(at.getTime()))
    throw new AppError('validation', `${field}: is not a time Warden can compare`, { field });
  return at;
}

/** The cursor is the seq of the last event of the previous page, opaque to callers. */
const encodeCursor = (seq: number) => Buffer.from(`seq:${seq}`).toString('base64url');

function decodeCursor(cursor: string): number {
  const match = /^seq:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match)
    throw new AppError('validation', 'query.cursor: is not a cursor this API returned', { field: 'query.cursor' });
  return Number(match[1]);
}

export const auditRoutes = {
  listAuditEvents: {
    roles: ['admin', 'security-viewer'],
    async handler({ input, deps }) {
      const { limit = 100, cursor, since, until, ...filters } = input.query;
      const { events, more } = await listAudit(
        deps.db.knex,
        {
          ...filters,
          since: timeOf(since, 'query.since'),
          until: timeOf(until, 'query.until'),
          beforeSeq: cursor ? decodeCursor(cursor) : undefined,
        },
        limit,
      );
      const last = events.at(-1);
      return {
        status: 200,
        body: { items: events.map(presentAuditEvent), nextCursor: more && last ? encodeCursor(last.seq) : null },
      };
    },
  },

  verifyAuditChain: {
    roles: ['admin', 'security-viewer'],
    async handler({ deps }) {
      return { status: 200, body: await verifyAuditChain(deps.db.knex) };
    },
  },
} satisfies RouteTable;
