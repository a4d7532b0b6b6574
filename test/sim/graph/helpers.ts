/**
 * Shared helpers for the Graph emulator tests: one PKI directory for every test file (and the demo),
 * an emulator starter, an HTTPS client that trusts the test CA, and a client-secret token fetcher.
 */
import path from 'node:path';
import { Agent, fetch } from 'undici';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  type GraphEmulator,
  type GraphEmulatorOptions,
  startGraphEmulator,
} from '../../../src/sim/graph';

/** The repository's .warden/pki (git-ignored), so the demo and the test run share one CA. */
export const TEST_PKI_DIR = path.resolve(__dirname, '../../../.warden/pki');

/** A fixed "now" keeps generated fleets identical from run to run. */
export const REFERENCE_TIME = new Date('2025-03-01T12:00:00Z');

export async function startEmulator(options: Partial<GraphEmulatorOptions> = {}): Promise<GraphEmulator> {
  return startGraphEmulator({ pkiDir: TEST_PKI_DIR, referenceTime: REFERENCE_TIME, devices: 120, ...options });
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON body, or undefined for an empty body. */
  body: unknown;
}

/** Talks HTTPS to one emulator, trusting its CA through an undici Agent (no global TLS settings touched). */
export class EmulatorClient {
  readonly dispatcher: Agent;
  private token: string | undefined;

  constructor(
    readonly emulator: GraphEmulator,
    private readonly credentials = { clientId: DEFAULT_CLIENT_ID, clientSecret: DEFAULT_CLIENT_SECRET },
  ) {
    this.dispatcher = new Agent({ connect: { ca: emulator.caPem } });
  }

  async accessToken(
    clientId = this.credentials.clientId,
    clientSecret = this.credentials.clientSecret,
  ): Promise<string> {
    const response = await this.send('POST', `/${this.emulator.tenantId}/oauth2/v2.0/token`, {
      form: {
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
        scope: 'https://graph.microsoft.com/.default',
      },
    });
    const body = response.body as { access_token?: string };
    if (response.status !== 200 || !body.access_token) throw new Error(`token request failed: ${JSON.stringify(body)}`);
    return body.access_token;
  }

  /** A Graph call with a bearer token (fetched once and reused). `path` is relative to the origin. */
  async graph(
    method: string,
    pathAndQuery: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse> {
    this.token ??= await this.accessToken();
    return this.send(method, pathAndQuery, {
      json: body,
      headers: { authorization: `Bearer ${this.token}`, ...headers },
    });
  }

  /** A raw call: JSON body, form body or none. Absolute URLs (nextLinks) are accepted too. */
  async send(
    method: string,
    pathOrUrl: string,
    options: { json?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...options.headers };
    let payload: string | undefined;
    if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      payload = new URLSearchParams(options.form).toString();
    } else if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(options.json);
    }
    const url = pathOrUrl.startsWith('https://') ? pathOrUrl : `${this.emulator.url}${pathOrUrl}`;
    const response = await fetch(url, { method, headers, body: payload, dispatcher: this.dispatcher });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers as unknown as Headers,
      body: text ? JSON.parse(text) : undefined,
    };
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

export interface GraphPage<T> {
  '@odata.context': string;
  '@odata.count'?: number;
  '@odata.nextLink'?: string;
  value: T[];
}

/** Follows nextLinks from a first Graph URL and returns every page. */
export async function allPages<T>(client: EmulatorClient, firstPath: string): Promise<GraphPage<T>[]> {
  const pages: GraphPage<T>[] = [];
  let next: string | undefined = firstPath;
  while (next) {
    const response = await client.graph('GET', next);
    if (response.status !== 200)
      throw new Error(`GET ${next} answered ${response.status}: ${JSON.stringify(response.body)}`);
    const page = response.body as GraphPage<T>;
    pages.push(page);
    next = page['@odata.nextLink'];
  }
  return pages;
}

export interface GraphErrorBody {
  error: {
    code: string;
    message: string;
    innerError: { date: string; 'request-id': string; 'client-request-id': string };
  };
}

/** Asserts the standard Graph error shape and returns it. */
export function expectGraphError(response: ApiResponse, status: number, code: string): GraphErrorBody {
  expect({ status: response.status, code: (response.body as GraphErrorBody | undefined)?.error?.code }).toEqual({
    status,
    code,
  });
  const body = response.body as GraphErrorBody;
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'innerError', 'message']);
  expect(body.error.innerError['request-id']).toBe(response.headers.get('request-id'));
  expect(body.error.innerError['client-request-id']).toBe(response.headers.get('client-request-id'));
  expect(body.error.innerError.date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
  return body;
}
