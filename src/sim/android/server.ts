/**
 * startAndroidEmulator: an emulated Android Management API enterprise behind HTTPS on 127.0.0.1, with
 * Google's OAuth 2.0 token endpoint for service accounts (POST /token), the v1 API under /v1/ and the control
 * API under /_sim/. The certificate comes from the test CA every emulator shares (../tls.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultInjector, type FaultSettings } from '../graph/faults';
import { listenOnLoopback, resetConnection, startOfCurrentUtcHour, stopServer } from '../server-kit';
import { ensureTestPki } from '../tls';
import { handleAdmin } from './admin';
import {
  createServiceAccountKey,
  registrationOf,
  type ServiceAccountKey,
  type ServiceAccountRegistration,
  TokenAuthority,
} from './auth';
import { Enterprise } from './enterprise';
import { type AmapiRequest, type AmapiResponse, googleError } from './http';
import { type ApiEnvironment, type Outcome, processApiRequest, type WriteFailure } from './routes';
import { type AndroidEmulatorStats, AndroidStatsRecorder } from './stats';

export const DEFAULT_ENTERPRISE_NAME = 'enterprises/LC0wrdn01';
export const DEFAULT_PROJECT_ID = 'warden-sim';
const MAX_BODY_BYTES = 1024 * 1024;

export interface AndroidEmulatorOptions {
  /** 0 = any free port (default); the host is always 127.0.0.1. */
  port?: number;
  /** Where ensureTestPki keeps the CA. */
  pkiDir: string;
  /** Default DEFAULT_ENTERPRISE_NAME. */
  enterpriseName?: string;
  /** Fleet size, default 200. */
  devices?: number;
  /** Default 1; the same seed and referenceTime give the same fleet. */
  seed?: number;
  /** "Now" for generated dates; default the start of the current UTC hour. */
  referenceTime?: Date;
  /**
   * Service accounts allowed to sign in (their public keys). Default: one fresh account of
   * DEFAULT_PROJECT_ID, whose key file is `serviceAccountKey`.
   */
  serviceAccounts?: ServiceAccountRegistration[];
  /** Google sends no Retry-After with most 429s, so throttleRetryAfter defaults to false here. */
  faults?: Partial<FaultSettings>;
  /** How long an issued command stays pending (default 2000 ms). */
  operationLatencyMs?: number;
}

export interface AndroidEmulator {
  /** https://127.0.0.1:PORT: the API root URL (the API is under `${url}/v1/`). */
  url: string;
  /** The token endpoint (`${url}/token`). */
  tokenUri: string;
  enterpriseName: string;
  caPem: string;
  caPath: string;
  /** The key file of the default service account (undefined when serviceAccounts were given). */
  serviceAccountKey: ServiceAccountKey | undefined;
  /** The in-memory state, for tests to inspect and change. */
  enterprise: Enterprise;
  setFaults(faults: Partial<FaultSettings>): void;
  faults(): FaultSettings;
  stats(): AndroidEmulatorStats;
  resetStats(): void;
  /** Acknowledges every pending command now, as if the devices had checked in. */
  completePendingOperations(): number;
  /** Makes the next write (DELETE, POST, PATCH) fail once this way; reads are not affected. */
  failNextWrite(failure: WriteFailure): void;
  stop(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export async function startAndroidEmulator(options: AndroidEmulatorOptions): Promise<AndroidEmulator> {
  const pki = ensureTestPki(options.pkiDir);
  const seed = options.seed ?? 1;
  let origin = '';
  const tokenUri = () => `${origin}/token`;
  let serviceAccountKey: ServiceAccountKey | undefined;
  let accounts = options.serviceAccounts;
  if (!accounts) {
    serviceAccountKey = createServiceAccountKey(DEFAULT_PROJECT_ID);
    accounts = [registrationOf(serviceAccountKey)];
  }
  const enterprise = new Enterprise({
    enterpriseName: options.enterpriseName ?? DEFAULT_ENTERPRISE_NAME,
    devices: options.devices ?? 200,
    seed,
    referenceTime: options.referenceTime ?? startOfCurrentUtcHour(),
    operationLatencyMs: options.operationLatencyMs ?? 2000,
  });
  const env: ApiEnvironment = {
    enterprise,
    authority: new TokenAuthority(accounts, tokenUri),
    faults: new FaultInjector(seed, { throttleRetryAfter: false, ...options.faults }),
    stats: new AndroidStatsRecorder(),
    nextWriteFailure: null,
  };

  const server = createServer({ key: pki.keyPem, cert: pki.certPem }, (incoming, outgoing) => {
    void handle(env, incoming, outgoing, origin);
  });
  origin = await listenOnLoopback(server, options.port, 'the Android emulator');
  if (serviceAccountKey) serviceAccountKey.token_uri = tokenUri();

  return {
    url: origin,
    tokenUri: tokenUri(),
    enterpriseName: enterprise.name,
    caPem: pki.caPem,
    caPath: pki.caPath,
    serviceAccountKey,
    enterprise,
    setFaults: (faults) => {
      env.faults.update(faults);
    },
    faults: () => env.faults.settings,
    stats: () => env.stats.snapshot(),
    resetStats: () => env.stats.reset(),
    completePendingOperations: () => enterprise.completePendingOperations(),
    failNextWrite: (failure) => {
      env.nextWriteFailure = failure;
    },
    stop: () => stopServer(server),
  };
}

async function handle(env: ApiEnvironment, incoming: IncomingMessage, outgoing: ServerResponse, origin: string) {
  const url = new URL(incoming.url ?? '/', origin);
  const request: AmapiRequest = {
    method: incoming.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers: lowerCaseHeaders(incoming.headers),
    rawBody: '',
  };
  let outcome: Outcome;
  try {
    request.rawBody = await readBody(incoming);
    outcome = dispatch(env, request, incoming.socket);
  } catch (error) {
    outcome = { kind: 'respond', response: googleError(500, error instanceof Error ? error.message : String(error)) };
  }
  if (!request.path.startsWith('/_sim/')) {
    const latency = env.faults.settings.latencyMs;
    if (latency > 0) await sleep(latency);
  }
  if (outcome.kind === 'reset') resetConnection(incoming.socket);
  else writeResponse(outgoing, outcome.response);
}

function dispatch(env: ApiEnvironment, request: AmapiRequest, socket: Socket): Outcome {
  const respond = (response: AmapiResponse): Outcome => ({ kind: 'respond', response });
  if (request.path.startsWith('/_sim/')) {
    if (!LOOPBACK.has(socket.remoteAddress ?? '')) return respond(googleError(403, 'loopback only'));
    return respond(handleAdmin(env, request));
  }
  if (request.path === '/token' && request.method === 'POST') {
    const { response, issued } = env.authority.token(request);
    env.stats.token(issued);
    env.stats.request('POST /token', response.status);
    return respond(response);
  }
  if (request.path.startsWith('/v1/')) return processApiRequest(env, request);
  return respond(googleError(404, `The requested URL ${request.path} was not found on this server.`));
}

function writeResponse(outgoing: ServerResponse, response: AmapiResponse): void {
  const headers: Record<string, string> = {
    'cache-control': 'private',
    vary: 'Origin, X-Origin, Referer',
    ...response.headers,
  };
  let payload: string | undefined;
  if (response.html !== undefined) {
    payload = response.html;
    headers['content-type'] = 'text/html; charset=UTF-8';
  } else if (response.body !== undefined && response.status !== 204) {
    payload = JSON.stringify(response.body);
    headers['content-type'] = 'application/json; charset=UTF-8';
  }
  outgoing.writeHead(response.status, headers);
  outgoing.end(payload);
}

async function readBody(message: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of message) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function lowerCaseHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
