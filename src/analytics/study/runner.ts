/**
 * The study runner: one Entente program that every party runs with the same
 * study and its own table. It
 *   1. refuses to start when the party list differs from the session's, when
 *      an analysis has no implementation, or when the analyses would spend
 *      more than the privacy budget (all before anything is computed);
 *   2. checks that every party holds the same study (a SHA-256 digest of the
 *      study without local file paths is opened and compared);
 *   3. agrees on the row counts and inputs the table lazily (data/encode.ts);
 *   4. runs the analyses, each releasing only values that passed suppression
 *      (and carry their noise, under dp): concurrently, each on a channel of
 *      its own (`analysis/<i>`, src/runtime/party.ts), so their rounds share
 *      messages and the study takes about as many rounds as its longest
 *      analysis; or one after another (`sequential`, and under suites that
 *      cannot fork onto channels: spdz2k, yao);
 *   5. returns the released values with each analysis's wall time and costs
 *      (its own channel's counters when concurrent: its rounds are those on
 *      its critical path, its bytes those of its own steps).
 *
 * What a party learns: the study, every party's row count, and the released
 * values. Its own table never leaves it except as secret shares.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { partiesWithOtherDigest } from '../../api/agree.js';
import type { Program } from '../../api/run.js';
import type { Session } from '../../api/session.js';
import { SecretTable } from '../data/encode.js';
import type { Table } from '../data/table.js';
import { AnalysisContext, type AnalysisImpl } from './context.js';
import { isCounting, runCounting } from './counting.js';
import { joinedTable } from './joined.js';
import type { AnalysisOutcome, StudyOutcome } from './result.js';
import { bringsData, spend, type AnalysisType, type Study } from './spec.js';

/** A study that may not run: over budget, no implementation, or parties that disagree. */
export class StudyRefused extends Error {
  override readonly name = 'StudyRefused';
}

export interface RunStudyOptions {
  /** Implementations of the analyses that are not counts and sums (the statistics library's). */
  readonly implementations?: Partial<Record<AnalysisType, AnalysisImpl>>;
  /** Progress lines (never values). */
  readonly progress?: (message: string) => void;
  /**
   * Run the analyses one after another on the session's own channel instead
   * of concurrently (for debugging: one analysis's steps at a time).
   */
  readonly sequential?: boolean;
}

/**
 * Everything that must hold before computing.
 * @throws {StudyRefused} naming the reason.
 */
export function checkRunnable(study: Study, opts: RunStudyOptions = {}): void {
  const missing = study.analyses.filter(
    (a) => !isCounting(a) && opts.implementations?.[a.type] === undefined,
  );
  if (missing.length > 0)
    throw new StudyRefused(
      `no implementation in this build for ${missing.map((a) => `${a.id} (${a.type})`).join(', ')}; nothing was computed`,
    );
  const spent = spend(study.analyses);
  const b = study.privacy.budget;
  if (spent.epsilon > 0 && !b)
    throw new StudyRefused('analyses use differential privacy but the study declares no budget');
  if (b && (spent.epsilon > b.epsilon * (1 + 1e-12) || spent.delta > b.delta * (1 + 1e-12)))
    throw new StudyRefused(
      `the analyses spend epsilon ${spent.epsilon}, delta ${spent.delta}, over the budget (epsilon ${b.epsilon}, delta ${b.delta}); nothing was computed`,
    );
}

/** The study's digest: the same at every party that holds the same study (local data paths excluded). */
export function studyDigest(study: Study): Uint8Array {
  const shared = {
    ...study,
    parties: study.parties.map((p) => ({ id: p.id, name: p.name, hasData: bringsData(p) })),
  };
  return sha256(new TextEncoder().encode(JSON.stringify(shared)));
}

/**
 * Runs the study at this party; every party calls it with the same study and its own table.
 * @throws {StudyRefused} before computing, when the study may not run;
 *   ProtocolAbort and the suite's errors while computing.
 */
export async function runStudy(
  s: Session,
  study: Study,
  own: Table | undefined,
  opts: RunStudyOptions = {},
): Promise<StudyOutcome> {
  const progress = opts.progress ?? (() => undefined);
  const ids = study.parties.map((p) => p.id);
  if (ids.length !== s.parties.length || ids.some((id, i) => id !== s.parties[i]))
    throw new StudyRefused(
      `the study's parties (${ids.join(', ')}) are not this session's (${s.parties.join(', ')})`,
    );
  const me = study.parties.find((p) => p.id === s.me)!;
  if (bringsData(me) !== (own !== undefined))
    throw new StudyRefused(
      bringsData(me)
        ? `party ${s.me} must bring its table (${me.data ?? `its ${me.query!.engine} query`})`
        : `party ${s.me} brings no data in this study`,
    );
  checkRunnable(study, opts);

  const t0 = performance.now();
  const start = s.stats();
  // Every party's copy of the study must be the same; digests are public.
  const differ = await partiesWithOtherDigest(s, studyDigest(study));
  if (differ.length > 0)
    throw new StudyRefused(
      `parties ${differ.join(', ')} hold a different study file; nothing was computed`,
    );

  progress(`agreeing on row counts`);
  const table = study.join
    ? await joinedTable(s, study, own)
    : await SecretTable.input(s, study.schema, own);
  return runAnalyses(s, study, table, opts, t0, start);
}

/**
 * Runs the study's analyses on a secret table (step 4 and 5 above); shared with the
 * runner for data owners who are not parties (contributed.ts).
 */
export async function runAnalyses(
  s: Session,
  study: Study,
  table: SecretTable,
  opts: RunStudyOptions,
  t0: number,
  start: ReturnType<Session['stats']>,
): Promise<StudyOutcome> {
  const progress = opts.progress ?? (() => undefined);
  progress(
    `${table.rows} records: ${[...table.rowCounts].map(([p, n]) => `${p} ${n}`).join(', ')}`,
  );
  const concurrent = opts.sequential !== true && s.canOpenChannels;
  const setupRounds = s.stats().rounds - start.rounds;
  const count = study.analyses.length;
  const runOne = async (
    i: number,
    a: (typeof study.analyses)[number],
  ): Promise<AnalysisOutcome> => {
    progress(`analysis ${i + 1}/${count}: ${a.title}`);
    const ta = performance.now();
    // A channel's counters start at its creation (they include its setup round).
    const before = concurrent ? undefined : s.stats();
    // Each analysis's channel is named by its place in the study, the same at every party.
    const as = concurrent ? await s.channel(`analysis/${i}`) : s;
    const say = concurrent ? (m: string) => progress(`${a.id}: ${m}`) : progress;
    const ctx = new AnalysisContext(as, table.on(as), study, say);
    const impl = isCounting(a) ? runCounting : opts.implementations![a.type]!;
    const body = await impl(ctx, a);
    const after = as.stats();
    const seconds = (performance.now() - ta) / 1000;
    const rounds = after.rounds - (before?.rounds ?? 0);
    if (concurrent)
      progress(`done ${a.id} (${a.title}) in ${seconds.toFixed(1)} s, ${rounds} rounds`);
    return {
      id: a.id,
      type: a.type,
      title: a.title,
      ...body,
      seconds,
      rounds,
      bytesSent: after.bytesSent - (before?.bytesSent ?? 0),
    };
  };
  const outcomes: AnalysisOutcome[] = [];
  if (concurrent) {
    // The table's secrets must be complete before the channels adopt them (Session.adopt).
    await table.settle();
    progress(
      `running ${count} analyses concurrently: ${study.analyses.map((a) => a.id).join(', ')}`,
    );
    outcomes.push(...(await Promise.all(study.analyses.map((a, i) => runOne(i, a)))));
  } else {
    for (const [i, a] of study.analyses.entries()) outcomes.push(await runOne(i, a));
  }
  const end = s.stats();
  const spent = spend(study.analyses);
  const b = study.privacy.budget;
  return {
    study: study.name,
    description: study.description,
    suite: s.suiteName,
    parties: study.parties.map((p) => ({
      id: p.id,
      name: p.name,
      rows: table.rowCounts.get(p.id)!,
    })),
    minCellSize: study.privacy.minCellSize,
    ...(b ? { budget: { ...b, spentEpsilon: spent.epsilon, spentDelta: spent.delta } } : {}),
    analyses: outcomes,
    seconds: (performance.now() - t0) / 1000,
    // The critical path: concurrent analyses overlap, so the longest counts, not the sum.
    rounds: concurrent
      ? setupRounds + Math.max(0, ...outcomes.map((a) => a.rounds))
      : end.rounds - start.rounds,
    bytesSent: end.bytesSent - start.bytesSent,
  };
}

/**
 * The study as a program for `runLocal` or `entente run`: `tables` maps each
 * party to its own table (a party only ever reads its own entry).
 */
export function studyProgram(
  study: Study,
  tables: (party: string) => Table | undefined,
  opts: RunStudyOptions = {},
): Program<StudyOutcome> {
  return (s) => runStudy(s, study, tables(s.me), opts);
}
