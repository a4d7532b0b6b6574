/**
 * The emulated enterprise's state: its devices (the seeded fleet), its policies and the operations of issued
 * commands, and the API's view of a device rendered from them. Only what the device's policy asks for is
 * reported (applicationReports, deviceSettings, softwareInfo per statusReportingSettings); a work profile
 * reports only the apps inside it; a blocked app still installed is an APP_INSTALLED non-compliance.
 * A delete removes the device at once (GET then answers 404): on a personal work-profile phone it removes the
 * work profile only, on a company phone it factory-resets the device.
 */
import type { androidmanagement_v1 } from '@googleapis/androidmanagement';
import { generateFleet, type SimDevice } from './fleet';
import { PolicyStore } from './policies';

export type Device = androidmanagement_v1.Schema$Device;
export type Operation = androidmanagement_v1.Schema$Operation;

/** What a delete did to the physical device. */
export type DeleteEffect = 'work-profile-removed' | 'factory-reset';

export const COMMAND_TYPES = [
  'LOCK',
  'RESET_PASSWORD',
  'REBOOT',
  'RELINQUISH_OWNERSHIP',
  'CLEAR_APP_DATA',
  'START_LOST_MODE',
  'STOP_LOST_MODE',
  'REQUEST_DEVICE_INFO',
] as const;

interface SimOperation {
  id: string;
  deviceId: string;
  type: string;
  createMs: number;
  doneMs: number;
}

export interface EnterpriseOptions {
  enterpriseName: string;
  devices: number;
  seed: number;
  referenceTime: Date;
  /** How long an issued command stays pending before the device acknowledges it. */
  operationLatencyMs: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class Enterprise {
  readonly name: string;
  readonly policies: PolicyStore;
  readonly operationLatencyMs: number;
  /** Insertion order is the listing order. */
  private readonly devices = new Map<string, SimDevice>();
  private readonly operations = new Map<string, SimOperation>();
  private readonly deleted = new Map<string, { effect: DeleteEffect; wipeDataFlags: string[] }>();
  private operationCounter = 0;

  constructor(options: EnterpriseOptions) {
    this.name = options.enterpriseName;
    this.policies = new PolicyStore(this.name);
    this.operationLatencyMs = options.operationLatencyMs;
    for (const device of generateFleet(options)) this.devices.set(device.id, device);
  }

  /** Every device the listing returns (DELETED ones included, as the API may list them briefly). */
  listed(): SimDevice[] {
    return [...this.devices.values()];
  }

  device(id: string): SimDevice | undefined {
    return this.devices.get(id);
  }

  deviceName(id: string): string {
    return `${this.name}/devices/${id}`;
  }

  /** Ids of managed devices (not DELETED): what a complete listing must yield. */
  managedDeviceIds(): string[] {
    return this.listed()
      .filter((device) => device.state !== 'DELETED')
      .map((device) => device.id);
  }

  /**
   * Ids of managed devices on which the API shows `packageName`: in an application report, or as a blocked
   * app installed. An app on the personal side of a work-profile phone is invisible, and so is one on a
   * device whose policy neither reports apps nor blocks it.
   */
  devicesShowingApp(packageName: string): string[] {
    return this.listed()
      .filter((device) => device.state !== 'DELETED')
      .filter((device) => {
        const view = this.render(device);
        return (
          (view.applicationReports ?? []).some((r) => r.packageName === packageName && r.state === 'INSTALLED') ||
          (view.nonComplianceDetails ?? []).some(
            (d) => d.nonComplianceReason === 'APP_INSTALLED' && d.packageName === packageName,
          )
        );
      })
      .map((device) => device.id);
  }

  deleteEffect(id: string): DeleteEffect | undefined {
    return this.deleted.get(id)?.effect;
  }

  /** The wipeDataFlags the device's delete carried. */
  deleteFlags(id: string): string[] | undefined {
    return this.deleted.get(id)?.wipeDataFlags;
  }

  /** DELETE: removes the device from the API's view; what happens on the phone depends on its mode. */
  deleteDevice(id: string, wipeDataFlags: string[] = []): DeleteEffect | undefined {
    const device = this.devices.get(id);
    if (!device) return undefined;
    const effect: DeleteEffect =
      device.managementMode === 'PROFILE_OWNER' && device.ownership === 'PERSONALLY_OWNED'
        ? 'work-profile-removed'
        : 'factory-reset';
    this.devices.delete(id);
    this.deleted.set(id, { effect, wipeDataFlags });
    return effect;
  }

  issueCommand(deviceId: string, type: string, nowMs = Date.now()): Operation {
    this.operationCounter++;
    const id = `${nowMs}${String(this.operationCounter).padStart(6, '0')}`;
    const operation = { id, deviceId, type, createMs: nowMs, doneMs: nowMs + this.operationLatencyMs };
    this.operations.set(id, operation);
    return this.renderOperation(operation, nowMs);
  }

  operation(deviceId: string, operationId: string, nowMs = Date.now()): Operation | undefined {
    const operation = this.operations.get(operationId);
    if (!operation || operation.deviceId !== deviceId) return undefined;
    return this.renderOperation(operation, nowMs);
  }

  operationsOf(deviceId: string, nowMs = Date.now()): Operation[] {
    return [...this.operations.values()]
      .filter((operation) => operation.deviceId === deviceId)
      .map((operation) => this.renderOperation(operation, nowMs));
  }

  /** Every pending command is acknowledged now, as if each device had checked in. */
  completePendingOperations(nowMs = Date.now()): number {
    let completed = 0;
    for (const operation of this.operations.values()) {
      if (operation.doneMs > nowMs) {
        operation.doneMs = nowMs;
        completed++;
      }
    }
    return completed;
  }

  private renderOperation(operation: SimOperation, nowMs: number): Operation {
    const device = this.devices.get(operation.deviceId);
    const done = nowMs >= operation.doneMs;
    return {
      name: `${this.deviceName(operation.deviceId)}/operations/${operation.id}`,
      metadata: {
        '@type': 'type.googleapis.com/google.android.devicemanagement.v1.Command',
        type: operation.type,
        createTime: iso(operation.createMs),
        duration: '600s',
        ...(device ? { userName: `${this.name}/users/${device.userId}` } : {}),
      },
      done,
      ...(done ? { response: {} } : {}),
    };
  }

  /** The API's view of a device. */
  render(device: SimDevice): Device {
    const policy = this.policies.get(device.policyId);
    const reporting = policy?.statusReportingSettings ?? {};
    const blocked = this.policies.blockedPackages(device.policyId);
    const visible = device.apps.filter((app) => app.location !== 'personal');
    const nonCompliance: androidmanagement_v1.Schema$NonComplianceDetail[] = visible
      .filter((app) => blocked.has(app.packageName))
      .map((app) => ({
        settingName: 'applications',
        nonComplianceReason: 'APP_INSTALLED',
        packageName: app.packageName,
      }));
    if (device.weakPassword) {
      nonCompliance.push({ settingName: 'passwordPolicies', nonComplianceReason: 'USER_ACTION' });
    }
    const view: Device = {
      name: this.deviceName(device.id),
      managementMode: device.managementMode,
      state: device.state,
      appliedState: device.state,
      ownership: device.ownership,
      policyName: this.policies.nameOf(device.policyId),
      appliedPolicyName: this.policies.nameOf(device.policyId),
      appliedPolicyVersion: policy?.version ?? '1',
      policyCompliant: nonCompliance.length === 0,
      userName: `${this.name}/users/${device.userId}`,
      enrollmentTime: iso(device.enrollmentMs),
      lastStatusReportTime: iso(device.lastStatusReportMs),
      lastPolicySyncTime: iso(device.lastStatusReportMs),
      apiLevel: device.apiLevel,
      hardwareInfo: {
        brand: device.brand,
        hardware: device.hardware,
        manufacturer: device.manufacturer,
        model: device.model,
        serialNumber: device.serialNumber,
        ...(device.ownership === 'PERSONALLY_OWNED' ? { enterpriseSpecificId: `ESID${device.id.toUpperCase()}` } : {}),
      },
    };
    if (nonCompliance.length > 0) view.nonComplianceDetails = nonCompliance;
    if (device.posture) view.securityPosture = { devicePosture: device.posture, postureDetails: [] };
    if (reporting.softwareInfoEnabled) {
      view.softwareInfo = {
        androidVersion: device.androidVersion,
        securityPatchLevel: device.securityPatchLevel,
        androidBuildNumber: `${device.hardware}-user ${device.androidVersion} AP4A.250205.002 release-keys`,
      };
    }
    if (reporting.deviceSettingsEnabled) {
      view.deviceSettings = {
        isEncrypted: device.encrypted,
        encryptionStatus: device.encrypted ? 'ENCRYPTED_PER_USER' : 'INACTIVE',
        isDeviceSecure: !device.weakPassword,
        adbEnabled: false,
        developmentSettingsEnabled: false,
        unknownSourcesEnabled: false,
        verifyAppsEnabled: true,
      };
    }
    if (reporting.applicationReportsEnabled) {
      view.applicationReports = visible.map((app) => ({
        packageName: app.packageName,
        displayName: app.displayName,
        versionName: app.versionName,
        versionCode: app.versionCode,
        state: 'INSTALLED',
        applicationSource: 'INSTALLED_FROM_PLAY_STORE',
        installerPackageName: 'com.android.vending',
      }));
    }
    return view;
  }
}
