/**
 * The Android emulator's control API under /_sim (no auth, loopback only), mirroring the in-process API:
 * read and change faults, read and reset stats, complete pending commands, and read the emulator's truth
 * (managed devices; devices on which the API shows an app) for tests in another process.
 */
import { type FaultInjector, InvalidFaultSettingError, validateFaultSettings } from '../graph/faults';
import type { Enterprise } from './enterprise';
import { type AmapiRequest, type AmapiResponse, googleError, isPlainObject, jsonBody } from './http';
import type { AndroidStatsRecorder } from './stats';

export interface AdminEnvironment {
  enterprise: Enterprise;
  faults: FaultInjector;
  stats: AndroidStatsRecorder;
}

export function handleAdmin(env: AdminEnvironment, request: AmapiRequest): AmapiResponse {
  const route = `${request.method} ${request.path.replace(/^\/_sim/, '')}`;
  const appMatch = /^GET \/apps\/([^/]+)\/devices$/.exec(route);
  if (appMatch) {
    return ok({ devices: env.enterprise.devicesShowingApp(decodeURIComponent(appMatch[1] ?? '')) });
  }
  switch (route) {
    case 'GET /faults':
      return ok(env.faults.settings);
    case 'PUT /faults':
    case 'PATCH /faults': {
      const body = jsonBody(request);
      if (!isPlainObject(body)) return googleError(400, 'the body must be a JSON object');
      try {
        return ok(env.faults.update(validateFaultSettings(body)));
      } catch (error) {
        if (error instanceof InvalidFaultSettingError) return googleError(400, error.message);
        throw error;
      }
    }
    case 'GET /stats':
      return ok(env.stats.snapshot());
    case 'POST /stats/reset':
      env.stats.reset();
      return { status: 204 };
    case 'GET /enterprise':
      return ok({
        name: env.enterprise.name,
        managedDevices: env.enterprise.managedDeviceIds().length,
        operationLatencyMs: env.enterprise.operationLatencyMs,
      });
    case 'GET /devices':
      return ok({ devices: env.enterprise.managedDeviceIds() });
    case 'POST /operations/complete':
      return ok({ completed: env.enterprise.completePendingOperations() });
    default:
      return googleError(404, `no admin route ${request.method} ${request.path}`);
  }
}

function ok(body: unknown): AmapiResponse {
  return { status: 200, body };
}
