// Writing CSV (RFC 4180): records of named columns, where a column is a field of the record or a field of one of
// its object fields (`user.email`). Cells that would start a spreadsheet formula are neutralised.

type Field<T> = keyof T & string;
type NestedPath<K extends string, V> = V extends readonly unknown[]
  ? never
  : V extends object
    ? `${K}.${Field<V>}`
    : never;

/** A column of T: one of its fields, or one field of an object field (`user.email`); typos do not compile. */
export type ColumnPath<T> = { [K in Field<T>]: K | NestedPath<K, NonNullable<T[K]>> }[Field<T>];

/** A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One cell: null and undefined are empty, an empty string is `""` (so the two stay apart), an object or array is
 * compact JSON. A value that would start with =, +, -, @, tab or CR gets a leading apostrophe, which spreadsheets
 * show as text; a cell holding a comma, a double quote, CR or LF is quoted with its quotes doubled.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (text === '') return '""';
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, ended by CRLF as RFC 4180 asks. */
export function csvRow(cells: readonly unknown[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** The value of a column in a record; null when an object on the way is null (a finding without a device). */
export function columnValue<T>(record: T, column: ColumnPath<T>): unknown {
  let value: unknown = record;
  for (const key of column.split('.')) {
    if (value === null || value === undefined) return null;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Writes records of T as CSV rows with a fixed list of columns (the header row is csvRow(columns)). */
export function csvRecord<T>(record: T, columns: readonly ColumnPath<T>[]): string {
  return csvRow(columns.map((column) => columnValue(record, column)));
}
