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
  | 'mdm-noncompliant'
  | 'owner-departed'
  | 'backup-not-blocked'
  | 'cross-profile-contacts';

/** Whether the device's user is still with the organisation, as the directory last listed completely says. */
export type OwnerState = 'active' | 'disabled' | 'deleted' | 'unknown';

/**
 * Whether the MDM holds what a policy asks for a control on a platform, as the last drift check that could read
 * the tenant found: held; not applied there; drifted (and not put back); only reported (report mode compiles
 * nothing); not enforceable through that MDM on that platform (e.g. backup on Android Management); or unknown
 * (never checked, or never readable).
 */
export type Enforcement = 'held' | 'not-applied' | 'drifted' | 'report-only' | 'not-enforceable' | 'unknown';

/** A control kept by MDM settings rather than seen on the device: which policies ask it, and whether each holds. */
export interface EnforcedControl {
  policies: Array<{ policy: string; enforcement: Enforcement }>;
}

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
  owner: { state: OwnerState; externalId: string | null; principalName: string | null };
}

/** What the policies targeting one device ask of it, merged (the strictest wins). */
export interface DeviceControls {
  blockedApps: { apps: ReadonlySet<string>; policies: string[] } | null;
  workProfileRequired: string[];
  encryptionRequired: string[];
  staleCheckIn: { days: number; policies: string[] } | null;
  /** Policies asking that work data is not backed up to personal clouds. */
  workDataBackup: EnforcedControl | null;
  /** Policies asking that personal apps do not see work contacts. */
  crossProfileContacts: EnforcedControl | null;
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
  workDataBackup: null,
  crossProfileContacts: null,
};

/** Controls kept by MDM settings (app protection), whose state comes from drift checks rather than the device. */
export type SettingControl = 'workDataBackup' | 'crossProfileContacts' | 'crossProfileDataSharing';

/** How a policy's control stands in the MDM of the device's connection, for its platform. */
export type EnforcementOf = (policy: Policy, control: SettingControl) => Enforcement;

/**
 * The controls of the policies that target this connection and platform. Groups are not resolved yet: all
 * users. `enforcementOf` says whether the MDM holds the controls kept by settings (default: unknown).
 */
export function controlsFor(
  policies: readonly Policy[],
  connectionName: string,
  platform: Platform,
  enforcementOf: EnforcementOf = () => 'unknown',
): DeviceControls {
  const controls: DeviceControls = {
    blockedApps: null,
    workProfileRequired: [],
    encryptionRequired: [],
    staleCheckIn: null,
    workDataBackup: null,
    crossProfileContacts: null,
  };
  const enforced = (policy: Policy, control: 'workDataBackup' | 'crossProfileContacts') => {
    const entry = { policy: policy.name, enforcement: enforcementOf(policy, control) };
    if (controls[control]) controls[control].policies.push(entry);
    else controls[control] = { policies: [entry] };
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
    if (c.workDataBackup && !c.workDataBackup.allowed) enforced(policy, 'workDataBackup');
    if (c.crossProfileContacts && !c.crossProfileContacts.allowed) enforced(policy, 'crossProfileContacts');
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

/** The device's user has left: disabled or deleted in the directory. Always a finding: their data must go. */
export const ownerDeparted: Rule = (device) => {
  const { state, externalId, principalName } = device.owner;
  if (state !== 'disabled' && state !== 'deleted') return null;
  return { rule: 'owner-departed', severity: 'high', evidence: { userId: externalId, user: principalName, state } };
};

/** Only Android and iOS are configured by Warden; elsewhere the plan says "not enforceable", not a device finding. */
const CONFIGURED_PLATFORMS: readonly Platform[] = ['android', 'ios'];

/**
 * A control kept by MDM settings does not hold for this device: no asking policy is held by the MDM, and at
 * least one is known not to be (not applied, drifted, report only). All unknown is no finding: not known to fail.
 */
function notHeld(device: EvaluatedDevice, control: EnforcedControl | null): EnforcedControl | null {
  if (!control || !CONFIGURED_PLATFORMS.includes(device.platform)) return null;
  if (control.policies.some((p) => p.enforcement === 'held')) return null;
  return control.policies.some((p) => p.enforcement !== 'unknown') ? control : null;
}

/** Work data may be backed up to personal clouds: a policy forbids it, and the MDM is not holding that. */
export const backupNotBlocked: Rule = (device, controls) => {
  const failing = notHeld(device, controls.workDataBackup);
  return failing ? { rule: 'backup-not-blocked', severity: 'high', evidence: { policies: failing.policies } } : null;
};

/** Personal apps may see work contacts: a policy forbids it, and the MDM is not holding that. */
export const crossProfileContactsAllowed: Rule = (device, controls) => {
  const failing = notHeld(device, controls.crossProfileContacts);
  return failing
    ? { rule: 'cross-profile-contacts', severity: 'medium', evidence: { policies: failing.policies } }
    : null;
};

export const RULES: readonly Rule[] = [
  blockedMessenger,
  noWorkProfile,
  unencrypted,
  jailbroken,
  staleCheckIn,
  mdmNoncompliant,
  ownerDeparted,
  backupNotBlocked,
  crossProfileContactsAllowed,
];

export function evaluateDevice(device: EvaluatedDevice, controls: DeviceControls, now: Date): Finding[] {
  const findings: Finding[] = [];
  for (const rule of RULES) {
    const finding = rule(device, controls, now);
    if (finding) findings.push(finding);
  }
  return findings;
}
