/**
 * The Wilcoxon rank-sum (Mann-Whitney U) test of two groups, as R's
 * wilcox.test(x, y) (two-sided, correct = TRUE), for columns whose values
 * lie in a public set of V values (integers, dates or decimals with a
 * declared range, codes of an ordinal scale).
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
