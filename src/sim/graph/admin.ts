/**
 * The emulator's own control API under /_sim (no auth, loopback only): read and change faults,
 * read and reset stats, and change the tenant from another process (devices, detected apps on
 * devices, users; policy objects in policy-admin.ts). Each route mirrors a method of the in-process
 * API (GraphEmulator / GraphTenant).
 */
import { type FaultInjector, InvalidFaultSettingError, validateFaultSettings } from './faults';
import { graphError, parseJsonBody, type SimRequest, type SimResponse } from './http';
import { handlePolicyAdmin } from './policy-admin';
import type { StatsRecorder } from './stats';
import type { AppInit, DeviceInit, GraphTenant } from './store';
import {
  COMPLIANCE_STATES,
  type DetectedAppPlatformType,
  MANAGED_DEVICE_PROPERTIES,
  MANAGEMENT_AGENTS,
  MANAGEMENT_STATES,
} from './types';

export interface AdminEnvironment {
  tenant: GraphTenant;
  faults: FaultInjector;
  stats: StatsRecorder;
}

const ENUMS: Record<string, readonly string[]> = {
  complianceState: COMPLIANCE_STATES,
  managementState: MANAGEMENT_STATES,
  managementAgent: MANAGEMENT_AGENTS,
  managedDeviceOwnerType: ['unknown', 'company', 'personal', 'unknownFutureValue'],
};

const APP_PLATFORMS: readonly DetectedAppPlatformType[] = [
  'unknown',
  'windows',
  'windowsMobile',
  'windowsHolographic',
  'ios',
  'macOS',
  'chromeOS',
  'androidOSP',
  'androidDeviceAdministrator',
  'androidWorkProfile',
  'androidDedicatedAndFullyManaged',
];

class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function handleAdmin(env: AdminEnvironment, request: SimRequest): SimResponse {
  try {
    return route(env, request);
  } catch (error) {
    if (error instanceof AdminError) return graphError(request, error.status, 'BadRequest', error.message);
    if (error instanceof InvalidFaultSettingError) return graphError(request, 400, 'BadRequest', error.message);
    if (error instanceof Error && /^unknown /.test(error.message))
      return graphError(request, 404, 'NotFound', error.message);
    throw error;
  }
}

function route(env: AdminEnvironment, request: SimRequest): SimResponse {
  const segments = request.path.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
  const [resource, id, sub, subId] = segments;
  const method = request.method;
  if (resource === 'policies') return handlePolicyAdmin(env.tenant.policies, request, segments.slice(1));
  const fixed = resource === 'faults' || resource === 'stats' || resource === 'tenant';
  const key = fixed
    ? `${method} ${segments.join('/')}`
    : `${method} ${[resource, id && '{id}', sub, subId && '{id}'].filter(Boolean).join('/')}`;
  switch (key) {
    case 'GET faults':
      return ok(env.faults.settings);
    case 'PUT faults':
    case 'PATCH faults':
      return ok(env.faults.update(validateFaultSettings(jsonObject(request))));
    case 'GET stats':
      return ok(env.stats.snapshot());
    case 'POST stats/reset':
      env.stats.reset();
      return { status: 204 };
    case 'GET tenant':
      return ok({
        tenantId: env.tenant.tenantId,
        devices: env.tenant.deviceCount,
        users: env.tenant.userCount,
        detectedApps: env.tenant.detectedApps().length,
        actionLatencyMs: env.tenant.actionLatencyMs,
      });
    case 'POST devices':
      return { status: 201, body: env.tenant.addDevice(deviceFields(jsonObject(request), true)) };
    case 'GET devices/{id}':
      return ok(env.tenant.getDevice(id as string) ?? notFound(`unknown managed device ${id}`));
    case 'PATCH devices/{id}':
      return ok(env.tenant.updateDevice(id as string, deviceFields(jsonObject(request), false)));
    case 'DELETE devices/{id}':
      return env.tenant.removeDevice(id as string) ? { status: 204 } : notFound(`unknown managed device ${id}`);
    case 'GET devices/{id}/detectedApps':
      return ok({ value: env.tenant.appsOfDevice(id as string) });
    case 'POST devices/{id}/detectedApps':
      return { status: 201, body: env.tenant.addDetectedApp(id as string, appReference(jsonObject(request))) };
    case 'DELETE devices/{id}/detectedApps/{id}':
      return env.tenant.removeDetectedApp(id as string, subId as string)
        ? { status: 204 }
        : notFound(`unknown detected app ${subId} on device ${id}`);
    case 'POST users/{id}/disable':
      env.tenant.disableUser(id as string);
      return { status: 204 };
    case 'POST users/{id}/enable':
      env.tenant.enableUser(id as string);
      return { status: 204 };
    case 'DELETE users/{id}':
      env.tenant.deleteUser(id as string);
      return { status: 204 };
    default:
      throw new AdminError(404, `no admin route ${method} ${request.path}`);
  }
}

function ok(body: unknown): SimResponse {
  return { status: 200, body };
}

function notFound(message: string): never {
  throw new AdminError(404, message);
}

function jsonObject(request: SimRequest): Record<string, unknown> {
  const body = parseJsonBody(request) ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body) || body instanceof SyntaxError) {
    throw new AdminError(400, 'the body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/** Checks names and value types of managedDevice fields sent to the admin API. */
function deviceFields(body: Record<string, unknown>, allowId: boolean): DeviceInit {
  const known: readonly string[] = MANAGED_DEVICE_PROPERTIES;
  for (const [name, value] of Object.entries(body)) {
    if (!known.includes(name) || (name === 'id' && !allowId)) {
      throw new AdminError(400, `'${name}' is not a settable managedDevice property`);
    }
    const members = ENUMS[name];
    if (members && !members.includes(String(value))) {
      throw new AdminError(400, `'${String(value)}' is not a valid ${name}; expected one of ${members.join(', ')}`);
    }
    if (
      name === 'deviceActionResults'
        ? !Array.isArray(value) && value !== null
        : typeof value === 'object' && value !== null
    ) {
      throw new AdminError(400, `'${name}' has the wrong type`);
    }
  }
  return body as DeviceInit;
}

function appReference(body: Record<string, unknown>): string | AppInit {
  if (typeof body.id === 'string') return body.id;
  const { displayName, platform, version, publisher, sizeInByte } = body;
  if (typeof displayName !== 'string' || !APP_PLATFORMS.includes(platform as DetectedAppPlatformType)) {
    throw new AdminError(
      400,
      "give either 'id' of a detected app or 'displayName' and a detectedAppPlatformType 'platform'",
    );
  }
  const init: AppInit = { displayName, platform: platform as DetectedAppPlatformType };
  if (typeof version === 'string') init.version = version;
  if (typeof publisher === 'string') init.publisher = publisher;
  if (typeof sizeInByte === 'number') init.sizeInByte = sizeInByte;
  return init;
}
