/**
 * The RSQL subset Jamf Pro's list endpoints accept in `filter`: comparisons `==`, `!=`, `=in=(a,b)`,
 * `=out=(a,b)`, joined by `;` (AND, binding tighter) and `,` (OR); values bare or double-quoted; `*` as a
 * wildcard in `==`/`!=`. Each endpoint says which fields it allows (the reference lists them per endpoint);
 * any other field is a 400, as Jamf answers it. Grouping parentheses are not emulated (also a 400).
 */

export class RsqlError extends Error {
  constructor(
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

type Operator = '==' | '!=' | '=in=' | '=out=';
interface Comparison {
  field: string;
  operator: Operator;
  values: string[];
}
/** OR of ANDs of comparisons. */
export type RsqlQuery = Comparison[][];

/** Splits on `separator` outside quotes and parentheses. */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"' && text[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && char === '(') depth++;
    else if (!quoted && char === ')') depth--;
    else if (!quoted && depth === 0 && char === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function unquote(value: string): string {
  const trimmed = value.trim();
  return trimmed.startsWith('"') && trimmed.endsWith('"') && trimmed.length >= 2
    ? trimmed.slice(1, -1).replace(/\\"/g, '"')
    : trimmed;
}

const COMPARISON = /^\s*([A-Za-z][\w.]*)\s*(==|!=|=in=|=out=)\s*(.+?)\s*$/s;

function parseComparison(text: string, allowed: ReadonlySet<string>): Comparison {
  const match = COMPARISON.exec(text);
  if (!match) throw new RsqlError(`Invalid RSQL expression: ${text.trim()}`);
  const [, field, operator, raw] = match as unknown as [string, string, Operator, string];
  if (!allowed.has(field)) throw new RsqlError(`${field} is not a valid filter field`, field);
  if (operator === '=in=' || operator === '=out=') {
    if (!raw.startsWith('(') || !raw.endsWith(')')) throw new RsqlError(`${operator} needs a (list)`, field);
    return { field, operator, values: splitTopLevel(raw.slice(1, -1), ',').map(unquote) };
  }
  if (raw.startsWith('(')) throw new RsqlError('Grouping with parentheses is not supported here', field);
  return { field, operator, values: [unquote(raw)] };
}

export function parseRsql(filter: string, allowed: ReadonlySet<string>): RsqlQuery {
  if (filter.trim() === '') return [];
  return splitTopLevel(filter, ',').map((conjunction) =>
    splitTopLevel(conjunction, ';').map((part) => parseComparison(part, allowed)),
  );
}

function equals(actual: string, expected: string): boolean {
  if (!expected.includes('*')) return actual.toLowerCase() === expected.toLowerCase();
  const pattern = expected
    .split('*')
    .map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`, 'i').test(actual);
}

/** Whether a record matches; `fieldOf` returns the record's field as text (booleans as "true"/"false"). */
export function matchesRsql<T>(query: RsqlQuery, record: T, fieldOf: (record: T, field: string) => string): boolean {
  if (query.length === 0) return true;
  return query.some((conjunction) =>
    conjunction.every(({ field, operator, values }) => {
      const actual = fieldOf(record, field);
      const hit = values.some((value) => equals(actual, value));
      return operator === '==' || operator === '=in=' ? hit : !hit;
    }),
  );
}
