/**
 * One-way ANOVA against R (oneway.test(var.equal = TRUE), the same F as
 * summary(aov)) on PlantGrowth and on test/r/mw.csv, and against plain
 * JavaScript on random data, with a filter, an empty group and edges.
 */
import { describe, expect, it } from 'vitest';
import { bool, fixed, int } from '../../api/types.js';
import { label, run } from '../../../test/harness.js';
import { anovaPValue, fDistSf, oneWayAnova, revealAnova } from './anova.js';
import { oneHot } from './groups.js';
import { PLANT_GROUP, PLANT_WEIGHT, R, readRCsv } from '../../../test/methods-data.js';
import {
  STAT_SUITES,
  column,
  near,
  plainMean,
  randBools,
  randInts,
  randNormal,
} from './testdata.js';

/** F, df and group means of the values in each group. */
export function plainAnova(groups: number[][]) {
  const used = groups.filter((g) => g.length > 0);
  const all = used.flat();
  const m = plainMean(all);
  const ssb = used.reduce((a, g) => a + g.length * (plainMean(g) - m) ** 2, 0);
  const ssw = used.reduce((a, g) => a + g.reduce((b, v) => b + (v - plainMean(g)) ** 2, 0), 0);
  const df1 = used.length - 1;
  const df2 = all.length - used.length;
  return {
    F: ssb / df1 / (ssw / df2),
    df1,
    df2,
    means: groups.map((g) => (g.length ? plainMean(g) : 0)),
  };
}

const N = 150;
const y = randNormal(N, 40, 9, 31, 1 / 16);
const code = randInts(N, 0, 3, 32);
const mask = randBools(N, 0.85, 33);
const score = readRCsv('mw.csv');

describe('fDistSf', () => {
  it("matches R's pf(lower.tail = FALSE)", () => {
    near('pf', fDistSf(4.84608786238, 2, 27), 0.0159099583256, 1e-12);
    near('pf', fDistSf(0.3, 5, 7.5), 0.8989585, 1e-7);
    near('pf', fDistSf(100, 1, 1000), 1.66707e-22, 0, 1e-5);
    expect(fDistSf(0, 3, 4)).toBe(1);
    expect(anovaPValue(2, 0, 10).pValue).toBeNaN();
  });
});

for (const c of STAT_SUITES) {
  describe(label(c), () => {
    it(`PlantGrowth matches R: F = ${R.anovaPlant.F}, df = 2, 27, p = ${R.anovaPlant.p}`, async () => {
      const r = await run(c, async (s) => {
        const x = column(s, int(12), PLANT_WEIGHT);
        const g = oneHot(column(s, int(4), PLANT_GROUP), [0, 1, 2]);
        const below6 = column(
          s,
          bool,
          PLANT_WEIGHT.map((w) => w < 600),
        );
        return {
          all: await revealAnova(oneWayAnova(x, g)),
          below: await revealAnova(oneWayAnova(x, g, { where: below6 })),
          means: await oneWayAnova(x, g).mean.reveal(),
        };
      });
      // F is scale-free: weights x 100 give R's F on the weights.
      near('F', r.all.F, R.anovaPlant.F, 0, 5e-6);
      expect([r.all.dfBetween, r.all.dfWithin]).toEqual([2, 27]);
      near('p', r.all.pValue, R.anovaPlant.p, 0, 1e-4);
      near('F (weight < 6)', r.below.F, R.anovaPlantBelow6.F, 0, 5e-6);
      expect([r.below.dfBetween, r.below.dfWithin]).toEqual([2, 23]);
      near('p (weight < 6)', r.below.pValue, R.anovaPlantBelow6.p, 0, 1e-4);
      near('mean ctrl', r.means[0]!, 503.2, 1e-4);
    });

    it('test/r/mw.csv: score ~ arm matches R, with decimal (fixed-point) input', async () => {
      const values = score.score!.map(Number);
      const arms = score.arm!.map((a) => ['A', 'B', 'C'].indexOf(a));
      const r = await run(c, async (s) => {
        // As a decimal column with 2 digits: the same F.
        const x = column(
          s,
          fixed({ bits: 16, frac: 8 }),
          values.map((v) => v / 4),
        );
        const g = oneHot(column(s, int(4), arms), [0, 1, 2]);
        return revealAnova(oneWayAnova(x, g));
      });
      near('F', r.F, R.anovaScore.F, 0, 5e-6);
      expect([r.dfBetween, r.dfWithin]).toEqual([R.anovaScore.df1, R.anovaScore.df2]);
      near('p', r.pValue, R.anovaScore.p, 0, 1e-4);
    });

    it('random data with a filter and an empty group, against plain JavaScript', async () => {
      const r = await run(c, async (s) => {
        const x = column(s, fixed({ bits: 16, frac: 4 }), y);
        // Level 7 never occurs: an empty group, left out of the degrees of freedom.
        const g = oneHot(column(s, int(4), code), [0, 1, 2, 3, 7]);
        const where = column(s, bool, mask);
        const a = oneWayAnova(x, g, { where });
        return {
          test: await revealAnova(a),
          n: (await a.n.reveal()).map(Number),
          mean: await a.mean.reveal(),
        };
      });
      const groups = [0, 1, 2, 3, 7].map((lv) => y.filter((_, i) => mask[i] && code[i] === lv));
      const want = plainAnova(groups);
      near('F', r.test.F, want.F, 4e-6, 4e-6);
      expect([r.test.dfBetween, r.test.dfWithin]).toEqual([want.df1, want.df2]);
      expect(r.n).toEqual(groups.map((g) => g.length));
      want.means.forEach((m, g) => near(`mean ${g}`, r.mean[g]!, m, 1e-5));
    });

    it('wide values (int(32)) over 3,000 rows, against plain JavaScript', async () => {
      const n = 3000;
      const big = randInts(n, -(2 ** 30), 2 ** 30, 34);
      const shift = randInts(n, 0, 2, 35);
      const xs = big.map((v, i) => v + shift[i]! * 2 ** 26);
      const r = await run(c, async (s) => {
        const x = column(s, int(32), xs);
        const g = oneHot(column(s, int(4), shift), [0, 1, 2]);
        return revealAnova(oneWayAnova(x, g));
      });
      const want = plainAnova([0, 1, 2].map((l) => xs.filter((_, i) => shift[i] === l)));
      near('F', r.F, want.F, 1e-5, 1e-5);
      expect([r.dfBetween, r.dfWithin]).toEqual([2, n - 3]);
    });

    it('edges: equal means give F = 0; constant groups saturate; one group gives NaN', async () => {
      const r = await run(c, async (s) => {
        const x = column(s, int(8), [1, 2, 3, 1, 2, 3, 5, 5, 9, 9]);
        const g = column(s, bool, [
          false,
          false,
          false,
          true,
          true,
          true,
          false,
          true,
          false,
          true,
        ]);
        const x2 = column(s, int(8), [4, 4, 4, 7, 7]);
        const g2 = column(s, bool, [false, false, false, true, true]);
        const one = column(s, bool, [true, true, true, true, true]);
        return {
          equal: await revealAnova(oneWayAnova(x, [g.not(), g])),
          constant: await revealAnova(oneWayAnova(x2, [g2.not(), g2])),
          single: await revealAnova(oneWayAnova(x2, [one, one.not()])),
        };
      });
      near('F', r.equal.F, 0, 1e-5);
      near('p', r.equal.pValue, 1, 1e-6);
      expect(r.constant.F).toBeGreaterThan(1e5);
      expect(r.constant.pValue).toBeLessThan(1e-9);
      expect(r.single.dfBetween).toBe(0);
      expect(r.single.pValue).toBeNaN();
    });
  });
}
