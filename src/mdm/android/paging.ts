// Walking an Android Management API collection page by page (pageSize / pageToken / nextPageToken), trusting
// nothing that can be checked. What can be checked: a nextPageToken that repeats (an error, not a loop) and
// an item listed twice (the collection shifted under the walk, so something may also have been skipped:
// incomplete). What cannot: Google's list responses carry no total (ListDevicesResponse is only devices and
// nextPageToken), so a listing that ends early by dropping its nextPageToken looks exactly like a complete one.
// Pages are yielded as they arrive; the verdict comes after the last one.
import { MdmError } from '../errors';

export interface Page<T> {
  items: T[];
  nextPageToken: string | null;
}

/**
 * Every page of a listing. `fetchPage(token)` fetches one page (token null: the first); `keyOf` names an item
 * so duplicates are caught.
 */
export async function* walkPages<T>(
  what: string,
  fetchPage: (pageToken: string | null) => Promise<Page<T>>,
  keyOf: (item: T) => string,
): AsyncGenerator<T[]> {
  const tokens = new Set<string>();
  const keys = new Set<string>();
  let token: string | null = null;
  for (;;) {
    const page: Page<T> = await fetchPage(token);
    for (const item of page.items) {
      const key = keyOf(item);
      if (keys.has(key)) {
        throw new MdmError('incomplete', `${what} listed ${key} twice: the collection changed during the listing`);
      }
      keys.add(key);
    }
    yield page.items;
    if (!page.nextPageToken) return;
    if (tokens.has(page.nextPageToken)) throw new MdmError('invalid', `the nextPageToken of ${what} repeats`);
    tokens.add(page.nextPageToken);
    token = page.nextPageToken;
  }
}
