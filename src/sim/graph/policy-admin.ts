/**
 * /_sim/policies: the policy objects changed "in the console" from another process, mirroring the
 * in-process PolicyStore (emulator.tenant.policies). Same validation as Graph, plain JSON answers:
 *   GET|POST /_sim/policies/{kind}                 list | add an object (Graph POST body)
 *   GET|PATCH|DELETE /_sim/policies/{kind}/{id}    read | patch settings | delete
 *   PUT /_sim/policies/{kind}/{id}/assignments     replace the assignments ({assignments:[...]})
 *   DELETE /_sim/policies/{kind}/{id}/assignments/{assignmentId or groupId}
 * {kind}: androidManagedAppProtections, iosManagedAppProtections, deviceConfigurations, deviceCompliancePolicies.
 */
import { graphError, parseJsonBody, type SimRequest, type SimResponse } from './http';
import { type GraphObject, PolicyRuleError } from './policy-parts';
import { BodyValidationError } from './policy-schema';
import { POLICY_KINDS, type PolicyStore } from './policy-store';

/** `segments`: the path after /_sim/policies. */
export function handlePolicyAdmin(store: PolicyStore, request: SimRequest, segments: readonly string[]): SimResponse {
  const [kindName, id, sub, subId] = segments;
  const kind = POLICY_KINDS.find((k) => k === kindName);
  if (!kind)
    return graphError(request, 404, 'NotFound', `no policy kind '${kindName}'; one of ${POLICY_KINDS.join(', ')}`);
  try {
    const key = `${request.method} ${['{kind}', id && '{id}', sub, subId && '{id}'].filter(Boolean).join('/')}`;
    switch (key) {
      case 'GET {kind}':
        return { status: 200, body: { value: store.list(kind) } };
      case 'POST {kind}':
        return { status: 201, body: store.create(kind, body(request)) };
      case 'GET {kind}/{id}': {
        const found = store.get(kind, id as string);
        return found ? { status: 200, body: found } : graphError(request, 404, 'NotFound', `unknown ${kind} ${id}`);
      }
      case 'PATCH {kind}/{id}':
        return { status: 200, body: store.update(kind, id as string, body(request)) };
      case 'DELETE {kind}/{id}':
        return store.delete(kind, id as string)
          ? { status: 204 }
          : graphError(request, 404, 'NotFound', `unknown ${kind} ${id}`);
      case 'PUT {kind}/{id}/assignments':
        return { status: 200, body: { value: store.assign(kind, id as string, body(request).assignments ?? []) } };
      case 'DELETE {kind}/{id}/assignments/{id}':
        return store.removeAssignment(kind, id as string, subId as string)
          ? { status: 204 }
          : graphError(request, 404, 'NotFound', `no assignment ${subId} on ${kind} ${id}`);
      default:
        return graphError(request, 404, 'NotFound', `no admin route ${request.method} ${request.path}`);
    }
  } catch (error) {
    if (error instanceof BodyValidationError || error instanceof PolicyRuleError) {
      return graphError(request, 400, 'BadRequest', error.message);
    }
    throw error;
  }
}

function body(request: SimRequest): GraphObject {
  const parsed = parseJsonBody(request) ?? {};
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || parsed instanceof SyntaxError) {
    throw new BodyValidationError('the body must be a JSON object');
  }
  return parsed as GraphObject;
}
