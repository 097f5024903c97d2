/**
 * `entente/analytics`: studies without writing MPC code. A study (a YAML or
 * JSON file, or `defineStudy` in TypeScript) names the parties, the schema of
 * their data, the analyses and the output privacy; `studyProgram` turns it
 * into one Entente program that every party runs with its own table.
 * Browser-safe: reading files is `entente/node`'s (`loadStudy`, `loadTable`).
 * See docs/ANALYTICS.md.
 */
export {
  defineStudy,
  validateStudy,
  spend,
  type Study,
  type StudyInput,
  type StudyParty,
  type AnalysisInput,
  type ConditionInput,
  type Analysis,
  type AnalysisType,
  type Budget,
  type PrivacySpec,
  type ValidateOptions,
} from './study/spec.js';
export { parseStudyText } from './study/parse.js';
export {
  runStudy,
  studyProgram,
  checkRunnable,
  StudyRefused,
  type RunStudyOptions,
} from './study/runner.js';
export { STATISTICS } from './study/statistics.js';
export type { StudyOutcome, AnalysisOutcome, ResultRow, SurvivalCurve } from './study/result.js';
export { terminalReport, markdownReport, jsonReport, survivalSvg } from './study/report.js';
export { parseSchema, type Schema, type Column, type ColumnType } from './data/schema.js';
export { parseTable, type Table, type DataFormat } from './data/table.js';
export { SecretTable } from './data/encode.js';
export { SpecError, DataError, type FieldIssue, type DataIssue } from './data/errors.js';
