/**
 * Descriptive statistics of one column: count, sum, mean, variance, standard
 * deviation, min, max, quantiles (median) and histograms, each optionally
 * over the rows a secret filter selects.
 *
 * Every result stays secret (SecretInt or SecretFixed) so that the caller
 * can suppress small cells or add noise before revealing; nothing is
 * revealed here. Assumptions are those of the suite in use; the only public
 * quantities are the column length, the types and the parameters (edges,
 * probabilities, ranges).
 *
 * Precision: counts and sums are exact. Means, variances and deviations come
 * from exact integer sums by one division (relative error below 2^-24 plus
 * 2 ulp of the result, ulp = 2^-frac, frac = 20 by default) and, for the
 * deviation, one square root (relative 2^-22 plus 1 ulp). Sums of squares
 * are exact when 2 b + 2 log2(n) <= 63 for b-bit columns over n rows (for
 * example int(16) up to 2^15 rows, int(10) up to 2^21); wider columns are
 * first rounded by the missing bits (see common.ts).
 */
import { SecretFixed, SecretInt, type SecretBool } from '../../api/secret.js';
import { reduceExtreme } from '../../ops/compare.js';
import { quickSelect } from '../../ops/quicksort.js';
import { chooseSortMethod } from '../../ops/sort.js';
import {
  checkColumn,
  groupWeights,
  moments,
  resultFrac,
  varianceNumerator,
  type Column,
  type ResultOptions,
  type RowOptions,
} from './common.js';
import { Fx, fixConst, signedBits } from './fx.js';
import { pickLevel, varianceCandidates, type VarianceCandidates } from './variance.js';

/** The summary of one column (per group when groups are given). */
export interface Summary {
  count: SecretInt;
  /** Exact sum, in the column's type. */
  sum: Column;
  mean: SecretFixed;
  /** Sample variance (divisor n - 1); 0 when n < 2. */
  variance: SecretFixed;
  /** Sample standard deviation; 0 when n < 2. */
  sd: SecretFixed;
}

/** The column's values as a column of the same kind from an Fx (no communication). */
export function asColumnType(x: Column, v: Fx): Column {
  return x instanceof SecretFixed ? v.toFixed(x.type.frac) : v.toInt();
}

/**
 * Number of rows (selected by `where`).
 * @example
 *   const n = count(age, { where: female }); // SecretInt
 * @throws {TypeError} for a non-column; {RangeError} for a mask of another length.
 */
export function count(x: Column | SecretBool, opts: RowOptions = {}): SecretInt {
  const n = x.length;
  if (!opts.where) return Fx.constant(x.session, [n], 0).toInt();
  if (opts.where.length !== n)
    throw new RangeError(`count: where has ${opts.where.length} elements, the column ${n}`);
  return Fx.of(opts.where).sum().toInt();
}

/**
 * Exact sum of the (selected) values, in the column's type. One round with a
 * filter (an inner product), none without.
 * @throws {TypeError} for a non-column.
 */
export function sum(x: Column, opts: RowOptions = {}): Column {
  const n = checkColumn('sum', x);
  const X = Fx.of(x);
  const { w } = groupWeights('sum', n, opts.where, undefined, x.session);
  return asColumnType(x, opts.where ? w.dotGroups(X, n, X.frac) : X.sum());
}

/**
 * Count, sum, mean, sample variance and standard deviation of a column, for
 * all rows or per group (one-hot SecretBool indicators; results are then
 * vectors with one element per group).
 *
 * Cost: two rounds of inner products (sums, sums of squares), two exact
 * products, one division of the G means and G variances (about 40 rounds in
 * rep3) and a square root (about 32 rounds); linear work O(N G).
 * Edges: an empty selection gives count 0 and mean, variance, sd 0; one
 * row gives variance 0 (R gives NA); a constant column gives variance 0.
 * @example
 *   const { mean, sd } = summary(recoveryDays, { where: armB });
 * @throws {TypeError} for a non-column; {RangeError} for masks of another length.
 */
export function summary(
  x: Column,
  opts: ResultOptions & { groups?: readonly SecretBool[]; population?: boolean } = {},
): Summary {
  const op = 'summary';
  const n = checkColumn(op, x);
  const f = resultFrac(op, opts.frac);
  const X = Fx.of(x);
  const { w, G } = groupWeights(op, n, opts.where, opts.groups, x.session);
  const m = moments(X, w, G, true);
  const mean = m.s.divide(m.n, { qBits: Math.max(1, X.intBits), frac: f });
  const levels = varianceLevels(m, X, f, opts.population ?? false);
  const variance = pickLevel(levels);
  // The square root per level: a small variance keeps its fractional bits.
  const sd = pickLevel(levels, (v) => v.sqrt().rescale(f));
  return {
    count: m.n.toInt(),
    sum: asColumnType(x, m.s),
    mean: mean.toFixed(f),
    variance: variance.toFixed(f),
    sd: sd.toFixed(f),
  };
}

/** Variance from moments: (n Q - S^2) / (n (n - 1)), or / n^2 for the population variance. */
export function varianceOf(
  m: ReturnType<typeof moments>,
  X: Fx,
  f: number,
  population: boolean,
): Fx {
  return pickLevel(varianceLevels(m, X, f, population));
}

/** The variance candidates of variance.ts (the plain estimate alone for narrow columns). */
export function varianceLevels(
  m: ReturnType<typeof moments>,
  X: Fx,
  f: number,
  population: boolean,
): VarianceCandidates {
  const num = varianceNumerator(m);
  const den = population ? m.n.mul(m.n, 0) : m.n.mul(m.n.sub(1), 0);
  // Sample variance <= n/(n-1) max x^2 <= 2 max x^2.
  const qBits = Math.max(1, 2 * m.xr!.intBits + 1);
  const v1 = num.divide(den, { qBits, frac: Math.min(f + 8, 61 - qBits) }).relu();
  // A wide column was rounded before squaring: refine with the centred values (variance.ts).
  return m.xr!.frac < X.frac
    ? varianceCandidates(v1, m, X, m.w!, population, f)
    : { plain: v1, levels: [] };
}

/**
 * Mean of the (selected) values; 0 for an empty selection. Relative error
 * below 2^-24 plus two units of 2^-frac (the truncation rounds either way). One inner-product round and one division.
 * @example
 *   const m = mean(age); // SecretFixed
 */
export function mean(x: Column, opts: ResultOptions = {}): SecretFixed {
  const n = checkColumn('mean', x);
  const f = resultFrac('mean', opts.frac);
  const X = Fx.of(x);
  const { w } = groupWeights('mean', n, opts.where, undefined, x.session);
  const m = moments(X, w, 1, false);
  return m.s.divide(m.n, { qBits: Math.max(1, X.intBits), frac: f }).toFixed(f);
}

/** Sample variance (divisor n - 1), or the population variance (divisor n). See `summary`. */
export function variance(
  x: Column,
  opts: ResultOptions & { population?: boolean } = {},
): SecretFixed {
  return summary(x, opts).variance;
}

/** Sample standard deviation (or population, with `population`). See `summary`. */
export function sd(x: Column, opts: ResultOptions & { population?: boolean } = {}): SecretFixed {
  return summary(x, opts).sd;
}

/**
 * Smallest (or largest) selected value, in the column's type, by a
 * tournament: ceil(log2 n) comparison layers. Unselected rows are replaced
 * by the type's largest (smallest) value first (one multiplication), so an
 * empty selection returns that value.
 * @throws {RangeError} for an empty column.
 */
export function min(x: Column, opts: RowOptions = {}): Column {
  return extreme('min', x, opts, false);
}

/** Largest selected value; see `min`. */
export function max(x: Column, opts: RowOptions = {}): Column {
  return extreme('max', x, opts, true);
}

function extreme(op: string, x: Column, opts: RowOptions, isMax: boolean): Column {
  const n = checkColumn(op, x);
  if (n === 0) throw new RangeError(`${op}: empty column`);
  const X = Fx.of(x);
  const b = Math.max(X.bound, x.type.bits);
  const fill = isMax ? -(2n ** BigInt(b - 1)) + 1n : 2n ** BigInt(b - 1) - 1n;
  const masked = opts.where ? fillUnselected(op, X, opts.where, fill) : X;
  const r = masked.sh.then(
    async (a) => (await reduceExtreme(X.suite, a, masked.bound, isMax, false)).value,
  );
  return asColumnType(x, masked.make(r, X.frac, masked.bound, 1));
}

/** Rows not selected by `where` replaced by the encoding `fill` (one multiplication). */
function fillUnselected(op: string, X: Fx, where: SecretBool, fill: bigint): Fx {
  if (where.length !== X.length)
    throw new RangeError(`${op}: where has ${where.length} elements, the column ${X.length}`);
  const enc = (v: Fx) => new Fx(v.session, v.sh, v.length, 0, v.bound);
  const c = new Fx(
    X.session,
    Promise.resolve(X.suite.constant(BigInt64Array.of(fill))),
    1,
    0,
    signedBits(fill),
  ).tile(X.length);
  const r = Fx.of(where).select(enc(X), c);
  return new Fx(X.session, r.sh, X.length, X.frac, r.bound);
}

export interface QuantileOptions extends ResultOptions {
  /**
   * Public [lo, hi] containing every selected value (for example the
   * declared range of the column); the search takes ceil(log2((hi - lo)
   * 2^frac + 2)) steps. Default: the column type's full range.
   */
  range?: readonly [number, number];
  /**
   * R's quantile type, 1..9 (Hyndman and Fan 1996; default 7, R's default).
   * Types 4-9 interpolate between x_j and x_(j+1) with j + h = n p + m(p);
   * types 1-3 are discontinuous (h is 0, 1/2 or 1).
   */
  type?: number;
}

/** Fractional bits of the interpolation weight h - floor(h). */
const H_FRAC = 32;

/**
 * Sample quantiles, by default R's type 7 (also numpy's "linear"): with
 * h = (n - 1) p + 1, Q(p) = x_(floor h) + (h - floor h)(x_(floor h + 1) - x_(floor h)),
 * x_(k) the k-th smallest selected value. Option `type` selects R's types
 * 1-9 (see `rankOfType`): the same search on a clamped rank, at the cost of
 * one more comparison batch and two multiplications.
 *
 * Method: an oblivious binary search over the public value range rather
 * than sorting. Each step compares every row with a secret pivot and the
 * count below it with the secret rank, so that x_(k) = the smallest v with
 * #{x_i <= v} >= k is found in ceil(log2 range) steps of n comparisons
 * each, for all probabilities at once; x_(k+1) then costs one more step and
 * a tournament minimum. For narrow columns (ages, days, scores) this is
 * cheaper than Batcher's sort (n log^2 n / 4 comparisons: about 2.5 times
 * the work at 30,000 rows of a 9-bit column) and exact; for wide fixed-point
 * columns pass a `range`. The result is exact but for the interpolation,
 * which is rounded to 2^-frac (and p is rounded to 2^-32).
 *
 * Cost: (steps + 1) comparisons of n x P values in 2 comparison rounds per
 * step, plus P tournaments of ceil(log2 n) layers.
 * Edges: n = 1 gives that value for every p; an empty selection gives a
 * meaningless value (check the count, which every caller should suppress
 * below a minimum cell size anyway).
 * @example
 *   const [q1, med, q3] = quantile(age, [0.25, 0.5, 0.75], { range: [0, 120] });
 * @throws {RangeError} for probabilities outside [0, 1] or an empty range.
 */
export function quantile(
  x: Column,
  probs: readonly number[],
  opts: QuantileOptions = {},
): SecretFixed {
  const op = 'quantile';
  const N = checkColumn(op, x);
  const f = resultFrac(op, opts.frac);
  const P = probs.length;
  if (P === 0) throw new RangeError(`${op}: no probabilities`);
  probs.forEach((p) => {
    if (!(p >= 0 && p <= 1))
      throw new RangeError(`${op}: probabilities must be in [0, 1], got ${p}`);
  });
  if (N === 0) throw new RangeError(`${op}: empty column`);
  const type = opts.type ?? 7;
  if (!Number.isInteger(type) || type < 1 || type > 9)
    throw new RangeError(`${op}: type must be an integer in 1..9, got ${type}`);
  const X = Fx.of(x);
  const fx = X.frac;
  const half = 2 ** (Math.max(X.bound, x.type.bits) - 1);
  let lo = -half;
  let hi = half - 1;
  if (opts.range) {
    const [a, b] = opts.range;
    lo = Math.ceil(a * 2 ** fx - 1e-9);
    hi = Math.floor(b * 2 ** fx + 1e-9);
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi))
      throw new RangeError(`${op}: range [${a}, ${b}] is empty`);
    if (Math.abs(lo) > half || Math.abs(hi) > half)
      throw new RangeError(`${op}: range [${a}, ${b}] is wider than the column's type`);
  }
  const session = x.session;
  if (!opts.where && chooseSortMethod(X.suite, X.bound, N) === 'shuffle') {
    return quantileBySelection(X, N, probs, type, f);
  }
  // Encodings as integers; unselected rows sit just above the range.
  const enc = (v: Fx) => new Fx(v.session, v.sh, v.length, 0, v.bound);
  const E = opts.where ? enc(fillUnselected(op, X, opts.where, BigInt(hi + 1))) : enc(X);
  const n = opts.where ? Fx.of(opts.where).sum() : Fx.constant(session, [N], 0);
  const rank = type === 7 ? rankType7(X, n, probs) : rankOfType(X, n, probs, type, N);
  const { r1, phi } = rank;
  // Binary search: v = largest value with #{x <= v} < r1; then x_(r1) = v + 1.
  const steps = Math.max(1, Math.ceil(Math.log2(hi - lo + 2)));
  let v = Fx.constant(session, new Array<number>(P).fill(lo - 1), 0);
  const vBound = Math.max(signedBits(BigInt(lo - 1)), signedBits(BigInt(lo - 1 + 2 ** steps)));
  const Et = E.tile(P);
  const countLe = (pivot: Fx) =>
    pivot.repeatEach(N).sub(Et).ltz().sumGroups(N).neg().addPublic([N]); // N - #{pivot < x}
  for (let j = steps - 1; j >= 0; j--) {
    const cand = v.addPublic([2 ** j]);
    const below = countLe(cand).sub(r1).ltz(); // [#{x <= cand} < r1]
    v = v.add(below.scaleInt([2n ** BigInt(j)])).withBound(vBound);
  }
  const lower = v.addPublic([1]);
  // x_(r1 + 1) is lower when at least r1 + 1 values are <= lower, else the smallest value above it.
  const gt = lower.repeatEach(N).sub(Et).ltz(); // [lower < x_i]
  const cnt = gt.sumGroups(N).neg().addPublic([N]);
  // Other types may ask for x_(n+1), which R takes to be x_n: so also when every value is <= lower.
  const enough = rank.capped
    ? notBoth(Fx.concat([cnt.sub(r1).addPublic([-1]), cnt.sub(n.tile(P))]).ltz(), P)
    : cnt.sub(r1).addPublic([-1]).ltz().not();
  const big = BigInt(Math.max(hi + 1, half - 1));
  const bigC = Fx.constant(session, [Number(big)], 0).tile(N * P);
  const above = gt.select(Et, bigC);
  const mins = Array.from({ length: P }, (_, k) => {
    const part = above.slice(k * N, (k + 1) * N);
    return part.make(
      part.sh.then(async (a) => (await reduceExtreme(X.suite, a, part.bound, false, false)).value),
      0,
      part.bound,
      1,
    );
  });
  const next = Fx.concat(mins);
  const upper = enough.select(lower, next);
  // lower + phi (upper - lower), at scale 2^(frac + 32).
  const interp = phi.mul(upper.sub(lower), H_FRAC);
  const total = lower.rescale(H_FRAC).add(interp);
  return new Fx(session, total.sh, P, fx + H_FRAC, total.bound).rescale(f).toFixed(f);
}

/**
 * Quantiles when the number of rows is public (no `where`) and the suite
 * sorts by shuffle and revealed comparisons (src/ops/quicksort.ts): the
 * ranks j and weights h are then public, computed here as the secret path
 * computes them (the same fixed-point rounding of p), and x_(j), x_(j+1)
 * come from one quickselect, about 2-4 n comparisons for all probabilities
 * together instead of ceil(log2 range) n P. The interpolation is the
 * secret path's.
 */
function quantileBySelection(
  X: Fx,
  N: number,
  probs: readonly number[],
  type: number,
  f: number,
): SecretFixed {
  const session = X.session;
  const P = probs.length;
  const plan = probs.map((p) => publicRank(N, p, type));
  // 0-based ranks of x_(j) and x_(min(j + 1, n)) per probability.
  const ranks = plan.flatMap(({ j }) => [j - 1, Math.min(j, N - 1)]);
  const picked = new Fx(
    session,
    X.sh.then(async (a) => (await quickSelect(X.suite, a, X.bound, ranks)).keys),
    2 * P,
    0,
    X.bound,
  );
  const lower = picked.gather(Uint32Array.from({ length: P }, (_, k) => 2 * k));
  const upper = picked.gather(Uint32Array.from({ length: P }, (_, k) => 2 * k + 1));
  if (X.bound + H_FRAC <= 60) {
    const phi = Fx.constant(
      session,
      plan.map(({ h }) => Number(h) / 2 ** H_FRAC),
      H_FRAC,
    );
    const interp = phi.mul(upper.sub(lower), H_FRAC);
    const total = lower.rescale(H_FRAC).add(interp);
    return new Fx(session, total.sh, P, X.frac + H_FRAC, total.bound).rescale(f).toFixed(f);
  }
  // A wide column (int(32) at its extremes): lower + h (upper - lower) at scale 2^32 would
  // not fit in 64 bits. h is public here, so it is split into 16-bit halves whose products
  // are rescaled to 2^-f separately (one more truncation: within 2 ulp instead of 1).
  const diff = upper.sub(lower);
  const at = (v: Fx, frac: number) => new Fx(session, v.sh, P, frac, v.bound);
  const high = at(diff.scaleInt(plan.map(({ h }) => h >> 16n)), X.frac + 16).rescale(f);
  const low = at(diff.scaleInt(plan.map(({ h }) => h & 0xffffn)), X.frac + 32).rescale(f);
  return lower.rescale(f).add(high).add(low).toFixed(f);
}

/**
 * The rank j (1..n) and weight h (with H_FRAC fractional bits) of R's
 * quantile type `type` at p for n rows, in the clear, with the fixed-point
 * steps of `rankType7` and `rankOfType` (so both paths agree exactly).
 */
export function publicRank(N: number, p: number, type: number): { j: number; h: bigint } {
  const one = 1n << BigInt(H_FRAC);
  const c = BigInt(Math.round(p * 2 ** H_FRAC));
  if (type === 7) {
    const H = BigInt(N - 1) * c + one;
    return { j: Number(H >> BigInt(H_FRAC)), h: H & (one - 1n) };
  }
  const lg = Math.ceil(Math.log2(N + 2));
  const delta = type <= 3 ? 2 ** (lg - H_FRAC) : 0;
  let m = type === 3 ? -0.5 : 0;
  if (type >= 4) {
    const [a, b] = QUANTILE_AB[type - 4]!;
    m = a + p * (1 - a - b);
  }
  const H = BigInt(N) * c + BigInt(Math.round((m + 2 + delta) * 2 ** H_FRAC));
  const floor = H >> BigInt(H_FRAC);
  const frac = H & (one - 1n);
  const j = Number(floor) - 2;
  const low = j < 1;
  const r1 = low ? 1 : j > N ? N : j;
  let h = frac;
  if (type <= 3) {
    const nonInteger = frac > BigInt(Math.round(2 * delta * 2 ** H_FRAC)) ? 1n : 0n;
    const odd = floor & 1n;
    h =
      type === 1
        ? nonInteger * one
        : type === 2
          ? (nonInteger + 1n) * (one / 2n)
          : (nonInteger | odd) * one;
  }
  return { j: r1, h: low ? 0n : h };
}

/** not (a and b) for the halves a, b of a 0/1 vector of 2P (one multiplication). */
function notBoth(bits: Fx, P: number): Fx {
  return bits
    .slice(0, P)
    .mulBit(bits.slice(P, 2 * P))
    .not();
}

interface Rank {
  /** The rank j of the lower order statistic, in 1..n. */
  r1: Fx;
  /** The weight h of x_(j+1), with H_FRAC fractional bits. */
  phi: Fx;
  /** Whether j + 1 may exceed n (x_(n+1) is then x_n). */
  capped: boolean;
}

/** Type 7: H = (n - 1) round(p 2^32) + 2^32; j = H >> 32 in 1..n, h = (H mod 2^32) / 2^32. */
function rankType7(X: Fx, n: Fx, probs: readonly number[]): Rank {
  const P = probs.length;
  const c = probs.map((p) => BigInt(Math.round(p * 2 ** H_FRAC)));
  const H = n
    .sub(1)
    .tile(P)
    .scaleInt(c)
    .addPublic([2 ** H_FRAC]);
  const { floor, frac } = splitH(X, H, P);
  return { r1: floor, phi: frac, capped: false };
}

/** floor(H / 2^32) and (H mod 2^32) / 2^32 of H >= 0 by one bit decomposition, and bit 32 (the floor's parity). */
function splitH(X: Fx, H: Fx, P: number): { floor: Fx; frac: Fx; odd: Fx } {
  const session = X.session;
  const hb = H.bound;
  const bitsP = H.sh.then((a) => X.suite.bits(a, hb));
  const floor = new Fx(
    session,
    bitsP.then((b) =>
      weighted(X, b, P, hb, (j) => (j >= H_FRAC && j < hb - 1 ? 2n ** BigInt(j - H_FRAC) : 0n)),
    ),
    P,
    0,
    Math.max(2, hb - H_FRAC + 1),
  );
  const frac = new Fx(
    session,
    bitsP.then((b) => weighted(X, b, P, hb, (j) => (j < H_FRAC ? 2n ** BigInt(j) : 0n))),
    P,
    H_FRAC,
    H_FRAC + 2,
  );
  const odd = new Fx(
    session,
    bitsP.then((b) => weighted(X, b, P, hb, (j) => (j === H_FRAC ? 1n : 0n))),
    P,
    0,
    2,
  );
  return { floor, frac, odd };
}

/**
 * Types 1-6, 8 and 9, as R's quantile.default: j + h = n p + m with
 * m = a + p (1 - a - b) (types 4-9; (a, b) = (0, 1), (1/2, 1/2), (0, 0),
 * (1/3, 1/3), (3/8, 3/8)) or m = 0, 0, -1/2 (types 1-3); Q = (1 - h) x_j +
 * h x_(j+1) with x_j clamped to x_1 .. x_n. H = n round(p 2^32) + round((m + 2) 2^32)
 * is j + 2 + h in fixed point (non-negative). Types 1-3 decide whether n p + m
 * is an integer: p is rounded to 2^-33, so n p is within (N + 1) 2^-33 of
 * the exact value; H is shifted up by delta = 2^(ceil log2 (N + 2) - 32) and
 * read as an integer when its fraction is below 2 delta, so n p within about
 * delta of an integer counts as that integer (R allows 4 double epsilons).
 */
/**
 * Hyndman and Fan's (alpha, beta) of quantile types 4-9: the sample
 * quantile at p interpolates at position alpha + p (n + 1 - alpha - beta).
 */
export const QUANTILE_AB: readonly (readonly [number, number])[] = [
  [0, 1],
  [0.5, 0.5],
  [0, 0],
  [1, 1],
  [1 / 3, 1 / 3],
  [3 / 8, 3 / 8],
];

function rankOfType(X: Fx, n: Fx, probs: readonly number[], type: number, N: number): Rank {
  const P = probs.length;
  const session = X.session;
  const lg = Math.ceil(Math.log2(N + 2));
  const delta = type <= 3 ? 2 ** (lg - H_FRAC) : 0;
  const m = probs.map((p) => {
    if (type <= 3) return type === 3 ? -0.5 : 0;
    const [a, b] = QUANTILE_AB[type - 4]!;
    return a + p * (1 - a - b);
  });
  const c = probs.map((p) => BigInt(Math.round(p * 2 ** H_FRAC)));
  const H = n
    .tile(P)
    .scaleInt(c)
    .addPublic(m.map((v) => Math.round((v + 2 + delta) * 2 ** H_FRAC)));
  const { floor, frac, odd } = splitH(X, H, P);
  const j = floor.addPublic([-2]);
  const nP = n.tile(P);
  // [j < 1], [j > n] and, for types 1-3, [h > 2 delta], in one comparison batch.
  const tests = [j.addPublic([-1]), nP.sub(j)];
  if (type <= 3) tests.push(frac.neg().addPublic([2 * delta]));
  const bits = Fx.concat(tests).ltz();
  const low = bits.slice(0, P);
  const high = bits.slice(P, 2 * P);
  // j clamped to 1..n: j + low (1 - j) + high (n - j).
  const moves = Fx.concat([low, high]).mulBit(Fx.concat([j.neg().addPublic([1]), nP.sub(j)]));
  const r1 = j
    .add(moves.slice(0, P))
    .add(moves.slice(P, 2 * P))
    .withBound(n.bound + 1);
  let h: Fx;
  if (type >= 4) h = frac;
  else {
    const nonInteger = bits.slice(2 * P, 3 * P);
    // Type 1: h = [n p > j]; type 2: ([n p > j] + 1) / 2; type 3: [n p - 1/2 != j] or j odd.
    const h0 =
      type === 1
        ? nonInteger
        : type === 2
          ? nonInteger.addPublic([1]).withBound(3)
          : nonInteger.add(odd).sub(nonInteger.mulBit(odd)).withBound(2);
    const up = h0.rescale(type === 2 ? H_FRAC - 1 : H_FRAC);
    h = new Fx(session, up.sh, P, H_FRAC, H_FRAC + 2);
  }
  // Below x_1 (j < 1) the answer is x_1 whatever h.
  const phi = low.not().mulBit(h);
  return { r1, phi, capped: true };
}

/** sum_j coeff(j) bit_j for each of P elements with `w` bits each (local). */
function weighted(
  X: Fx,
  bits: Awaited<Fx['sh']>,
  P: number,
  w: number,
  coeff: (j: number) => bigint,
) {
  const c = new BigInt64Array(P * w);
  for (let i = 0; i < P; i++) for (let j = 0; j < w; j++) c[i * w + j] = coeff(j);
  return X.suite.sumGroups(X.suite.mulPublic(bits, c), w);
}

/** The median (type 7: the mean of the two middle values for even n). See `quantile`. */
export function median(x: Column, opts: QuantileOptions = {}): SecretFixed {
  return quantile(x, [0.5], opts);
}

/**
 * Counts of the (selected) values in the bins [e_0, e_1), [e_1, e_2), ...,
 * [e_(k-1), e_k] (numpy's convention: the last bin is closed); values outside
 * [e_0, e_k] are not counted. Edges are public and rounded to the column's
 * resolution.
 *
 * Cost: n k comparisons in one comparison round (every row against every
 * edge), then one inner-product round with a filter. Exact.
 * @example
 *   const counts = histogram(age, [0, 18, 40, 65, 120]); // SecretInt, 4 bins
 * @throws {RangeError} for fewer than two edges or edges not increasing.
 */
export function histogram(x: Column, edges: readonly number[], opts: RowOptions = {}): SecretInt {
  const op = 'histogram';
  const N = checkColumn(op, x);
  if (edges.length < 2) throw new RangeError(`${op}: need at least two edges, got ${edges.length}`);
  for (let i = 1; i < edges.length; i++)
    if (!(edges[i]! > edges[i - 1]!))
      throw new RangeError(`${op}: edges must increase (edge ${i})`);
  const below = cumulativeBelow(op, x, edges);
  const K = edges.length;
  const { w } = groupWeights(op, N, opts.where, undefined, x.session);
  const C = opts.where ? below.dotGroups(w.tile(K), N, 0) : below.sumGroups(N);
  const idx = (off: number) => Uint32Array.from({ length: K - 1 }, (_, j) => j + off);
  return C.gather(idx(1))
    .sub(C.gather(idx(0)))
    .withBound(C.bound)
    .toInt();
}

/**
 * [x_i < e_j] for every edge j (edge-major, K x N), the last edge inclusive
 * ([x_i <= e_(K-1)]), in one comparison round.
 */
export function cumulativeBelow(op: string, x: Column, edges: readonly number[]): Fx {
  const f = x instanceof SecretFixed ? x.type.frac : 0;
  const K = edges.length;
  return belowEncoded(
    op,
    Fx.of(x),
    edges.map((e, j) => {
      const v = fixConst(e, f);
      return j === K - 1 ? v + 1n : v;
    }),
  );
}

/** [enc(x_i) < e_j] for public encodings e_j (edge-major, K x N), in one comparison round. */
export function belowEncoded(op: string, X: Fx, encE: readonly bigint[]): Fx {
  const N = X.length;
  const K = encE.length;
  let eb = 2;
  for (const e of encE) {
    if (e >= 2n ** 62n || e <= -(2n ** 62n)) throw new RangeError(`${op}: an edge is out of range`);
    eb = Math.max(eb, signedBits(e));
  }
  const rep = new BigInt64Array(K * N);
  for (let j = 0; j < K; j++) rep.fill(-encE[j]!, j * N, (j + 1) * N);
  const asInt = new Fx(X.session, X.sh, N, 0, X.bound).tile(K);
  const diff = new Fx(
    X.session,
    asInt.sh.then((a) => X.suite.addPublic(a, rep)),
    K * N,
    0,
    Math.max(asInt.bound, eb) + 1,
  );
  return diff.ltz();
}
