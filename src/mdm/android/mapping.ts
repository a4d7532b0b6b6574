// The Android Management API's wire format -> Warden's model: pure functions, one per rule. Input is untrusted
// JSON (Google adds enum members over time), so every reader falls back to 'unknown' / null rather than guess.
import type { androidmanagement_v1 } from '@googleapis/androidmanagement';
import type { AppHit, AppScope, Compliance, EnrollmentMode, NormalizedDevice, Ownership } from '../connector';
import { MdmError } from '../errors';

export type AmapiDevice = androidmanagement_v1.Schema$Device;

function stringOf(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

function dateOf(value: unknown): Date | null {
  const text = stringOf(value);
  if (!text) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function ownershipOf(ownership: unknown): Ownership {
  if (ownership === 'COMPANY_OWNED') return 'company';
  if (ownership === 'PERSONALLY_OWNED') return 'personal';
  return 'unknown';
}

/** A work profile is PROFILE_OWNER; a fully managed (or dedicated) device is DEVICE_OWNER. */
export function enrollmentModeOf(managementMode: unknown): EnrollmentMode {
  if (managementMode === 'PROFILE_OWNER') return 'work-profile';
  if (managementMode === 'DEVICE_OWNER') return 'fully-managed';
  return 'unknown';
}

/**
 * Rooted or not, from the security posture (Play Integrity): POTENTIALLY_COMPROMISED, or a COMPROMISED_OS risk,
 * is true; SECURE is false; anything else (AT_RISK for other reasons, no posture reported) is unknown: null,
 * never false.
 */
export function jailbrokenOf(posture: androidmanagement_v1.Schema$SecurityPosture | undefined): boolean | null {
  const value = posture?.devicePosture;
  if (value === 'POTENTIALLY_COMPROMISED') return true;
  if ((posture?.postureDetails ?? []).some((detail) => detail.securityRisk === 'COMPROMISED_OS')) return true;
  if (value === 'SECURE') return false;
  return null;
}

/** policyCompliant is a plain boolean; a device that never reported it is unknown, never compliant. */
export function complianceOf(policyCompliant: unknown): Compliance {
  if (policyCompliant === true) return 'compliant';
  if (policyCompliant === false) return 'noncompliant';
  return 'unknown';
}

/** `enterprises/{e}/devices/{id}` -> `{id}`: Warden's externalId is the device id, unique in its enterprise. */
export function deviceIdOf(name: unknown): string {
  const match = /^enterprises\/[^/]+\/devices\/([^/]+)$/.exec(stringOf(name) ?? '');
  if (!match?.[1]) throw new MdmError('invalid', 'the Android Management API listed a device without a valid name');
  return match[1];
}

export function toNormalizedDevice(native: AmapiDevice): NormalizedDevice {
  const hardware = native.hardwareInfo ?? {};
  return {
    externalId: deviceIdOf(native.name),
    name: stringOf(hardware.model),
    platform: 'android',
    osVersion: stringOf(native.softwareInfo?.androidVersion),
    model: stringOf(hardware.model),
    manufacturer: stringOf(hardware.manufacturer),
    serialNumber: stringOf(hardware.serialNumber),
    ownership: ownershipOf(native.ownership),
    enrollmentMode: enrollmentModeOf(native.managementMode),
    supervised: null,
    // deviceSettings is reported only when the policy enables it: absent means not known.
    encrypted: typeof native.deviceSettings?.isEncrypted === 'boolean' ? native.deviceSettings.isEncrypted : null,
    jailbroken: jailbrokenOf(native.securityPosture),
    compliance: complianceOf(native.policyCompliant),
    managementState: stringOf(native.appliedState) ?? stringOf(native.state),
    user: { externalId: stringOf(native.userName), principalName: null, displayName: null, email: null },
    enrolledAt: dateOf(native.enrollmentTime),
    lastCheckInAt: dateOf(native.lastStatusReportTime),
    native: native as Record<string, unknown>,
  };
}

/**
 * Where the API saw an app: a work profile reports only the apps inside it; a fully managed device reports
 * the whole device. The personal side of a work-profile phone is never visible to the API.
 */
export function appScopeOf(managementMode: unknown): AppScope {
  if (managementMode === 'PROFILE_OWNER') return 'work-profile';
  if (managementMode === 'DEVICE_OWNER') return 'device';
  return 'unknown';
}

/**
 * The watched apps one device shows: installed application reports (when the policy enables them) and blocked
 * apps still installed (APP_INSTALLED non-compliance, visible whatever the reporting settings). One hit per app.
 */
export function appHitsOf(native: AmapiDevice, watched: ReadonlySet<string>): AppHit[] {
  const deviceExternalId = deviceIdOf(native.name);
  const scope = appScopeOf(native.managementMode);
  const hits = new Map<string, AppHit>();
  for (const report of native.applicationReports ?? []) {
    const identifier = stringOf(report.packageName);
    if (!identifier || !watched.has(identifier) || report.state === 'REMOVED' || hits.has(identifier)) continue;
    hits.set(identifier, {
      identifier,
      appExternalId: identifier,
      displayName: stringOf(report.displayName),
      version: stringOf(report.versionName),
      deviceExternalId,
      scope,
    });
  }
  for (const detail of native.nonComplianceDetails ?? []) {
    const identifier = stringOf(detail.packageName);
    if (detail.nonComplianceReason !== 'APP_INSTALLED' || !identifier || !watched.has(identifier)) continue;
    if (hits.has(identifier)) continue;
    hits.set(identifier, {
      identifier,
      appExternalId: identifier,
      displayName: null,
      version: null,
      deviceExternalId,
      scope,
    });
  }
  return [...hits.values()];
}
