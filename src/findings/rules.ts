// Device findings as pure functions: given a device (as the inventory holds it, with its watched apps) and the
// controls that policies apply to it, which findings hold, with their evidence. No I/O here: every rule is
// unit-tested on its own, and the evaluator runs them over the fleet in batches.
import type { AppScope, Compliance, EnrollmentMode, Ownership, Platform } from '../mdm/connector';
import type { Policy } from '../policies/model';

export type Severity = 'low' | 'medium' | 'high' | 'critical';
export type RuleName =
  | 'blocked-messenger'
  | 'no-work-profile'
  | 'unencrypted'
  | 'jailbroken'
  | 'stale-check-in'
  | 'mdm-noncompliant';

export interface EvaluatedDevice {
  id: string;
  connectionId: string;
  platform: Platform;
  ownership: Ownership;
  enrollmentMode: EnrollmentMode;
  encrypted: boolean | null;
  jailbroken: boolean | null;
  compliance: Compliance;
  lastCheckInAt: Date | null;
  apps: Array<{ identifier: string; scope: AppScope; version: string | null }>;
}

/** What the policies targeting one device ask of it, merged (the strictest wins). */
export interface DeviceControls {
  blockedApps: { apps: ReadonlySet<string>; policies: string[] } | null;
  workProfileRequired: string[];
  encryptionRequired: string[];
  staleCheckIn: { days: number; policies: string[] } | null;
}

export interface Finding {
  rule: RuleName;
  severity: Severity;
  evidence: Record<string, unknown>;
}

export const NO_CONTROLS: DeviceControls = {
  blockedApps: null,
  workProfileRequired: [],
  encryptionRequired: [],
  staleCheckIn: null,
};

/** The controls of the policies that target this connection and platform. Groups are not resolved yet: all users. */
export function controlsFor(policies: readonly Policy[], connectionName: string, platform: Platform): DeviceControls {
  const controls: DeviceControls = {
    blockedApps: null,
    workProfileRequired: [],
    encryptionRequired: [],
    staleCheckIn: null,
  };
  const blocked = new Set<string>();
  const blockingPolicies: string[] = [];
  for (const policy of policies) {
    const { connections, platforms } = policy.targets;
    if (!(connections.includes('all') || connections.includes(connectionName))) continue;
    if (!(platforms as string[]).includes(platform)) continue;
    const c = policy.controls;
    if (c.blockedApps) {
      for (const app of c.blockedApps.apps) blocked.add(app.toLowerCase());
      blockingPolicies.push(policy.name);
    }
    if (c.workProfileRequired) controls.workProfileRequired.push(policy.name);
    if (c.encryptionRequired) controls.encryptionRequired.push(policy.name);
    if (c.staleCheckIn) {
      const current = controls.staleCheckIn;
      if (!current || c.staleCheckIn.days < current.days)
        controls.staleCheckIn = { days: c.staleCheckIn.days, policies: [policy.name] };
      else if (c.staleCheckIn.days === current.days) current.policies.push(policy.name);
    }
  }
  if (blockingPolicies.length > 0) controls.blockedApps = { apps: blocked, policies: blockingPolicies };
  return controls;
}

const DAY_MS = 86_400_000;

type Rule = (device: EvaluatedDevice, controls: DeviceControls, now: Date) => Finding | null;

/** A blocked messenger on the device; critical when it sits inside the Android work profile, with work data. */
export const blockedMessenger: Rule = (device, controls) => {
  if (!controls.blockedApps) return null;
  const found = device.apps.filter((app) => controls.blockedApps!.apps.has(app.identifier.toLowerCase()));
  if (found.length === 0) return null;
  const inWorkProfile = found.some((app) => app.scope === 'work-profile');
  return {
    rule: 'blocked-messenger',
    severity: inWorkProfile ? 'critical' : 'high',
    evidence: { apps: found, inWorkProfile, policies: controls.blockedApps.policies },
  };
};

/** A personal Android device whose work apps are not fenced into a work profile. */
export const noWorkProfile: Rule = (device, controls) => {
  if (controls.workProfileRequired.length === 0) return null;
  if (device.platform !== 'android' || device.ownership !== 'personal' || device.enrollmentMode === 'work-profile')
    return null;
  return {
    rule: 'no-work-profile',
    severity: 'high',
    evidence: { enrollmentMode: device.enrollmentMode, policies: controls.workProfileRequired },
  };
};

/** Known to be unencrypted. (An MDM that does not know is not a finding of this kind: unknown is not false.) */
export const unencrypted: Rule = (device, controls) =>
  controls.encryptionRequired.length > 0 && device.encrypted === false
    ? { rule: 'unencrypted', severity: 'high', evidence: { encrypted: false, policies: controls.encryptionRequired } }
    : null;

/** Jailbroken or rooted: always a finding, whatever the policies say. */
export const jailbroken: Rule = (device) =>
  device.jailbroken === true ? { rule: 'jailbroken', severity: 'critical', evidence: { jailbroken: true } } : null;

export const staleCheckIn: Rule = (device, controls, now) => {
  if (!controls.staleCheckIn || !device.lastCheckInAt) return null;
  const days = Math.floor((now.getTime() - device.lastCheckInAt.getTime()) / DAY_MS);
  if (days <= controls.staleCheckIn.days) return null;
  return {
    rule: 'stale-check-in',
    severity: 'medium',
    evidence: {
      lastCheckInAt: device.lastCheckInAt.toISOString(),
      daysSince: days,
      allowedDays: controls.staleCheckIn.days,
      policies: controls.staleCheckIn.policies,
    },
  };
};

/** The MDM itself reports the device noncompliant: always a finding. */
export const mdmNoncompliant: Rule = (device) =>
  device.compliance === 'noncompliant'
    ? { rule: 'mdm-noncompliant', severity: 'medium', evidence: { compliance: 'noncompliant' } }
    : null;

export const RULES: readonly Rule[] = [
  blockedMessenger,
  noWorkProfile,
  unencrypted,
  jailbroken,
  staleCheckIn,
  mdmNoncompliant,
];

export function evaluateDevice(device: EvaluatedDevice, controls: DeviceControls, now: Date): Finding[] {
  const findings: Finding[] = [];
  for (const rule of RULES) {
    const finding = rule(device, controls, now);
    if (finding) findings.push(finding);
  }
  return findings;
}
