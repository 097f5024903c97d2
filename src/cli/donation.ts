/**
 * `entente demo donation`: the app of src/apps/donation.ts, its people contributing
 * their incomes to three compute nodes in this process, each person's share (decoded by
 * that person alone) printed beside the same rule applied to the incomes in the clear
 * (demo only: a real person would see one line, their own).
 */
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { MAX_CENTS, MAX_PEOPLE, runDonation } from '../apps/donation.js';
import { EXIT, UsageError } from './exit.js';
import { demoIntOption } from './flags.js';

const money = (cents: number | undefined) =>
  cents === undefined ? '-' : (cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2 });

export async function donationDemo(
  positional: readonly string[],
  named: ReadonlyMap<string, string>,
): Promise<number> {
  if (positional.length > 0)
    throw new UsageError(`demo donation: unexpected argument '${positional[0]}'`);
  const maxUnits = Math.floor(MAX_CENTS / 100);
  const people = demoIntOption('donation', named, 'people', 12, 5, MAX_PEOPLE);
  const total = demoIntOption('donation', named, 'total', 100 * people, 1, 50 * maxUnits);
  const floor = demoIntOption('donation', named, 'floor', 30, 0, maxUnits);
  const cap = demoIntOption('donation', named, 'cap', 200, 0, maxUnits);
  const seed = demoIntOption('donation', named, 'seed', 2026, 0, 2 ** 32 - 1);
  if (floor > cap || total < people * floor || total > people * cap)
    throw new UsageError(
      `demo donation: need --floor <= --cap and ${people} x floor <= --total <= ${people} x cap, got total ${total}, floor ${floor}, cap ${cap}`,
    );
  const rule = { total: 100 * total, floor: 100 * floor, cap: 100 * cap };
  console.log(
    `a donation of ${money(rule.total)} split among ${people} people (synthetic incomes, seed ${seed}):\n` +
      `each pays in proportion to income, at least ${money(rule.floor)} and at most ${money(rule.cap)};\n` +
      'each person seals additive parts of their income and a one-time mask to 3 compute nodes (HPKE);\n' +
      'the nodes run shamir (semi-honest, honest majority), find the split without seeing any income,\n' +
      "and open only whether the shares add up and, per person, the share under that person's mask",
  );
  const r = await runDonation({ people, seed, rule }, nodeCryptoProvider);
  console.log(
    `\n${'person'.padEnd(10)} ${'income'.padStart(12)} ${'share (secure)'.padStart(15)} ${'plaintext'.padStart(12)}`,
  );
  r.people.forEach((p, i) =>
    console.log(
      `${p.id.padEnd(10)} ${p.income.toLocaleString('en-US').padStart(12)} ${money(r.secure.shares.get(p.id)).padStart(15)} ${money(r.plaintext.shares[i]).padStart(12)}`,
    ),
  );
  const sum = [...r.secure.shares.values()].reduce((a, b) => a + b, 0);
  const same =
    r.secure.valid === r.plaintext.valid &&
    r.people.every(
      (p, i) => !r.secure.valid || r.secure.shares.get(p.id) === r.plaintext.shares[i],
    );
  console.log(
    `\n(income and the plaintext column are printed here for the check only; no node sees them)\n` +
      `check inside MPC: the shares add up to the total: ${r.secure.valid ? 'yes' : 'no, nothing released'}` +
      (r.secure.valid ? ` (decoded shares sum to ${money(sum)})` : '') +
      `\nMPC ${r.seconds.toFixed(2)} s, ${r.rounds} rounds, ${(r.bytesSent / 1e6).toFixed(1)} MB sent by the 3 nodes`,
  );
  console.log(
    same
      ? 'check: every share equals the rule applied in the clear'
      : 'check FAILED: the secure answer differs from the plaintext answer',
  );
  return same && r.secure.valid ? EXIT.ok : EXIT.failed;
}
