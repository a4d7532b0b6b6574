// Checking drift: for each policy and each connection it was applied to, the tenant is read once and compared
// with what the last applied version put there. A tenant that cannot be read is "unknown" (its last known truth
// stays readable beside it), never "in sync" and never drift. Enforce-mode drift is put back at once, each
// native change audited; alert-mode drift (and drift that could not be put back) keeps one finding open per
// connection and policy until a check finds it gone. Each check is kept, with its events, for GET /v1/drift.
import type { Knex } from 'knex';
import { appendAudit } from '../audit/store';
import { SYSTEM_ACTOR } from '../auth/roles';
import { listConnections } from '../connections/store';
import { notFound } from '../errors';
import type { MdmConnector } from '../mdm/connector';
import { MdmError } from '../mdm/errors';
import type { NativeState } from '../mdm/native';
import { compileFor, connectorFor, GroupResolutionError, type PlanDeps } from './apply';
import type { CompiledPolicy } from './compile';
import { type DriftEvent, describeDrift, driftOf, exemptionDrift, remediable, remediationChanges } from './drift';
import type { Policy } from './model';
import { planPolicy } from './plan';
import { getPolicy, listPolicies } from './store';

export type DriftStatus = 'in-sync' | 'drifted' | 'unknown' | 'not-applied';

export interface DriftError {
  kind: string;
  message: string;
}

export interface Remediation {
  /** Native changes attempted to put the enforce-mode drift back. */
  attempted: number;
  applied: number;
  error: DriftError | null;
}

export interface DriftCheck {
  id: string;
  policy: string;
  connectionId: string;
  connectionName: string;
  checkedAt: Date;
  policyVersion: number | null;
  status: DriftStatus;
  summary: string;
  events: Array<DriftEvent & { remediated: boolean }>;
  error: DriftError | null;
  remediation: Remediation | null;
}

export interface DriftCheckCounts {
  checked: number;
  inSync: number;
  drifted: number;
  unknown: number;
  notApplied: number;
  remediated: number;
}

export const DRIFT_RULE = 'policy-drift';

const errorOf = (error: unknown): DriftError => ({
  kind: error instanceof MdmError ? error.kind : 'internal',
  message: error instanceof Error ? error.message : String(error),
});

/** For each "policy connection" pair, the version last applied there. */
async function appliedVersions(knex: Knex, policies: readonly string[]): Promise<Map<string, number>> {
  const rows: Array<{ policy_name: string; applied_version: number; connections: Array<{ connectionId: string }> }> =
    await knex('policy_plans')
      .select('policy_name', 'applied_version', 'connections')
      .whereIn('policy_name', policies)
      .whereNotNull('applied_at')
      .orderBy('applied_at', 'desc');
  const versions = new Map<string, number>();
  for (const row of rows) {
    for (const { connectionId } of row.connections) {
      const key = `${row.policy_name} ${connectionId}`;
      if (!versions.has(key)) versions.set(key, row.applied_version);
    }
  }
  return versions;
}

interface Pair {
  policy: string;
  connection: { id: string; name: string };
  version: number | null;
}

/** Checks every policy (or one) against the connections it targets or was applied to. */
export async function checkDrift(
  deps: PlanDeps,
  options: { policy?: string; now?: () => Date } = {},
): Promise<DriftCheckCounts> {
  const now = options.now ?? (() => new Date());
  const policies = (await listPolicies(deps.knex)).filter((p) => !options.policy || p.name === options.policy);
  if (options.policy && policies.length === 0) throw notFound('policy', options.policy);
  const connections = await listConnections(deps.knex);
  const applied = await appliedVersions(
    deps.knex,
    policies.map((p) => p.name),
  );
  const pairs: Pair[] = [];
  for (const current of policies) {
    const wanted = current.policy.targets.connections;
    for (const connection of connections) {
      const version = applied.get(`${current.name} ${connection.id}`) ?? null;
      const targeted = wanted.includes('all') || wanted.includes(connection.name);
      if (version !== null || targeted) pairs.push({ policy: current.name, connection, version });
    }
  }
  const counts: DriftCheckCounts = { checked: 0, inSync: 0, drifted: 0, unknown: 0, notApplied: 0, remediated: 0 };
  // The versions applied, read once; exemption lists (Graph beta) are read only from tenants where one watches them.
  const documents = new Map<string, Policy>();
  for (const pair of pairs) {
    const key = `${pair.policy} ${pair.version}`;
    if (pair.version !== null && !documents.has(key))
      documents.set(key, (await getPolicy(deps.knex, pair.policy, pair.version)).policy);
  }
  const watchesExemptions = (connectionId: string) =>
    pairs.some((p) => {
      const control = documents.get(`${p.policy} ${p.version}`)?.controls.managedAppExemptions;
      return p.connection.id === connectionId && control !== undefined && control.mode !== 'report';
    });
  // Each tenant is read once for all the policies applied to it.
  const readings = new Map<string, Promise<{ connector: MdmConnector; states: NativeState[] } | DriftError>>();
  const read = (connectionId: string) => {
    let reading = readings.get(connectionId);
    if (!reading) {
      reading = (async () => {
        try {
          const connector = await connectorFor(deps, connectionId);
          return { connector, states: await connector.readNative({ exemptions: watchesExemptions(connectionId) }) };
        } catch (error) {
          deps.log.warn({ connectionId, kind: errorOf(error).kind }, 'could not read the tenant for a drift check');
          return errorOf(error);
        }
      })();
      readings.set(connectionId, reading);
    }
    return reading;
  };
  for (const pair of pairs) {
    const applied = documents.get(`${pair.policy} ${pair.version}`) ?? null;
    const reading = applied === null ? null : await read(pair.connection.id);
    const check = await checkPair(deps, pair, applied, reading, now);
    counts.checked++;
    if (check.status === 'in-sync') counts.inSync++;
    else if (check.status === 'drifted') counts.drifted++;
    else if (check.status === 'unknown') counts.unknown++;
    else counts.notApplied++;
    counts.remediated += check.remediation?.applied ?? 0;
  }
  return counts;
}

async function checkPair(
  deps: PlanDeps,
  pair: Pair,
  applied: Policy | null,
  reading: { connector: MdmConnector; states: NativeState[] } | DriftError | null,
  now: () => Date,
): Promise<{ status: DriftStatus; remediation: Remediation | null }> {
  const record = {
    policy_name: pair.policy,
    connection_id: pair.connection.id,
    policy_version: pair.version,
  };
  if (applied === null || reading === null) {
    await saveCheck(deps, { ...record, status: 'not-applied', summary: 'not applied to this connection yet' }, now());
    return { status: 'not-applied', remediation: null };
  }
  if (!('states' in reading)) {
    await saveCheck(
      deps,
      { ...record, status: 'unknown', summary: 'unknown: the MDM could not be read', error: reading },
      now(),
    );
    return { status: 'unknown', remediation: null };
  }
  let compiled: CompiledPolicy;
  try {
    compiled = await compileFor(applied, reading.connector);
  } catch (error) {
    // The applied version's groups cannot be found again: nothing to compare with, so nothing is concluded.
    const failure =
      error instanceof GroupResolutionError ? { kind: 'invalid', message: error.message } : errorOf(error);
    await saveCheck(
      deps,
      { ...record, status: 'unknown', summary: `unknown: ${failure.message}`, error: failure },
      now(),
    );
    return { status: 'unknown', remediation: null };
  }
  const plan = planPolicy(pair.policy, compiled.objects, reading.states);
  const found = [...driftOf(plan, applied, compiled.objects), ...exemptionDrift(applied, reading.states)];
  const events = found.map((event) => ({ ...event, remediated: false }));
  let remediation: Remediation | null = null;
  const changes = remediationChanges(plan, found);
  if (changes.length > 0) {
    remediation = { attempted: changes.length, applied: 0, error: null };
    for (const change of changes) {
      try {
        const [result] = await reading.connector.applyNative([change]);
        remediation.applied++;
        const key = change.action === 'create' ? change.desired.key : null;
        for (const event of events) {
          const same = key !== null ? event.key === key && event.objectId === null : event.objectId === result!.id;
          if (same && event.mode === 'enforce' && remediable(event)) event.remediated = true;
        }
        await deps.knex.transaction((trx) =>
          appendAudit(trx, {
            actor: SYSTEM_ACTOR,
            action: 'drift.remediate',
            target: { type: 'policy', id: pair.policy },
            details: {
              connectionId: pair.connection.id,
              version: pair.version,
              action: result!.action,
              collection: result!.collection,
              objectId: result!.id,
            },
          }),
        );
      } catch (error) {
        remediation.error = errorOf(error);
        deps.log.warn({ connectionId: pair.connection.id, kind: remediation.error.kind }, 'drift remediation failed');
        break;
      }
    }
  }
  const status: DriftStatus = events.length > 0 ? 'drifted' : 'in-sync';
  await saveCheck(
    deps,
    { ...record, status, summary: describeDrift(found), events, remediation },
    now(),
    events.filter((e) => !e.remediated),
  );
  return { status, remediation };
}

/**
 * Records a check; for a tenant that was read, opens, updates or resolves the connection's drift finding for the
 * policy (unread tenants keep theirs as it was). Drift found is audited in the same transaction.
 */
async function saveCheck(
  deps: PlanDeps,
  check: {
    policy_name: string;
    connection_id: string;
    policy_version: number | null;
    status: DriftStatus;
    summary: string;
    events?: DriftCheck['events'];
    error?: DriftError;
    remediation?: Remediation | null;
  },
  at: Date,
  outstanding?: DriftCheck['events'],
): Promise<void> {
  await deps.knex.transaction(async (trx) => {
    const [row] = await trx('drift_checks')
      .insert({
        ...check,
        checked_at: at,
        events: JSON.stringify(check.events ?? []),
        error: check.error ? JSON.stringify(check.error) : null,
        remediation: check.remediation ? JSON.stringify(check.remediation) : null,
      })
      .returning('id');
    if (outstanding) await writeDriftFinding(trx, check, outstanding, at);
    if (check.status === 'drifted') {
      await appendAudit(trx, {
        actor: SYSTEM_ACTOR,
        action: 'drift.detected',
        target: { type: 'policy', id: check.policy_name },
        details: {
          checkId: String(row.id),
          connectionId: check.connection_id,
          version: check.policy_version,
          summary: check.summary,
          remediation: check.remediation ?? null,
        },
      });
    }
  });
}

async function writeDriftFinding(
  trx: Knex.Transaction,
  check: { policy_name: string; connection_id: string; policy_version: number | null },
  outstanding: DriftCheck['events'],
  at: Date,
): Promise<void> {
  const open = trx('findings').where({
    connection_id: check.connection_id,
    policy_name: check.policy_name,
    rule: DRIFT_RULE,
  });
  if (outstanding.length === 0) {
    await open.clone().whereNull('resolved_at').update({ resolved_at: at });
    return;
  }
  const evidence = JSON.stringify({
    policy: check.policy_name,
    version: check.policy_version,
    summary: describeDrift(outstanding),
    events: outstanding,
  });
  await trx.raw(
    `insert into findings (device_id, policy_name, connection_id, rule, severity, evidence, first_seen_at, last_seen_at)
     values (null, ?, ?, ?, 'high', ?::jsonb, ?, ?)
     on conflict (connection_id, policy_name, rule) where resolved_at is null and device_id is null
     do update set evidence = excluded.evidence, last_seen_at = excluded.last_seen_at`,
    [check.policy_name, check.connection_id, DRIFT_RULE, evidence, at, at],
  );
}
