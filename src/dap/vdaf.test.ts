import { describe, expect, it } from 'vitest';
import * as v from './vdaf.js';

const rnd = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));
const randInt = (n: number): number => crypto.getRandomValues(new Uint32Array(1))[0]! % n;

/** One report through the client's sharding (the library) and the aggregators' typed-array preparation. */
async function prepare(
  vdaf: v.AnyPrio3,
  prep: v.Prio3Prep,
  verifyKey: Uint8Array,
  measurement: unknown,
  tamper?: (leaderShare: Uint8Array) => void,
): Promise<[v.FieldVec, v.FieldVec]> {
  const nonce = rnd(16);
  const { publicShare, inputShares } = await vdaf.shardEncoded(
    measurement,
    nonce as never,
    rnd(vdaf.randSize) as never,
  );
  const leaderIn = new Uint8Array(inputShares[0]!);
  tamper?.(leaderIn);
  const l = prep.prepInit(verifyKey, 0, nonce, publicShare, leaderIn);
  const h = prep.prepInit(verifyKey, 1, nonce, publicShare, inputShares[1]!);
  // Shares cross the wire encoded: decode what the other side encoded.
  const lShare = prep.decodePrepShare(prep.encodePrepShare(l.share));
  const hShare = prep.decodePrepShare(prep.encodePrepShare(h.share));
  const msg = prep.prepSharesToPrep(lShare, hShare);
  return [prep.prepNext(l.state, msg), prep.prepNext(h.state, msg)];
}

async function aggregateAll(spec: v.VdafSpec, measurements: unknown[]): Promise<unknown> {
  const vdaf = v.makeVdaf(spec);
  const prep = v.makePrep(spec);
  const key = rnd(vdaf.verifyKeySize);
  const accL = prep.field.vec(prep.outputLen);
  const accH = prep.field.vec(prep.outputLen);
  for (const m of measurements) {
    const [a, b] = await prepare(vdaf, prep, key, m);
    prep.field.addVec(accL, a);
    prep.field.addVec(accH, b);
  }
  return v.unshard(
    vdaf,
    prep.field.encodeVec(accL),
    prep.field.encodeVec(accH),
    measurements.length,
  );
}

describe('Prio3 preparation with our decoders (VDAF-08 via @divviup/prio3)', () => {
  it('Prio3Count: random and edge measurements give the plaintext count', async () => {
    const ms = [false, true, ...Array.from({ length: 8 }, () => randInt(2) === 1)];
    expect(await aggregateAll({ type: 'count' }, ms)).toBe(ms.filter(Boolean).length);
    expect(await aggregateAll({ type: 'count' }, [true])).toBe(1);
  });

  it('Prio3Sum: 0, max and random values', async () => {
    const bits = 8;
    const ms = [0, 255, 255, ...Array.from({ length: 6 }, () => randInt(256))];
    expect(Number(await aggregateAll({ type: 'sum', bits }, ms))).toBe(
      ms.reduce((a, b) => a + b, 0),
    );
  });

  it('Prio3SumVec and Prio3Histogram: first, last and random coordinates', async () => {
    const spec = { type: 'sumVec', length: 5, bits: 3, chunkLength: 3 } as const;
    const ms = [
      [0, 0, 0, 0, 0],
      [7, 7, 7, 7, 7],
      ...Array.from({ length: 4 }, () => Array.from({ length: 5 }, () => randInt(8))),
    ];
    const want = [0, 1, 2, 3, 4].map((i) => ms.reduce((a, m) => a + m[i]!, 0));
    expect(((await aggregateAll(spec, ms)) as unknown[]).map(Number)).toEqual(want);
    const hist = { type: 'histogram', length: 7, chunkLength: 3 } as const;
    const hs = [0, 6, 6, ...Array.from({ length: 5 }, () => randInt(7))];
    const wantH = Array.from({ length: 7 }, (_, i) => hs.filter((x) => x === i).length);
    expect(((await aggregateAll(hist, hs)) as unknown[]).map(Number)).toEqual(wantH);
  });

  it('refuses a flipped share, a share of the wrong size and an element above the modulus', async () => {
    const vdaf = v.makeVdaf({ type: 'sum', bits: 8 });
    const prep = v.makePrep({ type: 'sum', bits: 8 });
    const key = rnd(vdaf.verifyKeySize);
    // Flipping a bit of the measurement share changes the joint randomness part: verification fails.
    await expect(prepare(vdaf, prep, key, 5, (b) => (b[0]! ^= 1))).rejects.toThrow(v.VdafPrepError);
    const { publicShare, inputShares } = await vdaf.shardEncoded(
      5,
      rnd(16) as never,
      rnd(vdaf.randSize) as never,
    );
    expect(() => prep.prepInit(key, 0, rnd(16), publicShare, inputShares[0]!.subarray(1))).toThrow(
      /leader input share: expected/,
    );
    expect(() => prep.prepInit(key, 1, rnd(16), publicShare, new Uint8Array(47))).toThrow(
      /helper input share: expected/,
    );
    expect(() => prep.prepInit(key, 0, rnd(16), publicShare.subarray(1), inputShares[0]!)).toThrow(
      /public share/,
    );
    const big = new Uint8Array(inputShares[0]!);
    big.fill(0xff, 0, 16);
    expect(() => prep.prepInit(key, 0, rnd(16), publicShare, big)).toThrow(/not below the modulus/);
  });

  it('an invalid measurement (shard bypassing the encoder check) is rejected; without the check it would shift the sum', async () => {
    const vdaf = v.makeVdaf({ type: 'count' });
    const prep = v.makePrep({ type: 'count' });
    const key = rnd(vdaf.verifyKeySize);
    // A malicious client encodes 1000 where Prio3Count allows only 0 or 1.
    (vdaf.flp as { encode: (m: unknown) => bigint[] }).encode = () => [1000n];
    await expect(prepare(vdaf, prep, key, true)).rejects.toThrow(
      /proof of validity does not verify/,
    );
    // Positive control: the same shares, summed without the FLP decision, release 1000.
    const nonce = rnd(16);
    const { publicShare, inputShares } = await vdaf.shardEncoded(
      true,
      nonce as never,
      rnd(vdaf.randSize) as never,
    );
    const l = prep.prepInit(key, 0, nonce, publicShare, inputShares[0]!);
    const h = prep.prepInit(key, 1, nonce, publicShare, inputShares[1]!);
    const out = v.unshard(
      vdaf,
      prep.field.encodeVec(l.state.out),
      prep.field.encodeVec(h.state.out),
      1,
    );
    expect(out).toBe(1000);
  });

  it('sensitivities for DP noise', () => {
    expect(v.l1Sensitivity({ type: 'count' })).toBe(1);
    expect(v.l1Sensitivity({ type: 'sum', bits: 8 })).toBe(255);
    expect(v.l1Sensitivity({ type: 'histogram', length: 100, chunkLength: 10 })).toBe(1);
    expect(v.l1Sensitivity({ type: 'sumVec', length: 4, bits: 2, chunkLength: 2 })).toBe(12);
  });
});
