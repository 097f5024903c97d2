/**
 * The t-tests from each party's own exact sums (pooled.ts) against the
 * per-record path (hypothesis.ts on secret columns) and plain JavaScript:
 * narrow and wide columns, negative values, values at the type's extremes,
 * a group of one record and an empty group. Every party runs for real.
 */
import { describe, expect, it } from 'vitest';
import type { Session } from '../../api/session.js';
import { bool, fixed, int, type FixedType, type IntType } from '../../api/types.js';
import { label, run } from '../../../test/harness.js';
import {
  oneSampleFromMoments,
  oneSampleTTest,
  studentFromMoments,
  studentTTest,
  welchFromMoments,
  welchTTest,
  type TTest,
} from './hypothesis.js';
import { groupMomentSums, LIMB_BITS, momentLayout, pooledMoments, toLimbs } from './pooled.js';
import { column, plainMean, plainVar, rng, STAT_SUITES } from './testdata.js';
import { varianceErrorBound } from './variance.js';

const SUITES = STAT_SUITES.filter((c) => c.suite !== 'plaintext');

/** Party k's rows of n: [k n / P, (k + 1) n / P), as testdata's `column`. */
function ownRows(s: Session, n: number): [number, number] {
  const P = s.parties.length;
  const k = s.parties.indexOf(s.me);
  return [Math.floor((k * n) / P), Math.floor(((k + 1) * n) / P)];
}

/** Each party's sums per group (group[i]: 0, 1 or -1 for none), entered and pooled. */
function pooled(s: Session, type: IntType | FixedType, x: number[], group: number[], G: number) {
  const frac = type.kind === 'fixed' ? type.frac : 0;
  const layout = momentLayout(type.bits, frac, x.length);
  const len = G * layout.perGroup * 3;
  const [lo, hi] = ownRows(s, x.length);
  const mine = Array.from({ length: G }, (_, g) =>
    groupMomentSums(
      x
        .slice(lo, hi)
        .filter((_, i) => group[lo + i] === g)
        .map((v) => BigInt(Math.round(v * 2 ** frac))),
      layout,
    ),
  ).flat();
  const parts = s.parties.map((p) =>
    s.input(p, int(LIMB_BITS + 2), p === s.me ? toLimbs(mine) : len),
  );
  const sum = parts.slice(1).reduce((a, b) => a.add(b), parts[0]!);
  return { m: pooledMoments(sum, G, layout, 20), rows: x.length };
}

const reveal = async (r: TTest) => {
  const [t, df, se, m1, m2, v1, v2] = await Promise.all(
    [r.t, r.df, r.se, r.mean1, r.mean2, r.var1, r.var2].map(async (v) => (await v.reveal())[0]!),
  );
  return { t: t!, df: df!, se: se!, m1: m1!, m2: m2!, v1: v1!, v2: v2! };
};

interface Case {
  name: string;
  type: IntType | FixedType;
  x: number[];
  group: number[];
  /** Only the variances are checked (t is beyond both paths' numerics, see the case). */
  varianceOnly?: boolean;
}

function cases(): Case[] {
  const r = rng(31);
  const n = 300;
  const group = Array.from({ length: n }, () => (r() < 0.45 ? 0 : 1));
  return [
    {
      name: 'int(16) with negative values',
      type: int(16),
      x: Array.from({ length: n }, () => Math.round((r() - 0.6) * 30000)),
      group,
    },
    {
      // (fixed(41, 16) itself is beyond what Welch's per-record numerics take: v times n
      // overflows. Here the means' relative 2^-24 swamps the difference of means.)
      name: 'fixed(38, 16): balances of 1,000,000 +- 0.2 (the finest level of a wide column)',
      type: fixed({ bits: 38, frac: 16 }),
      x: Array.from({ length: n }, () => Math.round((1e6 + 0.4 * (r() - 0.5)) * 2 ** 16) / 2 ** 16),
      group,
      varianceOnly: true,
    },
    {
      name: 'fixed(38, 16): 3 +- 0.2 (the finest level of a wide column)',
      type: fixed({ bits: 38, frac: 16 }),
      x: Array.from({ length: n }, () => Math.round((3 + 0.4 * (r() - 0.5)) * 2 ** 16) / 2 ** 16),
      group,
      // The variance is released at 2^-pickedVarianceFrac (pickLevel's one scale), coarse
      // against 0.013: both paths' se and t are off here (the per-record one gives t = 0).
      varianceOnly: true,
    },
    {
      name: 'fixed(32, 16) spread over its range (the plain estimate and a coarse level)',
      type: fixed({ bits: 32, frac: 16 }),
      x: Array.from({ length: n }, () => Math.round((r() - 0.5) * 6e4 * 2 ** 16) / 2 ** 16),
      group,
    },
    {
      name: "int(16) at the type's extremes",
      type: int(16),
      x: Array.from({ length: n }, (_, i) =>
        i % 3 === 0 ? -(2 ** 15) : i % 3 === 1 ? 2 ** 15 - 1 : 0,
      ),
      group: Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 0 : 1)),
    },
  ];
}

for (const c of SUITES) {
  describe(`${label(c)}: t-tests from the parties' own sums`, () => {
    for (const k of cases()) {
      it(`Welch and Student: ${k.name}, as the per-record path and within the stated bounds`, async () => {
        const got = await run(c, async (s) => {
          const x = column(s, k.type, k.x);
          const g1 = column(
            s,
            bool,
            k.group.map((g) => g === 1),
          );
          const g0 = g1.not();
          const rows = await Promise.all([
            reveal(welchTTest(x, g0, g1)),
            reveal(studentTTest(x, g0, g1)),
          ]);
          const { m } = pooled(s, k.type, k.x, k.group, 2);
          const g = {
            rows: k.x.length,
            f: 20,
            n: m.n,
            mean: m.mean,
            s: m.s,
            v: m.v,
            candidates: m.candidates,
          };
          const agg = await Promise.all([
            reveal(welchFromMoments(g)),
            reveal(studentFromMoments(g)),
          ]);
          return { rows, agg };
        });
        const a = k.x.filter((_, i) => k.group[i] === 0);
        const b = k.x.filter((_, i) => k.group[i] === 1);
        const frac = k.type.kind === 'fixed' ? k.type.frac : 0;
        const bnd = (v: number) => varianceErrorBound(v, k.type.bits, frac, k.x.length);
        for (const [i, r] of got.agg.entries()) {
          const row = got.rows[i]!;
          // Means: one division each, relative 2^-24 (and 2^-20 absolute at the release).
          expect(Math.abs(r.m1 - plainMean(a))).toBeLessThanOrEqual(
            Math.abs(plainMean(a)) * 2 ** -23 + 2 ** -19,
          );
          expect(Math.abs(r.m2 - plainMean(b))).toBeLessThanOrEqual(
            Math.abs(plainMean(b)) * 2 ** -23 + 2 ** -19,
          );
          expect(Math.abs(r.v1 - plainVar(a))).toBeLessThanOrEqual(bnd(r.v1));
          expect(Math.abs(r.v2 - plainVar(b))).toBeLessThanOrEqual(bnd(r.v2));
          const va = plainVar(a);
          const vb = plainVar(b);
          const se =
            i === 0
              ? Math.sqrt(va / a.length + vb / b.length)
              : Math.sqrt(
                  (((a.length - 1) * va + (b.length - 1) * vb) / (a.length + b.length - 2)) *
                    (1 / a.length + 1 / b.length),
                );
          if (k.varianceOnly) continue;
          expect(Math.abs(r.t - (plainMean(a) - plainMean(b)) / se)).toBeLessThanOrEqual(
            Math.abs(r.t) * 1e-4 + 1e-4,
          );
          // t: relative 2^-20 plus 2^-20 / se, as stated; both paths within it of each other.
          const tol = 2 * (Math.abs(row.t) * 2 ** -20 + 2 ** -20 / Math.max(row.se, 1e-12)) + 1e-9;
          expect(Math.abs(r.t - row.t), `t ${r.t} vs per-record ${row.t}`).toBeLessThanOrEqual(
            Math.max(tol, Math.abs(row.t) * 1e-5),
          );
          expect(Math.abs(r.df - row.df)).toBeLessThanOrEqual(Math.abs(row.df) * 2e-5 + 1e-6);
          expect(Math.abs(r.se - row.se)).toBeLessThanOrEqual(row.se * 1e-5 + 1e-9);
        }
      }, 60_000);
    }

    it('a group of one record and an empty group: n, and the same t and df as the per-record path', async () => {
      const x = [5, -7, 3, 12, -1, 4];
      const group = [0, 1, 1, 1, 1, 1];
      const got = await run(c, async (s) => {
        const xs = column(s, int(8), x);
        const g1 = column(
          s,
          bool,
          group.map((g) => g === 1),
        );
        const row = await reveal(welchTTest(xs, g1.not(), g1));
        const { m } = pooled(s, int(8), x, group, 2);
        const agg = await reveal(
          welchFromMoments({
            rows: 6,
            f: 20,
            n: m.n,
            mean: m.mean,
            s: m.s,
            v: m.v,
            candidates: m.candidates,
          }),
        );
        // Groups 1 and 2 where group 2 is empty (no row has code 2).
        const e = pooled(
          s,
          int(8),
          x,
          group.map((g) => g * 2),
          3,
        );
        const n = await e.m.n.toInt().reveal();
        return { row, agg, n: n.map(Number) };
      });
      // The mean of one record is a division: within its stated 2^-24 relative plus two units of 2^-20.
      expect(Math.abs(got.agg.m1 - 5)).toBeLessThanOrEqual(5 * 2 ** -24 + 2 ** -19);
      expect(got.agg.v1).toBe(0);
      expect(got.agg.m2).toBeCloseTo(plainMean(x.slice(1)), 5);
      expect(got.agg.t).toBeCloseTo(got.row.t, 4);
      expect(got.agg.df).toBeCloseTo(got.row.df, 4);
      expect(got.n).toEqual([1, 0, 5]);
    }, 60_000);

    it('one-sample test from the sums equals the per-record one', async () => {
      const r = rng(5);
      const x = Array.from({ length: 120 }, () => Math.round((r() - 0.3) * 2000) / 256);
      const type = fixed({ bits: 32, frac: 16 });
      const got = await run(c, async (s) => {
        const row = oneSampleTTest(column(s, type, x), { mu: 1.5 });
        const { m } = pooled(
          s,
          type,
          x,
          x.map(() => 0),
          1,
        );
        const agg = oneSampleFromMoments(
          { rows: x.length, f: 20, n: m.n, mean: m.mean, s: m.s, v: m.v, candidates: m.candidates },
          'test',
          1.5,
        );
        return Promise.all([row.t, row.se, agg.t, agg.se].map(async (v) => (await v.reveal())[0]!));
      });
      const want = (plainMean(x) - 1.5) / Math.sqrt(plainVar(x) / x.length);
      expect(got[2]!).toBeCloseTo(want, 4);
      expect(Math.abs(got[2]! - got[0]!)).toBeLessThanOrEqual(Math.abs(got[0]!) * 1e-5);
      expect(Math.abs(got[3]! - got[1]!)).toBeLessThanOrEqual(got[1]! * 1e-5);
    }, 60_000);
  });
}
