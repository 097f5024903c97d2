/**
 * The ballot box: what a server checks before it accepts a ballot that a
 * voter's browser encrypted and proved (docs/VOTE.md, "Voting in a browser").
 * A ballot is accepted only if it has the manifest's shape, every selection's
 * range proof and every contest's limit proof verify (for a cumulative
 * contest, its bit proofs, bit combinations and exact total: ./cumulative.ts), its confirmation code
 * matches its ciphertexts, it continues its device's chain, its id and
 * ciphertexts are new, and, for a spoiled ballot, its published nonce and
 * choices re-encrypt to its ciphertexts (Benaloh's challenge, checked by a
 * second party: the server). These are the checks the verifier makes on the
 * whole record later (./verify.ts), made one ballot at a time so that a bad
 * ballot is refused at the door instead of failing the election's record.
 *
 * Also the election's public context as JSON, from which a browser rebuilds
 * the `Election` (recomputing the qualified set, the joint key and H_E from
 * the ceremony's transcript rather than taking them on trust).
 *
 * Browser-safe: no I/O; the server (src/cli/election-serve.ts) stores what
 * this accepts.
 */
import { ciphertextEquals, sum } from '../he/elgamal/elgamal.js';
import { pointToHex, scalarFromHex, scalarToHex } from '../he/elgamal/group.js';
import type { Complaint } from '../he/elgamal/dkg.js';
import { verifyRange } from '../he/elgamal/proofs.js';
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
import { webCryptoProvider, type CryptoProvider } from '../random/provider.js';
import { checkCumulative } from './cumulative.js';
import { Election } from './election.js';
import { parseManifest } from './manifest.js';
import { guardianJson, parseBallot, parseGuardian } from './record.js';

/** Why a ballot was refused, with the HTTP status a server answers with. */
export class BallotRejected extends Error {
  constructor(
    /** 400: malformed; 409: conflicts with what the box holds; 422: well formed but false. */
    readonly status: 400 | 409 | 422,
    message: string,
  ) {
    super(message);
    this.name = 'BallotRejected';
  }
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The public context a voting page needs: manifest, n, t, the ceremony's transcript, H_E. */
export function electionContextJson(e: Election) {
  return {
    manifest: e.manifest,
    guardians: e.n,
    threshold: e.t,
    ceremony: {
      guardians: e.ceremony.guardians.map(guardianJson),
      complaints: e.ceremony.complaints,
      answers: e.ceremony.answers.map((a) => ({
        dealer: a.dealer,
        recipient: a.recipient,
        share: scalarToHex(a.share),
      })),
    },
    jointKey: pointToHex(e.key.point),
    extendedBase: e.hashes.extendedBase,
  };
}

/**
 * Rebuilds the election from its public context, deciding the qualified set
 * from the transcript.
 * @throws {RangeError} naming the field that is malformed, or if the stated
 *   joint key or H_E is not what the transcript gives.
 */
export function parseElectionContext(json: unknown): Election {
  if (typeof json !== 'object' || json === null)
    throw new RangeError('context: expected an object');
  const o = json as Record<string, unknown>;
  const manifest = parseManifest(o.manifest, 'context.manifest');
  const n = o.guardians;
  const t = o.threshold;
  if (!Number.isInteger(n) || !Number.isInteger(t))
    throw new RangeError('context: guardians and threshold must be integers');
  const cer = o.ceremony as Record<string, unknown> | undefined;
  if (
    !cer ||
    !Array.isArray(cer.guardians) ||
    !Array.isArray(cer.complaints) ||
    !Array.isArray(cer.answers)
  )
    throw new RangeError('context.ceremony: expected guardians, complaints and answers');
  const guardians = cer.guardians.map((g, i) =>
    parseGuardian(g, `context.ceremony.guardians[${i}]`),
  );
  const complaints = cer.complaints as Complaint[];
  const answers = (cer.answers as { dealer: number; recipient: number; share: unknown }[]).map(
    (a, i) => ({
      dealer: a.dealer,
      recipient: a.recipient,
      share: scalarFromHex(a.share, `context.ceremony.answers[${i}].share`),
    }),
  );
  const e = Election.fromCeremony(
    manifest,
    n as number,
    t as number,
    guardians,
    complaints,
    answers,
  );
  if (o.jointKey !== pointToHex(e.key.point))
    throw new RangeError("context.jointKey: not the key the ceremony's transcript gives");
  if (o.extendedBase !== e.hashes.extendedBase)
    throw new RangeError('context.extendedBase: not the hash the transcript gives');
  return e;
}

/** One device's chain as the box knows it. */
interface Chain {
  last: string;
}

/** The state that decides whether a ballot is new: chains, ids, ciphertexts. */
export class BallotBox {
  private readonly chains = new Map<string, Chain>();
  private readonly ids = new Set<string>();
  private readonly alphas = new Set<string>();

  constructor(
    readonly election: Election,
    /** Ballots already accepted (e.g. read back from files), in each device's order. */
    prior: readonly EncryptedBallot[] = [],
    /** The weights of batch verification (a cumulative contest's proofs are checked in one batch). */
    private readonly crypto: CryptoProvider = webCryptoProvider,
  ) {
    for (const b of prior) this.remember(b);
  }

  private remember(b: EncryptedBallot): void {
    this.ids.add(b.id);
    for (const c of b.contests)
      for (const s of c.selections) this.alphas.add(pointToHex(s.ct.alpha));
    this.chains.set(b.device, { last: b.code });
  }

  /** Opens a device's chain (idempotent); returns the code its next ballot chains from. */
  open(device: string): string {
    if (!ID.test(device)) throw new BallotRejected(400, `device '${device}' is not an identifier`);
    const hE = this.election.hashes.extendedBase;
    let c = this.chains.get(device);
    if (!c) {
      c = { last: chainStart(hE, device) };
      this.chains.set(device, c);
    }
    return c.last;
  }

  /** The devices the box has seen, each with the code that closes its chain now. */
  closingCodes(): { id: string; closingCode: string }[] {
    const hE = this.election.hashes.extendedBase;
    return [...this.chains].map(([id, c]) => ({ id, closingCode: chainClose(hE, id, c.last) }));
  }

  get size(): number {
    return this.ids.size;
  }

  /**
   * Checks a submitted ballot (JSON as `ballotJson` writes it) and, if it
   * passes, records it as the device's last.
   * @throws {BallotRejected} saying what is wrong; the box is then unchanged.
   */
  accept(json: unknown): EncryptedBallot {
    let b: EncryptedBallot;
    try {
      b = parseBallot(json, 'ballot');
    } catch (e) {
      if (e instanceof RangeError) throw new BallotRejected(400, e.message);
      throw e;
    }
    if (!ID.test(b.id)) throw new BallotRejected(400, `ballot.id: '${b.id}' is not an identifier`);
    if (!ID.test(b.device))
      throw new BallotRejected(400, `ballot.device: '${b.device}' is not an identifier`);
    this.checkShape(b);
    if (this.ids.has(b.id)) throw new BallotRejected(409, `ballot '${b.id}' was already submitted`);
    const chain = this.chains.get(b.device);
    if (!chain)
      throw new BallotRejected(409, `device '${b.device}' is not open on this ballot box`);
    if (b.previousCode !== chain.last)
      throw new BallotRejected(
        409,
        `ballot '${b.id}': its previous code is not device '${b.device}''s last code`,
      );
    for (const c of b.contests)
      for (const s of c.selections)
        if (this.alphas.has(pointToHex(s.ct.alpha)))
          throw new BallotRejected(
            409,
            `ballot '${b.id}' contest '${c.id}' selection '${s.id}': its ciphertext was already submitted`,
          );
    this.checkProofs(b);
    this.remember(b);
    return b;
  }

  private checkShape(b: EncryptedBallot): void {
    const m = this.election.manifest;
    if (b.contests.length !== m.contests.length)
      throw new BallotRejected(
        400,
        `ballot '${b.id}': has ${b.contests.length} contests, the manifest ${m.contests.length}`,
      );
    m.contests.forEach((mc, ci) => {
      const c = b.contests[ci]!;
      if (c.id !== mc.id || c.selections.length !== mc.selections.length)
        throw new BallotRejected(
          400,
          `ballot '${b.id}': contest ${ci} is '${c.id}' with ${c.selections.length} selections, the manifest's is '${mc.id}' with ${mc.selections.length}`,
        );
      mc.selections.forEach((ms, si) => {
        if (c.selections[si]!.id !== ms.id)
          throw new BallotRejected(
            400,
            `ballot '${b.id}' contest '${c.id}': selection ${si} is '${c.selections[si]!.id}', the manifest's is '${ms.id}'`,
          );
      });
    });
    if (b.state === 'cast' && b.spoiled)
      throw new BallotRejected(400, `ballot '${b.id}': a cast ballot must not publish its nonce`);
    if (b.state === 'spoiled' && !b.spoiled)
      throw new BallotRejected(400, `ballot '${b.id}': spoiled without its nonce and choices`);
  }

  private checkProofs(b: EncryptedBallot): void {
    const e = this.election;
    const hE = e.hashes.extendedBase;
    e.manifest.contests.forEach((mc, ci) => {
      const c = b.contests[ci]!;
      if (mc.kind === 'cumulative') {
        const bad = checkCumulative(e.key, hE, mc, c, this.crypto);
        if (bad) throw new BallotRejected(422, `ballot '${b.id}' contest '${mc.id}' ${bad}`);
        return;
      }
      mc.selections.forEach((ms, si) => {
        const s = c.selections[si]!;
        if (!s.proof)
          throw new BallotRejected(
            400,
            `ballot '${b.id}' contest '${mc.id}' selection '${ms.id}': no range proof`,
          );
        if (!verifyRange(s.ct, s.proof, mc.optionLimit, e.key, selectionContext(hE, mc.id, ms.id)))
          throw new BallotRejected(
            422,
            `ballot '${b.id}' contest '${mc.id}' selection '${ms.id}': the proof that it encrypts 0..${mc.optionLimit} does not verify`,
          );
      });
      const total = sum(c.selections.map((s) => s.ct));
      if (!c.proof)
        throw new BallotRejected(400, `ballot '${b.id}' contest '${mc.id}': no range proof`);
      if (!verifyRange(total, c.proof, mc.selectionLimit, e.key, contestContext(hE, mc.id)))
        throw new BallotRejected(
          422,
          `ballot '${b.id}' contest '${mc.id}': the proof that it has at most ${mc.selectionLimit} vote${mc.selectionLimit === 1 ? '' : 's'} does not verify`,
        );
    });
    if (confirmationCode(hE, b) !== b.code)
      throw new BallotRejected(
        422,
        `ballot '${b.id}': its confirmation code does not match its ciphertexts`,
      );
    if (b.state === 'spoiled') {
      const sp = b.spoiled!;
      try {
        checkChoices(e.manifest, sp.choices, `ballot '${b.id}'`);
      } catch (err) {
        if (err instanceof RangeError) throw new BallotRejected(422, `spoiled ${err.message}`);
        throw err;
      }
      for (const re of reencryptSpoiled(e, b.id, sp.nonceSeed, sp.choices)) {
        const s = b.contests
          .find((c) => c.id === re.contest)!
          .selections.find((x) => x.id === re.selection)!;
        if (!ciphertextEquals(s.ct, re.ct))
          throw new BallotRejected(
            422,
            `ballot '${b.id}' contest '${re.contest}' selection '${re.selection}': the spoiled ballot's nonce and choices do not re-encrypt to its ciphertext`,
          );
      }
    }
  }
}
