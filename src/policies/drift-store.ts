// Reading drift checks: by default the latest check of each policy on each connection (with, when that check
// is "unknown", the last check that could read the tenant: the last known truth); or the history of checks,
// newest first, in keyset pages.
import type { Knex } from 'knex';
import { AppError } from '../errors';
import type { DriftCheck, DriftStatus } from './drift-check';

export interface DriftFilter {
  policy?: string;
  connectionId?: string;
  status?: DriftStatus;
}

export interface DriftView extends DriftCheck {
  /** When this check is "unknown": the latest check that read the tenant, or null if none ever did. */
  lastKnown?: Pick<DriftCheck, 'id' | 'checkedAt' | 'status' | 'summary' | 'events'> | null;
}

interface CheckRow {
  id: string | number;
  policy_name: string;
  connection_id: string;
  connection_name: string;
  checked_at: Date;
  policy_version: number | null;
  status: DriftStatus;
  summary: string;
  events: DriftCheck['events'];
  error: DriftCheck['error'];
  remediation: DriftCheck['remediation'];
}

const fromRow = (row: CheckRow): DriftCheck => ({
  id: String(row.id),
  policy: row.policy_name,
  connectionId: row.connection_id,
  connectionName: row.connection_name,
  checkedAt: row.checked_at,
  policyVersion: row.policy_version,
  status: row.status,
  summary: row.summary,
  events: row.events,
  error: row.error,
  remediation: row.remediation,
});

function checks(knex: Knex, filter: { policy?: string; connectionId?: string }) {
  const query = knex('drift_checks as k')
    .join('connections as c', 'c.id', 'k.connection_id')
    .select('k.*', 'c.name as connection_name');
  if (filter.policy) query.where('k.policy_name', filter.policy);
  if (filter.connectionId) query.where('k.connection_id', filter.connectionId);
  return query;
}

/** The latest check of each policy on each connection. */
export async function latestDrift(knex: Knex, filter: DriftFilter): Promise<DriftView[]> {
  const latest = checks(knex, filter)
    .distinctOn('k.policy_name', 'k.connection_id')
    .orderBy([{ column: 'k.policy_name' }, { column: 'k.connection_id' }, { column: 'k.id', order: 'desc' }]);
  const rows: CheckRow[] = filter.status
    ? await knex.select('*').from(latest.as('latest')).where('status', filter.status)
    : await latest;
  const views: DriftView[] = rows.map(fromRow);
  const blind = views.filter((v) => v.status === 'unknown');
  if (blind.length > 0) {
    const known: CheckRow[] = await checks(knex, filter)
      .whereNot('k.status', 'unknown')
      .distinctOn('k.policy_name', 'k.connection_id')
      .orderBy([{ column: 'k.policy_name' }, { column: 'k.connection_id' }, { column: 'k.id', order: 'desc' }]);
    const byPair = new Map(known.map((row) => [`${row.policy_name} ${row.connection_id}`, fromRow(row)]));
    for (const view of blind) {
      const last = byPair.get(`${view.policy} ${view.connectionId}`);
      view.lastKnown = last
        ? { id: last.id, checkedAt: last.checkedAt, status: last.status, summary: last.summary, events: last.events }
        : null;
    }
  }
  return views.sort((a, b) => a.policy.localeCompare(b.policy) || a.connectionName.localeCompare(b.connectionName));
}

/** Every check, newest first. */
export async function driftHistory(
  knex: Knex,
  filter: DriftFilter,
  page: { limit: number; cursor?: string },
): Promise<{ checks: DriftView[]; nextCursor: string | null }> {
  const query = checks(knex, filter)
    .orderBy('k.id', 'desc')
    .limit(page.limit + 1);
  if (filter.status) query.where('k.status', filter.status);
  if (page.cursor) {
    if (!/^[1-9][0-9]{0,17}$/.test(page.cursor))
      throw new AppError('validation', 'query.cursor: is not a cursor this API returned', { field: 'query.cursor' });
    query.where('k.id', '<', page.cursor);
  }
  const rows: CheckRow[] = await query;
  const found = rows.slice(0, page.limit).map(fromRow);
  return { checks: found, nextCursor: rows.length > page.limit ? found.at(-1)!.id : null };
}
