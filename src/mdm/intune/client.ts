// The Graph client the Intune connector talks through: the official SDK with its middleware chain replaced by
// Authentication -> Resilience (ours: pacing, retries, counting, error sorting) -> HTTP. Retries live here and
// nowhere else, so every attempt is paced and counted; the SDK's RetryHandler is left out on purpose.

import type { TokenCredential } from '@azure/identity';
import {
  AuthenticationHandler,
  Client,
  type Context,
  type GraphRequest,
  HTTPMessageHandler,
  type Middleware,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { Agent } from 'undici';
import { MdmError } from '../errors';
import type { Resilience } from '../resilience';
import { trustedCas } from './credentials';
import { carry, fromHttpAnswer, fromNetworkError, toMdmError } from './graph-errors';
import { GRAPH_SCOPE, GRAPH_VERSION } from './settings';

/** Paces, sends and re-sends one request; a final failure leaves as a carried MdmError. */
export class ResilienceHandler implements Middleware {
  private next: Middleware | undefined;

  constructor(private readonly resilience: Resilience) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const next = this.next;
    if (!next) throw new Error('ResilienceHandler needs a next middleware');
    const signal = context.options?.signal ?? undefined;
    try {
      await this.resilience.run(() => this.attempt(next, context, signal), { signal, cost: batchSize(context) });
    } catch (error) {
      if (error instanceof MdmError) throw carry(error);
      throw error;
    }
  }

  private async attempt(next: Middleware, context: Context, signal: AbortSignal | undefined): Promise<void> {
    context.response = undefined;
    const once = sentOnce(context);
    try {
      await next.execute(context);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw once(fromNetworkError(error));
    }
    const response = context.response as Response | undefined;
    if (!response) throw once(fromNetworkError(new Error('no response')));
    if (!isRetryableStatus(response.status)) return; // 2xx, or a 4xx the SDK turns into a GraphError
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined; // a 5xx from a proxy need not be JSON
    }
    throw once(
      fromHttpAnswer({ status: response.status, headers: response.headers, body }, this.resilience.clock.now()),
    );
  }
}

/**
 * POSTs that repeat safely: assign and targetApps replace a list, and $batch carries reads here. Any other POST
 * (a create, a device action) may have been carried out when a 5xx or a reset comes back, so it is not resent.
 */
const REPEATABLE_POST = /\/(assign|targetApps|\$batch)(\?|$)/i;

/** For a POST that must not be sent twice: a transient failure becomes "outcome unknown" (never retried). */
function sentOnce(context: Context): (error: MdmError) => MdmError {
  const method = (context.options?.method ?? 'GET').toUpperCase();
  const url = typeof context.request === 'string' ? context.request : context.request.url;
  if (method !== 'POST' || REPEATABLE_POST.test(new URL(url).pathname)) return (error) => error;
  return (error) =>
    error.kind === 'transient'
      ? new MdmError('transient', `${error.message}; it may have been carried out, so it was not sent again`, {
          status: error.status,
          requestId: error.requestId,
          cause: error,
          outcomeUnknown: true,
        })
      : error;
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Intune counts each request inside a $batch against its limits, so a batch takes one token per request. */
function batchSize(context: Context): number {
  const url = typeof context.request === 'string' ? context.request : context.request.url;
  const body = context.options?.body;
  if (!/\/\$batch(\?|$)/.test(url) || typeof body !== 'string') return 1;
  try {
    const requests = (JSON.parse(body) as { requests?: unknown }).requests;
    return Array.isArray(requests) && requests.length > 0 ? requests.length : 1;
  } catch {
    return 1;
  }
}

/** One undici Agent per extra CA for the whole process, so connectors do not each keep sockets open. */
const agents = new Map<string, Agent>();

function agentFor(caPem: string): Agent {
  let agent = agents.get(caPem);
  if (!agent) {
    agent = new Agent({ connect: { ca: trustedCas(caPem) } });
    agents.set(caPem, agent);
  }
  return agent;
}

export interface GraphClientOptions {
  credential: TokenCredential;
  /** https://graph.microsoft.com or an emulator's origin. */
  baseUrl: string;
  resilience: Resilience;
  caPem?: string;
}

export function createGraphClient(options: GraphClientOptions): Client {
  const auth = new AuthenticationHandler(
    new TokenCredentialAuthenticationProvider(options.credential, { scopes: [GRAPH_SCOPE] }),
  );
  const resilience = new ResilienceHandler(options.resilience);
  auth.setNext(resilience);
  resilience.setNext(new HTTPMessageHandler());
  return Client.initWithMiddleware({
    middleware: auth,
    baseUrl: `${options.baseUrl.replace(/\/+$/, '')}/`,
    defaultVersion: GRAPH_VERSION,
    // The SDK attaches the bearer token only to Graph's own hosts and these (hostnames, no port).
    customHosts: new Set([new URL(options.baseUrl).hostname]),
    fetchOptions: options.caPem ? ({ dispatcher: agentFor(options.caPem) } as RequestInit) : {},
  });
}

/** Runs one SDK request with the caller's signal; every failure leaves as an MdmError (or the abort reason). */
export async function send<T>(
  request: GraphRequest,
  method: 'get' | 'post' | 'patch' | 'delete',
  signal?: AbortSignal,
  body?: unknown,
): Promise<T> {
  if (signal) request.option('signal', signal);
  try {
    const answer: Promise<unknown> =
      method === 'get'
        ? request.get()
        : method === 'post'
          ? request.post(body)
          : method === 'patch'
            ? request.patch(body)
            : request.delete();
    return (await (signal ? untilAborted(answer, signal) : answer)) as T;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw toMdmError(error) ?? error;
  }
}

/**
 * The SDK cannot hand a signal to the token request its AuthenticationHandler makes, so an abort would wait for
 * Entra ID; the caller stops waiting at once instead (fetches to Graph see the signal and stop themselves).
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
