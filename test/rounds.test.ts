/**
 * Rounds follow depth, not operation count: independent operations issued one
 * after another share a round; a chain of d dependent ones takes d rounds.
 */
import { describe, expect, it } from 'vitest';
import { bool, int, type SecretInt } from '../src/index.js';
import { run } from './harness.js';

describe('round batching (rep3)', () => {
  it('sends 1,000 independent scalar multiplications in one round', async () => {
    const r = await run({ suite: 'rep3', parties: 3 }, async (s) => {
      const xs: SecretInt[] = [];
      const ys: SecretInt[] = [];
      for (let i = 0; i < 1000; i++) {
        xs.push(s.input('p1', int(32), s.me === 'p1' ? [i] : 1).reshape([]));
        ys.push(s.input('p2', int(32), s.me === 'p2' ? [i + 1] : 1).reshape([]));
      }
      await Promise.all([...xs, ...ys].map((x) => x.shares));
      const before = s.stats();
      const products = xs.map((x, i) => x.mul(ys[i]!));
      await Promise.all(products.map((p) => p.shares));
      const after = s.stats();
      const revealed = await s.revealAll(products.slice(0, 5));
      return {
        rounds: after.rounds - before.rounds,
        messages: after.messagesSent - before.messagesSent,
        muls: (after.operations.mul ?? 0) - (before.operations.mul ?? 0),
        revealed,
      };
    });
    expect(r.rounds).toBe(1);
    expect(r.messages).toBe(1);
    expect(r.muls).toBe(1000);
    expect(r.revealed).toEqual([[0n], [2n], [6n], [12n], [20n]]);
  });

  it.each([1, 2, 5, 10, 30])(
    'takes d rounds for a chain of d = %i dependent multiplications',
    async (d) => {
      const r = await run({ suite: 'rep3', parties: 3 }, async (s) => {
        // Booleans keep a constant bound through any number of products (AND is a multiplication).
        const x = s.input('p1', bool, s.me === 'p1' ? [true, false] : 2);
        const one = s.input('p2', bool, s.me === 'p2' ? [true, true] : 2);
        await Promise.all([x.shares, one.shares]);
        const before = s.stats().rounds;
        let y = x;
        for (let i = 0; i < d; i++) y = y.and(one);
        await y.shares;
        const rounds = s.stats().rounds - before;
        return { rounds, value: await y.reveal() };
      });
      expect(r.rounds).toBe(d);
      expect(r.value).toEqual([true, false]);
    },
  );

  it('runs two independent chains side by side in max(depth) rounds', async () => {
    const r = await run({ suite: 'rep3', parties: 3 }, async (s) => {
      const x = s.input('p1', int(8), s.me === 'p1' ? [2] : 1);
      await x.shares;
      const before = s.stats().rounds;
      const a = x.mul(x).mul(x).mul(x); // depth 3
      const b = x.mul(x); // depth 1
      await Promise.all([a.shares, b.shares]);
      return s.stats().rounds - before;
    });
    expect(r).toBe(3);
  });
});
