// Walking a Jamf Pro listing page by page (`page` from 0, `page-size`, `{totalCount, results}`), trusting
// nothing: the first page must announce totalCount, every later page the same total (a changed total means the
// set moved under the walk: offsets shifted, rows may be missed or doubled), no id may come twice, and the
// rows received must add up to the total, else MdmError('incomplete'). Pages are yielded as they arrive; the
// verdict comes after the last, which is why callers commit only when iteration ends without throwing.
import { MdmError } from '../errors';
import type { JamfClient } from './client';
import { PAGE_SIZE } from './settings';

export interface Listing<T> {
  path: string;
  /** Query besides page and page-size (sections, filter, sort). */
  query: Record<string, string | readonly string[]>;
  /** For messages: "the mobile device inventory". */
  what: string;
  /** A row's id, to catch a row served twice. */
  idOf(row: T): string | null;
  pageSize?: number;
  signal?: AbortSignal;
}

interface Page {
  totalCount?: unknown;
  results?: unknown;
}

function totalOf(page: Page): number | null {
  const total = page.totalCount;
  return typeof total === 'number' && Number.isInteger(total) && total >= 0 ? total : null;
}

export async function* listAll<T>(client: JamfClient, listing: Listing<T>): AsyncGenerator<T[]> {
  const pageSize = listing.pageSize ?? PAGE_SIZE;
  const seen = new Set<string>();
  let expected: number | null = null;
  let received = 0;
  for (let index = 0; ; index++) {
    const query = { ...listing.query, page: String(index), 'page-size': String(pageSize) };
    const answer = await client.send('GET', listing.path, { query, signal: listing.signal });
    const page = (answer.body ?? {}) as Page;
    const total = totalOf(page);
    if (total === null) {
      throw new MdmError(
        'incomplete',
        `${listing.what}: Jamf Pro did not report totalCount, so completeness cannot be proven`,
      );
    }
    if (expected === null) expected = total;
    else if (total !== expected) {
      throw new MdmError(
        'incomplete',
        `${listing.what} changed while it was read: totalCount went from ${expected} to ${total}`,
      );
    }
    if (!Array.isArray(page.results)) throw new MdmError('incomplete', `${listing.what}: a page without results`);
    const rows = page.results as T[];
    for (const row of rows) {
      const id = listing.idOf(row);
      if (id === null) throw new MdmError('invalid', `${listing.what} holds a record without an id`);
      if (seen.has(id)) throw new MdmError('incomplete', `${listing.what} served record ${id} twice`);
      seen.add(id);
    }
    received += rows.length;
    if (rows.length > 0) yield rows;
    // A short page is the last one Jamf will serve; reading past the total would only ask for empty pages.
    if (rows.length < pageSize || received >= expected) break;
  }
  if (received !== expected) {
    const how = received < expected! ? 'ended early' : 'returned more records than announced';
    throw new MdmError('incomplete', `${listing.what} ${how}: received ${received} of ${expected}`);
  }
}
