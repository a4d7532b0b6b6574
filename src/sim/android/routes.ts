/**
 * The Android Management API v1 routes the emulator serves, behind the bearer check and fault injection:
 * enterprises.get, devices list/get/delete/issueCommand, devices.operations list/get, policies list/get/patch/delete.
 * Faults are decided per request after authentication: 429 RESOURCE_EXHAUSTED (Retry-After only when the
 * knob says so; Google rarely sends one), 5xx (a 504 after a write that took effect), connection resets
 * before or after handling, and the truncated listing (a nextPageToken dropped before the last page).
 */

import type { FaultDecision, FaultInjector } from '../graph/faults';
import type { TokenAuthority } from './auth';
import { COMMAND_TYPES, type Enterprise } from './enterprise';
import {
  type AmapiRequest,
  type AmapiResponse,
  badGatewayPage,
  googleError,
  isPlainObject,
  jsonBody,
  offsetOf,
  pageSizeOf,
  pageToken,
} from './http';
import { InvalidPolicyError } from './policies';
import type { AndroidStatsRecorder } from './stats';

export type Outcome = { kind: 'respond'; response: AmapiResponse } | { kind: 'reset' };

/** A one-shot failure of the next write (DELETE, POST, PATCH), for tests of "did my wipe happen?". */
export interface WriteFailure {
  status: 500 | 502 | 503 | 504 | 'reset';
  /** true: the write took effect and only its answer was lost. */
  afterHandling: boolean;
}

export interface ApiEnvironment {
  enterprise: Enterprise;
  authority: TokenAuthority;
  faults: FaultInjector;
  stats: AndroidStatsRecorder;
  /** Consumed by the next write that passes authentication. */
  nextWriteFailure: WriteFailure | null;
}

/** Google's documented page sizes: devices default 10, max 100; the same used for policies and operations. */
export const DEVICE_PAGE_SIZE = { default: 10, max: 100 } as const;

interface Match {
  template: string;
  handle: () => AmapiResponse;
}

export function processApiRequest(env: ApiEnvironment, request: AmapiRequest): Outcome {
  const match = matchRoute(env, request);
  const template = match?.template ?? `${request.method} ${request.path}`;
  const finish = (outcome: Outcome): Outcome => {
    env.stats.request(template, outcome.kind === 'reset' ? 'reset' : outcome.response.status);
    return outcome;
  };
  const principal = env.authority.authenticate(request);
  if ('rejected' in principal) return finish({ kind: 'respond', response: principal.rejected });
  const decision =
    writeFailure(env, request) ?? env.faults.decide({ connectionLevel: true, write: request.method !== 'GET' });
  if (decision.kind === 'throttle') {
    env.stats.fault('throttle');
    const { throttleRetryAfter, retryAfterSeconds } = env.faults.settings;
    const response = googleError(
      429,
      "Quota exceeded for quota metric 'Queries' and limit 'Queries per 100 seconds' of service 'androidmanagement.googleapis.com'.",
    );
    if (throttleRetryAfter) response.headers = { 'retry-after': String(retryAfterSeconds) };
    return finish({ kind: 'respond', response });
  }
  if ((decision.kind === 'serverError' || decision.kind === 'reset') && !decision.afterHandling) {
    env.stats.fault(decision.kind);
    return finish(
      decision.kind === 'reset' ? { kind: 'reset' } : { kind: 'respond', response: serverError(decision.status) },
    );
  }
  const response = match ? match.handle() : googleError(404, `Method not found: ${request.method} ${request.path}`);
  if (decision.kind === 'serverError' || decision.kind === 'reset') {
    env.stats.fault(decision.kind);
    return finish(
      decision.kind === 'reset' ? { kind: 'reset' } : { kind: 'respond', response: serverError(decision.status) },
    );
  }
  return finish({ kind: 'respond', response });
}

function writeFailure(env: ApiEnvironment, request: AmapiRequest): FaultDecision | null {
  const failure = env.nextWriteFailure;
  if (!failure || request.method === 'GET') return null;
  env.nextWriteFailure = null;
  return failure.status === 'reset'
    ? { kind: 'reset', afterHandling: failure.afterHandling }
    : { kind: 'serverError', status: failure.status, afterHandling: failure.afterHandling };
}

function serverError(status: 500 | 502 | 503 | 504): AmapiResponse {
  if (status === 502) return badGatewayPage();
  if (status === 503) return googleError(503, 'The service is currently unavailable.');
  if (status === 504) return googleError(504, 'The request timed out.');
  return googleError(500, 'Internal error encountered.');
}

function matchRoute(env: ApiEnvironment, request: AmapiRequest): Match | null {
  const found =
    /^\/v1\/enterprises\/([^/]+)(?:\/(devices|policies)(?:\/([^/:]+)(:issueCommand)?(?:\/operations(?:\/([^/]+))?)?)?)?$/.exec(
      request.path,
    );
  if (!found) return null;
  const [, enterpriseId, collection, id, command, operationId] = found;
  const operations = request.path.includes('/operations');
  const { method } = request;
  const base = `${method} /v1/enterprises/{e}`;
  const route = (template: string, handle: () => AmapiResponse): Match => ({
    template: `${base}${template}`,
    handle: () =>
      `enterprises/${enterpriseId}` === env.enterprise.name
        ? handle()
        : googleError(403, 'The caller does not have permission'),
  });
  const devices = new DeviceRoutes(env, request);
  if (!collection && method === 'GET') return route('', () => ({ status: 200, body: enterpriseView(env.enterprise) }));
  if (collection === 'devices') {
    if (!id && method === 'GET') return route('/devices', () => devices.list());
    if (id && command && method === 'POST') return route('/devices/{d}:issueCommand', () => devices.issueCommand(id));
    if (id && operations && !command && method === 'GET') {
      return operationId
        ? route('/devices/{d}/operations/{op}', () => devices.operation(id, operationId))
        : route('/devices/{d}/operations', () => devices.operations(id));
    }
    if (id && !command && !operations && method === 'GET') return route('/devices/{d}', () => devices.get(id));
    if (id && !command && !operations && method === 'DELETE') return route('/devices/{d}', () => devices.delete(id));
  }
  if (collection === 'policies' && !command && !operations) {
    if (!id && method === 'GET') return route('/policies', () => listPolicies(env, request));
    if (id && method === 'GET') return route('/policies/{p}', () => getPolicy(env, id));
    if (id && method === 'PATCH') return route('/policies/{p}', () => patchPolicy(env, request, id));
    if (id && method === 'DELETE') return route('/policies/{p}', () => deletePolicy(env, id));
  }
  return null;
}

function enterpriseView(enterprise: Enterprise): Record<string, unknown> {
  return { name: enterprise.name, enterpriseDisplayName: 'Warden Emulated Enterprise', enabledNotificationTypes: [] };
}

const deviceNotFound = (id: string) => googleError(404, `Device ${id} not found.`);

class DeviceRoutes {
  constructor(
    private readonly env: ApiEnvironment,
    private readonly request: AmapiRequest,
  ) {}

  list(): AmapiResponse {
    const size = pageSizeOf(this.request.query, DEVICE_PAGE_SIZE.default, DEVICE_PAGE_SIZE.max);
    if (typeof size !== 'number') return size;
    const all = this.env.enterprise.listed();
    const token = this.request.query.get('pageToken');
    const offset = token ? offsetOf(token, 'devices') : 0;
    if (offset === null) return googleError(400, 'Invalid page token.');
    let end = Math.min(all.length, offset + size);
    let more = end < all.length;
    const truncateAfter = this.env.faults.settings.truncateListingAfter;
    if (truncateAfter !== null && end >= truncateAfter && truncateAfter < all.length) {
      // The field bug this knob plays: the listing just stops, and nothing in the answer says so.
      end = Math.max(offset, truncateAfter);
      more = false;
    }
    const devices = all.slice(offset, end).map((device) => this.env.enterprise.render(device));
    return { status: 200, body: { devices, ...(more ? { nextPageToken: pageToken('devices', end) } : {}) } };
  }

  get(id: string): AmapiResponse {
    const device = this.env.enterprise.device(id);
    if (!device) return deviceNotFound(id);
    this.env.stats.deviceCall(id, 'get');
    return { status: 200, body: this.env.enterprise.render(device) };
  }

  delete(id: string): AmapiResponse {
    const flags = this.request.query.getAll('wipeDataFlags');
    const known = [
      'WIPE_DATA_FLAG_UNSPECIFIED',
      'PRESERVE_RESET_PROTECTION_DATA',
      'WIPE_EXTERNAL_STORAGE',
      'WIPE_ESIMS',
    ];
    const unknown = flags.find((flag) => !known.includes(flag));
    if (unknown)
      return googleError(
        400,
        `Invalid value at 'wipe_data_flags' (type.googleapis.com/google.android.devicemanagement.v1.WipeDataFlag), "${unknown}"`,
      );
    if ((this.request.query.get('wipeReasonMessage') ?? '').length > 200) {
      return googleError(400, 'wipeReasonMessage must be at most 200 characters.');
    }
    if (!this.env.enterprise.deleteDevice(id, flags)) return deviceNotFound(id);
    this.env.stats.deviceCall(id, 'delete');
    return { status: 200, body: {} };
  }

  issueCommand(id: string): AmapiResponse {
    const device = this.env.enterprise.device(id);
    if (!device) return deviceNotFound(id);
    const body = jsonBody(this.request);
    const type = isPlainObject(body) ? body.type : undefined;
    if (typeof type !== 'string' || !(COMMAND_TYPES as readonly string[]).includes(type)) {
      return googleError(
        400,
        `Invalid value at 'command.type' (type.googleapis.com/google.android.devicemanagement.v1.Command.CommandType), ${JSON.stringify(type ?? null)}`,
      );
    }
    if (device.state !== 'ACTIVE') {
      return googleError(400, `Device ${id} is ${device.state} and cannot receive commands.`, 'FAILED_PRECONDITION');
    }
    this.env.stats.deviceCall(id, `issueCommand:${type}`);
    return { status: 200, body: this.env.enterprise.issueCommand(id, type) };
  }

  operations(id: string): AmapiResponse {
    if (!this.env.enterprise.device(id)) return deviceNotFound(id);
    return page(this.request, `operations:${id}`, this.env.enterprise.operationsOf(id), 'operations');
  }

  operation(id: string, operationId: string): AmapiResponse {
    if (!this.env.enterprise.device(id)) return deviceNotFound(id);
    const operation = this.env.enterprise.operation(id, operationId);
    return operation ? { status: 200, body: operation } : googleError(404, `Operation ${operationId} not found.`);
  }
}

function page(request: AmapiRequest, listing: string, items: unknown[], key: string): AmapiResponse {
  const size = pageSizeOf(request.query, DEVICE_PAGE_SIZE.default, DEVICE_PAGE_SIZE.max);
  if (typeof size !== 'number') return size;
  const token = request.query.get('pageToken');
  const offset = token ? offsetOf(token, listing) : 0;
  if (offset === null) return googleError(400, 'Invalid page token.');
  const end = Math.min(items.length, offset + size);
  return {
    status: 200,
    body: {
      [key]: items.slice(offset, end),
      ...(end < items.length ? { nextPageToken: pageToken(listing, end) } : {}),
    },
  };
}

function listPolicies(env: ApiEnvironment, request: AmapiRequest): AmapiResponse {
  return page(request, 'policies', env.enterprise.policies.list(), 'policies');
}

function getPolicy(env: ApiEnvironment, id: string): AmapiResponse {
  const policy = env.enterprise.policies.get(id);
  return policy ? { status: 200, body: policy } : googleError(404, `Policy ${id} not found.`);
}

/** Like Google: a policy some device still uses cannot be deleted (FAILED_PRECONDITION). */
function deletePolicy(env: ApiEnvironment, id: string): AmapiResponse {
  if (!env.enterprise.policies.get(id)) return googleError(404, `Policy ${id} not found.`);
  if (env.enterprise.listed().some((device) => device.policyId === id))
    return googleError(400, `Policy ${id} is in use by devices.`, 'FAILED_PRECONDITION');
  env.enterprise.policies.remove(id);
  return { status: 200, body: {} };
}

function patchPolicy(env: ApiEnvironment, request: AmapiRequest, id: string): AmapiResponse {
  const body = jsonBody(request);
  if (body instanceof SyntaxError) return googleError(400, 'Invalid JSON payload received.');
  try {
    const policy = env.enterprise.policies.patch(id, body ?? {}, request.query.get('updateMask'));
    env.stats.policyPatch(id);
    return { status: 200, body: policy };
  } catch (error) {
    if (error instanceof InvalidPolicyError) return googleError(400, error.message);
    throw error;
  }
}
