/**
 * `entente demo survey` (issue 17 item 6): the city satisfaction survey of
 * src/apps/city-survey.ts through the DAP path (src/cli/dap-local.ts): each
 * district a Prio3Histogram task of five ratings, every simulated respondent
 * a report made by the unmodified @divviup/dap client, a minimum batch size
 * per district and optional discrete Laplace noise at each aggregator; the
 * released histograms printed beside the plaintext ones.
 */
import {
  CITY_DISTRICTS,
  cityHistograms,
  cityRespondents,
  SATISFACTION_LEVELS,
} from '../apps/city-survey.js';
import { runLocalDap, type LocalDapRun } from './dap-local.js';
import { EXIT, UsageError } from './exit.js';
import { demoIntOption } from './flags.js';

export interface CitySurveyOptions {
  readonly respondents: number;
  readonly minBatchSize: number;
  readonly epsilon: number | undefined;
  readonly seed: number;
  readonly progress?: (line: string) => void;
  readonly collectWaitMs?: number;
}

export interface CitySurveyResult {
  /** Per district: the released histogram of ratings, or undefined (suppressed). */
  readonly secure: (number[] | undefined)[];
  readonly plaintext: number[][];
  readonly run: LocalDapRun;
}

export async function runCitySurvey(o: CitySurveyOptions): Promise<CitySurveyResult> {
  const rs = cityRespondents(o.respondents, o.seed);
  const run = await runLocalDap(
    CITY_DISTRICTS.map((name, d) => ({
      name,
      vdaf: { type: 'histogram', length: SATISFACTION_LEVELS.length, chunkLength: 2 } as const,
      measurements: rs.filter((r) => r.district === d).map((r) => r.rating),
    })),
    {
      minBatchSize: o.minBatchSize,
      ...(o.epsilon !== undefined ? { epsilon: o.epsilon } : {}),
      ...(o.progress ? { progress: o.progress } : {}),
      ...(o.collectWaitMs !== undefined ? { collectWaitMs: o.collectWaitMs } : {}),
    },
  );
  return { secure: run.results.map((r) => r.aggregate), plaintext: cityHistograms(rs), run };
}

/** --epsilon E or 'none' (default `dflt`), for the survey demos. */
export function demoEpsilon(
  demo: string,
  named: ReadonlyMap<string, string>,
  dflt: string,
): number | undefined {
  const eps = named.get('epsilon') ?? dflt;
  const epsilon = eps === 'none' ? undefined : Number(eps);
  if (epsilon !== undefined && !(epsilon > 0 && epsilon <= 64))
    throw new UsageError(`demo ${demo}: --epsilon must be in (0, 64] or 'none', got '${eps}'`);
  return epsilon;
}

/** The demos' summary of a run: rates and rejections, on stdout. */
export function printRun(run: LocalDapRun): void {
  const rej = Object.entries(run.rejected);
  console.log(
    `\n${run.reports} reports: upload ${run.uploadSeconds.toFixed(1)} s (${(run.reports / run.uploadSeconds).toFixed(0)}/s), ` +
      `aggregation and collection ${run.aggregateSeconds.toFixed(1)} s; end to end ` +
      `${(run.reports / (run.uploadSeconds + run.aggregateSeconds)).toFixed(0)} reports/s` +
      (rej.length
        ? `; rejected: ${rej.map(([k, n]) => `${n} ${k}`).join(', ')}`
        : '; none rejected'),
  );
}

export async function surveyDemo(
  positional: readonly string[],
  named: ReadonlyMap<string, string>,
): Promise<number> {
  if (positional.length > 0)
    throw new UsageError(`demo survey: unexpected argument '${positional[0]}'`);
  const respondents = demoIntOption('survey', named, 'respondents', 1500, 1, 1_000_000);
  const minBatchSize = demoIntOption('survey', named, 'min-batch-size', 100, 1, 1_000_000);
  const seed = demoIntOption('survey', named, 'seed', 2026, 0, 2 ** 32 - 1);
  const epsilon = demoEpsilon('survey', named, '1');
  console.log(
    `city satisfaction survey (synthetic, seed ${seed}): ${respondents} respondents in ${CITY_DISTRICTS.length} districts\n` +
      `each district a DAP task (Prio3Histogram of ${SATISFACTION_LEVELS.length} ratings); each respondent's rating is\n` +
      'split into two shares with a proof by the @divviup/dap client, one share encrypted to each of\n' +
      'two aggregators (Leader and Helper, this process, 127.0.0.1); released per district only with\n' +
      `>= ${minBatchSize} reports, ${epsilon === undefined ? 'without noise' : `with discrete Laplace noise at epsilon ${epsilon} from each aggregator`}`,
  );
  const r = await runCitySurvey({
    respondents,
    minBatchSize,
    epsilon,
    seed,
    progress: (l) => process.stderr.write(`survey: ${l}\n`),
  });
  const head = ['v.dissat', 'dissat', 'neutral', 'satisf', 'v.satisf'];
  console.log(
    `\n${'district'.padEnd(12)} ${'n'.padStart(6)}  ${head.map((h) => h.padStart(9)).join('')}   plaintext`,
  );
  let ok = true;
  let maxDiff = 0;
  CITY_DISTRICTS.forEach((d, i) => {
    const s = r.secure[i];
    const p = r.plaintext[i]!;
    const n = p.reduce((a, b) => a + b, 0);
    const plain = p.join(' ');
    if (s === undefined) {
      console.log(
        `${d.padEnd(12)} ${'-'.padStart(6)}  ${`suppressed (< ${minBatchSize} reports)`.padEnd(5 * 9)}   ${plain} (n = ${n})`,
      );
      if (n >= minBatchSize) ok = false;
      return;
    }
    const sn = s.reduce((a, b) => a + b, 0);
    console.log(
      `${d.padEnd(12)} ${String(sn).padStart(6)}  ${s.map((x) => String(x).padStart(9)).join('')}   ${plain}`,
    );
    if (n < minBatchSize) ok = false;
    s.forEach((x, j) => (maxDiff = Math.max(maxDiff, Math.abs(x - p[j]!))));
    if (epsilon === undefined && s.join() !== p.join()) ok = false;
  });
  const city = r.secure.every((s) => s !== undefined)
    ? r.secure.reduce((a, s) => a.map((x, j) => x + s![j]!), new Array<number>(5).fill(0))
    : undefined;
  if (city)
    console.log(
      `${'city'.padEnd(12)} ${String(city.reduce((a, b) => a + b, 0)).padStart(6)}  ${city.map((x) => String(x).padStart(9)).join('')}`,
    );
  printRun(r.run);
  console.log(
    !ok
      ? 'check FAILED: a released histogram differs from the plaintext one, or the minimum batch size was not applied'
      : epsilon === undefined
        ? 'check: every released histogram equals the plaintext one; every district below the minimum is suppressed'
        : `check: every district below the minimum is suppressed; released counts differ from the plaintext by at most ${maxDiff} (DP noise)`,
  );
  return ok ? EXIT.ok : EXIT.failed;
}
