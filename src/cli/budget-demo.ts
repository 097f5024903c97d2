/**
 * `entente demo budget [--residents 2000] [--seed S]`: participatory budgeting
 * through the verifiable vote (docs/APPS.md, "entente demo budget"). The key
 * ceremony of 3 guardians (threshold 2); residents at 4 voting devices each
 * distribute exactly 100 points over 8 projects (a cumulative contest: each
 * allocation proved in 0..100 by encrypted bits, the total proved exact;
 * src/vote/cumulative.ts); the homomorphic tally of points per project,
 * decrypted by guardians 1 and 3; the projects funded within the public
 * budget by the greedy-by-points rule (src/vote/budget.ts); and the
 * independent verifier's verdict on the record's JSON text. Prints the
 * decrypted points beside the plaintext sums of the residents' allocations
 * and the funding decided from each, and exits 1 if the record does not
 * verify or anything differs.
 *
 * The residents' allocations come from a PRG seeded by --seed; every key,
 * share and nonce comes from the operating system's CSPRNG. Progress on the
 * long steps goes to stderr, the results to stdout.
 */
import { availableParallelism } from 'node:os';
import { nodeCryptoProvider as crypto } from '../adapters/node/crypto.js';
import { verifyElectionInWorkers } from '../adapters/node/verify-workers.js';
import { loadSodium } from '../he/elgamal/sodium-load.js';
import { pointToHex } from '../he/elgamal/group.js';
import { Device, type EncryptedBallot } from '../vote/ballot.js';
import {
  BUDGET,
  BUDGET_CONTEST,
  budgetManifest,
  fundProjects,
  plaintextPoints,
  PROJECTS,
  residentAllocations,
} from '../vote/budget.js';
import { recordToJson } from '../vote/record.js';
import { finishElection, runCeremony } from '../vote/simulate.js';
import { EXIT, UsageError } from './exit.js';
import { progress } from './vote-demo.js';

const GUARDIANS = 3;
const THRESHOLD = 2;
const MISSING = 2;
const DEVICES = 4;
const DEFAULT_RESIDENTS = 2000;
const DEFAULT_SEED = 'entente';

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function residentsFlag(named: ReadonlyMap<string, string>): number {
  const text = named.get('residents');
  if (text === undefined) return DEFAULT_RESIDENTS;
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n) || n < 1 || n > 1_000_000)
    throw new UsageError(
      `demo budget: --residents must be an integer in 1..1000000, got '${text}'`,
    );
  return n;
}

export async function budgetDemo(named: ReadonlyMap<string, string>): Promise<number> {
  const residents = residentsFlag(named);
  const seed = named.get('seed') ?? DEFAULT_SEED;
  await loadSodium();
  const start = performance.now();
  const manifest = budgetManifest();
  const allocations = residentAllocations(residents, seed, crypto);
  console.log(
    `entente demo budget: ${residents} residents (seed '${seed}') distribute 100 points each over ${PROJECTS.length} projects ` +
      `at ${DEVICES} devices; ${GUARDIANS} guardians, threshold ${THRESHOLD}; public budget ${BUDGET}k`,
  );

  let t0 = performance.now();
  const { election, guardians } = runCeremony(manifest, GUARDIANS, THRESHOLD, crypto);
  console.log(
    `key ceremony     ${GUARDIANS} guardians: qualified [${election.ceremony.qualified.join(', ')}], ` +
      `joint key ${pointToHex(election.key.point).slice(0, 16)}...  ${secs(performance.now() - t0)}`,
  );

  t0 = performance.now();
  const devices = Array.from(
    { length: DEVICES },
    (_, i) => new Device(election, `device-${i + 1}`, crypto),
  );
  const ballots: EncryptedBallot[] = [];
  const tick = progress('ballots: encrypted and proved');
  allocations.forEach((choices, i) => {
    const d = devices[i % DEVICES]!;
    ballots.push(d.cast(d.encrypt(`resident-${i + 1}`, choices)));
    tick(i + 1, residents);
  });
  const votingMs = performance.now() - t0;
  console.log(
    `ballots          ${residents} cumulative ballots, each 8 allocations x 7 encrypted bits with 0/1 proofs ` +
      `and a proof that the points total 100: ${secs(votingMs)} (${(votingMs / residents).toFixed(1)} ms per ballot)`,
  );

  t0 = performance.now();
  const present = guardians.map((g) => g.index).filter((i) => i !== MISSING);
  const record = finishElection(election, guardians, devices, ballots, present, crypto);
  console.log(
    `tally            points per project summed under encryption, decrypted by guardians ${present.join(' and ')} ` +
      `(guardian ${MISSING} missing)  ${secs(performance.now() - t0)}`,
  );

  t0 = performance.now();
  const text = JSON.stringify(recordToJson(record));
  const workers = residents < 100 ? 1 : availableParallelism();
  process.stderr.write(
    `verification: ${(text.length / 1e6).toFixed(1)} MB of record on ${workers} thread${workers === 1 ? '' : 's'}\n`,
  );
  const verdict = await verifyElectionInWorkers(JSON.parse(text), { crypto, workers });
  const verifyMs = performance.now() - t0;
  if (!verdict.ok) {
    console.log(`verification     FAILED: ${verdict.failure}  ${secs(verifyMs)}`);
    return EXIT.failed;
  }
  const m = verdict.summary;
  console.log(
    `verification     VERIFIED from the record's text alone: ${m.ballots} ballots, ${m.rangeProofs} bit proofs, ` +
      `${m.ballots * PROJECTS.length} bit combinations, ${m.ballots} proofs of the total, the tally, ${m.decryptionShares} decryption shares  ${secs(verifyMs)}`,
  );

  const secure = m.counts[BUDGET_CONTEST]!;
  const plain = plaintextPoints(allocations);
  const fundS = fundProjects(secure, BUDGET);
  const fundP = fundProjects(plain, BUDGET);
  const width = Math.max(...PROJECTS.map((p) => p.name.length));
  console.log('');
  console.log(
    `${'project'.padEnd(width)} ${'cost'.padStart(6)} ${'tally'.padStart(8)} ${'plaintext'.padStart(10)}  funded`,
  );
  let differ = 0;
  for (const o of fundS.order) {
    const p = PROJECTS.find((x) => x.id === o.id)!;
    const want = plain[o.id]!;
    const plainFunded = fundP.order.find((x) => x.id === o.id)!.funded;
    const same = o.points === want && o.funded === plainFunded;
    if (!same) differ++;
    console.log(
      `${p.name.padEnd(width)} ${`${p.cost}k`.padStart(6)} ${String(o.points).padStart(8)} ${String(want).padStart(10)}  ${o.funded ? 'yes' : 'no'}${same ? '' : '  DIFFERS'}`,
    );
  }
  console.log('');
  console.log(
    `funded (greedy by points: most points first, each funded if its cost fits what is left): ` +
      `${fundS.order.filter((o) => o.funded).length} projects, ${fundS.spent}k of ${BUDGET}k`,
  );
  console.log(
    differ === 0
      ? 'every total and every funding decision equals the plaintext computation'
      : `${differ} project${differ === 1 ? '' : 's'} differ from the plaintext computation`,
  );
  console.log(`total            ${secs(performance.now() - start)}`);
  return differ === 0 ? EXIT.ok : EXIT.failed;
}
