/**
 * The study specification: who takes part, what data each brings (under one
 * schema), which analyses to run, and the output-privacy rules. A study is
 * written as a YAML or JSON file (src/analytics/study/parse.ts) or built in
 * TypeScript with `defineStudy`; both go through `validateStudy`, which checks
 * every field against the schema and reports every problem by its path, e.g.
 * `analyses[2].column: unknown column 'agee' (did you mean 'age'?)`.
 *
 * The study is public: every party runs the same one (the runner checks that
 * their copies are identical before computing).
 */
import { SpecError } from '../data/errors.js';
import { FieldReader, article, describe, join, orList, plural, type Json } from '../data/reader.js';
import {
  parseDate,
  parseDecimalUnits,
  readSchema,
  type Column,
  type ColumnType,
  type Schema,
} from '../data/schema.js';
import { formatOf, type DataFormat } from '../data/table.js';
import { planDiscreteLaplace, samplerDelta, type LaplacePlan } from '../privacy/dp.js';
import { readJoin, type JoinSpec } from './join-spec.js';

/** Party ids: as in federation files. */
export const PARTY_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ANALYSIS_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export interface StudyParty {
  readonly id: string;
  /** Display name. */
  readonly name: string;
  /**
   * The party's dataset file (or, for Parquet, folder), relative to the study
   * file; undefined for a party that only computes or reads a query.
   */
  readonly data: string | undefined;
  readonly format: DataFormat | undefined;
  /** A SQL query that gives the party's table, instead of `data`. */
  readonly query: PartyQuery | undefined;
}

/** The SQL engines a party's table may be read from. */
export const QUERY_ENGINES = ['duckdb', 'postgres'] as const;
export type QueryEngine = (typeof QUERY_ENGINES)[number];

/**
 * A party's table as the result of a SQL query: over local files with DuckDB
 * (paths relative to the study file), or against the party's PostgreSQL,
 * whose URL is read from the environment variable `connection` (a study file
 * never holds a password).
 */
export interface PartyQuery {
  readonly sql: string;
  readonly engine: QueryEngine;
  /** For postgres: the environment variable holding the connection URL. */
  readonly connection: string | undefined;
}

/** Whether a party brings a table (a file or a query). */
export const bringsData = (p: StudyParty): boolean => p.data !== undefined || p.query !== undefined;

/** Longest SQL query a study may hold. */
const MAX_QUERY = 65_536;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export type ConditionOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'in';

/** One filter condition, with its value(s) encoded like the column (see data/table.ts). */
export interface Condition {
  readonly column: string;
  readonly op: ConditionOp;
  /** Encoded values: one for every op but `in`. */
  readonly values: readonly number[];
  /** As written, for reports: `age >= 65`. */
  readonly text: string;
}

export interface DpSpec {
  readonly epsilon: number;
  /** The δ this analysis may spend; the sampler's own δ must not exceed it. */
  readonly delta: number;
}

interface AnalysisBase {
  readonly id: string;
  readonly title: string;
  /** Records used: those meeting every condition (and, per column, present). */
  readonly where: readonly Condition[];
  readonly dp: DpSpec | undefined;
}

export interface CountAnalysis extends AnalysisBase {
  readonly type: 'count';
  readonly by: string | undefined;
}
export interface ColumnAnalysis extends AnalysisBase {
  readonly type: 'sum' | 'mean' | 'variance' | 'sd' | 'min' | 'max' | 'median';
  readonly column: string;
  readonly by: string | undefined;
}
export interface RateAnalysis extends AnalysisBase {
  readonly type: 'rate';
  /** A boolean column: the share of records where it is true. */
  readonly column: string;
  readonly by: string | undefined;
}
export interface QuantilesAnalysis extends AnalysisBase {
  readonly type: 'quantiles';
  readonly column: string;
  readonly probs: readonly number[];
  /** R's quantile type, 1..9 (default 7, R's default). */
  readonly quantileType: number;
}
export interface HistogramAnalysis extends AnalysisBase {
  readonly type: 'histogram';
  readonly column: string;
  /** Bin edges (encoded like the column), for numeric columns: bins [e0, e1), ..., [e_{m-1}, e_m]. */
  readonly edges: readonly number[] | undefined;
}
export interface TableAnalysis extends AnalysisBase {
  readonly type: 'crosstab' | 'chi-squared';
  readonly rows: string;
  readonly cols: string;
  /** Chi-squared: Yates' continuity correction on 2 x 2 tables (default true, as R's chisq.test). */
  readonly correct: boolean;
}
export interface PairAnalysis extends AnalysisBase {
  readonly type: 'covariance' | 'correlation';
  readonly x: string;
  readonly y: string;
  /** Correlation: level of the confidence interval (default 0.95). */
  readonly confLevel: number;
}
export interface RegressionAnalysis extends AnalysisBase {
  readonly type: 'linear-regression' | 'logistic-regression';
  readonly outcome: string;
  /** Numeric or boolean columns, and categorical ones (dummy-coded against their first level). */
  readonly predictors: readonly string[];
  /** Logistic regression: gradient-descent iterations. */
  readonly iterations: number | undefined;
  readonly learningRate: number | undefined;
}
/** The t-tests: two groups (Welch's or Student's), one sample, or paired columns. */
export type TTestVariant = 'welch' | 'student' | 'paired' | 'one-sample';
export const T_TEST_VARIANTS: readonly TTestVariant[] = [
  'welch',
  'student',
  'paired',
  'one-sample',
];

export interface TTestAnalysis extends AnalysisBase {
  readonly type: 't-test';
  /** Default 'welch' (R's t.test default). */
  readonly variant: TTestVariant;
  readonly column: string;
  /** Two-group variants: the grouping column. */
  readonly by: string | undefined;
  /** Two-group variants: the two levels of `by` compared (default: its first two). */
  readonly levels: readonly [string, string] | undefined;
  /** Paired variant: the second column of the same record; the test is on column - paired. */
  readonly paired: string | undefined;
  /** One-sample and paired variants: the mean under the null hypothesis (default 0), in the column's units. */
  readonly mu: number;
  /** Level of the confidence interval (default 0.95). */
  readonly confLevel: number;
}
export interface SurvivalAnalysis extends AnalysisBase {
  readonly type: 'kaplan-meier' | 'log-rank';
  readonly time: string;
  /** Boolean: true where the event happened, false where the record is censored. */
  readonly event: string;
  readonly by: string | undefined;
  /**
   * The public time points (encoded like the column): Kaplan-Meier reports
   * the curve there, and both count events per interval between them.
   * Default: see `defaultTimes`.
   */
  readonly times: readonly number[] | undefined;
  /** Kaplan-Meier: level of the pointwise confidence bands (default 0.95). */
  readonly confLevel: number;
}

/** One-way ANOVA: the F test of equal means of `column` across the levels of `by`. */
export interface AnovaAnalysis extends AnalysisBase {
  readonly type: 'anova';
  readonly column: string;
  readonly by: string;
}
/** The Wilcoxon rank-sum (Mann-Whitney) test of `column` between two levels of `by`. */
export interface RankSumAnalysis extends AnalysisBase {
  readonly type: 'mann-whitney';
  /** A numeric column (counted per value when its range holds at most MAX_RANK_VALUES values, else sorted). */
  readonly column: string;
  readonly by: string;
  /** The two levels of `by` compared (default: its first two). */
  readonly levels: readonly [string, string];
}
/** Cox proportional-hazards regression (Breslow ties) over public time points. */
export interface CoxAnalysis extends AnalysisBase {
  readonly type: 'cox';
  readonly time: string;
  /** Boolean: true where the event happened, false where the record is censored. */
  readonly event: string;
  /** Categorical, boolean, or integer columns with at most 512 values (cells). */
  readonly predictors: readonly string[];
  /** A categorical or boolean column: a baseline hazard per level (R's strata()). */
  readonly strata: string | undefined;
  /** The public time points; events are counted per interval between them (default: see `defaultTimes`). */
  readonly times: readonly number[] | undefined;
  /** Newton-Raphson iterations (default 6). */
  readonly iterations: number | undefined;
}

export type Analysis =
  | AnovaAnalysis
  | RankSumAnalysis
  | CoxAnalysis
  | CountAnalysis
  | ColumnAnalysis
  | RateAnalysis
  | QuantilesAnalysis
  | HistogramAnalysis
  | TableAnalysis
  | PairAnalysis
  | RegressionAnalysis
  | TTestAnalysis
  | SurvivalAnalysis;
export type AnalysisType = Analysis['type'];

export interface Budget {
  readonly epsilon: number;
  readonly delta: number;
}

export interface PrivacySpec {
  /** k: a count, group or cell of fewer records is suppressed. */
  readonly minCellSize: number;
  /** What a run may spend of each dataset's privacy budget (only checked when an analysis uses dp). */
  readonly budget: Budget | undefined;
}

export interface Study {
  readonly name: string;
  readonly description: string;
  readonly suite: string | undefined;
  readonly parties: readonly StudyParty[];
  readonly schema: Schema;
  readonly privacy: PrivacySpec;
  readonly analyses: readonly Analysis[];
  /** The parties' tables are joined on a key before the analyses (join-spec.ts). */
  readonly join?: JoinSpec;
}

export const DEFAULT_MIN_CELL_SIZE = 10;
/** The δ a run may spend when the budget does not say (a thousand analyses at the default). */
export const DEFAULT_BUDGET_DELTA = 1e-6;
/** The δ an analysis with dp may spend when it does not say. */
export const DEFAULT_ANALYSIS_DELTA = 1e-9;

export const ANALYSIS_TYPES: readonly AnalysisType[] = [
  'count',
  'sum',
  'mean',
  'rate',
  'variance',
  'sd',
  'min',
  'max',
  'median',
  'quantiles',
  'histogram',
  'crosstab',
  'chi-squared',
  'covariance',
  'correlation',
  'linear-regression',
  'logistic-regression',
  't-test',
  'kaplan-meier',
  'log-rank',
  'anova',
  'mann-whitney',
  'cox',
];

/** Analyses whose outputs are counts and sums, to which discrete Laplace noise can be added. */
export const DP_TYPES: readonly AnalysisType[] = [
  'count',
  'sum',
  'mean',
  'rate',
  'histogram',
  'crosstab',
];

const NUMERIC: readonly ColumnType[] = ['integer', 'decimal', 'date', 'boolean'];
const GROUPING: readonly ColumnType[] = ['categorical', 'boolean'];

const FIELDS: Record<AnalysisType, readonly string[]> = {
  count: ['by'],
  sum: ['column', 'by'],
  mean: ['column', 'by'],
  rate: ['column', 'by'],
  variance: ['column', 'by'],
  sd: ['column', 'by'],
  min: ['column', 'by'],
  max: ['column', 'by'],
  median: ['column', 'by'],
  quantiles: ['column', 'probs', 'quantileType'],
  histogram: ['column', 'edges'],
  crosstab: ['rows', 'cols'],
  'chi-squared': ['rows', 'cols', 'correct'],
  covariance: ['x', 'y'],
  correlation: ['x', 'y', 'confLevel'],
  'linear-regression': ['outcome', 'predictors'],
  'logistic-regression': ['outcome', 'predictors', 'iterations', 'learningRate'],
  't-test': ['variant', 'column', 'by', 'levels', 'paired', 'mu', 'confLevel'],
  'kaplan-meier': ['time', 'event', 'by', 'times', 'confLevel'],
  'log-rank': ['time', 'event', 'by', 'times'],
  anova: ['column', 'by'],
  'mann-whitney': ['column', 'by', 'levels'],
  cox: ['time', 'event', 'predictors', 'strata', 'times', 'iterations'],
};
const COMMON = ['id', 'type', 'title', 'where', 'dp'];

/** Reads analyses against a schema. */
class AnalysisReader {
  constructor(
    readonly r: FieldReader,
    readonly schema: Schema,
  ) {}

  /** A column name that exists and has one of `types`. */
  column(v: Json, path: string, types: readonly ColumnType[], role: string): string | undefined {
    if (typeof v !== 'string' || v.length === 0)
      return this.r.fail(path, `expected a column name, got ${describe(v)}`);
    const c = this.schema.columns.find((x) => x.name === v);
    if (!c)
      return this.r.fail(
        path,
        () =>
          `unknown column '${v}' ${this.r.hint(
            v,
            this.schema.columns.map((x) => x.name),
            'columns',
            path,
          )}`,
      );
    if (!types.includes(c.type))
      return this.r.fail(
        path,
        `column '${v}' is ${c.type}; ${role} needs ${article(types[0]!)} ${orList(types)} column`,
      );
    return v;
  }

  get(name: string): Column {
    return this.schema.columns.find((c) => c.name === name)!;
  }

  /** A value of column `c` written in a spec, encoded as in data/table.ts. */
  value(c: Column, v: Json, path: string): number | undefined {
    const r = this.r;
    switch (c.type) {
      case 'integer':
        if (typeof v !== 'number' || !Number.isSafeInteger(v))
          return r.fail(path, `expected an integer (column '${c.name}'), got ${describe(v)}`);
        return v;
      case 'decimal': {
        const text = typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;
        const u = text === undefined ? undefined : parseDecimalUnits(text, c.scale);
        if (typeof u !== 'number')
          return r.fail(
            path,
            `expected a number with at most ${plural(c.scale, 'digit')} after the point (column '${c.name}'), got ${describe(v)}`,
          );
        return u;
      }
      case 'date': {
        const d = typeof v === 'string' ? parseDate(v) : undefined;
        if (d === undefined)
          return r.fail(
            path,
            `expected a date YYYY-MM-DD (column '${c.name}'), got ${describe(v)}`,
          );
        return d;
      }
      case 'boolean':
        if (typeof v !== 'boolean')
          return r.fail(path, `expected true or false (column '${c.name}'), got ${describe(v)}`);
        return v ? 1 : 0;
      case 'categorical': {
        const k = typeof v === 'string' ? c.levels.indexOf(v) : -1;
        if (k < 0)
          return r.fail(
            path,
            `expected a level of '${c.name}' (${c.levels.join(', ')}), got ${describe(v)}`,
          );
        return k;
      }
    }
  }

  conditions(v: Json, path: string): Condition[] {
    const r = this.r;
    if (v === undefined) return [];
    const list = r.list(Array.isArray(v) ? v : [v], path, 1, 32);
    if (!list) return [];
    const out: Condition[] = [];
    list.forEach((raw, i) => {
      const p = Array.isArray(v) ? `${path}[${i}]` : path;
      const o = r.object(raw, p, ['column', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'in']);
      if (!o) return;
      const ops = (['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'in'] as const).filter(
        (k) => o[k] !== undefined,
      );
      const name = this.column(
        r.required(o, 'column', p),
        join(p, 'column'),
        [...NUMERIC, 'categorical'],
        'a condition',
      );
      // A misspelt comparison (`lte`) was reported as such: not also as none given.
      const misspelt = Object.keys(o).some((k) => r.reported(join(p, k)));
      if (ops.length !== 1 && !(ops.length === 0 && misspelt)) {
        r.fail(
          p,
          `expected one comparison (eq, ne, lt, le, gt, ge or in), got ${ops.length === 0 ? 'none' : ops.join(' and ')}`,
        );
        return;
      }
      if (name === undefined || ops.length !== 1) return;
      const op = ops[0]!;
      const c = this.get(name);
      if (c.type === 'categorical' && !['eq', 'ne', 'in'].includes(op)) {
        r.fail(join(p, op), `column '${name}' is categorical: use eq, ne or in`);
        return;
      }
      const raws = op === 'in' ? r.list(o.in, join(p, 'in'), 1, 1000) : [o[op]];
      if (!raws) return;
      const values = raws.map((x, j) =>
        this.value(c, x, op === 'in' ? `${join(p, 'in')}[${j}]` : join(p, op)),
      );
      if (values.some((x) => x === undefined)) return;
      const sym = { eq: '=', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=', in: 'in' }[op];
      const shown = op === 'in' ? `{${raws.map(String).join(', ')}}` : String(raws[0]);
      out.push({ column: name, op, values: values as number[], text: `${name} ${sym} ${shown}` });
    });
    return out;
  }
}

export interface ValidateOptions {
  /** Suite names this build knows; others are refused. */
  readonly knownSuites?: readonly string[];
}

/**
 * Validates a study (parsed from YAML or JSON, or written in TypeScript).
 * @throws {SpecError} listing every problem, each naming its field.
 */
export function validateStudy(raw: Json, source = 'study', opts: ValidateOptions = {}): Study {
  const r = new FieldReader();
  const top = r.object(raw, '', [
    'study',
    'description',
    'suite',
    'parties',
    'schema',
    'privacy',
    'analyses',
    'join',
  ]);
  if (!top) throw new SpecError(source, r.issues);
  const name = r.string(r.required(top, 'study', ''), 'study');
  const description =
    top.description === undefined ? '' : (r.string(top.description, 'description') ?? '');
  let suite: string | undefined;
  /* eslint-disable no-restricted-syntax -- the spec's suite name, not a session's suite */
  if (top.suite !== undefined) {
    suite = opts.knownSuites
      ? r.oneOf(top.suite, 'suite', opts.knownSuites, 'suite')
      : r.string(top.suite, 'suite');
  }
  /* eslint-enable no-restricted-syntax */

  const parties: StudyParty[] = [];
  const plist = r.list(r.required(top, 'parties', ''), 'parties', 1, 64);
  plist?.forEach((p, i) => {
    const path = `parties[${i}]`;
    const o = r.object(p, path, ['id', 'name', 'data', 'format', 'query', 'engine', 'connection']);
    if (!o) return;
    const id = r.string(
      r.required(o, 'id', path),
      join(path, 'id'),
      PARTY_ID,
      'an id of letters, digits, _, . or - (1..64, starting with a letter or digit)',
    );
    if (id !== undefined && parties.some((q) => q.id === id))
      r.fail(join(path, 'id'), `duplicate party id '${id}'`);
    const pname = o.name === undefined ? id : r.string(o.name, join(path, 'name'));
    const data = o.data === undefined ? undefined : r.string(o.data, join(path, 'data'));
    const query = readQuery(o, path, r);
    if (data !== undefined && o.query !== undefined)
      r.fail(join(path, 'query'), 'a party reads its table from data or from a query, not both');
    let format: DataFormat | undefined;
    if (o.format !== undefined)
      format = r.oneOf(
        o.format,
        join(path, 'format'),
        ['csv', 'jsonl', 'parquet'] as const,
        'format',
      );
    else if (data !== undefined && formatOf(data) === undefined)
      r.fail(
        join(path, 'data'),
        `cannot tell the format of '${data}': name it .csv, .jsonl, .ndjson or .parquet, or set format`,
      );
    if (id !== undefined) parties.push({ id, name: pname ?? id, data, format, query });
  });
  if (plist && parties.length === plist.length && !parties.some(bringsData))
    r.fail('parties', 'no party brings data (set parties[i].data or parties[i].query)');

  const schema = readSchema(r.required(top, 'schema', ''), r, 'schema');

  let minCellSize = DEFAULT_MIN_CELL_SIZE;
  let budget: Budget | undefined;
  if (top.privacy !== undefined) {
    const o = r.object(top.privacy, 'privacy', ['minCellSize', 'budget']);
    if (o?.minCellSize !== undefined)
      minCellSize = r.int(o.minCellSize, 'privacy.minCellSize', 0, 1_000_000) ?? minCellSize;
    if (o?.budget !== undefined) {
      const b = r.object(o.budget, 'privacy.budget', ['epsilon', 'delta']);
      if (b) {
        const epsilon = r.number(
          r.required(b, 'epsilon', 'privacy.budget'),
          'privacy.budget.epsilon',
          0,
          100,
          true,
        );
        const delta =
          b.delta === undefined
            ? DEFAULT_BUDGET_DELTA
            : r.number(b.delta, 'privacy.budget.delta', 0, 0.01);
        if (epsilon !== undefined && delta !== undefined) budget = { epsilon, delta };
      }
    }
  }

  const analyses: Analysis[] = [];
  const alist = r.list(r.required(top, 'analyses', ''), 'analyses', 1, 256);
  if (schema && alist) {
    const ar = new AnalysisReader(r, schema);
    alist.forEach((a, i) => {
      const x = readAnalysis(ar, a, `analyses[${i}]`, i);
      if (!x) return;
      if (analyses.some((y) => y.id === x.id))
        r.fail(`analyses[${i}].id`, `duplicate analysis id '${x.id}'`);
      analyses.push(x);
    });
  }

  // The budget is checked before anything runs: a study that would spend more is refused.
  const dpAnalyses = analyses.filter((a) => a.dp !== undefined);
  if (dpAnalyses.length > 0 && budget === undefined)
    r.fail(
      'privacy.budget',
      `missing: ${dpAnalyses.length === 1 ? '1 analysis uses' : `${dpAnalyses.length} analyses use`} dp, so the study must declare the budget each dataset may spend`,
    );
  if (budget) {
    const spent = spend(analyses);
    if (spent.epsilon > budget.epsilon * (1 + 1e-12))
      r.fail(
        'privacy.budget.epsilon',
        `the analyses spend epsilon ${round(spent.epsilon)} (${dpAnalyses.map((a) => `${a.id} ${a.dp!.epsilon}`).join(' + ')}), more than the budget ${budget.epsilon}: the run is refused`,
      );
    if (spent.delta > budget.delta * (1 + 1e-12))
      r.fail(
        'privacy.budget.delta',
        `the analyses spend delta ${spent.delta.toExponential(2)}, more than the budget ${budget.delta}: the run is refused`,
      );
  }

  const joinSpec =
    top.join === undefined ? undefined : readJoin(r, top.join, parties, schema, analyses);

  if (r.issues.length > 0 || !schema || name === undefined) throw new SpecError(source, r.issues);
  return {
    name,
    description,
    suite,
    parties,
    schema,
    privacy: { minCellSize, budget },
    analyses,
    ...(joinSpec ? { join: joinSpec } : {}),
  };
}

const round = (x: number) => Math.round(x * 1e9) / 1e9;

/** The privacy spent by a study's analyses under basic composition: sums of ε and δ. */
export function spend(analyses: readonly Analysis[]): Budget {
  let epsilon = 0;
  let delta = 0;
  for (const a of analyses) {
    if (!a.dp) continue;
    epsilon += a.dp.epsilon;
    delta += a.dp.delta;
  }
  return { epsilon, delta };
}

function readAnalysis(
  ar: AnalysisReader,
  raw: Json,
  path: string,
  i: number,
): Analysis | undefined {
  const r = ar.r;
  const before = r.issues.length;
  const pre = r.object(raw, path);
  if (!pre) return undefined;
  // The fields allowed depend on the type; they are checked first, so that a
  // misspelt field is reported once, as such, and not also as missing.
  const given = ANALYSIS_TYPES.find((t) => t === pre.type);
  if (given)
    r.knownKeys(
      pre,
      path,
      [...COMMON, ...FIELDS[given]],
      `field of ${article(given)} ${given} analysis`,
    );
  else r.knownKeys(pre, path, [...new Set([...COMMON, ...Object.values(FIELDS).flat()])]);
  const type = r.oneOf(
    r.required(pre, 'type', path),
    join(path, 'type'),
    ANALYSIS_TYPES,
    'analysis type',
  );
  if (type === undefined) return undefined;
  const id =
    pre.id === undefined
      ? `${type}-${i + 1}`
      : r.string(pre.id, join(path, 'id'), ANALYSIS_ID, 'an id of letters, digits, _, . or -');
  const where = ar.conditions(pre.where, join(path, 'where'));
  let dp: DpSpec | undefined;
  if (pre.dp !== undefined) {
    const dpp = join(path, 'dp');
    if (!DP_TYPES.includes(type)) {
      r.fail(
        dpp,
        () =>
          `differential privacy is for counts and sums (${r.listed('the types that take dp', DP_TYPES, dpp)}), not for ${article(type)} ${type} analysis`,
      );
    } else {
      const o = r.object(pre.dp, dpp, ['epsilon', 'delta']);
      const epsilon =
        o && r.number(r.required(o, 'epsilon', dpp), join(dpp, 'epsilon'), 0, 20, true);
      const delta =
        o?.delta === undefined
          ? DEFAULT_ANALYSIS_DELTA
          : r.number(o.delta, join(dpp, 'delta'), 0, 0.01, true);
      if (epsilon !== undefined && epsilon !== null && delta !== undefined) dp = { epsilon, delta };
    }
  }
  const title = pre.title === undefined ? undefined : r.string(pre.title, join(path, 'title'));
  const base = { id: id ?? '', where, dp };
  const col = (k: string, types: readonly ColumnType[], role: string) =>
    ar.column(r.required(pre, k, path), join(path, k), types, role);
  const optCol = (k: string, types: readonly ColumnType[], role: string) =>
    pre[k] === undefined ? undefined : ar.column(pre[k], join(path, k), types, role);
  // Public time points of a survival analysis: increasing, encoded like the time column.
  const timePoints = (time: string | undefined): number[] | undefined => {
    if (pre.times === undefined || !time) return undefined;
    const tp = join(path, 'times');
    const enc = r
      .list(pre.times, tp, 1, 1000)
      ?.map((t, j) => ar.value(ar.get(time), t, `${tp}[${j}]`));
    if (!enc || !enc.every((t) => t !== undefined)) return undefined;
    if (!(enc as number[]).every((t, j) => j === 0 || t > enc[j - 1]!))
      return r.fail(tp, 'expected increasing times');
    return enc as number[];
  };
  // A confidence level in (0, 1), default 0.95 (R's conf.level).
  const confLevel = (): number => {
    if (pre.confLevel === undefined) return 0.95;
    const v = r.number(pre.confLevel, join(path, 'confLevel'), 0, 1, true);
    if (v === 1) r.fail(join(path, 'confLevel'), 'expected a number in (0, 1), got 1');
    return v ?? 0.95;
  };
  let a: Analysis | undefined;
  switch (type) {
    case 'count': {
      const by = optCol('by', GROUPING, 'by');
      a = { ...base, type, by, title: title ?? (by ? `Records by ${by}` : 'Records') };
      break;
    }
    case 'sum':
    case 'mean':
    case 'variance':
    case 'sd':
    case 'min':
    case 'max':
    case 'median': {
      const column = col('column', NUMERIC, type);
      const by = optCol('by', GROUPING, 'by');
      if (column)
        a = {
          ...base,
          type,
          column,
          by,
          title: title ?? `${LABEL[type]} of ${column}${by ? ` by ${by}` : ''}`,
        };
      break;
    }
    case 'rate': {
      const column = col('column', ['boolean'], 'rate');
      const by = optCol('by', GROUPING, 'by');
      if (column)
        a = {
          ...base,
          type,
          column,
          by,
          title: title ?? `Rate of ${column}${by ? ` by ${by}` : ''}`,
        };
      break;
    }
    case 'quantiles': {
      const column = col('column', NUMERIC, type);
      const list = r.list(r.required(pre, 'probs', path), join(path, 'probs'), 1, 99);
      const probs = list?.map((p, j) => r.number(p, `${join(path, 'probs')}[${j}]`, 0, 1));
      const quantileType =
        pre.quantileType === undefined
          ? 7
          : (r.int(pre.quantileType, join(path, 'quantileType'), 1, 9) ?? 7);
      if (column && probs && probs.every((p) => p !== undefined))
        a = {
          ...base,
          type,
          column,
          probs: probs as number[],
          quantileType,
          title: title ?? `Quantiles of ${column}`,
        };
      break;
    }
    case 'histogram': {
      const column = col('column', [...NUMERIC, 'categorical'], type);
      let edges: number[] | undefined;
      if (column) {
        const c = ar.get(column);
        if (c.type === 'categorical' || c.type === 'boolean') {
          if (pre.edges !== undefined)
            r.fail(
              join(path, 'edges'),
              `column '${column}' has levels; edges are for numeric columns`,
            );
        } else {
          const ep = join(path, 'edges');
          const list = r.list(r.required(pre, 'edges', path), ep, 2, 1001);
          const enc = list?.map((e, j) => ar.value(c, e, `${ep}[${j}]`));
          if (enc && enc.every((e) => e !== undefined)) {
            const ok = (enc as number[]).every((e, j) => j === 0 || e > enc[j - 1]!);
            if (!ok) r.fail(ep, 'expected increasing edges');
            else edges = enc as number[];
          }
        }
        if (r.issues.length === before)
          a = { ...base, type, column, edges, title: title ?? `Histogram of ${column}` };
      }
      break;
    }
    case 'crosstab':
    case 'chi-squared': {
      const rows = col('rows', GROUPING, 'rows');
      const cols = col('cols', GROUPING, 'cols');
      if (rows && cols && rows === cols)
        r.fail(join(path, 'cols'), 'expected a column other than rows');
      const correct =
        pre.correct === undefined ? true : (r.boolean(pre.correct, join(path, 'correct')) ?? true);
      if (rows && cols)
        a = {
          ...base,
          type,
          rows,
          cols,
          correct,
          title:
            title ?? `${type === 'crosstab' ? 'Crosstab' : 'Chi-squared test'}: ${rows} x ${cols}`,
        };
      break;
    }
    case 'covariance':
    case 'correlation': {
      const x = col('x', NUMERIC, type);
      const y = col('y', NUMERIC, type);
      const level = confLevel();
      if (x && y)
        a = {
          ...base,
          type,
          x,
          y,
          confLevel: level,
          title: title ?? `${LABEL[type]} of ${x} and ${y}`,
        };
      break;
    }
    case 'linear-regression':
    case 'logistic-regression': {
      const outcome = col(
        'outcome',
        type === 'logistic-regression' ? ['boolean'] : ['integer', 'decimal', 'date'],
        type === 'logistic-regression'
          ? 'a logistic regression outcome'
          : 'a linear regression outcome',
      );
      const pp = join(path, 'predictors');
      const list = r.list(r.required(pre, 'predictors', path), pp, 1, 32);
      const predictors = list?.map((p, j) =>
        ar.column(p, `${pp}[${j}]`, [...NUMERIC, 'categorical'], 'a predictor'),
      );
      if (predictors && new Set(predictors).size !== predictors.length)
        r.fail(pp, 'a predictor is listed twice');
      if (outcome && predictors?.includes(outcome))
        r.fail(pp, `the outcome '${outcome}' cannot also be a predictor`);
      const iterations =
        pre.iterations === undefined
          ? undefined
          : r.int(pre.iterations, join(path, 'iterations'), 1, 1000);
      const learningRate =
        pre.learningRate === undefined
          ? undefined
          : r.number(pre.learningRate, join(path, 'learningRate'), 0, 100, true);
      if (
        type === 'linear-regression' &&
        (pre.iterations !== undefined || pre.learningRate !== undefined)
      )
        r.fail(path, 'iterations and learningRate are for logistic-regression');
      if (outcome && predictors && predictors.every((p) => p !== undefined))
        a = {
          ...base,
          type,
          outcome,
          predictors: predictors as string[],
          iterations,
          learningRate,
          title: title ?? `${LABEL[type]} of ${outcome} on ${(predictors as string[]).join(' + ')}`,
        };
      break;
    }
    case 't-test': {
      const variant =
        pre.variant === undefined
          ? 'welch'
          : r.oneOf(pre.variant, join(path, 'variant'), T_TEST_VARIANTS);
      const column = col('column', NUMERIC, 'a t-test');
      const twoGroups = variant === 'welch' || variant === 'student';
      // Fields of the other variants are refused, so that a study says what it runs.
      const misplaced = (k: string, why: string) => {
        if (pre[k] !== undefined && variant !== undefined)
          r.fail(join(path, k), `not a field of a ${variant} t-test (${why})`);
      };
      if (twoGroups) {
        misplaced('paired', 'only paired t-tests have a second column');
        misplaced('mu', 'mu is for one-sample and paired t-tests');
      } else {
        misplaced('by', 'only the two-sample variants, welch and student, compare groups');
        misplaced('levels', 'only the two-sample variants, welch and student, compare groups');
        if (variant === 'one-sample')
          misplaced('paired', 'only paired t-tests have a second column');
      }
      const by = twoGroups ? col('by', GROUPING, 'by') : undefined;
      const paired =
        variant === 'paired'
          ? col('paired', NUMERIC, 'the second column of a paired t-test')
          : undefined;
      if (paired && column && paired === column)
        r.fail(join(path, 'paired'), 'expected a column other than column');
      const mu =
        pre.mu === undefined || twoGroups
          ? 0
          : (r.number(pre.mu, join(path, 'mu'), -1e15, 1e15) ?? 0);
      const level = confLevel();
      let levels: [string, string] | undefined;
      if (by) {
        const c = ar.get(by);
        const all = c.type === 'categorical' ? c.levels : ['false', 'true'];
        if (pre.levels === undefined) {
          if (all.length < 2) r.fail(join(path, 'by'), `column '${by}' has fewer than two levels`);
          else levels = [all[0]!, all[1]!];
        } else {
          const lp = join(path, 'levels');
          const list = r.list(pre.levels, lp, 2, 2);
          if (list) {
            const ls = list.map((l, j) => {
              const t = typeof l === 'boolean' ? String(l) : l;
              if (typeof t !== 'string' || !all.includes(t))
                return r.fail(
                  `${lp}[${j}]`,
                  `expected a level of '${by}' (${all.join(', ')}), got ${describe(l)}`,
                );
              return t;
            });
            if (ls[0] !== undefined && ls[0] === ls[1]) r.fail(lp, 'expected two different levels');
            else if (ls[0] !== undefined && ls[1] !== undefined) levels = [ls[0], ls[1]];
          }
        }
      }
      const name = {
        welch: 'Welch t-test',
        student: "Student's t-test",
        paired: 'Paired t-test',
        'one-sample': 'One-sample t-test',
      };
      if (variant && column && (twoGroups ? by && levels : variant === 'one-sample' || paired))
        a = {
          ...base,
          type,
          variant,
          column,
          by,
          levels,
          paired,
          mu,
          confLevel: level,
          title:
            title ??
            (twoGroups
              ? `${name[variant]} of ${column}: ${levels![0]} vs ${levels![1]}`
              : variant === 'paired'
                ? `${name[variant]} of ${column} - ${paired}`
                : `${name[variant]} of ${column}`),
        };
      break;
    }
    case 'kaplan-meier':
    case 'log-rank': {
      const time = col('time', ['integer', 'decimal'], 'a survival time');
      const event = col('event', ['boolean'], 'an event indicator');
      const by = type === 'log-rank' ? col('by', GROUPING, 'by') : optCol('by', GROUPING, 'by');
      const times = timePoints(time);
      const level = type === 'kaplan-meier' ? confLevel() : 0.95;
      if (time && event)
        a = {
          ...base,
          type,
          time,
          event,
          by,
          times,
          confLevel: level,
          title:
            title ??
            (type === 'kaplan-meier'
              ? `Kaplan-Meier survival${by ? ` by ${by}` : ''}`
              : `Log-rank test of ${time} by ${by}`),
        };
      break;
    }
    case 'anova': {
      const column = col('column', NUMERIC, 'an ANOVA');
      const by = col('by', GROUPING, 'by');
      if (by && groupCount(ar.schema, by) < 2)
        r.fail(join(path, 'by'), `column '${by}' has fewer than two levels`);
      if (column && by)
        a = { ...base, type, column, by, title: title ?? `One-way ANOVA of ${column} by ${by}` };
      break;
    }
    case 'mann-whitney': {
      const column = col('column', NUMERIC, 'a rank-sum test');
      const by = col('by', GROUPING, 'by');
      const levels = by ? twoLevels(ar, pre.levels, by, path) : undefined;
      if (column && by && levels)
        a = {
          ...base,
          type,
          column,
          by,
          levels,
          title: title ?? `Wilcoxon rank-sum test of ${column}: ${levels[0]} vs ${levels[1]}`,
        };
      break;
    }
    case 'cox': {
      const time = col('time', ['integer', 'decimal'], 'a survival time');
      const event = col('event', ['boolean'], 'an event indicator');
      const pp = join(path, 'predictors');
      const list = r.list(r.required(pre, 'predictors', path), pp, 1, 16);
      const predictors = list?.map((p, j) => {
        const name = ar.column(p, `${pp}[${j}]`, COX_PREDICTOR, 'a Cox predictor');
        if (name === undefined) return undefined;
        const c = ar.get(name);
        if (c.type === 'integer' && c.max - c.min + 1 > MAX_COX_VALUES)
          return r.fail(
            `${pp}[${j}]`,
            `column '${name}' takes ${c.max - c.min + 1} values; a Cox predictor may take at most ${MAX_COX_VALUES} (use a categorical or binned column)`,
          );
        return name;
      });
      if (predictors && new Set(predictors).size !== predictors.length)
        r.fail(pp, 'a predictor is listed twice');
      const strata = optCol('strata', GROUPING, 'strata');
      if (strata && predictors?.includes(strata))
        r.fail(join(path, 'strata'), `'${strata}' cannot be both a predictor and the strata`);
      for (const c of [time, event])
        if (c && predictors?.includes(c)) r.fail(pp, `'${c}' cannot also be a predictor`);
      const times = timePoints(time);
      const iterations =
        pre.iterations === undefined
          ? undefined
          : r.int(pre.iterations, join(path, 'iterations'), 1, 50);
      if (time && event && predictors && predictors.every((p) => p !== undefined)) {
        const cells = (predictors as string[]).reduce((x, p) => x * coxPredictorSize(ar.get(p)), 1);
        const risk = groupCount(ar.schema, strata) * coxTimes(ar.schema, { time, times }).length;
        if (cells > MAX_COX_CELLS)
          r.fail(
            pp,
            `the predictors have ${cells} combinations of values; at most ${MAX_COX_CELLS}`,
          );
        else if (cells * risk > MAX_COX_COUNTS)
          r.fail(
            path,
            `${risk} risk sets (strata x time points) x ${cells} cells = ${cells * risk} counts; at most ${MAX_COX_COUNTS} (give fewer times, fewer predictor values or no strata)`,
          );
        else
          a = {
            ...base,
            type,
            time,
            event,
            predictors: predictors as string[],
            strata,
            times,
            iterations,
            title:
              title ??
              `Cox regression of ${time} on ${(predictors as string[]).join(' + ')}${strata ? ` (strata ${strata})` : ''}`,
          };
      }
      break;
    }
  }
  if (a && a.dp) {
    // The sampler must reach the declared δ at the declared ε; checked here, before any run.
    try {
      const plans = noisePlans(ar.schema, a);
      const delta = samplerDelta(plans, a.dp.epsilon);
      if (delta > a.dp.delta)
        r.fail(
          join(path, 'dp.delta'),
          `the noise sampler's own delta is ${delta.toExponential(2)}, more than the declared ${a.dp.delta}`,
        );
    } catch (e) {
      r.fail(join(path, 'dp'), (e as Error).message);
    }
  }
  return r.issues.length === before ? a : undefined;
}

/** Most values of a rank-sum column counted per value; wider columns are sorted instead. */
export const MAX_RANK_VALUES = 20001;
/** Most values of an integer Cox predictor, and most combinations of the predictors' values. */
export const MAX_COX_VALUES = 512;
export const MAX_COX_CELLS = 4096;
/** Most counts of a Cox fit (strata x time points x cells): each iteration divides that many values. */
export const MAX_COX_COUNTS = 50_000;
const COX_PREDICTOR: readonly ColumnType[] = ['categorical', 'boolean', 'integer'];

/** Values of a Cox predictor (cells along it). */
function coxPredictorSize(c: Column): number {
  if (c.type === 'categorical') return c.levels.length;
  if (c.type === 'integer') return c.max - c.min + 1;
  return 2;
}

/** The declared range [lo, hi] of a rank-sum column, encoded as data/table.ts encodes values. */
export function rankRange(c: Column): [number, number] {
  switch (c.type) {
    case 'integer':
      return [c.min, c.max];
    case 'decimal':
      return [c.minUnits, c.maxUnits];
    case 'date':
      return [c.minDay, c.maxDay];
    default:
      return [0, 1];
  }
}

/**
 * The public values a rank-sum column can take (integers, decimal units,
 * days, 0/1), in increasing order.
 * @throws {RangeError} for more than MAX_RANK_VALUES values (such columns are sorted instead).
 */
export function rankDomain(c: Column): number[] {
  const [lo, hi] = rankRange(c);
  if (hi - lo + 1 > MAX_RANK_VALUES)
    throw new RangeError(`rank-sum: column '${c.name}' takes more than ${MAX_RANK_VALUES} values`);
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

/** The two levels of `by` a two-group test compares (default: the first two). */
function twoLevels(
  ar: AnalysisReader,
  raw: Json,
  by: string,
  path: string,
): [string, string] | undefined {
  const r = ar.r;
  const c = ar.get(by);
  const all = c.type === 'categorical' ? c.levels : ['false', 'true'];
  if (raw === undefined) {
    if (all.length < 2) return r.fail(join(path, 'by'), `column '${by}' has fewer than two levels`);
    return [all[0]!, all[1]!];
  }
  const lp = join(path, 'levels');
  const list = r.list(raw, lp, 2, 2);
  if (!list) return undefined;
  const ls = list.map((l, j) => {
    const t = typeof l === 'boolean' ? String(l) : l;
    if (typeof t !== 'string' || !all.includes(t))
      return r.fail(
        `${lp}[${j}]`,
        `expected a level of '${by}' (${all.join(', ')}), got ${describe(l)}`,
      );
    return t;
  });
  if (ls[0] !== undefined && ls[0] === ls[1]) return r.fail(lp, 'expected two different levels');
  if (ls[0] !== undefined && ls[1] !== undefined) return [ls[0], ls[1]];
  return undefined;
}

/** The number of groups of a by-column (1 without one). */
function groupCount(schema: Schema, by: string | undefined): number {
  if (by === undefined) return 1;
  const c = schema.columns.find((x) => x.name === by)!;
  return c.type === 'categorical' ? c.levels.length : 2;
}

/** The largest magnitude of a numeric column's values, in the units it is summed in. */
export function magnitude(c: Column): number {
  switch (c.type) {
    case 'integer':
      return Math.max(Math.abs(c.min), Math.abs(c.max), 1);
    case 'decimal':
      return Math.max(Math.abs(c.minUnits), Math.abs(c.maxUnits), 1);
    case 'date':
      return Math.max(Math.abs(c.minDay), Math.abs(c.maxDay), 1);
    default:
      return 1;
  }
}

/** One kind of noise an analysis adds: to its counts, or to its sums. */
export interface NoiseComponent {
  readonly role: 'count' | 'sum';
  readonly plan: LaplacePlan;
  /** How many values get this noise. */
  readonly samples: number;
}

/**
 * The noise of a dp analysis. Counts (and cells) have sensitivity 1; a sum of a
 * column has the column's largest magnitude. Groups and cells are disjoint, so
 * one record changes one of them (parallel composition); an analysis that
 * releases both a count and a sum per group (sum, mean, rate) gives each half
 * of its ε (sequential composition).
 * @throws {RangeError} when the noise cannot be planned (see planDiscreteLaplace).
 */
export function noisePlans(schema: Schema, a: Analysis): NoiseComponent[] {
  if (!a.dp) return [];
  const eps = a.dp.epsilon;
  switch (a.type) {
    case 'count':
      return [
        { role: 'count', plan: planDiscreteLaplace(eps, 1), samples: groupCount(schema, a.by) },
      ];
    case 'histogram': {
      const c = schema.columns.find((x) => x.name === a.column)!;
      const cells = a.edges ? a.edges.length - 1 : c.type === 'categorical' ? c.levels.length : 2;
      return [{ role: 'count', plan: planDiscreteLaplace(eps, 1), samples: cells }];
    }
    case 'crosstab':
      return [
        {
          role: 'count',
          plan: planDiscreteLaplace(eps, 1),
          samples: groupCount(schema, a.rows) * groupCount(schema, a.cols),
        },
      ];
    case 'rate':
    case 'sum':
    case 'mean': {
      const g = groupCount(schema, a.by);
      const c = schema.columns.find((x) => x.name === a.column)!;
      return [
        { role: 'count', plan: planDiscreteLaplace(eps / 2, 1), samples: g },
        { role: 'sum', plan: planDiscreteLaplace(eps / 2, magnitude(c)), samples: g },
      ];
    }
    default:
      return [];
  }
}

const LABEL: Record<string, string> = {
  sum: 'Sum',
  mean: 'Mean',
  variance: 'Variance',
  sd: 'Standard deviation',
  min: 'Minimum',
  max: 'Maximum',
  median: 'Median',
  covariance: 'Covariance',
  correlation: 'Correlation',
  'linear-regression': 'Linear regression',
  'logistic-regression': 'Logistic regression',
};

/** A condition as written in a study: a column and one comparison. */
export type ConditionInput = { column: string } & Partial<
  Record<'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge', string | number | boolean>
> & { in?: (string | number | boolean)[] };

/** An analysis as written in a study (fields by type: see docs/ANALYTICS.md). */
export interface AnalysisInput {
  type: AnalysisType;
  id?: string;
  title?: string;
  where?: ConditionInput | ConditionInput[];
  dp?: { epsilon: number; delta?: number };
  column?: string;
  by?: string;
  probs?: number[];
  quantileType?: number;
  edges?: (number | string)[];
  rows?: string;
  cols?: string;
  x?: string;
  y?: string;
  outcome?: string;
  predictors?: string[];
  iterations?: number;
  learningRate?: number;
  levels?: [string, string];
  variant?: TTestVariant;
  paired?: string;
  mu?: number;
  confLevel?: number;
  correct?: boolean;
  time?: string;
  event?: string;
  times?: number[];
  strata?: string;
}

/** A study as written in TypeScript: the same fields as the YAML file. */
export interface StudyInput {
  study: string;
  description?: string;
  suite?: string;
  parties: {
    id: string;
    name?: string;
    data?: string;
    format?: DataFormat;
    query?: string;
    engine?: QueryEngine;
    connection?: string;
  }[];
  schema: {
    columns: ({
      name: string;
      type: ColumnType;
      missing?: 'refuse' | 'allow';
      label?: string;
    } & Record<string, unknown>)[];
    na?: string[];
  };
  privacy?: { minCellSize?: number; budget?: { epsilon: number; delta?: number } };
  analyses: AnalysisInput[];
}

/**
 * A study defined in TypeScript, validated exactly like a study file.
 * @example
 *   const study = defineStudy({
 *     study: 'Ages',
 *     parties: [{ id: 'a', data: 'a.csv' }, { id: 'b', data: 'b.csv' }, { id: 'c', data: 'c.csv' }],
 *     schema: { columns: [{ name: 'age', type: 'integer', min: 0, max: 120 }] },
 *     analyses: [{ type: 'mean', column: 'age' }],
 *   });
 * @throws {SpecError} listing every problem, each naming its field.
 */
export function defineStudy(input: StudyInput, opts: ValidateOptions = {}): Study {
  return validateStudy(input, 'study', opts);
}

/**
 * Default time points of a survival analysis over a column's declared range
 * [min, max] (in the column's units). Kaplan-Meier: 12 evenly spaced points
 * (for reading the curve). Log-rank: every value when the column is an
 * integer with at most 2,001 values, which makes the test exactly R's
 * survdiff on the records; else 52 evenly spaced points (the test on times
 * rounded up to them). Points are whole units, ending at max. The cost in
 * MPC grows with the number of points, not with records x points (the owners
 * count per interval locally).
 */
export function defaultTimes(schema: Schema, a: SurvivalAnalysis): number[] {
  const c = schema.columns.find((x) => x.name === a.time)!;
  const [lo, hi] =
    c.type === 'decimal'
      ? [c.minUnits, c.maxUnits]
      : c.type === 'integer'
        ? [c.min, c.max]
        : [0, 1];
  if (a.type === 'log-rank' && c.type === 'integer' && hi - lo <= 2000)
    return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  const count = a.type === 'kaplan-meier' ? 12 : 52;
  const out: number[] = [];
  for (let k = 1; k <= count; k++) {
    const t = Math.round(lo + ((hi - lo) * k) / count);
    if (out.length === 0 || t > out[out.length - 1]!) out.push(t);
  }
  return out;
}

/**
 * Every value of an integer time column (at most 2,001), on which survival
 * counts make Kaplan-Meier and log-rank exact (R's survfit and survdiff);
 * undefined for other columns.
 */
export function everyTime(schema: Schema, a: SurvivalAnalysis): number[] | undefined {
  const c = schema.columns.find((x) => x.name === a.time)!;
  if (c.type !== 'integer' || c.max - c.min > 2000) return undefined;
  return Array.from({ length: c.max - c.min + 1 }, (_, i) => c.min + i);
}

/**
 * The time points of a Cox regression: `times` when given; else every value
 * of an integer time column with at most 2,001 values, which makes the fit
 * exactly R's coxph(ties = "breslow") on the records; else 52 evenly spaced
 * points over the declared range (the fit on times rounded up to them).
 */
export function coxTimes(schema: Schema, a: Pick<CoxAnalysis, 'time' | 'times'>): number[] {
  if (a.times) return [...a.times];
  const c = schema.columns.find((x) => x.name === a.time)!;
  const [lo, hi] =
    c.type === 'decimal'
      ? [c.minUnits, c.maxUnits]
      : c.type === 'integer'
        ? [c.min, c.max]
        : [0, 1];
  if (c.type === 'integer' && hi - lo <= 2000)
    return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  const out: number[] = [];
  for (let k = 1; k <= 52; k++) {
    const t = Math.round(lo + ((hi - lo) * k) / 52);
    if (out.length === 0 || t > out[out.length - 1]!) out.push(t);
  }
  return out;
}

/** A party's `query`, `engine` and `connection` fields. */
function readQuery(o: Record<string, Json>, path: string, r: FieldReader): PartyQuery | undefined {
  if (o.query === undefined) {
    for (const k of ['engine', 'connection'])
      if (o[k] !== undefined) r.fail(join(path, k), `${k} applies only to a query (set query)`);
    return undefined;
  }
  const sql = o.query;
  if (typeof sql !== 'string' || sql.trim() === '' || sql.length > MAX_QUERY)
    return r.fail(
      join(path, 'query'),
      `expected a SQL query (text of 1..${MAX_QUERY} characters), got ${describe(sql)}`,
    );
  const engine =
    o.engine === undefined
      ? 'duckdb'
      : r.oneOf(o.engine, join(path, 'engine'), QUERY_ENGINES, 'query engine');
  if (engine === undefined) return undefined;
  let connection: string | undefined;
  if (engine === 'postgres') {
    if (o.connection === undefined)
      return r.fail(
        join(path, 'connection'),
        'missing: a postgres query needs the name of the environment variable that holds the connection URL (e.g. connection: HOSPITAL_PG_URL)',
      );
    if (typeof o.connection === 'string' && !ENV_NAME.test(o.connection))
      // Not echoed: what was written may be a URL with its password.
      return r.fail(
        join(path, 'connection'),
        'expected the name of an environment variable that holds the connection URL (letters, digits and _), not the URL itself: a study file never holds a password',
      );
    connection = r.string(
      o.connection,
      join(path, 'connection'),
      ENV_NAME,
      'the name of an environment variable (letters, digits and _)',
    );
    if (connection === undefined) return undefined;
  } else if (o.connection !== undefined)
    r.fail(join(path, 'connection'), 'duckdb reads local files: it takes no connection');
  return { sql, engine, connection };
}
