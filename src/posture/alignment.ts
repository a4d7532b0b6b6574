// Alignment, as pure functions: for one device and one control of a policy that targets it, whether the control
// holds, fails, cannot be enforced on that device through its MDM, or is unknown. Controls seen on the device
// (blocked apps, work profile, encryption, check-in age) are judged from the inventory; controls kept by MDM
// settings from the last drift check that could read the tenant. Unknown and not enforceable never count as
// holding: a posture that cannot be proven is not claimed.

import type { Enforcement, EvaluatedDevice, SettingControl } from '../findings/rules';
import type { Platform } from '../mdm/connector';
import type { Policy } from '../policies/model';

export type ControlName = keyof Policy['controls'];
export type ControlStatus = 'holds' | 'fails' | 'unknown' | 'notEnforceable';

/** Platforms Warden configures through the MDM; elsewhere settings controls are not enforceable. */
const CONFIGURED_PLATFORMS: readonly Platform[] = ['android', 'ios'];
const DAY_MS = 86_400_000;

/** Whether a control asks anything of a device (an `allowed: true` backup control asks nothing). */
export function asksSomething(policy: Policy, control: ControlName): boolean {
  const c = policy.controls;
  switch (control) {
    case 'workDataBackup':
      return c.workDataBackup?.allowed === false;
    case 'crossProfileContacts':
      return c.crossProfileContacts?.allowed === false;
    case 'crossProfileDataSharing':
      return c.crossProfileDataSharing !== undefined && c.crossProfileDataSharing.direction !== 'allowed';
    default:
      return c[control] !== undefined;
  }
}

/** Whether a policy targets devices of this connection and platform (groups are not resolved yet: all users). */
export function targets(policy: Policy, connectionName: string, platform: Platform): boolean {
  const { connections, platforms } = policy.targets;
  return (
    (connections.includes('all') || connections.includes(connectionName)) && (platforms as string[]).includes(platform)
  );
}

/** How a settings-kept control stands on a device of a platform, given its enforcement in the device's MDM. */
export function settingStatus(platform: Platform, enforcement: Enforcement): ControlStatus {
  if (!CONFIGURED_PLATFORMS.includes(platform) || enforcement === 'not-enforceable') return 'notEnforceable';
  if (enforcement === 'held') return 'holds';
  if (enforcement === 'unknown') return 'unknown';
  return 'fails';
}

const blockedSets = new WeakMap<Policy, ReadonlySet<string>>();
/** A policy's blocked apps in lower case, made once per policy document (evaluation asks per device). */
function blockedSet(policy: Policy): ReadonlySet<string> {
  let set = blockedSets.get(policy);
  if (!set) {
    set = new Set((policy.controls.blockedApps?.apps ?? []).map((a) => a.toLowerCase()));
    blockedSets.set(policy, set);
  }
  return set;
}

/**
 * One control of one policy on one device. `enforcement` is how the MDM holds a settings control (only asked
 * for those). Exemption lists can be read but not set through Graph v1.0, so they are not enforceable per device.
 */
export function controlStatus(
  device: EvaluatedDevice,
  policy: Policy,
  control: ControlName,
  enforcement: (control: SettingControl) => Enforcement,
  now: Date,
): ControlStatus {
  const c = policy.controls;
  switch (control) {
    case 'blockedApps': {
      if (device.apps.length === 0) return 'holds';
      const blocked = blockedSet(policy);
      return device.apps.some((app) => blocked.has(app.identifier.toLowerCase())) ? 'fails' : 'holds';
    }
    case 'workProfileRequired':
      if (device.platform !== 'android') return 'notEnforceable';
      if (device.ownership === 'unknown' || device.enrollmentMode === 'unknown') return 'unknown';
      return device.ownership === 'personal' && device.enrollmentMode !== 'work-profile' ? 'fails' : 'holds';
    case 'encryptionRequired':
      return device.encrypted === null ? 'unknown' : device.encrypted ? 'holds' : 'fails';
    case 'staleCheckIn': {
      if (!device.lastCheckInAt || !c.staleCheckIn) return 'unknown';
      const days = Math.floor((now.getTime() - device.lastCheckInAt.getTime()) / DAY_MS);
      return days > c.staleCheckIn.days ? 'fails' : 'holds';
    }
    case 'managedAppExemptions':
      return 'notEnforceable';
    case 'workDataBackup':
    case 'crossProfileContacts':
    case 'crossProfileDataSharing':
      return settingStatus(device.platform, enforcement(control));
  }
}
