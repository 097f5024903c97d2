/**
 * DuckDB as a party's data source: a Parquet file or folder, or a SQL query
 * over local files (CSV, Parquet, JSON) run by an embedded, in-memory DuckDB.
 * DuckDB reads the data column by column; the rows stream out in chunks into
 * the schema checks of src/analytics/data/columns.ts, so a type mismatch is
 * one error naming the column, and a bad value names the column and the row.
 *
 * Engine messages about the query itself (syntax, unknown table or column,
 * missing file) are passed on; messages raised while converting values are
 * withheld, since DuckDB quotes the offending value in them.
 */
import {
  DuckDBInstance,
  DuckDBTypeId,
  type DuckDBConnection,
  type DuckDBDecimalType,
  type DuckDBType,
} from '@duckdb/node-api';
import {
  ColumnarTableBuilder,
  type SourceColumn,
  type SourceType,
  type SourceValue,
} from '../../../analytics/data/columns.js';
import { DataError } from '../../../analytics/data/errors.js';
import type { Schema } from '../../../analytics/data/schema.js';
import type { Table } from '../../../analytics/data/table.js';

/** What DuckDB reads: a Parquet file or folder, or a query. */
export type DuckDbSource =
  | { readonly kind: 'parquet'; readonly path: string }
  | { readonly kind: 'query'; readonly sql: string };

export interface DuckDbReadOptions {
  /** Relative paths inside a query resolve against this folder (the study's). */
  readonly dir: string;
  /** How messages name the source: the file as the study wrote it, or `query (duckdb)`. */
  readonly shown: string;
  /** Called after each chunk with the rows read so far. */
  readonly onRows?: (rows: number) => void;
}

const INTEGER_TYPES = new Set<DuckDBTypeId>([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
]);

/** A DuckDB column type as the schema checks see it. */
export function duckDbSourceType(t: DuckDBType): SourceType {
  const id = t.typeId;
  if (INTEGER_TYPES.has(id)) return { kind: 'integer' };
  switch (id) {
    case DuckDBTypeId.BOOLEAN:
      return { kind: 'boolean' };
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return { kind: 'float' };
    case DuckDBTypeId.DECIMAL:
      return { kind: 'decimal', scale: (t as DuckDBDecimalType).scale };
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.ENUM:
      return { kind: 'text' };
    case DuckDBTypeId.DATE:
      return { kind: 'date' };
    default:
      return { kind: 'other' };
  }
}

/** One DuckDB value as the schema checks see it (decimals as units, dates as days). */
function plain(v: unknown, type: SourceType): SourceValue {
  if (v === null || v === undefined) return null;
  if (type.kind === 'decimal') return (v as { value: bigint }).value;
  if (type.kind === 'date') return (v as { days: number }).days;
  if (type.kind === 'text' && typeof v !== 'string') return String(v);
  return v as SourceValue;
}

function article(word: string): string {
  return /^[AEIOU]/i.test(word) ? 'an' : 'a';
}

/** `'...'` with single quotes doubled: a string literal for a SET statement. */
function literal(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** Kinds of DuckDB error whose message describes the query, not the data. */
const QUERY_ERRORS = /^(Parser|Catalog|Binder|IO|Not implemented|Permission) Error/;

/** `Parser Error: ...` out of a message that may start `Failed to extract statements: `. */
const ERROR_KIND = /^(?:[A-Za-z ]+: )?(([A-Za-z ]+) Error: .*)$/;

/** A DuckDB failure as a DataError, withholding messages that may quote values. */
function engineError(e: unknown, shown: string, stage: 'query' | 'rows'): DataError {
  const message = e instanceof Error ? e.message : String(e);
  const m = ERROR_KIND.exec(message.split('\n')[0] ?? '');
  const kind = m?.[2] ?? 'unknown';
  const reason =
    stage === 'query' && m && QUERY_ERRORS.test(m[1]!)
      ? `DuckDB: ${m[1]}`
      : `DuckDB stopped with ${article(kind)} ${kind} error ${stage === 'rows' ? 'while reading rows' : 'running the query'} (its message is withheld: it may quote a value; check the column types and cast in the query)`;
  return new DataError([{ file: shown, line: 0, unit: 'row', reason }]);
}

/**
 * Reads a table through an embedded DuckDB. The instance lives for this call
 * only and is in-memory: nothing is written next to the data.
 * @throws {DataError} naming the column (and row) of each problem.
 */
export async function readWithDuckDb(
  source: DuckDbSource,
  schema: Schema,
  opts: DuckDbReadOptions,
): Promise<Table> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`SET file_search_path = ${literal(opts.dir)}`);
    let result;
    try {
      result =
        source.kind === 'parquet'
          ? await connection.stream('SELECT * FROM read_parquet($1, hive_partitioning = false)', [
              source.path,
            ])
          : await connection.stream(source.sql);
    } catch (e) {
      throw engineError(e, opts.shown, 'query');
    }
    const types = result.columnTypes().map(duckDbSourceType);
    const columns: SourceColumn[] = result.columnNames().map((name, k) => ({
      name,
      type: types[k]!,
      typeName: result.columnTypes()[k]!.toString(),
    }));
    const builder = new ColumnarTableBuilder(schema, opts.shown, columns);
    let rows = 0;
    for (;;) {
      let chunk;
      try {
        chunk = await result.fetchChunk();
      } catch (e) {
        throw engineError(e, opts.shown, 'rows');
      }
      if (!chunk || chunk.rowCount === 0) break;
      const values = columns.map((c, k) => chunk.getColumnValues(k).map((v) => plain(v, c.type)));
      builder.append(values, chunk.rowCount);
      rows += chunk.rowCount;
      opts.onRows?.(rows);
    }
    return builder.finish();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Runs `f` with a connection of a fresh in-memory DuckDB whose relative paths start at `dir`. */
export async function withDuckDb<T>(
  dir: string,
  f: (c: DuckDBConnection) => Promise<T>,
): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`SET file_search_path = ${literal(dir)}`);
    return await f(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The columns of `relation` (a table function or a parenthesised query), read without rows. */
export async function duckDbColumns(
  c: DuckDBConnection,
  relation: string,
  shown: string,
): Promise<SourceColumn[]> {
  try {
    const r = await c.run(`SELECT * FROM ${relation} LIMIT 0`);
    const types = r.columnTypes();
    return r.columnNames().map((name, k) => ({
      name,
      type: duckDbSourceType(types[k]!),
      typeName: types[k]!.toString(),
    }));
  } catch (e) {
    throw engineError(e, shown, 'query');
  }
}

/** All rows of a query whose values are numbers (bigints and decimals converted), or null. */
export async function duckDbNumbers(
  c: DuckDBConnection,
  sql: string,
  shown: string,
): Promise<(number | null)[][]> {
  let rows;
  try {
    rows = (await c.runAndReadAll(sql)).getRows();
  } catch (e) {
    throw engineError(e, shown, 'rows');
  }
  return rows.map((r) =>
    r.map((v) => {
      if (v === null || v === undefined) return null;
      if (typeof v === 'number' || typeof v === 'bigint') return Number(v);
      const d = v as { value?: bigint; scale?: number };
      if (typeof d.value === 'bigint' && typeof d.scale === 'number')
        return Number(d.value) / 10 ** d.scale;
      return Number(String(v));
    }),
  );
}

/** A query's values as text (exact wide integers: HUGEINT sums pass 2^53). */
export async function duckDbTexts(
  c: DuckDBConnection,
  sql: string,
  shown: string,
): Promise<(string | null)[][]> {
  let rows;
  try {
    rows = (await c.runAndReadAll(sql)).getRows();
  } catch (e) {
    throw engineError(e, shown, 'rows');
  }
  return rows.map((r) => r.map((v) => (v === null || v === undefined ? null : String(v))));
}

/** A path as a SQL string literal. */
export const sqlLiteral = literal;
