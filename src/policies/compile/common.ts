// What every MDM's compiler shares: the compiled result, the native settings builder that remembers which
// controls each setting carries out, report-mode filtering and the reading of group targets. The compilers
// themselves (intune.ts, jamf.ts, android.ts) are pure functions from a policy to native objects.
import type { NativeObject } from '../../mdm/native';
import type { Policy } from '../model';

export interface Unenforceable {
  control: keyof Policy['controls'];
  platform: string;
  reason: string;
}

export interface CompiledPolicy {
  objects: NativeObject[];
  unenforceable: Unenforceable[];
  /** Controls in report mode: evaluated on devices, not pushed to the MDM. */
  reportOnly: Array<keyof Policy['controls']>;
}

export const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export class CompileError extends Error {}

export type ControlName = keyof Policy['controls'];

/** Native settings with, for each, the policy controls it carries out (drift is judged by their modes). */
export class Settings {
  readonly values: Record<string, unknown> = {};
  readonly controls: Record<string, ControlName[]> = {};

  set(setting: string, value: unknown, ...controls: ControlName[]): void {
    this.values[setting] = value;
    this.controls[setting] = controls;
  }

  get empty(): boolean {
    return Object.keys(this.values).length === 0;
  }
}

/** The group names of a policy's targets (entries that are not already directory group ids). */
export function groupNamesOf(policy: Policy): string[] {
  return (policy.targets.groups ?? []).filter((g) => !GUID.test(g));
}

/** Directory group ids by name, as resolved in one tenant (names differ from tenant to tenant). */
export type GroupIds = ReadonlyMap<string, string>;

/** The mode-filtered controls: report-mode ones are only evaluated. */
export function activeControls(policy: Policy): {
  active: Policy['controls'];
  reportOnly: Array<keyof Policy['controls']>;
} {
  const active: Record<string, unknown> = {};
  const reportOnly: Array<keyof Policy['controls']> = [];
  for (const [name, control] of Object.entries(policy.controls) as Array<
    [keyof Policy['controls'], { mode: string }]
  >) {
    if (control.mode === 'report') reportOnly.push(name);
    else active[name] = control;
  }
  return { active: active as Policy['controls'], reportOnly };
}
