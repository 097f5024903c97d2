/**
 * The independent verifier of an election record (ElectionGuard 2.0, §4,
 * "Verification"): from the record alone (no secret, no trust in the
 * devices, guardians or administrators), it checks
 *
 *   1. the parameter, manifest and base hashes;
 *   2. the key ceremony: every guardian's proofs of knowledge, the
 *      complaints and answers, the qualified set, the joint key and H_E;
 *   3. every ballot: its shape against the manifest, each selection's range
 *      proof and each contest's limit proof (in a cumulative contest, each
 *      allocation's bit proofs and bit combination, and the proof that the
 *      allocations total exactly the contest's points: ./cumulative.ts), its confirmation code, the chain
 *      of codes per device and each device's closing code, that no
 *      ciphertext appears twice, and for a spoiled ballot that its published
 *      nonce re-encrypts its published choices to its ciphertexts;
 *   4. the tally: each selection's ciphertext is the sum of the cast ballots';
 *   5. the decryption: at least t distinct guardians' shares per selection,
 *      each with a valid Chaum-Pedersen proof, and the published count
 *      matches what they decrypt to,
 *
 * and names the first thing that fails. The range proofs' group equations
 * (most of the work) are checked in one batch (proofs.ts, BatchVerifier);
 * when the batch fails, the proofs are checked one by one to name the first
 * false one. ./verify-chunks.ts runs check 3 in chunks (on worker threads in
 * Node) with this module's pieces, and reaches the same verdict.
 */
import { checkGuardianPublic, resolveCeremony } from '../he/elgamal/dkg.js';
import { ciphertextEquals, sum } from '../he/elgamal/elgamal.js';
import { mulG, pointToHex } from '../he/elgamal/group.js';
import {
  BatchVerifier,
  rangeChallengesSum,
  sumChallenge,
  verifyRange,
  verifySum,
  type ChaumPedersenProof,
  type RangeProof,
} from '../he/elgamal/proofs.js';
import { combineShares, verifyDecryptionShare } from '../he/elgamal/threshold.js';
import type { Ciphertext, PublicKey } from '../he/elgamal/elgamal.js';
import type { CryptoProvider } from '../random/provider.js';
import {
  chainClose,
  chainStart,
  checkChoices,
  confirmationCode,
  contestContext,
  reencryptSpoiled,
  selectionContext,
  type EncryptedBallot,
  type EncryptedSelection,
} from './ballot.js';
import {
  allocationWeights,
  bitContext,
  combineBits,
  totalContext,
  type EncryptedBit,
} from './cumulative.js';
import { baseHashes, ceremonyParams, Election } from './election.js';
import { parseRecord, type ElectionRecord, type RecordHead } from './record.js';
import type { Contest, Manifest } from './manifest.js';
import { tallyContext } from './tally.js';

export interface VerifyOptions {
  readonly crypto: CryptoProvider;
  /**
   * Check the zero-knowledge proofs (default true). Off only as the positive
   * control of the tests: a record with a false proof must then pass, which
   * shows that it is the proof check that catches it.
   */
  readonly checkProofs?: boolean;
  /**
   * Told how far the checks have come (for a progress line on long records):
   * each ballot checked (its proofs queued for the batch), then once before the
   * batch of range proofs is checked. The sequential verifier only.
   */
  readonly onProgress?: (p: VerifyProgress) => void;
}

/** How far a verification has come: `done` of `total` items of `step`. */
export interface VerifyProgress {
  readonly step: 'ballots' | 'batch';
  readonly done: number;
  readonly total: number;
}

export interface VerifySummary {
  readonly ballots: number;
  readonly cast: number;
  readonly spoiled: number;
  readonly devices: number;
  readonly rangeProofs: number;
  readonly decryptionShares: number;
  readonly counts: Record<string, Record<string, number>>;
}

export type VerifyResult =
  | { readonly ok: true; readonly summary: VerifySummary }
  | { readonly ok: false; readonly failure: string };

/** A check that fails (its message names what and where). */
export class Failure extends Error {}
export function fail(msg: string): never {
  throw new Failure(msg);
}

/** Parses and verifies a record's JSON; a malformed field is a failure naming the field. */
export function verifyElectionJson(json: unknown, opts: VerifyOptions): VerifyResult {
  let record: ElectionRecord;
  try {
    record = parseRecord(json);
  } catch (e) {
    if (e instanceof RangeError) return { ok: false, failure: e.message };
    throw e;
  }
  return verifyElection(record, opts);
}

export function verifyElection(record: ElectionRecord, opts: VerifyOptions): VerifyResult {
  try {
    return { ok: true, summary: check(record, opts) };
  } catch (e) {
    if (e instanceof Failure) return { ok: false, failure: e.message };
    // A value no honest record holds (a joint key that is the identity).
    if (e instanceof RangeError) return { ok: false, failure: e.message };
    throw e;
  }
}

const where = (b: EncryptedBallot, contest?: string, selection?: string) =>
  `ballot '${b.id}'${contest ? ` contest '${contest}'` : ''}${selection ? ` selection '${selection}'` : ''}`;

/** What the head checks establish: the election context every later check uses. */
export interface HeadContext {
  readonly election: Election;
  readonly hE: string;
  readonly key: PublicKey;
}

/** Checks 1 and 2: the hashes fixed before the ceremony, and the key ceremony. */
export function checkHead(
  r: RecordHead & Pick<ElectionRecord, 'jointKey'>,
  proofs: boolean,
): HeadContext {
  const { manifest, n, t } = r;

  // 1. Hashes fixed before the ceremony.
  const base = baseHashes(manifest, n, t);
  for (const k of ['parameters', 'manifest', 'base'] as const)
    if (base[k] !== r.hashes[k])
      fail(
        `hashes.${k} does not match the record's ${k === 'parameters' ? 'parameters' : k === 'manifest' ? 'manifest' : 'manifest, guardian count and threshold'}`,
      );

  // 2. The key ceremony.
  const idx = r.ceremony.guardians.map((g) => g.index);
  if (idx.length !== n || idx.some((i, k) => i !== k + 1))
    fail(`ceremony: expected guardians 1..${n} in order, found [${idx.join(', ')}]`);
  const params = ceremonyParams(base.base, n, t);
  if (proofs)
    for (const g of r.ceremony.guardians) {
      const bad = checkGuardianPublic(g, params);
      if (bad) fail(`ceremony: ${bad}`);
    }
  const outcome = resolveCeremony(
    r.ceremony.guardians,
    r.ceremony.complaints,
    r.ceremony.answers,
    params,
  );
  if (outcome.qualified.join(',') !== r.ceremony.qualified.join(','))
    fail(
      `ceremony: the qualified guardians are [${outcome.qualified.join(', ')}] by the transcript, the record says [${r.ceremony.qualified.join(', ')}]`,
    );
  if (outcome.qualified.length < t)
    fail(`ceremony: ${outcome.qualified.length} guardians qualified, ${t} are needed`);
  const election = new Election(manifest, n, t, r.ceremony);
  if (!election.key.point.equals(r.jointKey))
    fail("jointKey is not the sum of the qualified guardians' commitments");
  if (election.hashes.extendedBase !== r.hashes.extendedBase)
    fail('hashes.extendedBase does not match the base hash, joint key and guardian commitments');
  return { election, hE: election.hashes.extendedBase, key: election.key };
}

/**
 * The checks of check 3 that join ballots: no ballot id twice, no ciphertext
 * twice, each device's chain of codes. The sequential verifier runs them as it
 * goes (Ledger); the chunked one (./verify-chunks.ts) records them in each
 * chunk (the calls are plain strings) and replays them in record order.
 */
export interface BallotLedger {
  ballotId(id: string, bi: number): void;
  ciphertext(alphaHex: string, label: string): void;
  chain(device: string, previousCode: string, code: string, label: string): void;
}

/** The ledger that checks at once, over the whole record. */
export class Ledger implements BallotLedger {
  private readonly ids = new Map<string, number>();
  private readonly seen = new Map<string, string>();
  /** Each device's last code so far. */
  readonly chains = new Map<string, string>();
  constructor(private readonly hE: string) {}

  ballotId(id: string, bi: number): void {
    const dup = this.ids.get(id);
    if (dup !== undefined)
      fail(
        `ballot '${id}' appears twice (ballots[${dup}] and ballots[${bi}]): a ballot counted twice`,
      );
    this.ids.set(id, bi);
  }

  ciphertext(alphaHex: string, label: string): void {
    const prior = this.seen.get(alphaHex);
    if (prior !== undefined)
      fail(
        `${label}: its ciphertext also appears in ${prior} (a ballot counted twice or a replayed ciphertext)`,
      );
    this.seen.set(alphaHex, label);
  }

  chain(device: string, previousCode: string, code: string, label: string): void {
    const last = this.chains.get(device) ?? chainStart(this.hE, device);
    if (previousCode !== last)
      fail(
        `${label}: its previous code is not device '${device}'s last code (a ballot added, dropped or reordered in the chain)`,
      );
    this.chains.set(device, code);
  }
}

/** A proof whose group equations are in the batch, to be checked alone if the batch fails. */
export interface PendingProof {
  readonly label: string;
  /** Checks the proof on its own (both halves). */
  readonly verify: () => boolean;
  /** Its place in record order: the ballot, and the ledger calls of that ballot before it. */
  readonly ballot: number;
  readonly ledgerCalls: number;
}

/**
 * Check 3 for one ballot after another: its own checks at once (throwing a
 * Failure at the first that fails), the joining checks through the ledger,
 * the range proofs' group equations into the batch.
 */
export class BallotChecker {
  readonly batch: BatchVerifier;
  readonly pending: PendingProof[] = [];
  rangeProofs = 0;
  /** The ledger calls made so far for the current ballot (a failure's place in record order). */
  ledgerCalls = 0;
  private bi = 0;

  constructor(
    private readonly manifest: Manifest,
    private readonly head: HeadContext,
    private readonly proofs: boolean,
    crypto: CryptoProvider,
    private readonly ledger: BallotLedger,
  ) {
    this.batch = new BatchVerifier(crypto);
  }

  /** @throws {Failure} at the ballot's first failing check. */
  check(b: EncryptedBallot, bi: number): void {
    const { manifest, proofs, ledger } = this;
    const { election, hE } = this.head;
    this.bi = bi;
    this.ledgerCalls = 0;
    this.ledgerCalls++;
    ledger.ballotId(b.id, bi);
    if (b.contests.length !== manifest.contests.length)
      fail(
        `${where(b)}: has ${b.contests.length} contests, the manifest ${manifest.contests.length}`,
      );
    manifest.contests.forEach((mc, ci) => {
      const c = b.contests[ci]!;
      if (c.id !== mc.id)
        fail(`${where(b)}: contest ${ci} is '${c.id}', the manifest's is '${mc.id}'`);
      if (c.selections.length !== mc.selections.length)
        fail(
          `${where(b, c.id)}: has ${c.selections.length} selections, the manifest ${mc.selections.length}`,
        );
      mc.selections.forEach((ms, si) => {
        const s = c.selections[si]!;
        if (s.id !== ms.id)
          fail(`${where(b, c.id)}: selection ${si} is '${s.id}', the manifest's is '${ms.id}'`);
        this.ledgerCalls++;
        ledger.ciphertext(pointToHex(s.ct.alpha), where(b, c.id, s.id));
        if (mc.kind === 'cumulative') {
          if (s.proof || !s.bits)
            fail(
              `${where(b, c.id, s.id)}: a cumulative contest's selection has bits, not a range proof`,
            );
          if (proofs) this.queueAllocation(where(b, c.id, s.id), mc, c.id, s.id, s.ct, s.bits);
          return;
        }
        if (!s.proof || s.bits)
          fail(`${where(b, c.id, s.id)}: a selection of this contest has a range proof, not bits`);
        if (proofs)
          this.queue(
            where(b, c.id, s.id),
            s.ct,
            s.proof,
            undefined,
            mc.optionLimit,
            selectionContext(hE, c.id, s.id),
            `encrypts 0..${mc.optionLimit}`,
          );
      });
      if (mc.kind === 'cumulative') {
        if (c.proof || !c.total)
          fail(
            `${where(b, c.id)}: a cumulative contest has a proof of its total, not a range proof`,
          );
        if (proofs) this.queueTotal(where(b, c.id), mc, c.selections, c.total);
        return;
      }
      if (!c.proof || c.total)
        fail(`${where(b, c.id)}: this contest has a range proof, not a proof of its total`);
      if (proofs)
        this.queue(
          where(b, c.id),
          sum(c.selections.map((s) => s.ct)),
          c.proof,
          c.selections.map((s) => s.ct),
          mc.selectionLimit,
          contestContext(hE, c.id),
          `has at most ${mc.selectionLimit} vote${mc.selectionLimit === 1 ? '' : 's'} in all`,
        );
    });
    if (confirmationCode(hE, b) !== b.code)
      fail(`${where(b)}: its confirmation code does not match its ciphertexts`);
    this.ledgerCalls++;
    ledger.chain(b.device, b.previousCode, b.code, where(b));
    if (b.state === 'spoiled') {
      if (!b.spoiled) fail(`${where(b)}: spoiled without its nonce and choices`);
      try {
        checkChoices(manifest, b.spoiled.choices, where(b));
      } catch (e) {
        fail(`spoiled ${(e as Error).message}`);
      }
      for (const re of reencryptSpoiled(election, b.id, b.spoiled.nonceSeed, b.spoiled.choices)) {
        const s = b.contests
          .find((c) => c.id === re.contest)!
          .selections.find((x) => x.id === re.selection)!;
        if (!ciphertextEquals(s.ct, re.ct))
          fail(
            `${where(b, re.contest, re.selection)}: the spoiled ballot's nonce and choices do not re-encrypt to its ciphertext (the device did not encrypt the voter's choice)`,
          );
      }
    } else if (b.spoiled) fail(`${where(b)}: a cast ballot must not publish its nonce`);
  }

  private queue(
    label: string,
    ct: Ciphertext,
    proof: RangeProof,
    parts: readonly Ciphertext[] | undefined,
    limit: number,
    ctx: (string | number)[],
    claim: string,
  ): void {
    this.rangeProofs++;
    const msg = `${label}: the proof that it ${claim} does not verify`;
    if (proof.branches.length !== limit + 1)
      fail(`${msg} (${proof.branches.length} branches, expected ${limit + 1})`);
    if (!rangeChallengesSum(ct, proof, this.head.key, ctx)) fail(msg);
    const key = this.head.key;
    this.pending.push({
      label: msg,
      verify: () => verifyRange(ct, proof, limit, key, ctx),
      ballot: this.bi,
      ledgerCalls: this.ledgerCalls,
    });
    this.batch.addRange(ct, proof, key, parts);
  }

  /** A cumulative contest's allocation: each bit's 0/1 proof, and ct = Σ w_i·bit_i. */
  private queueAllocation(
    label: string,
    mc: Contest,
    contest: string,
    selection: string,
    ct: Ciphertext,
    bits: readonly EncryptedBit[],
  ): void {
    const weights = allocationWeights(mc.optionLimit);
    if (bits.length !== weights.length)
      fail(`${label}: has ${bits.length} encrypted bits, expected ${weights.length}`);
    const hE = this.head.hE;
    bits.forEach((bit, i) =>
      this.queue(
        `${label} bit ${i}`,
        bit.ct,
        bit.proof,
        undefined,
        1,
        bitContext(hE, contest, selection, i),
        'encrypts 0 or 1',
      ),
    );
    const parts = bits.map((x) => x.ct);
    const w = weights.map(BigInt);
    this.pending.push({
      label: `${label}: its ciphertext is not the weighted sum of its bits (the proof that it encrypts 0..${mc.optionLimit} does not verify)`,
      verify: () => {
        const comb = combineBits(bits, weights);
        return comb.alpha.equals(ct.alpha) && comb.beta.equals(ct.beta);
      },
      ballot: this.bi,
      ledgerCalls: this.ledgerCalls,
    });
    this.batch.addCombination(ct, parts, w);
  }

  /** A cumulative contest's proof that its allocations total exactly its points. */
  private queueTotal(
    label: string,
    mc: Contest,
    selections: readonly EncryptedSelection[],
    proof: ChaumPedersenProof,
  ): void {
    const key = this.head.key;
    const ctx = totalContext(this.head.hE, mc.id);
    const parts = selections.map((s) => s.ct);
    const total = sum(parts);
    const c = sumChallenge(total, mc.selectionLimit, proof, key, ctx);
    this.pending.push({
      label: `${label}: the proof that its allocations total exactly ${mc.selectionLimit} points does not verify`,
      verify: () => verifySum(total, mc.selectionLimit, proof, key, ctx),
      ballot: this.bi,
      ledgerCalls: this.ledgerCalls,
    });
    this.batch.addSum(parts, mc.selectionLimit, proof, c, key);
  }

  /**
   * The first false proof in the batch, or undefined if the batch holds.
   * @throws {Failure} if the batch fails but no single proof does (a bug).
   */
  firstFalseProof(): PendingProof | undefined {
    if (this.pending.length === 0 || this.batch.check()) return undefined;
    const bad = this.pending.find((p) => !p.verify());
    if (!bad) fail('the batch of range proofs fails but no single proof does (report this)');
    return bad;
  }
}

function check(r: ElectionRecord, opts: VerifyOptions): VerifySummary {
  const proofs = opts.checkProofs ?? true;
  const head = checkHead(r, proofs);

  // 3. Ballots, in record order. A ballot's own checks run at once; the range
  // proofs' group equations go into the batch.
  const ledger = new Ledger(head.hE);
  const checker = new BallotChecker(r.manifest, head, proofs, opts.crypto, ledger);
  let structural: string | undefined;
  for (let bi = 0; bi < r.ballots.length && structural === undefined; bi++) {
    try {
      checker.check(r.ballots[bi]!, bi);
    } catch (e) {
      if (!(e instanceof Failure)) throw e;
      structural = e.message;
    }
    if (opts.onProgress && (bi + 1) % 100 === 0)
      opts.onProgress({ step: 'ballots', done: bi + 1, total: r.ballots.length });
  }
  opts.onProgress?.({ step: 'batch', done: 0, total: checker.rangeProofs });
  const bad = checker.firstFalseProof();
  if (bad) fail(bad.label);
  if (structural !== undefined) fail(structural);
  checkClosingCodes(r.devices, ledger.chains, head.hE);
  const cast = r.ballots.filter((b) => b.state === 'cast');
  const expected = r.manifest.contests.map((_, ci) =>
    r.manifest.contests[ci]!.selections.map((_, si) =>
      sum(cast.map((b) => b.contests[ci]!.selections[si]!.ct)),
    ),
  );
  return {
    ballots: r.ballots.length,
    cast: cast.length,
    spoiled: r.ballots.length - cast.length,
    devices: ledger.chains.size,
    rangeProofs: checker.rangeProofs,
    ...checkTally(r, head, expected, cast.length, proofs),
  };
}

/** Each device's closing code follows its last ballot (or its empty chain). */
export function checkClosingCodes(
  devices: ElectionRecord['devices'],
  chains: ReadonlyMap<string, string>,
  hE: string,
): void {
  for (const [device, last] of chains) {
    const d = devices.find((x) => x.id === device);
    if (!d) fail(`device '${device}' cast ballots but its chain has no closing code in the record`);
    if (d.closingCode !== chainClose(hE, device, last))
      fail(
        `device '${device}': the closing code does not follow its last ballot (ballots missing at the end of its chain)`,
      );
  }
  for (const d of devices)
    if (!chains.has(d.id) && d.closingCode !== chainClose(hE, d.id, chainStart(hE, d.id)))
      fail(
        `device '${d.id}': the closing code does not match a device with no ballots, and none of its ballots are in the record`,
      );
}

/**
 * Checks 4 and 5. `expected[ci][si]` is the sum of the cast ballots'
 * ciphertexts for that selection, `castCount` how many were cast.
 */
export function checkTally(
  r: Pick<ElectionRecord, 'manifest' | 't' | 'tally'>,
  head: HeadContext,
  expected: readonly (readonly Ciphertext[])[],
  castCount: number,
  proofs: boolean,
): Pick<VerifySummary, 'decryptionShares' | 'counts'> {
  const { manifest, t } = r;
  const { election, hE } = head;
  // 4. and 5. The tally and its decryption.
  if (r.tally.contests.length !== manifest.contests.length)
    fail(
      `tally: has ${r.tally.contests.length} contests, the manifest ${manifest.contests.length}`,
    );
  const counts: Record<string, Record<string, number>> = {};
  let decryptionShares = 0;
  manifest.contests.forEach((mc, ci) => {
    const tc = r.tally.contests[ci]!;
    if (tc.id !== mc.id || tc.selections.length !== mc.selections.length)
      fail(
        `tally: contest ${ci} is '${tc.id}' with ${tc.selections.length} selections, the manifest's is '${mc.id}' with ${mc.selections.length}`,
      );
    counts[mc.id] = {};
    mc.selections.forEach((ms, si) => {
      const ts = tc.selections[si]!;
      const label = `tally contest '${mc.id}' selection '${ms.id}'`;
      if (ts.id !== ms.id) fail(`${label}: found '${ts.id}'`);
      if (!ciphertextEquals(expected[ci]![si]!, ts.ct))
        fail(`${label}: its ciphertext is not the sum of the ${castCount} cast ballots'`);
      const guardians = ts.shares.map((d) => d.guardian);
      if (new Set(guardians).size !== guardians.length)
        fail(`${label}: a guardian gave two shares`);
      if (guardians.length < t)
        fail(
          `${label}: decryption shares from ${guardians.length} guardians, ${t} are needed (too few guardians)`,
        );
      for (const d of ts.shares) {
        decryptionShares++;
        if (
          proofs &&
          !verifyDecryptionShare(
            election.publicShare(d.guardian),
            ts.ct,
            d,
            tallyContext(hE, mc.id, ms.id),
          )
        )
          fail(
            `${label}: guardian ${d.guardian}'s decryption share does not verify (its Chaum-Pedersen proof fails)`,
          );
      }
      if (!combineShares(ts.ct, ts.shares, t).equals(mulG(BigInt(ts.value))))
        fail(
          `${label}: the published count ${ts.value} is not what the guardians' shares decrypt to`,
        );
      counts[mc.id]![ms.id] = ts.value;
    });
  });
  return { decryptionShares, counts };
}
