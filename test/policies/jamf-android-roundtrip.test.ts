// One policy compiled for Jamf Pro and for the Android Management API, carried out against each emulator through
// the real connectors: plan, apply, plan again ("no changes", the same hash twice); a setting changed by hand
// through the MDM's API shows up as exactly that change and applying puts it back; objects Warden does not own
// are never touched; what an MDM cannot enforce is said.
import { androidPolicyId } from '../../src/mdm/android/native';
import type { JamfConnector } from '../../src/mdm/jamf';
import { compileForAndroid } from '../../src/policies/compile/android';
import { compileForJamf } from '../../src/policies/compile/jamf';
import type { Policy } from '../../src/policies/model';
import { describePlan, nativeChanges, planPolicy } from '../../src/policies/plan';
import type { AndroidEmulator } from '../../src/sim/android';
import type { JamfEmulator } from '../../src/sim/jamf';
import { androidConnector, startEmulator } from '../mdm/android/helpers';
import { jamfConnector, startJamf } from '../mdm/jamf/helpers';

const POLICY: Policy = {
  name: 'keep-work-chats-managed',
  targets: { connections: ['all'], platforms: ['android', 'ios'] },
  controls: {
    blockedApps: { mode: 'enforce', apps: ['com.whatsapp', 'net.whatsapp.WhatsApp'] },
    workDataBackup: { mode: 'enforce', allowed: false },
    crossProfileContacts: { mode: 'enforce', allowed: false },
    crossProfileDataSharing: { mode: 'enforce', direction: 'work-to-personal-blocked' },
    encryptionRequired: { mode: 'alert' },
  },
};

describe('a policy applied to an emulated Jamf Pro server', () => {
  let emulator: JamfEmulator;
  let connector: JamfConnector;
  const compiled = compileForJamf(POLICY);
  const plan = async () => planPolicy(POLICY.name, compiled.objects, await connector.readNative());

  beforeAll(async () => {
    emulator = await startJamf({ mobileDevices: 10 });
    connector = jamfConnector(emulator);
  });
  afterAll(() => emulator?.stop());

  it('compiles iOS restrictions and says what Jamf cannot enforce', () => {
    expect(compiled.objects).toHaveLength(1);
    const [profile] = compiled.objects;
    expect(profile!.settings).toEqual({
      allowCloudBackup: false,
      allowManagedAppsCloudSync: false,
      allowCloudDocumentSync: false,
      allowOpenFromManagedToUnmanaged: false,
      allowOpenFromUnmanagedToManaged: true,
      requireManagedPasteboard: true,
      allowUnmanagedToReadManagedContacts: false,
      allowManagedToWriteUnmanagedContacts: false,
      blockedAppBundleIDs: ['com.whatsapp', 'net.whatsapp.WhatsApp'],
    });
    expect(profile!.assignments).toEqual([{ target: { allMobileDevices: true } }]);
    const said = compiled.unenforceable.map((u) => `${u.control}/${u.platform}`).sort();
    expect(said).toEqual(
      expect.arrayContaining(['blockedApps/ios', 'encryptionRequired/ios', 'workDataBackup/android']),
    );
  });

  it('creates the profile, then plans no changes, twice, with the same hash', async () => {
    const others = emulator.profiles.all().length;
    const first = await plan();
    expect(describePlan(first)).toBe('1 to create');
    await connector.applyNative(nativeChanges(first.steps));
    const again = await plan();
    expect(describePlan(again)).toBe('no changes');
    expect((await plan()).hash).toBe(again.hash);
    expect(emulator.profiles.all()).toHaveLength(others + 1);
  });

  it('shows a setting changed by hand as exactly that change, and applying puts it back', async () => {
    const [held] = await connector.readRestrictionProfiles();
    await connector.applyRestrictionProfile({
      op: 'update',
      id: held!.id,
      policy: held!.policy,
      key: held!.key,
      name: held!.name,
      description: held!.description,
      restrictions: { ...held!.restrictions, allowCloudBackup: true },
      scope: { ...held!.scope, allMobileDevices: false, mobileDeviceIds: ['1'] },
    });
    const drifted = await plan();
    expect(drifted.steps).toEqual([
      expect.objectContaining({
        action: 'update',
        changes: [
          { setting: 'allowCloudBackup', current: true, desired: false },
          {
            setting: 'assignments',
            current: [{ mobileDeviceId: '1' }],
            desired: [{ allMobileDevices: true }],
          },
        ],
      }),
    ]);
    await connector.applyNative(nativeChanges(drifted.steps));
    expect(describePlan(await plan())).toBe('no changes');
  });

  it('deletes its profile when the policy no longer compiles to one, leaving the others', async () => {
    const others = emulator.profiles.all().filter((p) => !p.description.includes('[warden:'));
    const removal = planPolicy(POLICY.name, [], await connector.readNative());
    expect(describePlan(removal)).toBe('1 to delete');
    await connector.applyNative(nativeChanges(removal.steps));
    await connector.applyNative(nativeChanges(removal.steps)); // already gone: done, not an error
    expect(emulator.profiles.all()).toEqual(others);
  });
});

describe('a policy applied to an emulated Android Management enterprise', () => {
  let emulator: AndroidEmulator;
  const connector = () => androidConnector(emulator);
  const compiled = compileForAndroid(POLICY);
  const plan = async () => planPolicy(POLICY.name, compiled.objects, await connector().readNative());
  const name = () => `${emulator.enterpriseName}/policies/${androidPolicyId(POLICY.name, 'android-policy')}`;

  beforeAll(async () => {
    emulator = await startEmulator({ devices: 10 });
  });
  afterAll(() => emulator?.stop());

  it('compiles one policy and says backup cannot be enforced through AMAPI', () => {
    expect(compiled.objects.map((o) => o.displayName)).toEqual(['warden.keep-work-chats-managed.android-policy']);
    expect(compiled.objects[0]!.settings).toMatchObject({
      'crossProfilePolicies.crossProfileDataSharing': 'DATA_SHARING_FROM_WORK_TO_PERSONAL_DISALLOWED',
      'crossProfilePolicies.crossProfileCopyPaste': 'COPY_FROM_WORK_TO_PERSONAL_DISALLOWED',
      'crossProfilePolicies.showWorkContactsInPersonalProfile': 'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_DISALLOWED',
      'statusReportingSettings.applicationReportsEnabled': true,
    });
    const backup = compiled.unenforceable.find((u) => u.control === 'workDataBackup' && u.platform === 'android');
    expect(backup?.reason).toMatch(/no setting that blocks backup/);
  });

  it('creates the policy, then plans no changes, twice, with the same hash', async () => {
    const seeded = (await connector().readPolicies()).length;
    const first = await plan();
    expect(describePlan(first)).toBe('1 to create');
    await connector().applyNative(nativeChanges(first.steps));
    const again = await plan();
    expect(describePlan(again)).toBe('no changes');
    expect((await plan()).hash).toBe(again.hash);
    const stored = (await connector().readPolicies()).find((p) => p.name === name());
    expect(stored).toMatchObject({
      applications: [
        { packageName: 'com.whatsapp', installType: 'BLOCKED' },
        { packageName: 'net.whatsapp.WhatsApp', installType: 'BLOCKED' },
      ],
      crossProfilePolicies: { crossProfileDataSharing: 'DATA_SHARING_FROM_WORK_TO_PERSONAL_DISALLOWED' },
    });
    expect(await connector().readPolicies()).toHaveLength(seeded + 1);
  });

  it('shows a field changed by hand as exactly that change; applying patches only that part back', async () => {
    const stored = (await connector().readPolicies()).find((p) => p.name === name())!;
    await connector().patchPolicy(name(), {
      ...stored,
      crossProfilePolicies: {
        ...stored.crossProfilePolicies,
        showWorkContactsInPersonalProfile: 'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_ALLOWED',
      },
      // An admin's own addition to the policy: not Warden's, kept by the repair.
      screenCaptureDisabled: true,
    });
    const drifted = await plan();
    expect(drifted.steps).toEqual([
      expect.objectContaining({
        action: 'update',
        changes: [
          {
            setting: 'crossProfilePolicies.showWorkContactsInPersonalProfile',
            current: 'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_ALLOWED',
            desired: 'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_DISALLOWED',
          },
        ],
      }),
    ]);
    await connector().applyNative(nativeChanges(drifted.steps));
    expect(describePlan(await plan())).toBe('no changes');
    expect((await connector().readPolicies()).find((p) => p.name === name())).toMatchObject({
      screenCaptureDisabled: true,
    });
  });

  it('never reads policies it does not own as its own, and deletes its own once', async () => {
    const removal = planPolicy(POLICY.name, [], await connector().readNative());
    expect(removal.steps.map((s) => [s.action, s.displayName])).toEqual([
      ['delete', 'warden.keep-work-chats-managed.android-policy'],
    ]);
    await connector().applyNative(nativeChanges(removal.steps));
    await connector().applyNative(nativeChanges(removal.steps));
    expect((await connector().readPolicies()).some((p) => p.name === name())).toBe(false);
  });
});
