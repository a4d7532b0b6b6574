/**
 * Shared by the Android emulator and connector tests: an emulator on the shared test PKI with a fixed
 * reference time, a raw HTTPS client that trusts the test CA, and a JWT bearer token fetched the way Google's
 * libraries do it (an RS256 assertion signed with the service account's key).
 */
import { createSign } from 'node:crypto';
import { Agent, fetch } from 'undici';
import {
  ANDROID_MANAGEMENT_SCOPE,
  type AndroidEmulator,
  type AndroidEmulatorOptions,
  type ServiceAccountKey,
  startAndroidEmulator,
} from '../../../src/sim/android';
import { type RequestBodyOptions, requestBody } from '../../support/request-body';
import { REFERENCE_TIME, TEST_PKI_DIR } from '../graph/helpers';

export { REFERENCE_TIME };

export function startEmulator(options: Partial<AndroidEmulatorOptions> = {}): Promise<AndroidEmulator> {
  return startAndroidEmulator({ pkiDir: TEST_PKI_DIR, referenceTime: REFERENCE_TIME, devices: 120, ...options });
}

export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

/** An RS256 JWT bearer assertion, as google-auth-library builds it. */
export function assertion(key: ServiceAccountKey, claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({
    iss: key.client_email,
    scope: ANDROID_MANAGEMENT_SCOPE,
    aud: 'https://oauth2.googleapis.com/token',
    iat: now,
    exp: now + 3600,
    ...claims,
  })}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(key.private_key).toString('base64url');
  return `${unsigned}.${signature}`;
}

export class RawClient {
  readonly dispatcher: Agent;
  private token: string | undefined;

  constructor(readonly emulator: AndroidEmulator) {
    this.dispatcher = new Agent({ connect: { ca: emulator.caPem } });
  }

  async tokenFor(key: ServiceAccountKey, claims: Record<string, unknown> = {}): Promise<Answer> {
    return this.send('POST', '/token', {
      form: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: assertion(key, claims) },
    });
  }

  /** An API call with the default service account's bearer token (fetched once). */
  async api(method: string, path: string, json?: unknown): Promise<Answer> {
    if (!this.token) {
      const answer = await this.tokenFor(this.emulator.serviceAccountKey as ServiceAccountKey);
      this.token = (answer.body as { access_token: string }).access_token;
    }
    return this.send(method, path, { json, headers: { authorization: `Bearer ${this.token}` } });
  }

  async send(method: string, path: string, options: RequestBodyOptions = {}): Promise<Answer> {
    const { headers, body } = requestBody(options);
    const response = await fetch(`${this.emulator.url}${path}`, {
      method,
      headers,
      body,
      dispatcher: this.dispatcher,
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // an HTML page (Google's 502)
    }
    return { status: response.status, headers: response.headers as unknown as Headers, body: parsed };
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
