/**
 * The internal fixed-point engine: division and square root against plain
 * JavaScript on random inputs of many magnitudes, and the edges (0, 1, the
 * largest values, a zero denominator, saturation).
 */
import { describe, expect, it } from 'vitest';
import { int } from '../../api/types.js';
import { label, run, testRng } from '../../../test/harness.js';
import { Fx, wideMulPlan } from './fx.js';

const SUITES = [
  { suite: 'plaintext', parties: 3 },
  { suite: 'rep3', parties: 3 },
  { suite: 'shamir', parties: 3 },
] as const;

/** Random integers of random bit lengths up to `bits` (log-uniform magnitudes). */
function logUniform(n: number, bits: number, seed: number, signed: boolean): number[] {
  const r = testRng(seed);
  return Array.from({ length: n }, () => {
    const v = Math.floor(2 ** (r() * bits));
    return signed && r() < 0.5 ? -v : v;
  });
}

for (const c of SUITES) {
  describe(label(c), () => {
    it.each([false, true])(
      'divides integers of any magnitude with relative error below 2^-24 plus 2 ulp (early: %s)',
      async (early) => {
        const den = [
          1,
          2,
          3,
          7,
          0,
          1 << 20,
          999_983,
          ...logUniform(40, 40, 3, false).map((v) => v + 1),
        ];
        const num = den.map((d, i) => {
          // Quotients below 2^10 in magnitude, of both signs.
          const q = (((i * 7919) % 2000) - 1000) / 1.7;
          return Math.trunc(d * q);
        });
        num[4] = 5; // over a zero denominator
        const r = await run(c, async (s) => {
          const a = Fx.of(s.input('p1', int(52), s.me === 'p1' ? num : num.length));
          const b = Fx.of(s.input('p2', int(42), s.me === 'p2' ? den : den.length));
          // early: den's reciprocal W is computed without waiting for the numerator.
          return a.divide(b, { qBits: 10, frac: 30, early }).toFixed().reveal();
        });
        r.forEach((q, i) => {
          const want = den[i] === 0 ? 0 : num[i]! / den[i]!;
          expect(Math.abs(q - want)).toBeLessThanOrEqual(Math.abs(want) * 2 ** -24 + 2 ** -29);
        });
      },
    );

    it('divides fixed-point values and saturates quotients beyond the bound', async () => {
      const num = [1.5, -3.25, 1000, -1000, 0.001, 0];
      const den = [0.5, 0.125, 0.01, 0.01, 1000, 3];
      const r = await run(c, async (s) => {
        const a = Fx.of(
          s.input('p1', { kind: 'fixed', bits: 40, frac: 20 }, s.me === 'p1' ? num : num.length),
        );
        const b = Fx.of(
          s.input('p2', { kind: 'fixed', bits: 40, frac: 20 }, s.me === 'p2' ? den : den.length),
        );
        return a.divide(b, { qBits: 12, frac: 24, saturate: true }).toFixed().reveal();
      });
      const want = [3, -26, 4096, -4096, 0.000001, 0];
      r.forEach((q, i) =>
        expect(Math.abs(q - want[i]!)).toBeLessThan(Math.abs(want[i]!) * 2 ** -20 + 2 ** -18),
      );
    });

    it('multiplies a wide value by a wide one keeping the small values relative precision (mulWide)', async () => {
      // The shapes of Welch's t's d sqrt(n1 n2): a difference of means of a fixed(32, 16) column
      // (bound 58 with 40 fractional bits) times a root of a count (bound 39, 25 fractional bits).
      // A plain mul cuts d to 17 fractional bits; mulWide keeps relative 2^-22 and 2^-24 absolute.
      const ds = [
        0,
        2 ** -40,
        -(2 ** -40),
        0.3,
        -0.3,
        1e-6,
        12345.678,
        -(2 ** 16) + 1,
        2 ** 16 - 1,
      ];
      const os = [1000.123, 1, 2 ** 13, 1.5, 2 ** 13 + 0.25, 1000, 1, 2 ** 13, 1000.5];
      expect(wideMulPlan(58, 40, 39, 25)).toEqual({ k: 32, fHi: 22, fLo: 16 });
      expect(wideMulPlan(40, 20, 20, 10)).toBeNull(); // fits: the plain product
      const r = await run(c, async (s) => {
        const d = Fx.of(
          s.input('p1', { kind: 'fixed', bits: 64, frac: 40 }, s.me === 'p1' ? ds : ds.length),
        );
        const o = Fx.of(
          s.input('p2', { kind: 'fixed', bits: 40, frac: 25 }, s.me === 'p2' ? os : os.length),
        );
        const d58 = new Fx(s, d.sh, d.length, 40, 58);
        const o39 = new Fx(s, o.sh, o.length, 25, 39);
        const p = d58.mulWide(o39, 40);
        expect(p.bound).toBeLessThanOrEqual(63);
        return p.toFixed().reveal();
      });
      r.forEach((q, i) => {
        const want = ds[i]! * os[i]!;
        const tol = Math.abs(want) * 2 ** -21 + 2 ** -23 + 2 ** -29;
        expect(Math.abs(q - want), `${ds[i]} x ${os[i]}`).toBeLessThan(tol);
      });
    });

    it('saturating division by a wide denominator keeps the quotient (the numerator drops below its scale)', async () => {
      // The shapes of a regression slope's se: sd_y sqrt(1 - R^2) Z_jj (frac 30, bound 60) over
      // sd_x sqrt(n - p) (frac 25, bound 63). Saturation's room check drops the numerator below
      // the denominator's scale; the limit 2^qBits den then came out of a negative power of two
      // and the quotient came back as about -0.0003 instead of 1.5.
      const num = [22301.70445595123, 0, -1234.5, 3e6];
      const den = [14695.768230855465, 14695.768230855465, 0.5, 1e-3];
      const r = await run(c, async (s) => {
        const a = Fx.of(
          s.input('p1', { kind: 'fixed', bits: 60, frac: 30 }, s.me === 'p1' ? num : num.length),
        );
        const b = Fx.of(
          s.input('p2', { kind: 'fixed', bits: 63, frac: 25 }, s.me === 'p2' ? den : den.length),
        );
        return a.divide(b, { qBits: 24, frac: 28, saturate: true }).toFixed().reveal();
      });
      // The numerator keeps -2 fractional bits (multiples of 4): error up to 4 / den.
      const want = num.map((v, i) => Math.max(-(2 ** 24), Math.min(2 ** 24, v / den[i]!)));
      r.forEach((q, i) =>
        expect(Math.abs(q - want[i]!), `${num[i]} / ${den[i]}`).toBeLessThan(
          Math.abs(want[i]!) * 2 ** -20 + 8 / den[i]! + 2 ** -24 + (i === 3 ? 2 ** 4 : 0),
        ),
      );
    });

    it('mulWide splits a high limb past the fractional bits (a wide sd times a root near 1)', async () => {
      // The intercept's se: sd_y (frac 28, bound 58) times a root (frac 22, bound 39). Without
      // a split (k = 34 > 28 fractional bits) the plain product cut the root to 7 fractional
      // bits: 0.99968 became 0.99219 and the se was off by 0.75%.
      expect(wideMulPlan(58, 28, 39, 22)).toEqual({ k: 34, fHi: 22, fLo: 11 });
      const as = [64766.60744476318, 0, -1, 2 ** 29 - 1, 1e-6];
      const os = [0.9996793270111084, 1, 0.5, 1.25, 3];
      const r = await run(c, async (s) => {
        const a = Fx.of(
          s.input('p1', { kind: 'fixed', bits: 58, frac: 28 }, s.me === 'p1' ? as : as.length),
        );
        const o = Fx.of(
          s.input('p2', { kind: 'fixed', bits: 39, frac: 22 }, s.me === 'p2' ? os : os.length),
        );
        return a.mulWide(o, 28).toFixed().reveal();
      });
      r.forEach((q, i) => {
        const want = as[i]! * os[i]!;
        expect(Math.abs(q - want), `${as[i]} x ${os[i]}`).toBeLessThan(
          Math.abs(want) * 2 ** -21 + 2 ** -14,
        );
      });
    });

    it('takes square roots of wide values', async () => {
      const xs = [0, 1, 2, 1e-4, 12345.678, 2 ** 30, ...logUniform(20, 34, 5, false)];
      const r = await run(c, async (s) => {
        const a = Fx.of(
          s.input('p1', { kind: 'fixed', bits: 56, frac: 20 }, s.me === 'p1' ? xs : xs.length),
        );
        return a.sqrt().toFixed().reveal();
      });
      // The 56-bit input keeps 19 fractional bits inside sqrt (rounded up or down at random).
      r.forEach((q, i) => {
        const x = xs[i]!;
        const tol = Math.sqrt(x) * 2 ** -20 + 2 ** -17 + 2 ** -19 / (2 * Math.sqrt(x) + 2 ** -9);
        expect(Math.abs(q - Math.sqrt(x))).toBeLessThan(tol);
      });
    });
  });
}
