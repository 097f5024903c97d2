/**
 * Every operation of the program API under every suite, checked against the
 * same computation in the clear (BigInt / Math), on random inputs and edges.
 */
import { describe, expect, it } from 'vitest';
import { bool, fixed, int, type Session } from '../src/index.js';
import { CONFIGS, label, OPERATION_EXTRAS, run, testRng } from './harness.js';

/** Every suite configuration of the harness, plus the two-party yao suite (whole API, through circuits). */
const ALL = [...CONFIGS, ...OPERATION_EXTRAS];

const I32 = int(32);
const MIN = -(2n ** 31n);
const MAX = 2n ** 31n - 1n;
const EDGES = [0n, -1n, 1n, MIN, MAX, 2n, -2n, MIN + 1n, MAX - 1n];

function randomInts(n: number, seed: number, lim = 2n ** 31n): bigint[] {
  const r = testRng(seed);
  return Array.from({ length: n }, () => BigInt(Math.floor(r() * Number(2n * lim))) - lim);
}

/** Random values plus every pairing of edges. */
function pairs(seed: number): { a: bigint[]; b: bigint[] } {
  const a = [...EDGES.flatMap((x) => EDGES.map(() => x)), ...randomInts(60, seed)];
  const b = [...EDGES.flatMap(() => EDGES), ...randomInts(60, seed + 1)];
  return { a, b };
}

/** Inputs a from p1 and b from the last party (or p1 when alone). */
function inputs(s: Session, a: bigint[], b: bigint[], t = I32) {
  const last = s.parties[s.parties.length - 1]!;
  return [
    s.input('p1', t, s.me === 'p1' ? a : a.length),
    s.input(last, t, s.me === last ? b : b.length),
  ] as const;
}

for (const c of ALL) {
  describe(label(c), () => {
    it('adds, subtracts, negates and multiplies (secret and public operands)', async () => {
      const { a, b } = pairs(11);
      const small = a.map((x) => x % 65536n);
      const smallB = b.map((x) => x % 65536n);
      const r = await run(c, async (s) => {
        const [x, y] = inputs(s, a, b, int(34));
        const [u, v] = inputs(s, small, smallB, int(32));
        return s.revealAll([
          x.add(y),
          x.sub(y),
          x.neg(),
          u.mul(v),
          u.mul(3),
          x.add(-5),
          u.mul(smallB.map(Number)),
        ]);
      });
      expect(r[0]).toEqual(a.map((x, i) => x + b[i]!));
      expect(r[1]).toEqual(a.map((x, i) => x - b[i]!));
      expect(r[2]).toEqual(a.map((x) => -x));
      expect(r[3]).toEqual(small.map((x, i) => x * smallB[i]!));
      expect(r[4]).toEqual(small.map((x) => x * 3n));
      expect(r[5]).toEqual(a.map((x) => x - 5n));
      expect(r[6]).toEqual(small.map((x, i) => x * smallB[i]!));
    });

    it('keeps integers exact past the declared width, and refuses results beyond 64 bits at the call', async () => {
      const r = await run(c, async (s) => {
        const [x, y] = inputs(s, [MAX, MIN], [1n, -1n]);
        const past = await x.add(y).reveal(); // 2^31 and -2^31 - 1: exact, no wrap
        const [u, v] = inputs(s, [2n ** 63n - 1n], [1n], int(64));
        let refused = '';
        try {
          u.add(v); // may need 65 bits
        } catch (e) {
          refused = `${(e as Error).name}: ${(e as Error).message}`;
        }
        return { past, refused, product: await x.mul(y).reveal() };
      });
      expect(r.past).toEqual([MAX + 1n, MIN - 1n]);
      expect(r.product).toEqual([MAX, -MIN]);
      expect(r.refused).toMatch(/^RangeError: int\(64\): this result may need 65 bits/);
    });

    it('computes dot products, sums and matrix products', async () => {
      const a = randomInts(24, 21, 1000n);
      const b = randomInts(24, 22, 1000n);
      const r = await run(c, async (s) => {
        const [x, y] = inputs(s, a, b, int(16));
        const A = x.reshape([4, 6]);
        const B = y.reshape([6, 4]);
        const empty = s.input('p1', int(16), s.me === 'p1' ? [] : 0);
        const one = x.slice(3, 4);
        return s.revealAll([
          x.dot(y),
          x.sum(),
          A.matmul(B),
          empty.sum(),
          empty.dot(empty),
          one.dot(one),
          one.sum(),
        ]);
      });
      expect(r[0]).toEqual([a.reduce((acc, v, i) => acc + v * b[i]!, 0n)]);
      expect(r[1]).toEqual([a.reduce((acc, v) => acc + v, 0n)]);
      const mm: bigint[] = [];
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 4; j++)
          mm.push([0, 1, 2, 3, 4, 5].reduce((acc, k) => acc + a[i * 6 + k]! * b[k * 4 + j]!, 0n));
      expect(r[2]).toEqual(mm);
      expect(r[3]).toEqual([0n]);
      expect(r[4]).toEqual([0n]);
      expect(r[5]).toEqual([a[3]! * a[3]!]);
      expect(r[6]).toEqual([a[3]!]);
    });

    it('compares: <, <=, >, >=, ==, != on random values and edges', async () => {
      const { a, b } = pairs(31);
      const r = await run(c, async (s) => {
        const [x, y] = inputs(s, a, b);
        return s.revealAll([
          x.lt(y),
          x.le(y),
          x.gt(y),
          x.ge(y),
          x.eq(y),
          x.ne(y),
          x.lt(0),
          x.eq(a[5]!),
        ]);
      });
      expect(r[0]).toEqual(a.map((x, i) => x < b[i]!));
      expect(r[1]).toEqual(a.map((x, i) => x <= b[i]!));
      expect(r[2]).toEqual(a.map((x, i) => x > b[i]!));
      expect(r[3]).toEqual(a.map((x, i) => x >= b[i]!));
      expect(r[4]).toEqual(a.map((x, i) => x === b[i]!));
      expect(r[5]).toEqual(a.map((x, i) => x !== b[i]!));
      expect(r[6]).toEqual(a.map((x) => x < 0n));
      expect(r[7]).toEqual(a.map((x) => x === a[5]!));
    });

    it('compares 64-bit integers where the suite allows, and refuses wider ones at the call', async () => {
      const big = [2n ** 62n, -(2n ** 62n), 0n, -1n, 2n ** 63n - 1n, -(2n ** 63n)];
      const r = await run(c, async (s) => {
        const [x, y] = inputs(s, big, [...big].reverse(), int(64));
        try {
          return { ok: await x.lt(y).reveal() };
        } catch (e) {
          return { error: (e as Error).message };
        }
      });
      if ('ok' in r) expect(r.ok).toEqual(big.map((x, i) => x < [...big].reverse()[i]!));
      else expect(r.error).toMatch(/too wide/);
    });

    it('selects, takes abs and sign, min and max', async () => {
      const { a, b } = pairs(41);
      const r = await run(c, async (s) => {
        const [x, y] = inputs(s, a, b, int(33)); // abs(-2^31) needs 33 bits
        const cond = x.lt(y);
        return s.revealAll([cond.select(x, y), x.abs(), x.sign(), x.minimum(y), x.maximum(y)]);
      });
      expect(r[0]).toEqual(a.map((x, i) => (x < b[i]! ? x : b[i]!)));
      expect(r[1]).toEqual(a.map((x) => (x < 0n ? -x : x)));
      expect(r[2]).toEqual(a.map((x) => (x > 0n ? 1n : x < 0n ? -1n : 0n)));
      expect(r[3]).toEqual(a.map((x, i) => (x < b[i]! ? x : b[i]!)));
      expect(r[4]).toEqual(a.map((x, i) => (x > b[i]! ? x : b[i]!)));
    });

    it('reduces: min, max, argmin, argmax (first occurrence), length 1, and empty is refused', async () => {
      const vals = [...randomInts(37, 51), MIN, MAX, MIN, MAX];
      const r = await run(c, async (s) => {
        const x = s.input('p1', I32, s.me === 'p1' ? vals : vals.length);
        const one = x.slice(5, 6);
        const empty = x.slice(0, 0);
        let emptyError = '';
        try {
          empty.min();
        } catch (e) {
          emptyError = (e as Error).message;
        }
        const out = await s.revealAll([
          x.min(),
          x.max(),
          x.argmin(),
          x.argmax(),
          one.min(),
          one.argmax(),
        ]);
        return { out, emptyError };
      });
      const min = vals.reduce((m, v) => (v < m ? v : m));
      const max = vals.reduce((m, v) => (v > m ? v : m));
      expect(r.out).toEqual([
        [min],
        [max],
        [BigInt(vals.indexOf(min))],
        [BigInt(vals.indexOf(max))],
        [vals[5]],
        [0n],
      ]);
      expect(r.emptyError).toBe('min: empty vector');
    });

    it('decomposes into bits and truncates', async () => {
      const vals = [...EDGES, ...randomInts(40, 61)];
      const r = await run(c, async (s) => {
        const x = s.input('p1', I32, s.me === 'p1' ? vals : vals.length);
        return s.revealAll([x.bits(), x.trunc(8), x.trunc(1), x.trunc(30)]);
      });
      const bits = r[0] as boolean[];
      vals.forEach((v, i) => {
        const u = BigInt.asUintN(32, v);
        for (let j = 0; j < 32; j++)
          expect(bits[i * 32 + j], `bit ${j} of element ${i}`).toBe(((u >> BigInt(j)) & 1n) === 1n);
      });
      for (const [k, m] of [
        [1, 8n],
        [2, 1n],
        [3, 30n],
      ] as const) {
        (r[k] as bigint[]).forEach((t, i) => {
          const floor = vals[i]! >> m;
          expect(t === floor || t === floor + 1n, `trunc ${vals[i]} by ${m}: got ${t}`).toBe(true);
        });
      }
    });

    it('combines booleans: and, or, xor, not, count', async () => {
      const p = [true, true, false, false, true];
      const q = [true, false, true, false, false];
      const r = await run(c, async (s) => {
        const last = s.parties[s.parties.length - 1]!;
        const x = s.input('p1', bool, s.me === 'p1' ? p : p.length);
        const y = s.input(last, bool, s.me === last ? q : q.length);
        return s.revealAll([x.and(y), x.or(y), x.xor(y), x.not(), x.count(), x.and(true)]);
      });
      expect(r).toEqual([
        p.map((v, i) => v && q[i]!),
        p.map((v, i) => v || q[i]!),
        p.map((v, i) => v !== q[i]!),
        p.map((v) => !v),
        [3n],
        p,
      ]);
    });

    it('multiplies fixed-point numbers within one unit in the last place', async () => {
      const F = fixed();
      const rng = testRng(71);
      const a = [
        0,
        -1,
        1,
        0.5,
        -0.5,
        2 ** -16,
        -(2 ** -16),
        181,
        -181,
        ...Array.from({ length: 40 }, () => (rng() - 0.5) * 300),
      ];
      const b = [
        0,
        -1,
        1,
        -0.5,
        0.5,
        2 ** -16,
        2 ** -16,
        181,
        181,
        ...Array.from({ length: 40 }, () => (rng() - 0.5) * 300),
      ];
      const r = await run(c, async (s) => {
        const [x, y] = [
          s.input('p1', F, s.me === 'p1' ? a : a.length),
          s.input('p1', F, s.me === 'p1' ? b : b.length),
        ];
        return s.revealAll([
          x.mul(y),
          x.add(y),
          x.lt(y),
          x.mul(0.25),
          x.slice(0, 7).dot(y.slice(0, 7)),
          x.mul(0.01).dot(y.mul(0.01)),
        ]);
      });
      const enc = (v: number) => Math.round(v * 65536) / 65536;
      const ulp = 2 ** -16;
      (r[0] as number[]).forEach((v, i) =>
        expect(Math.abs(v - enc(a[i]!) * enc(b[i]!))).toBeLessThanOrEqual(ulp),
      );
      (r[1] as number[]).forEach((v, i) => expect(v).toBe(enc(a[i]!) + enc(b[i]!)));
      expect(r[2]).toEqual(a.map((v, i) => enc(v) < enc(b[i]!)));
      (r[3] as number[]).forEach((v, i) =>
        expect(Math.abs(v - enc(a[i]!) / 4)).toBeLessThanOrEqual(ulp),
      );
      const dot = a.slice(0, 7).reduce((acc, v, i) => acc + enc(v) * enc(b[i]!), 0);
      expect(Math.abs((r[4] as number[])[0]! - dot)).toBeLessThanOrEqual(ulp);
      // 49 products of values scaled by 0.01 (each within 1 ulp), summed: within a few ulp per term.
      const dot2 = a.reduce((acc, v, i) => acc + enc(v) * 0.01 * enc(b[i]!) * 0.01, 0);
      expect(Math.abs((r[5] as number[])[0]! - dot2)).toBeLessThan(0.01);
    });

    it('keeps fixed-point products exact past the declared range, and refuses too-wide products at the call', async () => {
      const r = await run(c, async (s) => {
        const x = s.input('p1', fixed(), s.me === 'p1' ? [200] : 1);
        const square = await x.mul(x).reveal(); // 40,000 is beyond fixed(32) inputs but exact
        let refused = '';
        try {
          x.mul(x).mul(x).mul(x); // products of 48- and 63-bit values
        } catch (e) {
          refused = (e as Error).name;
        }
        return { square, refused };
      });
      expect(r.square).toEqual([40000]);
      expect(r.refused).toBe('RangeError');
    });
  });
}

describe('sorting, shuffling and fixed-point functions through the API', () => {
  for (const c of ALL) {
    it(`${label(c)}: sort, sortBy with payloads, shuffle`, async () => {
      const keys = [5n, -3n, 5n, 0n, MAX, MIN, 7n, -1n, 2n];
      const ids = keys.map((_, i) => BigInt(i));
      const r = await run(c, async (s) => {
        const k = s.input('p1', I32, s.me === 'p1' ? keys : keys.length);
        const id = s.input('p1', int(8), s.me === 'p1' ? ids : ids.length);
        const sorted = k.sort();
        const desc = k.sort(true);
        const by = s.sortBy(k, [id]);
        const [sk, sid] = s.shuffle([k, id]);
        const one = k.slice(2, 3).sort();
        return {
          sorted: await sorted.reveal(),
          desc: await desc.reveal(),
          byKeys: await by.keys.reveal(),
          byIds: await by.payloads[0]!.reveal(),
          shuffled: (await s.revealAll([sk!, sid!])) as bigint[][],
          one: await one.reveal(),
        };
      });
      const asc = [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect(r.sorted).toEqual(asc);
      expect(r.desc).toEqual([...asc].reverse());
      expect(r.byKeys).toEqual(asc);
      // Payloads follow their keys (ties may come out in either order).
      r.byIds.forEach((id, i) => expect(keys[Number(id)]).toBe(asc[i]));
      expect(new Set(r.byIds).size).toBe(keys.length);
      // A shuffle keeps rows together and loses none.
      const [sk, sid] = r.shuffled as [bigint[], bigint[]];
      sid.forEach((id, i) => expect(sk[i]).toBe(keys[Number(id)]));
      expect([...sid].sort((a, b) => Number(a - b))).toEqual(ids);
      expect(r.one).toEqual([keys[2]]);
    });

    it(`${label(c)}: div, reciprocal, sqrt, exp, log, sigmoid within their documented bounds`, async () => {
      const xs = [1, 2.5, 0.75, 10, 100, 0.0625];
      const ys = [3, -0.5, 4, 0.25, -7, 1.5];
      const r = await run(c, async (s) => {
        const F = fixed();
        const x = s.input('p1', F, s.me === 'p1' ? xs : xs.length);
        const y = s.input('p1', F, s.me === 'p1' ? ys : ys.length);
        return s.revealAll([
          x.div(y),
          y.reciprocal(),
          x.sqrt(),
          y.exp(),
          x.log(),
          y.sigmoid(),
          x.div(4),
        ]);
      });
      const [div, rec, sq, ex, lg, sg, div4] = r as number[][];
      xs.forEach((x, i) => {
        const y = ys[i]!;
        expect(Math.abs(div![i]! - x / y)).toBeLessThan(Math.abs(x / y) * 1e-3 + 1e-3);
        expect(Math.abs(rec![i]! - 1 / y)).toBeLessThan(Math.abs(1 / y) * 1e-3 + 1e-3);
        expect(Math.abs(sq![i]! - Math.sqrt(x))).toBeLessThan(1e-3 * Math.sqrt(x) + 1e-3);
        expect(Math.abs(ex![i]! - Math.exp(y))).toBeLessThan(1e-3 * Math.exp(y) + 1e-3);
        expect(Math.abs(lg![i]! - Math.log(x))).toBeLessThan(1e-3);
        expect(Math.abs(sg![i]! - 1 / (1 + Math.exp(-y)))).toBeLessThan(1e-3);
        expect(Math.abs(div4![i]! - x / 4)).toBeLessThanOrEqual(2 ** -16);
      });
    });
  }
});
