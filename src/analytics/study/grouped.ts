/**
 * Logistic regression on per-cell counts, for models whose predictors take
 * few values (categorical, boolean, or integers with a narrow declared
 * range): the records fall into C public cells (one per combination of
 * predictor values), and the binomial log-likelihood depends on the data
 * only through each cell's record count n_c and outcome count s_c:
 *   l(b) = sum_c s_c x_c.b - n_c log(1 + e^(x_c.b)).
 * So the maximum-likelihood estimate is exactly R's glm(family = binomial)
 * on the records, computed on C cells instead of N records.
 *
 * Horizontal partitioning makes the cell counts cheap and private: each
 * party counts its own records per cell (applying the analysis's `where`
 * conditions and complete cases to its own rows, in the clear) and inputs the
 * two count vectors as secrets; the counts of all parties are added inside
 * MPC. No party learns another's counts or the totals; only the released
 * coefficients (after suppression) are opened. The Newton iterations then run
 * on C values: the cell design x_c is public, the counts and coefficients secret.
 *
 * The iteration mirrors the statistics library's per-record Newton method
 * (src/analytics/stats/regression.ts: features scaled to [-1, 1] by their
 * public ranges, the Hessian and gradient scaled by 2^-lg, the library's SPD
 * solve), with counts as weights, but with the piecewise-polynomial sigmoid
 * (`sigmoidPiecewise` in src/ops/fixed.ts: 129 comparisons per value, which
 * only C values can afford, for 16 rounds instead of 44; the same error
 * bound) and from a start at the average of the parties' own fits
 * (`localLogisticStart`), which leaves fewer Newton steps.
 * Precision: as the per-record method (about 1e-3 relative after 8 steps).
 * Cost per iteration: a sigmoid of C values and a 3 x 3 solve, whatever N.
 */
import * as fxops from '../../ops/fixed.js';
import type { SecretFixed, SecretInt } from '../../api/secret.js';
import type { Session } from '../../api/session.js';
import { Fx, log2ceil } from '../stats/fx.js';
import {
  inverseLost,
  NEWTON_TOLERANCE,
  newtonFitLost,
  newtonLoop,
  type NewtonIterate,
  newtonStep,
} from '../stats/regression.js';
import { survivalWithGreenwood } from '../stats/survival.js';
import type { Column, Schema } from '../data/schema.js';
import type { Analysis, RegressionAnalysis } from './spec.js';

/** Fractional bits of the scaled design and of the linear predictor (as the library). */
const FX_FRAC = 20;
const FZ = 16;
const FS = 24;
/** Coefficients of scaled features stay below 2^QS. */
const QS = 6;

/** Most cells a grouped fit enumerates. */
export const MAX_CELLS = 4096;
/** Widest integer range treated as a set of values. */
const MAX_VALUES = 512;

/** The values of one predictor as cells: their number, and the design columns per value. */
export interface PredictorCells {
  readonly name: string;
  /** Number of distinct values (cells along this predictor). */
  readonly size: number;
  /** The design columns' names. */
  readonly terms: readonly string[];
  /** The design columns' values for value index v (unscaled). */
  readonly features: (v: number) => number[];
  /** The value index of a record's encoded value. */
  readonly index: (encoded: number) => number;
  /** Public range of each design column. */
  readonly ranges: readonly [number, number][];
}

/** How a predictor splits into cells, or undefined when it takes too many values. */
export function predictorCells(c: Column): PredictorCells | undefined {
  switch (c.type) {
    case 'categorical':
      return {
        name: c.name,
        size: c.levels.length,
        terms: c.levels.slice(1).map((l) => `${c.name} = ${l}`),
        features: (v) => c.levels.slice(1).map((_, j) => (v === j + 1 ? 1 : 0)),
        index: (x) => x,
        ranges: c.levels.slice(1).map(() => [0, 1] as [number, number]),
      };
    case 'boolean':
      return {
        name: c.name,
        size: 2,
        terms: [`${c.name} = true`],
        features: (v) => [v],
        index: (x) => x,
        ranges: [[0, 1]],
      };
    case 'integer':
      if (c.max - c.min + 1 > MAX_VALUES) return undefined;
      return {
        name: c.name,
        size: c.max - c.min + 1,
        terms: [c.name],
        features: (v) => [c.min + v],
        index: (x) => x - c.min,
        ranges: [[c.min, c.max]],
      };
    default:
      return undefined;
  }
}

/**
 * The cells of a logistic regression fitted on cell counts (Newton's method,
 * every predictor with few values, at most MAX_CELLS cells), or undefined
 * when it is fitted per record. Shared by the analysis and the SQL pushdown.
 */
export function logisticCells(schema: Schema, r: RegressionAnalysis): PredictorCells[] | undefined {
  if (r.learningRate !== undefined) return undefined;
  const cells = r.predictors.map((name) =>
    predictorCells(schema.columns.find((c) => c.name === name)!),
  );
  if (cells.some((c) => c === undefined)) return undefined;
  const cs = cells as PredictorCells[];
  return cs.reduce((x, c) => x * c.size, 1) > MAX_CELLS ? undefined : cs;
}

/**
 * The key of an analysis's local aggregate that is counted per record over a
 * few columns (survival intervals, Cox and logistic cells, a linear regression's
 * cross sums), or undefined for
 * an analysis without one. One place, shared with the SQL pushdown.
 */
export function rowCountsKey(schema: Schema, a: Analysis): string | undefined {
  switch (a.type) {
    case 'kaplan-meier':
    case 'log-rank':
      return `surv:${a.id}`;
    case 'cox':
      return `cox:${a.id}`;
    case 'logistic-regression':
      return logisticCells(schema, a) ? `cells:${a.id}` : undefined;
    case 'linear-regression':
      // Its exact cross sums (linear.ts), computed from these rows once the row counts are known.
      return `lm:${a.id}`;
    case 'covariance':
    case 'correlation':
      return `cross:${a.id}`;
    default:
      return undefined;
  }
}

export interface GroupedModel {
  readonly coefficients: SecretFixed;
  readonly standardErrors: SecretFixed;
  /** 1 when the coefficients cannot be trusted (see LogisticModel.fitLost). */
  readonly fitLost: SecretInt;
  /** 1 when the standard errors cannot be trusted (see LogisticModel.standardErrorsLost). */
  readonly standardErrorsLost: SecretInt;
  readonly loss: SecretFixed;
  readonly n: SecretInt;
  /** Newton steps taken (public; see `newtonLoop`). */
  readonly iterationsRun: Promise<number>;
}

/**
 * Fits the model by at most `iterations` Newton steps on secret cell counts,
 * stopping after the first step below `tolerance` (revealed; 0: every step).
 * `n` and `successes` are secret vectors of length C (cells in mixed-radix
 * order of `cells`); `maxRecords` is the public row count (a bound on n).
 * @throws {RangeError} for lengths that do not match the cells.
 */
export function groupedLogistic(
  s: Session,
  cells: readonly PredictorCells[],
  n: SecretInt,
  successes: SecretInt,
  maxRecords: number,
  iterations = 8,
  frac = 20,
  tolerance = NEWTON_TOLERANCE,
  start?: SecretInt,
): GroupedModel {
  const C = cells.reduce((a, c) => a * c.size, 1);
  if (n.length !== C || successes.length !== C)
    throw new RangeError(
      `groupedLogistic: expected ${C} cell counts, got ${n.length} and ${successes.length}`,
    );
  const { design, scale, p } = cellDesign(cells);
  if (start && start.length !== p)
    throw new RangeError(`groupedLogistic: expected ${p} start coefficients, got ${start.length}`);
  const Xcm = Fx.constant(s, design, FX_FRAC).withBound(FX_FRAC + 3);
  const Xrm = Xcm.gather(
    Uint32Array.from({ length: C * p }, (_, q) => (q % p) * C + Math.floor(q / p)),
  );
  const lg = log2ceil(maxRecords + 1);
  const countBits = lg + 2;
  const N = Fx.of(n).withBound(countBits);
  const S = Fx.of(successes).withBound(countBits);
  const zBound = QS + log2ceil(p) + FZ + 2;
  // Always the bound zBound (a looser one than the first step's, from coefficients 0), so that
  // every Newton step has the same scales.
  const predictor = (beta: Fx) => {
    const z = Xrm.dotGroups(beta.tile(C), p, FZ);
    return z.make(z.sh, z.frac, zBound);
  };
  const sigmoid = (z: Fx) =>
    z.kernel(fxops.sigmoidPiecewise, { bits: zBound + 1, frac: FZ }, zBound, FZ, FZ + 2);
  const ia = Uint32Array.from(
    { length: p * p * C },
    (_, q) => Math.floor(q / (p * C)) * C + (q % C),
  );
  const ib = Uint32Array.from(
    { length: p * p * C },
    (_, q) => (Math.floor(q / C) % p) * C + (q % C),
  );
  const iterate = (beta: Fx, withInverse: boolean): NewtonIterate => {
    const z = predictor(beta);
    const sig = sigmoid(z);
    // Expected successes n_c sigma_c <= n_c.
    const mu = N.mul(sig, FZ).withBound(countBits + FZ + 1);
    const resid = S.rescale(FZ)
      .sub(mu)
      .withBound(countBits + FZ + 1);
    const grad = Xcm.dotGroups(resid.tile(p), C, FX_FRAC).withBound(lg + FX_FRAC + 3);
    // Weights n_c sigma_c (1 - sigma_c) <= n_c / 4.
    const wt = mu.mul(sig.neg().addPublic([1]), FZ).withBound(countBits + FZ);
    const wX = wt
      .tile(p)
      .mul(Xcm, FX_FRAC)
      .withBound(countBits + FX_FRAC);
    const Hs = Xcm.gather(ia)
      .dotGroups(wX.gather(ib), C, FX_FRAC)
      .withBound(lg + FX_FRAC + 2);
    // H / 2^lg and g / 2^lg (a change of scale) keep the solve's entries near 1.
    const H = Hs.make(Hs.sh, Hs.frac + lg, Hs.bound);
    const gN = grad.make(grad.sh, grad.frac + lg, grad.bound);
    const step = newtonStep(H, gN, p, withInverse);
    return {
      next: beta.add(step.delta).clamp(QS),
      delta: step.delta,
      H,
      inverse: step.inverse,
      at: { z, sig, gN },
    };
  };
  // A start from the parties' local fits (localLogisticStart, each within +-2^QS / P, so the sum
  // within +-2^QS): scaled coefficients with FX_FRAC fractional bits.
  const beta0 = start
    ? Fx.of(start).make(Fx.of(start).sh, FX_FRAC, QS + FX_FRAC + 2)
    : Fx.zero(s, p, FX_FRAC);
  const fit = newtonLoop(beta0, iterate, iterations, tolerance);
  const beta = fit.beta;
  const Z = fit.inverse;
  const seLost = inverseLost(fit.H, Z, p);
  // The score at the final coefficients: near 0 certifies them (newtonFitLost). Newton's
  // discarded step began there, so its predictor, sigmoid and score serve.
  const z = fit.atFinal('z', () => predictor(beta));
  const sigZ = fit.atFinal('sig', () => sigmoid(z));
  const finalGrad = fit.atFinal('gN', () => {
    const finalMu = N.mul(sigZ, FZ).withBound(countBits + FZ + 1);
    const g = Xcm.dotGroups(
      S.rescale(FZ)
        .sub(finalMu)
        .withBound(countBits + FZ + 1)
        .tile(p),
      C,
      FX_FRAC,
    ).withBound(lg + FX_FRAC + 3);
    return g.make(g.sh, g.frac + lg, g.bound);
  });
  const lost = newtonFitLost(beta, finalGrad);
  // Mean loss: sum_c n_c softplus(z_c) - s_c z_c over N; softplus(z) = max(z, 0) + log(1 + e^-|z|).
  // softplus by pieces (16 rounds; exp and log took about 60), as the sigmoid.
  const softplus = z.kernel(
    fxops.softplusPiecewise,
    { bits: zBound + 1, frac: FZ },
    zBound,
    FZ,
    zBound + 1,
  );
  const cellLoss = N.mul(softplus, FZ).sub(S.mul(z, FZ));
  const total = N.sum();
  // total is known long before the loss: its reciprocal is computed meanwhile (early).
  const loss = cellLoss.sum().divide(total, { qBits: QS + 4, frac, early: true });
  // Back to the features' units: b_j = bt_j / h_j, b_0 = bt_0 - sum_j bt_j c_j / h_j.
  const T: number[][] = Array.from({ length: p }, (_, i) =>
    Array.from({ length: p }, (_, j) => {
      if (i === 0) return j === 0 ? 1 : -scale[j - 1]!.c / scale[j - 1]!.h;
      return i === j ? 1 / scale[i - 1]!.h : 0;
    }),
  );
  const coefficients = Fx.concat(T.map((row) => beta.mulPublic(row, FX_FRAC).sum()));
  // Cov(b) = T Z T^T / 2^lg (Z inverts H / 2^lg).
  const Zs = Z.rescale(FS);
  const q = Fx.concat(
    T.map((row) =>
      Zs.mulPublic(
        Array.from({ length: p * p }, (_, t) => row[Math.floor(t / p)]! * row[t % p]!),
        FS,
      ).sum(),
    ),
  );
  const se = q
    .make(q.sh, q.frac + lg, q.bound)
    .relu()
    .sqrt();
  return {
    coefficients: coefficients.rescale(frac).toFixed(frac),
    standardErrors: se.rescale(frac).toFixed(frac),
    fitLost: lost.toInt(),
    standardErrorsLost: seLost.toInt(),
    loss: loss.toFixed(frac),
    n: total.toInt(),
    iterationsRun: fit.iterations,
  };
}

/**
 * The public design of a cell model: an intercept, then each predictor's
 * features mapped to [-1, 1] by their public ranges, column-major (p x C),
 * cells in mixed-radix order (the last predictor varying fastest).
 */
function cellDesign(cells: readonly PredictorCells[]): {
  design: number[];
  scale: { c: number; h: number }[];
  p: number;
  C: number;
} {
  const C = cells.reduce((a, c) => a * c.size, 1);
  const ranges = cells.flatMap((c) => c.ranges);
  const p = ranges.length + 1;
  const scale = ranges.map(([lo, hi]) => ({ c: (lo + hi) / 2, h: (hi - lo) / 2 }));
  const design = new Array<number>(p * C).fill(0);
  for (let q = 0; q < C; q++) {
    let rest = q;
    const x: number[] = [];
    const idx = new Array<number>(cells.length);
    for (let j = cells.length - 1; j >= 0; j--) {
      idx[j] = rest % cells[j]!.size;
      rest = Math.floor(rest / cells[j]!.size);
    }
    cells.forEach((c, j) => x.push(...c.features(idx[j]!)));
    design[q] = 1;
    x.forEach((v, j) => (design[(j + 1) * C + q] = (v - scale[j]!.c) / scale[j]!.h));
  }
  return { design, scale, p, C };
}

/** Newton steps of a local fit in the clear; a fit that has not converged by then is not used. */
const LOCAL_ITERATIONS = 30;

/**
 * One party's contribution to the start of the secure Newton fit: its own
 * maximum-likelihood estimate on its own cell counts (`counts`: n_c then
 * s_c, as the analysis's local aggregate), in the scaled units of
 * `groupedLogistic`, divided by the number of parties P and encoded with
 * FX_FRAC fractional bits, so that the secret sum of the parties' inputs is
 * the average of their local fits. Computed in the clear on the party's own
 * data only; it is input as a secret and nothing of it is revealed. Its
 * only visible effect is the number of Newton steps, which is public anyway
 * (a start near the pooled estimate needs fewer). A party whose local fit
 * does not converge (too few records, separation in its own data, a
 * coefficient beyond 2^QS) inputs zeros, pulling the start towards the
 * default 0 but not changing the estimate Newton converges to.
 */
export function localLogisticStart(
  cells: readonly PredictorCells[],
  counts: ArrayLike<number>,
  parties: number,
): number[] {
  const { design, p, C } = cellDesign(cells);
  const zero = new Array<number>(p).fill(0);
  if (counts.length !== 2 * C) return zero;
  let b = zero.slice();
  for (let it = 0; it < LOCAL_ITERATIONS; it++) {
    const g = new Array<number>(p).fill(0);
    const H = new Array<number>(p * p).fill(0);
    for (let c = 0; c < C; c++) {
      const nc = counts[c]!;
      if (!(nc > 0)) continue;
      let z = 0;
      for (let j = 0; j < p; j++) z += design[j * C + c]! * b[j]!;
      const mu = 1 / (1 + Math.exp(-z));
      const w = nc * mu * (1 - mu);
      for (let i = 0; i < p; i++) {
        const xi = design[i * C + c]!;
        g[i]! += xi * (counts[C + c]! - nc * mu);
        for (let j = 0; j < p; j++) H[i * p + j]! += w * xi * design[j * C + c]!;
      }
    }
    const d = solveDense(H, g, p);
    if (!d) return zero;
    b = b.map((v, j) => v + d[j]!);
    if (b.some((v) => !Number.isFinite(v) || Math.abs(v) >= 2 ** QS - 1)) return zero;
    if (d.every((v) => Math.abs(v) < 1e-9)) {
      const unit = 2 ** FX_FRAC;
      return b.map((v) => Math.round((v / parties) * unit));
    }
  }
  return zero;
}

/** x with A x = y by Gaussian elimination with partial pivoting, or undefined when singular. */
function solveDense(A: readonly number[], y: readonly number[], p: number): number[] | undefined {
  const M = Array.from({ length: p }, (_, i) => [...A.slice(i * p, i * p + p), y[i]!]);
  for (let col = 0; col < p; col++) {
    let piv = col;
    for (let r = col + 1; r < p; r++) if (Math.abs(M[r]![col]!) > Math.abs(M[piv]![col]!)) piv = r;
    if (!(Math.abs(M[piv]![col]!) > 1e-12)) return undefined;
    [M[col], M[piv]] = [M[piv]!, M[col]!];
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const f = M[r]![col]! / M[col]![col]!;
      for (let c = col; c <= p; c++) M[r]![c]! -= f * M[col]![c]!;
    }
  }
  return M.map((row, i) => row[p]! / row[i]!);
}

/**
 * Kaplan-Meier curves from per-interval counts (G groups x K points,
 * group-major): S(t_k) = prod_(j <= k) (1 - d_j / n_j), a factor of 1 where
 * no one is at risk, exactly 0 once everyone has had the event, and
 * Greenwood's variance of log S. The statistics library's arithmetic
 * (survivalWithGreenwood in src/analytics/stats/survival.ts), on counts that
 * the owners aggregated locally instead of counts from n x K comparisons in MPC.
 */
export function kaplanMeierFromCounts(
  atRisk: Fx,
  events: Fx,
  G: number,
  K: number,
  frac = 20,
): { survival: SecretFixed; greenwood: Fx } {
  const r = survivalWithGreenwood(atRisk, events, G, K);
  return { survival: r.survival.rescale(frac).toFixed(frac), greenwood: r.greenwood };
}

/**
 * The log-rank statistic of two groups from per-interval counts (2 x K,
 * group-major), as the statistics library's logRank (R's survdiff(rho = 0)
 * on the intervals): O - E and V summed over the points, X^2 = (O - E)^2 / V.
 */
export function logRankFromCounts(
  atRisk: Fx,
  events: Fx,
  K: number,
  frac = 20,
): {
  observed: SecretInt;
  expected: SecretFixed;
  statistic: SecretFixed;
  /** Observed and expected events of both groups, [2] each. */
  observedByGroup: SecretInt;
  expectedByGroup: SecretFixed;
} {
  const n1 = atRisk.slice(0, K);
  const n = n1.add(atRisk.slice(K, 2 * K));
  const d1 = events.slice(0, K);
  const d = d1.add(events.slice(K, 2 * K));
  const e = n1.divide(n, { qBits: 1, frac: 30 });
  const rho = n.sub(d).divide(n.sub(1).relu(), { qBits: 2, frac: 30 });
  // 0 <= e <= 1 (up to rounding), so d e <= d; e (1 - e) <= 1/4 and rho <= 2.
  const expectedK = d.mul(e, 30).withBound(d.bound + 31);
  const oMinusE = d1.sub(expectedK).sum();
  const v = e
    .mul(e.neg().addPublic([1]), 30)
    .withBound(31)
    .mul(rho, 30)
    .withBound(32)
    .mul(d, 30)
    .withBound(d.bound + 31)
    .sum()
    .relu();
  const z = oMinusE.divide(v.sqrt(), { qBits: 12, frac: 16, saturate: true });
  // Group 2's: its events, and the rest of the expected total (E1 + E2 = O1 + O2); local.
  const e1 = expectedK.sum();
  return {
    observed: d1.sum().toInt(),
    expected: e1.rescale(frac).toFixed(frac),
    statistic: z.mul(z, 16).toFixed(16),
    observedByGroup: Fx.concat([d1.sum(), events.slice(K, 2 * K).sum()]).toInt(),
    expectedByGroup: Fx.concat([e1, d.sum().rescale(e1.frac).sub(e1)])
      .rescale(frac)
      .toFixed(frac),
  };
}

/**
 * An owner's per-interval counts of its own records (in the clear, on its own
 * table): at risk at the start of each interval (time > t_(k-1); every record
 * for k = 0) and events in (t_(k-1), t_k], per group, group-major, at risk
 * first then events: 2 G K numbers. `group(i)` is a record's group or -1;
 * `weight(i)` the records row i stands for (a pushed-down GROUP BY's counts).
 */
export function localSurvivalCounts(
  rows: number,
  selected: (i: number) => boolean,
  group: (i: number) => number,
  time: (i: number) => number,
  event: (i: number) => boolean,
  G: number,
  times: readonly number[],
  weight: (i: number) => number = () => 1,
): Float64Array {
  const K = times.length;
  const out = new Float64Array(2 * G * K);
  for (let i = 0; i < rows; i++) {
    const g = group(i);
    if (!selected(i) || g < 0) continue;
    const t = time(i);
    const w = weight(i);
    for (let k = 0; k < K; k++) {
      if (k > 0 && !(t > times[k - 1]!)) break;
      out[g * K + k]! += w;
      if (event(i) && t <= times[k]!) out[G * K + g * K + k]! += w;
    }
  }
  return out;
}
