/**
 * Cumulative contests (participatory budgeting): each ballot distributes
 * exactly `points` over the selections, each allocation in 0..optionLimit.
 *
 * An allocation x is proved in range by bit decomposition: the ballot
 * carries k encrypted bits b_i, each with a 0/1 disjunctive Chaum-Pedersen
 * proof (Cramer, Damgård and Schoenmakers 1994, as for 0/1 selections), and
 * the allocation's ciphertext must equal Σ w_i·Enc(b_i), a public linear
 * relation the verifier checks on the ciphertexts themselves (no proof: the
 * allocation's nonce is Σ w_i·r_i, so an honest ciphertext equals the
 * combination exactly). The weights are 1, 2, 4, …, 2^(k-2) and a last
 * weight M - (2^(k-1) - 1) for the maximum M (k = bit length of M): every
 * choice of bits sums to 0..M, since the weights are positive and total M,
 * and every x in 0..M has one (x < 2^(k-1): x in binary with the last bit 0;
 * otherwise the last bit 1 and x - w_last in binary, which is in
 * 0..2^(k-1)-1). This is the usual reduction of an arbitrary interval to
 * bits (as in Schoenmakers, "Interval proofs revisited", 2005). For M = 100:
 * k = 7, weights 1, 2, 4, 8, 16, 32, 37; 7 bit proofs of 2 branches each
 * (28 group equations) where one disjunctive proof over 0..100 needs 101
 * branches (202 equations).
 *
 * The total is proved exact by one Chaum-Pedersen proof on the contest's
 * homomorphic sum divided by g^points (proofs.ts, proveSum). Without it the
 * bits would bound each allocation but not their sum.
 *
 * Soundness: a bit proof holds only if its ciphertext encrypts 0 or 1, the
 * combination only if the allocation is Σ w_i·b_i in 0..M (no wrap-around:
 * M ≤ 1000 is far below the group order), and the sum proof only if the
 * allocations total `points` modulo q, hence exactly, since each is in
 * 0..M and their count times M is far below q.
 */
import { encryptWith, sum, type Ciphertext, type PublicKey } from '../he/elgamal/elgamal.js';
import { mod, mul } from '../he/elgamal/group.js';
import { hashToScalar } from '../he/elgamal/hash.js';
import {
  BatchVerifier,
  proveRange,
  proveSum,
  rangeChallengesSum,
  sumChallenge,
  verifyRange,
  verifySum,
  type ChaumPedersenProof,
  type RangeProof,
} from '../he/elgamal/proofs.js';
import type { CryptoProvider } from '../random/provider.js';
import type { Contest } from './manifest.js';

export interface EncryptedBit {
  readonly ct: Ciphertext;
  /** The bit is 0 or 1 (a range proof with limit 1). */
  readonly proof: RangeProof;
}

/** The weights of an allocation's bits for the maximum `max` (see the module comment). */
export function allocationWeights(max: number): number[] {
  if (!Number.isInteger(max) || max < 1)
    throw new RangeError(`allocation maximum ${max}: expected ≥ 1`);
  const k = Math.floor(Math.log2(max)) + 1;
  const w: number[] = [];
  for (let i = 0; i < k - 1; i++) w.push(2 ** i);
  w.push(max - (2 ** (k - 1) - 1));
  return w;
}

/** The bits of x in 0..max for allocationWeights(max). */
export function allocationBits(x: number, max: number): number[] {
  const w = allocationWeights(max);
  const k = w.length;
  const low = 2 ** (k - 1) - 1;
  const top = x > low ? 1 : 0;
  const rest = x - top * w[k - 1]!;
  const bits = Array.from({ length: k - 1 }, (_, i) => (rest >> i) & 1);
  bits.push(top);
  return bits;
}

export const bitContext = (hE: string, contest: string, selection: string, bit: number) => [
  hE,
  'bit',
  contest,
  selection,
  bit,
];
export const totalContext = (hE: string, contest: string) => [hE, 'contest-total', contest];

/** The nonce of one bit, derived from the ballot's secret nonce seed. */
export function bitNonce(
  hE: string,
  seed: string,
  ballot: string,
  contest: string,
  selection: string,
  bit: number,
): bigint {
  return hashToScalar('entente/vote/bit-nonce', hE, seed, ballot, contest, selection, bit);
}

/** The allocation's nonce: Σ w_i·r_i, so that its ciphertext is the bits' weighted sum. */
export function allocationNonce(
  hE: string,
  seed: string,
  ballot: string,
  contest: Contest,
  selection: string,
): bigint {
  let r = 0n;
  allocationWeights(contest.optionLimit).forEach((w, i) => {
    r += BigInt(w) * bitNonce(hE, seed, ballot, contest.id, selection, i);
  });
  return mod(r);
}

/** Encrypts one allocation with its bits and their proofs. */
export function encryptAllocation(
  key: PublicKey,
  hE: string,
  contest: Contest,
  selection: string,
  value: number,
  seed: string,
  ballot: string,
  crypto: CryptoProvider,
): { ct: Ciphertext; nonce: bigint; bits: EncryptedBit[] } {
  const bits = allocationBits(value, contest.optionLimit).map((b, i) => {
    const r = bitNonce(hE, seed, ballot, contest.id, selection, i);
    const ct = encryptWith(key, b, r);
    return {
      ct,
      proof: proveRange(ct, r, b, 1, key, bitContext(hE, contest.id, selection, i), crypto),
    };
  });
  const nonce = allocationNonce(hE, seed, ballot, contest, selection);
  return { ct: encryptWith(key, value, nonce), nonce, bits };
}

/** The proof that a cumulative contest's allocations total exactly `points`. */
export function proveTotal(
  key: PublicKey,
  hE: string,
  contest: Contest,
  cts: readonly Ciphertext[],
  nonces: readonly bigint[],
  total: number,
  crypto: CryptoProvider,
): ChaumPedersenProof {
  const r = mod(nonces.reduce((a, b) => a + b, 0n));
  return proveSum(
    sum(cts),
    r,
    total,
    contest.selectionLimit,
    key,
    totalContext(hE, contest.id),
    crypto,
  );
}

/** Σ w_i·bits_i, the ciphertext an allocation must equal. */
export function combineBits(bits: readonly EncryptedBit[], weights: readonly number[]): Ciphertext {
  return sum(
    bits.map((b, i) => ({
      alpha: mul(b.ct.alpha, BigInt(weights[i]!)),
      beta: mul(b.ct.beta, BigInt(weights[i]!)),
    })),
  );
}

function batchHolds(
  key: PublicKey,
  hE: string,
  contest: Contest,
  c: CumulativeContestPart,
  weights: readonly number[],
  crypto: CryptoProvider,
): boolean {
  const batch = new BatchVerifier(crypto);
  const w = weights.map(BigInt);
  for (const s of c.selections) {
    const bits = s.bits!;
    for (const [i, b] of bits.entries()) {
      const ctx = bitContext(hE, contest.id, s.id, i);
      if (b.proof.branches.length !== 2 || !rangeChallengesSum(b.ct, b.proof, key, ctx))
        return false;
      batch.addRange(b.ct, b.proof, key);
    }
    batch.addCombination(
      s.ct,
      bits.map((b) => b.ct),
      w,
    );
  }
  const parts = c.selections.map((s) => s.ct);
  const ctx = totalContext(hE, contest.id);
  const ch = sumChallenge(sum(parts), contest.selectionLimit, c.total!, key, ctx);
  batch.addSum(parts, contest.selectionLimit, c.total!, ch, key);
  return batch.check();
}

/** An allocation's or a contest's encrypted part, as the checks below see it. */
interface CumulativeContestPart {
  readonly id: string;
  readonly selections: readonly {
    readonly id: string;
    readonly ct: Ciphertext;
    readonly bits?: readonly EncryptedBit[];
  }[];
  readonly total?: ChaumPedersenProof;
}

/**
 * Checks a cumulative contest's proofs (the ballot box): all of them in one
 * batch (proofs.ts, BatchVerifier) when `crypto` is given, and one by one if
 * the batch fails or without it, to name the first that fails.
 * @returns what fails, as `selection 'x': …` or `…` for the contest, or undefined.
 */
export function checkCumulative(
  key: PublicKey,
  hE: string,
  contest: Contest,
  c: CumulativeContestPart,
  crypto?: CryptoProvider,
): string | undefined {
  const weights = allocationWeights(contest.optionLimit);
  for (const s of c.selections)
    if (!s.bits || s.bits.length !== weights.length)
      return `selection '${s.id}': expected ${weights.length} encrypted bits`;
  if (crypto && c.total && batchHolds(key, hE, contest, c, weights, crypto)) return undefined;
  for (const s of c.selections) {
    if (!s.bits) continue;
    for (const [i, b] of s.bits.entries())
      if (!verifyRange(b.ct, b.proof, 1, key, bitContext(hE, contest.id, s.id, i)))
        return `selection '${s.id}': the proof that bit ${i} encrypts 0 or 1 does not verify`;
    const comb = combineBits(s.bits, weights);
    if (!comb.alpha.equals(s.ct.alpha) || !comb.beta.equals(s.ct.beta))
      return `selection '${s.id}': its ciphertext is not the weighted sum of its bits (the proof that it encrypts 0..${contest.optionLimit} fails)`;
  }
  if (!c.total) return 'no proof of its total';
  if (
    !verifySum(
      sum(c.selections.map((s) => s.ct)),
      contest.selectionLimit,
      c.total,
      key,
      totalContext(hE, contest.id),
    )
  )
    return `the proof that its allocations total exactly ${contest.selectionLimit} points does not verify`;
  return undefined;
}
