import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { creditData, runCreditRisk } from './aml-credit.js';
import { plainLogistic } from './plain-logistic.js';

describe('joint credit risk (aml demo, second half)', () => {
  it('the secure regression on the private join matches the plaintext join and fit', async () => {
    const lines: string[] = [];
    const r = await runCreditRisk({
      rows: 300,
      seed: 7,
      crypto: nodeCryptoProvider,
      print: (l) => lines.push(l),
    });
    // The plaintext join, independently of the app's own check.
    const d = creditData(300, 7);
    const b = new Set(d.bankB.ids);
    const matched = d.bankA.ids.filter((id) => b.has(id)).length;
    expect(matched).toBeGreaterThan(100);
    expect(matched).toBeLessThan(300);
    expect(r.secure.n).toBe(matched);
    expect(r.plain.n).toBe(matched);
    r.plain.coefficients.forEach((c, k) => {
      expect(Math.abs(r.secure.coefficients[k]! - c)).toBeLessThan(0.01 * Math.max(1, Math.abs(c)));
    });
    expect(lines.join('\n')).toMatch(/over the \d+ joined rows/);
  }, 30_000);

  it('the data are deterministic from the seed and refuse bad sizes', () => {
    expect(creditData(50, 3)).toEqual(creditData(50, 3));
    expect(creditData(50, 3)).not.toEqual(creditData(50, 4));
    expect(() => creditData(0)).toThrow(RangeError);
  });

  it('plainLogistic recovers a known model and refuses bad input', () => {
    // Grouped data with a known maximum-likelihood fit: logit p = log(1/3) + log(3) x.
    const y: boolean[] = [];
    const x: number[] = [];
    for (const [xi, pos, neg] of [
      [0, 1, 3],
      [1, 1, 1],
    ] as const) {
      for (let i = 0; i < pos * 10 + neg * 10; i++) {
        y.push(i < pos * 10);
        x.push(xi);
      }
    }
    const fit = plainLogistic(y, [x]);
    const [a, b] = fit.coefficients;
    expect(a).toBeCloseTo(Math.log(1 / 3), 9);
    expect(b).toBeCloseTo(Math.log(3), 9);
    // Known standard errors: sqrt(1/10 + 1/30) and sqrt(1/10 + 1/30 + 1/10 + 1/10).
    expect(fit.standardErrors[0]).toBeCloseTo(Math.sqrt(1 / 10 + 1 / 30), 9);
    expect(fit.standardErrors[1]).toBeCloseTo(Math.sqrt(1 / 10 + 1 / 30 + 2 / 10), 9);
    expect(() => plainLogistic([], [])).toThrow(/no rows/);
    expect(() => plainLogistic([true], [[1, 2]])).toThrow(/feature 0 has 2 rows/);
  });
});
