/**
 * The few Graph beta endpoints the emulator serves: app protections under /beta/deviceAppManagement, which
 * carry the beta-only exemption lists (exemptedAppPackages on Android, exemptedAppProtocols on iOS) beside the
 * v1.0 properties. List, get and PATCH, on the same objects the v1.0 routes serve; v1.0 never shows the lists.
 */
import type { GraphEnvironment, GraphRoute } from './context';
import type { SimRequest, SimResponse } from './http';
import { listCollection } from './listing';
import { parseSelect, queryOption } from './odata';
import { guarded, jsonBody, notFound, ROLES, selectable, shape } from './policies';
import type { GraphObject } from './policy-parts';
import type { PolicyKind, PolicyRecord } from './policy-store';
import { splitPath } from './routes';

/** The beta property holding each app protection kind's exemption list. */
export const EXEMPTION_PROPERTY = {
  androidManagedAppProtections: 'exemptedAppPackages',
  iosManagedAppProtections: 'exemptedAppProtocols',
} as const satisfies Partial<Record<PolicyKind, string>>;

type ExemptKind = keyof typeof EXEMPTION_PROPERTY;

const betaContext = (env: GraphEnvironment, fragment: string) => `${env.origin()}/beta/$metadata#${fragment}`;

/** The route for a path under /beta, or null (the emulator serves no other beta endpoint). */
export function matchBetaRoute(env: GraphEnvironment, method: string, path: string): GraphRoute | null {
  const [root, set, id, ...rest] = splitPath(path);
  const kind = (Object.keys(EXEMPTION_PROPERTY) as ExemptKind[]).find((k) => k.toLowerCase() === set?.toLowerCase());
  if (root?.toLowerCase() !== 'deviceappmanagement' || !kind || rest.length > 0) return null;
  const base = `/beta/deviceAppManagement/${kind}`;
  const route = (template: string, write: boolean, handle: GraphRoute['handle']): GraphRoute => ({
    template: `${method} ${base}${template}`,
    write,
    deviceService: false,
    anyOfRoles: write ? ROLES.mamWrite : ROLES.mamRead,
    handle: (request) => guarded(request, handle),
  });
  if (id === undefined) return method === 'GET' ? route('', false, (r) => list(env, r, kind)) : null;
  if (method === 'GET') return route('/{id}', false, (r) => getOne(env, r, kind, id));
  if (method === 'PATCH') return route('/{id}', true, (r) => patch(env, r, kind, id));
  return null;
}

function betaShape(kind: ExemptKind, record: PolicyRecord, select: readonly string[] | null): GraphObject {
  const out = shape(record, select?.filter((name) => name !== EXEMPTION_PROPERTY[kind]) ?? null, []);
  if (!select || select.includes(EXEMPTION_PROPERTY[kind]))
    out[EXEMPTION_PROPERTY[kind]] = structuredClone(record.exemptions);
  return out;
}

const selectOf = (request: SimRequest, kind: ExemptKind) =>
  parseSelect(
    queryOption(request.query, 'select'),
    [...selectable(kind), EXEMPTION_PROPERTY[kind]],
    `microsoft.graph.${kind}`,
  );

function list(env: GraphEnvironment, request: SimRequest, kind: ExemptKind): SimResponse {
  return listCollection(request, {
    resource: `beta:${kind}`,
    entityType: `microsoft.graph.${kind}`,
    url: `${env.origin()}/beta/deviceAppManagement/${kind}`,
    contextUrl: () => betaContext(env, `deviceAppManagement/${kind}`),
    selectable: [...selectable(kind), EXEMPTION_PROPERTY[kind]],
    defaultPageSize: 1000,
    maxPageSize: 1000,
    itemsAfter: (cursor) => env.tenant.policies.recordsAfter(kind, cursor),
    shape: (record, select) => betaShape(kind, record, select),
    count: () => env.tenant.policies.count(kind),
  });
}

function getOne(env: GraphEnvironment, request: SimRequest, kind: ExemptKind, id: string): SimResponse {
  const record = env.tenant.policies.record(kind, id);
  if (!record) return notFound(request, kind, id);
  const body = { '@odata.context': betaContext(env, `deviceAppManagement/${kind}/$entity`) };
  return { status: 200, body: { ...body, ...betaShape(kind, record, selectOf(request, kind)) } };
}

/** PATCH: the exemption list is replaced when given; the other properties go through v1.0's validation. */
function patch(env: GraphEnvironment, request: SimRequest, kind: ExemptKind, id: string): SimResponse {
  if (!env.tenant.policies.record(kind, id)) return notFound(request, kind, id);
  const { [EXEMPTION_PROPERTY[kind]]: exemptions, ...rest } = jsonBody(request);
  if (Object.keys(rest).some((name) => name !== '@odata.type')) env.tenant.policies.update(kind, id, rest);
  if (exemptions !== undefined) env.tenant.policies.setExemptions(kind, id, exemptions);
  return { status: 204 };
}
