/**
 * `entente election ...`: an election run from the command line, every step a
 * command that reads and writes files in one election folder (docs/VOTE.md,
 * "Running an election"), and `entente verify election RECORD`, the
 * independent verifier. The protocol is in src/he/elgamal and src/vote; this
 * file only moves files. Secret files (a guardian's polynomial, its received
 * shares) are written with mode 0600 and never printed.
 *
 *   election init MANIFEST --dir DIR --guardians N --threshold T
 *   election guardian keys|shares|receive|answer|decrypt --dir DIR --index I
 *   election finalize --dir DIR
 *   election vote BALLOTS --dir DIR --device D
 *   election serve --dir DIR [--host H] [--port P]   (./election-serve.ts)
 *   election tally --dir DIR
 *   election publish --dir DIR --out RECORD
 *   verify election RECORD
 */
import { loadSodium } from '../he/elgamal/sodium-load.js';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { nodeCryptoProvider as crypto } from '../adapters/node/crypto.js';
import { verifyElectionInWorkers } from '../adapters/node/verify-workers.js';
import {
  answerComplaints,
  encryptShare,
  newGuardian,
  receiveShares,
  secretShare,
  type Complaint,
  type ComplaintAnswer,
  type EncryptedShare,
  type GuardianSecret,
} from '../he/elgamal/dkg.js';
import { pointFromHex, pointToHex, scalarFromHex, scalarToHex } from '../he/elgamal/group.js';
import { Device, type Choices, type EncryptedBallot } from '../vote/ballot.js';
import { baseHashes, ceremonyParams, Election } from '../vote/election.js';
import { parseManifest } from '../vote/manifest.js';
import {
  ballotJson,
  decryptionShareJson,
  guardianJson,
  parseBallot,
  parseDecryptionShare,
  parseGuardian,
  recordToJson,
  type ElectionRecord,
} from '../vote/record.js';
import { accumulate, decryptTally, Guardian, type TallyContest } from '../vote/tally.js';
import type { DecryptionShare } from '../he/elgamal/threshold.js';
import { EXIT, UsageError } from './exit.js';

const SETUP_FORMAT = 'entente-election-setup/1';

/** A JSON file; for a secret one, a parse error does not quote the text (V8's messages do). */
async function readJson(file: string, secret = false): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UsageError(`${file}: not JSON${secret ? '' : ` (${(e as Error).message})`}`);
  }
}

/** Runs `f`, turning a RangeError about a field into a usage error naming the file. */
async function fromFile<T>(file: string, f: (json: unknown) => T, secret = false): Promise<T> {
  const json = await readJson(file, secret);
  try {
    return f(json);
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  }
}

export const writePublic = (file: string, v: unknown) =>
  writeFile(file, JSON.stringify(v, null, 2) + '\n');
const writeSecret = (file: string, v: unknown) =>
  writeFile(file, JSON.stringify(v) + '\n', { mode: 0o600 });

function need(named: ReadonlyMap<string, string>, flag: string, cmd: string): string {
  const v = named.get(flag);
  if (!v) throw new UsageError(`${cmd}: --${flag} is required`);
  return v;
}

function intFlag(
  named: ReadonlyMap<string, string>,
  flag: string,
  cmd: string,
  min: number,
  max: number,
): number {
  const v = need(named, flag, cmd);
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${cmd}: --${flag} must be an integer in ${min}..${max}, got '${v}'`);
  return n;
}

export interface Setup {
  dir: string;
  manifest: ReturnType<typeof parseManifest>;
  n: number;
  t: number;
  base: string;
}

export async function loadSetup(named: ReadonlyMap<string, string>, cmd: string): Promise<Setup> {
  const dir = need(named, 'dir', cmd);
  const file = join(dir, 'election.json');
  if (!existsSync(file))
    throw new UsageError(`${cmd}: ${file} does not exist (run 'entente election init' first)`);
  return fromFile(file, (j) => {
    const o = j as Record<string, unknown>;
    if (o.format !== SETUP_FORMAT) throw new RangeError(`format: expected "${SETUP_FORMAT}"`);
    const manifest = parseManifest(o.manifest);
    const n = o.guardians as number;
    const t = o.threshold as number;
    return { dir, manifest, n, t, base: baseHashes(manifest, n, t).base };
  });
}

const pub = (s: Setup, name: string) => join(s.dir, 'public', name);
const secretFile = (s: Setup, i: number, what: string) => join(s.dir, `guardian-${i}.${what}.json`);

async function loadPublics(s: Setup) {
  const out = [];
  for (let i = 1; i <= s.n; i++) {
    const f = pub(s, `guardian-${i}.json`);
    if (!existsSync(f))
      throw new UsageError(
        `guardian ${i} has not published its keys yet (${f}; 'entente election guardian keys --index ${i}')`,
      );
    out.push(await fromFile(f, (j) => parseGuardian(j, `guardian ${i}`)));
  }
  return out;
}

async function loadSecret(s: Setup, i: number): Promise<GuardianSecret> {
  return fromFile(
    secretFile(s, i, 'secret'),
    (j) => {
      const o = j as { coefficients?: unknown; communicationSecret?: unknown };
      if (!Array.isArray(o.coefficients) || o.coefficients.length !== s.t)
        throw new RangeError(`coefficients: expected ${s.t} scalars`);
      return {
        index: i,
        coefficients: o.coefficients.map((c, k) => scalarFromHex(c, `coefficients[${k}]`)),
        communicationSecret: scalarFromHex(o.communicationSecret, 'communicationSecret'),
      };
    },
    true,
  );
}

async function loadList<T>(s: Setup, prefix: string, parse: (j: unknown) => T[]): Promise<T[]> {
  const dir = join(s.dir, 'public');
  const out: T[] = [];
  for (const f of (await readdir(dir)).filter((f) => f.startsWith(prefix)).sort())
    out.push(...(await fromFile(join(dir, f), parse)));
  return out;
}

const loadComplaints = (s: Setup) => loadList<Complaint>(s, 'complaints-', (j) => j as Complaint[]);
const loadAnswers = (s: Setup) =>
  loadList<ComplaintAnswer>(s, 'answers-', (j) =>
    (j as { dealer: number; recipient: number; share: string }[]).map((a) => ({
      dealer: a.dealer,
      recipient: a.recipient,
      share: scalarFromHex(a.share, 'share'),
    })),
  );

export async function loadElection(s: Setup): Promise<Election> {
  const publics = await loadPublics(s);
  const e = Election.fromCeremony(
    s.manifest,
    s.n,
    s.t,
    publics,
    await loadComplaints(s),
    await loadAnswers(s),
  );
  const f = pub(s, 'ceremony.json');
  if (!existsSync(f))
    throw new UsageError(`the key ceremony is not finalised (run 'entente election finalize')`);
  const c = (await readJson(f)) as { jointKey: string };
  if (c.jointKey !== pointToHex(e.key.point))
    throw new UsageError(`${f}: the joint key does not match the guardians' published keys`);
  return e;
}

export async function electionCommand(
  positional: readonly string[],
  named: ReadonlyMap<string, string>,
): Promise<number> {
  const [sub, ...rest] = positional;
  // Every subcommand multiplies ristretto255 points: through libsodium (src/he/elgamal/sodium.ts).
  await loadSodium();
  switch (sub) {
    case 'init':
      return init(rest[0], named);
    case 'guardian':
      return guardian(rest[0], named);
    case 'finalize':
      return finalize(named);
    case 'vote':
      return vote(rest[0], named);
    case 'tally':
      return tally(named);
    case 'publish':
      return publish(named);
    case 'serve':
      return (await import('./election-serve.js')).serveCommand(named);
    default:
      throw new UsageError(
        `election: expected init, guardian keys|shares|receive|answer|decrypt, finalize, vote, serve, tally or publish (docs/VOTE.md)`,
      );
  }
}

async function init(
  manifestFile: string | undefined,
  named: ReadonlyMap<string, string>,
): Promise<number> {
  if (!manifestFile)
    throw new UsageError('election init: name a manifest file (docs/VOTE.md, "The manifest")');
  const manifest = await fromFile(manifestFile, (j) => parseManifest(j));
  const n = intFlag(named, 'guardians', 'election init', 1, 1000);
  const t = intFlag(named, 'threshold', 'election init', 1, n);
  const dir = need(named, 'dir', 'election init');
  if (existsSync(join(dir, 'election.json')))
    throw new UsageError(`election init: ${dir} already holds an election`);
  await mkdir(join(dir, 'public'), { recursive: true });
  await mkdir(join(dir, 'ballots'), { recursive: true });
  const hashes = baseHashes(manifest, n, t);
  await writePublic(join(dir, 'election.json'), {
    format: SETUP_FORMAT,
    manifest,
    guardians: n,
    threshold: t,
    hashes,
  });
  console.log(
    `election '${manifest.name}' in ${dir}: ${n} guardians, any ${t} decrypt; base hash ${hashes.base}`,
  );
  console.log(`next: each guardian runs 'entente election guardian keys --dir ${dir} --index I'`);
  return EXIT.ok;
}

async function guardian(
  step: string | undefined,
  named: ReadonlyMap<string, string>,
): Promise<number> {
  const cmd = `election guardian ${step ?? ''}`.trim();
  const s = await loadSetup(named, cmd);
  const i = intFlag(named, 'index', cmd, 1, s.n);
  const params = ceremonyParams(s.base, s.n, s.t);
  switch (step) {
    case 'keys': {
      if (existsSync(secretFile(s, i, 'secret')))
        throw new UsageError(`${cmd}: guardian ${i} already has keys`);
      const g = newGuardian(i, params, crypto);
      await writeSecret(secretFile(s, i, 'secret'), {
        index: i,
        coefficients: g.secret.coefficients.map(scalarToHex),
        communicationSecret: scalarToHex(g.secret.communicationSecret),
      });
      await writePublic(pub(s, `guardian-${i}.json`), guardianJson(g.public));
      console.log(`guardian ${i}: keys made; public part in public/guardian-${i}.json`);
      return EXIT.ok;
    }
    case 'shares': {
      const me = await loadSecret(s, i);
      for (const to of await loadPublics(s)) {
        if (to.index === i) continue;
        const e = encryptShare(me, to, params, crypto);
        await writePublic(pub(s, `share-${i}-to-${to.index}.json`), {
          from: e.from,
          to: e.to,
          ephemeral: pointToHex(e.ephemeral),
          ciphertext: bytesToHex(e.ciphertext),
          mac: bytesToHex(e.mac),
        });
      }
      console.log(`guardian ${i}: a share encrypted for each of the other ${s.n - 1} guardians`);
      return EXIT.ok;
    }
    case 'receive': {
      const me = await loadSecret(s, i);
      const publics = await loadPublics(s);
      const received: EncryptedShare[] = [];
      for (const p of publics) {
        const f = pub(s, `share-${p.index}-to-${i}.json`);
        if (p.index === i || !existsSync(f)) continue;
        received.push(
          await fromFile(f, (j) => {
            const o = j as Record<string, string>;
            return {
              from: Number(o.from),
              to: Number(o.to),
              ephemeral: pointFromHex(o.ephemeral, 'ephemeral'),
              ciphertext: hexToBytes(String(o.ciphertext)),
              mac: hexToBytes(String(o.mac)),
            };
          }),
        );
      }
      const { shares, complaints } = receiveShares(me, publics, received, params);
      await writeSecret(secretFile(s, i, 'received'), {
        shares: Object.fromEntries([...shares].map(([d, v]) => [d, scalarToHex(v)])),
      });
      await writePublic(pub(s, `complaints-${i}.json`), complaints);
      console.log(
        `guardian ${i}: ${shares.size - 1} shares checked against their commitments` +
          (complaints.length
            ? `; complaints against ${complaints.map((c) => c.against).join(', ')}`
            : '; no complaints'),
      );
      return EXIT.ok;
    }
    case 'answer': {
      const answers = answerComplaints(await loadSecret(s, i), await loadComplaints(s));
      await writePublic(
        pub(s, `answers-${i}.json`),
        answers.map((a) => ({
          dealer: a.dealer,
          recipient: a.recipient,
          share: scalarToHex(a.share),
        })),
      );
      console.log(`guardian ${i}: ${answers.length} complaint(s) answered in public`);
      return EXIT.ok;
    }
    case 'decrypt': {
      const election = await loadElection(s);
      const received = (await readJson(secretFile(s, i, 'received'), true)) as {
        shares: Record<string, string>;
      };
      const shares = new Map(
        Object.entries(received.shares).map(([d, v]) => [Number(d), scalarFromHex(v, 'share')]),
      );
      const z = secretShare(i, shares, election.ceremony.answers, election.ceremony.qualified);
      const tallyCts = await loadTally(s);
      const ds = new Guardian(i, z).decrypt(election, tallyCts, crypto);
      await writePublic(
        pub(s, `decryption-${i}.json`),
        ds.map((c) => c.map(decryptionShareJson)),
      );
      console.log(
        `guardian ${i}: decryption shares (with proofs) of every selection in public/decryption-${i}.json`,
      );
      return EXIT.ok;
    }
    default:
      throw new UsageError(`election guardian: expected keys, shares, receive, answer or decrypt`);
  }
}

async function finalize(named: ReadonlyMap<string, string>): Promise<number> {
  const s = await loadSetup(named, 'election finalize');
  for (let i = 1; i <= s.n; i++)
    if (!existsSync(pub(s, `complaints-${i}.json`)))
      throw new UsageError(
        `election finalize: guardian ${i} has not checked its shares yet ('guardian receive')`,
      );
  const e = Election.fromCeremony(
    s.manifest,
    s.n,
    s.t,
    await loadPublics(s),
    await loadComplaints(s),
    await loadAnswers(s),
  );
  await writePublic(pub(s, 'ceremony.json'), {
    jointKey: pointToHex(e.key.point),
    qualified: e.ceremony.qualified,
    extendedBase: e.hashes.extendedBase,
  });
  console.log(
    `key ceremony done: guardians [${e.ceremony.qualified.join(', ')}] qualified; election key ${pointToHex(e.key.point)}`,
  );
  return EXIT.ok;
}

export async function loadBallots(
  s: Setup,
): Promise<{ device: string; ballots: EncryptedBallot[] }[]> {
  const dir = join(s.dir, 'ballots');
  const out = [];
  for (const f of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort())
    out.push(
      await fromFile(join(dir, f), (j) => {
        const o = j as { device: string; ballots: unknown[] };
        return {
          device: o.device,
          ballots: o.ballots.map((b, k) => parseBallot(b, `ballots[${k}]`)),
        };
      }),
    );
  return out;
}

async function vote(file: string | undefined, named: ReadonlyMap<string, string>): Promise<number> {
  if (!file)
    throw new UsageError('election vote: name a file of ballots ([{ "id", "choices", "spoil"? }])');
  const s = await loadSetup(named, 'election vote');
  const deviceId = need(named, 'device', 'election vote');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(deviceId))
    throw new UsageError(`election vote: --device '${deviceId}' is not an identifier`);
  const election = await loadElection(s);
  const input = await fromFile(file, (j) => {
    if (!Array.isArray(j)) throw new RangeError('expected an array of ballots');
    return j as { id: string; choices: Choices; spoil?: boolean }[];
  });
  const store = join(s.dir, 'ballots', `${deviceId}.json`);
  const prior = existsSync(store)
    ? (await loadBallots(s)).find((d) => d.device === deviceId)!.ballots
    : [];
  const device = new Device(election, deviceId, crypto, prior.at(-1)?.code);
  const out = [...prior];
  for (const [k, b] of input.entries()) {
    let enc: EncryptedBallot;
    try {
      enc = device.encrypt(String(b.id), b.choices ?? {});
    } catch (e) {
      if (e instanceof RangeError) throw new UsageError(`${file}: ballots[${k}]: ${e.message}`);
      throw e;
    }
    out.push(b.spoil ? device.spoil(enc) : device.cast(enc));
    console.log(`${enc.id}: ${enc.state}, confirmation code ${enc.code}`);
  }
  await writePublic(store, {
    device: deviceId,
    closingCode: device.close(),
    ballots: out.map(ballotJson),
  });
  return EXIT.ok;
}

const tallyJson = (t: readonly TallyContest[]) =>
  t.map((c) => ({
    id: c.id,
    selections: c.selections.map((x) => ({
      id: x.id,
      alpha: pointToHex(x.ct.alpha),
      beta: pointToHex(x.ct.beta),
    })),
  }));

async function loadTally(s: Setup): Promise<TallyContest[]> {
  const f = pub(s, 'tally.json');
  if (!existsSync(f)) throw new UsageError(`no tally yet (run 'entente election tally')`);
  return fromFile(f, (j) =>
    (j as { id: string; selections: { id: string; alpha: string; beta: string }[] }[]).map((c) => ({
      id: c.id,
      selections: c.selections.map((x) => ({
        id: x.id,
        ct: { alpha: pointFromHex(x.alpha, 'alpha'), beta: pointFromHex(x.beta, 'beta') },
      })),
    })),
  );
}

async function tally(named: ReadonlyMap<string, string>): Promise<number> {
  const s = await loadSetup(named, 'election tally');
  const election = await loadElection(s);
  const ballots = (await loadBallots(s)).flatMap((d) => d.ballots);
  const t = accumulate(election, ballots);
  await writePublic(pub(s, 'tally.json'), tallyJson(t));
  console.log(
    `tally of ${ballots.filter((b) => b.state === 'cast').length} cast ballots in public/tally.json; guardians now run 'guardian decrypt'`,
  );
  return EXIT.ok;
}

async function publish(named: ReadonlyMap<string, string>): Promise<number> {
  const s = await loadSetup(named, 'election publish');
  const out = need(named, 'out', 'election publish');
  const election = await loadElection(s);
  const devices = await loadBallots(s);
  const tallyCts = await loadTally(s);
  const shares = new Map<number, DecryptionShare[][]>();
  for (let i = 1; i <= s.n; i++) {
    const f = pub(s, `decryption-${i}.json`);
    if (existsSync(f))
      shares.set(
        i,
        await fromFile(f, (j) =>
          (j as unknown[][]).map((c) => c.map((d) => parseDecryptionShare(d, 'share', s.n))),
        ),
      );
  }
  if (shares.size < s.t)
    throw new UsageError(
      `election publish: ${shares.size} guardians have decrypted, ${s.t} are needed`,
    );
  const record: ElectionRecord = {
    manifest: s.manifest,
    n: s.n,
    t: s.t,
    hashes: election.hashes,
    ceremony: election.ceremony,
    jointKey: election.key.point,
    devices: await Promise.all(
      devices.map(async (d) => ({
        id: d.device,
        closingCode: (
          (await readJson(join(s.dir, 'ballots', `${d.device}.json`))) as { closingCode: string }
        ).closingCode,
      })),
    ),
    ballots: devices.flatMap((d) => d.ballots),
    tally: decryptTally(election, tallyCts, shares),
  };
  await writePublic(out, recordToJson(record));
  for (const c of record.tally.contests)
    console.log(`${c.id}: ${c.selections.map((x) => `${x.id} ${x.value}`).join(', ')}`);
  console.log(`election record written to ${out}; check it with 'entente verify election ${out}'`);
  return EXIT.ok;
}

/** `entente verify election RECORD`: 0 if every check passes, 1 naming the first that fails. */
export async function verifyCommand(positional: readonly string[]): Promise<number> {
  const [what, file] = positional;
  if (what !== 'election' || !file)
    throw new UsageError('verify: usage: entente verify election RECORD');
  const json = await readJson(file);
  const t0 = performance.now();
  // On one worker thread per core for a large record (the same verdict as on one thread).
  const r = await verifyElectionInWorkers(json, { crypto });
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  if (!r.ok) {
    console.error(`entente verify election: ${file}: FAILED: ${r.failure}`);
    return EXIT.failed;
  }
  const m = r.summary;
  console.log(
    `${file}: verified in ${secs} s: ${m.ballots} ballots (${m.cast} cast, ${m.spoiled} spoiled and checked) from ${m.devices} devices, ` +
      `${m.rangeProofs} range proofs, the chains of confirmation codes, the tally, ${m.decryptionShares} decryption shares`,
  );
  for (const [c, sel] of Object.entries(m.counts))
    console.log(
      `  ${c}: ${Object.entries(sel)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  return EXIT.ok;
}
