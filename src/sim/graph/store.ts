/**
 * GraphTenant: the in-memory state of one emulated Intune tenant. The generated fleet is immutable;
 * everything that changes later (added, removed and patched devices, detected apps added to or removed
 * from devices, disabled or deleted users, device actions) lives in small overlays on top of it.
 * Devices are addressed internally by an ordinal (fleet index, then creation order for added ones),
 * which is also the paging cursor, so deletes during a listing never shift a page.
 */

import { applyRecordedActions, type RecordedAction } from './action-state';
import { buildDevice, buildUser, isoSeconds, userStatusOf } from './entities';
import { type CatalogApp, detectedAppId, type Fleet, type UserStatus } from './fleet';
import { GroupDirectory } from './groups';
import { PolicyStore } from './policy-store';
import { randomGuid } from './random';
import type { DetectedApp, DetectedAppPlatformType, DirectoryUser, ManagedDevice } from './types';

/** Fields a caller may set when adding a device; the rest is generated like a fleet device. */
export type DeviceInit = Partial<ManagedDevice>;
export type DevicePatch = Partial<Omit<ManagedDevice, 'id'>>;

export interface AppInit {
  displayName: string;
  platform: DetectedAppPlatformType;
  version?: string;
  publisher?: string;
  sizeInByte?: number;
}

interface DeviceOverlay {
  patch?: DevicePatch;
  actions?: RecordedAction[];
  addedApps?: Set<number>;
  removedApps?: Set<number>;
}

export class GraphTenant {
  /** Bumped on every change; caches keyed on it (e.g. filtered counts) stay correct. */
  version = 0;
  private readonly removedBase: Uint8Array;
  private readonly added = new Map<number, ManagedDevice>();
  private readonly addedIds = new Map<string, number>();
  private nextOrdinal: number;
  private liveDevices: number;
  private readonly overlays = new Map<number, DeviceOverlay>();
  private readonly apps: CatalogApp[];
  private readonly appCounts: number[];
  private readonly appIndexById = new Map<string, number>();
  /** Devices that gained an app through addDetectedApp, per app index. */
  private readonly addedAppHolders = new Map<number, Set<number>>();
  private readonly userStatus = new Map<number, UserStatus>();
  /** MAM app protections, device configurations and compliance policies (see policy-store.ts). */
  readonly policies: PolicyStore;
  /** The directory's groups (see groups.ts). */
  readonly groups: GroupDirectory;

  constructor(
    readonly fleet: Fleet,
    readonly tenantId: string,
    /** How long a device action stays pending before the device reports it done. */
    public actionLatencyMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.removedBase = new Uint8Array(fleet.deviceCount);
    this.nextOrdinal = fleet.deviceCount;
    this.liveDevices = fleet.deviceCount;
    this.apps = [...fleet.apps];
    this.appCounts = Array.from(fleet.baseAppDeviceCounts);
    for (const [index, app] of this.apps.entries()) this.appIndexById.set(app.id, index);
    this.policies = new PolicyStore(clock, () => {
      this.version++;
    });
    this.groups = new GroupDirectory(fleet.seed, new Date(clock()).toISOString());
  }

  get deviceCount(): number {
    return this.liveDevices;
  }

  // ---- devices -------------------------------------------------------------------------------

  ordinalOf(deviceId: string): number | undefined {
    const base = this.fleet.deviceIndexOf(deviceId);
    if (base !== undefined) return this.removedBase[base] ? undefined : base;
    return this.addedIds.get(deviceId.toLowerCase());
  }

  getDevice(deviceId: string): ManagedDevice | undefined {
    const ordinal = this.ordinalOf(deviceId);
    return ordinal === undefined ? undefined : this.deviceAt(ordinal);
  }

  /** Ordinals of live devices after `cursor` (exclusive), in listing order. */
  *ordinalsAfter(cursor: number): Generator<number> {
    for (let ordinal = Math.max(0, cursor + 1); ordinal < this.fleet.deviceCount; ordinal++) {
      if (!this.removedBase[ordinal]) yield ordinal;
    }
    for (const ordinal of this.added.keys()) if (ordinal > cursor) yield ordinal;
  }

  /** Every live device in listing order (convenient for tests; materialises each one). */
  *devices(): Generator<ManagedDevice> {
    for (const ordinal of this.ordinalsAfter(-1)) yield this.deviceAt(ordinal);
  }

  /** The full device at an ordinal, with patches and device actions applied as of now. */
  deviceAt(ordinal: number): ManagedDevice {
    const stored = this.added.get(ordinal);
    const device = stored ? structuredClone(stored) : buildDevice(this.fleet, ordinal);
    const overlay = this.overlays.get(ordinal);
    if (overlay?.patch) Object.assign(device, structuredClone(overlay.patch));
    if (overlay?.actions) applyRecordedActions(device, overlay.actions, this.actionLatencyMs, this.clock());
    return device;
  }

  addDevice(init: DeviceInit = {}): ManagedDevice {
    const ordinal = this.nextOrdinal++;
    // A new device looks like a fleet device of the same position (a deterministic template), then takes
    // the caller's fields; without a userId it belongs to the template's user.
    const template = buildDevice(this.fleet, ordinal % Math.max(1, this.fleet.deviceCount));
    const device: ManagedDevice = {
      ...template,
      id: randomGuid(),
      azureADDeviceId: randomGuid(),
      serialNumber: template.serialNumber ? randomGuid().replace(/-/g, '').slice(0, 10).toUpperCase() : '',
      easDeviceId: randomGuid().replace(/-/g, '').toUpperCase(),
      enrolledDateTime: isoSeconds(this.clock()),
      lastSyncDateTime: isoSeconds(this.clock()),
      deviceActionResults: [],
      ...init,
    };
    if (init.userId && !init.userPrincipalName) this.assignUserFields(device, init.userId);
    device.id = device.id.toLowerCase();
    if (this.ordinalOf(device.id) !== undefined) throw new Error(`device ${device.id} already exists`);
    this.added.set(ordinal, device);
    this.addedIds.set(device.id, ordinal);
    this.liveDevices++;
    this.version++;
    return this.deviceAt(ordinal);
  }

  updateDevice(deviceId: string, patch: DevicePatch): ManagedDevice {
    const ordinal = this.requireDevice(deviceId);
    const overlay = this.overlayOf(ordinal);
    overlay.patch = { ...overlay.patch, ...structuredClone(patch) };
    // An explicit state from the caller replaces whatever recorded actions would have derived.
    if ('managementState' in patch || 'deviceActionResults' in patch) delete overlay.actions;
    this.version++;
    return this.deviceAt(ordinal);
  }

  removeDevice(deviceId: string): boolean {
    const ordinal = this.ordinalOf(deviceId);
    if (ordinal === undefined) return false;
    for (const appIndex of this.appIndexesOf(ordinal)) this.appCounts[appIndex] = (this.appCounts[appIndex] ?? 1) - 1;
    for (const holders of this.addedAppHolders.values()) holders.delete(ordinal);
    if (ordinal < this.fleet.deviceCount) this.removedBase[ordinal] = 1;
    const stored = this.added.get(ordinal);
    if (stored) {
      this.added.delete(ordinal);
      this.addedIds.delete(stored.id);
    }
    this.overlays.delete(ordinal);
    this.liveDevices--;
    this.version++;
    return true;
  }

  /** Records a device action as Intune does: pending now, done once the device has checked in. */
  recordAction(deviceId: string, action: string, parameters: Record<string, unknown> = {}): void {
    const overlay = this.overlayOf(this.requireDevice(deviceId));
    const actions = (overlay.actions ?? []).filter((recorded) => recorded.action !== action);
    actions.push({ action, startMs: this.clock(), parameters });
    overlay.actions = actions;
    this.version++;
  }

  // ---- detected apps -------------------------------------------------------------------------

  /** Detected apps reported by at least one device, in catalogue order. */
  detectedApps(): DetectedApp[] {
    return [...this.detectedAppsAfter(-1)].map(([, app]) => app);
  }

  /** [catalogue index, app] of reported apps after a catalogue index (the listing cursor). */
  *detectedAppsAfter(cursor: number): Generator<[number, DetectedApp]> {
    for (let index = Math.max(0, cursor + 1); index < this.apps.length; index++) {
      const deviceCount = this.appCounts[index] ?? 0;
      const app = this.apps[index];
      if (app && deviceCount > 0) yield [index, { ...app, deviceCount }];
    }
  }

  getDetectedApp(appId: string): DetectedApp | undefined {
    const index = this.appIndexById.get(appId);
    const deviceCount = index === undefined ? 0 : (this.appCounts[index] ?? 0);
    const app = index === undefined ? undefined : this.apps[index];
    return app && deviceCount > 0 ? { ...app, deviceCount } : undefined;
  }

  /** Ordinals of live devices reporting the app, ascending. */
  deviceOrdinalsWithApp(appId: string): number[] {
    const index = this.appIndexById.get(appId);
    if (index === undefined) return [];
    const ordinals: number[] = [];
    if (index < this.fleet.apps.length) {
      for (const ordinal of this.fleet.devicesWithApp(index)) {
        if (!this.removedBase[ordinal] && !this.overlays.get(ordinal)?.removedApps?.has(index)) ordinals.push(ordinal);
      }
    }
    for (const ordinal of this.addedAppHolders.get(index) ?? []) ordinals.push(ordinal);
    return ordinals.sort((a, b) => a - b);
  }

  appsOfDevice(deviceId: string): DetectedApp[] {
    const ordinal = this.requireDevice(deviceId);
    return [...this.appIndexesOf(ordinal)].map((index) => ({
      ...(this.apps[index] as CatalogApp),
      deviceCount: this.appCounts[index] ?? 0,
    }));
  }

  /** Makes a device report an app: an existing detectedApp id, or a description (created if new). */
  addDetectedApp(deviceId: string, app: string | AppInit): DetectedApp {
    const ordinal = this.requireDevice(deviceId);
    const index = typeof app === 'string' ? this.appIndexById.get(app) : this.ensureApp(app);
    if (index === undefined) throw new Error(`unknown detected app ${String(app)}`);
    if (!this.appIndexesOf(ordinal).has(index)) {
      const overlay = this.overlayOf(ordinal);
      if (overlay.removedApps?.delete(index) !== true) {
        overlay.addedApps = (overlay.addedApps ?? new Set()).add(index);
        this.addedAppHolders.set(index, (this.addedAppHolders.get(index) ?? new Set()).add(ordinal));
      }
      this.appCounts[index] = (this.appCounts[index] ?? 0) + 1;
      this.version++;
    }
    return { ...(this.apps[index] as CatalogApp), deviceCount: this.appCounts[index] ?? 0 };
  }

  removeDetectedApp(deviceId: string, appId: string): boolean {
    const ordinal = this.requireDevice(deviceId);
    const index = this.appIndexById.get(appId);
    if (index === undefined || !this.appIndexesOf(ordinal).has(index)) return false;
    const overlay = this.overlayOf(ordinal);
    if (overlay.addedApps?.delete(index)) this.addedAppHolders.get(index)?.delete(ordinal);
    else overlay.removedApps = (overlay.removedApps ?? new Set()).add(index);
    this.appCounts[index] = (this.appCounts[index] ?? 1) - 1;
    this.version++;
    return true;
  }

  private appIndexesOf(ordinal: number): Set<number> {
    const overlay = this.overlays.get(ordinal);
    const indexes = new Set<number>(ordinal < this.fleet.deviceCount ? this.fleet.appsOfDevice(ordinal) : []);
    for (const index of overlay?.removedApps ?? []) indexes.delete(index);
    for (const index of overlay?.addedApps ?? []) indexes.add(index);
    return indexes;
  }

  private ensureApp(init: AppInit): number {
    const version = init.version ?? '1.0';
    const id = detectedAppId(init.platform, init.displayName, version);
    const existing = this.appIndexById.get(id);
    if (existing !== undefined) return existing;
    this.apps.push({
      id,
      displayName: init.displayName,
      version,
      publisher: init.publisher ?? '',
      platform: init.platform,
      sizeInByte: init.sizeInByte ?? 0,
    });
    this.appCounts.push(0);
    this.appIndexById.set(id, this.apps.length - 1);
    return this.apps.length - 1;
  }

  /** Ordinals of the live devices whose userId is the given user, ascending. */
  deviceOrdinalsOfUser(userId: string): number[] {
    const wanted = userId.toLowerCase();
    const candidates = new Set<number>();
    const userIndex = this.fleet.userIndexOf(userId);
    if (userIndex !== undefined) {
      const end = this.fleet.userFirstDevice[userIndex + 1] ?? 0;
      for (let ordinal = this.fleet.userFirstDevice[userIndex] ?? 0; ordinal < end; ordinal++) candidates.add(ordinal);
    }
    for (const ordinal of this.added.keys()) candidates.add(ordinal);
    for (const [ordinal, overlay] of this.overlays)
      if (overlay.patch && 'userId' in overlay.patch) candidates.add(ordinal);
    return [...candidates]
      .filter((ordinal) => this.isLive(ordinal))
      .filter((ordinal) => this.deviceAt(ordinal).userId?.toLowerCase() === wanted)
      .sort((a, b) => a - b);
  }

  private isLive(ordinal: number): boolean {
    return ordinal < this.fleet.deviceCount ? !this.removedBase[ordinal] : this.added.has(ordinal);
  }

  // ---- users ---------------------------------------------------------------------------------

  get userCount(): number {
    return this.fleet.userCount;
  }

  userStatusOf(userIndex: number): UserStatus {
    return this.userStatus.get(userIndex) ?? userStatusOf(this.fleet, userIndex);
  }

  /** A user of the directory, or undefined when unknown or deleted (as GET /users/{id} answers 404). */
  getUser(userId: string): DirectoryUser | undefined {
    const index = this.fleet.userIndexOf(userId);
    return index === undefined ? undefined : this.userAt(index);
  }

  userAt(userIndex: number): DirectoryUser | undefined {
    const status = this.userStatusOf(userIndex);
    if (status === 'deleted') return undefined;
    return { ...buildUser(this.fleet, userIndex), accountEnabled: status === 'active' };
  }

  /** Every user still in the directory (enabled or disabled), in listing order. */
  *users(): Generator<DirectoryUser> {
    for (let index = 0; index < this.fleet.userCount; index++) {
      const user = this.userAt(index);
      if (user) yield user;
    }
  }

  disableUser(userId: string): void {
    this.setUserStatus(userId, 'disabled');
  }

  enableUser(userId: string): void {
    this.setUserStatus(userId, 'active');
  }

  /** Deletes the user from the directory; their devices stay enrolled, as in a real tenant. */
  deleteUser(userId: string): void {
    this.setUserStatus(userId, 'deleted');
  }

  private setUserStatus(userId: string, status: UserStatus): void {
    const index = this.fleet.userIndexOf(userId);
    if (index === undefined || this.userStatusOf(index) === 'deleted') throw new Error(`unknown user ${userId}`);
    this.userStatus.set(index, status);
    this.version++;
  }

  private assignUserFields(device: ManagedDevice, userId: string): void {
    const user = this.getUser(userId);
    if (!user) return;
    device.userPrincipalName = user.userPrincipalName;
    device.emailAddress = user.mail;
    device.userDisplayName = user.displayName;
  }

  // ---- helpers -------------------------------------------------------------------------------

  private requireDevice(deviceId: string): number {
    const ordinal = this.ordinalOf(deviceId);
    if (ordinal === undefined) throw new Error(`unknown managed device ${deviceId}`);
    return ordinal;
  }

  private overlayOf(ordinal: number): DeviceOverlay {
    let overlay = this.overlays.get(ordinal);
    if (!overlay) {
      overlay = {};
      this.overlays.set(ordinal, overlay);
    }
    return overlay;
  }
}
