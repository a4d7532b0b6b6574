// The planner: a true diff. An unchanged tenant (whatever ids, timestamps, versions and list order Graph adds)
// plans no changes every time; each difference is named setting by setting; objects of others are untouched.
import { compileForIntune } from '../../src/policies/compile/intune';
import type { Policy } from '../../src/policies/model';
import { describePlan, planPolicy } from '../../src/policies/plan';
import { held } from '../support/native';

const POLICY: Policy = {
  name: 'keep-work-chats-managed',
  targets: { connections: ['all'], platforms: ['android', 'ios'] },
  controls: {
    blockedApps: { mode: 'enforce', apps: ['com.whatsapp', 'net.whatsapp.WhatsApp', 'com.facebook.orca'] },
    workDataBackup: { mode: 'enforce', allowed: false },
    crossProfileContacts: { mode: 'enforce', allowed: false },
    crossProfileDataSharing: { mode: 'enforce', direction: 'work-to-personal-blocked' },
    encryptionRequired: { mode: 'alert' },
  },
};
const desired = compileForIntune(POLICY).objects;

const inSync = () => desired.map(held);

describe('planPolicy', () => {
  it('creates everything in an empty tenant', () => {
    const plan = planPolicy(POLICY.name, desired, []);
    expect(plan.steps.map((s) => s.action)).toEqual(desired.map(() => 'create'));
    expect(plan.changes).toBe(true);
    expect(describePlan(plan)).toBe(`${desired.length} to create`);
  });

  it('plans no changes for an unchanged tenant, every time, with the same hash', () => {
    const first = planPolicy(POLICY.name, desired, inSync());
    const second = planPolicy(POLICY.name, compileForIntune(POLICY).objects, inSync().reverse());
    expect(first.steps.every((s) => s.action === 'no-change')).toBe(true);
    expect(first.changes).toBe(false);
    expect(describePlan(first)).toBe('no changes');
    expect(second.hash).toBe(first.hash);
  });

  it('names each setting changed in the console, current to desired', () => {
    const tenant = inSync();
    const android = tenant.find((s) => s.odataType.endsWith('androidManagedAppProtection'))!;
    android.properties.dataBackupBlocked = false;
    android.properties.allowedOutboundDataTransferDestinations = 'allApps';
    const plan = planPolicy(POLICY.name, desired, tenant);
    const update = plan.steps.find((s) => s.action === 'update');
    expect(update).toMatchObject({
      key: 'android-app-protection',
      id: android.id,
      changes: [
        { setting: 'dataBackupBlocked', current: false, desired: true },
        { setting: 'allowedOutboundDataTransferDestinations', current: 'allApps', desired: 'managedApps' },
      ],
    });
    expect(plan.steps.filter((s) => s.action === 'update')).toHaveLength(1);
    expect(describePlan(plan)).toBe('1 to update (2 settings)');
  });

  it('notices a removed assignment and a changed app target', () => {
    const tenant = inSync();
    const config = tenant.find((s) => s.collection === 'deviceConfigurations')!;
    config.assignments = [];
    const ios = tenant.find((s) => s.collection === 'iosManagedAppProtections')!;
    ios.targetApps = { appGroupType: 'allMicrosoftApps' };
    const changes = planPolicy(POLICY.name, desired, tenant).steps.flatMap((s) =>
      s.action === 'update' ? s.changes.map((c) => c.setting) : [],
    );
    expect(changes.sort()).toEqual(['assignments', 'targetApps']);
  });

  it('deletes objects the policy no longer compiles and copies of its own, and never touches others', () => {
    const smaller: Policy = { ...POLICY, controls: { workDataBackup: { mode: 'enforce', allowed: false } } };
    const tenant = [
      ...inSync(),
      { ...held(desired[0]!, 99), id: 'console-copy' },
      { ...held(desired[0]!, 98), id: 'someone-elses', description: 'made by hand' },
      {
        ...held(desired[0]!, 97),
        id: 'other-policy',
        description: desired[0]!.description.replaceAll(POLICY.name, 'other-policy'),
      },
    ];
    const plan = planPolicy(POLICY.name, compileForIntune(smaller).objects, tenant);
    const deleted = plan.steps.filter((s) => s.action === 'delete').map((s) => ('id' in s ? s.id : ''));
    expect(deleted).toContain('console-copy');
    expect(deleted).not.toContain('someone-elses');
    expect(deleted).not.toContain('other-policy');
    // Settings the policy no longer owns are left as they are (Graph has no "unset"): no updates are due.
    expect(plan.steps.filter((s) => s.action === 'update')).toEqual([]);
    const deletedKeys = plan.steps.filter((s) => s.action === 'delete' && s.id !== 'console-copy').map((s) => s.key);
    expect(deletedKeys.sort()).toEqual(['android-compliance', 'android-work-profile', 'ios-compliance']);
  });
});
