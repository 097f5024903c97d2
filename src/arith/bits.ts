/**
 * Packed vectors over GF(2): 64 bits per BigUint64Array word.
 *
 * Two layouts use this storage. A *bit vector* packs one bit per element
 * (element i is bit i % 64 of word i / 64). A *word-sliced* vector keeps one
 * k-bit value per word, so a single AND over the array evaluates 64 gates per
 * element; the rep3 comparison circuits use that layout.
 */

export type BitVec = BigUint64Array;

export function wordsFor(nbits: number): number {
  return Math.ceil(nbits / 64);
}

export function xor(a: BitVec, b: BitVec, out = new BigUint64Array(a.length)): BitVec {
  if (a.length !== b.length)
    throw new RangeError(`bits.xor: lengths differ (${a.length} and ${b.length})`);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

export function and(a: BitVec, b: BitVec, out = new BigUint64Array(a.length)): BitVec {
  if (a.length !== b.length)
    throw new RangeError(`bits.and: lengths differ (${a.length} and ${b.length})`);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! & b[i]!;
  return out;
}

export function not(a: BitVec, out = new BigUint64Array(a.length)): BitVec {
  for (let i = 0; i < a.length; i++) out[i] = ~a[i]!;
  return out;
}

/** Shifts every word left by s bits (bits leaving the top of a word are dropped). */
export function shiftLeft(a: BitVec, s: number, out = new BigUint64Array(a.length)): BitVec {
  const k = BigInt(s);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! << k;
  return out;
}

export function getBit(v: BitVec, i: number): 0 | 1 {
  return Number((v[i >>> 6]! >> BigInt(i & 63)) & 1n) as 0 | 1;
}

export function setBit(v: BitVec, i: number, bit: 0 | 1): void {
  const w = i >>> 6;
  const m = 1n << BigInt(i & 63);
  v[w] = bit ? v[w]! | m : v[w]! & ~m;
}

/** Extracts bit `j` of each word into a 0/1 ring vector. */
export function extractBit(words: BigUint64Array, j: number): BigUint64Array {
  const out = new BigUint64Array(words.length);
  const k = BigInt(j);
  for (let i = 0; i < words.length; i++) out[i] = (words[i]! >> k) & 1n;
  return out;
}
