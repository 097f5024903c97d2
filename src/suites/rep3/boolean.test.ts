/**
 * Boolean replicated sharing and A2B of the rep3 suite, every party run for
 * real, against the same computation on plaintext BigInts.
 */
import { describe, expect, it } from 'vitest';
import { run, testRng } from '../../../test/harness.js';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { runLocal } from '../../api/run.js';
import type { Session } from '../../api/session.js';
import {
  Rep3Bool,
  a2b,
  and,
  andMany,
  constantBool,
  expandBits,
  inputAndBool,
  inputBool0,
  laneBit,
  laneField,
  openBool,
  packBitAt,
  packLanes,
  unpackBits,
  xor,
  xorPublic,
} from './boolean.js';
import type { Rep3Shares, Rep3Suite } from './rep3.js';

const REP3 = { suite: 'rep3', parties: 3 } as const;
const MASK64 = (1n << 64n) - 1n;

/** n uniformly random 64-bit words from the test generator (test data, not secrets). */
function words(n: number, seed: number): bigint[] {
  const r = testRng(seed);
  return Array.from({ length: n }, () => {
    let v = 0n;
    for (let j = 0; j < 4; j++) v = (v << 16n) | BigInt(Math.floor(r() * 65536));
    return v;
  });
}

/** Signed values of `bound` bits: random ones, then the edges 0, -1, 1, min, max. */
function signed(n: number, bound: number, seed: number): bigint[] {
  const lo = -(1n << BigInt(bound - 1));
  const hi = (1n << BigInt(bound - 1)) - 1n;
  const edges = [0n, -1n, 1n, lo, hi, lo + 1n, hi - 1n].filter((v) => v >= lo && v <= hi);
  return [...words(n, seed).map((v) => BigInt.asIntN(bound, v)), ...edges];
}

const rep3 = (s: Session) => s.suite as Rep3Suite;

/** Shares values known to party 0 as a boolean sharing. */
function shareBool(su: Rep3Suite, values: readonly bigint[]): Promise<Rep3Bool> {
  const v =
    su.party.index === 0 ? BigUint64Array.from(values, (x) => BigInt.asUintN(64, x)) : undefined;
  return inputBool0(su, v, values.length);
}

function shareArith(su: Rep3Suite, values: readonly bigint[]): Promise<Rep3Shares> {
  const v =
    su.party.index === 0 ? BigInt64Array.from(values, (x) => BigInt.asIntN(64, x)) : undefined;
  return su.input(0, v, values.length);
}

async function reveal(su: Rep3Suite, x: Rep3Bool): Promise<bigint[]> {
  return Array.from((await openBool(su, x))!);
}

describe('rep3 boolean sharing', () => {
  it('shares and opens words exactly (random, edges, empty, length 1)', async () => {
    for (const xs of [[...words(500, 1), 0n, MASK64, 1n, 1n << 63n], [], [MASK64]]) {
      const got = await run(REP3, async (s) => reveal(rep3(s), await shareBool(rep3(s), xs)));
      expect(got).toEqual(xs);
    }
  });

  it('computes AND, XOR and public XOR against plaintext', async () => {
    const xs = [...words(1000, 2), 0n, MASK64, MASK64, 0n];
    const ys = [...words(1000, 3), MASK64, 0n, MASK64, 0n];
    const c = 0x0123456789abcdefn;
    const got = await run(REP3, async (s) => {
      const su = rep3(s);
      const [x, y] = await Promise.all([shareBool(su, xs), shareBool(su, ys)]);
      const z = await and(su, x, y);
      return {
        and: await reveal(su, z),
        xor: await reveal(su, xor(x, y)),
        pub: await reveal(su, xorPublic(su, x, c)),
        konst: await reveal(su, constantBool(su, BigUint64Array.of(5n, MASK64))),
      };
    });
    expect(got.and).toEqual(xs.map((x, i) => x & ys[i]!));
    expect(got.xor).toEqual(xs.map((x, i) => x ^ ys[i]!));
    expect(got.pub).toEqual(xs.map((x) => x ^ c));
    expect(got.konst).toEqual([5n, MASK64]);
  });

  it('batches independent ANDs into one round, of any lengths including 0 and 1', async () => {
    const a = words(300, 4);
    const b = words(300, 5);
    const got = await run(REP3, async (s) => {
      const su = rep3(s);
      const [x, y, x1, y1, e] = await Promise.all([
        shareBool(su, a),
        shareBool(su, b),
        shareBool(su, a.slice(0, 1)),
        shareBool(su, b.slice(0, 1)),
        shareBool(su, []),
      ]);
      const before = s.stats().rounds;
      const [z, z1, z0] = await andMany(su, [
        [x, y],
        [x1, y1],
        [e, e],
      ]);
      const rounds = s.stats().rounds - before;
      return {
        rounds,
        z: await reveal(su, z!),
        z1: await reveal(su, z1!),
        z0: await reveal(su, z0!),
      };
    });
    expect(got.rounds).toBe(1);
    expect(got.z).toEqual(a.map((x, i) => x & b[i]!));
    expect(got.z1).toEqual([a[0]! & b[0]!]);
    expect(got.z0).toEqual([]);
  });

  it('inputs v from party 0 with v & w for w held by parties 1 and 2, in one round', async () => {
    const vs = [...words(500, 6), 0n, MASK64];
    const ws = [...words(500, 7), MASK64, MASK64];
    const got = await run(REP3, async (s) => {
      const su = rep3(s);
      const i = su.party.index;
      const before = s.stats().rounds;
      const { v, vw } = await inputAndBool(
        su,
        i === 0 ? BigUint64Array.from(vs) : undefined,
        i === 0 ? undefined : BigUint64Array.from(ws),
        vs.length,
      );
      const rounds = s.stats().rounds - before;
      return { rounds, v: await reveal(su, v), vw: await reveal(su, vw) };
    });
    expect(got.rounds).toBe(1);
    expect(got.v).toEqual(vs);
    expect(got.vw).toEqual(vs.map((v, i) => v & ws[i]!));
  });

  it('gives every party uniformly random components of an AND of zeros', async () => {
    // Whatever the inputs, each party's pair (z_i, z_{i+1}) is fresh: count ones per pair.
    const outs = await runLocal(
      async (s) => {
        const su = rep3(s);
        const zeros = await shareBool(su, new Array<bigint>(2000).fill(0n));
        const z = await and(su, zeros, zeros);
        const value = await reveal(su, z);
        return { value: value.every((v) => v === 0n), ...ones(z) };
      },
      { suite: 'rep3', parties: 3, crypto: nodeCryptoProvider },
    );
    const total = 2000 * 64;
    for (const o of outs) {
      expect(o.result.value).toBe(true);
      for (const c of [o.result.a, o.result.b, o.result.ab])
        expect(Math.abs(c - total / 2)).toBeLessThan(6 * Math.sqrt(total / 4));
    }
  });
});

/** Numbers of one bits in a, b and a ^ b. */
function ones(x: Rep3Bool): { a: number; b: number; ab: number } {
  const count = (v: bigint) => {
    let c = 0;
    for (let w = v; w > 0n; w >>= 1n) c += Number(w & 1n);
    return c;
  };
  let a = 0,
    b = 0,
    ab = 0;
  for (let k = 0; k < x.length; k++) {
    a += count(x.a[k]!);
    b += count(x.b[k]!);
    ab += count(x.a[k]! ^ x.b[k]!);
  }
  return { a, b, ab };
}

describe('rep3 A2B', () => {
  it.each([1, 2, 3, 8, 16, 17, 31, 32, 33, 40, 63, 64])(
    'converts %i-bit values to their two-complement bits',
    async (bits) => {
      const xs = signed(600, bits, bits);
      const got = await run(REP3, async (s) => {
        const su = rep3(s);
        return reveal(su, await a2b(su, await shareArith(su, xs), bits));
      });
      expect(got).toEqual(xs.map((x) => BigInt.asUintN(bits, x)));
    },
  );

  it('handles empty vectors and length 1, and takes 1 + ceil(log2(bits - 1)) rounds', async () => {
    const got = await run(REP3, async (s) => {
      const su = rep3(s);
      const one = await shareArith(su, [-5n]);
      const none = await shareArith(su, []);
      const before = s.stats().rounds;
      const b = await a2b(su, one, 32);
      const rounds = s.stats().rounds - before;
      return { one: await reveal(su, b), none: await reveal(su, await a2b(su, none, 32)), rounds };
    });
    expect(got.one).toEqual([BigInt.asUintN(32, -5n)]);
    expect(got.none).toEqual([]);
    expect(got.rounds).toBe(1 + 5);
  });

  it('rejects a bit count outside 1..64', async () => {
    await expect(
      run(REP3, async (s) => {
        const su = rep3(s);
        return a2b(su, su.constant(BigInt64Array.of(1n)), 65);
      }),
    ).rejects.toThrow(/rep3.a2b: bit count must be in 1..64, got 65/);
  });
});

describe('bit and lane packing helpers', () => {
  const ws = words(200, 9);
  const v = BigUint64Array.from(ws);

  it('packBitAt / unpackBits round trip against per-bit extraction', () => {
    for (const pos of [0, 1, 31, 32, 63]) {
      const packed = packBitAt(v, pos);
      expect(packed.length).toBe(Math.ceil(ws.length / 64));
      expect(Array.from(unpackBits(packed, ws.length))).toEqual(
        ws.map((w) => (w >> BigInt(pos)) & 1n),
      );
    }
    expect(Array.from(unpackBits(packBitAt(new BigUint64Array(0), 3), 0))).toEqual([]);
  });

  it('expandBits lays out bit j of word i at i*bits + j', () => {
    for (const bits of [1, 7, 32, 33, 64]) {
      expect(Array.from(expandBits(v, bits))).toEqual(
        ws.flatMap((w) => Array.from({ length: bits }, (_, j) => (w >> BigInt(j)) & 1n)),
      );
    }
  });

  it('packLanes / laneField / laneBit agree with plaintext lanes', () => {
    for (const width of [2, 4, 8, 16, 32, 64]) {
      const packed = packLanes(v, width, (1n << BigInt(width)) - 1n);
      const per = 64 / width;
      expect(packed.length).toBe(Math.ceil(ws.length / per));
      const len = Math.min(width, 32);
      const off = width === 64 ? 32 : 0;
      const field = laneField(packed, width, ws.length, off, len);
      expect(Array.from(field)).toEqual(
        ws.map((w) => (w >> BigInt(off)) & ((1n << BigInt(len)) - 1n)),
      );
      const top = laneBit(packed, width, ws.length, width - 1);
      expect(Array.from(unpackBits(top, ws.length))).toEqual(
        ws.map((w) => (w >> BigInt(width - 1)) & 1n),
      );
    }
  });
});
