/**
 * A whole election in one process: the key ceremony with every guardian,
 * devices encrypting ballots, some spoiled, the tally, its decryption by the
 * available guardians, and the record. Tests, the benchmark and
 * `entente election demo` use it; every party's computation is the real one
 * (only the transport is a function call).
 */
import {
  answerComplaints,
  encryptShare,
  newGuardian,
  receiveShares,
  secretShare,
  type EncryptedShare,
} from '../he/elgamal/dkg.js';
import type { DecryptionShare } from '../he/elgamal/threshold.js';
import type { CryptoProvider } from '../random/provider.js';
import { Device, type Choices, type EncryptedBallot } from './ballot.js';
import { baseHashes, ceremonyParams, Election } from './election.js';
import type { Manifest } from './manifest.js';
import type { ElectionRecord } from './record.js';
import { accumulate, decryptTally, Guardian } from './tally.js';

/** Every guardian of a ceremony run in this process, and the resulting election. */
export function runCeremony(manifest: Manifest, n: number, t: number, crypto: CryptoProvider) {
  const params = ceremonyParams(baseHashes(manifest, n, t).base, n, t);
  const gs = Array.from({ length: n }, (_, i) => newGuardian(i + 1, params, crypto));
  const publics = gs.map((g) => g.public);
  const sent: EncryptedShare[] = [];
  for (const g of gs)
    for (const to of publics)
      if (to.index !== g.secret.index) sent.push(encryptShare(g.secret, to, params, crypto));
  const received = gs.map((g) => receiveShares(g.secret, publics, sent, params));
  const complaints = received.flatMap((x) => x.complaints);
  const answers = gs.flatMap((g) => answerComplaints(g.secret, complaints));
  const election = Election.fromCeremony(manifest, n, t, publics, complaints, answers);
  const guardians = gs.map(
    (g, i) =>
      new Guardian(
        g.secret.index,
        secretShare(g.secret.index, received[i]!.shares, answers, election.ceremony.qualified),
      ),
  );
  return { election, guardians };
}

/** Random valid choices for every contest (uniform number of votes up to the limit). */
export function randomChoices(manifest: Manifest, crypto: CryptoProvider): Choices {
  const out: Record<string, Record<string, number>> = {};
  const byte = () => {
    const b = new Uint8Array(1);
    crypto.randomFill(b);
    return b[0]!;
  };
  for (const c of manifest.contests) {
    out[c.id] = {};
    if (c.kind === 'cumulative') {
      // Exactly `points`: each allocation between what the later ones cannot
      // take and what is left, within the per-option maximum.
      let left = c.points!;
      c.selections.forEach((s, i) => {
        const later = (c.selections.length - 1 - i) * c.optionLimit;
        const lo = Math.max(0, left - later);
        const hi = Math.min(left, c.optionLimit);
        const v = lo + (((byte() << 8) | byte()) % (hi - lo + 1));
        if (v > 0) out[c.id]![s.id] = v;
        left -= v;
      });
      continue;
    }
    let left = byte() % (c.selectionLimit + 1);
    for (const s of c.selections) {
      if (left === 0) break;
      const v = Math.min(left, byte() % (c.optionLimit + 1));
      if (v > 0) out[c.id]![s.id] = v;
      left -= v;
    }
  }
  return out;
}

export interface SimulateOptions {
  readonly guardians: number;
  readonly threshold: number;
  readonly devices?: number;
  /** Each ballot's choices; its length is the number of ballots. */
  readonly ballots: readonly Choices[];
  /** Indices (into ballots) of the ballots the voter spoils. */
  readonly spoil?: ReadonlySet<number>;
  /** Guardian indices present at decryption (default: all). */
  readonly available?: readonly number[];
  readonly crypto: CryptoProvider;
}

export function simulateElection(manifest: Manifest, o: SimulateOptions): ElectionRecord {
  const { election, guardians } = runCeremony(manifest, o.guardians, o.threshold, o.crypto);
  const devices = Array.from(
    { length: o.devices ?? 1 },
    (_, i) => new Device(election, `device-${i + 1}`, o.crypto),
  );
  const ballots: EncryptedBallot[] = o.ballots.map((choices, i) => {
    const d = devices[i % devices.length]!;
    const b = d.encrypt(`ballot-${i + 1}`, choices);
    return o.spoil?.has(i) ? d.spoil(b) : d.cast(b);
  });
  return finishElection(election, guardians, devices, ballots, o.available, o.crypto);
}

/** The tally, its decryption by the available guardians, and the record. */
export function finishElection(
  election: Election,
  guardians: readonly Guardian[],
  devices: readonly Device[],
  ballots: readonly EncryptedBallot[],
  available: readonly number[] | undefined,
  crypto: CryptoProvider,
): ElectionRecord {
  const tally = accumulate(election, ballots);
  const present = guardians.filter((g) => !available || available.includes(g.index));
  const shares = new Map<number, DecryptionShare[][]>(
    present.map((g) => [g.index, g.decrypt(election, tally, crypto)]),
  );
  return {
    manifest: election.manifest,
    n: election.n,
    t: election.t,
    hashes: election.hashes,
    ceremony: election.ceremony,
    jointKey: election.key.point,
    devices: devices.map((d) => ({ id: d.id, closingCode: d.close() })),
    ballots,
    tally: decryptTally(election, tally, shares),
  };
}
