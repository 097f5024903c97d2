/**
 * Descriptive statistics against plain JavaScript on the same random data,
 * with filters and groups, and the edges: empty selection, one row, a
 * constant column.
 */
import { describe, expect, it } from 'vitest';
import { bool, fixed, int } from '../../api/types.js';
import { label, run } from '../../../test/harness.js';
import { quantileOfType } from '../study/statistics.js';
import { count, histogram, max, min, publicRank, quantile, sum, summary } from './describe.js';
import {
  STAT_SUITES,
  column,
  near,
  pick,
  plainMean,
  plainQuantile,
  plainVar,
  randBools,
  randInts,
  randNormal,
} from './testdata.js';

const N = 150;
const days = randInts(N, 0, 365, 11);
const mask = randBools(N, 0.7, 12);
const armB = randBools(N, 0.5, 13);
const weights = randNormal(N, 70, 12, 14, 1 / 64); // kilograms, 6 fractional bits

for (const c of STAT_SUITES) {
  describe(label(c), () => {
    it('summarises an integer column with a filter and per group', async () => {
      const r = await run(c, async (s) => {
        const x = column(s, int(10), days);
        const where = column(s, bool, mask);
        const b = column(s, bool, armB);
        const all = summary(x, { where });
        const byArm = summary(x, { where, groups: [b.not(), b] });
        const pop = summary(x, { population: true });
        const out = (u: typeof all) => s.revealAll([u.count, u.sum, u.mean, u.variance, u.sd]);
        return { all: await out(all), byArm: await out(byArm), pop: await out(pop) };
      });
      const sel = pick(days, mask);
      const check = (got: unknown[][], xs: number[], g: number, population = false) => {
        expect(Number((got[0] as bigint[])[g])).toBe(xs.length);
        expect(Number((got[1] as bigint[])[g])).toBe(xs.reduce((a, v) => a + v, 0));
        near('mean', (got[2] as number[])[g]!, plainMean(xs), 2 ** -19, 2 ** -23);
        const v = plainVar(xs, population);
        near('variance', (got[3] as number[])[g]!, v, 2 ** -19, 2 ** -22);
        near('sd', (got[4] as number[])[g]!, Math.sqrt(v), 2 ** -18, 2 ** -21);
      };
      check(r.all, sel, 0);
      check(
        r.byArm,
        pick(
          days,
          mask.map((m, i) => m && !armB[i]),
        ),
        0,
      );
      check(
        r.byArm,
        pick(
          days,
          mask.map((m, i) => m && armB[i]!),
        ),
        1,
      );
      check(r.pop, days, 0, true);
    });

    it('summarises a fixed-point column and sums it exactly', async () => {
      const F = fixed({ bits: 16, frac: 6 }); // up to 512: the exact-moment limit 2 b + 2 log2 n <= 63 holds
      const r = await run(c, async (s) => {
        const x = column(s, F, weights);
        const where = column(s, bool, mask);
        const u = summary(x, { where });
        return s.revealAll([u.count, u.mean, u.variance, u.sd, sum(x, { where }), sum(x)]);
      });
      const sel = pick(weights, mask);
      near('mean', (r[1] as number[])[0]!, plainMean(sel), 2 ** -19, 2 ** -23);
      near('variance', (r[2] as number[])[0]!, plainVar(sel), 2 ** -19, 2 ** -22);
      near('sd', (r[3] as number[])[0]!, Math.sqrt(plainVar(sel)), 2 ** -18, 2 ** -21);
      expect((r[4] as number[])[0]).toBe(sel.reduce((a, v) => a + v, 0));
      expect((r[5] as number[])[0]).toBe(weights.reduce((a, v) => a + v, 0));
    });

    it('edges: empty selection, one row, constant column', async () => {
      const r = await run(c, async (s) => {
        const x = column(s, int(10), days.slice(0, 9));
        const none = column(s, bool, new Array<boolean>(9).fill(false));
        const one = column(s, bool, [false, false, false, true, false, false, false, false, false]);
        const k = column(s, int(10), new Array<number>(9).fill(42));
        const out = (u: ReturnType<typeof summary>) =>
          s.revealAll([u.count, u.mean, u.variance, u.sd]);
        return {
          none: await out(summary(x, { where: none })),
          one: await out(summary(x, { where: one })),
          constant: await out(summary(k)),
          counts: await s.revealAll([count(x), count(x, { where: one })]),
        };
      });
      // Quotients are within 2^-24 relative plus 2 ulp of the exact value; zero variances are exact.
      const flat = (v: unknown[][]) => v.map((u) => Number(u[0]));
      const same = (what: string, got: number[], want: number[]) =>
        want.forEach((w, i) => near(`${what} ${i}`, got[i]!, w, 2 ** -19, 2 ** -24));
      same('none', flat(r.none), [0, 0, 0, 0]);
      same('one', flat(r.one), [1, days[3]!, 0, 0]);
      same('constant', flat(r.constant), [9, 42, 0, 0]);
      expect(r.constant[2]).toEqual([0]);
      expect(r.counts).toEqual([[9n], [1n]]);
    });

    it('min and max with a filter; an empty selection gives the type limit', async () => {
      const r = await run(c, async (s) => {
        const x = column(s, int(10), days);
        const where = column(s, bool, mask);
        const none = column(s, bool, new Array<boolean>(N).fill(false));
        return s.revealAll([
          min(x),
          max(x),
          min(x, { where }),
          max(x, { where }),
          min(x, { where: none }),
        ]);
      });
      const sel = pick(days, mask);
      expect(r.map((v) => Number((v as bigint[])[0]))).toEqual([
        Math.min(...days),
        Math.max(...days),
        Math.min(...sel),
        Math.max(...sel),
        511,
      ]);
    });

    it('quantiles (R type 7) by binary search, with a filter, a range, and one row', async () => {
      const probs = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1];
      const r = await run(c, async (s) => {
        const x = column(s, int(10), days);
        const where = column(s, bool, mask);
        const one = column(
          s,
          bool,
          days.map((_, i) => i === 5),
        );
        return s.revealAll([
          quantile(x, probs, { where }),
          quantile(x, [0.5, 0.33], { range: [0, 365] }),
          quantile(x, [0.2, 0.9], { where: one, range: [0, 400] }),
        ]);
      });
      const sel = pick(days, mask);
      probs.forEach((p, k) =>
        near(`q${p}`, (r[0] as number[])[k]!, plainQuantile(sel, p), 2 ** -18 + 365 * 2 ** -33 * N),
      );
      near('median', (r[1] as number[])[0]!, plainQuantile(days, 0.5), 2 ** -18);
      // p = 0.33 is held as round(0.33 2^32) / 2^32.
      near(
        'q0.33',
        (r[1] as number[])[1]!,
        plainQuantile(days, 0.33),
        2 ** -18 + 365 * 2 ** -33 * N,
      );
      expect(r[2]).toEqual([days[5], days[5]]);
    });

    it("quantile types 1-9 (R's quantile(type = t)) with a filter, against plain JavaScript; one row", async () => {
      const probs = [0, 0.02, 0.137, 0.25, 0.5, 0.61, 0.9, 0.999, 1];
      const types = [1, 2, 3, 4, 5, 6, 8, 9];
      const r = await run(c, async (s) => {
        const x = column(s, int(10), days);
        const where = column(s, bool, mask);
        const one = column(
          s,
          bool,
          days.map((_, i) => i === 7),
        );
        return s.revealAll(
          types.flatMap((type) => [
            quantile(x, probs, { where, type, range: [0, 365] }),
            quantile(x, [0, 0.3, 1], { where: one, type, range: [0, 365] }),
          ]),
        );
      });
      const sel = pick(days, mask).sort((a, b) => a - b);
      types.forEach((type, t) => {
        probs.forEach((p, k) =>
          near(
            `type ${type} p = ${p}`,
            (r[2 * t] as number[])[k]!,
            quantileOfType(sel, p, type),
            2 ** -18 + 365 * 2 ** -33 * N,
          ),
        );
        expect(r[2 * t + 1], `type ${type}, one row`).toEqual([days[7], days[7], days[7]]);
      });
      // The same n p as an integer for every type: n = 150 rows, p = 0.2 (n p = 30).
      const all = [...days].sort((a, b) => a - b);
      const q = await run(c, async (s) => {
        const x = column(s, int(10), days);
        return s.revealAll(types.map((type) => quantile(x, [0.2, 0.5], { type })));
      });
      types.forEach((type, t) =>
        [0.2, 0.5].forEach((p, k) =>
          near(
            `all, type ${type} p = ${p}`,
            (q[t] as number[])[k]!,
            quantileOfType(all, p, type),
            2 ** -18,
          ),
        ),
      );
    });

    it('histograms over public edges (last bin closed), with a filter', async () => {
      const edges = [0, 30, 90, 180, 365];
      const r = await run(c, async (s) => {
        const x = column(s, int(10), days);
        const where = column(s, bool, mask);
        return s.revealAll([histogram(x, edges), histogram(x, [100, 200], { where })]);
      });
      const hist = (xs: number[], e: number[]) =>
        e
          .slice(0, -1)
          .map(
            (lo, j) =>
              xs.filter((v) => v >= lo && (j === e.length - 2 ? v <= e[j + 1]! : v < e[j + 1]!))
                .length,
          );
      expect((r[0] as bigint[]).map(Number)).toEqual(hist(days, edges));
      expect((r[1] as bigint[]).map(Number)).toEqual(hist(pick(days, mask), [100, 200]));
    });
  });
}

describe('argument checks', () => {
  it('names the function and the problem', async () => {
    await run({ suite: 'plaintext', parties: 1 }, async (s) => {
      const x = s.input('p1', int(8), [1, 2, 3]);
      const b = s.input('p1', bool, [true, false]);
      expect(() => summary(x, { where: b })).toThrow(
        /^summary: where has 2 elements, the columns 3/,
      );
      expect(() => quantile(x, [1.5])).toThrow(/^quantile: probabilities must be in \[0, 1\]/);
      expect(() => histogram(x, [3, 1])).toThrow(/^histogram: edges must increase/);
      expect(() => summary(b as never)).toThrow(TypeError);
      expect(() => summary(x, { frac: 0 })).toThrow(/^summary: frac must be/);
      return 0;
    });
  });
});

describe('quantiles by selection (public n, shuffle-then-quickselect)', () => {
  it("publicRank gives R's quantile types 1-9 for every n up to 40", () => {
    for (let n = 1; n <= 40; n++) {
      // Distinct, evenly spaced values: the interpolation is exact.
      const xs = Array.from({ length: n }, (_, i) => (i + 1) * 1000);
      for (let type = 1; type <= 9; type++) {
        for (const p of [0, 0.01, 0.1, 0.2, 0.25, 1 / 3, 0.5, 0.75, 0.9, 0.99, 1]) {
          const { j, h } = publicRank(n, p, type);
          const lo = xs[j - 1]!;
          const hi = xs[Math.min(j, n - 1)]!;
          const got = lo + (Number(h) / 2 ** 32) * (hi - lo);
          expect(
            Math.abs(got - quantileOfType(xs, p, type)),
            `n ${n} type ${type} p ${p}`,
          ).toBeLessThan(1e-3);
        }
      }
    }
  });

  for (const c of [
    { suite: 'rep3', parties: 3 },
    { suite: 'shamir', parties: 3 },
  ]) {
    it(`median and 90th percentile of int(24) values with duplicates and extremes (${label(c)})`, async () => {
      let seed = 5;
      const rnd = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      const xs = Array.from({ length: 61 }, (_, i) =>
        i % 9 === 0 ? -(2 ** 23) : i % 13 === 0 ? 2 ** 23 - 1 : Math.floor(rnd() * 200) - 100,
      );
      const probs = [0, 0.5, 0.9, 1];
      const r = await run(c, async (s) => {
        const x = column(s, int(24), xs);
        return s.revealAll([quantile(x, probs), quantile(x, probs, { type: 2 })]);
      });
      const sorted = [...xs].sort((a, b) => a - b);
      probs.forEach((p, k) => {
        near(`type 7, p = ${p}`, (r[0] as number[])[k]!, quantileOfType(sorted, p, 7), 2 ** -18);
        near(`type 2, p = ${p}`, (r[1] as number[])[k]!, quantileOfType(sorted, p, 2), 2 ** -18);
      });
    });

    it(`quantiles of int(32) values at the type's extremes (${label(c)})`, async () => {
      // Interpolating between -2^31 and 2^31 - 1 at scale 2^32 would need 65 bits: the
      // public weights are split instead (this returned -2^27 for -2^31 before).
      const xs = [-(2 ** 31), -(2 ** 31), 5, 2 ** 31 - 1, 2 ** 31 - 1, 0, -1];
      const probs = [0, 0.1, 0.3, 0.5, 0.9, 1];
      const r = (await run(c, async (s) =>
        quantile(column(s, int(32), xs), probs).reveal(),
      )) as number[];
      const sorted = [...xs].sort((a, b) => a - b);
      probs.forEach((p, k) =>
        // p is rounded to 2^-32, which moves the weight by up to 6 x 2^-33 over a gap of 2^32.
        near(`p = ${p}`, r[k]!, quantileOfType(sorted, p, 7), 4),
      );
      expect(r[0]).toBe(-(2 ** 31));
      expect(r[5]).toBe(2 ** 31 - 1);
    });
  }
});
