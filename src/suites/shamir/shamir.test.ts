/**
 * Every primitive of the shamir suite at n = 3, 5 and 7, all parties run for
 * real (test/harness.ts), against the same computation on BigInt: random
 * vectors and edges (0, -1, 1, the min and max of the bound, empty, length 1).
 */
import { describe, expect, it } from 'vitest';
import * as F from '../../arith/field127.js';
import { ProtocolAbort } from '../../runtime/errors.js';
import * as shamir from '../../sharing/shamir.js';
import { run, testRng } from '../../../test/harness.js';
import { chiSquare } from '../../../test/stats.js';
import { shamirEqz, shamirLtz } from './compare.js';
import { wordsFrom } from './compare3.js';
import { compareCapacityFor, type ShamirShares, type ShamirSuite } from './shamir.js';

type Ctx = { s: ShamirSuite; me: number; n: number };

/** Runs `f` at every party of a shamir(n) session; returns party 0's result (all must agree). */
function on<R>(n: number, f: (c: Ctx) => Promise<R>): Promise<R> {
  return run({ suite: 'shamir', parties: n }, (sess) =>
    f({ s: sess.suite as unknown as ShamirSuite, me: sess.party.index, n }),
  );
}

const all = (n: number) => [...Array(n).keys()];

/** Shares `xs` from `owner`. */
function input(c: Ctx, owner: number, xs: readonly bigint[]): Promise<ShamirShares> {
  return c.s.input(owner, c.me === owner ? BigInt64Array.from(xs) : undefined, xs.length);
}

async function reveal(c: Ctx, x: ShamirShares): Promise<bigint[]> {
  return (await c.s.open(x, all(c.n)))!;
}

/** Every party's share of every element, gathered at every party (tests only). */
async function everyShare(c: Ctx, v: F.FieldVec): Promise<F.FieldVec[]> {
  const send = all(c.n).map((j) => (j === c.me ? undefined : new Uint8Array(v.slice().buffer)));
  const got = await c.s.party.exchange({
    op: 'test.gather',
    send,
    recvFrom: all(c.n).filter((j) => j !== c.me),
  });
  return all(c.n).map((j) =>
    j === c.me ? v : new BigUint64Array(got[j]!.slice().buffer, 0, v.length),
  );
}

/** Whether all shares lie on polynomials of degree <= d (every (d+1)-subset agrees). */
function degreeAtMost(shares: F.FieldVec[], d: number): boolean {
  const n = shares.length;
  const ref = shamir.reconstruct(shares.slice(0, d + 1), all(d + 1));
  for (let start = 1; start + d < n; start++) {
    const who = all(d + 1).map((i) => i + start);
    const got = shamir.reconstruct(
      who.map((i) => shares[i]!),
      who,
    );
    if (got.some((w, i) => w !== ref[i])) return false;
  }
  return true;
}

/** Uniform random integers in [-2^(b-1), 2^(b-1)), deterministic. */
function randomInts(count: number, b: number, seed: number): bigint[] {
  const r = testRng(seed);
  return Array.from({ length: count }, () => {
    let x = 0n;
    for (let k = 0; k < 4; k++) x = (x << 32n) | BigInt(Math.floor(r() * 2 ** 32));
    return (x % (1n << BigInt(b))) - (1n << BigInt(b - 1));
  });
}

/** 0, -1, 1, 2, -2, the min and max of the bound and their neighbours. */
function edges(b: number): bigint[] {
  const lo = -(1n << BigInt(b - 1));
  const hi = (1n << BigInt(b - 1)) - 1n;
  const xs = [0n, -1n, 1n, 2n, -2n, lo, hi, lo + 1n, hi - 1n];
  return [...new Set(xs)].filter((x) => x >= lo && x <= hi);
}

const floorDiv = (x: bigint, m: number) => x >> BigInt(m); // BigInt >> floors
const big = (xs: readonly bigint[]) => BigInt64Array.from(xs);

describe.each([3, 5, 7])('shamir(n=%i)', (n) => {
  const t = Math.floor((n - 1) / 2);

  it('reports its model, threshold and capacities', async () => {
    const r = await on(n, async (c) => ({
      t: c.s.t,
      cap: c.s.capacity,
      cmp: c.s.compareCapacity,
      adv: c.s.model.adversary,
      refs: c.s.model.references.length,
    }));
    expect(r).toEqual({
      t,
      cap: 126,
      cmp: compareCapacityFor(n, t),
      adv: 'semi-honest (passive)',
      refs: 6,
    });
    expect(r.cmp).toBe({ 3: 85, 5: 83, 7: 81 }[n]);
  });

  it('PRSS: random, bounded random and degree-2t zero sharings need no communication', async () => {
    const r = await on(n, async (c) => {
      const before = c.s.party.stats.snapshot().messagesSent;
      const x = c.s.prss.random(100);
      const z = c.s.prss.zero2t(100);
      const b = c.s.prss.randomInt(300, 20);
      const sent = c.s.party.stats.snapshot().messagesSent - before;
      const [xs, zs, bs] = [await everyShare(c, x), await everyShare(c, z), await everyShare(c, b)];
      const bv = F.toBigInts(shamir.reconstruct(bs, all(n)));
      return {
        sent,
        xDegT: degreeAtMost(xs, t),
        zDeg2t: degreeAtMost(zs, 2 * t),
        zDegT: degreeAtMost(zs, t),
        zero: F.toBigInts(shamir.reconstruct(zs, all(n))).every((v) => v === 0n),
        distinct: new Set(F.toBigInts(shamir.reconstruct(xs, all(n)))).size,
        bDegT: degreeAtMost(bs, t),
        bMax: bv.reduce((a, v) => (v > a ? v : a), 0n),
      };
    });
    expect(r.sent).toBe(0);
    expect(r.xDegT).toBe(true);
    expect(r.distinct).toBe(100);
    expect(r.zDeg2t).toBe(true);
    expect(r.zDegT).toBe(false);
    expect(r.zero).toBe(true);
    expect(r.bDegT).toBe(true);
    // A sum of C(n, t) integers below 2^20, so below C(n,t) 2^20, and well spread.
    const sets = BigInt({ 3: 3, 5: 10, 7: 35 }[n]!);
    expect(r.bMax < sets << 20n).toBe(true);
    expect(r.bMax >= 1n << 20n).toBe(true);
  });

  it('inputs from every party, of lengths 0, 1 and 200, as consistent degree-t sharings', async () => {
    const xs = [...edges(64), ...randomInts(200 - 9, 64, n)];
    const r = await on(n, async (c) => {
      const out: unknown[] = [];
      for (let owner = 0; owner < n; owner++) {
        const before = c.s.party.stats.snapshot().rounds;
        const x = await input(c, owner, xs);
        const rounds = c.s.party.stats.snapshot().rounds - before;
        const degree = degreeAtMost(await everyShare(c, x.v), t);
        out.push({ rounds, degree, values: await reveal(c, x) });
      }
      const empty = await input(c, 1, []);
      const one = await input(c, n - 1, [-5n]);
      return { out, empty: await reveal(c, empty), one: await reveal(c, one) };
    });
    for (const o of r.out) expect(o).toEqual({ rounds: 1, degree: true, values: xs });
    expect(r.empty).toEqual([]);
    expect(r.one).toEqual([-5n]);
  });

  it('local operations match BigInt arithmetic, past 64 bits', async () => {
    const a = [...edges(64), ...randomInts(191, 64, 10 + n)];
    const b = [...edges(64).reverse(), ...randomInts(191, 64, 20 + n)];
    const K = [3n, -7n, 0n, 1n << 62n, -(1n << 62n)];
    const r = await on(n, async (c) => {
      const [x, y] = [await input(c, 0, a), await input(c, n - 1, b)];
      const s = c.s;
      const idx = Uint32Array.of(5, 0, 0, 199, 17);
      return Promise.all(
        [
          s.constant(big(a)),
          s.add(x, y),
          s.sub(x, y),
          s.neg(x),
          s.addPublic(x, big(b)),
          s.addPublic(x, big([-9n])),
          s.mulPublic(x, big(b)),
          ...K.map((k) => s.mulPublic(x, big([k]))),
          s.mulScalar(x, 1n << 61n),
          s.mulScalar(x, -3n),
          s.gather(x, idx),
          s.concat([x, y, s.constant(big([]))]),
          s.sumGroups(x, 8),
          s.sumGroups(x, 200),
          s.sub(s.random(200), s.random(200)),
        ].map((v) => reveal(c, v)),
      );
    });
    const [cst, sum, diff, neg, addP, addP1, mulP, ...rest] = r;
    expect(cst).toEqual(a);
    expect(sum).toEqual(a.map((x, i) => x + b[i]!));
    expect(diff).toEqual(a.map((x, i) => x - b[i]!));
    expect(neg).toEqual(a.map((x) => -x));
    expect(addP).toEqual(a.map((x, i) => x + b[i]!));
    expect(addP1).toEqual(a.map((x) => x - 9n));
    expect(mulP).toEqual(a.map((x, i) => x * b[i]!));
    K.forEach((k, j) => expect(rest[j]).toEqual(a.map((x) => x * k)));
    const [sc1, sc2, gat, cat, sg8, sg200, rnd] = rest.slice(K.length);
    expect(sc1).toEqual(a.map((x) => x << 61n));
    expect(sc2).toEqual(a.map((x) => -3n * x));
    expect(gat).toEqual([5, 0, 0, 199, 17].map((i) => a[i]!));
    expect(cat).toEqual([...a, ...b]);
    const groups = (m: number) =>
      Array.from({ length: 200 / m }, (_, j) =>
        a.slice(j * m, j * m + m).reduce((u, v) => u + v, 0n),
      );
    expect(sg8).toEqual(groups(8));
    expect(sg200).toEqual(groups(200));
    expect(rnd!.some((v) => v !== 0n)).toBe(true);
  });

  it('holds integers up to 2^125 exactly (capacity 126)', async () => {
    const r = await on(n, async (c) => {
      const x = await input(c, 0, [1n, -1n, 3n]);
      return reveal(c, c.s.mulScalar(x, 1n << 125n));
    });
    expect(r).toEqual([1n << 125n, -(1n << 125n), 3n * (1n << 125n) - ((1n << 127n) - 1n)]);
  });

  it('multiplies and takes inner products in one round each', async () => {
    // 58-bit factors: products and their sums over 196 terms stay below 2^125.
    const a = [...edges(58), ...randomInts(191, 58, 30 + n)].slice(0, 196);
    const b = [...randomInts(187, 58, 40 + n), ...edges(58)].slice(0, 196);
    const r = await on(n, async (c) => {
      const [x, y] = [await input(c, 0, a), await input(c, 1, b)];
      const r0 = c.s.party.stats.snapshot().rounds;
      const [p, d1, d7, d196] = await Promise.all([
        c.s.mul(x, y),
        c.s.dot(x, y, 1),
        c.s.dot(x, y, 7),
        c.s.dot(x, y, 196),
      ]);
      const rounds = c.s.party.stats.snapshot().rounds - r0;
      const empty = await c.s.mul(c.s.constant(big([])), c.s.constant(big([])));
      const one = await c.s.mul(c.s.constant(big([-3n])), c.s.constant(big([5n])));
      const chain = await c.s.mul(await c.s.mul(x, y), x);
      return {
        rounds,
        values: await Promise.all([p, d1, d7, d196, empty, one, chain].map((v) => reveal(c, v))),
      };
    });
    expect(r.rounds).toBe(1);
    const prod = a.map((x, i) => x * b[i]!);
    const groups = (m: number) =>
      Array.from({ length: 196 / m }, (_, j) =>
        prod.slice(j * m, j * m + m).reduce((u, v) => u + v, 0n),
      );
    const P = (1n << 127n) - 1n;
    const centered = (v: bigint) => {
      const m = ((v % P) + P) % P;
      return m > P >> 1n ? m - P : m;
    };
    expect(r.values[0]).toEqual(prod);
    expect(r.values[1]).toEqual(prod);
    expect(r.values[2]).toEqual(groups(7));
    expect(r.values[3]).toEqual(groups(196));
    expect(r.values[4]).toEqual([]);
    expect(r.values[5]).toEqual([-15n]);
    // x*y*x reaches 2^174: the field wraps, as documented (capacity 126).
    expect(r.values[6]).toEqual(prod.map((v, i) => centered(v * a[i]!)));
  });

  it('opens only to the named parties', async () => {
    const r = await on(n, async (c) => {
      const x = await input(c, 0, [7n, -7n]);
      const toLast = await c.s.open(x, [n - 1]);
      const toNone = await c.s.open(x, []);
      const toTwo = await c.s.open(x, [0, n - 1, n - 1]);
      let refused = '';
      try {
        await c.s.open(x, [n]);
      } catch (e) {
        refused = (e as Error).message;
      }
      const expected = (recipient: boolean) => (recipient ? '7,-7' : 'undefined');
      return {
        toLast: String(toLast) === expected(c.me === n - 1),
        toNone: toNone === undefined,
        toTwo: String(toTwo) === expected(c.me === 0 || c.me === n - 1),
        refused,
      };
    });
    expect(r).toEqual({
      toLast: true,
      toNone: true,
      toTwo: true,
      refused: `shamir.open: no party ${n} (have ${n})`,
    });
  });

  it('draws random bits: 0 or 1, balanced, consistent degree-t sharings', async () => {
    const r = await on(n, async (c) => {
      const b = await c.s.randomBits(4000);
      const degree = degreeAtMost(await everyShare(c, b.v), t);
      const v = await reveal(c, b);
      const none = await c.s.randomBits(0);
      return {
        degree,
        ones: v.filter((x) => x === 1n).length,
        bad: v.filter((x) => x > 1n || x < 0n).length,
        none: none.length,
      };
    });
    expect(r.degree).toBe(true);
    expect(r.bad).toBe(0);
    expect(Math.abs(r.ones - 2000)).toBeLessThan(200); // 6.3 sigma
    expect(r.none).toBe(0);
  });

  it.each([8, 32, 64])('trunc(x, m, %i) is floor(x / 2^m) or one more', async (b) => {
    const xs = [...edges(b), ...randomInts(150, b, b + n)];
    const shifts = [1, b >> 1, b - 1];
    const r = await on(n, async (c) => {
      const x = await input(c, n - 1, xs);
      const outs = await Promise.all(shifts.map((m) => c.s.trunc(x, m, b)));
      return Promise.all(outs.map((o) => reveal(c, o)));
    });
    shifts.forEach((m, k) => {
      r[k]!.forEach((y, i) => {
        const d = y - floorDiv(xs[i]!, m);
        expect(d === 0n || d === 1n, `x = ${xs[i]}, m = ${m}: got ${y}`).toBe(true);
      });
    });
  });

  it.each([8, 32, 64])('ltz and eqz at bound %i', async (b) => {
    const xs = [...edges(b), ...randomInts(150, b, 3 * b + n), ...randomInts(40, 4, b)];
    const r = await on(n, async (c) => {
      const x = await input(c, 0, xs);
      const [l, e] = await Promise.all([c.s.ltz(x, b), c.s.eqz(x, b)]);
      return [await reveal(c, l), await reveal(c, e)];
    });
    expect(r[0]).toEqual(xs.map((x) => (x < 0n ? 1n : 0n)));
    expect(r[1]).toEqual(xs.map((x) => (x === 0n ? 1n : 0n)));
  });

  it.each([8, 32, 64])(
    'bits at %i: two-s complement, bit j of element i at i*bits + j',
    async (k) => {
      const xs = [...edges(k), ...randomInts(100, k, 5 * k + n)];
      const r = await on(n, async (c) => reveal(c, await c.s.bits(await input(c, 1, xs), k)));
      const want = xs.flatMap((x) => {
        const u = BigInt.asUintN(k, x);
        return Array.from({ length: k }, (_, j) => (u >> BigInt(j)) & 1n);
      });
      expect(r).toEqual(want);
    },
  );

  it('handles empty and length-1 vectors in every nonlinear operation', async () => {
    const r = await on(n, async (c) => {
      const e = c.s.constant(big([]));
      const one = c.s.constant(big([-1n]));
      const outs = await Promise.all([
        c.s.trunc(e, 3, 16),
        c.s.ltz(e, 16),
        c.s.eqz(e, 16),
        c.s.bits(e, 16),
        c.s.trunc(one, 3, 16),
        c.s.ltz(one, 16),
        c.s.eqz(one, 16),
        c.s.bits(one, 4),
        c.s.ltz(one, 1),
        c.s.eqz(one, 1),
        c.s.trunc(one, 0, 16),
      ]);
      return Promise.all(outs.map((o) => reveal(c, o)));
    });
    expect(r.slice(0, 4)).toEqual([[], [], [], []]);
    expect([-1n, 0n]).toContain(r[4]![0]);
    expect(r.slice(5)).toEqual([[1n], [0n], [1n, 1n, 1n, 1n], [1n], [0n], [-1n]]);
  });
});

/**
 * The suite's own sharings (inputs through pairwise keys, degree-reduced
 * products, random bits, comparison results) at every position, the last
 * included, must be uniform: chi-square over the top 4 of 127 bits of 16,000
 * shares of a fixed value. The parties' randomness comes from the CSPRNG (no
 * seed), so the 66 statistics use the critical value 60 (p = 2.5e-7 each, a
 * false alarm about once in 60,000 runs); a defect such as a position that is
 * fixed, or a top bit that is never set, scores in the thousands.
 */
const CHI2_15_STRICT = 60;
describe.each([3, 5])('shamir(n=%i) shares are uniform at every position', (n) => {
  it('for inputs from each party, products, random bits and comparisons', async () => {
    const count = 16_000;
    const stats = await on(n, async (c) => {
      const out: number[] = [];
      const chi = async (v: F.FieldVec) => {
        for (const sh of await everyShare(c, v)) {
          const counts = new Array<number>(16).fill(0);
          for (const x of F.toBigInts(sh)) counts[Number(x >> 123n)]!++;
          out.push(chiSquare(counts));
        }
      };
      const fixed = new Array<bigint>(count).fill(42n);
      for (let owner = 0; owner < n; owner++) await chi((await input(c, owner, fixed)).v);
      const x = await input(c, 0, fixed);
      await chi((await c.s.mul(x, c.s.constant(big(new Array<bigint>(count).fill(3n))))).v);
      await chi((await c.s.mul(x, x)).v);
      await chi((await c.s.randomBits(count)).v);
      await chi((await c.s.ltz(x, 33)).v); // n = 3: the boolean path (./compare3.ts)
      return out;
    });
    expect(stats).toHaveLength(n * (n + 4));
    for (const s of stats) expect(s).toBeLessThan(CHI2_15_STRICT);
  });
});

describe.each([4, 15])('shamir(n=%i): even n, and the largest n with input-based masks', (n) => {
  const t = Math.floor((n - 1) / 2);
  it('multiplies, opens, truncates, compares and decomposes', async () => {
    const xs = [...edges(32), ...randomInts(11, 32, n)];
    const ys = [...randomInts(11, 32, n + 1), ...edges(32)];
    const r = await on(n, async (c) => {
      const [x, y] = [await input(c, 0, xs), await input(c, n - 1, ys)];
      const [p, d, tr, l, e, b] = await Promise.all([
        c.s.mul(x, y),
        c.s.dot(x, y, xs.length),
        c.s.trunc(x, 7, 32),
        c.s.ltz(x, 32),
        c.s.eqz(x, 32),
        c.s.bits(y, 32),
      ]);
      const degree = degreeAtMost(await everyShare(c, p.v), t);
      return {
        degree,
        masks: c.s.maskByInputs,
        values: await Promise.all([p, d, tr, l, e, b].map((v) => reveal(c, v))),
      };
    });
    expect(r.degree).toBe(true);
    expect(r.masks).toBe(n === 15);
    const [p, d, tr, l, e, b] = r.values;
    expect(p).toEqual(xs.map((x, i) => x * ys[i]!));
    expect(d).toEqual([xs.reduce((u, x, i) => u + x * ys[i]!, 0n)]);
    tr!.forEach((v, i) => expect([0n, 1n]).toContain(v - floorDiv(xs[i]!, 7)));
    expect(l).toEqual(xs.map((x) => (x < 0n ? 1n : 0n)));
    expect(e).toEqual(xs.map((x) => (x === 0n ? 1n : 0n)));
    expect(b).toEqual(
      ys.flatMap((y) =>
        Array.from({ length: 32 }, (_, j) => (BigInt.asUintN(32, y) >> BigInt(j)) & 1n),
      ),
    );
  });
});

describe('shamir(n=3) at the limits', () => {
  const n = 3;

  it('compares and truncates at the full 85-bit comparison capacity', async () => {
    const b = 85;
    const xs = [...edges(b), ...randomInts(30, b, 99)];
    // Inputs are 64-bit: build 85-bit values as hi * 2^42 + lo.
    const hi = xs.map((x) => x >> 42n);
    const lo = xs.map((x) => x & ((1n << 42n) - 1n));
    const r = await on(n, async (c) => {
      const x = c.s.add(c.s.mulScalar(await input(c, 0, hi), 1n << 42n), await input(c, 1, lo));
      const [l, e, tr] = await Promise.all([c.s.ltz(x, b), c.s.eqz(x, b), c.s.trunc(x, 60, b)]);
      return [await reveal(c, l), await reveal(c, e), await reveal(c, tr)];
    });
    expect(r[0]).toEqual(xs.map((x) => (x < 0n ? 1n : 0n)));
    expect(r[1]).toEqual(xs.map((x) => (x === 0n ? 1n : 0n)));
    r[2]!.forEach((y, i) => expect([0n, 1n]).toContain(y - floorDiv(xs[i]!, 60)));
  });

  it('is exact on every value of bounds 1 to 5 (odd and even bit counts, single bits)', async () => {
    const bounds = [1, 2, 3, 4, 5];
    const all = (b: number) =>
      Array.from({ length: 2 ** b }, (_, i) => BigInt(i) - (1n << BigInt(b - 1)));
    const r = await on(n, async (c) =>
      Promise.all(
        bounds.map(async (b) => {
          const x = c.s.constant(big(all(b)));
          const outs = await Promise.all([
            c.s.ltz(x, b),
            c.s.eqz(x, b),
            c.s.bits(x, b),
            ...Array.from({ length: b - 1 }, (_, m) => c.s.trunc(x, m + 1, b)),
          ]);
          return Promise.all(outs.map((o) => reveal(c, o)));
        }),
      ),
    );
    bounds.forEach((b, k) => {
      const xs = all(b);
      const [l, e, bits, ...tr] = r[k]!;
      expect(l).toEqual(xs.map((x) => (x < 0n ? 1n : 0n)));
      expect(e).toEqual(xs.map((x) => (x === 0n ? 1n : 0n)));
      expect(bits).toEqual(
        xs.flatMap((x) =>
          Array.from({ length: b }, (_, j) => (BigInt.asUintN(b, x) >> BigInt(j)) & 1n),
        ),
      );
      tr.forEach((v, m) =>
        v.forEach((y, i) => expect([0n, 1n]).toContain(y - floorDiv(xs[i]!, m + 1))),
      );
    });
  });

  it('processes long vectors in consecutive chunks with the same results', async () => {
    const xs = [...edges(32), ...randomInts(31, 32, 5)];
    const r = await on(n, async (c) => {
      c.s.chunkBitElements = 100; // 3 elements per chunk at 32 bits
      const x = await input(c, 0, xs);
      const r0 = c.s.party.stats.snapshot().rounds;
      const l = await c.s.ltz(x, 32);
      const rounds = c.s.party.stats.snapshot().rounds - r0;
      const outs = [l, await c.s.eqz(x, 32), await c.s.bits(x, 32), await c.s.trunc(x, 5, 32)];
      return { rounds, values: await Promise.all(outs.map((o) => reveal(c, o))) };
    });
    expect(r.rounds).toBeGreaterThan(14 * 5); // 14 chunks, one after the other
    const [l, e, b, tr] = r.values;
    expect(l).toEqual(xs.map((x) => (x < 0n ? 1n : 0n)));
    expect(e).toEqual(xs.map((x) => (x === 0n ? 1n : 0n)));
    expect(b).toEqual(
      xs.flatMap((x) =>
        Array.from({ length: 32 }, (_, j) => (BigInt.asUintN(32, x) >> BigInt(j)) & 1n),
      ),
    );
    tr!.forEach((y, i) => expect([0n, 1n]).toContain(y - floorDiv(xs[i]!, 5)));
  });

  it('refuses bounds beyond its statistical security, and bad arguments', async () => {
    const r = await on(n, async (c) => {
      const x = c.s.constant(big([1n]));
      const errs: string[] = [];
      const attempt = async (f: () => Promise<unknown>) => {
        try {
          await f();
          errs.push('none');
        } catch (e) {
          errs.push(`${(e as Error).name}: ${(e as Error).message}`);
        }
      };
      await attempt(() => c.s.ltz(x, 86));
      await attempt(() => c.s.eqz(x, 0));
      await attempt(() => c.s.bits(x, 90));
      await attempt(() => c.s.trunc(x, 85, 85));
      await attempt(() => c.s.trunc(x, -1, 8));
      await attempt(() => c.s.mul(x, c.s.constant(big([1n, 2n]))));
      await attempt(() => c.s.dot(x, x, 2));
      await attempt(async () => c.s.mulPublic(x, big([1n, 2n, 3n])));
      await attempt(() => c.s.randomBits(-1));
      return errs;
    });
    expect(r).toEqual([
      "RangeError: shamir.ltz: values of up to 86 bits exceed this suite's 85-bit limit",
      "RangeError: shamir.eqz: values of up to 0 bits exceed this suite's 85-bit limit",
      "RangeError: shamir.bits: values of up to 90 bits exceed this suite's 85-bit limit",
      'RangeError: shamir.trunc: a shift of 85 bits needs 86-bit values, beyond the 85-bit limit',
      'RangeError: shamir.trunc: shift -1 is not a non-negative integer',
      'RangeError: shamir.mul: lengths differ (1 and 2)',
      'RangeError: shamir.dot: length 1 is not a multiple of 2',
      'RangeError: shamir.mulPublic: expected 1 constants (or 1), got 3',
      'RangeError: shamir.randomBits: expected a non-negative count, got -1',
    ]);
  });

  it('rounds truncation up with probability (x mod 2^m) / 2^m', async () => {
    const copies = 4000;
    const r = await on(n, async (c) => {
      const x = c.s.constant(big(new Array<bigint>(copies).fill(3n)));
      return reveal(c, await c.s.trunc(x, 2, 8)); // 3/4 = 0.75
    });
    const up = r.filter((y) => y === 1n).length;
    expect(r.every((y) => y === 0n || y === 1n)).toBe(true);
    expect(Math.abs(up - 0.75 * copies)).toBeLessThan(6 * Math.sqrt(copies * 0.75 * 0.25));
  });

  // n = 3 compares on a replicated boolean sharing (./compare3.ts): limbs of 32 bits per element.
  it.each([2, 3, 32, 33, 34, 64, 65, 66, 85])(
    'ltz and eqz on the boolean path at bound %i: exact, as the field protocols, degree-1 sharings',
    async (b) => {
      const lo0 = -(1n << BigInt(b - 1));
      const powers = Array.from({ length: b - 1 }, (_, k) => [1n << BigInt(k), -(1n << BigInt(k))]);
      const xs = [
        ...edges(b),
        ...randomInts(60, b, 7 * b),
        ...powers.flat(),
        lo0,
        ...new Array<bigint>(8).fill(0n),
      ];
      const hi = xs.map((x) => x >> 42n);
      const lo = xs.map((x) => x & ((1n << 42n) - 1n));
      const r = await on(n, async (c) => {
        const x = c.s.add(c.s.mulScalar(await input(c, 0, hi), 1n << 42n), await input(c, 2, lo));
        const [l, e, lField, eField] = await Promise.all([
          c.s.ltz(x, b),
          c.s.eqz(x, b),
          shamirLtz(c.s, x.v, b),
          shamirEqz(c.s, x.v, b),
        ]);
        const degree =
          degreeAtMost(await everyShare(c, l.v), 1) && degreeAtMost(await everyShare(c, e.v), 1);
        const open = async (v: F.FieldVec) => F.toCentered((await c.s.openField(v, all(n)))!);
        return {
          degree,
          l: await reveal(c, l),
          e: await reveal(c, e),
          lField: await open(lField),
          eField: await open(eField),
        };
      });
      const lt = xs.map((x) => (x < 0n ? 1n : 0n));
      const eq = xs.map((x) => (x === 0n ? 1n : 0n));
      expect(r).toEqual({ degree: true, l: lt, e: eq, lField: lt, eField: eq });
    },
  );

  it('compares 32-bit values in 8 rounds (equality: 9) and under 250 bytes per element', async () => {
    const count = 500;
    const r = await on(n, async (c) => {
      const x = await input(c, 1, randomInts(count, 33, 3));
      const cost = async (f: () => Promise<unknown>) => {
        const before = c.s.party.stats.snapshot();
        await f();
        const after = c.s.party.stats.snapshot();
        const bytes = (after.bytesSent - before.bytesSent) / count;
        return { rounds: after.rounds - before.rounds, small: bytes < 250 };
      };
      return [await cost(() => c.s.ltz(x, 33)), await cost(() => c.s.eqz(x, 33))];
    });
    expect(r).toEqual([
      { rounds: 8, small: true },
      { rounds: 9, small: true },
    ]);
  });

  it('aborts on a boolean payload of the wrong size, naming the peer', async () => {
    const r = await on(n, async (c) => {
      try {
        wordsFrom(c.s, new Uint8Array(6), 2, 1, 'shamir.ltz');
        return 'accepted';
      } catch (e) {
        return e instanceof ProtocolAbort ? `${e.reason} ${e.peer} ${e.message}` : 'other';
      }
    });
    expect(r).toBe(
      'malformed 1 protocol aborted: malformed (peer p2): shamir.ltz: sent 6 bytes, expected 8',
    );
  });

  it('aborts on a payload of the wrong size, naming the peer', async () => {
    const r = await on(n, async (c) => {
      try {
        c.s.fieldFrom(new Uint8Array(8), 1, 2, 'shamir.mul');
        return 'accepted';
      } catch (e) {
        return e instanceof ProtocolAbort ? `${e.reason} ${e.peer} ${e.message}` : 'other';
      }
    });
    expect(r).toBe(
      'malformed 2 protocol aborted: malformed (peer p3): shamir.mul: sent 8 bytes, expected 16',
    );
  });
});
