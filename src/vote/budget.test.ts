import { beforeAll, describe, expect, it } from 'vitest';
import { encryptWith, sum } from '../he/elgamal/elgamal.js';
import { mod, mulG, Q, randomScalar } from '../he/elgamal/group.js';
import { proveChaumPedersen, proveRange } from '../he/elgamal/proofs.js';
import { webCryptoProvider as crypto } from '../random/provider.js';
import {
  chainClose,
  chainStart,
  checkChoices,
  confirmationCode,
  Device,
  type Choices,
  type EncryptedBallot,
} from './ballot.js';
import {
  BUDGET,
  BUDGET_CONTEST,
  budgetManifest,
  fundProjects,
  plaintextPoints,
  PROJECTS,
  residentAllocations,
  splitPoints,
} from './budget.js';
import { allocationBits, allocationWeights, bitContext, totalContext } from './cumulative.js';
import type { Election } from './election.js';
import { BallotBox, BallotRejected } from './intake.js';
import { canonicalManifest, parseManifest } from './manifest.js';
import { ballotJson, recordToJson, type ElectionRecord } from './record.js';
import { finishElection, randomChoices, runCeremony } from './simulate.js';
import type { Guardian } from './tally.js';
import { verifyElectionChunked } from './verify-chunks.js';
import { verifyElectionJson } from './verify.js';

describe('allocation bits', () => {
  it('every value in 0..M has bits that sum back to it, and every choice of bits stays in 0..M', () => {
    for (const M of [1, 2, 3, 7, 8, 60, 64, 100, 127, 128, 1000]) {
      const w = allocationWeights(M);
      expect(w.reduce((a, b) => a + b, 0)).toBe(M);
      expect(w.every((x) => x >= 1)).toBe(true);
      for (let x = 0; x <= M; x++) {
        const bits = allocationBits(x, M);
        expect(bits.every((b) => b === 0 || b === 1)).toBe(true);
        expect(bits.reduce((a, b, i) => a + b * w[i]!, 0)).toBe(x);
      }
    }
    expect(allocationWeights(100)).toEqual([1, 2, 4, 8, 16, 32, 37]);
  });
});

describe('cumulative manifests', () => {
  it('parses a cumulative contest and leaves the other kinds as they were', () => {
    const m = budgetManifest();
    const c = m.contests[0]!;
    expect(c).toMatchObject({ kind: 'cumulative', points: 100, selectionLimit: 100 });
    expect(JSON.parse(canonicalManifest(m))).toEqual(JSON.parse(JSON.stringify(m)));
    const plain = parseManifest({
      electionScope: 's',
      name: 'n',
      contests: [{ id: 'c', selectionLimit: 1, selections: [{ id: 'a' }] }],
    });
    expect(Object.keys(plain.contests[0]!)).toEqual([
      'id',
      'name',
      'selectionLimit',
      'optionLimit',
      'selections',
    ]);
  });

  it('refuses points that cannot be given, and unknown kinds', () => {
    const base = (c: object) => ({
      electionScope: 's',
      name: 'n',
      contests: [{ id: 'c', selections: [{ id: 'a' }, { id: 'b' }], ...c }],
    });
    expect(() => parseManifest(base({ kind: 'cumulative', points: 100, optionLimit: 40 }))).toThrow(
      /2 selections of at most 40 cannot total 100/,
    );
    expect(() => parseManifest(base({ kind: 'ranked', selectionLimit: 1 }))).toThrow(
      /contests\[0\]\.kind/,
    );
    expect(() =>
      parseManifest(base({ kind: 'cumulative', points: 10, selectionLimit: 5 })),
    ).toThrow(/selectionLimit/);
  });
});

describe('random cumulative choices (the simulator)', () => {
  it('give exactly the points, each allocation within its maximum', () => {
    const m = parseManifest({
      electionScope: 's',
      name: 'n',
      contests: [
        {
          id: 'c',
          kind: 'cumulative',
          points: 100,
          optionLimit: 30,
          selections: ['a', 'b', 'c', 'd'].map((id) => ({ id })),
        },
      ],
    });
    for (let i = 0; i < 200; i++) {
      const ch = randomChoices(m, crypto);
      const v = Object.values(ch.c!);
      expect(v.reduce((a, b) => a + b, 0)).toBe(100);
      expect(v.every((x) => x >= 1 && x <= 30)).toBe(true);
      expect(() => checkChoices(m, ch)).not.toThrow();
    }
  });
});

describe('resident preferences and the funding rule', () => {
  it('splits exactly 100 points, reproducibly from the seed', () => {
    const a = residentAllocations(200, 's', crypto);
    const b = residentAllocations(200, 's', crypto);
    expect(a).toEqual(b);
    expect(residentAllocations(200, 't', crypto)).not.toEqual(a);
    for (const r of a) {
      const v = Object.values(r[BUDGET_CONTEST]!);
      expect(v.reduce((x, y) => x + y, 0)).toBe(100);
      expect(v.every((x) => Number.isInteger(x) && x > 0 && x <= 100)).toBe(true);
    }
    expect(splitPoints([{ id: 'a', weight: 1 }], 100)).toEqual({ a: 100 });
    expect(
      splitPoints(
        [
          { id: 'a', weight: 1 },
          { id: 'b', weight: 1 },
          { id: 'c', weight: 1 },
        ],
        100,
      ),
    ).toEqual({ a: 34, b: 33, c: 33 });
  });

  it('funds greedily by points, skipping what no longer fits', () => {
    const pts = Object.fromEntries(PROJECTS.map((p, i) => [p.id, 100 * (8 - i)]));
    // 180 + 420 + 90 + 150 = 840; the youth centre (380) no longer fits; lighting (120) does;
    // the market (500) does not; the benches (60) do not (960 + 60 > 1000? no: 1020).
    const f = fundProjects(pts, BUDGET);
    expect(f.order.filter((o) => o.funded).map((o) => o.id)).toEqual([
      'playground',
      'bike-lanes',
      'library-hours',
      'trees',
      'lighting',
    ]);
    expect(f.spent).toBe(960);
    expect(fundProjects(pts, 0).spent).toBe(0);
    // Ties keep the manifest's order.
    const tie = fundProjects(Object.fromEntries(PROJECTS.map((p) => [p.id, 5])), 200);
    expect(tie.order[0]!.id).toBe('playground');
  });
});

// ---------------------------------------------------------------- the election

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const MANIFEST = budgetManifest();
const RESIDENTS = 20;
let election: Election;
let guardians: Guardian[];
let honest: Choices[];
let honestBallots: EncryptedBallot[];
let devices: Device[];
let record: ElectionRecord;
/** Honest residents 1 and 3 again, on a device of their own, for the records with a cheater. */
let small: Device;
let smallBallots: EncryptedBallot[];
let json: Json;

const hE = () => election.hashes.extendedBase;

/** One allocation of a cheating device: its bits' plaintexts, and optionally a different value. */
interface Forged {
  /** Each bit's plaintext (any scalar); a bit outside 0/1 is "proved" as if it were 1. */
  readonly bits: readonly bigint[];
  /** The allocation's plaintext (default: the weighted sum of the bits). */
  readonly value?: bigint;
}

/** The honest bits of x in 0..100. */
const bitsOf = (x: number): Forged => ({ bits: allocationBits(x, 100).map(BigInt) });

/**
 * A cheating device's ballot: every ciphertext and proof made as an honest
 * device makes them, except that the plaintexts are the forger's and each
 * proof claims what an honest ballot would (a 0/1 proof of a bit that is not
 * 0 or 1, a proof that the total is 100 when it is not).
 */
function forge(id: string, alloc: Record<string, Forged>): EncryptedBallot {
  const key = election.key;
  const contest = MANIFEST.contests[0]!;
  const w = allocationWeights(contest.optionLimit);
  const nonces: bigint[] = [];
  const selections = contest.selections.map((s) => {
    const f = alloc[s.id] ?? bitsOf(0);
    const rs = w.map(() => randomScalar(crypto));
    const bits = f.bits.map((b, i) => {
      const ct = encryptWith(key, mod(b), rs[i]!);
      const claim = b === 0n || b === 1n ? Number(b) : 1;
      return {
        ct,
        proof: proveRange(ct, rs[i]!, claim, 1, key, bitContext(hE(), contest.id, s.id, i), crypto),
      };
    });
    const r = mod(rs.reduce((a, x, i) => a + BigInt(w[i]!) * x, 0n));
    nonces.push(r);
    const value = f.value ?? f.bits.reduce((a, b, i) => a + BigInt(w[i]!) * b, 0n);
    return { id: s.id, ct: encryptWith(key, mod(value), r), bits };
  });
  const agg = sum(selections.map((s) => s.ct));
  const total = proveChaumPedersen(
    mod(nonces.reduce((a, b) => a + b, 0n)),
    agg.alpha,
    key.point,
    agg.beta.subtract(mulG(100n)),
    totalContext(hE(), contest.id),
    crypto,
  );
  const device = 'device-evil';
  const contests = [{ id: contest.id, selections, total }];
  const previousCode = chainStart(hE(), device);
  const code = confirmationCode(hE(), { id, device, previousCode, contests });
  return { id, device, previousCode, code, contests, state: 'cast' };
}

/** A record with a few honest ballots (of one device, to keep the failing proof's search short) and the given extra ones, tallied and decrypted. */
function recordWith(extra: EncryptedBallot[]): Json {
  const r = finishElection(
    election,
    guardians,
    [small],
    [...smallBallots, ...extra],
    undefined,
    crypto,
  );
  const evil = extra.length
    ? [{ id: 'device-evil', closingCode: chainClose(hE(), 'device-evil', extra.at(-1)!.code) }]
    : [];
  return recordToJson({ ...r, devices: [...r.devices, ...evil] }) as Json;
}

beforeAll(() => {
  ({ election, guardians } = runCeremony(MANIFEST, 3, 2, crypto));
  honest = residentAllocations(RESIDENTS, 'test', crypto);
  // Edges: all points to the first project, all to the last, and an even split.
  honest[0] = { [BUDGET_CONTEST]: { playground: 100 } };
  honest[1] = { [BUDGET_CONTEST]: { benches: 100 } };
  honest[2] = {
    [BUDGET_CONTEST]: Object.fromEntries(PROJECTS.map((p, i) => [p.id, i < 4 ? 12 : 13])),
  };
  devices = [new Device(election, 'device-1', crypto), new Device(election, 'device-2', crypto)];
  honestBallots = [];
  honest.forEach((c, i) => {
    const d = devices[i % 2]!;
    // Resident 4 challenges the device first (Benaloh): a spoiled cumulative ballot, re-encrypted by the verifier.
    if (i === 3) honestBallots.push(d.spoil(d.encrypt(`resident-${i + 1}-challenge`, c)));
    honestBallots.push(d.cast(d.encrypt(`resident-${i + 1}`, c)));
  });
  record = finishElection(election, guardians, devices, honestBallots, [1, 3], crypto);
  small = new Device(election, 'device-small', crypto);
  smallBallots = [0, 2].map((i) => small.cast(small.encrypt(`small-${i + 1}`, honest[i]!)));
  json = recordToJson(record) as Json;
});

describe('participatory budgeting through the verifiable vote', () => {
  it('the decrypted points per project equal the plaintext sums, and the record verifies', async () => {
    const want = plaintextPoints(honest);
    const got = Object.fromEntries(
      record.tally.contests[0]!.selections.map((s) => [s.id, s.value]),
    );
    expect(got).toEqual(want);
    const v = verifyElectionJson(json, { crypto });
    expect(v.ok).toBe(true);
    if (v.ok) {
      expect(v.summary.counts[BUDGET_CONTEST]).toEqual(want);
      // 8 allocations of 7 bits each per ballot (the spoiled one's too).
      expect(v.summary.rangeProofs).toBe((RESIDENTS + 1) * 8 * 7);
      expect(v.summary.spoiled).toBe(1);
    }
    // The chunked verifier (worker threads in Node) on a smaller record: the same verdict.
    const chunked = await verifyElectionChunked(recordWith([]), { crypto, chunks: 2 });
    expect(chunked).toMatchObject({ ok: true });
    expect(fundProjects(got, BUDGET)).toEqual(fundProjects(want, BUDGET));
  });

  it('the ballot box accepts the honest ballots', () => {
    const box = new BallotBox(election);
    for (const b of honestBallots) {
      box.open(b.device);
      expect(box.accept(ballotJson(b)).id).toBe(b.id);
    }
  });

  it('an honest device refuses 99 or 101 points, or an allocation out of range', () => {
    const d = new Device(election, 'device-x', crypto);
    expect(() => d.encrypt('x', { [BUDGET_CONTEST]: { playground: 99 } })).toThrow(
      /gives 99 points, it must give exactly 100/,
    );
    expect(() => d.encrypt('x', { [BUDGET_CONTEST]: { playground: 50, trees: 51 } })).toThrow(
      /101/,
    );
    expect(() => d.encrypt('x', { [BUDGET_CONTEST]: { playground: 101 } })).toThrow(
      /outside 0\.\.100/,
    );
    expect(() => d.encrypt('x', { [BUDGET_CONTEST]: { playground: -1, trees: 101 } })).toThrow(
      /outside 0\.\.100/,
    );
  });
});

describe('a cheating device', () => {
  const cases: [string, () => EncryptedBallot, RegExp, (honest: number) => number][] = [
    [
      '101 points in total (each allocation in range)',
      () => forge('cheat-101', { playground: bitsOf(51), trees: bitsOf(50) }),
      /ballot 'cheat-101' contest 'budget': the proof that its allocations total exactly 100 points does not verify/,
      (h) => h + 51,
    ],
    [
      'a negative allocation (-1 as q - 1) behind honest-looking bits, total 100',
      () =>
        forge('cheat-neg', {
          playground: { ...bitsOf(0), value: Q - 1n },
          trees: bitsOf(51),
          market: bitsOf(50),
        }),
      /ballot 'cheat-neg' contest 'budget' selection 'playground': its ciphertext is not the weighted sum of its bits/,
      (h) => h - 1,
    ],
    [
      'a negative allocation (-1) in a bit, total 100',
      () =>
        forge('cheat-negbit', {
          playground: { bits: [Q - 1n, 0n, 0n, 0n, 0n, 0n, 0n] },
          trees: bitsOf(51),
          market: bitsOf(50),
        }),
      /ballot 'cheat-negbit' contest 'budget' selection 'playground' bit 0: the proof that it encrypts 0 or 1 does not verify/,
      (h) => h - 1,
    ],
    [
      'an allocation of 101 (bit 0 encrypts 2), total 100',
      () =>
        forge('cheat-over', {
          playground: { bits: [2n, 1n, 1n, 1n, 1n, 1n, 1n] },
          trees: { bits: [Q - 1n, 0n, 0n, 0n, 0n, 0n, 0n] },
        }),
      /ballot 'cheat-over' contest 'budget' selection 'playground' bit 0: the proof that it encrypts 0 or 1 does not verify/,
      (h) => h + 101,
    ],
  ];

  for (const [name, make, why, playground] of cases)
    it(`is caught by the verifier and the ballot box: ${name}`, () => {
      const bad = make();
      const j = recordWith([bad]);
      const v = verifyElectionJson(j, { crypto });
      expect(v.ok).toBe(false);
      if (!v.ok) expect(v.failure).toMatch(why);
      // The ballot box refuses it (422), naming the ballot and the proof.
      const box = new BallotBox(election);
      box.open('device-evil');
      let refused: unknown;
      try {
        box.accept(ballotJson(bad));
      } catch (e) {
        refused = e;
      }
      expect(refused).toBeInstanceOf(BallotRejected);
      expect((refused as BallotRejected).status).toBe(422);
      expect((refused as BallotRejected).message).toMatch(
        new RegExp(`ballot '${bad.id}' contest 'budget'`),
      );
      // Positive control: with the proof checks off the same record passes, and
      // its tally is not what the honest residents gave.
      const off = verifyElectionJson(j, { crypto, checkProofs: false });
      expect(off.ok).toBe(true);
      const honestPts = plaintextPoints([honest[0]!, honest[2]!]);
      if (off.ok)
        expect(off.summary.counts[BUDGET_CONTEST]!.playground).toBe(
          playground(honestPts.playground!),
        );
    });

  it('a 0/1 contest selection in place of bits is refused by its shape', () => {
    const j = structuredClone(json);
    const sel = j.ballots[3].contests[0].selections[0];
    sel.proof = sel.bits[0].proof;
    delete sel.bits;
    const v = verifyElectionJson(j, { crypto });
    expect(v).toMatchObject({ ok: false });
    if (!v.ok)
      expect(v.failure).toMatch(
        /selection 'playground': a cumulative contest's selection has bits/,
      );
  });
});

it('a spoiled cumulative ballot whose published allocations are not what was encrypted fails', () => {
  const j = structuredClone(json);
  const sp = j.ballots.find((b: Json) => b.state === 'spoiled');
  const alloc = sp.spoiled.choices[BUDGET_CONTEST];
  const [a, b] = Object.keys(alloc);
  // Move one point from one backed project to another (or to an unbacked one): still 100 in all.
  const to = b ?? PROJECTS.find((p) => p.id !== a)!.id;
  alloc[a!] -= 1;
  alloc[to] = (alloc[to] ?? 0) + 1;
  const v = verifyElectionJson(j, { crypto });
  expect(v).toMatchObject({ ok: false });
  if (!v.ok) expect(v.failure).toMatch(/do not re-encrypt to its ciphertext/);
});
