/**
 * Pushdown: a party whose table comes from a SQL engine (DuckDB over Parquet
 * or local files, or its PostgreSQL) lets that engine compute the local
 * aggregates of a study, so no row enters JavaScript. This module writes the
 * SQL; the Node adapter runs it (src/adapters/node/pushdown.ts).
 *
 * A study is pushed down when every analysis is computed from local
 * aggregates (the counting analyses: count, sum, mean, rate, histogram,
 * crosstab; those counted per record over a few columns: Kaplan-Meier,
 * log-rank, Cox, and logistic regression on cell counts, grouped.ts; and
 * t-tests, from exact per-group sums, moments.ts), and
 * every column's source type lets SQL check and encode values
 * exactly as the JavaScript loader does (integers from integer types,
 * decimals from integer or exact decimal types, levels from text, booleans,
 * dates from DATE). Otherwise the rows are loaded as before.
 *
 * The schema checks run in SQL first (one query: per column, values out of
 * range, unknown levels, missing values the schema refuses), so a bad value
 * is still refused, naming the column; rows are counted, not numbered, since
 * a query's row order is not defined. Then one query computes every
 * aggregate in a single scan (one ungrouped row of filtered counts and sums,
 * one per analysis and slot), giving (slot, n, s) values laid out as
 * counting.ts's local aggregates (`countingAggregate`), under the same keys.
 * Two scans of the data for the counting analyses, whatever their number;
 * then one GROUP BY per other analysis (`GroupedRows`: at most
 * MAX_GROUPED_ROWS distinct rows of the columns it reads, so a survival time
 * or predictor with a wide range is loaded per record instead).
 * Browser-safe (text only).
 */
import type { SourceColumn } from '../data/columns.js';
import type { Column, Schema } from '../data/schema.js';
import { formatDate } from '../data/schema.js';
import { countingAggregate, type CountingAggregate } from './counting.js';
import { AnalysisContext } from './context.js';
import { rowCountsKey } from './grouped.js';
import { tTestMoments, type TTestMoments } from './moments.js';
import type { Analysis, Condition, Study } from './spec.js';

/** What a pushed-down party runs: the checks, then every aggregate in one scan. */
export interface PushdownPlan {
  /** One row: the row count, then per check its count of failing rows. */
  readonly checks: { readonly sql: string; readonly reasons: readonly PushdownCheck[] };
  readonly aggregates: readonly CountingAggregate[];
  /** One row, split with `splitAggregateRows` into each aggregate's values. */
  readonly aggregatesSql: string;
  /** The aggregates counted per record over a few columns, one GROUP BY each. */
  readonly grouped: readonly GroupedRows[];
  /** The t-tests' exact sums, one GROUP BY each. */
  readonly moments: readonly MomentSums[];
}

/** The SQL engine a plan is written for (they differ in exact wide integers). */
export type SqlDialect = 'duckdb' | 'postgres';

/**
 * A t-test's exact sums (moments.ts): one row per group present, with the
 * group's index, its record count, then for every shift k = 0 .. bound - 1
 * the sums of x >> k and of its square, as decimal text (they pass 2^53).
 */
export interface MomentSums {
  /** Where the table keeps them (TTestMoments.sumsKey). */
  readonly key: string;
  readonly G: number;
  readonly bound: number;
  readonly sql: string;
}

/**
 * The query of a t-test's sums. Values are the loader's exact encodings as
 * 128-bit integers (DuckDB HUGEINT) or NUMERIC (PostgreSQL): a decimal's
 * units u as round(u 2^frac / 10^scale), as moments.ts's `fixedOfUnits`;
 * shifts are floor divisions, as BigInt's >>.
 */
function momentSumsSql(
  schema: Schema,
  a: Analysis,
  m: TTestMoments,
  relation: string,
  dialect: SqlDialect,
): string {
  const big = dialect === 'postgres' ? 'NUMERIC' : 'HUGEINT';
  const lit = (v: bigint) => (v < 2n ** 62n ? String(v) : `CAST('${v}' AS ${big})`);
  const tdiv = (x: string, d: string) =>
    dialect === 'postgres' ? `div(${x}, ${d})` : `((${x}) // (${d}))`;
  const fdiv = (x: string, d: bigint) =>
    `(CASE WHEN ${x} >= 0 THEN ${tdiv(x, lit(d))} ELSE -${tdiv(`-(${x}) + ${lit(d - 1n)}`, lit(d))} END)`;
  const col = (name: string) => schema.columns.find((c) => c.name === name)!;
  const value = (name: string) => {
    const c = col(name);
    const units = `CAST(${encodedSql(c)} AS ${big})`;
    if (c.type !== 'decimal') return units;
    const den = 10n ** BigInt(c.scale);
    return fdiv(`2 * ${units} * ${lit(1n << BigInt(m.frac))} + ${lit(den)}`, 2n * den);
  };
  const x = m.paired === undefined ? value(m.column) : `${value(m.column)} - ${value(m.paired)}`;
  const slot =
    m.by === undefined
      ? '0'
      : `(CASE ${encodedSql(col(m.by))} ${m.levelIndex.map((l, g) => `WHEN ${l} THEN ${g}`).join(' ')} END)`;
  const shifts = Array.from({ length: m.bound }, (_, k) => k);
  const shifted = shifts.map((k) =>
    k === 0 ? 'x AS x_0' : `${fdiv('x', 1n << BigInt(k))} AS x_${k}`,
  );
  const sums = shifts.flatMap((k) => [
    `CAST(sum(x_${k}) AS VARCHAR)`,
    `CAST(sum(x_${k} * x_${k}) AS VARCHAR)`,
  ]);
  // A value of at most 32 bits squares within BIGINT, whose sums both engines keep exact
  // (HUGEINT, NUMERIC); 128-bit arithmetic per row made the query five times slower.
  const rowType = m.bound <= 32 ? 'BIGINT' : big;
  const used = `SELECT ${slot} AS g, CAST(${x} AS ${rowType}) AS x FROM ${relation} WHERE ${usedSql(schema, a)}`;
  return `SELECT g, count(*), ${sums.join(', ')} FROM (SELECT g, ${shifted.join(', ')} FROM (${used}) AS u WHERE g IS NOT NULL) AS r GROUP BY g`;
}

/**
 * A local aggregate counted per record over a few columns (survival
 * intervals, Cox and logistic cells): the engine returns the distinct rows
 * of the columns the analysis reads (encoded as the loader encodes them)
 * among the rows it uses, then a value of each column only its `where`
 * names, and each row's number of records, last; `columns` names them in
 * that order. The aggregate's own local function then runs on those rows
 * with their counts as weights.
 */
export interface GroupedRows {
  readonly key: string;
  readonly columns: readonly string[];
  readonly sql: string;
}

/** Most distinct rows a grouped aggregate may return (its columns' value counts multiplied). */
export const MAX_GROUPED_ROWS = 1 << 20;

/** How many values a column can take once missing values are left out. */
function valueCount(c: Column): number {
  switch (c.type) {
    case 'integer':
      return c.max - c.min + 1;
    case 'decimal':
      return c.maxUnits - c.minUnits + 1;
    case 'categorical':
      return c.levels.length;
    case 'boolean':
      return 2;
    case 'date':
      return c.maxDay - c.minDay + 1;
  }
}

/** An analysis's grouped aggregate, undefined for none, or why it cannot be one. */
function groupedRows(
  schema: Schema,
  a: Analysis,
  relation: string,
): GroupedRows | undefined | { why: string } {
  const key = rowCountsKey(schema, a);
  if (key === undefined) return undefined;
  const read = [...new Set(AnalysisContext.columnsOf(a))];
  // Columns only in `where`: every row kept meets each condition, and each condition is on
  // one column, so any row's value of that column (the group's least) meets the conditions
  // on it again when the local function applies them to the grouped rows.
  const whereOnly = [...new Set(a.where.map((w) => w.column))].filter((c) => !read.includes(c));
  const col = (name: string) => schema.columns.find((c) => c.name === name)!;
  const most = read.reduce((x, name) => x * valueCount(col(name)), 1);
  if (most > MAX_GROUPED_ROWS)
    return {
      why: `analysis '${a.id}' reads ${read.join(', ')}: up to ${most} distinct rows, more than ${MAX_GROUPED_ROWS}`,
    };
  const values = [
    ...read.map((name) => encodedSql(col(name))),
    ...whereOnly.map((name) => `min(${encodedSql(col(name))})`),
  ];
  // Ordinal GROUP BY: DuckDB and PostgreSQL both take it.
  const sql = `SELECT ${values.join(', ')}, count(*) FROM ${relation} WHERE ${usedSql(schema, a)} GROUP BY ${read.map((_, i) => i + 1).join(', ')}`;
  return { key, columns: [...read, ...whereOnly], sql };
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

/** The rows an analysis uses (its conditions and complete cases, as referenceMask), as a condition. */
function usedSql(schema: Schema, a: Analysis): string {
  const parts = [
    ...a.where.map((w) => `(${conditionSql(schema, w)})`),
    ...AnalysisContext.columnsOf(a).map((name) => `${quoteId(name)} IS NOT NULL`),
  ];
  return parts.length === 0 ? 'TRUE' : parts.join(' AND ');
}

/** The slot (group, cell or bin index) of a row in an aggregate, NULL for none. */
function slotSql(schema: Schema, agg: CountingAggregate): string {
  const col = (name: string) => schema.columns.find((c) => c.name === name)!;
  switch (agg.layout.kind) {
    case 'groups':
      return agg.layout.by === undefined ? '0' : encodedSql(col(agg.layout.by));
    case 'cells': {
      const { rows, cols, colLevels } = agg.layout;
      return `(${encodedSql(col(rows))} * ${colLevels} + ${encodedSql(col(cols))})`;
    }
    case 'bins': {
      const e = agg.layout.edges;
      const m = e.length - 1;
      const v = encodedSql(col(agg.layout.column));
      // The last edge not above v; the top edge itself into the last bin; outside: none.
      const arms = Array.from({ length: m }, (_, i) => m - 1 - i).map(
        (b) => `WHEN ${v} >= ${e[b]} THEN ${b}`,
      );
      return `(CASE WHEN ${v} < ${e[0]} OR ${v} > ${e[m]} THEN NULL ${arms.join(' ')} END)`;
    }
  }
}

/**
 * Every aggregate in one scan, as one ungrouped row: for aggregate i and each
 * of its slots v, the count of its rows in slot v (and the sum of its column
 * there) as a FILTER aggregate, c_i_v and t_i_v, in aggregate then slot order.
 * Slots are few (groups, cells, bins), and engines evaluate filtered
 * aggregates over one pass in vectorised loops.
 */
function aggregatesSql(
  schema: Schema,
  items: readonly { a: Analysis; agg: CountingAggregate }[],
  relation: string,
): string {
  const col = (name: string) => schema.columns.find((c) => c.name === name)!;
  const inner = items.flatMap(({ a, agg }, i) => [
    `${slotSql(schema, agg)} AS s_${i}`,
    `(${usedSql(schema, a)}) AS u_${i}`,
    ...(agg.sumOf === undefined ? [] : [`${encodedSql(col(agg.sumOf))} AS x_${i}`]),
  ]);
  const outer = items.flatMap(({ agg }, i) =>
    Array.from({ length: agg.slots }, (_, v) => [
      `count(*) FILTER (WHERE u_${i} AND s_${i} = ${v})`,
      ...(agg.sumOf === undefined ? [] : [`sum(x_${i}) FILTER (WHERE u_${i} AND s_${i} = ${v})`]),
    ]).flat(),
  );
  return `SELECT ${outer.join(', ')} FROM (SELECT ${inner.join(', ')} FROM ${relation}) AS r`;
}

/** The (slot, n, s) rows of each aggregate, from the one-scan query's single row. */
export function splitAggregateRows(
  row: readonly (number | null)[],
  aggregates: readonly CountingAggregate[],
): { slot: number; n: number; s: number | null }[][] {
  let k = 0;
  return aggregates.map((agg) =>
    Array.from({ length: agg.slots }, (_, slot) => {
      const n = row[k++] ?? 0;
      const s = agg.sumOf === undefined ? null : (row[k++] ?? null);
      return { slot, n, s };
    }),
  );
}

/**
 * The plan for a party whose table is `relation` (a parenthesised query or a
 * table function), or why the study cannot be pushed down there.
 */
export function pushdownPlan(
  study: Study,
  columns: readonly SourceColumn[],
  relation: string,
  dialect: SqlDialect = 'duckdb',
): PushdownPlan | { readonly why: string } {
  const schema = study.schema;
  const items: { a: Analysis; agg: CountingAggregate }[] = [];
  const grouped: GroupedRows[] = [];
  const moments: MomentSums[] = [];
  for (const a of study.analyses) {
    const agg = countingAggregate(a, schema);
    if (agg) {
      items.push({ a, agg });
      continue;
    }
    const m = tTestMoments(schema, a);
    if (m) {
      const sql = momentSumsSql(schema, a, m, relation, dialect);
      moments.push({ key: m.sumsKey, G: m.G, bound: m.bound, sql });
      continue;
    }
    const g = groupedRows(schema, a, relation);
    if (g === undefined) return { why: `analysis '${a.id}' (${a.type}) works per record` };
    if ('why' in g) return g;
    grouped.push(g);
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
    aggregates: items.map((x) => x.agg),
    aggregatesSql: aggregatesSql(schema, items, relation),
    grouped,
    moments,
  };
}
