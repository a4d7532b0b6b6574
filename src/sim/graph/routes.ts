/**
 * The Graph v1.0 endpoints the emulator serves: which handler answers a method and path, under which
 * route template (the stats key), with which application permissions, and whether Intune's
 * devices-service limits apply. $batch lives in batch.ts, the handlers in devices.ts, users.ts,
 * actions.ts and (policy objects) policies.ts.
 */
import { deviceActionRoute } from './actions';
import type { GraphEnvironment, GraphRoute } from './context';
import { getApp, getDevice, listAppDevices, listApps, listDevices, listUserDevices } from './devices';
import { getGroup, listGroups } from './groups';
import { policyRoute } from './policies';
import { getUser, listUsers } from './users';

export type { GraphEnvironment, GraphRoute } from './context';

const DEVICE_READ = ['DeviceManagementManagedDevices.Read.All', 'DeviceManagementManagedDevices.ReadWrite.All'];
const USER_READ = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const GROUP_READ = ['GroupMember.Read.All', 'Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All'];

export function matchGraphRoute(env: GraphEnvironment, method: string, path: string): GraphRoute | null {
  const segments = splitPath(path);
  const [first, second, third, fourth] = segments.map((segment) => segment.toLowerCase());
  const id = segments[2] ?? '';
  if (first === 'devicemanagement' && second === 'manageddevices') {
    if (segments.length === 2 && method === 'GET') {
      return read('/deviceManagement/managedDevices', true, DEVICE_READ, (r) => listDevices(env, r));
    }
    if (segments.length === 3 && method === 'GET') {
      return read('/deviceManagement/managedDevices/{id}', true, DEVICE_READ, (r) => getDevice(env, r, id));
    }
    if (segments.length === 4 && method === 'POST') return deviceActionRoute(env, id, segments[3] ?? '');
  }
  if (first === 'devicemanagement' && second === 'detectedapps' && method === 'GET') {
    if (segments.length === 2)
      return read('/deviceManagement/detectedApps', true, DEVICE_READ, (r) => listApps(env, r));
    if (segments.length === 3)
      return read('/deviceManagement/detectedApps/{id}', true, DEVICE_READ, (r) => getApp(env, r, id));
    if (segments.length === 4 && fourth === 'manageddevices') {
      const template = '/deviceManagement/detectedApps/{id}/managedDevices';
      return read(template, true, DEVICE_READ, (r) => listAppDevices(env, r, id));
    }
  }
  if (first === 'deviceappmanagement' || first === 'devicemanagement') {
    const policy = policyRoute(env, method, segments);
    if (policy) return policy;
  }
  if (first === 'users' && method === 'GET') {
    const userId = segments[1] ?? '';
    if (segments.length === 1) return read('/users', false, USER_READ, (r) => listUsers(env, r));
    if (segments.length === 2) return read('/users/{id}', false, USER_READ, (r) => getUser(env, r, userId));
    if (segments.length === 3 && third === 'manageddevices') {
      return read('/users/{id}/managedDevices', true, DEVICE_READ, (r) => listUserDevices(env, r, userId));
    }
  }
  if (first === 'groups' && method === 'GET') {
    if (segments.length === 1) return read('/groups', false, GROUP_READ, (r) => listGroups(env, r));
    if (segments.length === 2)
      return read('/groups/{id}', false, GROUP_READ, (r) => getGroup(env, r, segments[1] ?? ''));
  }
  return null;
}

function read(
  path: string,
  deviceService: boolean,
  anyOfRoles: readonly string[],
  handle: GraphRoute['handle'],
): GraphRoute {
  return { template: `GET /v1.0${path}`, write: false, deviceService, anyOfRoles, handle };
}

/** Path segments after /v1.0, URL-decoded; OData key syntax `managedDevices('id')` becomes two segments. */
export function splitPath(path: string): string[] {
  const segments: string[] = [];
  for (const raw of path.split('/').filter((segment) => segment.length > 0)) {
    const decoded = decodeURIComponent(raw);
    const key = /^([^(]+)\('?([^')]*)'?\)$/.exec(decoded);
    if (key) segments.push(key[1] as string, key[2] as string);
    else segments.push(decoded);
  }
  return segments;
}
