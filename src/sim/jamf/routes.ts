/**
 * The emulated Jamf Pro server's routes: each request matched to a route template (for stats) and a handler.
 * Auth and faults are decided before this (server.ts); a handler only answers.
 */
import type { CommandQueue } from './commands';
import { apiError, type JamfRequest, type JamfResponse } from './http';
import {
  type InventoryContext,
  listComputers,
  listMobileDevices,
  mobileDeviceDetail,
  oneMobileDevice,
} from './inventory';
import { PROFILES_PATH, type ProfileStore } from './profiles';

export interface RouteEnvironment {
  inventory: () => InventoryContext;
  commands: CommandQueue;
  profiles: ProfileStore;
}

export interface Route {
  template: string;
  handle: () => JamfResponse;
  /** Whether the request changes state (a 504 or reset may come after it took effect). */
  write: boolean;
}

export function matchRoute(env: RouteEnvironment, request: JamfRequest): Route | null {
  const { method, path } = request;
  const route = (template: string, handle: () => JamfResponse) => ({
    template: `${method} ${template}`,
    handle,
    write: method !== 'GET',
  });
  if (path.startsWith(PROFILES_PATH)) {
    const template = path === PROFILES_PATH ? PROFILES_PATH : `${PROFILES_PATH}/id/{id}`;
    return route(template, () => env.profiles.handle(request));
  }
  if (method === 'GET' && path === '/api/v2/mobile-devices') {
    return route('/api/v2/mobile-devices', () => listMobileDevices(env.inventory(), request));
  }
  if (method === 'GET' && path === '/api/v2/mobile-devices/detail') {
    return route('/api/v2/mobile-devices/detail', () => mobileDeviceDetail(env.inventory(), request));
  }
  if (method === 'GET' && path === '/api/v1/computers-inventory') {
    return route('/api/v1/computers-inventory', () => listComputers(env.inventory(), request));
  }
  if (path === '/api/v2/mdm/commands') {
    if (method === 'POST') return route('/api/v2/mdm/commands', () => env.commands.create(request));
    if (method === 'GET') return route('/api/v2/mdm/commands', () => env.commands.list(request));
  }
  const mobile = /^\/api\/v2\/mobile-devices\/([^/]+)(\/detail|\/unmanage)?$/.exec(path);
  if (mobile) {
    const id = decodeURIComponent(mobile[1]!);
    if (method === 'GET' && mobile[2] !== '/unmanage') {
      const detail = mobile[2] === '/detail';
      return route(`/api/v2/mobile-devices/{id}${detail ? '/detail' : ''}`, () =>
        oneMobileDevice(env.inventory(), id, detail),
      );
    }
    if (method === 'POST' && mobile[2] === '/unmanage') {
      return route('/api/v2/mobile-devices/{id}/unmanage', () => env.commands.unmanageMobileDevice(id));
    }
  }
  const computer = /^\/api\/v1\/computer-inventory\/([^/]+)\/remove-mdm-profile$/.exec(path);
  if (computer && method === 'POST') {
    const id = decodeURIComponent(computer[1]!);
    return route('/api/v1/computer-inventory/{id}/remove-mdm-profile', () => env.commands.removeComputerMdmProfile(id));
  }
  return null;
}

export function notFound(request: JamfRequest): JamfResponse {
  return apiError(404, 'NOT_FOUND', `No resource at ${request.method} ${request.path}`);
}
