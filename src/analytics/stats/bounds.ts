/**
 * Stated error bounds of the cross-product statistics (cov, cor, linear
 * regression), as functions of the columns' public types, the row count
 * and the data's spread: what docs/ANALYTICS.md states and
 * precision.property.test.ts checks against float64 on inputs sampled
 * across the types' ranges.
 *
 * Two sources of error, each bounded separately:
 * - Encoding. crossmatrix.ts replaces a wide column by its values (less
 *   their secret mean) on the grid of one candidate, chosen obliviously;
 *   the products of the encodings are then exact. The rounding moves each
 *   centred column by a vector whose sd is at most `slack(grid)`, and which
 *   candidates a column can be given depends only on its spread (each
 *   level's public threshold on the plain estimate, itself within the plain
 *   grid's slack of the true sd). `encodingSlack` is the largest over the
 *   possible candidates: 0 for narrow columns and for tiny spreads (the
 *   finest level is the column's own grid).
 * - Arithmetic. Each quotient q_jl is taken at the encodings' scale with
 *   min(f + 8, 61 - bits) fractional bits (a unit of 2^(1 - F) there, two
 *   truncations), divisions add relative 2^-22, square roots also lose what
 *   `sqrtInputFrac` drops of their input, and the result is truncated to
 *   2^-frac.
 */
import { columnCandidates, pairBits, pairCountBits, type Candidate } from './crossmatrix.js';
import { log2ceil, mulCut, sqrtInputFrac, wideMulPlan } from './fx.js';
import {
  coefficientFrac,
  GRADIENT_TOLERANCE,
  INVERSE_TOLERANCE,
  type FxShape,
  type LinearSePlan,
} from './regression.js';
import { allowedQuotients, slack, variancePlan } from './variance.js';

/** A column's public shape: its bound (bits) and fractional bits. */
export interface ColumnShape {
  readonly bound: number;
  readonly frac: number;
}

/** Relative error of one division (Catrina-Saxena with three Goldschmidt steps: 2^-25) with margin. */
const DIV = 2 ** -22;

/** A candidate with its rounding grid (0 when it is the column's own grid). */
interface Possible {
  readonly candidate: Candidate;
  readonly grid: number;
}

/**
 * The candidates a column of true sd `sd` can be encoded with: the finest
 * level whose threshold the plain estimate v1 stays below, where
 * (sd - g1)^2 <= v1 <= (sd + g1)^2 up to the division's relative error.
 */
function possible(shape: ColumnShape, rows: number, sd: number): Possible[] {
  const cands = columnCandidates(shape.bound, shape.frac, rows);
  const plan = variancePlan(shape.bound, shape.frac, rows);
  if (plan.grid === 0) return [{ candidate: cands[0]!, grid: 0 }];
  const g1 = slack(plan.grid, rows);
  const lo = Math.max(0, sd - g1) ** 2 * (1 - DIV);
  const hi = (sd + g1) ** 2 * (1 + DIV);
  // Levels finest first with their thresholds; a level is used when v1 < its threshold and
  // v1 >= every finer one's; the plain grid when v1 >= every threshold.
  const fine = plan.levels;
  const out: Possible[] = [];
  fine.forEach((level, i) => {
    const below = i === 0 ? 0 : fine[i - 1]!.threshold;
    if (hi >= below && lo < level.threshold)
      out.push({ candidate: cands[cands.length - 1 - i]!, grid: level.grid });
  });
  const top = fine.length ? fine[fine.length - 1]!.threshold : 0;
  if (hi >= top) out.push({ candidate: cands[0]!, grid: plan.grid });
  return out;
}

/** The largest sd of the rounding a column of this shape and true sd can be given (0: exact). */
export function encodingSlack(shape: ColumnShape, rows: number, sd: number): number {
  return Math.max(0, ...possible(shape, rows, sd).map((p) => (p.grid ? slack(p.grid, rows) : 0)));
}

/**
 * The unit (in the columns' units) of the quotient q_ab for each pair of
 * possible candidates, worst case: 2^(1 - F - f_a - f_b), F the fractional
 * bits of that pair's own quotient format; and a root's unit likewise.
 */
function quotientUnit(
  a: ColumnShape,
  b: ColumnShape,
  same: boolean,
  rows: number,
  sdA: number,
  sdB: number,
  resultFrac: number,
): { unit: number; rootUnit: number } {
  let unit = 0;
  let rootUnit = 0;
  for (const pa of possible(a, rows, sdA))
    for (const pb of same ? [pa] : possible(b, rows, sdB)) {
      const bits = pairBits(pa.candidate, pb.candidate, same);
      const F = Math.min(resultFrac + 8, 61 - bits);
      const scale = pa.candidate.frac + pb.candidate.frac;
      // divideWithRoom drops the numerator's low bits when bits + bits(den) leave no room.
      const dropped = Math.max(0, bits + pairCountBits(rows) - 61);
      const cut = dropped > 0 ? 2 ** dropped / (rows * Math.max(1, rows - 1)) : 0;
      unit = Math.max(unit, (2 ** (1 - F) + cut) * 2 ** -scale);
      // Same column: a root's output unit, in the column's units. The root keeps its input's
      // fractional bits (fewer when `sqrtInputFrac` drops some).
      const kept = Math.min(F, sqrtInputFrac(bits + F + 2, F));
      rootUnit = Math.max(rootUnit, 2 ** (1 - kept - scale / 2));
    }
  return { unit, rootUnit };
}

/**
 * A bound on |cov released - cov true| for columns of these shapes over
 * `rows` rows with true sds sdX, sdY: the encodings' rounding
 * gx sdY + gy sdX + gx gy, the division's relative error on |cov| <= sdX sdY,
 * and the quotient's and the result's units.
 */
export function covErrorBound(
  x: ColumnShape,
  y: ColumnShape,
  rows: number,
  sdX: number,
  sdY: number,
  resultFrac = 20,
): number {
  const gx = encodingSlack(x, rows, sdX);
  const gy = encodingSlack(y, rows, sdY);
  const { unit } = quotientUnit(x, y, false, rows, sdX, sdY, resultFrac);
  return (
    gx * sdY + gy * sdX + gx * gy + DIV * (sdX + gx) * (sdY + gy) + unit + 2 ** (1 - resultFrac)
  );
}

/**
 * The relative error of a standard deviation taken from the cross-product
 * matrix (regression's sds): the encoding's slack, the quotient's and the
 * root's input units, the division and the root.
 */
export function crossSdRelError(
  shape: ColumnShape,
  rows: number,
  sd: number,
  resultFrac = 20,
): number {
  if (sd === 0) return 0;
  const g = encodingSlack(shape, rows, sd);
  const { unit, rootUnit } = quotientUnit(shape, shape, true, rows, sd, sd, resultFrac);
  // The sd in the column's units is read at one scale for every candidate (crossmatrix.ts's
  // inUnits): the most fractional bits the widest leaves, at most resultFrac + 8.
  const readBits = columnCandidates(shape.bound, shape.frac, rows).map(
    (c) => Math.ceil(c.varBits / 2) + 1,
  );
  const readUnit = 2 ** -Math.min(resultFrac + 8, ...readBits.map((b) => 60 - b));
  // The quotient's unit u moves the root by u / (2 sd) at most; the root adds its own unit.
  return g / sd + unit / (2 * sd * sd) + (rootUnit + readUnit) / sd + 2 * DIV;
}

/**
 * A bound on |r released - r true| (r = 0 by convention when a column is
 * constant, and then released exactly 0). Rounding a centred column by a
 * vector of sd g turns it by at most asin(g / sd) <= (pi / 2) g / sd, and r
 * is the cosine of the angle between the two. The arithmetic is
 * scale-free (crossmatrix.ts, `normalisedCorrelation`: exact numerators
 * scaled into [1/4, 1) by secret powers of two, two roots of relative
 * 2^-22, one division of relative 2^-25 plus two units of 2^-28): within
 * 2^-20, plus the result's two units of 2^-resultFrac.
 */
export function corErrorBound(
  x: ColumnShape,
  y: ColumnShape,
  rows: number,
  sdX: number,
  sdY: number,
  resultFrac = 20,
): number {
  if (sdX === 0 || sdY === 0) return 2 ** -resultFrac;
  const turn = (g: number, sd: number) => (Math.PI / 2) * Math.min(1, g / sd);
  return Math.min(
    2,
    turn(encodingSlack(x, rows, sdX), sdX) +
      turn(encodingSlack(y, rows, sdY), sdY) +
      2 ** -20 +
      2 ** (1 - resultFrac),
  );
}

/** What the regression bound needs of the data (plaintext: the analyst's or a test's). */
export interface DesignStats {
  /** Features' and then the outcome's shapes (k + 1). */
  readonly shapes: readonly ColumnShape[];
  readonly rows: number;
  /** True sds and means, features then outcome. */
  readonly sds: readonly number[];
  readonly means: readonly number[];
  /** The features' correlation matrix (k x k, row-major) and their correlations with y. */
  readonly R: readonly number[];
  readonly r: readonly number[];
}

/** Per coefficient (intercept first) and for R^2, bounds on |released - true|. */
export interface RegressionBounds {
  readonly coefficients: number[];
  readonly rSquared: number;
}

/** The inverse of a small SPD matrix by Gauss-Jordan in float64 (undefined when singular). */
function inverse(A: readonly number[], k: number): number[] | undefined {
  const M = Array.from({ length: k }, (_, i) => [
    ...A.slice(i * k, i * k + k),
    ...Array.from({ length: k }, (_, j) => (i === j ? 1 : 0)),
  ]);
  for (let i = 0; i < k; i++) {
    const p = M[i]![i]!;
    if (!(Math.abs(p) > 1e-12)) return undefined;
    for (let c = 0; c < 2 * k; c++) M[i]![c]! /= p;
    for (let j = 0; j < k; j++) {
      if (j === i) continue;
      const f = M[j]![i]!;
      for (let c = 0; c < 2 * k; c++) M[j]![c]! -= f * M[i]![c]!;
    }
  }
  return M.flatMap((row) => row.slice(k));
}

/**
 * Bounds for `linearRegression` (slopes b_j = g_j sd_y / sd_j with
 * g = R^-1 r, intercept mean_y - sum b_j mean_j, R^2 = r . g).
 *
 * Each correlation entry is within `corErrorBound`; the fixed-point
 * Gauss-Jordan solve (24 fractional bits, k steps, every entry of the
 * Jacobi-scaled system below 64) is the exact solve of a system whose
 * entries moved by at most eta = 4 (k + 1) 2^-24 (1 + |g|), added to them.
 * With L = ||R^-1||_2 (here its Frobenius norm, an upper bound) and E, e
 * the Frobenius norms of the moves of R and r, perturbation theory gives
 * |dg| <= L (e + E |g|) / (1 - L E) while L E < 1/2; slopes add the
 * relative errors of both sds; the intercept adds |db_j| |mean_j| and the
 * means' relative 2^-24; all carry the coefficients' resolution
 * (`coefficientFrac`: 2^-f unless wide features leave the intercept fewer
 * bits). Infinite (no bound holds) when L E >= 1/2 or when
 * the elimination would pass 64 (L >= 32): the coefficients saturate then.
 */
export function linearRegressionErrorBound(d: DesignStats, resultFrac = 20): RegressionBounds {
  const k = d.sds.length - 1;
  const none: RegressionBounds = {
    coefficients: new Array<number>(k + 1).fill(Infinity),
    rSquared: Infinity,
  };
  const core = regressionCore(d, resultFrac);
  if (!core) return none;
  const { g, dg, rel } = core;
  // The coefficients' resolution (two units: truncations round either way).
  const unit =
    2 **
    (1 -
      coefficientFrac(
        d.shapes.map((c) => c.bound - 1 - c.frac),
        resultFrac,
      ));
  // b_j = (g_j sd_y) / sd_j in fixed point: sds carry their type's whole range as integer bits
  // (about bound - frac + 3), so the product truncates g_j to Fg bits (Fx.mul shares the cut by
  // fractional bits: 24 of g's against 28 of sd_y's) and the saturating division the
  // numerator to Fa bits; both are absolute errors before the division by sd_j.
  const sdBits = (c: ColumnShape) => c.bound - c.frac + 3;
  const Fg = Math.floor(((52 - sdBits(d.shapes[k]!)) * 24) / 52);
  const slopes = g.map((gj, j) => {
    const scale = d.sds[k]! / d.sds[j]!;
    const Fa = 34 - sdBits(d.shapes[j]!);
    const truncation = (2 ** -Fg * d.sds[k]! + 2 ** -Fa) / d.sds[j]!;
    return scale * (dg + Math.abs(gj) * (rel[j]! + rel[k]! + 2 * DIV)) + truncation + unit;
  });
  const b = g.map((gj, j) => (gj * d.sds[k]!) / d.sds[j]!);
  const meanErr = (j: number) => Math.abs(d.means[j]!) * 2 ** -24 + 2 ** -(resultFrac + 6);
  const intercept =
    meanErr(k) +
    slopes.reduce(
      (a, db, j) => a + db * (Math.abs(d.means[j]!) + meanErr(j)) + Math.abs(b[j]!) * meanErr(j),
      0,
    ) +
    (k + 2) * unit;
  return { coefficients: [intercept, ...slopes], rSquared: core.rSquaredErr };
}

/**
 * What the regression bounds share: R^-1 (Z) and its Frobenius norm L, the
 * moves E of R in the solve, g = Z r and its error, R^2's error, the sds'
 * relative errors. Undefined when no bound holds (singular R, a constant
 * column, L >= 32 or L E >= 1/2).
 */
function regressionCore(d: DesignStats, resultFrac: number) {
  const k = d.sds.length - 1;
  const inv = inverse(d.R, k);
  if (!inv || d.sds.some((s) => s === 0)) return undefined;
  const L = Math.sqrt(inv.reduce((a, v) => a + v * v, 0));
  if (L >= 32) return undefined;
  const g = Array.from({ length: k }, (_, i) =>
    d.r.reduce((a, rj, j) => a + inv[i * k + j]! * rj, 0),
  );
  const norm = (v: readonly number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  const gN = norm(g);
  const eta = 4 * (k + 1) * 2 ** -24 * (1 + gN);
  const corErr = (j: number, l: number) =>
    corErrorBound(d.shapes[j]!, d.shapes[l]!, d.rows, d.sds[j]!, d.sds[l]!, resultFrac);
  let E2 = 0;
  for (let j = 0; j < k; j++)
    for (let l = 0; l < k; l++) if (j !== l) E2 += (corErr(j, l) + eta) ** 2;
  E2 += k * eta * eta;
  const E = Math.sqrt(E2);
  const e = norm(Array.from({ length: k }, (_, j) => corErr(j, k) + eta));
  if (L * E >= 0.5) return undefined;
  const dg = (L * (e + E * gN)) / (1 - L * E) + 2 ** -22 * gN + 2 ** -23;
  const rel = d.sds.map((s, j) => crossSdRelError(d.shapes[j]!, d.rows, s, resultFrac));
  const rSquaredErr = e * gN + norm(d.r) * dg + e * dg + k * 2 ** -23 + 2 ** (1 - resultFrac);
  // Z' = (R + dR)^-1 (I + dI), ||dR|| <= E, every entry of dI below eta: each entry of Z moves
  // by at most the Frobenius norm of the difference.
  const dZ = (L * L * E * Math.sqrt(k) + L * k * eta) / (1 - L * E);
  const rSquared = d.r.reduce((a, rj, j) => a + rj * g[j]!, 0);
  return { inv, L, g, dg, rel, rSquared, rSquaredErr, dZ };
}

/** |a' o' - a o| for Fx.mulWide (a plain product when it fits), a' within da of a, o' within dO of o. */
function productErr(
  a: number,
  da: number,
  aS: FxShape,
  o: number,
  dO: number,
  oS: FxShape,
  out: FxShape,
): number {
  const A = Math.abs(a) + da;
  let e = Math.abs(a) * dO + Math.abs(o) * da + da * dO;
  const plan = wideMulPlan(aS.bound, aS.frac, oS.bound, oS.frac);
  if (plan) {
    // h 2^k within 2^(k - frac a) of a', times o' cut to fHi bits; the low limb |l| < 2^(k - frac a) times o' cut to fLo.
    const low = 2 ** (plan.k - aS.frac);
    if (plan.fHi < oS.frac) e += (A + low) * 2 ** -plan.fHi;
    if (plan.fLo < oS.frac) e += low * 2 ** -plan.fLo;
  } else {
    // A plain product, whose operands Fx.mul cuts when their bounds pass 63 bits.
    const cut = mulCut(aS.bound, aS.frac, oS.bound, oS.frac);
    if (cut) {
      const O = Math.abs(o) + dO;
      if (cut.fa < aS.frac) e += O * 2 ** -cut.fa;
      if (cut.fb < oS.frac) e += (A + 2 ** -cut.fa) * 2 ** -cut.fb;
    }
  }
  return e + 2 * 2 ** -out.frac;
}

/** |sqrt(x') - sqrt(x)| for Fx.sqrt (input cut to the output's bits, relative 2^-22, two units). */
function rootErr(x: number, dx: number, out: FxShape): number {
  const din = dx + 2 ** -out.frac;
  const r = Math.sqrt(Math.max(0, x));
  const moved = r > 0 ? Math.min(din / r, Math.sqrt(din)) : Math.sqrt(din);
  return moved + (r + moved) * 2 ** -22 + 2 * 2 ** -out.frac;
}

/** |a'/b' - a/b| for Fx.divide (numerator kept to numFrac bits, relative DIV, two units). */
function quotientErr(
  a: number,
  da: number,
  b: number,
  db: number,
  numFrac: number,
  out: FxShape,
): number {
  if (!(b > db)) return Infinity;
  const q = Math.abs(a) / b;
  const moved = (da + 2 ** -numFrac) / (b - db) + (q * db) / (b - db);
  return moved + (q + moved) * DIV + 2 * 2 ** -out.frac;
}

/**
 * Bounds on |released - true| for a linear model's sigma and standard
 * errors (intercept first), from the data's statistics and the model's
 * public `precision` plan (the formats its fixed-point steps used):
 * sigma = sd_y sqrt((1 - R^2)(n - 1)/(n - p)), se_j = sd_y sqrt((1 - R^2)
 * Z_jj) / (sd_j sqrt(n - p)), se_0 = sd_y sqrt((1 - R^2)((n - 1)/n + u^T Z
 * u)) / sqrt(n - p), u = mean / sd. Each input carries its stated error
 * (R^2 and Z from the perturbation bound of `linearRegressionErrorBound`,
 * the sds' relative errors, the counts' quotients' 2^-22), and each step
 * adds what its format loses: products (`productErr`, Fx.mulWide's limbs),
 * square roots (`rootErr`), divisions (`quotientErr`), the release at
 * 2^-frac. Infinite when no bound holds: n <= p, the coefficients' bound
 * is infinite, or a saturating quotient (|u| >= 2^7, se >= 2^23) could clamp.
 */
export function linearRegressionSeBound(
  d: DesignStats,
  plan: LinearSePlan,
  resultFrac = 20,
): { standardErrors: number[]; sigma: number } {
  const k = d.sds.length - 1;
  const p = k + 1;
  const n = d.rows;
  const none = { standardErrors: new Array<number>(k + 1).fill(Infinity), sigma: Infinity };
  const core = n > p ? regressionCore(d, resultFrac) : undefined;
  if (!core) return none;
  const S = plan.shapes;
  const shape = (name: string): FxShape => {
    const s = S[name];
    if (!s) throw new RangeError(`linearRegressionSeBound: the plan has no step '${name}'`);
    return s;
  };
  const units = (name: string) => 2 * 2 ** -shape(name).frac;
  const omr = 1 - core.rSquared;
  const dOmr = core.rSquaredErr;
  const sdY = d.sds[k]!;
  const dSdY = core.rel[k]! * sdY;
  const ratio = (n - 1) / (n - p);
  const dRatio = ratio * DIV + units('ratio');
  const lead0 = (n - 1) / n;
  const dLead0 = lead0 * DIV + units('lead0');
  const rootDf = Math.sqrt(n - p);
  const dRootDf = rootErr(n - p, 0, shape('rootDf'));
  const release = (out: string) => 2 ** -shape(out).frac + 2 * 2 ** -resultFrac;
  // sigma.
  const w = omr * ratio;
  const dW = productErr(omr, dOmr, shape('omr'), ratio, dRatio, shape('ratio'), shape('w'));
  const dRootW = rootErr(w, dW, shape('rootW'));
  const dSigma =
    productErr(sdY, dSdY, shape('sdY'), Math.sqrt(w), dRootW, shape('rootW'), shape('sigma')) +
    2 * 2 ** -resultFrac;
  // Slopes.
  const slopes = Array.from({ length: k }, (_, j) => {
    const sd = d.sds[j]!;
    const dSd = core.rel[j]! * sd;
    const Z = core.inv[j * k + j]!;
    const den = sd * rootDf;
    const dDen = productErr(
      sd,
      dSd,
      shape('sdX'),
      rootDf,
      dRootDf,
      shape('rootDf'),
      shape('denSlopes'),
    );
    const rq = omr * Z;
    const dRq = productErr(omr, dOmr, shape('omr'), Z, core.dZ, shape('Zdiag'), shape('rq'));
    const dRoot = rootErr(rq, dRq, shape('rootQ'));
    const num = sdY * Math.sqrt(rq);
    const dNum = productErr(
      sdY,
      dSdY,
      shape('sdY'),
      Math.sqrt(rq),
      dRoot,
      shape('rootQ'),
      shape('num'),
    );
    if (num / den >= 2 ** 23) return Infinity;
    return quotientErr(num, dNum, den, dDen, plan.numeratorFrac.se, shape('se')) + release('out');
  });
  // Intercept.
  const u = d.means.slice(0, k).map((m, j) => m / d.sds[j]!);
  if (u.some((v) => Math.abs(v) >= 2 ** 7))
    return { standardErrors: [Infinity, ...slopes], sigma: dSigma };
  const dU = u.map((_, j) => {
    const m = d.means[j]!;
    const dMean = Math.abs(m) * DIV + units('means');
    const sd = d.sds[j]!;
    return quotientErr(m, dMean, sd, core.rel[j]! * sd, plan.numeratorFrac.u, shape('u'));
  });
  let quad = 0;
  let dQuad = 0;
  for (let j = 0; j < k; j++)
    for (let l = 0; l < k; l++) {
      const uu = u[j]! * u[l]!;
      const dUu = productErr(u[j]!, dU[j]!, shape('u'), u[l]!, dU[l]!, shape('u'), shape('uu'));
      const Z = core.inv[j * k + l]!;
      quad += uu * Z;
      dQuad += productErr(uu, dUu, shape('uu'), Z, core.dZ, shape('Zfull'), shape('uuz'));
    }
  const s0 = quad + lead0;
  const dS0 = dQuad + dLead0 + units('s0');
  const r0 = s0 * omr;
  const dR0 = productErr(s0, dS0, shape('s0'), omr, dOmr, shape('omr'), shape('r0'));
  const dRoot0 = rootErr(r0, dR0, shape('root0'));
  const num0 = sdY * Math.sqrt(Math.max(0, r0));
  const dNum0 = productErr(
    sdY,
    dSdY,
    shape('sdY'),
    Math.sqrt(Math.max(0, r0)),
    dRoot0,
    shape('root0'),
    shape('num0'),
  );
  const intercept =
    quotientErr(num0, dNum0, rootDf, dRootDf, plan.numeratorFrac.se0, shape('se0')) +
    release('out');
  return { standardErrors: [intercept, ...slopes], sigma: dSigma };
}

/** What the t-test bound needs: the groups' true means and sizes, the variances' stated errors, the true se. */
export interface TTestStats {
  readonly means: readonly [number, number];
  readonly ns: readonly [number, number];
  /**
   * Bounds on the error of each group's variance candidate the test used:
   * `candidateVarianceError` with the larger of the two released sds as
   * `selectingSd` (the tests standardise at the finest level that fits both
   * groups).
   */
  readonly varianceErrors: readonly [number, number];
  /** The released variances: which candidate D was computed at depends on them. */
  readonly variances: readonly [number, number];
  /** The true se: sqrt(var1 / n1 + var2 / n2) (Welch), sqrt(s_p^2 (1 / n1 + 1 / n2)) (Student). */
  readonly se: number;
  /** Rows of the column (public; n1 + n2 when omitted). */
  readonly rows?: number;
  /** Student's pooled variance instead of Welch's. */
  readonly pooled?: boolean;
}

/**
 * A bound on |t released - t true| for the two-sample t = (m1 - m2) / se
 * (Welch's, or Student's with `pooled`), as hypothesis.ts computes it:
 * - the difference of means from the exact numerator S1 n2 - S2 n1 (low
 *   bits dropped only when it passes 63 bits) by one division: relative
 *   2^-23 of itself plus its unit;
 * - se from D = var1 n2 + var2 n1 (pooled: s_p^2 (n1 + n2)), taken at every
 *   variance candidate in its own format and kept at the finest level that
 *   fits both groups: the variances' stated errors through
 *   |se' - se| <= |se'^2 - se^2| / se, D's truncation at the worst candidate
 *   the released variances allow and the bits its square root drops (a
 *   wide level's D carries its level's whole range as integer bits, so a
 *   tiny D keeps about 22 fractional bits there: relative 2^-9 on sqrt(D)
 *   when D is near 2^-15), its root's unit, the divisions' relative 2^-22;
 * - the result's relative 2^-20, plus 2^-20 / se, and two units of 2^-frac
 *   (MPC truncation rounds either way).
 * Infinite when the variances' errors or D's truncation could reach a
 * quarter of se^2 (or se is 0: t saturates, as R refuses).
 */
export function tErrorBound(s: TTestStats, shape: ColumnShape, resultFrac = 20): number {
  const { means, ns, varianceErrors, se } = s;
  if (!(se > 0)) return Infinity;
  const rows = s.rows ?? ns[0] + ns[1];
  const lg = log2ceil(rows + 1);
  // D's fractional bits at a candidate with quotient bound 2^q: the level's quotient frac, or
  // what Fx.mul's 63-bit budget leaves of it in the product with a count.
  const selecting = Math.sqrt(Math.max(0, ...s.variances));
  const FD = Math.min(
    ...allowedQuotients(selecting, shape.bound, shape.frac, rows, resultFrac).map(
      ({ qBits: q, frac: fq }) => (q + fq + 2 + lg + 1 - 1 > 63 ? 63 - (q + 1) - lg - 3 : fq),
    ),
  );
  const kept = Math.min(FD, sqrtInputFrac(64, FD));
  const D = se * se * ns[0] * ns[1];
  // Each variance (the pooled one) loses up to 2^(1 - FD) before its product with a count.
  const dD = (ns[0] + ns[1]) * 2 ** (1 - FD);
  if (dD >= D / 4) return Infinity;
  const sD = Math.sqrt(D);
  // The root's unit, and what its input lost: D's truncation and the bits Fx.sqrt drops of it
  // (a unit of 2^-kept), each moving sqrt(D) by half its relative size.
  const rootRel = 2 ** (1 - kept) / sD + (dD + 2 ** -kept) / D;
  const d = Math.abs(means[0] - means[1]);
  const t = d / se;
  // The numerator S1 n2 - S2 n1: exact when the sums (bound + lg bits) times a count fit.
  const sBound = shape.bound + lg;
  const cut = Math.max(0, sBound + lg + 1 - 1 - 63 + 3);
  const qd = Math.max(1, shape.bound - 1 - shape.frac + 2);
  const dd =
    d * 2 ** -23 +
    2 ** (1 - Math.min(40, 60 - qd)) +
    (cut > 0 ? 2 ** (cut + 1 - shape.frac) / Math.min(ns[0], ns[1]) : 0);
  const [n1, n2] = ns;
  const dse2 = s.pooled
    ? (((n1 - 1) * varianceErrors[0] + (n2 - 1) * varianceErrors[1]) / Math.max(1, n1 + n2 - 2)) *
      (1 / n1 + 1 / n2)
    : varianceErrors[0] / n1 + varianceErrors[1] / n2;
  const dse = (dse2 + se * se * DIV) / se;
  if (dse >= se / 2) return Infinity;
  return (
    (dd + t * dse) / (se - dse) + t * (2 ** -20 + rootRel) + 2 ** -20 / se + 2 ** (1 - resultFrac)
  );
}

/** What the logistic-regression bound needs: public facts and the released model. */
export interface LogisticStats {
  /** Rows of the input (public; the score is checked at 2^ceil(log2(rows + 1)) times its tolerance). */
  readonly rows: number;
  /** Each feature's public [lo, hi] (`LogisticOptions.ranges`, or its type's range). */
  readonly ranges: ReadonlyArray<readonly [number, number]>;
  /** Released coefficients, intercept first, in the features' units. */
  readonly coefficients: readonly number[];
  /** Released standard errors (Newton), same order. */
  readonly standardErrors: readonly number[];
  /** `LogisticModel.scaledStandardErrors`, revealed: the same on the scaled coefficients. */
  readonly scaledStandardErrors: readonly number[];
  /** `LogisticModel.seRootFrac` (public). */
  readonly seRootFrac: number;
}

/**
 * A bound on |released - maximum-likelihood| for each coefficient and
 * standard error of a Newton logistic fit (`logisticRegression`) that was
 * released, i.e. passed both checks: the score at the final coefficients,
 * computed inside MPC, is at most GRADIENT_TOLERANCE 2^lg per component
 * (scaled units, features mapped to [-1, 1]), and the inverse Hessian Z
 * satisfies |H Z - I| <= INVERSE_TOLERANCE entrywise. Everything else
 * comes from the released values and public ranges, a posteriori:
 * - the true score s at the released coefficients is within the checked one
 *   plus n times the per-row error of the fixed-point sigmoid and predictor
 *   (2^-15 + 2^-20 sum|bt|), so |s_k| <= S;
 * - the logistic weight w = sigma (1 - sigma) has |w'| <= w, so between the
 *   released and the exact estimate the Hessian stays within a factor
 *   e^(+-M) of H, M = max_i |x_i' d| (features scaled to [-1, 1]); then per
 *   coefficient |t_j' d| <= e^M se_j sqrt(s' H^-1 s) <= e^M se_j S sum_k u_k
 *   (Cauchy-Schwarz in H^-1's inner product; u_k the scaled coefficients'
 *   standard errors), and M <= e^M S (sum_k u_k)^2, whose smallest root is
 *   below 0.5 when S (sum_k u_k)^2 <= 0.3;
 * - standard errors: the inverse's residual, the weights' fixed-point error
 *   (moving t_j' H^-1 t_j by at most eps n (se_j sum_k u_k)^2), the Hessian's
 *   change to the exact estimate (a factor within e^(+-M)), the quadratic
 *   form's truncations, the root, a feature's division by its half-width,
 *   and the result's two units of 2^-frac.
 * The released standard errors, and the scaled coefficients' (which carry
 * the correlations the released ones lose: an intercept far from the data
 * has a large se of its own), each taken with up to 50% error (verified at
 * the end), stand in for the true ones. Infinite (no bound) when a condition
 * fails: h > 1/2, a perturbation that could reach half the Hessian, or a
 * standard-error bound above half the released value.
 */
export function logisticErrorBound(
  s: LogisticStats,
  resultFrac = 20,
): { coefficients: number[]; standardErrors: number[] } {
  const p = s.ranges.length + 1;
  const none = {
    coefficients: new Array<number>(p).fill(Infinity),
    standardErrors: new Array<number>(p).fill(Infinity),
  };
  if (
    s.coefficients.length !== p ||
    s.standardErrors.length !== p ||
    s.scaledStandardErrors.length !== p
  )
    return none;
  const n = s.rows;
  const unit = 2 ** (1 - resultFrac);
  const scale = s.ranges.map(([lo, hi]) => ({ c: (lo + hi) / 2, h: (hi - lo) / 2 }));
  // b = T bt: row 0 = (1, -c_1/h_1, ...), row j = e_j / h_j.
  const T = Array.from({ length: p }, (_, i) =>
    Array.from({ length: p }, (_, j) => {
      if (i === 0) return j === 0 ? 1 : -scale[j - 1]!.c / scale[j - 1]!.h;
      return i === j ? 1 / scale[i - 1]!.h : 0;
    }),
  );
  const I = Array.from({ length: p }, (_, i) =>
    Array.from({ length: p }, (_, j) => (i === j ? 1 : 0)),
  );
  const b = s.coefficients;
  const bt = [
    b[0]! + scale.reduce((a, { c }, j) => a + c * b[j + 1]!, 0),
    ...scale.map(({ h }, j) => h * b[j + 1]!),
  ];
  const sumBt = bt.reduce((a, v) => a + Math.abs(v), 0);
  const lg = log2ceil(n + 1);
  const S = 2 ** lg * GRADIENT_TOLERANCE + n * (2 ** -15 + 2 ** -20 * sumBt);
  // The Hessian inside MPC: its weights' fixed-point error (sigmoid and product, 2^-14), additive.
  const epsW = 2 ** -14 + 2 ** -22 * sumBt;
  const rho = INVERSE_TOLERANCE + 2 ** -14;
  // The root's input is a variance times 2^lg kept at this unit (after which the 2^lg goes).
  const rootUnit = 2 ** -(s.seRootFrac - lg);
  const released = s.standardErrors.map((v) => Math.max(0, v));
  const releasedScaled = s.scaledStandardErrors.map((v) => Math.max(0, v));

  /** The bounds, given upper bounds on the true standard errors (se) and scaled ones (u). */
  const attempt = (seUp: number[], u: number[]) => {
    const sumU = u.reduce((a, v) => a + v, 0);
    const sumU2 = u.reduce((a, v) => a + v * v, 0);
    const Q = S * sumU; // >= sqrt(s' H^-1 s), the Newton decrement
    // The logistic weight w = sigma (1 - sigma) has |w'| <= w, so along the segment to the
    // estimate the Hessian stays within e^(+-M) of H, M = max_i |x_i' d| <= ||d||_1 <=
    // e^M sum_k u_k Q: for A = sum_k u_k Q <= 0.3 (< 1/e) the smallest root of M = A e^M, which
    // the iteration below reaches, is below 0.5.
    const A = sumU * Q;
    if (A > 0.3 || sumU2 * epsW * n * p > 0.5) return undefined;
    let M = A;
    for (let i = 0; i < 50; i++) M = A * Math.exp(M);
    M = Math.min(1, 1.01 * M);
    const coefficients = T.map(
      (row, j) =>
        Math.exp(M) * seUp[j]! * Q +
        // b = T bt in fixed point: p products truncated at 2^-20, the constants' encoding, the unit.
        p * 2 ** -20 +
        2 ** -20 * row.reduce((a, v, k) => a + Math.abs(v * bt[k]!), 0) +
        unit,
    );
    const seError = (rows: number[][], up: number[], got: number[]) =>
      rows.map((row, j) => {
        const spread = up[j]! * sumU; // >= ||H^-1 t_j||_1
        const tz = row.reduce((a, v, k) => a + Math.abs(v) * u[k]!, 0);
        const dv =
          rho * row.reduce((a, v) => a + Math.abs(v), 0) * spread +
          2 * epsW * n * spread ** 2 +
          (p * p * 2 ** -23 + 2 ** -20 * tz * tz * 2 ** lg) / 2 ** lg;
        const se = got[j]!;
        return (
          (se > 0 ? dv / se : Math.sqrt(dv)) +
          // The Hessian at the estimate is within e^(+-M) of the one at the released coefficients.
          up[j]! * (Math.exp(M / 2) - 1) +
          se * 2 ** -22 +
          rootUnit / Math.max(se, Math.sqrt(rootUnit)) +
          4 * rootUnit +
          unit
        );
      });
    // The scaled ones by their quadratic form's diagonal; a feature's is its scaled one over h
    // (relative 2^-20 for the constant, a unit of 2^-24, the result's two units).
    const scaled = seError(I, u, releasedScaled);
    const standardErrors = [
      seError([T[0]!], [seUp[0]!], [released[0]!])[0]!,
      ...scale.map(
        ({ h }, j) => scaled[j + 1]! / h + released[j + 1]! * 2 ** -20 + 2 ** -24 + unit,
      ),
    ];
    return { coefficients, standardErrors, scaled };
  };
  // Start from the released values with a margin; accept once the bounds they give are within it.
  let seUp = released.map((v) => 1.5 * v + 4 * unit);
  let u = releasedScaled.map((v) => 1.5 * v + 4 * unit);
  for (let round = 0; round < 6; round++) {
    const r = attempt(seUp, u);
    if (!r) return none;
    const seNeed = released.map((v, j) => v + r.standardErrors[j]!);
    const uNeed = releasedScaled.map((v, j) => v + r.scaled[j]!);
    if (seNeed.every((v, j) => v <= seUp[j]!) && uNeed.every((v, j) => v <= u[j]!))
      return { coefficients: r.coefficients, standardErrors: r.standardErrors };
    seUp = seUp.map((v, j) => Math.max(v, 1.1 * seNeed[j]!));
    u = u.map((v, j) => Math.max(v, 1.1 * uNeed[j]!));
  }
  return none;
}
