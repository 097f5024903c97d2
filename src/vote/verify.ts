/**
 * The independent verifier of an election record (ElectionGuard 2.0, §4,
 * "Verification"): from the record alone (no secret, no trust in the
 * devices, guardians or administrators), it checks
 *
 *   1. the parameter, manifest and base hashes;
 *   2. the key ceremony: every guardian's proofs of knowledge, the
 *      complaints and answers, the qualified set, the joint key and H_E;
 *   3. every ballot: its shape against the manifest, each selection's range
 *      proof and each contest's limit proof, its confirmation code, the chain
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
 * false one.
 */
import { checkGuardianPublic, resolveCeremony } from '../he/elgamal/dkg.js';
import { ciphertextEquals, sum } from '../he/elgamal/elgamal.js';
import { mulG, pointToHex } from '../he/elgamal/group.js';
import {
  BatchVerifier,
  rangeChallengesSum,
  verifyRange,
  type RangeProof,
} from '../he/elgamal/proofs.js';
import { combineShares, verifyDecryptionShare } from '../he/elgamal/threshold.js';
import type { Ciphertext } from '../he/elgamal/elgamal.js';
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
} from './ballot.js';
import { baseHashes, ceremonyParams, Election } from './election.js';
import { parseRecord, type ElectionRecord } from './record.js';
import { tallyContext } from './tally.js';

export interface VerifyOptions {
  readonly crypto: CryptoProvider;
  /**
   * Check the zero-knowledge proofs (default true). Off only as the positive
   * control of the tests: a record with a false proof must then pass, which
   * shows that it is the proof check that catches it.
   */
  readonly checkProofs?: boolean;
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

class Failure extends Error {}
function fail(msg: string): never {
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

function check(r: ElectionRecord, opts: VerifyOptions): VerifySummary {
  const proofs = opts.checkProofs ?? true;
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
  const hE = election.hashes.extendedBase;
  const key = election.key;

  // 3. Ballots, in record order. A ballot's own checks run at once; the range
  // proofs' group equations go into the batch.
  const batch = new BatchVerifier(opts.crypto);
  const pending: {
    b: EncryptedBallot;
    label: string;
    ct: Ciphertext;
    proof: RangeProof;
    limit: number;
    ctx: (string | number)[];
  }[] = [];
  const ids = new Map<string, number>();
  const seen = new Map<string, string>();
  const chains = new Map<string, string>();
  let structural: string | undefined;
  let rangeProofs = 0;
  for (let bi = 0; bi < r.ballots.length && structural === undefined; bi++) {
    const b = r.ballots[bi]!;
    try {
      checkBallot(b, bi);
    } catch (e) {
      if (!(e instanceof Failure)) throw e;
      structural = e.message;
    }
  }
  function checkBallot(b: EncryptedBallot, bi: number): void {
    const dup = ids.get(b.id);
    if (dup !== undefined)
      fail(
        `ballot '${b.id}' appears twice (ballots[${dup}] and ballots[${bi}]): a ballot counted twice`,
      );
    ids.set(b.id, bi);
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
        const a = pointToHex(s.ct.alpha);
        const prior = seen.get(a);
        if (prior !== undefined)
          fail(
            `${where(b, c.id, s.id)}: its ciphertext also appears in ${prior} (a ballot counted twice or a replayed ciphertext)`,
          );
        seen.set(a, where(b, c.id, s.id));
        if (proofs)
          queue(
            b,
            where(b, c.id, s.id),
            s.ct,
            s.proof,
            undefined,
            mc.optionLimit,
            selectionContext(hE, c.id, s.id),
            `encrypts 0..${mc.optionLimit}`,
          );
      });
      if (proofs)
        queue(
          b,
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
    const last = chains.get(b.device) ?? chainStart(hE, b.device);
    if (b.previousCode !== last)
      fail(
        `${where(b)}: its previous code is not device '${b.device}'s last code (a ballot added, dropped or reordered in the chain)`,
      );
    chains.set(b.device, b.code);
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
  function queue(
    b: EncryptedBallot,
    label: string,
    ct: Ciphertext,
    proof: RangeProof,
    parts: readonly Ciphertext[] | undefined,
    limit: number,
    ctx: (string | number)[],
    claim: string,
  ): void {
    rangeProofs++;
    const msg = `${label}: the proof that it ${claim} does not verify`;
    if (proof.branches.length !== limit + 1)
      fail(`${msg} (${proof.branches.length} branches, expected ${limit + 1})`);
    if (!rangeChallengesSum(ct, proof, key, ctx)) fail(msg);
    pending.push({ b, label: msg, ct, proof, limit, ctx });
    batch.addRange(ct, proof, key, parts);
  }
  if (pending.length > 0 && !batch.check()) {
    const bad = pending.find((p) => !verifyRange(p.ct, p.proof, p.limit, key, p.ctx));
    fail(
      bad ? bad.label : 'the batch of range proofs fails but no single proof does (report this)',
    );
  }
  if (structural !== undefined) fail(structural);
  for (const [device, last] of chains) {
    const d = r.devices.find((x) => x.id === device);
    if (!d) fail(`device '${device}' cast ballots but its chain has no closing code in the record`);
    if (d.closingCode !== chainClose(hE, device, last))
      fail(
        `device '${device}': the closing code does not follow its last ballot (ballots missing at the end of its chain)`,
      );
  }
  for (const d of r.devices)
    if (!chains.has(d.id) && d.closingCode !== chainClose(hE, d.id, chainStart(hE, d.id)))
      fail(
        `device '${d.id}': the closing code does not match a device with no ballots, and none of its ballots are in the record`,
      );

  // 4. and 5. The tally and its decryption.
  const cast = r.ballots.filter((b) => b.state === 'cast');
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
      const expected = sum(cast.map((b) => b.contests[ci]!.selections[si]!.ct));
      if (!ciphertextEquals(expected, ts.ct))
        fail(`${label}: its ciphertext is not the sum of the ${cast.length} cast ballots'`);
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
  return {
    ballots: r.ballots.length,
    cast: cast.length,
    spoiled: r.ballots.length - cast.length,
    devices: chains.size,
    rangeProofs,
    decryptionShares,
    counts,
  };
}
