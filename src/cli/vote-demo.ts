/**
 * `entente demo vote [--voters 10000] [--seed S] [--out RECORD]`: a whole
 * verifiable election in one command (docs/VOTE.md, "The one-command demo").
 * The key ceremony of 3 guardians (threshold 2), simulated voters at 4
 * voting devices over the example manifest (examples/vote/manifest.json,
 * 3 contests), 1 in 100 of whom spoil a ballot first (Benaloh's challenge)
 * and then cast one; the homomorphic tally; its decryption by guardians 1 and
 * 3 with guardian 2 missing; the election record; and the independent
 * verifier's verdict on the record's JSON text alone. Prints the decrypted
 * tally beside the plaintext count of the simulated choices, and exits 1 if
 * the record does not verify or a count differs.
 *
 * Every party's computation is the real one, in this process (only the
 * transport is a function call). The voters' choices come from a PRG
 * (AES-128-CTR) seeded by --seed, so a run is reproducible in its counts;
 * every key, share and nonce still comes from the operating system's CSPRNG.
 * Progress on the long steps (ballots encrypted, ballots verified) goes to
 * stderr, the results to stdout.
 */
import { loadSodium } from '../he/elgamal/sodium-load.js';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { nodeCryptoProvider as crypto } from '../adapters/node/crypto.js';
import { pointToHex } from '../he/elgamal/group.js';
import { Prg } from '../random/prg.js';
import { Device, type Choices, type EncryptedBallot } from '../vote/ballot.js';
import { parseManifest, type Manifest } from '../vote/manifest.js';
import { parseRecord, recordToJson, type ElectionRecord } from '../vote/record.js';
import { finishElection, runCeremony } from '../vote/simulate.js';
import { verifyElection, type VerifyProgress } from '../vote/verify.js';
import { EXIT, UsageError } from './exit.js';

export const DEMO_MANIFEST = fileURLToPath(
  new URL('../../examples/vote/manifest.json', import.meta.url),
);
const GUARDIANS = 3;
const THRESHOLD = 2;
/** The guardian that does not come to the decryption. */
const MISSING = 2;
const DEVICES = 4;
/** One voter in SPOIL_EVERY spoils a ballot before casting one. */
const SPOIL_EVERY = 100;
const DEFAULT_VOTERS = 10_000;
const DEFAULT_SEED = 'entente';

/** A seeded source of small random integers for the simulated voters (not for secrets). */
class VoterRandomness {
  private readonly prg: Prg;
  private readonly buf = new Uint32Array(1024);
  private next = this.buf.length;

  constructor(seed: string) {
    const key = sha256(utf8ToBytes(`entente demo vote voters: ${seed}`)).subarray(0, 16);
    this.prg = new Prg(key, crypto);
  }

  /** Uniform in 0..n-1 (a 32-bit draw reduced mod n: bias below 2^-20 for the small n here). */
  below(n: number): number {
    if (this.next === this.buf.length) {
      this.prg.fill(new Uint8Array(this.buf.buffer));
      this.next = 0;
    }
    return this.buf[this.next++]! % n;
  }
}

/** One simulated voter: the choices, and whether they spoil a ballot first. */
export interface SimulatedVoter {
  readonly choices: Choices;
  readonly spoilsFirst: boolean;
}

/**
 * The voters of a demo run, a function of (manifest, count, seed) only. In
 * each contest a voter leaves it blank with probability 1/20, else marks
 * between 1 and its selection limit distinct selections, each drawn with
 * weight decreasing along the manifest's order (so the counts differ).
 */
export function simulatedVoters(
  manifest: Manifest,
  voters: number,
  seed: string,
): SimulatedVoter[] {
  const rng = new VoterRandomness(seed);
  const out: SimulatedVoter[] = [];
  for (let v = 0; v < voters; v++) {
    const choices: Record<string, Record<string, number>> = {};
    for (const c of manifest.contests) {
      choices[c.id] = {};
      if (rng.below(20) === 0) continue;
      const marks = 1 + rng.below(Math.min(c.selectionLimit, c.selections.length));
      const left = c.selections.map((s, i) => ({ id: s.id, weight: c.selections.length + 1 - i }));
      for (let k = 0; k < marks; k++) {
        let r = rng.below(left.reduce((a, s) => a + s.weight, 0));
        const i = left.findIndex((s) => (r -= s.weight) < 0);
        choices[c.id]![left[i]!.id] = 1;
        left.splice(i, 1);
      }
    }
    out.push({ choices, spoilsFirst: rng.below(SPOIL_EVERY) === 0 });
  }
  return out;
}

/** The plaintext count of the voters' choices (what the tally must decrypt to). */
export function plaintextCounts(
  manifest: Manifest,
  voters: readonly SimulatedVoter[],
): Record<string, Record<string, number>> {
  const counts: Record<string, Record<string, number>> = {};
  for (const c of manifest.contests)
    counts[c.id] = Object.fromEntries(c.selections.map((s) => [s.id, 0]));
  for (const v of voters)
    for (const [c, sel] of Object.entries(v.choices))
      for (const [s, n] of Object.entries(sel)) counts[c]![s]! += n;
  return counts;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A progress line on stderr: rewritten in place on a terminal, else one line per tenth. */
export function progress(label: string): (done: number, total: number) => void {
  const tty = process.stderr.isTTY;
  const t0 = performance.now();
  let lastTenth = -1;
  let lastDraw = 0;
  return (done, total) => {
    const now = performance.now();
    const tenth = Math.floor((10 * done) / total);
    const text = `${label}: ${done}/${total} (${secs(now - t0)})`;
    if (tty) {
      if (now - lastDraw < 200 && done < total) return;
      lastDraw = now;
      process.stderr.write(`\r${text}${done === total ? '\n' : ''}`);
    } else if (tenth !== lastTenth) {
      lastTenth = tenth;
      process.stderr.write(`${text}\n`);
    }
  };
}

function positiveInt(named: ReadonlyMap<string, string>, flag: string, fallback: number): number {
  const text = named.get(flag);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`demo vote: --${flag} must be a positive integer, got '${text}'`);
  return n;
}

export async function voteDemo(named: ReadonlyMap<string, string>): Promise<number> {
  const voters = positiveInt(named, 'voters', DEFAULT_VOTERS);
  const seed = named.get('seed') ?? DEFAULT_SEED;
  const out = named.get('out');
  await loadSodium();
  const start = performance.now();
  const manifest = parseManifest(
    JSON.parse(await readFile(DEMO_MANIFEST, 'utf8')),
    'examples/vote/manifest.json',
  );
  const people = simulatedVoters(manifest, voters, seed);
  console.log(
    `entente demo vote: ${manifest.name} (examples/vote/manifest.json, ${manifest.contests.length} contests); ` +
      `${voters} simulated voters (seed '${seed}') at ${DEVICES} devices; ${GUARDIANS} guardians, threshold ${THRESHOLD}`,
  );

  let t0 = performance.now();
  const { election, guardians } = runCeremony(manifest, GUARDIANS, THRESHOLD, crypto);
  console.log(
    `key ceremony     ${GUARDIANS} guardians (Pedersen, with complaints): qualified [${election.ceremony.qualified.join(', ')}], ` +
      `joint key ${pointToHex(election.key.point).slice(0, 16)}...  ${secs(performance.now() - t0)}`,
  );

  t0 = performance.now();
  const devices = Array.from(
    { length: DEVICES },
    (_, i) => new Device(election, `device-${i + 1}`, crypto),
  );
  const ballots: EncryptedBallot[] = [];
  const tick = progress('voting: voters done');
  let spoiled = 0;
  people.forEach((v, i) => {
    const d = devices[i % DEVICES]!;
    if (v.spoilsFirst) {
      ballots.push(d.spoil(d.encrypt(`voter-${i + 1}-challenge`, v.choices)));
      spoiled++;
    }
    ballots.push(d.cast(d.encrypt(`voter-${i + 1}`, v.choices)));
    tick(i + 1, voters);
  });
  const votingMs = performance.now() - t0;
  console.log(
    `voting           ${ballots.length} ballots encrypted and proved (${spoiled} spoiled by their voters, then cast again): ` +
      `${secs(votingMs)} (${(votingMs / ballots.length).toFixed(1)} ms per ballot)`,
  );

  t0 = performance.now();
  const present = guardians.map((g) => g.index).filter((i) => i !== MISSING);
  const record = finishElection(election, guardians, devices, ballots, present, crypto);
  console.log(
    `tally            homomorphic sums of ${voters} cast ballots, decrypted by guardians ${present.join(' and ')} ` +
      `(guardian ${MISSING} missing: Lagrange interpolation over the present guardians' shares)  ${secs(performance.now() - t0)}`,
  );

  t0 = performance.now();
  const text = JSON.stringify(recordToJson(record));
  if (out) await writeFile(out, text + '\n');
  console.log(
    `election record  ${(text.length / 1e6).toFixed(1)} MB of JSON${out ? `, written to ${out}` : ''}  ${secs(performance.now() - t0)}`,
  );

  // The verifier sees only the record's text, as `entente verify election` does
  // (verifyElectionJson's two parts, timed apart: decoding is a third of the work).
  t0 = performance.now();
  process.stderr.write(
    `verification: reading the record (${(text.length / 1e6).toFixed(1)} MB; every element decoded and checked canonical)\n`,
  );
  let parsed: ElectionRecord;
  try {
    parsed = parseRecord(JSON.parse(text));
  } catch (e) {
    console.log(`verification     FAILED: ${(e as Error).message}`);
    return EXIT.failed;
  }
  const readMs = performance.now() - t0;
  const ballotTick = progress('verification: ballots checked');
  const verdict = verifyElection(parsed, {
    crypto,
    onProgress: (p: VerifyProgress) => {
      if (p.step === 'ballots') ballotTick(p.done, p.total);
      else {
        ballotTick(ballots.length, ballots.length);
        process.stderr.write(`verification: the batch of ${p.total} range proofs\n`);
      }
    },
  });
  const verifyMs = performance.now() - t0;
  if (!verdict.ok) {
    console.log(`verification     FAILED: ${verdict.failure}  ${secs(verifyMs)}`);
    console.log(`total            ${secs(performance.now() - start)}`);
    return EXIT.failed;
  }
  const m = verdict.summary;
  console.log(
    `verification     VERIFIED: ${m.ballots} ballots (${m.cast} cast, ${m.spoiled} spoiled and re-encrypted), ` +
      `${m.rangeProofs} range proofs, ${m.devices} chains of confirmation codes, the tally, ${m.decryptionShares} decryption shares  ` +
      `${secs(verifyMs)} (reading the record ${secs(readMs)}, checks ${secs(verifyMs - readMs)})`,
  );

  const plain = plaintextCounts(manifest, people);
  const width = Math.max(
    ...manifest.contests.flatMap((c) => c.selections.map((s) => s.name.length)),
  );
  console.log('');
  console.log(
    `${'selection'.padEnd(width + 2)} ${'tally'.padStart(7)} ${'plaintext'.padStart(10)}`,
  );
  let differ = 0;
  for (const c of manifest.contests) {
    console.log(c.name);
    for (const s of c.selections) {
      const got = m.counts[c.id]![s.id]!;
      const want = plain[c.id]![s.id]!;
      if (got !== want) differ++;
      console.log(
        `  ${s.name.padEnd(width)} ${String(got).padStart(7)} ${String(want).padStart(10)}${got === want ? '' : '  DIFFERS'}`,
      );
    }
  }
  console.log('');
  console.log(
    differ === 0
      ? 'every count equals the plaintext count of the simulated choices'
      : `${differ} count${differ === 1 ? '' : 's'} differ from the plaintext count`,
  );
  console.log(`total            ${secs(performance.now() - start)}`);
  return differ === 0 ? EXIT.ok : EXIT.failed;
}
