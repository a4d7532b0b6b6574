// The HTTP client the Jamf connector talks through: Node's fetch (undici) with an extra trusted CA when given,
// OAuth client credentials (token cached until shortly before it expires, one fetch shared by concurrent
// callers), at most five requests in flight (Jamf's advice), and every attempt paced, retried and counted by
// the shared Resilience decorator. A request that is not safe to repeat (a command, an unmanage, a create)
// is never resent after a 5xx or a reset: it fails with MdmError.outcomeUnknown.
import { rootCertificates } from 'node:tls';
import { Agent, fetch } from 'undici';
import { MdmError } from '../errors';
import type { Resilience } from '../resilience';
import { fromHttpAnswer, fromNetworkError, fromTokenAnswer, outcomeUnknown } from './jamf-errors';
import { type JamfCredentials, MAX_CONCURRENT_REQUESTS, REQUEST_TIMEOUT_MS, TOKEN_RENEW_MARGIN_MS } from './settings';

/** A counting semaphore: at most `limit` holders; the rest wait in order. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async use<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** One undici Agent per extra CA for the whole process; at most five connections per origin as well. */
const agents = new Map<string, Agent>();

function agentFor(caPem: string | undefined): Agent {
  const key = caPem ?? '';
  let agent = agents.get(key);
  if (!agent) {
    const ca = caPem ? [...rootCertificates, caPem] : undefined;
    agent = new Agent({ connections: MAX_CONCURRENT_REQUESTS, connect: ca ? { ca } : {} });
    agents.set(key, agent);
  }
  return agent;
}

export interface JamfRequest {
  query?: Record<string, string | readonly string[]>;
  json?: unknown;
  xml?: string;
  /** Default: GET, PUT and DELETE are; POST is not (a command or a create may have happened). */
  repeatable?: boolean;
  signal?: AbortSignal;
}

export interface JamfAnswer {
  status: number;
  /** Parsed JSON, or the text of an XML/other body; undefined when empty. */
  body: unknown;
}

export interface JamfClientOptions {
  baseUrl: string;
  tokenPath: string;
  credentials: JamfCredentials;
  resilience: Resilience;
  caPem?: string;
}

interface Token {
  value: string;
  renewAt: number;
}

export class JamfClient {
  private readonly slots = new Semaphore(MAX_CONCURRENT_REQUESTS);
  private readonly dispatcher: Agent;
  private token: Promise<Token> | null = null;

  constructor(private readonly options: JamfClientOptions) {
    this.dispatcher = agentFor(options.caPem);
  }

  /** A fresh or cached token; fetched through the same pacing, retries and concurrency limit. */
  async accessToken(signal?: AbortSignal): Promise<string> {
    const now = this.options.resilience.clock.now();
    const cached = this.token;
    if (cached) {
      const token = await cached.catch(() => null);
      if (token && token.renewAt > now) return token.value;
      if (this.token === cached) this.token = null;
    }
    this.token ??= this.options.resilience.run(() => this.fetchToken(signal), { signal });
    const pending = this.token;
    try {
      return (await pending).value;
    } catch (error) {
      if (this.token === pending) this.token = null;
      throw error;
    }
  }

  /** One request, paced and retried; any non-2xx answer is thrown as an MdmError. */
  async send(method: string, path: string, request: JamfRequest = {}): Promise<JamfAnswer> {
    const repeatable = request.repeatable ?? method !== 'POST';
    const what = `${method} ${path}`;
    return this.options.resilience.run(
      async () => {
        try {
          return await this.attempt(method, path, request, what, true);
        } catch (error) {
          throw error instanceof MdmError && !repeatable ? outcomeUnknown(error) : error;
        }
      },
      { signal: request.signal },
    );
  }

  private async attempt(
    method: string,
    path: string,
    request: JamfRequest,
    what: string,
    renewOn401: boolean,
  ): Promise<JamfAnswer> {
    const token = await this.accessToken(request.signal);
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      accept: request.xml !== undefined || path.startsWith('/JSSResource') ? 'application/xml' : 'application/json',
    };
    let body: string | undefined;
    if (request.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.json);
    } else if (request.xml !== undefined) {
      headers['content-type'] = 'application/xml';
      body = request.xml;
    }
    const answer = await this.exchange(method, this.url(path, request.query), headers, body, what, request.signal);
    if (answer.status === 401 && renewOn401) {
      // The token may have been revoked or expired early: one more try with a new one, then it is the credential.
      this.token = null;
      return this.attempt(method, path, request, what, false);
    }
    if (answer.status >= 200 && answer.status < 300) return { status: answer.status, body: answer.body };
    throw fromHttpAnswer(answer, what, this.options.resilience.clock.now());
  }

  private async fetchToken(signal?: AbortSignal): Promise<Token> {
    const { clientId, clientSecret } = this.options.credentials;
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    });
    const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    const started = this.options.resilience.clock.now();
    const answer = await this.exchange(
      'POST',
      this.url(this.options.tokenPath),
      headers,
      form.toString(),
      'the token request',
      signal,
    );
    if (answer.status !== 200) throw fromTokenAnswer(answer, started);
    const body = answer.body as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (typeof body?.access_token !== 'string' || body.access_token === '') {
      throw new MdmError('transient', 'Jamf Pro answered the token request without an access_token');
    }
    const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : 60) * 1000;
    // Renew a minute early, or halfway through a token that lives less than two minutes.
    const margin = Math.min(TOKEN_RENEW_MARGIN_MS, lifetimeMs / 2);
    return { value: body.access_token, renewAt: started + lifetimeMs - margin };
  }

  /** One HTTP exchange inside a concurrency slot, with a timeout; no answer at all is a transient MdmError. */
  private exchange(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
    what: string,
    signal: AbortSignal | undefined,
  ): Promise<{ status: number; headers: Headers; body: unknown }> {
    return this.slots.use(async () => {
      signal?.throwIfAborted();
      const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
      const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
      try {
        const response = await fetch(url, { method, headers, body, dispatcher: this.dispatcher, signal: combined });
        const text = await response.text();
        const isJson = (response.headers.get('content-type') ?? '').includes('json');
        let parsed: unknown = text === '' ? undefined : text;
        if (isJson && text !== '') {
          try {
            parsed = JSON.parse(text);
          } catch {
            throw new MdmError('transient', `Jamf Pro sent unreadable JSON to ${what}`, { status: response.status });
          }
        }
        return { status: response.status, headers: response.headers as unknown as Headers, body: parsed };
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (error instanceof MdmError) throw error;
        throw fromNetworkError(error, what);
      }
    });
  }

  private url(path: string, query: JamfRequest['query'] = {}): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      for (const item of typeof value === 'string' ? [value] : value) params.append(name, item);
    }
    const search = params.toString();
    return `${this.options.baseUrl}${path}${search ? `?${search}` : ''}`;
  }
}
