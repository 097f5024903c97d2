import { beforeAll, describe, expect, it } from 'vitest';
import { encryptWith, sum } from '../he/elgamal/elgamal.js';
import {
  G,
  mod,
  pointFromHex,
  pointToHex,
  randomScalar,
  scalarToHex,
} from '../he/elgamal/group.js';
import { proveRange } from '../he/elgamal/proofs.js';
import { webCryptoProvider as crypto } from '../random/provider.js';
import {
  chainClose,
  chainStart,
  confirmationCode,
  contestContext,
  selectionContext,
  type Choices,
  type EncryptedBallot,
} from './ballot.js';
import { Election } from './election.js';
import { parseManifest, type Manifest } from './manifest.js';
import { ballotJson, recordToJson, type ElectionRecord } from './record.js';
import { randomChoices, simulateElection } from './simulate.js';
import { verifyElection, verifyElectionJson } from './verify.js';

const MANIFEST: Manifest = parseManifest({
  electionScope: 'test-2026',
  name: 'Test election',
  contests: [
    { id: 'mayor', selectionLimit: 1, selections: [{ id: 'ada' }, { id: 'bob' }, { id: 'cy' }] },
    {
      id: 'council',
      selectionLimit: 2,
      selections: [{ id: 'd' }, { id: 'e' }, { id: 'f' }, { id: 'g' }],
    },
  ],
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let record: ElectionRecord;
let json: Json;
let choices: Choices[];
const SPOIL = new Set([2, 7]);

const copy = (): Json => structuredClone(json);
const verify = (j: unknown, checkProofs = true) => verifyElectionJson(j, { crypto, checkProofs });
const failure = (j: unknown, checkProofs = true) => {
  const r = verify(j, checkProofs);
  return r.ok ? 'passed' : r.failure;
};

beforeAll(() => {
  choices = Array.from({ length: 12 }, () => randomChoices(MANIFEST, crypto));
  // Edges: a blank ballot and a full one.
  choices[0] = {};
  choices[1] = { mayor: { cy: 1 }, council: { d: 1, g: 1 } };
  // Guardian 2 of 3 is missing at decryption; 1 and 3 decrypt (threshold 2).
  record = simulateElection(MANIFEST, {
    guardians: 3,
    threshold: 2,
    devices: 2,
    ballots: choices,
    spoil: SPOIL,
    available: [1, 3],
    crypto,
  });
  json = JSON.parse(JSON.stringify(recordToJson(record))) as Json;
});

describe('an honest election', () => {
  it('verifies, and its tally is the plaintext count of the cast ballots', () => {
    const r = verify(json);
    if (!r.ok) throw new Error(r.failure);
    const expected: Record<string, Record<string, number>> = {};
    for (const c of MANIFEST.contests) {
      expected[c.id] = {};
      for (const s of c.selections)
        expected[c.id]![s.id] = choices.reduce(
          (acc, ch, i) => acc + (SPOIL.has(i) ? 0 : (ch[c.id]?.[s.id] ?? 0)),
          0,
        );
    }
    expect(r.summary.counts).toEqual(expected);
    expect(r.summary).toMatchObject({
      ballots: 12,
      cast: 10,
      spoiled: 2,
      devices: 2,
      rangeProofs: 12 * 9,
    });
    // The in-memory record verifies the same way as its JSON.
    expect(verifyElection(record, { crypto }).ok).toBe(true);
  });

  it('a spoiled ballot publishes the choices it encrypted (Benaloh challenge)', () => {
    const b = json.ballots[2];
    expect(b.state).toBe('spoiled');
    expect(b.spoiled.choices).toEqual(choices[2]);
    expect(json.ballots[3].spoiled).toBeUndefined();
  });
});

describe('the verifier catches each tampering', () => {
  it('a changed ciphertext', () => {
    const j = copy();
    const s = j.ballots[4].contests[0].selections[1];
    s.beta = pointToHex(pointFromHex(s.beta, 'beta').add(G));
    expect(failure(j)).toBe(
      "ballot 'ballot-5' contest 'mayor' selection 'bob': the proof that it encrypts 0..1 does not verify",
    );
  });

  it('a wrong proof (a response changed) and, as the positive control, not with proof checks off', () => {
    const j = copy();
    const br = j.ballots[5].contests[1].selections[2].proof[0];
    br.v = scalarToHex(mod(BigInt('0x' + br.v) + 1n));
    expect(failure(j)).toBe(
      "ballot 'ballot-6' contest 'council' selection 'f': the proof that it encrypts 0..1 does not verify",
    );
    expect(failure(j, false)).toBe('passed');
  });

  it("a replayed proof (another ballot's proof for the same selection)", () => {
    const j = copy();
    j.ballots[4].contests[0].selections[0].proof = j.ballots[3].contests[0].selections[0].proof;
    expect(failure(j)).toBe(
      "ballot 'ballot-5' contest 'mayor' selection 'ada': the proof that it encrypts 0..1 does not verify",
    );
    expect(failure(j, false)).toBe('passed');
  });

  it('a ballot counted twice, under its own id or another', () => {
    const j = copy();
    j.ballots.push(structuredClone(j.ballots[3]));
    expect(failure(j)).toBe(
      "ballot 'ballot-4' appears twice (ballots[3] and ballots[12]): a ballot counted twice",
    );
    const k = copy();
    k.ballots.push({ ...structuredClone(k.ballots[3]), id: 'ballot-99' });
    expect(failure(k)).toBe(
      "ballot 'ballot-99' contest 'mayor' selection 'ada': its ciphertext also appears in ballot 'ballot-4' contest 'mayor' selection 'ada' (a ballot counted twice or a replayed ciphertext)",
    );
  });

  it('a selection over its limit, and a contest over its limit', () => {
    const election = new Election(record.manifest, record.n, record.t, record.ceremony);
    // A dishonest device: 2 votes for one council selection (limit 1 each, 2 in all).
    const j = copy();
    appendForged(j, election, 'evil-1', { council: { d: 2 } }, { council: { d: 1 } });
    expect(failure(j)).toBe(
      "ballot 'evil-1' contest 'council' selection 'd': the proof that it encrypts 0..1 does not verify",
    );
    // With the proofs unchecked the ballot itself passes; only the tally (made
    // before the ballot was slipped in) then disagrees.
    expect(failure(j, false)).toMatch(
      /^tally contest '\w+' selection '\w+': its ciphertext is not the sum of the 11 cast ballots'$/,
    );
    // Each selection 0 or 1, but two votes for mayor (limit 1).
    const k = copy();
    appendForged(k, election, 'evil-2', { mayor: { ada: 1, bob: 1 } }, {});
    expect(failure(k)).toBe(
      "ballot 'evil-2' contest 'mayor': the proof that it has at most 1 vote in all does not verify",
    );
  });

  it('a wrong tally: a changed count, or a tally ciphertext that is not the sum', () => {
    const j = copy();
    j.tally.contests[1].selections[0].value += 1;
    expect(failure(j)).toBe(
      "tally contest 'council' selection 'd': the published count " +
        j.tally.contests[1].selections[0].value +
        " is not what the guardians' shares decrypt to",
    );
    const k = copy();
    // The tally of a record with one cast ballot left out.
    const ts = k.tally.contests[0].selections[2];
    const b = record.ballots[3]!.contests[0]!.selections[2]!.ct;
    ts.alpha = pointToHex(pointFromHex(ts.alpha, 'a').subtract(b.alpha));
    ts.beta = pointToHex(pointFromHex(ts.beta, 'b').subtract(b.beta));
    expect(failure(k)).toBe(
      "tally contest 'mayor' selection 'cy': its ciphertext is not the sum of the 10 cast ballots'",
    );
  });

  it('a bad decryption share', () => {
    const j = copy();
    const d = j.tally.contests[0].selections[0].shares[1];
    d.share = pointToHex(pointFromHex(d.share, 's').add(G));
    expect(failure(j)).toBe(
      "tally contest 'mayor' selection 'ada': guardian 3's decryption share does not verify (its Chaum-Pedersen proof fails)",
    );
  });

  it('too few guardians', () => {
    const j = copy();
    j.tally.contests[1].selections[3].shares.pop();
    expect(failure(j)).toBe(
      "tally contest 'council' selection 'g': decryption shares from 1 guardians, 2 are needed (too few guardians)",
    );
  });

  it('a ballot dropped from a device chain, or from its end', () => {
    const j = copy();
    j.ballots.splice(4, 1); // ballot-5, on device-1
    expect(failure(j)).toBe(
      "ballot 'ballot-7': its previous code is not device 'device-1's last code (a ballot added, dropped or reordered in the chain)",
    );
    const k = copy();
    k.ballots.splice(11, 1); // ballot-12, device-2's last
    expect(failure(k)).toBe(
      "device 'device-2': the closing code does not follow its last ballot (ballots missing at the end of its chain)",
    );
  });

  it('a spoiled ballot whose published choices are not what was encrypted', () => {
    const j = copy();
    const sp = j.ballots[7].spoiled.choices;
    sp.mayor = JSON.stringify(sp.mayor) === '{"ada":1}' ? { bob: 1 } : { ada: 1 };
    expect(failure(j)).toMatch(
      /^ballot 'ballot-8' contest 'mayor' selection '(ada|bob)': the spoiled ballot's nonce and choices do not re-encrypt/,
    );
  });

  it('a changed guardian commitment, and a joint key that is not theirs', () => {
    const j = copy();
    j.ceremony.guardians[1].commitments[1] = pointToHex(
      pointFromHex(j.ceremony.guardians[1].commitments[1], 'k').add(G),
    );
    expect(failure(j)).toBe(
      'ceremony: guardian 2: the proof of knowledge of coefficient 1 does not verify',
    );
    const k = copy();
    k.jointKey = pointToHex(pointFromHex(k.jointKey, 'k').add(G));
    expect(failure(k)).toBe("jointKey is not the sum of the qualified guardians' commitments");
  });

  it('a malformed field is named', () => {
    const j = copy();
    j.ballots[1].contests[0].selections[2].alpha = 'zz';
    expect(failure(j)).toBe(
      'record.ballots[1].contests[0].selections[2].alpha: expected 64 lowercase hex digits (a group element)',
    );
    const k = copy();
    k.hashes.manifest = k.hashes.base;
    expect(failure(k)).toBe("hashes.manifest does not match the record's manifest");
  });
});

/**
 * Appends a ballot from a dishonest device that encrypts `actual` but proves
 * `claimed` (the honest prover run on a false statement), with a correct
 * code and chain of its own, so that only the false proof can give it away.
 */
function appendForged(
  j: Json,
  election: Election,
  id: string,
  actual: Choices,
  claimed: Choices,
): void {
  const hE = election.hashes.extendedBase;
  const key = election.key;
  const contests = election.manifest.contests.map((c) => {
    let nonces = 0n;
    let total = 0;
    let claimedTotal = 0;
    const selections = c.selections.map((s) => {
      const v = actual[c.id]?.[s.id] ?? 0;
      const claim = Math.min(claimed[c.id]?.[s.id] ?? v, c.optionLimit);
      const r = randomScalar(crypto);
      const ct = encryptWith(key, v, r);
      nonces += r;
      total += v;
      claimedTotal += claim;
      return {
        id: s.id,
        ct,
        proof: proveRange(
          ct,
          r,
          claim,
          c.optionLimit,
          key,
          selectionContext(hE, c.id, s.id),
          crypto,
        ),
      };
    });
    const agg = sum(selections.map((s) => s.ct));
    const contestClaim = Math.min(Math.max(total, claimedTotal), c.selectionLimit);
    return {
      id: c.id,
      selections,
      proof: proveRange(
        agg,
        mod(nonces),
        contestClaim,
        c.selectionLimit,
        key,
        contestContext(hE, c.id),
        crypto,
      ),
    };
  });
  const device = 'evil-device';
  const previousCode = chainStart(hE, device);
  const b: EncryptedBallot = { id, device, previousCode, code: '', contests, state: 'cast' };
  const code = confirmationCode(hE, b);
  j.ballots.push(ballotJson({ ...b, code }));
  j.devices.push({ id: device, closingCode: chainClose(hE, device, code) });
}
