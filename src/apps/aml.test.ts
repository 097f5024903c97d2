import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { bankInputs, generateBanks, plaintextAml, runAml } from './aml.js';

describe('entente demo aml (four banks, threshold PSI with sums)', () => {
  it('releases exactly the plaintext answer: persons at >= 3 banks over the inflow threshold', async () => {
    const opts = { persons: 150, minBanks: 3, minInflow: 60_000, seed: 7 };
    const r = await runAml(opts, nodeCryptoProvider);
    expect(r.secure).toEqual(r.plaintext);
    // The check is not vacuous: some persons pass, and some at >= 3 banks do not.
    const banks = generateBanks(150, 7);
    const atThree = plaintextAml(banks, 3, 0);
    expect(r.plaintext.length).toBeGreaterThan(0);
    expect(atThree.length).toBeGreaterThan(r.plaintext.length);
    expect(r.sizes).toEqual(banks.map((b) => new Set(b.accounts.map((a) => a.person)).size));
  }, 60_000);

  it('makes the same banks from the same seed, with persons holding two accounts at a bank', () => {
    const a = generateBanks(300, 11);
    expect(generateBanks(300, 11)).toEqual(a);
    expect(generateBanks(300, 12)).not.toEqual(a);
    const persons = bankInputs(a[0]!).persons;
    expect(new Set(persons).size).toBeLessThan(persons.length);
  });
});
