/**
 * The reference CSDL (reference/graph-intune-v1.0.json) at run time, for the policy objects: which
 * properties a type has, the defaults a new object starts with, and checking a request body against
 * a type (unknown property, wrong JSON type, bad enum member -> a Graph 400 naming the property).
 * Types the extract lacks (the compliance rule types, the app-group enum) come from POLICY_CSDL_SUPPLEMENT.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../util/package-root';

export interface CsdlProperty {
  type: string;
  nullable: boolean;
}
export interface CsdlStructuredType {
  baseType: string | null;
  abstract: boolean;
  properties: Record<string, CsdlProperty>;
  navigation?: Record<string, string>;
}
export interface CsdlEnumType {
  isFlags: boolean;
  members: string[];
}
export interface PolicyCsdl {
  entityTypes: Record<string, CsdlStructuredType>;
  complexTypes: Record<string, CsdlStructuredType>;
  enumTypes: Record<string, CsdlEnumType>;
}

/**
 * v1.0 types used by these endpoints but missing from the Intune extract, written from the v1.0 CSDL
 * (deviceComplianceScheduledActionForRule, deviceComplianceActionItem) and MDM-APIS.md (the enums).
 */
export const POLICY_CSDL_SUPPLEMENT: PolicyCsdl = {
  entityTypes: {
    deviceComplianceScheduledActionForRule: {
      baseType: 'graph.entity',
      abstract: false,
      properties: { ruleName: { type: 'Edm.String', nullable: true } },
      navigation: { scheduledActionConfigurations: 'Collection(graph.deviceComplianceActionItem)' },
    },
    deviceComplianceActionItem: {
      baseType: 'graph.entity',
      abstract: false,
      properties: {
        actionType: { type: 'graph.deviceComplianceActionType', nullable: false },
        gracePeriodHours: { type: 'Edm.Int32', nullable: false },
        notificationMessageCCList: { type: 'Collection(Edm.String)', nullable: true },
        notificationTemplateId: { type: 'Edm.String', nullable: true },
      },
    },
  },
  complexTypes: {},
  enumTypes: {
    targetedManagedAppGroupType: {
      isFlags: false,
      members: ['selectedPublicApps', 'allCoreMicrosoftApps', 'allMicrosoftApps', 'allApps'],
    },
    deviceComplianceActionType: {
      isFlags: false,
      members: [
        'noAction',
        'notification',
        'block',
        'retire',
        'wipe',
        'removeResourceAccessProfiles',
        'pushNotification',
      ],
    },
  },
};

let loaded: PolicyCsdl | undefined;

/** The reference plus the supplement, read once from the package's reference/ folder. */
export function policyCsdl(): PolicyCsdl {
  if (loaded) return loaded;
  const file = path.join(packageRoot(), 'reference', 'graph-intune-v1.0.json');
  const reference = JSON.parse(readFileSync(file, 'utf8')) as PolicyCsdl;
  loaded = {
    entityTypes: { ...reference.entityTypes, ...POLICY_CSDL_SUPPLEMENT.entityTypes },
    complexTypes: { ...reference.complexTypes, ...POLICY_CSDL_SUPPLEMENT.complexTypes },
    enumTypes: { ...reference.enumTypes, ...POLICY_CSDL_SUPPLEMENT.enumTypes },
  };
  return loaded;
}

function structured(name: string): CsdlStructuredType | undefined {
  const csdl = policyCsdl();
  return csdl.entityTypes[name] ?? csdl.complexTypes[name];
}

const bare = (typeName: string): string => typeName.replace(/^graph\./, '');

/** Own and inherited structural properties, base type first (the order the service writes them in). */
export function propertiesOf(typeName: string): Record<string, CsdlProperty> {
  const type = structured(typeName);
  if (!type) throw new Error(`type ${typeName} is not in the reference`);
  const inherited = type.baseType ? propertiesOf(bare(type.baseType)) : {};
  return { ...inherited, ...type.properties };
}

/** Own and inherited navigation properties (name -> type). */
export function navigationOf(typeName: string): Record<string, string> {
  const type = structured(typeName);
  if (!type) return {};
  return { ...(type.baseType ? navigationOf(bare(type.baseType)) : {}), ...type.navigation };
}

/** Whether a structured type is abstract (a body must name a concrete type derived from it). */
export function isAbstractType(typeName: string): boolean {
  return structured(typeName)?.abstract ?? true;
}

/** Whether `derived` is `base` or inherits from it. */
export function isDerivedFrom(derived: string, base: string): boolean {
  for (let name: string | undefined = derived; name; ) {
    if (name === base) return true;
    const baseType: string | null | undefined = structured(name)?.baseType;
    name = baseType ? bare(baseType) : undefined;
  }
  return false;
}

/** What a property holds on a new object the body did not set: null, [], false, 0, '' or the first enum member. */
export function defaultValue(property: CsdlProperty): unknown {
  if (property.type.startsWith('Collection(')) return [];
  if (property.nullable) return null;
  const enumType = policyCsdl().enumTypes[bare(property.type)];
  if (enumType) return enumType.members[0] ?? null;
  switch (property.type) {
    case 'Edm.Boolean':
      return false;
    case 'Edm.Int32':
    case 'Edm.Int64':
    case 'Edm.Double':
      return 0;
    case 'Edm.Duration':
      return 'PT0S';
    default:
      return '';
  }
}

/** A request body that does not fit the type; the message names the property, as the service's do. */
export class BodyValidationError extends Error {}

const EDM_CHECKS: Record<string, (value: unknown) => boolean> = {
  'Edm.String': (v) => typeof v === 'string',
  'Edm.Boolean': (v) => typeof v === 'boolean',
  'Edm.Int32': (v) => Number.isInteger(v) && (v as number) >= -2147483648 && (v as number) <= 2147483647,
  'Edm.Int64': (v) => Number.isSafeInteger(v),
  'Edm.Double': (v) => typeof v === 'number',
  'Edm.Single': (v) => typeof v === 'number',
  'Edm.DateTimeOffset': (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)),
  'Edm.Duration': (v) => typeof v === 'string' && /^-?P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/.test(v),
  'Edm.Guid': (v) => typeof v === 'string' && /^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(v),
};

/** The type named by an "@odata.type" value ("#microsoft.graph.x" -> "x"), or undefined when malformed. */
export function odataTypeName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return /^#?microsoft\.graph\.([A-Za-z0-9]+)$/.exec(value)?.[1];
}

/**
 * Checks the structural properties of `body` against `typeName`; `allowed` names extra keys the caller
 * handles itself (navigation properties of a deep insert). Throws BodyValidationError.
 */
export function checkObject(
  body: Record<string, unknown>,
  typeName: string,
  where = '',
  allowed: readonly string[] = [],
): void {
  const properties = propertiesOf(typeName);
  for (const [name, value] of Object.entries(body)) {
    if (name === '@odata.type' || allowed.includes(name) || name.endsWith('@odata.bind')) continue;
    const property = properties[name];
    if (!property) {
      throw new BodyValidationError(
        `The property '${where}${name}' does not exist on type 'microsoft.graph.${typeName}'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
      );
    }
    checkValue(value, property, `${where}${name}`);
  }
}

/** Checks one value (a property's or an action parameter's) against its declared type. */
export function checkValue(value: unknown, property: CsdlProperty, name: string): void {
  const collection = /^Collection\((.+)\)$/.exec(property.type);
  if (collection) {
    if (!Array.isArray(value)) throw wrongType(name, property.type);
    value.forEach((item, index) => {
      checkValue(item, { type: collection[1] as string, nullable: property.nullable }, `${name}[${index}]`);
    });
    return;
  }
  if (value === null) {
    if (!property.nullable) throw new BodyValidationError(`The property '${name}' cannot be null.`);
    return;
  }
  const edm = EDM_CHECKS[property.type];
  if (edm) {
    if (!edm(value)) throw wrongType(name, property.type);
    return;
  }
  const typeName = bare(property.type);
  const enumType = policyCsdl().enumTypes[typeName];
  if (enumType) {
    const members = typeof value === 'string' ? value.split(',').map((member) => member.trim()) : [];
    const ok = members.length > 0 && (enumType.isFlags || members.length === 1);
    if (!ok || !members.every((member) => enumType.members.includes(member))) {
      throw new BodyValidationError(
        `The value '${String(value)}' of property '${name}' is not a valid member of 'microsoft.graph.${typeName}'.`,
      );
    }
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) throw wrongType(name, property.type);
  checkComplex(value as Record<string, unknown>, typeName, name);
}

/** A complex value is its declared type or, named by @odata.type, a type derived from it; abstract needs the name. */
export function checkComplex(value: Record<string, unknown>, declared: string, name: string): string {
  const named = value['@odata.type'];
  const actual = named === undefined ? declared : odataTypeName(named);
  if (!actual || !structured(actual) || !isDerivedFrom(actual, declared)) {
    throw new BodyValidationError(
      `The '@odata.type' '${String(named)}' of property '${name}' is not 'microsoft.graph.${declared}' or a type derived from it.`,
    );
  }
  if (structured(actual)?.abstract) {
    throw new BodyValidationError(
      `The property '${name}' needs an '@odata.type' naming a concrete type derived from 'microsoft.graph.${declared}'.`,
    );
  }
  checkObject(value, actual, `${name}.`);
  return actual;
}

function wrongType(name: string, type: string): BodyValidationError {
  return new BodyValidationError(`Cannot convert the value of property '${name}' to the expected type '${type}'.`);
}
