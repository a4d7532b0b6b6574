/**
 * Turns the fleet's compact per-index facts into full Graph entities: a managedDevice with every
 * v1.0 property, and a directory user. Every string is derived from (seed, index), so building the
 * same index twice gives the same object and nothing has to be kept in memory between requests.
 */
import {
  CARRIERS,
  COMPANY_NAME,
  DEPARTMENTS,
  type DeviceProfile,
  GIVEN_NAMES,
  type HardwareModel,
  MAIL_DOMAIN,
  OFFICES,
  SURNAMES,
} from './catalog';
import { COMPLIANCE_TRAITS, FLAG, type Fleet, SALT, USER_STATUSES, type UserStatus } from './fleet';
import { hash32, Rng } from './random';
import type { DirectoryUser, ManagedDevice } from './types';

/** Graph's "no value" DateTimeOffset, used by Intune for EAS dates of devices never seen by Exchange. */
export const MIN_DATE = '0001-01-01T00:00:00Z';
/** What Intune answers as complianceGracePeriodExpirationDateTime when no grace period is running. */
export const NO_GRACE_PERIOD = '9999-12-31T23:59:59Z';
const DAY_MS = 86_400_000;
const GIB = 1024 ** 3;

/** ISO 8601 in UTC with whole seconds, the way Intune serialises its dates. */
export function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

interface UserName {
  givenName: string;
  surname: string;
  alias: string;
}

/** A bijection from user index to (given name, surname, number), so UPNs never collide. */
export function userNameOf(fleet: Fleet, user: number): UserName {
  const combinations = GIVEN_NAMES.length * SURNAMES.length;
  const multiplier = coprimeMultiplier(combinations);
  const offset = hash32(fleet.seed, 0x4e41) % combinations;
  const slot = ((((user % combinations) * multiplier) % combinations) + offset) % combinations;
  const givenIndex = slot % GIVEN_NAMES.length;
  const surnameIndex = Math.floor(slot / GIVEN_NAMES.length);
  const givenName = GIVEN_NAMES[givenIndex] as string;
  const surname = SURNAMES[surnameIndex] as string;
  const round = Math.floor(user / combinations);
  const alias = `${GIVEN_MAIL_PARTS[givenIndex]}.${SURNAME_MAIL_PARTS[surnameIndex]}${round > 0 ? round + 1 : ''}`;
  return { givenName, surname, alias };
}

function coprimeMultiplier(modulus: number): number {
  let candidate = 7919;
  while (gcd(candidate, modulus) !== 1) candidate += 2;
  return candidate;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function mailPart(name: string): string {
  return name
    .normalize('NFD')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '');
}

const GIVEN_MAIL_PARTS = GIVEN_NAMES.map(mailPart);
const SURNAME_MAIL_PARTS = SURNAMES.map(mailPart);

export function userStatusOf(fleet: Fleet, user: number): UserStatus {
  return USER_STATUSES[fleet.userStatus[user] ?? 0] ?? 'active';
}

export function buildUser(fleet: Fleet, user: number): DirectoryUser {
  const { givenName, surname, alias } = userNameOf(fleet, user);
  const rng = new Rng(hash32(fleet.seed, user, SALT.user, 2));
  const [department, titles] = rng.pick(DEPARTMENTS);
  const [city, country, usageLocation, language] = rng.pick(OFFICES);
  const mail = `${alias}@${MAIL_DOMAIN}`;
  return {
    id: fleet.userIdOf(user),
    accountEnabled: userStatusOf(fleet, user) === 'active',
    businessPhones: rng.chance(0.5) ? [`+44 20 7946 ${rng.digits(4)}`] : [],
    city,
    companyName: COMPANY_NAME,
    country,
    createdDateTime: isoSeconds(fleet.referenceMs - (fleet.userCreatedAgo[user] ?? 0) * 1000),
    department,
    displayName: `${givenName} ${surname}`,
    employeeId: `E${String(100000 + user)}`,
    givenName,
    jobTitle: rng.pick(titles),
    mail,
    mailNickname: alias,
    mobilePhone: rng.chance(0.6) ? `+44 7700 9${rng.digits(5)}` : null,
    officeLocation: city,
    preferredLanguage: language,
    surname,
    usageLocation,
    userPrincipalName: mail,
    userType: 'Member',
  };
}

/** The complete managedDevice for a base index, select-only properties included (the caller masks them). */
export function buildDevice(fleet: Fleet, device: number): ManagedDevice {
  const profile = fleet.profileOf(device);
  const hardware = profile.hardware[fleet.deviceHardware[device] ?? 0] as HardwareModel;
  const osVersion = profile.osVersions[fleet.deviceOs[device] ?? 0]?.[0] ?? '';
  const flags = fleet.deviceFlags[device] ?? 0;
  const user = fleet.deviceUser[device] ?? 0;
  const { givenName, surname, alias } = userNameOf(fleet, user);
  const rng = new Rng(hash32(fleet.seed, device, SALT.device));
  const now = fleet.referenceMs;
  const enrolledMs = now - (fleet.deviceEnrolledAgo[device] ?? 0) * 1000;
  const lastSyncMs = now - (fleet.deviceSyncAgo[device] ?? 0) * 1000;
  const compliance = COMPLIANCE_TRAITS[fleet.deviceCompliance[device] ?? 0] ?? 'compliant';
  const apple = hardware.manufacturer === 'Apple';
  const android = profile.operatingSystem === 'Android';
  const phone = hardware.cellular && !profile.hidesIdentifiers;
  const managedName = `${alias}_${profile.nameTag}_${intuneNameDate(enrolledMs)}`;
  const totalStorage = Math.round((rng.pick(hardware.storageGb) * GIB * rng.int(88, 94)) / 100);

  let grace = NO_GRACE_PERIOD;
  if (compliance === 'inGracePeriod') grace = isoSeconds(now + rng.int(1, 72) * 3_600_000);
  if (compliance === 'noncompliant') grace = isoSeconds(now - rng.int(1, 30) * DAY_MS);

  let jailBroken = flags & FLAG.jailbroken ? 'True' : 'False';
  if (flags & FLAG.jailbreakUnknown) jailBroken = 'Unknown';

  return {
    id: fleet.deviceIdOf(device),
    activationLockBypassCode: profile.supervised && apple ? activationLockCode(rng) : null,
    androidSecurityPatchLevel: android ? securityPatchLevel(osVersion, rng) : null,
    azureADDeviceId: fleet.aadDeviceGuids.guidOf(device),
    azureADRegistered: true,
    complianceGracePeriodExpirationDateTime: grace,
    complianceState: compliance,
    configurationManagerClientEnabledFeatures: null,
    deviceActionResults: [],
    deviceCategoryDisplayName:
      profile.ownerType === 'company' && rng.chance(0.3) ? 'Corporate Standard' : 'Unknown Category',
    deviceEnrollmentType: profile.enrollmentType,
    deviceHealthAttestationState: null,
    deviceName: deviceNameOf(profile, hardware, givenName, managedName, rng),
    deviceRegistrationState: 'registered',
    easActivated: false,
    easActivationDateTime: MIN_DATE,
    easDeviceId: rng.hex(32).toUpperCase(),
    emailAddress: `${alias}@${MAIL_DOMAIN}`,
    enrolledDateTime: isoSeconds(enrolledMs),
    enrollmentProfileName: profile.enrollmentProfileName,
    ethernetMacAddress: profile.operatingSystem === 'Windows' && rng.chance(0.4) ? rng.hex(12).toUpperCase() : null,
    exchangeAccessState: 'none',
    exchangeAccessStateReason: 'none',
    exchangeLastSuccessfulSyncDateTime: MIN_DATE,
    freeStorageSpaceInBytes: Math.round((totalStorage * rng.int(5, 70)) / 100),
    iccid: phone ? luhnComplete(`8944${rng.digits(15)}`) : null,
    imei: phone ? luhnComplete(`35${rng.digits(12)}`) : '',
    isEncrypted: (flags & FLAG.unencrypted) === 0,
    isSupervised: profile.supervised,
    jailBroken,
    lastSyncDateTime: isoSeconds(lastSyncMs),
    managedDeviceName: managedName,
    managedDeviceOwnerType: profile.ownerType,
    managementAgent: profile.managementAgent,
    managementCertificateExpirationDate: isoSeconds(
      enrolledMs + Math.ceil((now - enrolledMs + 1) / (365 * DAY_MS)) * 365 * DAY_MS,
    ),
    managementState: 'managed',
    manufacturer: hardware.manufacturer,
    meid: '',
    model: hardware.model,
    notes: flags & FLAG.hasNotes ? rng.pick(NOTES) : null,
    operatingSystem: profile.operatingSystem,
    osVersion,
    partnerReportedThreatState: 'unknown',
    phoneNumber: phone && profile.ownerType === 'company' && rng.chance(0.5) ? `+44 7700 9${rng.digits(5)}` : '',
    physicalMemoryInBytes: hardware.memoryGb * GIB,
    remoteAssistanceSessionErrorDetails: null,
    remoteAssistanceSessionUrl: null,
    requireUserEnrollmentApproval: null,
    serialNumber: profile.hidesIdentifiers ? '' : serialNumberOf(hardware, rng),
    subscriberCarrier: phone ? rng.pick(CARRIERS) : '',
    totalStorageSpaceInBytes: totalStorage,
    udid: apple && !profile.hidesIdentifiers ? `00008${rng.int(100, 130)}-${rng.hex(16).toUpperCase()}` : null,
    userDisplayName: `${givenName} ${surname}`,
    userId: fleet.userIdOf(user),
    userPrincipalName: `${alias}@${MAIL_DOMAIN}`,
    wiFiMacAddress: rng.hex(12),
  };
}

const NOTES = [
  'Loaner pool device',
  'Replacement for cracked screen',
  'Shared by the front desk',
  'Board member device',
];

function deviceNameOf(
  profile: DeviceProfile,
  hardware: HardwareModel,
  givenName: string,
  managedName: string,
  rng: Rng,
) {
  switch (profile.operatingSystem) {
    case 'Android':
      // Android Enterprise names devices after the enrollment unless the user renames them.
      return managedName;
    case 'Windows':
      return rng.chance(0.8) ? `CONTOSO-${rng.chars(ALNUM, 7)}` : `DESKTOP-${rng.chars(ALNUM, 7)}`;
    case 'macOS':
      return `${givenName}'s ${hardware.family}`;
    default:
      return rng.chance(0.7) ? `${givenName}'s ${hardware.family}` : hardware.family;
  }
}

const ALNUM = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';
const APPLE_SERIAL = 'BCDFGHJKLMNPQRTVWXYZ0123456789';

function serialNumberOf(hardware: HardwareModel, rng: Rng): string {
  switch (hardware.manufacturer) {
    case 'Apple':
      return rng.chars(APPLE_SERIAL, 10);
    case 'samsung':
      return `R${rng.int(3, 5)}C${rng.chars(ALNUM, 8)}`;
    case 'LENOVO':
      return `PF${rng.chars(ALNUM, 6)}`;
    case 'Dell Inc.':
      return rng.chars(ALNUM, 7);
    case 'HP':
      return `5CG${rng.digits(3)}${rng.chars(ALNUM, 4)}`;
    case 'Zebra Technologies':
      return rng.digits(14);
    default:
      return rng.chars(ALNUM, 12);
  }
}

const PATCH_LEVELS: Record<string, readonly string[]> = {
  '12': ['2023-09-01', '2024-01-01'],
  '13': ['2024-03-01', '2024-06-01'],
  '14': ['2024-08-01', '2024-10-01'],
  '15': ['2024-11-01', '2024-12-01'],
};

function securityPatchLevel(osVersion: string, rng: Rng): string {
  return rng.pick(PATCH_LEVELS[osVersion] ?? ['2024-01-01']);
}

function activationLockCode(rng: Rng): string {
  return Array.from({ length: 6 }, () => rng.chars(ALNUM, 5)).join('-');
}

/** "5/15/2024_9:04 AM": the date format Intune uses in managedDeviceName. */
function intuneNameDate(ms: number): string {
  const date = new Date(ms);
  const hours = date.getUTCHours();
  const minutes = String(date.getUTCMinutes()).padStart(2, '0');
  const twelve = hours % 12 === 0 ? 12 : hours % 12;
  const day = `${date.getUTCMonth() + 1}/${date.getUTCDate()}/${date.getUTCFullYear()}`;
  return `${day}_${twelve}:${minutes} ${hours < 12 ? 'AM' : 'PM'}`;
}

/** Appends the Luhn check digit (IMEI and ICCID both use it). */
function luhnComplete(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let value = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      value *= 2;
      if (value > 9) value -= 9;
    }
    sum += value;
  }
  return `${digits}${(10 - (sum % 10)) % 10}`;
}
