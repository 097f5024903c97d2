/**
 * Exponential ElGamal over ristretto255: a message m is encrypted under the
 * public key K = s·G as (α, β) = (r·G, m·G + r·K). Multiplying ciphertexts
 * (here: adding the points) adds the messages, which is what a tally needs;
 * decryption yields m·G, and m is recovered by a bounded discrete logarithm
 * (./dlog.ts), so messages are small counts.
 *
 * ElectionGuard 2.0 (§3.3) encrypts m as (g^r, K^(m+r)) and decodes a
 * power of K; ours encodes m·G (as ElectionGuard 1.x did), so one
 * discrete-log table serves every election key.
 */
import type { CryptoProvider } from '../../random/provider.js';
import { G, mul, mulAddG, mulG, randomScalar, type Point, ZERO, mod } from './group.js';

export interface Ciphertext {
  readonly alpha: Point;
  readonly beta: Point;
}

/**
 * A public key with a precomputed multiplication table (10-bit windows): encryption multiplies
 * K by a fresh nonce for every ciphertext, and the table makes that about as
 * fast as a multiplication of G.
 */
export class PublicKey {
  readonly point: Point;
  constructor(point: Point) {
    if (point.is0()) throw new RangeError('ElGamal public key: the identity is not a key');
    // A fresh copy, so that the table is attached to this key's own object.
    this.point = point.add(ZERO);
    this.point.precompute(10, false);
  }
  /** r·K. */
  times(r: bigint): Point {
    return mul(this.point, r);
  }
}

/** Encrypts m (any integer; negatives wrap mod q) with nonce r. */
export function encryptWith(key: PublicKey, m: bigint | number, r: bigint): Ciphertext {
  return { alpha: mulG(r), beta: mulAddG(key.point, r, BigInt(m)) };
}

/** Encrypts m with a fresh nonce from the CSPRNG; returns the nonce beside it for proofs. */
export function encrypt(
  key: PublicKey,
  m: bigint | number,
  crypto: CryptoProvider,
): { ct: Ciphertext; nonce: bigint } {
  const nonce = randomScalar(crypto);
  return { ct: encryptWith(key, m, nonce), nonce };
}

/** m·G; small messages (0, 1) by addition rather than a scalar multiplication. */
export function messagePoint(m: bigint | number): Point {
  const k = mod(BigInt(m));
  if (k === 0n) return ZERO;
  if (k === 1n) return G;
  return mulG(k);
}

/** The encryption of the sum of the two messages (nonces add too). */
export function add(a: Ciphertext, b: Ciphertext): Ciphertext {
  return { alpha: a.alpha.add(b.alpha), beta: a.beta.add(b.beta) };
}

/** The sum of many ciphertexts; the encryption of 0 with nonce 0 for none. */
export function sum(cts: Iterable<Ciphertext>): Ciphertext {
  let alpha = ZERO;
  let beta = ZERO;
  for (const c of cts) {
    alpha = alpha.add(c.alpha);
    beta = beta.add(c.beta);
  }
  return { alpha, beta };
}

/** m·G from a ciphertext and the whole secret key s (the single-key case). */
export function decryptToPoint(ct: Ciphertext, secret: bigint): Point {
  return ct.beta.subtract(mul(ct.alpha, secret));
}

export function ciphertextEquals(a: Ciphertext, b: Ciphertext): boolean {
  return a.alpha.equals(b.alpha) && a.beta.equals(b.beta);
}
