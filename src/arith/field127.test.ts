/**
 * The WebAssembly kernels of F_p (p = 2^127 - 1) against the BigInt
 * reference, on random vectors and on the edges of the representation
 * (0, 1, p - 1, p itself as a non-canonical 0, limb boundaries), for
 * lengths 0, 1 and beyond one scratch chunk.
 */
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { Prg } from '../random/prg.js';
import * as F from './field127.js';

const P = F.P;
const prg = new Prg(
  Uint8Array.from({ length: 16 }, (_, i) => 31 * i + 5),
  nodeCryptoProvider,
);
const random = (n: number) => F.fromRandomWords(prg.words(2 * n));

/** Raw 127-bit values (p allowed, as the kernels accept it). */
function raw(xs: readonly bigint[]): F.FieldVec {
  const v = F.alloc(xs.length);
  xs.forEach((x, i) => {
    v[2 * i] = x & 0xffffffffffffffffn;
    v[2 * i + 1] = x >> 64n;
  });
  return v;
}

const EDGES = [
  0n,
  1n,
  2n,
  P - 1n,
  P - 2n,
  P, // non-canonical zero
  P >> 1n,
  (P >> 1n) + 1n,
  0xffffffffn,
  1n << 32n,
  (1n << 64n) - 1n,
  1n << 64n,
  (1n << 96n) - 1n,
  1n << 96n,
  1n << 126n,
];

/** Every pair of edges, then random elements; `extra` more random ones. */
function operands(extra = 300): [F.FieldVec, F.FieldVec] {
  const a = raw(EDGES.flatMap((x) => EDGES.map(() => x)));
  const b = raw(EDGES.flatMap(() => EDGES));
  return [F.concat([a, random(extra)]), F.concat([b, random(extra)])];
}

const canonical = (v: F.FieldVec) => F.toBigInts(v).every((x) => x >= 0n && x < P);

describe('field127 kernels against BigInt', () => {
  it('uses WebAssembly here', () => {
    expect(F.accelerated()).toBe(true);
  });

  it.each([
    ['add', F.add, F.reference.add],
    ['sub', F.sub, F.reference.sub],
    ['mul', F.mul, F.reference.mul],
  ] as const)('%s on edges and random elements', (_name, fast, slow) => {
    const [a, b] = operands();
    const got = fast(a, b);
    expect(got).toEqual(slow(a, b));
    expect(canonical(got)).toBe(true);
  });

  it('neg, and scalar add and multiply, on edges', () => {
    const [a] = operands();
    expect(F.neg(a)).toEqual(F.reference.neg(a));
    for (const c of [0n, 1n, -1n, P - 1n, 3n, 1n << 100n, -(1n << 90n)]) {
      expect(F.mulScalar(a, c)).toEqual(F.reference.mulScalar(a, c));
      expect(F.addScalar(a, c)).toEqual(F.reference.addScalar(a, c));
    }
  });

  it('handles lengths 0 and 1, and vectors longer than one scratch chunk', () => {
    expect(F.mul(F.alloc(0), F.alloc(0))).toEqual(F.alloc(0));
    const one = raw([P - 1n]);
    expect(F.toBigInts(F.mul(one, one))).toEqual([1n]);
    expect(F.toBigInts(F.mulScalar(one, 5n))).toEqual([P - 5n]);
    const n = 200_000;
    const a = random(n);
    const b = random(n);
    const got = F.mul(a, b);
    for (const i of [0, 1, 81_919, 81_920, 81_921, 163_840, n - 1]) {
      expect(F.get(got, i)).toBe((F.get(a, i) * F.get(b, i)) % P);
    }
  });

  it('rejects vectors of different lengths', () => {
    expect(() => F.add(F.alloc(2), F.alloc(3))).toThrow(/field127.add: vector lengths differ/);
    expect(() => F.mul(F.alloc(1), F.alloc(0))).toThrow(RangeError);
  });

  it('computes linear combinations with small, signed and full coefficients', () => {
    const [a, b] = operands();
    const c = random(F.length(a));
    const cases: bigint[][] = [
      [3n, -3n, 1n],
      [(1n << 32n) - 1n, -((1n << 32n) - 1n), 0n],
      [-1n, -1n, -1n],
      [P - 1n, 1n << 100n, -7n],
      [1n << 32n, 0n, 5n],
    ];
    for (const k of cases) {
      expect(F.linearCombination([a, b, c], k)).toEqual(
        F.reference.linearCombination([a, b, c], k),
      );
    }
    expect(F.toBigInts(F.linearCombination([raw([5n])], [-2n]))).toEqual([P - 10n]);
    expect(() => F.linearCombination([], [])).toThrow(RangeError);
    expect(() => F.linearCombination([a], [1n, 2n])).toThrow(/2 coefficients/);
  });

  it('splits linear combinations with more terms than its table holds', () => {
    const k = 20_000; // 16-byte small entries and 48-byte full ones both overflow 256 KiB
    const vs = Array.from({ length: k }, () => random(3));
    const small = Array.from({ length: k }, (_, j) => BigInt(j % 2 ? j : -j));
    const full = Array.from({ length: k }, (_, j) => (1n << 90n) + BigInt(j));
    expect(F.linearCombination(vs, small)).toEqual(F.reference.linearCombination(vs, small));
    expect(F.linearCombination(vs, full)).toEqual(F.reference.linearCombination(vs, full));
  });

  it('computes grouped inner products and sums, including groups longer than a chunk', () => {
    const [a, b] = operands(); // 225 + 300 = 525 = 3 * 5^2 * 7 elements
    for (const m of [1, 3, 7, 25, 525]) {
      expect(F.dotGroups(a, b, m)).toEqual(F.reference.dotGroups(a, b, m));
      expect(F.sumGroups(a, m)).toEqual(F.reference.sumGroups(a, m));
    }
    const n = 170_000;
    const x = random(n);
    const y = random(n);
    expect(F.dotGroups(x, y, n)).toEqual(F.reference.dotGroups(x, y, n));
    expect(F.sumGroups(x, n)).toEqual(F.reference.sumGroups(x, n));
    expect(F.dotGroups(F.alloc(0), F.alloc(0), 4)).toEqual(F.alloc(0));
    expect(() => F.dotGroups(a, b, 2)).toThrow(/not a multiple of 2/);
    expect(() => F.sumGroups(a, 0)).toThrow(RangeError);
  });

  it.each([
    ['degree 1 at 1..3 (successive additions)', [[1n], [2n], [3n]]],
    ['degree 1 at 1..4', [[1n], [2n], [3n], [4n]]],
    ['degree 2 at 1..5', [1n, 2n, 3n, 4n, 5n].map((x) => [x, x * x])],
    ['degree 3, points out of order', [7n, 1n, 5n].map((x) => [x, x * x, x * x * x])],
    [
      'degree 7 at 1..15 (forward differences)',
      Array.from({ length: 15 }, (_, j) =>
        Array.from({ length: 7 }, (_, k) => BigInt(j + 1) ** BigInt(k + 1)),
      ),
    ],
    ['degree 0', [[], []]],
  ])('fuses degree-reduction sharing: %s', (_name, powers) => {
    const [a, b] = operands(1000);
    const t = powers[0]!.length;
    for (const lambda of [1n, -3n, 10n, -(2n ** 31n)]) {
      for (const withB of [true, false]) {
        // The same random stream feeds the kernel and the reference.
        const seed = Uint8Array.from({ length: 16 }, (_, i) => i + 100);
        const p1 = new Prg(seed, nodeCryptoProvider);
        const p2 = new Prg(seed, nodeCryptoProvider);
        const got = F.polyShares(a, withB ? b : undefined, lambda, powers, (o) => p1.fill(o));
        const d = withB ? F.reference.mul(a, b) : a;
        const e = F.reference.mulScalar(d, lambda);
        const cs = Array.from({ length: t }, () => F.fromRandomWords(p2.words(2 * F.length(a))));
        powers.forEach((row, j) => {
          expect(got[j]).toEqual(F.reference.linearCombination([e, ...cs], [1n, ...row]));
        });
      }
    }
  });

  it('takes operands as lists of parts, as if concatenated', () => {
    const [a, b] = operands(100);
    const parts = (v: F.FieldVec) => [
      F.slice(v, 0, 7),
      F.slice(v, 7, 7),
      F.slice(v, 7, F.length(v)),
    ];
    const seed = new Uint8Array(16);
    const p1 = new Prg(seed, nodeCryptoProvider);
    const p2 = new Prg(seed, nodeCryptoProvider);
    const whole = F.polyShares(a, b, 2n, [[1n], [2n]], (o) => p1.fill(o));
    const split = F.polyShares(parts(a), parts(b), 2n, [[1n], [2n]], (o) => p2.fill(o));
    expect(split).toEqual(whole);
    expect(F.vecsLength(parts(a))).toBe(F.length(a));
    expect(() => F.polyShares(a, F.alloc(1), 1n, [[1n]], () => {})).toThrow(/lengths differ/);
    expect(() => F.polyShares(a, b, 1n << 40n, [[1n]], () => {})).toThrow(/below 2\^32/);
  });

  it('sums several vectors', () => {
    const [a, b] = operands();
    const vs = [a, b, a, F.neg(b), random(F.length(a))];
    expect(F.sumVectors(vs)).toEqual(F.reference.linearCombination(vs, [1n, 1n, 1n, 1n, 1n]));
    expect(F.sumVectors([a])).toEqual(F.reference.add(a, F.alloc(F.length(a))));
    expect(() => F.sumVectors([])).toThrow(/no vectors/);
  });

  it('selects by public bits: bitCompare, pairCompare, xorPublicBit', () => {
    const [r, q] = operands(400);
    const n = F.length(r);
    const P2 = random(n);
    const bits = (seed: number) =>
      Uint8Array.from({ length: n }, (_, i) => ((i * 2654435761 + seed) >>> 13) & 1);
    const [c1, c2] = [bits(1), bits(2)];
    const x = F.toBigInts(r);
    const y = F.toBigInts(q);
    const z = F.toBigInts(P2);
    const red = (v: bigint) => F.reduce(v);

    const bc = F.bitCompare(r, c1);
    expect(F.toBigInts(bc.e)).toEqual(x.map((v, i) => (c1[i] ? v : red(1n - v))));
    expect(F.toBigInts(bc.g)).toEqual(x.map((v, i) => (c1[i] ? 0n : v)));

    const pc = F.pairCompare(r, q, P2, c1, c2);
    const want = x.map((lo, i) => {
      const [hi, p] = [y[i]!, z[i]!];
      if (c2[i]) return c1[i] ? [p, 0n] : [red(hi - p), p];
      return c1[i] ? [red(lo - p), hi] : [red(1n - lo - hi + p), red(lo + hi - p)];
    });
    expect(F.toBigInts(pc.e)).toEqual(want.map((w) => w[0]));
    expect(F.toBigInts(pc.g)).toEqual(want.map((w) => w[1]));

    for (const phi of [1n, -1n, P - 7n, 1n << 100n]) {
      const got = F.toBigInts(F.xorPublicBit(r, c2, phi));
      expect(got).toEqual(x.map((v, i) => (c2[i] ? red(v * (1n - 2n * phi) + phi) : v)));
    }
    expect(() => F.bitCompare(r, new Uint8Array(1))).toThrow(/1 bits for/);
    expect(() => F.pairCompare(r, q, P2, c1, new Uint8Array(0))).toThrow(RangeError);
    expect(() => F.xorPublicBit(r, new Uint8Array(0), 1n)).toThrow(RangeError);
  });

  it('encodes signed 64-bit integers, negative ones as p + x', () => {
    const xs = BigInt64Array.of(0n, 1n, -1n, 5n, -5n, (1n << 63n) - 1n, -(1n << 63n));
    const v = F.fromSigned(xs);
    expect(v).toEqual(F.reference.fromSigned(xs));
    expect(F.toCentered(v)).toEqual(Array.from(xs));
    expect(F.toBigInts(v)[2]).toBe(P - 1n);
  });

  it('reads centered representatives, p as 0', () => {
    const half = P >> 1n;
    const xs = [
      0n,
      1n,
      (1n << 64n) - 1n,
      1n << 64n,
      half,
      half + 1n,
      P - (1n << 63n) - 1n,
      P - (1n << 63n),
      P - 2n,
      P - 1n,
      P,
    ];
    const want = xs.map((x) => (x === P ? 0n : x > half ? x - P : x));
    expect(F.toCentered(raw(xs))).toEqual(want);
    expect(want.slice(6, 10)).toEqual([-(1n << 63n) - 1n, -(1n << 63n), -2n, -1n]);
  });

  it('gathers, concatenates and slices', () => {
    const v = raw([10n, 20n, P - 1n]);
    expect(F.toBigInts(F.gather(v, Uint32Array.of(2, 0, 0)))).toEqual([P - 1n, 10n, 10n]);
    expect(() => F.gather(v, Uint32Array.of(3))).toThrow(/index 3 out of range/);
    expect(F.toBigInts(F.concat([v, F.slice(v, 1, 2)]))).toEqual([10n, 20n, P - 1n, 20n]);
    expect(F.concat([])).toEqual(F.alloc(0));
  });

  it('masks random words to 127 bits or fewer, folding p to 0', () => {
    const w = raw([(1n << 128n) - 1n, 1n << 127n, P]);
    expect(F.toBigInts(F.fromRandomWords(w))).toEqual([0n, 0n, 0n]);
    const r = random(2000);
    for (const bits of [0, 1, 31, 32, 33, 64, 100, 126]) {
      const k = F.keepLowBits(r.slice(), bits);
      expect(F.toBigInts(k).every((x) => x < 1n << BigInt(bits))).toBe(true);
    }
    expect(F.toBigInts(F.keepLowBits(r.slice(), 126)).some((x) => x >= 1n << 125n)).toBe(true);
    expect(() => F.keepLowBits(r, 128)).toThrow(RangeError);
  });

  it('inverts and exponentiates', () => {
    for (const x of [1n, 2n, P - 1n, 1n << 80n, 123456789n]) {
      expect(F.reduce(F.inv(x) * x)).toBe(1n);
    }
    expect(F.pow(3n, 0n)).toBe(1n);
    expect(F.pow(2n, 127n)).toBe(1n);
    expect(() => F.inv(P)).toThrow(/zero has no inverse/);
    expect(F.reduce(-1n)).toBe(P - 1n);
    expect(F.reduce((P - 1n) * (P - 1n))).toBe(1n);
  });
});
