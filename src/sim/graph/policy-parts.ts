/**
 * The navigation parts of a policy object as bodies deliver them: assignments (assign action, deep
 * insert), targeted apps (targetApps action) and a compliance policy's scheduledActionsForRule, each
 * checked against its reference type and given the ids the service gives them.
 */

import { BodyValidationError, checkComplex, checkObject } from './policy-schema';
import { randomGuid } from './random';

/** A JSON object as Graph sends and answers it. */
export type GraphObject = Record<string, unknown>;

export const BLOCK_RULE_MESSAGE = 'Compliance policy must have one and only one block scheduled action';

/** A rule of the service (not of the schema) broken, e.g. the compliance block action. */
export class PolicyRuleError extends Error {}

function objects(value: unknown, name: string): GraphObject[] {
  if (!Array.isArray(value)) throw new BodyValidationError(`The property '${name}' must be an array.`);
  return value.map((item: unknown, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new BodyValidationError(`Cannot convert the value of property '${name}[${index}]' to an object.`);
    }
    return item as GraphObject;
  });
}

/**
 * Assignments as Intune stores them: id "{policyId}_{groupId}" for group targets and
 * "{policyId}_{targetType}" for the tenant-wide ones (the service's ids follow this pattern).
 */
export function parseAssignments(policyId: string, value: unknown): GraphObject[] {
  return objects(value, 'assignments').map((assignment, index) => {
    const where = `assignments[${index}]`;
    // The three assignment entity types are alike ({id, target}); one stands for all of them.
    checkObject(assignment, 'targetedManagedAppPolicyAssignment', `${where}.`);
    const target = assignment.target;
    if (typeof target !== 'object' || target === null || Array.isArray(target)) {
      throw new BodyValidationError(`The property '${where}.target' is required.`);
    }
    const targetType = checkComplex(target as GraphObject, 'deviceAndAppManagementAssignmentTarget', `${where}.target`);
    const groupId = (target as GraphObject).groupId;
    const key = typeof groupId === 'string' ? groupId : targetType;
    return { id: `${policyId}_${key}`, target: { ...target, '@odata.type': `#microsoft.graph.${targetType}` } };
  });
}

/** Targeted apps; an identifier of the other platform is refused. Ids as Intune forms them: "{packageId}.android". */
export function parseApps(identifierType: string, value: unknown): GraphObject[] {
  return objects(value, 'apps').map((app, index) => {
    const where = `apps[${index}]`;
    checkObject(app, 'managedMobileApp', `${where}.`);
    const identifier = app.mobileAppIdentifier;
    if (typeof identifier !== 'object' || identifier === null || Array.isArray(identifier)) {
      throw new BodyValidationError(`The property '${where}.mobileAppIdentifier' is required.`);
    }
    const actual = checkComplex(identifier as GraphObject, 'mobileAppIdentifier', `${where}.mobileAppIdentifier`);
    if (actual !== identifierType) {
      throw new BodyValidationError(
        `The property '${where}.mobileAppIdentifier' must be a 'microsoft.graph.${identifierType}' for this policy.`,
      );
    }
    const key = (identifier as GraphObject).packageId ?? (identifier as GraphObject).bundleId;
    const suffix = actual === 'iosMobileAppIdentifier' ? 'ios' : 'android';
    return {
      id: `${String(key)}.${suffix}`,
      mobileAppIdentifier: { ...identifier, '@odata.type': `#microsoft.graph.${actual}` },
      version: typeof app.version === 'string' ? app.version : null,
    };
  });
}

/** scheduledActionsForRule of a new compliance policy: checked, given ids, exactly one block action. */
export function parseRules(value: unknown): GraphObject[] {
  if (value === undefined) throw new PolicyRuleError(BLOCK_RULE_MESSAGE);
  let blocks = 0;
  const rules = objects(value, 'scheduledActionsForRule').map((rule, index) => {
    const where = `scheduledActionsForRule[${index}]`;
    checkObject(rule, 'deviceComplianceScheduledActionForRule', `${where}.`, ['scheduledActionConfigurations']);
    const actions = objects(rule.scheduledActionConfigurations ?? [], `${where}.scheduledActionConfigurations`);
    const configurations = actions.map((action, actionIndex) => {
      checkObject(action, 'deviceComplianceActionItem', `${where}.scheduledActionConfigurations[${actionIndex}].`);
      if (action.actionType === 'block') blocks++;
      return {
        id: randomGuid(),
        actionType: action.actionType ?? 'noAction',
        gracePeriodHours: action.gracePeriodHours ?? 0,
        notificationTemplateId: action.notificationTemplateId ?? null,
        notificationMessageCCList: action.notificationMessageCCList ?? [],
      };
    });
    return { id: randomGuid(), ruleName: rule.ruleName ?? null, scheduledActionConfigurations: configurations };
  });
  if (blocks !== 1) throw new PolicyRuleError(BLOCK_RULE_MESSAGE);
  return rules;
}
