/**
 * Categorical columns, filters and group-by: one-hot indicators from an
 * integer code or from public bins, per-group count/sum/mean, and
 * contingency tables of two categorical columns.
 *
 * A categorical column is a list of SecretBool indicators, one per level
 * (row i is in level g when indicator g is 1); the levels are public. Filters
 * are SecretBool masks combined with `and`. Nothing is revealed here.
 */
import type { SecretBool, SecretFixed, SecretInt } from '../../api/secret.js';
import { cumulativeBelow, asColumnType } from './describe.js';
import {
  checkBool,
  checkColumn,
  groupWeights,
  moments,
  resultFrac,
  type Column,
  type ResultOptions,
  type RowOptions,
} from './common.js';
import { Fx, signedBits } from './fx.js';

/**
 * Indicators [code == level] for each public level: a categorical column
 * from an integer code. One equality test per row and level, in one round
 * of comparisons. A code matching no level is in no group.
 * @example
 *   const [a, b, c] = oneHot(treatmentCode, [0, 1, 2]);
 * @throws {TypeError} for a non-integer column; {RangeError} for no levels or repeated levels.
 */
export function oneHot(code: SecretInt, levels: readonly number[]): SecretBool[] {
  const op = 'oneHot';
  const n = checkColumn(op, code, 'code');
  if (code.type.kind !== 'int') throw new TypeError(`${op}: code must be a SecretInt`);
  if (levels.length === 0) throw new RangeError(`${op}: no levels`);
  if (new Set(levels).size !== levels.length) throw new RangeError(`${op}: repeated levels`);
  levels.forEach((l) => {
    if (!Number.isSafeInteger(l)) throw new RangeError(`${op}: level ${l} is not an integer`);
  });
  const L = levels.length;
  const X = Fx.of(code);
  const rep = new BigInt64Array(L * n);
  levels.forEach((l, g) => rep.fill(BigInt(-l), g * n, (g + 1) * n));
  let lb = 2;
  for (const l of levels) lb = Math.max(lb, signedBits(BigInt(l)));
  const tiled = X.tile(L);
  const diff = new Fx(
    X.session,
    tiled.sh.then((a) => X.suite.addPublic(a, rep)),
    L * n,
    0,
    Math.max(X.bound, lb) + 1,
  );
  const eq = diff.eqz();
  return levels.map((_, g) => eq.slice(g * n, (g + 1) * n).toBool());
}

/**
 * Indicators of the bins [e_0, e_1), ..., [e_(k-1), e_k] (last bin closed, as
 * in `histogram`): a categorical column from a numeric one (R's cut, pandas'
 * cut). One comparison per row and edge, in one round.
 * @example
 *   const [young, middle, old] = cut(age, [0, 40, 65, 120]);
 * @throws {RangeError} for fewer than two edges or edges not increasing.
 */
export function cut(x: Column, edges: readonly number[]): SecretBool[] {
  const op = 'cut';
  const n = checkColumn(op, x);
  if (edges.length < 2) throw new RangeError(`${op}: need at least two edges, got ${edges.length}`);
  for (let i = 1; i < edges.length; i++)
    if (!(edges[i]! > edges[i - 1]!))
      throw new RangeError(`${op}: edges must increase (edge ${i})`);
  const below = cumulativeBelow(op, x, edges);
  return edges.slice(0, -1).map((_, j) =>
    below
      .slice((j + 1) * n, (j + 2) * n)
      .sub(below.slice(j * n, (j + 1) * n))
      .withBound(2)
      .toBool(),
  );
}

/** Per-group results: vectors with one element per group. */
export interface GroupResult {
  count: SecretInt;
  /** Exact sums of the value column per group (when one was given). */
  sum?: Column;
  /** Means per group (0 for an empty group). */
  mean?: SecretFixed;
}

/**
 * Count, and with a value column the exact sum and the mean, per group of a
 * categorical column (and within the rows `where` selects).
 *
 * Cost: one round of inner products (plus one multiplication per row and
 * group with a filter) and, for means, one division of G values (about 40
 * rounds in rep3). Means: relative error below 2^-24 plus two units of 2^-frac.
 * @example
 *   const { count, mean } = groupBy([armA, armB], recoveryDays);
 * @throws {RangeError} for no groups or lengths that differ.
 */
export function groupBy(
  groups: readonly SecretBool[],
  x?: Column,
  opts: ResultOptions = {},
): GroupResult {
  const op = 'groupBy';
  if (groups.length === 0) throw new RangeError(`${op}: no groups`);
  const n = groups[0]!.length;
  if (x) {
    const m = checkColumn(op, x, 'value column');
    if (m !== n) throw new RangeError(`${op}: the value column has ${m} rows, the groups ${n}`);
  }
  const f = resultFrac(op, opts.frac);
  const { w, G } = groupWeights(op, n, opts.where, groups, groups[0]!.session);
  const counts = w.sumGroups(n);
  if (!x) return { count: counts.toInt() };
  const X = Fx.of(x);
  const m = moments(X, w, G, false);
  const mean = m.s.divide(m.n, { qBits: Math.max(1, X.intBits), frac: f });
  return { count: counts.toInt(), sum: asColumnType(x, m.s), mean: mean.toFixed(f) };
}

/**
 * The contingency table of two categorical columns: counts[i][j] = number of
 * (selected) rows in level i of `rows` and level j of `cols`, as a SecretInt
 * of shape [levels of rows, levels of cols]. Exact.
 *
 * Cost: one round of r c inner products of length n (plus one
 * multiplication per row and level of `rows` with a filter); local work
 * O(r c n).
 * @example
 *   const table = crosstab([outcomeNo, outcomeYes], [armA, armB]); // 2 x 2
 * @throws {RangeError} for empty level lists or lengths that differ.
 */
export function crosstab(
  rows: readonly SecretBool[],
  cols: readonly SecretBool[],
  opts: RowOptions = {},
): SecretInt {
  const op = 'crosstab';
  if (rows.length === 0 || cols.length === 0) throw new RangeError(`${op}: no levels`);
  const n = rows[0]!.length;
  cols.forEach((c, j) => checkBool(op, c, n, `column level ${j}`));
  const { w: A, G: R } = groupWeights(op, n, opts.where, rows, rows[0]!.session);
  const C = cols.length;
  const B = Fx.concat(cols.map((c) => Fx.of(c)));
  // Pair (i, j): row level i's weights against column level j's indicators.
  const ia = Uint32Array.from({ length: R * C * n }, (_, q) => {
    const i = Math.floor(q / (C * n));
    return i * n + (q % n);
  });
  const ib = Uint32Array.from({ length: R * C * n }, (_, q) => {
    const j = Math.floor(q / n) % C;
    return j * n + (q % n);
  });
  // Each count is at most n.
  const counts = A.gather(ia)
    .dotGroups(B.gather(ib), n, 0)
    .withBound(signedBits(BigInt(n)));
  return counts.toInt().reshape([R, C]);
}
