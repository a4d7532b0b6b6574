/**
 * The emulated Jamf Pro server's inventory: a seeded, reproducible fleet of iPhones and iPads (supervised
 * company devices, unsupervised ones, BYOD User Enrollment and legacy personal device profiles) and Macs, with
 * the consumer messengers Warden watches installed on some of them, managed or not, and the odd jailbroken,
 * unprotected or stale device. Records are Warden's own compact shape; render.ts turns them into Jamf's wire
 * format. Ids are Jamf's: small integers as strings, mobile devices and computers numbered apart.
 */
import { hash32, Rng } from '../graph/random';

export type OwnershipType =
  | 'Institutional'
  | 'PersonalDeviceProfile'
  | 'UserEnrollment'
  | 'AccountDrivenUserEnrollment'
  | 'AccountDrivenDeviceEnrollment';

export interface SimApp {
  identifier: string;
  name: string;
  version: string;
  /** Jamf's applications[].managementStatus: "Managed" (installed by MDM) or "Unmanaged". */
  managementStatus: 'Managed' | 'Unmanaged';
}

export interface SimUser {
  username: string;
  realName: string;
  email: string;
}

export interface SimMobileDevice {
  id: string;
  managementId: string;
  udid: string;
  name: string;
  serialNumber: string;
  model: string;
  modelIdentifier: string;
  osVersion: string;
  osBuild: string;
  supervised: boolean;
  ownershipType: OwnershipType;
  managed: boolean;
  dataProtected: boolean;
  jailBreakDetected: boolean;
  passcodePresent: boolean;
  lastInventoryUpdate: string;
  lastEnrolled: string;
  user: SimUser;
  apps: SimApp[];
}

export interface SimComputer {
  id: string;
  managementId: string;
  udid: string;
  name: string;
  serialNumber: string;
  model: string;
  modelIdentifier: string;
  osVersion: string;
  osBuild: string;
  supervised: boolean;
  enrolledViaAutomatedDeviceEnrollment: boolean;
  managed: boolean;
  fileVault2Status: 'ALL_ENCRYPTED' | 'NOT_ENCRYPTED' | 'BOOT_ENCRYPTED';
  lastContactTime: string;
  reportDate: string;
  lastEnrolled: string;
  user: SimUser;
}

/** The messengers Warden's policies care about, by their iOS bundle ids. */
export const MESSENGERS: readonly (SimApp & { share: number })[] = [
  {
    identifier: 'net.whatsapp.WhatsApp',
    name: 'WhatsApp',
    version: '24.20.79',
    managementStatus: 'Unmanaged',
    share: 0.35,
  },
  {
    identifier: 'com.facebook.Messenger',
    name: 'Messenger',
    version: '478.0',
    managementStatus: 'Unmanaged',
    share: 0.15,
  },
  { identifier: 'ph.telegra.Telegraph', name: 'Telegram', version: '11.2', managementStatus: 'Unmanaged', share: 0.1 },
];

const WORK_APPS: readonly SimApp[] = [
  { identifier: 'com.microsoft.Office.Outlook', name: 'Outlook', version: '4.2437.0', managementStatus: 'Managed' },
  { identifier: 'com.microsoft.skype.teams', name: 'Teams', version: '6.22.1', managementStatus: 'Managed' },
];

const MODELS = [
  { model: 'iPhone 15', modelIdentifier: 'iPhone15,4', weight: 4 },
  { model: 'iPhone 14', modelIdentifier: 'iPhone14,7', weight: 3 },
  { model: 'iPhone SE (3rd generation)', modelIdentifier: 'iPhone14,6', weight: 2 },
  { model: 'iPad (10th generation)', modelIdentifier: 'iPad13,18', weight: 1 },
] as const;

const MACS = [
  { model: 'MacBook Pro (14-inch, 2023)', modelIdentifier: 'Mac14,9' },
  { model: 'MacBook Air (M2, 2022)', modelIdentifier: 'Mac14,2' },
] as const;

const FIRST = ['Ada', 'Ben', 'Chloe', 'Dev', 'Eva', 'Finn', 'Gita', 'Hugo', 'Iris', 'Jon', 'Kemal', 'Lena'];
const LAST = ['Lovelace', 'Okafor', 'Martin', 'Patel', 'Schmidt', 'Nakamura', 'Rossi', 'Silva', 'Novak', 'Berg'];
const DAY_MS = 86_400_000;

export interface FleetOptions {
  mobileDevices: number;
  computers: number;
  seed: number;
  referenceTime: Date;
  /** Share of records Jamf keeps but no longer manages (default 0.03). */
  unmanagedShare?: number;
}

/** A stable UUID from a random stream (Jamf's managementId and udid-like values). */
function uuidFrom(rng: Rng): string {
  const hex = Array.from({ length: 4 }, () => rng.nextUint32().toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function serialFrom(rng: Rng): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';
  return Array.from({ length: 12 }, () => alphabet[rng.int(0, alphabet.length - 1)]).join('');
}

function userFrom(rng: Rng, index: number): SimUser {
  const first = rng.pick(FIRST);
  const last = rng.pick(LAST);
  const username = `${first}.${last}${index}`.toLowerCase();
  return { username, realName: `${first} ${last}`, email: `${username}@contoso.example` };
}

/** A date some days before `now`: recent for most devices, weeks old for stale ones. */
function pastDate(rng: Rng, now: number, stale: boolean): string {
  const days = stale ? rng.int(20, 90) : rng.float() * 3;
  return new Date(now - Math.round(days * DAY_MS)).toISOString();
}

export function generateMobileDevice(seed: number, index: number, now: number, unmanagedShare = 0.03): SimMobileDevice {
  const rng = new Rng(hash32(seed, 0x10b1, index));
  const ownershipType = rng.weighted<OwnershipType>([
    ['Institutional', 60],
    ['AccountDrivenUserEnrollment', 18],
    ['UserEnrollment', 8],
    ['PersonalDeviceProfile', 6],
    ['AccountDrivenDeviceEnrollment', 8],
  ]);
  const userEnrolled = ownershipType === 'UserEnrollment' || ownershipType === 'AccountDrivenUserEnrollment';
  const personal = userEnrolled || ownershipType === 'PersonalDeviceProfile';
  const model = rng.weighted(MODELS.map((m) => [m, m.weight] as const));
  const stale = rng.chance(0.08);
  const user = userFrom(rng, index);
  const apps: SimApp[] = [...WORK_APPS];
  for (const messenger of MESSENGERS) {
    if (!rng.chance(messenger.share)) continue;
    const managed = rng.chance(0.2);
    // User Enrollment lets the MDM see managed apps only: an unmanaged messenger there is invisible to Jamf.
    if (userEnrolled && !managed) continue;
    const { share: _share, ...app } = messenger;
    apps.push({ ...app, managementStatus: managed ? 'Managed' : 'Unmanaged' });
  }
  return {
    id: String(index + 1),
    managementId: uuidFrom(rng),
    udid: uuidFrom(rng).toUpperCase(),
    name: `${user.realName.split(' ')[0]}'s ${model.model.split(' ')[0]}`,
    serialNumber: serialFrom(rng),
    model: model.model,
    modelIdentifier: model.modelIdentifier,
    osVersion: rng.pick(['17.6.1', '18.0', '18.1', '18.2']),
    osBuild: rng.pick(['21G93', '22A3354', '22B83', '22C152']),
    supervised: !personal && rng.chance(0.85),
    ownershipType,
    managed: !rng.chance(unmanagedShare),
    dataProtected: rng.chance(0.95),
    jailBreakDetected: rng.chance(0.02),
    passcodePresent: rng.chance(0.96),
    lastInventoryUpdate: pastDate(rng, now, stale),
    lastEnrolled: new Date(now - rng.int(30, 700) * DAY_MS).toISOString(),
    user,
    apps,
  };
}

export function generateComputer(seed: number, index: number, now: number, unmanagedShare = 0.03): SimComputer {
  const rng = new Rng(hash32(seed, 0xc0e9, index));
  const model = rng.pick(MACS);
  const user = userFrom(rng, 10_000 + index);
  const ade = rng.chance(0.8);
  const lastContact = pastDate(rng, now, rng.chance(0.08));
  return {
    id: String(index + 1),
    managementId: uuidFrom(rng),
    udid: uuidFrom(rng).toUpperCase(),
    name: `${user.realName.split(' ')[0]}'s MacBook`,
    serialNumber: serialFrom(rng),
    model: model.model,
    modelIdentifier: model.modelIdentifier,
    osVersion: rng.pick(['14.7', '15.1', '15.2']),
    osBuild: rng.pick(['23H124', '24B83', '24C101']),
    supervised: ade,
    enrolledViaAutomatedDeviceEnrollment: ade,
    managed: !rng.chance(unmanagedShare),
    fileVault2Status: rng.chance(0.85) ? 'ALL_ENCRYPTED' : 'NOT_ENCRYPTED',
    lastContactTime: lastContact,
    reportDate: lastContact,
    lastEnrolled: new Date(now - rng.int(30, 700) * DAY_MS).toISOString(),
    user,
  };
}

/** The whole inventory, generated eagerly (a few thousand records take milliseconds) and then mutable. */
export class JamfFleet {
  readonly mobileDevices: SimMobileDevice[];
  readonly computers: SimComputer[];

  constructor(options: FleetOptions) {
    const now = options.referenceTime.getTime();
    this.mobileDevices = Array.from({ length: options.mobileDevices }, (_, i) =>
      generateMobileDevice(options.seed, i, now, options.unmanagedShare),
    );
    this.computers = Array.from({ length: options.computers }, (_, i) =>
      generateComputer(options.seed, i, now, options.unmanagedShare),
    );
  }

  mobileDevice(id: string): SimMobileDevice | undefined {
    const index = Number(id) - 1;
    return /^\d+$/.test(id) ? this.mobileDevices[index] : undefined;
  }

  computer(id: string): SimComputer | undefined {
    const index = Number(id) - 1;
    return /^\d+$/.test(id) ? this.computers[index] : undefined;
  }

  /** The device or computer holding this managementId (what MDM commands address). */
  byManagementId(
    managementId: string,
  ): { kind: 'mobile'; device: SimMobileDevice } | { kind: 'computer'; device: SimComputer } | undefined {
    const mobile = this.mobileDevices.find((d) => d.managementId === managementId);
    if (mobile) return { kind: 'mobile', device: mobile };
    const computer = this.computers.find((d) => d.managementId === managementId);
    return computer ? { kind: 'computer', device: computer } : undefined;
  }

  /** Truth for tests: ids of managed mobile devices holding an app (as Jamf reports it), in id order. */
  mobileDevicesHolding(identifier: string): string[] {
    const wanted = identifier.toLowerCase();
    return this.mobileDevices
      .filter((d) => d.managed && d.apps.some((a) => a.identifier.toLowerCase() === wanted))
      .map((d) => d.id);
  }
}
