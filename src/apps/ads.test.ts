import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { adsData, COHORTS, MAX_VALUE, plainFigures, runAds } from './ads.js';

describe('entente demo ads (small)', () => {
  it('released conversions, revenue and lift match the plaintext join within the DP noise', async () => {
    const lines: string[] = [];
    let lifts = 0;
    const r = await runAds({
      impressions: 20_000,
      conversions: 2_000,
      seed: 11,
      // A large epsilon, so that the noise is small enough to compare against.
      epsilon: 40,
      minConversions: 50,
      crypto: nodeCryptoProvider,
      print: (l) => lines.push(l),
    });
    expect(r.plain).toEqual(plainFigures(adsData(20_000, 2_000, 11)));
    r.secure.forEach((s, c) => {
      const p = r.plain[c]!;
      expect(s.cohort).toBe(COHORTS[c]);
      expect(s.people).toEqual(p.people);
      for (const arm of [0, 1]) {
        const pc = p.conversions[arm]!;
        // Laplace scale 1 / 20 for conversions and 500 / 20 for revenue: 30 scales is about 1e-13.
        if (pc < 50) expect(s.conversions[arm]).toBeNull();
        else {
          expect(Math.abs(s.conversions[arm]! - pc)).toBeLessThanOrEqual(2);
          expect(Math.abs(s.revenue[arm]! - p.revenue[arm]!)).toBeLessThanOrEqual(
            (30 * MAX_VALUE) / 20,
          );
        }
      }
      if (p.lift !== null && s.lift !== null) {
        expect(Math.abs(s.lift - p.lift)).toBeLessThan(0.1);
        lifts++;
      }
    });
    expect(lifts).toBeGreaterThan(0);
    // Some groups are released and the report shows them beside the plaintext.
    expect(r.secure.some((s) => s.conversions[0] !== null)).toBe(true);
    expect(lines.join('\n')).toMatch(/helper-aided join/);
  }, 60_000);

  it('suppresses groups below the minimum, and the data follow the seed', async () => {
    const r = await runAds({
      impressions: 2_000,
      conversions: 200,
      seed: 3,
      epsilon: 8,
      minConversions: 1_000,
      crypto: nodeCryptoProvider,
      print: () => undefined,
    });
    for (const s of r.secure) {
      expect(s.conversions).toEqual([null, null]);
      expect(s.revenue).toEqual([null, null]);
      expect(s.lift).toBeNull();
    }
    expect(adsData(100, 10, 1)).toEqual(adsData(100, 10, 1));
    expect(() => adsData(0, 10)).toThrow(RangeError);
    const d = adsData(1000, 300, 5);
    expect(new Set(d.advertiser.ids).size).toBe(300);
    // Some conversions come from people the publisher never reached.
    expect(d.advertiser.ids.some((id) => id.startsWith('Q'))).toBe(true);
  }, 60_000);
});
