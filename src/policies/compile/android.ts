// Compiling a policy to the Android Management API, as a pure function: one Policy resource per Warden policy,
// `enterprises/{e}/policies/warden.<policy>.android-policy`, whose id is Warden's marker (AMAPI policies have no
// description). Settings are named by their path in the Policy (`crossProfilePolicies.crossProfileDataSharing`),
// so drift names the exact field. Devices get the policy through their enrollment token or policyName: Warden
// keeps the policy, it does not move devices between policies. AMAPI has no field that blocks backup of work
// data: that control is said to be not enforceable here, never reported as met.
import { ANDROID_POLICIES, ANDROID_POLICY_TYPE, androidPolicyId } from '../../mdm/android/native';
import { markerOf, type NativeObject } from '../../mdm/native';
import type { Policy } from '../model';
import { activeControls, type CompiledPolicy, CompileError, Settings, type Unenforceable } from './common';

const KEY = 'android-policy';

const SHARING = {
  blocked: 'CROSS_PROFILE_DATA_SHARING_DISALLOWED',
  'work-to-personal-blocked': 'DATA_SHARING_FROM_WORK_TO_PERSONAL_DISALLOWED',
  allowed: 'CROSS_PROFILE_DATA_SHARING_ALLOWED',
} as const;

export function compileForAndroid(policy: Policy): CompiledPolicy {
  const { active: c, reportOnly } = activeControls(policy);
  const platforms = new Set<string>(policy.targets.platforms);
  const objects: NativeObject[] = [];
  const unenforceable: Unenforceable[] = [];
  const id = androidPolicyId(policy.name, KEY);
  if (id.length > 64) throw new CompileError(`name: too long for an Android policy id (${id} has over 64 characters)`);

  if (platforms.has('android')) {
    const settings = new Settings();
    if (c.blockedApps) {
      const apps = [...c.blockedApps.apps].sort().map((packageName) => ({ packageName, installType: 'BLOCKED' }));
      // BLOCKED uninstalls the app where the policy manages apps: the work profile or a fully managed device.
      settings.set('applications', apps, 'blockedApps');
      // On company-owned devices with a work profile, the personal side too.
      settings.set('personalUsagePolicies.personalApplications', apps, 'blockedApps');
      settings.set('personalUsagePolicies.personalPlayStoreMode', 'BLOCKLIST', 'blockedApps');
      // Without application reports, holders of a blocked app are seen only as non-compliance.
      settings.set('statusReportingSettings.applicationReportsEnabled', true, 'blockedApps');
      unenforceable.push({
        control: 'blockedApps',
        platform: 'android',
        reason:
          'on a personally owned device, Android cannot remove an app from the personal profile; the work profile blocks it, and devices holding it are reported as findings',
      });
    }
    if (c.crossProfileDataSharing) {
      const direction = c.crossProfileDataSharing.direction;
      settings.set('crossProfilePolicies.crossProfileDataSharing', SHARING[direction], 'crossProfileDataSharing');
      settings.set(
        'crossProfilePolicies.crossProfileCopyPaste',
        direction === 'allowed' ? 'CROSS_PROFILE_COPY_PASTE_ALLOWED' : 'COPY_FROM_WORK_TO_PERSONAL_DISALLOWED',
        'crossProfileDataSharing',
      );
    }
    if (c.crossProfileContacts) {
      settings.set(
        'crossProfilePolicies.showWorkContactsInPersonalProfile',
        c.crossProfileContacts.allowed
          ? 'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_ALLOWED'
          : 'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_DISALLOWED',
        'crossProfileContacts',
      );
    }
    if (c.encryptionRequired) settings.set('encryptionPolicy', 'ENABLED_WITHOUT_PASSWORD', 'encryptionRequired');
    if (!settings.empty) {
      objects.push({
        key: KEY,
        collection: ANDROID_POLICIES,
        odataType: ANDROID_POLICY_TYPE,
        displayName: id,
        description: markerOf(policy.name, KEY),
        settings: settings.values,
        controls: settings.controls,
        assignments: [],
      });
    }
    for (const [control, reason] of [
      [
        'workDataBackup',
        'the Android Management API has no setting that blocks backup of work data; Intune app protection can, where Intune manages the apps',
      ],
      [
        'workProfileRequired',
        'a work profile is chosen at enrollment (the enrollment token), not by policy; personal devices without one are reported as findings',
      ],
      ['managedAppExemptions', 'app-protection exemption lists are an Intune notion; AMAPI has none'],
      ['staleCheckIn', 'AMAPI has no setting for check-in age; stale devices are reported as findings'],
    ] as const) {
      if (c[control]) unenforceable.push({ control, platform: 'android', reason });
    }
  }
  for (const platform of ['ios', 'windows', 'macos'] as const) {
    if (!platforms.has(platform)) continue;
    for (const control of Object.keys(c) as Array<keyof Policy['controls']>) {
      unenforceable.push({
        control,
        platform,
        reason: `the Android Management API manages Android devices only; ${platform} devices are not in it`,
      });
    }
  }
  return { objects, unenforceable, reportOnly };
}
