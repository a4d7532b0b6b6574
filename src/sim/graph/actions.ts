/**
 * Remote device actions: POST /deviceManagement/managedDevices/{id}/{action} -> 204. The parameter
 * lists come from the bound actions of managedDevice in the v1.0 CSDL; unknown body fields are a 400
 * as on Graph. An accepted call is recorded on the device (deviceActionResults, managementState) and
 * counted per (deviceId, action) in the stats.
 */

import type { GraphEnvironment, GraphRoute } from './context';
import { graphError, intuneError, parseJsonBody, type SimRequest, type SimResponse } from './http';

type ParameterType = 'Edm.Boolean' | 'Edm.String';

/** Bound actions of graph.managedDevice (v1.0) with simple parameters. */
export const DEVICE_ACTIONS: Readonly<Record<string, Readonly<Record<string, ParameterType>>>> = {
  wipe: {
    keepEnrollmentData: 'Edm.Boolean',
    keepUserData: 'Edm.Boolean',
    persistEsimDataPlan: 'Edm.Boolean',
    macOsUnlockCode: 'Edm.String',
  },
  retire: {},
  remoteLock: {},
  syncDevice: {},
  rebootNow: {},
  shutDown: {},
  locateDevice: {},
  resetPasscode: {},
  recoverPasscode: {},
  bypassActivationLock: {},
  disableLostMode: {},
  requestRemoteAssistance: {},
  logoutSharedAppleDeviceActiveUser: {},
  windowsDefenderUpdateSignatures: {},
  cleanWindowsDevice: { keepUserData: 'Edm.Boolean' },
  deleteUserFromSharedAppleDevice: { userPrincipalName: 'Edm.String' },
  windowsDefenderScan: { quickScan: 'Edm.Boolean' },
};

const PRIVILEGED = ['DeviceManagementManagedDevices.PrivilegedOperations.All'];

export function deviceActionRoute(env: GraphEnvironment, deviceId: string, segment: string): GraphRoute | null {
  const action = Object.keys(DEVICE_ACTIONS).find((name) => name.toLowerCase() === segment.toLowerCase());
  if (!action) return null;
  return {
    template: `POST /v1.0/deviceManagement/managedDevices/{id}/${action}`,
    write: true,
    deviceService: true,
    anyOfRoles: PRIVILEGED,
    handle: (request) => performAction(env, request, deviceId, action),
  };
}

function performAction(env: GraphEnvironment, request: SimRequest, deviceId: string, action: string): SimResponse {
  const parameters = parseActionBody(request, action);
  if ('status' in parameters) return parameters;
  const device = env.tenant.getDevice(deviceId);
  if (!device) return intuneError(request, 404, 'ResourceNotFound', `Resource not found: managedDevice '${deviceId}'`);
  env.tenant.recordAction(device.id, action, parameters.values);
  env.stats.action(device.id, action);
  return { status: 204 };
}

function parseActionBody(request: SimRequest, action: string): { values: Record<string, unknown> } | SimResponse {
  const body = parseJsonBody(request);
  if (body === undefined) return { values: {} };
  if (body instanceof SyntaxError || typeof body !== 'object' || body === null || Array.isArray(body)) {
    return graphError(
      request,
      400,
      'BadRequest',
      'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
    );
  }
  const declared = DEVICE_ACTIONS[action] ?? {};
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    const type = declared[name];
    if (!type) {
      return graphError(
        request,
        400,
        'BadRequest',
        `The parameter '${name}' in the request payload is not a valid parameter for the operation '${action}'.`,
      );
    }
    const ok = value === null || (type === 'Edm.Boolean' ? typeof value === 'boolean' : typeof value === 'string');
    if (!ok) {
      return graphError(
        request,
        400,
        'BadRequest',
        `Cannot convert the literal '${String(value)}' to the expected type '${type}'.`,
      );
    }
    values[name] = value;
  }
  return { values };
}
