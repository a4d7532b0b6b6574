/**
 * The emulated fleet in Jamf Pro's wire format, typed with the types generated from the reference OpenAPI
 * document (src/mdm/jamf/api-types.ts), so the emulator and the connector agree with the reference and with
 * each other. Inventory endpoints return only the sections asked for, as Jamf does.
 */
import type { components } from '../../mdm/jamf/api-types';
import type { SimComputer, SimMobileDevice } from './fleet';

type Schemas = components['schemas'];
export type MobileDeviceV2 = Schemas['MobileDeviceV2'];
export type MobileDeviceIosInventory = Schemas['MobileDeviceIosInventory'];
export type MobileDeviceDetailsV2 = Schemas['MobileDeviceDetailsV2'];
export type ComputerInventory = Schemas['ComputerInventory'];
export type MobileDeviceSection = Schemas['MobileDeviceSection'];
export type ComputerSection = Schemas['ComputerSection'];

export const MOBILE_SECTIONS: ReadonlySet<string> = new Set<MobileDeviceSection>([
  'GENERAL',
  'HARDWARE',
  'USER_AND_LOCATION',
  'PURCHASING',
  'SECURITY',
  'APPLICATIONS',
  'EBOOKS',
  'NETWORK',
  'SERVICE_SUBSCRIPTIONS',
  'CERTIFICATES',
  'PROFILES',
  'USER_PROFILES',
  'PROVISIONING_PROFILES',
  'SHARED_USERS',
  'EXTENSION_ATTRIBUTES',
]);

export const COMPUTER_SECTIONS: ReadonlySet<string> = new Set<ComputerSection>([
  'GENERAL',
  'DISK_ENCRYPTION',
  'PURCHASING',
  'APPLICATIONS',
  'STORAGE',
  'USER_AND_LOCATION',
  'CONFIGURATION_PROFILES',
  'PRINTERS',
  'SERVICES',
  'HARDWARE',
  'LOCAL_USER_ACCOUNTS',
  'CERTIFICATES',
  'ATTACHMENTS',
  'PLUGINS',
  'PACKAGE_RECEIPTS',
  'FONTS',
  'SECURITY',
  'OPERATING_SYSTEM',
  'LICENSED_SOFTWARE',
  'IBEACONS',
  'SOFTWARE_UPDATES',
  'EXTENSION_ATTRIBUTES',
  'CONTENT_CACHING',
  'GROUP_MEMBERSHIPS',
]);

/** `GET /v2/mobile-devices`: the short record. */
export function mobileDeviceV2(device: SimMobileDevice): MobileDeviceV2 {
  return {
    id: device.id,
    name: device.name,
    serialNumber: device.serialNumber,
    udid: device.udid,
    model: device.model,
    modelIdentifier: device.modelIdentifier,
    username: device.user.username,
    type: 'ios',
    managementId: device.managementId,
  };
}

/** `GET /v2/mobile-devices/detail`: one inventory record with the requested sections. */
export function mobileDeviceInventory(
  device: SimMobileDevice,
  sections: ReadonlySet<string>,
): MobileDeviceIosInventory {
  const record: MobileDeviceIosInventory = { mobileDeviceId: device.id, deviceType: 'iOS' };
  if (sections.has('GENERAL')) {
    record.general = {
      udid: device.udid,
      displayName: device.name,
      lastInventoryUpdateDate: device.lastInventoryUpdate,
      osVersion: device.osVersion,
      osBuild: device.osBuild,
      managed: device.managed,
      supervised: device.supervised,
      deviceOwnershipType: device.ownershipType,
      lastEnrolledDate: device.lastEnrolled,
      sharedIpad: false,
    };
  }
  if (sections.has('HARDWARE')) {
    record.hardware = {
      serialNumber: device.serialNumber,
      model: device.model,
      modelIdentifier: device.modelIdentifier,
    };
  }
  if (sections.has('USER_AND_LOCATION')) {
    record.userAndLocation = {
      username: device.user.username,
      realName: device.user.realName,
      emailAddress: device.user.email,
    };
  }
  if (sections.has('SECURITY')) {
    record.security = {
      dataProtected: device.dataProtected,
      jailBreakDetected: device.jailBreakDetected,
      passcodePresent: device.passcodePresent,
      activationLockEnabled: device.supervised,
    };
  }
  if (sections.has('APPLICATIONS')) {
    record.applications = device.apps.map((app) => ({
      identifier: app.identifier,
      name: app.name,
      version: app.version,
      shortVersion: app.version,
      managementStatus: app.managementStatus,
    }));
  }
  return record;
}

/** `GET /v2/mobile-devices/{id}/detail`: the whole record in the v2 detail shape. */
export function mobileDeviceDetails(device: SimMobileDevice): MobileDeviceDetailsV2 {
  return {
    id: device.id,
    name: device.name,
    lastInventoryUpdateTimestamp: device.lastInventoryUpdate,
    osVersion: device.osVersion,
    osBuild: device.osBuild,
    serialNumber: device.serialNumber,
    udid: device.udid,
    managed: device.managed,
    lastEnrollmentTimestamp: device.lastEnrolled,
    deviceOwnershipLevel: device.ownershipType,
    location: { username: device.user.username, realName: device.user.realName, emailAddress: device.user.email },
    type: 'ios',
    ios: {
      model: device.model,
      modelIdentifier: device.modelIdentifier,
      supervised: device.supervised,
      security: {
        dataProtected: device.dataProtected,
        jailBreakDetected: device.jailBreakDetected,
        passcodePresent: device.passcodePresent,
      },
      applications: device.apps.map((app) => ({
        identifier: app.identifier,
        name: app.name,
        version: app.version,
        shortVersion: app.version,
      })),
    },
  };
}

/** `GET /v1/computers-inventory`: one record with the requested sections. */
export function computerInventory(computer: SimComputer, sections: ReadonlySet<string>): ComputerInventory {
  const record: ComputerInventory = { id: computer.id, udid: computer.udid };
  if (sections.has('GENERAL')) {
    record.general = {
      name: computer.name,
      platform: 'Mac',
      remoteManagement: { managed: computer.managed },
      supervised: computer.supervised,
      reportDate: computer.reportDate,
      lastContactTime: computer.lastContactTime,
      lastEnrolledDate: computer.lastEnrolled,
      enrolledViaAutomatedDeviceEnrollment: computer.enrolledViaAutomatedDeviceEnrollment,
      userApprovedMdm: true,
      managementId: computer.managementId,
    };
  }
  if (sections.has('HARDWARE')) {
    record.hardware = {
      make: 'Apple',
      model: computer.model,
      modelIdentifier: computer.modelIdentifier,
      serialNumber: computer.serialNumber,
    };
  }
  if (sections.has('OPERATING_SYSTEM')) {
    record.operatingSystem = {
      name: 'macOS',
      version: computer.osVersion,
      build: computer.osBuild,
      fileVault2Status: computer.fileVault2Status,
    };
  }
  if (sections.has('USER_AND_LOCATION')) {
    record.userAndLocation = {
      username: computer.user.username,
      realname: computer.user.realName,
      email: computer.user.email,
    };
  }
  return record;
}
