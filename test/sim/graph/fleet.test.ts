import { buildDevice } from '../../../src/sim/graph/entities';
import { Fleet } from '../../../src/sim/graph/fleet';
import { GraphTenant } from '../../../src/sim/graph/store';
import type { ManagedDevice } from '../../../src/sim/graph/types';
import { REFERENCE_TIME } from './helpers';

function allDevices(tenant: GraphTenant): ManagedDevice[] {
  return [...tenant.devices()];
}

describe('seeded fleet', () => {
  const fleet = new Fleet({ devices: 3000, seed: 7, referenceTime: REFERENCE_TIME });
  const tenant = new GraphTenant(fleet, 'tenant', 0);
  const devices = allDevices(tenant);

  it('is identical for the same seed and reference time, and different for another seed', () => {
    const again = new Fleet({ devices: 3000, seed: 7, referenceTime: REFERENCE_TIME });
    expect(allDevices(new GraphTenant(again, 'tenant', 0))).toEqual(devices);
    const users = [...tenant.users()];
    expect([...new GraphTenant(again, 'tenant', 0).users()]).toEqual(users);
    const other = new Fleet({ devices: 3000, seed: 8, referenceTime: REFERENCE_TIME });
    const otherIds = new Set(allDevices(new GraphTenant(other, 'tenant', 0)).map((device) => device.id));
    expect(devices.filter((device) => otherIds.has(device.id))).toHaveLength(0);
  });

  it('has unique GUID ids that resolve back to their device, and rejects made-up ids', () => {
    const ids = devices.map((device) => device.id);
    expect(new Set(ids).size).toBe(3000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(tenant.getDevice(ids[1234] as string)?.id).toBe(ids[1234]);
    expect(tenant.getDevice(ids[1234]?.toUpperCase() as string)?.id).toBe(ids[1234]);
    const forged = `${(ids[5] as string).slice(0, 35)}${(ids[5] as string).endsWith('0') ? '1' : '0'}`;
    expect(tenant.getDevice(forged)).toBeUndefined();
    expect(tenant.getDevice('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('gives every user 1-3 devices, unique UPNs of the first.last@contoso.example form', () => {
    const perUser = new Map<string, number>();
    for (const device of devices) perUser.set(device.userId as string, (perUser.get(device.userId as string) ?? 0) + 1);
    expect(Math.min(...perUser.values())).toBe(1);
    expect(Math.max(...perUser.values())).toBe(3);
    const directory = [...tenant.users()];
    const upns = directory.map((user) => user.userPrincipalName);
    expect(new Set(upns).size).toBe(upns.length);
    for (const upn of upns) expect(upn).toMatch(/^[a-z-]+\.[a-z-]+\d*@contoso\.example$/);
    for (const device of devices.slice(0, 200)) {
      const user = tenant.getUser(device.userId as string);
      if (user) expect(device.userPrincipalName).toBe(user.userPrincipalName);
    }
  });

  it('covers every enrollment profile with consistent ownership, enrollment type and agent', () => {
    const profile = (device: ManagedDevice) =>
      `${device.operatingSystem}|${device.managedDeviceOwnerType}|${device.deviceEnrollmentType}|${device.managementAgent}|${device.isSupervised}`;
    const seen = new Set(devices.map(profile));
    expect(seen).toEqual(
      new Set([
        'Android|personal|userEnrollment|mdm|false', // work profile and legacy device administrator
        'Android|company|unknownFutureValue|googleCloudDevicePolicyController|false', // fully managed
        'iOS|company|appleBulkWithUser|mdm|true', // supervised (ADE)
        'iOS|personal|userEnrollment|mdm|false', // unsupervised BYOD device enrollment
        'iOS|personal|appleUserEnrollment|mdm|false', // user enrollment
        'iPadOS|company|appleBulkWithUser|mdm|true',
        'Windows|company|windowsAzureADJoin|mdm|false',
        'macOS|company|appleBulkWithUser|mdm|true',
      ]),
    );
    // Privacy-restricted enrollments hide hardware identifiers.
    for (const device of devices.filter((d) => d.deviceEnrollmentType === 'appleUserEnrollment')) {
      expect([device.serialNumber, device.imei, device.udid]).toEqual(['', '', null]);
    }
  });

  it('contains the risky cases governance looks for, in plausible shares', () => {
    const share = (predicate: (device: ManagedDevice) => boolean) => devices.filter(predicate).length / devices.length;
    expect(share((d) => !d.isEncrypted)).toBeGreaterThan(0.01);
    expect(share((d) => d.jailBroken === 'True')).toBeGreaterThan(0.005);
    expect(new Set(devices.map((d) => d.jailBroken))).toEqual(new Set(['True', 'False', 'Unknown']));
    expect(share((d) => d.complianceState === 'noncompliant')).toBeGreaterThan(0.03);
    const staleBefore = REFERENCE_TIME.getTime() - 14 * 86_400_000;
    expect(share((d) => Date.parse(d.lastSyncDateTime) < staleBefore)).toBeGreaterThan(0.03);
    // Unencrypted and jailbroken devices are never reported compliant.
    for (const device of devices.filter((d) => !d.isEncrypted || d.jailBroken === 'True')) {
      expect(device.complianceState).toBe('noncompliant');
    }
    for (const device of devices) {
      expect(Date.parse(device.enrolledDateTime)).toBeLessThan(Date.parse(device.lastSyncDateTime));
      expect(Date.parse(device.lastSyncDateTime)).toBeLessThanOrEqual(REFERENCE_TIME.getTime());
    }
  });

  it('has about 3 % departed users, disabled or deleted, whose devices stay enrolled', () => {
    const statuses = Array.from({ length: tenant.userCount }, (_, index) => tenant.userStatusOf(index));
    const departed = statuses.filter((status) => status !== 'active').length / statuses.length;
    expect(departed).toBeGreaterThan(0.02);
    expect(departed).toBeLessThan(0.045);
    expect(statuses).toContain('disabled');
    expect(statuses).toContain('deleted');
    const deletedUserDevices = devices.filter((device) => tenant.getUser(device.userId as string) === undefined);
    expect(deletedUserDevices.length).toBeGreaterThan(0);
    expect(deletedUserDevices.every((device) => device.managementState === 'managed')).toBe(true);
  });

  it('reports detected apps with device counts that match the devices, messengers included', () => {
    const apps = tenant.detectedApps();
    for (const app of apps) {
      expect(app.id).toMatch(/^[0-9a-f]{44}$/);
      expect(tenant.deviceOrdinalsWithApp(app.id)).toHaveLength(app.deviceCount);
    }
    const names = (platform: string) =>
      new Set(apps.filter((app) => app.platform === platform).map((app) => app.displayName));
    for (const id of ['com.whatsapp', 'com.facebook.orca', 'org.telegram.messenger', 'org.thoughtcrime.securesms']) {
      expect(names('androidDedicatedAndFullyManaged')).toContain(id);
    }
    for (const id of ['net.whatsapp.WhatsApp', 'ph.telegra.Telegraph', 'org.whispersystems.signal']) {
      expect(names('ios')).toContain(id);
    }
    // WhatsApp inside a personal work profile is its own detectedApp entry, on work-profile devices only.
    const workProfileWhatsApp = apps.filter(
      (app) => app.platform === 'androidWorkProfile' && app.displayName === 'com.whatsapp',
    );
    expect(workProfileWhatsApp.length).toBeGreaterThan(0);
    for (const app of workProfileWhatsApp) {
      for (const ordinal of tenant.deviceOrdinalsWithApp(app.id)) {
        const device = tenant.deviceAt(ordinal);
        expect([device.operatingSystem, device.managedDeviceOwnerType]).toEqual(['Android', 'personal']);
      }
    }
  });

  it('generates 100,000 devices in well under 2 seconds and keeps them compact', () => {
    const started = process.hrtime.bigint();
    const large = new Fleet({ devices: 100_000, seed: 3, referenceTime: REFERENCE_TIME });
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(large.deviceCount).toBe(100_000);
    expect(elapsedMs).toBeLessThan(2000);
    // Per-device state is typed arrays only; strings are derived on demand.
    const bytes =
      large.deviceUser.byteLength * 3 +
      large.deviceProfile.byteLength * 5 +
      large.appOffsets.byteLength +
      large.appEntries.byteLength;
    expect(bytes / large.deviceCount).toBeLessThan(64);
    expect(buildDevice(large, 99_999).id).toBe(large.deviceIdOf(99_999));
  });
});
