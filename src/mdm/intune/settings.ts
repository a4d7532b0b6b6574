// What an Intune connection is made of (settings stored in the clear, credentials sealed elsewhere) and the
// Graph facts the connector is built on: hosts, the token scope, and pacing sized from Intune's published
// request limits (reference/MDM-APIS.md, "Throttling").
import type { BucketLimit } from '../resilience';

// A type rather than an interface so that it stays assignable to Record<string, unknown> (stored as JSON).
export type IntuneSettings = {
  /** The Entra ID tenant (GUID or verified domain). */
  tenantId: string;
  /** The app registration's client id (for a managed identity: the app it acts as, used for pacing). */
  clientId: string;
  /** Default https://login.microsoftonline.com (another cloud, or an emulator). */
  authorityHost?: string;
  /** Default https://graph.microsoft.com. */
  graphBaseUrl?: string;
};

export type IntuneCredentials =
  | { type: 'client-secret'; clientSecret: string }
  | { type: 'certificate'; certificatePem: string; privateKeyPem: string }
  | { type: 'certificate'; pfxBase64: string; pfxPassword?: string }
  | { type: 'managed-identity'; clientId?: string };

export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';
export const DEFAULT_GRAPH_BASE_URL = 'https://graph.microsoft.com';
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
export const GRAPH_VERSION = 'v1.0';
/** Graph answers at most this many rows per page of managedDevices and detectedApps. */
/** The directory's largest page of users. */
export const USER_PAGE_SIZE = 999;
export const PAGE_SIZE = 1000;
/** Graph's JSON batching limit. */
export const MAX_BATCH_SIZE = 20;

/** Microsoft's own Entra ID hosts: only there may MSAL run instance discovery (it calls the public cloud). */
export const MICROSOFT_AUTHORITY_HOSTS: ReadonlySet<string> = new Set([
  'login.microsoftonline.com',
  'login.microsoft.com',
  'login.windows.net',
  'sts.windows.net',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
]);

export interface IntunePacing {
  /** Every request this process sends to the tenant, whatever the app. */
  tenant: BucketLimit;
  /** Requests of one app registration to the tenant. */
  app: BucketLimit;
}

/**
 * Intune's devices service allows, per 20 s, 4000 requests per tenant and 2000 per app per tenant, counted
 * over a sliding window. A bucket passes at most capacity + refill in any window, so a quarter of each limit
 * is burst and three quarters steady refill: never above the limit, 75 % of it sustained.
 */
export const INTUNE_PACING: Readonly<IntunePacing> = Object.freeze({
  tenant: { capacity: 1000, refillPerWindow: 3000, windowMs: 20_000 },
  app: { capacity: 500, refillPerWindow: 1500, windowMs: 20_000 },
});

export interface PacingOverrides {
  tenant?: Partial<BucketLimit>;
  app?: Partial<BucketLimit>;
}

export function pacingWith(overrides: PacingOverrides = {}): IntunePacing {
  return {
    tenant: { ...INTUNE_PACING.tenant, ...overrides.tenant },
    app: { ...INTUNE_PACING.app, ...overrides.app },
  };
}
