/**
 * Google's OAuth 2.0 token endpoint as a service account sees it: a JWT bearer grant
 * (grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer) whose assertion is an RS256 JWT signed with the
 * service account's private key. The emulator knows only the public keys it was seeded with, verifies the
 * signature, the claims and the scope, and issues opaque bearer tokens that the API routes check.
 */
import { createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import type { AmapiRequest, AmapiResponse } from './http';
import { googleError } from './http';

export const ANDROID_MANAGEMENT_SCOPE = 'https://www.googleapis.com/auth/androidmanagement';
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Google accepts assertions of at most one hour, with a few minutes of clock skew. */
const MAX_LIFETIME_SECONDS = 3600;
const SKEW_SECONDS = 300;

/** A service account key file as the Google Cloud console downloads it (the fields clients read). */
export interface ServiceAccountKey {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
}

/** What the emulator is seeded with: who may sign in, and the public key their assertions must verify with. */
export interface ServiceAccountRegistration {
  clientEmail: string;
  publicKeyPem: string;
}

/** A fresh RSA key and the key file around it (for the emulator's default account and for "wrong key" tests). */
export function createServiceAccountKey(projectId: string, tokenUri = GOOGLE_TOKEN_URL): ServiceAccountKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    type: 'service_account',
    project_id: projectId,
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: `warden-sync@${projectId}.iam.gserviceaccount.com`,
    client_id: String(100_000_000_000_000_000_000n + BigInt(`0x${randomBytes(8).toString('hex')}`)),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUri,
  };
}

export function registrationOf(key: ServiceAccountKey): ServiceAccountRegistration {
  const publicKeyPem = createPublicKey(key.private_key).export({ type: 'spki', format: 'pem' }).toString();
  return { clientEmail: key.client_email, publicKeyPem };
}

interface IssuedToken {
  clientEmail: string;
  scopes: Set<string>;
  expiresAtMs: number;
}

export type Principal = { clientEmail: string } | { rejected: AmapiResponse };

export class TokenAuthority {
  private readonly accounts = new Map<string, string>();
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(
    accounts: readonly ServiceAccountRegistration[],
    /** The emulator's own token URI: assertions may name it or Google's as their audience. */
    private readonly tokenUri: () => string,
    private readonly lifetimeSeconds = 3599,
  ) {
    for (const account of accounts) this.accounts.set(account.clientEmail.toLowerCase(), account.publicKeyPem);
  }

  /** POST /token. */
  token(request: AmapiRequest): { response: AmapiResponse; issued: boolean } {
    const form = new URLSearchParams(request.rawBody);
    const grantType = form.get('grant_type');
    if (grantType !== JWT_BEARER_GRANT) {
      return refuse(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
    }
    const assertion = form.get('assertion') ?? '';
    const checked = this.checkAssertion(assertion);
    if ('error' in checked) return refuse(400, 'invalid_grant', checked.error);
    const accessToken = `ya29.sim-${randomBytes(32).toString('base64url')}`;
    this.tokens.set(accessToken, {
      clientEmail: checked.clientEmail,
      scopes: checked.scopes,
      expiresAtMs: Date.now() + this.lifetimeSeconds * 1000,
    });
    return {
      response: {
        status: 200,
        body: { access_token: accessToken, expires_in: this.lifetimeSeconds, token_type: 'Bearer' },
      },
      issued: true,
    };
  }

  /** The caller of an API request, or the 401/403 Google would answer. */
  authenticate(request: AmapiRequest): Principal {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const token = match ? this.tokens.get(match[1] ?? '') : undefined;
    if (!token || token.expiresAtMs <= Date.now()) {
      return {
        rejected: googleError(
          401,
          'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        ),
      };
    }
    if (!token.scopes.has(ANDROID_MANAGEMENT_SCOPE)) {
      return { rejected: googleError(403, 'Request had insufficient authentication scopes.') };
    }
    return { clientEmail: token.clientEmail };
  }

  private checkAssertion(assertion: string): { clientEmail: string; scopes: Set<string> } | { error: string } {
    const parts = assertion.split('.');
    if (parts.length !== 3) return { error: 'Invalid JWT: malformed assertion.' };
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    let header: { alg?: unknown };
    let claims: { iss?: unknown; scope?: unknown; aud?: unknown; exp?: unknown; iat?: unknown };
    try {
      header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
    } catch {
      return { error: 'Invalid JWT: malformed header or claims.' };
    }
    if (header.alg !== 'RS256') return { error: 'Invalid JWT: unsupported signing algorithm.' };
    const publicKeyPem = typeof claims.iss === 'string' ? this.accounts.get(claims.iss.toLowerCase()) : undefined;
    if (!publicKeyPem) return { error: 'Invalid grant: account not found' };
    const signed = Buffer.from(`${headerPart}.${payloadPart}`);
    if (!verify('RSA-SHA256', signed, publicKeyPem, Buffer.from(signaturePart, 'base64url'))) {
      return { error: 'Invalid JWT Signature.' };
    }
    if (claims.aud !== GOOGLE_TOKEN_URL && claims.aud !== this.tokenUri()) {
      return { error: 'Invalid JWT: audience is not the token endpoint.' };
    }
    const now = Math.floor(Date.now() / 1000);
    const { exp, iat } = claims;
    if (
      typeof exp !== 'number' ||
      typeof iat !== 'number' ||
      exp <= now - SKEW_SECONDS ||
      iat > now + SKEW_SECONDS ||
      exp - iat > MAX_LIFETIME_SECONDS
    ) {
      return {
        error:
          'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      };
    }
    const scopes = new Set(typeof claims.scope === 'string' ? claims.scope.split(/\s+/).filter(Boolean) : []);
    if (scopes.size === 0) return { error: 'Invalid OAuth scope or ID token audience provided.' };
    return { clientEmail: claims.iss as string, scopes };
  }
}

function refuse(status: number, error: string, description: string): { response: AmapiResponse; issued: boolean } {
  return { response: { status, body: { error, error_description: description } }, issued: false };
}
