import { readFileSync } from 'node:fs';
import { Buffer } from 'buffer';
import { describe, expect, it } from 'vitest';
import { Prio3Prep, VdafPrepError, type VdafSpec } from './prio3.js';
import { libPrepBoth } from '../../test/prio3-reference.js';
import { makeVdaf } from './vdaf.js';

const rnd = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));
const randInt = (n: number): number => crypto.getRandomValues(new Uint32Array(1))[0]! % n;
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface Vector {
  verify_key: string;
  prep: {
    measurement: unknown;
    nonce: string;
    public_share: string;
    input_shares: string[];
    prep_shares: string[][];
    prep_messages: string[];
    out_shares: string[][];
  }[];
}
const vector = (name: string): Vector =>
  JSON.parse(
    readFileSync(new URL(`../../test/vectors/vdaf-08/${name}.json`, import.meta.url), 'utf8'),
  ) as Vector;

/** Both aggregators' preparation of one report; every intermediate encoded. */
function prepBoth(
  prep: Prio3Prep,
  key: Uint8Array,
  nonce: Uint8Array,
  publicShare: Uint8Array,
  inputShares: readonly Uint8Array[],
): { shares: string[]; msg: string; outs: string[] } {
  const r = ([0, 1] as const).map((i) =>
    prep.prepInit(key, i, nonce, publicShare, inputShares[i]!),
  );
  const shares = r.map((x) => toHex(prep.encodePrepShare(x.share)));
  // Each side decodes what the other encoded.
  const msg = prep.prepSharesToPrep(
    prep.decodePrepShare(hex(shares[0]!)),
    prep.decodePrepShare(hex(shares[1]!)),
  );
  const outs = r.map((x) => toHex(prep.field.encodeVec(prep.prepNext(x.state, msg))));
  return { shares, msg: toHex(msg), outs };
}

describe('Prio3 aggregator preparation on typed arrays (VDAF-08)', () => {
  it('matches the draft-08 vector Prio3SumVecWithMultiproof_0 (Field64, 4 proofs) byte for byte', () => {
    const v = vector('Prio3SumVecWithMultiproof_0.report0');
    const prep = new Prio3Prep(
      { type: 'sumVec', length: 10, bits: 8, chunkLength: 9 },
      { proofs: 4, field64: true, algorithmId: 0xffffffff },
    );
    for (const p of v.prep) {
      const got = prepBoth(
        prep,
        hex(v.verify_key),
        hex(p.nonce),
        hex(p.public_share),
        p.input_shares.map(hex),
      );
      expect(got.shares).toEqual(p.prep_shares[0]);
      expect(got.msg).toBe(p.prep_messages[0]);
      expect(got.outs).toEqual(p.out_shares.map((o) => o.join('')));
    }
  });

  const specs: [VdafSpec, () => unknown, unknown[]][] = [
    [{ type: 'count' }, () => randInt(2) === 1, [false, true]],
    [{ type: 'sum', bits: 8 }, () => randInt(256), [0, 1, 255]],
    [{ type: 'sum', bits: 1 }, () => randInt(2), [0, 1]],
    [
      { type: 'sumVec', length: 5, bits: 3, chunkLength: 4 },
      () => Array.from({ length: 5 }, () => randInt(8)),
      [
        [0, 0, 0, 0, 0],
        [7, 7, 7, 7, 7],
      ],
    ],
    [{ type: 'histogram', length: 100, chunkLength: 10 }, () => randInt(100), [0, 99]],
    [{ type: 'histogram', length: 7, chunkLength: 3 }, () => randInt(7), [0, 6]],
    [{ type: 'histogram', length: 1, chunkLength: 1 }, () => 0, [0]],
  ];
  for (const [spec, draw, edges] of specs) {
    it(`${JSON.stringify(spec)}: prep shares, message and output shares equal @divviup/prio3's on random and edge measurements`, async () => {
      const lib = makeVdaf(spec);
      const prep = new Prio3Prep(spec);
      const key = rnd(16);
      for (const m of [...edges, ...Array.from({ length: 4 }, draw)]) {
        const nonce = rnd(16);
        const { publicShare, inputShares } = await lib.shardEncoded(
          m,
          nonce as never,
          rnd(lib.randSize) as never,
        );
        const ins = inputShares.map((s) => new Uint8Array(s));
        const ours = prepBoth(prep, key, nonce, new Uint8Array(publicShare), ins);
        const theirs = await libPrepBoth(lib, key, nonce, new Uint8Array(publicShare), ins);
        expect(ours).toEqual(theirs);
      }
    });
  }

  it('rejects a flipped byte of the Leader proof share, of the Helper seed, of the public share and of a prep share', async () => {
    const spec = { type: 'histogram', length: 10, chunkLength: 3 } as const;
    const lib = makeVdaf(spec);
    const prep = new Prio3Prep(spec);
    const key = rnd(16);
    const nonce = rnd(16);
    const { publicShare, inputShares } = await lib.shardEncoded(
      3,
      nonce as never,
      rnd(lib.randSize) as never,
    );
    const pub = new Uint8Array(publicShare);
    const [l, h] = inputShares.map((s) => new Uint8Array(s));
    const run = (pubS: Uint8Array, lS: Uint8Array, hS: Uint8Array) =>
      prepBoth(prep, key, nonce, pubS, [lS, hS]);
    expect(() => run(pub, l!, h!)).not.toThrow(); // positive control
    const proofStart = prep.measurementLen * 16;
    for (const at of [proofStart, proofStart + 16 * 5, proofStart + 16 * (prep.proofLen - 1)]) {
      const bad = l!.slice();
      bad[at] = bad[at]! ^ 1; // the low byte of a proof element: still below p
      expect(() => run(pub, bad, h!)).toThrow(VdafPrepError);
    }
    const badH = h!.slice();
    badH[17] = badH[17]! ^ 1; // the proof seed
    expect(() => run(pub, l!, badH)).toThrow(/does not verify/);
    const badPub = pub.slice();
    badPub[0] = badPub[0]! ^ 1; // the Leader's joint randomness part as the Helper sees it
    expect(() => run(badPub, l!, h!)).toThrow(VdafPrepError);
    // A verifier share altered in transit fails the decision.
    const a = prep.prepInit(key, 0, nonce, pub, l!);
    const b = prep.prepInit(key, 1, nonce, pub, h!);
    const enc = prep.encodePrepShare(a.share);
    enc[3] = enc[3]! ^ 1;
    expect(() => prep.prepSharesToPrep(prep.decodePrepShare(enc), b.share)).toThrow(
      /does not verify/,
    );
    // The wrong preparation message is refused by prep_next.
    expect(() => prep.prepNext(a.state, rnd(16))).toThrow(/joint randomness mismatch/);
    expect(() => prep.prepNext(a.state, rnd(15))).toThrow(/wrong length/);
  });

  it('rejects measurements out of range from a dishonest client (two-hot histogram, a bit of 2 in Sum, count 2)', async () => {
    const cases: [VdafSpec, unknown, bigint[]][] = [
      [{ type: 'histogram', length: 4, chunkLength: 2 }, 0, [1n, 1n, 0n, 0n]],
      [{ type: 'histogram', length: 4, chunkLength: 2 }, 0, [0n, 0n, 0n, 0n]],
      [{ type: 'histogram', length: 4, chunkLength: 2 }, 0, [2n, 0n, 0n, 0n]],
      [{ type: 'sum', bits: 4 }, 0, [2n, 0n, 0n, 0n]],
      [{ type: 'sumVec', length: 2, bits: 2, chunkLength: 2 }, [0, 0], [0n, 3n, 0n, 0n]],
      [{ type: 'count' }, true, [2n]],
    ];
    for (const [spec, m, encoded] of cases) {
      const lib = makeVdaf(spec);
      (lib.flp as { encode: (x: unknown) => bigint[] }).encode = () => encoded;
      const prep = new Prio3Prep(spec);
      const nonce = rnd(16);
      const { publicShare, inputShares } = await lib.shardEncoded(
        m,
        nonce as never,
        rnd(lib.randSize) as never,
      );
      expect(() =>
        prepBoth(
          prep,
          rnd(16),
          nonce,
          new Uint8Array(publicShare),
          inputShares.map((s) => new Uint8Array(s)),
        ),
      ).toThrow(/does not verify/);
    }
  });

  it('refuses shares of the wrong size and elements not below the modulus, naming them', () => {
    const prep = new Prio3Prep({ type: 'sum', bits: 8 });
    const key = rnd(16);
    const leaderLen = (prep.measurementLen + prep.proofLen) * 16 + 16;
    expect(() => prep.prepInit(key, 0, rnd(16), rnd(32), rnd(leaderLen - 1))).toThrow(
      /leader input share: expected/,
    );
    expect(() => prep.prepInit(key, 1, rnd(16), rnd(32), rnd(47))).toThrow(
      /helper input share: expected 48 bytes/,
    );
    expect(() => prep.prepInit(key, 1, rnd(16), rnd(31), rnd(48))).toThrow(/public share/);
    const big = new Uint8Array(leaderLen).fill(0xff);
    expect(() => prep.prepInit(key, 0, rnd(16), rnd(32), big)).toThrow(
      /measurement share: element 0 is not below the modulus/,
    );
    expect(() => prep.decodePrepShare(rnd(10))).toThrow(/preparation share: expected/);
    expect(() => new Prio3Prep({ type: 'histogram', length: 0, chunkLength: 1 })).toThrow(
      RangeError,
    );
  });
});
