/**
 * The seeded Android fleet: work-profile personal phones (PROFILE_OWNER, PERSONALLY_OWNED) and fully managed
 * company phones (DEVICE_OWNER, COMPANY_OWNED), with hardware, Android versions, encryption, security posture,
 * check-in dates and installed apps. Rare traits (messengers inside the work profile, compromised devices,
 * devices on the minimal policy) follow seeded strides rather than coin flips, so even a small fleet has
 * some and the same seed and reference time always give the same fleet.
 */
import { hash32, Rng } from '../graph/random';

export type ManagementMode = 'PROFILE_OWNER' | 'DEVICE_OWNER';
export type DeviceOwnership = 'PERSONALLY_OWNED' | 'COMPANY_OWNED';
/** Where an app is installed: the work profile, the personal side of a work-profile phone, or a managed device. */
export type AppLocation = 'work-profile' | 'personal' | 'device';

export interface InstalledApp {
  packageName: string;
  displayName: string;
  versionName: string;
  versionCode: number;
  location: AppLocation;
}

/** Everything the emulator knows of one device; device.ts renders the API's view of it. */
export interface SimDevice {
  id: string;
  userId: string;
  managementMode: ManagementMode;
  ownership: DeviceOwnership;
  policyId: string;
  state: 'ACTIVE' | 'DISABLED' | 'DELETED';
  brand: string;
  manufacturer: string;
  model: string;
  hardware: string;
  serialNumber: string;
  androidVersion: string;
  apiLevel: number;
  securityPatchLevel: string;
  encrypted: boolean;
  /** null: the device has not reported a posture yet. */
  posture: 'SECURE' | 'AT_RISK' | 'POTENTIALLY_COMPROMISED' | null;
  /** A password that does not meet the policy (a non-compliance of its own). */
  weakPassword: boolean;
  enrollmentMs: number;
  lastStatusReportMs: number;
  apps: InstalledApp[];
}

export const MESSENGERS = {
  whatsapp: { packageName: 'com.whatsapp', displayName: 'WhatsApp', versionName: '2.25.4.76', versionCode: 252476 },
  messenger: {
    packageName: 'com.facebook.orca',
    displayName: 'Messenger',
    versionName: '497.0.0.45.109',
    versionCode: 3214120,
  },
  telegram: {
    packageName: 'org.telegram.messenger',
    displayName: 'Telegram',
    versionName: '11.7.0',
    versionCode: 56701,
  },
} as const;

const WORK_APPS = [
  { packageName: 'com.google.android.gm', displayName: 'Gmail', versionName: '2025.01.26', versionCode: 64381 },
  { packageName: 'com.microsoft.teams', displayName: 'Microsoft Teams', versionName: '1416/1.0.0', versionCode: 2025 },
  {
    packageName: 'com.google.android.apps.docs',
    displayName: 'Google Drive',
    versionName: '2.25.050',
    versionCode: 44901,
  },
] as const;

const HARDWARE = [
  { brand: 'google', manufacturer: 'Google', model: 'Pixel 8', hardware: 'shiba' },
  { brand: 'google', manufacturer: 'Google', model: 'Pixel 7a', hardware: 'lynx' },
  { brand: 'samsung', manufacturer: 'samsung', model: 'SM-S921B', hardware: 's5e9945' },
  { brand: 'samsung', manufacturer: 'samsung', model: 'SM-A546B', hardware: 's5e8835' },
  { brand: 'motorola', manufacturer: 'motorola', model: 'moto g84 5G', hardware: 'qcom' },
] as const;

const ANDROID = [
  { version: '15', apiLevel: 35, weight: 4 },
  { version: '14', apiLevel: 34, weight: 4 },
  { version: '13', apiLevel: 33, weight: 2 },
  { version: '12', apiLevel: 31, weight: 1 },
] as const;

/** Seeded policy ids (see policies.ts). */
export const POLICY_IDS = { workProfile: 'work-profile', fullyManaged: 'fully-managed', minimal: 'minimal' } as const;

const DAY_MS = 86_400_000;
/** Every Nth device is on the minimal policy (no status reports; WhatsApp blocked). */
const MINIMAL_POLICY_STRIDE = 20;
const COMPROMISED_STRIDE = 97;
const DELETED_STRIDE = 150;
const DISABLED_STRIDE = 61;

export interface FleetOptions {
  devices: number;
  seed: number;
  referenceTime: Date;
}

export function generateFleet(options: FleetOptions): SimDevice[] {
  const seed = options.seed >>> 0;
  const now = Math.floor(options.referenceTime.getTime() / 1000) * 1000;
  const phase = hash32(seed, 0x7a7e) % 1000;
  const devices: SimDevice[] = [];
  let workProfiles = 0;
  let managed = 0;
  // `devices` counts managed devices; the few DELETED ones the listing still shows come on top.
  for (let index = 0; managed < Math.max(0, Math.floor(options.devices)); index++) {
    const rng = new Rng(hash32(seed, index, 0xa17d));
    const personal = rng.chance(0.6);
    const ordinal = personal ? workProfiles++ : index - workProfiles;
    const hardware = rng.pick(HARDWARE);
    const android = rng.weighted(ANDROID.map((a) => [a, a.weight] as const));
    const minimal = (index + phase) % MINIMAL_POLICY_STRIDE === 0;
    const enrollmentMs = now - rng.int(10, 900) * DAY_MS - rng.int(0, 86_399) * 1000;
    const stale = rng.chance(0.06);
    const lastStatusReportMs = Math.max(
      enrollmentMs,
      now - (stale ? rng.int(20, 120) * DAY_MS : rng.int(0, 2 * 86_400) * 1000),
    );
    const device: SimDevice = {
      id: rng.hex(16),
      userId: rng.digits(20).replace(/^0/, '1'),
      managementMode: personal ? 'PROFILE_OWNER' : 'DEVICE_OWNER',
      ownership: personal ? 'PERSONALLY_OWNED' : 'COMPANY_OWNED',
      policyId: minimal ? POLICY_IDS.minimal : personal ? POLICY_IDS.workProfile : POLICY_IDS.fullyManaged,
      state:
        (index + phase) % DELETED_STRIDE === 7
          ? 'DELETED'
          : (index + phase) % DISABLED_STRIDE === 3
            ? 'DISABLED'
            : 'ACTIVE',
      ...hardware,
      serialNumber: rng.chars('ABCDEFGHJKLMNPQRSTUVWXYZ0123456789', 11),
      androidVersion: android.version,
      apiLevel: android.apiLevel,
      securityPatchLevel: `2025-0${rng.int(1, 2)}-01`,
      encrypted: !rng.chance(0.05),
      posture:
        (index + phase) % COMPROMISED_STRIDE === 0 ? 'POTENTIALLY_COMPROMISED' : rng.chance(0.03) ? null : 'SECURE',
      weakPassword: rng.chance(0.04),
      enrollmentMs,
      lastStatusReportMs,
      apps: [],
    };
    device.apps = drawApps(device, ordinal, minimal, rng);
    devices.push(device);
    if (device.state !== 'DELETED') managed++;
  }
  return devices;
}

/**
 * Work apps go where the company manages (the work profile, or the whole company phone). Messengers: on the
 * personal side of most work-profile phones (invisible to the API), inside the work profile on every 15th
 * (WhatsApp), 25th (Telegram) and 30th (Messenger) one, and on a few company phones. On the minimal policy,
 * which reports no apps, every third device has WhatsApp (seen only as a blocked app's non-compliance).
 */
function drawApps(device: SimDevice, ordinal: number, minimal: boolean, rng: Rng): InstalledApp[] {
  const managed: AppLocation = device.managementMode === 'PROFILE_OWNER' ? 'work-profile' : 'device';
  const apps: InstalledApp[] = WORK_APPS.filter(() => rng.chance(0.85)).map((app) => ({ ...app, location: managed }));
  const add = (app: Omit<InstalledApp, 'location'>, location: AppLocation) => apps.push({ ...app, location });
  if (minimal) {
    if (ordinal % 3 === 1) add(MESSENGERS.whatsapp, managed);
    return apps;
  }
  if (device.managementMode === 'PROFILE_OWNER') {
    if (rng.chance(0.6)) add(MESSENGERS.whatsapp, 'personal');
    if (rng.chance(0.3)) add(MESSENGERS.messenger, 'personal');
    if (ordinal % 15 === 4) add(MESSENGERS.whatsapp, 'work-profile');
    if (ordinal % 25 === 9) add(MESSENGERS.telegram, 'work-profile');
    if (ordinal % 30 === 13) add(MESSENGERS.messenger, 'work-profile');
  } else {
    if (ordinal % 12 === 5) add(MESSENGERS.whatsapp, 'device');
    if (ordinal % 20 === 11) add(MESSENGERS.messenger, 'device');
    if (ordinal % 33 === 2) add(MESSENGERS.telegram, 'device');
  }
  return apps;
}
