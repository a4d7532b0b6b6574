/**
 * The OData query options besides $filter (see filter.ts): $select projection, $top/$skip/$count,
 * and the opaque $skiptoken that carries a listing's state (cursor, filter, select, page size, count,
 * items served) from page to page. Query errors are ODataError, answered as 400 by the caller.
 */
import { hashString } from './random';

export class ODataError extends Error {
  constructor(
    message: string,
    readonly code = 'BadRequest',
  ) {
    super(message);
  }
}

/** Parses $select; unknown names are a 400 like OData's. Returns null when absent. */
export function parseSelect(
  text: string | null,
  allProperties: readonly string[],
  entityType: string,
): string[] | null {
  if (text === null) return null;
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  if (names.length === 0) throw new ODataError('The $select query option is empty.');
  for (const name of names) {
    if (name !== '*' && !allProperties.includes(name)) {
      throw new ODataError(
        `Parsing OData Select and Expand failed: Could not find a property named '${name}' on type '${entityType}'.`,
      );
    }
  }
  return names.includes('*') ? null : names;
}

/** Keeps the selected properties (always with id), in the entity's own order. */
export function project<T extends object>(entity: T, select: readonly string[] | null): Partial<T> {
  if (!select) return entity;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entity)) {
    if (key === 'id' || select.includes(key)) out[key] = value;
  }
  return out as Partial<T>;
}

/** The state a $skiptoken carries from one page of a listing to the next. */
export interface PageState {
  /** Which listing the token belongs to (e.g. "managedDevices", "detectedApps/{id}/managedDevices"). */
  resource: string;
  /** Position after which the next page starts (an ordinal or index, exclusive). */
  cursor: number;
  filter: string | null;
  select: string | null;
  pageSize: number;
  count: boolean;
  /** Items served on earlier pages (what the truncation fault counts). */
  served: number;
}

/** Opaque to clients (base64url JSON plus a checksum), so a hand-edited token is rejected rather than misread. */
export function encodeSkipToken(state: PageState): string {
  const { resource, cursor, filter, select, pageSize, count, served } = state;
  const payload = JSON.stringify([resource, cursor, filter, select, pageSize, count, served]);
  const body = Buffer.from(payload).toString('base64url');
  return `${body}.${hashString(body).toString(36)}`;
}

export function decodeSkipToken(token: string, resource: string): PageState {
  const [body, checksum] = token.split('.');
  if (!body || checksum !== hashString(body).toString(36))
    throw new ODataError('The $skiptoken is invalid or expired.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw new ODataError('The $skiptoken is invalid or expired.');
  }
  if (!Array.isArray(parsed) || parsed[0] !== resource) throw new ODataError('The $skiptoken is invalid or expired.');
  const [, cursor, filter, select, pageSize, count, served] = parsed as [
    string,
    number,
    string | null,
    string | null,
    number,
    boolean,
    number,
  ];
  return { resource, cursor, filter, select, pageSize, count, served };
}

/** Reads an OData system query option with or without its "$" (Graph v1.0 accepts both). */
export function queryOption(params: URLSearchParams, name: string): string | null {
  return params.get(`$${name}`) ?? params.get(name);
}

export function parseNonNegativeInteger(text: string | null, option: string): number | null {
  if (text === null) return null;
  if (!/^\d+$/.test(text.trim())) {
    throw new ODataError(`Invalid value '${text}' for query option '$${option}': a non-negative integer is required.`);
  }
  return Number(text.trim());
}

export function parseCount(text: string | null): boolean {
  if (text === null) return false;
  const value = text.trim().toLowerCase();
  if (value !== 'true' && value !== 'false') throw new ODataError(`Invalid value '${text}' for query option '$count'.`);
  return value === 'true';
}
