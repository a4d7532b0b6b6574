// The one way connectors report failure: every MDM error is sorted into a kind that callers act on without
// reading messages. auth and permission mean the credential is broken (a person must act); throttled and
// transient are worth retrying; incomplete means a listing cannot be trusted, so nothing may be concluded from it.
export type MdmErrorKind =
  | 'auth' // 401, invalid_client: the credential is wrong or expired
  | 'permission' // 403: the credential lacks a permission
  | 'throttled' // 429
  | 'transient' // 5xx, timeouts, connection resets
  | 'not-found' // 404
  | 'invalid' // 400 and other 4xx: the request was wrong
  | 'incomplete'; // a listing ended early or disagrees with its own count

export class MdmError extends Error {
  readonly kind: MdmErrorKind;
  /** HTTP status, when there was one. */
  readonly status: number | null;
  /** How long the MDM asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs: number | null;
  /** The MDM's request id, for support tickets. */
  readonly requestId: string | null;
  /**
   * A request that is not safe to repeat failed in a way that says nothing of whether it was carried out (a 5xx,
   * a reset): it is never sent again blindly; the caller must look at the MDM first.
   */
  readonly outcomeUnknown: boolean;

  constructor(
    kind: MdmErrorKind,
    message: string,
    details: {
      status?: number | null;
      retryAfterMs?: number | null;
      requestId?: string | null;
      cause?: unknown;
      outcomeUnknown?: boolean;
    } = {},
  ) {
    super(message, { cause: details.cause });
    this.name = 'MdmError';
    this.kind = kind;
    this.status = details.status ?? null;
    this.retryAfterMs = details.retryAfterMs ?? null;
    this.requestId = details.requestId ?? null;
    this.outcomeUnknown = details.outcomeUnknown ?? false;
  }

  /** Whether waiting and trying again may succeed (and is safe: never when the outcome is unknown). */
  get retryable(): boolean {
    return (this.kind === 'throttled' || this.kind === 'transient') && !this.outcomeUnknown;
  }

  /** Whether the credential itself is at fault (a 429 or 5xx never is). */
  get credentialBroken(): boolean {
    return this.kind === 'auth' || this.kind === 'permission';
  }
}

/** Sorts an HTTP status into an error kind. */
export function kindOfStatus(status: number): MdmErrorKind {
  if (status === 401) return 'auth';
  if (status === 403) return 'permission';
  if (status === 404) return 'not-found';
  if (status === 429) return 'throttled';
  if (status >= 500 || status === 408) return 'transient';
  return 'invalid';
}

/**
 * Reads Retry-After: delay-seconds or an HTTP date (RFC 9110 §10.2.3). Returns milliseconds, or null when
 * absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** A network failure's chain of causes by code or name (`ECONNRESET <- FetchError`), for messages. */
export function describeCause(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    parts.push(typeof code === 'string' ? code : current.name);
    current = current.cause;
  }
  return parts.join(' <- ') || String(error);
}

/** An https URL from the settings, or MdmError('invalid') naming the setting. */
export function httpsUrl(value: string, setting: string): URL {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (url?.protocol !== 'https:') throw new MdmError('invalid', `settings.${setting} must be an https URL`);
  return url;
}
