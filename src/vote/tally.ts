/**
 * The homomorphic tally (ElectionGuard 2.0, §3.5) and its threshold
 * decryption (§3.6): the cast ballots' ciphertexts are added per selection;
 * each available guardian publishes, per selection, its decryption share with
 * a Chaum-Pedersen proof; any t shares give t·G = β - Σ w_l·M_l, and the
 * count t is found by baby-step giant-step. Spoiled ballots are never added.
 */
import { discreteLog32, type DiscreteLog } from '../he/elgamal/dlog.js';
import { sum, type Ciphertext } from '../he/elgamal/elgamal.js';
import {
  combineShares,
  decryptionShare,
  verifyDecryptionShare,
  type DecryptionShare,
} from '../he/elgamal/threshold.js';
import type { CryptoProvider } from '../random/provider.js';
import type { EncryptedBallot } from './ballot.js';
import type { Election } from './election.js';

export interface TallySelection {
  readonly id: string;
  readonly ct: Ciphertext;
}

export interface TallyContest {
  readonly id: string;
  readonly selections: readonly TallySelection[];
}

export interface DecryptedSelection extends TallySelection {
  readonly value: number;
  readonly shares: readonly DecryptionShare[];
}

export interface DecryptedTally {
  readonly contests: readonly {
    readonly id: string;
    readonly selections: readonly DecryptedSelection[];
  }[];
}

export const tallyContext = (hE: string, contest: string, selection: string) => [
  hE,
  'tally',
  contest,
  selection,
];

/** The per-selection sums of the cast ballots. */
export function accumulate(
  election: Election,
  ballots: readonly EncryptedBallot[],
): TallyContest[] {
  const cast = ballots.filter((b) => b.state === 'cast');
  return election.manifest.contests.map((c, ci) => ({
    id: c.id,
    selections: c.selections.map((s, si) => ({
      id: s.id,
      ct: sum(cast.map((b) => b.contests[ci]!.selections[si]!.ct)),
    })),
  }));
}

/** A guardian at decryption time: its index and its share z_l of the election secret. */
export class Guardian {
  constructor(
    readonly index: number,
    private readonly secretShare: bigint,
  ) {}

  /** This guardian's decryption shares of every selection of the tally, in manifest order. */
  decrypt(
    election: Election,
    tally: readonly TallyContest[],
    crypto: CryptoProvider,
  ): DecryptionShare[][] {
    const pub = election.publicShare(this.index);
    const hE = election.hashes.extendedBase;
    return tally.map((c) =>
      c.selections.map((s) =>
        decryptionShare(
          this.index,
          this.secretShare,
          pub,
          s.ct,
          tallyContext(hE, c.id, s.id),
          crypto,
        ),
      ),
    );
  }
}

/**
 * Combines the shares of the available guardians (each checked first) into
 * the counts.
 * @throws {Error} naming the guardian whose share fails, or if fewer than t gave shares.
 */
export function decryptTally(
  election: Election,
  tally: readonly TallyContest[],
  shares: ReadonlyMap<number, DecryptionShare[][]>,
  dlog: DiscreteLog = discreteLog32(),
): DecryptedTally {
  if (shares.size < election.t)
    throw new RangeError(`tally: ${shares.size} guardians gave shares, ${election.t} are needed`);
  const hE = election.hashes.extendedBase;
  return {
    contests: tally.map((c, ci) => ({
      id: c.id,
      selections: c.selections.map((s, si) => {
        const ds = [...shares.values()].map((g) => g[ci]![si]!);
        for (const d of ds)
          if (
            !verifyDecryptionShare(
              election.publicShare(d.guardian),
              s.ct,
              d,
              tallyContext(hE, c.id, s.id),
            )
          )
            throw new Error(
              `tally: guardian ${d.guardian}'s share for ${c.id}/${s.id} does not verify`,
            );
        return { ...s, value: dlog.solve(combineShares(s.ct, ds, election.t)), shares: ds };
      }),
    })),
  };
}
