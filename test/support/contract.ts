// Checks every answer the tests receive against openapi/warden.yaml: the status must be documented (or fall
// under `default`), the content type must be one the operation declares, and the body must match its schema.
import type { ValidateFunction } from 'ajv';
import { createSpecAjv, loadSpec, type SpecOperation } from '../../src/http/spec';

const ajv = createSpecAjv();
const compiled = new Map<string, ValidateFunction>();
const problemValidator = ajv.compile({ $ref: 'https://warden.local/openapi/schemas#/$defs/Problem' });

const matchers = [...loadSpec().operations.values()].map((operation) => ({
  operation,
  regex: new RegExp(`^${operation.path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));
export function findOperation(method: string, path: string): SpecOperation | undefined {
  const wanted = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase();
  return matchers.find((m) => m.operation.method === wanted && m.regex.test(path))?.operation;
}

export interface CheckedResponse {
  status: number;
  contentType: string;
  body: unknown;
}

/** Throws an error naming the operation, status and schema violation when a response breaks the contract. */
export function assertMatchesContract(method: string, path: string, response: CheckedResponse): void {
  const operation = findOperation(method, path);
  const isProblemType = response.contentType === 'application/problem+json';
  if (!operation) {
    if (response.status >= 400 && isProblemType && problemValidator(response.body)) return;
    throw new Error(
      `${method} ${path} answered ${response.status} ${response.contentType} outside any operation, and not as a valid problem`,
    );
  }
  if (method.toUpperCase() === 'HEAD') return;
  const declared = operation.responses[String(response.status)] ?? operation.responses.default;
  if (!declared)
    throw new Error(`${operation.operationId} answered ${response.status}, which the contract does not document`);
  if (response.status === 204 || Object.keys(declared).length === 0) {
    if (response.body !== undefined && response.body !== '')
      throw new Error(`${operation.operationId} ${response.status} must have no body`);
    return;
  }
  const schema = declared[response.contentType];
  if (!schema) {
    throw new Error(
      `${operation.operationId} ${response.status} answered ${response.contentType}; the contract declares ${Object.keys(declared).join(', ')}`,
    );
  }
  const key = `${operation.operationId} ${response.status} ${response.contentType}`;
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  if (!validate(response.body)) {
    throw new Error(
      `${key} breaks the contract: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(response.body).slice(0, 2000)}`,
    );
  }
}
