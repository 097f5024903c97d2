import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { runLocal } from '../api/run.js';
import type { SecretBool, SecretFixed, SecretInt } from '../api/secret.js';
import { bool, fixed, int } from '../api/types.js';
import { JoinKeyError, fingerprint, joinKeys } from './keys.js';
import { privateJoin, type JoinData, type JoinSide } from './join.js';

/** A small seeded generator (test data only; no secrets). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
}

interface Tables {
  left: { keys: (string | number)[]; x: number[]; f: number[] };
  right: { keys: (string | number)[]; y: boolean[]; v: number[] };
}

/** Distinct keys per table drawn from a shared range, so that some match. */
function tables(nL: number, nR: number, range: number, seed: number, strings = false): Tables {
  const r = lcg(seed);
  const draw = (n: number) => {
    const s = new Set<number>();
    while (s.size < n) s.add(r() % range);
    return [...s].map((k) => (strings ? `id-${k}` : k));
  };
  const lk = draw(nL);
  const rk = draw(nR);
  return {
    left: {
      keys: lk,
      x: lk.map(() => (r() % 2001) - 1000),
      // Multiples of 2^-6: exact in fixed point with 16 fractional bits.
      f: lk.map(() => ((r() % 20001) - 10000) / 64),
    },
    right: { keys: rk, y: rk.map(() => r() % 2 === 1), v: rk.map(() => (r() % 65536) - 32768) },
  };
}

type Row = [number, number, boolean, number]; // x, f, y, v

/** The plaintext join: one row per left row (inner: matched rows only). */
function plainJoin(t: Tables, how: 'inner' | 'left'): Row[] {
  const byKey = new Map(t.right.keys.map((k, i) => [k, i]));
  const out: Row[] = [];
  t.left.keys.forEach((k, i) => {
    const j = byKey.get(k);
    if (j === undefined && how === 'inner') return;
    out.push([
      t.left.x[i]!,
      t.left.f[i]!,
      j === undefined ? false : t.right.y[j]!,
      j === undefined ? 0 : t.right.v[j]!,
    ]);
  });
  return out.sort(compareRows);
}

function compareRows(a: Row, b: Row): number {
  for (let i = 0; i < 4; i++) {
    const d = Number(a[i]) - Number(b[i]);
    if (d !== 0) return d;
  }
  return 0;
}

const LEFT = (rows: number): JoinSide => ({
  party: 'p1',
  rows,
  columns: [
    { name: 'x', type: int(16) },
    { name: 'f', type: fixed({ bits: 32, frac: 16 }) },
  ],
});
const RIGHT = (rows: number): JoinSide => ({
  party: 'p2',
  rows,
  columns: [
    { name: 'y', type: bool },
    { name: 'v', type: int(17) },
  ],
});

/** Runs the join (rep3 unless told) with all three parties, opens every column, and keeps the weighted rows. */
async function secureJoin(
  t: Tables,
  how: 'inner' | 'left',
  shuffle = true,
  suite: 'rep3' | 'shamir' = 'rep3',
): Promise<{ rows: Row[]; matches: number; total: number }> {
  const out = await runLocal(
    async (s) => {
      const mine: { left?: JoinData; right?: JoinData } = {};
      if (s.me === 'p1') mine.left = { keys: t.left.keys, columns: { x: t.left.x, f: t.left.f } };
      if (s.me === 'p2')
        mine.right = { keys: t.right.keys, columns: { y: t.right.y, v: t.right.v } };
      const j = privateJoin(s, LEFT(t.left.keys.length), RIGHT(t.right.keys.length), mine, {
        how,
        shuffle,
      });
      const [w, m, x, f, y, v] = await Promise.all([
        j.weight.reveal(),
        j.match.reveal(),
        (j.columns.get('x') as SecretInt).reveal(),
        (j.columns.get('f') as SecretFixed).reveal(),
        (j.columns.get('y') as SecretBool).reveal(),
        (j.columns.get('v') as SecretInt).reveal(),
      ]);
      const rows: Row[] = [];
      w.forEach((keep, i) => {
        if (keep) rows.push([Number(x[i]), f[i]!, y[i]!, Number(v[i])]);
      });
      return { rows: rows.sort(compareRows), matches: m.filter(Boolean).length, total: j.rows };
    },
    { suite, parties: 3, crypto: nodeCryptoProvider },
  );
  for (const o of out.slice(1)) expect(o.result).toEqual(out[0]!.result);
  return out[0]!.result;
}

function plainMatches(t: Tables): number {
  const r = new Set(t.right.keys);
  return t.left.keys.filter((k) => r.has(k)).length;
}

describe('private join (sort-compare-shuffle under rep3)', () => {
  it('inner and left joins equal the plaintext join on random tables', async () => {
    for (const [nL, nR, range, seed, strings] of [
      [40, 30, 60, 1, false],
      [25, 33, 50, 2, true],
      [17, 1, 20, 3, false],
    ] as const) {
      const t = tables(nL, nR, range, seed, strings);
      for (const how of ['inner', 'left'] as const) {
        const got = await secureJoin(t, how);
        expect(got.rows).toEqual(plainJoin(t, how));
        expect(got.matches).toBe(plainMatches(t));
        expect(got.total).toBe(nL + nR);
      }
    }
  }, 60_000);

  it('under shamir, whose sortBy shuffles and sorts with revealed comparisons: equal to the plaintext join', async () => {
    const t = tables(30, 26, 40, 5, false);
    for (const how of ['inner', 'left'] as const) {
      const got = await secureJoin(t, how, true, 'shamir');
      expect(got.rows).toEqual(plainJoin(t, how));
      expect(got.matches).toBe(plainMatches(t));
    }
  }, 60_000);

  it('edges: empty tables, no matches, all matches, one row each, extreme values', async () => {
    const empty: Tables = { left: { keys: [], x: [], f: [] }, right: { keys: [], y: [], v: [] } };
    expect((await secureJoin(empty, 'inner')).rows).toEqual([]);
    const onlyLeft = { ...empty, left: { keys: [7], x: [-1], f: [0] } };
    expect((await secureJoin(onlyLeft, 'left')).rows).toEqual([[-1, 0, false, 0]]);
    expect((await secureJoin(onlyLeft, 'inner')).rows).toEqual([]);
    const onlyRight = { ...empty, right: { keys: [7], y: [true], v: [5] } };
    expect((await secureJoin(onlyRight, 'inner')).rows).toEqual([]);

    const disjoint = tables(12, 12, 1_000_000, 4);
    disjoint.right.keys = disjoint.right.keys.map((k) => Number(k) + 1_000_000);
    const d = await secureJoin(disjoint, 'inner');
    expect(d.rows).toEqual([]);
    expect(d.matches).toBe(0);

    // All match, with the types' extreme values and the largest integer key.
    const keys = [0, 1, 2 ** 53 - 1, 12345];
    const all: Tables = {
      left: { keys, x: [-32768, 32767, 0, -1], f: [-32767.5, 32767.5, 0, -1] },
      right: {
        keys: [...keys].reverse(),
        y: [true, false, true, false],
        v: [-65536, 65535, 0, -1],
      },
    };
    const a = await secureJoin(all, 'inner', false);
    expect(a.rows).toEqual(plainJoin(all, 'inner'));
    expect(a.matches).toBe(4);

    const one: Tables = {
      left: { keys: ['a'], x: [3], f: [0.25] },
      right: { keys: ['a'], y: [true], v: [9] },
    };
    expect((await secureJoin(one, 'inner')).rows).toEqual([[3, 0.25, true, 9]]);
  }, 60_000);

  it('a repeated key stops the join at its owner, naming the party and both rows', async () => {
    const t = tables(5, 5, 10, 5);
    t.left.keys[3] = t.left.keys[1]!;
    await expect(secureJoin(t, 'inner')).rejects.toThrow(
      /party 'p1' has the same key at rows 2 and 4/,
    );
    await expect(secureJoin(t, 'inner')).rejects.toBeInstanceOf(JoinKeyError);
  }, 20_000);
});

describe('join keys', () => {
  it('integers are exact, strings fingerprinted to 60 bits, bad integers refused', () => {
    expect([...joinKeys('a', [0, 5n, 2 ** 53 - 1])]).toEqual([0n, 5n, 2n ** 53n - 1n]);
    const f = fingerprint('customer-1');
    expect(f >= 0n && f < 2n ** 60n).toBe(true);
    expect(fingerprint('customer-1')).toBe(f);
    expect(fingerprint('customer-2')).not.toBe(f);
    expect(() => joinKeys('bank', [1, -1])).toThrow(/party 'bank', row 2: integer keys/);
    expect(() => joinKeys('bank', [2n ** 60n])).toThrow(/row 1/);
    expect(() => joinKeys('bank', [1.5])).toThrow(/row 1: key is not an integer/);
    expect(() => joinKeys('bank', ['x', 'y', 'x'])).toThrow(/rows 1 and 3/);
    // The key's value is not in the message.
    expect(() => joinKeys('bank', ['secret-id', 'secret-id'])).not.toThrow(/secret-id/);
  });

  it('bad declarations are refused at every party', async () => {
    await expect(
      runLocal(
        async (s) => {
          privateJoin(s, { ...LEFT(1), party: 'nobody' }, RIGHT(1), {});
          return 0;
        },
        { suite: 'rep3', parties: 3, crypto: nodeCryptoProvider },
      ),
    ).rejects.toThrow(/party 'nobody' is not in the session/);
    await expect(
      runLocal(
        async (s) => {
          privateJoin(s, LEFT(1), { ...RIGHT(1), columns: [{ name: 'x', type: int(8) }] }, {});
          return 0;
        },
        { suite: 'rep3', parties: 3, crypto: nodeCryptoProvider },
      ),
    ).rejects.toThrow(/column 'x' is named on both sides/);
  });
});
