/**
 * Bounded discrete logarithms in ristretto255: given T = t·G with
 * 0 <= t < bound, find t by baby-step giant-step (Shanks): a table of the
 * first m multiples of G, then at most bound/m giant steps of m·G. Time and
 * memory are both about sqrt(bound) point operations; the default table
 * (2^16 entries, about 10 MB) decodes any t below 2^32 with at most 2^16
 * giant steps, and any t below 2^16 (every tally of fewer than 65,536
 * ballots) with one lookup.
 *
 * Ristretto elements have several internal (Edwards) representatives that
 * differ by a 4-torsion point; 4·P is the same for all of them (and
 * P -> 4·P is a bijection of the prime-order group), so the table is keyed by
 * the affine coordinates of 4·P, normalised in batches (one field inversion
 * per batch, Montgomery's trick) instead of the canonical encoding (one
 * inversion and one square root per element).
 */
import { FpInvertBatch } from '@noble/curves/abstract/modular.js';
import { G, RistrettoPoint, type Point } from './group.js';

const Fp = RistrettoPoint.Fp;

interface Projective {
  X: bigint;
  Y: bigint;
  Z: bigint;
}
// The Edwards representative behind a ristretto element (a protected field of
// @noble/curves' wrapper; read-only use).
const edwardsOf = (p: Point): Projective => (p as unknown as { ep: Projective }).ep;

const BATCH = 1024;

/** The affine (x, y) of each point's Edwards representative, with one inversion per batch. */
function affineBatch(points: readonly Point[]): { x: bigint; y: bigint }[] {
  const eps = points.map(edwardsOf);
  const invZ = FpInvertBatch(
    Fp,
    eps.map((e) => e.Z),
  );
  return eps.map((e, i) => ({ x: Fp.mul(e.X, invZ[i]!), y: Fp.mul(e.Y, invZ[i]!) }));
}

/** A 48-bit lookup key from an affine x coordinate (a collision is resolved by comparing y). */
const keyOf = (x: bigint) => Number(x & 0xffffffffffffn);

export class DiscreteLog {
  /** Table size m: entries 0..m-1 of j·(4G). */
  readonly m: number;
  readonly bound: number;
  private readonly table = new Map<number, { j: number; y: bigint } | { j: number; y: bigint }[]>();
  private readonly giant: Point;

  /**
   * @param bound every t to decode is below this (at most 2^53).
   * @param tableSize baby steps; default ceil(sqrt(bound)), at most 2^20.
   */
  constructor(bound: number, tableSize?: number) {
    if (!Number.isSafeInteger(bound) || bound < 1) throw new RangeError(`dlog: bad bound ${bound}`);
    this.bound = bound;
    this.m = tableSize ?? Math.min(2 ** 20, Math.max(16, Math.ceil(Math.sqrt(bound))));
    const step = G.double().double();
    let p = RistrettoPoint.ZERO;
    for (let start = 0; start < this.m; start += BATCH) {
      const pts: Point[] = [];
      for (let j = start; j < Math.min(this.m, start + BATCH); j++) {
        pts.push(p);
        p = p.add(step);
      }
      // The identity has Z = 1 (never zero), so the batch inversion is safe.
      affineBatch(pts).forEach((a, k) => this.insert(keyOf(a.x), start + k, a.y));
    }
    this.giant = step.multiply(BigInt(this.m)).negate();
  }

  private insert(key: number, j: number, y: bigint): void {
    const prev = this.table.get(key);
    if (prev === undefined) this.table.set(key, { j, y });
    else if (Array.isArray(prev)) prev.push({ j, y });
    else this.table.set(key, [prev, { j, y }]);
  }

  private find(x: bigint, y: bigint): number | undefined {
    const e = this.table.get(keyOf(x));
    if (e === undefined) return undefined;
    for (const c of Array.isArray(e) ? e : [e]) if (c.y === y) return c.j;
    return undefined;
  }

  /**
   * t with T = t·G and 0 <= t < bound.
   * @throws {RangeError} if there is none (the value is out of range, or T is not a count).
   */
  solve(T: Point): number {
    let cur = T.double().double();
    const steps = Math.ceil(this.bound / this.m);
    for (let i0 = 0; i0 < steps; i0 += 64) {
      const pts: Point[] = [];
      for (let i = i0; i < Math.min(steps, i0 + 64); i++) {
        pts.push(cur);
        cur = cur.add(this.giant);
      }
      const aff = affineBatch(pts);
      for (let k = 0; k < aff.length; k++) {
        const j = this.find(aff[k]!.x, aff[k]!.y);
        if (j !== undefined) {
          const t = (i0 + k) * this.m + j;
          if (t < this.bound) return t;
        }
      }
    }
    throw new RangeError(`dlog: no value below ${this.bound} (not a small count)`);
  }
}

let shared: DiscreteLog | undefined;
/** A table for values below 2^32, built on first use and kept. */
export function discreteLog32(): DiscreteLog {
  shared ??= new DiscreteLog(2 ** 32, 2 ** 16);
  return shared;
}
