// The posture figures an evaluation materializes: while the evaluator walks a connection's devices, a tally
// counts each device's state, its open findings and how every targeting policy's controls stand on it; at the
// end the tally is written as one row per connection (posture_aggregates), with the devices that are gone
// counted in SQL. The summary then merges a handful of rows instead of scanning the fleet per request.
import type { Knex } from 'knex';
import type { Enforcement, EvaluatedDevice, Finding, SettingControl } from '../findings/rules';
import type { Ownership, Platform } from '../mdm/connector';
import type { Policy } from '../policies/model';
import { asksSomething, type ControlName, type ControlStatus, controlStatus, targets } from './alignment';

export type DeviceState = 'compliant' | 'noncompliant' | 'unknown' | 'gone';
export type StateTally = Record<DeviceState, number>;
export type AlignmentTally = Record<ControlStatus, number>;

/** One connection's figures as of its last evaluation (the JSON of posture_aggregates.figures). */
export interface ConnectionFigures {
  /** Devices by platform, then ownership, then state. */
  states: Partial<Record<Platform, Partial<Record<Ownership, StateTally>>>>;
  /** Open device findings by rule, then severity. */
  findings: Record<string, Record<string, number>>;
  /** Per policy (at the version evaluated), per control that asks something: how it stands on targeted devices. */
  alignment: Record<string, { version: number; controls: Record<string, { mode: string } & AlignmentTally> }>;
}

/**
 * Warden's state of a device that is not gone: noncompliant with an open finding or when the MDM says so (or
 * gives it grace); unknown when the MDM does not know; compliant otherwise.
 */
export function deviceState(device: Pick<EvaluatedDevice, 'compliance'>, openFindings: number): DeviceState {
  if (openFindings > 0 || device.compliance === 'noncompliant' || device.compliance === 'in-grace-period')
    return 'noncompliant';
  return device.compliance === 'unknown' ? 'unknown' : 'compliant';
}

export const emptyStates = (): StateTally => ({ compliant: 0, noncompliant: 0, unknown: 0, gone: 0 });
export const emptyAlignment = (): AlignmentTally => ({ holds: 0, fails: 0, unknown: 0, notEnforceable: 0 });

/** A record's entry, made on first use. */
export function entryOf<T>(record: Record<string, T>, key: string, make: () => T): T {
  let value = record[key];
  if (value === undefined) {
    value = make();
    record[key] = value;
  }
  return value;
}

export function countInto(counts: Record<string, number>, key: string, n: number): void {
  counts[key] = (counts[key] ?? 0) + n;
}

function statesOf(figures: ConnectionFigures, platform: Platform, ownership: Ownership): StateTally {
  const byOwnership = entryOf(
    figures.states as Record<string, Partial<Record<Ownership, StateTally>>>,
    platform,
    () => ({}),
  );
  return entryOf(byOwnership as Record<string, StateTally>, ownership, emptyStates);
}

interface Applicable {
  policy: Policy;
  control: ControlName;
  tally: AlignmentTally;
}

type EnforcementIn = (
  connectionId: string,
  platform: Platform,
) => (policy: Policy, control: SettingControl) => Enforcement;

export class PostureTally {
  private readonly figures = new Map<string, ConnectionFigures>();
  private readonly applicable = new Map<string, Applicable[]>();

  constructor(
    private readonly policies: ReadonlyArray<{ version: number; policy: Policy }>,
    private readonly connectionName: (connectionId: string) => string,
    private readonly enforcementIn: EnforcementIn,
    private readonly now: Date,
  ) {}

  private figuresOf(connectionId: string): ConnectionFigures {
    let figures = this.figures.get(connectionId);
    if (!figures) {
      figures = { states: {}, findings: {}, alignment: {} };
      for (const { policy, version } of this.policies) figures.alignment[policy.name] = { version, controls: {} };
      this.figures.set(connectionId, figures);
    }
    return figures;
  }

  /** The controls that ask something of devices of this connection and platform, each with its running tally. */
  private applicableTo(connectionId: string, platform: Platform): Applicable[] {
    const key = `${connectionId} ${platform}`;
    let list = this.applicable.get(key);
    if (list) return list;
    list = [];
    const figures = this.figuresOf(connectionId);
    for (const { policy } of this.policies) {
      if (!targets(policy, this.connectionName(connectionId), platform)) continue;
      for (const [control, options] of Object.entries(policy.controls) as Array<[ControlName, { mode: string }]>) {
        if (!asksSomething(policy, control)) continue;
        const tally = entryOf(figures.alignment[policy.name]!.controls, control, () => ({
          mode: options.mode,
          ...emptyAlignment(),
        }));
        list.push({ policy, control, tally });
      }
    }
    this.applicable.set(key, list);
    return list;
  }

  /** Makes sure a connection has a row even when it holds no device. */
  include(connectionId: string): void {
    this.figuresOf(connectionId);
  }

  /** Counts one device (not gone) with the findings the rules found on it. */
  add(device: EvaluatedDevice, findings: readonly Finding[]): void {
    const figures = this.figuresOf(device.connectionId);
    statesOf(figures, device.platform, device.ownership)[deviceState(device, findings.length)] += 1;
    for (const finding of findings)
      countInto(
        entryOf(figures.findings, finding.rule, () => ({})),
        finding.severity,
        1,
      );
    const applicable = this.applicableTo(device.connectionId, device.platform);
    if (applicable.length === 0) return;
    const enforcementOf = this.enforcementIn(device.connectionId, device.platform);
    for (const { policy, control, tally } of applicable) {
      tally[controlStatus(device, policy, control, (c) => enforcementOf(policy, c), this.now)] += 1;
    }
  }

  /** Adds the gone devices (counted in SQL) and replaces each tallied connection's row in one statement. */
  async save(knex: Knex, evaluatedAt: Date): Promise<void> {
    const connectionIds = [...this.figures.keys()];
    if (connectionIds.length === 0) return;
    const gone: Array<{ connection_id: string; platform: Platform; ownership: Ownership; count: string }> = await knex(
      'devices',
    )
      .select('connection_id', 'platform', 'ownership')
      .count('* as count')
      .whereNotNull('gone_at')
      .whereIn('connection_id', connectionIds)
      .groupBy('connection_id', 'platform', 'ownership');
    for (const row of gone)
      statesOf(this.figuresOf(row.connection_id), row.platform, row.ownership).gone += Number(row.count);
    const rows = connectionIds.map((id) => ({
      connection_id: id,
      evaluated_at: evaluatedAt,
      figures: JSON.stringify(this.figures.get(id)),
    }));
    await knex('posture_aggregates').insert(rows).onConflict('connection_id').merge();
  }
}
