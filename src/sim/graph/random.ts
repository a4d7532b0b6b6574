/**
 * Deterministic randomness for the emulated tenant: a small seeded PRNG, integer hashing to derive
 * independent streams per (seed, entity, purpose), and GUIDs that embed their entity's index through
 * an invertible permutation, so an id can be resolved without keeping a 100,000-entry lookup table.
 */
import { randomUUID } from 'node:crypto';

// Hot loops use these through module constants: a global lookup is slow inside vm contexts (jest),
// which made fleet generation ten times slower there.
const imul = Math.imul;
const floor = Math.floor;

/** 32-bit integer hash (the finaliser of murmur3, chained over the parts). */
export function hash32(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h = imul(h ^ (part >>> 0), 0x01000193);
    h ^= h >>> 16;
    h = imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Hash of a string to 32 bits (FNV-1a then mixed), for seeds derived from names. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = imul(h ^ text.charCodeAt(i), 0x01000193);
  return hash32(h);
}

const HEX_BYTES = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** mulberry32: tiny, fast and good enough for test data; one instance per independent stream. */
export class Rng {
  /** Kept as a signed 32-bit value, so V8 stores it unboxed. */
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + floor(this.float() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[floor(this.float() * items.length)];
    if (item === undefined) throw new Error('Rng.pick on an empty list');
    return item;
  }

  /** Picks from [item, weight] pairs; weights need not sum to 1. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, weight] of items) total += weight;
    let target = this.float() * total;
    for (const [item, weight] of items) {
      target -= weight;
      if (target < 0) return item;
    }
    const last = items[items.length - 1];
    if (!last) throw new Error('Rng.weighted on an empty list');
    return last[0];
  }

  /** `length` lowercase hex digits. */
  hex(length: number): string {
    let out = '';
    while (out.length < length) {
      const v = this.nextUint32();
      out += `${HEX_BYTES[v >>> 24]}${HEX_BYTES[(v >>> 16) & 255]}${HEX_BYTES[(v >>> 8) & 255]}${HEX_BYTES[v & 255]}`;
    }
    return out.length === length ? out : out.slice(0, length);
  }

  /** `length` decimal digits (the first may be 0). */
  digits(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += String(this.nextUint32() % 10);
    return out;
  }

  /** `length` characters from `alphabet`. */
  chars(alphabet: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[this.nextUint32() % alphabet.length];
    return out;
  }
}

/**
 * A keyed bijection on 32-bit integers (a 4-round Feistel network on 16-bit halves). It spreads
 * consecutive indexes over the whole id space and can be inverted to recover the index.
 */
export class IndexPermutation {
  private readonly roundKeys: number[];

  constructor(key: number) {
    this.roundKeys = [1, 2, 3, 4].map((round) => hash32(key, round));
  }

  forward(value: number): number {
    let left = (value >>> 16) & 0xffff;
    let right = value & 0xffff;
    for (const roundKey of this.roundKeys) {
      const next = left ^ (hash32(right, roundKey) & 0xffff);
      left = right;
      right = next;
    }
    return ((left << 16) | right) >>> 0;
  }

  inverse(value: number): number {
    let left = (value >>> 16) & 0xffff;
    let right = value & 0xffff;
    for (let i = this.roundKeys.length - 1; i >= 0; i--) {
      const previous = right ^ (hash32(left, this.roundKeys[i] ?? 0) & 0xffff);
      right = left;
      left = previous;
    }
    return ((left << 16) | right) >>> 0;
  }
}

const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * Version-4-shaped GUIDs for one kind of entity: the first 32 bits are the permuted index, the other
 * 90 free bits come from a hash of (key, index). `indexOf` recovers the index and re-derives the GUID
 * to confirm, so a made-up id never resolves to an entity.
 */
export class IndexedGuids {
  private readonly permutation: IndexPermutation;

  constructor(private readonly key: number) {
    this.permutation = new IndexPermutation(key);
  }

  guidOf(index: number): string {
    const head = this.permutation.forward(index).toString(16).padStart(8, '0');
    const rng = new Rng(hash32(this.key, index, 0x9e3779b9));
    const tail = rng.hex(24);
    const variant = ((Number.parseInt(tail[7] ?? '0', 16) & 0x3) | 0x8).toString(16);
    return `${head}-${tail.slice(0, 4)}-4${tail.slice(4, 7)}-${variant}${tail.slice(8, 11)}-${tail.slice(11, 23)}`;
  }

  /** The index whose GUID is `id`, or undefined. Case-insensitive like Graph ids. */
  indexOf(id: string, count: number): number | undefined {
    const normalized = id.toLowerCase();
    if (!GUID_PATTERN.test(normalized)) return undefined;
    const index = this.permutation.inverse(Number.parseInt(normalized.slice(0, 8), 16));
    if (index >= count) return undefined;
    return this.guidOf(index) === normalized ? index : undefined;
  }
}

/** A random (not seeded) v4 GUID, for request ids and entities created at run time. */
export function randomGuid(): string {
  return randomUUID();
}

const ANY_GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return ANY_GUID_PATTERN.test(value);
}
