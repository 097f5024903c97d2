/**
 * Shamir sharing over F_p: reconstruction from any t + 1 shares, linearity,
 * Lagrange coefficients, and a chi-square test that each single share
 * position (the last included) is uniform, for n = 3, 5, 7 with a fixed seed.
 */
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import * as F from '../arith/field127.js';
import { Prg } from '../random/prg.js';
import { chiSquare, CHI2_CRITICAL_0_001 } from '../../test/stats.js';
import * as shamir from './shamir.js';

const seeded = (b: number) =>
  new Prg(
    Uint8Array.from({ length: 16 }, (_, i) => i * 13 + b),
    nodeCryptoProvider,
  );
const P = F.P;
const CONFIGS = [
  [3, 1],
  [5, 2],
  [7, 3],
] as const;

/** Every subset of {0..n-1} of size k. */
function subsetsOf(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  if (n < k) return [];
  return [...subsetsOf(n - 1, k - 1).map((s) => [...s, n - 1]), ...subsetsOf(n - 1, k)];
}

describe('Shamir sharing', () => {
  const prg = seeded(1);
  const rand = (n: number) => F.fromRandomWords(prg.words(2 * n));
  const secrets = F.fromBigInts([0n, 1n, P - 1n, P >> 1n, 1n << 64n, 123456789n]);

  it.each(CONFIGS)('n = %i, t = %i: every t+1 subset reconstructs; t shares do not', (n, t) => {
    const x = F.concat([secrets, rand(50)]);
    const sh = shamir.share(x, t, n, rand);
    expect(sh).toHaveLength(n);
    for (const who of subsetsOf(n, t + 1)) {
      expect(
        shamir.reconstruct(
          who.map((i) => sh[i]!),
          who,
        ),
      ).toEqual(x);
    }
    // All n shares also reconstruct (an overdetermined, consistent system).
    expect(shamir.reconstruct(sh, [...Array(n).keys()])).toEqual(x);
    // t shares interpolate a lower-degree polynomial: almost surely not x.
    const few = [...Array(t).keys()];
    expect(
      shamir.reconstruct(
        few.map((i) => sh[i]!),
        few,
      ),
    ).not.toEqual(x);
  });

  it('shares empty and length-1 vectors', () => {
    expect(shamir.share(F.alloc(0), 1, 3, rand).map((s) => s.length)).toEqual([0, 0, 0]);
    const one = shamir.share(F.fromBigInts([P - 1n]), 2, 5, rand);
    expect(F.toBigInts(shamir.reconstruct(one.slice(2), [2, 3, 4]))).toEqual([P - 1n]);
  });

  it.each(CONFIGS)('n = %i, t = %i: is linear', (n, t) => {
    const a = rand(40);
    const b = rand(40);
    const sa = shamir.share(a, t, n, rand);
    const sb = shamir.share(b, t, n, rand);
    const who = [...Array(t + 1).keys()].map((i) => n - 1 - i);
    const sum = who.map((i) => F.add(sa[i]!, sb[i]!));
    expect(shamir.reconstruct(sum, who)).toEqual(F.add(a, b));
    const scaled = who.map((i) => F.mulScalar(sa[i]!, 7n));
    expect(shamir.reconstruct(scaled, who)).toEqual(F.mulScalar(a, 7n));
    // Local products are a degree-2t sharing of the product.
    if (2 * t + 1 <= n) {
      const all = [...Array(2 * t + 1).keys()];
      const prod = all.map((i) => F.mul(sa[i]!, sb[i]!));
      expect(shamir.reconstruct(prod, all)).toEqual(F.mul(a, b));
    }
  });

  it('gives small integer Lagrange coefficients for consecutive points, field elements otherwise', () => {
    expect(shamir.lagrange([0, 1, 2])).toEqual([3n, -3n, 1n]);
    expect(shamir.lagrange([0, 1, 2, 3, 4])).toEqual([5n, -10n, 10n, -5n, 1n]);
    const odd = shamir.lagrange([0, 2]); // points 1 and 3: f(0) = 3/2 f(1) - 1/2 f(3)
    expect(odd.map((c) => F.reduce(c * 2n))).toEqual([3n, P - 1n]);
    // Interpolation at another point: f(4) from f(1), f(2), f(3) for degree 2.
    const f = (x: bigint) => 7n + 3n * x + 5n * x * x;
    const at4 = shamir.lagrange([0, 1, 2], 4n);
    expect(F.reduce(at4.reduce((s, c, i) => s + c * f(BigInt(i + 1)), 0n))).toBe(f(4n));
    expect(() => shamir.lagrangeAtPoints([1n, 1n])).toThrow(/distinct/);
  });

  it('refuses bad parameters', () => {
    expect(() => shamir.share(F.alloc(1), 3, 3, rand)).toThrow(/expected 0 <= t < n/);
    expect(() => shamir.share(F.alloc(1), -1, 3, rand)).toThrow(RangeError);
    expect(() => shamir.reconstruct([F.alloc(1)], [0, 1])).toThrow(/1 shares for 2 parties/);
    expect(() => shamir.reconstruct([], [])).toThrow(RangeError);
  });
});

/**
 * Shares one fixed secret many times and buckets the top 4 bits (of 127) of
 * the share at each position: every position, the last included, must be
 * uniform. Fixed seeds, so the test is deterministic.
 */
describe('each single Shamir share position is uniform (chi-square, fixed seed)', () => {
  const trials = 16_000;
  const buckets = 16;
  it.each(CONFIGS)('n = %i, t = %i', (n, t) => {
    const prg = seeded(40 + n);
    const rand = (k: number) => F.fromRandomWords(prg.words(2 * k));
    // One sharing of a vector of `trials` copies of the secret is `trials` independent sharings.
    const sh = shamir.share(F.filled(trials, 42n), t, n, rand);
    for (let i = 0; i < n; i++) {
      const counts = new Array<number>(buckets).fill(0);
      for (const s of F.toBigInts(sh[i]!)) counts[Number(s >> 123n)]!++;
      expect(chiSquare(counts), `share position ${i} of ${n}`).toBeLessThan(
        CHI2_CRITICAL_0_001[buckets - 1]!,
      );
    }
  });
});
