// Reading findings: filtered, newest first, in keyset pages, with the device they concern (none for a
// policy-level finding such as policy-drift, which names its policy instead).
import type { Knex } from 'knex';
import { AppError } from '../errors';
import type { RuleName, Severity } from './rules';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EARLIEST = Date.parse('0001-01-01T00:00:00Z');

export type FindingRuleName = RuleName | 'policy-drift';

export interface FindingView {
  id: string;
  deviceId: string | null;
  policy: string | null;
  connectionId: string;
  rule: FindingRuleName;
  severity: Severity;
  status: 'open' | 'resolved';
  evidence: Record<string, unknown>;
  firstSeenAt: Date;
  lastSeenAt: Date;
  resolvedAt: Date | null;
  device: { name: string | null; platform: string; userPrincipalName: string | null } | null;
}

export interface FindingFilter {
  status?: 'open' | 'resolved' | 'all';
  rule?: FindingRuleName;
  severity?: Severity;
  deviceId?: string;
  connectionId?: string;
}

const encode = (at: Date, id: string) => Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');

function decode(cursor: string): [Date, string] {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // A uuid and a time PostgreSQL can compare (no cursor this API made is older than year 1): anything else
    // would fail in the database rather than here.
    if (typeof at === 'string' && typeof id === 'string' && UUID.test(id) && Date.parse(at) >= EARLIEST)
      return [new Date(at), id];
  } catch {
    // fall through
  }
  throw new AppError('validation', 'query.cursor: is not a cursor this API returned', { field: 'query.cursor' });
}

export async function listFindings(
  knex: Knex,
  filter: FindingFilter,
  page: { limit: number; cursor?: string },
): Promise<{ findings: FindingView[]; nextCursor: string | null }> {
  const query = knex('findings as f')
    .leftJoin('devices as d', 'd.id', 'f.device_id')
    .join('connections as c', 'c.id', 'f.connection_id')
    .select('f.*', 'd.name as device_name', 'd.platform as device_platform', 'd.user_principal_name as device_user')
    // An open device finding was seen at its connection's last evaluation (see findings/evaluate.ts).
    .select(
      knex.raw(`case when f.device_id is not null and f.resolved_at is null
        then greatest(f.last_seen_at, c.findings_evaluated_at) else f.last_seen_at end as seen_at`),
    )
    .orderBy([
      { column: 'f.first_seen_at', order: 'desc' },
      { column: 'f.id', order: 'desc' },
    ])
    .limit(page.limit + 1);
  const status = filter.status ?? 'open';
  if (status === 'open') query.whereNull('f.resolved_at');
  if (status === 'resolved') query.whereNotNull('f.resolved_at');
  if (filter.rule) query.where('f.rule', filter.rule);
  if (filter.severity) query.where('f.severity', filter.severity);
  if (filter.deviceId) query.where('f.device_id', filter.deviceId);
  if (filter.connectionId) query.where('f.connection_id', filter.connectionId);
  if (page.cursor) {
    const [at, id] = decode(page.cursor);
    query.whereRaw('(f.first_seen_at, f.id) < (?, ?)', [at, id]);
  }
  const rows = await query;
  const findings: FindingView[] = rows.slice(0, page.limit).map((row) => ({
    id: row.id,
    deviceId: row.device_id,
    policy: row.policy_name,
    connectionId: row.connection_id,
    rule: row.rule,
    severity: row.severity,
    status: row.resolved_at ? 'resolved' : 'open',
    evidence: row.evidence,
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.seen_at,
    resolvedAt: row.resolved_at,
    device: row.device_id
      ? { name: row.device_name, platform: row.device_platform, userPrincipalName: row.device_user }
      : null,
  }));
  const last = findings.at(-1);
  return { findings, nextCursor: rows.length > page.limit && last ? encode(last.firstSeenAt, last.id) : null };
}
