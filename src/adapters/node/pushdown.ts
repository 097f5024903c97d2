/**
 * Runs a study's pushdown plan (src/analytics/study/pushdown.ts) in the
 * party's own SQL engine: DuckDB over a Parquet file or folder or over local
 * files, or the party's PostgreSQL. The result is a table with a row count
 * and the local aggregates (or, for survival, Cox and logistic cells, the
 * distinct rows of the few columns they read with their counts), and no
 * rows: nothing per record enters JavaScript. When the study cannot be pushed down, says why, and the caller
 * loads the rows instead.
 */
import { ColumnarTableBuilder, type SourceColumn } from '../../analytics/data/columns.js';
import { DataError, type DataIssue } from '../../analytics/data/errors.js';
import type { Table } from '../../analytics/data/table.js';
import { fillAggregate } from '../../analytics/study/counting.js';
import {
  pushdownPlan,
  splitAggregateRows,
  type GroupedRows,
  type MomentSums,
  type PushdownPlan,
} from '../../analytics/study/pushdown.js';
import { toLimbs } from '../../analytics/stats/pooled.js';
import type { Study } from '../../analytics/study/spec.js';
import {
  duckDbColumns,
  duckDbNumbers,
  duckDbTexts,
  sqlLiteral,
  withDuckDb,
} from './sources/duckdb.js';
import {
  postgresColumns,
  postgresNumbers,
  postgresTexts,
  withPostgres,
} from './sources/postgres.js';

/** Where the party's rows are, as its engine sees them. */
export type PushdownSource =
  | { readonly engine: 'duckdb'; readonly parquet: string; readonly dir: string }
  | { readonly engine: 'duckdb'; readonly sql: string; readonly dir: string }
  | { readonly engine: 'postgres'; readonly sql: string; readonly url: string };

function relationOf(s: PushdownSource): string {
  if ('parquet' in s) return `read_parquet(${sqlLiteral(s.parquet)}, hive_partitioning = false)`;
  return `(${s.sql}) AS source_rows`;
}

/** Runs the plan with `numbers` and `texts` (the engine's query runners). */
async function execute(
  study: Study,
  plan: PushdownPlan,
  shown: string,
  numbers: (sql: string) => Promise<(number | null)[][]>,
  checkOnly: boolean,
  texts: (sql: string) => Promise<(string | null)[][]>,
): Promise<Table> {
  const [counts] = await numbers(plan.checks.sql);
  const rows = counts?.[0] ?? 0;
  const issues: DataIssue[] = [];
  plan.checks.reasons.forEach((r, i) => {
    const bad = counts?.[i + 1] ?? 0;
    if (bad > 0)
      issues.push({
        file: shown,
        line: 0,
        unit: 'row',
        column: r.column,
        reason: `${bad} ${bad === 1 ? 'row' : 'rows'}: ${r.reason} (checked by the source's engine, which does not number rows)`,
      });
  });
  if (issues.length > 0) throw new DataError(issues);
  // Checked only: no aggregate, so SecretTable.aggregate refuses this table (never a wrong sum).
  if (checkOnly) return { schema: study.schema, rows, columns: new Map(), aggregates: new Map() };
  const aggregates = new Map<string, Float64Array>();
  if (plan.aggregates.length > 0) {
    const [row] = await numbers(plan.aggregatesSql);
    const parts = splitAggregateRows(row ?? [], plan.aggregates);
    plan.aggregates.forEach((a, i) => aggregates.set(a.key, fillAggregate(a, parts[i]!)));
  }
  for (const m of plan.moments) aggregates.set(m.key, momentSums(m, await texts(m.sql)));
  const grouped = new Map<string, Table>();
  // Analyses that read the same columns of the same records (a Kaplan-Meier curve and the
  // log-rank test of the same groups) share one scan.
  const scans = new Map<string, (number | null)[][]>();
  for (const g of plan.grouped) {
    let result = scans.get(g.sql);
    if (!result) scans.set(g.sql, (result = await numbers(g.sql)));
    grouped.set(g.key, groupedTable(study, g, result));
  }
  return { schema: study.schema, rows, columns: new Map(), aggregates, grouped };
}

/**
 * A t-test's sums per group (n, then S_k and Q_k per shift) as limbs, a
 * group the engine returned no row for as zeros.
 * @throws {RangeError} for a group index or a value that is not an integer.
 */
function momentSums(m: MomentSums, rows: (string | null)[][]): Float64Array {
  const per = 1 + 2 * m.bound;
  const sums = new Array<bigint>(m.G * per).fill(0n);
  for (const r of rows) {
    const g = Number(r[0]);
    if (!Number.isInteger(g) || g < 0 || g >= m.G)
      throw new RangeError(`${m.key}: the engine returned group ${r[0]} of ${m.G}`);
    for (let j = 0; j < per; j++) {
      const v = r[j + 1];
      if (v === null || v === undefined || !/^-?[0-9]+$/.test(v))
        throw new RangeError(`${m.key}: the engine returned ${v} for an exact sum`);
      sums[g * per + j] = BigInt(v);
    }
  }
  return toLimbs(sums);
}

/**
 * The engine's distinct rows of a grouped aggregate as a small table: its
 * columns' encoded values, and how many records each row stands for.
 * @throws {RangeError} for a value the plan's WHERE clause should have left out.
 */
function groupedTable(study: Study, g: GroupedRows, result: (number | null)[][]): Table {
  const n = result.length;
  const values = g.columns.map(() => new Float64Array(n));
  const weights = new Float64Array(n);
  result.forEach((r, i) => {
    g.columns.forEach((name, j) => {
      const v = r[j];
      if (v === null || v === undefined || !Number.isFinite(v))
        throw new RangeError(`${g.key}: the engine returned no value of '${name}' in a used row`);
      values[j]![i] = v;
    });
    weights[i] = r[g.columns.length] ?? 0;
  });
  return {
    schema: study.schema,
    rows: n,
    columns: new Map(
      g.columns.map((name, j) => [name, { values: values[j]!, missing: undefined }]),
    ),
    weights,
  };
}

/**
 * The party's table as local aggregates computed by its engine, or why the
 * study cannot be pushed down (then load the rows). With `checkOnly`, only
 * the schema checks run (one scan) and the table has its row count and no
 * aggregate: for a launcher that checks every party's data before starting
 * the parties, which compute their own aggregates.
 * @throws {DataError} for a column that does not fit the schema, a value the
 *   schema refuses (counted per column), or what the engine refused.
 */
export async function pushedDownTable(
  study: Study,
  source: PushdownSource,
  shown: string,
  checkOnly = false,
): Promise<Table | { readonly why: string }> {
  const relation = relationOf(source);
  const planFor = (columns: SourceColumn[]) => {
    // The same column and type checks as loading the rows, before anything else.
    new ColumnarTableBuilder(study.schema, shown, columns);
    return pushdownPlan(study, columns, relation, source.engine);
  };
  // One engine's readers: its columns, then numbers and texts of the planned SQL.
  const run = async (
    columns: Parameters<typeof planFor>[0],
    numbers: (sql: string) => ReturnType<typeof duckDbNumbers>,
    texts: (sql: string) => ReturnType<typeof duckDbTexts>,
  ) => {
    const plan = planFor(columns);
    if ('why' in plan) return plan;
    return execute(study, plan, shown, numbers, checkOnly, texts);
  };
  if (source.engine === 'duckdb')
    return withDuckDb(source.dir, async (c) =>
      run(
        await duckDbColumns(c, relation, shown),
        (sql) => duckDbNumbers(c, sql, shown),
        (sql) => duckDbTexts(c, sql, shown),
      ),
    );
  return withPostgres(source.url, shown, async (c) =>
    run(
      await postgresColumns(c, relation, shown),
      (sql) => postgresNumbers(c, sql, shown),
      (sql) => postgresTexts(c, sql, shown),
    ),
  );
}
