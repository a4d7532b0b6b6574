/**
 * PolicyStore: the tenant's policy objects as Intune keeps them (MAM app protections, device
 * configurations, compliance policies) with their assignments, targeted apps and compliance rules.
 * Every write, from Graph, /_sim or a test, goes through here, so all of them are validated against
 * the reference types the same way and bump version and lastModifiedDateTime alike.
 */

import { type GraphObject, parseApps, parseAssignments, parseRules } from './policy-parts';
import {
  BodyValidationError,
  checkObject,
  checkValue,
  defaultValue,
  isAbstractType,
  isDerivedFrom,
  navigationOf,
  odataTypeName,
  propertiesOf,
} from './policy-schema';
import { randomGuid } from './random';

export type PolicyKind =
  | 'androidManagedAppProtections'
  | 'iosManagedAppProtections'
  | 'deviceConfigurations'
  | 'deviceCompliancePolicies';

export const POLICY_KINDS: readonly PolicyKind[] = [
  'androidManagedAppProtections',
  'iosManagedAppProtections',
  'deviceConfigurations',
  'deviceCompliancePolicies',
];

export interface PolicyKindInfo {
  /** The segment before the entity set: deviceAppManagement or deviceManagement. */
  root: 'deviceAppManagement' | 'deviceManagement';
  /** The entity set's declared type; a body's @odata.type must name it or a type derived from it. */
  declaredType: string;
  assignmentType: string;
  mam: boolean;
}

export const POLICY_KIND_INFO: Readonly<Record<PolicyKind, PolicyKindInfo>> = {
  androidManagedAppProtections: {
    root: 'deviceAppManagement',
    declaredType: 'androidManagedAppProtection',
    assignmentType: 'targetedManagedAppPolicyAssignment',
    mam: true,
  },
  iosManagedAppProtections: {
    root: 'deviceAppManagement',
    declaredType: 'iosManagedAppProtection',
    assignmentType: 'targetedManagedAppPolicyAssignment',
    mam: true,
  },
  deviceConfigurations: {
    root: 'deviceManagement',
    declaredType: 'deviceConfiguration',
    assignmentType: 'deviceConfigurationAssignment',
    mam: false,
  },
  deviceCompliancePolicies: {
    root: 'deviceManagement',
    declaredType: 'deviceCompliancePolicy',
    assignmentType: 'deviceCompliancePolicyAssignment',
    mam: false,
  },
};

/** One stored object: the entity (properties only, in type order) and its navigation collections. */
export interface PolicyRecord {
  ordinal: number;
  entity: GraphObject;
  assignments: GraphObject[];
  apps: GraphObject[];
  appGroupType: string;
  /** Compliance only: rules with their scheduledActionConfigurations inline. */
  rules: GraphObject[];
  /**
   * App protection only, Graph beta only: the exemption list (keyValuePairs; Android package ids in
   * exemptedAppPackages, iOS URL protocols in exemptedAppProtocols) letting data flow to those apps.
   */
  exemptions: GraphObject[];
}

/** A policy object with its navigation collections inline: what the in-process API hands out. */
export type PolicySnapshot = GraphObject & {
  id: string;
  assignments: GraphObject[];
  apps?: GraphObject[];
  /** MAM: the appGroupType of the last targetApps ('' before any); v1.0 does not expose it over Graph. */
  appGroupType?: string;
  scheduledActionsForRule?: GraphObject[];
};

/** Intune's defaults where a new app protection leaves a setting out (the rest take the type's zero value). */
const MAM_DEFAULTS: GraphObject = {
  periodOfflineBeforeAccessCheck: 'PT12H',
  periodOnlineBeforeAccessCheck: 'PT30M',
  periodOfflineBeforeWipeIsEnforced: 'P90D',
  minimumPinLength: 4,
  maximumPinRetries: 5,
};

/** Set by the service only; a body may carry them (clients echo objects back) but they are ignored. */
const SERVER_SET = ['id', 'createdDateTime', 'lastModifiedDateTime', 'version', 'isAssigned', 'deployedAppCount'];

export class PolicyStore {
  private readonly records = new Map<PolicyKind, Map<string, PolicyRecord>>();
  private nextOrdinal = 0;

  constructor(
    private readonly clock: () => number = Date.now,
    /** Called on every change (the tenant bumps its version). */
    private readonly changed: () => void = () => undefined,
  ) {
    for (const kind of POLICY_KINDS) this.records.set(kind, new Map());
  }

  /** Creates an object from a Graph POST body (validated; throws BodyValidationError or PolicyRuleError). */
  create(kind: PolicyKind, body: GraphObject): PolicySnapshot {
    const info = POLICY_KIND_INFO[kind];
    const typeName = odataTypeName(body['@odata.type']);
    if (!typeName || !isDerivedFrom(typeName, info.declaredType) || isAbstractType(typeName)) {
      throw new BodyValidationError(
        `The '@odata.type' property must name a concrete type derived from 'microsoft.graph.${info.declaredType}'; got '${String(body['@odata.type'])}'.`,
      );
    }
    const deep = Object.keys(navigationOf(typeName));
    checkObject(body, typeName, '', deep);
    for (const name of Object.keys(body)) {
      if (deep.includes(name) && !['assignments', 'apps', 'scheduledActionsForRule'].includes(name)) {
        throw new BodyValidationError(`The navigation property '${name}' cannot be set when creating the object.`);
      }
    }
    const rules = kind === 'deviceCompliancePolicies' ? parseRules(body.scheduledActionsForRule) : [];
    const now = new Date(this.clock()).toISOString();
    const id = randomGuid();
    const entity: GraphObject = { '@odata.type': `#microsoft.graph.${typeName}` };
    for (const [name, property] of Object.entries(propertiesOf(typeName))) {
      entity[name] = name in body && !SERVER_SET.includes(name) ? structuredClone(body[name]) : defaultValue(property);
      if (!(name in body) && info.mam && name in MAM_DEFAULTS) entity[name] = MAM_DEFAULTS[name];
    }
    Object.assign(entity, { id, createdDateTime: now, lastModifiedDateTime: now, version: info.mam ? '"1"' : 1 });
    const record: PolicyRecord = {
      ordinal: this.nextOrdinal++,
      entity,
      assignments: [],
      apps: [],
      appGroupType: '',
      rules,
      exemptions: [],
    };
    if (body.assignments !== undefined) record.assignments = parseAssignments(id, body.assignments);
    if (body.apps !== undefined && info.mam) record.apps = parseApps(appIdentifierType(kind), body.apps);
    this.refresh(kind, record);
    this.table(kind).set(id, record);
    this.changed();
    return this.snapshot(kind, record);
  }

  list(kind: PolicyKind): PolicySnapshot[] {
    return [...this.table(kind).values()].map((record) => this.snapshot(kind, record));
  }

  get(kind: PolicyKind, id: string): PolicySnapshot | undefined {
    const record = this.record(kind, id);
    return record ? this.snapshot(kind, record) : undefined;
  }

  record(kind: PolicyKind, id: string): PolicyRecord | undefined {
    return this.table(kind).get(id.toLowerCase());
  }

  /** Records after an ordinal (exclusive), in creation order: the listing cursor. */
  *recordsAfter(kind: PolicyKind, cursor: number): Generator<[number, PolicyRecord]> {
    for (const record of this.table(kind).values()) if (record.ordinal > cursor) yield [record.ordinal, record];
  }

  count(kind: PolicyKind): number {
    return this.table(kind).size;
  }

  /** PATCH semantics: only the given properties change; @odata.type, if sent, must be the object's own. */
  update(kind: PolicyKind, id: string, patch: GraphObject): PolicySnapshot {
    const record = this.require(kind, id);
    const own = odataTypeName(record.entity['@odata.type']) as string;
    const named = patch['@odata.type'];
    // Without @odata.type OData reads the body as the entity set's declared type, as the service does.
    const typeName = named === undefined ? POLICY_KIND_INFO[kind].declaredType : odataTypeName(named);
    if (typeName !== own && !(named === undefined && isDerivedFrom(own, typeName ?? ''))) {
      throw new BodyValidationError(`The '@odata.type' '${String(named)}' does not match the object's type '${own}'.`);
    }
    checkObject(patch, typeName ?? own);
    for (const [name, value] of Object.entries(patch)) {
      if (name !== '@odata.type' && !SERVER_SET.includes(name)) record.entity[name] = structuredClone(value);
    }
    this.touch(kind, record);
    return this.snapshot(kind, record);
  }

  /** Replaces an app protection's exemption list (Graph beta; validated as keyValuePairs). */
  setExemptions(kind: PolicyKind, id: string, pairs: unknown): GraphObject[] {
    const record = this.require(kind, id);
    if (!POLICY_KIND_INFO[kind].mam) throw new BodyValidationError('Only app protection policies have exemptions.');
    if (!Array.isArray(pairs))
      throw new BodyValidationError('The exemption list must be a collection of keyValuePair.');
    record.exemptions = pairs.map((pair, index) => {
      const { '@odata.type': type, name, value, ...rest } = (pair ?? {}) as GraphObject;
      const extra = Object.keys(rest)[0];
      if (extra)
        throw new BodyValidationError(`The property '${extra}' does not exist on type 'microsoft.graph.keyValuePair'.`);
      if (type !== undefined && type !== '#microsoft.graph.keyValuePair')
        throw new BodyValidationError(`Item ${index} of the exemption list is not a microsoft.graph.keyValuePair.`);
      if ((name !== null && typeof name !== 'string') || typeof value !== 'string' || value === '')
        throw new BodyValidationError(`Item ${index} of the exemption list needs a string name and a non-empty value.`);
      return { '@odata.type': '#microsoft.graph.keyValuePair', name: name ?? null, value };
    });
    this.touch(kind, record);
    return structuredClone(record.exemptions);
  }

  delete(kind: PolicyKind, id: string): boolean {
    const deleted = this.table(kind).delete(id.toLowerCase());
    if (deleted) this.changed();
    return deleted;
  }

  /** The assign action: the given list replaces every assignment. */
  assign(kind: PolicyKind, id: string, assignments: unknown): GraphObject[] {
    const record = this.require(kind, id);
    record.assignments = parseAssignments(record.entity.id as string, assignments);
    this.touch(kind, record);
    return structuredClone(record.assignments);
  }

  /** Removes one assignment by its id or by the groupId it targets ("remove it in the console"). */
  removeAssignment(kind: PolicyKind, id: string, assignmentOrGroupId: string): boolean {
    const record = this.require(kind, id);
    const before = record.assignments.length;
    record.assignments = record.assignments.filter((assignment) => {
      const target = assignment.target as GraphObject | null;
      return assignment.id !== assignmentOrGroupId && target?.groupId !== assignmentOrGroupId;
    });
    if (record.assignments.length === before) return false;
    this.touch(kind, record);
    return true;
  }

  /** The targetApps action (MAM): the given apps replace the targeted ones. */
  targetApps(kind: PolicyKind, id: string, apps: unknown, appGroupType: unknown): GraphObject[] {
    const record = this.require(kind, id);
    if (!POLICY_KIND_INFO[kind].mam) throw new BodyValidationError(`'${kind}' does not target apps.`);
    if (appGroupType !== undefined) {
      checkValue(appGroupType, { type: 'graph.targetedManagedAppGroupType', nullable: false }, 'appGroupType');
    }
    record.apps = parseApps(appIdentifierType(kind), apps);
    record.appGroupType = typeof appGroupType === 'string' ? appGroupType : 'selectedPublicApps';
    this.touch(kind, record);
    return structuredClone(record.apps);
  }

  private refresh(kind: PolicyKind, record: PolicyRecord): void {
    if (POLICY_KIND_INFO[kind].mam) {
      record.entity.isAssigned = record.assignments.length > 0;
      record.entity.deployedAppCount = record.apps.length;
    }
  }

  private touch(kind: PolicyKind, record: PolicyRecord): void {
    const { entity } = record;
    entity.lastModifiedDateTime = new Date(this.clock()).toISOString();
    entity.version =
      typeof entity.version === 'number' ? entity.version + 1 : `"${Number(String(entity.version).slice(1, -1)) + 1}"`;
    this.refresh(kind, record);
    this.changed();
  }

  private snapshot(kind: PolicyKind, record: PolicyRecord): PolicySnapshot {
    const out = structuredClone(record.entity) as PolicySnapshot;
    out.assignments = structuredClone(record.assignments);
    if (POLICY_KIND_INFO[kind].mam) {
      out.apps = structuredClone(record.apps);
      out.appGroupType = record.appGroupType;
    }
    if (kind === 'deviceCompliancePolicies') out.scheduledActionsForRule = structuredClone(record.rules);
    return out;
  }

  private require(kind: PolicyKind, id: string): PolicyRecord {
    const record = this.record(kind, id);
    if (!record) throw new Error(`unknown ${POLICY_KIND_INFO[kind].declaredType} ${id}`);
    return record;
  }

  private table(kind: PolicyKind): Map<string, PolicyRecord> {
    return this.records.get(kind) as Map<string, PolicyRecord>;
  }
}

function appIdentifierType(kind: PolicyKind): string {
  return kind === 'iosManagedAppProtections' ? 'iosMobileAppIdentifier' : 'androidMobileAppIdentifier';
}
