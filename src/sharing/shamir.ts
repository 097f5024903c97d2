/**
 * Shamir sharing over F_p, p = 2^127 - 1 (Shamir 1979). Party i (0-based)
 * holds f(i + 1) for a random polynomial f of degree t with f(0) = x; any
 * t + 1 shares determine x, any t are uniform and independent of x.
 */
import * as F from '../arith/field127.js';

/** Evaluation point of party i. */
export function point(i: number): bigint {
  return BigInt(i + 1);
}

/**
 * Shares each element of x with a fresh degree-t polynomial.
 * `random(n)` returns n uniform field elements.
 * @throws {RangeError} unless 0 <= t < n.
 */
export function share(
  x: F.FieldVec,
  t: number,
  n: number,
  random: (n: number) => F.FieldVec,
): F.FieldVec[] {
  if (!Number.isInteger(t) || t < 0 || t >= n) {
    throw new RangeError(`shamir.share: expected 0 <= t < n, got t=${t}, n=${n}`);
  }
  const len = F.length(x);
  // f(X) = x + c_1 X + ... + c_t X^t, evaluated by Horner's rule at X = 1..n.
  const coeffs = Array.from({ length: t }, () => random(len));
  const shares: F.FieldVec[] = [];
  for (let i = 0; i < n; i++) {
    const X = point(i);
    const out = F.alloc(len);
    for (let e = 0; e < len; e++) {
      let acc = 0n;
      for (let d = t - 1; d >= 0; d--) acc = F.reduce((acc + F.get(coeffs[d]!, e)) * X);
      F.set(out, e, F.reduce(acc + F.get(x, e)));
    }
    shares.push(out);
  }
  return shares;
}

/**
 * Lagrange coefficients lambda_i with f(at) = sum_i lambda_i f(x_i) for the
 * given party indices, for any polynomial of degree < indices.length.
 */
export function lagrange(indices: readonly number[], at = 0n): bigint[] {
  return indices.map((i) => {
    const xi = point(i);
    let num = 1n;
    let den = 1n;
    for (const j of indices) {
      if (j === i) continue;
      const xj = point(j);
      num = F.reduce(num * (at - xj));
      den = F.reduce(den * (xi - xj));
    }
    return F.reduce(num * F.inv(den));
  });
}

/**
 * Reconstructs x from the shares of the listed parties (at least t + 1).
 * @throws {RangeError} when the counts do not match.
 */
export function reconstruct(shares: readonly F.FieldVec[], indices: readonly number[]): F.FieldVec {
  if (shares.length !== indices.length || shares.length === 0) {
    throw new RangeError(
      `shamir.reconstruct: ${shares.length} shares for ${indices.length} parties`,
    );
  }
  return F.linearCombination(shares, lagrange(indices));
}
