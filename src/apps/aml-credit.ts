/**
 * Joint credit risk across two banks: bank A holds its customers' features,
 * bank B the default outcomes of the loans it granted; a logistic regression
 * of default on A's features runs on the customers both banks have, joined
 * by customer id inside MPC (src/join), with nobody learning who is a
 * customer of both. Released: the regression's coefficients and its row
 * count (the number of common customers, which a regression reports anyway).
 * Not released: standard errors, which the statistics library's logistic
 * regression saturates at 0.5 in its scaled units (x / half-range) on these
 * data. The second half of `entente demo aml`.
 *
 * Parties: 'bank-a', 'bank-b' and a third compute party 'helper' (rep3:
 * semi-honest, honest majority: any one of the three may be curious).
 *
 * Synthetic data from a fixed seed (a counter-based generator, not for
 * secrets). Per person: income in thousands (20..200), debt-to-income ratio
 * (0..1.5) and years as a customer (0..40) at bank A; default at bank B with
 * logit p = -1 - 0.015 (income - 60) + 2.2 (debt - 0.4) - 0.04 (years - 8).
 * Each bank holds about 75% of a common population, so about 75% of each
 * bank's rows match.
 */
import { runLocal } from '../api/run.js';
import type { SecretBool, SecretFixed } from '../api/secret.js';
import { bool, fixed, int } from '../api/types.js';
import type { CryptoProvider } from '../random/provider.js';
import { logisticRegression } from '../analytics/stats/regression.js';
import { privateJoin } from '../join/join.js';
import { seededUniform } from './hospitals.js';
import { plainLogistic } from './plain-logistic.js';

export interface CreditOptions {
  /** Rows per bank (default 5000). */
  rows?: number;
  /** Seed of the synthetic data (default 2026). */
  seed?: number;
  /** Randomness of the parties (default the platform's WebCrypto). */
  crypto?: CryptoProvider;
  /** Where the report goes (default console.log); pass () => {} for silence. */
  print?: (line: string) => void;
}

export interface CreditData {
  bankA: { ids: string[]; income: number[]; debt: number[]; years: number[] };
  bankB: { ids: string[]; defaulted: boolean[] };
}

export interface CreditReport {
  features: readonly string[];
  /** Intercept first, then one coefficient per feature: the secure fit and the plaintext one (with its standard errors, for scale). */
  secure: { coefficients: number[]; n: number };
  plain: { coefficients: number[]; standardErrors: number[]; n: number };
  seconds: number;
}

export const CREDIT_FEATURES = ['income', 'debt_ratio', 'years'] as const;
const RANGES: [number, number][] = [
  [20, 200],
  [0, 1.5],
  [0, 40],
];

/** The two banks' synthetic tables (deterministic from `seed`). */
export function creditData(rows: number, seed = 2026): CreditData {
  if (!Number.isInteger(rows) || rows < 1)
    throw new RangeError(`creditData: rows must be a positive integer, got ${rows}`);
  const u = seededUniform(seed * 7919 + 17);
  const population = Math.round(rows / 0.75);
  const A: CreditData['bankA'] = { ids: [], income: [], debt: [], years: [] };
  const B: CreditData['bankB'] = { ids: [], defaulted: [] };
  const round = (v: number, q: number) => Math.round(v * q) / q;
  for (let p = 0; p < population && (A.ids.length < rows || B.ids.length < rows); p++) {
    const id = `C${String(p).padStart(8, '0')}`;
    const income = round(
      Math.min(200, Math.max(20, 60 * Math.exp(0.5 * (u() + u() + u() - 1.5)))),
      10,
    );
    const debt = round(Math.min(1.5, Math.max(0, 0.4 + 0.5 * (u() + u() + u() - 1.5))), 100);
    const years = Math.floor(u() * 41);
    const logit = -1 - 0.015 * (income - 60) + 2.2 * (debt - 0.4) - 0.04 * (years - 8);
    const defaulted = u() < 1 / (1 + Math.exp(-logit));
    if (u() < 0.75 && A.ids.length < rows) {
      A.ids.push(id);
      A.income.push(income);
      A.debt.push(debt);
      A.years.push(years);
    }
    if (u() < 0.75 && B.ids.length < rows) {
      B.ids.push(id);
      B.defaulted.push(defaulted);
    }
  }
  return { bankA: A, bankB: B };
}

/**
 * The two banks' tables as CSV files for a study with a `join` clause
 * (examples/credit): customer numbers as the integer key.
 */
export function creditCsv(rows: number, seed = 2026): { bankA: string; bankB: string } {
  const { bankA, bankB } = creditData(rows, seed);
  const num = (id: string) => String(Number(id.slice(1)));
  const a = ['customer_id,income,debt_ratio,years'];
  bankA.ids.forEach((id, i) =>
    a.push(
      `${num(id)},${bankA.income[i]!.toFixed(1)},${bankA.debt[i]!.toFixed(2)},${bankA.years[i]}`,
    ),
  );
  const b = ['customer_id,defaulted'];
  bankB.ids.forEach((id, i) => b.push(`${num(id)},${bankB.defaulted[i]}`));
  return { bankA: `${a.join('\n')}\n`, bankB: `${b.join('\n')}\n` };
}

/**
 * Runs the joint credit-risk regression with all three parties in this
 * process and prints the secure coefficients beside the plaintext ones.
 * @throws {RangeError} for bad options; a protocol failure as thrown by the parties.
 */
export async function runCreditRisk(opts: CreditOptions = {}): Promise<CreditReport> {
  const rows = opts.rows ?? 5000;
  const seed = opts.seed ?? 2026;
  const print = opts.print ?? ((line: string) => console.log(line));
  const data = creditData(rows, seed);
  const { bankA, bankB } = data;
  const t0 = performance.now();
  const out = await runLocal(
    async (s) => {
      const j = privateJoin(
        s,
        {
          party: 'bank-a',
          rows: bankA.ids.length,
          columns: [
            { name: 'income', type: fixed({ bits: 24, frac: 4 }) },
            { name: 'debt_ratio', type: fixed({ bits: 16, frac: 8 }) },
            { name: 'years', type: int(8) },
          ],
        },
        { party: 'bank-b', rows: bankB.ids.length, columns: [{ name: 'default', type: bool }] },
        {
          left:
            s.me === 'bank-a'
              ? {
                  keys: bankA.ids,
                  columns: { income: bankA.income, debt_ratio: bankA.debt, years: bankA.years },
                }
              : undefined,
          right:
            s.me === 'bank-b'
              ? { keys: bankB.ids, columns: { default: bankB.defaulted } }
              : undefined,
        },
        // Nothing row-wise is opened, so the sorted order needs no shuffle.
        { how: 'inner', shuffle: false },
      );
      const col = (name: string) => j.columns.get(name)!;
      const m = logisticRegression(
        col('default') as SecretBool,
        CREDIT_FEATURES.map((f) => col(f) as SecretFixed),
        { ranges: RANGES, where: j.weight },
      );
      // Standard errors are not released: on these data the secure inverse
      // loses precision (m.standardErrorsLost), so they would be wrong. The
      // coefficients are released only when the gradient certifies them.
      const [lost] = await m.fitLost.reveal();
      if (lost === 1n)
        throw new Error(
          'credit risk: the secure fit did not reach the maximum-likelihood estimate; the coefficients are withheld',
        );
      const [coef, n] = await s.revealAll([m.coefficients, m.n]);
      return { coef: coef as number[], n: Number((n as bigint[])[0]) };
    },
    { suite: 'rep3', parties: ['bank-a', 'bank-b', 'helper'], crypto: opts.crypto },
  );
  const seconds = (performance.now() - t0) / 1000;
  const r = out[0]!.result;

  // The plaintext join and fit.
  const labels = new Map(bankB.ids.map((id, i) => [id, bankB.defaulted[i]!]));
  const keep = bankA.ids.map((id) => labels.has(id));
  const pick = <T>(xs: readonly T[]) => xs.filter((_, i) => keep[i]);
  const y = pick(bankA.ids).map((id) => labels.get(id)!);
  const plain = plainLogistic(y, [pick(bankA.income), pick(bankA.debt), pick(bankA.years)]);

  const report: CreditReport = {
    features: CREDIT_FEATURES,
    secure: { coefficients: r.coef, n: r.n },
    plain: { ...plain, n: y.length },
    seconds,
  };
  print(
    `Joint credit risk: bank A (${bankA.ids.length} customers' features) joined with bank B ` +
      `(${bankB.ids.length} loan outcomes) on customer id inside MPC (rep3, 3 parties), ${seconds.toFixed(1)} s`,
  );
  print(
    `  logistic regression of default on ${CREDIT_FEATURES.join(', ')} over the ${r.n} joined rows (plaintext: ${y.length})`,
  );
  print(
    `  ${'term'.padEnd(12)} ${'secure'.padStart(10)} ${'plaintext'.padStart(10)} ${'(se)'.padStart(9)}`,
  );
  ['(intercept)', ...CREDIT_FEATURES].forEach((name, k) =>
    print(
      `  ${name.padEnd(12)} ${r.coef[k]!.toFixed(4).padStart(10)} ${plain.coefficients[k]!.toFixed(4).padStart(10)} ${`(${plain.standardErrors[k]!.toFixed(4)})`.padStart(9)}`,
    ),
  );
  return report;
}
