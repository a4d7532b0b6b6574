/**
 * JSON Web Tokens as Entra ID sees them: decoding, and the checks on a client assertion (a JWT signed
 * with the app's certificate key): RS256 or PS256 signature, x5t#S256 or x5t thumbprint of a registered
 * certificate, aud = the token endpoint, iss = sub = client id, exp/nbf within five minutes of skew.
 */
import { constants, type KeyObject, verify } from 'node:crypto';

/** A registered certificate: base64url SHA-1 and SHA-256 thumbprints of its DER, and its public key. */
export interface RegisteredCertificate {
  sha1: string;
  sha256: string;
  publicKey: KeyObject;
}

/** The AADSTS code and text Entra ID answers a bad assertion with. */
export interface AssertionProblem {
  code: number;
  text: string;
}

/** AAD tolerates five minutes of clock skew on assertion lifetimes. */
const CLOCK_SKEW_SECONDS = 300;

export function checkClientAssertion(
  assertion: string,
  clientId: string,
  registered: RegisteredCertificate | undefined,
  tokenEndpoint: string,
): AssertionProblem | null {
  const parts = assertion.split('.');
  const header = decodeJwtPart(parts[0]);
  const claims = decodeJwtPart(parts[1]);
  if (parts.length !== 3 || !header || !claims) return { code: 50027, text: 'JWT token is invalid or malformed.' };
  const thumbprint = stringClaim(header, 'x5t#S256') ?? stringClaim(header, 'x5t');
  const matches =
    registered !== undefined &&
    thumbprint !== undefined &&
    (thumbprint === registered.sha256 || thumbprint === registered.sha1);
  if (!registered || !matches) {
    const shown = thumbprint ? Buffer.from(thumbprint, 'base64url').toString('hex').toUpperCase() : '';
    return {
      code: 700027,
      text: `Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${shown}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'.]`,
    };
  }
  const alg = stringClaim(header, 'alg');
  if (alg !== 'RS256' && alg !== 'PS256') {
    return {
      code: 5002738,
      text: `Client assertion uses unsupported signing algorithm '${alg ?? ''}'; use PS256 or RS256.`,
    };
  }
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  const signature = Buffer.from(parts[2] ?? '', 'base64url');
  // PS256 per RFC 7518 uses a salt as long as the hash; AUTO also accepts other salt lengths, as AAD does.
  const key =
    alg === 'RS256'
      ? registered.publicKey
      : {
          key: registered.publicKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_AUTO,
        };
  if (!verify('sha256', signed, key, signature)) {
    return {
      code: 700027,
      text: 'Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value.]',
    };
  }
  if (claims.aud !== tokenEndpoint) {
    return {
      code: 700212,
      text: `Client assertion audience claim '${String(claims.aud)}' does not match the token endpoint '${tokenEndpoint}'.`,
    };
  }
  if (claims.iss !== clientId || claims.sub !== clientId) {
    return {
      code: 700021,
      text: "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials.",
    };
  }
  const now = Math.floor(Date.now() / 1000);
  const exp = typeof claims.exp === 'number' ? claims.exp : 0;
  const nbf = typeof claims.nbf === 'number' ? claims.nbf : 0;
  if (exp + CLOCK_SKEW_SECONDS < now || nbf - CLOCK_SKEW_SECONDS > now) {
    return {
      code: 700024,
      text: `Client assertion is not within its valid time range. Current time: ${new Date(now * 1000).toISOString()}, assertion valid from ${new Date(nbf * 1000).toISOString()}, expiry time of assertion ${new Date(exp * 1000).toISOString()}.`,
    };
  }
  return null;
}

export function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeJwtPart(part: string | undefined): Record<string, unknown> | null {
  if (!part) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

export function stringClaim(object: Record<string, unknown>, name: string): string | undefined {
  const value = object[name];
  return typeof value === 'string' ? value : undefined;
}
