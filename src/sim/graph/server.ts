/**
 * startGraphEmulator: an emulated Microsoft Intune tenant behind HTTPS on 127.0.0.1 that answers like
 * Microsoft Graph v1.0 (and like Entra ID's token endpoint for it). Wires the seeded fleet, tenant
 * state, auth, faults, limits and stats to a small hand-written router on node:https.
 */
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { listenOnLoopback, resetConnection, startOfCurrentUtcHour, stopServer } from '../server-kit';

import { ensureTestPki } from '../tls';
import { handleAdmin } from './admin';
import {
  type ClientRegistration,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_TENANT_ID,
  TokenAuthority,
} from './auth';
import { processBatch } from './batch';
import { matchBetaRoute } from './beta';
import { FaultInjector, type FaultSettings } from './faults';
import { Fleet } from './fleet';
import {
  BodyTooLargeError,
  GRAPH_JSON_TYPE,
  graphError,
  lowerCaseHeaders,
  newRequestIds,
  readBody,
  type SimRequest,
  type SimResponse,
} from './http';
import { DeviceServiceLimiter } from './limits';
import { type Outcome, type PipelineEnvironment, processGraphRequest } from './pipeline';
import { type EmulatorStats, StatsRecorder } from './stats';
import { GraphTenant } from './store';

export interface GraphEmulatorOptions {
  /** 0 = any free port (default 0); the host is always 127.0.0.1. */
  port?: number;
  /** Where ensureTestPki keeps the CA. */
  pkiDir: string;
  /** Default DEFAULT_TENANT_ID. */
  tenantId?: string;
  /** Fleet size, default 200. */
  devices?: number;
  /** Default 1; the same seed and referenceTime give an identical fleet (ids and every field). */
  seed?: number;
  /** "Now" for generated dates; default: the start of the current UTC hour. */
  referenceTime?: Date;
  /** App registrations; default one client: DEFAULT_CLIENT_ID with DEFAULT_CLIENT_SECRET. */
  clients?: ClientRegistration[];
  faults?: Partial<FaultSettings>;
  /** Emulate Intune's published per-20-second request limits with real 429s (default false). */
  enforceLimits?: boolean;
  /** How long a device action stays pending before it completes (default 2000). */
  actionLatencyMs?: number;
  /** Lifetime of issued access tokens (default 3599, as Entra ID issues them). */
  tokenLifetimeSeconds?: number;
}

export interface GraphEmulator {
  /** https://127.0.0.1:PORT (the Graph base is `${url}/v1.0`). */
  url: string;
  /** What @azure/identity needs as authorityHost (the same origin). */
  authorityHost: string;
  tenantId: string;
  caPem: string;
  caPath: string;
  /** The in-memory state, for tests to inspect and change. */
  tenant: GraphTenant;
  setFaults(faults: Partial<FaultSettings>): void;
  faults(): FaultSettings;
  stats(): EmulatorStats;
  resetStats(): void;
  stop(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export async function startGraphEmulator(options: GraphEmulatorOptions): Promise<GraphEmulator> {
  const pki = ensureTestPki(options.pkiDir);
  const tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
  const seed = options.seed ?? 1;
  const fleet = new Fleet({
    devices: options.devices ?? 200,
    seed,
    referenceTime: options.referenceTime ?? startOfCurrentUtcHour(),
  });
  const tenant = new GraphTenant(fleet, tenantId, options.actionLatencyMs ?? 2000);
  let origin = '';
  const authority = new TokenAuthority(
    tenantId,
    () => origin,
    pki.keyPem,
    options.clients ?? [{ clientId: DEFAULT_CLIENT_ID, clientSecret: DEFAULT_CLIENT_SECRET }],
    options.tokenLifetimeSeconds,
  );
  const env: PipelineEnvironment = {
    tenant,
    faults: new FaultInjector(seed, options.faults),
    stats: new StatsRecorder(),
    origin: () => origin,
    countCache: new Map(),
    authority,
    limiter: options.enforceLimits ? new DeviceServiceLimiter() : null,
  };

  const server = createServer({ key: pki.keyPem, cert: pki.certPem }, (incoming, outgoing) => {
    void (async () => {
      const headers = lowerCaseHeaders(incoming.headers);
      const ids = newRequestIds(headers);
      let outcome: Outcome;
      const url = new URL(incoming.url ?? '/', origin);
      const request: SimRequest = {
        method: incoming.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers,
        rawBody: '',
        ...ids,
      };
      try {
        request.rawBody = await readBody(incoming);
        outcome = dispatch(env, request, incoming.socket);
      } catch (error) {
        const tooLarge = error instanceof BodyTooLargeError;
        const message = error instanceof Error ? error.message : String(error);
        outcome = {
          kind: 'respond',
          response: graphError(
            request,
            tooLarge ? 413 : 500,
            tooLarge ? 'RequestEntityTooLarge' : 'InternalServerError',
            message,
          ),
        };
      }
      if (!request.path.startsWith('/_sim/')) {
        const latency = env.faults.settings.latencyMs;
        if (latency > 0) await sleep(latency);
      }
      if (outcome.kind === 'reset') resetConnection(incoming.socket);
      else writeResponse(outgoing, request, outcome.response);
    })();
  });
  origin = await listenOnLoopback(server, options.port, 'the Graph emulator');

  return {
    url: origin,
    authorityHost: origin,
    tenantId,
    caPem: pki.caPem,
    caPath: pki.caPath,
    tenant,
    setFaults: (faults) => {
      env.faults.update(faults);
    },
    faults: () => env.faults.settings,
    stats: () => env.stats.snapshot(),
    resetStats: () => env.stats.reset(),
    stop: () => stopServer(server),
  };
}

function dispatch(env: PipelineEnvironment, request: SimRequest, socket: Socket): Outcome {
  const { path, method } = request;
  const respond = (response: SimResponse): Outcome => ({ kind: 'respond', response });
  if (path.startsWith('/_sim/')) {
    if (!LOOPBACK.has(socket.remoteAddress ?? ''))
      return respond(graphError(request, 403, 'Forbidden', 'loopback only'));
    return respond(handleAdmin(env, request));
  }
  if (path === '/v1.0/$batch' || path === '/v1.0/%24batch') {
    return method === 'POST'
      ? batch(env, request)
      : respond(graphError(request, 405, 'BadRequest', '$batch accepts POST only.'));
  }
  if (path.startsWith('/v1.0/'))
    return processGraphRequest(env, request, path.slice('/v1.0'.length), { inBatch: false });
  // Beta: only the app protections' exemption lists (see beta.ts); anything else is an unknown segment.
  if (path.startsWith('/beta/'))
    return processGraphRequest(env, request, path.slice('/beta'.length), { inBatch: false }, matchBetaRoute);
  return respond(identityRoute(env, request) ?? graphError(request, 404, 'NotFound', `No resource at ${path}.`));
}

function batch(env: PipelineEnvironment, request: SimRequest): Outcome {
  const template = 'POST /v1.0/$batch';
  const principal = env.authority.authenticate(request);
  if ('status' in principal) {
    env.stats.request(template, principal.status, false);
    return { kind: 'respond', response: principal };
  }
  // Only resets act on the envelope; throttling and 5xx are decided per item, inside the 200.
  const reset = env.faults.settings.resetRate > 0 ? env.faults.decide({ connectionLevel: true, write: true }) : null;
  if (reset?.kind === 'reset' && !reset.afterHandling) {
    env.stats.connectionReset();
    env.stats.request(template, 'reset', false);
    return { kind: 'reset' };
  }
  const response = processBatch(env, request, principal);
  if (reset?.kind === 'reset') {
    env.stats.connectionReset();
    env.stats.request(template, 'reset', false);
    return { kind: 'reset' };
  }
  env.stats.request(template, response.status, false);
  return { kind: 'respond', response };
}

/** Entra ID endpoints: token, OpenID discovery, instance discovery, signing keys. */
function identityRoute(env: PipelineEnvironment, request: SimRequest): SimResponse | null {
  const segments = request.path.split('/').filter(Boolean);
  const joined = segments.slice(1).join('/');
  const tenantSegment = segments[0] ?? '';
  if (request.method === 'POST' && joined === 'oauth2/v2.0/token') {
    const { response, issued } = env.authority.token(request, tenantSegment);
    env.stats.token(issued);
    env.stats.request('POST /{tenant}/oauth2/v2.0/token', response.status, false);
    return response;
  }
  if (request.method !== 'GET') return null;
  if (joined === 'v2.0/.well-known/openid-configuration') {
    if (tenantSegment.toLowerCase() !== env.authority.tenantId.toLowerCase()) {
      return {
        status: 400,
        body: { error: 'invalid_tenant', error_description: `AADSTS90002: Tenant '${tenantSegment}' not found.` },
      };
    }
    return env.authority.openIdConfiguration();
  }
  if (joined === 'discovery/instance') return env.authority.instanceDiscovery();
  if (joined === 'discovery/v2.0/keys') return env.authority.jwks();
  return null;
}

function writeResponse(outgoing: ServerResponse, request: SimRequest, response: SimResponse): void {
  const graph = request.path.startsWith('/v1.0/') || request.path.startsWith('/beta/');
  const headers: Record<string, string> = {
    'request-id': request.requestId,
    'client-request-id': request.clientRequestId,
    'x-ms-ags-diagnostic':
      '{"ServerInfo":{"DataCenter":"Emulated","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"warden-sim"}}',
    'strict-transport-security': 'max-age=31536000',
    'cache-control': 'no-cache',
    ...response.headers,
  };
  let payload: string | undefined;
  if (response.body !== undefined && response.status !== 204) {
    payload = JSON.stringify(response.body);
    headers['content-type'] = graph ? GRAPH_JSON_TYPE : 'application/json; charset=utf-8';
    if (graph) headers['odata-version'] = '4.0';
  }
  outgoing.writeHead(response.status, headers);
  outgoing.end(payload);
}
