/**
 * Moments of a column from each party's own exact sums, for analyses whose
 * records never enter MPC (a t-test whose parties each sum their own rows,
 * in JavaScript or in their SQL engine).
 *
 * The per-record path (common.ts `moments`, variance.ts) computes, per group,
 * n, the sum S of the column's encodings, and for the variance the sums of
 * rounded values x' and of x'^2 (rounded so that n Q' - S'^2 fits 63 bits),
 * plus, for a wide column, sums at finer "levels" whose numerator
 * n Q_k - S_k^2 is exact modulo the suite's ring or field wherever it fits.
 * Every one of those is a sum over records of a value each party can compute
 * alone, and that numerator is shift-invariant, so the same quantities
 * summed per party give the same candidates: the centring the per-record
 * path does before its finer levels only keeps its row products small, and
 * the pooled numerator is the same integer either way.
 *
 * The exact sums of squares do not fit one 64-bit share (a fixed(41, 16)
 * column squared over a million rows needs over 100 bits), so each party
 * enters each sum as three limbs of 42 bits, v = l0 + 2^42 l1 + 2^84 l2
 * (l0, l1 in [0, 2^42), l2 signed), and MPC recombines them locally with
 * public multiplications: the sum modulo the suite's ring (2^64) or field
 * (2^127 - 1), which is all the per-record path has too. Rounding to a level
 * is floor(x / 2^k), exact and deterministic at every party.
 *
 * Precision: the stated bounds of the per-record path (varianceErrorBound,
 * sdErrorBound) hold, since each candidate is the per-record candidate of
 * values rounded by less than one unit of the same grid.
 * Cost: 3 x (4 + 2 levels) inputs per group and party, one round of
 * products, then the per-record path's divisions and selection.
 */
import type { SecretInt } from '../../api/secret.js';
import type { Shares } from '../../suites/suite.js';
import { secondMomentShift } from './common.js';
import { Fx, log2ceil } from './fx.js';
import {
  divideWithRoom,
  levelQuotientFrac,
  pickLevel,
  variancePlan,
  type VarianceCandidates,
  type VarianceLevel,
} from './variance.js';

/** Bits per limb of an entered sum. */
export const LIMB_BITS = 42;
/** Limbs per entered sum: three hold any signed value below 2^125. */
export const LIMBS = 3;

/** What each party sums per group, for a column of `bound` bits and `frac` fractional bits. */
export interface MomentLayout {
  readonly bound: number;
  readonly frac: number;
  /** The public row count the plan is for (every party's rows). */
  readonly rows: number;
  /** Bits dropped from x before the plain second moment (0: it is exact). */
  readonly shift: number;
  readonly levels: readonly VarianceLevel[];
  /** Sums per group: n, S, S', Q', then S_k, Q_k per level. */
  readonly perGroup: number;
}

export function momentLayout(bound: number, frac: number, rows: number): MomentLayout {
  const shift = secondMomentShift(bound, rows);
  const levels = variancePlan(bound, frac, rows).levels;
  return { bound, frac, rows, shift, levels, perGroup: 4 + 2 * levels.length };
}

/**
 * Whether the exact sum S fits one share (|S| < 2^62): otherwise the
 * per-record path is needed (its sums drop low bits first).
 */
export function momentsFit(bound: number, rows: number): boolean {
  return bound + log2ceil(rows + 1) <= 62;
}

const floorShift = (x: bigint, k: number): bigint => (k === 0 ? x : x >> BigInt(k));

/**
 * One group's exact sums from its encodings (BigInt `>>` is floor division
 * by 2^k, as the SQL of the pushdown computes it).
 */
export function groupMomentSums(xs: Iterable<bigint>, layout: MomentLayout): bigint[] {
  const out = new Array<bigint>(layout.perGroup).fill(0n);
  const L = layout.levels;
  for (const x of xs) {
    out[0]! += 1n;
    out[1]! += x;
    const xr = floorShift(x, layout.shift);
    out[2]! += xr;
    out[3]! += xr * xr;
    for (let k = 0; k < L.length; k++) {
      const xk = floorShift(x, layout.frac - L[k]!.frac);
      out[4 + 2 * k]! += xk;
      out[5 + 2 * k]! += xk * xk;
    }
  }
  return out;
}

const LIMB = 1n << BigInt(LIMB_BITS);

/** Exact sums as limbs (each exactly a double), three per sum. @throws {RangeError} past 2^125. */
export function toLimbs(sums: readonly bigint[]): Float64Array {
  const out = new Float64Array(sums.length * LIMBS);
  sums.forEach((v, i) => {
    // Floor division, so the low limbs are non-negative and the top one carries the sign.
    const top = v >= 0n ? v / (LIMB * LIMB) : -((-v + LIMB * LIMB - 1n) / (LIMB * LIMB));
    const rest = v - top * LIMB * LIMB;
    if (top >= LIMB || top < -LIMB)
      throw new RangeError(`moments: a sum of ${v.toString(2).length} bits does not fit 3 limbs`);
    out[i * LIMBS] = Number(rest % LIMB);
    out[i * LIMBS + 1] = Number(rest / LIMB);
    out[i * LIMBS + 2] = Number(top);
  });
  return out;
}

/** What the t-tests start from, per group: counts, means and variances (see hypothesis.ts). */
export interface PooledMoments {
  /** Rows per group (integers). */
  readonly n: Fx;
  /** Sum per group at the column's scale, exact. */
  readonly s: Fx;
  /** S / n, as the per-record path divides it. */
  readonly mean: Fx;
  /** Sample variance per group (divisor n - 1), the finest level that fits. */
  readonly v: Fx;
  /** Its candidates before the pick (variance.ts), for the t-tests' standardisation. */
  readonly candidates: VarianceCandidates;
}

/**
 * The pooled moments of G groups from the parties' summed limbs (a SecretInt
 * of G x perGroup x LIMBS, group-major, as `toLimbs` lays them out).
 * `f`: fractional bits of the results (as ResultOptions.frac).
 */
export function pooledMoments(
  limbs: SecretInt,
  G: number,
  layout: MomentLayout,
  f: number,
): PooledMoments {
  const K = layout.perGroup;
  if (limbs.length !== G * K * LIMBS)
    throw new RangeError(`pooledMoments: expected ${G * K * LIMBS} limbs, got ${limbs.length}`);
  const suite = limbs.session.suite;
  const L = Fx.of(limbs);
  // Sum j of every group, recombined: l0 + 2^42 (l1 + 2^42 l2), modulo the ring or field.
  const pick = (sh: Shares, j: number, limb: number) =>
    suite.gather(
      sh,
      Uint32Array.from({ length: G }, (_, g) => (g * K + j) * LIMBS + limb),
    );
  const value = (j: number): Promise<Shares> =>
    L.sh.then((sh) => {
      const hi = suite.add(pick(sh, j, 1), suite.mulScalar(pick(sh, j, 2), LIMB));
      return suite.add(pick(sh, j, 0), suite.mulScalar(hi, LIMB));
    });
  const { bound, frac, rows, shift } = layout;
  const lg = log2ceil(rows + 1);
  const n = L.make(value(0), 0, lg + 1, G);
  const s = L.make(value(1), frac, bound + lg, G);
  const qm = Math.max(1, bound - 1 - frac);
  const mean = s.divide(n, { qBits: qm, frac: Math.min(40, 60 - qm) });
  const den = n.mul(n.sub(1), 0);
  // The plain estimate: x' = floor(x / 2^shift) has bound - shift bits; n Q' - S'^2 fits 63.
  const fr = frac - shift;
  const plainNum = numerator(L, n, value(2), value(3), 2 * fr, 2 * (bound - shift) + 2 * lg - 1);
  const xrIntBits = shift > 0 ? bound - frac : bound - 1 - frac;
  const qBits = Math.max(1, 2 * xrIntBits + 1);
  const v1 = plainNum.divide(den, { qBits, frac: Math.min(f + 8, 61 - qBits) }).relu();
  const levels = layout.levels.map((level, k) => {
    const num = numerator(L, n, value(4 + 2 * k), value(5 + 2 * k), 2 * level.frac, 62);
    const v = divideWithRoom(num, den, level.qBits, f, levelQuotientFrac(level.qBits, f)).relu();
    return { value: v, fits: v1.sub(level.threshold).ltz() };
  });
  const candidates = { plain: v1, levels: [...levels].reverse() };
  return { n, s, mean, v: pickLevel(candidates), candidates };
}

/** n Q - S^2 per group, in the suite's arithmetic: exact wherever the true value fits. */
function numerator(
  L: Fx,
  n: Fx,
  S: Promise<Shares>,
  Q: Promise<Shares>,
  frac: number,
  bound: number,
): Fx {
  const suite = L.suite;
  return L.make(
    Promise.all([n.sh, S, Q]).then(async ([nn, ss, qq]) => {
      const [nq, s2] = await Promise.all([suite.mul(nn, qq), suite.mul(ss, ss)]);
      return suite.sub(nq, s2);
    }),
    frac,
    bound,
    n.length,
  );
}
