// Compiling a policy to Jamf Pro, as a pure function: one configuration profile for iOS/iPadOS mobile devices
// holding a Restrictions payload (com.apple.applicationaccess), scoped to all managed mobile devices and marked
// as Warden's. What the profile cannot carry (Android, Windows and macOS devices, encryption, check-in age,
// app-protection exemptions) is said explicitly, never reported as met. Report-mode controls are not compiled.
import { JAMF_PROFILES } from '../../mdm/jamf/native';
import { RESTRICTIONS_PAYLOAD_TYPE } from '../../mdm/jamf/restrictions';
import { markerOf, type NativeObject } from '../../mdm/native';
import type { Policy } from '../model';
import { activeControls, type CompiledPolicy, Settings, type Unenforceable } from './common';

export function compileForJamf(policy: Policy): CompiledPolicy {
  const { active: c, reportOnly } = activeControls(policy);
  const platforms = new Set<string>(policy.targets.platforms);
  const objects: NativeObject[] = [];
  const unenforceable: Unenforceable[] = [];
  const controls = Object.keys(c) as Array<keyof Policy['controls']>;

  if (platforms.has('ios')) {
    const restrictions = new Settings();
    if (c.workDataBackup) {
      const allowed = c.workDataBackup.allowed;
      for (const key of ['allowCloudBackup', 'allowManagedAppsCloudSync', 'allowCloudDocumentSync'])
        restrictions.set(key, allowed, 'workDataBackup');
    }
    if (c.crossProfileDataSharing) {
      const direction = c.crossProfileDataSharing.direction;
      restrictions.set('allowOpenFromManagedToUnmanaged', direction === 'allowed', 'crossProfileDataSharing');
      restrictions.set('allowOpenFromUnmanagedToManaged', direction !== 'blocked', 'crossProfileDataSharing');
      restrictions.set('requireManagedPasteboard', direction !== 'allowed', 'crossProfileDataSharing');
    }
    if (c.crossProfileContacts) {
      const allowed = c.crossProfileContacts.allowed;
      restrictions.set('allowUnmanagedToReadManagedContacts', allowed, 'crossProfileContacts');
      restrictions.set('allowManagedToWriteUnmanagedContacts', allowed, 'crossProfileContacts');
    }
    if (c.blockedApps) {
      restrictions.set('blockedAppBundleIDs', [...c.blockedApps.apps].sort(), 'blockedApps');
      unenforceable.push({
        control: 'blockedApps',
        platform: 'ios',
        reason:
          'Jamf blocks apps by bundle id on supervised devices only (iOS 15+); unsupervised devices holding one are reported as findings',
      });
    }
    if (!restrictions.empty) {
      const key = 'ios-restrictions';
      objects.push({
        key,
        collection: JAMF_PROFILES,
        odataType: RESTRICTIONS_PAYLOAD_TYPE,
        displayName: `Warden - ${policy.name} - iOS restrictions`,
        description: `Managed by Warden policy ${policy.name}; changes made here are reported as drift. ${markerOf(policy.name, key)}`,
        settings: restrictions.values,
        controls: restrictions.controls,
        assignments: [{ target: { allMobileDevices: true } }],
      });
    }
    if (c.encryptionRequired) {
      unenforceable.push({
        control: 'encryptionRequired',
        platform: 'ios',
        reason:
          "Warden's Jamf profile carries restrictions only; iOS encrypts once a passcode is set, which a Jamf passcode payload requires; unencrypted devices are reported as findings",
      });
    }
  }
  for (const platform of ['android', 'windows', 'macos'] as const) {
    if (!platforms.has(platform)) continue;
    for (const control of controls) {
      unenforceable.push({
        control,
        platform,
        reason:
          platform === 'macos'
            ? 'Warden compiles Jamf profiles for iOS and iPadOS mobile devices only so far; Macs are evaluated, not configured'
            : `Jamf Pro manages Apple devices only; ${platform} devices are not in a Jamf tenant`,
      });
    }
  }
  for (const [control, reason] of [
    ['workProfileRequired', 'work profiles are an Android notion; Jamf manages Apple devices'],
    ['managedAppExemptions', 'app-protection exemption lists are an Intune notion; Jamf has none'],
    ['staleCheckIn', 'Jamf has no setting for check-in age; stale devices are reported as findings'],
  ] as const) {
    if (c[control] && platforms.has('ios')) unenforceable.push({ control, platform: 'ios', reason });
  }
  return { objects, unenforceable, reportOnly };
}
