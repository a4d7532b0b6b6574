/**
 * JSON Schema (2020-12) derived from reference/graph-intune-v1.0.json, the Intune part of the official
 * Graph v1.0 CSDL: Edm primitives to JSON types and formats, enum types to string enums (flags enums to
 * comma-separated members), Collection(...) to arrays, complex and entity types to closed objects that
 * include their base types' properties, derived complex types selectable through @odata.type.
 * `additionalProperties: false` everywhere, so a misspelled or invented property fails validation.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

interface CsdlProperty {
  type: string;
  nullable: boolean;
}
interface CsdlStructuredType {
  baseType: string | null;
  abstract: boolean;
  properties: Record<string, CsdlProperty>;
}
interface CsdlEnumType {
  isFlags: boolean;
  members: string[];
}
export interface Csdl {
  entityTypes: Record<string, CsdlStructuredType>;
  complexTypes: Record<string, CsdlStructuredType>;
  enumTypes: Record<string, CsdlEnumType>;
}

type JsonSchema = Record<string, unknown>;

export function loadReferenceCsdl(): Csdl {
  const file = path.resolve(__dirname, '../../../reference/graph-intune-v1.0.json');
  return JSON.parse(readFileSync(file, 'utf8')) as Csdl;
}

const INT32 = { type: 'integer', minimum: -2147483648, maximum: 2147483647 };

/** OData primitive -> JSON Schema, for JSON with IEEE754Compatible=false (Int64 as numbers). */
const EDM: Record<string, JsonSchema> = {
  'Edm.String': { type: 'string' },
  'Edm.Boolean': { type: 'boolean' },
  'Edm.DateTimeOffset': { type: 'string', format: 'date-time' },
  'Edm.Date': { type: 'string', format: 'date' },
  'Edm.TimeOfDay': { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d(\\.\\d{1,12})?)?$' },
  'Edm.Duration': { type: 'string', format: 'duration' },
  'Edm.Guid': { type: 'string', format: 'uuid' },
  'Edm.Byte': { type: 'integer', minimum: 0, maximum: 255 },
  'Edm.Int32': INT32,
  'Edm.Int64': { type: 'integer', minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
  'Edm.Single': { anyOf: [{ type: 'number' }, { enum: ['NaN', 'INF', '-INF'] }] },
  'Edm.Double': { anyOf: [{ type: 'number' }, { enum: ['NaN', 'INF', '-INF'] }] },
  'Edm.Binary': { type: 'string', pattern: '^[A-Za-z0-9+/]*={0,2}$' },
  'Edm.Stream': { type: 'string' },
};

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class GraphSchema {
  private readonly defs: Record<string, JsonSchema> = {};
  private readonly derived = new Map<string, string[]>();
  private readonly ajv: Ajv2020;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(private readonly csdl: Csdl) {
    for (const [name, type] of Object.entries(csdl.complexTypes)) {
      const base = type.baseType?.replace(/^graph\./, '');
      if (base) this.derived.set(base, [...(this.derived.get(base) ?? []), name]);
    }
    for (const [name, type] of Object.entries(csdl.enumTypes)) this.defs[name] = this.enumSchema(type);
    for (const name of Object.keys(csdl.complexTypes)) this.defs[name] = this.structuredSchema(name, 'complex');
    for (const name of Object.keys(csdl.entityTypes)) this.defs[name] = this.structuredSchema(name, 'entity');
    for (const name of Object.keys(csdl.complexTypes)) {
      this.defs[`${name}.polymorphic`] = this.polymorphicSchema(name);
    }
    // Strict about the schema itself; `required` may name properties that live in an allOf branch.
    this.ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: 'graph', $defs: this.defs });
  }

  /** Property names of a structured type, own and inherited. */
  propertiesOf(typeName: string): string[] {
    return Object.keys(this.collectProperties(typeName));
  }

  /** Validator for one entity (without @odata.context); optionally requiring every listed property. */
  entity(typeName: string, required: readonly string[] = []): ValidateFunction {
    return this.compile(`entity:${typeName}:${required.join(',')}`, {
      type: 'object',
      allOf: [{ $ref: `graph#/$defs/${typeName}` }],
      required: [...required],
    });
  }

  /** Validator for a Graph collection page of an entity type. */
  page(typeName: string, required: readonly string[] = []): ValidateFunction {
    return this.compile(`page:${typeName}:${required.join(',')}`, {
      type: 'object',
      required: ['@odata.context', 'value'],
      properties: {
        '@odata.context': { type: 'string', format: 'uri' },
        '@odata.count': { type: 'integer', minimum: 0 },
        '@odata.nextLink': { type: 'string', format: 'uri', pattern: '^https://' },
        value: {
          type: 'array',
          items: { type: 'object', allOf: [{ $ref: `graph#/$defs/${typeName}` }], required: [...required] },
        },
      },
      additionalProperties: false,
    });
  }

  private compile(key: string, schema: JsonSchema): ValidateFunction {
    let validate = this.cache.get(key);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.cache.set(key, validate);
    }
    return validate;
  }

  private lookup(name: string): CsdlStructuredType | undefined {
    return this.csdl.entityTypes[name] ?? this.csdl.complexTypes[name];
  }

  private collectProperties(name: string): Record<string, CsdlProperty> {
    const type = this.lookup(name);
    if (!type) throw new Error(`type ${name} is not in the reference`);
    const inherited = type.baseType ? this.collectProperties(type.baseType.replace(/^graph\./, '')) : {};
    return { ...inherited, ...type.properties };
  }

  private structuredSchema(name: string, kind: 'entity' | 'complex'): JsonSchema {
    const properties: Record<string, JsonSchema> = {
      '@odata.type': { type: 'string', pattern: '^#?microsoft\\.graph\\.[A-Za-z0-9]+$' },
    };
    for (const [property, definition] of Object.entries(this.collectProperties(name))) {
      properties[property] = this.propertySchema(definition);
    }
    const required = kind === 'entity' ? ['id'] : [];
    return { type: 'object', properties, required, additionalProperties: false };
  }

  /** A complex-typed value may be the type itself or, marked by @odata.type, any type derived from it. */
  private polymorphicSchema(name: string): JsonSchema {
    const variants: JsonSchema[] = [];
    const visit = (typeName: string) => {
      const type = this.csdl.complexTypes[typeName];
      if (type && !type.abstract) {
        variants.push({
          type: 'object',
          allOf: [{ $ref: `#/$defs/${typeName}` }],
          properties: {
            '@odata.type': { type: 'string', pattern: `^#?microsoft\\.graph\\.${escapeRegExp(typeName)}$` },
          },
          ...(typeName === name ? {} : { required: ['@odata.type'] }),
        });
      }
      for (const child of this.derived.get(typeName) ?? []) visit(child);
    };
    visit(name);
    return variants.length === 1 ? (variants[0] as JsonSchema) : { anyOf: variants };
  }

  private propertySchema(definition: CsdlProperty): JsonSchema {
    const collection = /^Collection\((.+)\)$/.exec(definition.type);
    if (collection) {
      // In CSDL, Nullable on a collection property is about its elements; the collection itself is never null.
      return { type: 'array', items: this.typeSchema(collection[1] as string, definition.nullable) };
    }
    return this.typeSchema(definition.type, definition.nullable);
  }

  private typeSchema(typeName: string, nullable: boolean): JsonSchema {
    let schema: JsonSchema;
    const edm = EDM[typeName];
    if (edm) schema = edm;
    else {
      const name = typeName.replace(/^graph\./, '');
      if (this.csdl.enumTypes[name]) schema = { $ref: `#/$defs/${name}` };
      else if (this.csdl.complexTypes[name]) schema = { $ref: `#/$defs/${name}.polymorphic` };
      else if (this.csdl.entityTypes[name]) schema = { $ref: `#/$defs/${name}` };
      else throw new Error(`unknown type ${typeName}`);
    }
    return nullable ? { anyOf: [schema, { type: 'null' }] } : schema;
  }

  private enumSchema(type: CsdlEnumType): JsonSchema {
    if (!type.isFlags) return { type: 'string', enum: type.members };
    const member = `(${type.members.map(escapeRegExp).join('|')})`;
    return { type: 'string', pattern: `^${member}(,\\s*${member})*$` };
  }
}

/** ajv's errors, readable in a failed expectation. */
export function describeErrors(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .map((error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`)
    .join('\n');
}
