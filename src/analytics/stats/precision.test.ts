/**
 * Stated precision holds across the type's range: variance, sd and Welch's t
 * of wide columns (where `moments` rounds before squaring) against exact
 * float64 references, on data spread over the whole range, concentrated
 * far from zero, tiny spreads, constants and the type's extremes. (The sd
 * of an int(32) column over thousands of rows is refused with a RangeError:
 * its square root does not fit; a known limit.) Each
 * secure value must be within the bound that variance.ts states from the
 * released value (the bound a report prints), and that bound must be useful
 * (small) where the refinement applies.
 */
import { describe, expect, it } from 'vitest';
import { bool, fixed, int, type SecretType } from '../../api/types.js';
import { label, run } from '../../../test/harness.js';
import { summary } from './describe.js';
import { oneSampleTTest, studentTTest, welchTTest } from './hypothesis.js';
import { linearRegressionSeBound } from './bounds.js';
import { cor, linearRegression } from './regression.js';
import { STAT_SUITES, column, plainCov, plainMean, plainSe, plainVar, rng } from './testdata.js';
import { pickedVarianceFrac, sdErrorBound, variancePlan, varianceErrorBound } from './variance.js';

interface Case {
  name: string;
  type: SecretType & { kind: 'int' | 'fixed' };
  bound: number;
  frac: number;
  values: number[];
}

function normal(r: () => number): number {
  return (r() + r() + r() + r() + r() + r() - 3) * Math.SQRT2;
}

/** Values on the type's grid. */
function onGrid(v: number, frac: number): number {
  return Math.round(v * 2 ** frac) / 2 ** frac;
}

function cases(): Case[] {
  const F32 = fixed({ bits: 32, frac: 16 });
  const r = rng(99);
  const lim32 = 2 ** 15 - 1; // fixed(32, 16) holds |x| < 2^15
  const gen = (n: number, mu: number, sd: number, frac: number) =>
    Array.from({ length: n }, () =>
      onGrid(Math.max(-lim32, Math.min(lim32, mu + sd * normal(r))), frac),
    );
  return [
    {
      name: 'fixed(32,16), 5000 rows, sd 0.01',
      type: F32,
      bound: 32,
      frac: 16,
      values: gen(5000, 0, 0.01, 16),
    },
    {
      name: 'fixed(32,16), 3000 rows, mean 1000, sd 0.5',
      type: F32,
      bound: 32,
      frac: 16,
      values: gen(3000, 1000, 0.5, 16),
    },
    {
      name: 'fixed(32,16), 2000 rows, mean 10, sd 3',
      type: F32,
      bound: 32,
      frac: 16,
      values: gen(2000, 10, 3, 16),
    },
    {
      name: 'fixed(32,16), 2000 rows, mean -20000, sd 3000',
      type: F32,
      bound: 32,
      frac: 16,
      values: gen(2000, -20000, 3000, 16),
    },
    {
      name: 'fixed(32,16), 1000 rows, the extremes',
      type: F32,
      bound: 32,
      frac: 16,
      values: Array.from({ length: 1000 }, (_, i) => (i % 2 ? lim32 : -lim32)),
    },
    {
      name: 'fixed(32,16), 1000 rows, constant',
      type: F32,
      bound: 32,
      frac: 16,
      values: new Array<number>(1000).fill(12345.5),
    },
    {
      name: 'int(20), 4000 rows, mean 1e5, sd 2',
      type: int(20),
      bound: 20,
      frac: 0,
      values: Array.from({ length: 4000 }, () => Math.round(1e5 + 2 * normal(r))),
    },
    {
      name: 'int(28), 4000 rows, across the range',
      type: int(28),
      bound: 28,
      frac: 0,
      values: Array.from({ length: 4000 }, () => Math.round((r() - 0.5) * 2.6e8)),
    },
  ];
}

const SUITES = STAT_SUITES.filter((c) => c.suite !== 'plaintext');

for (const c of SUITES) {
  describe(`${label(c)}: variance of wide columns within the stated bound`, () => {
    for (const k of cases()) {
      it(
        k.name,
        async () => {
          const got = await run(c, async (s) => {
            const x = column(s, k.type, k.values);
            const r = summary(x);
            return s.revealAll([r.variance, r.sd]);
          });
          const v = (got[0] as number[])[0]!;
          const sd = (got[1] as number[])[0]!;
          const n = k.values.length;
          const wantV = plainVar(k.values);
          const eV = varianceErrorBound(v, k.bound, k.frac, n);
          const eS = sdErrorBound(sd, k.bound, k.frac, n);
          expect(
            Math.abs(v - wantV),
            `variance ${v} vs ${wantV}, stated ±${eV}`,
          ).toBeLessThanOrEqual(eV);
          expect(
            Math.abs(sd - Math.sqrt(wantV)),
            `sd ${sd} vs ${Math.sqrt(wantV)}, stated ±${eS}`,
          ).toBeLessThanOrEqual(eS);
          // Where the refinement applies, the stated bound is a few parts per million of the sd.
          if (variancePlan(k.bound, k.frac, n).levels.length > 0 && Math.sqrt(wantV) > 0.005)
            expect(eS / Math.sqrt(wantV)).toBeLessThan(1e-3);
        },
        60_000,
      );
    }

    it("a wide column's variance is released at the scale pickedVarianceFrac states (its rounding is in the bound)", async () => {
      // 600 balances of 2,000,000 +- 0.18 in fixed(41, 16): the finest level is exact, then
      // rounded to units of 2^-10, which one run in about a hundred saw as a whole unit.
      const r = rng(11);
      const x = Array.from({ length: 600 }, () => onGrid(2_000_000 + 0.37 * (r() - 0.5), 16));
      const got = await run(c, async (s) => {
        const sm = summary(column(s, fixed({ bits: 41, frac: 16 }), x));
        return { frac: sm.variance.type.frac, v: await sm.variance.reveal() };
      });
      expect(pickedVarianceFrac(41, 16, 600)).toBe(10);
      expect(got.frac).toBeGreaterThanOrEqual(pickedVarianceFrac(41, 16, 600));
      const want = plainVar(x);
      const stated = varianceErrorBound(got.v[0]!, 41, 16, 600);
      expect(stated).toBeGreaterThanOrEqual(2 * 2 ** -10);
      expect(Math.abs(got.v[0]! - want)).toBeLessThanOrEqual(stated);
    }, 60_000);

    it('standard errors and sigma of a two-feature regression within their stated bounds, which are small', async () => {
      const r = rng(3);
      const n = 200;
      const a = Array.from({ length: n }, () => Math.round(r() * 100));
      const b = Array.from({ length: n }, () => Math.round(r() * 100));
      const y = a.map((v, i) => Math.round(v * 3 - b[i]! + 200 * r()));
      const got = await run(c, async (s) => {
        const m = linearRegression(column(s, int(12), y), [
          column(s, int(8), a),
          column(s, int(8), b),
        ]);
        const [se, sigma] = await s.revealAll([m.standardErrors, m.sigma]);
        return { se: se as number[], sigma: (sigma as number[])[0]!, plan: m.precision };
      });
      const cols = [a, b, y];
      const sds = cols.map((v) => Math.sqrt(plainVar(v)));
      const cr = (u: number[], v: number[]) =>
        plainCov(u, v) / Math.sqrt(plainVar(u) * plainVar(v));
      const stated = linearRegressionSeBound(
        {
          shapes: [
            { bound: 8, frac: 0 },
            { bound: 8, frac: 0 },
            { bound: 12, frac: 0 },
          ],
          rows: n,
          sds,
          means: cols.map(plainMean),
          R: [1, cr(a, b), cr(b, a), 1],
          r: [cr(a, y), cr(b, y)],
        },
        got.plan,
      );
      const want = plainSe(y, [a, b]);
      expect(Math.abs(got.sigma - want.sigma)).toBeLessThanOrEqual(stated.sigma);
      expect(stated.sigma / want.sigma).toBeLessThan(1e-4);
      want.se.forEach((se, j) => {
        expect(Math.abs(got.se[j]! - se), `se ${j}`).toBeLessThanOrEqual(stated.standardErrors[j]!);
        expect(stated.standardErrors[j]! / se).toBeLessThan(5e-4);
      });
    }, 60_000);

    it('correlation of a tiny-spread fixed(32, 16) column with an int(8) one over 3000 rows: within 1e-5', async () => {
      const r = rng(8);
      const n = 3000;
      const age = Array.from({ length: n }, () => 18 + Math.floor(r() * 78));
      const y = age.map((a) => onGrid(1000 + 0.0004 * a + 0.01 * normal(r), 16));
      const got = await run(c, async (s) => {
        const A = column(s, int(8), age);
        const Y = column(s, fixed({ bits: 32, frac: 16 }), y);
        return s.revealAll([cor(A, Y)]);
      });
      const ma = plainMean(age);
      const my = plainMean(y);
      const sxy = age.reduce((acc, a, i) => acc + (a - ma) * (y[i]! - my), 0);
      const sxx = age.reduce((acc, a) => acc + (a - ma) ** 2, 0);
      const syy = y.reduce((acc, v) => acc + (v - my) ** 2, 0);
      const want = sxy / Math.sqrt(sxx * syy);
      expect(Math.abs((got[0] as number[])[0]! - want)).toBeLessThan(1e-5);
    }, 60_000);

    it("Welch's t in fixed(32, 16) over 2000 rows: relative 5e-6 (the rounded moments gave 4e-4)", async () => {
      const r = rng(5);
      const n = 2000;
      const g = Array.from({ length: n }, () => r() < 0.5);
      const x = g.map((gi) => onGrid(10 + (gi ? 0.3 : 0) + 3 * normal(r), 16));
      const got = await run(c, async (s) => {
        const xs = column(s, fixed({ bits: 32, frac: 16 }), x);
        const b = column(s, bool, g);
        const t = welchTTest(xs, b.not(), b);
        return s.revealAll([t.t, t.var1, t.var2]);
      });
      const a = x.filter((_, i) => !g[i]);
      const b = x.filter((_, i) => g[i]);
      const want =
        (plainMean(a) - plainMean(b)) / Math.sqrt(plainVar(a) / a.length + plainVar(b) / b.length);
      const t = (got[0] as number[])[0]!;
      expect(Math.abs(t - want) / Math.abs(want)).toBeLessThan(5e-6);
    }, 60_000);

    it('t-tests of a tiny spread far from zero: t, se and df as in the clear (the picked variance gave t = 0)', async () => {
      // fixed(32, 16) around 1234.5 with sd 0.001: the picked variance carries the type's range
      // as its bound, so D = var1 n2 + var2 n1 kept no bit of it; the tests now standardise at
      // the finest centred level itself, and take the mean difference from exact sums.
      const r = rng(7);
      const n = 1200;
      const sd = 0.001;
      const g = Array.from({ length: n }, (_, i) => i % 2 === 1);
      const x = g.map((gi) => onGrid(1234.5 + (gi ? sd : 0) + sd * normal(r), 16));
      const got = await run(c, async (s) => {
        const xs = column(s, fixed({ bits: 32, frac: 16 }), x);
        const b = column(s, bool, g);
        const w = welchTTest(xs, b.not(), b);
        const st = studentTTest(xs, b.not(), b);
        const one = oneSampleTTest(xs, { mu: 1234.5 });
        return s.revealAll([w.t, w.se, w.df, st.t, st.se, one.t, one.se]);
      });
      const a = x.filter((_, i) => !g[i]);
      const b = x.filter((_, i) => g[i]);
      const [na, nb] = [a.length, b.length];
      const [va, vb] = [plainVar(a), plainVar(b)];
      const d = plainMean(a) - plainMean(b);
      const se = Math.sqrt(va / na + vb / nb);
      const df = (va / na + vb / nb) ** 2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1));
      const sp = Math.sqrt((((na - 1) * va + (nb - 1) * vb) / (na + nb - 2)) * (1 / na + 1 / nb));
      const seOne = Math.sqrt(plainVar(x) / n);
      const [wt, wse, wdf, stt, stse, ot, ose] = got.map((v) => (v as number[])[0]!);
      const rel = (what: string, v: number, want: number, tol: number) =>
        expect(Math.abs(v - want) / Math.abs(want), what).toBeLessThan(tol);
      rel("Welch's t", wt!, d / se, 1e-4);
      rel("Welch's se", wse!, se, 1e-4);
      rel("Welch's df", wdf!, df, 1e-4);
      rel("Student's t", stt!, d / sp, 1e-4);
      rel("Student's se", stse!, sp, 1e-4);
      rel('one-sample t', ot!, (plainMean(x) - 1234.5) / seOne, 1e-4);
      rel('one-sample se', ose!, seOne, 1e-4);
    }, 60_000);
  });
}
