import { canonicalPolicy, type Policy, policyHash } from '../../src/policies/model';

const policy: Policy = {
  name: 'keep-work-chats-managed',
  targets: { connections: ['all'], platforms: ['ios', 'android'], groups: ['sales', 'all-employees'] },
  controls: {
    blockedApps: { mode: 'enforce', apps: ['net.whatsapp.WhatsApp', 'com.whatsapp', 'com.facebook.orca'] },
    workDataBackup: { mode: 'enforce', allowed: false },
    staleCheckIn: { mode: 'alert', days: 14 },
  },
  remediation: { graceHours: 24, steps: ['resync', 'notify', 'retire'] },
};

describe('policy model', () => {
  it('hashes documents that mean the same thing alike, whatever the order of keys and sets', () => {
    const reordered: Policy = {
      remediation: { steps: ['resync', 'notify', 'retire'], graceHours: 24 },
      controls: {
        staleCheckIn: { days: 14, mode: 'alert' },
        workDataBackup: { allowed: false, mode: 'enforce' },
        blockedApps: { apps: ['com.facebook.orca', 'com.whatsapp', 'net.whatsapp.WhatsApp'], mode: 'enforce' },
      },
      targets: { groups: ['all-employees', 'sales'], platforms: ['android', 'ios'], connections: ['all'] },
      name: 'keep-work-chats-managed',
    };
    expect(policyHash(reordered)).toBe(policyHash(policy));
  });

  it('keeps the order of remediation steps, which run in that order', () => {
    const reordered = { ...policy, remediation: { graceHours: 24, steps: ['notify', 'resync', 'retire'] as const } };
    expect(
      policyHash({ ...reordered, remediation: { ...reordered.remediation, steps: [...reordered.remediation.steps] } }),
    ).not.toBe(policyHash(policy));
  });

  it('tells a changed setting apart', () => {
    const changed = { ...policy, controls: { ...policy.controls, staleCheckIn: { mode: 'alert' as const, days: 15 } } };
    expect(policyHash(changed)).not.toBe(policyHash(policy));
  });

  it('sorts sets in the canonical form without touching the input', () => {
    const canonical = canonicalPolicy(policy);
    expect(canonical.controls.blockedApps!.apps).toEqual([
      'com.facebook.orca',
      'com.whatsapp',
      'net.whatsapp.WhatsApp',
    ]);
    expect(canonical.targets.platforms).toEqual(['android', 'ios']);
    expect(policy.controls.blockedApps!.apps[0]).toBe('net.whatsapp.WhatsApp');
  });
});
