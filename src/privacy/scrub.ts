// Erasing a person from stored text and JSON, as pure functions: every identifier of theirs (user principal
// names, directory ids, e-mail addresses, display names) is replaced by its stable pseudonym wherever it occurs,
// so the same value becomes the same pseudonym in every table and rows that joined on it still join.
//
// What counts as an occurrence:
// - a whole string equal to an identifier, ignoring case ("bob", a Jamf username, in {"username": "bob"});
// - inside longer text, only identifiers distinctive enough not to hit unrelated words: anything with an "@",
//   directory ids of 8 characters or more, display names and user-name parts (before the "@") of 5 or more;
// - in device names and in free text about the person (a reason, an error), also each word of a display name,
//   the user-name part and the directory id, of 3 characters or more, as whole words ("Ana's iPhone",
//   "ana.silva_AndroidForWork_1/2/2026", "offboard:bob").
import { createHmac } from 'node:crypto';

/** Everything that identifies one person, as stored (several of each across connections and renames). */
export interface PersonIdentifiers {
  principalNames: string[];
  externalIds: string[];
  emails: string[];
  displayNames: string[];
}

export const PSEUDONYM_PREFIX = 'erased-';

/** The pseudonym of an identifier under the database's key: `erased-` and 20 hex digits (80 bits) of HMAC-SHA256. */
export function pseudonymOf(key: Buffer, identifier: string): string {
  const digest = createHmac('sha256', key).update(identifier.trim().toLowerCase(), 'utf8').digest('hex');
  return `${PSEUDONYM_PREFIX}${digest.slice(0, 20)}`;
}

export const isPseudonym = (value: string) => /^erased-[0-9a-f]{20}$/.test(value);

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A LIKE pattern matching the text anywhere, with LIKE's own wildcards escaped (the default escape is `\`). */
export const likeAnywhere = (text: string) => `%${text.replace(/[\\%_]/g, '\\$&')}%`;

const localPart = (address: string) => (address.includes('@') ? address.slice(0, address.indexOf('@')) : null);
const unique = (values: Iterable<string>) => {
  const seen = new Map<string, string>();
  for (const value of values) {
    const trimmed = value.trim();
    if (trimmed !== '' && !seen.has(trimmed.toLowerCase())) seen.set(trimmed.toLowerCase(), trimmed);
  }
  return [...seen.values()];
};

export interface Needles {
  /** Replaced when a whole string equals one of them (any case). */
  exact: string[];
  /** Replaced wherever they occur in text (any case). */
  substring: string[];
  /** Replaced as whole words in device names only. */
  nameWords: string[];
}

export function needlesOf(person: PersonIdentifiers): Needles {
  const addresses = [...person.principalNames, ...person.emails];
  const locals = unique(addresses.map(localPart).filter((l): l is string => l !== null));
  const exact = unique([
    ...person.principalNames,
    ...person.externalIds,
    ...person.emails,
    ...person.displayNames,
    ...locals,
  ]);
  const substring = unique([
    ...addresses.filter((a) => a.includes('@')),
    ...person.externalIds.filter((id) => id.length >= 8 || id.includes('@')),
    ...person.displayNames.filter((n) => n.trim().length >= 5),
    ...locals.filter((l) => l.length >= 5),
  ]);
  const words = person.displayNames.flatMap((n) => n.split(/[^\p{L}\p{N}]+/u)).filter((w) => w.length >= 3);
  const nameWords = unique([...words, ...locals, ...person.externalIds].filter((w) => w.length >= 3));
  return { exact, substring, nameWords };
}

/** Longest first, so an address is replaced whole rather than its user-name part. */
const byLength = (values: string[]) => [...values].sort((a, b) => b.length - a.length);

export class Scrubber {
  private readonly exact: Map<string, string>;
  private readonly substring: RegExp | null;
  private readonly words: RegExp | null;

  constructor(
    readonly needles: Needles,
    private readonly pseudonym: (identifier: string) => string,
  ) {
    this.exact = new Map(needles.exact.map((n) => [n.trim().toLowerCase(), pseudonym(n)]));
    this.substring = needles.substring.length
      ? new RegExp(byLength(needles.substring).map(escapeRegExp).join('|'), 'giu')
      : null;
    const words = byLength([...needles.substring, ...needles.nameWords])
      .map(escapeRegExp)
      .join('|');
    this.words = words ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${words})(?![\\p{L}\\p{N}])`, 'giu') : null;
  }

  /** Free text (a reason, an error, an idempotency key): the person's identifiers replaced. */
  text(value: string): string {
    const whole = this.exact.get(value.trim().toLowerCase());
    if (whole) return whole;
    return this.substring ? value.replace(this.substring, (match) => this.pseudonym(match)) : value;
  }

  /** A device name, or free text about the person: as text, and the words of their name too. */
  deviceName(value: string | null): string | null {
    if (value === null) return null;
    const text = this.text(value);
    return this.words ? text.replace(this.words, (match) => this.pseudonym(match)) : text;
  }

  /** Every string (and object key) of a JSON value scrubbed as text; the same value back when nothing changed. */
  json<T>(value: T): T {
    if (typeof value === 'string') return this.text(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.json(v)) as T;
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [this.text(k), this.json(v)])) as T;
    }
    return value;
  }

  /** A device's recorded change: device names as names, everything else as JSON. */
  history(fields: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(
      Object.entries(fields).map(([k, v]) => [
        k,
        k === 'name' && Array.isArray(v)
          ? v.map((n) => (typeof n === 'string' ? this.deviceName(n) : n))
          : this.json(v),
      ]),
    );
  }

  /** LIKE patterns that find a candidate row by its text (JSON cast to text): a cheap filter before scrubbing. */
  likePatterns(): string[] {
    return unique([
      ...this.needles.substring.map(likeAnywhere),
      // A whole JSON string equal to an identifier: "bob" with its quotes.
      ...this.needles.exact.map((n) => likeAnywhere(JSON.stringify(n))),
    ]);
  }
}
