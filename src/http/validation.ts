// Request validation against the contract: path parameters, query parameters and the JSON body of every
// operation are checked by ajv before a handler runs. The first problem is reported as `field: reason`,
// where field is `path.<name>`, `query.<name>` or `body.<path>`.
import type { ErrorObject, ValidateFunction } from 'ajv';
import { AppError } from '../errors';
import { createSpecAjv, type JsonSchema, type SpecOperation, type SpecParameter } from './spec';

export interface RequestValidator {
  params(raw: Record<string, string>): Record<string, unknown>;
  /** Checks the declared header parameters (others pass); names are matched case-insensitively. */
  headers(raw: Record<string, string | string[] | undefined>): void;
  query(raw: Record<string, unknown>): Record<string, unknown>;
  body(raw: unknown): unknown;
}

type Location = 'path' | 'query' | 'body' | 'header';

function fieldPath(location: Location, instancePath: string, property?: string): string {
  const segments = instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (property !== undefined) segments.push(property);
  return segments.reduce((at, segment) => (/^\d+$/.test(segment) ? `${at}[${segment}]` : `${at}.${segment}`), location);
}

function describe(location: Location, error: ErrorObject): { field: string; reason: string } {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { field: fieldPath(location, error.instancePath, String(params.missingProperty)), reason: 'is required' };
    case 'additionalProperties':
      return {
        field: fieldPath(location, error.instancePath, String(params.additionalProperty)),
        reason: location === 'query' ? 'is not a parameter of this operation' : 'is not allowed here',
      };
    case 'enum':
      return {
        field: fieldPath(location, error.instancePath),
        reason: `must be one of: ${(params.allowedValues as unknown[]).map(String).join(', ')}`,
      };
    case 'const':
      return {
        field: fieldPath(location, error.instancePath),
        reason: `must be ${JSON.stringify(params.allowedValue)}`,
      };
    default:
      return { field: fieldPath(location, error.instancePath), reason: error.message ?? 'is not valid' };
  }
}

/**
 * What the schema admits but Warden cannot use: a string (or key) holding U+0000, which PostgreSQL's text and
 * jsonb cannot store or compare, and an infinite number, which ajv makes of "Infinity" in a path or query value
 * when it coerces it to an integer (and then skips the minimum and maximum).
 */
function unusableAt(value: unknown, segments: string[] = []): { segments: string[]; reason: string } | null {
  if (typeof value === 'string')
    return value.includes('\u0000') ? { segments, reason: 'must not contain the character U+0000' } : null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : { segments, reason: 'must be a finite number' };
  if (value === null || typeof value !== 'object') return null;
  for (const [key, inner] of Object.entries(value)) {
    const found = key.includes('\u0000')
      ? { segments: [...segments, key], reason: 'must not contain the character U+0000' }
      : unusableAt(inner, [...segments, key]);
    if (found) return found;
  }
  return null;
}

function check<T>(validate: ValidateFunction, location: Location, value: T): T {
  if (validate(value)) {
    const unusable = unusableAt(value);
    if (!unusable) return value;
    const pointer = unusable.segments.map((s) => `/${s.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
    const field = fieldPath(location, pointer);
    throw new AppError('validation', `${field}: ${unusable.reason}`, { field });
  }
  const { field, reason } = describe(location, validate.errors![0]!);
  throw new AppError('validation', `${field}: ${reason}`, { field });
}

function objectSchema(parameters: SpecParameter[]): JsonSchema {
  return {
    type: 'object',
    properties: Object.fromEntries(parameters.map((p) => [p.name, p.schema])),
    required: parameters.filter((p) => p.required).map((p) => p.name),
    additionalProperties: false,
  };
}

/** Compiles the validators of every operation once, at start-up. */
export function compileRequestValidators(operations: Iterable<SpecOperation>): Map<string, RequestValidator> {
  const paramsAjv = createSpecAjv({ coerceTypes: 'array', useDefaults: true });
  const bodyAjv = createSpecAjv({ useDefaults: true });
  const validators = new Map<string, RequestValidator>();
  for (const operation of operations) {
    const pathValidator = paramsAjv.compile(objectSchema(operation.parameters.filter((p) => p.in === 'path')));
    const queryValidator = paramsAjv.compile(objectSchema(operation.parameters.filter((p) => p.in === 'query')));
    const bodyValidator = operation.requestBody ? bodyAjv.compile(operation.requestBody.schema) : null;
    const headerParameters = operation.parameters
      .filter((p) => p.in === 'header')
      .map((p) => ({ ...p, name: p.name.toLowerCase() }));
    const headerValidator = paramsAjv.compile({ ...objectSchema(headerParameters), additionalProperties: true });
    validators.set(operation.operationId, {
      params: (raw) => check(pathValidator, 'path', { ...raw }),
      headers(raw) {
        const declared = Object.fromEntries(
          headerParameters.filter((p) => raw[p.name] !== undefined).map((p) => [p.name, raw[p.name]]),
        );
        check(headerValidator, 'header', declared);
      },
      query: (raw) => check(queryValidator, 'query', { ...raw }),
      body(raw) {
        if (!bodyValidator) return undefined;
        if (raw === undefined) {
          if (operation.requestBody?.required) throw new AppError('validation', 'body: is required', { field: 'body' });
          return undefined;
        }
        return check(bodyValidator, 'body', raw);
      },
    });
  }
  return validators;
}
