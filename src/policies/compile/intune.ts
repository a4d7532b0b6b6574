// Compiling a policy to Microsoft Intune (Graph v1.0) native objects, as a pure function: app protection for
// Android and iOS, the Android work-profile configuration, iOS restrictions and compliance policies, each with
// its assignments and a stable Warden marker. What Intune cannot enforce on a platform is said explicitly, so it
// is reported as "not enforceable here", never as met. Controls in `report` mode are evaluated, not compiled.
import type { IntuneCollection } from '../../mdm/intune/native';
import { markerOf, type NativeObject } from '../../mdm/native';
import type { Policy } from '../model';
import {
  activeControls,
  type CompiledPolicy,
  CompileError,
  type ControlName,
  type GroupIds,
  GUID,
  groupNamesOf,
  Settings,
  type Unenforceable,
} from './common';

export type { IntuneCollection, NativeObject };

function assignments(policy: Policy, groupIds: GroupIds): Array<Record<string, unknown>> {
  const groups = policy.targets.groups ?? [];
  if (groups.length === 0) return [{ target: { '@odata.type': '#microsoft.graph.allLicensedUsersAssignmentTarget' } }];
  const unresolved = groupNamesOf(policy).filter((name) => !groupIds.has(name));
  if (unresolved.length > 0) {
    throw new CompileError(`targets.groups: no single directory group is named ${unresolved.join(', ')}`);
  }
  const ids = groups.map((g) => (GUID.test(g) ? g.toLowerCase() : groupIds.get(g)!));
  return [...new Set(ids)].map((groupId) => ({
    target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId },
  }));
}

/** One block action, as Intune requires of every compliance policy, after the policy's grace period. */
function blockAfterGrace(policy: Policy) {
  const gracePeriodHours = policy.remediation?.graceHours ?? 24;
  return [
    {
      ruleName: 'PasswordRequired',
      scheduledActionConfigurations: [{ actionType: 'block', gracePeriodHours, notificationTemplateId: '' }],
    },
  ];
}

/** App-protection settings shared by Android and iOS: keep work data in managed apps and out of backups. */
function appProtectionSettings(c: Policy['controls']): Settings {
  const settings = new Settings();
  if (c.workDataBackup) settings.set('dataBackupBlocked', !c.workDataBackup.allowed, 'workDataBackup');
  if (c.crossProfileContacts)
    settings.set('contactSyncBlocked', !c.crossProfileContacts.allowed, 'crossProfileContacts');
  const sharing = c.crossProfileDataSharing?.direction;
  if (sharing || c.blockedApps) {
    // A blocked messenger must not receive work data, whatever the sharing direction says.
    const restricted = c.blockedApps !== undefined || sharing !== 'allowed';
    const owners: ControlName[] = [];
    if (sharing) owners.push('crossProfileDataSharing');
    if (c.blockedApps) owners.push('blockedApps');
    settings.set('allowedOutboundDataTransferDestinations', restricted ? 'managedApps' : 'allApps', ...owners);
    settings.set(
      'allowedOutboundClipboardSharingLevel',
      !restricted ? 'allApps' : sharing === 'blocked' ? 'managedApps' : 'managedAppsWithPasteIn',
      ...owners,
    );
    settings.set('saveAsBlocked', restricted, ...owners);
  }
  return settings;
}

/** `groupIds` resolves the group names among the targets (ids pass as they are); a name it lacks is an error. */
export function compileForIntune(policy: Policy, groupIds: GroupIds = new Map()): CompiledPolicy {
  const { active: c, reportOnly } = activeControls(policy);
  const platforms = new Set<string>(policy.targets.platforms);
  const objects: NativeObject[] = [];
  const unenforceable: Unenforceable[] = [];
  const target = assignments(policy, groupIds);
  const object = (
    key: string,
    collection: IntuneCollection,
    odataType: string,
    label: string,
    settings: Settings,
  ): NativeObject => ({
    key,
    collection,
    odataType,
    displayName: `Warden - ${policy.name} - ${label}`,
    description: `Managed by Warden policy ${policy.name}; changes made here are reported as drift. ${markerOf(policy.name, key)}`,
    settings: settings.values,
    controls: settings.controls,
    assignments: target,
  });
  /** A compliance policy: its one block action goes with the creation (Graph lists and patches it apart). */
  const compliance = (key: string, odataType: string, label: string, settings: Settings): NativeObject => ({
    ...object(key, 'deviceCompliancePolicies', odataType, label, settings),
    createOnly: { scheduledActionsForRule: blockAfterGrace(policy) },
  });

  const protection = appProtectionSettings(c);
  for (const [platform, key, collection, odataType] of [
    [
      'android',
      'android-app-protection',
      'androidManagedAppProtections',
      '#microsoft.graph.androidManagedAppProtection',
    ],
    ['ios', 'ios-app-protection', 'iosManagedAppProtections', '#microsoft.graph.iosManagedAppProtection'],
  ] as const) {
    if (platforms.has(platform) && !protection.empty) {
      objects.push({
        ...object(key, collection, odataType, `${platform === 'ios' ? 'iOS' : 'Android'} app protection`, protection),
        targetApps: { appGroupType: 'allApps' },
      });
    }
  }

  if (platforms.has('android')) {
    const workProfile = new Settings();
    if (c.crossProfileContacts) {
      const blocked = !c.crossProfileContacts.allowed;
      workProfile.set('workProfileBlockCrossProfileContactsSearch', blocked, 'crossProfileContacts');
      workProfile.set('workProfileBlockCrossProfileCallerId', blocked, 'crossProfileContacts');
    }
    if (c.crossProfileDataSharing) {
      const direction = c.crossProfileDataSharing.direction;
      const sharingType =
        direction === 'blocked'
          ? 'preventAny'
          : direction === 'work-to-personal-blocked'
            ? 'allowPersonalToWork'
            : 'noRestrictions';
      workProfile.set('workProfileDataSharingType', sharingType, 'crossProfileDataSharing');
      workProfile.set('workProfileBlockCrossProfileCopyPaste', direction !== 'allowed', 'crossProfileDataSharing');
    }
    if (!workProfile.empty) {
      objects.push(
        object(
          'android-work-profile',
          'deviceConfigurations',
          '#microsoft.graph.androidWorkProfileGeneralDeviceConfiguration',
          'Android work profile',
          workProfile,
        ),
      );
    }
    if (c.encryptionRequired) {
      const settings = new Settings();
      settings.set('storageRequireEncryption', true, 'encryptionRequired');
      objects.push(
        compliance(
          'android-compliance',
          '#microsoft.graph.androidWorkProfileCompliancePolicy',
          'Android compliance',
          settings,
        ),
      );
    }
    if (c.workProfileRequired) {
      unenforceable.push({
        control: 'workProfileRequired',
        platform: 'android',
        reason:
          'Intune requires work profiles through enrollment restrictions, which Warden does not manage; personal devices without one are reported as findings',
      });
    }
    if (c.blockedApps) {
      unenforceable.push({
        control: 'blockedApps',
        platform: 'android',
        reason:
          'Intune cannot remove an app from the personal side of a device; app protection keeps work data from reaching it, and devices holding it are reported as findings',
      });
    }
  }

  if (platforms.has('ios')) {
    const restrictions = new Settings();
    if (c.workDataBackup) {
      for (const setting of ['iCloudBlockBackup', 'iCloudBlockManagedAppsSync', 'iCloudBlockDocumentSync'])
        restrictions.set(setting, !c.workDataBackup.allowed, 'workDataBackup');
    }
    if (c.crossProfileDataSharing) {
      const blocked = c.crossProfileDataSharing.direction !== 'allowed';
      restrictions.set('documentsBlockManagedDocumentsInUnmanagedApps', blocked, 'crossProfileDataSharing');
    }
    if (c.blockedApps) {
      // A restricted-apps list: a supervised device holding one of them is reported noncompliant by Intune.
      restrictions.set('compliantAppListType', 'appsNotInListCompliant', 'blockedApps');
      const list = c.blockedApps.apps.map((appId) => ({
        '@odata.type': '#microsoft.graph.appListItem',
        name: appId,
        appId,
        publisher: null,
        appStoreUrl: null,
      }));
      restrictions.set('compliantAppsList', list, 'blockedApps');
    }
    if (!restrictions.empty) {
      objects.push(
        object(
          'ios-restrictions',
          'deviceConfigurations',
          '#microsoft.graph.iosGeneralDeviceConfiguration',
          'iOS restrictions',
          restrictions,
        ),
      );
    }
    if (c.encryptionRequired) {
      // iOS encrypts its storage whenever a passcode is set: requiring the passcode is requiring encryption.
      const settings = new Settings();
      settings.set('passcodeRequired', true, 'encryptionRequired');
      objects.push(compliance('ios-compliance', '#microsoft.graph.iosCompliancePolicy', 'iOS compliance', settings));
    }
  }

  for (const platform of ['windows', 'macos'] as const) {
    if (!platforms.has(platform)) continue;
    for (const control of Object.keys(c) as Array<keyof Policy['controls']>) {
      unenforceable.push({
        control,
        platform,
        reason: `Warden compiles policies for Android and iOS only so far; ${platform} devices are evaluated, not configured`,
      });
    }
  }
  if (c.managedAppExemptions) {
    unenforceable.push({
      control: 'managedAppExemptions',
      platform: 'all',
      reason:
        'app-protection exemption lists exist only in Graph beta; Warden reads them to report drift but cannot set them through v1.0',
    });
  }
  if (c.staleCheckIn) {
    unenforceable.push({
      control: 'staleCheckIn',
      platform: 'all',
      reason: 'Intune has no setting for check-in age; stale devices are reported as findings',
    });
  }
  return { objects, unenforceable, reportOnly };
}
