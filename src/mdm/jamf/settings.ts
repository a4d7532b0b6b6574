// What a Jamf Pro connection is made of (settings stored in the clear, credentials sealed elsewhere) and the
// Jamf facts the connector is built on (reference/MDM-APIS.md, "Jamf Pro"): the token path, the largest page,
// Jamf's advice of at most five concurrent connections, and pacing (Jamf publishes no rate limit).
import { httpsUrl, MdmError } from '../errors';
import type { BucketLimit } from '../resilience';

// A type rather than an interface so that it stays assignable to Record<string, unknown> (stored as JSON).
export type JamfSettings = {
  /** The Jamf Pro server, e.g. https://example.jamfcloud.com (the API is under /api). */
  baseUrl: string;
  /** The OAuth token endpoint's path: /api/oauth/token (default; Jamf Pro 10.49+) or /api/v1/oauth/token. */
  tokenPath?: string;
};

/** An API client (Jamf Pro: Settings > API roles and clients). */
export type JamfCredentials = { type: 'client-credentials'; clientId: string; clientSecret: string };

export const DEFAULT_TOKEN_PATH = '/api/oauth/token';
/** The largest page-size Jamf Pro's inventory endpoints accept. */
export const PAGE_SIZE = 2000;
/** Jamf recommends at most five concurrent connections per client. */
export const MAX_CONCURRENT_REQUESTS = 5;
/** A token is renewed this long before it expires, so no request carries one that dies in flight. */
export const TOKEN_RENEW_MARGIN_MS = 60_000;
/** Any one request that takes longer is abandoned (and, if it was safe to, sent again). */
export const REQUEST_TIMEOUT_MS = 60_000;

/** No published limit: a generous bucket that only smooths bursts (concurrency is the real guard). */
export const JAMF_PACING: Readonly<BucketLimit> = Object.freeze({
  capacity: 50,
  refillPerWindow: 500,
  windowMs: 10_000,
});

/** The base URL without a trailing slash, or MdmError('invalid') when it is not https. */
export function jamfBaseUrl(settings: JamfSettings): string {
  httpsUrl(settings.baseUrl, 'baseUrl');
  return settings.baseUrl.replace(/\/+$/, '');
}

export function tokenPathOf(settings: JamfSettings): string {
  const path = settings.tokenPath ?? DEFAULT_TOKEN_PATH;
  if (!path.startsWith('/')) throw new MdmError('invalid', 'settings.tokenPath must start with /');
  return path;
}
