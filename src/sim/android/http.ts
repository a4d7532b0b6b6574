/**
 * Wire helpers of the Android Management API emulator: the request and response shapes its handlers use,
 * and Google's error bodies ({"error":{"code","message","status"}}, google.rpc.Status), including the HTML
 * page Google's front end serves with a 502.
 */

export interface AmapiRequest {
  method: string;
  /** Decoded path without the query, e.g. /v1/enterprises/LC01/devices/3a1f. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  rawBody: string;
}

export interface AmapiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A non-JSON body (Google's 502 page); sent as text/html. */
  html?: string;
}

/** google.rpc.Code names for the HTTP statuses the emulator answers with. */
const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export function googleError(code: number, message: string, status = STATUS_NAMES[code] ?? 'UNKNOWN'): AmapiResponse {
  return { status: code, body: { error: { code, message, status } } };
}

/** What Google's front end answers with a 502: an HTML page, not JSON. Clients must cope. */
export function badGatewayPage(): AmapiResponse {
  return {
    status: 502,
    html: '<!DOCTYPE html><html lang=en><title>Error 502 (Server Error)!!1</title><p><b>502.</b> <ins>That’s an error.</ins><p>The server encountered a temporary error and could not complete your request.<p>Please try again in 30 seconds.  <ins>That’s all we know.</ins></html>',
  };
}

/** Parses a JSON body; undefined when empty, a SyntaxError when malformed. */
export function jsonBody(request: AmapiRequest): unknown {
  if (request.rawBody.trim() === '') return undefined;
  try {
    return JSON.parse(request.rawBody);
  } catch {
    return new SyntaxError('malformed JSON');
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Google's page tokens are opaque; these encode an offset and the listing they belong to. */
export function pageToken(listing: string, offset: number): string {
  return Buffer.from(JSON.stringify({ l: listing, o: offset })).toString('base64url');
}

/** The offset a page token points at, or null when the token is not one this listing issued. */
export function offsetOf(token: string, listing: string): number | null {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { l?: unknown; o?: unknown };
    if (parsed.l !== listing || typeof parsed.o !== 'number' || !Number.isInteger(parsed.o) || parsed.o < 0) {
      return null;
    }
    return parsed.o;
  } catch {
    return null;
  }
}

/** pageSize as Google reads it: absent or 0 -> the default, above the maximum -> the maximum, negative -> 400. */
export function pageSizeOf(query: URLSearchParams, defaultSize: number, maxSize: number): number | AmapiResponse {
  const raw = query.get('pageSize');
  if (raw === null || raw === '') return defaultSize;
  const size = Number(raw);
  if (!Number.isInteger(size) || size < 0) {
    return googleError(400, `Invalid value at 'page_size' (TYPE_INT32), "${raw}"`);
  }
  return size === 0 ? defaultSize : Math.min(size, maxSize);
}
