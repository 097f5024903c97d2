/**
 * What the statistics share: column and mask checks, per-group row weights
 * and the sufficient statistics (counts, sums, sums of squares and cross
 * products) from which every moment-based statistic is computed.
 *
 * Sums are exact: each column is an integer or a fixed-point encoding, and
 * sums of encodings (and of their products) are integers. Only when a sum of
 * squares could exceed what the 63-bit arithmetic holds are the values first
 * rounded to fewer fractional (or, for very wide types, integer) bits; see
 * `secondMomentShift`.
 */
import { SecretBool, SecretFixed, SecretInt } from '../../api/secret.js';
import { Fx, log2ceil } from './fx.js';

/** A numeric column: one value per row. */
export type Column = SecretInt | SecretFixed;

/** Fractional bits of fixed-point results unless a function says otherwise. */
export const DEFAULT_FRAC = 20;

export interface RowOptions {
  /** Row filter: 1 = the row takes part. Default: every row. */
  where?: SecretBool;
}

export interface ResultOptions extends RowOptions {
  /** Fractional bits of fixed-point results (default 20, so about 1e-6 resolution). */
  frac?: number;
}

/** Checks that `x` is a secret numeric vector; returns its length. */
export function checkColumn(op: string, x: unknown, name = 'column'): number {
  if (!(x instanceof SecretInt) && !(x instanceof SecretFixed)) {
    throw new TypeError(`${op}: ${name} must be a SecretInt or SecretFixed vector`);
  }
  if (x.shape.length !== 1) {
    throw new RangeError(`${op}: ${name} must be a vector, got shape [${x.shape.join(', ')}]`);
  }
  return x.length;
}

/** Checks a row mask or group indicator against the row count. */
export function checkBool(op: string, b: unknown, n: number, name: string): void {
  if (!(b instanceof SecretBool)) throw new TypeError(`${op}: ${name} must be a SecretBool vector`);
  if (b.length !== n)
    throw new RangeError(`${op}: ${name} has ${b.length} elements, the columns ${n}`);
}

/** Checks that several columns have the same length; returns it. */
export function checkColumns(
  op: string,
  xs: readonly unknown[],
  names?: readonly string[],
): number {
  if (xs.length === 0) throw new RangeError(`${op}: no columns`);
  const n = checkColumn(op, xs[0], names?.[0]);
  xs.forEach((x, i) => {
    const m = checkColumn(op, x, names?.[i] ?? `column ${i}`);
    if (m !== n)
      throw new RangeError(
        `${op}: ${names?.[i] ?? `column ${i}`} has ${m} rows, ${names?.[0] ?? 'column 0'} has ${n}`,
      );
  });
  return n;
}

export function resultFrac(op: string, frac: number | undefined): number {
  const f = frac ?? DEFAULT_FRAC;
  if (!Number.isInteger(f) || f < 1 || f > 40)
    throw new RangeError(`${op}: frac must be an integer in 1..40, got ${f}`);
  return f;
}

/**
 * Row weights for G groups, laid out group-major (G x N): w[g N + i] = 1 when
 * row i is in group g and passes the filter. Groups default to one group of
 * all rows. Costs one multiplication per group and row when both a filter
 * and groups are given, nothing otherwise.
 */
export function groupWeights(
  op: string,
  n: number,
  where: SecretBool | undefined,
  groups: readonly SecretBool[] | undefined,
  session: Fx['session'],
): { w: Fx; G: number } {
  if (where) checkBool(op, where, n, 'where');
  groups?.forEach((g, i) => checkBool(op, g, n, `group ${i}`));
  if (!groups || groups.length === 0) {
    const w = where ? Fx.of(where) : Fx.constant(session, new Array<number>(n).fill(1), 0);
    return { w, G: 1 };
  }
  const H = Fx.concat(groups.map((g) => Fx.of(g)));
  if (!where) return { w: H, G: groups.length };
  return { w: Fx.of(where).tile(groups.length).mulBit(H), G: groups.length };
}

/** Sufficient statistics of one column per group (all vectors of length G). */
export interface Moments {
  /** Rows per group (integers). */
  n: Fx;
  /** Sum of x per group, exact, at x's scale. */
  s: Fx;
  /** Sum of x' per group and of x'^2 (x' = x rounded as `secondMomentShift` says), exact. */
  s2?: Fx;
  q?: Fx;
  /** The rounded column x' (frac and bound) used for s2 and q. */
  xr?: Fx;
  /** The column and the G x N row weights (for the centred refinement of the variance). */
  x?: Fx;
  w?: Fx;
}

/**
 * How many low bits to drop from a column of `bound` bits over `rows` rows
 * so that n Q - S^2 (the exact numerator of the variance) fits in 63 bits:
 * 2 b' + 2 ceil(log2(rows + 1)) <= 63 for the rounded bound b'.
 */
export function secondMomentShift(bound: number, rows: number): number {
  const lg = log2ceil(rows + 1);
  const maxB = Math.floor((63 - 2 * lg) / 2);
  return bound <= maxB ? 0 : bound - maxB + 1;
}

/**
 * Counts, sums and (if `second`) sums of squares per group. One round for
 * the sums (inner products with the weights), one more for squares.
 */
export function moments(x: Fx, w: Fx, G: number, second: boolean, rowsHint?: number): Moments {
  const N = x.length;
  const n = w.sumGroups(N);
  const s = w.dotGroups(x.tile(G), N, x.frac);
  if (!second) return { n, s };
  const r = secondMomentShift(x.bound, rowsHint ?? N);
  const xr = r > 0 ? x.rescale(x.frac - r) : x;
  const sq = xr.mul(xr, 2 * xr.frac);
  const s2 = r > 0 ? w.dotGroups(xr.tile(G), N, xr.frac) : s;
  const q = w.dotGroups(sq.tile(G), N, sq.frac);
  return { n, s, s2, q, xr, x, w };
}

/** The exact numerator n Q - S^2 of the variance (>= 0), at scale 2 frac(x'). */
export function varianceNumerator(m: Moments): Fx {
  const nq = m.n.mul(m.q!, m.q!.frac);
  const ss = m.s2!.mul(m.s2!, 2 * m.s2!.frac);
  return nq.sub(ss);
}
