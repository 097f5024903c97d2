/**
 * The anti-money-laundering app of `entente demo aml` (docs/PSI.md, "Apps"):
 * four banks, each with its own accounts (account id, holder's person id)
 * and the transfers into them, look for persons who hold accounts at several
 * banks and receive a large total inflow across them, without pooling their
 * customer lists or their transfers.
 *
 * Released: only the persons seen at >= `minBanks` banks whose total inflow,
 * summed inside MPC over the banks that hold them, is at least `minInflow`
 * (threshold PSI with a sum, src/psi/threshold.ts), with that total. A
 * person below either bar is not revealed, nor is how many there are.
 *
 * The data are synthetic and deterministic from a seed (a small counter-based
 * PRNG: not for secrets, these records are made up): persons hold accounts
 * at each bank independently, some persons at two accounts of one bank
 * (duplicates inside a bank's list, counted once, their inflows added), and
 * a planted ring of mules collects structured transfers just under 10,000
 * at three or four banks.
 *
 * The second AML workload, a joint credit-risk logistic regression on
 * features held by two banks and joined privately on customer id, is
 * `runCreditRisk` in ./aml-credit.ts; `entente demo aml` runs both.
 */
import { runLocal } from '../api/run.js';
import { int } from '../api/types.js';
import { fingerprintOf, thresholdPsi } from '../psi/threshold.js';
import type { CryptoProvider } from '../random/provider.js';
import { seededUniform } from './hospitals.js';

export const AML_BANKS = ['bank-a', 'bank-b', 'bank-c', 'bank-d'] as const;

export interface Account {
  readonly account: string;
  readonly person: string;
}

export interface Transfer {
  /** The receiving account (at this bank). */
  readonly to: string;
  /** Whole currency units. */
  readonly amount: number;
}

export interface BankData {
  readonly bank: string;
  readonly accounts: Account[];
  readonly transfers: Transfer[];
}

export interface AmlOptions {
  /** Persons in the synthetic population. Default 2,000. */
  readonly persons?: number;
  /** Reveal persons seen at this many banks or more. Default 3. */
  readonly minBanks?: number;
  /** ...whose inflow across those banks is at least this. Default 100,000. */
  readonly minInflow?: number;
  readonly seed?: number;
}

export interface Flagged {
  readonly person: string;
  readonly inflow: bigint;
}

export interface AmlReport {
  /** The secure answer, as every bank received it (sorted by person). */
  readonly secure: Flagged[];
  /** The same question on the pooled data in the clear (the check). */
  readonly plaintext: Flagged[];
  /** Distinct persons per bank (public in the protocol). */
  readonly sizes: number[];
  readonly seconds: number;
  readonly bytesSent: number;
}

const MULES = 12;

/** Synthetic accounts and incoming transfers of the four banks, from `seed`. */
export function generateBanks(persons = 2000, seed = 2026): BankData[] {
  if (!Number.isSafeInteger(persons) || persons < 1)
    throw new RangeError(`aml: persons must be a positive integer, got ${persons}`);
  const u = seededUniform(seed);
  const id = (k: number) => `person-${String(k).padStart(6, '0')}`;
  const banks: BankData[] = AML_BANKS.map((bank) => ({ bank, accounts: [], transfers: [] }));
  const mules = Math.min(MULES, persons);
  for (let k = 0; k < persons; k++) {
    const mule = k < mules;
    // Ordinary customers bank at each bank with probability 0.3; mules at 3 or 4 banks.
    const at = banks.filter((_, b) => (mule ? b < 3 || u() < 0.5 : u() < 0.3));
    for (const b of at) {
      const accounts = u() < 0.1 ? 2 : 1;
      for (let a = 0; a < accounts; a++) {
        const account = `${b.bank}-${String(b.accounts.length).padStart(7, '0')}`;
        b.accounts.push({ account, person: id(k) });
        const transfers = mule ? 4 + Math.floor(u() * 4) : Math.floor(u() * 6);
        for (let t = 0; t < transfers; t++) {
          const amount = mule
            ? 9000 + Math.floor(u() * 990) // structured: just under the reporting limit
            : Math.floor(50 + 4000 * u() * u() * u() * 10);
          b.transfers.push({ to: account, amount });
        }
      }
    }
  }
  return banks;
}

/** Each bank's own view: one entry per account, the holder and the account's inflow. */
export function bankInputs(b: BankData): { persons: string[]; inflows: number[] } {
  const inflow = new Map<string, number>();
  for (const t of b.transfers) inflow.set(t.to, (inflow.get(t.to) ?? 0) + t.amount);
  return {
    persons: b.accounts.map((a) => a.person),
    inflows: b.accounts.map((a) => inflow.get(a.account) ?? 0),
  };
}

/** The answer on the pooled data in the clear. */
export function plaintextAml(banks: BankData[], minBanks: number, minInflow: number): Flagged[] {
  const seen = new Map<string, { banks: Set<string>; inflow: bigint }>();
  for (const b of banks) {
    const { persons, inflows } = bankInputs(b);
    persons.forEach((p, i) => {
      const e = seen.get(p) ?? { banks: new Set<string>(), inflow: 0n };
      e.banks.add(b.bank);
      e.inflow += BigInt(inflows[i]!);
      seen.set(p, e);
    });
  }
  return [...seen]
    .filter(([, e]) => e.banks.size >= minBanks && e.inflow >= BigInt(minInflow))
    .map(([person, e]) => ({ person, inflow: e.inflow }))
    .sort((a, b) => (a.person < b.person ? -1 : 1));
}

/**
 * Runs the four banks in this process (shamir suite, n = 4, honest
 * majority) and returns the secure answer beside the plaintext one.
 */
export async function runAml(opts: AmlOptions = {}, crypto?: CryptoProvider): Promise<AmlReport> {
  const minBanks = opts.minBanks ?? 3;
  const minInflow = opts.minInflow ?? 100_000;
  const banks = generateBanks(opts.persons ?? 2000, opts.seed ?? 2026);
  const inputs = banks.map(bankInputs);
  const t0 = performance.now();
  const out = await runLocal(
    async (s) => {
      const mine = inputs[s.party.index]!;
      const r = await thresholdPsi(
        s,
        mine.persons,
        { threshold: minBanks, valueType: int(32), minSum: minInflow, revealSums: true },
        mine.inflows,
      );
      return { r, stats: s.stats() };
    },
    { suite: 'shamir', parties: [...AML_BANKS], crypto },
  );
  const seconds = (performance.now() - t0) / 1000;
  // Every flagged person is held by >= minBanks >= 1 banks; name each from a bank that holds it.
  const names = new Map<bigint, string>();
  out.forEach((o, b) => {
    const mine = inputs[b]!.persons;
    for (const row of o.result.r.rows) names.set(fingerprintOf(mine[row]!), mine[row]!);
  });
  const first = out[0]!.result.r;
  for (const o of out)
    if (o.result.r.fingerprints.join() !== first.fingerprints.join())
      throw new Error('aml: the banks received different answers (should not happen)');
  const secure = first.fingerprints
    .map((f, i) => ({ person: names.get(f) ?? `unnamed ${f}`, inflow: first.sums![i]! }))
    .sort((a, b) => (a.person < b.person ? -1 : 1));
  return {
    secure,
    plaintext: plaintextAml(banks, minBanks, minInflow),
    sizes: first.sizes,
    seconds,
    bytesSent: out.reduce((a, o) => a + o.result.stats.bytesSent, 0),
  };
}
