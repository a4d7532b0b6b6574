/**
 * startJamfEmulator: an emulated Jamf Pro server behind HTTPS on 127.0.0.1 (the test CA of src/sim/tls.ts),
 * answering like the Jamf Pro API (and the Classic API's configuration profiles): OAuth client credentials,
 * inventory, MDM commands, unmanaging, with the Graph emulator's fault knobs (throttling with or without
 * Retry-After, 5xx, latency, resets, a listing that stops early) and counters, including the most requests
 * it ever had in flight at once (Jamf asks clients for at most five concurrent connections).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultInjector, type FaultSettings } from '../graph/faults';
import { listenOnLoopback, resetConnection, stopServer } from '../server-kit';
import { ensureTestPki } from '../tls';
import { handleAdmin } from './admin';
import {
  DEFAULT_JAMF_CLIENT_ID,
  DEFAULT_JAMF_CLIENT_SECRET,
  type JamfClientRegistration,
  JamfTokenAuthority,
  TOKEN_PATHS,
} from './auth';
import { CommandQueue } from './commands';
import { JamfFleet } from './fleet';
import { apiError, type JamfRequest, type JamfResponse } from './http';
import { ProfileStore } from './profiles';
import { matchRoute, notFound, type RouteEnvironment } from './routes';
import { type JamfEmulatorStats, JamfStatsRecorder } from './stats';

export interface JamfEmulatorOptions {
  /** 0 = any free port (default); the host is always 127.0.0.1. */
  port?: number;
  /** Where ensureTestPki keeps the CA (share it with the Graph emulator: one CA for all). */
  pkiDir: string;
  /** Mobile devices in the fleet (default 200). */
  mobileDevices?: number;
  /** Macs in the fleet (default a tenth of the mobile devices). */
  computers?: number;
  /** Share of inventory records no longer managed (default 0.03). */
  unmanagedShare?: number;
  /** Default 1; the same seed and referenceTime give the same fleet. */
  seed?: number;
  referenceTime?: Date;
  clients?: JamfClientRegistration[];
  faults?: Partial<FaultSettings>;
  /** How long an MDM command stays pending (default 2000); null: until completePendingCommands(). */
  commandLatencyMs?: number | null;
  /** Lifetime of issued tokens (default 1200 s; Jamf's API clients default to 20 minutes... configurable). */
  tokenLifetimeSeconds?: number;
}

export interface JamfEmulator {
  /** https://127.0.0.1:PORT: the Jamf Pro base URL (the API is under /api, the Classic API /JSSResource). */
  url: string;
  caPem: string;
  caPath: string;
  clientId: string;
  clientSecret: string;
  /** The in-memory inventory, for tests to inspect and change. */
  fleet: JamfFleet;
  profiles: ProfileStore;
  setFaults(faults: Partial<FaultSettings>): void;
  faults(): FaultSettings;
  stats(): JamfEmulatorStats;
  resetStats(): void;
  /** Every pending MDM command is acknowledged, as if each device checked in. Returns how many. */
  completePendingCommands(): number;
  /** Expires every issued token (the next call with one gets a 401). */
  expireTokens(): void;
  stop(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export async function startJamfEmulator(options: JamfEmulatorOptions): Promise<JamfEmulator> {
  const pki = ensureTestPki(options.pkiDir);
  const seed = options.seed ?? 1;
  const mobileDevices = options.mobileDevices ?? 200;
  const fleet = new JamfFleet({
    mobileDevices,
    computers: options.computers ?? Math.ceil(mobileDevices / 10),
    seed,
    referenceTime: options.referenceTime ?? new Date(),
    unmanagedShare: options.unmanagedShare,
  });
  const clients = options.clients ?? [{ clientId: DEFAULT_JAMF_CLIENT_ID, clientSecret: DEFAULT_JAMF_CLIENT_SECRET }];
  let origin = '';
  const stats = new JamfStatsRecorder();
  const faults = new FaultInjector(seed, options.faults);
  const authority = new JamfTokenAuthority(clients, options.tokenLifetimeSeconds ?? 1200);
  const latency = options.commandLatencyMs === undefined ? 2000 : options.commandLatencyMs;
  const commands = new CommandQueue(fleet, stats, latency, () => origin);
  const profiles = new ProfileStore();
  const routes: RouteEnvironment = {
    inventory: () => ({ fleet, truncateAfter: faults.settings.truncateListingAfter }),
    commands,
    profiles,
  };

  const server = createServer({ key: pki.keyPem, cert: pki.certPem }, (incoming, outgoing) => {
    stats.started();
    outgoing.once('close', () => stats.finished());
    void serve(incoming, outgoing).catch((error: unknown) => {
      if (!outgoing.headersSent) write(outgoing, apiError(500, 'INTERNAL_ERROR', String(error)));
    });
  });

  async function serve(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
    const url = new URL(incoming.url ?? '/', 'https://127.0.0.1');
    const request: JamfRequest = {
      method: incoming.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: Object.fromEntries(Object.entries(incoming.headers).map(([k, v]) => [k.toLowerCase(), String(v ?? '')])),
      body: await readBody(incoming),
    };
    if (request.path.startsWith('/_sim/')) {
      const allowed = LOOPBACK.has(incoming.socket.remoteAddress ?? '');
      write(
        outgoing,
        allowed ? handleAdmin({ faults, stats, commands }, request) : apiError(403, 'FORBIDDEN', 'loopback only'),
      );
      return;
    }
    if (request.method === 'POST' && TOKEN_PATHS.has(request.path)) {
      const answer = authority.token(request);
      if (answer.status === 200) stats.token();
      stats.request(`POST ${request.path}`, answer.status);
      write(outgoing, answer);
      return;
    }
    const route = matchRoute(routes, request);
    const template = route?.template ?? `${request.method} (unknown)`;
    const denied = authority.check(request);
    if (denied) {
      stats.request(template, 401);
      write(outgoing, denied);
      return;
    }
    if (!route) {
      stats.request(template, 404);
      write(outgoing, notFound(request));
      return;
    }
    const settings = faults.settings;
    if (settings.latencyMs > 0) await sleep(settings.latencyMs);
    const fate = faults.decide({ connectionLevel: true, write: route.write });
    if (fate.kind === 'throttle') {
      stats.request(template, 429);
      const headers: Record<string, string> = settings.throttleRetryAfter
        ? { 'retry-after': String(settings.retryAfterSeconds) }
        : {};
      write(outgoing, { ...apiError(429, 'TOO_MANY_REQUESTS', 'Too many requests'), headers });
      return;
    }
    const before = (fate.kind === 'reset' || fate.kind === 'serverError') && !fate.afterHandling;
    const answer = before ? null : route.handle();
    if (fate.kind === 'reset') {
      stats.request(template, 'reset');
      resetConnection(incoming.socket);
      return;
    }
    if (fate.kind === 'serverError') {
      stats.request(template, fate.status);
      write(outgoing, apiError(fate.status, 'SERVER_ERROR', 'The server could not complete the request'));
      return;
    }
    stats.request(template, answer!.status);
    write(outgoing, answer!);
  }

  origin = await listenOnLoopback(server, options.port, 'the Jamf emulator');

  return {
    url: origin,
    caPem: pki.caPem,
    caPath: pki.caPath,
    clientId: clients[0]!.clientId,
    clientSecret: clients[0]!.clientSecret,
    fleet,
    profiles,
    setFaults: (partial) => {
      faults.update(partial);
    },
    faults: () => faults.settings,
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    completePendingCommands: () => commands.completePending(),
    expireTokens: () => authority.expireAll(),
    stop: () => stopServer(server),
  };
}

const MAX_BODY_BYTES = 5 * 1024 * 1024;

async function readBody(incoming: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function write(outgoing: ServerResponse, response: JamfResponse): void {
  const headers: Record<string, string> = { 'cache-control': 'no-store', ...response.headers };
  let payload: string | undefined;
  if (response.body !== undefined && response.status !== 204) {
    const isText = typeof response.body === 'string';
    payload = isText ? (response.body as string) : JSON.stringify(response.body);
    headers['content-type'] = response.contentType ?? 'application/json;charset=UTF-8';
  }
  outgoing.writeHead(response.status, headers);
  outgoing.end(payload);
}
