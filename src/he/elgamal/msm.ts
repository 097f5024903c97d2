/**
 * Multi-scalar multiplication, Σ s_i·P_i, by Pippenger's bucket method: for
 * each c-bit window of the scalars, every point is added once into the bucket
 * of its digit, and the buckets are summed with 2·2^c additions. Digits of
 * zero are skipped, so scalars shorter than q (the 128-bit random weights of
 * batch verification) cost only their own windows. Public inputs only (not
 * constant-time): it serves verification, never secrets.
 *
 * The additions run on the Edwards points behind the ristretto255 wrappers
 * (a wrapper per addition costs about a fifth of the time); the result is
 * wrapped again at the end. Every point here is a sum of valid ristretto
 * representatives, which is a valid representative of the sum.
 */
import { RistrettoPoint, type Point, mod } from './group.js';

interface Edwards {
  add(other: Edwards): Edwards;
  double(): Edwards;
}
type Wrap = new (ep: Edwards) => Point;
const edwardsOf = (p: Point): Edwards => (p as unknown as { ep: Edwards }).ep;

export function msm(points: readonly Point[], scalars: readonly bigint[]): Point {
  if (points.length !== scalars.length) throw new RangeError('msm: lengths differ');
  const n = points.length;
  if (n === 0) return RistrettoPoint.ZERO;
  const eps = points.map(edwardsOf);
  const zero = edwardsOf(RistrettoPoint.ZERO);
  const ks = scalars.map(mod);
  let bits = 0;
  for (const k of ks) bits = Math.max(bits, k.toString(2).length);
  const lg = Math.log2(n);
  const c = n < 32 ? 3 : Math.max(4, Math.min(16, Math.round(lg - Math.log2(lg) + 1)));
  const mask = (1n << BigInt(c)) - 1n;
  const buckets: (Edwards | undefined)[] = new Array<Edwards | undefined>(1 << c);
  let acc = zero;
  for (let w = Math.ceil(bits / c) - 1; w >= 0; w--) {
    for (let d = 0; d < c && acc !== zero; d++) acc = acc.double();
    buckets.fill(undefined);
    const shift = BigInt(w * c);
    for (let i = 0; i < n; i++) {
      const digit = Number((ks[i]! >> shift) & mask);
      if (digit === 0) continue;
      const b = buckets[digit];
      buckets[digit] = b === undefined ? eps[i]! : b.add(eps[i]!);
    }
    // Σ_d d·bucket[d] as a running sum of running sums.
    let running: Edwards | undefined;
    let windowSum: Edwards | undefined;
    for (let d = buckets.length - 1; d > 0; d--) {
      const b = buckets[d];
      if (b !== undefined) running = running === undefined ? b : running.add(b);
      if (running !== undefined)
        windowSum = windowSum === undefined ? running : windowSum.add(running);
    }
    if (windowSum !== undefined) acc = acc.add(windowSum);
  }
  return new (RistrettoPoint as unknown as Wrap)(acc);
}
