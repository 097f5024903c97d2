/**
 * Replicated 2-out-of-3 sharing over Z_2^64 (Araki, Furukawa, Lindell, Nof,
 * Ohara, CCS 2016, section 2.1): x = x_0 + x_1 + x_2 and party i holds the
 * pair (x_i, x_{i+1 mod 3}). Any one party's pair is uniform and independent
 * of x; any two parties together hold all three components.
 */
import * as ring from '../arith/ring64.js';
import * as additive from './additive.js';

/** Party i's share: components i and i+1 (mod 3). */
export interface RepShare {
  readonly a: BigUint64Array;
  readonly b: BigUint64Array;
}

export function share(x: BigUint64Array, random: (len: number) => BigUint64Array): RepShare[] {
  const c = additive.share(x, 3, random);
  return [0, 1, 2].map((i) => ({ a: c[i]!, b: c[(i + 1) % 3]! }));
}

/**
 * Reconstructs from the shares of any two parties (or all three).
 * @throws {RangeError} when fewer than two shares are given or two disagree.
 */
export function reconstruct(shares: ReadonlyArray<RepShare | undefined>): BigUint64Array {
  const comp: Array<BigUint64Array | undefined> = [undefined, undefined, undefined];
  shares.forEach((s, i) => {
    if (!s) return;
    for (const [k, v] of [
      [i, s.a],
      [(i + 1) % 3, s.b],
    ] as const) {
      const seen = comp[k];
      if (seen && seen.some((w, j) => w !== v[j])) {
        throw new RangeError(`replicated.reconstruct: inconsistent copies of component ${k}`);
      }
      comp[k] = v;
    }
  });
  if (comp.some((c) => c === undefined)) {
    throw new RangeError('replicated.reconstruct: need the shares of at least two parties');
  }
  return ring.add(ring.add(comp[0]!, comp[1]!), comp[2]!);
}

/** Local linear operations act componentwise. */
export function add(x: RepShare, y: RepShare): RepShare {
  return { a: ring.add(x.a, y.a), b: ring.add(x.b, y.b) };
}
export function sub(x: RepShare, y: RepShare): RepShare {
  return { a: ring.sub(x.a, y.a), b: ring.sub(x.b, y.b) };
}
export function mulScalar(x: RepShare, c: bigint): RepShare {
  return { a: ring.mulScalar(x.a, c), b: ring.mulScalar(x.b, c) };
}
/** Adds a public constant: only component 0 changes, held by parties 0 and 2. */
export function addPublic(x: RepShare, c: BigUint64Array, party: number): RepShare {
  if (party === 0) return { a: ring.add(x.a, c), b: x.b };
  if (party === 2) return { a: x.a, b: ring.add(x.b, c) };
  return x;
}
