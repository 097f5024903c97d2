/**
 * Covariance, Pearson correlation, linear regression by least squares and
 * logistic regression, all secure: nothing is revealed here, not even the
 * sufficient statistics X^T X and X^T y (the small p x p system is solved
 * inside MPC: by Gauss-Jordan elimination, or for Newton steps of up to 3
 * parameters by the adjugate with one division). The only bit revealed is
 * Newton's stopping test (so the number of iterations is public).
 *
 * Scaling: linear regression works on the correlation matrix of the
 * features (unit diagonal, entries in [-1, 1]), which fixed point holds
 * well; coefficients are mapped back with the standard deviations. Logistic
 * regression scales each feature to [-1, 1] with public ranges (the
 * declared ranges of the schema; default the type's range, which works but
 * converges worse for narrow data in wide types), and the Newton system is
 * Jacobi-scaled to unit diagonal before elimination (scaled by powers of two
 * to a diagonal in [1/4, 1) before the adjugate).
 *
 * Limits: the elimination clamps its entries at +-64 to keep every product
 * within 63 bits, so designs whose correlation matrix has condition number
 * above about 50 (features correlated beyond about 0.98) saturate and give
 * wrong coefficients; scaled logistic coefficients are clamped at +-64
 * (|coefficient x half-range| <= 64 covers any model short of separation).
 */
import type { SecretBool, SecretFixed, SecretInt } from '../../api/secret.js';
import * as fxops from '../../ops/fixed.js';
import {
  checkBool,
  checkColumns,
  groupWeights,
  resultFrac,
  type Column,
  type ResultOptions,
} from './common.js';
import { Fx, log2ceil, sqrtInputFrac } from './fx.js';
import { crossMatrix, type CrossMatrix } from './crossmatrix.js';

/** Fractional bits inside the elimination. */
const FS = 24;
/** Entries of the eliminated system are clamped to +-2^QS. */
const QS = 6;

// ----- covariance and correlation -----

/**
 * Sample covariance of two columns (divisor n - 1; 0 when n < 2): exact
 * centred cross products (crossmatrix.ts), one division. |error| within
 * `covErrorBound` (bounds.ts): 2^-22 sd_x sd_y plus 2^-19 when both columns
 * fit exact squares; wide columns add g_x sd_y + g_y sd_x + g_x g_y for
 * their level roundings g.
 * @throws {RangeError} for columns of different lengths.
 */
export function cov(x: Column, y: Column, opts: ResultOptions = {}): SecretFixed {
  const N = checkColumns('cov', [x, y], ['x', 'y']);
  const f = resultFrac('cov', opts.frac);
  const { w } = groupWeights('cov', N, opts.where, undefined, x.session);
  const [fxX, fxY] = [Fx.of(x), Fx.of(y)];
  const c = crossMatrix([fxX, fxY], w, f).cov(0, 1, f);
  // |cov| <= n / (n - 1) max|x| max|y| < 2^(ix + iy + 1) for integer parts of ix and iy bits:
  // the quotient's generic bound left no room to bring a wide pair (int(20) at 3000 rows) to f.
  const intBits = (v: Fx) => v.bound - 1 - v.frac;
  const magnitude = intBits(fxX) + intBits(fxY) + 1;
  return c
    .withBound(magnitude + c.frac + 2)
    .rescale(f)
    .toFixed(f);
}

/**
 * Pearson's correlation r = cov(x, y) / (sd(x) sd(y)); 0 when either column
 * is constant (R gives NA). Error 2^-20 plus 2^-19 for columns that fit
 * exact squares, plus each wide column's level rounding and units
 * (`corErrorBound` in bounds.ts).
 * Cost: two inner-product rounds, then a division, square roots and a
 * division in sequence (about 120 rounds in rep3; wide columns: a division,
 * a comparison per level and two rounds more).
 * @example
 *   const r = cor(age, recoveryDays);
 * @throws {RangeError} for columns of different lengths.
 */
export function cor(x: Column, y: Column, opts: ResultOptions = {}): SecretFixed {
  const N = checkColumns('cor', [x, y], ['x', 'y']);
  const f = resultFrac('cor', opts.frac);
  const { w } = groupWeights('cor', N, opts.where, undefined, x.session);
  return crossMatrix([Fx.of(x), Fx.of(y)], w, f)
    .cor(0, 1, Math.max(f, 28))
    .rescale(f)
    .toFixed(f);
}

// ----- the secure solve -----

/**
 * X = A^-1 B for a symmetric positive definite k x k matrix A (row-major)
 * and a k x r right-hand side B, by Gauss-Jordan elimination without
 * pivoting (stable for SPD matrices) after Jacobi scaling to unit diagonal.
 * Results with `frac` bits, saturated at +-2^qX.
 */
export function solveSPD(A: Fx, B: Fx, k: number, r: number, frac: number, qX: number): Fx {
  const diag = A.gather(Uint32Array.from({ length: k }, (_, i) => i * k + i));
  const s = diag.relu().sqrt(); // s_i = sqrt(A_ii)
  const sRow = s.gather(Uint32Array.from({ length: k * k }, (_, q) => Math.floor(q / k)));
  const sCol = s.gather(Uint32Array.from({ length: k * k }, (_, q) => q % k));
  const As = A.divide(sRow.mul(sCol), { qBits: 1, frac: FS, saturate: true });
  const Bs = B.divide(s.gather(Uint32Array.from({ length: k * r }, (_, q) => Math.floor(q / r))), {
    qBits: QS,
    frac: FS,
    saturate: true,
  });
  const W = k + r;
  // M = [As | Bs], row-major k x W.
  let M = Fx.concat([As, Bs]).gather(
    Uint32Array.from({ length: k * W }, (_, q) => {
      const i = Math.floor(q / W);
      const j = q % W;
      return j < k ? i * k + j : k * k + i * r + (j - k);
    }),
  );
  for (let i = 0; i < k && k > 1; i++) {
    const others = Array.from({ length: k }, (_, j) => j).filter((j) => j !== i);
    const piv = M.gather(Uint32Array.from(others.map(() => i * W + i)));
    const col = M.gather(Uint32Array.from(others.map((j) => j * W + i)));
    const factor = col.divide(piv, { qBits: QS, frac: FS, saturate: true });
    const rowI = M.gather(Uint32Array.from({ length: W }, (_, c) => i * W + c));
    const old = M.gather(
      Uint32Array.from(others.flatMap((j) => Array.from({ length: W }, (_, c) => j * W + c))),
    );
    const updated = old.sub(factor.repeatEach(W).mul(rowI.tile(k - 1), FS)).clamp(QS);
    const pos = new Map<number, number>();
    others.forEach((j, t) => pos.set(j, t));
    M = Fx.concat([M, updated]).gather(
      Uint32Array.from({ length: k * W }, (_, q) => {
        const row = Math.floor(q / W);
        const t = pos.get(row);
        return t === undefined ? q : k * W + t * W + (q % W);
      }),
    );
  }
  const piv = M.gather(
    Uint32Array.from({ length: k * r }, (_, q) => Math.floor(q / r) * W + Math.floor(q / r)),
  );
  const rhs = M.gather(
    Uint32Array.from({ length: k * r }, (_, q) => Math.floor(q / r) * W + k + (q % r)),
  );
  const Xs = rhs.divide(piv, { qBits: qX, frac: FS, saturate: true });
  // Undo the scaling: X = D^-1 Xs with D = diag(s).
  return Xs.divide(s.gather(Uint32Array.from({ length: k * r }, (_, q) => Math.floor(q / r))), {
    qBits: qX,
    frac,
    saturate: true,
  });
}

/** Fractional bits of the scaled matrix in the adjugate solve. */
const FA = 30;
/** The adjugate solve's inverse of the scaled matrix saturates at +-2^QZ, with ZF fractional bits. */
const QZ = QS + 2;
const ZF = 24;

/**
 * Cofactors of a symmetric 3 x 3 matrix [[a, d, e], [d, b, f], [e, f, c]] (row-major
 * indices a = 0, d = 1, e = 2, b = 4, f = 5, c = 8) as differences of products
 * x y - z w, in the order C00, C01, C02, C11, C12, C22.
 */
const COF3: ReadonlyArray<readonly [number, number, number, number]> = [
  [4, 8, 5, 5], // bc - f^2
  [2, 5, 1, 8], // ef - dc
  [1, 5, 4, 2], // df - be
  [0, 8, 2, 2], // ac - e^2
  [1, 2, 0, 5], // de - af
  [0, 4, 1, 1], // ab - d^2
];

/**
 * A^-1 for a symmetric positive definite k x k matrix A (row-major, k <= 3,
 * bound <= 63), by the adjugate and one division, clamped to +-2^qX, with
 * ZF = 24 fractional bits.
 *
 * Method: A is first scaled by powers of two, As = D A D with
 * D = diag(c_i / 2^h) read from the leading bit of each A_ii (`Fx.pow2Rsqrt`),
 * so that As has its diagonal in [1/4, 1) and every entry in (-1, 1) (its
 * condition number within a factor 4 of the Jacobi-scaled matrix's, van der
 * Sluis 1969); As is rounded to FA = 30 fractional bits, its cofactors are
 * exact products (60 bits), det(As) = sum_j As_0j C_0j comes from the
 * cofactors split into two limbs (error 2^-39), and Z = adj(As) / det(As) is
 * one division for all entries (Catrina-Saxena, `Fx.divide`: relative error
 * 2^-25 plus 2 ulp of its zf = 24 + frac(A) - 2h fractional bits, saturated
 * at +-2^QZ). Then A^-1 = D Z D, the products c_i c_j Z_ij exact.
 *
 * Error (first order, d_i = c_i 2^(frac(A)/2 - h) <= 1 / sqrt(A_ii)):
 * |inv_ij - A^-1_ij| <= d_i d_j (||Z||^2 k 2^-30 + 2^-(zf - 1)) + 2^-25 |A^-1_ij|
 * plus an ulp, from rounding As and from the division (checked, doubled, in
 * solve.property.test.ts). Entries of A^-1 beyond 2^qX are clamped. No bound
 * holds when |Z| reaches 2^QZ (condition number of the scaled matrix above
 * about 2^QZ), or when A is not SPD: the results are then clamped or
 * meaningless, which the callers' checks (`inverseLost`, `newtonFitLost`)
 * detect. Scale factors are capped where A^-1_ii would exceed the clamp
 * anyway and where c_i c_j Z would pass 63 bits.
 * Rounds (rep3, 3 x 3 at 34 bits): the bits and suffix-OR of the diagonal,
 * 10 rounds of products and truncations, one division (its normalisation
 * overlapping the cofactors) and a clamp: 68 for a Newton step, against 318
 * for Gauss-Jordan elimination (`solveSPD`).
 * @throws {RangeError} for k outside 1..3 or a bound above 63.
 */
export function inverseSmallSPD(A: Fx, k: number, qX: number): Fx {
  if (!Number.isInteger(k) || k < 1 || k > 3)
    throw new RangeError(`inverseSmallSPD: ${k} x ${k} matrices are not supported (1 to 3)`);
  if (A.bound > 63) throw new RangeError(`inverseSmallSPD: a ${A.bound}-bit matrix does not fit`);
  const suite = A.suite;
  const ix = (n: number, f: (q: number) => number) =>
    Uint32Array.from({ length: n }, (_, q) => f(q));
  const diag = A.gather(ix(k, (i) => i * k + i));
  // Scale factors beyond 2^(h - f/2 + (qX + 2)/2) would only serve diagonal entries whose inverse
  // exceeds the clamp anyway (A^-1_ii >= 1 / (3 A_ii)); capping them keeps c_i c_j Z small.
  const h0 = Math.ceil((Math.max(diag.bound, 2) - 1) / 2); // pow2Rsqrt's h
  // Z gets the fractional bits that leave A^-1 = C Z C with ZF of them.
  const zf = Math.max(8, Math.min(40, ZF + A.frac - 2 * h0));
  const useful = h0 - Math.floor(A.frac / 2) + Math.ceil((qX + 2) / 2) + 1;
  const room = Math.floor((61 - (QZ + zf + 2)) / 2); // c_i c_j Z_ij within 63 bits
  const { c, h } = diag.pow2Rsqrt(Math.max(0, Math.min(room, useful)));
  const cc = c
    .gather(ix(k * k, (q) => Math.floor(q / k)))
    .mul(c.gather(ix(k * k, (q) => q % k)), 0);
  // |A_ij| c_i c_j <= sqrt(A_ii c_i^2 A_jj c_j^2) < 2^(2h) for an SPD A: As has 2h fractional bits.
  const As = A.make(
    Promise.all([A.sh, cc.sh]).then(([a, m]) => suite.mul(a, m)),
    2 * h,
    2 * h + 1,
  )
    .rescale(FA)
    .withBound(FA + 2);
  let adj: Fx;
  let det: Fx;
  if (k === 1) {
    adj = Fx.constant(A.session, [1], FA);
    det = As;
  } else if (k === 2) {
    // adj [[a, d], [d, b]] = [[b, -d], [-d, a]]; det = ab - d^2 (exact, 60 bits, |det| <= 1).
    adj = As.gather(Uint32Array.of(3, 1, 2, 0)).scaleInt([1n, -1n, -1n, 1n]);
    const P = As.gather(Uint32Array.of(0, 1)).mul(As.gather(Uint32Array.of(3, 2)), 2 * FA);
    det = P.slice(0)
      .sub(P.slice(1))
      .withBound(2 * FA + 2);
  } else {
    const P = As.gather(Uint32Array.from(COF3.flatMap(([x, , z]) => [x, z]))).mul(
      As.gather(Uint32Array.from(COF3.flatMap(([, y, , w]) => [y, w]))),
      2 * FA,
    );
    // Each product is below 1 in magnitude, so each cofactor below 2.
    const C = P.gather(ix(6, (q) => 2 * q))
      .sub(P.gather(ix(6, (q) => 2 * q + 1)))
      .withBound(2 * FA + 2);
    adj = C.gather(Uint32Array.from([0, 1, 2, 1, 3, 4, 2, 4, 5]));
    // det As 2^(3 FA) = sum_j As_0j (Ch_j 2^FA + Cl_j), the cofactors of row 0 in two limbs.
    const C0 = C.slice(0, 3);
    const Ch = C0.rescale(FA);
    const Cl = C0.sub(Ch.rescale(2 * FA)).withBound(FA + 2);
    const row0 = As.slice(0, 3);
    const dot = (x: Fx, y: Fx, frac: number, bound: number) =>
      x.make(
        Promise.all([x.sh, y.sh]).then(([u, v]) => suite.dot(u, v, 3)),
        frac,
        bound,
        1,
      );
    // hi = det 2^(2 FA) - lo / 2^FA with |lo| < 3 2^(2 FA), so |hi| < 2^(2 FA) + 2^(FA + 2).
    const hi = dot(row0, Ch, 2 * FA, 2 * FA + 2);
    const lo = dot(row0, Cl, 3 * FA, 2 * FA + 3);
    det = hi
      .rescale(DF)
      .add(lo.rescale(DF))
      .withBound(DF + 2);
  }
  if (k < 3) det = det.rescale(DF);
  const Z = adj.divide(det, { qBits: QZ, frac: zf, saturate: true, early: true });
  // C Z C: c_i c_j Z_ij, exact (|Z| < 2^QZ), at the scale of A^-1.
  const prod = Z.mul(cc, zf);
  const inv = prod.make(prod.sh, zf + 2 * h - A.frac, prod.bound);
  return inv.clamp(qX);
}

/** Fractional bits of a Newton step from the adjugate solve (callers may scale it, e.g. Cox's score test). */
const DELTA_FRAC = 28;
/** Fractional bits of the determinant in the adjugate solve. */
const DF = 40;

// ----- linear regression -----

export interface LinearModel {
  /** Intercept first, then one coefficient per feature. */
  coefficients: SecretFixed;
  /** Standard errors, in the same order. */
  standardErrors: SecretFixed;
  /** R^2, the fraction of variance explained. */
  rSquared: SecretFixed;
  /** Residual standard error sqrt(RSS / (n - p)). */
  sigma: SecretFixed;
  /** Residual degrees of freedom n - p. */
  df: SecretInt;
  n: SecretInt;
  /** Public fixed-point formats of the steps behind sigma and the standard errors. */
  precision: LinearSePlan;
}

/** A fixed-point value's public format. */
export interface FxShape {
  readonly frac: number;
  readonly bound: number;
}

/**
 * The public formats (fractional bits and bounds) of the steps that compute a
 * linear model's sigma and standard errors, and the bits each division's
 * numerator kept: what `linearRegressionSeBound` (bounds.ts) needs to state
 * their error. Functions of the columns' types and the row count only.
 */
export interface LinearSePlan {
  readonly shapes: Readonly<Record<string, FxShape>>;
  readonly numeratorFrac: Readonly<Record<'se' | 'u' | 'se0', number>>;
}

/**
 * Ordinary least squares of y on the features (with an intercept), as R's
 * lm(y ~ x1 + ... + xk): coefficients, standard errors, R^2 and the residual
 * standard error, over the rows `where` selects.
 *
 * Method: exact centered cross products (n P - S S^T) give the covariance
 * and then the correlation matrix R of the features and their correlations
 * r with y; the standardised coefficients g = R^-1 r and R^-1 itself come
 * from one secure Gauss-Jordan solve; then b_j = g_j sd_y / sd_j,
 * R^2 = r^T g, sigma^2 = var_y (1 - R^2)(n - 1)/(n - p),
 * se(b_j) = sigma sqrt([R^-1]_jj / (n - 1)) / sd_j, and for the intercept
 * se = sigma sqrt(1/n + u^T R^-1 u / (n - 1)), u_j = mean_j / sd_j.
 *
 * Precision: coefficients and R^2 within `linearRegressionErrorBound`
 * (bounds.ts, derived in docs/ANALYTICS.md): the correlations' errors
 * through ||R^-1||, the sds' relative errors and the fixed-point truncations;
 * coefficients have 2^-frac resolution unless wide features leave the
 * intercept fewer bits (`coefficientFrac`). No bound holds, and
 * coefficients saturate, when ||R^-1|| >= 32 (see the module note) or a
 * slope passes +-2^24. Sigma and the standard errors within
 * `linearRegressionSeBound` (bounds.ts): the same perturbation of R and R^2,
 * the sds' relative errors and each fixed-point step's loss, from the
 * public formats the model reports in `precision`; a tiny se mostly carries
 * its 2^-frac resolution. The intercept's se needs |mean / sd| < 2^7 for
 * every feature (u saturates at 2^8).
 * Cost: two rounds of inner products for the cross products (p^2 / 2 of
 * length n, local work O(n p^2)), then O(p) divisions in sequence (about
 * 40 rounds each), for any n.
 * @example
 *   const fit = linearRegression(recoveryDays, [age, armB.toInt(8)]);
 * @throws {RangeError} for no features or columns of different lengths.
 */
export function linearRegression(
  y: Column,
  features: readonly Column[],
  opts: ResultOptions = {},
): LinearModel {
  const op = 'linearRegression';
  if (features.length === 0) throw new RangeError(`${op}: no features`);
  const N = checkColumns(op, [...features, y], [...features.map((_, j) => `feature ${j}`), 'y']);
  const f = resultFrac(op, opts.frac);
  const { w } = groupWeights(op, N, opts.where, undefined, y.session);
  const cols = [...features.map((x) => Fx.of(x)), Fx.of(y)];
  return linearModelOf(
    crossMatrix(cols, w, f),
    cols.map((x) => x.intBits),
    f,
  );
}

/**
 * The least-squares model from the covariance matrix of the features and
 * then the outcome (last), as `linearRegression` computes it; `intBits` are
 * the columns' integer bits (Fx.intBits) in the same order. The pooled path
 * (crosssums.ts `pooledCrossMatrix`, from each party's own sums) starts
 * here too, so both give the same model within the same stated bounds.
 */
export function linearModelOf(c: CrossMatrix, intBits: readonly number[], f: number): LinearModel {
  const k = intBits.length - 1;
  const p = k + 1;
  const session = c.n.session;
  const K1 = k + 1;
  // Each sd at its own scale (see crossmatrix.ts's `correlation`).
  const sds = Array.from({ length: K1 }, (_, j) => c.sd(j, f));
  // Correlations: R_jl = C_jl / (sd_j sd_l) for the features, r_j = C_jy / (sd_j sd_y).
  const corrOf = (j: number, l: number) => c.cor(j, l, FS);
  const Rm: Fx[] = [];
  for (let j = 0; j < k; j++)
    for (let l = 0; l < k; l++) Rm.push(j === l ? Fx.constant(session, [1], FS) : corrOf(j, l));
  const rxy = Fx.concat(Array.from({ length: k }, (_, j) => corrOf(j, k)));
  const ident = Fx.constant(
    session,
    Array.from({ length: k * k }, (_, q) => (Math.floor(q / k) === q % k ? 1 : 0)),
    FS,
  );
  // RHS [r | I] (k x (1 + k)).
  const rhs = Fx.concat([rxy, ident]).gather(
    Uint32Array.from({ length: k * K1 }, (_, q) => {
      const i = Math.floor(q / K1);
      const j = q % K1;
      return j === 0 ? i : k + i * k + (j - 1);
    }),
  );
  const sol = solveSPD(Fx.concat(Rm), rhs, k, K1, FS, QS + 1);
  const g = sol.gather(Uint32Array.from({ length: k }, (_, i) => i * K1));
  const Zdiag = sol.gather(Uint32Array.from({ length: k }, (_, i) => i * K1 + 1 + i));
  const sdX = Fx.concat(sds.slice(0, k));
  const sdY = sds[k]!.tile(k);
  const slopes = g
    .mul(sdY)
    .divide(sdX, { qBits: SLOPE_BITS, frac: Math.min(f + 8, 36), saturate: true });
  const rSquared = g.mul(rxy, FS).sum().clamp(0).relu();
  const oneMinusR2 = rSquared.neg().addPublic([1]).relu();
  // Means and the intercept.
  const means = Fx.concat(
    c.sums.map((s, j) =>
      s.divide(c.n, {
        qBits: Math.max(1, intBits[j]!),
        frac: Math.min(f + 8, 60 - intBits[j]!),
      }),
    ),
  );
  // sigma = sd_y sqrt(w), w = (1 - R^2) (n - 1) / (n - p);
  // se(b_j) = sd_y sqrt((1 - R^2) Z_jj) / (sd_j sqrt(n - p));
  // se(b_0) = sd_y sqrt((1 - R^2) ((n - 1) / n + u^T Z u)) / sqrt(n - p), u = mean_x / sd_x.
  // The radicands are dimensionless, bounded and at least 1 - R^2 times something >= 1/2, so a
  // square root keeps their relative precision whatever the columns' types; the products with
  // sd_y (which carries its type's range) go through mulWide, and the counts' root joins the
  // denominators, computed beside the solve. Every step's public format is recorded in
  // `precision` for the stated bound (bounds.ts, linearRegressionSeBound).
  const nm1 = c.n.sub(1).relu();
  const dfRes = c.n.sub(p).relu();
  // (n - 1) / (n - p) lies in [1, p] for n > p (0 for n <= p); (n - 1) / n in [0, 1).
  const ratio = nm1.divide(dfRes, { qBits: log2ceil(p) + 1, frac: 30 });
  const lead0 = nm1.divide(c.n, { qBits: 1, frac: 40 });
  const rootDf = dfRes.rescale(DF_FRAC).sqrt();
  const denSlopes = sdX.mulWide(rootDf.tile(k), sdX.frac);
  const sdOut = sds[k]!;
  const wRad = oneMinusR2.mulWide(ratio, 30);
  const rootW = wRad.sqrt();
  const sigma = sdOut.mulWide(rootW, Math.max(sdOut.frac, rootW.frac));
  const rq = oneMinusR2.tile(k).mulWide(Zdiag, 32);
  const rootQ = rq.relu().sqrt();
  const num = sdOut.tile(k).mulWide(rootQ, Math.max(sdOut.frac, rootQ.frac));
  const seReport: { numeratorFrac?: number } = {};
  const seSlopes = num.divide(denSlopes, {
    qBits: 24,
    frac: Math.min(f + 8, 36),
    saturate: true,
    report: seReport,
  });
  const uReport: { numeratorFrac?: number } = {};
  const u = means.slice(0, k).divide(sdX, { qBits: 8, frac: FS, saturate: true, report: uReport });
  // Both parts of the coefficients at the fractional bits the intercept has room for.
  const fb = coefficientFrac(intBits, f);
  const reach = interceptBits(intBits);
  const products = mulBothSplit(slopes, means.slice(0, k), fb + 1, intBits.slice(0, k));
  const intercept = means
    .slice(k)
    .rescale(fb + 1)
    .sub(products.sum().withIntBits(reach))
    .withIntBits(reach)
    .rescale(fb);
  const Zfull = sol.gather(
    Uint32Array.from({ length: k * k }, (_, i) => Math.floor(i / k) * K1 + 1 + (i % k)),
  );
  const uRow = u.gather(Uint32Array.from({ length: k * k }, (_, i) => Math.floor(i / k)));
  const uCol = u.gather(Uint32Array.from({ length: k * k }, (_, i) => i % k));
  // |u| <= 2^8 (saturated) and |Z_jl| < 2^Zint, so |u^T Z u| < k^2 2^(16 + Zint).
  const quadInt = 16 + Zfull.intBits + 2 * log2ceil(k) + 1;
  const uu = uRow.mulWide(uCol, 40).withIntBits(17);
  const uuz = uu.mulWide(Zfull, 40);
  const quad = uuz.sum().withIntBits(quadInt);
  const s0f = Math.min(quad.frac, S0_FRAC);
  const s0 = quad
    .rescale(s0f)
    .add(lead0.rescale(s0f))
    .withIntBits(quadInt + 1);
  const r0 = s0.mulWide(oneMinusR2, s0f).withIntBits(quadInt + 1);
  const root0 = r0.relu().sqrt();
  const num0 = sdOut.mulWide(root0, Math.max(sdOut.frac, root0.frac));
  // sqrt(n - p) >= 1 (n > p; else 0 and the quotient 0), so se(b_0) <= num0.
  const se0Report: { numeratorFrac?: number } = {};
  const q0Bits = Math.max(1, num0.intBits);
  const se0 = num0.divide(rootDf, {
    qBits: q0Bits,
    frac: Math.min(f + 8, 36, 61 - q0Bits),
    report: se0Report,
  });
  const standardErrors = Fx.concat([se0, seSlopes]);
  const shape = (x: Fx): FxShape => ({ frac: x.frac, bound: x.bound });
  const precision: LinearSePlan = {
    shapes: {
      omr: shape(oneMinusR2),
      ratio: shape(ratio),
      lead0: shape(lead0),
      rootDf: shape(rootDf),
      Zdiag: shape(Zdiag),
      Zfull: shape(Zfull),
      means: shape(means),
      sdX: shape(sdX),
      sdY: shape(sdOut),
      denSlopes: shape(denSlopes),
      u: shape(u),
      w: shape(wRad),
      rootW: shape(rootW),
      sigma: shape(sigma),
      rq: shape(rq),
      rootQ: shape(rootQ),
      num: shape(num),
      se: shape(seSlopes),
      uu: shape(uu),
      uuz: shape(uuz),
      quad: shape(quad),
      s0: shape(s0),
      r0: shape(r0),
      root0: shape(root0),
      num0: shape(num0),
      se0: shape(se0),
      out: shape(standardErrors),
    },
    numeratorFrac: {
      se: seReport.numeratorFrac!,
      u: uReport.numeratorFrac!,
      se0: se0Report.numeratorFrac!,
    },
  };
  return {
    coefficients: Fx.concat([intercept, slopes.rescale(fb)]).toFixed(fb),
    standardErrors: standardErrors.toFixed(f),
    rSquared: rSquared.rescale(f).toFixed(f),
    sigma: sigma.rescale(f).toFixed(f),
    df: dfRes.toInt(),
    n: c.n.toInt(),
    precision,
  };
}

/** Fractional bits of the intercept's radicand sum (n - 1)/n + u^T Z u before its products. */
const S0_FRAC = 36;
/** Fractional bits of n - p before its square root (n < 2^32 leaves the root its full precision). */
const DF_FRAC = 30;

/** Slopes saturate at +-2^SLOPE_BITS. */
const SLOPE_BITS = 24;

/**
 * Fractional bits of linear-regression coefficients for columns of these
 * integer bits (features, then y) and result bits f: the intercept
 * mean_y - sum b_j mean_j can reach 2^int_y + sum 2^(24 + int_j), and the
 * intercept and slopes share one vector. f unless a feature is wide.
 */
export function coefficientFrac(intBits: readonly number[], f: number): number {
  return Math.max(1, Math.min(f, 58 - interceptBits(intBits)));
}

/** |intercept| < 2^this for columns of these integer bits (features, then y). */
function interceptBits(intBits: readonly number[]): number {
  const y = intBits[intBits.length - 1]!;
  const reach = intBits
    .slice(0, -1)
    .reduce((a, b) => a + 2 ** (SLOPE_BITS + Math.max(0, b)), 2 ** Math.max(0, y));
  return Math.ceil(Math.log2(reach));
}

/**
 * a b elementwise for an `a` whose bound is pessimistic (slopes are only
 * known to lie below 2^24): Fx.mul would truncate both operands to fit 63
 * bits (the intercept lost 2^-14 of each slope, or 2^-19 of each mean
 * times the slope, that way), so both operands are split into integer and
 * fractional parts, and each partial product fits. (Fx.mulWide splits one
 * operand only, which is not enough when both bounds are pessimistic.)
 */
function mulBothSplit(a: Fx, b: Fx, frac: number, bIntBits: readonly number[]): Fx {
  // Truncation leaves |x - hi| < 2 whichever way it rounds.
  const split = (x: Fx): [Fx, Fx] => {
    const hi = x.rescale(0);
    return [hi, x.sub(hi.rescale(x.frac)).withIntBits(1)];
  };
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  // |a b| < 2^(SLOPE_BITS + int(b)) for each element; the vector takes the largest.
  const q = SLOPE_BITS + Math.max(0, ...bIntBits) + 1;
  const part = (x: Fx): Fx => x.withIntBits(q).rescale(frac);
  // Integer times integer is exact, integer times fraction fits 63 bits at b's scale, and
  // a's fraction (below 2) costs b at most a few of its fractional bits.
  return part(ah.mul(bh, 0))
    .add(part(ah.mul(bl, bl.frac)))
    .add(part(al.mul(b, frac)))
    .withIntBits(q);
}

// ----- logistic regression -----

/**
 * The pieces of softplus(z) = max(z, 0) + log(1 + e^-|z|) for |z| < 2^zBound:
 * the sign of z and log(1 + e^-|z|) with FZ fractional bits (the log's
 * argument lies in (1, 2], so both functions stay well inside their ranges).
 * Shared by logisticRegression and the study's grouped logistic regression.
 */
export function softplusParts(z: Fx, zBound: number): { neg: Fx; l1p: Fx } {
  const neg = z.ltz();
  const absZ = neg.select(z.neg(), z);
  const e = absZ.make(
    absZ.neg().sh.then((a) => fxops.exp(z.suite, a, { bits: zBound + 2, frac: FZ }, zBound + 1)),
    FZ,
    FZ + 2,
  );
  const l1p = e.make(
    e.addPublic([1]).sh.then((a) => fxops.log(z.suite, a, { bits: FZ + 4, frac: FZ }, FZ + 3)),
    FZ,
    FZ + 2,
  );
  return { neg, l1p };
}

/**
 * One Newton step of a p-parameter model from its Hessian H (Jacobi-scaled
 * near unit diagonal) and gradient g: delta with H delta = g, and on request
 * (the last iteration) also H^-1 for the standard errors. For p <= 3, delta =
 * H^-1 g from the adjugate inverse (`inverseSmallSPD`: one division, 68
 * rounds in rep3 for p = 3, entries of H^-1 clamped at 2^(QS+2)); above,
 * one Gauss-Jordan elimination of [g | I] (about 40 p + 200 rounds, delta
 * saturated at 2^(QS+2)). Shared by logisticRegression, the study's
 * grouped-count logistic regression and the Cox model.
 */
export function newtonStep(
  H: Fx,
  g: Fx,
  p: number,
  withInverse: boolean,
): { delta: Fx; inverse: Fx | undefined } {
  if (p <= 3) {
    const inv = inverseSmallSPD(H, p, QS + 2);
    // |delta_i| <= sum_j |inv_ij| |g_j| < p 2^(QS + 2) 2^intBits(g).
    // g with as many fractional bits as the products leave room for (dotGroups would drop them one at a time).
    const gFit = g.fit(64 - inv.bound - log2ceil(p));
    const delta = inv
      .dotGroups(gFit.tile(p), p, DELTA_FRAC)
      .withIntBits(QS + 2 + Math.max(0, g.intBits) + log2ceil(p));
    return { delta, inverse: withInverse ? inv : undefined };
  }
  const rhs = withInverse
    ? Fx.concat([
        g,
        Fx.constant(
          g.session,
          Array.from({ length: p * p }, (_, q) => (Math.floor(q / p) === q % p ? 1 : 0)),
          FX_FRAC,
        ),
      ]).gather(
        Uint32Array.from({ length: p * (p + 1) }, (_, q) => {
          const i = Math.floor(q / (p + 1));
          const j = q % (p + 1);
          return j === 0 ? i : p + i * p + (j - 1);
        }),
      )
    : g;
  const sol = solveSPD(H, rhs, p, withInverse ? p + 1 : 1, 40, QS + 2);
  if (!withInverse) return { delta: sol.rescale(FX_FRAC), inverse: undefined };
  return {
    delta: sol.gather(Uint32Array.from({ length: p }, (_, i) => i * (p + 1))).rescale(FX_FRAC),
    inverse: sol.gather(
      Uint32Array.from({ length: p * p }, (_, q) => Math.floor(q / p) * (p + 1) + 1 + (q % p)),
    ),
  };
}

/** One Newton iteration: the next coefficients, the step, H and (on request) H^-1. */
export interface NewtonIterate {
  readonly next: Fx;
  readonly delta: Fx;
  readonly H: Fx;
  readonly inverse: Fx | undefined;
  /** Quantities at the step's starting point that the caller may want at the final one. */
  readonly at?: Readonly<Record<string, Fx>>;
}

/** What `newtonLoop` returns. */
export interface NewtonFit {
  beta: Fx;
  H: Fx;
  inverse: Fx;
  /** Steps taken (public). */
  iterations: Promise<number>;
  /**
   * A quantity at the final coefficients: the discarded step's `at[key]` when
   * the loop stopped by its test (that step began there), else `compute()`.
   */
  atFinal(key: string, compute: () => Fx): Fx;
}

/**
 * Newton's method from beta0, at most `maxIterations` steps of `iterate`,
 * stopping after the first step whose every |delta_j| is below `tolerance`
 * (0: run them all). The test's outcome is revealed (one bit per step, so the
 * number of iterations is public) while the next step is already under way,
 * so it costs no rounds; the step after the first small one is discarded.
 * Returns the final coefficients, H and H^-1 of the last step taken (the
 * inverse is computed at every step when testing: for p <= 3 it comes with
 * the step at no cost) and the number of steps.
 */
export function newtonLoop(
  beta0: Fx,
  iterate: (b: Fx, withInverse: boolean) => NewtonIterate,
  maxIterations: number,
  tolerance: number,
): NewtonFit {
  if (!(tolerance > 0)) {
    let it = iterate(beta0, maxIterations === 1);
    for (let count = 1; count < maxIterations; count++)
      it = iterate(it.next, count === maxIterations - 1);
    return {
      beta: it.next,
      H: it.H,
      inverse: it.inverse!,
      iterations: Promise.resolve(maxIterations),
      atFinal: (_key, compute) => compute(),
    };
  }
  const first = iterate(beta0, true);
  const done = (async (): Promise<{
    it: NewtonIterate;
    count: number;
    after: NewtonIterate | undefined;
  }> => {
    let it = first;
    let count = 1;
    while (count < maxIterations) {
      const small = anyAbove(it.delta, tolerance).toInt().reveal();
      const next = iterate(it.next, true);
      if ((await small)[0] === 0n) return { it, count, after: next };
      it = next;
      count++;
    }
    return { it, count, after: undefined };
  })();
  done.catch(() => undefined);
  // Every iteration has the same scales, so the chosen one's shares fit the first one's Fx.
  const chosen = (f: (it: NewtonIterate) => Fx): Fx => {
    const t = f(first);
    return t.make(
      done.then(({ it }) => {
        const x = f(it);
        if (x.frac !== t.frac || x.bound !== t.bound)
          throw new Error('newtonLoop: the iterations changed scale (a bug)');
        return x.sh;
      }),
      t.frac,
      t.bound,
    );
  };
  const atFinal = (key: string, compute: () => Fx): Fx => {
    const t = first.at?.[key];
    if (!t) return compute();
    return t.make(
      done.then(({ after }) => {
        const x = after?.at?.[key] ?? compute();
        if (x.frac !== t.frac || x.bound !== t.bound)
          throw new Error(`newtonLoop: ${key} changed scale (a bug)`);
        return x.sh;
      }),
      t.frac,
      t.bound,
    );
  };
  return {
    beta: chosen((it) => it.next),
    H: chosen((it) => it.H),
    inverse: chosen((it) => it.inverse!),
    iterations: done.then(({ count }) => count),
    atFinal,
  };
}

/** Largest |(H Z - I)_ij| accepted from a secure inverse before its standard errors are withheld. */
export const INVERSE_TOLERANCE = 2 ** -10;

/**
 * 1 when a secure inverse Z of the p x p matrix H lost precision (some entry
 * of H Z - I exceeds INVERSE_TOLERANCE: the solve saturated or clamped, as it
 * does when columns vary little within wide declared ranges), else 0. The
 * standard errors built on Z are then wrong, so they are withheld rather than
 * released; the bit says only that, and is revealed to decide it.
 * Cost: p^2 inner products of length p, 2 p^2 comparisons (a few rounds).
 */
export function inverseLost(H: Fx, Z: Fx, p: number): Fx {
  const ia = Uint32Array.from({ length: p * p * p }, (_, q) => {
    const i = Math.floor(q / (p * p));
    return i * p + (q % p);
  });
  const ib = Uint32Array.from({ length: p * p * p }, (_, q) => {
    const j = Math.floor(q / p) % p;
    return (q % p) * p + j;
  });
  const prod = H.rescale(Math.min(H.frac, FS))
    .gather(ia)
    .dotGroups(Z.rescale(FS).gather(ib), p, 16);
  const R = prod
    .addPublic(Array.from({ length: p * p }, (_, q) => (Math.floor(q / p) === q % p ? -1 : 0)))
    .withIntBits(QS + 8 + Math.ceil(Math.log2(p + 1)));
  return anyAbove(R, INVERSE_TOLERANCE);
}

/** 1 when some |x_i| > t, else 0. */
export function anyAbove(x: Fx, t: number): Fx {
  const abs = x.ltz().select(x.neg(), x);
  const over = abs.addPublic(new Array<number>(x.length).fill(-t)).neg().ltz();
  return over.sum().neg().ltz();
}

/**
 * 1 when a Newton fit's coefficients cannot be trusted: a coefficient reached
 * the clamp (scaled |b| = 2^QS), or the gradient at the final coefficients
 * (`gradN`: the score over 2^lg, in scaled units) is not near 0, so they are
 * not the maximum-likelihood estimate. An exact gradient near 0 certifies the
 * estimate even when the solve that found it was inaccurate.
 */
export function newtonFitLost(beta: Fx, gradN: Fx): Fx {
  const flags = Fx.concat([
    anyAbove(beta, 2 ** QS * (1 - 2 ** -12)),
    anyAbove(gradN, GRADIENT_TOLERANCE),
  ]);
  return flags.sum().neg().ltz();
}

/** Largest |score / 2^lg| at accepted coefficients (scaled units). */
export const GRADIENT_TOLERANCE = 2 ** -14;

export interface LogisticModel {
  /** Intercept first, then one coefficient per feature (in the features' units). */
  coefficients: SecretFixed;
  /** Standard errors from the inverse Hessian at the last iterate (Newton only; else 0). */
  standardErrors: SecretFixed;
  /**
   * The same for the scaled coefficients (each feature mapped to [-1, 1] by
   * its range; the intercept at the ranges' centres): what
   * `logisticErrorBound` needs beside the released values. Not revealed by
   * the study.
   */
  scaledStandardErrors: SecretFixed;
  /**
   * Fractional bits the square root behind the standard errors kept of its
   * input (the variances, scaled by 2^lg): public, for `logisticErrorBound`.
   */
  seRootFrac: number;
  /**
   * 1 when the coefficients cannot be trusted (a coefficient saturated, or
   * the gradient at them is not near 0): the model is then withheld.
   */
  fitLost: SecretInt;
  /** 1 when the standard errors cannot be trusted (the secure inverse lost precision; Newton only). */
  standardErrorsLost: SecretInt;
  /** Mean negative log-likelihood at the final coefficients. */
  loss: SecretFixed;
  /** The iteration budget (public). */
  iterations: number;
  /**
   * Iterations run (public: with a tolerance, Newton stops after the first
   * step whose every |delta_j| is below it, and that decision is revealed).
   */
  iterationsRun: Promise<number>;
  n: SecretInt;
}

export interface LogisticOptions extends ResultOptions {
  /** Public [lo, hi] per feature that contains its values (e.g. the declared schema ranges). */
  ranges?: ReadonlyArray<readonly [number, number]>;
  /** 'newton' (default: converges in about 6 to 8 iterations) or 'gd' (gradient descent). */
  method?: 'newton' | 'gd';
  /** Most iterations (default 8 for Newton, 100 for gradient descent, which always runs them all). */
  iterations?: number;
  /**
   * Newton stops after a step whose every |delta_j| (scaled units: features
   * mapped to [-1, 1]) is below this (default 2^-10); 0 runs every iteration.
   * The number of iterations run is revealed.
   */
  tolerance?: number;
  /** Gradient descent step on the mean loss over scaled features (default 4 / p). */
  learningRate?: number;
}

/** Fractional bits of scaled features and of the linear predictor. */
const FX_FRAC = 20;
/**
 * Default Newton tolerance on the scaled step: a step below 2^-10 leaves the
 * next one near 2^-20 (quadratic convergence), under the fixed-point noise,
 * and above that noise (about 2^-16) so that the test is met.
 */
export const NEWTON_TOLERANCE = 2 ** -10;
const FZ = 16;

/**
 * Logistic regression of a 0/1 outcome on features (with an intercept),
 * fitted by Newton (IRLS) steps until one is below `tolerance` (at most
 * `iterations`; `newtonLoop`: the stopping bit is revealed, so the number of
 * iterations is public), or by a fixed number of gradient-descent steps with
 * `method: 'gd'`, each using the sigmoid of src/ops/fixed.ts on every row:
 * the same model as R's glm(y ~ ..., family = binomial).
 *
 * Scaling: each feature is mapped to [-1, 1] with its public range (option
 * `ranges`), so the linear predictor stays small and fixed point keeps its
 * precision; coefficients are mapped back exactly (public constants).
 * Precision: stated a posteriori by `logisticErrorBound` (bounds.ts) from
 * the released coefficients, standard errors and `scaledStandardErrors`,
 * given the two checks (score below 2^-14 per 2^lg rows in scaled units,
 * |H Z - I| below 2^-10): typically a few thousandths of a standard error
 * (sigmoid error 2^-16 per row).
 * Gradient descent needs many more iterations than Newton for the same
 * accuracy, and stops wherever its fixed budget ends.
 * Cost per iteration: one inner product per row, one sigmoid of n values
 * (44 rounds in rep3, about 20 us per row), and for Newton the Hessian (p^2
 * inner products of length n) and a secure p x p solve (68 rounds in rep3
 * for p = 3; about 40 p + 200 above). The first step, from 0, needs no
 * sigmoid (sigma(0) = 1/2 for every row). A 60-row fit with two features:
 * 530 rounds in 4 iterations (test/numeric-rounds.test.ts).
 * The loss costs one exp and one log of n values at the end.
 * @example
 *   const m = logisticRegression(died, [age, armB], { ranges: [[18, 90], [0, 1]] });
 * @throws {RangeError} for no features, lengths that differ, or bad options.
 */
export function logisticRegression(
  y: SecretBool,
  features: readonly (Column | SecretBool)[],
  opts: LogisticOptions = {},
): LogisticModel {
  const op = 'logisticRegression';
  if (features.length === 0) throw new RangeError(`${op}: no features`);
  const N = y.length;
  features.forEach((x, j) => {
    if (x.length !== N)
      throw new RangeError(`${op}: feature ${j} has ${x.length} rows, y has ${N}`);
  });
  checkBool(op, y, N, 'y');
  const f = resultFrac(op, opts.frac);
  const method = opts.method ?? 'newton';
  if (method !== 'newton' && method !== 'gd')
    throw new RangeError(`${op}: unknown method ${String(method)}`);
  const iterations = opts.iterations ?? (method === 'newton' ? 8 : 100);
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 1000)
    throw new RangeError(`${op}: iterations must be an integer in 1..1000`);
  if (opts.tolerance !== undefined && !(opts.tolerance >= 0 && opts.tolerance < 1))
    throw new RangeError(`${op}: tolerance must be in [0, 1)`);
  const k = features.length;
  const p = k + 1;
  const session = y.session;
  // Public centres and half-widths.
  const scale = features.map((x, j) => {
    const X = Fx.of(x);
    const given = opts.ranges?.[j];
    let lo: number;
    let hi: number;
    if (given) [lo, hi] = given;
    else {
      const half = 2 ** (X.bound - 1 - X.frac);
      [lo, hi] = X.bound === 2 && X.frac === 0 ? [0, 1] : [-half, half];
    }
    if (!(hi > lo)) throw new RangeError(`${op}: range of feature ${j} is empty`);
    return { c: (lo + hi) / 2, h: (hi - lo) / 2, X };
  });
  const { w } = groupWeights(op, N, opts.where, undefined, session);
  const n = w.sumGroups(N);
  // Scaled columns, then the design column-major (p x N) and row-major (N x p).
  // (x - c) / h = x / h - c / h, so that a centre between two encodings stays exact.
  const scaled = scale.map(({ c, h, X }) =>
    X.mulPublic([1 / h], FX_FRAC)
      .addPublic([-c / h])
      .withBound(FX_FRAC + 3),
  );
  const ones = Fx.constant(session, [1], FX_FRAC).tile(N);
  const Xcm = Fx.concat([ones, ...scaled]);
  const Xrm = Xcm.gather(
    Uint32Array.from({ length: N * p }, (_, q) => (q % p) * N + Math.floor(q / p)),
  );
  const Xw = opts.where ? w.tile(p).mulBit(Xcm) : Xcm; // rows outside the filter zeroed
  const Y = Fx.of(y).rescale(FZ);
  const lg = log2ceil(N + 1);
  const zBound = QS + log2ceil(p) + FZ + 2;
  // Always the bound zBound (a looser one than the first step's, from coefficients 0), so that
  // every Newton step has the same scales.
  const predictor = (beta: Fx) => {
    const z = Xrm.dotGroups(beta.tile(N), p, FZ);
    return z.make(z.sh, z.frac, zBound);
  };
  const sigmoid = (z: Fx) =>
    z.make(
      z.sh.then((a) => fxops.sigmoid(z.suite, a, { bits: zBound + 1, frac: FZ }, zBound)),
      FZ,
      FZ + 2,
    );
  const beta0 = Fx.zero(session, p, FX_FRAC);
  const zero = Fx.zero(session, N, FZ);
  const half = Fx.constant(session, [0.5], FZ).tile(N);
  let beta = beta0;
  let Z: Fx | undefined;
  let seLost: Fx | undefined;
  const invN =
    method === 'gd' ? Fx.constant(session, [1], 0).divide(n, { qBits: 1, frac: 40 }) : undefined;
  const lr = opts.learningRate ?? 4 / p;
  /** One Newton step from b: the next coefficients, the step, and H / 2^lg with its inverse. */
  const newtonIteration = (b: Fx, withInverse: boolean): NewtonIterate => {
    // From the start b = 0 every row has z = 0, sigma = 1/2 and weight 1/4, public
    // constants: the first step needs no predictor, sigmoid or weights (about 50 rounds).
    const atZero = b === beta0;
    const z = atZero ? zero.make(zero.sh, FZ, zBound) : predictor(b);
    const sig = atZero ? half.make(half.sh, FZ, FZ + 2) : sigmoid(z);
    const resid = Y.sub(sig); // y - sigma
    const grad = Xw.dotGroups(resid.tile(p), N, FX_FRAC).withBound(lg + FX_FRAC + 2);
    // sigma (1 - sigma) <= 1/4; at the start exactly 1/4, so wX = X / 4 (a change of scale).
    const wX = atZero
      ? Xcm.make(Xcm.sh, Xcm.frac + 2, Xcm.bound)
      : sig
          .mul(sig.neg().addPublic([1]), FZ)
          .withBound(FZ)
          .tile(p)
          .mul(Xcm, FX_FRAC)
          .withBound(FX_FRAC);
    const ia = Uint32Array.from(
      { length: p * p * N },
      (_, q) => Math.floor(q / (p * N)) * N + (q % N),
    );
    const ib = Uint32Array.from(
      { length: p * p * N },
      (_, q) => (Math.floor(q / N) % p) * N + (q % N),
    );
    // H / 2^lg and g / 2^lg (exact: a change of scale) keep the solve's right-hand side near 1.
    const Hs = Xw.gather(ia)
      .dotGroups(wX.gather(ib), N, FX_FRAC)
      .withBound(lg + FX_FRAC);
    const H = Hs.make(Hs.sh, Hs.frac + lg, Hs.bound);
    const gN = grad.make(grad.sh, grad.frac + lg, grad.bound);
    const step = newtonStep(H, gN, p, withInverse);
    return {
      next: b.add(step.delta).clamp(QS),
      delta: step.delta,
      H,
      inverse: step.inverse,
      at: { z, sig, gN },
    };
  };
  let fit: NewtonFit | undefined;
  let iterationsRun: Promise<number> = Promise.resolve(iterations);
  if (method === 'newton') {
    fit = newtonLoop(beta, newtonIteration, iterations, opts.tolerance ?? NEWTON_TOLERANCE);
    beta = fit.beta;
    Z = fit.inverse;
    seLost = inverseLost(fit.H, Z, p);
    iterationsRun = fit.iterations;
  } else {
    for (let it = 0; it < iterations; it++) {
      const sig = sigmoid(predictor(beta));
      const grad = Xw.dotGroups(Y.sub(sig).tile(p), N, FX_FRAC).withBound(lg + FX_FRAC + 2);
      const step = grad.mul(invN!.tile(p), FX_FRAC + 8).mulPublic([lr], FX_FRAC);
      beta = beta.add(step).clamp(QS);
    }
  }
  // The score at the final coefficients: near 0 certifies them (newtonFitLost). Newton's
  // discarded step began there, so its predictor, sigmoid and score serve.
  const atFinal = (key: string, compute: () => Fx) => (fit ? fit.atFinal(key, compute) : compute());
  const finalBeta = beta;
  const z = atFinal('z', () => predictor(finalBeta));
  const sigZ = atFinal('sig', () => sigmoid(z));
  const finalGrad = atFinal('gN', () => {
    const g = Xw.dotGroups(Y.sub(sigZ).tile(p), N, FX_FRAC).withBound(lg + FX_FRAC + 2);
    return g.make(g.sh, g.frac + lg, g.bound);
  });
  const lost = newtonFitLost(beta, finalGrad);
  // Loss: mean of softplus(z) - y z = max(z, 0) - y z + log(1 + e^-|z|).
  const { neg, l1p } = softplusParts(z, zBound);
  const rowLoss = neg
    .select(Fx.zero(session, N, FZ), z)
    .sub(Y.mul(z, FZ))
    .add(l1p);
  const lossSum = w.dotGroups(rowLoss, N, FZ);
  const loss = lossSum.divide(n, { qBits: QS + 4, frac: f });
  // Back to the features' units: b_j = bt_j / h_j, b_0 = bt_0 - sum_j bt_j c_j / h_j.
  const T: number[][] = Array.from({ length: p }, (_, i) =>
    Array.from({ length: p }, (_, j) => {
      if (i === 0) return j === 0 ? 1 : -scale[j - 1]!.c / scale[j - 1]!.h;
      return i === j ? 1 / scale[i - 1]!.h : 0;
    }),
  );
  const coefficients = Fx.concat(T.map((row) => beta.mulPublic(row, FX_FRAC).sum()));
  let se: Fx;
  let scaledSe: Fx | undefined;
  let rootInputFrac = Infinity;
  if (Z) {
    // Cov(b) = T Z T^T / 2^lg (Z inverts H / 2^lg). The scaled coefficients' standard errors are
    // sqrt(Z_kk / 2^lg); a feature's is that over its public half-width h (T's row j is e_j / h_j),
    // taken after the root so that a wide range (h up to 2^19) does not cut the variance to the
    // quadratic form's 2^-24. The intercept's: sum_jl T_0j Z_jl T_0l / 2^lg. One root for all.
    const Zs = Z.rescale(FS);
    const q0 = Zs.mulPublic(
      Array.from({ length: p * p }, (_, t) => T[0]![Math.floor(t / p)]! * T[0]![t % p]!),
      FS,
    ).sum();
    const zd = Zs.gather(Uint32Array.from({ length: p }, (_, k) => k * p + k));
    const both = Fx.concat([
      q0.rescale(Math.min(q0.frac, zd.frac)),
      zd.rescale(Math.min(q0.frac, zd.frac)),
    ]);
    const rootInput = both.make(both.sh, both.frac + lg, Math.max(q0.bound, zd.bound)).relu();
    rootInputFrac = sqrtInputFrac(rootInput.bound, rootInput.frac);
    const roots = rootInput.sqrt();
    scaledSe = roots.slice(1, p + 1);
    const slopesSe = roots.slice(2, p + 1).mulPublic(
      scale.map(({ h }) => 1 / h),
      Math.max(roots.frac, FX_FRAC + 4),
    );
    se = Fx.concat([roots.slice(0).rescale(slopesSe.frac), slopesSe]);
  } else se = Fx.zero(session, p, FX_FRAC);
  return {
    coefficients: coefficients.rescale(f).toFixed(f),
    standardErrors: se.rescale(f).toFixed(f),
    scaledStandardErrors: (scaledSe ?? Fx.zero(session, p, FX_FRAC)).rescale(f).toFixed(f),
    seRootFrac: rootInputFrac,
    fitLost: lost.toInt(),
    standardErrorsLost: (seLost ?? Fx.zero(session, 1, 0)).toInt(),
    loss: loss.toFixed(f),
    iterations,
    iterationsRun,
    n: n.toInt(),
  };
}
