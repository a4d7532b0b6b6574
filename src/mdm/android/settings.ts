// What an Android Management API connection is made of (settings stored in the clear, the service account key
// sealed elsewhere) and the API facts the connector is built on: hosts, the scope, page size, and pacing sized
// from the default quota (reference/MDM-APIS.md §3: 1,000 queries per 100 seconds per Cloud project).
import { MdmError } from '../errors';
import type { BucketLimit } from '../resilience';

// A type rather than an interface so that it stays assignable to Record<string, unknown> (stored as JSON).
export type AndroidSettings = {
  /** `enterprises/{enterpriseId}`. */
  enterpriseName: string;
  /** Default https://androidmanagement.googleapis.com/ (an emulator's origin in tests and the demo). */
  rootUrl?: string;
  /** Default https://oauth2.googleapis.com/token, or the key file's token_uri when it names another. */
  tokenUri?: string;
};

/** A service account key file as the Google Cloud console downloads it (the fields the connector reads). */
export type ServiceAccountKeyJson = {
  type: 'service_account';
  project_id: string;
  private_key_id?: string;
  private_key: string;
  client_email: string;
  client_id?: string;
  token_uri?: string;
  [other: string]: unknown;
};

export type AndroidCredentials = { type: 'service-account'; key: ServiceAccountKeyJson };

export const DEFAULT_ROOT_URL = 'https://androidmanagement.googleapis.com/';
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const ANDROID_MANAGEMENT_SCOPE = 'https://www.googleapis.com/auth/androidmanagement';
/** devices.list answers at most 100 devices per page. */
export const PAGE_SIZE = 100;

/** `enterprises/{id}`, or MdmError('invalid'). */
export function checkEnterpriseName(name: string): string {
  if (!/^enterprises\/[A-Za-z0-9_-]+$/.test(name)) {
    throw new MdmError('invalid', 'settings.enterpriseName must look like enterprises/{enterpriseId}');
  }
  return name;
}

/** The key file's fields the connector needs, or MdmError('auth') saying which is missing (never the key). */
export function checkServiceAccountKey(credentials: AndroidCredentials): ServiceAccountKeyJson {
  const key = credentials?.key as Partial<ServiceAccountKeyJson> | undefined;
  if (credentials?.type !== 'service-account' || typeof key !== 'object' || key === null) {
    throw new MdmError('auth', "Android credentials must be { type: 'service-account', key: <key file JSON> }");
  }
  for (const field of ['project_id', 'private_key', 'client_email'] as const) {
    if (typeof key[field] !== 'string' || key[field] === '') {
      throw new MdmError('auth', `the service account key file has no ${field}`);
    }
  }
  if (key.type !== 'service_account') throw new MdmError('auth', 'the key file is not a service account key');
  return key as ServiceAccountKeyJson;
}

export interface AndroidPacing {
  /** Every request this process sends on behalf of the key's Cloud project (the quota is per project). */
  project: BucketLimit;
}

/**
 * 1,000 queries per 100 s per project. A bucket lets capacity + refill through in any window, so a quarter is
 * burst and three quarters steady refill: never above the quota, 75 % of it sustained (as for Intune).
 */
export const ANDROID_PACING: Readonly<AndroidPacing> = Object.freeze({
  project: { capacity: 250, refillPerWindow: 750, windowMs: 100_000 },
});

export function pacingWith(overrides: { project?: Partial<BucketLimit> } = {}): AndroidPacing {
  return { project: { ...ANDROID_PACING.project, ...overrides.project } };
}
