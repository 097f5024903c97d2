/**
 * One-way analysis of variance: the F test of equal means in G groups, as
 * R's summary(aov(y ~ g)) and oneway.test(y ~ g, var.equal = TRUE).
 *
 *   F = (SSB / (G' - 1)) / (SSW / (N - G'))
 *
 * with SSB = sum_g n_g (mean_g - mean)^2, SSW = sum_g sum_i (x_i - mean_g)^2
 * and G' the number of groups with at least one row (an empty level is left
 * out, as R's lm leaves out a level with no data).
 *
 * Method, chosen so that no step depends on the magnitude of the data: every
 * group's sums are exact (common.ts), so B_g = N S_g - n_g S and the
 * within-group numerators W_g = n_g Q_g - S_g^2 are exact integers. Then
 *   MSW = (sum_g W_g / n_g) / (N - G'),   u_g = B_g / (N sqrt(n_g) sqrt(MSW)),
 * so that u_g^2 = n_g (mean_g - mean)^2 / MSW and F = sum_g u_g^2 / (G' - 1).
 * No sum of squares is formed in absolute units, so F keeps its relative
 * precision for any scale of the data (the chi-squared test's approach).
 * The statistic and its degrees of freedom stay secret; `revealAnova` opens
 * them and computes the p-value in the clear.
 */
import type { SecretBool, SecretFixed, SecretInt } from '../../api/secret.js';
import { betaI } from '../distributions.js';
import {
  checkColumn,
  groupWeights,
  moments,
  resultFrac,
  varianceNumerator,
  type Column,
  type ResultOptions,
} from './common.js';
import { CAP, Fx, T, log2ceil } from './fx.js';

/** A one-way ANOVA, secret. */
export interface Anova {
  /** F = MSB / MSW; saturates at about 2^(23 + log2 G) (the p-value is 0 there anyway). */
  F: SecretFixed;
  /** Between-groups degrees of freedom G' - 1 (groups with rows, minus one). */
  dfBetween: SecretInt;
  /** Within-groups degrees of freedom N - G'. */
  dfWithin: SecretInt;
  /** Rows per group. */
  n: SecretInt;
  /** Mean per group (0 for an empty group). */
  mean: SecretFixed;
}

/** Fractional bits of u_g (|u_g| < 2^U_BITS, saturated). */
const U_FRAC = 20;
const U_BITS = 11;

/**
 * The numerator of a division with low bits dropped until the division's
 * scaled numerator fits in 63 bits (Fx.divide drops only fractional bits; a
 * wide column rounded by `secondMomentShift` has a negative frac). The
 * dropped bits are the lowest of about 60 significant ones.
 */
function roomFor(num: Fx, den: Fx, qBits: number): Fx {
  const M = Math.max(den.bound, 2) - 2;
  const bU = (x: Fx) => Math.min(x.bound - 1 + M, qBits + x.frac - den.frac + M + 1) + 1;
  let x = num;
  while (bU(x) > T) x = x.rescale(x.frac - (bU(x) - T + 1));
  return x;
}

/**
 * One-way ANOVA of a column across groups (SecretBool indicators, at least
 * two; rows in no group are ignored, and `where` filters further).
 *
 * Precision: W_g / n_g, MSW and u_g are quotients of exact sums (relative
 * 2^-24 each) and sqrt(MSW) has relative error 2^-22, so F has relative
 * error about 2^-19 plus 2^-18 absolute. When every group is constant
 * (MSW = 0) F saturates at 2^(23 + log2 G) (R: Inf), or is 0 when every
 * value is equal (R: NaN).
 * Columns wider than the 63-bit budget of `secondMomentShift` are rounded
 * for the within-group sums, as in `variance`.
 * Cost: two rounds of inner products, one comparison round for G', then
 * five divisions and two square roots in sequence, and two comparison
 * rounds for the constant-groups case (about 250 rounds in rep3), for any n.
 * @example
 *   const a = oneWayAnova(weight, [ctrl, trt1, trt2]);
 *   const { F, dfBetween, dfWithin, pValue } = await revealAnova(a);
 * @throws {TypeError} for a non-column; {RangeError} for fewer than two groups or lengths that differ.
 */
export function oneWayAnova(
  x: Column,
  groups: readonly SecretBool[],
  opts: ResultOptions = {},
): Anova {
  const op = 'oneWayAnova';
  const N = checkColumn(op, x);
  if (groups.length < 2)
    throw new RangeError(`${op}: need at least two groups, got ${groups.length}`);
  const f = resultFrac(op, opts.frac);
  const X = Fx.of(x);
  const { w, G } = groupWeights(op, N, opts.where, groups, x.session);
  const m = moments(X, w, G, true, N);
  const lg = log2ceil(N + 1);
  // Groups with rows: [n_g > 0] = [-n_g < 0].
  const nonEmpty = m.n.neg().ltz().sum();
  const total = m.n.sum();
  const dfBetween = nonEmpty.sub(1).relu();
  const dfWithin = total.sub(nonEmpty).relu();
  const qm = Math.max(1, X.intBits);
  const mean = m.s.divide(m.n, { qBits: qm, frac: Math.min(40, 60 - qm) });
  // Within-group sums of squares W_g / n_g <= n_g (2 max|x'|)^2.
  const ib = m.xr!.intBits;
  const qW = 2 * ib + 2 + lg;
  // Room for the sum over the groups before its bound is tightened.
  const fW = Math.min(24, 61 - qW - log2ceil(G));
  const W = varianceNumerator(m);
  const ssw = roomFor(W, m.n, qW)
    .divide(m.n, { qBits: qW, frac: fW })
    .relu()
    .sum()
    .withBound(qW + fW + 2); // SSW = sum_g SSW_g <= N (2 max|x'|)^2 too
  // MSW = SSW / (N - G') <= G (2 max|x'|)^2 / 4 (each group's share is at most n_g / (N - G') times its mean square).
  const qMsw = 2 * ib + 2 + log2ceil(G) + 1;
  const msw = roomFor(ssw, dfWithin, qMsw).divide(dfWithin, {
    qBits: qMsw,
    frac: Math.min(30, 61 - qMsw),
  });
  // B_g = N S_g - n_g S, exact; B_g / (N sqrt(n_g)) = sqrt(n_g) (mean_g - mean).
  const S = m.s.sum();
  const B = total
    .tile(G)
    .mul(m.s, m.s.frac)
    .sub(m.n.mul(S.tile(G), m.s.frac));
  const den = total.tile(G).mul(m.n.rescale(28).sqrt(), 28);
  const qZ = qm + 2 + Math.ceil(lg / 2);
  const z = roomFor(B, den, qZ).divide(den, { qBits: qZ, frac: Math.min(30, 60 - qZ) });
  // sqrt needs 2 fractional bits: a wide MSW (negative frac) is read as MSW / 4^k first, then scaled back.
  const k = Math.max(0, Math.ceil((2 - msw.frac) / 2));
  const root = msw.relu();
  const sq = root.make(root.sh, root.frac + 2 * k, root.bound).sqrt();
  const sd = sq.make(sq.sh, sq.frac - k, sq.bound);
  const u = roomFor(z, sd, U_BITS).divide(sd, { qBits: U_BITS, frac: U_FRAC, saturate: true });
  const ratio = u
    .mul(u, 30)
    .withBound(2 * U_BITS + 30 + 2)
    .sum();
  const qF = 2 * U_BITS + log2ceil(G) + 1;
  const Fq = ratio.divide(dfBetween, { qBits: qF, frac: f, saturate: true });
  // MSW = 0 (every group constant): F is infinite when the means differ, as R's, so it
  // saturates; when every value is equal (R: NaN) it stays 0. Two comparison rounds.
  // [MSW = 0] and [B_g = 0] per group (exact integers), then [every B_g = 0].
  const eqs = Fx.concat([msw.fit(62, -CAP), B.fit(62, -CAP)]).eqz();
  const equalMeans = eqs
    .slice(1, G + 1)
    .sum()
    .sub(G)
    .eqz();
  const zero = Fx.concat([eqs.slice(0), equalMeans]);
  const top = Fx.constant(x.session, [2 ** qF - 1], f);
  const F = zero
    .slice(0)
    .mulBit(zero.slice(1).not())
    .select(top, Fq)
    .withBound(qF + f + 2);
  return {
    F: F.toFixed(f),
    dfBetween: dfBetween.toInt(),
    dfWithin: dfWithin.toInt(),
    n: m.n.toInt(),
    mean: mean.rescale(f).toFixed(f),
  };
}

/**
 * Reveals F and both degrees of freedom (every party must call it) and
 * computes the p-value P(F_(df1, df2) >= F) in the clear.
 */
export async function revealAnova(
  r: Pick<Anova, 'F' | 'dfBetween' | 'dfWithin'>,
): Promise<{ F: number; dfBetween: number; dfWithin: number; pValue: number }> {
  const [F, d1, d2] = await Promise.all([r.F.reveal(), r.dfBetween.reveal(), r.dfWithin.reveal()]);
  return anovaPValue(F[0]!, Number(d1[0]!), Number(d2[0]!));
}

/** The upper-tail p-value of a revealed F (NaN when either df is 0). */
export function anovaPValue(
  F: number,
  dfBetween: number,
  dfWithin: number,
): { F: number; dfBetween: number; dfWithin: number; pValue: number } {
  const pValue = dfBetween > 0 && dfWithin > 0 ? fDistSf(Math.max(0, F), dfBetween, dfWithin) : NaN;
  return { F, dfBetween, dfWithin, pValue };
}

/**
 * P(F >= x) for Fisher's F with d1 and d2 degrees of freedom (R's
 * pf(x, d1, d2, lower.tail = FALSE)): I_(d2 / (d2 + d1 x))(d2 / 2, d1 / 2).
 */
export function fDistSf(x: number, d1: number, d2: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  if (!Number.isFinite(x)) return 0;
  return betaI(d2 / (d2 + d1 * x), d2 / 2, d1 / 2);
}
