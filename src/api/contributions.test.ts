/**
 * Contributions from non-parties: sealed additive parts, summed and range-checked by
 * the nodes inside MPC. Every test runs all nodes for real (in memory) and compares
 * what they compute on the accepted contributions with the same computation in the
 * clear; forged, tampered, swapped, duplicated and malformed contributions are dropped
 * and counted, never aggregated.
 */
import { describe, expect, it } from 'vitest';
import { runLocal } from './run.js';
import {
  checkSchema,
  collectBundles,
  collectContributions,
  contribute,
  contributeBundle,
  contributionKeyPair,
  ContributionError,
  openPart,
  sealBundleWords,
  sealParts,
  type Bundle,
  type Contribution,
  type ContributionSchema,
} from './contributions.js';

const SCHEMA: ContributionSchema = {
  collection: 'wellbeing-2026',
  fields: [
    { name: 'age', min: 18, max: 99 },
    { name: 'balance', min: -1_000_000, max: 2 ** 40 },
    { name: 'score', min: 0, max: 27 },
  ],
};

const keys = await Promise.all([0, 1, 2].map(() => contributionKeyPair()));
const publicKeys = keys.map((k) => k.publicKey);

function randomIn(min: number, max: number): number {
  const r = new Uint32Array(2);
  globalThis.crypto.getRandomValues(r);
  return min + Math.floor(((r[0]! * 2 ** 21 + (r[1]! >>> 11)) / 2 ** 53) * (max - min + 1));
}

/** Parts of arbitrary 64-bit values, as a malicious client would seal them. */
async function forged(id: string, values: readonly bigint[]): Promise<Contribution> {
  const x = BigUint64Array.from(values, (v) => BigInt.asUintN(64, v));
  return sealParts(SCHEMA, publicKeys, id, x);
}

async function collect(
  list: readonly Contribution[] | ((party: string) => readonly Contribution[]),
  suite = 'rep3',
  schema = SCHEMA,
) {
  const parties = suite === 'semi2k' ? 2 : 3;
  return runLocal(
    async (s) => {
      const c = await collectContributions(
        s,
        schema,
        typeof list === 'function' ? list(s.me) : list,
        keys[s.indexOf(s.me)]!.privateKey,
      );
      const out: Record<string, bigint[]> = {};
      for (const f of schema.fields) {
        const v = c.values[f.name]!;
        const sum = v.length > 0 ? await v.sum().reveal() : [0n];
        out[`${f.name}.sum`] = sum.map(BigInt);
        out[f.name] = (await v.reveal()).map(BigInt);
      }
      return { c: { ...c, values: undefined }, out };
    },
    { suite, parties },
  );
}

describe('contributions', () => {
  // shamir: the parts' sum in F_p is reduced modulo 2^64 by comparisons, then checked alike.
  it.each(['rep3', 'shamir'])(
    'accepts honest contributions (edges included) and drops every kind of bad one, counted (%s)',
    async (suite) => {
      const honest: [string, number[]][] = [];
      for (let i = 0; i < 24; i++)
        honest.push([`h${i}`, [randomIn(18, 99), randomIn(-1_000_000, 2 ** 40), randomIn(0, 27)]]);
      honest.push(['min', [18, -1_000_000, 0]], ['max', [99, 2 ** 40, 27]], ['mixed', [18, 0, 27]]);
      const list: Contribution[] = [];
      for (const [id, v] of honest) list.push(await contribute(SCHEMA, publicKeys, id, v));
      // Forged values just outside a range, and far outside (any 64-bit value).
      list.splice(3, 0, await forged('over', [100n, 0n, 0n]));
      list.splice(7, 0, await forged('under', [18n, -1_000_001n, 0n]));
      list.push(await forged('huge', [18n, 2n ** 63n - 1n, 0n]));
      list.push(await forged('wrapped', [18n, -(2n ** 63n), 3n]));
      list.push(await forged('last-field', [50n, 5n, 28n]));
      // A tampered ciphertext for node 1, parts swapped between nodes 0 and 2, a replay,
      // an envelope with a part missing, one bound to another collection.
      const good = await contribute(SCHEMA, publicKeys, 'tampered', [20, 1, 1]);
      const ct = good.parts[1]!.ct;
      list.push({
        ...good,
        parts: good.parts.map((p, i) =>
          i === 1 ? { ...p, ct: (ct[0] === 'A' ? 'B' : 'A') + ct.slice(1) } : p,
        ),
      });
      const sw = await contribute(SCHEMA, publicKeys, 'swapped', [20, 1, 1]);
      list.push({ ...sw, parts: [sw.parts[2]!, sw.parts[1]!, sw.parts[0]!] });
      list.push(list[0]!);
      list.push({ id: 'short', parts: list[1]!.parts.slice(0, 2) });
      list.push(
        await contribute({ ...SCHEMA, collection: 'other' }, publicKeys, 'elsewhere', [20, 1, 1]),
      );

      const outcomes = await collect(list, suite);
      for (const { result } of outcomes) {
        expect(result.c.accepted).toEqual(honest.map(([id]) => id));
        expect(result.c.counts).toEqual({
          malformed: 1,
          duplicate: 1,
          undecryptable: 3,
          'out of range': 5,
        });
        expect(
          result.c.rejected
            .filter((r) => r.reason === 'out of range')
            .map((r) => r.id)
            .sort(),
        ).toEqual(['huge', 'last-field', 'over', 'under', 'wrapped']);
        SCHEMA.fields.forEach((f, j) => {
          const plain = honest.map(([, v]) => BigInt(v[j]!));
          expect(result.out[f.name]).toEqual(plain);
          expect(result.out[`${f.name}.sum`]).toEqual([plain.reduce((a, b) => a + b, 0n)]);
        });
      }
    },
  );

  it('a median over the accepted contributions equals the plaintext median (semi2k, two nodes)', async () => {
    const schema: ContributionSchema = {
      collection: 'pay',
      fields: [{ name: 'pay', min: 0, max: 500_000 }],
    };
    const pays = Array.from({ length: 9 }, () => randomIn(0, 500_000));
    pays.push(0, 500_000);
    const list = await Promise.all(
      pays.map((p, i) => contribute(schema, publicKeys.slice(0, 2), `p${i}`, [p])),
    );
    list.push(
      await sealParts(schema, publicKeys.slice(0, 2), 'neg', BigUint64Array.from([2n ** 64n - 1n])),
    );
    const outcomes = await runLocal(
      async (s) => {
        const c = await collectContributions(s, schema, list, keys[s.indexOf(s.me)]!.privateKey);
        const sorted = c.values.pay!.sort();
        return { counts: c.counts, median: (await sorted.at(5).reveal()).map(Number) };
      },
      { suite: 'semi2k', parties: 2 },
    );
    const plain = [...pays].sort((a, b) => a - b)[5];
    for (const { result } of outcomes) {
      expect(result.counts['out of range']).toBe(1);
      expect(result.median).toEqual([plain]);
    }
  });

  it('an empty list, and a list of only bad contributions, give empty vectors', async () => {
    for (const list of [[], [await forged('bad', [0n, 0n, 0n])]]) {
      const outcomes = await collect(list);
      for (const { result } of outcomes) {
        expect(result.c.accepted).toEqual([]);
        for (const f of SCHEMA.fields) expect(result.out[f.name]).toEqual([]);
      }
    }
  });

  it('one field and five fields (the product tree, odd and even widths)', async () => {
    for (const width of [1, 2, 5]) {
      const schema: ContributionSchema = {
        collection: `w${width}`,
        fields: Array.from({ length: width }, (_, j) => ({ name: `f${j}`, min: -3, max: 3 })),
      };
      const rows = Array.from({ length: 6 }, () =>
        Array.from({ length: width }, () => randomIn(-3, 3)),
      );
      const list = await Promise.all(
        rows.map((r, i) => contribute(schema, publicKeys, `r${i}`, r)),
      );
      // Out of range in the last field only, and in the first only.
      list.push(
        await sealParts(
          schema,
          publicKeys,
          'bad-last',
          BigUint64Array.from({ length: width }, (_, j) => (j === width - 1 ? 4n : 0n)),
        ),
        await sealParts(
          schema,
          publicKeys,
          'bad-first',
          BigUint64Array.from({ length: width }, (_, j) => (j === 0 ? 2n ** 64n - 4n : 0n)),
        ),
      );
      const outcomes = await collect(list, 'rep3', schema);
      for (const { result } of outcomes) {
        expect(result.c.accepted).toEqual(rows.map((_, i) => `r${i}`));
        expect(result.c.counts['out of range']).toBe(2);
        schema.fields.forEach((f, j) =>
          expect(result.out[f.name]).toEqual(rows.map((r) => BigInt(r[j]!))),
        );
      }
    }
  });

  it('nodes holding different lists refuse to collect, naming the nodes', async () => {
    const a = await contribute(SCHEMA, publicKeys, 'a', [20, 1, 1]);
    const b = await contribute(SCHEMA, publicKeys, 'b', [21, 1, 1]);
    await expect(collect((p) => (p === 'p2' ? [a] : [a, b]))).rejects.toThrow(
      /hold a different list of contributions/,
    );
  });

  it('refuses schemas it cannot check exactly, values outside the range at the client', async () => {
    expect(() => checkSchema({ collection: 'c', fields: [] })).toThrow(ContributionError);
    expect(() => checkSchema({ collection: 'c', fields: [{ name: 'a', min: 2, max: 1 }] })).toThrow(
      /min <= max/,
    );
    expect(() =>
      checkSchema({ collection: 'c', fields: [{ name: 'a', min: 0, max: 2 ** 62 }] }),
    ).toThrow(/safe integers/);
    expect(() =>
      checkSchema({
        collection: 'c',
        fields: [
          { name: 'a', min: 0, max: 1 },
          { name: 'a', min: 0, max: 1 },
        ],
      }),
    ).toThrow(/twice/);
    await expect(contribute(SCHEMA, publicKeys, 'x', [17, 0, 0])).rejects.toThrow(
      /field 'age' is outside \[18, 99\]/,
    );
    await expect(contribute(SCHEMA, publicKeys, 'x', [17, 0])).rejects.toThrow(/expected 3/);
    await expect(contribute(SCHEMA, publicKeys, 'x', [20.5, 0, 0])).rejects.toThrow(
      /field 'age' is not an integer/,
    );
  });

  it("parts sum to the value, and one node's part is uniform whatever the value", async () => {
    const one = await contribute(SCHEMA, publicKeys, 'same', [30, -5, 5]);
    const parts = await Promise.all(
      [0, 1, 2].map((i) => openPart(SCHEMA, keys[i]!.privateKey, one, i, 3)),
    );
    const sum = parts.reduce<BigUint64Array>(
      (a, p) => a.map((v, j) => BigInt.asUintN(64, v + p![j]!)),
      new BigUint64Array(3),
    );
    expect([...sum].map((v) => BigInt.asIntN(64, v))).toEqual([30n, -5n, 5n]);
    // Node 1 cannot open node 0's part.
    expect(await openPart(SCHEMA, keys[1]!.privateKey, one, 0, 3)).toBeUndefined();
    // The top bit of node 1's part over 120 contributions of the same value: a fair coin
    // (the bounds fail with probability below 1e-5).
    let top = 0;
    for (let i = 0; i < 120; i++) {
      const c = await contribute(SCHEMA, publicKeys, `z${i}`, [18, 0, 0]);
      const p = await openPart(SCHEMA, keys[1]!.privateKey, c, 1, 3);
      top += Number(p![1]! >> 63n);
    }
    expect(top).toBeGreaterThan(35);
    expect(top).toBeLessThan(85);
  });

  it.each(['rep3', 'shamir'])(
    'bundles: records of two schemas in one envelope per node, equal to the values in the clear; a bad bundle is dropped whole (%s)',
    async (suite) => {
      const ROW: ContributionSchema = {
        collection: 'rows',
        fields: [
          { name: 'x', min: -5, max: 5 },
          { name: 'flag', min: 0, max: 1 },
        ],
      };
      const schemas = [SCHEMA, ROW];
      // Honest bundles with 1, 0, 3 and 7 rows (edges of each field included).
      const honest: [string, number[][], number[][]][] = [0, 1, 3, 7].map((rows, b) => [
        `b${b}`,
        [[randomIn(18, 99), b === 0 ? 2 ** 40 : randomIn(-1_000_000, 2 ** 40), randomIn(0, 27)]],
        Array.from({ length: rows }, (_, r) => [r === 0 ? -5 : randomIn(-5, 5), randomIn(0, 1)]),
      ]);
      const list: Bundle[] = [];
      for (const [id, head, rows] of honest)
        list.push(await contributeBundle(schemas, publicKeys, id, [head, rows]));
      // Out of range in one field of one record of many; a tampered part; counts that
      // do not match the sealed words; a bundle with the wrong number of sections; a replay.
      const words = (head: number[], rows: number[][]) =>
        BigUint64Array.from([...head, ...rows.flat()], (v) => BigInt.asUintN(64, BigInt(v)));
      list.splice(
        2,
        0,
        await sealBundleWords(
          schemas,
          publicKeys,
          'bad-record',
          [1, 3],
          words(
            [20, 0, 0],
            [
              [0, 0],
              [0, 2],
              [1, 1],
            ],
          ),
        ),
      );
      const t = await contributeBundle(schemas, publicKeys, 'tampered', [[[20, 0, 0]], [[1, 1]]]);
      const ct = t.parts[2]!.ct;
      list.push({
        ...t,
        parts: t.parts.map((p, i) =>
          i === 2 ? { ...p, ct: (ct[0] === 'A' ? 'B' : 'A') + ct.slice(1) } : p,
        ),
      });
      const c = await contributeBundle(schemas, publicKeys, 'recounted', [
        [[20, 0, 0]],
        [
          [1, 1],
          [2, 0],
        ],
      ]);
      list.push({ ...c, counts: [2, 1] });
      list.push({ ...c, id: 'one-section', counts: [1] });
      list.push(list[0]!);

      const parties = 3;
      const outcomes = await runLocal(
        async (s) => {
          const r = await collectBundles(s, schemas, list, keys[s.indexOf(s.me)]!.privateKey);
          const out: Record<string, bigint[]> = {};
          for (const [i, sc] of schemas.entries())
            for (const f of sc.fields)
              out[f.name] = (await r.values[i]![f.name]!.reveal()).map(BigInt);
          return { r: { ...r, values: undefined }, out };
        },
        { suite, parties },
      );
      for (const { result } of outcomes) {
        expect(result.r.accepted).toEqual(honest.map(([id]) => id));
        expect(result.r.records).toEqual(honest.map(([, , rows]) => [1, rows.length]));
        expect(result.r.counts).toEqual({
          malformed: 1,
          duplicate: 1,
          undecryptable: 2,
          'out of range': 1,
        });
        expect(result.r.rejected.find((x) => x.reason === 'out of range')?.id).toBe('bad-record');
        SCHEMA.fields.forEach((f, j) =>
          expect(result.out[f.name]).toEqual(honest.map(([, head]) => BigInt(head[0]![j]!))),
        );
        ROW.fields.forEach((f, j) =>
          expect(result.out[f.name]).toEqual(
            honest.flatMap(([, , rows]) => rows.map((r) => BigInt(r[j]!))),
          ),
        );
      }
      await expect(
        contributeBundle(schemas, publicKeys, 'x', [[[20, 0, 0]], [[6, 0]]]),
      ).rejects.toThrow(/rows record 0: field 'x' is outside \[-5, 5\]/);
    },
  );
});
