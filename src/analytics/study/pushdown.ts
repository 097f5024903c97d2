/**
 * Pushdown: a party whose table comes from a SQL engine (DuckDB over Parquet
 * or local files, or its PostgreSQL) lets that engine compute the local
 * aggregates of a study, so no row enters JavaScript. This module writes the
 * SQL; the Node adapter runs it (src/adapters/node/pushdown.ts).
 *
 * A study is pushed down when every analysis is computed from local
 * aggregates (the counting analyses: count, sum, mean, rate, histogram,
 * crosstab), and every column's source type lets SQL check and encode values
 * exactly as the JavaScript loader does (integers from integer types,
 * decimals from integer or exact decimal types, levels from text, booleans,
 * dates from DATE). Otherwise the rows are loaded as before.
 *
 * The schema checks run in SQL first (one query: per column, values out of
 * range, unknown levels, missing values the schema refuses), so a bad value
 * is still refused, naming the column; rows are counted, not numbered, since
 * a query's row order is not defined. Then one query per aggregate returns
 * (slot, n, s) rows laid out as counting.ts's local aggregates
 * (`countingAggregate`), under the same keys. Browser-safe (text only).
 */
import type { SourceColumn } from '../data/columns.js';
import type { Column, Schema } from '../data/schema.js';
import { formatDate } from '../data/schema.js';
import { countingAggregate, type CountingAggregate } from './counting.js';
import { AnalysisContext } from './context.js';
import type { Analysis, Condition, Study } from './spec.js';

/** What a pushed-down party runs: the checks, then one query per aggregate. */
export interface PushdownPlan {
  /** One row: the row count, then per check its count of failing rows. */
  readonly checks: { readonly sql: string; readonly reasons: readonly PushdownCheck[] };
  readonly aggregates: readonly (CountingAggregate & { readonly sql: string })[];
}

export interface PushdownCheck {
  readonly column: string;
  readonly reason: string;
}

const quoteId = (name: string) => `"${name}"`;
const quoteText = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** Why a column's source type cannot be checked and encoded in SQL exactly, or undefined. */
function unfit(c: Column, src: SourceColumn): string | undefined {
  const k = src.type.kind;
  const ok =
    (c.type === 'integer' && k === 'integer') ||
    (c.type === 'decimal' && (k === 'integer' || k === 'decimal' || k === 'decimal-text')) ||
    (c.type === 'categorical' && k === 'text') ||
    (c.type === 'boolean' && k === 'boolean') ||
    (c.type === 'date' && k === 'date');
  return ok ? undefined : `column '${c.name}' is ${src.typeName}`;
}

/** The column's value encoded as the JavaScript loader encodes it (see data/table.ts). */
export function encodedSql(c: Column): string {
  const x = quoteId(c.name);
  switch (c.type) {
    case 'integer':
      return x;
    case 'decimal':
      // Exact: the checks refused any value with more digits than the scale.
      return `CAST(${x} * ${10 ** c.scale} AS BIGINT)`;
    case 'categorical':
      return `(CASE ${x} ${c.levels.map((l, i) => `WHEN ${quoteText(l)} THEN ${i}`).join(' ')} END)`;
    case 'boolean':
      return `(CASE WHEN ${x} THEN 1 ELSE 0 END)`;
    case 'date':
      return `(${x} - DATE '1970-01-01')`;
  }
}

/** Conditions on the values each check counts as failing (NULLs are counted apart). */
function badValueSql(c: Column): string | undefined {
  const x = quoteId(c.name);
  switch (c.type) {
    case 'integer':
      return `${x} < ${c.min} OR ${x} > ${c.max}`;
    case 'decimal':
      return `${x} < ${c.min} OR ${x} > ${c.max} OR ${x} * ${10 ** c.scale} <> round(${x} * ${10 ** c.scale})`;
    case 'categorical':
      return `${x} NOT IN (${c.levels.map(quoteText).join(', ')})`;
    case 'boolean':
      return undefined;
    case 'date':
      return `${x} < DATE '${c.min}' OR ${x} > DATE '${c.max}'`;
  }
}

function badValueReason(c: Column): string {
  switch (c.type) {
    case 'integer':
      return `out of range: expected an integer in ${c.min}..${c.max}`;
    case 'decimal':
      return `out of range or more than ${c.scale} digits after the point: expected a number in ${c.min}..${c.max}`;
    case 'categorical':
      return `unknown level: expected one of ${c.levels.map((l) => JSON.stringify(l)).join(', ')}`;
    case 'boolean':
      return '';
    case 'date':
      return `out of range: expected a date in ${formatDate(c.minDay)}..${formatDate(c.maxDay)}`;
  }
}

function conditionSql(schema: Schema, w: Condition): string {
  const c = schema.columns.find((x) => x.name === w.column)!;
  const v = encodedSql(c);
  const ops = { eq: '=', ne: '<>', lt: '<', le: '<=', gt: '>', ge: '>=' } as const;
  return w.op === 'in' ? `${v} IN (${w.values.join(', ')})` : `${v} ${ops[w.op]} ${w.values[0]}`;
}

/** The rows an analysis uses: its conditions and complete cases, as referenceMask. */
function whereSql(schema: Schema, a: Analysis): string {
  const parts = [
    ...a.where.map((w) => `(${conditionSql(schema, w)})`),
    ...AnalysisContext.columnsOf(a).map((name) => `${quoteId(name)} IS NOT NULL`),
  ];
  return parts.length === 0 ? '' : ` WHERE ${parts.join(' AND ')}`;
}

/** The SQL of one local aggregate: rows (slot, n, s) over `relation`. */
function aggregateSql(
  schema: Schema,
  a: Analysis,
  agg: CountingAggregate,
  relation: string,
): string {
  const col = (name: string) => schema.columns.find((c) => c.name === name)!;
  const where = whereSql(schema, a);
  let slot: string;
  switch (agg.layout.kind) {
    case 'groups':
      slot = agg.layout.by === undefined ? '0' : encodedSql(col(agg.layout.by));
      break;
    case 'cells': {
      const { rows, cols, colLevels } = agg.layout;
      slot = `(${encodedSql(col(rows))} * ${colLevels} + ${encodedSql(col(cols))})`;
      break;
    }
    case 'bins': {
      const e = agg.layout.edges;
      const m = e.length - 1;
      const v = encodedSql(col(agg.layout.column));
      // The last edge not above v; the top edge itself into the last bin; outside: none.
      const arms = Array.from({ length: m }, (_, i) => m - 1 - i).map(
        (b) => `WHEN ${v} >= ${e[b]} THEN ${b}`,
      );
      slot = `(CASE WHEN ${v} < ${e[0]} OR ${v} > ${e[m]} THEN NULL ${arms.join(' ')} END)`;
      break;
    }
  }
  const sum = agg.sumOf === undefined ? 'NULL' : `sum(${encodedSql(col(agg.sumOf))})`;
  return `SELECT slot, count(*) AS n, ${sum} AS s FROM (SELECT ${slot} AS slot${agg.sumOf === undefined ? '' : `, ${quoteId(agg.sumOf)}`} FROM ${relation}${where}) AS used WHERE slot IS NOT NULL GROUP BY slot`;
}

/**
 * The plan for a party whose table is `relation` (a parenthesised query or a
 * table function), or why the study cannot be pushed down there.
 */
export function pushdownPlan(
  study: Study,
  columns: readonly SourceColumn[],
  relation: string,
): PushdownPlan | { readonly why: string } {
  const schema = study.schema;
  const aggregates: (CountingAggregate & { sql: string })[] = [];
  for (const a of study.analyses) {
    const agg = countingAggregate(a, schema);
    if (!agg) return { why: `analysis '${a.id}' (${a.type}) works per record` };
    aggregates.push({ ...agg, sql: aggregateSql(schema, a, agg, relation) });
  }
  for (const c of schema.columns) {
    const src = columns.find((s) => s.name === c.name);
    const why = src ? unfit(c, src) : `column '${c.name}' is missing`;
    if (why) return { why };
  }
  const reasons: PushdownCheck[] = [];
  const counts: string[] = ['count(*)'];
  for (const c of schema.columns) {
    const bad = badValueSql(c);
    if (bad) {
      counts.push(`count(*) FILTER (WHERE ${bad})`);
      reasons.push({ column: c.name, reason: badValueReason(c) });
    }
    if (c.missing === 'refuse') {
      counts.push(`count(*) FILTER (WHERE ${quoteId(c.name)} IS NULL)`);
      reasons.push({
        column: c.name,
        reason:
          "missing value (the schema does not allow missing values here; declare 'missing: allow' to keep such records)",
      });
    }
  }
  return {
    checks: { sql: `SELECT ${counts.join(', ')} FROM ${relation}`, reasons },
    aggregates,
  };
}
