/**
 * Ballot encryption (ElectionGuard 2.0, §3.3 and §3.4): every selection is
 * encrypted with a nonce derived from one secret ballot nonce, proved to hold
 * 0..optionLimit (a disjunctive Chaum-Pedersen proof), and every contest's
 * selections together are proved to hold 0..selectionLimit (the same proof on
 * their homomorphic sum). A cumulative contest's allocations are proved in
 * range bit by bit and their total exact instead (./cumulative.ts). The
 * ballot's confirmation code hashes its
 * ciphertexts and the previous code of the same device, so a device's codes
 * form a chain that no ballot can later be added to, dropped from, or
 * reordered in without the codes the voters took home ceasing to match.
 *
 * A ballot is then cast or spoiled. A spoiled ballot's nonce is published
 * beside its choices, so that anyone (the voter first) can re-encrypt the
 * choices and see that the device encrypted what the voter chose: Benaloh's
 * challenge ("Simple verifiable elections", EVT 2006). The device commits to
 * the ballot (its code) before it learns whether it will be challenged.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { encryptWith, sum, type Ciphertext } from '../he/elgamal/elgamal.js';
import { mod } from '../he/elgamal/group.js';
import { hashToBytes, hashToScalar } from '../he/elgamal/hash.js';
import { proveRange, type ChaumPedersenProof, type RangeProof } from '../he/elgamal/proofs.js';
import type { CryptoProvider } from '../random/provider.js';
import { allocationNonce, encryptAllocation, proveTotal, type EncryptedBit } from './cumulative.js';
import type { Election } from './election.js';
import type { Contest, Manifest } from './manifest.js';

/** A voter's choices: votes per selection per contest (absent: 0). */
export type Choices = Readonly<Record<string, Readonly<Record<string, number>>>>;

export interface EncryptedSelection {
  readonly id: string;
  readonly ct: Ciphertext;
  /** The selection encrypts 0..optionLimit (the contests without a kind). */
  readonly proof?: RangeProof;
  /** A cumulative contest's allocation: its bits, whose weighted sum is `ct` (./cumulative.ts). */
  readonly bits?: readonly EncryptedBit[];
}

export interface EncryptedContest {
  readonly id: string;
  readonly selections: readonly EncryptedSelection[];
  /** The contest's selections sum to 0..selectionLimit (the contests without a kind). */
  readonly proof?: RangeProof;
  /** A cumulative contest's selections sum to exactly its points. */
  readonly total?: ChaumPedersenProof;
}

export type BallotState = 'cast' | 'spoiled';

export interface EncryptedBallot {
  readonly id: string;
  readonly device: string;
  readonly previousCode: string;
  readonly code: string;
  readonly contests: readonly EncryptedContest[];
  state?: BallotState;
  /** Only for a spoiled ballot: what was encrypted, and the nonce that proves it. */
  spoiled?: { readonly nonceSeed: string; readonly choices: Choices };
}

/** The contexts of the two kinds of range proof. */
export const selectionContext = (hE: string, contest: string, selection: string) => [
  hE,
  'selection',
  contest,
  selection,
];
export const contestContext = (hE: string, contest: string) => [hE, 'contest', contest];

/** The nonce of one selection, derived from the ballot's secret nonce seed. */
export function selectionNonce(
  hE: string,
  seed: string,
  ballot: string,
  contest: string,
  selection: string,
) {
  return hashToScalar('entente/vote/nonce', hE, seed, ballot, contest, selection);
}

/** χ: a contest's ciphertexts, in manifest order. */
export function contestHash(
  hE: string,
  c: { id: string; selections: readonly { id: string; ct: Ciphertext }[] },
) {
  const parts: (string | Ciphertext['alpha'])[] = [hE, c.id];
  for (const s of c.selections) parts.push(s.id, s.ct.alpha, s.ct.beta);
  return hashToBytes('entente/vote/contest', ...parts);
}

/** A ballot's confirmation code: its contests' hashes chained to the device's previous code. */
export function confirmationCode(
  hE: string,
  b: { id: string; device: string; previousCode: string; contests: readonly EncryptedContest[] },
): string {
  return bytesToHex(
    hashToBytes(
      'entente/vote/code',
      hE,
      b.previousCode,
      b.id,
      b.device,
      ...b.contests.map((c) => contestHash(hE, c)),
    ),
  );
}

/** The code a device's chain starts from, and the one that closes it. */
export const chainStart = (hE: string, device: string) =>
  bytesToHex(hashToBytes('entente/vote/device-start', hE, device));
export const chainClose = (hE: string, device: string, last: string) =>
  bytesToHex(hashToBytes('entente/vote/device-close', hE, device, last));

/**
 * @throws {RangeError} naming the contest or selection if the choices do not
 *   fit the manifest (an unknown id, a vote over a limit).
 */
export function checkChoices(manifest: Manifest, choices: Choices, where = 'ballot'): void {
  for (const cid of Object.keys(choices)) {
    const contest = manifest.contests.find((c) => c.id === cid);
    if (!contest) throw new RangeError(`${where}: unknown contest '${cid}'`);
    let total = 0;
    for (const [sid, v] of Object.entries(choices[cid]!)) {
      if (!contest.selections.some((s) => s.id === sid))
        throw new RangeError(`${where}: contest '${cid}' has no selection '${sid}'`);
      if (!Number.isInteger(v) || v < 0 || v > contest.optionLimit)
        throw new RangeError(
          `${where}: contest '${cid}' selection '${sid}': ${v} is outside 0..${contest.optionLimit}`,
        );
      total += v;
    }
    if (total > contest.selectionLimit)
      throw new RangeError(
        `${where}: contest '${cid}' has ${total} votes, its limit is ${contest.selectionLimit}`,
      );
  }
  for (const c of manifest.contests)
    if (c.kind === 'cumulative') {
      const total = Object.values(choices[c.id] ?? {}).reduce((a, b) => a + b, 0);
      if (total !== c.points)
        throw new RangeError(
          `${where}: contest '${c.id}' gives ${total} points, it must give exactly ${c.points}`,
        );
    }
}

function encryptCumulative(
  election: Election,
  contest: Contest,
  votes: Readonly<Record<string, number>>,
  ballotId: string,
  seed: string,
  crypto: CryptoProvider,
): EncryptedContest {
  const hE = election.hashes.extendedBase;
  const nonces: bigint[] = [];
  let total = 0;
  const selections = contest.selections.map((s) => {
    const v = votes[s.id] ?? 0;
    total += v;
    const a = encryptAllocation(election.key, hE, contest, s.id, v, seed, ballotId, crypto);
    nonces.push(a.nonce);
    return { id: s.id, ct: a.ct, bits: a.bits };
  });
  const cts = selections.map((s) => s.ct);
  return {
    id: contest.id,
    selections,
    total: proveTotal(election.key, hE, contest, cts, nonces, total, crypto),
  };
}

function encryptContest(
  election: Election,
  contest: Contest,
  votes: Readonly<Record<string, number>>,
  ballotId: string,
  seed: string,
  crypto: CryptoProvider,
): EncryptedContest {
  if (contest.kind === 'cumulative')
    return encryptCumulative(election, contest, votes, ballotId, seed, crypto);
  const hE = election.hashes.extendedBase;
  const key = election.key;
  let nonceSum = 0n;
  let total = 0;
  const selections = contest.selections.map((s) => {
    const v = votes[s.id] ?? 0;
    const r = selectionNonce(hE, seed, ballotId, contest.id, s.id);
    const ct = encryptWith(key, v, r);
    nonceSum += r;
    total += v;
    return {
      id: s.id,
      ct,
      proof: proveRange(
        ct,
        r,
        v,
        contest.optionLimit,
        key,
        selectionContext(hE, contest.id, s.id),
        crypto,
      ),
    };
  });
  const agg = sum(selections.map((s) => s.ct));
  return {
    id: contest.id,
    selections,
    proof: proveRange(
      agg,
      mod(nonceSum),
      total,
      contest.selectionLimit,
      key,
      contestContext(hE, contest.id),
      crypto,
    ),
  };
}

/** One voting device: it encrypts ballots and chains their confirmation codes. */
export class Device {
  private last: string;
  /** Each ballot's secret nonce seed until it is cast (then forgotten) or spoiled (then published). */
  private readonly seeds = new Map<string, { seed: string; choices: Choices }>();

  constructor(
    readonly election: Election,
    readonly id: string,
    private readonly crypto: CryptoProvider,
    /** The code of the device's last ballot, to continue its chain (a new chain if absent). */
    last?: string,
  ) {
    this.last = last ?? chainStart(election.hashes.extendedBase, id);
  }

  /** Encrypts a ballot; the voter then casts or spoils it. */
  encrypt(ballotId: string, choices: Choices): EncryptedBallot {
    checkChoices(this.election.manifest, choices, `ballot '${ballotId}'`);
    const seedBytes = new Uint8Array(32);
    this.crypto.randomFill(seedBytes);
    const seed = bytesToHex(seedBytes);
    const contests = this.election.manifest.contests.map((c) =>
      encryptContest(this.election, c, choices[c.id] ?? {}, ballotId, seed, this.crypto),
    );
    const previousCode = this.last;
    const code = confirmationCode(this.election.hashes.extendedBase, {
      id: ballotId,
      device: this.id,
      previousCode,
      contests,
    });
    this.last = code;
    this.seeds.set(ballotId, { seed, choices });
    return { id: ballotId, device: this.id, previousCode, code, contests };
  }

  cast(b: EncryptedBallot): EncryptedBallot {
    this.seeds.delete(b.id);
    b.state = 'cast';
    return b;
  }

  /** Spoils a ballot: its nonce seed and choices become public, so anyone can check the encryption. */
  spoil(b: EncryptedBallot): EncryptedBallot {
    const s = this.seeds.get(b.id);
    if (!s)
      throw new Error(
        `ballot '${b.id}' was not encrypted by device '${this.id}' or is already settled`,
      );
    this.seeds.delete(b.id);
    b.state = 'spoiled';
    b.spoiled = { nonceSeed: s.seed, choices: s.choices };
    return b;
  }

  /** The code that closes this device's chain (published with the record). */
  close(): string {
    return chainClose(this.election.hashes.extendedBase, this.id, this.last);
  }
}

/** Re-encrypts a spoiled ballot's choices with its published nonce: the Benaloh check. */
export function reencryptSpoiled(
  election: Election,
  ballotId: string,
  seed: string,
  choices: Choices,
): { contest: string; selection: string; ct: Ciphertext }[] {
  const hE = election.hashes.extendedBase;
  const out: { contest: string; selection: string; ct: Ciphertext }[] = [];
  for (const c of election.manifest.contests)
    for (const s of c.selections) {
      const r =
        c.kind === 'cumulative'
          ? allocationNonce(hE, seed, ballotId, c, s.id)
          : selectionNonce(hE, seed, ballotId, c.id, s.id);
      out.push({
        contest: c.id,
        selection: s.id,
        ct: encryptWith(election.key, choices[c.id]?.[s.id] ?? 0, r),
      });
    }
  return out;
}
