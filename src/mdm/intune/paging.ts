// Walking a Graph collection page by page, trusting nothing: every @odata.nextLink must stay on the Graph
// host and never repeat (else it is an error, not a loop), and the rows received must add up to the count the
// service announced, else the listing is MdmError('incomplete'). Pages are yielded as they arrive; the
// verdict comes after the last one, which is why callers commit only when iteration ends without throwing.
import type { Client } from '@microsoft/microsoft-graph-client';
import { MdmError } from '../errors';
import { send } from './client';

export interface GraphPage<T> {
  value?: T[];
  '@odata.count'?: number;
  '@odata.nextLink'?: string;
}

export interface Expectation {
  /** Rows the service said the collection holds; null when it did not say. */
  count: number | null;
  /** Whether a missing count makes the listing unprovable, hence incomplete. */
  required: boolean;
}

/** A nextLink worth following: absolute, on the Graph origin, not seen before in this listing. */
export function checkNextLink(nextLink: string, origin: string, seen: ReadonlySet<string>, what: string): string {
  let url: URL;
  try {
    url = new URL(nextLink);
  } catch {
    throw new MdmError('invalid', `the nextLink of ${what} is not an absolute URL`);
  }
  if (url.origin !== origin) {
    throw new MdmError('invalid', `the nextLink of ${what} points to ${url.host}, not to the Graph host`);
  }
  if (seen.has(url.href)) throw new MdmError('invalid', `the nextLink of ${what} repeats a page already read`);
  return url.href;
}

export function countOf(page: GraphPage<unknown>): number | null {
  const count = page['@odata.count'];
  return typeof count === 'number' && Number.isInteger(count) && count >= 0 ? count : null;
}

/** Throws unless `received` is what was expected. */
export function checkComplete(what: string, received: number, expected: Expectation): void {
  if (expected.count === null) {
    if (expected.required) {
      throw new MdmError('incomplete', `${what}: Graph did not report @odata.count, so completeness cannot be proven`);
    }
    return;
  }
  if (received !== expected.count) {
    const how = received < expected.count ? 'ended early' : 'returned more rows than announced';
    throw new MdmError('incomplete', `${what} ${how}: received ${received} of ${expected.count}`);
  }
}

export interface WalkOptions {
  client: Client;
  /** Origin of the Graph base URL (what nextLinks must point to). */
  origin: string;
  what: string;
  signal?: AbortSignal;
  /** Sent with every page request (the directory wants ConsistencyLevel: eventual for $count). */
  headers?: Record<string, string>;
}

const request = (options: WalkOptions, url: string) => {
  const builder = options.client.api(url);
  if (options.headers) builder.headers(options.headers);
  return builder;
};

/**
 * Continues a listing from a page already in hand (fetched directly or inside a $batch), following nextLinks,
 * and checks completeness at the end. `firstUrl` is the absolute URL that page came from.
 */
export async function* continuePages<T>(
  options: WalkOptions,
  first: GraphPage<T>,
  firstUrl: string,
  expected: Expectation,
): AsyncGenerator<T[]> {
  const seen = new Set<string>([new URL(firstUrl).href]);
  let page = first;
  let received = 0;
  for (;;) {
    const rows = Array.isArray(page.value) ? page.value : [];
    received += rows.length;
    yield rows;
    const next = page['@odata.nextLink'];
    if (next === undefined || next === null) break;
    const url = checkNextLink(String(next), options.origin, seen, options.what);
    seen.add(url);
    page = await send<GraphPage<T>>(request(options, url), 'get', options.signal);
  }
  checkComplete(options.what, received, expected);
}

/** A whole listing from its first URL; the expected total is the first page's @odata.count. */
export async function* listPages<T>(
  options: WalkOptions,
  firstUrl: string,
  countRequired: boolean,
): AsyncGenerator<T[]> {
  const first = await send<GraphPage<T>>(request(options, firstUrl), 'get', options.signal);
  yield* continuePages(options, first, firstUrl, { count: countOf(first), required: countRequired });
}
