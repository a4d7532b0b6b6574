// The HTTP contract, openapi/warden.yaml, loaded once: its operations (method, path, declared roles,
// parameters, body, responses) and an ajv instance that knows its component schemas. The router, the request
// validator and the tests' response checks all read the contract from here.
import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import { isRole, type Role } from '../auth/roles';
import { packageRoot } from '../util/package-root';

export type JsonSchema = Record<string, unknown>;
export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';
const METHODS: readonly HttpMethod[] = ['get', 'put', 'post', 'delete', 'patch'];

/** Which callers an operation admits: everyone, or API tokens of these roles. */
export type RoleDeclaration = 'public' | readonly Role[];

export interface SpecParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
}

export interface SpecOperation {
  operationId: string;
  method: HttpMethod;
  /** The OpenAPI path, e.g. `/v1/tokens/{id}`. */
  path: string;
  /** The same path in the router's syntax, e.g. `/v1/tokens/:id`. */
  routerPath: string;
  roles: RoleDeclaration;
  parameters: SpecParameter[];
  requestBody: { required: boolean; schema: JsonSchema } | null;
  /** status ('200', 'default', ...) -> content type -> schema */
  responses: Record<string, Record<string, JsonSchema>>;
}

export interface LoadedSpec {
  document: Record<string, unknown>;
  /** The document serialised once, for GET /openapi.json. */
  json: string;
  operations: Map<string, SpecOperation>;
}

/** Component schemas are registered under this id; every `#/components/schemas/X` ref is rewritten to it. */
export const SCHEMAS_ID = 'https://warden.local/openapi/schemas';

type Node = Record<string, unknown>;

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  const out: Node = {};
  for (const [key, inner] of Object.entries(value as Node)) {
    out[key] =
      key === '$ref' && typeof inner === 'string' && inner.startsWith('#/components/schemas/')
        ? `${SCHEMAS_ID}#/$defs/${inner.slice('#/components/schemas/'.length)}`
        : rewriteRefs(inner);
  }
  return out;
}

/** Follows a local `$ref` to a reusable component (parameters, responses). */
function deref(document: Node, value: unknown): Node {
  const node = value as Node;
  if (typeof node.$ref !== 'string') return node;
  const target = node.$ref
    .slice(2)
    .split('/')
    .reduce<unknown>((at, key) => (at as Node)?.[key], document);
  if (!target) throw new Error(`openapi/warden.yaml: unresolved $ref ${node.$ref}`);
  return deref(document, target);
}

function roleDeclaration(operationId: string, raw: unknown): RoleDeclaration {
  if (raw === 'public') return 'public';
  if (Array.isArray(raw) && raw.length > 0 && raw.every(isRole)) return raw;
  throw new Error(`openapi/warden.yaml: operation ${operationId} needs x-warden-roles: public or a list of roles`);
}

function readOperation(document: Node, specPath: string, method: HttpMethod, pathItem: Node): SpecOperation {
  const operation = pathItem[method] as Node;
  const operationId = operation.operationId as string;
  if (!operationId) throw new Error(`openapi/warden.yaml: ${method.toUpperCase()} ${specPath} has no operationId`);
  const parameters = [...((pathItem.parameters as unknown[]) ?? []), ...((operation.parameters as unknown[]) ?? [])]
    .map((raw) => deref(document, raw))
    .map((p) => ({
      name: p.name as string,
      in: p.in as SpecParameter['in'],
      required: p.required === true,
      schema: rewriteRefs(p.schema ?? {}) as JsonSchema,
    }));
  const body = operation.requestBody ? deref(document, operation.requestBody) : null;
  const bodySchema = (body?.content as Node | undefined)?.['application/json'] as Node | undefined;
  const responses: SpecOperation['responses'] = {};
  for (const [status, raw] of Object.entries((operation.responses as Node) ?? {})) {
    const content = (deref(document, raw).content as Node | undefined) ?? {};
    responses[status] = Object.fromEntries(
      Object.entries(content).map(([type, media]) => [type, rewriteRefs((media as Node).schema ?? {}) as JsonSchema]),
    );
  }
  return {
    operationId,
    method,
    path: specPath,
    routerPath: specPath.replace(/\{([^}]+)\}/g, ':$1'),
    roles: roleDeclaration(operationId, operation['x-warden-roles']),
    parameters,
    requestBody: bodySchema
      ? { required: body?.required === true, schema: rewriteRefs(bodySchema.schema) as JsonSchema }
      : null,
    responses,
  };
}

let cached: LoadedSpec | undefined;

export function loadSpec(): LoadedSpec {
  if (cached) return cached;
  const file = path.join(packageRoot(), 'openapi', 'warden.yaml');
  const document = YAML.parse(fs.readFileSync(file, 'utf8')) as Node;
  const operations = new Map<string, SpecOperation>();
  for (const [specPath, pathItem] of Object.entries(document.paths as Node)) {
    for (const method of METHODS) {
      if (!(pathItem as Node)[method]) continue;
      const operation = readOperation(document, specPath, method, pathItem as Node);
      if (operations.has(operation.operationId))
        throw new Error(`openapi/warden.yaml: duplicate operationId ${operation.operationId}`);
      operations.set(operation.operationId, operation);
    }
  }
  cached = { document, json: JSON.stringify(document), operations };
  return cached;
}

/**
 * An ajv (JSON Schema 2020-12, as OpenAPI 3.1 uses) that knows the contract's component schemas.
 * `coerceTypes` is for path and query values, which arrive as strings.
 */
export function createSpecAjv(options: { coerceTypes?: boolean | 'array'; useDefaults?: boolean } = {}): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: false, discriminator: true, ...options });
  addFormats(ajv);
  // ajv-formats also takes `urn:uuid:<uuid>`, which PostgreSQL's uuid type refuses: accept the plain form only.
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  ajv.addKeyword({ keyword: 'example' });
  const schemas = (loadSpec().document.components as Node).schemas as Node;
  ajv.addSchema({ $id: SCHEMAS_ID, $defs: rewriteRefs(schemas) as Node });
  return ajv;
}
