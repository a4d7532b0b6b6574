// The Intune compiler: each control lands in the documented native settings, every object is valid Graph v1.0
// (checked against the official schema), carries a stable marker and its assignments, report-mode controls
// are not compiled, and what Intune cannot enforce is said explicitly.
import { parseMarker } from '../../src/mdm/native';
import { CompileError } from '../../src/policies/compile';
import { compileForIntune, type NativeObject } from '../../src/policies/compile/intune';
import type { Policy } from '../../src/policies/model';
import { describeErrors, GraphSchema, loadReferenceCsdl } from '../sim/graph/graph-schema';

const schema = new GraphSchema(loadReferenceCsdl());

const POLICY: Policy = {
  name: 'keep-work-chats-managed',
  targets: { connections: ['all'], platforms: ['android', 'ios'], groups: ['0F8FAD5B-D9CB-469F-A165-70867728950E'] },
  controls: {
    workProfileRequired: { mode: 'enforce' },
    blockedApps: { mode: 'enforce', apps: ['com.whatsapp', 'net.whatsapp.WhatsApp'] },
    workDataBackup: { mode: 'enforce', allowed: false },
    crossProfileContacts: { mode: 'enforce', allowed: false },
    crossProfileDataSharing: { mode: 'enforce', direction: 'work-to-personal-blocked' },
    managedAppExemptions: { mode: 'alert', forbid: ['com.whatsapp'] },
    encryptionRequired: { mode: 'alert' },
    staleCheckIn: { mode: 'report', days: 14 },
  },
  remediation: { graceHours: 12, steps: ['notify'] },
};

const byKey = (objects: NativeObject[]) => Object.fromEntries(objects.map((o) => [o.key, o]));

describe('compileForIntune', () => {
  const compiled = compileForIntune(POLICY);
  const objects = byKey(compiled.objects);

  it('compiles to app protection, work-profile configuration, iOS restrictions and compliance', () => {
    expect(Object.keys(objects).sort()).toEqual([
      'android-app-protection',
      'android-compliance',
      'android-work-profile',
      'ios-app-protection',
      'ios-compliance',
      'ios-restrictions',
    ]);
  });

  it('keeps work data in managed apps and out of backups, on both platforms', () => {
    for (const key of ['android-app-protection', 'ios-app-protection']) {
      expect(objects[key]!.settings).toEqual({
        dataBackupBlocked: true,
        contactSyncBlocked: true,
        allowedOutboundDataTransferDestinations: 'managedApps',
        allowedOutboundClipboardSharingLevel: 'managedAppsWithPasteIn',
        saveAsBlocked: true,
      });
      expect(objects[key]!.targetApps).toEqual({ appGroupType: 'allApps' });
    }
  });

  it('fences the Android work profile and restricts iOS backup, document flow and messengers', () => {
    expect(objects['android-work-profile']!.settings).toEqual({
      workProfileBlockCrossProfileContactsSearch: true,
      workProfileBlockCrossProfileCallerId: true,
      workProfileDataSharingType: 'allowPersonalToWork',
      workProfileBlockCrossProfileCopyPaste: true,
    });
    expect(objects['ios-restrictions']!.settings).toMatchObject({
      iCloudBlockBackup: true,
      iCloudBlockManagedAppsSync: true,
      documentsBlockManagedDocumentsInUnmanagedApps: true,
      compliantAppListType: 'appsNotInListCompliant',
    });
    expect(
      (objects['ios-restrictions']!.settings.compliantAppsList as Array<{ appId: string }>).map((a) => a.appId),
    ).toEqual(['com.whatsapp', 'net.whatsapp.WhatsApp']);
  });

  it('gives every compliance policy exactly one block action, after the policy grace period', () => {
    for (const key of ['android-compliance', 'ios-compliance']) {
      const rules = objects[key]!.createOnly!.scheduledActionsForRule as Array<{
        scheduledActionConfigurations: Array<{ actionType: string; gracePeriodHours: number }>;
      }>;
      const actions = rules.flatMap((r) => r.scheduledActionConfigurations);
      expect(actions.filter((a) => a.actionType === 'block')).toEqual([
        expect.objectContaining({ gracePeriodHours: 12 }),
      ]);
    }
    expect(objects['android-compliance']!.settings.storageRequireEncryption).toBe(true);
    expect(objects['ios-compliance']!.settings.passcodeRequired).toBe(true);
  });

  it('produces objects that are valid Graph v1.0 for their type', () => {
    for (const object of compiled.objects) {
      const { settings } = object;
      // As the service would hold it: the schema's entity requires an id, which a create request does not carry.
      const body = {
        id: 'new',
        '@odata.type': object.odataType,
        displayName: object.displayName,
        description: object.description,
        ...settings,
      };
      const validate = schema.entity(object.odataType.replace('#microsoft.graph.', ''));
      expect([object.key, validate(body) ? 'valid' : describeErrors(validate)]).toEqual([object.key, 'valid']);
    }
  });

  it('marks each object so it is found again, and assigns it to the targeted groups', () => {
    for (const object of compiled.objects) {
      expect(parseMarker(object.description)).toEqual({ policy: POLICY.name, key: object.key });
      expect(object.assignments).toEqual([
        {
          target: {
            '@odata.type': '#microsoft.graph.groupAssignmentTarget',
            groupId: '0f8fad5b-d9cb-469f-a165-70867728950e',
          },
        },
      ]);
    }
    expect(parseMarker('an object someone else made')).toBeNull();
    const everyone = compileForIntune({ ...POLICY, targets: { ...POLICY.targets, groups: undefined } });
    expect(everyone.objects[0]!.assignments).toEqual([
      { target: { '@odata.type': '#microsoft.graph.allLicensedUsersAssignmentTarget' } },
    ]);
    expect(() => compileForIntune({ ...POLICY, targets: { ...POLICY.targets, groups: ['Sales'] } })).toThrow(
      CompileError,
    );
  });

  it('assigns group names as the ids a tenant resolved them to, each group once', () => {
    const named = {
      ...POLICY,
      targets: { ...POLICY.targets, groups: ['Sales', '0F8FAD5B-D9CB-469F-A165-70867728950E', 'Support'] },
    };
    const sales = '11111111-2222-4333-8444-555555555555';
    const ids = new Map([
      ['Sales', sales],
      ['Support', '0f8fad5b-d9cb-469f-a165-70867728950e'],
    ]);
    expect(
      compileForIntune(named, ids).objects[0]!.assignments.map((a) => (a.target as { groupId: string }).groupId),
    ).toEqual([sales, '0f8fad5b-d9cb-469f-a165-70867728950e']);
    expect(() => compileForIntune(named, new Map([['Sales', sales]]))).toThrow(
      /no single directory group is named Support/,
    );
  });

  it('says what Intune cannot enforce, and leaves report-mode controls to evaluation', () => {
    expect(compiled.unenforceable.map((u) => [u.control, u.platform])).toEqual([
      ['workProfileRequired', 'android'],
      ['blockedApps', 'android'],
      ['managedAppExemptions', 'all'],
    ]);
    expect(compiled.reportOnly).toEqual(['staleCheckIn']);
    const withWindows = compileForIntune({ ...POLICY, targets: { ...POLICY.targets, platforms: ['windows'] } });
    expect(withWindows.objects).toEqual([]);
    expect(new Set(withWindows.unenforceable.map((u) => u.platform))).toEqual(new Set(['windows', 'all']));
  });

  it('compiles the same policy to the same objects every time', () => {
    expect(compileForIntune(POLICY)).toEqual(compiled);
  });
});
