// Jamf Pro's wire format -> Warden's model: pure functions over the types generated from the reference OpenAPI
// document. Input is untrusted JSON, so every reader falls back to null or 'unknown' rather than guessing.
// Mobile devices and computers are numbered apart in Jamf, so external ids carry their kind: `mobile:12`,
// `computer:12`.
import type { AppScope, EnrollmentMode, NormalizedDevice, Ownership, Platform } from '../connector';
import { MdmError } from '../errors';
import type { components } from './api-types';

type Schemas = components['schemas'];
export type MobileInventory = Schemas['MobileDeviceIosInventory'];
export type ComputerInventory = Schemas['ComputerInventory'];
type OwnershipType = NonNullable<Schemas['MobileDeviceGeneral']['deviceOwnershipType']>;

/** The sections listDevices reads; nothing else is fetched. */
export const MOBILE_SECTIONS = ['GENERAL', 'HARDWARE', 'SECURITY', 'USER_AND_LOCATION'] as const;
export const COMPUTER_SECTIONS = ['GENERAL', 'HARDWARE', 'OPERATING_SYSTEM', 'USER_AND_LOCATION'] as const;

export type DeviceRef = { kind: 'mobile' | 'computer'; id: string };

export function externalIdOf(ref: DeviceRef): string {
  return `${ref.kind}:${ref.id}`;
}

export function parseExternalId(externalId: string): DeviceRef {
  const match = /^(mobile|computer):(\d+)$/.exec(externalId);
  if (!match) throw new MdmError('invalid', `not a Jamf device id: ${JSON.stringify(externalId)}`);
  return { kind: match[1] as DeviceRef['kind'], id: match[2]! };
}

function stringOf(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

function booleanOf(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

export function dateOf(value: unknown): Date | null {
  const text = stringOf(value);
  if (!text) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * Who owns a mobile device, from how it was enrolled: Institutional and account-driven Device Enrollment are
 * the organisation's; User Enrollment (profile-based or account-driven) and Jamf's personal device profiles
 * are BYOD.
 */
export function ownershipOf(type: unknown): Ownership {
  switch (type as OwnershipType) {
    case 'Institutional':
    case 'AccountDrivenDeviceEnrollment':
      return 'company';
    case 'UserEnrollment':
    case 'AccountDrivenUserEnrollment':
    case 'PersonalDeviceProfile':
      return 'personal';
    default:
      return 'unknown';
  }
}

/** Apple User Enrollment (a separate managed volume) vs any other MDM enrolment of the whole device. */
export function enrollmentModeOf(type: unknown): EnrollmentMode {
  switch (type as OwnershipType) {
    case 'UserEnrollment':
    case 'AccountDrivenUserEnrollment':
      return 'user-enrollment';
    case 'Institutional':
    case 'AccountDrivenDeviceEnrollment':
    case 'PersonalDeviceProfile':
      return 'device';
    default:
      return 'unknown';
  }
}

export function mobilePlatformOf(deviceType: unknown): Platform {
  // iPhones and iPads are deviceType "iOS"; Apple TVs, watches and Vision Pro are not phones Warden governs.
  return typeof deviceType === 'string' && deviceType.toLowerCase() === 'ios' ? 'ios' : 'other';
}

/** FileVault: all or the boot volume encrypted is encrypted; none is not; anything else is not known. */
export function fileVaultOf(status: unknown): boolean | null {
  if (status === 'ALL_ENCRYPTED' || status === 'BOOT_ENCRYPTED') return true;
  if (status === 'NOT_ENCRYPTED') return false;
  return null;
}

/**
 * Where an app sits. Apple has no work profile; its boundary is between managed apps (installed by the MDM:
 * their data is in managed containers, governed by managed open-in and the managed pasteboard, removed when
 * the device is unmanaged; on User Enrollment on a separate managed volume) and the rest of the device. A
 * managed app is therefore reported on the managed, work side ('work-profile', the nearest AppScope); an
 * unmanaged one is 'device' (the personal side of an iPhone, which Apple reports device-wide).
 */
export function appScopeOf(managementStatus: unknown): AppScope {
  const status = stringOf(managementStatus)?.toLowerCase();
  if (status === 'managed') return 'work-profile';
  if (status === 'unmanaged') return 'device';
  return 'unknown';
}

export function mobileToNormalized(record: MobileInventory): NormalizedDevice {
  const id = stringOf(record.mobileDeviceId);
  if (!id) throw new MdmError('invalid', 'Jamf Pro listed a mobile device without an id');
  const { general = {}, hardware = {}, security = {}, userAndLocation = {} } = record;
  return {
    externalId: externalIdOf({ kind: 'mobile', id }),
    name: stringOf(general.displayName),
    platform: mobilePlatformOf(record.deviceType),
    osVersion: stringOf(general.osVersion),
    model: stringOf(hardware.model),
    manufacturer: 'Apple',
    serialNumber: stringOf(hardware.serialNumber),
    ownership: ownershipOf(general.deviceOwnershipType),
    enrollmentMode: enrollmentModeOf(general.deviceOwnershipType),
    supervised: booleanOf(general.supervised),
    encrypted: booleanOf(security.dataProtected),
    jailbroken: booleanOf(security.jailBreakDetected),
    // Jamf Pro keeps no compliance verdict for mobile devices (its Intune/Entra integration is a separate product).
    compliance: 'unknown',
    managementState: managementStateOf(general.managed),
    user: {
      // Jamf has no directory Warden can read (see the connector's listUsers): the username is the principal.
      externalId: null,
      principalName: stringOf(userAndLocation.username),
      displayName: stringOf(userAndLocation.realName),
      email: stringOf(userAndLocation.emailAddress),
    },
    enrolledAt: dateOf(general.lastEnrolledDate),
    lastCheckInAt: dateOf(general.lastInventoryUpdateDate),
    native: record as Record<string, unknown>,
  };
}

export function computerToNormalized(record: ComputerInventory): NormalizedDevice {
  const id = stringOf(record.id);
  if (!id) throw new MdmError('invalid', 'Jamf Pro listed a computer without an id');
  const { general = {}, hardware = {}, operatingSystem = {}, userAndLocation = {} } = record;
  return {
    externalId: externalIdOf({ kind: 'computer', id }),
    name: stringOf(general.name),
    platform: 'macos',
    osVersion: stringOf(operatingSystem.version),
    model: stringOf(hardware.model),
    manufacturer: stringOf(hardware.make) ?? 'Apple',
    serialNumber: stringOf(hardware.serialNumber),
    // Automated Device Enrollment means the organisation bought it through Apple Business Manager; otherwise
    // Jamf's computer inventory says nothing about ownership.
    ownership: general.enrolledViaAutomatedDeviceEnrollment === true ? 'company' : 'unknown',
    enrollmentMode: 'device',
    supervised: booleanOf(general.supervised),
    encrypted: fileVaultOf(operatingSystem.fileVault2Status),
    jailbroken: null,
    compliance: 'unknown',
    managementState: managementStateOf(general.remoteManagement?.managed),
    user: {
      externalId: null,
      principalName: stringOf(userAndLocation.username),
      displayName: stringOf(userAndLocation.realname),
      email: stringOf(userAndLocation.email),
    },
    enrolledAt: dateOf(general.lastEnrolledDate),
    lastCheckInAt: dateOf(general.lastContactTime) ?? dateOf(general.reportDate),
    native: record as Record<string, unknown>,
  };
}

function managementStateOf(managed: unknown): string | null {
  return managed === true ? 'managed' : managed === false ? 'unmanaged' : null;
}
