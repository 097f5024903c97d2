/**
 * From a released study outcome to what the Results page draws and offers for
 * download. Pure functions (no DOM), so they can be checked on their own.
 */
import { studentTQuantile } from '../../src/analytics/distributions.js';
import type {
  AnalysisOutcome,
  ResultRow,
  StudyOutcome,
  SurvivalCurve,
} from '../../src/analytics/study/result.js';

/** Okabe-Ito, ordered for lines on white (yellow last: too light for thin marks). */
export const PALETTE = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#000000',
  '#F0E442',
] as const;

/** A row may carry an interval (lower/upper) when the engine releases one. */
type RowWithInterval = ResultRow & { lower?: number | null; upper?: number | null };

/** A curve may carry confidence bands, as `lower`/`upper` or `bands: { lower, upper }`. */
interface CurveWithBands {
  group: string;
  times: readonly number[];
  survival: readonly (number | null)[];
  atRisk?: readonly (number | null)[];
  events?: readonly (number | null)[];
  stdErr?: readonly (number | null)[];
  lower?: readonly (number | null)[];
  upper?: readonly (number | null)[];
  confLevel?: number;
  bands?: { lower?: readonly (number | null)[]; upper?: readonly (number | null)[] };
}

export interface SurvivalPoint {
  group: string;
  time: number;
  survival: number;
  lower: number | null;
  upper: number | null;
  atRisk: number | null;
  events: number | null;
  stdErr: number | null;
}

/**
 * The points of each Kaplan-Meier curve from S(0) = 1: a curve stops at its
 * first suppressed point (fewer than k records still at risk there, and so at
 * every later point). `confLevel` is the bands' level (R's conf.int), when the
 * curves carry bands and say it.
 */
export function survivalPoints(a: AnalysisOutcome): {
  groups: string[];
  points: SurvivalPoint[];
  bands: boolean;
  confLevel: number | null;
} {
  const curves = (a.curves ?? []) as readonly CurveWithBands[];
  const points: SurvivalPoint[] = [];
  let bands = false;
  let confLevel: number | null = null;
  for (const c of curves) {
    confLevel ??= c.confLevel ?? null;
    const lower = c.lower ?? c.bands?.lower;
    const upper = c.upper ?? c.bands?.upper;
    const hasBands = !!lower && !!upper;
    bands ||= hasBands;
    points.push({
      group: c.group,
      time: 0,
      survival: 1,
      lower: hasBands ? 1 : null,
      upper: hasBands ? 1 : null,
      atRisk: null,
      events: null,
      stdErr: hasBands ? 0 : null,
    });
    for (let i = 0; i < c.times.length; i++) {
      const s = c.survival[i];
      if (s === null || s === undefined) break;
      points.push({
        group: c.group,
        time: c.times[i]!,
        survival: s,
        lower: lower?.[i] ?? null,
        upper: upper?.[i] ?? null,
        atRisk: c.atRisk?.[i] ?? null,
        events: c.events?.[i] ?? null,
        stdErr: c.stdErr?.[i] ?? null,
      });
    }
  }
  return { groups: curves.map((c) => c.group), points, bands, confLevel: bands ? confLevel : null };
}

/** A confidence level as the engine writes it: 0.95 -> "95%". */
export function percent(level: number): string {
  return `${+(level * 100).toPrecision(6)}%`;
}

export interface Bar {
  group: string;
  value: number | null;
  suppressed: boolean;
  lower: number | null;
  upper: number | null;
}

const PER_GROUP = new Set([
  'count',
  'sum',
  'mean',
  'rate',
  'variance',
  'sd',
  'min',
  'max',
  'median',
  'histogram',
]);

/**
 * The statistic a bar chart shows for a per-group analysis (the analysis's
 * own statistic, else the count), one bar per group; null when the analysis
 * has no groups to compare (one group only) or every value is suppressed.
 */
export function bars(a: AnalysisOutcome): { statistic: string; bars: Bar[] } | null {
  if (!PER_GROUP.has(a.type)) return null;
  const stats = [...new Set(a.rows.map((r) => r.statistic))];
  const statistic = stats.find((s) => s !== 'n') ?? 'n';
  const rows = a.rows.filter((r) => r.statistic === statistic) as RowWithInterval[];
  // Nothing to compare when fewer than two groups, or when every value is withheld (the table says so).
  if (rows.length < 2 || rows.every((r) => r.suppressed || r.value === null)) return null;
  return {
    statistic,
    bars: rows.map((r) => ({
      group: r.group ?? 'all',
      value: r.suppressed ? null : r.value,
      suppressed: r.suppressed,
      lower: r.lower ?? null,
      upper: r.upper ?? null,
    })),
  };
}

export interface Cell {
  row: string;
  col: string;
  value: number | null;
  suppressed: boolean;
}

/**
 * The cells of a crosstab (rows labelled "arm = A, recovered = true" by the
 * engine): the row level, then the column level, which starts at the last
 * ", name = " of the label.
 */
export function crosstabCells(a: AnalysisOutcome): {
  rows: string[];
  cols: string[];
  cells: Cell[];
} | null {
  if (a.type !== 'crosstab') return null;
  const cells: Cell[] = [];
  for (const r of a.rows) {
    const m = /^(.*), ([A-Za-z0-9_.-]+ = .*)$/.exec(r.group ?? '');
    if (!m) return null;
    cells.push({ row: m[1]!, col: m[2]!, value: r.value, suppressed: r.suppressed });
  }
  return {
    rows: [...new Set(cells.map((c) => c.row))],
    cols: [...new Set(cells.map((c) => c.col))],
    cells,
  };
}

export interface Term {
  term: string;
  coefficient: number | null;
  se: number | null;
  lower: number | null;
  upper: number | null;
  p: number | null;
  suppressed: boolean;
}

/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/**
 * Regression coefficients with 95% intervals: coefficient -+ q times the
 * released standard error, where q is Student's t quantile on the residual df
 * when the model releases them (R's confint for lm), else the normal quantile
 * (Wald intervals, R's confint.default, e.g. logistic regression). The
 * model's own rows (group "model": R^2, F, its p-value, ...) are not terms.
 */
export function regressionTerms(
  a: AnalysisOutcome,
): { terms: Term[]; df: number | null; quantile: number } | null {
  if (a.type !== 'linear-regression' && a.type !== 'logistic-regression') return null;
  const byTerm = new Map<string, Term>();
  let df: number | null = null;
  for (const r of a.rows as RowWithInterval[]) {
    if (r.group === 'model') {
      if (r.statistic === 'residual df' && !r.suppressed && r.value !== null && r.value > 0)
        df = r.value;
      continue;
    }
    if (!['coefficient', 'standard error', 'p-value'].includes(r.statistic)) continue;
    const term = r.group ?? '';
    const t = byTerm.get(term) ?? {
      term,
      coefficient: null,
      se: null,
      lower: null,
      upper: null,
      p: null,
      suppressed: false,
    };
    t.suppressed ||= r.suppressed;
    if (r.statistic === 'coefficient') {
      t.coefficient = r.value;
      if (typeof r.lower === 'number' && typeof r.upper === 'number') {
        t.lower = r.lower;
        t.upper = r.upper;
      }
    } else if (r.statistic === 'standard error') t.se = r.value;
    else t.p = r.value;
    byTerm.set(term, t);
  }
  const quantile = df !== null ? studentTQuantile(0.975, df) : Z95;
  for (const t of byTerm.values())
    if (t.lower === null && t.coefficient !== null && t.se !== null) {
      t.lower = t.coefficient - quantile * t.se;
      t.upper = t.coefficient + quantile * t.se;
    }
  return { terms: [...byTerm.values()], df, quantile };
}

/** One estimate with its interval, as the interval charts draw it. */
export interface Estimate {
  label: string;
  value: number | null;
  lower: number | null;
  upper: number | null;
}

/** The level of a released interval, read from its rows' precision ("95% confidence interval, ..."). */
function levelOf(rows: readonly ResultRow[]): string | null {
  const ci = rows.find((r) => r.statistic === 'CI lower');
  return /^(\d+(?:\.\d+)?%) confidence interval/.exec(ci?.precision ?? '')?.[1] ?? null;
}

function released(r: ResultRow | undefined): number | null {
  return r && !r.suppressed ? r.value : null;
}

/**
 * A t-test's means as bars (two-sample tests) and its estimate with the
 * released confidence interval: the difference of the means (group "A - B",
 * the difference of the two released means), or the mean (difference) of a
 * one-sample or paired test. Null when the test released no interval.
 */
export function tTestParts(a: AnalysisOutcome): {
  means: Bar[];
  estimate: Estimate;
  level: string | null;
} | null {
  if (a.type !== 't-test') return null;
  const lower = a.rows.find((r) => r.statistic === 'CI lower');
  const upper = a.rows.find((r) => r.statistic === 'CI upper');
  if (!lower || !upper) return null;
  const label = lower.group ?? '';
  const means = a.rows
    .filter((r) => r.statistic === 'mean' && r.group !== label)
    .map((r) => ({
      group: r.group ?? 'all',
      value: r.suppressed ? null : r.value,
      suppressed: r.suppressed,
      lower: null,
      upper: null,
    }));
  const own = a.rows.find(
    (r) => (r.statistic === 'mean' || r.statistic === 'mean difference') && r.group === label,
  );
  let value: number | null = null;
  if (own) value = released(own);
  else if (means.length === 2 && means[0]!.value !== null && means[1]!.value !== null)
    value = means[0]!.value - means[1]!.value;
  return {
    means,
    estimate: { label, value, lower: released(lower), upper: released(upper) },
    level: levelOf(a.rows),
  };
}

/** A correlation's r with its released (Fisher z) confidence interval. */
export function correlationEstimate(
  a: AnalysisOutcome,
): { estimate: Estimate; level: string | null } | null {
  if (a.type !== 'correlation') return null;
  const r = a.rows.find((x) => x.statistic === 'correlation');
  const lower = a.rows.find((x) => x.statistic === 'CI lower');
  const upper = a.rows.find((x) => x.statistic === 'CI upper');
  if (!r || !lower || !upper) return null;
  return {
    estimate: {
      label: r.group ?? 'r',
      value: released(r),
      lower: released(lower),
      upper: released(upper),
    },
    level: levelOf(a.rows),
  };
}

export interface PValue {
  analysis: string;
  test: string;
  p: number;
}

/** Every released p-value of the study, labelled by analysis and term. */
export function pValues(o: StudyOutcome): PValue[] {
  const out: PValue[] = [];
  for (const a of o.analyses)
    for (const r of a.rows)
      if (r.statistic === 'p-value' && !r.suppressed && r.value !== null)
        out.push({
          analysis: a.title,
          // A model's own p-value (group "model") is its F test.
          test:
            r.group === 'model'
              ? `${a.title}: F test`
              : r.group && !/ x /.test(r.group)
                ? `${a.title}: ${r.group}`
                : a.title,
          p: r.value,
        });
  return out;
}

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** The curve fields the CSV puts beside a Kaplan-Meier row, named as in the JSON. */
const CURVE_FIELDS = ['atRisk', 'events', 'stdErr', 'lower', 'upper'] as const;

/**
 * Every released value as CSV, one line per row of each analysis (suppressed
 * values empty, with suppressed = true). A Kaplan-Meier row (S(t) of a group
 * at a time) carries its curve's point beside it: records at risk, events
 * since the previous time, Greenwood standard error, the confidence band and
 * its level (empty where withheld); other rows leave these columns empty.
 */
export function toCsv(o: StudyOutcome): string {
  const lines = [
    [
      'analysis',
      'title',
      'statistic',
      'group',
      'value',
      'suppressed',
      'precision',
      ...CURVE_FIELDS,
      'confLevel',
    ],
  ];
  const cell = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
  for (const a of o.analyses) {
    const points = new Map<string, { c: SurvivalCurve; i: number }>();
    for (const c of a.curves ?? [])
      c.times.forEach((t, i) => points.set(`${c.group}, t = ${t}`, { c, i }));
    for (const r of a.rows) {
      const at = r.statistic === 'S(t)' ? points.get(r.group ?? '') : undefined;
      lines.push([
        a.id,
        a.title,
        r.statistic,
        r.group ?? '',
        r.value === null || r.suppressed ? '' : String(r.value),
        String(r.suppressed),
        r.precision ?? '',
        ...CURVE_FIELDS.map((f) => (at ? cell(at.c[f]?.[at.i]) : '')),
        at ? cell(at.c.confLevel) : '',
      ]);
    }
  }
  return lines.map((l) => l.map(csvField).join(',')).join('\r\n') + '\r\n';
}
