// The Android Management API client the connector talks through: the official @googleapis/androidmanagement
// client, authenticated by google-auth-library's JWT client (service account, JWT bearer grant), with every call
// paced, retried, counted and sorted by our Resilience decorator. The libraries' own retries are switched off
// (gaxios would resend a DELETE on a 5xx), so retries live here and nowhere else.
//
// Both libraries send HTTP through gaxios; we hand gaxios our fetch (undici, with an Agent that trusts an extra
// CA when one is given) and send Google's fixed token URL to the configured token URI: google-auth-library
// cannot be told another token endpoint, which an emulator (or a private Google-compatible endpoint) needs.

import { rootCertificates } from 'node:tls';
import { androidmanagement, type androidmanagement_v1 } from '@googleapis/androidmanagement';
import { JWT, type JWTOptions } from 'google-auth-library';
import { Agent, fetch as undiciFetch } from 'undici';
import { MdmError } from '../errors';
import type { Resilience } from '../resilience';
import { fromApiError, fromTokenError } from './google-errors';
import { ANDROID_MANAGEMENT_SCOPE, GOOGLE_TOKEN_URL, type ServiceAccountKeyJson } from './settings';

/** One undici Agent per extra CA for the whole process, so connectors do not each keep sockets open. */
const agents = new Map<string, Agent>();
const systemAgent = new Agent();

function agentFor(caPem: string | undefined): Agent {
  if (!caPem) return systemAgent;
  let agent = agents.get(caPem);
  if (!agent) {
    // The system's CAs stay trusted besides the extra one.
    agent = new Agent({ connect: { ca: [...rootCertificates, caPem] } });
    agents.set(caPem, agent);
  }
  return agent;
}

type FetchImplementation = NonNullable<NonNullable<JWTOptions['transporterOptions']>['fetchImplementation']>;

/** gaxios's fetch: through our Agent, with Google's token URL replaced by the configured one. */
function fetchThrough(agent: Agent, tokenUri: string): FetchImplementation {
  const fetchImplementation = (input: unknown, init?: Record<string, unknown>) => {
    const url = input instanceof URL ? input.href : String(input);
    const target = url === GOOGLE_TOKEN_URL ? tokenUri : url;
    return undiciFetch(target, { ...(init ?? {}), dispatcher: agent } as Parameters<typeof undiciFetch>[1]);
  };
  return fetchImplementation as unknown as FetchImplementation;
}

export interface AmapiClientOptions {
  key: ServiceAccountKeyJson;
  /** The API root, e.g. https://androidmanagement.googleapis.com/. */
  rootUrl: string;
  tokenUri: string;
  resilience: Resilience;
  caPem?: string;
}

export interface CallOptions {
  signal?: AbortSignal;
  /**
   * The request must not be sent twice (a delete, a command): a transient failure (5xx, reset) may have been
   * carried out, so it is thrown with outcomeUnknown instead of being retried.
   */
  once?: boolean;
}

/** What each generated method accepts as its second argument; retries are ours, never gaxios's. */
export type RequestOptions = { retry: false; signal?: AbortSignal };

export class AmapiClient {
  readonly api: androidmanagement_v1.Androidmanagement;
  private readonly jwt: JWT;

  constructor(private readonly options: AmapiClientOptions) {
    this.jwt = new JWT({
      email: options.key.client_email,
      key: options.key.private_key,
      keyId: options.key.private_key_id,
      scopes: [ANDROID_MANAGEMENT_SCOPE],
      transporterOptions: {
        fetchImplementation: fetchThrough(agentFor(options.caPem), options.tokenUri),
        retry: false,
      },
    });
    this.api = androidmanagement({
      version: 'v1',
      rootUrl: options.rootUrl,
      // The generated client is typed against an older google-auth-library; at run time it only calls
      // auth.request(options), which every AuthClient provides.
      auth: this.jwt as unknown as androidmanagement_v1.Options['auth'],
      retry: false,
    });
  }

  /** Gets (or reuses) an access token; failures are sorted (a wrong key is auth, an outage transient). */
  async token(signal?: AbortSignal): Promise<void> {
    try {
      await this.jwt.getAccessToken();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw fromTokenError(error);
    }
  }

  /** Runs one API call through the decorator and returns its body; every failure leaves as an MdmError. */
  call<T>(send: (options: RequestOptions) => Promise<{ data: T }>, options: CallOptions = {}): Promise<T> {
    const { signal } = options;
    return this.options.resilience.run(
      async () => {
        await this.token(signal);
        try {
          return (await send({ retry: false, ...(signal ? { signal } : {}) })).data;
        } catch (error) {
          if (signal?.aborted) throw signal.reason;
          const sorted = fromApiError(error, this.options.resilience.clock.now());
          throw options.once ? unknownOutcome(sorted) : sorted;
        }
      },
      { signal },
    );
  }
}

function unknownOutcome(error: MdmError): MdmError {
  if (error.kind !== 'transient') return error;
  return new MdmError('transient', `${error.message}; it may have been carried out, so it was not sent again`, {
    status: error.status,
    requestId: error.requestId,
    cause: error,
    outcomeUnknown: true,
  });
}
