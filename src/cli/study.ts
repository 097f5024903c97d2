/**
 * `entente study` and `entente demo`: run a study file.
 *
 *   entente study STUDY [--suite S] [--out DIR] [--data-dir DIR] [--analyses ID,...] [--in-process] [--timeout-ms T] [--sequential]
 *       every party of the study as its own process on this machine, linked by
 *       TLS 1.3 on 127.0.0.1 with fresh keys (like `entente local`); prints the
 *       report and writes report.json / report.md to --out (default: STUDY's
 *       folder/report). --in-process runs every party in this process instead.
 *       --delay-ms D adds a one-way delay of D ms to every message (a simulated
 *       wide-area link, src/transport/delay.ts), for measuring.
 *       The analyses run concurrently, each on a channel of its own;
 *       --sequential runs them one after another (for debugging).
 *   entente study STUDY --dry-run [--rtt 100ms] [--suite S] [--data-dir DIR] [--analyses ID,...]
 *       the study as a plan (issue 24): rounds per analysis and the estimated
 *       time at each RTT, from a dry run with every party in this process over
 *       the in-memory transport (src/api/estimate.ts); prints no result and
 *       writes no report.
 *   entente study STUDY --federation FILE --party ID [--data FILE] [--out DIR] [--ledger FILE]
 *                       [--key K --cert C | --identity F] [--listen ADDR] [--session ID]
 *       one party of a real deployment (docs/OPERATIONS.md): validates the study
 *       and this party's own data, charges the run's privacy spend to the
 *       party's ledger (src/cli/ledger.ts), then runs over the federation.
 *       Local runs take --ledger-dir DIR (ledgers DIR/ID.ledger.json).
 *   entente demo [--rows N] [--suite S] [--in-process]
 *       the bundled hospital study (examples/hospitals): generates the synthetic
 *       records if missing, runs the study, and shows each result beside the
 *       plaintext answer on the pooled records (computed for the demo only).
 *
 * Exit status, the same in every mode: 0 on success; 1 when the computation
 * or a link fails; 2 for a bad study, bad data, an over-budget study or bad
 * flags (nothing computed). Every party's data is checked before any key is
 * made or process started, so a typo in a data file is reported at once.
 */
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import {
  dataPath,
  loadPartyData,
  loadStudy,
  UnreadableDataFile,
  type LoadedStudy,
} from '../adapters/node/data.js';
import { countRounds, ESTIMATE_NOTE, estimateSeconds } from '../api/estimate.js';
import { runLocal } from '../api/run.js';
import { DataError, SpecError } from '../analytics/data/errors.js';
import { nearest } from '../analytics/data/reader.js';
import type { Table } from '../analytics/data/table.js';
import { countingReference, poolTables } from '../analytics/study/reference.js';
import { terminalReport, type ReferenceRows } from '../analytics/study/report.js';
import type { StudyOutcome } from '../analytics/study/result.js';
import { isCounting } from '../analytics/study/counting.js';
import { checkRunnable, runStudy, studyDigest, StudyRefused } from '../analytics/study/runner.js';
import { spend, type Study } from '../analytics/study/spec.js';
import { charge } from './ledger.js';
import { STATISTICS, STATISTICS_REFERENCE } from '../analytics/study/statistics.js';
import { generatePatients, HOSPITALS, patientsCsv } from '../apps/hospitals.js';
import { SUITES, suiteByName } from '../suites/index.js';
import { describeFailures, launchParties } from './launch.js';
import { EXIT, signalExit } from './exit.js';
import { rttFlag } from './flags.js';
import { computing, runFederated, UsageError } from './net.js';
import { writeReports } from './study-report.js';

type Named = ReadonlyMap<string, string>;

/** The program module every party process runs (absolute, so any working folder works). */
// Beside this file: .ts in the repository (run through tsx), .js once compiled to dist/.
const PROGRAM = fileURLToPath(
  new URL(`./study-program${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);
/** The bundled study. */
const HOSPITAL_STUDY = fileURLToPath(
  new URL('../../examples/hospitals/study.yaml', import.meta.url),
);

function intOption(named: Named, name: string, dflt: number, min: number, max: number): number {
  const v = named.get(name);
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!Number.isInteger(x) || x < min || x > max)
    throw new UsageError(`--${name}: expected an integer in ${min}..${max}, got '${v}'`);
  return x;
}

/**
 * Loads and checks a study; its problems are usage errors (exit 2), reported
 * before anything runs. The demo (`available`) instead leaves out analyses
 * this build cannot compute yet, and says so.
 */
async function prepare(file: string, available = false, only?: string): Promise<LoadedStudy> {
  try {
    const loaded = selectAnalyses(
      await loadStudy(file, { knownSuites: Object.keys(SUITES) }),
      only,
    );
    if (available) {
      const missing = loaded.study.analyses.filter(
        (a) => !isCounting(a) && STATISTICS[a.type] === undefined,
      );
      if (missing.length > 0) {
        console.error(
          `NOTE: this build cannot compute ${missing.map((a) => `'${a.id}' (${a.type})`).join(', ')} yet; the demo runs the other analyses`,
        );
        const study = {
          ...loaded.study,
          analyses: loaded.study.analyses.filter((a) => !missing.includes(a)),
        };
        return { ...loaded, study };
      }
    }
    checkRunnable(loaded.study, { implementations: STATISTICS });
    return loaded;
  } catch (e) {
    if (e instanceof SpecError || e instanceof StudyRefused) throw new UsageError(e.message);
    throw e;
  }
}

/** A data file given on the command line in place of the study's, and the flag that gave it. */
type DataOverride = { file: string; flag: string } | undefined;

/**
 * One party's data, checked against the schema. Its problems are usage errors
 * (exit 2): a file that is not there is reported at the study field (or flag)
 * that names it, a bad record at its file, line and column.
 */
async function loadOwn(
  loaded: LoadedStudy,
  party: string,
  override?: DataOverride,
  checkOnly = false,
): Promise<Table | undefined> {
  const p = loaded.study.parties.find((x) => x.id === party);
  if (!p) {
    const ids = loaded.study.parties.map((x) => x.id);
    const meant = nearest(party, ids);
    throw new UsageError(
      `--party: '${party}' is not a party of the study (${meant ? `did you mean '${meant}'?` : `its parties: ${ids.join(', ')}`})`,
    );
  }
  try {
    return await loadPartyData(loaded, party, override, undefined, process.env, { checkOnly });
  } catch (e) {
    if (e instanceof DataError || e instanceof SpecError || e instanceof UnreadableDataFile)
      throw new UsageError(e.message);
    throw e;
  }
}

/**
 * Every party's data, checked before anything is linked or computed: a typo
 * in one file is reported at once, with the problems of every other file.
 */
async function loadEvery(
  loaded: LoadedStudy,
  dataOf: (id: string) => DataOverride,
  checkOnly: boolean,
): Promise<Map<string, Table | undefined>> {
  const tables = new Map<string, Table | undefined>();
  const problems: string[] = [];
  for (const { id } of loaded.study.parties) {
    try {
      tables.set(id, await loadOwn(loaded, id, dataOf(id), checkOnly));
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      problems.push(e.message);
    }
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return tables;
}

/** `entente study ...`: see the module comment. */
export async function study(positional: readonly string[], named: Named): Promise<number> {
  const file = positional[0];
  if (!file)
    throw new UsageError(
      'study: name a study file, e.g. entente study examples/hospitals/study.yaml',
    );
  if (named.has('federation')) return party(file, named);
  return runAll(file, named, false);
}

/**
 * The study with only the analyses named in `only` (comma-separated ids), in
 * the study's order. @throws {UsageError} for an id that is not in the study.
 */
export function selectAnalyses(loaded: LoadedStudy, only: string | undefined): LoadedStudy {
  if (only === undefined) return loaded;
  const ids = only.split(',').filter((x) => x !== '');
  const known = loaded.study.analyses.map((a) => a.id);
  const unknown = ids.filter((id) => !known.includes(id));
  if (unknown.length > 0) {
    const meant = unknown.map((id) => nearest(id, known));
    throw new UsageError(
      meant.every((m) => m !== undefined)
        ? `--analyses: ${unknown.map((id, i) => `'${id}' is not in the study (did you mean '${meant[i]}'?)`).join('; ')}`
        : `--analyses: ${unknown.join(', ')} not in the study (its analyses: ${known.join(', ')})`,
    );
  }
  return {
    ...loaded,
    study: { ...loaded.study, analyses: loaded.study.analyses.filter((a) => ids.includes(a.id)) },
  };
}

/** One party over a federation: validate the study and our own data first, then run. */
async function party(file: string, named: Named): Promise<number> {
  const id = named.get('party');
  if (!id) throw new UsageError('study: --party is required with --federation');
  const only = named.get('analyses');
  const loaded = await prepare(file, false, only);
  const dataOverride = named.get('data');
  // Nothing is linked or computed when our own data is bad (checked only: the program
  // computes the aggregates).
  await loadOwn(
    loaded,
    id,
    dataOverride ? { file: dataOverride, flag: '--data' } : undefined,
    true,
  );
  const ledger = named.get('ledger');
  if (ledger !== undefined) {
    // Charged before computing; refused (exit 2, nothing linked) when over the owner's budget.
    const spent = spend(loaded.study.analyses);
    const digest = Array.from(studyDigest(loaded.study), (b) =>
      b.toString(16).padStart(2, '0'),
    ).join('');
    const r = await charge(resolve(ledger), { study: loaded.study.name, digest, ...spent });
    console.error(
      `ledger ${ledger}: this run spends epsilon ${spent.epsilon}; spent so far epsilon ${r.spentEpsilon} of ${r.budget.epsilon}`,
    );
  }
  process.env.ENTENTE_STUDY = resolve(file);
  if (dataOverride) process.env.ENTENTE_STUDY_DATA = resolve(dataOverride);
  const outcome = named.get('outcome');
  if (outcome) process.env.ENTENTE_STUDY_OUTCOME = resolve(outcome);
  const out = named.get('out');
  if (out) process.env.ENTENTE_STUDY_OUT = resolve(out);
  if (named.get('quiet') === '1') process.env.ENTENTE_STUDY_QUIET = '1';
  if (only !== undefined) process.env.ENTENTE_STUDY_ANALYSES = only;
  if (named.get('sequential') !== undefined) process.env.ENTENTE_STUDY_SEQUENTIAL = '1';
  const forward = new Map(named);
  for (const k of ['data', 'outcome', 'out', 'quiet', 'analyses', 'ledger', 'sequential'])
    forward.delete(k);
  if (!forward.has('suite') && loaded.study.suite) forward.set('suite', loaded.study.suite);
  return runFederated(PROGRAM, forward);
}

/** Every party of the study on this machine: separate processes over TLS, or in this process. */
async function runAll(file: string, named: Named, demo: boolean): Promise<number> {
  const loaded = await prepare(file, demo, named.get('analyses'));
  const st = loaded.study;
  const suite = named.get('suite') ?? st.suite ?? 'rep3';
  const factory = suiteByName(suite);
  if (st.parties.length < factory.minParties || st.parties.length > factory.maxParties)
    throw new UsageError(
      `suite ${suite} needs ${factory.minParties}..${factory.maxParties} parties; the study has ${st.parties.length}`,
    );
  const dataDir = named.get('data-dir');
  const dataOf = (id: string): DataOverride => {
    const p = dataPath(loaded, id);
    return p === undefined || dataDir === undefined
      ? undefined
      : { file: join(dataDir, basename(p)), flag: '--data-dir' };
  };
  const outDir = resolve(named.get('out') ?? join(loaded.dir, 'report'));
  const timeoutMs = intOption(named, 'timeout-ms', 1_800_000, 1_000, 86_400_000);
  const delayMs = intOption(named, 'delay-ms', 0, 0, 60_000);
  const rtt = named.get('rtt');
  const rtts = rtt === undefined ? [0, 10, 50, 100] : [rttFlag(rtt)];
  const dryRun = named.get('dry-run') !== undefined;
  if (rtt !== undefined && !dryRun) throw new UsageError('--rtt: only with --dry-run');
  if (dryRun && delayMs > 0)
    throw new UsageError(
      '--delay-ms: not with --dry-run (it runs without delay; --rtt sets the estimate)',
    );
  const parties = st.parties.map((p) => p.id);
  console.error(
    `${st.name}: ${parties.length} parties (${parties.join(', ')}), suite ${suite}, ${st.analyses.length} analyses`,
  );
  // Every party's data is checked here, in every mode, before any key is made
  // or any process starts: a bad file costs a moment, not a start-up.
  // Party processes load their own data: here the checks alone (no aggregate is computed
  // twice), except for the demo's pooled reference, an in-process run and a dry run, which
  // use the tables.
  const inProcess = named.get('in-process') !== undefined;
  const tables = await loadEvery(loaded, dataOf, !inProcess && !demo && !dryRun);
  if (dryRun) {
    const plan = await computing(() => studyRoundPlan(st, suite, tables));
    console.log(formatStudyPlan(plan, rtts));
    return 0;
  }

  let outcome: StudyOutcome;
  const sequential = named.get('sequential') !== undefined;
  if (inProcess) {
    const outs = await computing(() =>
      runLocal(
        (s) =>
          runStudy(s, st, tables.get(s.me), {
            implementations: STATISTICS,
            sequential,
            progress: s.me === parties[0] ? (m) => console.error(`[${s.me}] ${m}`) : undefined,
          }),
        { suite, parties, crypto: nodeCryptoProvider, roundTimeoutMs: 600_000, delayMs },
      ),
    );
    outcome = outs[0]!.result;
    agree(outs.map((o) => ({ id: o.party, outcome: o.result })));
  } else {
    // Each party process reads its own file again; this copy is only kept for the demo.
    if (!demo) tables.clear();
    const ledgerDir = named.get('ledger-dir');
    const r = await processes(
      loaded,
      suite,
      dataOf,
      timeoutMs,
      ledgerDir && resolve(ledgerDir),
      delayMs,
      sequential,
    );
    if (typeof r === 'number') return r;
    outcome = r;
  }

  let reference: ReferenceRows | undefined;
  if (demo) {
    // Demo only: every party's records in one place, to show that the secure answers are right.
    const pooled = parties.flatMap((id) => tables.get(id) ?? []);
    reference = pooledReference(st, pooled);
  }
  console.log('\n' + terminalReport(outcome, reference));
  const written = await writeReports(outDir, outcome, reference);
  console.log(`\nReports: ${written.join(', ')}`);
  return 0;
}

/** A study's rounds as a plan: the whole run and each analysis, from a dry run. */
export interface StudyRoundPlan {
  study: string;
  suite: string;
  /** Every round of the run (agreeing on the study, inputting the data, every analysis). */
  total: { rounds: number; computeSeconds: number };
  analyses: Array<{ id: string; title: string; rounds: number; computeSeconds: number }>;
}

/**
 * Counts the rounds of `study` under `suite` on these tables by a dry run:
 * every party in this process over the in-memory transport, the results
 * discarded (src/api/estimate.ts says what the counts mean).
 */
export async function studyRoundPlan(
  st: Study,
  suite: string,
  tables: ReadonlyMap<string, Table | undefined>,
): Promise<StudyRoundPlan> {
  const run = await countRounds(
    (s) => runStudy(s, st, tables.get(s.me), { implementations: STATISTICS }),
    suite,
    st.parties.map((p) => p.id),
    nodeCryptoProvider,
  );
  const first = run.results[0]!;
  return {
    study: st.name,
    suite,
    total: { rounds: run.rounds, computeSeconds: run.computeSeconds },
    analyses: first.analyses.map((a) => ({
      id: a.id,
      title: a.title,
      rounds: a.rounds,
      computeSeconds: a.seconds,
    })),
  };
}

/** The plan as a table: rounds and estimated seconds at each RTT, per analysis and in all. */
export function formatStudyPlan(plan: StudyRoundPlan, rttsMs: readonly number[]): string {
  const head = rttsMs.map((r) => `~s @${r}ms`.padStart(11)).join('');
  const line = (label: string, c: { rounds: number; computeSeconds: number }) =>
    `  ${label.padEnd(30)} ${String(c.rounds).padStart(7)} ${c.computeSeconds.toFixed(2).padStart(9)}` +
    rttsMs.map((r) => estimateSeconds(c, r).toFixed(1).padStart(11)).join('');
  const inAnalyses = plan.analyses.reduce((n, a) => n + a.rounds, 0);
  return [
    `${plan.study}: the plan under ${plan.suite} (estimated time at each round-trip time between the parties)`,
    `  ${'analysis'.padEnd(30)} ${'rounds'.padStart(7)} ${'compute s'.padStart(9)}${head}`,
    ...plan.analyses.map((a) => line(a.id, a)),
    line('whole study', plan.total),
    plan.total.rounds >= inAnalyses
      ? `  (the whole study's rounds include ${plan.total.rounds - inAnalyses} for setting up the suite, agreeing on the study and inputting the data)`
      : `  (the analyses overlap: the whole study takes fewer rounds than their sum)`,
    ...wrap(ESTIMATE_NOTE, 96).map((l) => `  ${l}`),
  ].join('\n');
}

/** `text` in lines of at most `width` characters, broken at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * Demo only: each analysis computed in the clear on every party's records
 * pooled in one place, to show beside the secure answers.
 */
export function pooledReference(st: Study, tables: readonly Table[]): ReferenceRows {
  const pooled = poolTables(tables);
  const ref = new Map<string, ReturnType<typeof countingReference> & object>();
  for (const a of st.analyses) {
    const rows = countingReference(pooled, a) ?? STATISTICS_REFERENCE[a.type]?.(pooled, a, st);
    if (rows) ref.set(a.id, rows);
  }
  return ref;
}

/** Checks that every party got the same released values (they must: all open the same shares). */
function agree(outcomes: ReadonlyArray<{ id: string; outcome: StudyOutcome }>): void {
  const released = (o: StudyOutcome) =>
    JSON.stringify(o.analyses.map((a) => [a.id, a.rows, a.curves ?? []]));
  const first = released(outcomes[0]!.outcome);
  for (const o of outcomes.slice(1))
    if (released(o.outcome) !== first)
      throw new Error(`parties ${outcomes[0]!.id} and ${o.id} report different results`);
}

/** Log lines of a normal run that the combined output leaves out. */
const ROUTINE =
  /^entente\[[^\]]+\]: (connected|accepted|federation|linked to|link to party .* finished and closed the connection)/;

/**
 * One `entente study --federation` process per party with fresh keys and a
 * federation on free loopback ports; returns party 1's outcome, or an exit status.
 */
async function processes(
  loaded: LoadedStudy,
  suite: string,
  dataOf: (id: string) => DataOverride,
  timeoutMs: number,
  ledgerDir: string | undefined,
  delayMs: number,
  sequential: boolean,
): Promise<StudyOutcome | number> {
  const ids = loaded.study.parties.map((p) => p.id);
  // A step that runs long (a model fit over every record) shows that it is still going.
  let lastProgress: { text: string; at: number } | undefined;
  let ticker: ReturnType<typeof setInterval> | undefined;
  try {
    return await launchParties(
      {
        ids,
        suite,
        name: 'study-local',
        sessionPrefix: 'study',
        // Long local steps (a comparison over every record) may take a while per round.
        timeouts: { connectMs: 60_000, roundMs: 600_000 },
        tmpPrefix: 'entente-study-',
        args: ({ id, federation, dir }) => {
          const data = dataOf(id);
          return [
            'study',
            loaded.file,
            '--federation',
            federation,
            '--party',
            id,
            '--suite',
            suite,
            '--outcome',
            join(dir, `${id}.outcome.json`),
            '--quiet',
            '1',
            '--analyses',
            loaded.study.analyses.map((a) => a.id).join(','),
            ...(data ? ['--data', resolve(data.file)] : []),
            ...(ledgerDir ? ['--ledger', join(ledgerDir, `${id}.ledger.json`)] : []),
            ...(delayMs > 0 ? ['--delay-ms', String(delayMs)] : []),
            ...(sequential ? ['--sequential'] : []),
          ];
        },
        onReady: (dir) => {
          console.error(
            `linking ${ids.length} processes over TLS 1.3 on 127.0.0.1 (keys in ${dir})`,
          );
          ticker = setInterval(() => {
            if (!lastProgress) return;
            const s = (performance.now() - lastProgress.at) / 1000;
            if (s >= 5)
              process.stderr.write(
                `    ... ${lastProgress.text.replace(/^analysis \d+\/\d+: /, '')}: ${s.toFixed(0)} s\n`,
              );
          }, 5_000);
          ticker.unref();
        },
        stdout: 'ignore',
        stderrLine: (l, id, i) => {
          // Progress once (from the first party); everything else from everyone.
          if (l.startsWith('progress: ')) {
            if (i === 0) {
              process.stderr.write(`  ${l.slice(10)}\n`);
              lastProgress = { text: l.slice(10).trim(), at: performance.now() };
            }
          } else if (!ROUTINE.test(l)) process.stderr.write(`[${id}] ${l}\n`);
        },
        timeoutMs,
      },
      async ({ dir, timedOut, failed, signal }) => {
        clearInterval(ticker);
        if (signal) {
          console.error(`entente study: interrupted (${signal}); every party was stopped`);
          return signalExit(signal);
        }
        if (timedOut) {
          console.error(`entente study: stopped every party after ${timeoutMs} ms (--timeout-ms)`);
          return 1;
        }
        if (failed.length > 0) {
          console.error(
            `entente study: failed: ${describeFailures(failed)}; the others were stopped`,
          );
          // Parties that all refused their input (exit 2: a ledger over budget, a file
          // changed since it was checked) computed nothing: bad input, not a failed run.
          return failed.every((f) => f.code === EXIT.usage) ? EXIT.usage : EXIT.failed;
        }
        const outcomes = await Promise.all(
          ids.map(async (id) => ({
            id,
            outcome: JSON.parse(
              await readFile(join(dir, `${id}.outcome.json`), 'utf8'),
            ) as StudyOutcome,
          })),
        );
        agree(outcomes);
        return outcomes[0]!.outcome;
      },
    );
  } finally {
    clearInterval(ticker);
  }
}

/** Writes hospital-a.csv, ... with `rows` synthetic patients each. */
export async function writeHospitals(dir: string, rows: number, seed = 2025): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const [i, h] of HOSPITALS.entries()) {
    const f = join(dir, `${h.id}.csv`);
    await writeFile(f, patientsCsv(generatePatients(i, rows, seed)));
    files.push(f);
  }
  return files;
}

/** `entente demo`: the bundled study on synthetic records, generated when missing. */
export async function demo(named: Named): Promise<number> {
  const rows = intOption(named, 'rows', 10_000, 1, 1_000_000);
  const base = dirname(HOSPITAL_STUDY);
  const dataDir = join(base, rows === 10_000 ? 'data' : `data-${rows}`);
  const missing = await Promise.all(
    HOSPITALS.map((h) =>
      access(join(dataDir, `${h.id}.csv`)).then(
        () => false,
        () => true,
      ),
    ),
  );
  if (missing.some((m) => m)) {
    console.error(
      `generating synthetic records: ${HOSPITALS.length} hospitals x ${rows} patients in ${dataDir}`,
    );
    await writeHospitals(dataDir, rows);
  }
  const forward = new Map(named);
  forward.delete('rows');
  forward.set('data-dir', dataDir);
  if (!forward.has('out')) forward.set('out', join(base, 'report'));
  return runAll(HOSPITAL_STUDY, forward, true);
}
