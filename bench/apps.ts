/**
 * `npm run bench -- apps [--members 200,2000] [--contributions 100x960,2000x4]`:
 *   - contributions from non-parties (src/api/contributions.ts): sealing at the
 *     contributor (ms per contribution), and collection by three rep3 nodes in this
 *     process (open, input, range checks; contributions/s, rounds, bytes), against
 *     summing the same values in the clear;
 *   - `entente demo pay-transparency` at each member count: MPC time, rounds and bytes
 *     against the same outputs computed in the clear;
 *   - `entente demo donation` at each `--people` count (default 12,50,500: the issue's 5-50 and 10x);
 *   - `entente demo hospitals` at each `--input-parties` count (default 10,30,100), with
 *     `--owner-rows` patients per hospital (default 50): the owners' time to compute and
 *     seal, bytes uploaded, the nodes' time, rounds and bytes, against the study's
 *     answers computed in the clear on the pooled records.
 *   - `entente demo budget` at each `--residents` count (default 2000,20000): encrypt and
 *     prove per ballot (the first ballot beside the warm average), the record's bytes per
 *     ballot, verification of the record's JSON on one worker per core, the homomorphic
 *     tally, its decryption and decoding (BSGS), against summing the allocations in the clear.
 *   - with `--budget-parts N`: first, where a budget ballot's CPU time goes (N ballots'
 *     worth of each part), through noble and through libsodium.
 * ristretto255 goes through libsodium (src/he/elgamal/sodium.ts); `--ristretto noble`
 * measures the plain-JavaScript path instead (the same ballots, byte for byte).
 * A list given as `none` skips that part.
 * Each size runs once (a first call: a user runs it once).
 */
import { nodeCryptoProvider } from '../src/adapters/node/crypto.js';
import {
  collectContributions,
  contribute,
  contributionKeyPair,
  type Contribution,
  type ContributionSchema,
} from '../src/api/contributions.js';
import { runLocal } from '../src/api/run.js';
import { payMembers, payPlaintext, runPayTransparency } from '../src/apps/pay.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseStudyText } from '../src/analytics/study/parse.js';
import {
  defaultRule,
  donationPeople,
  donationPlaintext,
  runDonation,
} from '../src/apps/donation.js';
import {
  ownerIds,
  ownerTable,
  runHospitalOwners,
  withOwners,
} from '../src/apps/hospital-owners.js';
import { pooledReference } from '../src/cli/study.js';
import { runOverTls } from '../src/cli/tls-nodes.js';
import { availableParallelism } from 'node:os';
import { verifyElectionInWorkers } from '../src/adapters/node/verify-workers.js';
import { Device, type EncryptedBallot } from '../src/vote/ballot.js';
import {
  BUDGET_CONTEST,
  budgetManifest,
  plaintextPoints,
  residentAllocations,
} from '../src/vote/budget.js';
import { loadSodium } from '../src/he/elgamal/sodium-load.js';
import { setSodiumEnabled } from '../src/he/elgamal/sodium.js';
import { encryptWith, sum, type Ciphertext } from '../src/he/elgamal/elgamal.js';
import { mod, randomScalar } from '../src/he/elgamal/group.js';
import { proveRange, proveSum } from '../src/he/elgamal/proofs.js';
import { bitNonce } from '../src/vote/cumulative.js';
import { recordToJson } from '../src/vote/record.js';
import { runCeremony } from '../src/vote/simulate.js';
import { accumulate, decryptTally } from '../src/vote/tally.js';

function option(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
}

async function contributions(m: number, k: number): Promise<void> {
  const schema: ContributionSchema = {
    collection: `bench-${m}x${k}`,
    fields: Array.from({ length: k }, (_, j) => ({ name: `f${j}`, min: 0, max: 1_000_000 })),
  };
  const keys = await Promise.all([0, 1, 2].map(() => contributionKeyPair()));
  const values = Array.from({ length: m }, (_, i) =>
    Array.from({ length: k }, (_, j) => (i * 7919 + j * 104729) % 1_000_001),
  );
  const t0 = performance.now();
  const list: Contribution[] = [];
  for (let i = 0; i < m; i++)
    list.push(
      await contribute(
        schema,
        keys.map((x) => x.publicKey),
        `c${i}`,
        values[i]!,
      ),
    );
  const sealMs = (performance.now() - t0) / m;
  const t1 = performance.now();
  const out = await runLocal(
    async (s) => {
      const c = await collectContributions(s, schema, list, keys[s.indexOf(s.me)]!.privateKey);
      return c.accepted.length;
    },
    { suite: 'rep3', parties: 3, crypto: nodeCryptoProvider },
  );
  const secs = (performance.now() - t1) / 1000;
  const tp = performance.now();
  const sums = new Float64Array(k);
  for (const row of values) row.forEach((v, j) => (sums[j]! += v));
  const plainSecs = Math.max((performance.now() - tp) / 1000, 1e-6);
  const st = out[0]!.stats;
  console.log(
    `contributions ${m} x ${k} fields: seal ${sealMs.toFixed(1)} ms each at the contributor; ` +
      `collect ${secs.toFixed(2)} s (${(m / secs).toFixed(0)} contributions/s, ${((m * k) / secs / 1e3).toFixed(1)}k values/s), ` +
      `${st.rounds} rounds, ${(st.bytesSent / m / k).toFixed(0)} B per value per node; ` +
      `accepted ${out[0]!.result}/${m}; ${(secs / plainSecs).toFixed(0)}x summing in the clear`,
  );
}

const list = (args: string[], name: string, dflt: string) => {
  const v = option(args, name, dflt);
  return v === 'none' ? [] : v.split(',');
};

async function donation(n: number): Promise<void> {
  const incomes = donationPeople(n, 2026).map((p) => p.income);
  const tp = performance.now();
  donationPlaintext(incomes, defaultRule(n));
  const plainSecs = Math.max((performance.now() - tp) / 1000, 1e-6);
  const r = await runDonation({ people: n }, nodeCryptoProvider);
  console.log(
    `donation ${n} people: MPC ${r.seconds.toFixed(2)} s, ${r.rounds} rounds, ` +
      `${(r.bytesSent / 1e6).toFixed(1)} MB sent by the 3 nodes; ${(r.seconds / plainSecs).toFixed(0)}x the plaintext`,
  );
}

async function hospitals(owners: number, rows: number): Promise<void> {
  const file = fileURLToPath(new URL('../examples/hospitals/study.yaml', import.meta.url));
  const study = parseStudyText(readFileSync(file, 'utf8'), file);
  const tables = Array.from({ length: owners }, (_, i) => ownerTable(study, i, rows, 2025));
  const tp = performance.now();
  pooledReference(withOwners(study, ownerIds(owners)), tables);
  const plainSecs = Math.max((performance.now() - tp) / 1000, 1e-6);
  const r = await runHospitalOwners(study, tables, {
    crypto: nodeCryptoProvider,
    runNodes: (program, nodes) => runOverTls(program, nodes),
  });
  const p = r.phases;
  const kept = owners - r.outcome.dropped.length;
  console.log(
    `hospitals ${owners} owners x ${rows} patients (${kept} kept): owners ${(r.sealSeconds / owners).toFixed(2)} s each to compute and seal ` +
      `(${r.sealSeconds.toFixed(1)} s all), ${(r.uploadBytes / owners / 1e3).toFixed(0)} kB uploaded each; ` +
      `nodes ${r.seconds.toFixed(1)} s = setup ${p.setup.toFixed(1)} + open ${p.open.toFixed(1)} + input and range checks ${p.rangeCheck.toFixed(1)} ` +
      `+ assemble ${p.assemble.toFixed(1)} + study ${p.study.toFixed(1)}, ${r.rounds} rounds, ` +
      `${(r.bytesSent / 1e6).toFixed(1)} MB sent by the 3 nodes; the study in the clear ${(plainSecs * 1e3).toFixed(0)} ms ` +
      `(${(r.seconds / plainSecs).toFixed(0)}x)`,
  );
}

/**
 * Where a budget ballot's CPU time goes, through noble and through libsodium
 * (the same work as `Device.encrypt`, in its parts): deriving the 64 nonces,
 * 64 encryptions (56 bits, 8 allocations), 56 two-branch bit proofs and the
 * proof of the total, each over `n` ballots' worth, beside whole ballots.
 */
function budgetParts(n: number): void {
  const crypto = nodeCryptoProvider;
  const { election } = runCeremony(budgetManifest(), 3, 2, crypto);
  const key = election.key;
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const per = (f: () => void) => {
    const t = cpu();
    for (let k = 0; k < n; k++) f();
    return ((cpu() - t) / n).toFixed(1);
  };
  for (const path of ['noble', 'sodium']) {
    setSodiumEnabled(path === 'sodium');
    const allocs = residentAllocations(n + 1, 'parts', crypto);
    const d = new Device(election, 'parts', crypto);
    d.encrypt('warm-up', allocs[n]!);
    let i = 0;
    const ballot = per(() => void d.encrypt(`b-${i}`, allocs[i++]!));
    const rs = Array.from({ length: 64 }, () => randomScalar(crypto));
    const nonces = per(() => {
      for (let j = 0; j < 64; j++) bitNonce('hE', 'seed', 'ballot', 'budget', 'p', j);
    });
    let cts: Ciphertext[] = [];
    const enc = per(() => {
      cts = rs.map((r, j) => encryptWith(key, j % 2, r));
    });
    const bits = per(() => {
      for (let j = 0; j < 56; j++) proveRange(cts[j]!, rs[j]!, j % 2, 1, key, ['bit', j], crypto);
    });
    const r8 = mod(rs.slice(0, 8).reduce((a, b) => a + b, 0n));
    const total = per(() => void proveSum(sum(cts.slice(0, 8)), r8, 4, 4, key, ['total'], crypto));
    console.log(
      `budget ballot through ${path}: ${ballot} ms of CPU per ballot; its parts: 64 nonces ${nonces} ms, ` +
        `64 encryptions ${enc} ms, 56 bit proofs ${bits} ms, the total's proof ${total} ms`,
    );
  }
  setSodiumEnabled(true);
}

async function budget(n: number): Promise<void> {
  const crypto = nodeCryptoProvider;
  const manifest = budgetManifest();
  const allocations = residentAllocations(n, 'bench', crypto);
  const tp = performance.now();
  const plain = plaintextPoints(allocations);
  const plainMs = Math.max(performance.now() - tp, 1e-3);
  const { election, guardians } = runCeremony(manifest, 3, 2, crypto);
  const devices = [1, 2, 3, 4].map((i) => new Device(election, `device-${i}`, crypto));
  const ballots: EncryptedBallot[] = [];
  // CPU time beside wall time: the machine may be shared (process-wide, worker threads included).
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  let c0 = cpu();
  let t0 = performance.now();
  let firstMs = 0;
  allocations.forEach((c, i) => {
    const d = devices[i % 4]!;
    ballots.push(d.cast(d.encrypt(`resident-${i + 1}`, c)));
    if (i === 0) firstMs = performance.now() - t0;
    if ((i + 1) % 500 === 0) process.stderr.write(`budget ${n}: ${i + 1} ballots encrypted\n`);
  });
  const encMs = performance.now() - t0;
  const encCpu = cpu() - c0;
  const warmMs = n > 1 ? (encMs - firstMs) / (n - 1) : firstMs;
  t0 = performance.now();
  const tally = accumulate(election, ballots);
  const tallyMs = performance.now() - t0;
  t0 = performance.now();
  const present = guardians.filter((g) => g.index !== 2);
  const shares = new Map(present.map((g) => [g.index, g.decrypt(election, tally, crypto)]));
  const decrypted = decryptTally(election, tally, shares);
  const decodeMs = performance.now() - t0;
  const text = JSON.stringify(
    recordToJson({
      manifest,
      n: election.n,
      t: election.t,
      hashes: election.hashes,
      ceremony: election.ceremony,
      jointKey: election.key.point,
      devices: devices.map((d) => ({ id: d.id, closingCode: d.close() })),
      ballots,
      tally: decrypted,
    }),
  );
  process.stderr.write(`budget ${n}: verifying ${(text.length / 1e6).toFixed(0)} MB\n`);
  c0 = cpu();
  t0 = performance.now();
  const workers = availableParallelism();
  const v = await verifyElectionInWorkers(JSON.parse(text), { crypto, workers });
  const verifyMs = performance.now() - t0;
  const verifyCpu = cpu() - c0;
  const same =
    v.ok &&
    Object.entries(plain).every(([id, pts]) => v.summary.counts[BUDGET_CONTEST]![id] === pts);
  console.log(
    `budget ${n} residents: encrypt+prove ${firstMs.toFixed(0)} ms first, ${warmMs.toFixed(1)} ms warm per ballot ` +
      `(${(encMs / 1000).toFixed(1)} s in all, ${(encCpu / n).toFixed(1)} ms of CPU per ballot), ${(text.length / n / 1e3).toFixed(1)} kB of record per ballot; ` +
      `verification ${(verifyMs / 1000).toFixed(1)} s on ${workers} threads (${(verifyMs / n).toFixed(1)} ms per ballot, ${(verifyCpu / n).toFixed(1)} ms of CPU per ballot); ` +
      `tally ${tallyMs.toFixed(0)} ms; decryption and decoding ${decodeMs.toFixed(0)} ms; ` +
      `${v.ok ? 'verified' : `FAILED: ${v.failure}`}, ${same ? 'equal to' : 'DIFFERENT from'} the plaintext sums ` +
      `(${((encMs + verifyMs + tallyMs + decodeMs) / plainMs).toFixed(0)}x summing in the clear)`,
  );
}

export async function runAppsBench(args: string[]): Promise<void> {
  await loadSodium();
  const parts = Number(option(args, 'budget-parts', '0'));
  if (parts > 0) budgetParts(parts);
  setSodiumEnabled(option(args, 'ristretto', 'sodium') !== 'noble');
  for (const n of list(args, 'residents', '2000,20000').map(Number)) await budget(n);
  for (const n of list(args, 'people', '12,50,500').map(Number)) await donation(n);
  const rows = Number(option(args, 'owner-rows', '50'));
  for (const n of list(args, 'input-parties', '10,30,100').map(Number)) await hospitals(n, rows);
  for (const spec of list(args, 'contributions', '100x960,2000x4')) {
    const [m, k] = spec.split('x').map(Number);
    if (!m || !k) throw new Error(`--contributions: expected MxK, got '${spec}'`);
    await contributions(m, k);
  }
  for (const n of list(args, 'members', '200,2000').map(Number)) {
    const tp = performance.now();
    payPlaintext(payMembers(n, 2026), 5);
    const plainSecs = Math.max((performance.now() - tp) / 1000, 1e-6);
    const r = await runPayTransparency({ members: n }, nodeCryptoProvider);
    console.log(
      `pay-transparency ${n} members: MPC ${r.secure.seconds.toFixed(2)} s, ${r.secure.rounds} rounds, ` +
        `${(r.secure.bytesSent / 1e6).toFixed(1)} MB sent by the 3 nodes; ${(r.secure.seconds / plainSecs).toFixed(0)}x the plaintext`,
    );
  }
}
