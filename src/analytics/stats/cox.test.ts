/**
 * Cox regression on secret per-interval counts against R's
 * coxph(ties = "breslow") on test/r/cox.csv (times on the public points, so
 * the answers agree), with strata, an integer predictor and coarser points;
 * each party counts its own records and inputs the counts; plus edges.
 */
import { describe, expect, it } from 'vitest';
import { int } from '../../api/types.js';
import type { Session } from '../../api/session.js';
import { label, run } from '../../../test/harness.js';
import { R_COX, readRCsv, type RCox } from '../../../test/methods-data.js';
import { coxFromCounts, localCoxCounts, revealCox, type CoxDesign, type CoxResult } from './cox.js';
import { STAT_SUITES, near } from './testdata.js';

const cox = readRCsv('cox.csv');
const rows = cox.time!.length;
const time = cox.time!.map(Number);
const status = cox.status!.map((v) => v === '1');
const arm = cox.arm!.map((a) => ['A', 'B', 'C'].indexOf(a));
const female = cox.female!.map((v) => v === 'TRUE');
const site = cox.site!.map((v) => (v === 'north' ? 0 : 1));

interface Model {
  design: CoxDesign;
  cell: (i: number) => number;
  strata: number;
  stratum: (i: number) => number;
  times: number[];
  /** Time as the fit sees it. */
  time?: (i: number) => number;
}

const EVERY_MONTH = Array.from({ length: 12 }, (_, i) => i + 1);
// Cells: arm (A, B, C) x female (false, true), the last varying fastest.
const ARM_FEMALE: CoxDesign = {
  cells: [0, 1, 2].flatMap((a) => [0, 1].map((f) => [a === 1 ? 1 : 0, a === 2 ? 1 : 0, f])),
  ranges: [
    [0, 1],
    [0, 1],
    [0, 1],
  ],
};
const MODELS: Record<keyof typeof R_COX, Model> = {
  armFemaleStrata: {
    design: ARM_FEMALE,
    cell: (i) => arm[i]! * 2 + (female[i] ? 1 : 0),
    strata: 2,
    stratum: (i) => site[i]!,
    times: EVERY_MONTH,
  },
  arm: {
    design: {
      cells: [
        [0, 0],
        [1, 0],
        [0, 1],
      ],
      ranges: [
        [0, 1],
        [0, 1],
      ],
    },
    cell: (i) => arm[i]!,
    strata: 1,
    stratum: () => 0,
    times: EVERY_MONTH,
  },
  armnumStrata: {
    design: { cells: [[0], [1], [2]], ranges: [[0, 2]] },
    cell: (i) => arm[i]!,
    strata: 2,
    stratum: (i) => site[i]!,
    times: EVERY_MONTH,
  },
  coarse: {
    design: ARM_FEMALE,
    cell: (i) => arm[i]! * 2 + (female[i] ? 1 : 0),
    strata: 2,
    stratum: (i) => site[i]!,
    // Events per interval (0, 3], (3, 6], ...: R's fit on times rounded up to the points.
    times: [3, 6, 9, 12],
  },
};

/** Each party counts its own records (rows i with i mod 3 = party) and inputs the counts. */
function fit(s: Session, m: Model, iterations?: number) {
  const C = m.design.cells.length;
  const LC = m.strata * m.times.length * C;
  const parts = s.parties.map((p, k) => {
    if (p !== s.me) return s.input(p, int(16), 2 * LC);
    const local = localCoxCounts(
      rows,
      (i) => i % s.parties.length === k,
      m.stratum,
      m.cell,
      (i) => time[i]!,
      (i) => status[i]!,
      m.strata,
      C,
      m.times,
    );
    return s.input(p, int(16), Array.from(local));
  });
  let sum = parts[0]!;
  for (const x of parts.slice(1)) sum = sum.add(x);
  const bits = Math.ceil(Math.log2(rows + 1)) + 1;
  const atRisk = s.wrap(int(bits), [LC], bits, sum.slice(0, LC).shares);
  const events = s.wrap(int(bits), [LC], bits, sum.slice(LC, 2 * LC).shares);
  return coxFromCounts(atRisk, events, m.times.length, m.design, rows, {
    strata: m.strata,
    ...(iterations ? { iterations } : {}),
  });
}

function expectR(got: CoxResult, want: RCox) {
  expect([got.n, got.events, got.converged]).toEqual([want.n, want.events, true]);
  want.coef.forEach((b, j) => {
    near(`coef ${j}`, got.coefficients[j]!, b, 1e-5);
    near(`se ${j}`, got.standardErrors[j]!, want.se[j]!, 0, 2e-5);
    near(`HR ${j}`, got.hazardRatios[j]!, want.hr[j]!, 0, 2e-5);
    near(`lower ${j}`, got.lower95[j]!, want.lower[j]!, 0, 5e-5);
    near(`upper ${j}`, got.upper95[j]!, want.upper[j]!, 0, 5e-5);
    near(`p ${j}`, got.pValues[j]!, want.p[j]!, 0, 5e-4);
  });
  near('wald', got.wald, want.wald, 0, 3e-4);
  near('likelihood ratio', got.likelihoodRatio, want.lr, 1e-3);
  near('score', got.score, want.score, 0, 1e-4);
}

for (const c of STAT_SUITES) {
  describe(label(c), () => {
    it("arm + female + strata(site) matches R's coxph(ties = 'breslow')", async () => {
      const r = await run(c, async (s) => revealCox(fit(s, MODELS.armFemaleStrata)));
      expectR(r, R_COX.armFemaleStrata);
    });

    it('arm alone, an integer predictor, and coarse time points match R', async () => {
      const r = await run(c, async (s) => ({
        arm: await revealCox(fit(s, MODELS.arm)),
        armnum: await revealCox(fit(s, MODELS.armnumStrata)),
        coarse: await revealCox(fit(s, MODELS.coarse)),
      }));
      expectR(r.arm, R_COX.arm);
      expectR(r.armnum, R_COX.armnumStrata);
      expectR(r.coarse, R_COX.coarse);
    });
  });
}

describe('coxFromCounts: edges', () => {
  it('reports a fit stopped before convergence', async () => {
    const r = await run({ suite: 'rep3', parties: 3 }, async (s) =>
      revealCox(fit(s, MODELS.armFemaleStrata, 1)),
    );
    expect(r.converged).toBe(false);
    // One step from 0 is still in the right direction.
    expect(Math.sign(r.coefficients[1]!)).toBe(-1);
  });

  it('no difference between groups gives b = 0 and zero statistics; bad shapes are refused', async () => {
    const r = await run({ suite: 'rep3', parties: 3 }, async (s) => {
      // Two cells with identical counts in every risk set: the estimate is exactly 0.
      const n = [10, 10, 8, 8, 5, 5, 0, 0];
      const d = [2, 2, 3, 3, 1, 1, 0, 0];
      const inp = (v: number[]) => s.input('p1', int(8), s.me === 'p1' ? v : v.length);
      const m = coxFromCounts(inp(n), inp(d), 4, { cells: [[0], [1]], ranges: [[0, 1]] }, 40);
      expect(() =>
        coxFromCounts(inp(n), inp(d), 3, { cells: [[0], [1]], ranges: [[0, 1]] }, 40),
      ).toThrow(/expected 6 counts/);
      return revealCox(m);
    });
    near('coef', r.coefficients[0]!, 0, 1e-4);
    near('wald', r.wald, 0, 1e-4);
    near('lr', r.likelihoodRatio, 0, 1e-3);
    near('score', r.score, 0, 1e-4);
    expect([r.n, r.events]).toEqual([20, 12]);
  });
});
