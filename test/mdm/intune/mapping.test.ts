// One rule at a time: Intune's managedDevice and detectedApp fields -> Warden's model.
import {
  androidTagOf,
  appScopeOf,
  complianceOf,
  dateOf,
  enrollmentModeOf,
  jailbrokenOf,
  ownershipOf,
  platformOf,
  stringOf,
  supervisedOf,
  toNormalizedDevice,
} from '../../../src/mdm/intune/mapping';

describe('platformOf (operatingSystem)', () => {
  it.each([
    ['Android', 'android'],
    ['AndroidForWork', 'android'],
    ['AndroidEnterprise', 'android'],
    ['iOS', 'ios'],
    ['iPadOS', 'ios'],
    ['macOS', 'macos'],
    ['Windows', 'windows'],
    ['Windows Mobile', 'windows'],
    ['Linux', 'other'],
    ['', 'other'],
    [null, 'other'],
  ])('%p -> %s', (os, platform) => {
    expect(platformOf(os)).toBe(platform);
  });
});

describe('ownershipOf (managedDeviceOwnerType)', () => {
  it.each([
    ['company', 'company'],
    ['personal', 'personal'],
    ['unknown', 'unknown'],
    ['unknownFutureValue', 'unknown'],
    [undefined, 'unknown'],
  ])('%p -> %s', (ownerType, ownership) => {
    expect(ownershipOf(ownerType)).toBe(ownership);
  });
});

describe('enrollmentModeOf', () => {
  const android = (fields: Record<string, unknown>) =>
    enrollmentModeOf({ operatingSystem: 'Android', managementAgent: 'mdm', ...fields });

  it('Android personal with a work profile -> work-profile (AndroidForWork in managedDeviceName)', () => {
    expect(
      android({
        managedDeviceOwnerType: 'personal',
        deviceEnrollmentType: 'userEnrollment',
        managedDeviceName: 'ana.silva_AndroidForWork_3/14/2024_9:05 AM',
      }),
    ).toBe('work-profile');
  });

  it('Android company fully managed -> fully-managed (AndroidEnterprise tag, or the Google DPC on a company device)', () => {
    expect(
      android({ managedDeviceOwnerType: 'company', managedDeviceName: 'kai_lee_AndroidEnterprise_1/2/2025_4:10 PM' }),
    ).toBe('fully-managed');
    expect(
      android({
        managedDeviceOwnerType: 'company',
        deviceEnrollmentType: 'unknownFutureValue',
        managementAgent: 'googleCloudDevicePolicyController',
        managedDeviceName: null,
      }),
    ).toBe('fully-managed');
  });

  it('Android device administrator -> legacy-admin', () => {
    expect(
      android({
        managedDeviceOwnerType: 'personal',
        deviceEnrollmentType: 'userEnrollment',
        managedDeviceName: 'emil.berg_Android_11/30/2023_11:59 PM',
      }),
    ).toBe('legacy-admin');
  });

  it('Android Enterprise enum members, when Graph sends them', () => {
    expect(android({ deviceEnrollmentType: 'androidEnterpriseFullyManaged' })).toBe('fully-managed');
    expect(android({ deviceEnrollmentType: 'androidEnterpriseDedicatedDevice' })).toBe('fully-managed');
    expect(android({ deviceEnrollmentType: 'androidEnterpriseCorporateWorkProfile' })).toBe('work-profile');
    expect(enrollmentModeOf({ operatingSystem: 'AndroidForWork', managedDeviceOwnerType: 'personal' })).toBe(
      'work-profile',
    );
  });

  it('Android personal with nothing telling the mode apart -> unknown', () => {
    expect(android({ managedDeviceOwnerType: 'personal', deviceEnrollmentType: 'userEnrollment' })).toBe('unknown');
  });

  it('Apple user enrollment -> user-enrollment', () => {
    expect(enrollmentModeOf({ operatingSystem: 'iOS', deviceEnrollmentType: 'appleUserEnrollment' })).toBe(
      'user-enrollment',
    );
    expect(
      enrollmentModeOf({ operatingSystem: 'iOS', deviceEnrollmentType: 'appleUserEnrollmentWithServiceAccount' }),
    ).toBe('user-enrollment');
  });

  it("Graph's userEnrollment (Company Portal BYOD) on iOS is a device enrolment, not Apple User Enrollment", () => {
    expect(
      enrollmentModeOf({
        operatingSystem: 'iOS',
        deviceEnrollmentType: 'userEnrollment',
        managedDeviceOwnerType: 'personal',
        managementAgent: 'mdm',
      }),
    ).toBe('device');
  });

  it('other full MDM enrolments -> device; EAS only or an unknown OS -> unknown', () => {
    expect(enrollmentModeOf({ operatingSystem: 'iOS', deviceEnrollmentType: 'appleBulkWithUser' })).toBe('device');
    expect(enrollmentModeOf({ operatingSystem: 'Windows', deviceEnrollmentType: 'windowsAzureADJoin' })).toBe('device');
    expect(enrollmentModeOf({ operatingSystem: 'macOS', managementAgent: 'mdm' })).toBe('device');
    expect(enrollmentModeOf({ operatingSystem: 'iOS', managementAgent: 'eas' })).toBe('unknown');
    expect(enrollmentModeOf({ operatingSystem: 'Linux', managementAgent: 'mdm' })).toBe('unknown');
  });
});

describe('androidTagOf', () => {
  it('reads the tag counting from the end, so underscores in the user part do not matter', () => {
    expect(androidTagOf('first_last_AndroidForWork_3/14/2024_9:05 AM')).toBe('AndroidForWork');
    expect(androidTagOf('Pixel 8')).toBeNull();
    expect(androidTagOf(null)).toBeNull();
  });
});

describe('jailbrokenOf (a String in Graph)', () => {
  it.each([
    ['True', true],
    ['true', true],
    ['False', false],
    ['Unknown', null],
    ['', null],
    [null, null],
    [true, null],
  ])('%p -> %p', (value, expected) => {
    expect(jailbrokenOf(value)).toBe(expected);
  });
});

describe('complianceOf (complianceState)', () => {
  it.each([
    ['compliant', 'compliant'],
    ['noncompliant', 'noncompliant'],
    ['inGracePeriod', 'in-grace-period'],
    ['unknown', 'unknown'],
    ['conflict', 'unknown'],
    ['error', 'unknown'],
    ['configManager', 'unknown'],
    [undefined, 'unknown'],
  ])('%p -> %s', (state, compliance) => {
    expect(complianceOf(state)).toBe(compliance);
  });
});

describe('dateOf', () => {
  it('parses ISO dates and reads Graph\'s "never" and garbage as null', () => {
    expect(dateOf('2025-02-27T08:15:00Z')).toEqual(new Date('2025-02-27T08:15:00Z'));
    expect(dateOf('0001-01-01T00:00:00Z')).toBeNull();
    expect(dateOf('yesterday')).toBeNull();
    expect(dateOf(null)).toBeNull();
  });
});

describe('stringOf and supervisedOf', () => {
  it('read "" (a hidden serial number) as null', () => {
    expect(stringOf('')).toBeNull();
    expect(stringOf('R5CT30ABCDE')).toBe('R5CT30ABCDE');
    expect(stringOf(42)).toBeNull();
  });

  it('keep supervision for Apple devices only', () => {
    expect(supervisedOf('ios', true)).toBe(true);
    expect(supervisedOf('macos', false)).toBe(false);
    expect(supervisedOf('android', false)).toBeNull();
    expect(supervisedOf('windows', false)).toBeNull();
  });
});

describe('appScopeOf (detectedApp.platform)', () => {
  it.each([
    ['androidWorkProfile', 'work-profile'],
    ['androidDeviceAdministrator', 'device'],
    ['androidDedicatedAndFullyManaged', 'device'],
    ['ios', 'device'],
    ['macOS', 'device'],
    ['windows', 'device'],
    ['unknown', 'unknown'],
    ['unknownFutureValue', 'unknown'],
  ])('%s -> %s', (platform, scope) => {
    expect(appScopeOf(platform)).toBe(scope);
  });
});

describe('toNormalizedDevice', () => {
  const native = {
    id: '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
    deviceName: "Ana's iPhone",
    managedDeviceName: 'ana.silva_iPhone_3/14/2024_9:05 AM',
    operatingSystem: 'iOS',
    osVersion: '18.3.2',
    model: 'iPhone 15',
    manufacturer: 'Apple',
    serialNumber: '',
    managedDeviceOwnerType: 'personal',
    deviceEnrollmentType: 'appleUserEnrollment',
    managementAgent: 'mdm',
    isSupervised: false,
    isEncrypted: true,
    jailBroken: 'False',
    complianceState: 'inGracePeriod',
    managementState: 'retirePending',
    userId: 'a1b2c3d4-0000-4000-8000-000000000001',
    userPrincipalName: 'ana.silva@contoso.example',
    userDisplayName: 'Ana Silva',
    emailAddress: 'ana.silva@contoso.example',
    enrolledDateTime: '2024-03-14T09:05:00Z',
    lastSyncDateTime: '2025-02-28T17:45:12Z',
  };

  it('maps every field and keeps the record as received', () => {
    const device = toNormalizedDevice(native);
    expect(device).toEqual({
      externalId: native.id,
      name: "Ana's iPhone",
      platform: 'ios',
      osVersion: '18.3.2',
      model: 'iPhone 15',
      manufacturer: 'Apple',
      serialNumber: null,
      ownership: 'personal',
      enrollmentMode: 'user-enrollment',
      supervised: false,
      encrypted: true,
      jailbroken: false,
      compliance: 'in-grace-period',
      managementState: 'retirePending',
      user: {
        externalId: native.userId,
        principalName: 'ana.silva@contoso.example',
        displayName: 'Ana Silva',
        email: 'ana.silva@contoso.example',
      },
      enrolledAt: new Date('2024-03-14T09:05:00Z'),
      lastCheckInAt: new Date('2025-02-28T17:45:12Z'),
      native,
    });
    expect(device.native).toBe(native);
  });

  it('refuses a record without an id', () => {
    expect(() => toNormalizedDevice({ deviceName: 'x' })).toThrow(expect.objectContaining({ kind: 'invalid' }));
  });
});
