/**
 * The verifier of ./verify.ts with its ballots split into contiguous chunks
 * that can be checked at the same time (on worker threads in Node:
 * src/adapters/node/verify-workers.ts). A ballot's own checks (decoding its
 * elements, its proofs, its confirmation code, a spoiled ballot's
 * re-encryption) need nothing from other ballots, and are most of the work;
 * what joins ballots (no id or ciphertext twice, each device's chain of
 * codes, the tally's sums) is cheap and runs here, in record order.
 *
 * The verdict is the sequential verifier's, word for word, whatever the
 * number of chunks and however they are scheduled: each chunk reports its
 * first failure with its place in record order (the ballot, and how many of
 * that ballot's joining checks come before it), and every joining check the
 * chunk would have made, as plain strings; the joining checks are then
 * replayed in record order, and the earliest failure wins, as it does in
 * verifyElection (a false proof before the first other failure, else that
 * failure).
 *
 * Browser-safe: the chunks run through an injected ChunkRunner (in process
 * by default).
 */
import { add, type Ciphertext } from '../he/elgamal/elgamal.js';
import { pointFromHex, pointToHex, ZERO } from '../he/elgamal/group.js';
import type { CryptoProvider } from '../random/provider.js';
import type { EncryptedBallot } from './ballot.js';
import { Election } from './election.js';
import {
  parseBallot,
  parseRecordHead,
  parseRecordTail,
  recordBallots,
  type RecordHead,
} from './record.js';
import {
  BallotChecker,
  checkClosingCodes,
  checkHead,
  checkTally,
  Failure,
  Ledger,
  type BallotLedger,
  type VerifyOptions,
  type VerifyResult,
  type VerifySummary,
} from './verify.js';

/** One chunk: the record without its ballots, and ballots[start..start + ballots.length). Structured-cloneable. */
export interface ChunkTask {
  readonly head: unknown;
  readonly ballots: readonly unknown[];
  readonly start: number;
  readonly checkProofs: boolean;
}

/** A joining check, as the chunk would have made it (BallotLedger's arguments). */
export type LedgerCall =
  | readonly ['id', string, number]
  | readonly ['ciphertext', string, string]
  | readonly ['chain', string, string, string, string];

/** A failure's place in record order: its ballot, then the joining checks of that ballot before it. */
export interface Place {
  readonly ballot: number;
  readonly after: number;
}

export interface ChunkResult {
  /** The task's start: calls[j] are ballot start + j's. */
  readonly start: number;
  /** The chunk's first ballot that does not parse, named as parseRecord names it. */
  readonly parseError?: string;
  /** The record's head did not give an election context here (the head checks will say why). */
  readonly headFailed?: boolean;
  /** The joining checks of each ballot checked, in order (ballots after `failure` are not checked). */
  readonly calls: (readonly LedgerCall[])[];
  /**
   * The chunk's first failure of a ballot's own checks; `abort` for an
   * unexpected RangeError, which the sequential verifier reports at once
   * (no batch check after it).
   */
  readonly failure?: Place & { readonly message: string; readonly abort: boolean };
  /** The chunk's first range proof whose group equations fail (found when its batch fails). */
  readonly falseProof?: Place & { readonly message: string };
  readonly rangeProofs: number;
  readonly cast: number;
  /** Per contest and selection, the sum of the chunk's cast ciphertexts as [α, β] hex (when no failure). */
  readonly castSums?: (readonly [string, string])[][];
}

/** Runs chunks, each as checkChunk does, and gives the results in task order. */
export type ChunkRunner = (tasks: readonly ChunkTask[]) => Promise<ChunkResult[]>;

/** The runner on the calling thread, one chunk after another. */
export const inProcessRunner =
  (crypto: CryptoProvider): ChunkRunner =>
  (tasks) =>
    Promise.resolve(tasks.map((t) => checkChunk(t, crypto)));

class RecordingLedger implements BallotLedger {
  calls: LedgerCall[] = [];
  ballotId(id: string, bi: number): void {
    this.calls.push(['id', id, bi]);
  }
  ciphertext(alphaHex: string, label: string): void {
    this.calls.push(['ciphertext', alphaHex, label]);
  }
  chain(device: string, previousCode: string, code: string, label: string): void {
    this.calls.push(['chain', device, previousCode, code, label]);
  }
}

/** A chunk's own work: parse its ballots, check each, batch its proofs, sum its cast ciphertexts. */
export function checkChunk(task: ChunkTask, crypto: CryptoProvider): ChunkResult {
  const ballots: EncryptedBallot[] = [];
  try {
    task.ballots.forEach((b, i) =>
      ballots.push(parseBallot(b, `record.ballots[${task.start + i}]`)),
    );
  } catch (e) {
    if (e instanceof RangeError)
      return { start: task.start, parseError: e.message, calls: [], rangeProofs: 0, cast: 0 };
    throw e;
  }
  let head: RecordHead;
  let election: Election;
  try {
    head = parseRecordHead(task.head);
    election = new Election(head.manifest, head.n, head.t, head.ceremony);
  } catch (e) {
    if (e instanceof RangeError)
      return { start: task.start, headFailed: true, calls: [], rangeProofs: 0, cast: 0 };
    throw e;
  }
  const ctx = { election, hE: election.hashes.extendedBase, key: election.key };
  const ledger = new RecordingLedger();
  const checker = new BallotChecker(head.manifest, ctx, task.checkProofs, crypto, ledger);
  const calls: LedgerCall[][] = [];
  let failure: ChunkResult['failure'];
  let cast = 0;
  for (let i = 0; i < ballots.length && !failure; i++) {
    const bi = task.start + i;
    ledger.calls = [];
    try {
      checker.check(ballots[i]!, bi);
      if (ballots[i]!.state === 'cast') cast++;
    } catch (e) {
      if (!(e instanceof Failure || e instanceof RangeError)) throw e;
      failure = {
        ballot: bi,
        after: checker.ledgerCalls,
        message: e.message,
        abort: !(e instanceof Failure),
      };
    }
    calls.push(ledger.calls);
  }
  let falseProof: ChunkResult['falseProof'];
  if (!failure?.abort) {
    const bad = checker.firstFalseProof();
    if (bad) falseProof = { ballot: bad.ballot, after: bad.ledgerCalls, message: bad.label };
  }
  let castSums: ChunkResult['castSums'];
  if (!failure)
    castSums = head.manifest.contests.map((mc, ci) =>
      mc.selections.map((_, si) => {
        let s: Ciphertext = { alpha: ZERO, beta: ZERO };
        for (const b of ballots)
          if (b.state === 'cast') s = add(s, b.contests[ci]!.selections[si]!.ct);
        return [pointToHex(s.alpha), pointToHex(s.beta)] as const;
      }),
    );
  return {
    start: task.start,
    calls,
    failure,
    falseProof,
    rangeProofs: checker.rangeProofs,
    cast,
    castSums,
  };
}

export interface ChunkedOptions extends VerifyOptions {
  /** How the chunks run (default: in process, one after another). */
  readonly runner?: ChunkRunner;
  /** How many chunks (default 2; at most one per ballot). */
  readonly chunks?: number;
}

/** Splits `ballots` into `chunks` contiguous runs of near-equal length (none empty). */
export function splitBallots(ballots: readonly unknown[], chunks: number): [number, number][] {
  const k = Math.max(1, Math.min(Math.floor(chunks), ballots.length));
  const runs: [number, number][] = [];
  for (let i = 0; i < k; i++)
    runs.push([Math.floor((i * ballots.length) / k), Math.floor(((i + 1) * ballots.length) / k)]);
  return ballots.length === 0 ? [] : runs;
}

/**
 * verifyElectionJson with the ballots checked in chunks: the same verdict,
 * and for a failing record the same first failure.
 */
export async function verifyElectionChunked(
  json: unknown,
  opts: ChunkedOptions,
): Promise<VerifyResult> {
  const proofs = opts.checkProofs ?? true;
  let head: RecordHead;
  let ballots: unknown[];
  try {
    head = parseRecordHead(json);
    ballots = recordBallots(json);
  } catch (e) {
    if (e instanceof RangeError) return { ok: false, failure: e.message };
    throw e;
  }
  const headJson = { ...(json as Record<string, unknown>), ballots: [] };
  const tasks = splitBallots(ballots, opts.chunks ?? 2).map(([a, b]): ChunkTask => ({
    head: headJson,
    ballots: ballots.slice(a, b),
    start: a,
    checkProofs: proofs,
  }));
  const results = await (opts.runner ?? inProcessRunner(opts.crypto))(tasks);
  // Parse errors first, in the order parseRecord meets them: the ballots', then the tail's.
  const parseError = results.find((r) => r.parseError !== undefined)?.parseError;
  if (parseError !== undefined) return { ok: false, failure: parseError };
  try {
    const tail = parseRecordTail(json, head.n);
    return { ok: true, summary: joinChunks({ ...head, ...tail }, results, proofs) };
  } catch (e) {
    if (e instanceof Failure || e instanceof RangeError) return { ok: false, failure: e.message };
    throw e;
  }
}

const before = (a: Place, b: Place) =>
  a.ballot < b.ballot || (a.ballot === b.ballot && a.after < b.after);

function joinChunks(
  r: RecordHead & ReturnType<typeof parseRecordTail>,
  results: readonly ChunkResult[],
  proofs: boolean,
): VerifySummary {
  const head = checkHead(r, proofs);
  if (results.some((c) => c.headFailed))
    throw new Failure(
      'a chunk could not rebuild the election the head checks accept (report this)',
    );
  // Replay the joining checks in record order up to the first failure of any kind.
  const ledger = new Ledger(head.hE);
  let first: { place: Place; message: string; abort: boolean } | undefined;
  let falseProof: ChunkResult['falseProof'];
  replay: for (const c of results) {
    if (!falseProof && c.falseProof) falseProof = c.falseProof;
    for (const [j, calls] of c.calls.entries()) {
      const bi = c.start + j;
      const stop = c.failure?.ballot === bi ? c.failure.after : calls.length;
      for (let k = 0; k < stop; k++) {
        try {
          play(ledger, calls[k]!);
        } catch (e) {
          if (!(e instanceof Failure)) throw e;
          // A proof queued after joining check k started was never queued: place k + 1 with
          // `before`'s strict order puts a proof with after <= k first.
          first = { place: { ballot: bi, after: k + 1 }, message: e.message, abort: false };
          break replay;
        }
      }
      if (c.failure?.ballot === bi) {
        // A proof is queued before the ballot's own failure if after <= failure.after.
        const f = c.failure;
        first = { place: { ballot: bi, after: f.after + 1 }, message: f.message, abort: f.abort };
        break replay;
      }
    }
  }
  if (first?.abort) throw new Failure(first.message);
  if (falseProof && (!first || before(falseProof, first.place)))
    throw new Failure(falseProof.message);
  if (first) throw new Failure(first.message);
  checkClosingCodes(r.devices, ledger.chains, head.hE);
  const cast = results.reduce((n, c) => n + c.cast, 0);
  const expected = r.manifest.contests.map((mc, ci) =>
    mc.selections.map((_, si) => {
      let s: Ciphertext = { alpha: ZERO, beta: ZERO };
      for (const c of results) {
        const [a, b] = c.castSums![ci]![si]!;
        s = add(s, { alpha: pointFromHex(a, 'chunk sum'), beta: pointFromHex(b, 'chunk sum') });
      }
      return s;
    }),
  );
  const ballots = results.reduce((n, c) => n + c.calls.length, 0);
  return {
    ballots,
    cast,
    spoiled: ballots - cast,
    devices: ledger.chains.size,
    rangeProofs: results.reduce((n, c) => n + c.rangeProofs, 0),
    ...checkTally(r, head, expected, cast, proofs),
  };
}

function play(ledger: Ledger, call: LedgerCall): void {
  if (call[0] === 'id') ledger.ballotId(call[1], call[2]);
  else if (call[0] === 'ciphertext') ledger.ciphertext(call[1], call[2]);
  else ledger.chain(call[1], call[2], call[3], call[4]);
}
