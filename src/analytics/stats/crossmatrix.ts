/**
 * The covariance matrix of several columns without losing the low bits of
 * wide ones: what cov, cor and linear regression start from.
 *
 * Each column is replaced by one integer encoding e_j, chosen obliviously
 * among the candidates of variance.ts: the column rounded to the plain grid
 * (`secondMomentShift`), or its values less their secret mean at a finer
 * level, the finest whose sums provably fit (the same public thresholds on
 * the plain variance estimate as `varianceCandidates`). Then every entry
 * N_jl = n sum(e_j e_l) - sum(e_j) sum(e_l) is taken modulo the suite's
 * ring or field, and is exact: |N_jl| <= sqrt(N_jj N_ll) (Cauchy-Schwarz)
 * and each N_jj < 2^61 by the choice of level. Narrow columns (exact
 * squares fit) are their own single candidate, and their entries are the
 * exact cross products they always were.
 *
 * The encodings have secret scales 2^f_j (which level was chosen stays
 * secret), so q_jl = N_jl / (n (n - 1)) is the covariance times
 * 2^(f_j + f_l). Correlations q_jl / sqrt(q_jj q_ll) do not depend on the
 * scales; covariances, variances and standard deviations in the columns'
 * units are selected among the public rescalings of the same quotient with
 * the secret level bits (a few local truncations and scalar selections).
 *
 * Precision (derived in bounds.ts and docs/ANALYTICS.md): the only
 * loss beyond the arithmetic (divisions relative 2^-25, square roots
 * 2^-22) is each column's rounding to the grid of its chosen level, whose
 * relative effect on the spread is bounded by the level thresholds.
 *
 * Cost per wide column: one multiplication per row and level to select the
 * encoding (one round), a division and a comparison per level for the plain
 * estimate; then one inner product per pair (one round) and one division per
 * pair.
 */
import { secondMomentShift } from './common.js';
import { Fx } from './fx.js';
import {
  centre,
  centredNumerator,
  divideWithRoom,
  variancePlan,
  type VariancePlan,
} from './variance.js';

/** One candidate encoding: its fractional bits and the bits of the variance where it is used. */
export interface Candidate {
  readonly frac: number;
  readonly varBits: number;
}

/** Candidates of one column: the plain one first, then the levels coarse to fine. */
export interface ColumnLevels {
  readonly candidates: readonly Candidate[];
  /** Secret bits, one per level (coarse to fine): 1 when the level's sums fit. */
  readonly fits: readonly Fx[];
}

/** The secret covariance matrix of the columns (rows filtered by the 0/1 weights). */
export interface CrossMatrix {
  /** Rows taken. */
  readonly n: Fx;
  /** Exact sums per column, at each column's own scale. */
  readonly sums: readonly Fx[];
  /** Sample covariance of columns j and l in their units (divisor n - 1; 0 when n < 2). */
  cov(j: number, l: number, frac: number): Fx;
  /** Sample variance of column j. */
  variance(j: number, frac: number): Fx;
  /** Sample standard deviation of column j, each level's root taken at its own scale. */
  sd(j: number, frac: number): Fx;
  /** Pearson's correlation of j and l (0 when either is constant), with `frac` bits. */
  cor(j: number, l: number, frac: number): Fx;
}

/** Bits of the variance a column of this bound and frac can have (n / (n - 1) max x^2 <= 2 max x^2). */
const rangeBits = (bound: number, frac: number): number => Math.max(1, 2 * (bound - 1 - frac) + 1);

/**
 * The public candidates of a column of `bound` bits and `frac` fractional
 * bits over `rows` rows: the plain grid first, then the levels coarse to
 * fine (one candidate, the column itself, when exact squares fit).
 */
export function columnCandidates(bound: number, frac: number, rows: number): Candidate[] {
  const plan = variancePlan(bound, frac, rows);
  if (plan.grid === 0) return [{ frac, varBits: rangeBits(bound, frac) }];
  const r = secondMomentShift(bound, rows);
  return [
    { frac: frac - r, varBits: rangeBits(bound - r + 1, frac - r) },
    ...[...plan.levels].reverse().map((l) => ({ frac: l.frac, varBits: l.qBits })),
  ];
}

/**
 * The covariance matrix of `cols` over the rows with weight 1 in `w` (a 0/1
 * vector of the columns' length), quotients with about `resultFrac` + 8 bits.
 */
export function crossMatrix(cols: readonly Fx[], w: Fx, resultFrac: number): CrossMatrix {
  const N = w.length;
  const n = w.sumGroups(N);
  const sums = cols.map((x) => w.dotGroups(x, N, x.frac));
  const den = n.mul(n.sub(1).relu(), 0);
  const levels: ColumnLevels[] = [];
  const enc: Fx[] = cols.map((x, j) => {
    const plan = variancePlan(x.bound, x.frac, N);
    const wx = (v: Fx): Fx => {
      const p = w.mulBit(v);
      return p.make(p.sh, 0, p.bound);
    };
    const candidates = columnCandidates(x.bound, x.frac, N);
    if (plan.grid === 0) {
      levels.push({ candidates, fits: [] });
      return wx(x);
    }
    const r = secondMomentShift(x.bound, N);
    const xr = x.rescale(x.frac - r);
    const plain = wx(xr);
    const fits = plainFits(plain, xr, n, den, plan, resultFrac);
    const coarseToFine = [...plan.levels].reverse();
    levels.push({ candidates, fits });
    const d = centre(x, w, sums[j]!, n);
    let out = plain;
    coarseToFine.forEach((level, i) => {
      const dk = level.frac === x.frac ? d : d.rescale(level.frac);
      out = fits[i]!.select(dk.make(dk.sh, 0, dk.bound), out);
    });
    return out;
  });
  const encSums = enc.map((e) => e.sumGroups(N));
  return assembleCrossMatrix(
    n,
    sums,
    den,
    levels,
    (a, b) => centredNumerator(enc[a]!, enc[b]!, n, encSums[a]!, encSums[b]!),
    resultFrac,
  );
}

/**
 * The covariance matrix from its exact numerators: `numerator(a, b)` (a <= b)
 * is n sum(e_a e_b) - sum(e_a) sum(e_b) of the chosen encodings, an integer
 * (frac 0) exact modulo the suite's ring or field. Shared by the per-record
 * path above and the pooled one (crosssums.ts), whose numerators come from
 * each party's own sums.
 */
export function assembleCrossMatrix(
  n: Fx,
  sums: readonly Fx[],
  den: Fx,
  levels: readonly ColumnLevels[],
  numerator: (a: number, b: number) => Fx,
  resultFrac: number,
): CrossMatrix {
  // q_jl at the secret scale 2^(f_j + f_l), for j <= l, computed on demand and kept.
  const quotients = new Map<string, Fx>();
  const q = (j: number, l: number): Fx => {
    const [a, b] = j <= l ? [j, l] : [l, j];
    const key = `${a},${b}`;
    let v = quotients.get(key);
    if (!v) {
      const num = numerator(a, b);
      v = divideWithRoom(num, den, scaledBits(levels[a]!, levels[b]!), resultFrac, a !== b);
      quotients.set(key, v);
    }
    return v;
  };
  const roots = new Map<number, Fx>();
  const root = (j: number): Fx => {
    let v = roots.get(j);
    if (!v) {
      v = q(j, j).relu().sqrt();
      roots.set(j, v);
    }
    return v;
  };
  return {
    n,
    sums,
    cov: (j, l, frac) =>
      j === l
        ? inUnits(q(j, j), [levels[j]!], frac, 2)
        : inUnits(q(j, l), [levels[j]!, levels[l]!], frac, 1),
    variance: (j, frac) => inUnits(q(j, j).relu(), [levels[j]!], frac, 2),
    sd: (j, frac) => inUnits(root(j), [levels[j]!], frac, 1),
    cor: (j, l, frac) => correlation(q(j, l), root(j), root(l), frac),
  };
}

/**
 * The level bits (coarse to fine) of a wide column: v1 < T_k, v1 the
 * variance of its rounded values (`plain`, weighted, at scale 2^-frac(xr)).
 */
function plainFits(
  plain: Fx,
  xr: Fx,
  n: Fx,
  den: Fx,
  plan: VariancePlan,
  resultFrac: number,
): Fx[] {
  const sp = plain.sumGroups(plain.length);
  const num = centredNumerator(plain, plain, n, sp, sp);
  return levelFits(num, xr.bound, xr.frac, den, plan, resultFrac);
}

/**
 * The level bits from the plain numerator n Q' - S'^2 (an integer, exact) of
 * values rounded to `xrFrac` fractional bits, `xrBound` bits.
 */
export function levelFits(
  num: Fx,
  xrBound: number,
  xrFrac: number,
  den: Fx,
  plan: VariancePlan,
  resultFrac: number,
): Fx[] {
  const qBits = rangeBits(xrBound, xrFrac);
  const v1 = divideWithRoom(num.make(num.sh, 2 * xrFrac, num.bound), den, qBits, resultFrac);
  return [...plan.levels].reverse().map((level) => v1.sub(level.threshold).ltz());
}

/** Bits of q_jl at the encodings' scale: the largest over the candidates of both columns. */
function scaledBits(a: ColumnLevels, b: ColumnLevels): number {
  return candidateBits(a.candidates, b.candidates, a === b);
}

/** `scaledBits` on public candidates (`same`: a column with itself). */
export function candidateBits(
  a: readonly Candidate[],
  b: readonly Candidate[],
  same: boolean,
): number {
  let bits = 1;
  for (const ca of a)
    for (const cb of b)
      bits = Math.max(
        bits,
        Math.ceil((ca.varBits + 2 * ca.frac + cb.varBits + 2 * cb.frac) / 2) + (same ? 0 : 1),
      );
  return bits;
}

/**
 * A quotient at the encodings' scale in the columns' units: for one column
 * (a variance, `power` 2, or a root, `power` 1) the candidate c is read as
 * v / 2^(power f_c); for two columns (a covariance) as v / 2^(f_a + f_b).
 * Each reading is a public reinterpretation and rescaling; the secret level
 * bits select among them (finest that fits wins, as `pickLevel`).
 */
function inUnits(v: Fx, cols: readonly ColumnLevels[], frac: number, power: 1 | 2): Fx {
  const reading = (cands: readonly Candidate[]): { value: Fx; bits: number } => {
    const shift = cols.length === 1 ? power * cands[0]!.frac : cands[0]!.frac + cands[1]!.frac;
    const varBits =
      cands.length === 1 ? cands[0]!.varBits : (cands[0]!.varBits + cands[1]!.varBits) / 2;
    // Bits in the columns' units: a variance or covariance below 2^varBits, a root below 2^(varBits / 2).
    const bits = Math.ceil(power === 2 || cands.length === 2 ? varBits : varBits / 2) + 1;
    const value = v.make(v.sh, v.frac + shift, v.bound).withBound(bits + v.frac + shift + 2);
    return { value, bits };
  };
  // Every combination of candidates, then one scale for all: the most fractional bits that fit.
  const combos: Candidate[][] =
    cols.length === 1
      ? cols[0]!.candidates.map((c) => [c])
      : cols[0]!.candidates.flatMap((a) => cols[1]!.candidates.map((b) => [a, b]));
  const readings = combos.map(reading);
  const common = Math.min(frac + 8, ...readings.map((r) => 60 - r.bits));
  const at = (idx: number[]): Fx => {
    const flat = cols.length === 1 ? idx[0]! : idx[0]! * cols[1]!.candidates.length + idx[1]!;
    return readings[flat]!.value.rescale(common);
  };
  const pick = (col: ColumnLevels, value: (c: number) => Fx): Fx => {
    let out = value(0);
    col.fits.forEach((bit, i) => (out = bit.select(value(i + 1), out)));
    return out;
  };
  const out =
    cols.length === 1
      ? pick(cols[0]!, (c) => at([c]))
      : pick(cols[0]!, (a) => pick(cols[1]!, (b) => at([a, b])));
  return out.rescale(Math.min(out.frac, Math.max(frac, out.frac)));
}

/**
 * r = C / (sd_x sd_y) by two normalised divisions, each sd kept at its own
 * scale: the product of two sds (or a vector of both, which shares one
 * scale) of columns of very different ranges lost the smaller one entirely
 * (r = 0 for a fixed(32, 16) column against an int(8) one).
 */
export function correlation(C: Fx, sdX: Fx, sdY: Fx, frac: number): Fx {
  // |C / sd_x| <= sd_y.
  const q = Math.max(1, sdY.intBits + 1);
  const u = C.divide(sdX, { qBits: q, frac: Math.min(frac + 8, 60 - q), saturate: true });
  return u.divide(sdY, { qBits: 1, frac, saturate: true });
}
