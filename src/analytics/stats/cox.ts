/**
 * Cox proportional-hazards regression on secret per-interval counts, with
 * Breslow's handling of tied event times, as R's coxph(ties = "breslow").
 *
 * Model and data: the predictors take few values (categorical levels,
 * booleans, binned or narrow integers), so the records fall into C public
 * covariate patterns ("cells") with design rows x_c. Time is split by public
 * points t_1 < ... < t_K into intervals (t_(k-1), t_k], and the records may
 * be split into S strata (a baseline hazard each, R's strata()). For each
 * risk set l = (stratum, interval) and cell c the inputs are secret counts:
 * n_lc, the records still at risk at the start of the interval
 * (time > t_(k-1)), and d_lc, the events in it. Every event of an interval is
 * treated as happening at t_k, so the Breslow partial log-likelihood is
 *   l(b) = sum_l [ sum_c d_lc x_c.b - D_l log sum_c n_lc e^(x_c.b) ],
 * D_l = sum_c d_lc: it depends on the records only through the counts. When
 * the records' times are the public points themselves (integer times with a
 * point at every value, as the study does by default for integer times with
 * at most 2,001 values), this is exactly R's fit; otherwise it is R's fit on
 * times rounded up to the next point.
 *
 * Fitting (all inside MPC, on secrets): Newton-Raphson from b = 0 for a fixed
 * number of iterations. Each iteration evaluates, per risk set, the weights
 * w_lc = n_lc e^(z_c) / S0_l (z_c = x_c.b, one exp per cell and one division
 * per risk set and cell), the weighted means xbar_l and second moments M_l
 * of the (public) design, then the score U = sum_l sum_c d_lc x_c - D_l xbar_l
 * and the information I = sum_l D_l (M_l - xbar_l xbar_l^T), and solves
 * I delta = U with the statistics library's SPD solve. The design is scaled to
 * [-1, 1] by the predictors' public ranges (so fixed point keeps precision;
 * the Cox model has no intercept, so the shift is immaterial) and mapped back.
 *
 * Revealed by the caller (nothing here): the coefficients, their standard
 * errors (from I^-1 at the last iterate) and the Wald, likelihood-ratio and
 * score statistics; the counts, the score, the information and the
 * log-likelihood stay secret.
 *
 * References: Cox, JRSS B 34 (1972); Breslow, Biometrics 30 (1974);
 * Therneau and Grambsch, Modeling Survival Data (2000), ch. 3.
 */
import * as fxops from '../../ops/fixed.js';
import type { SecretFixed, SecretInt } from '../../api/secret.js';
import { chiSquaredSf, normalCdf } from '../distributions.js';
import { resultFrac } from './common.js';
import { Fx, log2ceil } from './fx.js';
import { newtonStep } from './regression.js';

/** Fractional bits of the scaled design and coefficients, and of the linear predictor. */
const FX_FRAC = 20;
const FZ = 20;
/** Scaled coefficients stay below 2^QS (as the library's Newton step saturates). */
const QS = 6;
/**
 * e^z is held with EXP_INT integer bits: exp clamps z at (EXP_INT + 1/2) ln 2
 * (about 10) and returns a value below 2^(EXP_INT + 1); its bound has two more bits.
 */
const EXP_INT = 14;
const EXP_BOUND = EXP_INT + 3;
/** Fractional bits of the weights w, the means and the second moments. */
const FW = 30;

export interface CoxDesign {
  /** C rows of p numbers: each cell's predictor values (unscaled, e.g. 0/1 dummies). */
  readonly cells: readonly (readonly number[])[];
  /** Public [lo, hi] of each predictor (the cells' values lie within). */
  readonly ranges: readonly (readonly [number, number])[];
}

export interface CoxOptions {
  /** Number of strata S (default 1). */
  strata?: number;
  /** Newton-Raphson iterations (default 6). */
  iterations?: number;
  /** Fractional bits of the results (default 20). */
  frac?: number;
}

/** A fitted Cox model, secret. */
export interface CoxModel {
  /** One log hazard ratio per predictor, in the predictors' units. */
  coefficients: SecretFixed;
  standardErrors: SecretFixed;
  /** b^T I b, chi-squared with p df under b = 0. */
  wald: SecretFixed;
  /** 2 (l(b) - l(0)). */
  likelihoodRatio: SecretFixed;
  /** U(0)^T I(0)^-1 U(0) (the log-rank test for one categorical predictor). */
  score: SecretFixed;
  /** Records used (at risk in the first interval) and events. */
  n: SecretInt;
  events: SecretInt;
  /** 1 when every coefficient's last Newton step was below CONVERGED (scaled units), else 0. */
  converged: SecretInt;
}

/** A last Newton step below this (in the scaled coefficients) counts as converged. */
export const CONVERGED = 2 ** -14;

/**
 * Fits the Cox model from secret counts laid out risk set by risk set
 * (stratum-major, then interval, then cell: index (s K + k) C + c).
 * `maxRecords` is the public number of records (a bound on every count).
 *
 * Precision: exp and log 2^-20 relative, each weight 2^-25 relative. Against
 * R on 240 records with 138 events (the tests): coefficients within 1e-6,
 * standard errors and the score statistic within 3e-5 relative, the Wald
 * statistic within 1e-4 relative, the likelihood-ratio statistic within
 * 2e-4 absolute (its error grows as events x 2^-20). Six iterations from 0
 * converge for hazard ratios of everyday size; a model that R needs more
 * iterations for needs `iterations` raised. This assumes the linear
 * predictors of a risk set differ by less than about 10 (hazard ratios
 * between covariate patterns below e^10): beyond that exp saturates.
 * Cost per iteration: one exp of C values, one division of S K C values, a
 * few rounds of products and a p x p solve (about 40 p rounds in rep3);
 * then one more evaluation, a log of S K values and the Wald quadratic form.
 * @example
 *   const m = coxFromCounts(atRisk, events, K, { cells: [[0], [1]], ranges: [[0, 1]] }, rows);
 * @throws {RangeError} for counts that do not match the design, or sizes beyond 63-bit room.
 */
export function coxFromCounts(
  atRisk: SecretInt,
  events: SecretInt,
  K: number,
  design: CoxDesign,
  maxRecords: number,
  opts: CoxOptions = {},
): CoxModel {
  const op = 'coxFromCounts';
  const S = opts.strata ?? 1;
  const iterations = opts.iterations ?? 6;
  const f = resultFrac(op, opts.frac);
  const C = design.cells.length;
  const p = design.ranges.length;
  if (p === 0) throw new RangeError(`${op}: no predictors`);
  if (C === 0 || design.cells.some((r) => r.length !== p))
    throw new RangeError(`${op}: every cell needs ${p} predictor values`);
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new RangeError(`${op}: iterations must be a positive integer`);
  const L = S * K;
  if (atRisk.length !== L * C || events.length !== L * C)
    throw new RangeError(
      `${op}: expected ${L * C} counts (${S} strata x ${K} intervals x ${C} cells), got ${atRisk.length} and ${events.length}`,
    );
  const s = atRisk.session;
  const lg = log2ceil(maxRecords + 1);
  const countBound = lg + 1;
  const lgC = log2ceil(C);
  // a_lc = n_lc e^z_c and its sum over the cells must stay within 63 bits.
  const FE = Math.min(20, 64 - countBound - EXP_BOUND - lgC);
  if (FE < 8)
    throw new RangeError(
      `${op}: ${maxRecords} records and ${C} cells leave too few bits for exp (use fewer cells)`,
    );

  // The scaled design x~ = (x - mid) / half, public.
  const scale = design.ranges.map(([lo, hi]) => ({ c: (lo + hi) / 2, h: (hi - lo) / 2 || 1 }));
  const xs = design.cells.map((row) => row.map((v, j) => (v - scale[j]!.c) / scale[j]!.h));
  const Xrm = Fx.constant(s, xs.flat(), FX_FRAC).withBound(FX_FRAC + 3); // C x p
  // Moment constants per cell: x~_j (p), then x~_j x~_k for j <= k (p (p + 1) / 2).
  const pairs: [number, number][] = [];
  for (let j = 0; j < p; j++) for (let k = j; k < p; k++) pairs.push([j, k]);
  const Q = p + pairs.length;
  const moment = (c: number, q: number) =>
    q < p ? xs[c]![q]! : xs[c]![pairs[q - p]![0]]! * xs[c]![pairs[q - p]![1]]!;

  const N = Fx.of(atRisk).withBound(countBound);
  const D = Fx.of(events).withBound(countBound);
  const Dl = D.sumGroups(C).withBound(countBound); // events per risk set
  const Nl = N.sumGroups(C).withBound(countBound); // at risk per risk set
  // Events per cell (over all risk sets), then sum_c dc_c x~_c: secret integers times public reals.
  const cellMajor = Uint32Array.from({ length: L * C }, (_, q) => (q % L) * C + Math.floor(q / L));
  const dc = D.gather(cellMajor).sumGroups(L).withBound(countBound);
  const dX = dc
    .gather(Uint32Array.from({ length: p * C }, (_, q) => q % C))
    .mulPublic(
      Array.from({ length: p * C }, (_, q) => xs[q % C]![Math.floor(q / C)]!),
      FX_FRAC,
    )
    .sumGroups(C)
    .withBound(countBound + FX_FRAC + 2);

  const predictor = (beta: Fx) =>
    Xrm.dotGroups(beta.tile(C), p, FZ).withBound(QS + log2ceil(p) + FZ + 2);
  const expOf = (z: Fx) =>
    z.make(
      z.sh.then((a) => fxops.exp(z.suite, a, { bits: FE + EXP_INT + 2, frac: FE }, z.bound)),
      FE,
      FE + EXP_BOUND,
    );
  /** S0 per risk set and the weights w_lc = n_lc e^z_c / S0_l. */
  const weights = (beta: Fx) => {
    const e = expOf(predictor(beta)).tile(L);
    const a = N.mul(e, FE);
    const S0 = a.sumGroups(C);
    const w = a.divide(S0.repeatEach(C), { qBits: 1, frac: FW });
    return { S0, w };
  };

  /** Score, information and (for the log-likelihood) S0 at beta, unscaled. */
  const evaluate = (beta: Fx) => {
    const { S0, w } = weights(beta);
    // Moments per risk set: sum_c w_lc m_q(c) for q < Q (one local product each).
    const idx = Uint32Array.from({ length: L * Q * C }, (_, t) => {
      const l = Math.floor(t / (Q * C));
      return l * C + (t % C);
    });
    const consts = Array.from({ length: L * Q * C }, (_, t) =>
      moment(t % C, Math.floor(t / C) % Q),
    );
    const mom = w
      .gather(idx)
      .mulPublic(consts, FW)
      .sumGroups(C)
      .withBound(FW + 3); // L x Q
    const xbar = mom.gather(
      Uint32Array.from({ length: L * p }, (_, t) => Math.floor(t / p) * Q + (t % p)),
    );
    const M = mom.gather(
      Uint32Array.from(
        { length: L * pairs.length },
        (_, t) => Math.floor(t / pairs.length) * Q + p + (t % pairs.length),
      ),
    );
    // xbar_j xbar_k per pair, and D_l xbar_l.
    const xj = xbar.gather(
      Uint32Array.from(
        { length: L * pairs.length },
        (_, t) => Math.floor(t / pairs.length) * p + pairs[t % pairs.length]![0],
      ),
    );
    const xk = xbar.gather(
      Uint32Array.from(
        { length: L * pairs.length },
        (_, t) => Math.floor(t / pairs.length) * p + pairs[t % pairs.length]![1],
      ),
    );
    const cov = M.sub(xj.mul(xk, FW).withBound(FW + 3)).withBound(FW + 3);
    const DP = Dl.repeatEach(p + pairs.length);
    const both = DP.mul(Fx.concat([xbar, cov]).gather(interleave(L, p, pairs.length)), FW);
    // Sum over risk sets: columns of both (L x (p + P)).
    const colMajor = Uint32Array.from({ length: L * Q }, (_, t) => (t % L) * Q + Math.floor(t / L));
    const sums = both
      .gather(colMajor)
      .sumGroups(L)
      .withBound(countBound + FW + 3);
    const U = dX
      .rescale(FW)
      .sub(sums.slice(0, p))
      .withBound(countBound + FW + 3);
    const Ipairs = sums.slice(p, Q);
    // The full p x p information (row-major) from its upper triangle.
    const full = Ipairs.gather(
      Uint32Array.from({ length: p * p }, (_, t) => {
        const i = Math.floor(t / p);
        const j = t % p;
        const [a, b] = i <= j ? [i, j] : [j, i];
        return pairs.findIndex(([x, y]) => x === a && y === b);
      }),
    );
    return { U, I: full, S0 };
  };

  // Information / 2^lg and score / 2^lg (a change of scale) keep the solve's entries near 1.
  const scaled = (x: Fx) => x.make(x.sh, x.frac + lg, x.bound);
  let beta = Fx.zero(s, p, FX_FRAC);
  let Z: Fx | undefined;
  let H: Fx | undefined;
  let scoreStat: Fx | undefined;
  let lastStep: Fx | undefined;
  for (let it = 0; it < iterations; it++) {
    const { U, I } = evaluate(beta);
    const last = it === iterations - 1;
    const g = scaled(U);
    H = scaled(I);
    const step = newtonStep(H, g, p, last);
    // Score test at b = 0: U^T I^-1 U = U . delta.
    if (it === 0) scoreStat = U.mul(step.delta, 24).sum();
    if (last) {
      Z = step.inverse;
      lastStep = step.delta;
    }
    beta = beta.add(step.delta).clamp(QS);
  }
  const score = scoreStat!;

  // Wald: b~^T I b~ = 2^lg b~^T H b~ (H at the last iterate).
  // |H| <= 1 (events / 2^lg, the moments' spread at most 1), so |H b~| <= p 2^QS.
  const Hb = H!
    .withBound(H!.frac + 3)
    .dotGroups(beta.tile(p), p, FW)
    .withBound(QS + log2ceil(p) + FW + 2);
  const wald = Hb.mul(beta, FW).sum();
  const waldStat = wald.make(wald.sh, wald.frac - lg, wald.bound);

  // Likelihood ratio: 2 (sum_c dc_c z_c - sum_l D_l log(S0_l(b) / N_l)).
  const z = predictor(beta);
  const { S0 } = weights(beta);
  const ratio = S0.divide(Nl, { qBits: EXP_INT + 1, frac: 30 });
  // An empty risk set (N_l = 0, so D_l = 0) gets ratio 1 instead of 0, so that its log is 0.
  const empty = Nl.eqz();
  const safe = ratio.add(empty.rescale(30)).withBound(EXP_INT + 32);
  const logR = safe.make(
    safe.sh.then((a) => fxops.log(safe.suite, a, { bits: EXP_INT + 33, frac: 30 }, safe.bound)),
    30,
    30 + 8,
  );
  const dz = dc.mul(z, FZ).sum();
  const dlog = Dl.mul(logR, FZ).sum();
  const lr = dz.sub(dlog).scaleInt([2n]);

  // Back to the predictors' units: b_j = b~_j / h_j; Cov(b) = T Z T / 2^lg with T = diag(1 / h).
  const inv = scale.map((x) => 1 / x.h);
  const coefficients = beta.mulPublic(inv, FX_FRAC);
  const diag = Z!.gather(Uint32Array.from({ length: p }, (_, i) => i * p + i)).rescale(24);
  const variance = diag.mulPublic(
    inv.map((v) => v * v),
    24,
  );
  const se = variance
    .make(variance.sh, variance.frac + lg, variance.bound)
    .relu()
    .sqrt();
  const n = Nl.gather(Uint32Array.from({ length: S }, (_, st) => st * K)).sum();
  return {
    coefficients: coefficients.rescale(f).toFixed(f),
    standardErrors: se.rescale(Math.min(f, se.frac)).toFixed(f),
    wald: waldStat.rescale(Math.min(f, waldStat.frac)).toFixed(f),
    likelihoodRatio: lr.rescale(Math.min(f, lr.frac)).toFixed(f),
    score: score.rescale(Math.min(f, score.frac)).toFixed(f),
    n: n.toInt(),
    events: Dl.sum().toInt(),
    converged: convergedFlag(lastStep!, p).toInt(),
  };
}

/** [|delta_j| < CONVERGED for every j]: 2p comparisons in one round, then one more. */
function convergedFlag(delta: Fx, p: number): Fx {
  const below = Fx.concat([delta.sub(CONVERGED), delta.neg().sub(CONVERGED)]).ltz();
  return below
    .sum()
    .sub(2 * p)
    .eqz();
}

/** Order (l, q) of [xbar (L x p) | cov (L x P)] concatenated: risk set by risk set. */
function interleave(L: number, p: number, P: number): Uint32Array {
  const Q = p + P;
  return Uint32Array.from({ length: L * Q }, (_, t) => {
    const l = Math.floor(t / Q);
    const q = t % Q;
    return q < p ? l * p + q : L * p + l * P + (q - p);
  });
}

/** A revealed Cox model with hazard ratios, 95% limits and p-values computed in the clear. */
export interface CoxResult {
  coefficients: number[];
  standardErrors: number[];
  hazardRatios: number[];
  lower95: number[];
  upper95: number[];
  /** Wald z test per coefficient, two-sided. */
  pValues: number[];
  wald: number;
  likelihoodRatio: number;
  score: number;
  df: number;
  waldP: number;
  likelihoodRatioP: number;
  scoreP: number;
  n: number;
  events: number;
  /** Whether the last Newton step was below CONVERGED (undefined when not known). */
  converged?: boolean;
}

/** Hazard ratios, 95% limits exp(b +- 1.96 se) and p-values as R's summary(coxph). */
export function coxSummary(
  b: readonly number[],
  se: readonly number[],
  tests: {
    wald: number;
    likelihoodRatio: number;
    score: number;
    n: number;
    events: number;
    converged?: boolean;
  },
): CoxResult {
  const z975 = 1.959963984540054;
  const df = b.length;
  return {
    coefficients: [...b],
    standardErrors: [...se],
    hazardRatios: b.map((x) => Math.exp(x)),
    lower95: b.map((x, j) => Math.exp(x - z975 * se[j]!)),
    upper95: b.map((x, j) => Math.exp(x + z975 * se[j]!)),
    pValues: b.map((x, j) => (se[j]! > 0 ? 2 * normalCdf(-Math.abs(x / se[j]!)) : NaN)),
    ...tests,
    df,
    waldP: chiSquaredSf(Math.max(0, tests.wald), df),
    likelihoodRatioP: chiSquaredSf(Math.max(0, tests.likelihoodRatio), df),
    scoreP: chiSquaredSf(Math.max(0, tests.score), df),
  };
}

/** Reveals a model (every party must call it) and completes it in the clear. */
export async function revealCox(m: CoxModel): Promise<CoxResult> {
  const [b, se, w, lr, sc, n, d, ok] = await Promise.all([
    m.coefficients.reveal(),
    m.standardErrors.reveal(),
    m.wald.reveal(),
    m.likelihoodRatio.reveal(),
    m.score.reveal(),
    m.n.reveal(),
    m.events.reveal(),
    m.converged.reveal(),
  ]);
  return coxSummary(b, se, {
    wald: w[0]!,
    likelihoodRatio: lr[0]!,
    score: sc[0]!,
    n: Number(n[0]!),
    events: Number(d[0]!),
    converged: ok[0] === 1n,
  });
}

/**
 * An owner's counts of its own records for a Cox fit (in the clear, on its
 * own table): per stratum, interval and cell, at risk at the start of the
 * interval (time > t_(k-1); every record for k = 0) and events in
 * (t_(k-1), t_k]; at risk first then events, 2 S K C numbers, laid out as
 * coxFromCounts reads them. `stratum(i)` or `cell(i)` of -1 leaves a record out;
 * `weight(i)` is the records row i stands for (a pushed-down GROUP BY's counts).
 */
export function localCoxCounts(
  rows: number,
  selected: (i: number) => boolean,
  stratum: (i: number) => number,
  cell: (i: number) => number,
  time: (i: number) => number,
  event: (i: number) => boolean,
  S: number,
  C: number,
  times: readonly number[],
  weight: (i: number) => number = () => 1,
): Float64Array {
  const K = times.length;
  const LC = S * K * C;
  const out = new Float64Array(2 * LC);
  for (let i = 0; i < rows; i++) {
    const st = stratum(i);
    const c = cell(i);
    if (!selected(i) || st < 0 || c < 0) continue;
    const t = time(i);
    const w = weight(i);
    for (let k = 0; k < K; k++) {
      if (k > 0 && !(t > times[k - 1]!)) break;
      const q = (st * K + k) * C + c;
      out[q]! += w;
      if (event(i) && t <= times[k]!) out[LC + q]! += w;
    }
  }
  return out;
}
