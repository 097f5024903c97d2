/**
 * Threshold decryption: each available guardian l publishes M_l = z_l·α with
 * a Chaum-Pedersen proof that log_G(z_l·G) = log_α(M_l), and any t of them
 * combine by Lagrange interpolation at 0: s·α = Σ_l w_l·M_l, so
 * m·G = β - Σ_l w_l·M_l. Guardians that are missing (up to n - t of them)
 * are compensated by the interpolation itself: the available ones' shares
 * determine the missing ones' contribution, without anyone reconstructing s.
 *
 * This is ElectionGuard 2.0's scheme (§3.6); ElectionGuard 1.x instead had
 * each available guardian publish a "compensated share" per missing guardian.
 */
import type { CryptoProvider } from '../../random/provider.js';
import type { Ciphertext } from './elgamal.js';
import { inv, mod, mul, type Point, ZERO } from './group.js';
import type { Part } from './hash.js';
import { proveChaumPedersen, verifyChaumPedersen, type ChaumPedersenProof } from './proofs.js';

export interface DecryptionShare {
  readonly guardian: number;
  /** z_l·α */
  readonly share: Point;
  readonly proof: ChaumPedersenProof;
}

/** Guardian l's share of the decryption of `ct`, with its proof. */
export function decryptionShare(
  guardian: number,
  secretShare: bigint,
  publicShare: Point,
  ct: Ciphertext,
  context: readonly Part[],
  crypto: CryptoProvider,
): DecryptionShare {
  const M = mul(ct.alpha, secretShare);
  const proof = proveChaumPedersen(
    secretShare,
    publicShare,
    ct.alpha,
    M,
    [...context, guardian],
    crypto,
  );
  return { guardian, share: M, proof };
}

export function verifyDecryptionShare(
  publicShare: Point,
  ct: Ciphertext,
  d: DecryptionShare,
  context: readonly Part[],
): boolean {
  return verifyChaumPedersen(publicShare, ct.alpha, d.share, d.proof, [...context, d.guardian]);
}

/** Lagrange coefficients at 0 for the guardian indices `set` (distinct, positive). */
export function lagrangeAtZero(set: readonly number[]): Map<number, bigint> {
  if (new Set(set).size !== set.length) throw new RangeError('lagrange: repeated guardian index');
  const w = new Map<number, bigint>();
  for (const l of set) {
    let num = 1n;
    let den = 1n;
    for (const m of set) {
      if (m === l) continue;
      num = mod(num * BigInt(m));
      den = mod(den * BigInt(m - l));
    }
    w.set(l, mod(num * inv(den)));
  }
  return w;
}

/**
 * m·G from t or more (already verified) decryption shares.
 * @throws {RangeError} if fewer than `threshold` distinct guardians contributed.
 */
export function combineShares(
  ct: Ciphertext,
  shares: readonly DecryptionShare[],
  threshold: number,
): Point {
  const set = shares.map((s) => s.guardian);
  if (new Set(set).size < threshold)
    throw new RangeError(
      `decryption: ${new Set(set).size} guardians gave shares, ${threshold} are needed`,
    );
  const w = lagrangeAtZero(set);
  let M = ZERO;
  for (const s of shares) M = M.add(mul(s.share, w.get(s.guardian)!));
  return ct.beta.subtract(M);
}
