// Building blocks of the bad-input suite (test/http/bad-input.test.ts): a valid base request per operation,
// sampled from openapi/warden.yaml; fast-check arbitraries that break a base request in one place (wrong types,
// missing and extra fields, oversized strings and arrays, injection-shaped and unicode-edge strings, edge numbers,
// malformed JSON, wrong content types and encodings, garbage path and query values and headers); an oracle that
// says, from the contract's schemas and the documented parsing rules alone, whether a request is invalid and
// where; a client that sends exactly the bytes generated (node:http for requests, a raw socket for protocol
// garbage); and a fingerprint of every table, to show that refused requests changed nothing.
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import type { ValidateFunction } from 'ajv';
import fc from 'fast-check';
import type { Knex } from 'knex';
import { createSpecAjv, type JsonSchema, loadSpec, SCHEMAS_ID, type SpecOperation } from '../../src/http/spec';

type Schema = Record<string, unknown>;
type Location = 'path' | 'query' | 'header' | 'body';

// ---------------------------------------------------------------------------------------------------------------
// The contract's schemas

const COMPONENTS = ((loadSpec().document.components as Schema).schemas ?? {}) as Record<string, Schema>;
const REF_PREFIXES = [`${SCHEMAS_ID}#/$defs/`, '#/components/schemas/'];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Raw);

/** Follows `$ref`s to the component schema (sibling keywords such as descriptions are kept). */
export function resolve(schema: Schema): Schema {
  let current = schema;
  for (let hops = 0; typeof current.$ref === 'string'; hops++) {
    const ref = current.$ref as string;
    const prefix = REF_PREFIXES.find((p) => ref.startsWith(p));
    const target = prefix ? COMPONENTS[ref.slice(prefix.length)] : undefined;
    if (!target || hops > 20) throw new Error(`bad-input: cannot resolve ${ref}`);
    const { $ref: _ref, ...siblings } = current;
    current = { ...target, ...siblings };
  }
  return current;
}

/** The schema a value is checked against: a `oneOf` is narrowed to the branch its discriminator picks. */
function branchOf(schema: Schema, value: unknown): Schema {
  const s = resolve(schema);
  const branches = (s.oneOf as Schema[] | undefined)?.map(resolve);
  if (!branches) return s;
  const tag = (s.discriminator as { propertyName?: string } | undefined)?.propertyName;
  const tagOf = (branch: Schema) =>
    resolve(((branch.properties ?? {}) as Record<string, Schema>)[tag ?? ''] ?? {}).const;
  const chosen =
    (tag && isObject(value) ? branches.find((b) => tagOf(b) === value[tag]) : undefined) ??
    branches.find((b) => b.type !== 'null') ??
    branches[0]!;
  const { oneOf: _oneOf, discriminator: _discriminator, ...parent } = s;
  return {
    ...parent,
    ...chosen,
    properties: { ...(parent.properties as Schema), ...(chosen.properties as Schema) },
    required: [...new Set([...((parent.required as string[]) ?? []), ...((chosen.required as string[]) ?? [])])],
  };
}

const jsonType = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'number' ? 'number' : typeof value;

/** The JSON types a schema admits (integer counted as number); empty when it says nothing. */
function typesOf(s: Schema): Set<string> {
  if ('const' in s) return new Set([jsonType(s.const)]);
  if (Array.isArray(s.enum)) return new Set(s.enum.map(jsonType));
  const declared = typeof s.type === 'string' ? [s.type] : Array.isArray(s.type) ? (s.type as string[]) : [];
  if (declared.length === 0 && s.properties) return new Set(['object']);
  return new Set(declared.map((t) => (t === 'integer' ? 'number' : t)));
}

const uuidNumber = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function sampleString(s: Schema, index: number): string {
  const min = (s.minLength as number | undefined) ?? 0;
  const max = (s.maxLength as number | undefined) ?? Number.POSITIVE_INFINITY;
  const pattern = typeof s.pattern === 'string' ? new RegExp(s.pattern, 'u') : null;
  const fits = (v: string) => [...v].length >= min && [...v].length <= max && (!pattern || pattern.test(v));
  const candidates = [
    s.format === 'uuid' ? uuidNumber(index + 1) : null,
    s.format === 'date-time' ? '2026-01-01T00:00:00Z' : null,
    s.format === 'uri' ? `https://example.com/${index}` : null,
    `valid${index}`.padEnd(Math.max(min, 8), 'x'),
  ];
  const plain = candidates.find((c): c is string => c !== null && fits(c));
  if (plain !== undefined) return plain;
  if (!pattern) throw new Error(`bad-input: cannot sample a string for ${JSON.stringify(s)}`);
  const [sampled] = fc.sample(fc.stringMatching(new RegExp(s.pattern as string)).filter(fits), {
    seed: 1000 + index,
    numRuns: 1,
  });
  return sampled!;
}

/** A value the schema accepts, with every optional property filled in (more places to break). */
export function sampleValid(schema: Schema, index = 0): unknown {
  const s = branchOf(schema, undefined);
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum)) return s.enum[index % s.enum.length];
  const type = Array.isArray(s.type)
    ? (s.type as string[]).find((t) => t !== 'null')
    : ((s.type as string | undefined) ?? (s.properties ? 'object' : undefined));
  switch (type) {
    case 'object':
      return Object.fromEntries(
        Object.entries((s.properties ?? {}) as Record<string, Schema>).map(([k, sub]) => [k, sampleValid(sub)]),
      );
    case 'array': {
      const count = Math.max(1, (s.minItems as number | undefined) ?? 0);
      return Array.from({ length: count }, (_, i) => sampleValid((s.items ?? {}) as Schema, index + i));
    }
    case 'string':
      return sampleString(s, index);
    case 'integer':
    case 'number': {
      const min = (s.minimum as number | undefined) ?? 1;
      return Math.min(min, (s.maximum as number | undefined) ?? min);
    }
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return 'x';
  }
}

interface Slot {
  pointer: Array<string | number>;
  schema: Schema;
  value: unknown;
}

/** Every value inside a body, with the schema it is checked against. */
function slotsOf(value: unknown, schema: Schema, pointer: Array<string | number> = []): Slot[] {
  const s = branchOf(schema, value);
  const slots: Slot[] = [{ pointer, schema: s, value }];
  if (isObject(value)) {
    const properties = (s.properties ?? {}) as Record<string, Schema>;
    for (const [key, inner] of Object.entries(value))
      slots.push(...slotsOf(inner, properties[key] ?? {}, [...pointer, key]));
  } else if (Array.isArray(value)) {
    value.forEach((inner, i) => {
      slots.push(...slotsOf(inner, (s.items ?? {}) as Schema, [...pointer, i]));
    });
  }
  return slots;
}

/** The `field` the API names for a place, built exactly as src/http/validation.ts builds it. */
export function placeOf(location: Location, pointer: Array<string | number>): string {
  return pointer.reduce<string>(
    (at, segment) => (/^\d+$/.test(String(segment)) ? `${at}[${segment}]` : `${at}.${segment}`),
    location,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// JSON text with tokens JSON.stringify cannot produce (1e309, -0, NaN, 123456789012345678901234567890)

export class Raw {
  constructor(readonly text: string) {}
}

export function toJsonText(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (isObject(value))
    return `{${Object.keys(value)
      .map((k) => `${JSON.stringify(k)}:${toJsonText(value[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** Sets an own property, even `__proto__` (which plain assignment would treat as the prototype). */
function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
}

function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

const REMOVE = Symbol('remove');

function withValueAt(base: unknown, pointer: Array<string | number>, value: unknown | typeof REMOVE): unknown {
  if (pointer.length === 0) return value;
  const root = cloneJson(base);
  let at = root as Record<string | number, unknown>;
  for (const segment of pointer.slice(0, -1)) at = at[segment] as Record<string | number, unknown>;
  const last = pointer.at(-1)!;
  if (value === REMOVE) delete at[last];
  else if (typeof last === 'string') defineOwn(at as Record<string, unknown>, last, value);
  else at[last] = value;
  return root;
}

// ---------------------------------------------------------------------------------------------------------------
// Hostile values

export const INJECTIONS = [
  "' OR 1=1--",
  "' OR '1'='1",
  '"; drop table devices; --',
  "'; DROP TABLE api_tokens;--",
  '1; select pg_sleep(10)--',
  "x' UNION SELECT token_hash FROM api_tokens--",
  '$where',
  '{"$where":"sleep(1000)"}',
  '{"$gt":""}',
  '$..*',
  "$[?(@.role=='admin')]",
  '../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '..\\..\\windows\\win.ini',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '{{7*7}}#{7*7}<%= 7*7 %>',
  ['$', '{7*7}', '$', '{jndi:ldap://x/a}'].join(''), // template and log4j lookups
  '$(id)`id`|cat /etc/passwd',
  'a\r\nX-Injected: 1',
  '\r\n\r\nHTTP/1.1 200 OK\r\nX-Injected: 1',
  '%0d%0aX-Injected:%201',
  'null\u0000byte',
  '\u0000',
  '%00',
  'admin\u0000',
  '__proto__',
  'constructor',
  '{"__proto__":{"admin":true}}',
  '=cmd|"/c calc"!A1',
  '@SUM(1+1)*cmd|',
  'http://169.254.169.254/latest/meta-data/',
  'file:///etc/passwd',
];

export const UNICODE_EDGES = [
  '\ud800',
  '\udfff',
  'a\ud800b',
  '\udc00\ud800',
  '\u202eevil\u202c',
  '\u202egnp.exe',
  'x\u200dy',
  '\u200b',
  '\ufeff',
  '\uffff\ufffe',
  '\u{10ffff}',
  '\u2028\u2029',
  '\u00a0',
  '👨‍👩‍👧‍👦'.repeat(40),
  `e${'\u0301'.repeat(3000)}`,
  `Z${'\u0336\u0335\u0334'.repeat(700)}`,
  'caf\u00e9', // NFC
  'cafe\u0301', // NFD
  '\u212b', // ANGSTROM SIGN, NFC-normalises to U+00C5
  '\ufb01', // the "fi" ligature (compatibility)
  '\u0130stanbul',
  '\u0430dmin', // Cyrillic a
  '𝕒𝕕𝕞𝕚𝕟',
  '\uff43\uff4f\uff4d.whatsapp', // fullwidth
  'com.whatsapp\u200b',
];

const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...INJECTIONS), weight: 3 },
  { arbitrary: fc.constantFrom(...UNICODE_EDGES), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 1 },
  { arbitrary: fc.string({ unit: anyCodeUnit, maxLength: 20 }), weight: 1 }, // lone surrogates included
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }), weight: 1 },
  {
    arbitrary: fc
      .tuple(fc.constantFrom(...INJECTIONS, ...UNICODE_EDGES), fc.constantFrom(...INJECTIONS, ...UNICODE_EDGES))
      .map(([a, b]) => a + b),
    weight: 1,
  },
);

export const NUMBER_TOKENS = [
  '-0',
  '0',
  '-1',
  '1.5',
  '1e2',
  '1E-7',
  '1.0',
  '1e309',
  '-1e309',
  '9007199254740993',
  '123456789012345678901234567890',
  '2147483648',
  '-2147483649',
  '9223372036854775808',
  'NaN',
  'Infinity',
  '-Infinity',
  '+1',
  '.5',
  '5.',
  '0x10',
  '010',
  '1e',
  '--1',
  '1_000',
];

const UUID = '9f1c7c7e-3b1a-4c5e-9d2f-0a1b2c3d4e5f';
export const uuidGarbage: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    `urn:uuid:${UUID}`,
    `{${UUID}}`,
    UUID.toUpperCase(),
    UUID.replace(/-/g, ''),
    `${UUID}x`,
    UUID.slice(1),
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    `g${UUID.slice(1)}`,
    UUID.replace(/-/g, '\u2010'),
    `${UUID}\u0000`,
    `${UUID}' OR 1=1--`,
    `${UUID},${UUID}`,
  ),
  fc.uuid().map((u) => `urn:uuid:${u}`),
  fc.uuid({ version: [1, 2, 3, 4, 5, 6, 7, 8, 15] }),
);

export const dateGarbage: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '2026-13-01T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '0001-01-01T00:00:00Z',
    '9999-12-31T23:59:60Z',
    '2026-06-30T23:59:60Z',
    '1970-01-01T00:00:00+23:59',
    '1970-01-01T00:00:00+24:00',
    '2026-01-01T00:00:00',
    '2026-01-01',
    'now',
    '+275760-09-13T00:00:00.000Z',
    '-271821-04-20T00:00:00.000Z',
    '2026-01-01T00:00:00.1234567890123456789Z',
    '2026-01-01t00:00:00z',
    '2026-01-01 00:00:00Z',
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc
    .record({
      year: fc.integer({ min: 0, max: 9999 }),
      month: fc.integer({ min: 0, max: 13 }),
      day: fc.integer({ min: 0, max: 32 }),
      hour: fc.integer({ min: 0, max: 24 }),
      second: fc.integer({ min: 0, max: 60 }),
      zone: fc.constantFrom('Z', '+00:00', '-23:59', '+14:00', '+99:99', ''),
    })
    .map(
      (d) =>
        `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}T${String(d.hour).padStart(2, '0')}:00:${String(d.second).padStart(2, '0')}${d.zone}`,
    ),
);

const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
/** Keyset cursors are base64url JSON (or `seq:<n>`): well-formed wrappers around ill-formed contents. */
export const cursorGarbage: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '!!!',
    '====',
    'a',
    base64url('[]'),
    base64url('{}'),
    base64url('null'),
    base64url('["2026-01-01T00:00:00Z","not-a-uuid"]'),
    base64url(`["2026-01-01T00:00:00Z","urn:uuid:${UUID}"]`),
    base64url(`["not a date","${UUID}"]`),
    base64url(`["", "${UUID}"]`),
    base64url('[null,null]'),
    base64url('["\\u0000","\\u0000"]'),
    base64url(`["+275760-09-13T00:00:00.000Z","${UUID}"]`),
    base64url(`["-271821-04-20T00:00:00.000Z","${UUID}"]`),
    base64url(`["0000-01-01T00:00:00Z","${UUID}"]`),
    base64url(`[1e309,"${UUID}"]`),
    base64url(`[1,"${UUID}"]`),
    base64url('seq:999999999999999'),
    base64url('seq:0'),
    base64url('seq:-1'),
  ),
  fc
    .tuple(
      fc.oneof(fc.string(), dateGarbage, hostileString, fc.integer(), fc.constant(null)),
      fc.oneof(fc.uuid(), uuidGarbage, hostileString, fc.integer()),
    )
    .map((pair) => base64url(JSON.stringify(pair))),
  fc.jsonValue({ maxDepth: 3 }).map((value) => base64url(JSON.stringify(value))),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map((n) => base64url(`seq:${n}`)),
);

const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    '$where',
    '$gt',
    '$ne',
    'a.b',
    'a[b]',
    '',
    ' ',
    '0',
    "'; drop table policies;--",
    '\u0000',
    '\ud800',
    '\u202e',
    'x'.repeat(2000),
  ),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
);

const smallJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  hostileString,
  fc.constant({ $where: 'this.role == "admin"' }),
  fc.constant({ $gt: '' }),
);

// ---------------------------------------------------------------------------------------------------------------
// A request, before and after it is turned into bytes

export interface DraftBody {
  kind: 'json' | 'raw';
  /** For json: the value, serialised with toJsonText; for raw: the bytes. */
  value: unknown;
  bytes?: Buffer;
  contentType: string | null;
  contentEncoding?: string;
  chunked: boolean;
  /** UTF-8 byte order mark before the JSON text. */
  bom?: boolean;
  /** Whitespace around the JSON text. */
  pad?: string;
}

export interface Draft {
  operationId: string;
  arm: string;
  method: string;
  /** Path parameters exactly as they go on the wire (already percent-encoded, or deliberately not). */
  pathParams: Record<string, string>;
  /** The query string as it goes on the wire, without `?`. */
  query: string;
  headers: Record<string, string>;
  /** The Authorization header; undefined means the admin token. */
  authorization?: string;
  body?: DraftBody;
  /** Where the generator broke the request, as the API's `field` names places. */
  places: string[];
  /** Set when the way the request was made proves it wrong without the oracle, and how the API must refuse it. */
  proof?: 'unauthenticated' | 'method-not-allowed' | 'unsupported-media-type' | 'no-body-allowed' | 'refused-any';
  note: string;
}

export interface Wire {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  chunked: boolean;
}

export function pathOf(operation: SpecOperation, draft: Pick<Draft, 'pathParams' | 'query'>): string {
  const path = operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => draft.pathParams[name] ?? '');
  return draft.query ? `${path}?${draft.query}` : path;
}

function bodyBytes(body: DraftBody): Buffer {
  if (body.kind === 'raw') return body.bytes ?? Buffer.alloc(0);
  const text = `${body.bom ? '\ufeff' : ''}${body.pad ?? ''}${toJsonText(body.value)}${body.pad ?? ''}`;
  const bytes = Buffer.from(text, 'utf8');
  return body.contentEncoding === 'gzip' ? zlib.gzipSync(bytes) : bytes;
}

export function toWire(operation: SpecOperation, draft: Draft, adminToken: string): Wire {
  const headers: Record<string, string> = { ...draft.headers };
  const authorization = draft.authorization ?? `Bearer ${adminToken}`;
  if (operation.roles !== 'public' || draft.authorization !== undefined) headers.authorization = authorization;
  let body: Buffer | undefined;
  if (draft.body) {
    body = bodyBytes(draft.body);
    if (draft.body.contentType !== null) headers['content-type'] = draft.body.contentType;
    if (draft.body.contentEncoding) {
      headers['content-encoding'] = draft.body.contentEncoding;
      // When decompressing fails, the rest of the body is never read, and Node leaves a kept-alive connection
      // stuck behind it for seconds: such requests get a connection of their own.
      headers.connection = 'close';
    }
  }
  return { method: draft.method, path: pathOf(operation, draft), headers, body, chunked: draft.body?.chunked ?? false };
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding values into paths and query strings

function utf8Escapes(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    let bytes: number[];
    if (code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      bytes = [...Buffer.from(text.slice(i, i + 2), 'utf8')];
      i++;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      // A lone surrogate: its WTF-8 bytes, which no UTF-8 decoder accepts.
      bytes = [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)];
    } else bytes = [...Buffer.from(text[i]!, 'utf8')];
    out += bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
  return out;
}

export type EncodeMode = 'strict' | 'plus' | 'sub-delims';
/** Percent-encodes everything but unreserved characters (and, on request, sub-delimiters or `+` for spaces). */
export function percentEncode(text: string, mode: EncodeMode, inQuery: boolean): string {
  const keep =
    mode === 'sub-delims'
      ? inQuery
        ? /[A-Za-z0-9\-._~!$'()*,;:@/]/
        : /[A-Za-z0-9\-._~!$&'()*+,;=:@]/
      : /[A-Za-z0-9\-._~]/;
  let out = '';
  for (const char of text.match(/[\ud800-\udbff][\udc00-\udfff]|[\s\S]/g) ?? []) {
    if (mode === 'plus' && inQuery && char === ' ') out += '+';
    else if (char.length === 1 && keep.test(char)) out += char;
    else out += utf8Escapes(char);
  }
  return out;
}

/** Makes a header value node:http will send: UTF-8 bytes seen as latin1, control characters escaped. */
export function headerSafe(text: string): string {
  return Buffer.from(text, 'utf8')
    .toString('latin1')
    .replace(/[^\t\x20-\x7e\x80-\xff]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

// ---------------------------------------------------------------------------------------------------------------
// The oracle: is a request invalid, judged from the contract and the documented parsing rules only

/** Content types the API parses as JSON (`application/json` and `+json`, any parameters). */
export const JSON_CONTENT_TYPES = [
  'application/json',
  'APPLICATION/JSON',
  'application/json; charset=utf-8',
  'application/json;charset=UTF-16',
  'application/json; charset=latin1',
  'application/json; charset=bogus',
  'application/merge-patch+json',
  'application/problem+json',
];
/** Content types that are not JSON: the API refuses the body (415) before reading it. */
export const NON_JSON_CONTENT_TYPES = [
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/octet-stream',
  'application/javascript',
  'application/jsonx',
  'application/json-seq',
  'json',
  'application/',
  '*/*',
  ';;;',
  "application/json' OR 1=1--",
];

/** What Koa does with a query string (koa/lib/search-params.js): URLSearchParams, repeated keys as arrays. */
function parseQuery(text: string): Record<string, unknown> {
  const params = new URLSearchParams(text);
  const out: Record<string, unknown> = {};
  for (const key of params.keys()) {
    const values = params.getAll(key);
    defineOwn(out, key, values.length <= 1 ? values[0] : values);
  }
  return out;
}

/** What @koa/router does with a path segment: decodeURIComponent, or the text as is when that fails. */
function decodeSegment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function hasProtoKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasProtoKey);
  if (!isObject(value)) return false;
  return Object.keys(value).some((k) => k === '__proto__' || hasProtoKey(value[k]));
}

export interface Judgement {
  /** Places the request is wrong at regardless of schemas (`body`, `header.content-type`). */
  places: string[];
  /** Locations whose values break the schema. */
  locations: Location[];
}

export class Oracle {
  private readonly validators = new Map<
    string,
    { path: ValidateFunction; query: ValidateFunction; header: ValidateFunction; body: ValidateFunction | null }
  >();

  constructor(
    operations: Iterable<SpecOperation>,
    private readonly limitBytes: number,
  ) {
    // Path, query and header values arrive as text: the contract's types apply after coercion.
    const textAjv = createSpecAjv({ coerceTypes: 'array', useDefaults: true });
    const bodyAjv = createSpecAjv({ useDefaults: true });
    const objectOf = (parameters: SpecOperation['parameters'], lowerCase: boolean): JsonSchema => {
      const name = (p: SpecOperation['parameters'][number]) => (lowerCase ? p.name.toLowerCase() : p.name);
      return {
        type: 'object',
        properties: Object.fromEntries(parameters.map((p) => [name(p), p.schema])),
        required: parameters.filter((p) => p.required).map(name),
        // Only declared query and path parameters are allowed; other headers are none of the contract's business.
        additionalProperties: lowerCase,
      };
    };
    for (const op of operations) {
      const of = (where: string) => op.parameters.filter((p) => p.in === where);
      this.validators.set(op.operationId, {
        path: textAjv.compile(objectOf(of('path'), false)),
        query: textAjv.compile(objectOf(of('query'), false)),
        header: textAjv.compile(objectOf(of('header'), true)),
        body: op.requestBody ? bodyAjv.compile(op.requestBody.schema) : null,
      });
    }
  }

  judge(operation: SpecOperation, draft: Draft): Judgement {
    const v = this.validators.get(operation.operationId)!;
    const places: string[] = [];
    const locations: Location[] = [];
    const params = Object.fromEntries(Object.entries(draft.pathParams).map(([k, raw]) => [k, decodeSegment(raw)]));
    if (!v.path(params)) locations.push('path');
    const declared = operation.parameters.filter((p) => p.in === 'header').map((p) => p.name.toLowerCase());
    const headers = Object.fromEntries(
      Object.entries(draft.headers)
        .filter(([name]) => declared.includes(name.toLowerCase()))
        .map(([name, value]) => [name.toLowerCase(), value.replace(/^[ \t]+|[ \t]+$/g, '')]),
    );
    if (!v.header(headers)) locations.push('header');
    if (!v.query(parseQuery(draft.query))) locations.push('query');

    const body = draft.body;
    const bytes = body ? bodyBytes(body) : undefined;
    if (body && (body.chunked || bytes!.length > 0)) {
      if (!operation.requestBody) places.push('body');
      else if (body.contentType === null || !JSON_CONTENT_TYPES.includes(body.contentType))
        places.push('header.content-type');
      else if (body.contentEncoding && body.contentEncoding !== 'gzip') places.push('header.content-encoding');
      else {
        let plain: Buffer | null = bytes!;
        if (body.contentEncoding === 'gzip') {
          try {
            plain = zlib.gunzipSync(bytes!);
          } catch {
            plain = null;
          }
        }
        // The JSON parser (co-body, strict) takes an empty text as {} and only an object or array otherwise.
        const text = plain?.toString('utf8').replace(/^\ufeff/, '') ?? '';
        let parsed: unknown = {};
        let malformed = plain === null || plain.length > this.limitBytes;
        if (!malformed && text !== '') {
          try {
            if (!/^[ \t\n\r]*[[{]/.test(text)) throw new Error('not an object or array');
            parsed = JSON.parse(text);
            malformed = hasProtoKey(parsed);
          } catch {
            malformed = true;
          }
        }
        if (malformed) places.push('body');
        else if (!v.body!(parsed)) locations.push('body');
      }
    } else if (operation.requestBody?.required) places.push('body');
    return { places, locations };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries: one operation's base request, broken in one place

export interface Context {
  operation: SpecOperation;
  /** Paths of the contract with the methods each declares (to pick a method a path does not have). */
  methodsByPath: Map<string, string[]>;
  adminToken: string;
}

export interface Base {
  pathParams: Record<string, string>;
  body: unknown;
}

export function baseOf(operation: SpecOperation): Base {
  const pathParams = Object.fromEntries(
    operation.parameters
      .filter((p) => p.in === 'path')
      .map((p) => [p.name, percentEncode(String(sampleValid(p.schema)), 'strict', false)]),
  );
  return { pathParams, body: operation.requestBody ? sampleValid(operation.requestBody.schema) : undefined };
}

/** The operation's base request: valid everywhere, as the arms start from it. */
export function baseDraft(ctx: Pick<Context, 'operation'>, base: Base, arm: string): Draft {
  const { operation } = ctx;
  return {
    operationId: operation.operationId,
    arm,
    method: operation.method.toUpperCase(),
    pathParams: { ...base.pathParams },
    query: '',
    headers: {},
    body:
      base.body === undefined
        ? undefined
        : { kind: 'json', value: base.body, contentType: 'application/json', chunked: false },
    places: [],
    note: arm,
  };
}

const MUTATIONS = [
  'wrong-type',
  'number-edge',
  'hostile-string',
  'oversize-string',
  'enum-miss',
  'oversize-array',
  'duplicate-items',
  'empty-array',
  'drop-required',
  'extra-property',
] as const;
type Mutation = (typeof MUTATIONS)[number];

function applicable(slot: Slot): Mutation[] {
  const s = slot.schema;
  const types = typesOf(s);
  const out: Mutation[] = [];
  if (types.size > 0) out.push('wrong-type');
  if (types.has('number')) out.push('number-edge');
  if (types.has('string') || typeof slot.value === 'string') out.push('hostile-string', 'oversize-string');
  if ('const' in s || Array.isArray(s.enum)) out.push('enum-miss');
  if (Array.isArray(slot.value)) {
    if (s.maxItems !== undefined) out.push('oversize-array');
    if (s.uniqueItems) out.push('duplicate-items');
    if (((s.minItems as number | undefined) ?? 0) > 0) out.push('empty-array');
  }
  if (isObject(slot.value)) {
    if (((s.required as string[] | undefined) ?? []).some((k) => k in (slot.value as object)))
      out.push('drop-required');
    out.push('extra-property');
  }
  return out.length > 0 ? out : ['extra-property'];
}

const TYPE_SAMPLES: Record<string, unknown[]> = {
  string: ['12', 'true', 'null', '', "' OR 1=1--"],
  number: [0, -1, 1.5, new Raw('1e309'), new Raw('-0'), new Raw('123456789012345678901234567890')],
  boolean: [true, false],
  null: [null],
  object: [{}, { $where: 'this.role == "admin"' }, { $gt: '' }],
  array: [[], ['x'], [null], [[]]],
};

const charUnits = ['x', 'é', '😀', 'e\u0301', '\u0000', "'", '\u202e', '\ud800'];

interface BodyRecipe {
  slot: number;
  mutation: number;
  pick: number;
  hostile: string;
  hostileMode: number;
  extra: number;
  unit: number;
  key: string;
  keyValue: unknown;
}

const bodyRecipe: fc.Arbitrary<BodyRecipe> = fc.record({
  slot: fc.nat(),
  mutation: fc.nat(),
  pick: fc.nat(),
  hostile: hostileString,
  hostileMode: fc.nat({ max: 2 }),
  extra: fc.nat({ max: 300 }),
  unit: fc.nat({ max: charUnits.length - 1 }),
  key: hostileKey,
  keyValue: smallJson,
});

const codePoints = (text: string) => [...text].length;

function oversized(limit: number | undefined, extra: number, unit: string): string {
  const wanted = (limit ?? 1000) + 1 + extra;
  return unit.repeat(Math.ceil(wanted / codePoints(unit)));
}

/** Breaks one value of a body; returns the new body and the place that broke. */
function mutateBody(base: unknown, slots: Slot[], r: BodyRecipe): { body: unknown; place: string; note: string } {
  const slot = slots[r.slot % slots.length]!;
  const kinds = applicable(slot);
  const kind = kinds[r.mutation % kinds.length]!;
  const s = slot.schema;
  const at = (value: unknown, pointer = slot.pointer) => withValueAt(base, pointer, value);
  const place = placeOf('body', slot.pointer);
  switch (kind) {
    case 'wrong-type': {
      const allowed = typesOf(s);
      const others = Object.entries(TYPE_SAMPLES)
        .filter(([t]) => !allowed.has(t))
        .flatMap(([, values]) => values);
      return { body: at(others[r.pick % others.length]), place, note: `${kind} at ${place}` };
    }
    case 'number-edge': {
      const bounds = [s.minimum, s.maximum, s.exclusiveMinimum, s.exclusiveMaximum].filter(
        (b): b is number => typeof b === 'number',
      );
      const tokens = [...NUMBER_TOKENS, ...bounds.flatMap((b) => [String(b - 1), String(b + 1), String(b + 0.5)])];
      const token = tokens[r.pick % tokens.length]!;
      return { body: at(new Raw(token)), place, note: `${kind} ${token} at ${place}` };
    }
    case 'hostile-string': {
      const text = typeof slot.value === 'string' ? slot.value : '';
      const value = [r.hostile, text + r.hostile, r.hostile + text][r.hostileMode]!;
      return { body: at(value), place, note: `${kind} at ${place}` };
    }
    case 'oversize-string': {
      const value = oversized(s.maxLength as number | undefined, r.extra, charUnits[r.unit]!);
      return { body: at(value), place, note: `${kind} (${value.length} units) at ${place}` };
    }
    case 'enum-miss': {
      const allowed = 'const' in s ? [s.const] : (s.enum as unknown[]);
      const value = String(allowed[r.pick % allowed.length]);
      const variants = [
        value.toUpperCase(),
        ` ${value}`,
        `${value}\u0000`,
        `\u200b${value}`,
        value + r.hostile,
        `${value}s`,
      ];
      const chosen = variants[r.hostileMode + (r.pick % 4)]!;
      return { body: at(chosen), place, note: `${kind} ${JSON.stringify(chosen).slice(0, 40)} at ${place}` };
    }
    case 'oversize-array': {
      const items = slot.value as unknown[];
      const count = (s.maxItems as number) + 1 + (r.extra % 4);
      return {
        body: at(Array.from({ length: count }, (_, i) => cloneJson(items[i % items.length]))),
        place,
        note: `${kind} (${count} items) at ${place}`,
      };
    }
    case 'duplicate-items': {
      const items = slot.value as unknown[];
      return { body: at([items[0], cloneJson(items[0])]), place, note: `${kind} at ${place}` };
    }
    case 'empty-array':
      return { body: at([]), place, note: `${kind} at ${place}` };
    case 'drop-required': {
      const present = ((s.required as string[]) ?? []).filter((k) => k in (slot.value as object));
      const key = present[r.pick % present.length]!;
      const pointer = [...slot.pointer, key];
      return {
        body: at(REMOVE, pointer),
        place: placeOf('body', pointer),
        note: `${kind} ${placeOf('body', pointer)}`,
      };
    }
    case 'extra-property': {
      const pointer = [...slot.pointer, r.key];
      const target = cloneJson(slot.value) as Record<string, unknown>;
      if (!isObject(target)) return { body: at({}), place, note: `${kind} at ${place}` };
      defineOwn(target, r.key, r.keyValue);
      return {
        body: at(target),
        place: placeOf('body', pointer),
        note: `${kind} ${JSON.stringify(r.key).slice(0, 30)} at ${place}`,
      };
    }
  }
}

function bodyArm(ctx: Context, base: Base): fc.Arbitrary<Draft> {
  const slots = slotsOf(base.body, ctx.operation.requestBody!.schema);
  return fc
    .record({
      recipe: bodyRecipe,
      contentType: fc.constantFrom(...JSON_CONTENT_TYPES),
      chunked: fc.boolean(),
      bom: fc.boolean(),
      pad: fc.constantFrom('', ' ', '\n\t\r '),
    })
    .map(({ recipe, contentType, chunked, bom, pad }) => {
      const { body, place, note } = mutateBody(base.body, slots, recipe);
      const draft = baseDraft(ctx, base, 'body-value');
      draft.body = { kind: 'json', value: body, contentType, chunked, bom, pad };
      draft.places = [place];
      draft.note = note;
      return draft;
    });
}

const malformedKinds = [
  'truncate',
  'insert',
  'trailing-comma',
  'single-quotes',
  'unquoted-keys',
  'comment',
  'two-roots',
  'nan-value',
  'raw-control',
  'invalid-utf8',
  'deep-nesting',
  'wide-object',
  'primitive-root',
  'whitespace-only',
  'utf16',
] as const;

function malformedArm(ctx: Context, base: Base): fc.Arbitrary<Draft> {
  const text = toJsonText(base.body);
  return fc
    .record({
      kind: fc.constantFrom(...malformedKinds),
      at: fc.nat(),
      char: fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', "'", 'x', '\u0000', '\ud800'),
      depth: fc.integer({ min: 1000, max: 100_000 }),
      primitive: fc.constantFrom('"text"', '42', 'null', 'true', '-0', '1e309', '""'),
      chunked: fc.boolean(),
    })
    .map(({ kind, at, char, depth, primitive, chunked }) => {
      const cut = 1 + (at % Math.max(1, text.length - 1));
      let bytes: Buffer;
      switch (kind) {
        case 'truncate':
          bytes = Buffer.from(text.slice(0, cut));
          break;
        case 'insert':
          bytes = Buffer.from(text.slice(0, cut) + char + text.slice(cut));
          break;
        case 'trailing-comma':
          bytes = Buffer.from(`${text.slice(0, -1)},}`);
          break;
        case 'single-quotes':
          bytes = Buffer.from(text.replace(/"/g, "'"));
          break;
        case 'unquoted-keys':
          bytes = Buffer.from(text.replace(/"([A-Za-z]+)":/g, '$1:'));
          break;
        case 'comment':
          bytes = Buffer.from(`/* ${char} */${text}`);
          break;
        case 'two-roots':
          bytes = Buffer.from(`${text}${text}`);
          break;
        case 'nan-value':
          bytes = Buffer.from(text.replace(/:("[^"]*"|\d+|true|false)/, ':NaN'));
          break;
        case 'raw-control':
          bytes = Buffer.from(text.replace(/"([^"]*)"/, `"$1\u0001\n"`));
          break;
        case 'invalid-utf8':
          bytes = Buffer.concat([
            Buffer.from(text.slice(0, cut)),
            Buffer.from([0xc0, 0xae, 0xff, 0xed, 0xa0, 0x80]),
            Buffer.from(text.slice(cut)),
          ]);
          break;
        case 'deep-nesting':
          bytes = Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`);
          break;
        case 'wide-object':
          bytes = Buffer.from(`{${Array.from({ length: 20_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`);
          break;
        case 'primitive-root':
          bytes = Buffer.from(primitive);
          break;
        case 'whitespace-only':
          bytes = Buffer.from(' \n\t ');
          break;
        case 'utf16':
          bytes = Buffer.from(text, 'utf16le');
          break;
      }
      const draft = baseDraft(ctx, base, 'malformed-json');
      draft.body = { kind: 'raw', value: undefined, bytes, contentType: 'application/json', chunked };
      draft.places = ['body'];
      draft.note = `malformed JSON (${kind})`;
      return draft;
    });
}

function contentTypeArm(ctx: Context, base: Base): fc.Arbitrary<Draft> {
  return fc
    .record({ type: fc.option(fc.constantFrom(...NON_JSON_CONTENT_TYPES), { nil: null }), chunked: fc.boolean() })
    .map(({ type, chunked }) => {
      const draft = baseDraft(ctx, base, 'content-type');
      draft.body = { kind: 'json', value: base.body, contentType: type, chunked };
      draft.places = ['header.content-type'];
      draft.proof = 'unsupported-media-type';
      draft.note = `content type ${JSON.stringify(type)}`;
      return draft;
    });
}

function contentEncodingArm(ctx: Context, base: Base): fc.Arbitrary<Draft> {
  const slots = slotsOf(base.body, ctx.operation.requestBody!.schema);
  return fc
    .record({
      encoding: fc.constantFrom('gzip', 'deflate', 'br', 'compress', 'bogus', 'gzip, gzip', 'identity, bogus'),
      compressed: fc.boolean(),
      recipe: bodyRecipe,
    })
    .map(({ encoding, compressed, recipe }) => {
      const { body, place } = mutateBody(base.body, slots, recipe);
      const draft = baseDraft(ctx, base, 'content-encoding');
      // A gzip body really compressed holds an invalid document; otherwise the bytes are not what they claim.
      draft.body =
        encoding === 'gzip' && compressed
          ? { kind: 'json', value: body, contentType: 'application/json', contentEncoding: 'gzip', chunked: false }
          : {
              kind: 'raw',
              value: undefined,
              bytes: Buffer.from(toJsonText(body)),
              contentType: 'application/json',
              contentEncoding: encoding,
              chunked: false,
            };
      draft.places = ['body', 'header.content-encoding', place];
      // Bytes that are not what their encoding says must be refused, however; a real gzip is judged by the oracle.
      if (draft.body.kind === 'raw') draft.proof = 'refused-any';
      draft.note = `content-encoding ${encoding}${compressed ? ' (compressed)' : ''}`;
      return draft;
    });
}

function missingBodyArm(ctx: Context, base: Base): fc.Arbitrary<Draft> {
  return fc
    .record({
      contentType: fc.option(fc.constant('application/json'), { nil: null }),
      emptyChunked: fc.boolean(),
    })
    .map(({ contentType, emptyChunked }) => {
      const draft = baseDraft(ctx, base, 'missing-body');
      // Either no body at all, or a chunked body of no bytes (which the JSON parser reads as {}).
      draft.body = emptyChunked
        ? { kind: 'raw', value: undefined, bytes: Buffer.alloc(0), contentType: 'application/json', chunked: true }
        : undefined;
      if (contentType && !emptyChunked) draft.headers['content-type'] = contentType;
      draft.places = ['body'];
      draft.note = emptyChunked ? 'an empty chunked body' : 'no body';
      return draft;
    });
}

function bodyOnBodylessArm(ctx: Context, base: Base): fc.Arbitrary<Draft> {
  return fc
    .record({
      value: fc.oneof(fc.constant({}), fc.constant([]), fc.dictionary(hostileKey, smallJson, { maxKeys: 3 })),
      contentType: fc.option(fc.constantFrom(...JSON_CONTENT_TYPES, ...NON_JSON_CONTENT_TYPES), { nil: null }),
      chunked: fc.boolean(),
    })
    .map(({ value, contentType, chunked }) => {
      const draft = baseDraft(ctx, base, 'body-on-bodyless');
      draft.body = { kind: 'json', value, contentType, chunked };
      draft.places = ['body'];
      draft.proof = 'no-body-allowed';
      draft.note = `a body on ${ctx.operation.operationId}, which takes none`;
      return draft;
    });
}

/**
 * A value to put where a path, query or header value goes, weighted by what the parameter expects: garbage in
 * the shape of a uuid for a uuid, of a date for a date-time, of a keyset cursor for a cursor, edge numbers for an
 * integer, near misses for an enum, and legal but odd values matching a pattern (which the API must then handle).
 */
function textGarbage(schema: Schema, name: string): fc.Arbitrary<string> {
  const s = resolve(schema);
  const enumValues = (s.enum as unknown[] | undefined)?.map(String) ?? [];
  const bounds = [s.minimum, s.maximum].filter((b): b is number => typeof b === 'number');
  const numeric = s.type === 'integer' || s.type === 'number';
  const arms: Array<{ arbitrary: fc.Arbitrary<string>; weight: number }> = [
    { arbitrary: hostileString, weight: 4 },
    {
      arbitrary: fc.constantFrom(...NUMBER_TOKENS, ...bounds.flatMap((b) => [String(b - 1), String(b + 1)])),
      weight: numeric ? 6 : 1,
    },
    {
      arbitrary: fc.constantFrom('true', 'false', 'TRUE', 'yes', 'on', '1', '0', 'null', 'undefined', '[]', '{}', ''),
      weight: s.type === 'boolean' ? 4 : 1,
    },
    {
      arbitrary: fc
        .record({ extra: fc.nat({ max: 200 }), unit: fc.constantFrom(...charUnits) })
        .map(({ extra, unit }) => oversized(Math.min((s.maxLength as number | undefined) ?? 300, 600), extra, unit)),
      weight: 1,
    },
    { arbitrary: uuidGarbage, weight: s.format === 'uuid' ? 6 : 1 },
    { arbitrary: dateGarbage, weight: s.format === 'date-time' ? 6 : 1 },
    { arbitrary: cursorGarbage, weight: name === 'cursor' ? 10 : 1 },
  ];
  if (enumValues.length > 0)
    arms.push({
      arbitrary: fc
        .tuple(fc.constantFrom(...enumValues), fc.nat({ max: 4 }))
        .map(([v, i]) => [v.toUpperCase(), ` ${v}`, `${v}\u0000`, `${v},${v}`, `${v}s`][i]!),
      weight: 4,
    });
  if (typeof s.pattern === 'string') {
    const legal = fc.stringMatching(new RegExp(s.pattern as string));
    arms.push(
      { arbitrary: legal, weight: 3 },
      { arbitrary: fc.tuple(legal, hostileString).map(([v, h]) => v + h), weight: 2 },
    );
  }
  return fc.oneof(...arms);
}

function queryArm(ctx: Context, base: Base): fc.Arbitrary<Draft> {
  const declared = ctx.operation.parameters.filter((p) => p.in === 'query');
  const namedValue = declared.length
    ? fc.constantFrom(...declared).chain((p) =>
        fc.record({
          key: fc.oneof(
            { arbitrary: fc.constant(p.name), weight: 8 },
            fc.constantFrom(p.name.toUpperCase(), `${p.name}[]`, `${p.name}[$gt]`, ` ${p.name}`, `${p.name}\u0000`),
          ),
          value: textGarbage(p.schema, p.name),
          repeat: fc.option(textGarbage(p.schema, p.name), { nil: undefined, freq: 6 }),
        }),
      )
    : null;
  const unknown = fc.record({
    key: hostileKey,
    value: fc.oneof(hostileString, fc.constant('')),
    repeat: fc.constant(undefined),
  });
  const rawQueries = fc.constantFrom(
    '&&&',
    '=',
    '==',
    '&=&',
    '%',
    '%%',
    '%ZZ=1',
    '[]=1',
    'a[b][c]=1',
    '__proto__[admin]=1',
    'constructor[prototype][admin]=1',
    '%00=%00',
    `${'a='.repeat(1500)}1`,
  );
  // Up to three parameters at once, mostly declared ones: a mix of legal and broken values reaches the handlers.
  const pairs = namedValue
    ? fc.array(fc.oneof({ arbitrary: namedValue, weight: 6 }, unknown), { minLength: 1, maxLength: 3 })
    : fc.array(unknown, { minLength: 1, maxLength: 2 });
  return fc
    .oneof(
      {
        arbitrary: fc.record({ pairs, mode: fc.constantFrom<EncodeMode>('strict', 'plus', 'sub-delims') }),
        weight: 12,
      },
      rawQueries.map((raw) => ({ raw })),
    )
    .map((choice) => {
      const draft = baseDraft(ctx, base, 'query');
      if ('raw' in choice) {
        draft.query = choice.raw;
        draft.places = ['query'];
        draft.note = `query ${choice.raw.slice(0, 40)}`;
        return draft;
      }
      const enc = (t: string) => percentEncode(t, choice.mode, true);
      const parts: string[] = [];
      for (const pair of choice.pairs) {
        parts.push(`${enc(pair.key)}=${enc(pair.value)}`);
        if (pair.repeat !== undefined) parts.push(`${enc(pair.key)}=${enc(pair.repeat)}`);
        // URLSearchParams decodes the key as the API sees it; a lone surrogate becomes U+FFFD.
        const seenKey = [...new URLSearchParams(`${enc(pair.key)}=`).keys()][0] ?? pair.key;
        draft.places.push(placeOf('query', [seenKey]));
      }
      draft.query = parts.join('&');
      draft.note = `query ${choice.pairs
        .map(
          (p) =>
            `${JSON.stringify(p.key).slice(0, 30)}=${JSON.stringify(p.value).slice(0, 40)}${p.repeat !== undefined ? ' (repeated)' : ''}`,
        )
        .join(' & ')}`;
      return draft;
    });
}

/**
 * A value the parameter's schema admits (mostly), chosen to be awkward: hostile text within the length limits,
 * any uuid, dates at the edges of the calendar, integers at and beyond 32 bits, keyset cursors with odd insides.
 * Such requests reach the handlers; the API may answer them as it likes, but never with a 5xx.
 */
function legalText(schema: Schema, name: string): fc.Arbitrary<string> {
  const s = resolve(schema);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]).map(String));
  if (s.type === 'boolean') return fc.constantFrom('true', 'false');
  if (s.type === 'integer' || s.type === 'number') {
    const min = (s.minimum as number | undefined) ?? Number.MIN_SAFE_INTEGER;
    const max = (s.maximum as number | undefined) ?? Number.MAX_SAFE_INTEGER;
    const huge = s.maximum === undefined ? ['1e20', '9007199254740993', '2147483648', '4294967296', 'Infinity'] : [];
    return fc.oneof(
      fc.integer({ min, max }).map(String),
      fc.constantFrom(String(min), String(max), `${min}.0`, `+${min}`, ...huge),
    );
  }
  if (s.format === 'uuid')
    return fc.oneof(
      fc.uuid().map((u) => u),
      fc.uuid().map((u) => u.toUpperCase()),
    );
  if (s.format === 'date-time') return dateGarbage;
  if (name === 'cursor') return cursorGarbage;
  if (typeof s.pattern === 'string') return fc.stringMatching(new RegExp(s.pattern as string));
  const min = (s.minLength as number | undefined) ?? 0;
  const max = (s.maxLength as number | undefined) ?? 1000;
  return hostileString.filter((v) => [...v].length >= min && [...v].length <= max);
}

function legalQueryArm(ctx: Context, base: Base): fc.Arbitrary<Draft> {
  const declared = ctx.operation.parameters.filter((p) => p.in === 'query');
  const pair = (p: SpecOperation['parameters'][number]) => legalText(p.schema, p.name).map((value) => [p.name, value]);
  return fc
    .subarray(declared, { minLength: 1 })
    .chain((chosen) => fc.tuple(...chosen.map(pair)))
    .map((pairs) => {
      const draft = baseDraft(ctx, base, 'query-legal');
      draft.query = pairs
        .map(([k, v]) => `${percentEncode(k!, 'strict', true)}=${percentEncode(v!, 'strict', true)}`)
        .join('&');
      draft.places = pairs.map(([k]) => placeOf('query', [k!]));
      draft.note = `legal query ${pairs.map(([k, v]) => `${k}=${JSON.stringify(v).slice(0, 40)}`).join(' & ')}`;
      return draft;
    });
}

function legalPathArm(ctx: Context, base: Base): fc.Arbitrary<Draft> {
  const declared = ctx.operation.parameters.filter((p) => p.in === 'path');
  return fc
    .constantFrom(...declared)
    .chain((p) => fc.tuple(fc.constant(p.name), legalText(p.schema, p.name)))
    .filter(([, value]) => value.length > 0)
    .map(([name, value]) => {
      const draft = baseDraft(ctx, base, 'path-legal');
      draft.pathParams[name] = percentEncode(value, 'strict', false);
      draft.places = [placeOf('path', [name])];
      draft.note = `legal path ${name}=${JSON.stringify(value).slice(0, 60)}`;
      return draft;
    });
}

const MALFORMED_SEGMENTS = [
  '%',
  '%zz',
  '%ED%A0%80',
  '%C0%AE',
  '%E0%A4%A',
  '%00',
  '%2F',
  '%5C',
  '%2e%2e',
  '..',
  '.',
  '...',
  '%u0041',
];

function pathArm(ctx: Context, base: Base): fc.Arbitrary<Draft> {
  const declared = ctx.operation.parameters.filter((p) => p.in === 'path');
  return fc
    .constantFrom(...declared)
    .chain((p) =>
      fc.record({
        name: fc.constant(p.name),
        segment: fc.oneof(
          {
            arbitrary: fc
              .record({
                text: fc.oneof(
                  textGarbage(p.schema, p.name),
                  fc.constantFrom('Baseline', 'baseline-', '-baseline', 'ba_se', 'a'.repeat(64)),
                ),
                mode: fc.constantFrom<EncodeMode>('strict', 'sub-delims'),
              })
              .map(({ text, mode }) => percentEncode(text, mode, false))
              .filter((t) => t.length > 0),
            weight: 5,
          },
          fc.constantFrom(...MALFORMED_SEGMENTS),
          fc.integer({ min: 100, max: 12_000 }).map((n) => 'a'.repeat(n)),
        ),
      }),
    )
    .map(({ name, segment }) => {
      const draft = baseDraft(ctx, base, 'path');
      draft.pathParams[name] = segment;
      draft.places = [placeOf('path', [name])];
      draft.note = `path ${name}=${segment.slice(0, 60)}`;
      return draft;
    });
}

function headerArm(ctx: Context, base: Base): fc.Arbitrary<Draft> {
  const declared = ctx.operation.parameters.filter((p) => p.in === 'header');
  return fc
    .record({
      parameter: fc.constantFrom(...declared),
      value: fc.oneof(
        fc.constantFrom(
          '*',
          'W/"1"',
          '"1',
          '1"',
          '"abc"',
          '"1", "2"',
          '"9999999999"',
          '"-1"',
          '""',
          '"1 "',
          '"0x1"',
          '"1e3"',
          'null',
        ),
        hostileString.map(headerSafe),
      ),
    })
    .map(({ parameter, value }) => {
      const draft = baseDraft(ctx, base, 'header');
      draft.headers[parameter.name.toLowerCase()] = value;
      draft.places = [placeOf('header', [parameter.name.toLowerCase()])];
      draft.note = `header ${parameter.name}: ${value.slice(0, 40)}`;
      return draft;
    });
}

function authorizationArm(ctx: Context, base: Base): fc.Arbitrary<Draft> {
  const admin = ctx.adminToken;
  return fc
    .oneof(
      fc.constantFrom(
        '',
        'Bearer',
        'Bearer ',
        'bearer',
        'Basic YWRtaW46YWRtaW4=',
        'Token abc',
        `Bearer  ${admin}`,
        `Bearer ${admin}x`,
        `Bearer ${admin.slice(0, -1)}`,
        `Bearer ${admin.toUpperCase()}`,
        `Bearer ${admin}, Bearer ${admin}`,
        `${admin}`,
        "Bearer ' OR 1=1--",
        "Bearer '||'1'='1",
        'Bearer null',
        'Bearer undefined',
        'Bearer ../../etc/passwd',
        'Bearer %00',
        `Bearer ${'x'.repeat(513)}`,
      ),
      fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 600 }).map((t) => headerSafe(`Bearer ${t}`)),
      hostileString.map((t) => headerSafe(`Bearer ${t}`)),
    )
    .map((authorization) => {
      const draft = baseDraft(ctx, base, 'authorization');
      draft.authorization = authorization;
      draft.places = ['header.authorization'];
      draft.proof = 'unauthenticated';
      draft.note = `Authorization: ${authorization.slice(0, 50)}`;
      return draft;
    });
}

function methodArm(ctx: Context, base: Base): fc.Arbitrary<Draft> | null {
  const declared = ctx.methodsByPath.get(ctx.operation.path) ?? [];
  const others = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'].filter((m) => !declared.includes(m));
  if (others.length === 0) return null;
  return fc.record({ method: fc.constantFrom(...others), withBody: fc.boolean() }).map(({ method, withBody }) => {
    const draft = baseDraft(ctx, base, 'method');
    draft.method = method;
    if (withBody)
      draft.body = { kind: 'json', value: base.body ?? {}, contentType: 'application/json', chunked: false };
    draft.places = ['method'];
    draft.proof = 'method-not-allowed';
    draft.note = `${method} on ${ctx.operation.path}`;
    return draft;
  });
}

/** Every way this suite breaks one operation's requests, weighted towards the places the operation has. */
export function badRequests(ctx: Context): fc.Arbitrary<Draft> {
  const { operation } = ctx;
  const base = baseOf(operation);
  const arms: Array<{ arbitrary: fc.Arbitrary<Draft>; weight: number }> = [
    { arbitrary: queryArm(ctx, base), weight: operation.parameters.some((p) => p.in === 'query') ? 8 : 3 },
  ];
  if (operation.requestBody) {
    arms.push(
      { arbitrary: bodyArm(ctx, base), weight: 12 },
      { arbitrary: malformedArm(ctx, base), weight: 2 },
      { arbitrary: contentTypeArm(ctx, base), weight: 1 },
      { arbitrary: contentEncodingArm(ctx, base), weight: 1 },
      { arbitrary: missingBodyArm(ctx, base), weight: 1 },
    );
  } else arms.push({ arbitrary: bodyOnBodylessArm(ctx, base), weight: 1 });
  if (operation.parameters.some((p) => p.in === 'path')) arms.push({ arbitrary: pathArm(ctx, base), weight: 6 });
  // Legal but awkward values reach the handlers of reads; mutations are only ever sent invalid requests.
  if (operation.method === 'get' && operation.parameters.some((p) => p.in === 'query'))
    arms.push({ arbitrary: legalQueryArm(ctx, base), weight: 8 });
  if (operation.method === 'get' && operation.parameters.some((p) => p.in === 'path'))
    arms.push({ arbitrary: legalPathArm(ctx, base), weight: 3 });
  if (operation.parameters.some((p) => p.in === 'header')) arms.push({ arbitrary: headerArm(ctx, base), weight: 2 });
  if (operation.roles !== 'public') arms.push({ arbitrary: authorizationArm(ctx, base), weight: 1 });
  const method = methodArm(ctx, base);
  if (method) arms.push({ arbitrary: method, weight: 1 });
  return fc.oneof(...arms);
}

/** A base request broken so that the contract refuses it, for a request whose own break turned out valid. */
export function forceInvalid(operation: SpecOperation, draft: Draft): Draft {
  const forced: Draft = { ...draft, places: [...draft.places], note: `${draft.note} + an unknown field` };
  const root = operation.requestBody ? branchOf(operation.requestBody.schema, draft.body?.value) : null;
  if (draft.body?.kind === 'json' && isObject(draft.body.value) && root?.additionalProperties === false) {
    const value = { ...draft.body.value };
    defineOwn(value, 'zzUnknown', true);
    forced.body = { ...draft.body, value };
    forced.places.push('body.zzUnknown');
  } else {
    forced.query = draft.query ? `${draft.query}&zz-unknown=1` : 'zz-unknown=1';
    forced.places.push('query.zz-unknown');
  }
  return forced;
}

export function describeDraft(draft: Draft, wire: Wire): string {
  const body = wire.body
    ? ` body(${wire.body.length} bytes${wire.chunked ? ', chunked' : ''}): ${wire.body.subarray(0, 200).toString('utf8')}`
    : '';
  return `[${draft.arm}] ${draft.note} -> ${wire.method} ${wire.path.slice(0, 300)}${body}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Judging answers

/** Whether a problem's `field` names one of the places (or a parent of one, whose detail names the leaf). */
export function namesPlace(field: string | undefined, detail: string, places: string[]): boolean {
  if (field === undefined) return false;
  const norm = (f: string) => f.replace(/\[(\d+)\]/g, '.$1');
  const f = norm(field);
  return places.some((p) => {
    const q = norm(p);
    if (f === q || f.startsWith(`${q}.`)) return true;
    const leaf = q.slice(q.lastIndexOf('.') + 1);
    return q.startsWith(`${f}.`) && detail.includes(leaf);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Sending

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  contentType: string;
  text: string;
  body: unknown;
}

/**
 * Sends a request and reads the whole answer. A kept-alive connection the API closed meanwhile (it closes one
 * after refusing a body it did not read, and idle ones after 5 s) fails on reuse: that is retried once.
 */
export async function send(url: string, wire: Wire, agent: http.Agent): Promise<Answer> {
  try {
    return await sendOnce(url, wire, agent);
  } catch (error) {
    if (!(error as { reusedSocket?: boolean }).reusedSocket) throw error;
    return sendOnce(url, wire, agent);
  }
}

function sendOnce(url: string, wire: Wire, agent: http.Agent): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolvePromise, reject) => {
    let answered = false;
    const request = http.request(
      { host: hostname, port, method: wire.method, path: wire.path, headers: wire.headers, agent },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          answered = true;
          const text = Buffer.concat(chunks).toString('utf8');
          const contentType = String(response.headers['content-type'] ?? '')
            .split(';')[0]!
            .trim();
          let body: unknown = text || undefined;
          if (contentType.endsWith('json') && text) {
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
          resolvePromise({ status: response.statusCode ?? 0, headers: response.headers, contentType, text, body });
        });
      },
    );
    request.setTimeout(20_000, () => request.destroy(new Error('no answer within 20 s')));
    request.on('error', (error) => {
      // The API may answer (413, 400) before it has read a body it refuses; the rest of the upload then fails.
      if (answered) return;
      const code = (error as NodeJS.ErrnoException).code;
      reject(
        Object.assign(error, { reusedSocket: request.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE') }),
      );
    });
    if (wire.chunked) {
      request.setHeader('transfer-encoding', 'chunked');
      const body = wire.body ?? Buffer.alloc(0);
      const half = Math.floor(body.length / 2);
      if (half > 0) request.write(body.subarray(0, half));
      request.end(body.length > half ? body.subarray(half) : undefined);
    } else if (wire.body && wire.body.length > 0) {
      request.setHeader('content-length', String(wire.body.length));
      request.end(wire.body);
    } else request.end();
  });
}

export interface RawAnswer {
  /** The status of every answer on the connection (a request cut short by a stray CRLF makes two). */
  statuses: number[];
  /** The headers of the first answer. */
  headers: Record<string, string>;
  /** The connection stayed open, silent, until the timeout. */
  timedOut: boolean;
  bytes: number;
}

/**
 * Sends bytes as they are over a fresh connection and reads what comes back until the API closes it. The client
 * never half-closes: Node aborts a request whose client has ended its side before the answer is written.
 */
export function sendRaw(url: string, bytes: Buffer, timeoutMs = 3000): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolvePromise) => {
    const chunks: Buffer[] = [];
    let timedOut = false;
    const socket = net.connect(Number(port), hostname);
    const finish = () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
      const headers: Record<string, string> = {};
      for (const line of (text.split('\r\n\r\n')[0] ?? '').split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolvePromise({ statuses, headers, timedOut, bytes: text.length });
    };
    socket.setTimeout(timeoutMs, () => {
      timedOut = true;
      socket.destroy();
    });
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', finish);
    socket.write(bytes);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The database's fingerprint

export interface TableFingerprint {
  rows: number;
  md5: string | null;
}

/**
 * Row count and an md5 of the sorted rows of every table but `skip`; `volatile` columns (bookkeeping that merely
 * authenticating changes, such as a token's last use) are left out of the checksum.
 */
export async function fingerprint(
  knex: Knex,
  skip: readonly string[],
  volatile: Record<string, readonly string[]>,
): Promise<Record<string, TableFingerprint>> {
  const { rows: tables } = await knex.raw<{ rows: Array<{ name: string }> }>(
    `select table_name as name from information_schema.tables
     where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1`,
  );
  const out: Record<string, TableFingerprint> = {};
  for (const { name } of tables) {
    if (skip.includes(name)) continue;
    const { rows } = await knex.raw<{ rows: Array<{ rows: number; md5: string | null }> }>(
      `select count(*)::int as rows, md5(string_agg(r::text, ',' order by r::text)) as md5
       from (select to_jsonb(t) - ?::text[] as r from ?? as t) s`,
      [[...(volatile[name] ?? [])], name],
    );
    out[name] = rows[0]!;
  }
  return out;
}
