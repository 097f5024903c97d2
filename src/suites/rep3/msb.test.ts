/**
 * The bit-sliced layout of msb.ts against a bit-by-bit reference, and the
 * 64-bit addition on halves against BigInt. The protocol itself (signShares)
 * is tested through rep3Ltz in compare.test.ts, all three parties run for real.
 */
import { describe, expect, it } from 'vitest';
import { testRng } from '../../../test/harness.js';
import { addWords, toPlanes } from './msb.js';

function words(n: number, seed: number): BigUint64Array {
  const r = testRng(seed);
  const out = new BigUint64Array(n);
  for (let k = 0; k < n; k++) {
    let v = 0n;
    for (let j = 0; j < 4; j++) v = (v << 16n) | BigInt(Math.floor(r() * 65536));
    out[k] = v;
  }
  // Edges: 0, all ones, top bit alone, bit 31 and bit 32 alone.
  const edges = [0n, (1n << 64n) - 1n, 1n << 63n, 1n << 31n, 1n << 32n];
  for (let k = 0; k < Math.min(n, edges.length); k++) out[k] = edges[k]!;
  return out;
}

describe('rep3 msb planes', () => {
  it.each([
    [0, 5],
    [1, 1],
    [31, 32],
    [32, 33],
    [33, 64],
    [100, 47],
    [1000, 31],
  ])('toPlanes of %i words, %i bit positions, matches bit extraction', (n, count) => {
    const src = words(n, n + count);
    const got = toPlanes(src, count);
    const M = Math.ceil(n / 32);
    expect(got.length).toBe(count * M);
    for (let j = 0; j < count; j++)
      for (let k = 0; k < n; k++) {
        const bit = (got[j * M + (k >>> 5)]! >>> (k & 31)) & 1;
        expect(bit).toBe(Number((src[k]! >> BigInt(j)) & 1n));
      }
    // Bits past n in each plane's last word are zero.
    if (n % 32 !== 0)
      for (let j = 0; j < count; j++) expect(got[j * M + M - 1]! >>> (n % 32)).toBe(0);
  });

  it('addWords adds mod 2^64 with the carry between halves', () => {
    const a = words(500, 1);
    const b = words(500, 2);
    b[0] = 1n;
    a[0] = (1n << 64n) - 1n;
    a[1] = 0xffffffffn;
    b[1] = 1n;
    const out = new BigUint64Array(500);
    addWords(a, b, out);
    for (let k = 0; k < 500; k++) expect(out[k]).toBe(BigInt.asUintN(64, a[k]! + b[k]!));
  });
});
