/**
 * What happens to one Graph request, top-level or inside a $batch: route match, bearer token,
 * application permissions, Intune's request limits (when enforced), injected faults (before or
 * after the handler), the handler itself, and the stats entry. Connection resets are returned as an
 * outcome for the transport to carry out, because only a whole connection can be reset.
 */
import type { Principal, TokenAuthority } from './auth';
import { graphError, intuneError, type SimRequest, type SimResponse } from './http';
import type { DeviceServiceLimiter } from './limits';
import { ODataError } from './odata';
import { type GraphEnvironment, type GraphRoute, matchGraphRoute, splitPath } from './routes';

export interface PipelineEnvironment extends GraphEnvironment {
  authority: TokenAuthority;
  /** null unless enforceLimits. */
  limiter: DeviceServiceLimiter | null;
}

export type Outcome =
  | { kind: 'respond'; response: SimResponse }
  /** Destroy the connection without answering (after the handler ran when `afterHandling`). */
  | { kind: 'reset' };

export interface PipelineOptions {
  /** Set for $batch items: the batch's already authenticated caller. Top-level requests authenticate here. */
  principal?: Principal;
  inBatch: boolean;
}

/** Runs a request addressed to /v1.0/<path>; `path` is the part after "/v1.0". */
export function processGraphRequest(
  env: PipelineEnvironment,
  request: SimRequest,
  path: string,
  options: PipelineOptions,
  /** Which endpoints answer: v1.0's by default (beta.ts passes its own). */
  match: typeof matchGraphRoute = matchGraphRoute,
): Outcome {
  const route = match(env, request.method, path);
  const template = route?.template ?? `${request.method} (unmatched)`;
  const finish = (response: SimResponse): Outcome => {
    env.stats.request(template, response.status, options.inBatch);
    if (route?.write && response.status >= 200 && response.status < 300) env.stats.write(template);
    return { kind: 'respond', response };
  };

  const principal = options.principal ?? env.authority.authenticate(request);
  if ('status' in principal) return finish(principal);
  if (!route) return finish(unknownSegment(request, path));
  if (!route.anyOfRoles.some((role) => principal.roles.includes(role))) return finish(forbidden(request, route));

  if (env.limiter && route.deviceService) {
    const verdict = env.limiter.admit(principal.clientId, route.write);
    if (!verdict.allowed) {
      env.stats.throttled(true);
      return finish(tooManyRequests(request, String(verdict.retryAfterSeconds), verdict.scope));
    }
  }

  const fault = env.faults.decide({ connectionLevel: !options.inBatch, write: route.write });
  if (fault.kind === 'reset' && !fault.afterHandling) return reset(env, template, options);
  if (fault.kind === 'throttle') {
    env.stats.throttled(false);
    const settings = env.faults.settings;
    return finish(
      tooManyRequests(request, settings.throttleRetryAfter ? String(settings.retryAfterSeconds) : null, 'fault'),
    );
  }
  if (fault.kind === 'serverError' && !fault.afterHandling) {
    env.stats.serverError();
    return finish(serverError(request, fault.status));
  }

  const response = runHandler(route, request);
  if (fault.kind === 'reset') return reset(env, template, options);
  if (fault.kind === 'serverError') {
    env.stats.serverError();
    return finish(serverError(request, fault.status));
  }
  return finish(response);
}

function runHandler(route: GraphRoute, request: SimRequest): SimResponse {
  try {
    return route.handle(request);
  } catch (error) {
    if (error instanceof ODataError) return graphError(request, 400, error.code, error.message);
    throw error;
  }
}

function reset(env: PipelineEnvironment, template: string, options: PipelineOptions): Outcome {
  env.stats.connectionReset();
  env.stats.request(template, 'reset', options.inBatch);
  return { kind: 'reset' };
}

export function tooManyRequests(request: SimRequest, retryAfter: string | null, scope: string): SimResponse {
  const response = graphError(
    request,
    429,
    'TooManyRequests',
    `Too many requests from the application to the Intune devices service (${scope}). Retry later.`,
  );
  if (retryAfter !== null) response.headers = { ...response.headers, 'Retry-After': retryAfter };
  return response;
}

const SERVER_ERROR_CODES: Record<number, [string, string]> = {
  500: ['InternalServerError', 'An internal server error occurred.'],
  502: ['BadGateway', 'The gateway received an invalid response from the upstream service.'],
  503: ['serviceNotAvailable', 'The service is temporarily unavailable. Please retry later.'],
  504: ['GatewayTimeout', 'The gateway timed out waiting for the upstream service.'],
};

function serverError(request: SimRequest, status: number): SimResponse {
  const [code, message] = SERVER_ERROR_CODES[status] ?? ['InternalServerError', 'Error'];
  return graphError(request, status, code, message);
}

function forbidden(request: SimRequest, route: GraphRoute): SimResponse {
  if (route.template.startsWith('GET /v1.0/users') && !route.deviceService) {
    return graphError(
      request,
      403,
      'Authorization_RequestDenied',
      'Insufficient privileges to complete the operation.',
    );
  }
  return intuneError(
    request,
    403,
    'Forbidden',
    `Application is not authorized to perform this operation. Application must have one of the following scopes: ${route.anyOfRoles.join(', ')}`,
  );
}

function unknownSegment(request: SimRequest, path: string): SimResponse {
  const segments = splitPath(path);
  const last = segments[segments.length - 1] ?? '';
  if (
    ['deviceManagement', 'users'].includes(segments[0] ?? '') &&
    segments.length <= 4 &&
    request.method !== 'GET' &&
    request.method !== 'POST'
  ) {
    return graphError(
      request,
      405,
      'Request_BadRequest',
      `The HTTP method '${request.method}' is not allowed on this resource.`,
    );
  }
  return graphError(request, 400, 'BadRequest', `Resource not found for the segment '${last}'.`);
}
