// Drift as pure rules: each kind of change in the tenant becomes one event carrying the controls it breaks and
// their strictest mode; only enforce-mode drift turns into native changes, and of an object only its enforced
// settings are sent back.
import { compileForIntune } from '../../src/policies/compile/intune';
import { describeDrift, driftOf, exemptionDrift, remediationChanges } from '../../src/policies/drift';
import type { Policy } from '../../src/policies/model';
import { type NativeState, planPolicy } from '../../src/policies/plan';
import { held } from '../support/native';

const POLICY: Policy = {
  name: 'chats',
  targets: { connections: ['all'], platforms: ['android', 'ios'] },
  controls: {
    blockedApps: { mode: 'alert', apps: ['com.whatsapp'] },
    workDataBackup: { mode: 'enforce', allowed: false },
    crossProfileContacts: { mode: 'alert', allowed: false },
  },
};
const applied = compileForIntune(POLICY).objects;

const tenant = () => applied.map(held);
const byKey = (states: NativeState[], key: string) => states[applied.findIndex((o) => o.key === key)]!;
const drift = (states: NativeState[]) => {
  const plan = planPolicy(POLICY.name, applied, states);
  return { plan, events: driftOf(plan, POLICY, applied) };
};

describe('driftOf', () => {
  it('finds no drift in a tenant holding what was applied', () => {
    const { events } = drift(tenant());
    expect(events).toEqual([]);
    expect(describeDrift(events)).toBe('in sync');
  });

  it('names a changed setting with the control it breaks and that control mode', () => {
    const states = tenant();
    byKey(states, 'android-app-protection').properties.dataBackupBlocked = false;
    byKey(states, 'android-app-protection').properties.contactSyncBlocked = false;
    const { events } = drift(states);
    expect(events).toEqual([
      expect.objectContaining({
        kind: 'setting-changed',
        setting: 'dataBackupBlocked',
        current: false,
        desired: true,
        controls: ['workDataBackup'],
        mode: 'enforce',
      }),
      expect.objectContaining({ setting: 'contactSyncBlocked', controls: ['crossProfileContacts'], mode: 'alert' }),
    ]);
  });

  it('takes the strictest mode of an object for object-level drift', () => {
    const states = tenant().filter((s) => s.description?.includes('/ios-app-protection]') !== true);
    const { events } = drift(states);
    expect(events).toEqual([
      expect.objectContaining({
        kind: 'object-deleted',
        key: 'ios-app-protection',
        objectId: null,
        controls: ['blockedApps', 'crossProfileContacts', 'workDataBackup'],
        mode: 'enforce',
      }),
    ]);
  });

  it('tells a removed assignment from an added one, and reports a copy carrying the marker as extra', () => {
    const states = tenant();
    byKey(states, 'android-app-protection').assignments = [];
    const restrictions = byKey(states, 'ios-restrictions');
    restrictions.assignments = [
      ...restrictions.assignments,
      { target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: 'g' } },
    ];
    const copy = { ...byKey(states, 'android-work-profile'), id: 'copy' };
    const { events } = drift([...states, copy]);
    expect(events.map((e) => [e.kind, e.key])).toEqual([
      ['assignment-removed', 'android-app-protection'],
      ['assignment-added', 'ios-restrictions'],
      ['extra-object', 'android-work-profile'],
    ]);
    expect(describeDrift(events)).toBe('1 assignment removed, 1 assignment added, 1 extra object');
  });
});

describe('remediationChanges', () => {
  it('sends back only the enforced settings of a changed object', () => {
    const states = tenant();
    byKey(states, 'android-app-protection').properties.dataBackupBlocked = false;
    byKey(states, 'android-app-protection').properties.contactSyncBlocked = false;
    const { plan, events } = drift(states);
    expect(remediationChanges(plan, events)).toEqual([
      expect.objectContaining({
        action: 'update',
        id: byKey(states, 'android-app-protection').id,
        changed: ['dataBackupBlocked'],
      }),
    ]);
  });

  it('recreates a deleted enforced object and leaves alert-only drift alone', () => {
    const states = tenant().filter((s) => !s.description?.includes('/ios-app-protection]'));
    const workProfile = states.find((s) => s.description?.includes('/android-work-profile]'))!;
    workProfile.properties.workProfileBlockCrossProfileContactsSearch = false;
    const { plan, events } = drift(states);
    expect(events.map((e) => e.mode).sort()).toEqual(['alert', 'enforce']);
    const changes = remediationChanges(plan, events);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ action: 'create', desired: { key: 'ios-app-protection' } });
  });

  it('deletes an extra copy only when the object is enforced', () => {
    const states = tenant();
    const copies = [
      { ...byKey(states, 'android-app-protection'), id: 'copy-enforced' },
      { ...byKey(states, 'android-work-profile'), id: 'copy-alert' },
    ];
    const { plan, events } = drift([...states, ...copies]);
    expect(remediationChanges(plan, events)).toEqual([
      { action: 'delete', id: 'copy-enforced', collection: 'androidManagedAppProtections' },
    ]);
  });
});

describe('exemptionDrift', () => {
  const watching: Policy = {
    ...POLICY,
    controls: {
      ...POLICY.controls,
      managedAppExemptions: { mode: 'alert', forbid: ['com.whatsapp', 'net.whatsapp.WhatsApp'] },
    },
  };
  const withExemptions = (android: string[] | undefined, ios: string[] | undefined) => {
    const states = tenant();
    byKey(states, 'android-app-protection').exemptions = android;
    byKey(states, 'ios-app-protection').exemptions = ios;
    return states;
  };

  it('finds forbidden apps by package id or by the URL scheme of a bundle id, ignoring the rest', () => {
    const events = exemptionDrift(
      watching,
      withExemptions(['com.microsoft.teams', 'COM.WHATSAPP'], ['whatsapp://', 'ms-teams']),
    );
    expect(events).toEqual([
      expect.objectContaining({
        kind: 'exemption-added',
        key: 'android-app-protection',
        current: ['COM.WHATSAPP'],
        mode: 'alert',
      }),
      expect.objectContaining({ key: 'ios-app-protection', setting: 'exemptedAppProtocols', current: ['whatsapp://'] }),
    ]);
    expect(describeDrift(events)).toBe('2 forbidden exemptions');
  });

  it('says nothing when the lists were not read, the control is absent or only reported', () => {
    expect(exemptionDrift(watching, withExemptions(undefined, undefined))).toEqual([]);
    expect(exemptionDrift(POLICY, withExemptions(['com.whatsapp'], []))).toEqual([]);
    const reported: Policy = {
      ...watching,
      controls: { ...watching.controls, managedAppExemptions: { mode: 'report', forbid: ['com.whatsapp'] } },
    };
    expect(exemptionDrift(reported, withExemptions(['com.whatsapp'], []))).toEqual([]);
  });

  it('is never turned into a native change, even in enforce mode', () => {
    const enforcing: Policy = {
      ...watching,
      controls: { ...watching.controls, managedAppExemptions: { mode: 'enforce', forbid: ['com.whatsapp'] } },
    };
    const states = withExemptions(['com.whatsapp'], []);
    const plan = planPolicy(POLICY.name, applied, states);
    expect(remediationChanges(plan, exemptionDrift(enforcing, states))).toEqual([]);
  });
});
