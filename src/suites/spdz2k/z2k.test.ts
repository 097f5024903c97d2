import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from './z2k.js';

const big = (L: z.Limbs) => fc.bigInt({ min: 0n, max: (1n << BigInt(64 * L)) - 1n });
const EDGE = (L: z.Limbs) => [
  0n,
  1n,
  (1n << 64n) - 1n,
  1n << 64n,
  (1n << BigInt(64 * L)) - 1n,
  1n << BigInt(64 * L - 1),
];

describe('z2k limb vectors', () => {
  for (const L of [2, 3] as const) {
    const mod = 1n << BigInt(64 * L);
    const val = (v: BigUint64Array, i = 0) => z.toBig(L, v, i);
    it(`L=${L}: add, sub, neg, mul, mulWords, shiftLeft agree with BigInt (random and edges)`, () => {
      fc.assert(
        fc.property(
          big(L),
          big(L),
          fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
          fc.nat(64 * L - 1),
          (x, y, w, s) => {
            const a = z.fromBig(L, [x]);
            const b = z.fromBig(L, [y]);
            expect(val(z.add(L, a, b))).toBe((x + y) % mod);
            expect(val(z.sub(L, a, b))).toBe((((x - y) % mod) + mod) % mod);
            expect(val(z.neg(L, a))).toBe((mod - x) % mod);
            expect(val(z.mul(L, a, b))).toBe((x * y) % mod);
            expect(val(z.mulWords(L, a, BigUint64Array.of(w)))).toBe((x * w) % mod);
            expect(val(z.shiftLeft(L, a, s))).toBe((x << BigInt(s)) % mod);
          },
        ),
        { numRuns: 300 },
      );
      const e = EDGE(L);
      for (const x of e)
        for (const y of e) {
          const a = z.fromBig(L, [x]);
          const b = z.fromBig(L, [y]);
          expect(val(z.add(L, a, b))).toBe((x + y) % mod);
          expect(val(z.sub(L, a, b))).toBe((((x - y) % mod) + mod) % mod);
          expect(val(z.mul(L, a, b))).toBe((x * y) % mod);
        }
      expect(z.mulhi((1n << 64n) - 1n, (1n << 64n) - 1n)).toBe((1n << 64n) - 2n);
    });
    it(`L=${L}: vectors: sum, sumGroups, gather, lift, resize, low`, () => {
      const xs = [5n, mod - 1n, 1n << 64n, 77n];
      const v = z.fromBig(L, xs);
      expect(z.toBig(L, z.sum(L, v), 0)).toBe(xs.reduce((a, b) => a + b, 0n) % mod);
      const g = z.sumGroups(L, v, 2);
      expect([val(g, 0), val(g, 1)]).toEqual([(xs[0]! + xs[1]!) % mod, (xs[2]! + xs[3]!) % mod]);
      expect(val(z.gather(L, v, Uint32Array.of(3)))).toBe(77n);
      expect(val(z.lift(L, BigUint64Array.of((1n << 64n) - 1n), true))).toBe(mod - 1n);
      expect(val(z.lift(L, BigUint64Array.of((1n << 64n) - 1n)))).toBe((1n << 64n) - 1n);
      expect(z.toBig(3, z.resize(L, v, 3), 1)).toBe(mod - 1n);
      expect(Array.from(z.low(L, v))).toEqual(xs.map((x) => x % (1n << 64n)));
    });
  }
});
