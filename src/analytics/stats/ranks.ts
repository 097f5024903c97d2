/**
 * The Wilcoxon rank-sum (Mann-Whitney U) test of two groups, as R's
 * wilcox.test(x, y) (two-sided, correct = TRUE): from per-value counts for
 * columns whose values lie in a public set of V values (integers, dates or
 * decimals with a declared range, codes of an ordinal scale), or by
 * oblivious sorting for any column (`mannWhitneySorted`).
 *
 * Ranks from per-value counts: with c1[v] and c2[v] the rows of each group
 * holding value v, R's statistic W (the rank sum of group 1 minus
 * n1 (n1 + 1) / 2, midranks for ties) is the number of pairs (i, j) with
 * x1_i > x2_j plus half the pairs with x1_i = x2_j:
 *   2 W = sum_v c1[v] (2 C2[v] + c2[v]),   C2[v] = sum_(u < v) c2[u],
 * an exact integer from one round of products (the prefix sums are linear).
 * The tie correction of the variance is T = sum_v (t_v^3 - t_v),
 * t_v = c1[v] + c2[v], also exact (two rounds). No row is compared with
 * another and nothing is sorted: the cost is O(V), not O(n log^2 n); the
 * counts come from one equality test per row and value (`valueCounts`), or,
 * in a study, from each owner counting its own rows (no MPC comparison).
 *
 * p-value (in the clear, from the revealed W, n1, n2 and T; R's rules):
 * exact (the distribution of W by counting) when n1 < 50, n2 < 50 and there
 * are no ties; otherwise the normal approximation with continuity correction
 *   z = (W - n1 n2 / 2 - sign(.) / 2) / sqrt(n1 n2 / 12 ((N + 1) - T / (N (N - 1)))).
 * T is opened for this: it follows from W, n1, n2 and the released p-value
 * anyway (the p-value fixes sigma, and sigma fixes T).
 */
import type { SecretBool, SecretInt } from '../../api/secret.js';
import { normalCdf } from '../distributions.js';
import { checkBool, checkColumn, groupWeights, type Column, type RowOptions } from './common.js';
import { Fx, fixConst, log2ceil, signedBits } from './fx.js';
import { sortBy } from '../../ops/sort.js';

/** A rank-sum test, secret. */
export interface MannWhitney {
  /** 2 W: twice R's statistic W (an integer: W is a multiple of 1/2 with ties). */
  w2: SecretInt;
  n1: SecretInt;
  n2: SecretInt;
  /** The tie term T = sum over values of t^3 - t (0 without ties). */
  ties: SecretInt;
}

/** Largest number of rows (both groups): T < N^3 must fit in 63 bits. */
export const MAX_RANK_ROWS = 2 ** 20 - 1;

/** Prefix sums strictly below each element: P[v] = sum_(u < v) c[u] (local, log2 V steps). */
function exclusivePrefix(c: Fx): Fx {
  const V = c.length;
  // Shift by one: P0[v] = c[v - 1], 0 at v = 0.
  const padded = Fx.concat([Fx.zero(c.session, 1, c.frac), c]);
  let P = padded.gather(Uint32Array.from({ length: V }, (_, v) => v));
  for (let s = 1; s < V; s *= 2) {
    const withZero = Fx.concat([Fx.zero(c.session, 1, P.frac), P]);
    // P[v] + P[v - s] (0 below index 0).
    const shifted = withZero.gather(
      Uint32Array.from({ length: V }, (_, v) => (v >= s ? v - s + 1 : 0)),
    );
    P = P.add(shifted).withBound(c.bound + log2ceil(V) + 1);
  }
  return P;
}

/**
 * The rank-sum test from secret per-value counts of the two groups (vectors
 * of the same length, values in increasing order; each count at most the
 * number of rows). Exact.
 * Cost: three rounds of multiplications of V values.
 * @throws {RangeError} for counts of different lengths or bounds beyond MAX_RANK_ROWS.
 */
export function mannWhitneyFromCounts(c1: SecretInt, c2: SecretInt): MannWhitney {
  const op = 'mannWhitney';
  if (c1.length !== c2.length || c1.length === 0)
    throw new RangeError(`${op}: expected two count vectors of the same nonzero length`);
  const A = Fx.of(c1);
  const Bc = Fx.of(c2);
  // Counts are below 2^m (their bound is m + 1), and so are the totals (at most the rows).
  const m = Math.max(A.bound, Bc.bound) - 1;
  if (m > log2ceil(MAX_RANK_ROWS + 1))
    throw new RangeError(`${op}: counts of up to ${m} bits: at most ${MAX_RANK_ROWS} rows`);
  const n1 = A.sum().withBound(m + 1);
  const n2 = Bc.sum().withBound(m + 1);
  const below = exclusivePrefix(Bc).withBound(m + 1);
  // 2 C2[v] + c2[v] <= 2 n2; the sum of products 2 W <= 2 n1 n2.
  const weight = below
    .scaleInt([2n])
    .add(Bc)
    .withBound(m + 2);
  const w2 = A.dotGroups(weight, A.length, 0).withBound(2 * m + 2);
  // T = sum t^3 - t with t = c1 + c2 <= N, so 0 <= T < N^3.
  const t = A.add(Bc).withBound(m + 1);
  const t2 = t.mul(t, 0).withBound(2 * m + 1);
  const t3 = t2.mul(t, 0).withBound(3 * m + 1);
  const ties = t3
    .sub(t)
    .sum()
    .withBound(3 * m + 1);
  return { w2: w2.toInt(), n1: n1.toInt(), n2: n2.toInt(), ties: ties.toInt() };
}

/**
 * Counts per public value and group: out[g][v] = rows of group g (within
 * `where`) whose value is values[v] (in the column's units; a decimal
 * column's values are compared at its scale). A value in no list is in no
 * count. One equality test per row and value, in one round, and one round
 * of G V inner products.
 * @throws {RangeError} for no values, repeated values or lengths that differ.
 */
export function valueCounts(
  x: Column,
  groups: readonly SecretBool[],
  values: readonly number[],
  opts: RowOptions = {},
): SecretInt {
  const op = 'valueCounts';
  const n = checkColumn(op, x);
  if (values.length === 0) throw new RangeError(`${op}: no values`);
  if (new Set(values).size !== values.length) throw new RangeError(`${op}: repeated values`);
  groups.forEach((g, i) => checkBool(op, g, n, `group ${i}`));
  const X = Fx.of(x);
  const V = values.length;
  const enc = values.map((v) => fixConst(v, X.frac));
  let vb = 2;
  for (const e of enc) vb = Math.max(vb, signedBits(e));
  const rep = new BigInt64Array(V * n);
  enc.forEach((e, j) => rep.fill(-e, j * n, (j + 1) * n));
  const tiled = X.tile(V);
  const diff = new Fx(
    X.session,
    tiled.sh.then((a) => X.suite.addPublic(a, rep)),
    V * n,
    X.frac,
    Math.max(X.bound, vb) + 1,
  );
  const eq = diff.eqz(); // V x n, value-major
  const { w, G } = groupWeights(op, n, opts.where, groups, x.session);
  // Pair (g, v): group g's weights against value v's indicators.
  const ia = Uint32Array.from(
    { length: G * V * n },
    (_, q) => Math.floor(q / (V * n)) * n + (q % n),
  );
  const ib = Uint32Array.from(
    { length: G * V * n },
    (_, q) => (Math.floor(q / n) % V) * n + (q % n),
  );
  const counts = w
    .gather(ia)
    .dotGroups(eq.gather(ib), n, 0)
    .withBound(signedBits(BigInt(n)));
  return counts.toInt().reshape([G, V]);
}

/**
 * The rank-sum test of a column between two groups whose values lie in the
 * public list `values` (increasing): `valueCounts`, then
 * `mannWhitneyFromCounts`. Rows whose value is not in the list are left out.
 * @example
 *   const r = mannWhitney(painScore, armA, armB, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
 *   const { W, pValue } = await revealMannWhitney(r);
 * @throws {RangeError} for values that do not increase, or lengths that differ.
 */
export function mannWhitney(
  x: Column,
  group1: SecretBool,
  group2: SecretBool,
  values: readonly number[],
  opts: RowOptions = {},
): MannWhitney {
  for (let i = 1; i < values.length; i++)
    if (!(values[i]! > values[i - 1]!))
      throw new RangeError(`mannWhitney: values must increase (value ${i})`);
  const c = valueCounts(x, [group1, group2], values, opts);
  const V = values.length;
  const flat = c.reshape([2 * V]);
  return mannWhitneyFromCounts(flat.slice(0, V), flat.slice(V, 2 * V));
}

/**
 * The rank-sum test of a column of any values between two groups, by
 * oblivious sorting (src/ops/sort.ts) instead of per-value counts: for
 * columns whose values are not a small public set (wide decimals).
 *
 * Method: sorting on the key 2 x + [row in group 2] puts, among equal values,
 * group 1 first, so for each group-1 row the group-2 rows before it are those
 * with x2 < x1: A = sum w1[p] C2[p] (C2 the group-2 rows before position p);
 * a second sort on 2 x + [row in group 1] puts group 2 first and gives
 * B = #{x2 <= x1}; 2W = A + B. The tie term: after the first sort, equal
 * neighbours (n - 1 equality tests) delimit the runs of equal values, a
 * segmented prefix sum (log2 n rounds) gives r_p, the group rows before p in
 * its run, and T = 3 sum_p u_p r_p (r_p + 1) (u_p = 1 for a row in either
 * group), since t^3 - t = 3 sum_(r < t) r (r + 1). Exact.
 * Cost: two sorts of n rows (under rep3 and shamir, shuffle then quicksort:
 * about 1.2 n log2 n comparisons each; elsewhere Batcher: about n log2(n)^2 / 4
 * each, in log2(n)^2 / 2 layers), n equality tests, and log2 n rounds of
 * products.
 * @example
 *   const r = mannWhitneySorted(crp, armA, armB);
 *   const { W, pValue } = await revealMannWhitney(r);
 * @throws {RangeError} for lengths that differ, more than MAX_RANK_ROWS rows, or keys too wide for the suite's comparisons.
 */
export function mannWhitneySorted(
  x: Column,
  group1: SecretBool,
  group2: SecretBool,
  opts: RowOptions = {},
): MannWhitney {
  const op = 'mannWhitneySorted';
  const n = checkColumn(op, x);
  if (n > MAX_RANK_ROWS) throw new RangeError(`${op}: at most ${MAX_RANK_ROWS} rows, got ${n}`);
  const X = Fx.of(x);
  const suite = X.suite;
  const { w } = groupWeights(op, n, opts.where, [group1, group2], x.session);
  const w1 = w.slice(0, n);
  const w2 = w.slice(n, 2 * n);
  const keyBound = X.bound + 2;
  const m = log2ceil(n + 1);
  const sorted = (tie: Fx) =>
    Promise.all([X.sh, tie.sh, w1.sh, w2.sh]).then(([xs, t, a, b]) =>
      sortBy(suite, suite.add(suite.mulScalar(xs, 2n), t), keyBound, [a, b, xs]),
    );
  const sA = sorted(w2);
  const sB = sorted(w1);
  const at = (r: ReturnType<typeof sorted>, j: number, bound: number, frac = 0) =>
    new Fx(
      x.session,
      r.then((o) => o.payloads[j]!),
      n,
      frac,
      bound,
    );
  // Group-2 rows before each position, then the pairs.
  const pairs = (r: ReturnType<typeof sorted>) => {
    const b = at(r, 1, 2);
    const before = exclusivePrefix(b).withBound(m + 1);
    return at(r, 0, 2)
      .dotGroups(before, n, 0)
      .withBound(2 * m + 1);
  };
  const w2x = pairs(sA)
    .add(pairs(sB))
    .withBound(2 * m + 2);
  // Tie term from the first order: runs of equal values.
  const u = at(sA, 0, 2)
    .add(at(sA, 1, 2))
    .withBound(2);
  const vals = at(sA, 2, X.bound);
  const prevIdx = Uint32Array.from({ length: n }, (_, p) => Math.max(0, p - 1));
  // same[p] = [x_p = x_(p-1)] (0 at p = 0).
  const diff = vals.sub(vals.gather(prevIdx)).withBound(X.bound + 1);
  const same = Fx.concat([Fx.zero(x.session, 1), diff.eqz().slice(1, n)]);
  const Pu = exclusivePrefix(u).withBound(m + 1);
  // s_p = same_p ? s_(p-1) : Pu_p, as the linear recurrence s_p = f_p s_(p-1) + v_p.
  let f = same;
  let v = same
    .not()
    .mulBit(Pu)
    .withBound(m + 1);
  for (let d = 1; d < n; d *= 2) {
    const idx = Uint32Array.from({ length: n }, (_, p) => Math.max(0, p - d));
    const mask = Fx.constant(
      x.session,
      Array.from({ length: n }, (_, p) => (p >= d ? 1 : 0)),
      0,
    );
    // Positions p < d have no predecessor at distance d: they keep (f, v).
    const fPrev = f.gather(idx);
    const vPrev = v
      .gather(idx)
      .mulBit(mask)
      .withBound(m + 1);
    const prods = Fx.concat([f, f]).mulBit(Fx.concat([fPrev, vPrev]));
    const ff = prods.slice(0, n).withBound(2);
    const fv = prods.slice(n, 2 * n).withBound(m + 1);
    // f_p f_(p-d) where p >= d; f_p stays where p < d (a run cannot start before 0 anyway).
    f = Fx.concat([ff, f])
      .gather(Uint32Array.from({ length: n }, (_, p) => (p >= d ? p : n + p)))
      .withBound(2);
    v = v.add(fv).withBound(m + 1);
  }
  const r = Pu.sub(v).withBound(m + 1);
  const rr = r.mul(r.add(1).withBound(m + 1), 0).withBound(2 * m + 1);
  const ties = u
    .dotGroups(rr, n, 0)
    .scaleInt([3n])
    .withBound(3 * m + 1);
  return {
    w2: w2x.toInt(),
    n1: w1
      .sum()
      .withBound(m + 1)
      .toInt(),
    n2: w2
      .sum()
      .withBound(m + 1)
      .toInt(),
    ties: ties.toInt(),
  };
}

export interface MannWhitneyResult {
  /** R's W: the rank sum of group 1 minus n1 (n1 + 1) / 2. */
  W: number;
  n1: number;
  n2: number;
  /** The tie term sum (t^3 - t). */
  ties: number;
  /** The normal deviate with continuity correction (NaN when the exact p-value is used). */
  z: number;
  pValue: number;
  /** Whether the p-value is exact (n1, n2 < 50, no ties), as R chooses. */
  exact: boolean;
}

/**
 * Reveals 2W, n1, n2 and the tie term (every party must call it) and
 * computes the two-sided p-value in the clear as R's wilcox.test does.
 */
export async function revealMannWhitney(r: MannWhitney): Promise<MannWhitneyResult> {
  const [w2, n1, n2, t] = await Promise.all([
    r.w2.reveal(),
    r.n1.reveal(),
    r.n2.reveal(),
    r.ties.reveal(),
  ]);
  return mannWhitneyPValue(Number(w2[0]!) / 2, Number(n1[0]!), Number(n2[0]!), Number(t[0]!));
}

/**
 * The two-sided p-value of W as R's wilcox.test(correct = TRUE, exact =
 * NULL): exact when both groups have fewer than 50 values and there are no
 * ties, else the normal approximation with continuity correction. NaN when a
 * group is empty (R refuses), or when every value is tied (sigma = 0).
 */
export function mannWhitneyPValue(
  W: number,
  n1: number,
  n2: number,
  ties: number,
): MannWhitneyResult {
  const base = { W, n1, n2, ties };
  if (n1 === 0 || n2 === 0) return { ...base, z: NaN, pValue: NaN, exact: false };
  if (n1 < 50 && n2 < 50 && ties === 0) {
    const p = W > (n1 * n2) / 2 ? 1 - wilcoxCdf(W - 1, n1, n2) : wilcoxCdf(W, n1, n2);
    return { ...base, z: NaN, pValue: Math.min(1, 2 * p), exact: true };
  }
  const N = n1 + n2;
  const d = W - (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (N + 1 - ties / (N * (N - 1))));
  if (!(sigma > 0)) return { ...base, z: NaN, pValue: NaN, exact: false };
  const z = (d - Math.sign(d) * 0.5) / sigma;
  const pValue = 2 * Math.min(normalCdf(z), normalCdf(-z));
  return { ...base, z, pValue, exact: false };
}

/**
 * P(W <= q) under the null hypothesis for groups of m and n values without
 * ties (R's pwilcox), by counting: f(i, j, k), the arrangements of i values
 * of the first group and j of the second with U = k, satisfies
 * f(i, j, k) = f(i - 1, j, k - j) + f(i, j - 1, k) (the largest value is
 * from the first group, above all j of the second, or from the second).
 */
export function wilcoxCdf(q: number, m: number, n: number): number {
  const k = Math.floor(q + 1e-7);
  if (k < 0) return 0;
  if (k >= m * n) return 1;
  const K = m * n;
  // prev[i][k] for j - 1, cur for j; with j = 0 only U = 0 is possible.
  let prev = Array.from({ length: m + 1 }, () => {
    const a = new Float64Array(K + 1);
    a[0] = 1;
    return a;
  });
  for (let j = 1; j <= n; j++) {
    const cur = Array.from({ length: m + 1 }, () => new Float64Array(K + 1));
    cur[0]![0] = 1;
    for (let i = 1; i <= m; i++) {
      const c = cur[i]!;
      const left = cur[i - 1]!;
      const up = prev[i]!;
      for (let u = 0; u <= i * j; u++) c[u] = up[u]! + (u >= j ? left[u - j]! : 0);
    }
    prev = cur;
  }
  const f = prev[m]!;
  let total = 0;
  let below = 0;
  for (let u = 0; u <= K; u++) {
    total += f[u]!;
    if (u <= k) below += f[u]!;
  }
  return below / total;
}
