/**
 * The chunked verifier (./verify-chunks.ts) against the sequential one: on an
 * honest record and on records tampered once or twice (in the first chunk,
 * in a later one, across a chunk boundary), the same verdict and the same
 * first failure, for 2 chunks (run in reverse order: the verdict must not
 * depend on which chunk finishes first), 3 and (the honest record) one chunk
 * per ballot.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { G, mod, pointFromHex, pointToHex, scalarToHex } from '../he/elgamal/group.js';
import { webCryptoProvider as crypto } from '../random/provider.js';
import type { Choices } from './ballot.js';
import { parseManifest } from './manifest.js';
import { recordToJson } from './record.js';
import { simulateElection } from './simulate.js';
import {
  checkChunk,
  splitBallots,
  verifyElectionChunked,
  type ChunkRunner,
} from './verify-chunks.js';
import { verifyElectionJson, type VerifyResult } from './verify.js';

const MANIFEST = parseManifest({
  electionScope: 'chunks-2026',
  name: 'Chunk test',
  contests: [
    { id: 'mayor', selectionLimit: 1, selections: [{ id: 'ada' }, { id: 'bob' }] },
    { id: 'council', selectionLimit: 2, selections: [{ id: 'd' }, { id: 'e' }, { id: 'f' }] },
  ],
});
const BALLOTS = 6;
// Under load (CI, or a shared machine) a verification of this record takes about a second.
const SLOW = 240_000;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let json: Json;

beforeAll(() => {
  const record = simulateElection(MANIFEST, {
    guardians: 3,
    threshold: 2,
    devices: 2,
    ballots: Array.from({ length: BALLOTS }, (_, i): Choices => ({
      mayor: { [i % 2 ? 'ada' : 'bob']: 1 },
      council: i % 3 ? { d: 1, f: 1 } : { e: 1 },
    })),
    spoil: new Set([3]),
    available: [1, 3],
    crypto,
  });
  json = JSON.parse(JSON.stringify(recordToJson(record))) as Json;
});

const bump = (hex: string) => scalarToHex(mod(BigInt('0x' + hex) + 1n));
const addG = (hex: string) => pointToHex(pointFromHex(hex, 'p').add(G));

/** Tamperings of ballot i (ballots alternate between two devices: i and i + 2 share one). */
const TAMPER: Record<string, (j: Json, i: number) => void> = {
  ciphertext: (j, i) => {
    const s = j.ballots[i].contests[1].selections[1];
    s.beta = addG(s.beta);
  },
  response: (j, i) => {
    const br = j.ballots[i].contests[0].selections[0].proof[1];
    br.v = bump(br.v);
  },
  contestProof: (j, i) => {
    const br = j.ballots[i].contests[1].proof[0];
    br.v = bump(br.v);
  },
  branches: (j, i) => {
    j.ballots[i].contests[0].selections[1].proof.pop();
  },
  challenge: (j, i) => {
    const br = j.ballots[i].contests[1].selections[0].proof[0];
    br.c = bump(br.c);
  },
  duplicateId: (j, i) => {
    j.ballots[i].id = j.ballots[i === 0 ? 1 : 0].id;
  },
  replayedCiphertext: (j, i) => {
    const from = j.ballots[i === 0 ? 1 : 0].contests[1].selections[2];
    j.ballots[i].contests[1].selections[2] = structuredClone(from);
  },
  code: (j, i) => {
    j.ballots[i].code = j.ballots[i].previousCode;
  },
  reorder: (j, i) => {
    const k = i + 2 < j.ballots.length ? i + 2 : i - 2;
    [j.ballots[i], j.ballots[k]] = [j.ballots[k], j.ballots[i]];
  },
  dropped: (j, i) => {
    j.ballots.splice(i, 1);
  },
  malformed: (j, i) => {
    j.ballots[i].contests[0].selections[1].alpha = 'zz';
  },
  nonCanonical: (j, i) => {
    // p = 2^255 - 19 itself, little-endian: a field element that is not reduced.
    j.ballots[i].contests[1].selections[0].beta =
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f';
  },
  spoiledChoices: (j, i) => {
    j.ballots[i].state = 'spoiled';
    j.ballots[i].spoiled = { nonceSeed: j.ballots[i].code, choices: {} };
  },
  tallyCount: (j) => {
    j.tally.contests[1].selections[2].value += 1;
  },
  tallyMalformed: (j) => {
    j.tally.contests[0].selections[0].alpha = 'nope';
  },
};

/** The runner in process, the chunks run last first (results still in task order). */
const reversed: ChunkRunner = (tasks) => {
  const out = new Array(tasks.length);
  for (let k = tasks.length - 1; k >= 0; k--) out[k] = checkChunk(tasks[k]!, crypto);
  return Promise.resolve(out);
};

const verdict = (r: VerifyResult) => (r.ok ? r.summary : r.failure);

async function expectSame(j: Json, checkProofs = true, chunkCounts = [2]): Promise<VerifyResult> {
  const sequential = verifyElectionJson(j, { crypto, checkProofs });
  for (const chunks of chunkCounts) {
    const r = await verifyElectionChunked(j, {
      crypto,
      checkProofs,
      chunks,
      ...(chunks === 2 ? { runner: reversed } : {}),
    });
    expect(verdict(r), `${chunks} chunks`).toEqual(verdict(sequential));
  }
  return sequential;
}

describe('the chunked verifier', () => {
  it('splits ballots into near-equal contiguous runs', () => {
    expect(splitBallots([1, 2, 3, 4, 5], 2)).toEqual([
      [0, 2],
      [2, 5],
    ]);
    expect(splitBallots([1, 2], 5)).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(splitBallots([], 2)).toEqual([]);
    expect(splitBallots([1], 1)).toEqual([[0, 1]]);
  });

  it(
    'passes the honest record with the same summary',
    async () => {
      const r = await expectSame(json);
      expect(r.ok).toBe(true);
    },
    SLOW,
  );

  it(
    'names the same first failure for each tampering, in the first chunk and in the last',
    async () => {
      for (const [k, [name, tamper]] of Object.entries(TAMPER).entries()) {
        const i = k % 2 ? 1 : BALLOTS - 2;
        const j = structuredClone(json);
        tamper(j, i);
        const r = await expectSame(j);
        expect(r.ok, `${name} at ballot ${i}`).toBe(false);
      }
    },
    SLOW,
  );

  it(
    'names the same first failure for two tamperings in different chunks, in either order',
    async () => {
      // Pairs whose failures are of different kinds (a false proof, a joining
      // check, a ballot's own check, a parse error), so that which is first
      // depends on the record order, not on which chunk finishes first.
      const pairs: [string, number, string, number][] = [
        ['response', 1, 'duplicateId', 4],
        ['duplicateId', 1, 'response', 4],
        ['response', 4, 'code', 1],
        ['code', 4, 'contestProof', 1],
        ['replayedCiphertext', 4, 'ciphertext', 5],
        ['challenge', 5, 'response', 2],
        ['reorder', 1, 'spoiledChoices', 4],
        ['malformed', 4, 'response', 1],
        ['response', 2, 'nonCanonical', 5],
        ['response', 4, 'tallyMalformed', 0],
      ];
      for (const [a, ia, b, ib] of pairs) {
        const j = structuredClone(json);
        TAMPER[a]!(j, ia);
        TAMPER[b]!(j, ib);
        const r = await expectSame(j);
        expect(r.ok, `${a} at ${ia}, ${b} at ${ib}`).toBe(false);
      }
    },
    SLOW,
  );

  it(
    'a false proof and a failure in the same ballot: the one first in check order',
    async () => {
      // The replayed ciphertext (contest 1, selection 2) comes after the false
      // proof of contest 0 in check order, and the code check after both.
      const j = structuredClone(json);
      TAMPER.response!(j, 4);
      TAMPER.replayedCiphertext!(j, 4);
      expect((await expectSame(j)).ok).toBe(false);
      const k = structuredClone(json);
      TAMPER.replayedCiphertext!(k, 4);
      TAMPER.contestProof!(k, 4);
      expect((await expectSame(k)).ok).toBe(false);
    },
    SLOW,
  );

  it(
    'with proofs unchecked (the positive control), a false proof passes in chunks too',
    async () => {
      const j = structuredClone(json);
      TAMPER.response!(j, 5);
      expect((await expectSame(j, false)).ok).toBe(true);
      expect((await expectSame(j)).ok).toBe(false);
    },
    SLOW,
  );
});
