/**
 * `entente demo pay-transparency` at a small size: the three nodes (rep3, in memory)
 * release exactly what the same questions give on the pooled pay in the clear, and
 * what they publish for a member hides that member's rank.
 */
import { describe, expect, it } from 'vitest';
import { runPayTransparency } from './pay.js';

describe('pay transparency (contributions to three nodes)', () => {
  it('quartiles, suppressed cells, gaps and every own percentile match the plaintext', async () => {
    const r = await runPayTransparency({ members: 40, minCell: 4, seed: 7 });
    expect(r.secure.accepted).toBe(40);
    r.secure.quartiles.forEach((q, i) => expect(q).toBeCloseTo(r.plaintext.quartiles[i]!, 4));
    expect(r.secure.cells).toEqual(r.plaintext.cells);
    // Small cells are suppressed: this seed leaves some below 4 members.
    expect(r.secure.cells.some((c) => c.members === undefined)).toBe(true);
    expect(r.secure.gaps).toEqual(r.plaintext.gaps);
    expect([...r.secure.ownPercentile]).toEqual([...r.plaintext.ownPercentile]);
  });

  it('what is published for a member is its rank plus a 40-bit mask only that member holds', async () => {
    const r = await runPayTransparency({ members: 12, minCell: 3, seed: 8 });
    const ranks = new Map(
      r.members.map((m) => [m.id, BigInt(r.members.filter((o) => o.pay < m.pay).length)]),
    );
    const masks = [...r.masks.values()];
    // Masks come from the CSPRNG, not from the seed: all different, spread over 40 bits.
    expect(new Set(masks).size).toBe(masks.length);
    expect(masks.some((m) => m >= 2n ** 32n)).toBe(true);
    for (const [id, published] of r.published) {
      expect(published - r.masks.get(id)!).toBe(ranks.get(id));
      // Published numbers are not ranks (a rank is below 12; a mask below 12 has probability 2^-36).
      expect(published >= 12n).toBe(true);
    }
  });
});
