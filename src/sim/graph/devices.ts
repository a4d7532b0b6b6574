/**
 * managedDevices and detectedApps: listing (paging, $filter on the documented properties, $select,
 * $count, the $skip quirk, the truncation fault), single GETs, the devices of a detected app and of a
 * user. Lists answer the documented null-in-list properties as null; a single GET fills them only
 * when they are $select-ed.
 */
import { cachedCount, type GraphEnvironment, metadata, selectSuffix } from './context';
import { type FilterCapabilities, type FilterNode, matchesFilter } from './filter';
import { intuneError, type SimRequest, type SimResponse } from './http';
import { type CollectionSpec, listCollection } from './listing';
import { parseSelect, project, queryOption } from './odata';
import {
  COMPLIANCE_STATES,
  DETECTED_APP_PROPERTIES,
  MANAGED_DEVICE_PROPERTIES,
  MANAGEMENT_AGENTS,
  MANAGEMENT_STATES,
  type ManagedDevice,
  SELECT_ONLY_DEVICE_PROPERTIES,
} from './types';
import { userNotFound } from './users';

const DEVICE_TYPE = 'microsoft.graph.managedDevice';

/** $filter support per CSDL annotations, as listed in MDM-APIS.md. */
const DEVICE_FILTER: FilterCapabilities = {
  entityType: DEVICE_TYPE,
  allProperties: MANAGED_DEVICE_PROPERTIES,
  allowAnd: true,
  properties: {
    deviceName: { type: 'string', operators: ['eq', 'contains'] },
    serialNumber: { type: 'string', operators: ['eq'] },
    imei: { type: 'string', operators: ['eq'] },
    operatingSystem: { type: 'string', operators: ['eq'] },
    manufacturer: { type: 'string', operators: ['eq'] },
    jailBroken: { type: 'string', operators: ['eq'] },
    complianceState: { type: 'enum', operators: ['eq'], enumMembers: COMPLIANCE_STATES },
    managementState: { type: 'enum', operators: ['eq'], enumMembers: MANAGEMENT_STATES },
    managementAgent: { type: 'enum', operators: ['eq'], enumMembers: MANAGEMENT_AGENTS },
    userPrincipalName: { type: 'string', operators: ['eq', 'ne'] },
    lastSyncDateTime: { type: 'dateTime', operators: ['lt', 'gt'] },
    enrolledDateTime: { type: 'dateTime', operators: ['lt', 'gt'] },
  },
};

/**
 * The device in the service's property order, with the null-in-list properties answered null (0 for the
 * non-nullable Int64) unless `keep` names them.
 */
function maskSelectOnly(device: ManagedDevice, keep: readonly string[] | null): ManagedDevice {
  const masked: Record<string, unknown> = {};
  for (const property of MANAGED_DEVICE_PROPERTIES) masked[property] = device[property];
  return maskProperties(masked as unknown as ManagedDevice, keep);
}

function maskProperties(masked: ManagedDevice, keep: readonly string[] | null): ManagedDevice {
  for (const property of SELECT_ONLY_DEVICE_PROPERTIES) {
    if (keep?.includes(property)) continue;
    if (property === 'physicalMemoryInBytes') masked.physicalMemoryInBytes = 0;
    else masked[property] = null;
  }
  return masked;
}

const SELECT_ONLY = new Set<string>(SELECT_ONLY_DEVICE_PROPERTIES);
const ALL_LISTED: readonly (keyof ManagedDevice)[] = [...MANAGED_DEVICE_PROPERTIES];
/** Keyed by the parsed $select array itself: one page shapes all its devices with the same array. */
const listedKeysBySelect = new WeakMap<readonly string[], readonly (keyof ManagedDevice)[]>();

/** The properties a list page carries for this $select, in the service's order (computed once per $select). */
function listedKeys(select: readonly string[] | null): readonly (keyof ManagedDevice)[] {
  if (!select) return ALL_LISTED;
  let keys = listedKeysBySelect.get(select);
  if (!keys) {
    keys = MANAGED_DEVICE_PROPERTIES.filter((p) => p === 'id' || select.includes(p));
    listedKeysBySelect.set(select, keys);
  }
  return keys;
}

/** A device as a list page shows it: only the selected properties, the select-only ones blanked. */
function listDevice(device: ManagedDevice, select: readonly string[] | null): Partial<ManagedDevice> {
  const out: Record<string, unknown> = {};
  for (const property of listedKeys(select)) {
    out[property] = !SELECT_ONLY.has(property) ? device[property] : property === 'physicalMemoryInBytes' ? 0 : null;
  }
  return out as Partial<ManagedDevice>;
}

function countDevices(
  env: GraphEnvironment,
  ordinals: Iterable<number>,
  filter: FilterNode | null,
  key: string,
  liveCount?: () => number,
) {
  if (!filter && liveCount) return liveCount();
  if (!filter) {
    let total = 0;
    for (const _ of ordinals) total++;
    return total;
  }
  return cachedCount(env, key, () => {
    let total = 0;
    for (const [, device] of devicesAt(env, ordinals)) if (matchesFilter(filter, device)) total++;
    return total;
  });
}

function* devicesAt(env: GraphEnvironment, ordinals: Iterable<number>): Generator<[number, ManagedDevice]> {
  for (const ordinal of ordinals) yield [ordinal, env.tenant.deviceAt(ordinal)];
}

function deviceCollection(
  env: GraphEnvironment,
  resource: string,
  path: string,
  context: string,
  ordinalsAfter: (cursor: number) => Iterable<number>,
  allOrdinals: () => Iterable<number>,
  /** The unfiltered count when it is known without counting (the whole tenant's). */
  liveCount?: () => number,
): CollectionSpec<ManagedDevice> {
  return {
    resource,
    entityType: DEVICE_TYPE,
    url: `${env.origin()}/v1.0${path}`,
    contextUrl: (select) => metadata(env, `${context}${selectSuffix(select)}`),
    filter: DEVICE_FILTER,
    selectable: MANAGED_DEVICE_PROPERTIES,
    defaultPageSize: 1000,
    maxPageSize: 1000,
    itemsAfter: (cursor) => devicesAt(env, ordinalsAfter(cursor)),
    shape: listDevice,
    count: (filter, text) => countDevices(env, allOrdinals(), filter, `${resource}|${text}`, liveCount),
  };
}

export function listDevices(env: GraphEnvironment, request: SimRequest): SimResponse {
  const spec = deviceCollection(
    env,
    'managedDevices',
    '/deviceManagement/managedDevices',
    'deviceManagement/managedDevices',
    (cursor) => env.tenant.ordinalsAfter(cursor),
    () => env.tenant.ordinalsAfter(-1),
    () => env.tenant.deviceCount,
  );
  return listCollection(request, { ...spec, skipLimit: 1000, truncateAfter: env.faults.settings.truncateListingAfter });
}

export function getDevice(env: GraphEnvironment, request: SimRequest, id: string): SimResponse {
  const device = env.tenant.getDevice(id);
  if (!device) return intuneError(request, 404, 'ResourceNotFound', `Resource not found: managedDevice '${id}'`);
  const select = parseSelect(queryOption(request.query, 'select'), MANAGED_DEVICE_PROPERTIES, DEVICE_TYPE);
  const context = metadata(env, `deviceManagement/managedDevices${selectSuffix(select)}/$entity`);
  return { status: 200, body: { '@odata.context': context, ...project(maskSelectOnly(device, select), select) } };
}

export function listApps(env: GraphEnvironment, request: SimRequest): SimResponse {
  return listCollection(request, {
    resource: 'detectedApps',
    entityType: 'microsoft.graph.detectedApp',
    url: `${env.origin()}/v1.0/deviceManagement/detectedApps`,
    contextUrl: (select) => metadata(env, `deviceManagement/detectedApps${selectSuffix(select)}`),
    selectable: DETECTED_APP_PROPERTIES,
    defaultPageSize: 1000,
    maxPageSize: 1000,
    itemsAfter: (cursor) => env.tenant.detectedAppsAfter(cursor),
    shape: project,
    count: () => env.tenant.detectedApps().length,
  });
}

export function getApp(env: GraphEnvironment, request: SimRequest, id: string): SimResponse {
  const app = env.tenant.getDetectedApp(id);
  if (!app) return intuneError(request, 404, 'ResourceNotFound', `Resource not found: detectedApp '${id}'`);
  const select = parseSelect(
    queryOption(request.query, 'select'),
    DETECTED_APP_PROPERTIES,
    'microsoft.graph.detectedApp',
  );
  const context = metadata(env, `deviceManagement/detectedApps${selectSuffix(select)}/$entity`);
  return { status: 200, body: { '@odata.context': context, ...project(app, select) } };
}

export function listAppDevices(env: GraphEnvironment, request: SimRequest, appId: string): SimResponse {
  if (!env.tenant.getDetectedApp(appId)) {
    return intuneError(request, 404, 'ResourceNotFound', `Resource not found: detectedApp '${appId}'`);
  }
  const ordinals = env.tenant.deviceOrdinalsWithApp(appId);
  const spec = deviceCollection(
    env,
    `detectedApps/${appId}/managedDevices`,
    `/deviceManagement/detectedApps/${encodeURIComponent(appId)}/managedDevices`,
    `deviceManagement/detectedApps('${appId}')/managedDevices`,
    (cursor) => ordinals.filter((ordinal) => ordinal > cursor),
    () => ordinals,
  );
  return listCollection(request, { ...spec, filter: undefined });
}

export function listUserDevices(env: GraphEnvironment, request: SimRequest, userId: string): SimResponse {
  const user = env.tenant.getUser(userId);
  if (!user) return userNotFound(request, userId);
  const ordinals = env.tenant.deviceOrdinalsOfUser(user.id);
  const spec = deviceCollection(
    env,
    `users/${user.id}/managedDevices`,
    `/users/${user.id}/managedDevices`,
    `users('${user.id}')/managedDevices`,
    (cursor) => ordinals.filter((ordinal) => ordinal > cursor),
    () => ordinals,
  );
  return listCollection(request, spec);
}
