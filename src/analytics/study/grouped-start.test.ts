/**
 * The start of the grouped logistic fit from the parties' own fits
 * (localLogisticStart): in the clear, it solves each party's score equations;
 * in MPC (rep3, every party run), a fit from the averaged start reaches the
 * same estimate as a fit from 0, in fewer Newton steps.
 */
import { describe, expect, it } from 'vitest';
import { int } from '../../api/types.js';
import { rng } from '../stats/testdata.js';
import { run } from '../../../test/harness.js';
import { groupedLogistic, localLogisticStart, type PredictorCells } from './grouped.js';

/** age 18..95 (78 cells) x arm (2): the bundled study's model. */
const CELLS: PredictorCells[] = [
  {
    name: 'age',
    size: 78,
    terms: ['age'],
    features: (v) => [18 + v],
    index: (x) => x - 18,
    ranges: [[18, 95]],
  },
  {
    name: 'arm',
    size: 2,
    terms: ['arm = B'],
    features: (v) => [v],
    index: (x) => x,
    ranges: [[0, 1]],
  },
];
const C = 156;
/** Ceiling on the rounds of the fit from the local start (rep3). */
const GROUPED_FIT_ROUNDS = 305;

/** One party's counts (n_c, then s_c) from `rows` records of a known model. */
function counts(rows: number, seed: number): Float64Array {
  const g = rng(seed);
  const out = new Float64Array(2 * C);
  for (let i = 0; i < rows; i++) {
    const age = 18 + Math.floor(g() * 78);
    const arm = g() < 0.5 ? 1 : 0;
    const q = (age - 18) * 2 + arm;
    out[q]! += 1;
    if (g() < 1 / (1 + Math.exp(-(1.5 - 0.03 * age + 0.6 * arm)))) out[C + q]! += 1;
  }
  return out;
}

/** The score sum_c x_c (s_c - n_c sigma(x_c . b)) at scaled coefficients b. */
function score(cnt: Float64Array, b: readonly number[]): number[] {
  const g = [0, 0, 0];
  for (let q = 0; q < C; q++) {
    const x = [1, (18 + Math.floor(q / 2) - 56.5) / 38.5, ((q % 2) - 0.5) / 0.5];
    const z = x.reduce((a, v, j) => a + v * b[j]!, 0);
    const r = cnt[C + q]! - cnt[q]! / (1 + Math.exp(-z));
    x.forEach((v, j) => (g[j]! += v * r));
  }
  return g;
}

describe('localLogisticStart', () => {
  it("solves the party's own score equations, divided by the number of parties", () => {
    const cnt = counts(3000, 7);
    const enc = localLogisticStart(CELLS, cnt, 3);
    const b = enc.map((v) => (3 * v) / 2 ** 20);
    expect(b.every((v) => Math.abs(v) > 0.05)).toBe(true);
    for (const g of score(cnt, b)) expect(Math.abs(g)).toBeLessThan(0.05);
    expect(enc.every((v) => Number.isInteger(v))).toBe(true);
  });

  it('gives zeros for no records, one outcome only (separation) and the wrong length', () => {
    expect(localLogisticStart(CELLS, new Float64Array(2 * C), 3)).toEqual([0, 0, 0]);
    const all = counts(500, 8);
    all.copyWithin(C, 0, C); // every record a success: the estimate is infinite
    expect(localLogisticStart(CELLS, all, 3)).toEqual([0, 0, 0]);
    const one = new Float64Array(2 * C);
    one[0] = 1;
    expect(localLogisticStart(CELLS, one, 3)).toEqual([0, 0, 0]);
    expect(localLogisticStart(CELLS, new Float64Array(5), 3)).toEqual([0, 0, 0]);
  });

  it('in MPC: the fit from the averaged local fits equals the fit from 0, in fewer steps', async () => {
    const own = [counts(3000, 11), counts(3000, 12), counts(3000, 13)];
    const pooled = own.reduce((a, x) => a.map((v, i) => v + x[i]!));
    const r = await run({ suite: 'rep3', parties: 3 } as const, async (s) => {
      const i = s.parties.indexOf(s.me);
      const inp = (v: ArrayLike<number> | undefined, len: number) =>
        s.parties.map((p) => s.input(p, int(34), p === s.me ? v! : len)).reduce((a, x) => a.add(x));
      const cnt = inp(own[i], 2 * C);
      const start = inp(localLogisticStart(CELLS, own[i]!, 3), 3);
      await Promise.all([cnt.shares, start.shares]);
      const fit = async (st?: typeof start) => {
        const before = s.stats().rounds;
        const m = groupedLogistic(
          s,
          CELLS,
          cnt.slice(0, C),
          cnt.slice(C),
          9000,
          8,
          20,
          undefined,
          st,
        );
        const b = (await m.coefficients.reveal()).map(Number);
        await Promise.all([m.standardErrors.shares, m.loss.shares, m.fitLost.shares]);
        return { b, steps: await m.iterationsRun, rounds: s.stats().rounds - before };
      };
      return { zero: await fit(), start: await fit(start) };
    });
    const { zero, start } = r;
    console.log('grouped fit (rep3, 156 cells):', { zero, start });
    expect(start.steps).toBeLessThan(zero.steps);
    // Rounds of the whole fit (coefficients, standard errors, loss, checks): a ceiling, the
    // count measured when the piecewise sigmoid and softplus and the early division came in.
    expect(start.rounds).toBeLessThanOrEqual(GROUPED_FIT_ROUNDS);
    start.b.forEach((v, j) => expect(Math.abs(v - zero.b[j]!)).toBeLessThan(2e-3));
    // Both are the pooled estimate: its score (in scaled units) is near 0.
    const [b0, bAge, bArm] = start.b;
    const scaled = [b0! + bAge! * 56.5 + bArm! * 0.5, bAge! * 38.5, bArm! * 0.5];
    for (const g of score(pooled, scaled)) expect(Math.abs(g) / 9000).toBeLessThan(1e-3);
  });
});
