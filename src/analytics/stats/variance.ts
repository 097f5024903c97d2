/**
 * Variance without losing the low bits of wide columns.
 *
 * The exact numerator n Q - S^2 needs 2 b + 2 log2(n) bits for a column of b
 * bits, more than the 63 that truncation allows once b passes about 25 at
 * ten thousand rows, so `moments` first rounds each value to a coarser grid g
 * (see `secondMomentShift`). That is harmless when the standard deviation is
 * large against g, and ruinous when it is not: 5000 values with sd 0.01 in
 * the default fixed(32, 16) were rounded to halves and gave a variance 30
 * times too large.
 *
 * What fits is not the column's range but its spread: the values minus
 * their (secret) mean are small whenever the sd is small. So beside the
 * rounded estimate v1 this module computes the variance of the centred
 * values d = x - round(mean) at a few finer grids ("levels": the column's own
 * scale, then 8 bits coarser each step), each with products modulo the
 * suite's 64-bit ring or field, which give the exact integer whenever the
 * true sum fits. Whether it fits is decided by comparing v1 with a public
 * threshold per level (|v - v1| is bounded by g, so a level is only chosen
 * when its sums provably fit); the finest level that fits is selected
 * obliviously. Which level was used stays secret; `varianceErrorBound`
 * states what holds for every level the released value allows.
 *
 * Cost: two multiplications per row, group and level (in the same two
 * rounds for every level), one comparison per group and level; the
 * divisions of the levels run side by side.
 */
import { sqrtInputFrac, type Fx } from './fx.js';
import { secondMomentShift, type Moments } from './common.js';

/** Bits between the grids of consecutive levels. */
const LEVEL_STEP = 8;
/** The true n sum(d^2) must stay below 2^LIMIT (63-bit truncation, one bit for rounding). */
const LIMIT = 61;

export interface VarianceLevel {
  /** Fractional bits of the centred values. */
  readonly frac: number;
  /** Their rounding grid (0 when the column's own scale is used). */
  readonly grid: number;
  /** Chosen when the rounded estimate v1 is below this (public) threshold. */
  readonly threshold: number;
  /** Bits of the variance where the level is chosen: v <= 2 v1 + 2 g1^2 < 2 T + 2 g1^2. */
  readonly qBits: number;
}

export interface VariancePlan {
  /** The rounding grid of the plain estimate v1 (0: v1 is exact and no level is needed). */
  readonly grid: number;
  /** Finer levels, finest first; empty when v1 is exact or no level can fit. */
  readonly levels: readonly VarianceLevel[];
}

/**
 * The public plan for a column of `bound` bits with `frac` fractional bits
 * over `rows` rows: the grid of the plain estimate and the levels above it.
 */
export function variancePlan(bound: number, frac: number, rows: number): VariancePlan {
  const r = secondMomentShift(bound, rows);
  if (r === 0) return { grid: 0, levels: [] };
  const grid = 2 ** (r - frac);
  const g1 = slack(grid, rows);
  // How far the centre c (the mean, divided at relative 2^-25, on the column's grid) is from the mean.
  const dc = 2 ** (bound - 1 - frac - 25) + 2 ** (1 - frac);
  const levels: VarianceLevel[] = [];
  for (let f = frac; f > frac - r; f -= LEVEL_STEP) {
    const gk = f === frac ? 0 : 2 ** -f;
    // n sum(d^2) 2^(2f) <= 2 N^2 (v + dc^2 + g_k^2) 2^(2f) < 2^LIMIT with v <= 2 v1 + 2 g1^2,
    // halved once more for the error of v1 itself.
    const threshold =
      2 ** (LIMIT - 3 - 2 * f) / Math.max(1, rows) ** 2 - g1 * g1 - gk * gk - dc * dc;
    const qBits = Math.max(1, Math.ceil(Math.log2(2 * threshold + 2 * g1 * g1 + 1)) + 1);
    if (threshold > 0) levels.push({ frac: f, grid: gk, threshold, qBits });
  }
  return { grid, levels };
}

/** sd of the per-row rounding errors (each below g): at most g sqrt(n / (n - 1)). */
export function slack(grid: number, rows: number): number {
  return grid * Math.SQRT2 * (rows > 1 ? Math.sqrt(rows / (rows - 1) / 2) : 1);
}

/** The plain estimate and the centred levels (coarse to fine), each with its secret "fits" bit. */
export interface VarianceCandidates {
  readonly plain: Fx;
  readonly levels: ReadonlyArray<{ readonly value: Fx; readonly fits: Fx }>;
}

/**
 * The centred levels beside the plain estimate `v1` (from `moments`, whose
 * rounded column had fewer fractional bits than `x`); none when the plan
 * has none. `w` holds the G x N row weights.
 */
export function varianceCandidates(
  v1: Fx,
  m: Moments,
  x: Fx,
  w: Fx,
  population: boolean,
  resultFrac: number,
): VarianceCandidates {
  const N = x.length;
  const plan = variancePlan(x.bound, x.frac, N);
  if (plan.levels.length === 0) return { plain: v1, levels: [] };
  const d = centre(x, w, m.s, m.n);
  const den = population ? m.n.mul(m.n, 0) : m.n.mul(m.n.sub(1), 0);
  const levels = [...plan.levels].reverse().map((level) => {
    const dk = level.frac === x.frac ? d : d.rescale(level.frac);
    const sd = dk.sumGroups(N);
    // Elsewhere the quotient is discarded.
    const value = divideWithRoom(
      centredNumerator(dk, dk, m.n, sd, sd),
      den,
      level.qBits,
      resultFrac,
      levelQuotientFrac(level.qBits, resultFrac),
    ).relu();
    return { value, fits: v1.sub(level.threshold).ltz() };
  });
  return { plain: v1, levels };
}

/**
 * w (x - c_g) per group g (G x N, group-major), c_g = S_g / n_g on x's own
 * grid: |mean - c| is about one unit of it, and the numerators below do
 * not depend on c.
 */
export function centre(x: Fx, w: Fx, sums: Fx, n: Fx): Fx {
  const G = n.length;
  const c = sums.divide(n, { qBits: Math.max(1, x.intBits), frac: x.frac });
  return w.mulBit(x.tile(G).sub(c.repeatEach(x.length)));
}

/**
 * n sum(a b) - sum(a) sum(b) per group of centred columns (sa, sb their sums),
 * exact modulo the suite's ring or field: the true value wherever it fits,
 * which the caller proves (or discards the result).
 */
export function centredNumerator(a: Fx, b: Fx, n: Fx, sa: Fx, sb: Fx): Fx {
  const suite = a.suite;
  const G = n.length;
  const N = a.length / G;
  return a.make(
    Promise.all([a.sh, b.sh, n.sh, sa.sh, sb.sh]).then(async ([x, y, nn, s1, s2]) =>
      suite.sub(await suite.mul(nn, await suite.dot(x, y, N)), await suite.mul(s1, s2)),
    ),
    a.frac + b.frac,
    LIMIT + 1,
    G,
  );
}

/**
 * num / den for a quotient below 2^qBits. The quotient's scaling needs
 * qBits + frac(num) + bits(den) < 62, so low bits of num are dropped first
 * when they would not fit.
 */
export function divideWithRoom(
  num: Fx,
  den: Fx,
  qBits: number,
  resultFrac: number,
  frac = Math.min(resultFrac + 8, 61 - qBits),
): Fx {
  const room = 61 - qBits - Math.max(den.bound, 2);
  const fitted = num.frac > room ? num.rescale(room) : num;
  return fitted.divide(den, { qBits, frac });
}

/**
 * Fractional bits of a centred level's variance quotient: up to 44, as its
 * small bound allows, so that a tiny variance keeps its relative precision
 * where a caller computes on the level itself (the t-tests); the released
 * variance is brought to `pickedVarianceFrac` anyway.
 */
export function levelQuotientFrac(qBits: number, resultFrac: number): number {
  return Math.min(Math.max(resultFrac + 8, 44), 61 - qBits);
}

/**
 * The finest level that fits, after `map` (e.g. a square root, taken per
 * level so that a small variance keeps its fractional bits). All candidates
 * are first brought to one scale, which the widest (the plain estimate of a
 * wide column: a variance up to its type's range squared) limits; for the
 * variance itself that scale is `pickedVarianceFrac`.
 */
export function pickLevel(c: VarianceCandidates, map: (v: Fx) => Fx = (v) => v): Fx {
  return selectFinest(
    [c.plain, ...c.levels.map((l) => l.value)].map(map),
    c.levels.map((l) => l.fits),
  );
}

/**
 * values[0] (the plain estimate's) unless a finer candidate fits: values[k + 1]
 * where fits[k] is 1, the last such k winning (fits in `levels` order, coarse
 * to fine). All are first brought to one scale: the most fractional bits
 * that every candidate has room for.
 */
export function selectFinest(values: readonly Fx[], fits: readonly Fx[]): Fx {
  const frac = Math.min(
    Math.max(...values.map((v) => v.frac)),
    ...values.map((v) => Math.max(v.frac, v.frac + 62 - v.bound)),
  );
  const [plain, ...levels] = values.map((v) => v.rescale(frac));
  let out = plain!;
  fits.forEach((f, i) => (out = f.select(levels[i]!, out)));
  return out;
}

/**
 * The candidates a released value allows, with their quotient formats, the
 * sd of their rounding and the sd error each gives, finest first and the
 * plain estimate last: a level k can have been used only if v1 >= T_(k-1)
 * (the next finer level's threshold) was possible, i.e. sqrt(T_(k-1)) - g1 -
 * e_k <= `selectingSd`, the largest sd of the groups that chose it together
 * (one group: its own released sd). A narrow column has one candidate, its
 * exact plain estimate, whose only error is its root's resolution.
 */
function allowedCandidates(
  sd: number,
  selectingSd: number,
  bound: number,
  frac: number,
  rows: number,
  resultFrac: number,
): { qBits: number; frac: number; grid: number; error: number }[] {
  const plan = variancePlan(bound, frac, rows);
  if (plan.grid === 0) {
    const qBits = Math.max(1, 2 * (bound - 1 - frac) + 1);
    const fq = Math.min(resultFrac + 8, 61 - qBits);
    return [{ qBits, frac: fq, grid: 0, error: sqrtResolution(sd, qBits, fq, resultFrac) }];
  }
  const g1 = slack(plan.grid, rows);
  // The plain estimate's quotient bound, as describe.ts's varianceOf sets it.
  const plainQBits = 2 * (bound - frac) + 1;
  const out: { qBits: number; frac: number; grid: number; error: number }[] = [];
  let lower = 0;
  for (let k = 0; k <= plan.levels.length; k++) {
    const level = plan.levels[k];
    const gk = level ? slack(level.grid, rows) : g1;
    const qBits = level ? level.qBits : plainQBits;
    const fq = level ? levelQuotientFrac(qBits, resultFrac) : Math.min(resultFrac + 8, 61 - qBits);
    const ek = gk + sqrtResolution(sd, qBits, fq, resultFrac);
    if (Math.sqrt(lower) - g1 - ek <= selectingSd)
      out.push({ qBits, frac: fq, grid: gk, error: ek });
    if (level) lower = level.threshold;
  }
  return out;
}

/**
 * The quotient formats (bits and fractional bits) of every candidate a
 * released variance (or, for variances chosen together, the largest of them)
 * allows: what a caller computing on the candidate in its own format (the
 * t-tests) loses.
 */
export function allowedQuotients(
  selectingSd: number,
  bound: number,
  frac: number,
  rows: number,
  resultFrac = 20,
): { qBits: number; frac: number }[] {
  return allowedCandidates(selectingSd, selectingSd, bound, frac, rows, resultFrac);
}

/**
 * A bound on the error of the variance candidate a computation on the
 * candidates themselves used (the t-tests' D; not the released variance,
 * which is rounded further): the worst allowed candidate's rounding to its
 * grid (2 s g + g^2 for the sd g of the per-row rounding), its quotient's
 * unit and the division's relative 2^-22. `releasedSd` and `selectingSd`
 * as for `sdErrorBound`.
 */
export function candidateVarianceError(
  releasedSd: number,
  bound: number,
  frac: number,
  rows: number,
  resultFrac = 20,
  selectingSd = releasedSd,
): number {
  const s = releasedSd + sdErrorBound(releasedSd, bound, frac, rows, resultFrac, selectingSd);
  const candidates = allowedCandidates(
    releasedSd,
    Math.max(releasedSd, selectingSd),
    bound,
    frac,
    rows,
    resultFrac,
  );
  const worst = Math.max(
    0,
    ...candidates.map((c) => 2 * s * c.grid + c.grid ** 2 + 2 ** (1 - c.frac)),
  );
  return worst + s * s * 2 ** -22;
}

/**
 * A bound on |released sd - true sd| for a column of `bound` bits and `frac`
 * fractional bits over `rows` rows, given the released sd (which tells
 * which levels could have been used). Division and square root add
 * relative 2^-22 and 2^-resultFrac on top. `selectingSd`: for variances whose
 * level was chosen together with others' (the t-tests take the finest level
 * that fits every group), the largest of their released sds, which decides
 * the level.
 */
export function sdErrorBound(
  releasedSd: number,
  bound: number,
  frac: number,
  rows: number,
  resultFrac = 20,
  selectingSd = releasedSd,
): number {
  const arithmetic = releasedSd * 2 ** -22 + 2 ** -resultFrac;
  // Candidates, finest first: the finest level is exact (the numerator is shift-invariant);
  // coarser ones round to their grid; each (a narrow column's exact estimate too) also loses
  // what its fixed-point format holds below its square root's input unit.
  const allowed = allowedCandidates(
    releasedSd,
    Math.max(releasedSd, selectingSd),
    bound,
    frac,
    rows,
    resultFrac,
  );
  return Math.max(0, ...allowed.map((c) => c.error)) + arithmetic;
}

/**
 * What a variance with quotient bound 2^qBits loses in its square root: the
 * division leaves fq fractional bits (min(f + 8, 61 - qBits) for the plain
 * estimate, `levelQuotientFrac` for a level), Fx.sqrt keeps
 * what `sqrtInputFrac` says, and the input unit u then moves the
 * root by at most u / sqrt(v) (or sqrt(u) near 0), plus a few units of the
 * result (truncations on the way).
 */
function sqrtResolution(sd: number, qBits: number, fq: number, resultFrac: number): number {
  const u = 2 ** -sqrtInputFrac(qBits + fq + 2, fq);
  return u / Math.max(sd, Math.sqrt(u)) + 4 * Math.max(u, 2 ** -resultFrac);
}

/**
 * The scale (fractional bits) at which `pickLevel` releases a variance: the
 * most that every candidate quotient (`divideWithRoom` and describe.ts's
 * plain estimate, each min(f + 8, 61 - qBits) fractional bits and a bound of
 * qBits + frac + 2) has room for. The plain estimate's quotient bound is
 * taken as 2 (bound - frac) + 1, one bit above what describe.ts uses, so the
 * scale stated is never finer than the one used. A fine level's value is
 * rounded to this scale (two units at most: the rounding of each candidate
 * and the selection's), which for a wide column with a tiny spread is most
 * of its error: fixed(41, 16) keeps 10 bits (units of 2^-10).
 */
export function pickedVarianceFrac(
  bound: number,
  frac: number,
  rows: number,
  resultFrac = 20,
): number {
  const plan = variancePlan(bound, frac, rows);
  if (plan.levels.length === 0) return Infinity;
  const qs = [2 * (bound - frac) + 1, ...plan.levels.map((l) => l.qBits)];
  const fracs = qs.map((q, i) =>
    i === 0 ? Math.min(resultFrac + 8, 61 - q) : levelQuotientFrac(q, resultFrac),
  );
  const room = qs.map((q, i) => Math.max(fracs[i]!, fracs[i]! + 62 - (q + fracs[i]! + 2)));
  return Math.min(Math.max(...fracs), ...room);
}

/**
 * The matching bound on the variance: |v' - v| <= 2 s e + e^2 for sd error
 * e, plus the rounding to the scale `pickLevel` releases it at
 * (`selectingSd` as for `sdErrorBound`).
 */
export function varianceErrorBound(
  releasedVariance: number,
  bound: number,
  frac: number,
  rows: number,
  resultFrac = 20,
  selectingSd = 0,
): number {
  const s = Math.sqrt(Math.max(0, releasedVariance));
  if (variancePlan(bound, frac, rows).grid === 0) {
    // Exact moments and one division (no root on the way).
    const fq = allowedQuotients(s, bound, frac, rows, resultFrac)[0]!.frac;
    return releasedVariance * 2 ** -22 + 2 ** (1 - fq) + 2 ** (1 - resultFrac);
  }
  const e = sdErrorBound(s, bound, frac, rows, resultFrac, selectingSd);
  const picked = 2 ** (1 - pickedVarianceFrac(bound, frac, rows, resultFrac));
  return 2 * (s + e) * e + e * e + releasedVariance * 2 ** -23 + 2 ** -resultFrac + picked;
}
