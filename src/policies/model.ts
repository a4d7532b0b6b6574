// The policy model's rules, as pure functions: its TypeScript shape (generated from the contract's JSON Schema)
// and its canonical form, under which two documents that mean the same thing are equal and hash alike.
import { createHash } from 'node:crypto';
import type { components } from '../http/api-types';
import { canonicalJson } from '../util/canonical-json';

export type Policy = components['schemas']['Policy'];
export type ControlMode = components['schemas']['ControlMode'];

const sorted = <T>(values: readonly T[] | undefined) => (values ? [...values].sort() : values);

/**
 * Sets whose order means nothing (targets, app lists) are sorted; keys are sorted by canonicalJson. Remediation
 * steps keep their order: they run in it.
 */
export function canonicalPolicy(policy: Policy): Policy {
  const { controls, targets } = policy;
  return withoutUndefined({
    ...policy,
    targets: {
      ...targets,
      connections: sorted(targets.connections)!,
      platforms: sorted(targets.platforms)!,
      groups: sorted(targets.groups),
    },
    controls: {
      ...controls,
      blockedApps: controls.blockedApps && { ...controls.blockedApps, apps: sorted(controls.blockedApps.apps)! },
      managedAppExemptions: controls.managedAppExemptions && {
        ...controls.managedAppExemptions,
        forbid: sorted(controls.managedAppExemptions.forbid)!,
      },
    },
  });
}

/** The same document as it reads back from JSON: absent controls and options are absent, not undefined. */
const withoutUndefined = <T>(value: T): T => JSON.parse(JSON.stringify(value));

export function policyHash(policy: Policy): string {
  return createHash('sha256')
    .update(canonicalJson(canonicalPolicy(policy)))
    .digest('hex');
}
