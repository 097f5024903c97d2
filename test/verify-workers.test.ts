/**
 * The election verifier on worker threads (src/adapters/node/verify-workers.ts):
 * two real workers, each checking half the ballots, give the sequential
 * verifier's verdict on an honest record, and its first failure on records
 * tampered in the second worker's half, and in both halves.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeCryptoProvider as crypto } from '../src/adapters/node/crypto.js';
import { verifyElectionInWorkers } from '../src/adapters/node/verify-workers.js';
import { G, mod, pointFromHex, pointToHex, scalarToHex } from '../src/he/elgamal/group.js';
import { parseManifest } from '../src/vote/manifest.js';
import { recordToJson } from '../src/vote/record.js';
import { simulateElection } from '../src/vote/simulate.js';
import { verifyElectionJson, type VerifyResult } from '../src/vote/verify.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let json: Json;

beforeAll(() => {
  const manifest = parseManifest({
    electionScope: 'workers-2026',
    name: 'Worker test',
    contests: [{ id: 'c', selectionLimit: 1, selections: [{ id: 'x' }, { id: 'y' }, { id: 'z' }] }],
  });
  const record = simulateElection(manifest, {
    guardians: 3,
    threshold: 2,
    devices: 2,
    ballots: Array.from({ length: 6 }, (_, i) => ({ c: { [['x', 'y', 'z'][i % 3]!]: 1 } })),
    spoil: new Set([4]),
    available: [1, 3],
    crypto,
  });
  json = JSON.parse(JSON.stringify(recordToJson(record))) as Json;
});

const verdict = (r: VerifyResult) => (r.ok ? r.summary : r.failure);
async function expectSame(j: Json): Promise<VerifyResult> {
  const sequential = verifyElectionJson(j, { crypto });
  expect(verdict(await verifyElectionInWorkers(j, { crypto, workers: 2 }))).toEqual(
    verdict(sequential),
  );
  return sequential;
}

describe('verifyElectionInWorkers', () => {
  it('on two workers: the honest record passes, tampered ones fail as on one thread', async () => {
    expect((await expectSame(json)).ok).toBe(true);
    // A false proof in ballot 5 of 6 (the second worker's).
    const j = structuredClone(json);
    const br = j.ballots[4].contests[0].selections[1].proof[0];
    br.v = scalarToHex(mod(BigInt('0x' + br.v) + 1n));
    expect(verdict(await expectSame(j))).toBe(
      "ballot 'ballot-5' contest 'c' selection 'y': the proof that it encrypts 0..1 does not verify",
    );
    // And a changed ciphertext in ballot 2 (the first worker's): that one is named.
    const s = j.ballots[1].contests[0].selections[2];
    s.beta = pointToHex(pointFromHex(s.beta, 'beta').add(G));
    expect(verdict(await expectSame(j))).toBe(
      "ballot 'ballot-2' contest 'c' selection 'z': the proof that it encrypts 0..1 does not verify",
    );
    // A ballot of the first half counted again at the end: found across the workers.
    const k = structuredClone(json);
    k.ballots.push(structuredClone(k.ballots[0]));
    expect(verdict(await expectSame(k))).toMatch(/appears twice \(ballots\[0\] and ballots\[6\]\)/);
  }, 240_000);
});
