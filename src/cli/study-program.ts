/**
 * The study as a program module for `entente run --federation`: its default
 * export is the program every party runs. `entente study` sets its
 * parameters in the environment of the party's process before running it
 * (a program module takes no arguments):
 *
 *   ENTENTE_STUDY          the study file (required)
 *   ENTENTE_STUDY_DATA     this party's data file (default: the study's `data` for the party)
 *   ENTENTE_STUDY_DATA_SHA256  refuse the data file unless its bytes have this SHA-256 (hex)
 *   ENTENTE_STUDY_OUTCOME  write the outcome (JSON) to this file
 *   ENTENTE_STUDY_OUT      write report.json, report.md and the survival plots to this folder
 *   ENTENTE_STUDY_QUIET    '1': do not print the report (entente study prints it)
 *   ENTENTE_STUDY_ANALYSES run only these analyses (comma-separated ids)
 *   ENTENTE_STUDY_SEQUENTIAL '1': run the analyses one after another
 *
 * The party reads only its own data file. Progress goes to stderr as
 * `progress: ...` lines; the report to stdout.
 */
import { rename, writeFile } from 'node:fs/promises';
import type { Session } from '../api/session.js';
import { loadPartyData, loadStudy } from '../adapters/node/data.js';
import { runStudy } from '../analytics/study/runner.js';
import { SUITES } from '../suites/index.js';
import { STATISTICS } from '../analytics/study/statistics.js';
import { terminalReport } from '../analytics/study/report.js';
import { writeReports } from './study-report.js';
import { selectAnalyses } from './study.js';

export default async function studyProgram(s: Session): Promise<unknown> {
  const file = process.env.ENTENTE_STUDY;
  if (!file) throw new Error('study program: ENTENTE_STUDY is not set (run it with entente study)');
  const loaded = selectAnalyses(
    await loadStudy(file, { knownSuites: Object.keys(SUITES) }),
    process.env.ENTENTE_STUDY_ANALYSES,
  );
  const data = process.env.ENTENTE_STUDY_DATA;
  const own = await loadPartyData(
    loaded,
    s.me,
    data ? { file: data, flag: 'ENTENTE_STUDY_DATA' } : undefined,
    process.env.ENTENTE_STUDY_DATA_SHA256 || undefined,
  );
  const outcome = await runStudy(s, loaded.study, own, {
    implementations: STATISTICS,
    sequential: process.env.ENTENTE_STUDY_SEQUENTIAL === '1',
    progress: (m) => process.stderr.write(`progress: ${m}\n`),
  });
  const outFile = process.env.ENTENTE_STUDY_OUTCOME;
  if (outFile) {
    // Written whole or not at all (a node reads it after a crash: src/node/runs.ts).
    await writeFile(`${outFile}.tmp`, JSON.stringify(outcome) + '\n');
    await rename(`${outFile}.tmp`, outFile);
  }
  // Each party's own peak (its data, its shares, the engine's buffers), for sizing a deployment.
  process.stderr.write(
    `peak memory ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (resident)\n`,
  );
  const outDir = process.env.ENTENTE_STUDY_OUT;
  if (outDir) await writeReports(outDir, outcome);
  if (process.env.ENTENTE_STUDY_QUIET !== '1') console.log(terminalReport(outcome) + '\n');
  return {
    study: outcome.study,
    analyses: outcome.analyses.length,
    seconds: Number(outcome.seconds.toFixed(3)),
  };
}
