import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { runLocal } from '../api/run.js';
import { int } from '../api/types.js';
import { digestSet } from './items.js';
import { PsiPolicyError, psiSum, releasePsiSum } from './sum.js';

/** Random keyed rows: `n` keys 'k<i>' drawn from a range of `range`, values in +-1000. */
function rows(n: number, range: number, seed: number): { keys: string[]; values: number[] } {
  let x = seed;
  const next = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
  const keys = new Set<string>();
  while (keys.size < n) keys.add(`k${next() % range}`);
  return { keys: [...keys], values: [...keys].map(() => (next() % 2001) - 1000) };
}

function plainSum(
  a: string[],
  b: { keys: string[]; values: number[] },
): { sum: bigint; count: bigint } {
  const inA = new Set(a);
  let sum = 0n;
  let count = 0n;
  b.keys.forEach((k, i) => {
    if (inA.has(k)) {
      sum += BigInt(b.values[i]!);
      count++;
    }
  });
  return { sum, count };
}

describe('PSI-sum as secrets of the program API', () => {
  it('sum and count over the intersection equal the plaintext ones (semi2k, random sets)', async () => {
    for (const [nA, nB, range] of [
      [60, 80, 150],
      [1, 1, 1],
      [30, 30, 1_000_000], // almost surely disjoint
    ] as const) {
      const a = rows(nA, range, 1 + nA).keys;
      const b = rows(nB, range, 2 + nB);
      const want = plainSum(a, b);
      const out = await runLocal(
        async (s) => {
          const mine = s.me === 'p1' ? digestSet(a) : digestSet(b.keys);
          const r = await psiSum(s, mine.digests, s.me === 'p2' ? b.values : undefined, {
            valuesFrom: 'p2',
            other: 'p1',
            type: int(16),
          });
          return releasePsiSum(s, r, { revealCount: true });
        },
        { suite: 'semi2k', parties: 2, crypto: nodeCryptoProvider },
      );
      for (const o of out) expect(o.result).toEqual(want);
    }
  }, 120_000);

  it('below the minimum intersection size the release aborts without the size', async () => {
    const a = ['x', 'y', 'z'];
    const b = { keys: ['y', 'z', 'w'], values: [5, 7, 9] };
    const prog = (min: number) =>
      runLocal(
        async (s) => {
          const d = digestSet(s.me === 'p1' ? a : b.keys);
          const r = await psiSum(s, d.digests, s.me === 'p2' ? b.values : undefined, {
            valuesFrom: 'p2',
            other: 'p1',
            type: int(8),
          });
          return releasePsiSum(s, r, { minIntersection: min });
        },
        { suite: 'semi2k', parties: 2, crypto: nodeCryptoProvider },
      );
    const ok = await prog(2);
    expect(ok.map((o) => o.result.sum)).toEqual([12n, 12n]);
    const refused = prog(3);
    await expect(refused).rejects.toThrow(PsiPolicyError);
    await expect(refused).rejects.toThrow(
      /smaller than the minimum of 3 \(its size is not revealed\)/,
    );
  }, 120_000);

  it('with DP the released sum is the exact one plus discrete Laplace noise drawn inside MPC', async () => {
    const a = rows(40, 60, 5).keys;
    const b = rows(40, 60, 6);
    const want = plainSum(a, b).sum;
    const out = await runLocal(
      async (s) => {
        const d = digestSet(s.me === 'p1' ? a : b.keys);
        const r = await psiSum(s, d.digests, s.me === 'p2' ? b.values : undefined, {
          valuesFrom: 'p2',
          other: 'p1',
          type: int(11),
        });
        return releasePsiSum(s, r, { dp: { epsilon: 1, sensitivity: 1000 } });
      },
      { suite: 'semi2k', parties: 2, crypto: nodeCryptoProvider },
    );
    expect(out[0]!.result.sum).toBe(out[1]!.result.sum);
    // Scale 1000: |noise| > 40,000 has probability e^-40.
    const noise = out[0]!.result.sum - want;
    expect(noise > -40_000n && noise < 40_000n).toBe(true);
  }, 180_000);

  it('refuses sessions that are not two parties over Z_2^64, and values outside the type', async () => {
    await expect(
      runLocal(
        (s) => psiSum(s, new Uint8Array(16), [1], { valuesFrom: 'p2', other: 'p1', type: int(8) }),
        { suite: 'rep3', parties: 3, crypto: nodeCryptoProvider },
      ),
    ).rejects.toThrow(/needs a two-party session over Z_2\^64/);
    await expect(
      runLocal(
        (s) =>
          psiSum(s, new Uint8Array(16), s.me === 'p2' ? [300] : undefined, {
            valuesFrom: 'p2',
            other: 'p1',
            type: int(8),
          }),
        { suite: 'semi2k', parties: 2, crypto: nodeCryptoProvider },
      ),
    ).rejects.toThrow(/value 0 is outside int\(8\)/);
    // int(63) values over 2 elements could sum past 64 bits: refused at both parties.
    await expect(
      runLocal(
        (s) =>
          psiSum(s, new Uint8Array(32), s.me === 'p2' ? [1, 2] : undefined, {
            valuesFrom: 'p2',
            other: 'p1',
            type: int(63),
          }),
        { suite: 'semi2k', parties: 2, crypto: nodeCryptoProvider },
      ),
    ).rejects.toThrow(/sums of int\(63\) values over up to 2 elements can exceed 64 bits/);
  });
});
