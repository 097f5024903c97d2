import { describe, expect, it } from 'vitest';
import { samplerPmf } from '../analytics/privacy/dp.js';
import { planDiscreteLaplace, sampleDiscreteLaplaceClear } from './noise.js';

describe('discrete Laplace noise in the clear', () => {
  it('follows the same distribution as the MPC sampler (within 5 sigma on 20,000 draws)', () => {
    const plan = planDiscreteLaplace(1, 1);
    const pmf = samplerPmf(plan);
    const n = 20_000;
    const z = sampleDiscreteLaplaceClear(plan, n);
    for (const v of [-2, -1, 0, 1, 2]) {
      const p = pmf.get(v)!;
      const got = z.filter((x) => x === v).length / n;
      expect(Math.abs(got - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    }
    const mean = z.reduce((a, b) => a + b, 0) / n;
    // Var(Z) = 2q / (1 - q)^2 with q = e^-1, about 1.84.
    expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(1.84 / n));
    expect(sampleDiscreteLaplaceClear(plan, 0)).toEqual([]);
  });

  it('scales with the sensitivity: wider noise for a Sum of 8 bits', () => {
    const z = sampleDiscreteLaplaceClear(planDiscreteLaplace(1, 255), 2000);
    const meanAbs = z.reduce((a, b) => a + Math.abs(b), 0) / z.length;
    // E|Z| is about the scale 255 for the discrete Laplace at this scale.
    expect(meanAbs).toBeGreaterThan(150);
    expect(meanAbs).toBeLessThan(400);
  });
});
