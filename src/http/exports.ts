// Exports: a listing read through its own keyset cursor, a page at a time, and written out as one JSON array or
// one CSV document while the client downloads it. Only about a page is held in memory: the stream is pulled by
// the response, so a slow client slows the reading down instead of letting it pile up.
import { Readable } from 'node:stream';
import { type ColumnPath, csvRecord, csvRow } from '../util/csv';

export type ExportFormat = 'csv' | 'json';

/** Records read per query: large enough to keep the round trips few, small enough to hold one in memory. */
export const EXPORT_PAGE_SIZE = 1000;

export interface ExportPage<T> {
  items: T[];
  nextCursor: string | null;
}

/** Reads the page after `cursor` (the first page without one), with the listing's own query and cursor. */
export type PageReader<T> = (cursor: string | undefined, limit: number) => Promise<ExportPage<T>>;

const CONTENT_TYPES = { csv: 'text/csv', json: 'application/json' } as const;

async function* pagesFrom<T>(first: ExportPage<T>, readPage: PageReader<T>, pageSize: number) {
  let page = first;
  for (;;) {
    yield page.items;
    if (!page.nextCursor) return;
    page = await readPage(page.nextCursor, pageSize);
  }
}

/** `[`, the records separated by `,` (one per line), `]`: a complete export always ends with `]`. */
async function* jsonChunks<T>(pages: AsyncIterable<T[]>) {
  let written = 0;
  for await (const items of pages) {
    if (items.length === 0) continue;
    yield items.map((item) => (written++ === 0 ? '[\n' : ',\n') + JSON.stringify(item)).join('');
  }
  yield written === 0 ? '[]' : '\n]';
}

async function* csvChunks<T>(pages: AsyncIterable<T[]>, columns: readonly ColumnPath<T>[]) {
  let header = csvRow(columns);
  for await (const items of pages) {
    yield header + items.map((item) => csvRecord(item, columns)).join('');
    header = '';
  }
  if (header) yield header;
}

/**
 * The export as a stream of text chunks, one per page. The first page is read before this returns, so a
 * database that fails up front is still answered with a problem; a page that fails later destroys the stream
 * with the error, and the response is aborted rather than ended as if it were complete.
 */
export async function exportStream<T>(
  format: ExportFormat,
  columns: readonly ColumnPath<T>[],
  readPage: PageReader<T>,
  pageSize = EXPORT_PAGE_SIZE,
): Promise<Readable> {
  const pages = pagesFrom(await readPage(undefined, pageSize), readPage, pageSize);
  const chunks = format === 'csv' ? csvChunks(pages, columns) : jsonChunks(pages);
  // One chunk (a page) buffered ahead of the socket at most.
  return Readable.from(chunks, { highWaterMark: 1 });
}

/** `warden-devices-20261121T120000Z.csv`: when the export started, in UTC, with no characters a file system minds. */
export function exportFileName(subject: string, format: ExportFormat, at = new Date()): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `warden-${subject}-${stamp}.${format}`;
}

/** The route's answer: the stream, its content type and the attachment's file name. */
export function exportReply(subject: string, format: ExportFormat, stream: Readable) {
  return {
    status: 200 as const,
    stream,
    contentType: CONTENT_TYPES[format],
    headers: { 'Content-Disposition': `attachment; filename="${exportFileName(subject, format)}"` },
  };
}
