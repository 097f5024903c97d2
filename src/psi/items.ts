/**
 * PSI inputs: every element becomes a 16-byte digest (SHA-256 of its UTF-8
 * bytes, truncated), so the protocols work on fixed-width blocks in typed
 * arrays. Two distinct elements collide with probability about n^2 / 2^129
 * (negligible for any set this library handles).
 *
 * Duplicates: a set has each element once. `digestSet` keeps the first
 * occurrence of each element and reports where it came from, so callers can
 * map results back to their rows.
 */
import { sha256 } from '@noble/hashes/sha2.js';

/** Bytes per element digest. */
export const DIGEST_BYTES = 16;

/** Distinct elements as digests, with the input position of each. */
export interface DigestSet {
  /** n digests of 16 bytes, element k at bytes [16 k, 16 k + 16). */
  readonly digests: Uint8Array;
  /** source[k]: index in the caller's input of the element behind digest k. */
  readonly source: Uint32Array;
}

const TEXT = new TextEncoder();
const LABEL = TEXT.encode('entente/psi/element/v1\0');

/** The 16-byte digest of one element (strings as UTF-8). */
export function digestOf(element: string | Uint8Array): Uint8Array {
  const body = typeof element === 'string' ? TEXT.encode(element) : element;
  const msg = new Uint8Array(LABEL.length + body.length);
  msg.set(LABEL);
  msg.set(body, LABEL.length);
  return sha256(msg).subarray(0, DIGEST_BYTES);
}

/**
 * Digests of the distinct elements of `elements`, first occurrences kept.
 * Empty input gives the empty set.
 */
export function digestSet(elements: ReadonlyArray<string | Uint8Array>): DigestSet {
  const digests = new Uint8Array(DIGEST_BYTES * elements.length);
  const source = new Uint32Array(elements.length);
  const seen = new Set<string>();
  let k = 0;
  for (let i = 0; i < elements.length; i++) {
    const e = elements[i]!;
    const key = typeof e === 'string' ? e : `\0bytes:${hex(e)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    digests.set(digestOf(e), DIGEST_BYTES * k);
    source[k++] = i;
  }
  return { digests: digests.slice(0, DIGEST_BYTES * k), source: source.slice(0, k) };
}

/**
 * Distinct digests of an array of 16-byte digests (duplicates dropped, first
 * kept): for callers that bring their own digests (benchmarks, other layers).
 */
export function distinctDigests(digests: Uint8Array): DigestSet {
  if (digests.length % DIGEST_BYTES !== 0)
    throw new RangeError(`psi: digests must be a multiple of 16 bytes, got ${digests.length}`);
  const n = digests.length / DIGEST_BYTES;
  const w = new Uint32Array(digests.slice().buffer);
  const table = new HashIndex(n);
  const source = new Uint32Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) if (table.insertIfAbsent(w, i)) source[k++] = i;
  if (k === n) return { digests: digests.slice(), source: Uint32Array.from(source) };
  const out = new Uint8Array(DIGEST_BYTES * k);
  for (let j = 0; j < k; j++)
    out.set(digests.subarray(DIGEST_BYTES * source[j]!, DIGEST_BYTES * source[j]! + 16), 16 * j);
  return { digests: out, source: source.slice(0, k) };
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/**
 * Open-addressing index over 128-bit keys held in a caller's word array
 * (four words per key): no per-element objects, so millions of keys fit in
 * two typed arrays.
 */
export class HashIndex {
  readonly #slots: Int32Array;
  readonly #mask: number;
  #keys: Uint32Array | undefined;

  constructor(capacity: number) {
    let size = 16;
    while (size < 2 * capacity) size *= 2;
    this.#slots = new Int32Array(size).fill(-1);
    this.#mask = size - 1;
  }

  /** Inserts key i of `keys` unless an equal key is present; true if inserted. */
  insertIfAbsent(keys: Uint32Array, i: number): boolean {
    this.#keys = keys;
    const s = this.#slots;
    let h = mix(keys[4 * i]! ^ keys[4 * i + 3]!) & this.#mask;
    for (;;) {
      const j = s[h]!;
      if (j < 0) {
        s[h] = i;
        return true;
      }
      if (same(keys, j, keys, i)) return false;
      h = (h + 1) & this.#mask;
    }
  }

  /** Inserts keys 0..n-1 of `keys` (duplicates keep the first). */
  insertAll(keys: Uint32Array, n: number): void {
    this.insertRange(keys, 0, n);
  }

  /** Inserts keys from..to-1 of `keys` (one array for every call on this index). */
  insertRange(keys: Uint32Array, from: number, to: number): void {
    for (let i = from; i < to; i++) this.insertIfAbsent(keys, i);
  }

  /** Index of a key equal to key i of `probe`, or -1. */
  find(probe: Uint32Array, i: number): number {
    const keys = this.#keys;
    if (!keys) return -1;
    const s = this.#slots;
    let h = mix(probe[4 * i]! ^ probe[4 * i + 3]!) & this.#mask;
    for (;;) {
      const j = s[h]!;
      if (j < 0) return -1;
      if (same(keys, j, probe, i)) return j;
      h = (h + 1) & this.#mask;
    }
  }
}

function same(a: Uint32Array, i: number, b: Uint32Array, j: number): boolean {
  return (
    a[4 * i] === b[4 * j] &&
    a[4 * i + 1] === b[4 * j + 1] &&
    a[4 * i + 2] === b[4 * j + 2] &&
    a[4 * i + 3] === b[4 * j + 3]
  );
}

/** A cheap 32-bit finaliser (keys are already pseudo-random; this only spreads structured ones). */
function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}
