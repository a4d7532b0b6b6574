/**
 * Jamf Pro API client credentials, emulated: `POST /api/oauth/token` (and `/api/v1/oauth/token`) with a form
 * body issues an opaque bearer token; a wrong client id or secret is a 401 `invalid_client`, as Jamf answers.
 * Every other call needs a live bearer token (401 otherwise).
 */
import { randomBytes } from 'node:crypto';
import type { JamfRequest, JamfResponse } from './http';
import { apiError } from './http';

export const DEFAULT_JAMF_CLIENT_ID = 'warden-jamf-client';
export const DEFAULT_JAMF_CLIENT_SECRET = 'warden-jamf-secret';
export const TOKEN_PATHS: ReadonlySet<string> = new Set(['/api/oauth/token', '/api/v1/oauth/token']);

export interface JamfClientRegistration {
  clientId: string;
  clientSecret: string;
}

export class JamfTokenAuthority {
  private readonly tokens = new Map<string, number>();
  issued = 0;

  constructor(
    private readonly clients: readonly JamfClientRegistration[],
    private readonly lifetimeSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  token(request: JamfRequest): JamfResponse {
    if (!(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return { status: 415, body: { error: 'invalid_request', error_description: 'form body expected' } };
    }
    const form = new URLSearchParams(request.body);
    if (form.get('grant_type') !== 'client_credentials') {
      return { status: 400, body: { error: 'unsupported_grant_type' } };
    }
    const client = this.clients.find((c) => c.clientId === form.get('client_id'));
    if (!client || client.clientSecret !== form.get('client_secret')) {
      return { status: 401, body: { error: 'invalid_client' } };
    }
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, this.now() + this.lifetimeSeconds * 1000);
    this.issued++;
    return {
      status: 200,
      body: { access_token: token, scope: 'api-role:warden', token_type: 'Bearer', expires_in: this.lifetimeSeconds },
    };
  }

  /** null when the bearer token is live, else the 401 to answer. */
  check(request: JamfRequest): JamfResponse | null {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const expiresAt = match ? this.tokens.get(match[1]!) : undefined;
    if (expiresAt !== undefined && expiresAt > this.now()) return null;
    return apiError(401, 'INVALID_TOKEN', 'Unauthorized');
  }

  /** Expires every token now (tests: prove the connector fetches a new one). */
  expireAll(): void {
    for (const token of this.tokens.keys()) this.tokens.set(token, 0);
  }
}
