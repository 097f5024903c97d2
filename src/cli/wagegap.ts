/**
 * `entente demo wage-gap`: the app of src/apps/wagegap.ts, its employers
 * contributing to three compute nodes in this process, the secure answer printed
 * beside the same figures computed on the pooled tables in the clear (demo only).
 */
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { runWageGap } from '../apps/wagegap.js';
import { EXIT, UsageError } from './exit.js';
import { demoIntOption } from './flags.js';

const pct = (x: number | undefined) =>
  x === undefined ? 'suppressed' : `${(100 * x).toFixed(1)}%`;

export async function wageGapDemo(
  positional: readonly string[],
  named: ReadonlyMap<string, string>,
): Promise<number> {
  if (positional.length > 0)
    throw new UsageError(`demo wage-gap: unexpected argument '${positional[0]}'`);
  const employers = demoIntOption('wage-gap', named, 'employers', 100, 1, 10_000);
  const minCell = demoIntOption('wage-gap', named, 'min-cell-size', 5, 1, 1_000_000);
  const seed = demoIntOption('wage-gap', named, 'seed', 2026, 0, 2 ** 32 - 1);
  console.log(
    `wage gap across ${employers} employers (synthetic, seed ${seed}): payroll tables of 240 cells\n` +
      '(10 job categories x 6 race/ethnicity x 4 gender) x 4 measures, sealed as additive parts to\n' +
      `3 compute nodes (rep3, semi-honest, honest majority); cells of fewer than ${minCell} people suppressed`,
  );
  const r = await runWageGap({ employers, minCell, seed }, nodeCryptoProvider);
  const s = r.secure;
  const p = r.plaintext;
  console.log(
    `\n${'pay gap by job category'.padEnd(26)} ${'secure'.padStart(11)} ${'plaintext'.padStart(11)}`,
  );
  s.gapByJob.forEach((g, i) =>
    console.log(
      `  ${g.job.padEnd(24)} ${pct(g.gap).padStart(11)} ${pct(p.gapByJob[i]!.gap).padStart(11)}`,
    ),
  );
  const released = s.cells.filter((c) => c.headcount !== undefined).length;
  const gaps = s.gapByJobRace.filter((g) => g.gap !== undefined).length;
  console.log(
    `\n${released} of ${s.cells.length} cells released (headcount, mean pay, bonus, tenure); ` +
      `${gaps} of ${s.gapByJobRace.length} category x race gaps`,
  );
  const same = JSON.stringify(s) === JSON.stringify(p);
  const dropped = Object.entries(r.rejected).filter(([, n]) => n > 0);
  console.log(
    `${r.accepted} tables accepted${dropped.length ? `, dropped: ${dropped.map(([k, n]) => `${n} ${k}`).join(', ')}` : ''}; ` +
      `sealing ${r.sealMsPerEmployer.toFixed(1)} ms per table at the employer; ` +
      `MPC ${r.seconds.toFixed(2)} s, ${r.rounds} rounds, ${(r.bytesSent / 1e6).toFixed(1)} MB sent by the 3 nodes`,
  );
  console.log(
    same
      ? 'check: every released cell and gap equals the plaintext answer'
      : 'check FAILED: the secure answer differs from the plaintext answer',
  );
  return same ? EXIT.ok : EXIT.failed;
}
