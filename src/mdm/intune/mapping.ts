// Intune's wire format -> Warden's model: pure functions, one per rule, so each rule is tested on its own.
// Input is untrusted JSON (Graph adds enum members over time), so every reader accepts `unknown` and falls back
// to 'unknown' / null rather than guessing. DEVICE_SELECT is exactly what the mapping reads.
import type {
  AppScope,
  Compliance,
  DirectoryUser,
  EnrollmentMode,
  NormalizedDevice,
  Ownership,
  Platform,
} from '../connector';
import { MdmError } from '../errors';

/** The managedDevice properties the connector asks for ($select) and maps; nothing else is fetched. */
export const DEVICE_SELECT = [
  'id',
  'deviceName',
  'managedDeviceName',
  'operatingSystem',
  'osVersion',
  'model',
  'manufacturer',
  'serialNumber',
  'managedDeviceOwnerType',
  'deviceEnrollmentType',
  'managementAgent',
  'isSupervised',
  'isEncrypted',
  'jailBroken',
  'complianceState',
  'managementState',
  'userId',
  'userPrincipalName',
  'userDisplayName',
  'emailAddress',
  'enrolledDateTime',
  'lastSyncDateTime',
] as const;

/** A string, with Intune's "" for "not reported" (hidden serial numbers, no IMEI) read as null. */
export function stringOf(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

export function platformOf(operatingSystem: unknown): Platform {
  const os = stringOf(operatingSystem)?.toLowerCase() ?? '';
  // Some tenants report "AndroidForWork" / "AndroidEnterprise" as the operating system itself.
  if (os.startsWith('android')) return 'android';
  if (os === 'ios' || os === 'ipados') return 'ios';
  if (os === 'macos' || os === 'mac os x' || os === 'macmdm') return 'macos';
  if (os.startsWith('windows')) return 'windows';
  return 'other';
}

export function ownershipOf(ownerType: unknown): Ownership {
  if (ownerType === 'company' || ownerType === 'personal') return ownerType;
  return 'unknown';
}

/** jailBroken is a String in Graph: "True", "False" or "Unknown" (any case); anything else is not known. */
export function jailbrokenOf(value: unknown): boolean | null {
  const text = stringOf(value)?.toLowerCase();
  if (text === 'true') return true;
  if (text === 'false') return false;
  return null;
}

/** conflict, error and configManager say nothing about the device's state: unknown, never compliant. */
export function complianceOf(state: unknown): Compliance {
  if (state === 'compliant') return 'compliant';
  if (state === 'noncompliant') return 'noncompliant';
  if (state === 'inGracePeriod') return 'in-grace-period';
  return 'unknown';
}

/** Dates are ISO 8601; Graph's 0001-01-01 means "never". */
export function dateOf(value: unknown): Date | null {
  const text = stringOf(value);
  if (!text || text.startsWith('0001-01-01')) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** The platform tag Intune puts in managedDeviceName: `{user}_{tag}_{M/d/yyyy}_{h:mm AM}`. */
export function androidTagOf(managedDeviceName: unknown): string | null {
  const segments = stringOf(managedDeviceName)?.split('_') ?? [];
  return segments.length >= 4 ? (segments[segments.length - 3] ?? null) : null;
}

export interface EnrollmentFacts {
  operatingSystem?: unknown;
  managedDeviceOwnerType?: unknown;
  deviceEnrollmentType?: unknown;
  managementAgent?: unknown;
  managedDeviceName?: unknown;
}

/**
 * How the device is enrolled. Graph's `userEnrollment` means "a person enrolled it through the Company Portal"
 * (BYOD), not Apple User Enrollment, which is `appleUserEnrollment*`. v1.0 has no deviceEnrollmentType for
 * Android Enterprise (newer members reach v1.0 clients as unknownFutureValue), so Android personal devices are
 * told apart by the tag Intune writes into managedDeviceName: AndroidForWork (work profile), AndroidEnterprise
 * (fully managed or dedicated), Android (device administrator).
 */
export function enrollmentModeOf(facts: EnrollmentFacts): EnrollmentMode {
  const type = stringOf(facts.deviceEnrollmentType);
  if (type === 'appleUserEnrollment' || type === 'appleUserEnrollmentWithServiceAccount') return 'user-enrollment';
  const platform = platformOf(facts.operatingSystem);
  if (platform === 'android') return androidModeOf(facts, type);
  if (platform === 'other') return 'unknown';
  // Exchange ActiveSync alone is not an MDM enrolment.
  return facts.managementAgent === 'eas' ? 'unknown' : 'device';
}

function androidModeOf(facts: EnrollmentFacts, type: string | null): EnrollmentMode {
  // Members Graph sends when asked for evolvable enums (Prefer: include-unknown-enum-members).
  if (type === 'androidEnterpriseFullyManaged' || type === 'androidEnterpriseDedicatedDevice') return 'fully-managed';
  if (type === 'androidEnterpriseCorporateWorkProfile') return 'work-profile';
  const os = stringOf(facts.operatingSystem)?.toLowerCase();
  const tag =
    os === 'androidforwork' || os === 'androidenterprise' ? os : androidTagOf(facts.managedDeviceName)?.toLowerCase();
  if (tag === 'androidforwork') return 'work-profile';
  if (tag === 'androidenterprise') return 'fully-managed';
  if (tag === 'android') return 'legacy-admin';
  // Only Android Enterprise (Google's device policy controller) manages a whole company-owned device.
  if (
    facts.managementAgent === 'googleCloudDevicePolicyController' &&
    ownershipOf(facts.managedDeviceOwnerType) === 'company'
  ) {
    return 'fully-managed';
  }
  return 'unknown';
}

/** Supervision is an Apple notion; elsewhere Intune's false means "not applicable", so it is null. */
export function supervisedOf(platform: Platform, isSupervised: unknown): boolean | null {
  if (platform !== 'ios' && platform !== 'macos') return null;
  return typeof isSupervised === 'boolean' ? isSupervised : null;
}

export function toNormalizedDevice(native: Record<string, unknown>): NormalizedDevice {
  const externalId = stringOf(native.id);
  if (!externalId) throw new MdmError('invalid', 'Graph listed a managedDevice without an id');
  const platform = platformOf(native.operatingSystem);
  return {
    externalId,
    name: stringOf(native.deviceName),
    platform,
    osVersion: stringOf(native.osVersion),
    model: stringOf(native.model),
    manufacturer: stringOf(native.manufacturer),
    serialNumber: stringOf(native.serialNumber),
    ownership: ownershipOf(native.managedDeviceOwnerType),
    enrollmentMode: enrollmentModeOf(native),
    supervised: supervisedOf(platform, native.isSupervised),
    encrypted: typeof native.isEncrypted === 'boolean' ? native.isEncrypted : null,
    jailbroken: jailbrokenOf(native.jailBroken),
    compliance: complianceOf(native.complianceState),
    managementState: stringOf(native.managementState),
    user: {
      externalId: stringOf(native.userId),
      principalName: stringOf(native.userPrincipalName),
      displayName: stringOf(native.userDisplayName),
      email: stringOf(native.emailAddress),
    },
    enrolledAt: dateOf(native.enrolledDateTime),
    lastCheckInAt: dateOf(native.lastSyncDateTime),
    native,
  };
}

/**
 * Where a detected app sits. Only Android work profiles report apps per profile (a separate detectedApp with
 * platform androidWorkProfile); every other platform reports the device as a whole. Intune does not report the
 * personal side of a work-profile device, so 'personal-profile' is never produced here.
 */
export function appScopeOf(platform: unknown): AppScope {
  switch (platform) {
    case 'androidWorkProfile':
      return 'work-profile';
    case 'androidDeviceAdministrator':
    case 'androidDedicatedAndFullyManaged':
    case 'androidOSP':
    case 'ios':
    case 'macOS':
    case 'windows':
    case 'windowsMobile':
    case 'windowsHolographic':
    case 'chromeOS':
      return 'device';
    default:
      return 'unknown';
  }
}

/** A directory user; an account Graph does not say is enabled is taken as enabled (never invent a departure). */
export function toDirectoryUser(native: Record<string, unknown>): DirectoryUser {
  const externalId = stringOf(native.id);
  if (!externalId) throw new MdmError('invalid', 'Graph listed a user without an id');
  return {
    externalId,
    principalName: stringOf(native.userPrincipalName),
    displayName: stringOf(native.displayName),
    enabled: native.accountEnabled !== false,
  };
}
