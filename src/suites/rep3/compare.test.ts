/**
 * rep3 comparisons, bit decomposition and random bits: every party run for
 * real, results against the same computation on plaintext BigInts, on random
 * inputs and on the edges of each bound.
 */
import { describe, expect, it } from 'vitest';
import { run, testRng } from '../../../test/harness.js';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { runLocal } from '../../api/run.js';
import type { Session } from '../../api/session.js';
import { int } from '../../api/types.js';
import { rep3Bits, rep3Eqz, rep3Ltz, rep3RandomBits } from './compare.js';
import type { Rep3Shares, Rep3Suite } from './rep3.js';

const REP3 = { suite: 'rep3', parties: 3 } as const;
const rep3 = (s: Session) => s.suite as Rep3Suite;

/** n random values of `bound` bits (test data), then 0, -1, 1, min, max and neighbours. */
function signed(n: number, bound: number, seed: number, zeros = 0): bigint[] {
  const r = testRng(seed);
  const lo = -(1n << BigInt(bound - 1));
  const hi = (1n << BigInt(bound - 1)) - 1n;
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) {
    let v = 0n;
    for (let j = 0; j < 4; j++) v = (v << 16n) | BigInt(Math.floor(r() * 65536));
    // A fraction `zeros` of exact zeros, so that eqz sees both answers often.
    out.push(r() < zeros ? 0n : BigInt.asIntN(bound, v));
  }
  const edges = [0n, -1n, 1n, lo, hi, lo + 1n, hi - 1n, 2n, -2n];
  return [...out, ...edges.filter((v) => v >= lo && v <= hi)];
}

function share(su: Rep3Suite, xs: readonly bigint[]): Promise<Rep3Shares> {
  const v = su.party.index === 0 ? BigInt64Array.from(xs) : undefined;
  return su.input(0, v, xs.length);
}

async function open(su: Rep3Suite, x: Rep3Shares): Promise<bigint[]> {
  return (await su.open(x, [0, 1, 2]))!;
}

const BOUNDS = [1, 2, 3, 8, 16, 17, 31, 32, 33, 48, 63, 64];

describe('rep3 ltz', () => {
  it.each(BOUNDS)('computes [x < 0] for %i-bit values', async (bound) => {
    const xs = signed(1000, bound, bound);
    const got = await run(REP3, async (s) =>
      open(rep3(s), await rep3Ltz(rep3(s), await share(rep3(s), xs), bound)),
    );
    expect(got).toEqual(xs.map((x) => (x < 0n ? 1n : 0n)));
  });

  it('handles empty vectors and length 1', async () => {
    const got = await run(REP3, async (s) => {
      const su = rep3(s);
      return {
        none: await open(su, await rep3Ltz(su, await share(su, []), 32)),
        neg: await open(su, await rep3Ltz(su, await share(su, [-(1n << 31n)]), 32)),
        pos: await open(su, await rep3Ltz(su, await share(su, [(1n << 31n) - 1n]), 32)),
      };
    });
    expect(got).toEqual({ none: [], neg: [1n], pos: [0n] });
  });

  it('takes the same rounds for 1 and 1,000 elements: 1 + ceil(log2(bound - 1))', async () => {
    const got = await run(REP3, async (s) => {
      const su = rep3(s);
      const rounds: Record<string, number> = {};
      for (const [bound, n] of [
        [32, 1],
        [32, 1000],
        [64, 1],
        [64, 1000],
        [8, 1000],
      ] as const) {
        const x = await share(su, signed(n - 1, bound, n).slice(0, n));
        const before = s.stats().rounds;
        await rep3Ltz(su, x, bound);
        rounds[`${bound}:${n}`] = s.stats().rounds - before;
      }
      return rounds;
    });
    expect(got).toEqual({ '32:1': 6, '32:1000': 6, '64:1': 7, '64:1000': 7, '8:1000': 4 });
  });

  it('sends at most 31 bytes per 32-bit comparison at party 0 and 19 at the others', async () => {
    // Per element: the daBit (16 / 8 B), the input round on 31 planes (7.75 / 3.875 B),
    // 54 reshared AND gates (6.75 B) and the masked opening (1/4 B); framing adds a little.
    const n = 6400;
    const outs = await runLocal(
      async (s) => {
        const su = rep3(s);
        const x = await share(su, signed(n - 9, 32, 5));
        const before = s.stats().bytesSent;
        const r = await rep3Ltz(su, x, 32);
        const perElement = (s.stats().bytesSent - before) / n;
        return { perElement, ok: (await open(su, r)).length === n };
      },
      { suite: 'rep3', parties: 3, crypto: nodeCryptoProvider },
    );
    const got = outs.map((o) => o.result.perElement);
    expect(outs.every((o) => o.result.ok)).toBe(true);
    expect(got[0]).toBeGreaterThanOrEqual(30.75);
    expect(got[0]).toBeLessThan(31);
    for (const b of got.slice(1)) {
      expect(b).toBeGreaterThanOrEqual(18.875);
      expect(b).toBeLessThan(19.1);
    }
  });

  it('answers x.lt(y) through the program API under the suite bound check', async () => {
    const a = signed(200, 32, 5);
    const b = signed(200, 32, 6).slice(0, a.length);
    const got = await run(REP3, async (s) => {
      const x = s.input('p1', int(32), s.me === 'p1' ? a : a.length);
      const y = s.input('p2', int(32), s.me === 'p2' ? b : b.length);
      return x.lt(y).reveal();
    });
    expect(got).toEqual(a.map((v, i) => v < b[i]!));
  });

  it('gives each party uniformly random components of the result', async () => {
    // All-zero results: each party's components still look uniform (top bit about half ones).
    const outs = await runLocal(
      async (s) => {
        const su = rep3(s);
        const r = await rep3Ltz(su, await share(su, new Array<bigint>(4000).fill(5n)), 16);
        let a = 0,
          b = 0;
        for (let k = 0; k < r.length; k++) {
          a += Number(r.a[k]! >> 63n);
          b += Number(r.b[k]! >> 63n);
        }
        return { a, b, zero: (await open(su, r)).every((v) => v === 0n) };
      },
      { suite: 'rep3', parties: 3, crypto: nodeCryptoProvider },
    );
    for (const o of outs) {
      expect(o.result.zero).toBe(true);
      for (const c of [o.result.a, o.result.b])
        expect(Math.abs(c - 2000)).toBeLessThan(6 * Math.sqrt(1000));
    }
  });
});

describe('rep3 nonlinear protocols run concurrently', () => {
  it('interleave their rounds and PRSS draws consistently at every party', async () => {
    const xs = signed(500, 32, 77, 0.2);
    const ys = signed(500, 20, 78);
    const got = await run(REP3, async (s) => {
      const su = rep3(s);
      const [x, y] = await Promise.all([share(su, xs), share(su, ys)]);
      const before = s.stats().rounds;
      const [l, e, b, t, r, l2] = await Promise.all([
        rep3Ltz(su, x, 32),
        rep3Eqz(su, x, 32),
        rep3Bits(su, y, 20),
        su.trunc(y, 4, 20),
        rep3RandomBits(su, 100),
        rep3Ltz(su, y, 20),
      ]);
      const rounds = s.stats().rounds - before;
      const opened = await Promise.all([l, e, b, t, r, l2].map((v) => open(su, v)));
      return { rounds, opened };
    });
    const [l, e, b, t, r, l2] = got.opened;
    expect(l).toEqual(xs.map((x) => (x < 0n ? 1n : 0n)));
    expect(e).toEqual(xs.map((x) => (x === 0n ? 1n : 0n)));
    expect(b).toEqual(
      ys.flatMap((y) =>
        Array.from({ length: 20 }, (_, j) => (BigInt.asUintN(64, y) >> BigInt(j)) & 1n),
      ),
    );
    t!.forEach((v, i) => expect([ys[i]! >> 4n, (ys[i]! >> 4n) + 1n]).toContain(v));
    expect(r!.every((v) => v === 0n || v === 1n)).toBe(true);
    expect(l2).toEqual(ys.map((y) => (y < 0n ? 1n : 0n)));
    // Side by side, the longest chain sets the rounds (ltz and eqz of 32-bit values: 6).
    expect(got.rounds).toBe(6);
  });
});

describe('rep3 eqz', () => {
  it.each(BOUNDS)('computes [x == 0] for %i-bit values', async (bound) => {
    const xs = signed(1000, bound, 100 + bound, 0.3);
    const got = await run(REP3, async (s) =>
      open(rep3(s), await rep3Eqz(rep3(s), await share(rep3(s), xs), bound)),
    );
    expect(got).toEqual(xs.map((x) => (x === 0n ? 1n : 0n)));
  });

  it('handles empty vectors and length 1, in the same rounds for 1 and 1,000 elements', async () => {
    const got = await run(REP3, async (s) => {
      const su = rep3(s);
      const r: Record<string, unknown> = {
        none: await open(su, await rep3Eqz(su, await share(su, []), 32)),
        zero: await open(su, await rep3Eqz(su, await share(su, [0n]), 32)),
        min: await open(su, await rep3Eqz(su, await share(su, [-(1n << 31n)]), 32)),
      };
      for (const n of [1, 1000]) {
        const x = await share(su, new Array<bigint>(n).fill(0n));
        const before = s.stats().rounds;
        await rep3Eqz(su, x, 32);
        r[`rounds${n}`] = s.stats().rounds - before;
      }
      return r;
    });
    expect(got).toEqual({ none: [], zero: [1n], min: [0n], rounds1: 6, rounds1000: 6 });
  });
});

describe('rep3 bits', () => {
  it.each([1, 2, 3, 8, 32, 33, 64])(
    'decomposes %i-bit values, bit j of x_i at i*bits + j',
    async (bits) => {
      const xs = signed(300, bits, 200 + bits);
      const got = await run(REP3, async (s) =>
        open(rep3(s), await rep3Bits(rep3(s), await share(rep3(s), xs), bits)),
      );
      expect(got).toEqual(
        xs.flatMap((x) =>
          Array.from({ length: bits }, (_, j) => (BigInt.asUintN(64, x) >> BigInt(j)) & 1n),
        ),
      );
    },
  );

  it('handles empty vectors and length 1', async () => {
    const got = await run(REP3, async (s) => {
      const su = rep3(s);
      return {
        none: await open(su, await rep3Bits(su, await share(su, []), 8)),
        one: await open(su, await rep3Bits(su, await share(su, [-2n]), 4)),
      };
    });
    expect(got).toEqual({ none: [], one: [0n, 1n, 1n, 1n] });
  });
});

describe('rep3 randomBits', () => {
  it('gives 0/1 values, about half ones, in one round', async () => {
    const got = await run(REP3, async (s) => {
      const su = rep3(s);
      const before = s.stats().rounds;
      const r = await rep3RandomBits(su, 10_000);
      const rounds = s.stats().rounds - before;
      const v = await open(su, r);
      return {
        rounds,
        binary: v.every((b) => b === 0n || b === 1n),
        ones: v.filter((b) => b === 1n).length,
        none: await open(su, await rep3RandomBits(su, 0)),
        one: (await open(su, await rep3RandomBits(su, 1))).length,
      };
    });
    expect(got.rounds).toBe(1);
    expect(got.binary).toBe(true);
    // 6 standard deviations of a fair count of 10,000.
    expect(Math.abs(got.ones - 5000)).toBeLessThan(300);
    expect(got.none).toEqual([]);
    expect(got.one).toBe(1);
  });

  it('rejects a negative count', async () => {
    await expect(run(REP3, async (s) => rep3RandomBits(rep3(s), -1))).rejects.toThrow(
      /rep3.randomBits: count must be a non-negative integer, got -1/,
    );
  });
});
