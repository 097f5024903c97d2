/**
 * Oblivious sort and shuffle against an exact plaintext sort, under every
 * suite configuration, plus the network itself by the 0-1 principle.
 */
import { describe, expect, it } from 'vitest';
import { CONFIGS, label, run, testRng, type Config } from '../../test/harness.js';
import type { Shares, Suite } from '../suites/suite.js';
import { quickSelect, revealedOrder } from './quicksort.js';
import { permutation, subsets } from './reshuffle.js';
import { batcherLayers, chooseSortMethod, shuffle, sortBy, type SortMethod } from './sort.js';
import { Prg } from '../random/prg.js';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';

/** Applies the network to plain numbers. */
function sortPlain(xs: number[]): number[] {
  const a = xs.slice();
  for (const { lo, hi } of batcherLayers(a.length)) {
    for (let r = 0; r < lo.length; r++) {
      const i = lo[r]!;
      const j = hi[r]!;
      if (a[j]! < a[i]!) [a[i], a[j]] = [a[j]!, a[i]!];
    }
  }
  return a;
}

describe('batcherLayers', () => {
  it('sorts every 0-1 input for n <= 14 (hence every input, by the 0-1 principle)', () => {
    for (let n = 0; n <= 14; n++) {
      for (let mask = 0; mask < 1 << n; mask++) {
        const xs = Array.from({ length: n }, (_, i) => (mask >> i) & 1);
        const ones = xs.reduce((s, x) => s + x, 0);
        const want = Array.from({ length: n }, (_, i) => (i >= n - ones ? 1 : 0));
        expect(sortPlain(xs)).toEqual(want);
      }
    }
  });

  it('sorts random inputs for sizes up to 300', () => {
    const rng = testRng(3);
    for (const n of [15, 17, 31, 33, 100, 255, 256, 257, 300]) {
      const xs = Array.from({ length: n }, () => Math.floor(rng() * 50));
      expect(sortPlain(xs)).toEqual(xs.slice().sort((a, b) => a - b));
    }
  });

  it('has t(t+1)/2 layers of disjoint comparators for t = ceil(log2 n)', () => {
    for (const n of [2, 3, 7, 16, 100, 1000, 10_000]) {
      const t = Math.ceil(Math.log2(n));
      const layers = batcherLayers(n);
      expect(layers.length).toBe((t * (t + 1)) / 2);
      for (const { lo, hi } of layers) {
        const wires = [...lo, ...hi];
        expect(new Set(wires).size).toBe(wires.length);
        expect(wires.every((w) => w < n)).toBe(true);
      }
    }
    expect(batcherLayers(0)).toEqual([]);
    expect(batcherLayers(1)).toEqual([]);
  });
});

/** Counts the interactive calls a protocol makes on a suite. */
function counting(suite: Suite): { suite: Suite; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const proxy = new Proxy(suite, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls[String(prop)] = (calls[String(prop)] ?? 0) + 1;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { suite: proxy, calls };
}

async function inputAll(s: { suite: Suite; me: string }, cols: BigInt64Array[]): Promise<Shares[]> {
  return Promise.all(cols.map((c) => s.suite.input(0, s.me === 'p1' ? c : undefined, c.length)));
}

/** Sorts keys with two payload columns (the original index and a wide value) and opens all. */
async function sortRun(
  config: Config,
  keys: bigint[],
  keyBound: number,
  descending: boolean,
  method: SortMethod = 'batcher',
): Promise<{
  keys: bigint[];
  idx: bigint[];
  wide: bigint[];
  wideIn: bigint[];
  calls: Record<string, number>;
}> {
  const wideIn = keys.map((_, i) => ((BigInt(i) * 0x9e3779b97f4a7n) % (1n << 50n)) - (1n << 49n));
  return run(config, async (s) => {
    const [k, idx, wide] = await inputAll(s, [
      BigInt64Array.from(keys),
      BigInt64Array.from(keys, (_, i) => BigInt(i)),
      BigInt64Array.from(wideIn),
    ]);
    const c = counting(s.suite);
    const out = await sortBy(c.suite, k!, keyBound, [idx!, wide!], descending, method);
    const all = s.parties.map((_, i) => i);
    const [ko, io, wo] = await Promise.all([
      s.suite.open(out.keys, all),
      s.suite.open(out.payloads[0]!, all),
      s.suite.open(out.payloads[1]!, all),
    ]);
    return { keys: ko!, idx: io!, wide: wo!, wideIn, calls: c.calls };
  });
}

function checkSorted(
  input: bigint[],
  r: { keys: bigint[]; idx: bigint[]; wide: bigint[]; wideIn: bigint[] },
  descending: boolean,
): void {
  const want = input.slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (descending) want.reverse();
  expect(r.keys).toEqual(want);
  // Rows stay together: the index column is a permutation and points back at the same key and payload.
  expect(r.idx.map(Number).sort((a, b) => a - b)).toEqual(input.map((_, i) => i));
  r.idx.forEach((i, q) => {
    expect(r.keys[q]).toBe(input[Number(i)]);
    expect(r.wide[q]).toBe(r.wideIn[Number(i)]);
  });
}

describe.each(CONFIGS)('sortBy (Batcher) under $suite with $parties parties', (config) => {
  it(`sorts random keys with duplicates and payloads, both directions (${label(config)})`, async () => {
    const rng = testRng(17);
    for (const n of [0, 1, 2, 3, 7, 16, 100]) {
      // Duplicates from a small range, negative keys, and the extremes of a 16-bit bound.
      const keys = Array.from({ length: n }, (_, i) =>
        i % 7 === 0 ? -32768n : i % 11 === 0 ? 32767n : BigInt(Math.floor(rng() * 21) - 10),
      );
      const [asc, desc] = await Promise.all([
        sortRun(config, keys, 16, false),
        sortRun(config, keys, 16, true),
      ]);
      checkSorted(keys, asc, false);
      checkSorted(keys, desc, true);
      // One ltz call and one multiplication per layer.
      const layers = batcherLayers(n).length;
      expect(asc.calls.ltz ?? 0).toBe(layers);
      expect(asc.calls.mul ?? 0).toBe(layers);
    }
  });

  it(`sorts keys at the limits of a 63-bit bound (${label(config)})`, async () => {
    const lim = 1n << 62n;
    const keys = [lim - 1n, -lim, 0n, -1n, -lim, lim - 1n, 1n, -lim + 1n, lim - 2n];
    checkSorted(keys, await sortRun(config, keys, 63, false), false);
    checkSorted(keys, await sortRun(config, keys, 63, true), true);
  });
});

describe.each(CONFIGS)('shuffle under $suite with $parties parties', (config) => {
  it(`keeps rows together and varies the permutation (${label(config)})`, async () => {
    const n = 3;
    const runs = 8;
    const out = await run(config, async (s) => {
      const [a, b] = await inputAll(s, [
        BigInt64Array.of(10n, 20n, 30n),
        BigInt64Array.of(-1n, -2n, -3n),
      ]);
      const all = s.parties.map((_, i) => i);
      const shuffled = await Promise.all(
        Array.from({ length: runs }, () => shuffle(s.suite, [a!, b!], n)),
      );
      return Promise.all(
        shuffled.map(async ([x, y]) => [await s.suite.open(x!, all), await s.suite.open(y!, all)]),
      );
    });
    const perms = new Set<string>();
    for (const [x, y] of out) {
      const rows = x!.map((v, i) => `${v},${y![i]}`);
      expect(rows.slice().sort()).toEqual(['10,-1', '20,-2', '30,-3']);
      perms.add(rows.join(' '));
    }
    // All 8 equal has probability 6^-7 for a uniform permutation.
    expect(perms.size).toBeGreaterThan(1);
  });

  it(`keeps a larger table's rows together (${label(config)})`, async () => {
    const n = 40;
    const col = BigInt64Array.from({ length: n }, (_, i) => BigInt(i));
    const out = await run(config, async (s) => {
      const [a, b] = await inputAll(s, [col, col.map((v) => v * v - 7n)]);
      const all = s.parties.map((_, i) => i);
      const [x, y] = await shuffle(s.suite, [a!, b!], n);
      return [await s.suite.open(x!, all), await s.suite.open(y!, all)];
    });
    const [x, y] = out as [bigint[], bigint[]];
    expect(x.slice().sort((p, q) => Number(p - q))).toEqual(Array.from(col));
    x.forEach((v, i) => expect(y[i]).toBe(v * v - 7n));
  });
});

describe('sort and shuffle edge cases (plaintext)', () => {
  const config = { suite: 'plaintext', parties: 1 };
  it('returns empty and single-row inputs unchanged', async () => {
    const r = await run(config, async (s) => {
      const [one] = await inputAll(s, [BigInt64Array.of(5n)]);
      const all = [0];
      const a = await shuffle(s.suite, [one!], 1);
      const b = await shuffle(s.suite, [], 0);
      const c = await sortBy(s.suite, one!, 8, [one!]);
      return [await s.suite.open(a[0]!, all), b.length, await s.suite.open(c.payloads[0]!, all)];
    });
    expect(r).toEqual([[5n], 0, [5n]]);
  });

  it('rejects mismatched lengths and bounds beyond the suite', async () => {
    await expect(
      run(config, async (s) => {
        const [k, p] = await inputAll(s, [BigInt64Array.of(1n, 2n), BigInt64Array.of(1n)]);
        return sortBy(s.suite, k!, 8, [p!]);
      }),
    ).rejects.toThrow(/sortBy: payload 0 has 1 elements, the keys 2/);
    await expect(
      run(config, async (s) => {
        const [k] = await inputAll(s, [BigInt64Array.of(1n, 2n)]);
        return sortBy(s.suite, k!, 64, []);
      }),
    ).rejects.toThrow(RangeError);
    await expect(
      run(config, async (s) => {
        const [k] = await inputAll(s, [BigInt64Array.of(1n, 2n)]);
        return shuffle(s.suite, [k!], 3);
      }),
    ).rejects.toThrow(/shuffle: column 0 has 2 elements, expected 3/);
  });
});

/** The configurations where the shuffle-then-quicksort method applies (semi-honest, honest majority). */
const SHUFFLE_CONFIGS = CONFIGS.filter((c) => c.suite !== 'semi2k');

describe.each(SHUFFLE_CONFIGS)(
  'sortBy (shuffle, quicksort) under $suite with $parties parties',
  (config) => {
    it(`sorts random, duplicate, equal, sorted, reversed and extreme keys with payloads (${label(config)})`, async () => {
      const rng = testRng(29);
      const min = -(1n << 31n);
      const max = (1n << 31n) - 1n;
      const cases: bigint[][] = [
        [],
        [7n],
        [3n, -3n],
        [-3n, 3n],
        [4n, 4n],
        Array.from({ length: 40 }, () => BigInt(Math.floor(rng() * 2 ** 32) - 2 ** 31)),
        Array.from({ length: 33 }, () => BigInt(Math.floor(rng() * 5) - 2)), // many duplicates
        Array.from({ length: 20 }, () => -1n), // all equal
        Array.from({ length: 25 }, (_, i) => BigInt(i - 12)), // sorted
        Array.from({ length: 25 }, (_, i) => BigInt(12 - i)), // reverse-sorted
        [max, min, 0n, -1n, min, max, 1n, min + 1n, max - 1n], // the extremes of int(32)
      ];
      for (const keys of cases) {
        const [asc, desc] = await Promise.all([
          sortRun(config, keys, 32, false, 'shuffle'),
          sortRun(config, keys, 32, true, 'shuffle'),
        ]);
        checkSorted(keys, asc, false);
        checkSorted(keys, desc, true);
        // No sorting network: one comparison call per quicksort level, no swaps by multiplication.
        expect(asc.calls.mul ?? 0).toBe(0);
        if (keys.length >= 2) expect(asc.calls.ltz).toBeLessThan(keys.length);
      }
    });

    it(`selects exact order statistics at any ranks (${label(config)})`, async () => {
      const rng = testRng(31);
      const keys = Array.from({ length: 60 }, () => BigInt(Math.floor(rng() * 40) - 20));
      const ranks = [0, 29, 30, 53, 59, 30];
      const got = await run(config, async (s) => {
        const [k, idx] = await inputAll(s, [
          BigInt64Array.from(keys),
          BigInt64Array.from(keys, (_, i) => BigInt(i)),
        ]);
        const all = s.parties.map((_, i) => i);
        const out = await quickSelect(s.suite, k!, 16, ranks, [idx!]);
        return [await s.suite.open(out.keys, all), await s.suite.open(out.payloads[0]!, all)];
      });
      const sorted = keys.slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect(got[0]).toEqual(ranks.map((r) => sorted[r]));
      // The payload is the row of a key equal to the selected one.
      got[1]!.forEach((i, q) => expect(keys[Number(i)]).toBe(got[0]![q]));
    });
  },
);

describe('sortBy method choice', () => {
  it('uses the shuffle only under semi-honest honest-majority suites, and falls back to Batcher when tagged keys do not fit', async () => {
    const methods = await Promise.all(
      [
        { suite: 'rep3', parties: 3 },
        { suite: 'shamir', parties: 3 },
        { suite: 'semi2k', parties: 2 },
      ].map((c) =>
        run(c, async (s) => [
          chooseSortMethod(s.suite, 32, 1_000_000),
          chooseSortMethod(s.suite, 63, 100),
        ]),
      ),
    );
    // rep3's comparisons take 64 bits: 63-bit keys leave no room for a tag; shamir's (n = 3) take 85.
    expect(methods).toEqual([
      ['shuffle', 'batcher'],
      ['shuffle', 'shuffle'],
      ['batcher', 'batcher'],
    ]);
    await expect(
      run({ suite: 'semi2k', parties: 2 }, async (s) => {
        const [k] = await inputAll(s, [BigInt64Array.of(2n, 1n)]);
        return sortBy(s.suite, k!, 8, [], false, 'shuffle');
      }),
    ).rejects.toThrow(/no honest majority/);
  });
});

describe('revealed comparisons (rep3)', () => {
  /** Runs `count` sorts of `keys` at once and returns every comparison bit opened to all parties. */
  async function revealedBits(keys: bigint[], count: number, raw: boolean): Promise<bigint[]> {
    return run({ suite: 'rep3', parties: 3 }, async (s) => {
      const opened: bigint[] = [];
      const all = s.parties.map((_, i) => i);
      // Every opening to all parties, through `open` or `openInt64`: in these sorts, the comparison bits.
      const spy = new Proxy(s.suite, {
        get(target, prop, receiver) {
          const v: unknown = Reflect.get(target, prop, receiver);
          if (prop === 'open') {
            return async (a: Shares, to: readonly number[]) => {
              const r = await target.open(a, to);
              if (to.length === all.length && r) opened.push(...r);
              return r;
            };
          }
          if (prop === 'openInt64' && target.openInt64) {
            return async (a: Shares, to: readonly number[]) => {
              const r = await target.openInt64!(a, to);
              if (to.length === all.length && r) opened.push(...r);
              return r;
            };
          }
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      const [k] = await inputAll(s, [BigInt64Array.from(keys)]);
      await Promise.all(
        Array.from({ length: count }, () =>
          raw
            ? revealedOrder(spy, k!, 8, keys.length) // positive control: no shuffle, no tags
            : sortBy(spy, k!, 8, [], false, 'shuffle'),
        ),
      );
      return opened;
    });
  }

  it('reveals outcomes whose distribution does not depend on the input (equal, ascending, descending keys)', async () => {
    const runs = 200;
    for (const keys of [
      [5n, 5n],
      [1n, 2n],
      [2n, 1n],
    ]) {
      const bits = await revealedBits(keys, runs, false);
      // One comparison per sort of two rows: [row 1 < row 0] after the shuffle, 1 with probability 1/2.
      expect(bits.length).toBe(runs);
      const ones = bits.filter((b) => b === 1n).length;
      // Outside [60, 140] has probability below 1e-8 for a fair coin.
      expect(ones).toBeGreaterThanOrEqual(60);
      expect(ones).toBeLessThanOrEqual(140);
    }
  });

  it('positive control: without the shuffle and the tags, the outcomes give the input away', async () => {
    // Equal keys: every comparison says "not below"; ascending keys likewise, descending keys the opposite.
    expect(new Set(await revealedBits([5n, 5n], 20, true))).toEqual(new Set([0n]));
    expect(new Set(await revealedBits([1n, 2n], 20, true))).toEqual(new Set([0n]));
    expect(new Set(await revealedBits([2n, 1n], 20, true))).toEqual(new Set([1n]));
  });
});

describe('three pivots per segment', () => {
  it('sorts segments of every length, split four ways (rep3, 300 rows with duplicates)', async () => {
    const rng = testRng(37);
    const keys = Array.from({ length: 300 }, () => BigInt(Math.floor(rng() * 100) - 50));
    const c = { suite: 'rep3', parties: 3 };
    checkSorted(keys, await sortRun(c, keys, 16, false, 'shuffle'), false);
    checkSorted(keys, await sortRun(c, keys, 16, true, 'shuffle'), true);
  });
});

describe('resharing shuffle helpers', () => {
  it('enumerates the sets of n - t parties', () => {
    expect(subsets(3, 2)).toEqual([
      [0, 1],
      [0, 2],
      [1, 2],
    ]);
    expect(subsets(5, 3).length).toBe(10);
    expect(subsets(1, 1)).toEqual([[0]]);
  });

  it('draws permutations that are permutations, differ per seed and hit every position', () => {
    const counts = Array.from({ length: 4 }, () => new Array<number>(4).fill(0));
    for (let seed = 0; seed < 400; seed++) {
      const key = new Uint8Array(16);
      key[0] = seed & 255;
      key[1] = seed >> 8;
      const p = permutation(new Prg(key, nodeCryptoProvider), 4);
      expect(Array.from(p).sort()).toEqual([0, 1, 2, 3]);
      p.forEach((v, i) => counts[i]![v]!++);
    }
    // Each of the 16 (position, value) cells expects 100; below 50 or above 150 is negligible for a uniform draw.
    for (const row of counts) for (const c of row) expect(c).toBeGreaterThan(50);
    for (const row of counts) for (const c of row) expect(c).toBeLessThan(150);
    expect(permutation(new Prg(new Uint8Array(16), nodeCryptoProvider), 0).length).toBe(0);
  });
});
