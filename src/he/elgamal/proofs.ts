/**
 * Non-interactive zero-knowledge proofs over ristretto255, made
 * non-interactive by Fiat-Shamir with the domain-separated hash of ./hash.ts.
 * Every proof carries its commitments (not only its challenge), so that its
 * group equations can be checked one at a time or, many proofs at once, as
 * one random linear combination (BatchVerifier below).
 *
 * - Schnorr (1991): knowledge of a with K = a·G.
 * - Chaum-Pedersen (1992): equality of discrete logs, log_G K = log_A M; a
 *   decryption share M = s·A is correct for the share's public key K = s·G.
 * - Disjunctive Chaum-Pedersen, by Cramer, Damgård and Schoenmakers (1994),
 *   "Proofs of partial knowledge and simplified design of witness hiding
 *   protocols": an ElGamal ciphertext encrypts one of 0..R, proving the true
 *   branch and simulating the others, with the challenges summing to the hash.
 *   ElectionGuard 2.0's range proofs (§3.3.5) have this shape.
 *
 * - Exact sum: a Chaum-Pedersen proof that a ciphertext (α, β) encrypts a
 *   stated total T, i.e. that β - T·G = r·K for the r with α = r·G (the
 *   ciphertext divided by g^T is an encryption of zero). On the homomorphic
 *   sum of a cumulative contest's allocations it proves they total exactly T.
 *
 * Responses are v = u - c·x (ElectionGuard's sign convention), so each
 * verification equation reads commitment = v·Base + c·Public.
 */
import type { CryptoProvider } from '../../random/provider.js';
import type { Ciphertext, PublicKey } from './elgamal.js';
import { G, mod, mul, mulAddG, mulG, randomScalar, type Point, ZERO } from './group.js';
import { hashToScalar, type Part } from './hash.js';
import { msm } from './msm.js';

// ---------------------------------------------------------------- Schnorr

export interface SchnorrProof {
  readonly commitment: Point;
  readonly response: bigint;
}

export function proveSchnorr(
  secret: bigint,
  pub: Point,
  context: readonly Part[],
  crypto: CryptoProvider,
): SchnorrProof {
  const u = randomScalar(crypto);
  const h = mulG(u);
  const c = hashToScalar('entente/schnorr', ...context, pub, h);
  return { commitment: h, response: mod(u - c * secret) };
}

export function verifySchnorr(pub: Point, proof: SchnorrProof, context: readonly Part[]): boolean {
  const c = hashToScalar('entente/schnorr', ...context, pub, proof.commitment);
  return mulG(proof.response).add(mul(pub, c)).equals(proof.commitment);
}

// ---------------------------------------------------------------- Chaum-Pedersen

export interface ChaumPedersenProof {
  /** u·G */
  readonly a: Point;
  /** u·A */
  readonly b: Point;
  readonly response: bigint;
}

/** Proves M = s·A for the s with K = s·G. */
export function proveChaumPedersen(
  s: bigint,
  K: Point,
  A: Point,
  M: Point,
  context: readonly Part[],
  crypto: CryptoProvider,
): ChaumPedersenProof {
  const u = randomScalar(crypto);
  const a = mulG(u);
  const b = mul(A, u);
  const c = hashToScalar('entente/chaum-pedersen', ...context, K, A, M, a, b);
  return { a, b, response: mod(u - c * s) };
}

export function chaumPedersenChallenge(
  K: Point,
  A: Point,
  M: Point,
  proof: ChaumPedersenProof,
  context: readonly Part[],
): bigint {
  return hashToScalar('entente/chaum-pedersen', ...context, K, A, M, proof.a, proof.b);
}

export function verifyChaumPedersen(
  K: Point,
  A: Point,
  M: Point,
  proof: ChaumPedersenProof,
  context: readonly Part[],
): boolean {
  const c = chaumPedersenChallenge(K, A, M, proof, context);
  const v = proof.response;
  return mulG(v).add(mul(K, c)).equals(proof.a) && mul(A, v).add(mul(M, c)).equals(proof.b);
}

// ---------------------------------------------------------------- exact sum

/** The Chaum-Pedersen statement of "ct encrypts total": (K, A, M) = (α, election key, β - total·G). */
function sumStatement(ct: Ciphertext, total: bigint | number, key: PublicKey) {
  return { K: ct.alpha, A: key.point, M: ct.beta.subtract(mulG(BigInt(total))) };
}

/**
 * Proves that `ct` (made with nonce r) encrypts exactly `total`.
 * @throws {RangeError} if it does not (an honest device never asks).
 */
export function proveSum(
  ct: Ciphertext,
  r: bigint,
  value: number,
  total: number,
  key: PublicKey,
  context: readonly Part[],
  crypto: CryptoProvider,
): ChaumPedersenProof {
  if (value !== total) throw new RangeError(`sum proof: the values do not total ${total}`);
  const { K, A, M } = sumStatement(ct, total, key);
  return proveChaumPedersen(r, K, A, M, context, crypto);
}

/** The Fiat-Shamir challenge of an exact-sum proof. */
export function sumChallenge(
  ct: Ciphertext,
  total: number,
  proof: ChaumPedersenProof,
  key: PublicKey,
  context: readonly Part[],
): bigint {
  const { K, A, M } = sumStatement(ct, total, key);
  return chaumPedersenChallenge(K, A, M, proof, context);
}

/** Checks an exact-sum proof on its own. */
export function verifySum(
  ct: Ciphertext,
  total: number,
  proof: ChaumPedersenProof,
  key: PublicKey,
  context: readonly Part[],
): boolean {
  const { K, A, M } = sumStatement(ct, total, key);
  return verifyChaumPedersen(K, A, M, proof, context);
}

// ---------------------------------------------------------------- range (disjunctive CP)

export interface RangeBranch {
  /** Commitment in G. */
  readonly a: Point;
  /** Commitment in K. */
  readonly b: Point;
  readonly challenge: bigint;
  readonly response: bigint;
}

/** A proof that a ciphertext encrypts one of 0..R (R = branches.length - 1). */
export interface RangeProof {
  readonly branches: readonly RangeBranch[];
}

/**
 * Proves that `ct` (made with nonce r) encrypts `value` in 0..limit.
 * @throws {RangeError} if value is outside 0..limit (an honest device never asks).
 */
export function proveRange(
  ct: Ciphertext,
  r: bigint,
  value: number,
  limit: number,
  key: PublicKey,
  context: readonly Part[],
  crypto: CryptoProvider,
): RangeProof {
  if (!Number.isInteger(value) || value < 0 || value > limit)
    throw new RangeError(`range proof: value outside 0..${limit}`);
  const partial: { a: Point; b: Point; challenge: bigint; response: bigint }[] = [];
  const u = randomScalar(crypto);
  let others = 0n;
  for (let j = 0; j <= limit; j++) {
    if (j === value) {
      partial.push({ a: mulG(u), b: key.times(u), challenge: 0n, response: 0n });
      continue;
    }
    // Simulated branch: pick c_j, v_j and solve for the commitments. With the
    // nonce known, v·G + c·α = (v + c·r)·G and v·K + c·(β - jG) =
    // (v + c·r)·K + c·(value - j)·G: fixed-base multiplications only.
    const c = randomScalar(crypto);
    const v = randomScalar(crypto);
    const w = mod(v + c * r);
    partial.push({
      a: mulG(w),
      b: mulAddG(key.point, w, c * BigInt(value - j)),
      challenge: c,
      response: v,
    });
    others += c;
  }
  const c = rangeChallenge(ct, partial, key, context);
  const real = partial[value]!;
  real.challenge = mod(c - others);
  real.response = mod(u - real.challenge * r);
  return { branches: partial };
}

export function rangeChallenge(
  ct: Ciphertext,
  branches: readonly { a: Point; b: Point }[],
  key: PublicKey,
  context: readonly Part[],
): bigint {
  const parts: Part[] = [...context, key.point, ct.alpha, ct.beta];
  for (const br of branches) parts.push(br.a, br.b);
  return hashToScalar('entente/range', ...parts);
}

/** The challenges sum to the hash (the non-group half of a range proof's check). */
export function rangeChallengesSum(
  ct: Ciphertext,
  proof: RangeProof,
  key: PublicKey,
  context: readonly Part[],
): boolean {
  let s = 0n;
  for (const br of proof.branches) s += br.challenge;
  return mod(s) === rangeChallenge(ct, proof.branches, key, context);
}

/** Checks a range proof on its own (both halves). */
export function verifyRange(
  ct: Ciphertext,
  proof: RangeProof,
  limit: number,
  key: PublicKey,
  context: readonly Part[],
): boolean {
  if (proof.branches.length !== limit + 1) return false;
  if (!rangeChallengesSum(ct, proof, key, context)) return false;
  return proof.branches.every((br, j) => {
    const shifted = ct.beta.subtract(mulG(BigInt(j)));
    return (
      mulG(br.response).add(mul(ct.alpha, br.challenge)).equals(br.a) &&
      key.times(br.response).add(mul(shifted, br.challenge)).equals(br.b)
    );
  });
}

// ---------------------------------------------------------------- batch verification

/**
 * Checks many equations of the form Σ s_i·P_i = 0 at once: each equation is
 * weighted by a fresh random 128-bit z, and the weighted sum is computed as
 * one multi-scalar multiplication. If any equation is false, the sum is zero
 * with probability at most 2^-127 over the (odd, 128-bit) weights (Bellare, Garay and Rabin
 * 1998, "Fast batch verification for modular exponentiation and digital
 * signatures", the small-exponents test). Terms in G and in the election key
 * are collected into one coefficient each.
 *
 * The weights come from the CSPRNG: a prover who could predict them could
 * make two false equations cancel.
 */
export class BatchVerifier {
  /**
   * The coefficient of every point that is not fixed, keyed by the point
   * object: a ciphertext's α and β appear in every branch of its range proof
   * (and, through a contest's sum, in the contest's proof), and one term per
   * point instead of one per appearance makes the multi-scalar
   * multiplication about a third shorter. Sums stay unreduced until check().
   */
  private readonly terms = new Map<Point, bigint>();
  private gCoeff = 0n;
  private readonly fixed = new Map<Point, bigint>();
  private readonly buf = new Uint8Array(16 * 64);
  private bufAt = this.buf.length;
  equations = 0;

  constructor(private readonly crypto: CryptoProvider) {}

  private weight(): bigint {
    if (this.bufAt === this.buf.length) {
      this.crypto.randomFill(this.buf);
      this.bufAt = 0;
    }
    let z = 0n;
    for (let i = 0; i < 16; i++) z = (z << 8n) | BigInt(this.buf[this.bufAt++]!);
    return z | 1n;
  }

  private term(map: Map<Point, bigint>, p: Point, s: bigint): void {
    map.set(p, (map.get(p) ?? 0n) + s);
  }

  /** Adds the equation commitment = v·G + c·X. */
  private eq(commitment: Point, v: bigint, c: bigint, x: Point) {
    const z = this.weight();
    this.equations++;
    this.term(this.terms, commitment.negate(), z);
    this.gCoeff += z * v;
    this.term(this.terms, x, z * c);
  }

  /**
   * The group equations of a range proof (its challenge sum is checked apart,
   * by rangeChallengesSum): a_j = v_j·G + c_j·α, b_j = v_j·K + c_j·(β - j·G).
   *
   * `parts`, when given, are ciphertexts whose sum is `ct` (a contest's
   * selections): the terms in α and β are then put on the parts' α_i and β_i,
   * which the selections' own proofs already weight, so the sum adds no
   * point of its own. The equations are the same; only the grouping changes.
   */
  addRange(ct: Ciphertext, proof: RangeProof, key: PublicKey, parts?: readonly Ciphertext[]): void {
    const alphas = parts ? parts.map((p) => p.alpha) : [ct.alpha];
    const betas = parts ? parts.map((p) => p.beta) : [ct.beta];
    proof.branches.forEach((br, j) => {
      // a = v·G + c·α.
      let z = this.weight();
      this.equations++;
      this.term(this.terms, br.a.negate(), z);
      this.gCoeff += z * br.response;
      for (const a of alphas) this.term(this.terms, a, z * br.challenge);
      // b = v·K + c·β - c·j·G: K fixed, β variable, the G part folded in.
      z = this.weight();
      this.equations++;
      this.term(this.terms, br.b.negate(), z);
      for (const b of betas) this.term(this.terms, b, z * br.challenge);
      this.term(this.fixed, key.point, z * br.response);
      this.gCoeff -= z * br.challenge * BigInt(j);
    });
  }

  /**
   * The group equations of an exact-sum proof on Σ parts (its challenge c is
   * computed by the caller, sumChallenge): a = v·G + c·Σα_i and
   * b = v·K + c·(Σβ_i - total·G), the terms on the parts' own α_i and β_i.
   */
  addSum(
    parts: readonly Ciphertext[],
    total: number,
    proof: ChaumPedersenProof,
    c: bigint,
    key: PublicKey,
  ): void {
    let z = this.weight();
    this.equations++;
    this.term(this.terms, proof.a.negate(), z);
    this.gCoeff += z * proof.response;
    for (const p of parts) this.term(this.terms, p.alpha, z * c);
    z = this.weight();
    this.equations++;
    this.term(this.terms, proof.b.negate(), z);
    for (const p of parts) this.term(this.terms, p.beta, z * c);
    this.term(this.fixed, key.point, z * proof.response);
    this.gCoeff -= z * c * BigInt(total);
  }

  /**
   * target = Σ w_i·parts_i, componentwise (α and β): a public linear
   * relation between ciphertexts, such as an allocation's ciphertext and the
   * weighted sum of its bits' ciphertexts. Two equations, no new point when
   * the ciphertexts are already in the batch.
   */
  addCombination(
    target: Ciphertext,
    parts: readonly Ciphertext[],
    weights: readonly bigint[],
  ): void {
    for (const k of ['alpha', 'beta'] as const) {
      const z = this.weight();
      this.equations++;
      this.term(this.terms, target[k], -z);
      parts.forEach((p, i) => this.term(this.terms, p[k], z * weights[i]!));
    }
  }

  /** Schnorr: h = v·G + c·K. */
  addSchnorr(pub: Point, proof: SchnorrProof, c: bigint): void {
    this.eq(proof.commitment, proof.response, c, pub);
  }

  /** Whether every equation added holds (with error probability at most 2^-127). */
  check(): boolean {
    const pts = [G];
    const sc = [mod(this.gCoeff)];
    for (const map of [this.terms, this.fixed])
      for (const [p, s] of map) {
        pts.push(p);
        sc.push(mod(s));
      }
    return msm(pts, sc).equals(ZERO);
  }
}
