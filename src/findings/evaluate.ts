// Evaluating the fleet: devices are read in id order, a batch at a time with their watched apps and their
// owner's standing in the directory, the rules run in memory, and each batch's findings are written in one
// statement (opened or updated) with the batch's open findings that no longer hold resolved. Findings of devices
// that are gone are resolved too. Whether the MDM holds the controls kept by settings comes from the last drift
// check that could read each tenant. The same pass tallies the posture figures (devices by state, open findings,
// alignment of each policy's controls) and stores them per connection for GET /v1/posture/summary.
import type { Knex } from 'knex';
import { refreshStatisticsAfterGrowth } from '../db/statistics';
import { OWNER_STATE_SQL } from '../directory/sync';
import type { MdmKind } from '../mdm/connector';
import { type CompiledPolicy, compileUnresolved } from '../policies/compile';
import type { DriftCheck } from '../policies/drift-check';
import type { Policy } from '../policies/model';
import { getPolicy, listPolicies } from '../policies/store';
import { PostureTally } from '../posture/aggregate';
import { canonicalJson } from '../util/canonical-json';
import { emitEventsSql } from '../webhooks/events';
import {
  controlsFor,
  type DeviceControls,
  type Enforcement,
  type EnforcementOf,
  type EvaluatedDevice,
  evaluateDevice,
  type OwnerState,
  type SettingControl,
} from './rules';

const BATCH = 5000;

export interface EvaluationCounts {
  devices: number;
  opened: number;
  /** Open findings that still hold (their evidence rewritten only when it changed: `updated`). */
  held: number;
  updated: number;
  resolved: number;
}

// An unchanged finding is not rewritten: an open finding was seen at its connection's last evaluation
// (connections.findings_evaluated_at), so only new findings, changed evidence and resolutions are written. A
// resolved finding keeps, as its last sighting, the evaluation before the one that found it gone.
const WRITE_FINDINGS = `
with incoming as (
  select * from jsonb_to_recordset(:findings::jsonb) as x(device_id uuid, connection_id uuid, rule text, severity text, evidence jsonb)
),
changed as (
  -- Unchanged findings are left out before the insert: even a no-op upsert locks (and so writes) the row.
  select i.* from incoming i
  left join findings f on f.device_id = i.device_id and f.rule = i.rule and f.resolved_at is null
  where f.id is null or (f.severity, f.evidence) is distinct from (i.severity, i.evidence)
),
written as (
  insert into findings (device_id, connection_id, rule, severity, evidence, first_seen_at, last_seen_at)
  select device_id, connection_id, rule, severity, evidence, :now, :now from changed
  on conflict (device_id, rule) where resolved_at is null do update
    set severity = excluded.severity, evidence = excluded.evidence
  where (findings.severity, findings.evidence) is distinct from (excluded.severity, excluded.evidence)
  returning id, device_id, connection_id, rule, severity, evidence, (xmax = 0) as inserted
),
-- A new critical finding is reported to the webhooks subscribed to it, in this same statement.
critical as (
  ${emitEventsSql(`select 'finding.critical', jsonb_build_object('findingId', x.id, 'deviceId', x.device_id,
      'connectionId', x.connection_id, 'rule', x.rule, 'severity', x.severity, 'evidence', x.evidence)
    from written x where x.inserted and x.severity = 'critical'`)}
  returning 1
),
resolved as (
  update findings f set resolved_at = :now, last_seen_at = greatest(f.last_seen_at, c.findings_evaluated_at)
  from connections c
  where c.id = f.connection_id and f.device_id = any(:devices::uuid[]) and f.resolved_at is null
    and not exists (select 1 from incoming i where i.device_id = f.device_id and i.rule = f.rule)
  returning 1
)
select (select count(*) from written where inserted) as opened,
       (select count(*) from written where not inserted) as updated,
       (select count(*) from resolved) as resolved`;

interface DeviceRow {
  id: string;
  connection_id: string;
  platform: EvaluatedDevice['platform'];
  ownership: EvaluatedDevice['ownership'];
  enrollment_mode: EvaluatedDevice['enrollmentMode'];
  encrypted: boolean | null;
  jailbroken: boolean | null;
  compliance: EvaluatedDevice['compliance'];
  last_check_in_at: Date | null;
  user_external_id: string | null;
  user_principal_name: string | null;
  owner_state: OwnerState;
}

/** Whether two versions of a control ask the same of the MDM (its mode aside). */
const sameAsk = (a: { mode: string } | undefined, b: { mode: string } | undefined) =>
  canonicalJson({ ...a, mode: null }) === canonicalJson({ ...b, mode: null });

const unenforceableByKind = new Map<MdmKind, WeakMap<Policy, CompiledPolicy['unenforceable']>>();

/** Whether the compiler of this MDM kind says the control cannot be enforced on the platform. */
function unenforceableIn(kind: MdmKind, policy: Policy, control: SettingControl, platform: string): boolean {
  let byPolicy = unenforceableByKind.get(kind);
  if (!byPolicy) {
    byPolicy = new WeakMap();
    unenforceableByKind.set(kind, byPolicy);
  }
  let list = byPolicy.get(policy);
  if (!list) {
    try {
      list = compileUnresolved(kind, policy).unenforceable;
    } catch {
      list = []; // a policy this MDM cannot take is refused when planned; here nothing more is concluded
    }
    byPolicy.set(policy, list);
  }
  return list.some((u) => u.control === control && (u.platform === platform || u.platform === 'all'));
}

/**
 * For one connection and platform: how each policy's settings-kept control stands in the MDM, from the latest
 * drift check that read the tenant (unknown checks keep the last known truth).
 */
async function enforcementLookup(knex: Knex): Promise<(connectionId: string, platform: string) => EnforcementOf> {
  const kinds = new Map<string, MdmKind>(
    (await knex('connections').select('id', 'kind')).map((c: { id: string; kind: MdmKind }) => [c.id, c.kind]),
  );
  const checks: Array<{
    policy_name: string;
    connection_id: string;
    status: DriftCheck['status'];
    policy_version: number | null;
    events: DriftCheck['events'];
  }> = await knex('drift_checks')
    .distinctOn('policy_name', 'connection_id')
    .select('policy_name', 'connection_id', 'status', 'policy_version', 'events')
    .whereNot('status', 'unknown')
    .orderBy([{ column: 'policy_name' }, { column: 'connection_id' }, { column: 'id', order: 'desc' }]);
  const byPair = new Map(checks.map((c) => [`${c.policy_name} ${c.connection_id}`, c]));
  const applied = new Map<string, Policy>();
  for (const check of checks) {
    const key = `${check.policy_name} ${check.policy_version}`;
    if (check.policy_version !== null && !applied.has(key))
      applied.set(key, (await getPolicy(knex, check.policy_name, check.policy_version)).policy);
  }
  return (connectionId, platform) =>
    (policy: Policy, control: SettingControl): Enforcement => {
      if (policy.controls[control]?.mode === 'report') return 'report-only';
      const kind = kinds.get(connectionId);
      if (kind && unenforceableIn(kind, policy, control, platform)) return 'not-enforceable';
      const check = byPair.get(`${policy.name} ${connectionId}`);
      if (!check) return 'unknown';
      if (check.status === 'not-applied') return 'not-applied';
      // What the tenant was checked against must ask the same of this control as the current version does.
      const was = applied.get(`${check.policy_name} ${check.policy_version}`)?.controls[control];
      if (!was || was.mode === 'report' || !sameAsk(was, policy.controls[control])) return 'not-applied';
      const broken = check.events.some(
        (e) => !e.remediated && e.controls.includes(control) && e.key.startsWith(`${platform}-`),
      );
      return broken ? 'drifted' : 'held';
    };
}

export async function evaluateFindings(
  knex: Knex,
  options: { connectionId?: string; now?: Date } = {},
): Promise<EvaluationCounts> {
  const now = options.now ?? new Date();
  const versions = await listPolicies(knex);
  const policies: Policy[] = versions.map((v) => v.policy);
  const names = new Map<string, string>(
    (await knex('connections').select('id', 'name')).map((c: { id: string; name: string }) => [c.id, c.name]),
  );
  const enforcementIn = await enforcementLookup(knex);
  const controlsCache = new Map<string, DeviceControls>();
  const controlsOf = (connectionId: string, platform: EvaluatedDevice['platform']) => {
    const key = `${connectionId} ${platform}`;
    let controls = controlsCache.get(key);
    if (!controls) {
      controls = controlsFor(policies, names.get(connectionId) ?? '', platform, enforcementIn(connectionId, platform));
      controlsCache.set(key, controls);
    }
    return controls;
  };
  const tally = new PostureTally(versions, (id) => names.get(id) ?? '', enforcementIn, now);
  if (options.connectionId) tally.include(options.connectionId);
  else for (const id of names.keys()) tally.include(id);
  const counts: EvaluationCounts = { devices: 0, opened: 0, held: 0, updated: 0, resolved: 0 };
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const query = knex('devices as d')
      .select(
        'd.id',
        'd.connection_id',
        'd.platform',
        'd.ownership',
        'd.enrollment_mode',
        'd.encrypted',
        'd.jailbroken',
        'd.compliance',
        'd.last_check_in_at',
        'd.user_external_id',
        'd.user_principal_name',
        knex.raw(`${OWNER_STATE_SQL} as owner_state`),
      )
      .join('connections as c', 'c.id', 'd.connection_id')
      .leftJoin('directory_users as u', (j) =>
        j.on('u.connection_id', 'd.connection_id').andOn('u.external_id', 'd.user_external_id'),
      )
      .whereNull('d.gone_at')
      .where('d.id', '>', after)
      .orderBy('d.id')
      .limit(BATCH);
    if (options.connectionId) query.where('d.connection_id', options.connectionId);
    const rows: DeviceRow[] = await query;
    if (rows.length === 0) break;
    // The batch's watched apps in one indexed range read (most devices hold none).
    const apps = new Map<string, EvaluatedDevice['apps']>();
    const held: Array<{ device_id: string } & EvaluatedDevice['apps'][number]> = await knex('device_apps')
      .select('device_id', 'identifier', 'scope', 'version')
      .whereBetween('device_id', [rows[0]!.id, rows.at(-1)!.id])
      .whereNull('removed_at');
    for (const { device_id, ...app } of held) {
      const list = apps.get(device_id);
      if (list) list.push(app);
      else apps.set(device_id, [app]);
    }
    const findings = rows.flatMap((row) => {
      const device: EvaluatedDevice = {
        id: row.id,
        connectionId: row.connection_id,
        platform: row.platform,
        ownership: row.ownership,
        enrollmentMode: row.enrollment_mode,
        encrypted: row.encrypted,
        jailbroken: row.jailbroken,
        compliance: row.compliance,
        lastCheckInAt: row.last_check_in_at,
        apps: apps.get(row.id) ?? [],
        owner: { state: row.owner_state, externalId: row.user_external_id, principalName: row.user_principal_name },
      };
      const found = evaluateDevice(device, controlsOf(row.connection_id, row.platform), now);
      tally.add(device, found);
      return found.map((f) => ({ device_id: row.id, connection_id: row.connection_id, ...f }));
    });
    const result = await knex.raw(WRITE_FINDINGS, {
      findings: JSON.stringify(findings),
      now,
      devices: rows.map((r) => r.id),
    });
    const written = result.rows[0];
    counts.devices += rows.length;
    counts.opened += Number(written.opened);
    counts.held += findings.length - Number(written.opened);
    counts.updated += Number(written.updated);
    counts.resolved += Number(written.resolved);
    after = rows.at(-1)!.id;
  }
  const gone = await knex.raw(
    `update findings f set resolved_at = ?, last_seen_at = greatest(f.last_seen_at, c.findings_evaluated_at)
     from devices d, connections c
     where f.device_id = d.id and c.id = f.connection_id and f.resolved_at is null and d.gone_at is not null
       ${options.connectionId ? 'and d.connection_id = ?' : ''}`,
    options.connectionId ? [now, options.connectionId] : [now],
  );
  counts.resolved += gone.rowCount ?? 0;
  const evaluated = knex('connections');
  if (options.connectionId) evaluated.where({ id: options.connectionId });
  await evaluated.update({ findings_evaluated_at: now });
  await tally.save(knex, now);
  await refreshStatisticsAfterGrowth(knex, ['findings'], counts.opened);
  return counts;
}
