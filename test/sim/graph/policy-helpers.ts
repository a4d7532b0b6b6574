/**
 * Shared by the policy-object tests: valid request bodies for each kind, and response validation
 * against the reference-derived schema (plus the emulator's supplement for the types the extract
 * lacks). Polymorphic collections are checked item by item against each item's own @odata.type, and
 * expanded navigation collections against their entity types.
 */
import { POLICY_CSDL_SUPPLEMENT, POLICY_KIND_INFO, type PolicyKind } from '../../../src/sim/graph';
import { type Csdl, describeErrors, GraphSchema, loadReferenceCsdl } from './graph-schema';

function referenceWithSupplement(): Csdl {
  const reference = loadReferenceCsdl();
  return {
    entityTypes: { ...reference.entityTypes, ...POLICY_CSDL_SUPPLEMENT.entityTypes },
    complexTypes: { ...reference.complexTypes, ...POLICY_CSDL_SUPPLEMENT.complexTypes },
    enumTypes: { ...reference.enumTypes, ...POLICY_CSDL_SUPPLEMENT.enumTypes },
  };
}

export const policySchema = new GraphSchema(referenceWithSupplement());

export const GROUP_ID = '0f4a5c6e-1b2d-4e3f-8a9b-0c1d2e3f4a5b';

export function groupAssignment(groupId = GROUP_ID): Record<string, unknown> {
  return { target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } };
}

export const BLOCK_RULES = [
  {
    ruleName: 'PasswordRequired',
    scheduledActionConfigurations: [{ actionType: 'block', gracePeriodHours: 0, notificationTemplateId: '' }],
  },
];

/** A minimal valid POST body per kind, for the given concrete type. */
export function newPolicyBody(kind: PolicyKind, type?: string): Record<string, unknown> {
  switch (kind) {
    case 'androidManagedAppProtections':
      return {
        '@odata.type': '#microsoft.graph.androidManagedAppProtection',
        displayName: 'Warden Android MAM',
        allowedOutboundDataTransferDestinations: 'managedApps',
        allowedOutboundClipboardSharingLevel: 'managedAppsWithPasteIn',
        saveAsBlocked: true,
        screenCaptureBlocked: true,
        periodOfflineBeforeWipeIsEnforced: 'P30D',
      };
    case 'iosManagedAppProtections':
      return {
        '@odata.type': '#microsoft.graph.iosManagedAppProtection',
        displayName: 'Warden iOS MAM',
        dataBackupBlocked: true,
        appDataEncryptionType: 'whenDeviceLocked',
      };
    case 'deviceConfigurations':
      return type === 'iosGeneralDeviceConfiguration'
        ? {
            '@odata.type': '#microsoft.graph.iosGeneralDeviceConfiguration',
            displayName: 'Warden iOS restrictions',
            iCloudBlockBackup: true,
            compliantAppListType: 'appsNotInListCompliant',
            compliantAppsList: [
              { name: 'Telegram', publisher: 'Telegram', appStoreUrl: null, appId: 'ph.telegra.Telegraph' },
            ],
          }
        : {
            '@odata.type': '#microsoft.graph.androidWorkProfileGeneralDeviceConfiguration',
            displayName: 'Warden work profile',
            workProfileDataSharingType: 'preventAny',
            workProfileBlockCrossProfileCopyPaste: true,
          };
    case 'deviceCompliancePolicies':
      return type === 'iosCompliancePolicy'
        ? {
            '@odata.type': '#microsoft.graph.iosCompliancePolicy',
            displayName: 'Warden iOS compliance',
            passcodeRequired: true,
            scheduledActionsForRule: BLOCK_RULES,
          }
        : {
            '@odata.type': '#microsoft.graph.androidWorkProfileCompliancePolicy',
            displayName: 'Warden Android compliance',
            securityBlockJailbrokenDevices: true,
            osMinimumVersion: '12.0',
            scheduledActionsForRule: BLOCK_RULES,
          };
  }
}

const NAVIGATION_TYPES: Record<string, (kind: PolicyKind) => string> = {
  assignments: (kind) => POLICY_KIND_INFO[kind].assignmentType,
  apps: () => 'managedMobileApp',
  scheduledActionsForRule: () => 'deviceComplianceScheduledActionForRule',
};

function check(validate: ReturnType<GraphSchema['entity']>, value: unknown): void {
  if (!validate(value)) throw new Error(`schema violation:\n${describeErrors(validate)}\n${JSON.stringify(value)}`);
}

/** One policy object (no @odata.context): its type's schema, every property present unless $select-ed. */
export function expectValidPolicy(kind: PolicyKind, value: unknown, complete = true): void {
  const { ...entity } = value as Record<string, unknown>;
  for (const [name, typeOf] of Object.entries(NAVIGATION_TYPES)) {
    if (!(name in entity)) continue;
    const items = entity[name];
    if (!Array.isArray(items)) throw new Error(`expanded ${name} is not an array`);
    for (const item of items) check(policySchema.entity(typeOf(kind)), item);
    delete entity[name];
  }
  const type = /^#microsoft\.graph\.(\w+)$/.exec(String(entity['@odata.type']))?.[1];
  if (!type) throw new Error(`no @odata.type on ${JSON.stringify(entity)}`);
  check(policySchema.entity(type, complete ? policySchema.propertiesOf(type) : ['id']), entity);
}

/** A Graph response body that is one entity: strips and checks @odata.context first. */
export function expectValidPolicyEntity(kind: PolicyKind, body: unknown, complete = true): void {
  const { '@odata.context': context, ...entity } = body as Record<string, unknown>;
  expect(context).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v1\.0\/\$metadata#/);
  expectValidPolicy(kind, entity, complete);
}

/** A collection page of policy objects. */
export function expectValidPolicyPage(kind: PolicyKind, body: unknown, complete = true): void {
  const page = body as Record<string, unknown>;
  expect(
    Object.keys(page).every((key) => ['@odata.context', '@odata.count', '@odata.nextLink', 'value'].includes(key)),
  ).toBe(true);
  expect(typeof page['@odata.context']).toBe('string');
  for (const item of page.value as unknown[]) expectValidPolicy(kind, item, complete);
}

/** A collection page of a navigation property's entities (assignments, apps, rules). */
export function expectValidNavigationPage(typeName: string, body: unknown): void {
  const page = body as { '@odata.context': string; value: unknown[] };
  expect(page['@odata.context']).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v1\.0\/\$metadata#/);
  expect(Object.keys(page).sort()).toEqual(['@odata.context', 'value']);
  for (const item of page.value) check(policySchema.entity(typeName, ['id']), item);
}
