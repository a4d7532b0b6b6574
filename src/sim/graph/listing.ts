/**
 * Generic collection paging shared by every list endpoint: reads the query options (or the state a
 * $skiptoken carries), walks the collection from its cursor, and writes a Graph page with
 * @odata.context, @odata.count and an absolute @odata.nextLink. Also home of two documented quirks:
 * $skip past 1000 yields an empty page, and the injected truncation ends the page set early.
 */

import { type FilterCapabilities, type FilterNode, matchesFilter, parseFilter } from './filter';
import type { SimRequest, SimResponse } from './http';
import {
  decodeSkipToken,
  encodeSkipToken,
  ODataError,
  type PageState,
  parseCount,
  parseNonNegativeInteger,
  parseSelect,
  queryOption,
} from './odata';

export interface CollectionSpec<T extends object> {
  /** Identifies the collection inside skip tokens, so a token cannot be replayed elsewhere. */
  resource: string;
  entityType: string;
  /** Absolute URL of the collection (what nextLink is built on). */
  url: string;
  /** "@odata.context" for the given $select. */
  contextUrl: (select: readonly string[] | null) => string;
  /** undefined: the collection does not support $filter (any $filter is a 400). */
  filter?: FilterCapabilities;
  selectable: readonly string[];
  defaultPageSize: number;
  maxPageSize: number;
  /** Items after a cursor (exclusive), with their own cursor values, in listing order. */
  itemsAfter: (cursor: number) => Iterable<[number, T]>;
  /** Shapes one item for the page (null-in-list properties, $select). */
  shape: (item: T, select: readonly string[] | null) => object;
  /** Count of matching items, for $count (cached by the caller where costly). */
  count: (filter: FilterNode | null, filterText: string | null) => number;
  /** $skip beyond this answers an empty page (Intune's documented behaviour); undefined: no limit. */
  skipLimit?: number;
  /** End the page set after this many items in total, without a nextLink (fault injection). */
  truncateAfter?: number | null;
  /** Whether a $top above maxPageSize is a 400 (the directory) rather than silently capped (Intune). */
  rejectTopAboveMax?: boolean;
  /** Whether $count=true needs the "ConsistencyLevel: eventual" header (directory objects). */
  countNeedsConsistencyLevel?: boolean;
  errorCode?: string;
}

const UNSUPPORTED_OPTIONS = ['orderby', 'expand', 'search', 'apply', 'compute'];

export function listCollection<T extends object>(request: SimRequest, spec: CollectionSpec<T>): SimResponse {
  try {
    return listPage(request, spec);
  } catch (error) {
    // Each service words its query errors with its own code (the directory says Request_BadRequest).
    if (error instanceof ODataError && spec.errorCode) throw new ODataError(error.message, spec.errorCode);
    throw error;
  }
}

function listPage<T extends object>(request: SimRequest, spec: CollectionSpec<T>): SimResponse {
  const state = readState(request, spec);
  const filter = state.filter === null ? null : parseFilter(state.filter, spec.filter as FilterCapabilities);
  const select = parseSelect(state.select, spec.selectable, spec.entityType);
  const page: object[] = [];
  let lastCursor = state.cursor;
  let more = false;
  let skipped = 0;
  const skip = state.cursor < 0 ? (parseNonNegativeInteger(queryOption(request.query, 'skip'), 'skip') ?? 0) : 0;
  const servedBefore = state.served;
  const beyondSkipLimit = spec.skipLimit !== undefined && skip >= spec.skipLimit;
  if (!beyondSkipLimit) {
    for (const [cursor, item] of spec.itemsAfter(state.cursor)) {
      if (filter && !matchesFilter(filter, item)) continue;
      if (skipped < skip) {
        skipped++;
        continue;
      }
      if (page.length === state.pageSize) {
        more = true;
        break;
      }
      page.push(spec.shape(item, select));
      lastCursor = cursor;
    }
  }
  let served = servedBefore + page.length;
  if (spec.truncateAfter !== undefined && spec.truncateAfter !== null && served >= spec.truncateAfter) {
    // The field bug: the listing just stops, no nextLink, while @odata.count keeps the true total.
    page.length = Math.max(0, spec.truncateAfter - servedBefore);
    served = spec.truncateAfter;
    more = false;
  }
  const body: Record<string, unknown> = { '@odata.context': spec.contextUrl(select) };
  if (state.count) body['@odata.count'] = spec.count(filter, state.filter);
  if (more) {
    const token = encodeSkipToken({ ...state, cursor: lastCursor, served });
    body['@odata.nextLink'] = `${spec.url}?$skiptoken=${encodeURIComponent(token)}`;
  }
  body.value = page;
  return { status: 200, body };
}

function readState<T extends object>(request: SimRequest, spec: CollectionSpec<T>): PageState {
  const token = queryOption(request.query, 'skiptoken');
  if (token !== null) {
    return decodeSkipToken(token, spec.resource);
  }
  for (const option of UNSUPPORTED_OPTIONS) {
    if (queryOption(request.query, option) !== null) {
      throw new ODataError(`The query option '$${option}' is not supported on '${spec.resource}'.`, spec.errorCode);
    }
  }
  const filter = queryOption(request.query, 'filter');
  if (filter !== null && !spec.filter) {
    throw new ODataError(`The query option '$filter' is not supported on '${spec.resource}'.`, spec.errorCode);
  }
  const count = parseCount(queryOption(request.query, 'count'));
  if (count && spec.countNeedsConsistencyLevel && request.headers.consistencylevel?.toLowerCase() !== 'eventual') {
    throw new ODataError(
      "Request with $count requires the 'ConsistencyLevel' header set to 'eventual' on directory objects.",
      spec.errorCode,
    );
  }
  const top = parseNonNegativeInteger(queryOption(request.query, 'top'), 'top');
  if (top === 0 || (spec.rejectTopAboveMax && top !== null && top > spec.maxPageSize)) {
    throw new ODataError(`Invalid page size specified: '${top}'. Must be between 1 and ${spec.maxPageSize} inclusive.`);
  }
  return {
    resource: spec.resource,
    cursor: -1,
    filter,
    select: queryOption(request.query, 'select'),
    pageSize: Math.min(top ?? spec.defaultPageSize, spec.maxPageSize),
    count,
    served: 0,
  };
}
