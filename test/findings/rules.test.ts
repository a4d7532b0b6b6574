// Each finding rule on its own, and how policies merge into a device's controls.

import {
  backupNotBlocked,
  blockedMessenger,
  controlsFor,
  crossProfileContactsAllowed,
  type DeviceControls,
  type EvaluatedDevice,
  evaluateDevice,
  jailbroken,
  mdmNoncompliant,
  NO_CONTROLS,
  noWorkProfile,
  ownerDeparted,
  staleCheckIn,
  unencrypted,
} from '../../src/findings/rules';
import type { Policy } from '../../src/policies/model';
import { anEvaluatedDevice } from '../support/factories';

const NOW = new Date('2026-11-22T12:00:00Z');

const device = anEvaluatedDevice;

const ALL: DeviceControls = {
  blockedApps: { apps: new Set(['com.whatsapp', 'net.whatsapp.whatsapp']), policies: ['p'] },
  workProfileRequired: ['p'],
  encryptionRequired: ['p'],
  staleCheckIn: { days: 14, policies: ['p'] },
  workDataBackup: { policies: [{ policy: 'p', enforcement: 'held' }] },
  crossProfileContacts: { policies: [{ policy: 'p', enforcement: 'held' }] },
};

describe('finding rules', () => {
  it('blocked-messenger: critical inside the work profile, high elsewhere, nothing without the control', () => {
    const inProfile = device({ apps: [{ identifier: 'com.whatsapp', scope: 'work-profile', version: '2.24' }] });
    expect(blockedMessenger(inProfile, ALL, NOW)).toEqual({
      rule: 'blocked-messenger',
      severity: 'critical',
      evidence: { apps: inProfile.apps, inWorkProfile: true, policies: ['p'] },
    });
    const onDevice = device({
      platform: 'ios',
      apps: [{ identifier: 'net.whatsapp.WhatsApp', scope: 'device', version: null }],
    });
    expect(blockedMessenger(onDevice, ALL, NOW)).toMatchObject({
      severity: 'high',
      evidence: { inWorkProfile: false },
    });
    expect(
      blockedMessenger(
        device({ apps: [{ identifier: 'org.telegram.messenger', scope: 'device', version: null }] }),
        ALL,
        NOW,
      ),
    ).toBeNull();
    expect(blockedMessenger(inProfile, NO_CONTROLS, NOW)).toBeNull();
  });

  it('no-work-profile: only personal Android devices outside a work profile', () => {
    expect(noWorkProfile(device({ enrollmentMode: 'legacy-admin' }), ALL, NOW)).toMatchObject({
      severity: 'high',
      evidence: { enrollmentMode: 'legacy-admin' },
    });
    expect(noWorkProfile(device(), ALL, NOW)).toBeNull();
    expect(noWorkProfile(device({ enrollmentMode: 'fully-managed', ownership: 'company' }), ALL, NOW)).toBeNull();
    expect(noWorkProfile(device({ platform: 'ios', enrollmentMode: 'device' }), ALL, NOW)).toBeNull();
    expect(noWorkProfile(device({ enrollmentMode: 'legacy-admin' }), NO_CONTROLS, NOW)).toBeNull();
  });

  it('unencrypted: known false only; unknown is not read as unencrypted', () => {
    expect(unencrypted(device({ encrypted: false }), ALL, NOW)).toMatchObject({
      rule: 'unencrypted',
      severity: 'high',
    });
    expect(unencrypted(device({ encrypted: null }), ALL, NOW)).toBeNull();
    expect(unencrypted(device({ encrypted: false }), NO_CONTROLS, NOW)).toBeNull();
  });

  it('jailbroken and mdm-noncompliant hold whatever the policies say', () => {
    expect(jailbroken(device({ jailbroken: true }), NO_CONTROLS, NOW)).toMatchObject({ severity: 'critical' });
    expect(jailbroken(device({ jailbroken: null }), NO_CONTROLS, NOW)).toBeNull();
    expect(mdmNoncompliant(device({ compliance: 'noncompliant' }), NO_CONTROLS, NOW)).toMatchObject({
      severity: 'medium',
    });
    expect(mdmNoncompliant(device({ compliance: 'unknown' }), NO_CONTROLS, NOW)).toBeNull();
  });

  it('stale-check-in: past the allowed days, with the evidence', () => {
    const stale = device({ lastCheckInAt: new Date('2026-11-01T12:00:00Z') });
    expect(staleCheckIn(stale, ALL, NOW)).toEqual({
      rule: 'stale-check-in',
      severity: 'medium',
      evidence: { lastCheckInAt: '2026-11-01T12:00:00.000Z', daysSince: 21, allowedDays: 14, policies: ['p'] },
    });
    expect(staleCheckIn(device({ lastCheckInAt: new Date('2026-11-08T12:00:00Z') }), ALL, NOW)).toBeNull();
    expect(staleCheckIn(device({ lastCheckInAt: null }), ALL, NOW)).toBeNull();
  });

  it('owner-departed: a disabled or deleted user, never an active or unknown one', () => {
    const owner = (state: EvaluatedDevice['owner']['state']) =>
      device({ owner: { state, externalId: 'u9', principalName: 'left@contoso.example' } });
    expect(ownerDeparted(owner('disabled'), NO_CONTROLS, NOW)).toEqual({
      rule: 'owner-departed',
      severity: 'high',
      evidence: { userId: 'u9', user: 'left@contoso.example', state: 'disabled' },
    });
    expect(ownerDeparted(owner('deleted'), NO_CONTROLS, NOW)).toMatchObject({ evidence: { state: 'deleted' } });
    expect(ownerDeparted(owner('active'), NO_CONTROLS, NOW)).toBeNull();
    expect(ownerDeparted(owner('unknown'), NO_CONTROLS, NOW)).toBeNull();
  });

  it('backup-not-blocked and cross-profile-contacts: only when no asking policy is held and one is known not to be', () => {
    const standing = (...enforcement: Array<'held' | 'not-applied' | 'drifted' | 'report-only' | 'unknown'>) => ({
      ...ALL,
      workDataBackup: { policies: enforcement.map((e, i) => ({ policy: `p${i}`, enforcement: e })) },
      crossProfileContacts: { policies: enforcement.map((e, i) => ({ policy: `p${i}`, enforcement: e })) },
    });
    expect(backupNotBlocked(device(), standing('drifted', 'unknown'), NOW)).toEqual({
      rule: 'backup-not-blocked',
      severity: 'high',
      evidence: {
        policies: [
          { policy: 'p0', enforcement: 'drifted' },
          { policy: 'p1', enforcement: 'unknown' },
        ],
      },
    });
    expect(crossProfileContactsAllowed(device(), standing('report-only'), NOW)).toMatchObject({
      rule: 'cross-profile-contacts',
      severity: 'medium',
    });
    expect(backupNotBlocked(device(), standing('not-applied', 'held'), NOW)).toBeNull();
    expect(backupNotBlocked(device(), standing('unknown'), NOW)).toBeNull();
    expect(backupNotBlocked(device({ platform: 'windows' }), standing('not-applied'), NOW)).toBeNull();
    expect(backupNotBlocked(device(), NO_CONTROLS, NOW)).toBeNull();
  });

  it('evaluates every rule for a device', () => {
    const bad = device({
      jailbroken: true,
      compliance: 'noncompliant',
      encrypted: false,
      enrollmentMode: 'legacy-admin',
    });
    expect(evaluateDevice(bad, ALL, NOW).map((f) => f.rule)).toEqual([
      'no-work-profile',
      'unencrypted',
      'jailbroken',
      'mdm-noncompliant',
    ]);
  });
});

describe('controlsFor', () => {
  const policy = (name: string, overrides: Partial<Policy>): Policy => ({
    name,
    targets: { connections: ['all'], platforms: ['android', 'ios'] },
    controls: { encryptionRequired: { mode: 'alert' } },
    ...overrides,
  });

  it('merges the policies targeting the connection and platform, the strictest check-in window winning', () => {
    const policies = [
      policy('a', {
        controls: {
          blockedApps: { mode: 'enforce', apps: ['com.whatsapp'] },
          staleCheckIn: { mode: 'alert', days: 30 },
        },
      }),
      policy('b', {
        controls: {
          blockedApps: { mode: 'alert', apps: ['com.facebook.orca'] },
          staleCheckIn: { mode: 'alert', days: 7 },
        },
      }),
      policy('c', {
        targets: { connections: ['other-tenant'], platforms: ['android'] },
        controls: { workProfileRequired: { mode: 'enforce' } },
      }),
      policy('d', {
        targets: { connections: ['all'], platforms: ['windows'] },
        controls: { encryptionRequired: { mode: 'enforce' } },
      }),
    ];
    const controls = controlsFor(policies, 'contoso', 'android');
    expect(controls.workDataBackup).toBeNull();
    expect([...controls.blockedApps!.apps]).toEqual(['com.whatsapp', 'com.facebook.orca']);
    expect(controls.blockedApps!.policies).toEqual(['a', 'b']);
    expect(controls.staleCheckIn).toEqual({ days: 7, policies: ['b'] });
    expect(controls.workProfileRequired).toEqual([]);
    expect(controls.encryptionRequired).toEqual([]);
    expect(controlsFor(policies, 'other-tenant', 'android').workProfileRequired).toEqual(['c']);
  });

  it('asks how each policy keeping a control by settings stands in the MDM, and skips allowed ones', () => {
    const policies = [
      policy('a', { controls: { workDataBackup: { mode: 'enforce', allowed: false } } }),
      policy('b', {
        controls: {
          workDataBackup: { mode: 'report', allowed: false },
          crossProfileContacts: { mode: 'alert', allowed: true },
        },
      }),
    ];
    const asked: string[] = [];
    const controls = controlsFor(policies, 'contoso', 'ios', (p, control) => {
      asked.push(`${p.name} ${control}`);
      return p.name === 'a' ? 'held' : 'report-only';
    });
    expect(asked).toEqual(['a workDataBackup', 'b workDataBackup']);
    expect(controls.workDataBackup).toEqual({
      policies: [
        { policy: 'a', enforcement: 'held' },
        { policy: 'b', enforcement: 'report-only' },
      ],
    });
    expect(controls.crossProfileContacts).toBeNull();
  });
});
