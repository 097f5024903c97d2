/**
 * From a released study outcome to what the Results page draws and offers for
 * download. Pure functions (no DOM), so they can be checked on their own.
 */
import type { AnalysisOutcome, ResultRow, StudyOutcome } from '../../src/analytics/study/result.js';

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
  lower?: readonly (number | null)[];
  upper?: readonly (number | null)[];
  bands?: { lower?: readonly (number | null)[]; upper?: readonly (number | null)[] };
}

export interface SurvivalPoint {
  group: string;
  time: number;
  survival: number;
  lower: number | null;
  upper: number | null;
  atRisk: number | null;
}

/**
 * The points of each Kaplan-Meier curve from S(0) = 1: a curve stops at its
 * first suppressed point (fewer than k records still at risk there, and so at
 * every later point).
 */
export function survivalPoints(a: AnalysisOutcome): {
  groups: string[];
  points: SurvivalPoint[];
  bands: boolean;
} {
  const curves = (a.curves ?? []) as readonly CurveWithBands[];
  const points: SurvivalPoint[] = [];
  let bands = false;
  for (const c of curves) {
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
      });
    }
  }
  return { groups: curves.map((c) => c.group), points, bands };
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
 * Regression coefficients with 95% Wald intervals (coefficient ± 1.96 times
 * the released standard error; none when the standard error is not released).
 */
export function regressionTerms(a: AnalysisOutcome): Term[] | null {
  if (a.type !== 'linear-regression' && a.type !== 'logistic-regression') return null;
  const byTerm = new Map<string, Term>();
  for (const r of a.rows as RowWithInterval[]) {
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
  for (const t of byTerm.values())
    if (t.lower === null && t.coefficient !== null && t.se !== null) {
      t.lower = t.coefficient - Z95 * t.se;
      t.upper = t.coefficient + Z95 * t.se;
    }
  return [...byTerm.values()];
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
          test: r.group && !/ x /.test(r.group) ? `${a.title}: ${r.group}` : a.title,
          p: r.value,
        });
  return out;
}

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * Every released value as CSV: one line per row of each analysis (suppressed
 * values empty, with suppressed = true), then the records at risk of each
 * survival curve, which the rows do not repeat.
 */
export function toCsv(o: StudyOutcome): string {
  const lines = [['analysis', 'title', 'statistic', 'group', 'value', 'suppressed', 'precision']];
  for (const a of o.analyses) {
    for (const r of a.rows)
      lines.push([
        a.id,
        a.title,
        r.statistic,
        r.group ?? '',
        r.value === null || r.suppressed ? '' : String(r.value),
        String(r.suppressed),
        r.precision ?? '',
      ]);
    for (const c of a.curves ?? [])
      c.times.forEach((t, i) => {
        const n = c.atRisk?.[i];
        if (n === undefined) return;
        lines.push([
          a.id,
          a.title,
          'at risk',
          `${c.group}, t = ${t}`,
          n === null ? '' : String(n),
          String(n === null),
          'exact',
        ]);
      });
  }
  return lines.map((l) => l.map(csvField).join(',')).join('\r\n') + '\r\n';
}
