// The posture summary and trend. Device, finding and alignment figures come from the rows each evaluation
// materializes per connection (posture_aggregates), merged here; pending and recent destructive actions and each
// connection's freshness are read from their own small tables. One API process reuses a summary it made for a
// short while (and lets concurrent callers share the one being made), so load on the summary is not load on
// PostgreSQL.
import type { Knex } from 'knex';
import type { components } from '../http/api-types';
import { type PreparedJson, prepareJson } from '../http/prepared-json';
import { listPolicies } from '../policies/store';
import {
  type AlignmentTally,
  type ConnectionFigures,
  countInto,
  emptyAlignment,
  emptyStates,
  entryOf,
  type StateTally,
} from './aggregate';

type Schemas = components['schemas'];
export type PostureSummary = Schemas['PostureSummary'];
export type PostureFigures = Schemas['PostureFigures'];
export type PostureSnapshot = Schemas['PostureSnapshot'];

const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
const PENDING_STATES = ['requested', 'scheduled', 'sending', 'sent'];
const FINISHED_STATES = ['confirmed', 'failed', 'canceled', 'expired'];
const RECENT_DAYS = 7;
const LISTED_ACTIONS = 20;

const withTotal = (s: StateTally): Schemas['StateCounts'] => ({
  ...s,
  total: s.compliant + s.noncompliant + s.unknown + s.gone,
});

function addStates(into: StateTally, from: StateTally): void {
  for (const key of Object.keys(into) as Array<keyof StateTally>) into[key] += from[key] ?? 0;
}

function severityCounts(bySeverity: Record<string, number>): Schemas['SeverityCounts'] {
  const counts = { low: 0, medium: 0, high: 0, critical: 0, total: 0 };
  for (const severity of SEVERITIES) {
    counts[severity] = bySeverity[severity] ?? 0;
    counts.total += counts[severity];
  }
  return counts;
}

function alignment(t: AlignmentTally): Schemas['Alignment'] {
  const targeted = t.holds + t.fails + t.unknown + t.notEnforceable;
  return { targeted, ...t, score: targeted === 0 ? null : t.holds / targeted };
}

interface AggregateRow {
  connection_id: string;
  name: string;
  evaluated_at: Date;
  figures: ConnectionFigures;
}

/**
 * The figures of the whole fleet: every connection's materialized row merged, plus the open policy-drift findings
 * (which have no device and are raised by drift checks between evaluations). Alignment is reported for the
 * current policies only, at their current version.
 */
export async function readPostureFigures(knex: Knex): Promise<{ figures: PostureFigures; asOf: Date | null }> {
  // One query after another: the evidence export runs this inside a transaction, whose one connection must
  // not be given a second query while the first is running.
  const rows: AggregateRow[] = await knex('posture_aggregates as a')
    .join('connections as c', 'c.id', 'a.connection_id')
    .select('a.connection_id', 'c.name', 'a.evaluated_at', 'a.figures')
    .orderBy('c.name');
  const policies = await listPolicies(knex);
  const drift: Array<{ rule: string; severity: string; count: string }> = await knex('findings')
    .select('rule', 'severity')
    .count('* as count')
    .whereNull('device_id')
    .whereNull('resolved_at')
    .groupBy('rule', 'severity');
  const byState = emptyStates();
  const byPlatform: Record<string, StateTally> = {};
  const byOwnership: Record<string, StateTally> = {};
  const byConnection: PostureFigures['devices']['byConnection'] = [];
  const findings: Record<string, Record<string, number>> = {};
  const addFindings = (rule: string, severity: string, count: number) =>
    countInto(
      entryOf(findings, rule, () => ({})),
      severity,
      count,
    );
  const controls = new Map<string, { mode: string; tally: AlignmentTally }>();
  for (const row of rows) {
    const connectionStates = emptyStates();
    for (const [platform, owners] of Object.entries(row.figures.states)) {
      for (const [ownership, states] of Object.entries(owners ?? {})) {
        addStates(connectionStates, states);
        addStates(entryOf(byPlatform, platform, emptyStates), states);
        addStates(entryOf(byOwnership, ownership, emptyStates), states);
      }
    }
    addStates(byState, connectionStates);
    byConnection.push({ connectionId: row.connection_id, name: row.name, states: withTotal(connectionStates) });
    for (const [rule, bySeverity] of Object.entries(row.figures.findings))
      for (const [severity, count] of Object.entries(bySeverity)) addFindings(rule, severity, count);
    for (const [policy, { controls: byControl }] of Object.entries(row.figures.alignment)) {
      for (const [control, { mode, ...tally }] of Object.entries(byControl)) {
        const key = `${policy} ${control}`;
        const merged = controls.get(key) ?? { mode, tally: emptyAlignment() };
        for (const status of Object.keys(merged.tally) as Array<keyof AlignmentTally>)
          merged.tally[status] += tally[status];
        controls.set(key, merged);
      }
    }
  }
  for (const d of drift) addFindings(d.rule, d.severity, Number(d.count));

  const policyAlignment: Schemas['PolicyAlignment'][] = policies.map(({ name, version, policy }) => {
    const total = emptyAlignment();
    const list = Object.entries(policy.controls).map(([control, options]) => {
      // A control the last evaluation did not see (asks nothing, or added since) counts nothing yet.
      const tally = controls.get(`${name} ${control}`)?.tally ?? emptyAlignment();
      for (const status of Object.keys(total) as Array<keyof AlignmentTally>) total[status] += tally[status];
      return { control, mode: (options as { mode: Schemas['ControlMode'] }).mode, alignment: alignment(tally) };
    });
    return { policy: name, version, alignment: alignment(total), controls: list };
  });

  const byRule = Object.entries(findings)
    .map(([rule, bySeverity]) => ({ rule: rule as Schemas['FindingRule'], counts: severityCounts(bySeverity) }))
    .sort((a, b) => b.counts.total - a.counts.total || a.rule.localeCompare(b.rule));
  const allSeverities: Record<string, number> = {};
  for (const { counts } of byRule) for (const s of SEVERITIES) allSeverities[s] = (allSeverities[s] ?? 0) + counts[s];
  const mapValues = (m: Record<string, StateTally>) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, withTotal(v)]));
  const evaluated = rows.map((r) => r.evaluated_at.getTime());
  return {
    figures: {
      devices: {
        byState: withTotal(byState),
        byPlatform: mapValues(byPlatform),
        byOwnership: mapValues(byOwnership),
        byConnection,
      },
      findings: { bySeverity: severityCounts(allSeverities), byRule },
      alignment: policyAlignment,
    },
    asOf: evaluated.length > 0 ? new Date(Math.min(...evaluated)) : null,
  };
}

interface ActionRow {
  action_id: string;
  device_id: string;
  device_name: string | null;
  kind: 'wipe' | 'retire';
  state: Schemas['DeviceActionState'];
  updated_at: Date;
}

const presentAction = (r: ActionRow): Schemas['PostureAction'] => ({
  actionId: r.action_id,
  deviceId: r.device_id,
  deviceName: r.device_name,
  kind: r.kind,
  state: r.state,
  updatedAt: r.updated_at.toISOString(),
});

async function destructiveActions(knex: Knex, states: string[], since: Date | null) {
  const scope = (q: Knex.QueryBuilder) => {
    q.from('device_actions as da').whereIn('da.kind', ['wipe', 'retire']).whereIn('da.state', states);
    if (since) q.where('da.finished_at', '>=', since);
    return q;
  };
  const counts: Array<{ state: string; count: string }> = await scope(knex.queryBuilder())
    .select('da.state')
    .count('* as count')
    .groupBy('da.state');
  const latest: ActionRow[] = await scope(knex.queryBuilder())
    .join('devices as d', 'd.id', 'da.device_id')
    .select('da.action_id', 'da.device_id', 'd.name as device_name', 'da.kind', 'da.state', 'da.updated_at')
    .orderBy([{ column: 'da.updated_at', order: 'desc' }, 'da.id'])
    .limit(LISTED_ACTIONS);
  const byState = Object.fromEntries(counts.map((c) => [c.state, Number(c.count)]));
  const total = Object.values(byState).reduce((a, b) => a + b, 0);
  return { total, byState, items: latest.map(presentAction) };
}

async function freshness(knex: Knex): Promise<PostureSummary['freshness']> {
  const rows = await knex('connections as c')
    .leftJoin(
      knex('sync_runs')
        .distinctOn('connection_id')
        .select('connection_id', 'outcome', 'finished_at')
        .orderBy([{ column: 'connection_id' }, { column: 'id', order: 'desc' }])
        .as('r'),
      'r.connection_id',
      'c.id',
    )
    .select(
      'c.id',
      'c.name',
      'c.kind',
      'c.last_complete_sync_at',
      'c.findings_evaluated_at',
      'c.credential_status',
      'r.outcome',
      'r.finished_at',
    )
    .orderBy('c.name');
  return rows.map((r) => ({
    connectionId: r.id,
    name: r.name,
    kind: r.kind,
    lastCompleteSyncAt: r.last_complete_sync_at?.toISOString() ?? null,
    lastSyncOutcome: r.outcome ?? null,
    lastSyncFinishedAt: r.finished_at?.toISOString() ?? null,
    evaluatedAt: r.findings_evaluated_at?.toISOString() ?? null,
    credentialStatus: r.credential_status,
  }));
}

async function buildSummary(knex: Knex, now: Date): Promise<PostureSummary> {
  const since = new Date(now.getTime() - RECENT_DAYS * 86_400_000);
  const { figures, asOf } = await readPostureFigures(knex);
  const pending = await destructiveActions(knex, PENDING_STATES, null);
  const recent = await destructiveActions(knex, FINISHED_STATES, since);
  const connections = await freshness(knex);
  return {
    generatedAt: now.toISOString(),
    asOf: asOf?.toISOString() ?? null,
    ...figures,
    actions: {
      pending,
      recent: { total: recent.total, byOutcome: recent.byState, items: recent.items },
    },
    freshness: connections,
  };
}

/** A summary with its JSON, made once and sent as is to every caller that shares it. */
export interface SerializedSummary {
  summary: PostureSummary;
  prepared: PreparedJson;
}

/** Summaries this process made recently, per database: the one being made is shared by concurrent callers. */
const recentSummaries = new WeakMap<Knex, { madeAt: number; made: Promise<SerializedSummary> }>();

export async function readPostureSummaryJson(
  knex: Knex,
  options: { cacheMs?: number } = {},
): Promise<SerializedSummary> {
  const cacheMs = options.cacheMs ?? 0;
  const now = Date.now();
  const cached = recentSummaries.get(knex);
  if (cached && now - cached.madeAt < cacheMs) return cached.made;
  const made = buildSummary(knex, new Date(now)).then((summary) => ({ summary, prepared: prepareJson(summary) }));
  if (cacheMs > 0) {
    recentSummaries.set(knex, { madeAt: now, made });
    // A failed build is not reused: the next caller tries again.
    made.catch(() => {
      if (recentSummaries.get(knex)?.made === made) recentSummaries.delete(knex);
    });
  }
  return made;
}

export async function readPostureSummary(knex: Knex, options: { cacheMs?: number } = {}): Promise<PostureSummary> {
  return (await readPostureSummaryJson(knex, options)).summary;
}

const dayOf = (date: Date) => date.toISOString().slice(0, 10);

/** Records today's (UTC) snapshot of the figures, replacing an earlier one of the same day; prunes old days. */
export async function takePostureSnapshot(
  knex: Knex,
  options: { now?: Date; retentionDays: number },
): Promise<{ day: string; pruned: number }> {
  const now = options.now ?? new Date();
  const { figures } = await readPostureFigures(knex);
  const day = dayOf(now);
  await knex('posture_snapshots')
    .insert({ day, taken_at: now, figures: JSON.stringify(figures) })
    .onConflict('day')
    .merge();
  const oldest = dayOf(new Date(now.getTime() - options.retentionDays * 86_400_000));
  const pruned = await knex('posture_snapshots').where('day', '<', oldest).delete();
  return { day, pruned };
}

export async function readPostureTrend(
  knex: Knex,
  days: number,
  now = new Date(),
): Promise<{ from: string; to: string; items: PostureSnapshot[] }> {
  const to = dayOf(now);
  const from = dayOf(new Date(now.getTime() - (days - 1) * 86_400_000));
  const rows: Array<{ day: string; taken_at: Date; figures: PostureFigures }> = await knex('posture_snapshots')
    .select(knex.raw("to_char(day, 'YYYY-MM-DD') as day"), 'taken_at', 'figures')
    .whereBetween('day', [from, to])
    .orderBy('day');
  return {
    from,
    to,
    items: rows.map((r) => ({ day: r.day, takenAt: r.taken_at.toISOString(), ...r.figures })),
  };
}
