/**
 * The public operations the statistics layer builds on instead of shares:
 * gather by public index, sums of groups, fixed-point rescaling, fixed to
 * int, a bound the program vouches for, random bits and secrets from
 * additive parts; each checked against the same computation in the clear,
 * under every suite of the harness, on random values and edges.
 */
import { describe, expect, it } from 'vitest';
import { fixed, int, type Session } from '../src/index.js';
import { CONFIGS, label, run, testRng } from './harness.js';

const F16 = fixed({ bits: 40, frac: 16 });
const EDGES = [
  0,
  -1,
  1,
  2 ** 23 - 2 ** -16,
  -(2 ** 23) + 2 ** -16,
  0.5,
  -0.5,
  2 ** -16,
  -(2 ** -16),
];

function randomReals(n: number, seed: number, lim: number): number[] {
  const r = testRng(seed);
  return Array.from({ length: n }, () => Math.round((r() * 2 - 1) * lim * 2 ** 16) / 2 ** 16);
}

function randomInts(n: number, seed: number, lim: number): bigint[] {
  const r = testRng(seed);
  return Array.from({ length: n }, () => BigInt(Math.floor((r() * 2 - 1) * lim)));
}

const ints = (s: Session, xs: bigint[], bits = 32) =>
  s.input('p1', int(bits), s.me === 'p1' ? xs : xs.length);

for (const c of CONFIGS) {
  describe(label(c), () => {
    it('gathers by public index (repeats, length 1, empty) and sums groups', async () => {
      const xs = [...randomInts(30, 3, 2 ** 31), 0n, -1n, 2n ** 31n - 1n, -(2n ** 31n)];
      const idx = [33, 0, 0, 5, 32, 31, 30, 5];
      const r = await run(c, async (s) => {
        const x = ints(s, xs);
        const b = x.lt(0);
        return s.revealAll([
          x.gather(idx),
          x.gather([7]),
          x.gather([]),
          b.gather(idx),
          x.sumGroups(2),
          x.sumGroups(17),
          x.sumGroups(1),
          x.gather([]).sumGroups(3),
        ]);
      });
      const sums = (m: number) =>
        Array.from({ length: xs.length / m }, (_, g) =>
          xs.slice(g * m, g * m + m).reduce((a, v) => a + v, 0n),
        );
      expect(r[0]).toEqual(idx.map((i) => xs[i]));
      expect(r[1]).toEqual([xs[7]]);
      expect(r[2]).toEqual([]);
      expect(r[3]).toEqual(idx.map((i) => xs[i]! < 0n));
      expect(r[4]).toEqual(sums(2));
      expect(r[5]).toEqual(sums(17));
      expect(r[6]).toEqual(xs);
      expect(r[7]).toEqual([]);
    });

    it('rescales fixed-point numbers between formats and truncates them to integers', async () => {
      const xs = [...EDGES, ...randomReals(40, 5, 2 ** 20)];
      const r = await run(c, async (s) => {
        const x = s.input('p1', F16, s.me === 'p1' ? xs : xs.length);
        return s.revealAll([
          x.toFixed(fixed({ bits: 48, frac: 24 })),
          x.toFixed(fixed({ bits: 40, frac: 16 })),
          x.toFixed(fixed({ bits: 32, frac: 6 })),
          x.toInt(),
          x.toInt(26),
        ]);
      });
      expect(r[0]).toEqual(xs);
      expect(r[1]).toEqual(xs);
      // Fewer fractional bits: within one unit of the new last place.
      (r[2] as number[]).forEach((v, i) => expect(Math.abs(v - xs[i]!)).toBeLessThan(2 ** -6));
      for (const k of [3, 4]) {
        (r[k] as bigint[]).forEach((v, i) => {
          const f = BigInt(Math.floor(xs[i]!));
          // Rounded down or up; an exact integer stays itself.
          expect(Number.isInteger(xs[i]) ? v === f : v === f || v === f + 1n).toBe(true);
        });
      }
    });

    it("tightens a bound the program vouches for, reads 0/1 integers as booleans, and tells a secret's session", async () => {
      const counts = [0n, 1n, 1000n, 4095n, 17n];
      const bits = [0n, 1n, 1n, 0n];
      const r = await run(c, async (s) => {
        const wide = ints(s, counts, 62).add(ints(s, counts, 62));
        const tight = wide.assumeBound(14);
        const asBool = ints(s, bits, 8).assumeBool();
        const sub = s.canOpenChannels ? await s.channel('other') : undefined;
        const ri = s.randomInts(3, 7);
        await Promise.all([tight.ready(), ri.ready()]);
        const own = [
          tight.belongsTo(s),
          sub ? !tight.belongsTo(sub) && sub.adopt(tight).belongsTo(sub) : true,
        ];
        return {
          own,
          bounds: [wide.bound, tight.bound, tight.type.bits, ri.bound],
          out: await s.revealAll([tight, tight.lt(4096), asBool, asBool.not()]),
        };
      });
      expect(r.own).toEqual([true, true]);
      expect(r.bounds).toEqual([63, 14, 14, 8]);
      expect(r.out[0]).toEqual(counts.map((x) => 2n * x));
      expect(r.out[1]).toEqual(counts.map((x) => 2n * x < 4096n));
      expect(r.out[2]).toEqual(bits.map((b) => b === 1n));
      expect(r.out[3]).toEqual(bits.map((b) => b === 0n));
    });

    it('draws secret random bits and uniform integers in [0, 2^bits), agreed by every party', async () => {
      const r = await run(c, async (s) => {
        const b = s.randomBits(256);
        const empty = s.randomBits(0);
        const u = s.randomInts(200, 4);
        const one = s.randomInts(64, 1);
        return s.revealAll([b, b.toInt(2).sum(), empty, u, one, s.randomInts(0, 8)]);
      });
      const bits = r[0] as boolean[];
      expect(bits).toHaveLength(256);
      // 256 fair bits: fewer than 64 ones or zeros has probability below 2^-60.
      const ones = bits.filter(Boolean).length;
      expect(ones).toBeGreaterThan(64);
      expect(ones).toBeLessThan(192);
      expect(r[1]).toEqual([BigInt(ones)]);
      expect(r[2]).toEqual([]);
      // Integers in [0, 16): 200 draws, each of the 16 values missing with probability below 2^-13.
      const u = r[3] as bigint[];
      expect(u.every((v) => v >= 0n && v < 16n)).toBe(true);
      expect(new Set(u).size).toBeGreaterThan(12);
      expect((r[4] as bigint[]).every((v) => v === 0n || v === 1n)).toBe(true);
      expect(r[5]).toEqual([]);
    });

    it('refuses bad arguments at the call', async () => {
      const r = await run(c, async (s) => {
        const x = ints(s, [1n, 2n, 3n]);
        const f = s.input('p1', F16, s.me === 'p1' ? [1.5] : 1);
        const tries = [
          () => x.gather([3]),
          () => x.gather([-1]),
          () => x.gather([0.5]),
          () => x.sumGroups(2),
          () => x.sumGroups(0),
          () => x.assumeBound(65),
          () => x.assumeBound(1),
          () => s.randomBits(-1),
          () => f.toInt(1),
          () => f.toFixed(fixed({ bits: 64, frac: 62 })),
          () => s.randomInts(2, 63),
          () => s.randomInts(-1, 8),
        ];
        return tries.map((t) => {
          try {
            t();
            return 'accepted';
          } catch (e) {
            return (e as Error).name;
          }
        });
      });
      expect(r).toEqual(new Array(12).fill('RangeError'));
    });
  });
}

// Additive parts modulo 2^64 (the end of a PSI): only the suites over Z_2^64.
for (const c of CONFIGS.filter((k) => k.suite === 'rep3' || k.suite === 'semi2k')) {
  it(`${label(c)}: builds a secret from additive parts modulo 2^64`, async () => {
    const want = [0n, -1n, 5n, 2n ** 40n, -(2n ** 40n)];
    const mask = randomInts(5, 9, 2 ** 52).map((m) => m * 4099n); // wraps past 2^64
    const r = await run(c, async (s) => {
      const [a, b] = [s.parties[0]!, s.parties[1]!];
      const parts =
        s.me === a
          ? BigInt64Array.from(want, (w, i) => BigInt.asIntN(64, w - mask[i]!))
          : s.me === b
            ? BigInt64Array.from(mask, (m) => BigInt.asIntN(64, m))
            : undefined;
      const x = s.fromAdditiveParts(int(42), [a, b], parts, want.length);
      // Every party an owner with parts of the wrong length: all refuse alike.
      let refused = '';
      try {
        s.fromAdditiveParts(int(42), s.parties, new BigInt64Array(2), 3);
      } catch (e) {
        refused = (e as Error).name;
      }
      return { x: await x.reveal(), bound: x.bound, refused };
    });
    expect(r.x).toEqual(want);
    expect(r.bound).toBe(42);
    expect(r.refused).toBe('RangeError');
  });
}
