/**
 * Welch's t-test and the chi-squared test: against published results (R's
 * t.test on Student's sleep data, R's chisq.test on Agresti's party
 * identification table) and against plain JavaScript on random data, with
 * group-by, contingency tables and one-hot coding on the way.
 */
import { describe, expect, it } from 'vitest';
import { bool, int } from '../../api/types.js';
import { label, run } from '../../../test/harness.js';
import { chiSquaredSf, studentTTwoSided } from '../distributions.js';
import { crosstab, cut, groupBy, oneHot } from './groups.js';
import {
  chiSquaredTest,
  oneSampleTTest,
  pairedTTest,
  revealChiSquared,
  revealTTest,
  studentTTest,
  welchTTest,
} from './hypothesis.js';
import {
  STAT_SUITES,
  column,
  near,
  pick,
  plainMean,
  plainVar,
  randBools,
  randInts,
  randNormal,
} from './testdata.js';

/** Student's sleep data (Cushny and Peebles 1905), extra hours of sleep x 10, as in R's datasets::sleep. */
const SLEEP1 = [7, -16, -2, -12, -1, 34, 37, 8, 0, 20];
const SLEEP2 = [19, 8, 11, 1, -1, 44, 55, 16, 46, 34];

function plainWelch(a: number[], b: number[]) {
  const va = plainVar(a) / a.length;
  const vb = plainVar(b) / b.length;
  const t = (plainMean(a) - plainMean(b)) / Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  return { t, df };
}

function plainChi2(table: number[][], correct: boolean) {
  const R = table.length;
  const C = table[0]!.length;
  const rs = table.map((r) => r.reduce((a, v) => a + v, 0));
  const cs = table[0]!.map((_, j) => table.reduce((a, r) => a + r[j]!, 0));
  const n = rs.reduce((a, v) => a + v, 0);
  let x = 0;
  for (let i = 0; i < R; i++)
    for (let j = 0; j < C; j++) {
      const e = (rs[i]! * cs[j]!) / n;
      if (e === 0) continue;
      let d = Math.abs(table[i]![j]! - e);
      if (correct && R === 2 && C === 2) d = Math.max(0, d - 0.5);
      x += (d * d) / e;
    }
  const df = (rs.filter((v) => v > 0).length - 1) * (cs.filter((v) => v > 0).length - 1);
  return { x, df };
}

const N = 160;
const y = randNormal(N, 10, 3, 21, 1);
const arm = randBools(N, 0.45, 22);
const mask = randBools(N, 0.8, 23);
const code = randInts(N, 0, 3, 24);
const sex = randBools(N, 0.5, 25);

for (const c of STAT_SUITES) {
  describe(label(c), () => {
    it("Welch's t-test on Student's sleep data matches R: t = -1.8608, df = 17.776, p = 0.07939", async () => {
      const r = await run(c, async (s) => {
        const x = column(s, int(8), [...SLEEP1, ...SLEEP2]);
        const g2 = column(s, bool, [...SLEEP1.map(() => false), ...SLEEP2.map(() => true)]);
        return revealTTest(welchTTest(x, g2.not(), g2));
      });
      near('t', r.t, -1.8608134674868526, 2e-5);
      near('df', r.df, 17.776473516178488, 1e-4);
      near('p', r.pValue, 0.0793941401873583, 1e-5);
    });

    it("Student's, paired and one-sample t-tests and standard errors on the sleep data match R", async () => {
      const r = await run(c, async (s) => {
        const x = column(s, int(8), [...SLEEP1, ...SLEEP2]);
        const g2 = column(s, bool, [...SLEEP1.map(() => false), ...SLEEP2.map(() => true)]);
        const a = column(s, int(8), SLEEP1);
        const b = column(s, int(8), SLEEP2);
        const st = studentTTest(x, g2.not(), g2);
        const w = welchTTest(x, g2.not(), g2);
        const pr = pairedTTest(a, b);
        const one = oneSampleTTest(a, { mu: 5 });
        const zero = oneSampleTTest(b);
        return s.revealAll([
          st.t,
          st.df,
          st.se,
          w.se,
          pr.t,
          pr.df,
          pr.se,
          pr.mean,
          one.t,
          one.df,
          one.se,
          zero.t,
          zero.n,
        ]);
      });
      const v = (i: number) => Number((r[i] as number[] | bigint[])[0]!);
      // R: t.test(x, y, var.equal = TRUE); t.test(x, y)$stderr; paired; t.test(x, mu = 5).
      near('student t', v(0), -1.86081346748685, 2e-5);
      expect(v(1)).toBe(18);
      near('student se', v(2), 8.49091017238762, 1e-5);
      near('welch se', v(3), 8.49091017238762, 1e-5);
      near('paired t', v(4), -4.06212768338204, 2e-5);
      expect(v(5)).toBe(9);
      near('paired se', v(6), 3.88958723888395, 1e-5);
      near('paired mean', v(7), -15.8, 1e-5);
      near('one-sample t', v(8), 0.44190338023794, 2e-5);
      expect(v(9)).toBe(9);
      near('one-sample se', v(10), 5.65734527455728, 1e-5);
      // mu = 0: mean(SLEEP2) / se = 23.3 / (sd / sqrt 10).
      near('mu = 0 t', v(11), 23.3 / Math.sqrt(plainVar(SLEEP2) / 10), 2e-5);
      expect(v(12)).toBe(10);
    });

    it("Welch's t-test on random data with a filter, against plain JavaScript", async () => {
      const r = await run(c, async (s) => {
        const x = column(s, int(8), y);
        const b = column(s, bool, arm);
        const where = column(s, bool, mask);
        const t = welchTTest(x, b.not(), b, { where });
        return s.revealAll([t.t, t.df, t.mean1, t.mean2, t.var1, t.var2, t.n1, t.n2]);
      });
      const a = pick(
        y,
        mask.map((m, i) => m && !arm[i]),
      );
      const b = pick(
        y,
        mask.map((m, i) => m && arm[i]!),
      );
      const want = plainWelch(a, b);
      near('t', (r[0] as number[])[0]!, want.t, 1e-4, 1e-5);
      near('df', (r[1] as number[])[0]!, want.df, 1e-4, 1e-5);
      near('mean1', (r[2] as number[])[0]!, plainMean(a), 1e-5);
      near('var2', (r[5] as number[])[0]!, plainVar(b), 1e-4);
      expect([(r[6] as bigint[])[0], (r[7] as bigint[])[0]]).toEqual([
        BigInt(a.length),
        BigInt(b.length),
      ]);
      near(
        'p',
        studentTTwoSided((r[0] as number[])[0]!, (r[1] as number[])[0]!),
        studentTTwoSided(want.t, want.df),
        1e-5,
      );
    });

    it("chi-squared on Agresti's table matches R: X-squared = 30.07, df = 2, p = 2.954e-07", async () => {
      const r = await run(c, async (s) => {
        const t = s.input(
          'p1',
          int(12),
          s.me === 'p1' ? [762, 327, 468, 484, 239, 477] : 6,
          [2, 3],
        );
        return revealChiSquared(chiSquaredTest(t));
      });
      near('X2', r.statistic, 30.070149095754672, 1e-3);
      expect(r.df).toBe(2);
      near('p', r.pValue, 2.9535891832117595e-7, 0, 1e-4);
    });

    it('contingency tables, group-by and chi-squared (with and without Yates) on random data', async () => {
      const r = await run(c, async (s) => {
        const k = column(s, int(4), code);
        const b = column(s, bool, sex);
        const where = column(s, bool, mask);
        const x = column(s, int(8), y);
        const levels = oneHot(k, [0, 1, 2, 3]);
        const table = crosstab(levels, [b.not(), b], { where });
        const t2 = crosstab([b.not(), b], cut(x, [0, 10, 30]));
        const g = groupBy(levels, x, { where });
        return {
          table: await table.reveal(),
          t2: await t2.reveal(),
          chi: await revealChiSquared(chiSquaredTest(table)),
          yates: await revealChiSquared(chiSquaredTest(t2)),
          plain2: await revealChiSquared(chiSquaredTest(t2, { correct: false })),
          g: await s.revealAll([g.count, g.sum!, g.mean!]),
        };
      });
      const table = [0, 1, 2, 3].map((lv) =>
        [false, true].map(
          (sx) => code.filter((v, i) => mask[i] && v === lv && sex[i] === sx).length,
        ),
      );
      expect(r.table.map(Number)).toEqual(table.flat());
      const t2 = [false, true].map((sx) =>
        [(v: number) => v >= 0 && v < 10, (v: number) => v >= 10 && v <= 30].map(
          (inBin) => y.filter((v, i) => sex[i] === sx && inBin(v)).length,
        ),
      );
      expect(r.t2.map(Number)).toEqual(t2.flat());
      const want = plainChi2(table, true);
      near('X2', r.chi.statistic, want.x, 1e-3, 1e-5);
      expect(r.chi.df).toBe(want.df);
      near('p', r.chi.pValue, chiSquaredSf(want.x, want.df), 1e-4);
      near('Yates', r.yates.statistic, plainChi2(t2, true).x, 1e-3, 1e-5);
      near('uncorrected', r.plain2.statistic, plainChi2(t2, false).x, 1e-3, 1e-5);
      [0, 1, 2, 3].forEach((lv, g) => {
        const xs = pick(
          y,
          mask.map((m, i) => m && code[i] === lv),
        );
        expect(Number((r.g[0] as bigint[])[g])).toBe(xs.length);
        expect(Number((r.g[1] as bigint[])[g])).toBe(xs.reduce((a, v) => a + v, 0));
        near('group mean', (r.g[2] as number[])[g]!, plainMean(xs), 1e-5);
      });
    });

    it('edges: a table with an empty row, a group with one row', async () => {
      const r = await run(c, async (s) => {
        const t = s.input('p1', int(8), s.me === 'p1' ? [5, 7, 0, 0, 3, 9] : 6, [3, 2]);
        const x = column(s, int(8), [1, 2, 3, 4, 5]);
        const g = column(s, bool, [true, false, false, false, false]);
        const tt = welchTTest(x, g, g.not());
        return { chi: await revealChiSquared(chiSquaredTest(t)), df: await tt.df.reveal() };
      });
      const want = plainChi2(
        [
          [5, 7],
          [3, 9],
        ],
        false,
      );
      near('X2', r.chi.statistic, want.x, 1e-3, 1e-5);
      expect(r.chi.df).toBe(1);
      expect(r.df).toEqual([0]);
    });
  });
}
