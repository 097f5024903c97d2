/** The replicated product's local part, in JavaScript and WebAssembly, against BigInt arithmetic mod 2^128. */
import { describe, expect, it } from 'vitest';
import { testRng } from '../../../test/harness.js';
import { fromBig, toBig } from '../spdz2k/z2k.js';
import { crossTerms } from './ring128.js';
import { invSqrt2k } from './rep3m.js';
import { Rep3mKernels } from './wasm.js';

const M = (1n << 128n) - 1n;
const EDGES = [0n, 1n, M, M - 1n, (1n << 64n) - 1n, 1n << 64n, 1n << 127n, (1n << 63n) + 5n];

function randomBig(r: () => number): bigint {
  let x = 0n;
  for (let k = 0; k < 4; k++) x = (x << 32n) | BigInt(Math.floor(r() * 2 ** 32));
  return x;
}

describe('rep3m local product over Z_2^128', () => {
  const r = testRng(7);
  // Every edge against every edge in each position, then random values.
  const cols: bigint[][] = [[], [], [], [], [], []];
  for (const e of EDGES)
    for (const f of EDGES) {
      cols[0]!.push(e, f);
      cols[1]!.push(f, e);
      cols[2]!.push(e, e);
      cols[3]!.push(f, f);
      cols[4]!.push(e, M);
      cols[5]!.push(f, 1n);
    }
  for (let i = 0; i < 200; i++) for (const c of cols) c.push(randomBig(r));
  const [xa, xb, ya, yb, za, zb] = cols.map((c) => fromBig(2, c)) as [
    BigUint64Array,
    BigUint64Array,
    BigUint64Array,
    BigUint64Array,
    BigUint64Array,
    BigUint64Array,
  ];
  const want = cols[0]!.map((_, i) => {
    const [a, b, c, d] = cols.map((col) => col[i]!) as [bigint, bigint, bigint, bigint];
    return (a * (c + d) + b * c) & M;
  });

  it('crossTerms (JavaScript) matches BigInt arithmetic', () => {
    const got = crossTerms(xa, xb, ya, yb);
    expect(want.map((_, i) => toBig(2, got, i))).toEqual(want);
  });

  it('the WebAssembly kernel matches, with the zero share za - zb added', () => {
    const k = Rep3mKernels.create();
    expect(k).toBeDefined();
    const out = new BigUint64Array(xa.length);
    k!.product(
      xa,
      xb,
      ya,
      yb,
      (a, b) => {
        a.set(new Uint8Array(za.buffer));
        b.set(new Uint8Array(zb.buffer));
      },
      out,
    );
    const withZero = want.map((w, i) => (w + cols[4]![i]! - cols[5]![i]!) & M);
    expect(withZero.map((_, i) => toBig(2, out, i))).toEqual(withZero);
  });

  it('refuses vectors of different lengths', () => {
    expect(() => crossTerms(xa, xb.subarray(2), ya, yb)).toThrow(RangeError);
  });
});

describe('rep3m random bits: the inverse of a square root mod 2^66', () => {
  it('t^2 s = 1 mod 2^66 for odd squares s, edges and random', () => {
    const r = testRng(3);
    const M66 = (1n << 66n) - 1n;
    const odd = [1n, 3n, M66, (1n << 65n) + 1n, (1n << 64n) - 1n];
    for (let i = 0; i < 300; i++) odd.push(randomBig(r) | 1n);
    for (const a of odd) {
      const s = (a * a) & M66;
      const t = invSqrt2k(s, 66);
      expect((s * t * t) & M66, `a = ${a}`).toBe(1n);
      // a t = +-1 mod 2^65: the bit (a t + 1) / 2 is 0 or 1 mod 2^64.
      const bit = ((((a * t) & ((1n << 65n) - 1n)) + 1n) >> 1n) & ((1n << 64n) - 1n);
      expect(bit === 0n || bit === 1n).toBe(true);
    }
  });
});

describe('rep3m random bits: the inverse square root kernel', () => {
  it('matches invSqrt2k mod 2^66 on odd squares', () => {
    const r = testRng(5);
    const M66 = (1n << 66n) - 1n;
    const odd = [1n, 3n, M66, (1n << 65n) + 1n, (1n << 64n) - 1n];
    for (let i = 0; i < 300; i++) odd.push(randomBig(r) | 1n);
    const squares = odd.map((a) => (a * a) & M66);
    const t = Rep3mKernels.create()!.invSqrt(fromBig(2, squares));
    squares.forEach((s, i) => expect(toBig(2, t, i) & M66, `s = ${s}`).toBe(invSqrt2k(s, 66)));
  });
});
