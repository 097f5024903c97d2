import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { localParties, runParties } from '../primitives/testing.js';
import { intersect, type IntersectOptions, type IntersectResult } from './index.js';

function run(
  a: string[],
  b: string[],
  opts: Omit<IntersectOptions, 'receiver' | 'sender'>,
): Promise<IntersectResult[]> {
  const ps = localParties(2, nodeCryptoProvider, 60_000);
  return runParties(ps, (p) =>
    intersect(p, p.index === 0 ? a : b, { ...opts, receiver: 0, sender: 1 }),
  );
}

/** Rows of `mine` (first occurrences) whose value is in `theirs`, ascending. */
function plainRows(mine: string[], theirs: string[]): number[] {
  const t = new Set(theirs);
  return mine.flatMap((x, i) => (t.has(x) && mine.indexOf(x) === i ? [i] : []));
}

describe('intersect: strings with duplicates, both protocols', () => {
  const a = ['k3', 'k1', 'k9', 'k1', 'k4', 'k3', 'k7', ''];
  const b = ['k9', 'k0', 'k3', 'k3', 'k8', '', 'k5'];

  for (const protocol of ['ot', 'ecdh'] as const) {
    it(`${protocol}: rows are first occurrences, sizes count distinct elements`, async () => {
      const [r, s] = await run(a, b, { protocol, both: true });
      expect(r!.rows).toEqual(plainRows(a, b));
      expect(s!.rows).toEqual(plainRows(b, a));
      expect(r!.cardinality).toBe(3); // k3, k9 and the empty string
      expect([r!.size, r!.peerSize]).toEqual([6, 6]);
    });
  }

  it('ecdh cardinality only: the count at the receiver, no rows anywhere', async () => {
    const [r, s] = await run(a, b, { protocol: 'ecdh', output: 'cardinality' });
    expect(r!.cardinality).toBe(3);
    expect(r!.rows).toBeUndefined();
    expect(s!.cardinality).toBeUndefined();
  });

  it('empty sets give an empty result; ot refuses cardinality only', async () => {
    const [r] = await run([], b, { protocol: 'ot' });
    expect(r!.rows).toEqual([]);
    expect(r!.peerSize).toBe(6);
    await expect(run(a, b, { protocol: 'ot', output: 'cardinality' })).rejects.toThrow(
      /cardinality only over a party needs protocol 'ecdh'/,
    );
  });
});
