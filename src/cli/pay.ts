/**
 * `entente demo pay-transparency`: the app of src/apps/pay.ts, its members
 * contributing to three compute nodes in this process, the secure answer printed
 * beside the same questions answered on the pooled pay in the clear (demo only).
 */
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { PAY_ROLES, runPayTransparency } from '../apps/pay.js';
import { EXIT, UsageError } from './exit.js';
import { demoIntOption } from './flags.js';

const money = (x: number | undefined) =>
  x === undefined ? 'suppressed' : Math.round(x).toLocaleString('en-US');
const pct = (x: number | undefined) =>
  x === undefined ? 'suppressed' : `${(100 * x).toFixed(1)}%`;

export async function payDemo(
  positional: readonly string[],
  named: ReadonlyMap<string, string>,
): Promise<number> {
  if (positional.length > 0)
    throw new UsageError(`demo pay-transparency: unexpected argument '${positional[0]}'`);
  const members = demoIntOption('pay-transparency', named, 'members', 200, 2, 5000);
  const minCell = demoIntOption('pay-transparency', named, 'min-cell-size', 5, 1, 5000);
  const seed = demoIntOption('pay-transparency', named, 'seed', 2026, 0, 2 ** 32 - 1);
  console.log(
    `pay transparency in a co-operative (synthetic, seed ${seed}, ${members} members, cells of >= ${minCell})`,
  );
  console.log(
    'each member seals additive parts of pay, role, gender and a private mask to 3 compute nodes (HPKE);\n' +
      'the nodes run rep3 (semi-honest, honest majority) and release only what follows',
  );
  const r = await runPayTransparency({ members, minCell, seed }, nodeCryptoProvider);
  const s = r.secure;
  const p = r.plaintext;
  console.log(`\n${''.padEnd(16)} ${'secure'.padStart(12)} ${'plaintext'.padStart(12)}`);
  ['first quartile', 'median', 'third quartile'].forEach((name, i) =>
    console.log(
      `${name.padEnd(16)} ${money(s.quartiles[i]).padStart(12)} ${money(p.quartiles[i]).padStart(12)}`,
    ),
  );
  console.log(
    `\n${'role'.padEnd(12)} ${'gender'.padEnd(7)} ${'members'.padStart(8)} ${'mean pay'.padStart(12)} ${'plaintext'.padStart(12)}`,
  );
  s.cells.forEach((c, i) =>
    console.log(
      `${c.role.padEnd(12)} ${c.gender.padEnd(7)} ${String(c.members ?? '-').padStart(8)} ${money(c.meanPay).padStart(12)} ${money(p.cells[i]!.meanPay).padStart(12)}`,
    ),
  );
  console.log(
    `\n${'pay gap (men - women) / men'.padEnd(30)} ${'secure'.padStart(10)} ${'plaintext'.padStart(10)}`,
  );
  PAY_ROLES.forEach((role, i) =>
    console.log(
      `  ${role.padEnd(28)} ${pct(s.gaps[i]!.gap).padStart(10)} ${pct(p.gaps[i]!.gap).padStart(10)}`,
    ),
  );
  console.log('\nown percentile (each member decodes only their own, with their mask):');
  for (const m of r.members.slice(0, 5))
    console.log(
      `  ${m.id}: paid more than ${s.ownPercentile.get(m.id)!.toFixed(1)}% of members (plaintext ${p.ownPercentile.get(m.id)!.toFixed(1)}%)`,
    );
  const same =
    s.quartiles.every((q, i) => Math.abs(q - p.quartiles[i]!) <= 1e-3) &&
    JSON.stringify(s.cells) === JSON.stringify(p.cells) &&
    [...s.ownPercentile].every(([id, v]) => v === p.ownPercentile.get(id));
  const dropped = Object.entries(s.rejected).filter(([, n]) => n > 0);
  console.log(
    `\n${s.accepted} contributions accepted${dropped.length ? `, dropped: ${dropped.map(([k, n]) => `${n} ${k}`).join(', ')}` : ''}; ` +
      `MPC ${s.seconds.toFixed(2)} s, ${s.rounds} rounds, ${(s.bytesSent / 1e6).toFixed(1)} MB sent by the 3 nodes`,
  );
  console.log(
    same
      ? 'check: every released figure and every member percentile equals the plaintext answer'
      : 'check FAILED: the secure answer differs from the plaintext answer',
  );
  return same ? EXIT.ok : EXIT.failed;
}
