// Planning, as a pure function: the true difference between what a policy compiles to and what the MDM holds.
// Objects are matched by Warden's marker, never by id or name; only the settings Warden owns are compared, so
// ids, timestamps, versions and settings nobody asked for never show up; lists that are sets (assignments,
// restricted apps) compare without order. An unchanged tenant plans "no changes" every time. Objects without
// this policy's marker are never touched.
import { createHash } from 'node:crypto';
import { type NativeChange, type NativeObject, type NativeState, parseMarker } from '../mdm/native';
import { canonicalJson } from '../util/canonical-json';

export type { NativeState };

export interface SettingChange {
  setting: string;
  current: unknown;
  desired: unknown;
}

export type PlanStep =
  | { action: 'create'; key: string; collection: string; displayName: string; desired: NativeObject }
  | {
      action: 'update';
      key: string;
      id: string;
      collection: string;
      displayName: string;
      changes: SettingChange[];
      desired: NativeObject;
    }
  | { action: 'delete'; key: string; id: string; collection: string; displayName: string }
  | { action: 'no-change'; key: string; id: string; collection: string; displayName: string };

export interface Plan {
  policy: string;
  steps: PlanStep[];
  /** Whether applying would change anything. */
  changes: boolean;
  /** Identifies exactly this plan: apply refuses to run another one. */
  hash: string;
}

/** A value in a form where order inside set-like lists does not matter. */
function normalised(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalised).sort((a, b) => (canonicalJson(a) < canonicalJson(b) ? -1 : 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if (!key.startsWith('@odata.') || key === '@odata.type') out[key] = normalised(inner);
    }
    return out;
  }
  return value;
}

const same = (a: unknown, b: unknown) => canonicalJson(normalised(a ?? null)) === canonicalJson(normalised(b ?? null));

/** Assignments compare by their targets (Graph adds ids and other fields of its own). */
const targetsOf = (assignments: Array<Record<string, unknown>>) => assignments.map((a) => a.target ?? null);

function changesOf(desired: NativeObject, current: NativeState): SettingChange[] {
  const changes: SettingChange[] = [];
  for (const [setting, value] of Object.entries(desired.settings)) {
    if (!same(current.properties[setting], value))
      changes.push({ setting, current: current.properties[setting] ?? null, desired: value });
  }
  if (!same(targetsOf(current.assignments), targetsOf(desired.assignments))) {
    changes.push({
      setting: 'assignments',
      current: targetsOf(current.assignments),
      desired: targetsOf(desired.assignments),
    });
  }
  // Graph v1.0 does not return an app protection's appGroupType: compared only when the reading has it.
  if (desired.targetApps && current.targetApps && current.targetApps.appGroupType !== desired.targetApps.appGroupType) {
    changes.push({ setting: 'targetApps', current: current.targetApps ?? null, desired: desired.targetApps });
  }
  if (current.displayName !== desired.displayName)
    changes.push({ setting: 'displayName', current: current.displayName, desired: desired.displayName });
  return changes;
}

export function planPolicy(
  policyName: string,
  desired: readonly NativeObject[],
  current: readonly NativeState[],
): Plan {
  const owned = new Map<string, NativeState>();
  for (const state of current) {
    const marker = parseMarker(state.description);
    // Two objects claiming the same key (a copy made in the console): the first is ours, the rest are deleted.
    if (marker?.policy === policyName && !owned.has(marker.key)) owned.set(marker.key, state);
  }
  const steps: PlanStep[] = [];
  for (const object of desired) {
    const state = owned.get(object.key);
    const base = { key: object.key, collection: object.collection, displayName: object.displayName };
    if (!state) {
      steps.push({ action: 'create', ...base, desired: object });
      continue;
    }
    const changes = changesOf(object, state);
    steps.push(
      changes.length > 0
        ? { action: 'update', ...base, id: state.id, changes, desired: object }
        : { action: 'no-change', ...base, id: state.id },
    );
  }
  const wanted = new Set(desired.map((o) => o.key));
  for (const state of current) {
    const marker = parseMarker(state.description);
    if (marker?.policy !== policyName) continue;
    if (wanted.has(marker.key) && owned.get(marker.key) === state) continue;
    steps.push({
      action: 'delete',
      key: marker.key,
      id: state.id,
      collection: state.collection,
      displayName: state.displayName,
    });
  }
  const changes = steps.some((s) => s.action !== 'no-change');
  const hash = createHash('sha256')
    .update(canonicalJson({ policy: policyName, steps }))
    .digest('hex');
  return { policy: policyName, steps, changes, hash };
}

/** A plan's steps as the connector carries them out. */
export function nativeChanges(steps: readonly PlanStep[]): NativeChange[] {
  return steps.flatMap((step): NativeChange[] => {
    if (step.action === 'create') return [{ action: 'create', desired: step.desired }];
    if (step.action === 'update')
      return [{ action: 'update', id: step.id, desired: step.desired, changed: step.changes.map((c) => c.setting) }];
    if (step.action === 'delete') return [{ action: 'delete', id: step.id, collection: step.collection }];
    return [];
  });
}

/** "3 to create, 1 to update (2 settings), 1 to delete" or "no changes". */
export function describePlan(plan: Plan): string {
  if (!plan.changes) return 'no changes';
  const count = (action: PlanStep['action']) => plan.steps.filter((s) => s.action === action).length;
  const settings = plan.steps.reduce((n, s) => n + (s.action === 'update' ? s.changes.length : 0), 0);
  const parts = [
    count('create') && `${count('create')} to create`,
    count('update') && `${count('update')} to update (${settings} setting${settings === 1 ? '' : 's'})`,
    count('delete') && `${count('delete')} to delete`,
  ].filter(Boolean);
  return parts.join(', ');
}
