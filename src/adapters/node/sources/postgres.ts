/**
 * A party's own PostgreSQL as its data source: the study's SQL query runs in
 * a read-only transaction through a server-side cursor, so rows arrive in
 * chunks (never the whole result at once) and the query cannot change data.
 * Values come as PostgreSQL's text forms and are checked against the schema
 * by src/analytics/data/columns.ts, column types first.
 *
 * The connection string comes from an environment variable the study names,
 * never from the study itself, and is never printed (it holds a password).
 * Server messages about the query (syntax, unknown table or column, access)
 * are passed on; data errors are withheld, since they quote the value.
 */
import pg from 'pg';
import {
  ColumnarTableBuilder,
  type SourceColumn,
  type SourceType,
  type SourceValue,
} from '../../../analytics/data/columns.js';
import { DataError } from '../../../analytics/data/errors.js';
import { parseDate, type Schema } from '../../../analytics/data/schema.js';
import type { Table } from '../../../analytics/data/table.js';

export interface PostgresReadOptions {
  /** The connection string (postgres://...), read from the environment by the caller. */
  readonly url: string;
  /** How messages name the source, e.g. `query (postgres, $BANK_DB)`. */
  readonly shown: string;
  /** Rows fetched per round trip. */
  readonly chunkRows?: number;
  /** Bound on connecting, in ms. */
  readonly connectTimeoutMs?: number;
  readonly onRows?: (rows: number) => void;
}

/** PostgreSQL type OIDs (pg_type.oid, fixed for built-in types) and their names. */
const TYPES: ReadonlyMap<number, { name: string; type: SourceType }> = new Map([
  [16, { name: 'boolean', type: { kind: 'boolean' } }],
  [20, { name: 'bigint', type: { kind: 'integer' } }],
  [21, { name: 'smallint', type: { kind: 'integer' } }],
  [23, { name: 'integer', type: { kind: 'integer' } }],
  [700, { name: 'real', type: { kind: 'float' } }],
  [701, { name: 'double precision', type: { kind: 'float' } }],
  [1700, { name: 'numeric', type: { kind: 'decimal-text' } }],
  [25, { name: 'text', type: { kind: 'text' } }],
  [1043, { name: 'varchar', type: { kind: 'text' } }],
  [1042, { name: 'char', type: { kind: 'text' } }],
  [19, { name: 'name', type: { kind: 'text' } }],
  // Dates arrive as ISO text (DateStyle is set below), turned into days here.
  [1082, { name: 'date', type: { kind: 'date' } }],
]);

/** A column of the result as the schema checks see it. */
function sourceColumn(f: pg.FieldDef): SourceColumn {
  const known = TYPES.get(f.dataTypeID);
  return known
    ? { name: f.name, type: known.type, typeName: known.name }
    : { name: f.name, type: { kind: 'other' }, typeName: `type oid ${f.dataTypeID}` };
}

/** One text value as the schema checks see it. */
function plain(v: string | null, t: SourceType): SourceValue {
  if (v === null) return null;
  switch (t.kind) {
    case 'boolean':
      return v === 't';
    case 'integer':
      return BigInt(v);
    case 'float':
      return Number(v);
    case 'date':
      // 'infinity' and BC dates have no day number: below any range, so refused as out of range.
      return parseDate(v) ?? Number.NEGATIVE_INFINITY;
    default:
      return v;
  }
}

/** SQLSTATE classes whose messages describe the query or the connection, not values. */
const QUERY_STATES = /^(42|28|25|3D|3F|08|0A|53|57)/;

function serverError(e: unknown, shown: string): DataError {
  const err = e as { code?: string; message?: string };
  const code = err.code ?? '';
  let reason: string;
  if (/^E[A-Z]+$/.test(code) || /timeout/i.test(err.message ?? ''))
    reason = `cannot connect to PostgreSQL (${code || 'timed out'})`;
  else if (QUERY_STATES.test(code))
    reason = `PostgreSQL: ${err.message ?? code} (SQLSTATE ${code})`;
  else
    reason = `PostgreSQL stopped with SQLSTATE ${code || 'unknown'} while reading rows (its message is withheld: it may quote a value; check the column types and cast in the query)`;
  return new DataError([{ file: shown, line: 0, unit: 'row', reason }]);
}

/**
 * Runs `sql` against the party's PostgreSQL and checks its rows against the schema.
 * @throws {DataError} naming the column (and row) of each problem, or what the server refused.
 */
export async function readWithPostgres(
  sql: string,
  schema: Schema,
  opts: PostgresReadOptions,
): Promise<Table> {
  const client = new pg.Client({
    connectionString: opts.url,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    // Raw text for every type: the schema checks decide what a value means.
    types: { getTypeParser: () => (v: string) => v },
  });
  // A dropped connection after connecting surfaces as an 'error' event; the
  // pending query rejects with it, so the event itself needs no handling.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    throw serverError(e, opts.shown);
  }
  const chunk = opts.chunkRows ?? 10_000;
  try {
    await client.query('BEGIN READ ONLY');
    await client.query("SET LOCAL DateStyle = 'ISO, YMD'");
    try {
      await client.query(`DECLARE entente_rows NO SCROLL CURSOR FOR ${sql}`);
    } catch (e) {
      throw serverError(e, opts.shown);
    }
    let builder: ColumnarTableBuilder | undefined;
    let columns: SourceColumn[] = [];
    let rows = 0;
    for (;;) {
      let r: pg.QueryArrayResult<(string | null)[]>;
      try {
        r = await client.query({ text: `FETCH ${chunk} FROM entente_rows`, rowMode: 'array' });
      } catch (e) {
        throw serverError(e, opts.shown);
      }
      if (!builder) {
        columns = r.fields.map(sourceColumn);
        builder = new ColumnarTableBuilder(schema, opts.shown, columns);
      }
      if (r.rows.length === 0) break;
      const values = columns.map((c, k) => r.rows.map((row) => plain(row[k] ?? null, c.type)));
      builder.append(values, r.rows.length);
      rows += r.rows.length;
      opts.onRows?.(rows);
    }
    return builder.finish();
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

/**
 * Runs `f` with a client in a read-only transaction on the party's
 * PostgreSQL; values arrive as text.
 */
export async function withPostgres<T>(
  url: string,
  shown: string,
  f: (c: pg.Client) => Promise<T>,
  connectTimeoutMs = 10_000,
): Promise<T> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: connectTimeoutMs,
    types: { getTypeParser: () => (v: string) => v },
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    throw serverError(e, shown);
  }
  try {
    await client.query('BEGIN READ ONLY');
    return await f(client);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

/** The columns of `relation`, read without rows. */
export async function postgresColumns(
  c: pg.Client,
  relation: string,
  shown: string,
): Promise<SourceColumn[]> {
  try {
    const r = await c.query({ text: `SELECT * FROM ${relation} LIMIT 0`, rowMode: 'array' });
    return r.fields.map(sourceColumn);
  } catch (e) {
    throw serverError(e, shown);
  }
}

/** All rows of a query whose values are numbers (from their text), or null. */
/** A query's values as text (exact NUMERIC sums). */
export async function postgresTexts(
  c: pg.Client,
  sql: string,
  shown: string,
): Promise<(string | null)[][]> {
  try {
    const r = await c.query<(string | null)[]>({ text: sql, rowMode: 'array' });
    return r.rows.map((row) => row.map((v) => (v === null ? null : String(v))));
  } catch (e) {
    throw serverError(e, shown);
  }
}

export async function postgresNumbers(
  c: pg.Client,
  sql: string,
  shown: string,
): Promise<(number | null)[][]> {
  try {
    const r = await c.query<(string | null)[]>({ text: sql, rowMode: 'array' });
    return r.rows.map((row) => row.map((v) => (v === null ? null : Number(v))));
  } catch (e) {
    throw serverError(e, shown);
  }
}
