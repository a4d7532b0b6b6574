// Alignment rules, one control at a time: holds, fails, unknown and not enforceable, never guessed.
import type { EvaluatedDevice } from '../../src/findings/rules';
import type { Policy } from '../../src/policies/model';
import { deviceState } from '../../src/posture/aggregate';
import { asksSomething, controlStatus, settingStatus, targets } from '../../src/posture/alignment';
import { anEvaluatedDevice } from '../support/factories';

const NOW = new Date('2026-11-22T12:00:00Z');

const device = anEvaluatedDevice;

const policy: Policy = {
  name: 'p',
  targets: { connections: ['contoso'], platforms: ['android', 'ios', 'windows'] },
  controls: {
    blockedApps: { mode: 'enforce', apps: ['com.WhatsApp'] },
    workProfileRequired: { mode: 'alert' },
    encryptionRequired: { mode: 'alert' },
    staleCheckIn: { mode: 'alert', days: 14 },
    workDataBackup: { mode: 'enforce', allowed: false },
    crossProfileContacts: { mode: 'enforce', allowed: true },
    crossProfileDataSharing: { mode: 'enforce', direction: 'blocked' },
    managedAppExemptions: { mode: 'alert', forbid: ['com.whatsapp'] },
  },
};

const status = (d: EvaluatedDevice, control: keyof Policy['controls'], enforcement = 'held' as const) =>
  controlStatus(d, policy, control, () => enforcement, NOW);

describe('controlStatus', () => {
  it('judges blocked apps from the inventory, case-insensitively', () => {
    expect(status(device(), 'blockedApps')).toBe('holds');
    const withApp = device({ apps: [{ identifier: 'com.whatsapp', scope: 'personal-profile', version: null }] });
    expect(status(withApp, 'blockedApps')).toBe('fails');
  });

  it('asks a work profile of personal Android devices only', () => {
    expect(status(device(), 'workProfileRequired')).toBe('holds');
    expect(status(device({ enrollmentMode: 'device' }), 'workProfileRequired')).toBe('fails');
    expect(status(device({ ownership: 'company', enrollmentMode: 'fully-managed' }), 'workProfileRequired')).toBe(
      'holds',
    );
    expect(status(device({ ownership: 'unknown', enrollmentMode: 'device' }), 'workProfileRequired')).toBe('unknown');
    expect(status(device({ platform: 'ios' }), 'workProfileRequired')).toBe('notEnforceable');
  });

  it('never counts a field the MDM does not report as holding', () => {
    expect(status(device({ encrypted: null }), 'encryptionRequired')).toBe('unknown');
    expect(status(device({ encrypted: false }), 'encryptionRequired')).toBe('fails');
    expect(status(device({ lastCheckInAt: null }), 'staleCheckIn')).toBe('unknown');
    expect(status(device({ lastCheckInAt: new Date('2026-11-01T12:00:00Z') }), 'staleCheckIn')).toBe('fails');
    expect(status(device(), 'staleCheckIn')).toBe('holds');
  });

  it('takes settings controls from the MDM, and calls them not enforceable off Android and iOS', () => {
    expect(status(device(), 'workDataBackup', 'held')).toBe('holds');
    expect(controlStatus(device(), policy, 'workDataBackup', () => 'unknown', NOW)).toBe('unknown');
    expect(controlStatus(device(), policy, 'workDataBackup', () => 'drifted', NOW)).toBe('fails');
    expect(controlStatus(device(), policy, 'crossProfileDataSharing', () => 'not-applied', NOW)).toBe('fails');
    expect(status(device({ platform: 'windows' }), 'workDataBackup')).toBe('notEnforceable');
    expect(settingStatus('ios', 'report-only')).toBe('fails');
    expect(status(device(), 'managedAppExemptions')).toBe('notEnforceable');
  });
});

describe('what a policy asks and whom it targets', () => {
  it('skips controls that allow what they govern', () => {
    expect(asksSomething(policy, 'workDataBackup')).toBe(true);
    expect(asksSomething(policy, 'crossProfileContacts')).toBe(false);
    expect(
      asksSomething(
        { ...policy, controls: { crossProfileDataSharing: { mode: 'alert', direction: 'allowed' } } },
        'crossProfileDataSharing',
      ),
    ).toBe(false);
  });

  it('targets by connection name (or all) and platform', () => {
    expect(targets(policy, 'contoso', 'android')).toBe(true);
    expect(targets(policy, 'fabrikam', 'android')).toBe(false);
    expect(targets(policy, 'contoso', 'macos')).toBe(false);
    expect(targets({ ...policy, targets: { connections: ['all'], platforms: ['macos'] } }, 'fabrikam', 'macos')).toBe(
      true,
    );
  });
});

describe('deviceState', () => {
  it('is noncompliant with a finding or when the MDM says so, unknown when the MDM does not know', () => {
    expect(deviceState({ compliance: 'compliant' }, 0)).toBe('compliant');
    expect(deviceState({ compliance: 'compliant' }, 1)).toBe('noncompliant');
    expect(deviceState({ compliance: 'in-grace-period' }, 0)).toBe('noncompliant');
    expect(deviceState({ compliance: 'unknown' }, 0)).toBe('unknown');
    expect(deviceState({ compliance: 'unknown' }, 2)).toBe('noncompliant');
  });
});
