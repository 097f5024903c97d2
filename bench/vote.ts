/**
 * The verifiable vote's benchmark (issue 16): ristretto255 ElGamal, ballot
 * encryption with its proofs, and a whole election record verified.
 *
 *   npm run bench -- vote [--ballots 10000] [--selections 10] [--only chromium,elgamal,ballot,record]
 *                         [--workers 1,2] [--fresh] [--ristretto sodium|noble]
 *
 * ristretto255 goes through libsodium (src/he/elgamal/sodium.ts) unless
 * `--ristretto noble`; the verifier's worker threads use noble either way.
 * Prints:
 * 1. ElGamal encryptions, decryptions (to m·G, and to m by the 2^32 table)
 *    and homomorphic additions per second, beside the same sums of plain
 *    numbers (the "x plain" ratio);
 * 2. encrypting and proving one ballot of --selections selections (one
 *    contest, vote for one), the first call beside the warm mean; verifying
 *    one ballot alone (each proof by itself) and in a batch;
 * 3. a record of --ballots ballots (3 guardians, threshold 2, one missing at
 *    decryption, 4 devices, 1% spoiled): the time to make it (not a target),
 *    the tally, and the full verification of its JSON (parsing and decoding
 *    every element, every proof batched, the chains, the tally and the
 *    decryption): on one thread with where the time goes (JSON.parse,
 *    decoding, checks, the batch's multi-scalar multiplication), and on
 *    each --workers count of worker threads (the CLI's verifier). The record
 *    is made once and cached in the temporary directory (--fresh: again).
 * 4. first, the same ballot encrypted and proved in headless Chromium
 *    (./vote-browser.ts; skipped when `chromium` is not installed).
 */
import { nodeCryptoProvider as crypto } from '../src/adapters/node/crypto.js';
import { discreteLog32 } from '../src/he/elgamal/dlog.js';
import { add, decryptToPoint, encrypt, PublicKey } from '../src/he/elgamal/elgamal.js';
import { mulG, randomScalar } from '../src/he/elgamal/group.js';
import { BatchVerifier, verifyRange } from '../src/he/elgamal/proofs.js';
import { loadSodium } from '../src/he/elgamal/sodium-load.js';
import { setSodiumEnabled } from '../src/he/elgamal/sodium.js';
import { contestContext, Device, selectionContext, type Choices } from '../src/vote/ballot.js';
import { parseManifest, type Manifest } from '../src/vote/manifest.js';
import { parseRecord, recordToJson } from '../src/vote/record.js';
import { finishElection, runCeremony } from '../src/vote/simulate.js';
import { accumulate } from '../src/vote/tally.js';
import { verifyElection } from '../src/vote/verify.js';
import { verifyElectionInWorkers } from '../src/adapters/node/verify-workers.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timePlain } from './plain.js';
import { sum } from '../src/he/elgamal/elgamal.js';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

const ms = (s: number) => (s * 1000).toFixed(s < 0.01 ? 2 : 1);
const rate = (n: number, s: number) => Math.round(n / s).toLocaleString('en-US');

function manifestOf(selections: number): Manifest {
  return parseManifest({
    electionScope: 'bench',
    name: 'Benchmark election',
    contests: [
      {
        id: 'contest',
        selectionLimit: 1,
        selections: Array.from({ length: selections }, (_, i) => ({ id: `option-${i + 1}` })),
      },
    ],
  });
}

/**
 * The process's CPU seconds (every thread, workers included) since `from`:
 * on a machine shared with other work, the CPU time is what the wall time
 * would be alone (on one thread), and it is printed beside it.
 */
function cpuSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}

let lastCpu = 0;
/** Seconds per call: the mean over `reps` calls after `warm` untimed ones (CPU seconds per call in lastCpu). */
function timeIt(run: (i: number) => unknown, reps: number, warm = Math.min(reps, 20)): number {
  for (let i = 0; i < warm; i++) run(i);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run(i);
  lastCpu = cpuSince(c0) / reps;
  return (performance.now() - t0) / 1000 / reps;
}

function benchElGamal(): void {
  const s = randomScalar(crypto);
  const key = new PublicKey(mulG(s));
  const n = 300;
  const enc = timeIt(() => encrypt(key, 1, crypto), n);
  const cts = Array.from({ length: n }, (_, i) => encrypt(key, i % 2, crypto).ct);
  const dec = timeIt((i) => decryptToPoint(cts[i % n]!, s), n);
  const table = discreteLog32();
  const decoded = timeIt((i) => table.solve(decryptToPoint(cts[i % n]!, s)), n);
  let acc = cts[0]!;
  const addS = timeIt((i) => (acc = add(acc, cts[i % n]!)), 20_000, 2_000);
  const plainNums = Float64Array.from({ length: 1_000_000 }, (_, i) => i % 2);
  const plainAdd =
    timePlain(() => {
      let x = 0;
      for (let i = 0; i < plainNums.length; i++) x += plainNums[i]!;
      return x;
    }) / plainNums.length;
  console.log('ElGamal over ristretto255 (one key, one core):');
  console.log(`  encryptions    ${rate(1, enc)}/s   (${ms(enc)} ms each)`);
  console.log(
    `  decryptions    ${rate(1, dec)}/s to m·G, ${rate(1, decoded)}/s to m (the 2^32 table, m < 2^16)`,
  );
  console.log(
    `  additions      ${rate(1, addS)}/s   (${(addS / plainAdd).toFixed(0)}x plain: ${rate(1, plainAdd)}/s adding plain numbers)`,
  );
}

function benchBallot(selections: number): void {
  const manifest = manifestOf(selections);
  const { election } = runCeremony(manifest, 3, 2, crypto);
  const device = new Device(election, 'bench-device', crypto);
  const choice = (i: number): Choices => ({ contest: { [`option-${(i % selections) + 1}`]: 1 } });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const first = device.encrypt('first', choice(0));
  const firstS = (performance.now() - t0) / 1000;
  const firstCpu = cpuSince(c0);
  const reps = 40;
  const warm = timeIt((i) => device.cast(device.encrypt(`b${i}`, choice(i))), reps, 5);
  const warmCpu = lastCpu;
  const hE = election.hashes.extendedBase;
  const c = first.contests[0]!;
  const alone = timeIt(
    () => {
      c.selections.forEach((s) =>
        verifyRange(s.ct, s.proof!, 1, election.key, selectionContext(hE, 'contest', s.id)),
      );
      verifyRange(
        sum(c.selections.map((s) => s.ct)),
        c.proof!,
        1,
        election.key,
        contestContext(hE, 'contest'),
      );
    },
    10,
    2,
  );
  const batched = timeIt(
    () => {
      const b = new BatchVerifier(crypto);
      c.selections.forEach((s) => b.addRange(s.ct, s.proof!, election.key));
      b.addRange(
        sum(c.selections.map((s) => s.ct)),
        c.proof!,
        election.key,
        c.selections.map((s) => s.ct),
      );
      return b.check();
    },
    10,
    2,
  );
  console.log(
    `ballot of ${selections} selections (one contest, vote for one; ${selections + 1} range proofs):`,
  );
  console.log(
    `  encrypt and prove   first ${ms(firstS)} ms, warm ${ms(warm)} ms (${rate(1, warm)} ballots/s); CPU time first ${ms(firstCpu)} ms, warm ${ms(warmCpu)} ms`,
  );
  console.log(
    `  verify one ballot   ${ms(alone)} ms proof by proof, ${ms(batched)} ms as one batch (elements already decoded)`,
  );
}

/**
 * The record's JSON text, made once per (ballots, selections) and cached in
 * the temporary directory: making 10,000 ballots takes minutes, and repeated
 * verification runs need only the text. --fresh makes it again.
 */
function recordText(ballots: number, selections: number, fresh: boolean): string {
  const file = join(tmpdir(), `entente-vote-record-${ballots}x${selections}.json`);
  if (!fresh && existsSync(file)) {
    console.log(`record of ${ballots} ballots x ${selections} selections: cached in ${file}`);
    return readFileSync(file, 'utf8');
  }
  const manifest = manifestOf(selections);
  let t0 = performance.now();
  const { election, guardians } = runCeremony(manifest, 3, 2, crypto);
  const devices = Array.from(
    { length: 4 },
    (_, i) => new Device(election, `device-${i + 1}`, crypto),
  );
  const list = [];
  for (let i = 0; i < ballots; i++) {
    const d = devices[i % devices.length]!;
    const b = d.encrypt(`ballot-${i + 1}`, {
      contest: { [`option-${((i * 7) % selections) + 1}`]: 1 },
    });
    list.push(i % 100 === 99 ? d.spoil(b) : d.cast(b));
    if ((i + 1) % 1000 === 0)
      process.stdout.write(`\r  making the record: ${i + 1}/${ballots} ballots`);
  }
  const makeS = (performance.now() - t0) / 1000;
  t0 = performance.now();
  accumulate(election, list);
  const tallyS = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const record = finishElection(election, guardians, devices, list, [1, 3], crypto);
  const decryptS = (performance.now() - t0) / 1000 - tallyS;
  const text = JSON.stringify(recordToJson(record));
  process.stdout.write('\r');
  console.log(
    `record of ${ballots} ballots x ${selections} selections (3 guardians, threshold 2, guardian 2 missing; 4 devices):`,
  );
  console.log(
    `  making it           ${makeS.toFixed(1)} s (${ms(makeS / ballots)} ms per ballot; not a target)`,
  );
  console.log(
    `  tally               ${ms(tallyS)} ms (homomorphic sums); decryption by 2 guardians ${ms(decryptS)} ms`,
  );
  writeFileSync(file, text);
  console.log(`  cached in ${file}`);
  return text;
}

async function benchRecord(
  ballots: number,
  selections: number,
  fresh: boolean,
  workerCounts: number[],
): Promise<void> {
  const text = recordText(ballots, selections, fresh);
  console.log(`  record              ${(text.length / 1e6).toFixed(1)} MB of JSON`);
  for (const workers of workerCounts) {
    if (workers === 1) verifyOnOneThread(text);
    else {
      // As `entente verify election` runs it on a large record: JSON.parse here,
      // then each worker decodes and checks its half of the ballots.
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const json = JSON.parse(text) as unknown;
      const r = await verifyElectionInWorkers(json, { crypto, workers });
      const s = (performance.now() - t0) / 1000;
      const cpu = cpuSince(c0);
      if (!r.ok) throw new Error(`bench: the honest record fails verification: ${r.failure}`);
      console.log(
        `  full verification   ${s.toFixed(1)} s on ${workers} worker threads (JSON.parse, decoding and checks; CPU time ${cpu.toFixed(1)} s, ${(cpu / workers).toFixed(1)} s per thread)`,
      );
    }
  }
}

/** The sequential verifier, in its parts: JSON.parse, decoding every element, the checks (and the batch's MSM among them). */
function verifyOnOneThread(text: string): void {
  const c0 = process.cpuUsage();
  let t0 = performance.now();
  const json = JSON.parse(text) as unknown;
  const parseJsonS = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const parsed = parseRecord(json);
  const decodeS = (performance.now() - t0) / 1000;
  // The multi-scalar multiplication's share: time BatchVerifier.check while the checks run.
  const check = Object.getOwnPropertyDescriptor(BatchVerifier.prototype, 'check')!
    .value as BatchVerifier['check'];
  let msmS = 0;
  BatchVerifier.prototype.check = function (this: BatchVerifier) {
    const t = performance.now();
    try {
      return check.call(this);
    } finally {
      msmS += (performance.now() - t) / 1000;
    }
  };
  t0 = performance.now();
  const r = verifyElection(parsed, { crypto });
  const checkS = (performance.now() - t0) / 1000;
  BatchVerifier.prototype.check = check;
  const cpu = cpuSince(c0);
  if (!r.ok) throw new Error(`bench: the honest record fails verification: ${r.failure}`);
  console.log(
    `  full verification   ${(parseJsonS + decodeS + checkS).toFixed(1)} s on 1 thread (${r.summary.rangeProofs} range proofs, ${r.summary.decryptionShares} decryption shares): ` +
      `JSON.parse ${parseJsonS.toFixed(1)} s, decoding every element ${decodeS.toFixed(1)} s, checks ${checkS.toFixed(1)} s (of which the batch's MSM ${msmS.toFixed(1)} s); CPU time ${cpu.toFixed(1)} s`,
  );
}

export async function runVoteBench(args: string[]): Promise<void> {
  await loadSodium();
  setSodiumEnabled(option(args, 'ristretto') !== 'noble');
  const ballots = Number(option(args, 'ballots') ?? 10_000);
  const selections = Number(option(args, 'selections') ?? 10);
  const only = new Set((option(args, 'only') ?? 'chromium,elgamal,ballot,record').split(','));
  if (only.has('chromium'))
    await (await import('./vote-browser.js')).benchBallotInChromium(selections);
  if (only.has('elgamal')) benchElGamal();
  if (only.has('ballot')) benchBallot(selections);
  const workers = (option(args, 'workers') ?? '1,2').split(',').map(Number);
  if (only.has('record')) await benchRecord(ballots, selections, args.includes('--fresh'), workers);
}
