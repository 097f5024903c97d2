import { describe, expect, it } from 'vitest';
import { run } from '../../../test/harness.js';
import { fixed, int } from '../../api/types.js';
import { releaseGuarded } from './suppress.js';

// Ages of 23 patients; group 1 (the last 3) is smaller than k = 10.
const ages = [
  30, 41, 52, 63, 34, 45, 56, 67, 38, 49, 50, 61, 72, 33, 44, 55, 66, 37, 48, 59, 80, 81, 82,
];
const group = ages.map((_, i) => (i >= 20 ? 1 : 0));

describe('minimum cell size inside MPC', () => {
  it.each([
    { suite: 'rep3', parties: 3 },
    { suite: 'shamir', parties: 3 },
    { suite: 'plaintext', parties: 1 },
  ])('suppresses a group of fewer than k records ($suite)', async (c) => {
    const r = await run(c, async (s) => {
      const age = s.input(s.parties[0]!, int(8), s.me === s.parties[0] ? ages : ages.length);
      const g1 = s.input(s.parties[0]!, int(2), s.me === s.parties[0] ? group : ages.length);
      const g0 = g1.neg().add(1);
      const counts = s.concat([g0.sum(), g1.sum()]);
      const sums = s.concat([age.dot(g0), age.dot(g1)]);
      // A fixed-point value per group: the sum / 20.
      const means = sums.toFixed(fixed({ bits: 40, frac: 16 })).mul(1 / 20);
      const [perElement, whole, counted] = await releaseGuarded(
        s,
        [
          { value: means, support: counts },
          // The whole vector is suppressed when its smallest group is below k.
          { value: sums, support: counts.min() },
          { value: counts, support: counts },
        ],
        10,
      );
      const [open] = await releaseGuarded(s, [{ value: counts, support: counts }], 0);
      return { perElement: perElement!, whole: whole!, counted: counted!, open: open! };
    });
    const mean0 = ages.slice(0, 20).reduce((a, b) => a + b, 0) / 20;
    expect(r.perElement.suppressed).toEqual([false, true]);
    expect(r.perElement.values[1]).toBeNull();
    expect(Math.abs(r.perElement.values[0]! - mean0)).toBeLessThan(1e-3);
    expect(r.whole).toEqual({ values: [null, null], suppressed: [true, true] });
    expect(r.counted).toEqual({ values: [20, null], suppressed: [false, true] });
    // k = 0: nothing is suppressed.
    expect(r.open).toEqual({ values: [20, 3], suppressed: [false, false] });
  });

  it('is exact at the boundary: a count of k is released, k - 1 is not', async () => {
    const r = await run({ suite: 'rep3', parties: 3 }, async (s) => {
      const counts = s.input('p1', int(16), s.me === 'p1' ? [9, 10, 0, 11] : 4);
      return releaseGuarded(s, [{ value: counts, support: counts }], 10);
    });
    expect(r[0]).toEqual({ values: [null, 10, null, 11], suppressed: [true, false, true, false] });
  });

  it('refuses a negative k and mismatched supports', async () => {
    await run({ suite: 'plaintext', parties: 1 }, async (s) => {
      const x = s.input('p1', int(8), [1, 2, 3]);
      await expect(releaseGuarded(s, [{ value: x, support: x }], -1)).rejects.toThrow(
        /k must be a non-negative integer/,
      );
      await expect(releaseGuarded(s, [{ value: x, support: x.slice(0, 2) }], 1)).rejects.toThrow(
        'releaseGuarded: item 0 has 3 values but 2 supports',
      );
      return 0;
    });
  });
});
