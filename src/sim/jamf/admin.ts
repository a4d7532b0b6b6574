/**
 * The emulated Jamf Pro server's own control endpoints under `/_sim/` (loopback only, no token), for tests and
 * the demo driving it from another process: faults (GET/PUT /_sim/faults), stats (GET /_sim/stats,
 * POST /_sim/stats/reset) and device check-ins (POST /_sim/commands/complete).
 */
import { type FaultInjector, InvalidFaultSettingError, validateFaultSettings } from '../graph/faults';
import type { CommandQueue } from './commands';
import { apiError, type JamfRequest, type JamfResponse } from './http';
import type { JamfStatsRecorder } from './stats';

export interface AdminEnvironment {
  faults: FaultInjector;
  stats: JamfStatsRecorder;
  commands: CommandQueue;
}

export function handleAdmin(env: AdminEnvironment, request: JamfRequest): JamfResponse {
  const route = `${request.method} ${request.path}`;
  switch (route) {
    case 'GET /_sim/faults':
      return { status: 200, body: env.faults.settings };
    case 'PUT /_sim/faults':
    case 'PATCH /_sim/faults':
      try {
        return { status: 200, body: env.faults.update(validateFaultSettings(JSON.parse(request.body || '{}'))) };
      } catch (error) {
        if (error instanceof InvalidFaultSettingError || error instanceof SyntaxError) {
          return apiError(400, 'INVALID_FAULTS', error.message);
        }
        throw error;
      }
    case 'GET /_sim/stats':
      return { status: 200, body: env.stats.snapshot() };
    case 'POST /_sim/stats/reset':
      env.stats.reset();
      return { status: 204 };
    case 'POST /_sim/commands/complete':
      return { status: 200, body: { completed: env.commands.completePending() } };
    default:
      return apiError(404, 'NOT_FOUND', `No emulator control at ${route}`);
  }
}
