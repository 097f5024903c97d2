/**
 * `entente demo wellbeing` (issue 23 item 4): the PHQ-9 survey of
 * src/apps/wellbeing.ts across five universities through the DAP path
 * (src/cli/dap-local.ts): each university a Prio3Histogram task over (year,
 * total score), every simulated student a report made by the unmodified
 * @divviup/dap client, a minimum batch size per university, a minimum cell
 * size per (university, year) and optional discrete Laplace noise at each
 * aggregator; the released figures printed beside the plaintext ones.
 */
import {
  PHQ9_BAND_NAMES,
  PHQ9_BANDS,
  PHQ9_MAX,
  PHQ9_THRESHOLD,
  STUDY_YEARS,
  students,
  UNIVERSITIES,
  WELLBEING_BUCKETS,
  wellbeingBucket,
  wellbeingHistograms,
  wellbeingSummary,
  type WellbeingCell,
} from '../apps/wellbeing.js';
import { runLocalDap, type LocalDapRun } from './dap-local.js';
import { EXIT, UsageError } from './exit.js';
import { demoIntOption } from './flags.js';
import { demoEpsilon, printRun } from './survey-demo.js';

export interface WellbeingOptions {
  readonly students: number;
  readonly minBatchSize: number;
  readonly epsilon: number | undefined;
  readonly seed: number;
  readonly progress?: (line: string) => void;
  readonly collectWaitMs?: number;
}

export interface WellbeingResult {
  /** Per university: the released (year, score) histogram, or undefined (suppressed). */
  readonly secure: (number[] | undefined)[];
  readonly plaintext: number[][];
  readonly run: LocalDapRun;
}

export async function runWellbeing(o: WellbeingOptions): Promise<WellbeingResult> {
  const ss = students(o.students, o.seed);
  const run = await runLocalDap(
    UNIVERSITIES.map((name, u) => ({
      name,
      vdaf: {
        type: 'histogram',
        length: WELLBEING_BUCKETS,
        chunkLength: Math.round(Math.sqrt(WELLBEING_BUCKETS)),
      } as const,
      measurements: ss.filter((s) => s.university === u).map(wellbeingBucket),
    })),
    {
      minBatchSize: o.minBatchSize,
      ...(o.epsilon !== undefined ? { epsilon: o.epsilon } : {}),
      ...(o.progress ? { progress: o.progress } : {}),
      ...(o.collectWaitMs !== undefined ? { collectWaitMs: o.collectWaitMs } : {}),
    },
  );
  return { secure: run.results.map((r) => r.aggregate), plaintext: wellbeingHistograms(ss), run };
}

const pct = (c: WellbeingCell) =>
  c.atRisk === undefined ? '-' : `${(100 * c.atRisk).toFixed(1)}%`;

export async function wellbeingDemo(
  positional: readonly string[],
  named: ReadonlyMap<string, string>,
): Promise<number> {
  if (positional.length > 0)
    throw new UsageError(`demo wellbeing: unexpected argument '${positional[0]}'`);
  const n = demoIntOption('wellbeing', named, 'students', 20_000, 1, 1_000_000);
  const minBatchSize = demoIntOption('wellbeing', named, 'min-batch-size', 100, 1, 1_000_000);
  const minCell = demoIntOption('wellbeing', named, 'min-cell-size', 10, 1, 1_000_000);
  const seed = demoIntOption('wellbeing', named, 'seed', 2026, 0, 2 ** 32 - 1);
  const epsilon = demoEpsilon('wellbeing', named, '1');
  console.log(
    `PHQ-9 wellbeing survey (synthetic, seed ${seed}): ${n} students of ${UNIVERSITIES.length} universities\n` +
      `each university a DAP task (Prio3Histogram of ${WELLBEING_BUCKETS} buckets: year of study x severity band of the\n` +
      `PHQ-9 total 0-${PHQ9_MAX}); each student's nine answers are summed in their browser and the (year, band)\n` +
      'is split into two shares with a proof by the @divviup/dap client, one encrypted to each\n' +
      `aggregator (Leader and Helper, this process, 127.0.0.1); a university is released only with >= ${minBatchSize}\n` +
      `reports, a year with >= ${minCell} students, ${epsilon === undefined ? 'without noise' : `with discrete Laplace noise at epsilon ${epsilon} from each aggregator`}`,
  );
  const r = await runWellbeing({
    students: n,
    minBatchSize,
    epsilon,
    seed,
    progress: (l) => process.stderr.write(`wellbeing: ${l}\n`),
  });

  let ok = true;
  let maxDiff = 0;
  console.log(
    `\nshare scoring >= ${PHQ9_THRESHOLD} (moderate depression or worse): secure [plaintext]`,
  );
  console.log(
    `${'university'.padEnd(11)} ${'n'.padStart(5)} ${Array.from({ length: STUDY_YEARS }, (_, y) => `year ${y + 1}`.padStart(16)).join('')} ${'all years'.padStart(16)}`,
  );
  UNIVERSITIES.forEach((name, u) => {
    const s = r.secure[u];
    const p = wellbeingSummary(r.plaintext[u]!, minCell);
    if (s === undefined) {
      console.log(
        `${name.padEnd(11)} ${'-'.padStart(5)} suppressed (< ${minBatchSize} reports)`.padEnd(
          17 + 16 * STUDY_YEARS,
        ) + ` [n = ${p.all.n}]`,
      );
      if (p.all.n >= minBatchSize) ok = false;
      return;
    }
    if (p.all.n < minBatchSize) ok = false;
    s.forEach((x, i) => (maxDiff = Math.max(maxDiff, Math.abs(x - r.plaintext[u]![i]!))));
    if (epsilon === undefined && s.join() !== r.plaintext[u]!.join()) ok = false;
    const q = wellbeingSummary(s, minCell);
    const cells = [...q.years, q.all].map((c, i) =>
      `${pct(c)} [${pct(i < STUDY_YEARS ? p.years[i]! : p.all)}]`.padStart(16),
    );
    console.log(`${name.padEnd(11)} ${String(q.all.n).padStart(5)} ${cells.join('')}`);
  });

  const bandText = PHQ9_BAND_NAMES.map(
    (b, i) =>
      `${b} ${PHQ9_BANDS[i]}-${i + 1 < PHQ9_BANDS.length ? PHQ9_BANDS[i + 1]! - 1 : PHQ9_MAX}`,
  ).join(', ');
  console.log(`\ndistribution of total scores, all years (${bandText}): secure [plaintext]`);
  UNIVERSITIES.forEach((name, u) => {
    const s = r.secure[u];
    const p = wellbeingSummary(r.plaintext[u]!, minCell).bands;
    const sec = s === undefined ? 'suppressed' : wellbeingSummary(s, minCell).bands.join(' ');
    console.log(`${name.padEnd(11)} ${sec.padEnd(28)} [${p.join(' ')}]`);
  });
  printRun(r.run);
  console.log(
    !ok
      ? 'check FAILED: a released histogram differs from the plaintext one, or the minimum batch size was not applied'
      : epsilon === undefined
        ? 'check: every released histogram equals the plaintext one; every university below the minimum is suppressed'
        : `check: every university below the minimum is suppressed; released counts differ from the plaintext by at most ${maxDiff} (DP noise)`,
  );
  return ok ? EXIT.ok : EXIT.failed;
}
