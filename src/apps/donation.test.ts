/**
 * `entente demo donation`: the three nodes (shamir, in memory) compute every person's
 * share exactly as the rule does in the clear, on random incomes and on the edges, and
 * what they open for a person is that person's share under a one-time mask only that
 * person holds.
 */
import { describe, expect, it } from 'vitest';
import {
  checkRule,
  DonationRuleError,
  donationPlaintext,
  MAX_CENTS,
  MAX_INCOME,
  MAX_PEOPLE,
  runDonation,
  type DonationRule,
} from './donation.js';

function randomIncome(): number {
  const w = new Uint32Array(2);
  globalThis.crypto.getRandomValues(w);
  // One in four at 0, the rest spread over 0..2^24 - 1 on a log scale.
  return w[0]! % 4 === 0 ? 0 : Math.min(MAX_INCOME, Math.floor(2 ** (24 * (w[1]! / 2 ** 32))));
}

async function expectSameAsPlaintext(
  incomes: readonly number[] | undefined,
  rule?: DonationRule,
  people?: number,
) {
  const r = await runDonation({
    ...(incomes ? { incomes } : {}),
    ...(rule ? { rule } : {}),
    ...(people ? { people, seed: 11 } : {}),
  });
  expect(r.secure.valid).toBe(r.plaintext.valid);
  if (r.plaintext.valid) {
    expect(r.people.map((p) => r.secure.shares.get(p.id))).toEqual(r.plaintext.shares);
    expect(r.plaintext.shares.reduce((a, b) => a + b, 0)).toBe(r.rule.total);
  }
  return r;
}

describe('donation split (contributions to three shamir nodes)', () => {
  it('random incomes: every share equals the rule in the clear, floor and cap binding (N = 50)', async () => {
    const incomes = Array.from({ length: 50 }, randomIncome);
    incomes[0] = MAX_INCOME;
    incomes[1] = 0;
    const rule = { total: 50 * 10_000 + 37, floor: 2_000, cap: 40_000 };
    const r = await expectSameAsPlaintext(incomes, rule);
    expect(r.secure.valid).toBe(true);
    const shares = r.plaintext.shares;
    // Both bounds bind: someone pays the floor and someone the cap.
    expect(shares.filter((x) => x === rule.floor).length).toBeGreaterThan(0);
    expect(shares.filter((x) => x === rule.cap).length).toBeGreaterThan(0);
    expect(shares.every((x) => x >= rule.floor && x <= rule.cap)).toBe(true);
  });

  it('synthetic incomes, N = 5 and the default rule', async () => {
    const r = await expectSameAsPlaintext(undefined, undefined, 5);
    expect(r.secure.valid).toBe(true);
  });

  it('everyone equal: the cents the rounding leaves go to the first people', async () => {
    const r = await expectSameAsPlaintext([50_000, 50_000, 50_000, 50_000, 50_000, 50_000], {
      total: 10_003,
      floor: 0,
      cap: 5_000,
    });
    expect(r.plaintext.shares).toEqual([1668, 1667, 1667, 1667, 1667, 1667]);
  });

  it('one person with everything: capped, the others at the floor; a total beyond that is refused', async () => {
    const rule = { total: 50_000 + 4 * 1_000, floor: 1_000, cap: 50_000 };
    const r = await expectSameAsPlaintext([MAX_INCOME, 0, 0, 0, 0], rule);
    expect(r.plaintext.shares).toEqual([50_000, 1_000, 1_000, 1_000, 1_000]);
    // Five cents more: income 0 pays the floor whatever lambda, and the four people below
    // the cap can take one rounding cent each, not five; the nodes open only that the
    // shares do not add up, nothing for any person.
    const bad = await expectSameAsPlaintext([MAX_INCOME, 0, 0, 0, 0], {
      ...rule,
      total: rule.total + 5,
    });
    expect(bad.plaintext.valid).toBe(false);
    for (const v of bad.views)
      expect(v).toEqual({ accepted: v.accepted, valid: false, published: [] });
  });

  it('incomes all 0: everyone pays the floor, and up to one rounding cent each', async () => {
    const r = await expectSameAsPlaintext([0, 0, 0, 0, 0], {
      total: 5 * 700 + 2,
      floor: 700,
      cap: 900,
    });
    expect(r.plaintext.shares).toEqual([701, 701, 700, 700, 700]);
  });

  it('widest values: incomes 0..2^24 - 1, cap 2^27 - 1 cents (the capped steps reach 2^67)', async () => {
    await expectSameAsPlaintext([MAX_INCOME, 1, 0, 2 ** 23, 12_345, MAX_INCOME - 1], {
      total: 3 * MAX_CENTS + 99,
      floor: 0,
      cap: MAX_CENTS,
    });
  });

  it('past the old limit of 200: 260 people at the widest values, every share as in the clear', async () => {
    // The sum against the total is the widest comparison (n C 2^40); the old rule stopped
    // at 200 people because its rounding argument needed fewer than 256.
    const incomes = Array.from({ length: 260 }, randomIncome);
    incomes[0] = MAX_INCOME;
    incomes[1] = 1;
    incomes[2] = 0;
    const r = await expectSameAsPlaintext(incomes, {
      total: 130 * MAX_CENTS + 260 * 1_000 + 259,
      floor: 1_000,
      cap: MAX_CENTS,
    });
    expect(r.secure.valid).toBe(true);
  });

  it("a person learns only their own share; the nodes see it only under that person's mask", async () => {
    const incomes = [30_000, 45_000, 0, 120_000, 61_000];
    // person-01 chooses mask 0: the positive control, whose share the nodes then see.
    const r = await runDonation({ incomes, masks: [0n] });
    expect(r.secure.valid).toBe(true);
    const shares = r.plaintext.shares;
    for (const v of r.views) {
      // All a node opens: the accepted ids, the check bit, one number per person.
      expect(Object.keys(v).sort()).toEqual(['accepted', 'published', 'valid']);
      expect(v).toEqual(r.views[0]);
      expect(v.published).toHaveLength(incomes.length);
    }
    const published = r.views[0]!.published;
    r.people.forEach((p, i) => {
      // The person subtracts their own mask and gets their share...
      expect(published[i]! - r.masks.get(p.id)!).toBe(BigInt(shares[i]!));
      if (i === 0) return;
      // ...while the number itself, for a fresh mask, is no share: shares are below
      // 2^27, a published number below 2^27 has probability 2^-53.
      expect(published[i]! >= 2n ** 27n).toBe(true);
      expect(new Set(r.masks.values()).size).toBe(incomes.length);
    });
    expect(published[0]).toBe(BigInt(shares[0]!));
    // Another person's mask does not decode it.
    expect(published[3]! - r.masks.get('person-02')!).not.toBe(BigInt(shares[3]!));
  });

  it('the rule in the clear: with every income >= 1 the shares add up, at 300, 2,000 and 10,000 people', () => {
    // The rounding argument (module comment of donation.ts): the gap below the total is
    // under one cent for n <= 2^16, so the cents left over never outnumber the people
    // between floor and cap. With 2^-32 units it needed n < 256; these sizes are past that.
    for (const n of [300, 2_000, MAX_PEOPLE]) {
      const incomes = Array.from({ length: n }, () => Math.max(1, randomIncome()));
      // A total strictly between n floor and n cap, off the round numbers.
      const rule = { total: n * 7_000 + n - 1, floor: 1_000, cap: 90_001 };
      const { shares, valid } = donationPlaintext(incomes, rule);
      expect(valid).toBe(true);
      expect(shares.reduce((a, b) => a + b, 0)).toBe(rule.total);
      expect(shares.every((x) => x >= rule.floor && x <= rule.cap)).toBe(true);
    }
    expect(() => checkRule({ total: 10_001 * 100, floor: 0, cap: 100 }, MAX_PEOPLE + 1)).toThrow(
      /1 to 10000 people/,
    );
  });

  it('refuses a rule that no split can meet, naming the bound', () => {
    expect(() => checkRule({ total: 100, floor: 30, cap: 50 }, 5)).toThrow(
      /between 5 x floor = 150/,
    );
    expect(() => checkRule({ total: 100, floor: 60, cap: 50 }, 1)).toThrow(DonationRuleError);
    expect(() => checkRule({ total: 100, floor: 0, cap: MAX_CENTS + 1 }, 1)).toThrow(/cap <=/);
    expect(() => donationPlaintext([1, 2], { total: 1.5, floor: 0, cap: 1 })).toThrow(
      /whole cents/,
    );
    // All incomes 0: every person pays the floor plus at most one rounding cent.
    expect(donationPlaintext([0, 0, 0], { total: 300, floor: 100, cap: 500 })).toEqual({
      shares: [100, 100, 100],
      valid: true,
    });
    expect(donationPlaintext([0, 0, 0], { total: 301, floor: 100, cap: 500 }).shares).toEqual([
      101, 100, 100,
    ]);
    expect(donationPlaintext([0, 0, 0], { total: 304, floor: 100, cap: 500 }).valid).toBe(false);
  });
});
