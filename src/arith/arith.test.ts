/** Ring, field and bit-vector kernels against BigInt arithmetic, with fast-check and edges. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as bits from './bits.js';
import * as F from './field127.js';
import * as ring from './ring64.js';

const M = 1n << 64n;
const u64 = fc.bigInt({ min: 0n, max: M - 1n });
const EDGES = [0n, 1n, M - 1n, 1n << 63n, (1n << 63n) - 1n, 2n];
const vecs = fc.array(fc.tuple(u64, u64), { maxLength: 30 });

describe('ring64 (Z_2^64)', () => {
  it('adds, subtracts, negates and multiplies mod 2^64 like BigInt', () => {
    fc.assert(
      fc.property(vecs, (pairs) => {
        const all = [
          ...pairs,
          ...EDGES.flatMap((x) => EDGES.map((y) => [x, y] as [bigint, bigint])),
        ];
        const a = BigUint64Array.from(all.map((p) => p[0]));
        const b = BigUint64Array.from(all.map((p) => p[1]));
        expect(Array.from(ring.add(a, b))).toEqual(all.map(([x, y]) => (x + y) % M));
        expect(Array.from(ring.sub(a, b))).toEqual(all.map(([x, y]) => (((x - y) % M) + M) % M));
        expect(Array.from(ring.neg(a))).toEqual(all.map(([x]) => (M - x) % M));
        expect(Array.from(ring.mul(a, b))).toEqual(all.map(([x, y]) => (x * y) % M));
      }),
    );
  });
  it('scales, sums and sums in groups with wrap-around', () => {
    const a = BigUint64Array.of(M - 1n, M - 1n, 5n, 7n);
    expect(ring.sum(a)).toBe((2n * (M - 1n) + 12n) % M);
    expect(Array.from(ring.sumGroups(a, 2))).toEqual([M - 2n, 12n]);
    expect(Array.from(ring.mulScalar(a, -1n))).toEqual([1n, 1n, M - 5n, M - 7n]);
    expect(Array.from(ring.addScalar(a, 1n))).toEqual([0n, 0n, 6n, 8n]);
    expect(ring.sum(new BigUint64Array(0))).toBe(0n);
    expect(() => ring.sumGroups(a, 3)).toThrow(/not a multiple/);
    expect(() => ring.add(a, new BigUint64Array(3))).toThrow(/lengths differ/);
  });
  it('reduces to Z_2^k as signed k-bit values', () => {
    fc.assert(
      fc.property(u64, fc.integer({ min: 1, max: 64 }), (x, k) => {
        const got = ring.toSigned(ring.reduceSigned(BigUint64Array.of(x), k))[0];
        expect(got).toBe(BigInt.asIntN(k, x));
      }),
    );
    expect(() => ring.reduceSigned(new BigUint64Array(1), 0)).toThrow(RangeError);
  });
});

describe('field127 (F_p, p = 2^127 - 1)', () => {
  const fe = fc.bigInt({ min: 0n, max: F.P - 1n });
  const FEDGES = [0n, 1n, F.P - 1n, F.P - 2n, 1n << 64n, (1n << 64n) - 1n, 1n << 126n];
  it('matches BigInt modular arithmetic', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fe, fe), { maxLength: 20 }), (pairs) => {
        const all = [
          ...pairs,
          ...FEDGES.flatMap((x) => FEDGES.map((y) => [x, y] as [bigint, bigint])),
        ];
        const a = F.fromBigInts(all.map((p) => p[0]));
        const b = F.fromBigInts(all.map((p) => p[1]));
        const mod = (x: bigint) => ((x % F.P) + F.P) % F.P;
        expect(F.toBigInts(F.add(a, b))).toEqual(all.map(([x, y]) => mod(x + y)));
        expect(F.toBigInts(F.sub(a, b))).toEqual(all.map(([x, y]) => mod(x - y)));
        expect(F.toBigInts(F.mul(a, b))).toEqual(all.map(([x, y]) => mod(x * y)));
        expect(F.toBigInts(F.neg(a))).toEqual(all.map(([x]) => mod(-x)));
      }),
      { numRuns: 20 },
    );
  });
  it('inverts, and refuses to invert zero', () => {
    fc.assert(
      fc.property(
        fe.filter((x) => x !== 0n),
        (x) => {
          expect(F.reduce(x * F.inv(x))).toBe(1n);
        },
      ),
    );
    expect(() => F.inv(0n)).toThrow(/zero/);
  });
  it('encodes signed integers and reads them back centered', () => {
    const xs = BigInt64Array.of(0n, -1n, 1n, -(1n << 63n), (1n << 63n) - 1n);
    expect(F.toBigInts(F.fromSigned(xs)).map(F.centered)).toEqual(Array.from(xs));
  });
});

describe('bits (GF(2))', () => {
  it('xors, ands, negates and shifts whole words', () => {
    const a = BigUint64Array.of(0b1100n, M - 1n);
    const b = BigUint64Array.of(0b1010n, 1n);
    expect(Array.from(bits.xor(a, b))).toEqual([0b0110n, M - 2n]);
    expect(Array.from(bits.and(a, b))).toEqual([0b1000n, 1n]);
    expect(Array.from(bits.not(a))).toEqual([M - 1n - 0b1100n, 0n]);
    expect(Array.from(bits.shiftLeft(a, 1))).toEqual([0b11000n, M - 2n]);
    expect(Array.from(bits.extractBit(a, 3))).toEqual([1n, 1n]);
  });
  it('sets and gets packed bits', () => {
    const v = new BigUint64Array(bits.wordsFor(130));
    for (const i of [0, 63, 64, 129]) bits.setBit(v, i, 1);
    expect([0, 1, 63, 64, 65, 129].map((i) => bits.getBit(v, i))).toEqual([1, 0, 1, 1, 0, 1]);
    bits.setBit(v, 63, 0);
    expect(bits.getBit(v, 63)).toBe(0);
  });
});
