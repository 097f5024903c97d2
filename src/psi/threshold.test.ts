import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { runLocal } from '../api/run.js';
import { int } from '../api/types.js';
import { ProtocolAbort } from '../runtime/errors.js';
import { fingerprintOf, localSet, thresholdPsi } from './threshold.js';

/** A seeded LCG (test data only). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
}

/**
 * n sets with planted overlaps: each element of a shared pool goes to a
 * random number of parties (0..n), plus private elements; some elements
 * repeated inside a set.
 */
function plantedSets(n: number, pool: number, own: number, seed: number): string[][] {
  const next = lcg(seed);
  const sets: string[][] = Array.from({ length: n }, () => []);
  for (let e = 0; e < pool; e++) {
    const holders = next() % (n + 1);
    const order = Array.from({ length: n }, (_, p) => p);
    for (let i = n - 1; i > 0; i--) {
      const j = next() % (i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const p of order.slice(0, holders)) sets[p]!.push(`shared-${seed}-${e}`);
  }
  sets.forEach((s, p) => {
    for (let k = 0; k < own; k++) s.push(`own-${seed}-${p}-${k}`);
    if (s.length > 0) s.push(s[next() % s.length]!); // a duplicate inside the set
  });
  return sets;
}

/** The plaintext threshold intersection: elements in >= t of the sets (each set counted once). */
function plainThreshold(sets: string[][], t: number): Set<string> {
  const count = new Map<string, number>();
  for (const s of sets) for (const e of new Set(s)) count.set(e, (count.get(e) ?? 0) + 1);
  return new Set([...count].filter(([, c]) => c >= t).map(([e]) => e));
}

async function run(
  sets: string[][],
  t: number,
  suite: 'shamir' | 'rep3' | 'semi2k',
): Promise<{ rows: string[][]; fingerprints: bigint[][] }> {
  const out = await runLocal(async (s) => thresholdPsi(s, sets[s.party.index]!, { threshold: t }), {
    suite,
    parties: sets.length,
    crypto: nodeCryptoProvider,
  });
  return {
    rows: out.map((o, p) => o.result.rows.map((r) => sets[p]![r]!)),
    fingerprints: out.map((o) => o.result.fingerprints),
  };
}

function expectMatches(
  sets: string[][],
  t: number,
  got: { rows: string[][]; fingerprints: bigint[][] },
) {
  const want = plainThreshold(sets, t);
  const wantFps = [...want].map(fingerprintOf).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  sets.forEach((s, p) => {
    expect(got.fingerprints[p]).toEqual(wantFps);
    expect(new Set(got.rows[p])).toEqual(new Set(s.filter((e) => want.has(e))));
    expect(got.rows[p]!.length).toBe(new Set(got.rows[p]).size); // each element once
  });
}

describe('threshold PSI across n parties (sort-based, inside MPC)', () => {
  it('4 parties (shamir): t = 2, 1 and 4 against the plaintext threshold intersection', async () => {
    const sets = plantedSets(4, 40, 6, 11);
    for (const t of [2, 1, 4]) expectMatches(sets, t, await run(sets, t, 'shamir'));
  }, 120_000);

  it('3 parties (rep3): t = 3, with an element at exactly t - 1 parties not revealed', async () => {
    const sets = [
      ['a', 'b', 'c', 'only-p1', 'b'],
      ['a', 'b', 'x'],
      ['a', 'c', 'x', 'x'],
    ];
    // 'b', 'c' and 'x' are at 2 = t - 1 parties; 'b' twice at p1 still counts once.
    const got = await run(sets, 3, 'rep3');
    expect(got.rows).toEqual([['a'], ['a'], ['a']]);
    expectMatches(sets, 3, got);
    expectMatches(sets, 2, await run(sets, 2, 'rep3'));
  }, 60_000);

  it('empty sets: all empty, and one party empty', async () => {
    const none = await run([[], [], []], 2, 'rep3');
    expect(none.fingerprints).toEqual([[], [], []]);
    const sets = [[], ['a', 'b'], ['b', 'a', 'c'], ['c']];
    expectMatches(sets, 2, await run(sets, 2, 'shamir'));
    expectMatches(sets, 3, await run(sets, 3, 'shamir'));
    const single = [['z'], [], []];
    expectMatches(single, 1, await run(single, 1, 'rep3'));
  }, 60_000);

  it('sums values over the holders inside MPC and releases only runs over the minimum', async () => {
    const sets = [
      ['p', 'q', 'r', 'q'],
      ['p', 'q', 's'],
      ['p', 'q', 'r', 's'],
      ['q', 's'],
    ];
    const values = [
      [10, 1, 50, 2], // 'q' twice at party 0: 1 + 2
      [-5, 4, 100],
      [20, 0, 7, 100],
      [3, 100],
    ];
    const sumOf = (e: string) =>
      sets.reduce(
        (acc, s, p) => acc + s.reduce((a, x, i) => a + (x === e ? values[p]![i]! : 0), 0),
        0,
      );
    // At >= 3 parties: p (25), q (10), s (300). Minimum 20: p and s.
    const out = await runLocal(
      async (s) =>
        thresholdPsi(
          s,
          sets[s.party.index]!,
          { threshold: 3, valueType: int(16), minSum: 20, revealSums: true },
          values[s.party.index]!,
        ),
      { suite: 'shamir', parties: 4, crypto: nodeCryptoProvider },
    );
    const want = ['p', 's'].sort((a, b) => (fingerprintOf(a) < fingerprintOf(b) ? -1 : 1));
    for (const o of out) {
      expect(o.result.fingerprints).toEqual(want.map(fingerprintOf));
      expect(o.result.sums).toEqual(want.map((e) => BigInt(sumOf(e))));
    }
    expect(out[3]!.result.rows.map((r) => sets[3]![r])).toEqual(['s']);
  }, 60_000);

  it('removes duplicates locally, adding their values', () => {
    const l = localSet(['a', 'b', 'a'], [1, 2, 3]);
    expect(l.first).toEqual([0, 1]);
    expect(l.values).toEqual([4n, 2n]);
    expect(l.fingerprints).toEqual([fingerprintOf('a'), fingerprintOf('b')]);
    expect(fingerprintOf('a') < 1n << 61n && fingerprintOf('a') >= -(1n << 61n)).toBe(true);
  });

  it('aborts naming the peer on a hello with other options or an oversized set', async () => {
    const other = runLocal((s) => thresholdPsi(s, ['a'], { threshold: s.me === 'p2' ? 3 : 2 }), {
      suite: 'rep3',
      parties: 3,
      crypto: nodeCryptoProvider,
    });
    await expect(other).rejects.toThrow(ProtocolAbort);
    await expect(other).rejects.toThrow(
      /malformed \(peer p\d\): psi.threshold.hello: the peer runs with other options/,
    );
    const huge = runLocal(
      async (s) => {
        if (s.me !== 'p3') return thresholdPsi(s, ['a'], { threshold: 2 });
        // A forged hello announcing 2^32 - 1 elements.
        const b = new Uint8Array(24);
        b.set([1, 3]);
        new DataView(b.buffer).setUint32(4, 2, true);
        new DataView(b.buffer).setUint32(16, 0xffffffff, true);
        await s.party.exchange({
          op: 'psi.threshold.hello',
          send: [b, b, undefined],
          recvFrom: [0, 1],
        });
        return undefined;
      },
      { suite: 'rep3', parties: 3, crypto: nodeCryptoProvider },
    );
    await expect(huge).rejects.toThrow(
      /oversized \(peer p3\): psi.threshold.hello: a set of 4294967295 elements/,
    );
  });

  it('refuses a threshold outside 1..n and values without a type', async () => {
    await expect(
      runLocal((s) => thresholdPsi(s, ['a'], { threshold: 4 }), {
        suite: 'rep3',
        parties: 3,
        crypto: nodeCryptoProvider,
      }),
    ).rejects.toThrow(/threshold must be an integer in 1..3, got 4/);
    await expect(
      runLocal((s) => thresholdPsi(s, ['a'], { threshold: 2, minSum: 3 }), {
        suite: 'rep3',
        parties: 3,
        crypto: nodeCryptoProvider,
      }),
    ).rejects.toThrow(/need a valueType/);
  });
});
