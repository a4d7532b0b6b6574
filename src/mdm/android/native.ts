// Warden's AMAPI policies as the MDM-neutral native objects the planner diffs (../native.ts). A Policy resource
// has no description, so its id carries the marker: `warden.<policy>.<key>`; read back, the marker is put in
// `description` for the planner. Settings are named by their path (`crossProfilePolicies.crossProfileCopyPaste`),
// one level deep, so a drift names the exact field. Creating is a PATCH of the whole policy; updating PATCHes
// only the top-level fields Warden changes (updateMask), so fields an admin added elsewhere in it are kept.
import { MdmError } from '../errors';
import { markerOf, type NativeObject, type NativeState } from '../native';

export const ANDROID_POLICIES = 'policies';
export const ANDROID_POLICY_TYPE = 'Policy';
const WARDEN_ID = /^warden\.([a-z0-9-]+)\.([a-z0-9-]+)$/;

/** The AMAPI policy id that marks a Warden object (ids allow [A-Za-z0-9_.-]{1,64}). */
export function androidPolicyId(policyName: string, key: string): string {
  return `warden.${policyName}.${key}`;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A policy's fields with nested objects opened one level: `{a: {b: 1}}` -> `{'a.b': 1}`. */
export function flatten(policy: Record<string, unknown>): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(policy)) {
    if (isObject(value)) for (const [inner, v] of Object.entries(value)) flat[`${field}.${inner}`] = v;
    else flat[field] = value;
  }
  return flat;
}

/** The inverse of flatten, for the settings Warden writes. */
export function nest(settings: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(settings)) {
    const [field, inner] = path.split('.', 2) as [string, string | undefined];
    if (inner === undefined) body[field] = value;
    else body[field] = { ...((body[field] as Record<string, unknown> | undefined) ?? {}), [inner]: value };
  }
  return body;
}

/** The state of one policy, or null when it is not Warden's. `name` is `enterprises/{e}/policies/{id}`. */
export function stateOf(policy: Record<string, unknown> & { name?: string | null }): NativeState | null {
  const id = String(policy.name ?? '').split('/policies/')[1] ?? '';
  const marker = WARDEN_ID.exec(id);
  if (!marker) return null;
  const { name: _name, version: _version, ...fields } = policy;
  return {
    id: String(policy.name),
    collection: ANDROID_POLICIES,
    odataType: ANDROID_POLICY_TYPE,
    displayName: id,
    description: markerOf(marker[1]!, marker[2]!),
    properties: flatten(fields),
    assignments: [],
  };
}

/** The policy id a desired object is stored under, checked against its marker. */
export function policyIdOf(desired: NativeObject): string {
  if (desired.collection !== ANDROID_POLICIES) {
    throw new MdmError('invalid', `the Android Management API has no policy collection '${desired.collection}'`);
  }
  if (!WARDEN_ID.test(desired.displayName)) {
    throw new MdmError('invalid', `'${desired.displayName}' is not a Warden policy id (warden.<policy>.<key>)`);
  }
  return desired.displayName;
}

/** The top-level Policy fields a list of changed settings touches (for updateMask). */
export function topLevelFields(settings: readonly string[]): string[] {
  return [...new Set(settings.map((s) => s.split('.', 1)[0]!))].sort();
}
