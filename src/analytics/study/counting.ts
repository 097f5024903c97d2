/**
 * The analyses built from exact integer counts and sums, which are also the
 * ones that support differential privacy: count, sum, mean, rate, histogram
 * and crosstab. Each computes, per group or cell, a secret count n and (for
 * sum, mean and rate) a secret sum S of the column in its exact units, adds
 * discrete Laplace noise to both when the analysis declares dp, suppresses
 * inside MPC every group whose (noisy) count is below k, and reveals n and S.
 * Means and rates are S / n, computed on the revealed values: they carry no
 * more information than the pair (n, S) itself, and stay exact.
 *
 * Each owner computes its own counts and sums per group or cell, in the
 * clear on its own records (its `where`, complete cases, groups and bins,
 * exactly as the pooled reference does), and inputs them as secrets; MPC
 * adds them up (`SecretTable.aggregate`). No record is input for these
 * analyses, so their cost is per group or cell, not per record, and the
 * numbers are the same exact integers a per-record computation gives.
 *
 * Costs: one input per group and statistic and party; then the noise and
 * one comparison per group for the suppression.
 */
import type { SecretInt } from '../../api/secret.js';
import { formatDate, type Column, type Schema } from '../data/schema.js';
import type { Table } from '../data/table.js';
import { addDiscreteLaplace } from '../privacy/dp.js';
import { releaseGuarded, type Released } from '../privacy/suppress.js';
import type { AnalysisBody, AnalysisContext } from './context.js';
import { AnalysisContext as Ctx } from './context.js';
import type { ResultRow } from './result.js';
import { referenceGroups, referenceMask } from './reference.js';
import { groupsSuppressed } from './wording.js';
import { noisePlans, type Analysis, type HistogramAnalysis, type TableAnalysis } from './spec.js';

/** Whether this module computes analyses of this type. */
export function isCounting(a: Analysis): boolean {
  return ['count', 'sum', 'mean', 'rate', 'histogram', 'crosstab'].includes(a.type);
}

/** How a counting analysis lays out its local aggregate (see `countingAggregate`). */
export type AggregateLayout =
  | { readonly kind: 'groups'; readonly by: string | undefined; readonly groups: number }
  | {
      readonly kind: 'cells';
      readonly rows: string;
      readonly cols: string;
      readonly colLevels: number;
    }
  | { readonly kind: 'bins'; readonly column: string; readonly edges: readonly number[] };

/**
 * A counting analysis's local aggregate: `slots` counts (one per group, cell
 * or bin), followed, with `sumOf`, by as many sums of that column's exact
 * units. Under `key` in SecretTable.aggregate, whether computed here on a
 * loaded table or by the source's SQL engine (pushdown.ts).
 */
export interface CountingAggregate {
  readonly key: string;
  readonly slots: number;
  readonly length: number;
  readonly layout: AggregateLayout;
  readonly sumOf: string | undefined;
}

function levelCount(schema: Schema, name: string): number {
  const c = schema.columns.find((x) => x.name === name)!;
  return c.type === 'categorical' ? c.levels.length : 2;
}

/**
 * The local aggregate of a counting analysis (and of chi-squared, whose
 * table is a crosstab's cells), or undefined for another analysis.
 */
export function countingAggregate(a: Analysis, schema: Schema): CountingAggregate | undefined {
  const groups = (key: string, by: string | undefined, sumOf?: string): CountingAggregate => {
    const G = by === undefined ? 1 : levelCount(schema, by);
    return {
      key,
      slots: G,
      length: sumOf === undefined ? G : 2 * G,
      layout: { kind: 'groups', by, groups: G },
      sumOf,
    };
  };
  switch (a.type) {
    case 'count':
      return groups(`n:${a.id}`, a.by);
    case 'sum':
    case 'mean':
    case 'rate':
      return groups(`ns:${a.id}`, a.by, a.column);
    case 'histogram': {
      if (!a.edges) return groups(`n:${a.id}`, a.column);
      const m = a.edges.length - 1;
      return {
        key: `bins:${a.id}`,
        slots: m,
        length: m,
        layout: { kind: 'bins', column: a.column, edges: a.edges },
        sumOf: undefined,
      };
    }
    case 'crosstab':
    case 'chi-squared': {
      const R = levelCount(schema, a.rows);
      const C = levelCount(schema, a.cols);
      return {
        key: `cells:${a.id}`,
        slots: R * C,
        length: R * C,
        layout: { kind: 'cells', rows: a.rows, cols: a.cols, colLevels: C },
        sumOf: undefined,
      };
    }
    default:
      return undefined;
  }
}

/** A local aggregate from the (slot, n, s) rows its SQL returned. @throws {RangeError} for a slot out of range. */
export function fillAggregate(
  agg: CountingAggregate,
  rows: readonly { slot: number; n: number; s: number | null }[],
): Float64Array {
  const out = new Float64Array(agg.length);
  for (const r of rows) {
    if (!Number.isInteger(r.slot) || r.slot < 0 || r.slot >= agg.slots)
      throw new RangeError(`${agg.key}: the engine returned slot ${r.slot} of ${agg.slots}`);
    out[r.slot] = r.n;
    if (agg.sumOf !== undefined) out[agg.slots + r.slot] = r.s ?? 0;
  }
  return out;
}

/** The key of an analysis's local aggregate: one place, shared with the SQL pushdown. */
function keyOf(ctx: AnalysisContext, a: Analysis): string {
  return countingAggregate(a, ctx.study.schema)!.key;
}

/** Bits of a signed secret holding up to `n` in magnitude. */
function bitsFor(n: number): number {
  return Math.ceil(Math.log2(n + 1)) + 1;
}

/** The group labels of `by` (or one group, 'all'), from the schema alone. */
function groupLabels(ctx: AnalysisContext, by: string | undefined): string[] {
  if (by === undefined) return ['all'];
  const c = ctx.table.column(by);
  if (c.type === 'categorical') return c.levels.map((l) => `${by} = ${l}`);
  if (c.type === 'boolean') return [`${by} = false`, `${by} = true`];
  throw new TypeError(`groups: column '${by}' is ${c.type}, not categorical or boolean`);
}

/**
 * The secure sum over the owners of `length` local numbers, each of which is
 * at most `bound` in magnitude at every party and in total.
 */
function summed(
  ctx: AnalysisContext,
  key: string,
  length: number,
  bound: number,
  local: (own: Table) => Float64Array,
): SecretInt {
  const bits = bitsFor(bound);
  if (bits > 62)
    throw new RangeError(
      `${key}: sums up to ${bound} do not fit the engine's 62-bit exact integers; narrow the column's declared range`,
    );
  const c = ctx.table.aggregate(key, length, bits, local);
  return c.assumeBound(bits);
}

/** Per group of `by`: records in the analysis's mask, and (with `column`) the sum of its exact units. */
function groupCounts(
  ctx: AnalysisContext,
  a: Analysis,
  by: string | undefined,
  column?: string,
): { labels: string[]; n: SecretInt; sum: SecretInt | undefined } {
  const labels = groupLabels(ctx, by);
  const G = labels.length;
  const rows = ctx.table.rows;
  const local = (own: Table): Float64Array => {
    const mask = referenceMask(own, a);
    const g = referenceGroups(own, by);
    const x = column === undefined ? undefined : own.columns.get(column)!.values;
    const out = new Float64Array(x ? 2 * G : G);
    for (let i = 0; i < own.rows; i++) {
      const gi = g.of(i);
      if (!mask[i] || gi < 0) continue;
      out[gi]!++;
      if (x) out[G + gi]! += x[i]!;
    }
    return out;
  };
  if (column === undefined)
    return { labels, n: summed(ctx, keyOf(ctx, a), G, rows, local), sum: undefined };
  const c = ctx.table.column(column);
  const [lo, hi] =
    c.type === 'decimal'
      ? [c.minUnits, c.maxUnits]
      : c.type === 'date'
        ? [c.minDay, c.maxDay]
        : c.type === 'boolean'
          ? [0, 1]
          : c.type === 'integer'
            ? [c.min, c.max]
            : [0, 0];
  const both = summed(
    ctx,
    keyOf(ctx, a),
    2 * G,
    rows * Math.max(1, Math.abs(lo), Math.abs(hi)),
    local,
  );
  const nb = bitsFor(rows);
  return {
    labels,
    // Counts are at most the public row count: a tighter type than the sums', so cheaper to compare.
    n: both.slice(0, G).assumeBound(nb),
    sum: both.slice(G, 2 * G),
  };
}

function noisy(ctx: AnalysisContext, a: Analysis, role: 'count' | 'sum', x: SecretInt): SecretInt {
  const plan = noisePlans(ctx.study.schema, a).find((p) => p.role === role);
  return plan ? addDiscreteLaplace(ctx.s, x, plan.plan) : x;
}

function precisionOf(ctx: AnalysisContext, a: Analysis, role: 'count' | 'sum'): string {
  const plan = noisePlans(ctx.study.schema, a).find((p) => p.role === role);
  return plan ? `DP noise: discrete Laplace, scale ${fmt(plan.plan.scale)}` : 'exact';
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(4));

function baseNotes(ctx: AnalysisContext, a: Analysis): string[] {
  const notes: string[] = [];
  if (a.where.length > 0) notes.push(`records where ${a.where.map((w) => w.text).join(' and ')}`);
  const missing = Ctx.columnsOf(a).filter((c) => ctx.table.mayBeMissing(c));
  if (missing.length > 0)
    notes.push(`records with a missing ${missing.join(' or ')} are left out (complete cases)`);
  if (a.dp)
    notes.push(
      `differential privacy: epsilon ${a.dp.epsilon}, delta ${a.dp.delta}; suppression is decided on the noisy counts`,
    );
  if (ctx.k > 0) notes.push(groupsSuppressed(ctx.k));
  return notes;
}

function rowsOf(
  statistic: string,
  labels: readonly string[],
  r: Released,
  precision: string,
): ResultRow[] {
  return labels.map((group, i) => ({
    statistic,
    group,
    value: r.values[i] ?? null,
    suppressed: r.suppressed[i]!,
    precision,
  }));
}

/**
 * Runs a count, sum, mean, rate, histogram or crosstab analysis.
 * @throws {TypeError} for another analysis type.
 */
export async function runCounting(ctx: AnalysisContext, a: Analysis): Promise<AnalysisBody> {
  const notes = baseNotes(ctx, a);
  const dp = a.dp ? { epsilon: a.dp.epsilon, delta: a.dp.delta } : undefined;
  switch (a.type) {
    case 'count': {
      const g = groupCounts(ctx, a, a.by);
      const n = noisy(ctx, a, 'count', g.n);
      const [r] = await releaseGuarded(ctx.s, [{ value: n, support: n }], ctx.k);
      return {
        rows: rowsOf('n', g.labels, r!, precisionOf(ctx, a, 'count')),
        notes,
        ...(dp ? { dp } : {}),
      };
    }
    case 'sum':
    case 'mean':
    case 'rate': {
      const col = ctx.table.column(a.column);
      const g = groupCounts(ctx, a, a.by, a.column);
      const n = noisy(ctx, a, 'count', g.n);
      const S = noisy(ctx, a, 'sum', g.sum!);
      const [rn, rs] = await releaseGuarded(
        ctx.s,
        [
          { value: n, support: n },
          { value: S, support: n },
        ],
        ctx.k,
      );
      const unit = col.type === 'decimal' ? 10 ** -col.scale : 1;
      const rows: ResultRow[] = [];
      g.labels.forEach((group, i) => {
        const nv = rn!.values[i] ?? null;
        const sv = rs!.values[i] ?? null;
        const suppressed = rn!.suppressed[i]!;
        rows.push({
          statistic: 'n',
          group,
          value: nv,
          suppressed,
          precision: precisionOf(ctx, a, 'count'),
        });
        const stat = a.type === 'sum' ? 'sum' : a.type === 'mean' ? 'mean' : 'rate';
        let value: number | null = null;
        if (sv !== null && nv !== null) {
          if (a.type === 'sum') value = sv * unit;
          // A noisy count can be 0 or negative when k = 0; the ratio is then undefined, not clamped.
          else if (nv > 0) value = (sv * unit) / nv;
        }
        rows.push({
          statistic: stat,
          group,
          value,
          suppressed,
          precision: a.dp ? `DP noise on sum and count` : 'exact (integer sums)',
        });
      });
      if (a.dp)
        notes.push(
          `${a.type === 'sum' ? 'sums' : 'ratios'} of noisy sums and noisy counts (epsilon split in half between them)`,
        );
      return { rows, notes, ...(dp ? { dp } : {}) };
    }
    case 'histogram':
      return histogram(ctx, a, notes, dp);
    case 'crosstab':
      return crosstab(ctx, a, notes, dp);
    default:
      throw new TypeError(`runCounting: ${a.type} is not a counting analysis`);
  }
}

/** Labels of histogram bins: [lo, hi) and the last one closed, [lo, hi], in the column's units. */
export function histogramLabels(col: Column, e: readonly number[]): string[] {
  const unit = col.type === 'decimal' ? 10 ** -col.scale : 1;
  const show = (v: number) => (col.type === 'date' ? formatDate(v) : fmt(v * unit));
  return e
    .slice(0, -1)
    .map((lo, i) => `[${show(lo)}, ${show(e[i + 1]!)}${i === e.length - 2 ? ']' : ')'}`);
}

async function histogram(
  ctx: AnalysisContext,
  a: HistogramAnalysis,
  notes: string[],
  dp: { epsilon: number; delta: number } | undefined,
): Promise<AnalysisBody> {
  const s = ctx.s;
  const col = ctx.table.column(a.column);
  let labels: string[];
  let cells: SecretInt;
  if (!a.edges) {
    const g = groupCounts(ctx, a, a.column);
    labels = g.labels;
    cells = g.n;
  } else {
    const e = a.edges;
    const m = e.length - 1;
    labels = histogramLabels(col, e);
    // Bin b holds e_b <= x < e_{b+1}, the last one closed: e_{m-1} <= x <= e_m.
    cells = summed(ctx, keyOf(ctx, a), m, ctx.table.rows, (own) => {
      const mask = referenceMask(own, a);
      const x = own.columns.get(a.column)!.values;
      const n = new Float64Array(m);
      for (let i = 0; i < own.rows; i++) {
        if (!mask[i]) continue;
        const v = x[i]!;
        if (v < e[0]! || v > e[m]!) continue;
        // The last edge not above v (binary search), the top edge into the last bin.
        let lo = 0;
        let hi = m;
        while (hi - lo > 1) {
          const mid = (lo + hi) >> 1;
          if (e[mid]! <= v) lo = mid;
          else hi = mid;
        }
        n[lo]!++;
      }
      return n;
    });
    notes.push(`records outside ${histogramLabels(col, [e[0]!, e[m]!])[0]} are not counted`);
  }
  const noisyCells = noisy(ctx, a, 'count', cells);
  const [r] = await releaseGuarded(s, [{ value: noisyCells, support: noisyCells }], ctx.k);
  return {
    rows: rowsOf('n', labels, r!, precisionOf(ctx, a, 'count')),
    notes,
    ...(dp ? { dp } : {}),
  };
}

/**
 * The secret records per cell of a crosstab or chi-squared table (row-major,
 * R x C): each owner counts its own records per cell (its `where` and
 * complete cases) and MPC adds the counts up; no record is input.
 */
export function cellCounts(
  ctx: AnalysisContext,
  a: TableAnalysis,
): { rows: string[]; cols: string[]; cells: SecretInt } {
  const R = groupLabels(ctx, a.rows);
  const C = groupLabels(ctx, a.cols);
  const cells = summed(ctx, keyOf(ctx, a), R.length * C.length, ctx.table.rows, (own) => {
    const mask = referenceMask(own, a);
    const r = referenceGroups(own, a.rows);
    const c = referenceGroups(own, a.cols);
    const n = new Float64Array(R.length * C.length);
    for (let i = 0; i < own.rows; i++)
      if (mask[i] && r.of(i) >= 0 && c.of(i) >= 0) n[r.of(i) * C.length + c.of(i)]!++;
    return n;
  });
  return { rows: R, cols: C, cells };
}

async function crosstab(
  ctx: AnalysisContext,
  a: TableAnalysis,
  notes: string[],
  dp: { epsilon: number; delta: number } | undefined,
): Promise<AnalysisBody> {
  const s = ctx.s;
  const { rows: R, cols: C, cells } = cellCounts(ctx, a);
  const labels = R.flatMap((r) => C.map((c) => `${r}, ${c}`));
  const noisyCells = noisy(ctx, a, 'count', cells);
  const [rel] = await releaseGuarded(s, [{ value: noisyCells, support: noisyCells }], ctx.k);
  return {
    rows: rowsOf('n', labels, rel!, precisionOf(ctx, a, 'count')),
    notes,
    ...(dp ? { dp } : {}),
  };
}
