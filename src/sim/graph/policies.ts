/**
 * Graph routes of the policy objects: app protections under /deviceAppManagement, device configurations
 * and compliance policies under /deviceManagement. CRUD, assign (204 for MAM, 200 with the collection
 * otherwise, as the real endpoints differ), targetApps, and the navigation collections. State and body
 * checks live in policy-store.ts; this file maps them to Graph requests, payloads and errors.
 */
import { type GraphEnvironment, type GraphRoute, metadata, selectSuffix } from './context';
import { graphError, intuneError, parseJsonBody, type SimRequest, type SimResponse } from './http';
import { listCollection } from './listing';
import { ODataError, parseSelect, queryOption } from './odata';
import { type GraphObject, PolicyRuleError } from './policy-parts';
import { BodyValidationError, isDerivedFrom, policyCsdl, propertiesOf } from './policy-schema';
import { POLICY_KIND_INFO, POLICY_KINDS, type PolicyKind, type PolicyRecord } from './policy-store';

export const ROLES = {
  mamRead: ['DeviceManagementApps.Read.All', 'DeviceManagementApps.ReadWrite.All'],
  mamWrite: ['DeviceManagementApps.ReadWrite.All'],
  configRead: ['DeviceManagementConfiguration.Read.All', 'DeviceManagementConfiguration.ReadWrite.All'],
  configWrite: ['DeviceManagementConfiguration.ReadWrite.All'],
};

/** The route for a path under /v1.0 split into segments, or null when it is not a policy route. */
export function policyRoute(env: GraphEnvironment, method: string, segments: readonly string[]): GraphRoute | null {
  const [root, set, id, sub] = segments;
  const kind = POLICY_KINDS.find((k) => k.toLowerCase() === set?.toLowerCase());
  if (!kind || POLICY_KIND_INFO[kind].root.toLowerCase() !== root?.toLowerCase() || segments.length > 4) return null;
  const info = POLICY_KIND_INFO[kind];
  const base = `/v1.0/${info.root}/${kind}`;
  const read = info.mam ? ROLES.mamRead : ROLES.configRead;
  const write = info.mam ? ROLES.mamWrite : ROLES.configWrite;
  const route = (template: string, roles: readonly string[], handle: GraphRoute['handle']): GraphRoute => ({
    template: `${method} ${base}${template}`,
    write: method !== 'GET',
    deviceService: false,
    anyOfRoles: roles,
    handle: (request) => guarded(request, handle),
  });
  const objectId = id ?? '';
  if (segments.length === 2) {
    if (method === 'GET') return route('', read, (r) => list(env, r, kind));
    if (method === 'POST') return route('', write, (r) => create(env, r, kind));
    return null;
  }
  if (segments.length === 3) {
    if (method === 'GET') return route('/{id}', read, (r) => getOne(env, r, kind, objectId));
    if (method === 'PATCH') return route('/{id}', write, (r) => patch(env, r, kind, objectId));
    if (method === 'DELETE') return route('/{id}', write, (r) => remove(env, r, kind, objectId));
    return null;
  }
  const action = sub?.toLowerCase();
  if (method === 'POST' && action === 'assign')
    return route('/{id}/assign', write, (r) => assign(env, r, kind, objectId));
  if (method === 'POST' && action === 'targetapps' && info.mam) {
    return route('/{id}/targetApps', write, (r) => targetApps(env, r, kind, objectId));
  }
  const name = navigationNames(kind).find((n) => n.toLowerCase() === action);
  if (method === 'GET' && name)
    return route(`/{id}/${name}`, read, (r) => listNavigation(env, r, kind, objectId, name));
  return null;
}

/** Body and rule errors become the service's 400s; other errors propagate. */
export function guarded(request: SimRequest, handle: GraphRoute['handle']): SimResponse {
  try {
    return handle(request);
  } catch (error) {
    if (error instanceof BodyValidationError) return graphError(request, 400, 'BadRequest', error.message);
    if (error instanceof PolicyRuleError) return intuneError(request, 400, 'BadRequest', error.message);
    throw error;
  }
}

/** Every property of the declared type and the concrete types derived from it (what $select may name). */
const selectableCache = new Map<PolicyKind, string[]>();
export function selectable(kind: PolicyKind): string[] {
  let names = selectableCache.get(kind);
  if (!names) {
    const declared = POLICY_KIND_INFO[kind].declaredType;
    const all = new Set<string>();
    for (const name of Object.keys(policyCsdl().entityTypes)) {
      if (isDerivedFrom(name, declared)) for (const property of Object.keys(propertiesOf(name))) all.add(property);
    }
    names = [...all];
    selectableCache.set(kind, names);
  }
  return names;
}

/** The navigation collections the emulator keeps (and so can list and expand) for a kind. */
function navigationNames(kind: PolicyKind): string[] {
  const names = ['assignments'];
  if (POLICY_KIND_INFO[kind].mam) names.push('apps');
  if (kind === 'deviceCompliancePolicies') names.push('scheduledActionsForRule');
  return names;
}

function parseExpand(request: SimRequest, kind: PolicyKind): string[] {
  const text = queryOption(request.query, 'expand');
  if (text === null) return [];
  const type = POLICY_KIND_INFO[kind].declaredType;
  return text.split(',').map((raw) => {
    const name = raw.trim();
    if (!navigationNames(kind).includes(name)) {
      throw new ODataError(
        `Parsing OData Select and Expand failed: Could not find a property named '${name}' on type 'microsoft.graph.${type}'.`,
      );
    }
    return name;
  });
}

/** One object as Graph answers it: @odata.type, id, the (selected) properties, then expanded navigation. */
export function shape(record: PolicyRecord, select: readonly string[] | null, expand: readonly string[]): GraphObject {
  const out: GraphObject = {};
  for (const [key, value] of Object.entries(record.entity)) {
    if (!select || key === '@odata.type' || key === 'id' || select.includes(key)) out[key] = structuredClone(value);
  }
  for (const name of expand) out[name] = navigationView(record, name, false);
  return out;
}

/** A navigation collection as answered; a rule's action configurations only when they are expanded too. */
function navigationView(record: PolicyRecord, name: string, withConfigurations: boolean): GraphObject[] {
  return navigationItems(record, name).map((item) => {
    if (name !== 'scheduledActionsForRule' || withConfigurations) return structuredClone(item);
    const { scheduledActionConfigurations: _, ...rule } = item;
    return structuredClone(rule);
  });
}

function navigationItems(record: PolicyRecord, name: string): GraphObject[] {
  if (name === 'apps') return record.apps;
  if (name === 'scheduledActionsForRule') return record.rules;
  return name === 'assignments' ? record.assignments : [];
}

function list(env: GraphEnvironment, request: SimRequest, kind: PolicyKind): SimResponse {
  const { root } = POLICY_KIND_INFO[kind];
  const expand = parseExpand(request, kind);
  const query = new URLSearchParams(request.query);
  query.delete('$expand');
  query.delete('expand');
  const response = listCollection(
    { ...request, query },
    {
      resource: kind,
      entityType: `microsoft.graph.${POLICY_KIND_INFO[kind].declaredType}`,
      url: `${env.origin()}/v1.0/${root}/${kind}`,
      contextUrl: (select) => metadata(env, `${root}/${kind}${selectSuffix(select)}`),
      selectable: selectable(kind),
      defaultPageSize: 1000,
      maxPageSize: 1000,
      itemsAfter: (cursor) => env.tenant.policies.recordsAfter(kind, cursor),
      shape: (record, select) => shape(record, select, expand),
      count: () => env.tenant.policies.count(kind),
    },
  );
  // The skip token keeps the other options; $expand rides along on the nextLink itself.
  const body = response.body as GraphObject;
  const next = body['@odata.nextLink'];
  if (typeof next === 'string' && expand.length > 0) body['@odata.nextLink'] = `${next}&$expand=${expand.join(',')}`;
  return response;
}

export function notFound(request: SimRequest, kind: PolicyKind, id: string): SimResponse {
  return intuneError(
    request,
    404,
    'ResourceNotFound',
    `Resource not found: ${POLICY_KIND_INFO[kind].declaredType} '${id}'`,
  );
}

function entityResponse(
  env: GraphEnvironment,
  request: SimRequest,
  kind: PolicyKind,
  record: PolicyRecord,
  status: number,
): SimResponse {
  const select = parseSelect(
    queryOption(request.query, 'select'),
    selectable(kind),
    `microsoft.graph.${POLICY_KIND_INFO[kind].declaredType}`,
  );
  const context = metadata(env, `${POLICY_KIND_INFO[kind].root}/${kind}${selectSuffix(select)}/$entity`);
  return { status, body: { '@odata.context': context, ...shape(record, select, parseExpand(request, kind)) } };
}

function getOne(env: GraphEnvironment, request: SimRequest, kind: PolicyKind, id: string): SimResponse {
  const record = env.tenant.policies.record(kind, id);
  return record ? entityResponse(env, request, kind, record, 200) : notFound(request, kind, id);
}

export function jsonBody(request: SimRequest): GraphObject {
  const body = parseJsonBody(request);
  if (typeof body !== 'object' || body === null || Array.isArray(body) || body instanceof SyntaxError) {
    throw new BodyValidationError(
      'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
    );
  }
  return body as GraphObject;
}

function create(env: GraphEnvironment, request: SimRequest, kind: PolicyKind): SimResponse {
  const created = env.tenant.policies.create(kind, jsonBody(request));
  const record = env.tenant.policies.record(kind, created.id) as PolicyRecord;
  return entityResponse(env, { ...request, query: new URLSearchParams() }, kind, record, 201);
}

function patch(env: GraphEnvironment, request: SimRequest, kind: PolicyKind, id: string): SimResponse {
  if (!env.tenant.policies.record(kind, id)) return notFound(request, kind, id);
  env.tenant.policies.update(kind, id, jsonBody(request));
  return { status: 204 };
}

function remove(env: GraphEnvironment, request: SimRequest, kind: PolicyKind, id: string): SimResponse {
  return env.tenant.policies.delete(kind, id) ? { status: 204 } : notFound(request, kind, id);
}

function checkParameters(body: GraphObject, allowed: readonly string[], action: string): void {
  for (const name of Object.keys(body)) {
    if (!allowed.includes(name)) {
      throw new BodyValidationError(
        `The parameter '${name}' in the request payload is not a valid parameter for the operation '${action}'.`,
      );
    }
  }
}

function assign(env: GraphEnvironment, request: SimRequest, kind: PolicyKind, id: string): SimResponse {
  if (!env.tenant.policies.record(kind, id)) return notFound(request, kind, id);
  const body = jsonBody(request);
  checkParameters(body, ['assignments'], 'assign');
  const assignments = env.tenant.policies.assign(kind, id, body.assignments ?? []);
  const info = POLICY_KIND_INFO[kind];
  if (info.mam) return { status: 204 };
  const context = metadata(env, `Collection(microsoft.graph.${info.assignmentType})`);
  return { status: 200, body: { '@odata.context': context, value: assignments } };
}

function targetApps(env: GraphEnvironment, request: SimRequest, kind: PolicyKind, id: string): SimResponse {
  if (!env.tenant.policies.record(kind, id)) return notFound(request, kind, id);
  const body = jsonBody(request);
  checkParameters(body, ['apps', 'appGroupType'], 'targetApps');
  env.tenant.policies.targetApps(kind, id, body.apps ?? [], body.appGroupType);
  return { status: 204 };
}

function listNavigation(
  env: GraphEnvironment,
  request: SimRequest,
  kind: PolicyKind,
  id: string,
  name: string,
): SimResponse {
  const record = env.tenant.policies.record(kind, id);
  if (!record) return notFound(request, kind, id);
  const expanded = queryOption(request.query, 'expand') === 'scheduledActionConfigurations';
  const value = navigationView(record, name, expanded);
  const context = metadata(env, `${POLICY_KIND_INFO[kind].root}/${kind}('${record.entity.id}')/${name}`);
  return { status: 200, body: { '@odata.context': context, value } };
}
