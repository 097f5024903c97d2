/**
 * Distributed key generation among n guardians with threshold t: Pedersen's
 * protocol ("A threshold cryptosystem without a trusted party", Eurocrypt
 * 1991) with complaints, as ElectionGuard 2.0's key ceremony (§3.2) runs it.
 *
 * 1. Each guardian i picks a secret polynomial P_i of degree t-1 and publishes
 *    its coefficients' commitments K_i,j = a_i,j·G, each with a Schnorr proof
 *    of knowledge, and a separate communication key for receiving shares.
 * 2. Guardian i sends guardian l the share P_i(l), encrypted to l's
 *    communication key (hashed ElGamal with a MAC).
 * 3. Guardian l checks P_i(l)·G = Σ_j l^j·K_i,j. A share that fails (or does
 *    not decrypt) draws a public complaint; guardian i answers by revealing
 *    that share in the clear; anyone checks it. A dealer whose answer is
 *    missing or also fails is disqualified, and its polynomial is left out.
 *
 * The election key is K = Σ_{i qualified} K_i,0; guardian l's share of its
 * secret is z_l = Σ_{i qualified} P_i(l), and the matching public share
 * z_l·G = Σ_i Σ_j l^j·K_i,j is computable by anyone, which is what a
 * decryption share is checked against (./threshold.ts). Any t shares
 * determine the secret; fewer reveal nothing about it.
 *
 * Known limitation of Pedersen's DKG (Gennaro, Jarecki, Krawczyk and Rabin,
 * 1999): a dishonest guardian who sees the others' commitments first can bias
 * the distribution of K by choosing whom to make complain. The key stays
 * usable for ElGamal encryption (the adversary still cannot decrypt without
 * t shares); ElectionGuard 2.0 accepts the same.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import type { CryptoProvider } from '../../random/provider.js';
import {
  bytesToBigInt,
  encodeScalar,
  mod,
  mul,
  mulG,
  type Point,
  Q,
  randomNonzeroScalar,
  randomScalar,
  ZERO,
} from './group.js';
import { transcript, type Part } from './hash.js';
import { proveSchnorr, verifySchnorr, type SchnorrProof } from './proofs.js';

/** What a guardian keeps to itself. Never logged, never in an error message. */
export interface GuardianSecret {
  readonly index: number;
  readonly coefficients: readonly bigint[];
  /** The secret of the communication key (receives the other guardians' shares). */
  readonly communicationSecret: bigint;
}

/** What a guardian publishes in round 1. */
export interface GuardianPublic {
  readonly index: number;
  readonly commitments: readonly Point[];
  readonly proofs: readonly SchnorrProof[];
  readonly communicationKey: Point;
  readonly communicationProof: SchnorrProof;
}

export interface CeremonyParams {
  readonly n: number;
  readonly t: number;
  /** Binds every proof and share to one election (e.g. its base hash). */
  readonly context: readonly Part[];
}

export function checkParams(n: number, t: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new RangeError(`key ceremony: guardians must be 1..1000, got ${n}`);
  if (!Number.isInteger(t) || t < 1 || t > n)
    throw new RangeError(`key ceremony: threshold must be 1..${n}, got ${t}`);
}

function checkIndex(i: number, n: number): void {
  if (!Number.isInteger(i) || i < 1 || i > n)
    throw new RangeError(`key ceremony: guardian index must be 1..${n}, got ${i}`);
}

/** Round 1: a fresh polynomial and communication key, and their public half. */
export function newGuardian(
  index: number,
  params: CeremonyParams,
  crypto: CryptoProvider,
): { secret: GuardianSecret; public: GuardianPublic } {
  checkParams(params.n, params.t);
  checkIndex(index, params.n);
  const coefficients = Array.from({ length: params.t }, () => randomNonzeroScalar(crypto));
  const commitments = coefficients.map((a) => mulG(a));
  const proofs = coefficients.map((a, j) =>
    proveSchnorr(a, commitments[j]!, [...params.context, 'coefficient', index, j], crypto),
  );
  const communicationSecret = randomNonzeroScalar(crypto);
  const communicationKey = mulG(communicationSecret);
  const communicationProof = proveSchnorr(
    communicationSecret,
    communicationKey,
    [...params.context, 'communication', index],
    crypto,
  );
  return {
    secret: { index, coefficients, communicationSecret },
    public: { index, commitments, proofs, communicationKey, communicationProof },
  };
}

/** Why a guardian's round-1 publication is invalid, or undefined if it is valid. */
export function checkGuardianPublic(
  pub: GuardianPublic,
  params: CeremonyParams,
): string | undefined {
  if (pub.commitments.length !== params.t || pub.proofs.length !== params.t)
    return `guardian ${pub.index}: expected ${params.t} coefficient commitments and proofs, got ${pub.commitments.length} and ${pub.proofs.length}`;
  for (let j = 0; j < params.t; j++) {
    if (pub.commitments[j]!.is0()) return `guardian ${pub.index}: coefficient ${j} commits to zero`;
    if (
      !verifySchnorr(pub.commitments[j]!, pub.proofs[j]!, [
        ...params.context,
        'coefficient',
        pub.index,
        j,
      ])
    )
      return `guardian ${pub.index}: the proof of knowledge of coefficient ${j} does not verify`;
  }
  if (
    !verifySchnorr(pub.communicationKey, pub.communicationProof, [
      ...params.context,
      'communication',
      pub.index,
    ])
  )
    return `guardian ${pub.index}: the proof of knowledge of the communication key does not verify`;
  return undefined;
}

/** P(x) mod q by Horner's rule. */
export function evaluate(coefficients: readonly bigint[], x: number): bigint {
  let acc = 0n;
  for (let j = coefficients.length - 1; j >= 0; j--) acc = mod(acc * BigInt(x) + coefficients[j]!);
  return acc;
}

/** P(x)·G from the commitments: Σ_j x^j·K_j. */
export function commitmentAt(commitments: readonly Point[], x: number): Point {
  let acc = ZERO;
  let pow = 1n;
  for (const K of commitments) {
    acc = acc.add(mul(K, pow));
    pow = mod(pow * BigInt(x));
  }
  return acc;
}

/** A share P_i(l) encrypted for guardian l. */
export interface EncryptedShare {
  readonly from: number;
  readonly to: number;
  readonly ephemeral: Point;
  readonly ciphertext: Uint8Array;
  readonly mac: Uint8Array;
}

function shareKeys(ctx: readonly Part[], from: number, to: number, E: Point, S: Point) {
  const k = sha512(transcript('entente/dkg-share', [...ctx, from, to, E, S]));
  return { stream: k.subarray(0, 32), macKey: k.subarray(32) };
}

/** Round 2: guardian `secret.index` encrypts its share for `to`. */
export function encryptShare(
  secret: GuardianSecret,
  to: GuardianPublic,
  params: CeremonyParams,
  crypto: CryptoProvider,
): EncryptedShare {
  const e = randomNonzeroScalar(crypto);
  const E = mulG(e);
  const { stream, macKey } = shareKeys(
    params.context,
    secret.index,
    to.index,
    E,
    mul(to.communicationKey, e),
  );
  const plain = encodeScalar(evaluate(secret.coefficients, to.index));
  const ciphertext = plain.map((b, i) => b ^ stream[i]!);
  return {
    from: secret.index,
    to: to.index,
    ephemeral: E,
    ciphertext,
    mac: hmac(sha256, macKey, ciphertext),
  };
}

/** The share inside `enc`, or undefined if it does not decrypt (wrong key or altered). */
export function decryptShare(
  enc: EncryptedShare,
  recipient: GuardianSecret,
  params: CeremonyParams,
): bigint | undefined {
  if (enc.to !== recipient.index || enc.ciphertext.length !== 32) return undefined;
  const S = mul(enc.ephemeral, recipient.communicationSecret);
  const { stream, macKey } = shareKeys(params.context, enc.from, enc.to, enc.ephemeral, S);
  const mac = hmac(sha256, macKey, enc.ciphertext);
  let diff = mac.length ^ enc.mac.length;
  for (let i = 0; i < Math.min(mac.length, enc.mac.length); i++) diff |= mac[i]! ^ enc.mac[i]!;
  if (diff !== 0) return undefined;
  const v = bytesToBigInt(enc.ciphertext.map((b, i) => b ^ stream[i]!));
  return v < Q ? v : undefined;
}

/** Whether share·G matches the dealer's commitments at the recipient's index. */
export function checkShare(share: bigint, dealer: GuardianPublic, recipient: number): boolean {
  return mulG(share).equals(commitmentAt(dealer.commitments, recipient));
}

/** Guardian `by` complains that dealer `against` sent it a bad or unreadable share. */
export interface Complaint {
  readonly by: number;
  readonly against: number;
}

/** The dealer's public answer to a complaint: the disputed share, in the clear. */
export interface ComplaintAnswer {
  readonly dealer: number;
  readonly recipient: number;
  readonly share: bigint;
}

/**
 * Round 3, at guardian `me`: the share from each dealer, or a complaint
 * against it. Shares are returned only to their owner.
 */
export function receiveShares(
  me: GuardianSecret,
  publics: readonly GuardianPublic[],
  received: readonly EncryptedShare[],
  params: CeremonyParams,
): { shares: Map<number, bigint>; complaints: Complaint[] } {
  const shares = new Map<number, bigint>();
  const complaints: Complaint[] = [];
  for (const dealer of publics) {
    if (dealer.index === me.index) {
      shares.set(me.index, evaluate(me.coefficients, me.index));
      continue;
    }
    const enc = received.find((e) => e.from === dealer.index && e.to === me.index);
    const s = enc && decryptShare(enc, me, params);
    if (s !== undefined && checkShare(s, dealer, me.index)) shares.set(dealer.index, s);
    else complaints.push({ by: me.index, against: dealer.index });
  }
  return { shares, complaints };
}

/** A dealer's answers to the complaints against it: the disputed shares revealed. */
export function answerComplaints(
  secret: GuardianSecret,
  complaints: readonly Complaint[],
): ComplaintAnswer[] {
  return complaints
    .filter((c) => c.against === secret.index)
    .map((c) => ({
      dealer: secret.index,
      recipient: c.by,
      share: evaluate(secret.coefficients, c.by),
    }));
}

export interface CeremonyOutcome {
  /** Dealers whose polynomials make up the key, ascending. */
  readonly qualified: readonly number[];
  readonly disqualified: readonly { index: number; reason: string }[];
}

/**
 * Which dealers are qualified, from the public transcript alone: a dealer is
 * out if its round-1 publication is invalid, or a complaint against it went
 * unanswered or was answered with a share that fails the commitment check.
 */
export function resolveCeremony(
  publics: readonly GuardianPublic[],
  complaints: readonly Complaint[],
  answers: readonly ComplaintAnswer[],
  params: CeremonyParams,
): CeremonyOutcome {
  const disqualified: { index: number; reason: string }[] = [];
  for (const pub of publics) {
    const bad = checkGuardianPublic(pub, params);
    if (bad) {
      disqualified.push({ index: pub.index, reason: bad });
      continue;
    }
    for (const c of complaints.filter((c) => c.against === pub.index)) {
      const a = answers.find((x) => x.dealer === pub.index && x.recipient === c.by);
      if (!a) {
        disqualified.push({
          index: pub.index,
          reason: `did not answer the complaint of guardian ${c.by}`,
        });
        break;
      }
      if (!checkShare(a.share, pub, c.by)) {
        disqualified.push({
          index: pub.index,
          reason: `its revealed share for guardian ${c.by} does not match its commitments`,
        });
        break;
      }
    }
  }
  const out = new Set(disqualified.map((d) => d.index));
  const qualified = publics
    .map((p) => p.index)
    .filter((i) => !out.has(i))
    .sort((a, b) => a - b);
  return { qualified, disqualified };
}

/** The election public key: Σ over qualified dealers of K_i,0. */
export function jointKey(publics: readonly GuardianPublic[], qualified: readonly number[]): Point {
  let K = ZERO;
  for (const i of qualified) K = K.add(publics.find((p) => p.index === i)!.commitments[0]!);
  if (K.is0()) throw new RangeError('key ceremony: the joint key is the identity');
  return K;
}

/** Guardian l's public share z_l·G = Σ_{i qualified} P_i(l)·G. */
export function publicShare(
  publics: readonly GuardianPublic[],
  qualified: readonly number[],
  l: number,
): Point {
  let acc = ZERO;
  for (const i of qualified)
    acc = acc.add(commitmentAt(publics.find((p) => p.index === i)!.commitments, l));
  return acc;
}

/**
 * Guardian l's secret share z_l, from its received shares and the answers to
 * complaints it made (a revealed share replaces the one that failed).
 * @throws {Error} if a qualified dealer's share is missing (the message names
 *   the dealer, never a value).
 */
export function secretShare(
  me: number,
  shares: ReadonlyMap<number, bigint>,
  answers: readonly ComplaintAnswer[],
  qualified: readonly number[],
): bigint {
  let z = 0n;
  for (const i of qualified) {
    const s = shares.get(i) ?? answers.find((a) => a.dealer === i && a.recipient === me)?.share;
    if (s === undefined)
      throw new Error(`key ceremony: guardian ${me} has no share from guardian ${i}`);
    z += s;
  }
  return mod(z);
}

export { randomScalar };
