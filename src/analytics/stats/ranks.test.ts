/**
 * The Wilcoxon rank-sum (Mann-Whitney) test against R's wilcox.test: the
 * exact p-value (?wilcox.test's example), the normal approximation with ties
 * (airquality's Ozone, May vs August, R's documented W = 127.5) and
 * test/r/mw.csv; against plain midranks on random data, and edges.
 */
import { describe, expect, it } from 'vitest';
import { bool, fixed, int } from '../../api/types.js';
import { label, run } from '../../../test/harness.js';
import {
  OZONE_AUG,
  OZONE_MAY,
  R,
  WILCOX_X,
  WILCOX_Y,
  readRCsv,
} from '../../../test/methods-data.js';
import {
  mannWhitney,
  mannWhitneyFromCounts,
  mannWhitneyPValue,
  mannWhitneySorted,
  revealMannWhitney,
  wilcoxCdf,
} from './ranks.js';
import { STAT_SUITES, column, near, randBools, randInts } from './testdata.js';

/** W by midranks (the definition), and the tie term. */
function plainW(a: number[], b: number[]) {
  const all = [...a.map((v) => ({ v, g: 1 })), ...b.map((v) => ({ v, g: 2 }))].sort(
    (p, q) => p.v - q.v,
  );
  const rank = new Array<number>(all.length);
  let ties = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j]!.v === all[i]!.v) j++;
    for (let k = i; k < j; k++) rank[k] = (i + 1 + j) / 2;
    const t = j - i;
    ties += t ** 3 - t;
    i = j;
  }
  const r1 = all.reduce((s, e, k) => s + (e.g === 1 ? rank[k]! : 0), 0);
  return { W: r1 - (a.length * (a.length + 1)) / 2, ties };
}

const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

const N = 120;
const xs = randInts(N, 0, 9, 41);
const g = randInts(N, 0, 2, 42);
const mask = randBools(N, 0.8, 43);
const mw = readRCsv('mw.csv');

describe('rank-sum p-values in the clear', () => {
  it("wilcoxCdf is R's pwilcox", () => {
    // pwilcox(c(0, 3, 10, 24), 5, 10) in R (test/r/methods.R prints them).
    near('pwilcox', wilcoxCdf(0, 5, 10), 1 / 3003, 1e-15);
    near('pwilcox', wilcoxCdf(3, 5, 10), 0.002331002331002, 1e-12);
    near('pwilcox', wilcoxCdf(10, 5, 10), 0.037629037629037, 1e-12);
    near('pwilcox', wilcoxCdf(24, 5, 10), 0.476523476523477, 1e-12);
    expect(wilcoxCdf(50, 5, 10)).toBe(1);
    expect(wilcoxCdf(-1, 5, 10)).toBe(0);
  });

  it('edges: an empty group or all values tied give NaN', () => {
    expect(mannWhitneyPValue(0, 0, 5, 0).pValue).toBeNaN();
    expect(mannWhitneyPValue(6, 3, 4, 7 ** 3 - 7).pValue).toBeNaN();
  });
});

for (const c of STAT_SUITES) {
  describe(label(c), () => {
    it(`exact p-value without ties matches R: W = ${R.wilcoxExact.W}, p = ${R.wilcoxExact.p}`, async () => {
      const r = await run(c, async (s) => {
        const x = column(s, int(9), [...WILCOX_X, ...WILCOX_Y]);
        const b = column(s, bool, [...WILCOX_X.map(() => false), ...WILCOX_Y.map(() => true)]);
        return revealMannWhitney(mannWhitney(x, b.not(), b, range(70, 195)));
      });
      expect(r.W).toBe(R.wilcoxExact.W);
      expect(r.exact).toBe(true);
      near('p', r.pValue, R.wilcoxExact.p, 1e-12);
    });

    it(`ties (normal approximation) match R on airquality: W = ${R.wilcoxOzone.W}, p = ${R.wilcoxOzone.p}`, async () => {
      const r = await run(c, async (s) => {
        // As a decimal column: the comparison is at the column's scale.
        const x = column(s, fixed({ bits: 12, frac: 2 }), [...OZONE_MAY, ...OZONE_AUG]);
        const b = column(s, bool, [...OZONE_MAY.map(() => false), ...OZONE_AUG.map(() => true)]);
        return revealMannWhitney(mannWhitney(x, b.not(), b, range(0, 170)));
      });
      expect(r.W).toBe(R.wilcoxOzone.W);
      expect(r.exact).toBe(false);
      expect(r.ties).toBe(plainW(OZONE_MAY, OZONE_AUG).ties);
      near('p', r.pValue, R.wilcoxOzone.p, 1e-12);
    });

    it('test/r/mw.csv (many ties, three arms, two compared) matches R', async () => {
      const score = mw.score!.map(Number);
      const arm = mw.arm!.map((a) => ['A', 'B', 'C'].indexOf(a));
      const r = await run(c, async (s) => {
        const x = column(s, int(5), score);
        const [isA, isB] = [0, 1].map((l) =>
          column(
            s,
            bool,
            arm.map((v) => v === l),
          ),
        );
        return revealMannWhitney(mannWhitney(x, isA!, isB!, range(0, 10)));
      });
      expect([r.W, r.n1, r.n2]).toEqual([R.wilcoxScore.W, R.wilcoxScore.n1, R.wilcoxScore.n2]);
      near('p', r.pValue, R.wilcoxScore.p, 1e-12);
    });

    it('random data with a filter, against midranks; values outside the list are left out', async () => {
      const r = await run(c, async (s) => {
        const x = column(s, int(5), xs);
        const g1 = column(
          s,
          bool,
          g.map((v) => v === 0),
        );
        const g2 = column(
          s,
          bool,
          g.map((v) => v === 2),
        );
        const where = column(s, bool, mask);
        return {
          full: await revealMannWhitney(mannWhitney(x, g1, g2, range(0, 9), { where })),
          // Value 9 is not listed: rows holding it are in neither count.
          part: await revealMannWhitney(mannWhitney(x, g1, g2, range(0, 8), { where })),
        };
      });
      const a = xs.filter((_, i) => mask[i] && g[i] === 0);
      const b = xs.filter((_, i) => mask[i] && g[i] === 2);
      const want = plainW(a, b);
      expect([r.full.W, r.full.ties, r.full.n1, r.full.n2]).toEqual([
        want.W,
        want.ties,
        a.length,
        b.length,
      ]);
      near(
        'p',
        r.full.pValue,
        mannWhitneyPValue(want.W, a.length, b.length, want.ties).pValue,
        1e-12,
      );
      const want8 = plainW(
        a.filter((v) => v < 9),
        b.filter((v) => v < 9),
      );
      expect([r.part.W, r.part.ties]).toEqual([want8.W, want8.ties]);
    });

    it('by sorting: airquality and the exact example match R; random decimals with ties match midranks', async () => {
      const dec = randInts(70, 0, 40, 44).map((v) => v / 8);
      const dg = randInts(70, 0, 2, 45);
      const dm = randBools(70, 0.85, 46);
      const r = await run(c, async (s) => {
        const oz = column(s, fixed({ bits: 12, frac: 2 }), [...OZONE_MAY, ...OZONE_AUG]);
        const ob = column(s, bool, [...OZONE_MAY.map(() => false), ...OZONE_AUG.map(() => true)]);
        const ex = column(s, int(9), [...WILCOX_X, ...WILCOX_Y]);
        const eb = column(s, bool, [...WILCOX_X.map(() => false), ...WILCOX_Y.map(() => true)]);
        const x = column(s, fixed({ bits: 12, frac: 3 }), dec);
        const g1 = column(
          s,
          bool,
          dg.map((v) => v === 0),
        );
        const g2 = column(
          s,
          bool,
          dg.map((v) => v === 1),
        );
        const where = column(s, bool, dm);
        return {
          ozone: await revealMannWhitney(mannWhitneySorted(oz, ob.not(), ob)),
          exact: await revealMannWhitney(mannWhitneySorted(ex, eb.not(), eb)),
          random: await revealMannWhitney(mannWhitneySorted(x, g1, g2, { where })),
        };
      });
      expect(r.ozone.W).toBe(R.wilcoxOzone.W);
      near('p', r.ozone.pValue, R.wilcoxOzone.p, 1e-12);
      expect([r.exact.W, r.exact.exact]).toEqual([R.wilcoxExact.W, true]);
      near('p', r.exact.pValue, R.wilcoxExact.p, 1e-12);
      const a = dec.filter((_, i) => dm[i] && dg[i] === 0);
      const b = dec.filter((_, i) => dm[i] && dg[i] === 1);
      const want = plainW(a, b);
      // Ties, and rows of the third level and filtered rows among them.
      expect(want.ties).toBeGreaterThan(0);
      expect([r.random.W, r.random.ties, r.random.n1, r.random.n2]).toEqual([
        want.W,
        want.ties,
        a.length,
        b.length,
      ]);
    });

    it('edges: from counts with an empty group, one value, and no ties', async () => {
      const r = await run(c, async (s) => {
        const counts = (v: number[]) => s.input('p1', int(8), s.me === 'p1' ? v : v.length);
        const empty = mannWhitneyFromCounts(counts([3, 0, 2]), counts([0, 0, 0]));
        const single = mannWhitneyFromCounts(counts([4]), counts([5]));
        const apart = mannWhitneyFromCounts(counts([0, 0, 1, 1]), counts([1, 1, 0, 0]));
        return Promise.all([empty, single, apart].map((x) => revealMannWhitney(x)));
      });
      expect([r[0]!.n1, r[0]!.n2, r[0]!.W]).toEqual([5, 0, 0]);
      expect(r[0]!.pValue).toBeNaN();
      // Every value tied: W = n1 n2 / 2 and sigma = 0.
      expect([r[1]!.W, r[1]!.ties]).toEqual([10, 9 ** 3 - 9]);
      expect(r[1]!.pValue).toBeNaN();
      // Group 1 entirely above group 2: W = n1 n2, exact p = 2 / C(4, 2).
      expect([r[2]!.W, r[2]!.ties, r[2]!.exact]).toEqual([4, 0, true]);
      near('p', r[2]!.pValue, 2 / 6, 1e-12);
    });
  });
}
