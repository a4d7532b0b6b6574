// Warden's restrictions profiles as the MDM-neutral native objects the planner diffs (../native.ts): a profile's
// restriction keys are its settings and its scope is its assignments, one `target` per scoped entry (all mobile
// devices, a device, a device group). Changes carry out creates (at most once: a POST whose outcome is unknown
// is followed by a read for the marker before anything is sent again), full replacements and deletes.
import { MdmError } from '../errors';
import {
  type NativeChange,
  type NativeChangeResult,
  type NativeObject,
  type NativeState,
  parseMarker,
} from '../native';
import type { ProfileScope } from './classic-profile';
import type { JamfClient } from './client';
import {
  applyRestrictionProfile,
  RESTRICTIONS_PAYLOAD_TYPE,
  type RestrictionProfile,
  type RestrictionSettings,
  readRestrictionProfiles,
} from './restrictions';

/** The collection name Warden's Jamf objects carry (Classic API mobile device configuration profiles). */
export const JAMF_PROFILES = 'mobileDeviceConfigurationProfiles';

export function assignmentsOf(scope: ProfileScope): Array<Record<string, unknown>> {
  return [
    ...(scope.allMobileDevices ? [{ target: { allMobileDevices: true } }] : []),
    ...scope.mobileDeviceIds.map((id) => ({ target: { mobileDeviceId: id } })),
    ...scope.mobileDeviceGroups.map((group) => ({ target: { mobileDeviceGroupId: group.id } })),
  ];
}

export function scopeOf(assignments: ReadonlyArray<Record<string, unknown>>): ProfileScope {
  const scope: ProfileScope = { allMobileDevices: false, mobileDeviceIds: [], mobileDeviceGroups: [] };
  for (const { target } of assignments) {
    const t = (target ?? {}) as Record<string, unknown>;
    if (t.allMobileDevices === true) scope.allMobileDevices = true;
    else if (typeof t.mobileDeviceId === 'string') scope.mobileDeviceIds.push(t.mobileDeviceId);
    else if (typeof t.mobileDeviceGroupId === 'string')
      scope.mobileDeviceGroups.push({ id: t.mobileDeviceGroupId, name: null });
    else throw new MdmError('invalid', `a Jamf profile cannot be scoped to ${JSON.stringify(target)}`);
  }
  return scope;
}

export function stateOf(profile: RestrictionProfile): NativeState {
  return {
    id: profile.id,
    collection: JAMF_PROFILES,
    odataType: RESTRICTIONS_PAYLOAD_TYPE,
    displayName: profile.name,
    description: profile.description,
    properties: profile.restrictions,
    assignments: assignmentsOf(profile.scope),
  };
}

function specOf(desired: NativeObject) {
  if (desired.collection !== JAMF_PROFILES) {
    throw new MdmError('invalid', `Jamf Pro has no policy collection '${desired.collection}'`);
  }
  const marker = parseMarker(desired.description);
  if (!marker) throw new MdmError('invalid', `the profile '${desired.displayName}' carries no Warden marker`);
  return {
    policy: marker.policy,
    key: marker.key,
    name: desired.displayName,
    description: desired.description,
    restrictions: desired.settings as RestrictionSettings,
    scope: scopeOf(desired.assignments),
  };
}

export async function applyJamfChange(
  client: JamfClient,
  change: NativeChange,
  signal?: AbortSignal,
): Promise<NativeChangeResult> {
  if (change.action === 'delete') {
    try {
      await applyRestrictionProfile(client, { op: 'delete', id: change.id }, signal);
    } catch (error) {
      // Already gone (a retried DELETE, or removed by hand): that is done, too.
      if (!(error instanceof MdmError && error.kind === 'not-found')) throw error;
    }
    return { action: 'delete', collection: JAMF_PROFILES, id: change.id };
  }
  const spec = specOf(change.desired);
  if (change.action === 'update') {
    await applyRestrictionProfile(client, { op: 'update', id: change.id, ...spec }, signal);
    return { action: 'update', collection: JAMF_PROFILES, id: change.id };
  }
  try {
    const id = await applyRestrictionProfile(client, { op: 'create', ...spec }, signal);
    return { action: 'create', collection: JAMF_PROFILES, id };
  } catch (error) {
    if (!(error instanceof MdmError && error.outcomeUnknown)) throw error;
    const made = (await readRestrictionProfiles(client, signal)).find(
      (p) => p.policy === spec.policy && p.key === spec.key,
    );
    if (made) return { action: 'create', collection: JAMF_PROFILES, id: made.id };
    const id = await applyRestrictionProfile(client, { op: 'create', ...spec }, signal);
    return { action: 'create', collection: JAMF_PROFILES, id };
  }
}
