/**
 * Shamir sharing over F_p, p = 2^127 - 1 (Shamir 1979). Party i (0-based)
 * holds f(i + 1) for a random polynomial f of degree t with f(0) = x; any
 * t + 1 shares determine x, any t are uniform and independent of x.
 *
 * Lagrange coefficients are cached: protocols reconstruct from the same
 * party sets over and over. For the consecutive points 1..k interpolated at
 * 0 they are the small integers (-1)^(i) C(k, i+1), which the field kernels
 * apply with 32-bit multiplications.
 */
import * as F from '../arith/field127.js';

/** Evaluation point of party i. */
export function point(i: number): bigint {
  return BigInt(i + 1);
}

/** [1, x, x^2, ..., x^d] mod p. */
export function powers(x: bigint, d: number): bigint[] {
  const out = [1n];
  for (let k = 1; k <= d; k++) out.push(F.reduce(out[k - 1]! * x));
  return out;
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
  if (!Number.isInteger(t) || !Number.isInteger(n) || t < 0 || t >= n) {
    throw new RangeError(`shamir.share: expected 0 <= t < n, got t=${t}, n=${n}`);
  }
  const len = F.length(x);
  // f(X) = x + c_1 X + ... + c_t X^t, so f(j) = sum_d c_d j^d: one linear combination per party.
  const coeffs = [x, ...Array.from({ length: t }, () => random(len))];
  return Array.from({ length: n }, (_, i) => F.linearCombination(coeffs, smallPowers(point(i), t)));
}

/** Powers of a small evaluation point as plain integers (not reduced), so they stay small. */
function smallPowers(x: bigint, d: number): bigint[] {
  const out = [1n];
  for (let k = 1; k <= d; k++) out.push(out[k - 1]! * x);
  return out;
}

const lagrangeCache = new Map<string, bigint[]>();

/**
 * Lagrange coefficients lambda_i with f(at) = sum_i lambda_i f(x_i) for the
 * given party indices, for any polynomial of degree < indices.length.
 * Coefficients that are small integers are returned as signed integers (not
 * reduced mod p), which keeps them cheap to apply.
 * @throws {RangeError} for repeated indices.
 */
export function lagrange(indices: readonly number[], at = 0n): bigint[] {
  return lagrangeAtPoints(
    indices.map((i) => point(i)),
    at,
  );
}

/**
 * Lagrange coefficients for arbitrary distinct evaluation points xs:
 * f(at) = sum_i lambda_i f(xs[i]) for deg f < xs.length.
 * @throws {RangeError} for repeated points.
 */
export function lagrangeAtPoints(xs: readonly bigint[], at = 0n): bigint[] {
  const key = `${xs.join(',')}@${at}`;
  const hit = lagrangeCache.get(key);
  if (hit) return hit;
  if (new Set(xs.map((x) => F.reduce(x))).size !== xs.length) {
    throw new RangeError('shamir.lagrange: evaluation points must be distinct');
  }
  const out = xs.map((xi) => {
    // lambda_i = prod_{j != i} (at - x_j) / (x_i - x_j), exact over the rationals first.
    let num = 1n;
    let den = 1n;
    for (const xj of xs) {
      if (xj === xi) continue;
      num *= at - xj;
      den *= xi - xj;
    }
    if (num % den === 0n) {
      const q = num / den;
      if (q > -(1n << 31n) && q < 1n << 31n) return q;
    }
    return F.reduce(F.reduce(num) * F.inv(den));
  });
  if (lagrangeCache.size >= 4096) lagrangeCache.clear();
  lagrangeCache.set(key, out);
  return out;
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
