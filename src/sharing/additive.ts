/**
 * Additive n-out-of-n sharing over Z_2^64: x = x_0 + ... + x_{n-1}.
 * Any n-1 shares are uniformly random and independent of x.
 */
import * as ring from '../arith/ring64.js';

/**
 * Splits x into n additive shares, the first n-1 drawn from `random`.
 * @throws {RangeError} for n < 1.
 */
export function share(
  x: BigUint64Array,
  n: number,
  random: (len: number) => BigUint64Array,
): BigUint64Array[] {
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`additive.share: expected n >= 1, got ${n}`);
  const shares: BigUint64Array[] = [];
  let last: BigUint64Array = x.slice();
  for (let i = 0; i < n - 1; i++) {
    const r = random(x.length);
    shares.push(r);
    last = ring.sub(last, r);
  }
  shares.push(last);
  return shares;
}

/** x = sum of the shares. @throws {RangeError} for no shares or differing lengths. */
export function reconstruct(shares: readonly BigUint64Array[]): BigUint64Array {
  if (shares.length === 0) throw new RangeError('additive.reconstruct: no shares');
  let acc: BigUint64Array = shares[0]!.slice();
  for (let i = 1; i < shares.length; i++) acc = ring.add(acc, shares[i]!);
  return acc;
}
