/**
 * The inventory endpoints of the emulated Jamf Pro API: `/v2/mobile-devices` (short records),
 * `/v2/mobile-devices/detail` (sections, RSQL filter), `/v2/mobile-devices/{id}[/detail]` and
 * `/v1/computers-inventory`. Paging as Jamf pages: `page` from 0, `page-size` default 100 and at most 2000,
 * `{totalCount, results}`. The truncated-listing fault serves fewer records than totalCount announces.
 */
import type { JamfFleet, SimComputer, SimMobileDevice } from './fleet';
import { apiError, intParam, type JamfRequest, type JamfResponse } from './http';
import {
  COMPUTER_SECTIONS,
  computerInventory,
  MOBILE_SECTIONS,
  mobileDeviceDetails,
  mobileDeviceInventory,
  mobileDeviceV2,
} from './render';
import { matchesRsql, parseRsql, RsqlError } from './rsql';

export const MAX_PAGE_SIZE = 2000;

export interface InventoryContext {
  fleet: JamfFleet;
  /** Serve at most this many records of a listing (over all pages) while totalCount stays true; null: off. */
  truncateAfter: number | null;
}

/** The emulated subset of the reference's allowed filter fields, with how each is read. */
const MOBILE_FILTER: Record<string, (d: SimMobileDevice) => string> = {
  mobileDeviceId: (d) => d.id,
  managed: (d) => String(d.managed),
  supervised: (d) => String(d.supervised),
  serialNumber: (d) => d.serialNumber,
  udid: (d) => d.udid,
  displayName: (d) => d.name,
  username: (d) => d.user.username,
  emailAddress: (d) => d.user.email,
  osVersion: (d) => d.osVersion,
};

const COMPUTER_FILTER: Record<string, (c: SimComputer) => string> = {
  id: (c) => c.id,
  udid: (c) => c.udid,
  'general.name': (c) => c.name,
  'general.managementId': (c) => c.managementId,
  'general.remoteManagement.managed': (c) => String(c.managed),
};

interface Paging {
  page: number;
  pageSize: number;
}

function paging(request: JamfRequest): Paging | JamfResponse {
  const page = intParam(request.query, 'page', 0);
  const pageSize = intParam(request.query, 'page-size', 100);
  if (Number.isNaN(page)) return apiError(400, 'INVALID_PARAMETER', 'page must be a whole number', 'page');
  if (Number.isNaN(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    return apiError(400, 'INVALID_PARAMETER', `page-size must be between 1 and ${MAX_PAGE_SIZE}`, 'page-size');
  }
  return { page, pageSize };
}

function sections(request: JamfRequest, known: ReadonlySet<string>): Set<string> | JamfResponse {
  const asked = request.query.getAll('section').flatMap((s) => s.split(','));
  for (const section of asked) {
    if (!known.has(section)) return apiError(400, 'INVALID_SECTION', `Unknown section ${section}`, 'section');
  }
  return new Set(asked.length > 0 ? asked : ['GENERAL']);
}

/** Jamf's sort `field:asc|desc`; only id order is emulated (any other sort is a 400 rather than a lie). */
function sortDescending(request: JamfRequest, idField: string, fallback: 'asc' | 'desc'): boolean | JamfResponse {
  const sort = request.query.getAll('sort').join(',');
  if (sort === '') return fallback === 'desc';
  const match = new RegExp(`^${idField.replace('.', '\\.')}:(asc|desc)$`).exec(sort);
  if (!match) return apiError(400, 'INVALID_SORT', `Sorting by ${sort} is not emulated`, 'sort');
  return match[1] === 'desc';
}

function page<T, R>(
  context: InventoryContext,
  records: T[],
  paged: Paging,
  descending: boolean,
  render: (record: T) => R,
): JamfResponse {
  const ordered = descending ? [...records].reverse() : records;
  const served = context.truncateAfter === null ? ordered : ordered.slice(0, context.truncateAfter);
  const start = paged.page * paged.pageSize;
  const results = served.slice(start, start + paged.pageSize).map(render);
  return { status: 200, body: { totalCount: records.length, results } };
}

function filtered<T>(
  request: JamfRequest,
  records: T[],
  fields: Record<string, (record: T) => string>,
): T[] | JamfResponse {
  try {
    const query = parseRsql(request.query.get('filter') ?? '', new Set(Object.keys(fields)));
    return records.filter((r) => matchesRsql(query, r, (record, field) => fields[field]!(record)));
  } catch (error) {
    if (error instanceof RsqlError) return apiError(400, 'INVALID_RSQL_FILTER_FIELD', error.message, 'filter');
    throw error;
  }
}

const isResponse = (value: unknown): value is JamfResponse =>
  typeof value === 'object' && value !== null && 'status' in value && !Array.isArray(value);

export function listMobileDevices(context: InventoryContext, request: JamfRequest): JamfResponse {
  const paged = paging(request);
  if (isResponse(paged)) return paged;
  const descending = sortDescending(request, 'id', 'asc');
  if (typeof descending !== 'boolean') return descending;
  return page(context, context.fleet.mobileDevices, paged, descending, mobileDeviceV2);
}

export function mobileDeviceDetail(context: InventoryContext, request: JamfRequest): JamfResponse {
  const paged = paging(request);
  if (isResponse(paged)) return paged;
  const wanted = sections(request, MOBILE_SECTIONS);
  if (isResponse(wanted)) return wanted;
  // Jamf's default order here is displayName:asc; only mobileDeviceId order is emulated, so ask for it.
  const descending = sortDescending(request, 'mobileDeviceId', 'asc');
  if (typeof descending !== 'boolean') return descending;
  const records = filtered(request, context.fleet.mobileDevices, MOBILE_FILTER);
  if (isResponse(records)) return records;
  return page(context, records, paged, descending, (d) => mobileDeviceInventory(d, wanted));
}

export function listComputers(context: InventoryContext, request: JamfRequest): JamfResponse {
  const paged = paging(request);
  if (isResponse(paged)) return paged;
  const wanted = sections(request, COMPUTER_SECTIONS);
  if (isResponse(wanted)) return wanted;
  const descending = sortDescending(request, 'id', 'asc');
  if (typeof descending !== 'boolean') return descending;
  const records = filtered(request, context.fleet.computers, COMPUTER_FILTER);
  if (isResponse(records)) return records;
  return page(context, records, paged, descending, (c) => computerInventory(c, wanted));
}

export function oneMobileDevice(context: InventoryContext, id: string, detail: boolean): JamfResponse {
  const device = context.fleet.mobileDevice(id);
  if (!device) return apiError(404, 'INVALID_ID', `Mobile device ${id} does not exist`, 'id');
  return { status: 200, body: detail ? mobileDeviceDetails(device) : mobileDeviceV2(device) };
}
