/**
 * Plaintext answers on the pooled records, for the demo and the tests only:
 * they need every party's table in one place, which is exactly what a real
 * study must not do. The report labels them as such. Each function mirrors
 * the secure analysis of the same type (same groups, masks and statistics) so
 * the report can show both side by side with their difference.
 */
import type { Column } from '../data/schema.js';
import type { Table } from '../data/table.js';
import type { ResultRow } from './result.js';
import type { Analysis, Condition, Study } from './spec.js';
import { AnalysisContext } from './context.js';
import { histogramLabels } from './counting.js';

/** The parties' tables end to end, in party order (as the secure table). */
export function poolTables(tables: readonly Table[]): Table {
  if (tables.length === 0) throw new RangeError('poolTables: no tables');
  const schema = tables[0]!.schema;
  const columns = new Map<string, { values: Float64Array; missing: Uint8Array | undefined }>();
  for (const c of schema.columns) {
    const parts = tables.map((t) => t.columns.get(c.name)!);
    const n = parts.reduce((a, p) => a + p.values.length, 0);
    const values = new Float64Array(n);
    const missing = c.missing === 'allow' ? new Uint8Array(n) : undefined;
    let off = 0;
    for (const p of parts) {
      values.set(p.values, off);
      if (missing && p.missing) missing.set(p.missing, off);
      off += p.values.length;
    }
    columns.set(c.name, { values, missing });
  }
  return { schema, rows: tables.reduce((a, t) => a + t.rows, 0), columns };
}

/** The reference answer of one analysis, as rows keyed like the secure ones; undefined when not available. */
export type ReferenceImpl = (t: Table, a: Analysis, study: Study) => ResultRow[] | undefined;

function col(t: Table, name: string): Column {
  return t.schema.columns.find((c) => c.name === name)!;
}

function meets(t: Table, w: Condition, i: number): boolean {
  const v = t.columns.get(w.column)!;
  if (v.missing?.[i]) return false;
  const x = v.values[i]!;
  const y = w.values[0]!;
  switch (w.op) {
    case 'eq':
      return x === y;
    case 'ne':
      return x !== y;
    case 'lt':
      return x < y;
    case 'le':
      return x <= y;
    case 'gt':
      return x > y;
    case 'ge':
      return x >= y;
    case 'in':
      return w.values.includes(x);
  }
}

/**
 * Records an analysis uses: its conditions, and no missing value in the
 * columns it reads. Also how an owner selects its own records for a local
 * aggregate (grouped.ts), in the clear on its own table.
 */
export function referenceMask(t: Table, a: Analysis): Uint8Array {
  const cols = AnalysisContext.columnsOf(a).map((c) => t.columns.get(c)!.missing);
  const out = new Uint8Array(t.rows);
  for (let i = 0; i < t.rows; i++)
    out[i] = a.where.every((w) => meets(t, w, i)) && cols.every((m) => !m?.[i]) ? 1 : 0;
  return out;
}

/** Group index of each record (-1 for none) and the group labels, as the secure groups. */
export function referenceGroups(
  t: Table,
  by: string | undefined,
): { labels: string[]; of: (i: number) => number } {
  if (by === undefined) return { labels: ['all'], of: () => 0 };
  const c = col(t, by);
  const v = t.columns.get(by)!;
  const labels =
    c.type === 'categorical'
      ? c.levels.map((l) => `${by} = ${l}`)
      : [`${by} = false`, `${by} = true`];
  return { labels, of: (i) => (v.missing?.[i] ? -1 : v.values[i]!) };
}

/** Reference answers of the counting analyses (count, sum, mean, rate, histogram, crosstab). */
export function countingReference(t: Table, a: Analysis): ResultRow[] | undefined {
  const mask = referenceMask(t, a);
  const row = (statistic: string, group: string, value: number | null): ResultRow => ({
    statistic,
    group,
    value,
    suppressed: false,
  });
  switch (a.type) {
    case 'count': {
      const g = referenceGroups(t, a.by);
      const n = g.labels.map(() => 0);
      for (let i = 0; i < t.rows; i++) if (mask[i] && g.of(i) >= 0) n[g.of(i)]!++;
      return g.labels.map((l, k) => row('n', l, n[k]!));
    }
    case 'sum':
    case 'mean':
    case 'rate': {
      const g = referenceGroups(t, a.by);
      const c = col(t, a.column);
      const unit = c.type === 'decimal' ? 10 ** -c.scale : 1;
      const x = t.columns.get(a.column)!.values;
      const n = g.labels.map(() => 0);
      const s = g.labels.map(() => 0);
      for (let i = 0; i < t.rows; i++)
        if (mask[i] && g.of(i) >= 0) {
          n[g.of(i)]!++;
          s[g.of(i)]! += x[i]!;
        }
      return g.labels.flatMap((l, k) => [
        row('n', l, n[k]!),
        row(a.type, l, a.type === 'sum' ? s[k]! * unit : n[k]! > 0 ? (s[k]! * unit) / n[k]! : null),
      ]);
    }
    case 'histogram': {
      const x = t.columns.get(a.column)!.values;
      if (!a.edges) {
        const g = referenceGroups(t, a.column);
        const n = g.labels.map(() => 0);
        for (let i = 0; i < t.rows; i++) if (mask[i] && g.of(i) >= 0) n[g.of(i)]!++;
        return g.labels.map((l, k) => row('n', l, n[k]!));
      }
      const e = a.edges;
      const m = e.length - 1;
      const n = new Array<number>(m).fill(0);
      for (let i = 0; i < t.rows; i++) {
        if (!mask[i]) continue;
        const v = x[i]!;
        for (let b = 0; b < m; b++)
          if (v >= e[b]! && (b === m - 1 ? v <= e[b + 1]! : v < e[b + 1]!)) {
            n[b]!++;
            break;
          }
      }
      const labels = histogramLabels(col(t, a.column), e);
      return n.map((v, b) => row('n', labels[b]!, v));
    }
    case 'crosstab': {
      const R = referenceGroups(t, a.rows);
      const C = referenceGroups(t, a.cols);
      const n = R.labels.map(() => C.labels.map(() => 0));
      for (let i = 0; i < t.rows; i++)
        if (mask[i] && R.of(i) >= 0 && C.of(i) >= 0) n[R.of(i)]![C.of(i)]!++;
      return R.labels.flatMap((r, ri) =>
        C.labels.map((c, ci) => row('n', `${r}, ${c}`, n[ri]![ci]!)),
      );
    }
    default:
      return undefined;
  }
}
