/**
 * The covariance matrix of crossmatrix.ts from each party's own exact sums,
 * so that no record enters MPC: what linear regression starts from when its
 * parties sum their own rows (in JavaScript, or in their SQL engine).
 *
 * The per-record path encodes each column by one of its public candidates
 * (crossmatrix.ts `columnCandidates`: the column rounded to the plain grid,
 * then finer levels), chosen by secret level bits, and forms the exact
 * numerators N_jl = n sum(e_j e_l) - sum(e_j) sum(e_l) modulo the suite's
 * ring or field. Every one of those sums is a sum over records of values a
 * party computes alone, once a candidate is fixed, and N_jl does not depend
 * on a shift of either column. So each party sums, for every candidate of
 * each column, floor(x / 2^s) (s the candidate's shift), and for every pair
 * of columns and every pair of their candidates the cross products; MPC
 * forms the numerator of every candidate pair (one round of products) and
 * selects, with the same level bits (from the plain candidate's numerator),
 * the one the per-record path would have used. The centring the per-record
 * path applies before its finer levels only keeps its row products small;
 * the pooled numerator is the same integer for the same encodings, and the
 * encodings here differ from the centred ones by less than one unit of the
 * same grid, which is what the stated bounds (bounds.ts) already allow for:
 * the same argument as stats/pooled.ts for the variance.
 *
 * Exact sums pass 64 bits (a product of two 30-bit values over a million
 * rows), so each enters as three 42-bit limbs (pooled.ts `toLimbs`), which
 * MPC recombines modulo the ring or field: all that the per-record path has.
 *
 * Security: the session's suite's model, as for the per-record path. Each
 * party's sums are input as secrets and nothing is revealed here; they carry
 * less about its records than the records the per-record path inputs.
 *
 * Cost: per party, sum count 1 + m + sum_j c_j + sum_{j<l} c_j c_l +
 * sum_j c_j (c_j candidates of column j: 1 for a narrow column, up to 6 for
 * a wide one), three limbs each; then one round for every candidate pair's
 * numerator, one comparison per level for the level bits, and the per-record
 * path's divisions and selections, for any number of rows.
 */
import type { SecretInt } from '../../api/secret.js';
import type { Shares } from '../../suites/suite.js';
import { secondMomentShift } from './common.js';
import {
  assembleCrossMatrix,
  columnCandidates,
  levelFits,
  pairCount,
  type ColumnLevels,
  type CrossMatrix,
} from './crossmatrix.js';
import { Fx, log2ceil } from './fx.js';
import { LIMB_BITS, LIMBS } from './pooled.js';
import { variancePlan } from './variance.js';

/** A column's public encoding: fixed point with `frac` fractional bits, |x| < 2^(bound - 1). */
export interface CrossColumn {
  readonly bound: number;
  readonly frac: number;
}

/** Which exact sums each party enters, for columns `cols` over `rows` rows in all. */
export interface CrossLayout {
  readonly cols: readonly CrossColumn[];
  readonly rows: number;
  /** Per column, the shift of each candidate (the plain grid first, then levels coarse to fine). */
  readonly shifts: readonly (readonly number[])[];
  /** Sums in all: n, S_j, S_jc, then the cross products of every pair j <= l. */
  readonly length: number;
  /** Index of sum(x_j) (exact, unshifted). */
  sum(j: number): number;
  /** Index of sum(floor(x_j / 2^s)) for candidate c of column j. */
  cand(j: number, c: number): number;
  /** Index of sum(e_j e_l) for candidates a of j and b of l (j <= l; a = b when j = l). */
  pair(j: number, l: number, a: number, b: number): number;
}

/** The sums to enter for these columns over `rows` rows (every party's). */
export function crossLayout(cols: readonly CrossColumn[], rows: number): CrossLayout {
  const m = cols.length;
  const shifts = cols.map((c) => {
    const plan = variancePlan(c.bound, c.frac, rows);
    if (plan.grid === 0) return [0];
    const r = secondMomentShift(c.bound, rows);
    return [r, ...[...plan.levels].reverse().map((l) => c.frac - l.frac)];
  });
  const candStart: number[] = [];
  let k = 1 + m;
  for (let j = 0; j < m; j++) {
    candStart.push(k);
    k += shifts[j]!.length;
  }
  const pairStart = new Map<string, number>();
  for (let j = 0; j < m; j++)
    for (let l = j; l < m; l++) {
      pairStart.set(`${j},${l}`, k);
      k += j === l ? shifts[j]!.length : shifts[j]!.length * shifts[l]!.length;
    }
  return {
    cols,
    rows,
    shifts,
    length: k,
    sum: (j) => 1 + j,
    cand: (j, c) => candStart[j]! + c,
    pair: (j, l, a, b) => pairStart.get(`${j},${l}`)! + (j === l ? a : a * shifts[l]!.length + b),
  };
}

/**
 * Whether every exact sum fits the three limbs (below 2^124 with room for
 * the sign): otherwise the per-record path is needed.
 */
export function crossSumsFit(cols: readonly CrossColumn[], rows: number): boolean {
  const widest = Math.max(...cols.map((c) => c.bound));
  return 2 * widest + log2ceil(rows + 1) <= 122;
}

const floorShift = (x: bigint, k: number): bigint => (k === 0 ? x : x >> BigInt(k));

/**
 * One party's exact sums (BigInt; `>>` is floor division by 2^k, as the SQL
 * of the pushdown would compute it) over its records: `values[j][i]` the
 * encoding of column j in record i (an integer: x 2^frac), `weights[i]` how
 * many records row i stands for (grouped rows from a SQL engine; 1 each when
 * absent). Rows whose `use[i]` is 0 are left out.
 *
 * Values up to 2^26 are summed in doubles per block of rows (exact below
 * 2^53) and carried into BigInt between blocks, so a million loaded rows do
 * not make a million BigInts per sum.
 */
export function localCrossSums(
  layout: CrossLayout,
  values: readonly ArrayLike<number | bigint>[],
  use: ArrayLike<number>,
  weights?: ArrayLike<number>,
): bigint[] {
  const m = layout.cols.length;
  const rows = use.length;
  const out = new Array<bigint>(layout.length).fill(0n);
  // Each term sum (one per output) as flat lists of (index, column a, shift a, column b, shift b).
  interface Term {
    readonly at: number;
    readonly a: number;
    readonly sa: number;
    readonly b: number;
    readonly sb: number;
  }
  const terms: Term[] = [];
  for (let j = 0; j < m; j++) terms.push({ at: layout.sum(j), a: j, sa: 0, b: -1, sb: 0 });
  layout.shifts.forEach((sh, j) =>
    sh.forEach((s, c) => terms.push({ at: layout.cand(j, c), a: j, sa: s, b: -1, sb: 0 })),
  );
  for (let j = 0; j < m; j++)
    for (let l = j; l < m; l++)
      layout.shifts[j]!.forEach((sa, a) =>
        layout.shifts[l]!.forEach((sb, b) => {
          if (j === l && a !== b) return;
          terms.push({ at: layout.pair(j, l, a, b), a: j, sa, b: l, sb });
        }),
      );
  const widest = Math.max(1, ...layout.cols.map((c) => c.bound));
  let maxW = 1;
  if (weights) for (let i = 0; i < rows; i++) maxW = Math.max(maxW, Math.abs(weights[i]!));
  // |w x y| < 2^(log2 w + 2 (bound - 1)); a block of B such terms stays below 2^53.
  const termBits = Math.log2(maxW) + 2 * (widest - 1);
  const fast = termBits <= 46 && values.every((v) => !(v instanceof BigInt64Array));
  if (fast) {
    const block = Math.max(1, Math.floor(2 ** (53 - termBits - 1)));
    const acc = new Float64Array(terms.length);
    let n = 0;
    const pow = (s: number) => 2 ** s;
    const flush = () => {
      terms.forEach((t, q) => (out[t.at]! += BigInt(acc[q]!)));
      acc.fill(0);
    };
    let inBlock = 0;
    for (let i = 0; i < rows; i++) {
      if (!use[i]) continue;
      const w = weights ? weights[i]! : 1;
      n += w;
      for (let q = 0; q < terms.length; q++) {
        const t = terms[q]!;
        const xa = Math.floor(Number(values[t.a]![i]!) / pow(t.sa));
        if (t.b < 0) acc[q]! += w * xa;
        else acc[q]! += w * xa * Math.floor(Number(values[t.b]![i]!) / pow(t.sb));
      }
      if (++inBlock >= block) {
        flush();
        inBlock = 0;
      }
    }
    flush();
    out[0] = BigInt(n);
    return out;
  }
  let n = 0n;
  for (let i = 0; i < rows; i++) {
    if (!use[i]) continue;
    const w = BigInt(weights ? weights[i]! : 1);
    n += w;
    for (const t of terms) {
      const xa = floorShift(BigInt(values[t.a]![i]!), t.sa);
      out[t.at]! += t.b < 0 ? w * xa : w * xa * floorShift(BigInt(values[t.b]![i]!), t.sb);
    }
  }
  out[0] = n;
  return out;
}

const LIMB = 1n << BigInt(LIMB_BITS);

/**
 * The secret covariance matrix of the columns from the parties' summed limbs
 * (a SecretInt of layout.length x LIMBS, as pooled.ts `toLimbs` lays them
 * out): the same quotients, scales and selections as crossmatrix.ts's
 * `crossMatrix` over the records. `resultFrac` as there.
 */
export function pooledCrossMatrix(
  limbs: SecretInt,
  layout: CrossLayout,
  resultFrac: number,
): CrossMatrix {
  if (limbs.length !== layout.length * LIMBS)
    throw new RangeError(
      `pooledCrossMatrix: expected ${layout.length * LIMBS} limbs, got ${limbs.length}`,
    );
  const suite = limbs.session.suite;
  const L = Fx.of(limbs);
  // Sums at these indices, recombined: l0 + 2^42 (l1 + 2^42 l2), modulo the ring or field.
  const values = (idx: readonly number[]): Promise<Shares> =>
    L.sh.then((sh) => {
      const pick = (limb: number) =>
        suite.gather(
          sh,
          Uint32Array.from(idx, (i) => i * LIMBS + limb),
        );
      const hi = suite.add(pick(1), suite.mulScalar(pick(2), LIMB));
      return suite.add(pick(0), suite.mulScalar(hi, LIMB));
    });
  const { cols, rows, shifts } = layout;
  const m = cols.length;
  const lg = log2ceil(rows + 1);
  const n = L.make(values([0]), 0, lg + 1, 1);
  const sums = cols.map((c, j) => L.make(values([layout.sum(j)]), c.frac, c.bound + lg, 1));
  const den = pairCount(n, rows);
  // Every candidate pair's numerator n P - S_a S_b in one round of products.
  const pairs: { j: number; l: number; a: number; b: number }[] = [];
  for (let j = 0; j < m; j++)
    for (let l = j; l < m; l++)
      shifts[j]!.forEach((_, a) =>
        shifts[l]!.forEach((__, b) => {
          if (j !== l || a === b) pairs.push({ j, l, a, b });
        }),
      );
  const P = values(pairs.map((p) => layout.pair(p.j, p.l, p.a, p.b)));
  const Sa = values(pairs.map((p) => layout.cand(p.j, p.a)));
  const Sb = values(pairs.map((p) => layout.cand(p.l, p.b)));
  const nn = n.gather(new Uint32Array(pairs.length));
  const all = L.make(
    Promise.all([nn.sh, P, Sa, Sb]).then(async ([x, p, sa, sb]) => {
      const [np, ss] = await Promise.all([suite.mul(x, p), suite.mul(sa, sb)]);
      return suite.sub(np, ss);
    }),
    0,
    62,
    pairs.length,
  );
  const at = new Map(pairs.map((p, q) => [`${p.j},${p.l},${p.a},${p.b}`, q]));
  const numerator = (j: number, l: number, a: number, b: number): Fx =>
    all.slice(at.get(`${j},${l},${a},${b}`)!);
  const levels: ColumnLevels[] = cols.map((c, j) => {
    const candidates = columnCandidates(c.bound, c.frac, rows);
    if (shifts[j]!.length === 1) return { candidates, fits: [] };
    const plan = variancePlan(c.bound, c.frac, rows);
    const r = shifts[j]![0]!;
    const fits = levelFits(
      numerator(j, j, 0, 0),
      c.bound - r + 1,
      c.frac - r,
      den,
      plan,
      resultFrac,
    );
    return { candidates, fits };
  });
  // The finest candidate that fits, as crossMatrix selects each column's encoding.
  const pick = (j: number, value: (c: number) => Fx): Fx => {
    let out = value(0);
    levels[j]!.fits.forEach((bit, i) => (out = bit.select(value(i + 1), out)));
    return out.withBound(62);
  };
  return assembleCrossMatrix(
    n,
    sums,
    den,
    levels,
    (j, l) =>
      j === l
        ? pick(j, (a) => numerator(j, j, a, a))
        : pick(j, (a) => pick(l, (b) => numerator(j, l, a, b))),
    resultFrac,
  );
}
