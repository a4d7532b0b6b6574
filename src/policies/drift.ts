// Drift, as pure functions: what the MDM holds, compared with what the last applied version of a policy put
// there, told as events a person can act on (a setting changed in the console, an object deleted, an assignment
// removed, a copy carrying Warden's marker, a forbidden app on an exemption list). Each event carries the
// controls it breaks and their strictest mode:
// `enforce` events are put back (remediationChanges), `alert` events raise a finding, and nothing here ever
// reads a failed reading as "in sync" (the caller records "unknown" instead of calling these).
import type { components } from '../http/api-types';
import { type NativeChange, type NativeObject, type NativeState, parseMarker } from '../mdm/native';
import type { ControlMode, Policy } from './model';
import type { Plan, PlanStep } from './plan';

/** One difference between the tenant and the applied policy, as the contract's DriftEvent (minus the outcome). */
export type DriftEvent = Omit<components['schemas']['DriftEvent'], 'remediated'>;
export type DriftKind = DriftEvent['kind'];

const RANK: Record<string, number> = { report: 0, alert: 1, enforce: 2 };

/** The strictest mode of the named controls in the policy; controls compiled to the MDM are never `report`. */
function modeOf(policy: Policy, controls: readonly string[]): DriftEvent['mode'] {
  let mode: DriftEvent['mode'] = 'alert';
  for (const name of controls) {
    const control = (policy.controls as Record<string, { mode: ControlMode } | undefined>)[name];
    if (control && RANK[control.mode]! > RANK[mode]!) mode = 'enforce';
  }
  return mode;
}

/** Every control an object carries out (an object-level drift breaks all of them). */
const controlsOfObject = (object: NativeObject | undefined) =>
  object ? [...new Set(Object.values(object.controls).flat())].sort() : [];

const canonical = (value: unknown) => JSON.stringify(value);

/** Assignment targets in `from` that `of` lacks. */
const missingFrom = (of: unknown, from: unknown) => {
  const have = new Set((Array.isArray(of) ? of : []).map(canonical));
  return (Array.isArray(from) ? from : []).filter((target) => !have.has(canonical(target)));
};

/**
 * The drift in a plan made from the applied version's objects: anything the plan would change is something the
 * MDM no longer holds as applied.
 */
export function driftOf(plan: Plan, policy: Policy, applied: readonly NativeObject[]): DriftEvent[] {
  const byKey = new Map(applied.map((o) => [o.key, o]));
  const events: DriftEvent[] = [];
  for (const step of plan.steps) {
    const object = byKey.get(step.key);
    const base = { key: step.key, collection: step.collection, displayName: step.displayName };
    const objectControls = controlsOfObject(object);
    // Drift of the object as a whole (gone, copied, reassigned) breaks every control it carries.
    const whole = { ...base, controls: objectControls, mode: modeOf(policy, objectControls) };
    if (step.action === 'create') events.push({ kind: 'object-deleted', ...whole, objectId: null });
    else if (step.action === 'delete') events.push({ kind: 'extra-object', ...whole, objectId: step.id });
    else if (step.action === 'update') {
      for (const change of step.changes) {
        if (change.setting === 'assignments') {
          const assignment = {
            ...whole,
            objectId: step.id,
            setting: 'assignments',
            current: change.current,
            desired: change.desired,
          };
          const removed = missingFrom(change.current, change.desired).length > 0;
          const added = missingFrom(change.desired, change.current).length > 0;
          if (removed) events.push({ kind: 'assignment-removed', ...assignment });
          if (added || !removed) events.push({ kind: 'assignment-added', ...assignment });
          continue;
        }
        const controls = object?.controls[change.setting] ?? objectControls;
        events.push({
          kind: 'setting-changed',
          ...base,
          objectId: step.id,
          setting: change.setting,
          current: change.current,
          desired: change.desired,
          controls,
          mode: modeOf(policy, controls),
        });
      }
    }
  }
  return events;
}

/**
 * The native changes that put back the enforce-mode drift: deleted objects recreated, copies deleted, and of a
 * changed object only the settings (and assignments) whose controls are enforced. Alert-mode drift stays.
 */
export function remediationChanges(plan: Plan, events: readonly DriftEvent[]): NativeChange[] {
  const enforced = events.filter((e) => e.mode === 'enforce' && remediable(e));
  const changes: NativeChange[] = [];
  for (const step of plan.steps as PlanStep[]) {
    const mine = enforced.filter((e) => e.key === step.key && (e.objectId ?? null) === ('id' in step ? step.id : null));
    if (mine.length === 0) continue;
    if (step.action === 'create') changes.push({ action: 'create', desired: step.desired });
    else if (step.action === 'delete') changes.push({ action: 'delete', id: step.id, collection: step.collection });
    else if (step.action === 'update') {
      const changed = [...new Set(mine.map((e) => e.setting).filter((s): s is string => s !== undefined))];
      changes.push({ action: 'update', id: step.id, desired: step.desired, changed });
    }
  }
  return changes;
}

/** Whether Warden can put this drift back (it cannot write exemption lists: they exist only in Graph beta). */
export const remediable = (event: DriftEvent) => event.kind !== 'exemption-added';

/** The exemption list's property, as Graph beta names it, per app protection key. */
const EXEMPTION_SETTING: Record<string, string> = {
  'android-app-protection': 'exemptedAppPackages',
  'ios-app-protection': 'exemptedAppProtocols',
};

/**
 * An exempted app matches a forbidden one by its identifier (Android package, or a URL scheme listed as such in
 * `forbid`) or, for an iOS URL protocol such as "whatsapp://", by the last part of a forbidden bundle id
 * (net.whatsapp.WhatsApp -> whatsapp). Assumed: Intune keeps iOS exemptions as URL schemes; a messenger whose
 * scheme is not that last part (Messenger: fb-messenger) is caught when `forbid` names the scheme itself.
 */
function forbiddenBy(forbid: readonly string[]): (exempted: string) => boolean {
  const names = new Set<string>();
  for (const app of forbid) {
    names.add(app.toLowerCase());
    names.add(app.toLowerCase().split('.').at(-1)!);
  }
  return (exempted) => names.has(exempted.toLowerCase().replace(/:(\/\/.*)?$/, ''));
}

/**
 * Apps the policy forbids found on the exemption lists of its app protections (read only when asked for, so
 * absent lists mean "not read", never "empty").
 */
export function exemptionDrift(policy: Policy, states: readonly NativeState[]): DriftEvent[] {
  const control = policy.controls.managedAppExemptions;
  if (!control || control.mode === 'report') return [];
  const forbidden = forbiddenBy(control.forbid);
  const events: DriftEvent[] = [];
  for (const state of states) {
    const marker = parseMarker(state.description);
    const setting = marker && EXEMPTION_SETTING[marker.key];
    if (marker?.policy !== policy.name || !setting || !state.exemptions) continue;
    const found = state.exemptions.filter(forbidden);
    if (found.length === 0) continue;
    events.push({
      kind: 'exemption-added',
      key: marker.key,
      collection: state.collection,
      objectId: state.id,
      displayName: state.displayName,
      setting,
      current: found,
      desired: [],
      controls: ['managedAppExemptions'],
      mode: control.mode,
    });
  }
  return events;
}

/** "2 settings changed, 1 object deleted" or "in sync". */
export function describeDrift(events: readonly DriftEvent[]): string {
  if (events.length === 0) return 'in sync';
  const counts = new Map<DriftKind, number>();
  for (const event of events) counts.set(event.kind, (counts.get(event.kind) ?? 0) + 1);
  const words: Record<DriftKind, [string, string]> = {
    'object-deleted': ['object deleted', 'objects deleted'],
    'setting-changed': ['setting changed', 'settings changed'],
    'assignment-removed': ['assignment removed', 'assignments removed'],
    'assignment-added': ['assignment added', 'assignments added'],
    'extra-object': ['extra object', 'extra objects'],
    'exemption-added': ['forbidden exemption', 'forbidden exemptions'],
  };
  return [...counts].map(([kind, n]) => `${n} ${words[kind][n === 1 ? 0 : 1]}`).join(', ');
}
