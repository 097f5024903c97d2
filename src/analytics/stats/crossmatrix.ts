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
 * 2^(f_j + f_l). Covariances, variances and standard deviations in the
 * columns' units are selected among the public rescalings of the quotients
 * with the secret level bits (a few local truncations and scalar
 * selections); each pair of candidates has its own quotient, in the format
 * its own bound allows. Correlations N_jl / sqrt(N_jj N_ll) do not depend
 * on the scales and come from the exact numerators normalised by secret
 * powers of two (`normalisedCorrelation`).
 *
 * Precision (derived in bounds.ts and docs/ANALYTICS.md): beyond the
 * arithmetic (divisions relative 2^-25, square roots 2^-22, and the units
 * of each quotient's format), the loss is each column's rounding to the
 * grid of its chosen level, whose relative effect on the spread is bounded
 * by the level thresholds.
 *
 * Cost per wide column: one multiplication per row and level to select the
 * encoding (one round), a division and a comparison per level for the plain
 * estimate; then one inner product per pair (one round) and one division
 * per pair of candidates (side by side); a correlation adds a
 * normalisation, two roots and one division.
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

/** Bits of n (n - 1) for n <= rows, with its sign bit. */
export function pairCountBits(rows: number): number {
  return Math.max(2, Math.ceil(Math.log2(rows * Math.max(0, rows - 1) + 1)) + 1);
}

/**
 * n (n - 1) for a count n of at most `rows`, with the bound that gives (the
 * product's generic bound is about twice as many bits as n's, and every bit
 * of it is one fewer the quotients keep of their numerators).
 */
export function pairCount(n: Fx, rows: number): Fx {
  return n.mul(n.sub(1).relu(), 0).withBound(pairCountBits(rows));
}

/**
 * The covariance matrix of `cols` over the rows with weight 1 in `w` (a 0/1
 * vector of the columns' length), quotients with about `resultFrac` + 8 bits.
 */
export function crossMatrix(cols: readonly Fx[], w: Fx, resultFrac: number): CrossMatrix {
  const N = w.length;
  const n = w.sumGroups(N);
  const sums = cols.map((x) => w.dotGroups(x, N, x.frac));
  const den = pairCount(n, N);
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
 * The covariance matrix from its exact numerators: `exactNumerator(a, b)`
 * (a <= b) is n sum(e_a e_b) - sum(e_a) sum(e_b) of the chosen encodings,
 * an integer (frac 0) exact modulo the suite's ring or field. Shared by the
 * per-record path above and the pooled one (crosssums.ts), whose
 * numerators come from each party's own sums.
 */
export function assembleCrossMatrix(
  n: Fx,
  sums: readonly Fx[],
  den: Fx,
  levels: readonly ColumnLevels[],
  exactNumerator: (a: number, b: number) => Fx,
  resultFrac: number,
): CrossMatrix {
  // Exact numerators N_jl (j <= l), computed on demand and kept.
  const numerators = new Map<string, Fx>();
  const numerator = (j: number, l: number): Fx => {
    const [a, b] = j <= l ? [j, l] : [l, j];
    const key = `${a},${b}`;
    let v = numerators.get(key);
    if (!v) {
      v = exactNumerator(a, b);
      numerators.set(key, v);
    }
    return v;
  };
  // q_jl at the scale 2^(f_j + f_l) of candidates ca of j and cb of l, in that pair's own format:
  // the finest candidates' quotients are small and keep every fractional bit, where one format
  // for all (the widest candidate's) left a column with an sd of a few grid units 9 bits.
  // Only the pair the level bits select is meaningful; the others are computed and discarded.
  const quotients = new Map<string, Fx>();
  const q = (j: number, l: number, cj: number, cl: number): Fx => {
    const [a, b, ca, cb] = j <= l ? [j, l, cj, cl] : [l, j, cl, cj];
    const key = `${a},${b},${ca},${cb}`;
    let v = quotients.get(key);
    if (!v) {
      // |q_ab| <= sqrt(q_aa q_bb) < 2^bits for the pair the level bits select, so no saturation
      // (which dropped low bits of the numerator to make room for its limit: a covariance of
      // two narrow columns lost 3 bits, 20 times its stated error); the other pairs' quotients
      // may be any value and are discarded.
      const bits = pairBits(levels[a]!.candidates[ca]!, levels[b]!.candidates[cb]!, a === b);
      v = divideWithRoom(numerator(a, b), den, bits, resultFrac);
      quotients.set(key, v);
    }
    return v;
  };
  const roots = new Map<string, Fx>();
  const root = (j: number, c: number): Fx => {
    const key = `${j},${c}`;
    let v = roots.get(key);
    if (!v) {
      v = q(j, j, c, c).relu().sqrt();
      roots.set(key, v);
    }
    return v;
  };
  return {
    n,
    sums,
    cov: (j, l, frac) =>
      j === l
        ? inUnits(([c]) => q(j, j, c!, c!), [levels[j]!], frac, 2)
        : inUnits(([a, b]) => q(j, l, a!, b!), [levels[j]!, levels[l]!], frac, 1),
    variance: (j, frac) => inUnits(([c]) => q(j, j, c!, c!).relu(), [levels[j]!], frac, 2),
    sd: (j, frac) => inUnits(([c]) => root(j, c!), [levels[j]!], frac, 1),
    cor: (j, l, frac) =>
      normalisedCorrelation(numerator(j, l), numerator(j, j), numerator(l, l), frac),
  };
}

/**
 * r = N_xy / sqrt(N_xx N_yy) from the exact numerators, which does not
 * depend on the encodings' scales. Each N_jj is first brought into
 * [2^(2h - 2), 2^(2h)) by a secret power of two c_j (`pow2Rsqrt`: its
 * leading one), and N_xy by c_x c_y, all exact; then the roots and the
 * quotient work on values in [1/4, 1) and keep their full relative
 * precision whatever the spread. Taking the quotients at the scale of the
 * widest candidate first left a column with an sd of two grid units 9
 * fractional bits, and r off by 1%. A constant column has N_jj = 0 and
 * gives r = 0 (the division by 0 gives 0).
 */
function normalisedCorrelation(Nxy: Fx, Nxx: Fx, Nyy: Fx, frac: number): Fx {
  const hs = [Nxx, Nyy].map((v) => Math.ceil((Math.max(v.bound, 2) - 1) / 2));
  // c_j <= 2^(h_j - 1), so each product below stays under 2^62.
  const [cx, cy] = [Nxx, Nyy].map((v, i) => v.pow2Rsqrt(hs[i]! - 1).c.withBound(hs[i]! + 1));
  const [hx, hy] = hs as [number, number];
  const cc = Fx.concat([cx!, cy!, cx!]).mulProven(Fx.concat([cx!, cy!, cy!]), 2 * Math.max(hx, hy));
  const scaled = Fx.concat([Nxx, Nyy, Nxy]).mulProven(cc, 2 * Math.max(hx, hy) + 1);
  // N_jj c_j^2 < 2^(2 h_j) and |N_xy c_x c_y| <= sqrt of their product: read as values below 1.
  const at = (i: number, f: number) => {
    const v = scaled.slice(i);
    return v.make(v.sh, f, f + 1);
  };
  const roots = Fx.concat([at(0, 2 * hx), at(1, 2 * hy)]).sqrt();
  const den = roots.slice(0).mul(roots.slice(1), 40);
  return at(2, hx + hy).divide(den, { qBits: 1, frac, saturate: true });
}

/** value(0) (the plain candidate) unless a finer level fits: the finest that fits wins. */
function pickFinest(col: ColumnLevels, value: (c: number) => Fx): Fx {
  let out = value(0);
  col.fits.forEach((bit, i) => (out = bit.select(value(i + 1), out)));
  return out;
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

/** Bits of q_jl at the scale of one candidate of each column (`same`: a column with itself). */
export function pairBits(a: Candidate, b: Candidate, same: boolean): number {
  return Math.max(
    1,
    Math.ceil((a.varBits + 2 * a.frac + b.varBits + 2 * b.frac) / 2) + (same ? 0 : 1),
  );
}

/**
 * A quotient at the encodings' scale in the columns' units: for one column
 * (a variance, `power` 2, or a root, `power` 1) the value of candidate c is
 * read as v / 2^(power f_c); for two columns (a covariance) as
 * v / 2^(f_a + f_b). Each reading is a public reinterpretation and
 * rescaling of that combination's own quotient (`valueAt`); the secret
 * level bits select among them (finest that fits wins, as `pickLevel`).
 */
function inUnits(
  valueAt: (combo: readonly number[]) => Fx,
  cols: readonly ColumnLevels[],
  frac: number,
  power: 1 | 2,
): Fx {
  const reading = (idx: readonly number[]): { value: Fx; bits: number } => {
    const cands = idx.map((c, i) => cols[i]!.candidates[c]!);
    const v = valueAt(idx);
    const shift = cols.length === 1 ? power * cands[0]!.frac : cands[0]!.frac + cands[1]!.frac;
    const varBits =
      cands.length === 1 ? cands[0]!.varBits : (cands[0]!.varBits + cands[1]!.varBits) / 2;
    // Bits in the columns' units: a variance or covariance below 2^varBits, a root below 2^(varBits / 2).
    const bits = Math.ceil(power === 2 || cands.length === 2 ? varBits : varBits / 2) + 1;
    const value = v.make(v.sh, v.frac + shift, v.bound).withBound(bits + v.frac + shift + 2);
    return { value, bits };
  };
  // Every combination of candidates, then one scale for all: the most fractional bits that fit.
  const combos: number[][] =
    cols.length === 1
      ? cols[0]!.candidates.map((_, c) => [c])
      : cols[0]!.candidates.flatMap((_, a) => cols[1]!.candidates.map((_, b) => [a, b]));
  const readings = new Map(combos.map((idx) => [idx.join(','), reading(idx)]));
  const common = Math.min(frac + 8, ...[...readings.values()].map((r) => 60 - r.bits));
  const at = (idx: number[]): Fx => readings.get(idx.join(','))!.value.rescale(common);
  const out =
    cols.length === 1
      ? pickFinest(cols[0]!, (c) => at([c]))
      : pickFinest(cols[0]!, (a) => pickFinest(cols[1]!, (b) => at([a, b])));
  return out.rescale(Math.min(out.frac, Math.max(frac, out.frac)));
}
