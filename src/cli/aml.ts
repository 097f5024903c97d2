/**
 * `entente demo aml`: the anti-money-laundering app of src/apps/aml.ts, its
 * four banks in this process, the secure answer printed beside the same
 * question answered on the pooled records in the clear (demo only).
 */
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { runAml } from '../apps/aml.js';
import { runCreditRisk } from '../apps/aml-credit.js';
import { EXIT, UsageError } from './exit.js';
import { demoIntOption } from './flags.js';

export async function amlDemo(
  positional: readonly string[],
  named: ReadonlyMap<string, string>,
): Promise<number> {
  if (positional.length > 0)
    throw new UsageError(`demo aml: unexpected argument '${positional[0]}'`);
  const persons = demoIntOption('aml', named, 'persons', 2000, 1, 1_000_000);
  const minBanks = demoIntOption('aml', named, 'min-banks', 3, 1, 4);
  const minInflow = demoIntOption('aml', named, 'min-inflow', 100_000, 0, 2 ** 40);
  const seed = demoIntOption('aml', named, 'seed', 2026, 0, 2 ** 32 - 1);
  const creditRows = demoIntOption('aml', named, 'credit-rows', 2000, 10, 100_000);
  console.log(
    `AML across four banks (synthetic, seed ${seed}, ${persons} persons): persons at >= ${minBanks} banks with inflow >= ${minInflow}`,
  );
  console.log(
    'threshold PSI with sums inside MPC: shamir suite, 4 parties in this process, semi-honest, honest majority',
  );
  const r = await runAml({ persons, minBanks, minInflow, seed }, nodeCryptoProvider);
  console.log(`distinct persons per bank (public): ${r.sizes.join(', ')}`);
  const plain = new Map(r.plaintext.map((f) => [f.person, f.inflow]));
  const secure = new Map(r.secure.map((f) => [f.person, f.inflow]));
  const names = [...new Set([...plain.keys(), ...secure.keys()])].sort();
  console.log(
    `  ${'person'.padEnd(14)} ${'secure inflow'.padStart(14)} ${'plaintext'.padStart(14)}`,
  );
  for (const p of names)
    console.log(
      `  ${p.padEnd(14)} ${String(secure.get(p) ?? '-').padStart(14)} ${String(plain.get(p) ?? '-').padStart(14)}`,
    );
  const same =
    names.length === secure.size &&
    names.length === plain.size &&
    names.every((p) => secure.get(p) === plain.get(p));
  console.log(
    `released ${r.secure.length} persons in ${r.seconds.toFixed(2)} s, ${(r.bytesSent / 1e6).toFixed(1)} MB sent in all; ` +
      (same ? 'matches the plaintext answer' : 'DIFFERS from the plaintext answer'),
  );
  // The second workload: a joint credit-risk regression on the private join of
  // bank A's features and bank B's loan outcomes (src/apps/aml-credit.ts).
  console.log('');
  const credit = await runCreditRisk({ rows: creditRows, seed, crypto: nodeCryptoProvider });
  // Newton's fixed point in fixed arithmetic against double precision: a few 1e-3.
  const close = credit.secure.coefficients.every(
    (b, k) =>
      Math.abs(b - credit.plain.coefficients[k]!) <= 0.05 * credit.plain.standardErrors[k]! + 1e-3,
  );
  console.log(
    close
      ? '  the secure coefficients are within 5% of a standard error of the plaintext fit'
      : '  the secure coefficients DIFFER from the plaintext fit by more than 5% of a standard error',
  );
  return same && close ? EXIT.ok : EXIT.failed;
}
