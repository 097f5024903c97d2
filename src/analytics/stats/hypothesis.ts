/**
 * Hypothesis tests: two-sample t-tests (Welch's and Student's), one-sample
 * and paired t-tests, and Pearson's chi-squared test of independence. The statistic and its degrees of freedom are computed
 * securely and stay secret; `reveal...` helpers open them (to every party)
 * and compute the p-value in the clear from the revealed numbers, so a
 * caller that must suppress or add noise does so before revealing.
 *
 * References: Welch, "The generalization of 'Student's' problem when several
 * different population variances are involved", Biometrika 34 (1947), with
 * the Welch-Satterthwaite degrees of freedom (Satterthwaite, Biometrics
 * Bulletin 2, 1946), as in R's t.test(var.equal = FALSE) and scipy's
 * ttest_ind(equal_var=False); Pearson's X^2 with Yates' continuity correction
 * for 2 x 2 tables as R's chisq.test and scipy's chi2_contingency do by default.
 */
import type { SecretBool, SecretFixed, SecretInt } from '../../api/secret.js';
import { chiSquaredSf, studentTTwoSided } from '../distributions.js';
import {
  checkColumn,
  groupWeights,
  moments,
  resultFrac,
  type Column,
  type ResultOptions,
} from './common.js';
import { varianceLevels } from './describe.js';
import { pickLevel, selectFinest, type VarianceCandidates } from './variance.js';
import { Fx, log2ceil, SQRT_ROOM } from './fx.js';

/** A two-sample t-test, secret: every field is a secret scalar. */
export interface TTest {
  /** t = (mean1 - mean2) / se, saturated at +-2^20. */
  t: SecretFixed;
  /**
   * Degrees of freedom: Welch-Satterthwaite (0 when a group has fewer than 2
   * rows), or n1 + n2 - 2 for Student's test.
   */
  df: SecretFixed;
  /**
   * Standard error of mean1 - mean2: sqrt(var1/n1 + var2/n2) (Welch), or
   * sqrt(s_p^2 (1/n1 + 1/n2)) with the pooled variance s_p^2 (Student).
   * Relative 2^-22 plus what D = var1 n2 + var2 n1 loses to truncation and
   * to its root. For a wide type D is taken at every centred variance level
   * in that level's own format and kept at the finest that fits both groups,
   * so a tiny spread keeps its bits (relative 1e-4 or better for fixed(32,
   * 16) with sd 0.001 at 1200 rows); `tErrorBound` states the bound on t.
   */
  se: SecretFixed;
  mean1: SecretFixed;
  mean2: SecretFixed;
  var1: SecretFixed;
  var2: SecretFixed;
  n1: SecretInt;
  n2: SecretInt;
}

/**
 * What the t-tests start from, per group: counts, means and sample
 * variances, from the records (`twoGroups`) or from each party's own sums
 * (pooled.ts); `rows` is the public row count they were computed over.
 */
export interface GroupMoments {
  readonly rows: number;
  readonly f: number;
  readonly n: Fx;
  readonly mean: Fx;
  /** The exact per-group sums the means divide, at the column's scale. */
  readonly s: Fx;
  readonly v: Fx;
  /**
   * The variance's candidates before one is picked (variance.ts), when the
   * column is wide: the tests standardise at every candidate in its own
   * format and keep the finest that fits every group, so that a tiny spread
   * keeps its bits (the picked `v` carries the type's range as its bound).
   */
  readonly candidates?: VarianceCandidates;
}

/**
 * `compute` at each variance candidate of `g` (the plain estimate and the
 * centred levels, each in the format its own bound allows), keeping per
 * output the result of the finest level that fits every group; `compute(g.v)`
 * when the column has no levels. The candidates run side by side: the same
 * rounds as one, more bytes.
 */
/**
 * mean1 - mean2 as (S1 n2 - S2 n1) / (n1 n2): the numerator is exact (when
 * it fits 63 bits; else Fx.mul drops low bits of the sums), so the difference
 * keeps relative 2^-24 of itself. Two large means close together would
 * otherwise leave only their own relative precision: 2^-24 of a mean of 1234
 * is 7e-5, more than the whole difference of a column with sd 0.0002.
 */
function meanDifference(g: GroupMoments): Fx {
  const { s, n } = g;
  const num = s
    .slice(0)
    .mul(n.slice(1), s.frac)
    .sub(s.slice(1).mul(n.slice(0), s.frac));
  const q = Math.max(1, g.mean.intBits + 1);
  return num.divide(n.slice(0).mul(n.slice(1), 0), { qBits: q, frac: Math.min(40, 60 - q) });
}

/** mean - mu as (S - mu n) / n, for the same reason as `meanDifference` (mu public). */
function meanMinus(g: GroupMoments, mu: number): Fx {
  if (mu === 0) return g.mean;
  const fr = Math.min(g.s.frac + 8, 62 - g.s.bound);
  const num = g.s.rescale(fr).sub(g.n.mulPublic([mu], fr));
  const q = Math.max(1, Math.max(g.mean.intBits, Math.ceil(Math.log2(Math.abs(mu) + 1))) + 1);
  return num.divide(g.n, { qBits: q, frac: Math.min(40, 60 - q) });
}

/** The bound of a count of at most `rows` rows, with its sign bit. */
function countBound(rows: number): number {
  return log2ceil(rows + 1) + 1;
}

function atFinestLevel(g: GroupMoments, compute: (v: Fx) => Fx[]): Fx[] {
  const c = g.candidates;
  if (!c || c.levels.length === 0) return compute(g.v);
  const outs = [c.plain, ...c.levels.map((l) => l.value)].map(compute);
  const fitsAll = c.levels.map(({ fits }) => {
    let all = fits.slice(0);
    for (let i = 1; i < fits.length; i++) all = all.mul(fits.slice(i), 0);
    return all;
  });
  return outs[0]!.map((_, j) =>
    selectFinest(
      outs.map((o) => o[j]!),
      fitsAll,
    ),
  );
}

/** What both two-sample tests start from: per-group counts, means and variances. */
function twoGroups(
  op: string,
  x: Column,
  group1: SecretBool,
  group2: SecretBool,
  opts: ResultOptions,
): GroupMoments {
  const n = checkColumn(op, x);
  const f = resultFrac(op, opts.frac);
  const X = Fx.of(x);
  const { w } = groupWeights(op, n, opts.where, [group1, group2], x.session);
  const m = moments(X, w, 2, true);
  const qm = Math.max(1, X.intBits);
  const mean = m.s.divide(m.n, { qBits: qm, frac: Math.min(40, 60 - qm) });
  const candidates = varianceLevels(m, X, f, false);
  return { rows: n, f, n: m.n, mean, s: m.s, v: pickLevel(candidates), candidates };
}

/**
 * Welch's two-sample t-test of a column between two groups (SecretBool
 * indicators; rows in neither are ignored, and `where` filters further).
 *
 * Precision: the means, variances and var/n terms come from exact sums by
 * one division each (relative 2^-24); t has relative error about 2^-20 plus
 * (2^-19 + 2^-24 (|mean1| + |mean2|)) / se absolute (se = the standard
 * error: two large means close together keep only their own relative
 * precision), df relative 2^-20; `tErrorBound` (bounds.ts) states the whole
 * bound, wide columns' variances included. When both
 * variances are 0, t is 0 and df meaningless (R refuses such data).
 * Cost: two rounds of inner products, then about six divisions and two
 * square roots in sequence (about 300 rounds in rep3), for any n.
 * @example
 *   const r = welchTTest(recoveryDays, armA, armB);
 *   const { t, df, pValue } = await revealTTest(r);
 * @throws {TypeError} for a non-column; {RangeError} for lengths that differ.
 */
export function welchTTest(
  x: Column,
  group1: SecretBool,
  group2: SecretBool,
  opts: ResultOptions = {},
): TTest {
  return welchFromMoments(twoGroups('welchTTest', x, group1, group2, opts));
}

/** Welch's test from two groups' moments (`welchTTest`'s numerics, whatever computed them). */
export function welchFromMoments(g: GroupMoments): TTest {
  const { rows: n, f, mean, v } = g;
  const m = { n: g.n };
  const d = meanDifference(g);
  // Counts are at most the public row count: that bound (not the sums' generic one) leaves a
  // variance more bits in its product with a count (what `tErrorBound` assumes).
  const nOther = m.n.gather(Uint32Array.of(1, 0)).withBound(countBound(n));
  const [t, se, r] = atFinestLevel(g, (vk) => {
    // se^2 = (var1 n2 + var2 n1) / (n1 n2): see `standardise`.
    const P = vk.mul(nOther);
    const D = P.sum();
    const st = standardise(d, D, m.n.slice(0).mul(m.n.slice(1), 0), f);
    // r = a1 / (a1 + a2) with a_g = var_g / n_g, = var1 n2 / D.
    return [st.t, st.se, P.slice(0).divide(D, { qBits: 1, frac: 30 })];
  });
  // df = (a1 + a2)^2 / (a1^2/(n1-1) + a2^2/(n2-1)) = (n1-1)(n2-1) / (r^2 (n2-1) + (1-r)^2 (n1-1)).
  const rr = r!.rescale(30);
  const nm1 = m.n.sub(1).relu();
  const n1m = nm1.slice(0);
  const n2m = nm1.slice(1);
  const sq = Fx.concat([rr, rr.neg().addPublic([1])]).mul(
    Fx.concat([rr, rr.neg().addPublic([1])]),
    30,
  );
  const den = sq.slice(0).mul(n2m, 30).add(sq.slice(1).mul(n1m, 30));
  const num = n1m.mul(n2m, 0);
  const df = num.divide(den, { qBits: log2ceil(n + 1) + 1, frac: f, saturate: true });
  return {
    t: t!.toFixed(f),
    df: df.toFixed(f),
    se: se!.rescale(Math.min(se!.frac, Math.max(f, 30))).toFixed(),
    mean1: mean.slice(0).toFixed(f),
    mean2: mean.slice(1).toFixed(f),
    var1: v.slice(0).toFixed(f),
    var2: v.slice(1).toFixed(f),
    n1: m.n.slice(0).toInt(),
    n2: m.n.slice(1).toInt(),
  };
}

/**
 * Student's two-sample t-test (equal variances, R's t.test(var.equal = TRUE)):
 * the pooled variance s_p^2 = ((n1 - 1) var1 + (n2 - 1) var2) / (n1 + n2 - 2),
 * se = sqrt(s_p^2 / n1 + s_p^2 / n2), t = (mean1 - mean2) / se on n1 + n2 - 2
 * degrees of freedom. Groups and filter as in `welchTTest`.
 *
 * Precision: as welchTTest (every quotient relative 2^-24; t relative about
 * 2^-20 plus (2^-19 + 2^-24 (|mean1| + |mean2|)) / se); df exact.
 * Cost: as welchTTest, one division more and no Welch-Satterthwaite df.
 * @example
 *   const r = studentTTest(recoveryDays, armA, armB);
 * @throws {TypeError} for a non-column; {RangeError} for lengths that differ.
 */
export function studentTTest(
  x: Column,
  group1: SecretBool,
  group2: SecretBool,
  opts: ResultOptions = {},
): TTest {
  return studentFromMoments(twoGroups('studentTTest', x, group1, group2, opts));
}

/** Student's test from two groups' moments (`studentTTest`'s numerics). */
export function studentFromMoments(g: GroupMoments): TTest {
  const { f, mean, v } = g;
  const m = { n: g.n };
  // Sums of squared deviations (n_g - 1) var_g: products with integers (bounded by the row
  // count, as in Welch's test).
  const nm1 = m.n.sub(1).relu().withBound(countBound(g.rows));
  const dfN = m.n.sum().sub(2).relu();
  const d = meanDifference(g);
  const total = m.n.sum().withBound(countBound(g.rows));
  const [t, se] = atFinestLevel(g, (vk) => {
    const ss = vk.mul(nm1, vk.frac);
    const pooled = ss
      .sum()
      .divide(dfN, { qBits: vk.intBits + 1, frac: Math.min(44, 59 - vk.intBits) });
    // se^2 = s_p^2 (n1 + n2) / (n1 n2): see `standardise`.
    const st = standardise(d, pooled.mul(total), m.n.slice(0).mul(m.n.slice(1), 0), f);
    return [st.t, st.se];
  });
  return {
    t: t!.toFixed(f),
    df: dfN.rescale(f).toFixed(f),
    se: se!.rescale(Math.min(se!.frac, Math.max(f, 30))).toFixed(),
    mean1: mean.slice(0).toFixed(f),
    mean2: mean.slice(1).toFixed(f),
    var1: v.slice(0).toFixed(f),
    var2: v.slice(1).toFixed(f),
    n1: m.n.slice(0).toInt(),
    n2: m.n.slice(1).toInt(),
  };
}

/**
 * t = d / se and se for se^2 = D / N (D a variance, or a variance times a
 * count, N a product of counts or their harmonic combination), as
 * t = d sqrt(N) / sqrt(D) and se = sqrt(D) / sqrt(N).
 * Why not sqrt(var / n) directly: var carries the column's full range as its
 * bound, so var / n of a large group keeps few significant bits before the
 * square root (relative 5e-5 on se at 2000 rows of fixed(32, 16)), while D
 * is as large as a variance times a count and N an exact integer; both roots
 * are normalised, and the divisions keep relative precision.
 */
function standardise(d: Fx, D: Fx, N: Fx, f: number): { t: Fx; se: Fx } {
  const sD = rootWithRoom(D.relu());
  const sN = rootWithRoom(N);
  // d is bounded by the column's range but often a few units: the split product keeps its
  // relative precision (a plain mul cut it to 17 fractional bits for fixed(32, 16)).
  const t = d
    .mulWide(sN, Math.max(d.frac, sN.frac))
    .divide(sD, { qBits: 20, frac: f, saturate: true });
  const q = Math.max(1, Math.ceil(sD.intBits) + 1);
  const se = sD.divide(sN, { qBits: q, frac: Math.min(44, 60 - q) });
  return { t, se };
}

/**
 * sqrt(x), its input first given every fractional bit Fx.sqrt has room for
 * (bound + frac <= SQRT_ROOM): the root is returned with the input's frac, so an
 * integer count would otherwise come back rounded to quarters.
 */
function rootWithRoom(x: Fx): Fx {
  // Never past 63 bits either (a wide D of a long int(20) column did, and threw).
  const k = Math.min(Math.floor((SQRT_ROOM - x.bound - x.frac) / 2), 63 - x.bound);
  return (k > 0 ? x.rescale(x.frac + k) : x).sqrt();
}

/** A one-sample (or paired) t-test, secret: every field is a secret scalar. */
export interface OneSampleTTest {
  /** t = (mean - mu) / se, saturated at +-2^20. */
  t: SecretFixed;
  /** n - 1. */
  df: SecretFixed;
  /** Mean of the column (of the differences, for a paired test). */
  mean: SecretFixed;
  /** Standard error of the mean, sd / sqrt(n). */
  se: SecretFixed;
  n: SecretInt;
}

/**
 * The one-sample t-test of H0: mean = mu (public, default 0), as R's
 * t.test(x, mu = mu): t = (mean - mu) / (sd / sqrt n) on n - 1 degrees of
 * freedom, over the rows `where` selects.
 *
 * Precision: mean relative 2^-24; se relative 2^-22 plus the variance's
 * truncation for wide types (as TTest.se); t relative about 2^-20
 * plus (2^-19 + 2^-24 |mean|) / se. A constant column gives se 0 and a saturated t (R refuses).
 * Cost: two rounds of inner products, then three divisions and a square root
 * in sequence (about 180 rounds in rep3), for any n.
 * @example
 *   const r = oneSampleTTest(systolic, { mu: 120 });
 * @throws {TypeError} for a non-column; {RangeError} for a filter of another length.
 */
export function oneSampleTTest(
  x: Column,
  opts: ResultOptions & { mu?: number } = {},
): OneSampleTTest {
  const op = 'oneSampleTTest';
  checkColumn(op, x);
  return oneSample(op, Fx.of(x), opts);
}

/**
 * The paired t-test of H0: mean(x - y) = mu (default 0), as R's
 * t.test(x, y, paired = TRUE, mu = mu): the one-sample test of the
 * differences x - y, row by row (both columns of the same record).
 * Precision and cost: as `oneSampleTTest`.
 * @example
 *   const r = pairedTTest(after, before);
 * @throws {TypeError} for a non-column; {RangeError} for lengths that differ.
 */
export function pairedTTest(
  x: Column,
  y: Column,
  opts: ResultOptions & { mu?: number } = {},
): OneSampleTTest {
  const op = 'pairedTTest';
  const n = checkColumn(op, x, 'x');
  if (checkColumn(op, y, 'y') !== n)
    throw new RangeError(`${op}: y has ${y.length} rows, x has ${n}`);
  return oneSample(op, Fx.of(x).sub(Fx.of(y)), opts);
}

function oneSample(op: string, X: Fx, opts: ResultOptions & { mu?: number }): OneSampleTTest {
  const f = resultFrac(op, opts.frac);
  const mu = opts.mu ?? 0;
  if (!Number.isFinite(mu)) throw new RangeError(`${op}: mu must be a finite number, got ${mu}`);
  const { w } = groupWeights(op, X.length, opts.where, undefined, X.session);
  const m = moments(X, w, 1, true);
  const qm = Math.max(1, X.intBits);
  const mean = m.s.divide(m.n, { qBits: qm, frac: Math.min(40, 60 - qm) });
  const candidates = varianceLevels(m, X, f, false);
  return oneSampleFromMoments(
    { rows: X.length, f, n: m.n, mean, s: m.s, v: pickLevel(candidates), candidates },
    op,
    mu,
  );
}

/** The one-sample (or paired) test from one group's moments (`oneSampleTTest`'s numerics). */
export function oneSampleFromMoments(g: GroupMoments, op: string, mu: number): OneSampleTTest {
  if (!Number.isFinite(mu)) throw new RangeError(`${op}: mu must be a finite number, got ${mu}`);
  const { f, mean } = g;
  const m = { n: g.n };
  const d = meanMinus(g, mu);
  // se^2 = var / n: see `standardise`.
  const [t, se] = atFinestLevel(g, (vk) => {
    const st = standardise(d, vk, m.n, f);
    return [st.t, st.se];
  });
  return {
    t: t!.toFixed(f),
    df: m.n.sub(1).relu().rescale(f).toFixed(f),
    mean: mean.rescale(f).toFixed(f),
    se: se!.rescale(Math.min(se!.frac, Math.max(f, 30))).toFixed(),
    n: m.n.toInt(),
  };
}

/**
 * Reveals t and df to every party (every party must call it) and computes
 * the two-sided p-value P(|T_df| >= |t|) in the clear.
 */
export async function revealTTest(
  r: Pick<TTest, 't' | 'df'>,
): Promise<{ t: number; df: number; pValue: number }> {
  const [t, df] = await Promise.all([r.t.reveal(), r.df.reveal()]);
  return tTestPValue(t[0]!, df[0]!);
}

/** The two-sided p-value of revealed t and df (NaN when df <= 0). */
export function tTestPValue(t: number, df: number): { t: number; df: number; pValue: number } {
  return { t, df, pValue: df > 0 ? studentTTwoSided(t, df) : NaN };
}

/** A chi-squared test, secret. */
export interface ChiSquaredTest {
  /** Pearson's X^2 (Yates-corrected for 2 x 2 tables unless `correct: false`). */
  statistic: SecretFixed;
  /** (rows with a nonzero total - 1)(columns with a nonzero total - 1). */
  df: SecretInt;
  /** The table the test was computed on. */
  table: SecretInt;
  /** Expected counts under independence, row total x column total / n, [r, c] (relative 2^-24). */
  expected: SecretFixed;
}

/**
 * Pearson's chi-squared test of independence on a contingency table (a
 * SecretInt of shape [r, c], e.g. from `crosstab`): X^2 = sum (O - E)^2 / E,
 * E = row total x column total / n. For 2 x 2 tables Yates' correction
 * (|O - E| - 1/2)^2 is applied unless `correct` is false, as R and scipy do.
 * Rows or columns with a zero total are left out (they contribute nothing
 * and do not count towards df); R instead returns NaN.
 *
 * Method: each cell's term is u^2 with u = (O - E) / sqrt(E), E = R C / n
 * by one division (relative error 2^-24, 24 fractional bits), one square
 * root and one division, then squared with 16 fractional bits: X^2 has
 * relative error about 2^-20 plus r c 2^-15 sqrt(X^2) absolute.
 * Cost: about 80 rounds in rep3 for any table size; O(r c) work.
 * @example
 *   const r = chiSquaredTest(crosstab(outcome, arm));
 *   const { statistic, df, pValue } = await revealChiSquared(r);
 * @throws {RangeError} for a table that is not a matrix.
 */
export function chiSquaredTest(table: SecretInt, opts: { correct?: boolean } = {}): ChiSquaredTest {
  const op = 'chiSquaredTest';
  if (table.shape.length !== 2) throw new RangeError(`${op}: expected a [rows, columns] table`);
  const [R, C] = table.shape as [number, number];
  if (R < 1 || C < 1) throw new RangeError(`${op}: empty table`);
  const O = Fx.of(table);
  const colMajor = Uint32Array.from({ length: R * C }, (_, q) => (q % R) * C + Math.floor(q / R));
  const rowTot = O.sumGroups(C); // R
  const colTot = O.gather(colMajor).sumGroups(R); // C
  const total = O.sum();
  const Ri = rowTot.gather(Uint32Array.from({ length: R * C }, (_, q) => Math.floor(q / C)));
  const Cj = colTot.gather(Uint32Array.from({ length: R * C }, (_, q) => q % C));
  const nT = total.tile(R * C);
  // E = R C / n (relative error 2^-24), then u = (O - E) / sqrt(E): no product of three counts.
  const RC = Ri.mul(Cj, 0);
  const E = RC.divide(nT, { qBits: Math.max(1, O.intBits + log2ceil(R * C)), frac: 24 });
  let diff = O.rescale(24).sub(E);
  const correct = opts.correct ?? true;
  if (correct && R === 2 && C === 2) {
    // Yates: (|O - E| - 1/2)^+.
    const abs = diff.ltz().select(diff.neg(), diff);
    diff = abs.addPublic([-0.5]).relu();
  }
  // |u| <= sqrt(X^2) <= sqrt(n (min(r, c) - 1)).
  const qU = Math.ceil((total.bound + log2ceil(Math.min(R, C))) / 2) + 1;
  const u = diff.divide(E.relu().sqrt(), { qBits: qU, frac: 16, saturate: true });
  const statistic = u.mul(u, 16).sum();
  // df from the nonzero margins: [total > 0] = [-total < 0].
  const nonzero = Fx.concat([rowTot, colTot]).neg().ltz();
  const r1 = nonzero.slice(0, R).sum().sub(1).relu();
  const c1 = nonzero
    .slice(R, R + C)
    .sum()
    .sub(1)
    .relu();
  return {
    statistic: statistic.toFixed(16),
    df: r1.mul(c1, 0).toInt(),
    table,
    expected: E.rescale(20).toFixed(20).reshape([R, C]),
  };
}

/**
 * Reveals the statistic and df (every party must call it) and computes the
 * p-value P(X^2_df >= statistic) in the clear (NaN when df = 0).
 */
export async function revealChiSquared(
  r: Pick<ChiSquaredTest, 'statistic' | 'df'>,
): Promise<{ statistic: number; df: number; pValue: number }> {
  const [x, df] = await Promise.all([r.statistic.reveal(), r.df.reveal()]);
  return chiSquaredPValue(x[0]!, Number(df[0]!));
}

/** The upper-tail p-value of a revealed chi-squared statistic (NaN when df <= 0). */
export function chiSquaredPValue(
  statistic: number,
  df: number,
): { statistic: number; df: number; pValue: number } {
  return { statistic, df, pValue: df > 0 ? chiSquaredSf(Math.max(0, statistic), df) : NaN };
}
