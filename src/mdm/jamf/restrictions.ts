// Warden's restrictions profiles in Jamf Pro: Classic API mobile device configuration profiles whose payload
// plist holds one `com.apple.applicationaccess` (Restrictions) payload, marked as Warden's by
// `[warden:<policy>/<key>]` in the description (../native.ts markerOf), as every MDM's objects are. Reading
// returns only marked profiles, with their restriction keys as a plain object; profiles Warden does not own are
// never touched.
import { MdmError } from '../errors';
import { markerOf, parseMarker } from '../native';
import {
  type ClassicProfile,
  idFromXml,
  type ProfileScope,
  profileFromXml,
  profileListFromXml,
  profileToXml,
} from './classic-profile';
import type { JamfClient } from './client';
import { decodePlist, encodePlist, type PlistValue } from './plist';

export const RESTRICTIONS_PAYLOAD_TYPE = 'com.apple.applicationaccess';
const PROFILES = '/JSSResource/mobiledeviceconfigurationprofiles';

/** The restriction keys Warden's controls compile to (reference/MDM-APIS.md, Jamf, restrictions payload). */
export interface RestrictionSettings {
  allowCloudBackup?: boolean;
  allowCloudDocumentSync?: boolean;
  allowManagedAppsCloudSync?: boolean;
  forceEncryptedBackup?: boolean;
  allowOpenFromManagedToUnmanaged?: boolean;
  allowOpenFromUnmanagedToManaged?: boolean;
  allowUnmanagedToReadManagedContacts?: boolean;
  allowManagedToWriteUnmanagedContacts?: boolean;
  requireManagedPasteboard?: boolean;
  /** Supervised devices only (iOS 15+). */
  blockedAppBundleIDs?: string[];
}

export interface RestrictionProfile {
  id: string;
  name: string;
  description: string;
  policy: string;
  key: string;
  /** Every key of the restrictions payload other than the Payload* bookkeeping, as Jamf holds it. */
  restrictions: Record<string, PlistValue>;
  scope: ProfileScope;
}

export interface RestrictionProfileSpec {
  policy: string;
  key: string;
  name: string;
  /** Shown in Jamf next to the marker, e.g. "Managed by Warden policy keep-work-chats-managed". */
  description?: string;
  restrictions: RestrictionSettings;
  scope: ProfileScope;
}

export type RestrictionProfileChange =
  | ({ op: 'create' } & RestrictionProfileSpec)
  | ({ op: 'update'; id: string } & RestrictionProfileSpec)
  | { op: 'delete'; id: string };

function payloadIdentifier(policy: string, key: string): string {
  return `com.warden.${policy}.${key}`;
}

/** The profile's plist: one Restrictions payload; UUIDs derive from the marker so a rewrite keeps them. */
export function restrictionsPlist(spec: RestrictionProfileSpec): string {
  const id = payloadIdentifier(spec.policy, spec.key);
  const restrictions: Record<string, PlistValue> = {
    PayloadType: RESTRICTIONS_PAYLOAD_TYPE,
    PayloadVersion: 1,
    PayloadIdentifier: `${id}.restrictions`,
    PayloadUUID: stableUuid(`${id}.restrictions`),
    PayloadDisplayName: 'Restrictions',
  };
  for (const [name, value] of Object.entries(spec.restrictions)) if (value !== undefined) restrictions[name] = value;
  return encodePlist({
    PayloadContent: [restrictions],
    PayloadDisplayName: spec.name,
    PayloadIdentifier: id,
    PayloadType: 'Configuration',
    PayloadUUID: stableUuid(id),
    PayloadVersion: 1,
  });
}

/** The restrictions payload's own keys, or null when the plist holds no restrictions payload. */
export function restrictionsOf(payloads: string): Record<string, PlistValue> | null {
  const root = decodePlist(payloads);
  const content = typeof root === 'object' && !Array.isArray(root) ? root.PayloadContent : undefined;
  if (!Array.isArray(content)) return null;
  const payload = content.find(
    (p): p is Record<string, PlistValue> =>
      typeof p === 'object' && !Array.isArray(p) && p.PayloadType === RESTRICTIONS_PAYLOAD_TYPE,
  );
  if (!payload) return null;
  return Object.fromEntries(Object.entries(payload).filter(([name]) => !name.startsWith('Payload')));
}

export async function readRestrictionProfiles(client: JamfClient, signal?: AbortSignal): Promise<RestrictionProfile[]> {
  const list = await client.send('GET', PROFILES, { signal });
  const profiles: RestrictionProfile[] = [];
  for (const { id } of profileListFromXml(String(list.body ?? ''))) {
    const answer = await client.send('GET', `${PROFILES}/id/${id}`, { signal });
    const profile = profileFromXml(String(answer.body ?? ''));
    const marker = parseMarker(profile.description);
    if (!marker) continue;
    const restrictions = restrictionsOf(profile.payloads);
    if (!restrictions) {
      const shown = markerOf(marker.policy, marker.key);
      throw new MdmError('invalid', `Warden's profile ${id} (${shown}) holds no restrictions payload`);
    }
    const { name, description, scope } = profile;
    profiles.push({ id, name, description, policy: marker.policy, key: marker.key, restrictions, scope });
  }
  return profiles;
}

function toClassic(spec: RestrictionProfileSpec, id?: string): ClassicProfile {
  const marker = markerOf(spec.policy, spec.key);
  // The planner's objects carry the marker in their description already; it is added only where missing.
  const given = spec.description ?? '';
  const description = given.includes(marker) ? given : given ? `${given} ${marker}` : marker;
  return { ...(id ? { id } : {}), name: spec.name, description, payloads: restrictionsPlist(spec), scope: spec.scope };
}

/** Carries out one change; returns the profile's id. A create is not resent after a 5xx (outcome unknown). */
export async function applyRestrictionProfile(
  client: JamfClient,
  change: RestrictionProfileChange,
  signal?: AbortSignal,
): Promise<string> {
  if (change.op === 'delete') {
    await client.send('DELETE', `${PROFILES}/id/${encodeURIComponent(change.id)}`, { signal });
    return change.id;
  }
  if (change.op === 'create') {
    const answer = await client.send('POST', `${PROFILES}/id/0`, { xml: profileToXml(toClassic(change)), signal });
    return idFromXml(String(answer.body ?? ''));
  }
  const path = `${PROFILES}/id/${encodeURIComponent(change.id)}`;
  await client.send('PUT', path, { xml: profileToXml(toClassic(change, change.id)), signal });
  return change.id;
}

/** A UUID-shaped value derived from text (FNV-1a, four rounds): the same profile keeps the same PayloadUUIDs. */
function stableUuid(text: string): string {
  let hex = '';
  for (let round = 0; round < 4; round++) {
    let h = 0x811c9dc5 ^ round;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    hex += (h >>> 0).toString(16).padStart(8, '0');
  }
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`.toUpperCase();
}
