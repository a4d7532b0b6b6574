/**
 * The seeded fleet generator. One pass decides, per user and device, only the facts that must be
 * known up front (which profile, hardware, compliance, dates, which detected apps) and keeps them in
 * typed arrays (about 40 bytes per device); every string (ids, names, serials) is re-derived on demand
 * from (seed, index) by buildDevice/buildUser. 100,000 devices generate in well under a second and
 * the same seed and reference time always give the same fleet.
 */
import { createHash } from 'node:crypto';
import {
  APP_PRODUCTS,
  type AppProduct,
  appFamilyOf,
  DEVICE_PROFILES,
  type DeviceProfile,
  type ProfileKey,
} from './catalog';
import { hash32, IndexedGuids, Rng } from './random';
import type { DetectedAppPlatformType } from './types';

export interface FleetOptions {
  devices: number;
  seed: number;
  referenceTime: Date;
}

/** One detectedApp entry of the catalogue: a product on one platform at one version. */
export interface CatalogApp {
  id: string;
  displayName: string;
  version: string;
  publisher: string;
  platform: DetectedAppPlatformType;
  sizeInByte: number;
}

export type UserStatus = 'active' | 'disabled' | 'deleted';
export const USER_STATUSES: readonly UserStatus[] = ['active', 'disabled', 'deleted'];
export const COMPLIANCE_TRAITS = ['compliant', 'noncompliant', 'inGracePeriod', 'unknown'] as const;

/** Bits of Fleet.deviceFlags. */
export const FLAG = { unencrypted: 1, jailbroken: 2, jailbreakUnknown: 4, stale: 8, hasNotes: 16 } as const;

const DAY = 86_400;
const STALE_RATE = 0.06;
/** Intune's default "compliance status validity period": devices silent for longer turn noncompliant. */
const COMPLIANCE_VALIDITY_DAYS = 30;

export const SALT = { user: 0x05e1, device: 0xde71, deviceGuid: 0x6d01, userGuid: 0x6e02, aadGuid: 0x6f03 } as const;

export class Fleet {
  readonly deviceCount: number;
  readonly userCount: number;
  readonly seed: number;
  readonly referenceMs: number;
  /** Catalogue of every detectedApp entry any device can report, and how many base devices report it. */
  readonly apps: CatalogApp[] = [];
  readonly baseAppDeviceCounts: Int32Array;

  // Per device.
  readonly deviceUser: Uint32Array;
  readonly deviceProfile: Uint8Array;
  readonly deviceHardware: Uint8Array;
  readonly deviceOs: Uint8Array;
  readonly deviceFlags: Uint8Array;
  readonly deviceCompliance: Uint8Array;
  readonly deviceEnrolledAgo: Uint32Array;
  readonly deviceSyncAgo: Uint32Array;
  /** CSR layout: the apps of device d are appEntries[appOffsets[d] .. appOffsets[d+1]). */
  readonly appOffsets: Uint32Array;
  readonly appEntries: Uint16Array;
  // Per user.
  readonly userFirstDevice: Uint32Array;
  readonly userStatus: Uint8Array;
  readonly userCreatedAgo: Uint32Array;

  readonly deviceGuids: IndexedGuids;
  readonly userGuids: IndexedGuids;
  readonly aadDeviceGuids: IndexedGuids;

  private readonly appIndexById = new Map<string, number>();
  private readonly devicesByApp = new Map<number, Uint32Array>();

  constructor(options: FleetOptions) {
    const n = Math.max(0, Math.floor(options.devices));
    this.deviceCount = n;
    this.seed = options.seed >>> 0;
    this.referenceMs = Math.floor(options.referenceTime.getTime() / 1000) * 1000;
    this.deviceGuids = new IndexedGuids(hash32(this.seed, SALT.deviceGuid));
    this.userGuids = new IndexedGuids(hash32(this.seed, SALT.userGuid));
    this.aadDeviceGuids = new IndexedGuids(hash32(this.seed, SALT.aadGuid));
    const appTable = buildAppCatalogue(this.apps);
    for (const [index, app] of this.apps.entries()) this.appIndexById.set(app.id, index);
    this.baseAppDeviceCounts = new Int32Array(this.apps.length);

    this.deviceUser = new Uint32Array(n);
    this.deviceProfile = new Uint8Array(n);
    this.deviceHardware = new Uint8Array(n);
    this.deviceOs = new Uint8Array(n);
    this.deviceFlags = new Uint8Array(n);
    this.deviceCompliance = new Uint8Array(n);
    this.deviceEnrolledAgo = new Uint32Array(n);
    this.deviceSyncAgo = new Uint32Array(n);
    this.appOffsets = new Uint32Array(n + 1);
    // Users own 1-3 devices, so there are at most n users.
    const firstDevice = new Uint32Array(n + 1);
    const status = new Uint8Array(n);
    const createdAgo = new Uint32Array(n);
    let entries = new Uint16Array(Math.max(16, n * 8));
    let entryCount = 0;

    let device = 0;
    let user = 0;
    const rarePhase = hash32(this.seed, 0x7a7e) % 1000;
    const profileSeen = new Uint32Array(DEVICE_PROFILES.length);
    while (device < n) {
      const rng = new Rng(hash32(this.seed, user, SALT.user));
      // Rare traits follow a seeded stride rather than a coin flip, so even a 200-device demo fleet has
      // departed users (alternately disabled and deleted) and the shares stay exact at any size.
      const departed = (user + rarePhase) % DEPARTED_USER_STRIDE === 0;
      status[user] = departed ? 1 + (Math.floor((user + rarePhase) / DEPARTED_USER_STRIDE) % 2) : 0;
      const owned = Math.min(n - device, rng.weighted(DEVICES_PER_USER));
      firstDevice[user] = device;
      let oldestEnrollment = 0;
      for (let slot = 0; slot < owned; slot++, device++) {
        this.deviceUser[device] = user;
        const profileIndex = rng.weighted(SLOT_PROFILES[Math.min(slot, 2)] ?? []);
        const profile = DEVICE_PROFILES[profileIndex] as DeviceProfile;
        this.deviceProfile[device] = profileIndex;
        this.deviceHardware[device] = rng.int(0, profile.hardware.length - 1);
        this.deviceOs[device] = rng.weighted(OS_WEIGHTS[profileIndex] ?? []);
        this.generateHealth(device, profile, departed, (device + rarePhase) % JAILBREAK_STRIDE === 0, rng);
        oldestEnrollment = Math.max(oldestEnrollment, this.deviceEnrolledAgo[device] ?? 0);
        // Detected apps.
        this.appOffsets[device] = entryCount;
        if (entries.length < entryCount + APP_PRODUCTS.length) {
          const grown = new Uint16Array(entries.length * 2);
          grown.set(entries);
          entries = grown;
        }
        const profileOrdinal = profileSeen[profileIndex] ?? 0;
        profileSeen[profileIndex] = profileOrdinal + 1;
        entryCount = drawApps(profile, profileOrdinal, rng, appTable, entries, entryCount);
        for (let e = this.appOffsets[device] ?? 0; e < entryCount; e++) {
          const appIndex = entries[e] ?? 0;
          this.baseAppDeviceCounts[appIndex] = (this.baseAppDeviceCounts[appIndex] ?? 0) + 1;
        }
      }
      createdAgo[user] = oldestEnrollment + rng.int(1, 400) * DAY;
      user++;
    }
    this.appOffsets[n] = entryCount;
    firstDevice[user] = n;
    this.userCount = user;
    this.userFirstDevice = firstDevice.slice(0, user + 1);
    this.userStatus = status.slice(0, user);
    this.userCreatedAgo = createdAgo.slice(0, user);
    this.appEntries = entries.slice(0, entryCount);
  }

  deviceIdOf(index: number): string {
    return this.deviceGuids.guidOf(index);
  }

  deviceIndexOf(id: string): number | undefined {
    return this.deviceGuids.indexOf(id, this.deviceCount);
  }

  userIdOf(index: number): string {
    return this.userGuids.guidOf(index);
  }

  userIndexOf(id: string): number | undefined {
    return this.userGuids.indexOf(id, this.userCount);
  }

  profileOf(device: number): DeviceProfile {
    return DEVICE_PROFILES[this.deviceProfile[device] ?? 0] as DeviceProfile;
  }

  appsOfDevice(device: number): Uint16Array {
    return this.appEntries.subarray(this.appOffsets[device], this.appOffsets[device + 1]);
  }

  appIndexOf(id: string): number | undefined {
    return this.appIndexById.get(id);
  }

  /** Base devices reporting a catalogue app (an inverted index built on first use, then cached). */
  devicesWithApp(appIndex: number): Uint32Array {
    let devices = this.devicesByApp.get(appIndex);
    if (!devices) {
      devices = new Uint32Array(this.baseAppDeviceCounts[appIndex] ?? 0);
      let found = 0;
      for (let d = 0; d < this.deviceCount; d++) {
        const end = this.appOffsets[d + 1] ?? 0;
        for (let e = this.appOffsets[d] ?? 0; e < end; e++) {
          if (this.appEntries[e] === appIndex) devices[found++] = d;
        }
      }
      this.devicesByApp.set(appIndex, devices);
    }
    return devices;
  }

  private generateHealth(device: number, profile: DeviceProfile, departed: boolean, rootSlot: boolean, rng: Rng) {
    let flags = 0;
    if (rng.chance(profile.unencryptedRate)) flags |= FLAG.unencrypted;
    // Intune cannot evaluate jailbreak state on desktops; a few phones have not reported it yet.
    const desktop = profile.operatingSystem === 'Windows' || profile.operatingSystem === 'macOS';
    if (desktop || rng.chance(0.01)) flags |= FLAG.jailbreakUnknown;
    else if (profile.jailbreakRate > 0 && (rootSlot || rng.chance(profile.jailbreakRate))) flags |= FLAG.jailbroken;
    // Devices of people who left mostly stop checking in.
    const stale = rng.chance(departed ? 0.6 : STALE_RATE);
    if (stale) flags |= FLAG.stale;
    if (rng.chance(0.03)) flags |= FLAG.hasNotes;
    const syncAgo = stale ? rng.int(21 * DAY, 120 * DAY) : rng.int(60, 3 * DAY);
    const enrolledAgo = syncAgo + rng.int(2 * DAY, 900 * DAY);
    let compliance: number;
    if (flags & (FLAG.unencrypted | FLAG.jailbroken)) compliance = 1;
    else if (syncAgo > COMPLIANCE_VALIDITY_DAYS * DAY) compliance = 1;
    else compliance = rng.weighted(COMPLIANCE_DRAW);
    this.deviceFlags[device] = flags;
    this.deviceCompliance[device] = compliance;
    this.deviceSyncAgo[device] = syncAgo;
    this.deviceEnrolledAgo[device] = enrolledAgo;
  }
}

const DEVICES_PER_USER = [
  [1, 55],
  [2, 33],
  [3, 12],
] as const;
/** Every 33rd user has left the organisation (about 3 %); every 97th device has a root or jailbreak slot. */
const DEPARTED_USER_STRIDE = 33;
const JAILBREAK_STRIDE = 97;
const OS_WEIGHTS = DEVICE_PROFILES.map((profile) =>
  profile.osVersions.map(([, weight], index) => [index, weight] as const),
);
/** Index into COMPLIANCE_TRAITS for devices with no hard failure: most pass, some fail other rules. */
const COMPLIANCE_DRAW = [
  [0, 93],
  [1, 4],
  [2, 2],
  [3, 1],
] as const;

function profileWeights(filter: (key: ProfileKey) => boolean, scale = 1): (readonly [number, number])[] {
  return DEVICE_PROFILES.flatMap((profile, index) =>
    filter(profile.key) ? [[index, profile.weight * scale] as const] : [],
  );
}
const isComputer = (key: ProfileKey) => key === 'windows' || key === 'macOS';
const isPhone = (key: ProfileKey) => !isComputer(key) && key !== 'ipadSupervised';
/** A person's first device is usually a phone, the second a laptop, the third a tablet or spare phone. */
const SLOT_PROFILES: readonly (readonly (readonly [number, number])[])[] = [
  [...profileWeights(isPhone), ...profileWeights(isComputer, 0.3)],
  [...profileWeights(isComputer, 4), ...profileWeights(isPhone, 0.5)],
  [...profileWeights((key) => key === 'ipadSupervised', 10), ...profileWeights(isPhone, 0.5)],
];

/** Per app platform: the products reported there, each with its versions' catalogue indexes and weights. */
type AppTable = Map<DetectedAppPlatformType, [AppProduct, (readonly [number, number])[]][]>;

function buildAppCatalogue(apps: CatalogApp[]): AppTable {
  const table: AppTable = new Map();
  const platforms = [...new Set(DEVICE_PROFILES.map((p) => p.appPlatform))];
  for (const product of APP_PRODUCTS) {
    for (const platform of platforms) {
      const family = appFamilyOf(platform);
      const displayName = family ? product.names[family] : undefined;
      if (!displayName) continue;
      const versions: (readonly [number, number])[] = [];
      for (const [version, weight] of product.versions) {
        versions.push([apps.length, weight]);
        apps.push({
          id: detectedAppId(platform, displayName, version),
          displayName,
          version,
          publisher: product.publisher,
          platform,
          sizeInByte: product.sizeInByte,
        });
      }
      const products = table.get(platform) ?? [];
      products.push([product, versions]);
      table.set(platform, products);
    }
  }
  return table;
}

/**
 * Appends the device's detected apps to `entries` and returns the new length. Personal devices report
 * managed apps only; a personal work profile also reports the consumer apps installed inside it, which
 * happens on every (1 / workProfileRate)-th work profile so that small fleets have some too.
 */
function drawApps(
  profile: DeviceProfile,
  profileOrdinal: number,
  rng: Rng,
  table: AppTable,
  entries: Uint16Array,
  length: number,
): number {
  let next = length;
  for (const [product, versions] of table.get(profile.appPlatform) ?? []) {
    let present: boolean;
    if (profile.fullInventory || product.managed) present = rng.chance(product.prevalence);
    else if (profile.appPlatform === 'androidWorkProfile' && product.workProfileRate) {
      present = profileOrdinal % Math.round(1 / product.workProfileRate) === 1;
    } else present = false;
    if (present) entries[next++] = rng.weighted(versions);
  }
  return next;
}

/**
 * Real detectedApp ids are opaque hex hashes of the app's identity, the same in every tenant; this one
 * hashes (platform, name, version) the same way.
 */
export function detectedAppId(platform: string, displayName: string, version: string): string {
  return createHash('sha256').update(`${platform}\n${displayName}\n${version}`).digest('hex').slice(0, 44);
}
