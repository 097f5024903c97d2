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
 * Costs: one dot product (one element sent) per group and statistic; a
 * multiplication per record for a `where` mask or for columns with missing
 * values; comparisons per record and edge for numeric histograms.
 */
import type { SecretBool, SecretInt } from '../../api/secret.js';
import { bool, int } from '../../api/types.js';
import { formatDate, type Column } from '../data/schema.js';
import { addDiscreteLaplace } from '../privacy/dp.js';
import { releaseGuarded, type Released } from '../privacy/suppress.js';
import type { AnalysisBody, AnalysisContext } from './context.js';
import { AnalysisContext as Ctx } from './context.js';
import type { ResultRow } from './result.js';
import { groupsSuppressed } from './wording.js';
import { noisePlans, type Analysis, type HistogramAnalysis, type TableAnalysis } from './spec.js';

/** Whether this module computes analyses of this type. */
export function isCounting(a: Analysis): boolean {
  return ['count', 'sum', 'mean', 'rate', 'histogram', 'crosstab'].includes(a.type);
}

/** Secret counts of `indicators` within the mask: one dot product each. */
function counts(
  ctx: AnalysisContext,
  mask: SecretBool | undefined,
  ind: readonly SecretBool[],
): SecretInt {
  const s = ctx.s;
  const m = mask?.toInt(2);
  return s.concat(ind.map((g) => (m ? m.dot(g.toInt(2)) : g.count()).reshape([1])));
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
  const mask = ctx.mask(a.where, Ctx.columnsOf(a));
  const dp = a.dp ? { epsilon: a.dp.epsilon, delta: a.dp.delta } : undefined;
  switch (a.type) {
    case 'count': {
      const g = a.by
        ? ctx.groups(a.by)
        : {
            labels: ['all'],
            indicators: [ctx.s.constant(bool, new Array<boolean>(ctx.table.rows).fill(true))],
          };
      const n = noisy(ctx, a, 'count', counts(ctx, mask, g.indicators));
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
      const g = a.by ? ctx.groups(a.by) : { labels: ['all'], indicators: undefined };
      const col = ctx.table.column(a.column);
      const x = ctx.table.exact(a.column);
      const xm = mask ? x.mul(mask.toInt(2)) : x;
      const m = mask?.toInt(2);
      const nExact = g.indicators
        ? counts(ctx, mask, g.indicators)
        : (m ? m.sum() : ctx.s.constant(int(32), [ctx.table.rows])).reshape([1]);
      const sExact = g.indicators
        ? ctx.s.concat(g.indicators.map((gi) => xm.dot(gi.toInt(2)).reshape([1])))
        : xm.sum().reshape([1]);
      const n = noisy(ctx, a, 'count', nExact);
      const S = noisy(ctx, a, 'sum', sExact);
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
      return histogram(ctx, a, mask, notes, dp);
    case 'crosstab':
      return crosstab(ctx, a, mask, notes, dp);
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
  mask: SecretBool | undefined,
  notes: string[],
  dp: { epsilon: number; delta: number } | undefined,
): Promise<AnalysisBody> {
  const s = ctx.s;
  const col = ctx.table.column(a.column);
  let labels: string[];
  let cells: SecretInt;
  if (!a.edges) {
    const g = ctx.groups(a.column);
    labels = [...g.labels];
    cells = counts(ctx, mask, g.indicators);
  } else {
    const e = a.edges;
    const m = e.length - 1;
    labels = histogramLabels(col, e);
    const n = ctx.table.rows;
    // C_i = #{x >= e_i} for i < m, C_m = #{x > e_m}; bin i = C_i - C_{i+1}. The owners
    // input the indicators of their own rows (no comparison protocol).
    const ge = s
      .concat([
        ctx.table.indicators(a.column, 'ge', e.slice(0, m)),
        ctx.table.indicators(a.column, 'gt', [e[m]!]),
      ])
      .toInt(2);
    const mk = mask?.toInt(2);
    const C = s.concat(
      Array.from({ length: m + 1 }, (_, i) => {
        const block = ge.slice(i * n, (i + 1) * n);
        return (mk ? block.dot(mk) : block.sum()).reshape([1]);
      }),
    );
    cells = C.slice(0, m).sub(C.slice(1, m + 1));
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

async function crosstab(
  ctx: AnalysisContext,
  a: TableAnalysis,
  mask: SecretBool | undefined,
  notes: string[],
  dp: { epsilon: number; delta: number } | undefined,
): Promise<AnalysisBody> {
  const s = ctx.s;
  const R = ctx.groups(a.rows);
  const C = ctx.groups(a.cols);
  // Rows within the mask first (one multiplication per record and row level), then one dot per cell.
  const rowsIn = R.indicators.map((g) => (mask ? g.and(mask) : g).toInt(2));
  const cells = s.concat(
    rowsIn.flatMap((r) => C.indicators.map((c) => r.dot(c.toInt(2)).reshape([1]))),
  );
  const labels = R.labels.flatMap((r) => C.labels.map((c) => `${r}, ${c}`));
  const noisyCells = noisy(ctx, a, 'count', cells);
  const [rel] = await releaseGuarded(s, [{ value: noisyCells, support: noisyCells }], ctx.k);
  return {
    rows: rowsOf('n', labels, rel!, precisionOf(ctx, a, 'count')),
    notes,
    ...(dp ? { dp } : {}),
  };
}
