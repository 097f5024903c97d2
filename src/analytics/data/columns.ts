/**
 * Loading one party's table from a typed, columnar source: a SQL query's
 * result (DuckDB, PostgreSQL) or a Parquet file read through DuckDB. The
 * engines read the data; this module checks it against the schema with the
 * same rules and the same messages as CSV and JSON lines (table.ts), so a
 * dataset behaves the same whichever way it is stored.
 *
 * Types are checked once per column, from the source's declared type: a
 * DOUBLE column for an `integer` in the schema is one error naming the column
 * and the cast to write, not a million errors, one per row. Values are then
 * range-checked per row, and each problem names the column and the row (the
 * 1-based position in the result). Messages never quote a value.
 *
 * Browser-safe: the engines' adapters (src/adapters/node/sources) turn their
 * results into `SourceColumn`s.
 */
import { DataError } from './errors.js';
import { parseDecimalUnits, type Column, type Schema } from './schema.js';
import { TableBuilder, fromText, type Table } from './table.js';

/**
 * A source column's type, as the engine declares it:
 * - `integer`: values are numbers or bigints (every integer width);
 * - `decimal`: exact decimals, values are bigints in units of 10^-scale;
 * - `decimal-text`: exact decimals as plain text ("-12.50"), as PostgreSQL's numeric;
 * - `float`: binary floating point (DOUBLE, REAL), values are numbers;
 * - `text`: strings;
 * - `boolean`: booleans;
 * - `date`: days since 1970-01-01, as numbers;
 * - `other`: anything else (timestamps, lists, blobs), never accepted.
 */
export type SourceType =
  | { readonly kind: 'integer' | 'decimal-text' | 'float' | 'text' | 'boolean' | 'date' }
  | { readonly kind: 'decimal'; readonly scale: number }
  | { readonly kind: 'other' };

export type SourceValue = number | bigint | string | boolean | null;

export interface SourceColumn {
  readonly name: string;
  readonly type: SourceType;
  /** The engine's name for the type, for messages (`DOUBLE`, `numeric`). */
  readonly typeName: string;
}

type Convert = (v: Exclude<SourceValue, null>) => number | string;

const WRONG = 'wrong type';

/** How a source column of type `t` feeds schema column `c`, or why it cannot. */
function converter(c: Column, t: SourceType): Convert | string {
  switch (c.type) {
    case 'integer':
      if (t.kind === 'integer' || (t.kind === 'decimal' && t.scale === 0))
        return integerValue(c.min, c.max);
      return 'an integer type (cast it in the query: CAST(x AS BIGINT))';
    case 'decimal': {
      const units = (u: number | string): number | string =>
        typeof u === 'string'
          ? `${WRONG}: ${u}`
          : u < c.minUnits || u > c.maxUnits
            ? `out of range: expected a number in ${c.min}..${c.max}`
            : u;
      if (t.kind === 'integer') return (v) => units(parseDecimalUnits(String(v), c.scale));
      if (t.kind === 'decimal') {
        if (t.scale > c.scale)
          return `at most ${c.scale} digits after the point (the schema's scale; cast it in the query: CAST(x AS DECIMAL(18, ${c.scale})), which rounds)`;
        const factor = 10n ** BigInt(c.scale - t.scale);
        return (v) => {
          const u = (v as bigint) * factor;
          return u > BigInt(Number.MAX_SAFE_INTEGER) || u < -BigInt(Number.MAX_SAFE_INTEGER)
            ? `${WRONG}: has too many digits`
            : units(Number(u));
        };
      }
      if (t.kind === 'decimal-text') return (v) => units(parseDecimalUnits(v as string, c.scale));
      // A float's shortest round-trip text is the decimal it was written as.
      if (t.kind === 'float')
        return (v) =>
          Number.isFinite(v) && !/e/i.test(String(v))
            ? units(
                parseDecimalUnits(
                  Number.isInteger(v) ? (v as number).toFixed(0) : String(v),
                  c.scale,
                ),
              )
            : `${WRONG}: expected a finite decimal number`;
      return 'a number type (integer, decimal or double)';
    }
    case 'categorical':
      if (t.kind === 'text') return (v) => fromText(c, v as string);
      return 'a text type (VARCHAR, text)';
    case 'boolean':
      if (t.kind === 'boolean') return (v) => (v ? 1 : 0);
      return 'BOOLEAN';
    case 'date':
      if (t.kind === 'date')
        return (v) =>
          (v as number) < c.minDay || (v as number) > c.maxDay
            ? `out of range: expected a date in ${c.min}..${c.max}`
            : (v as number);
      if (t.kind === 'text') return (v) => fromText(c, v as string);
      return 'DATE (or text YYYY-MM-DD)';
  }
}

/**
 * An integer value within [min, max], or why not. Bigints are compared with
 * bigint bounds made once per column: no allocation per value.
 */
function integerValue(
  min: number,
  max: number,
): (v: Exclude<SourceValue, null>) => number | string {
  const bmin = BigInt(min);
  const bmax = BigInt(max);
  const why = `out of range: expected an integer in ${min}..${max}`;
  return (v) => {
    if (typeof v === 'bigint') return v < bmin || v > bmax ? why : Number(v);
    const n = v as number;
    return n < min || n > max ? why : n;
  };
}

/**
 * Builds a table from a columnar source, chunk by chunk. The source's columns
 * must be exactly the schema's (in any order): a missing, unknown or duplicate
 * column, or a column whose type cannot hold the schema's, is reported before
 * any row is read.
 */
export class ColumnarTableBuilder {
  private readonly builder: TableBuilder;
  /** Source column k -> schema column index. */
  private readonly target: number[];
  private readonly convert: Convert[];
  private row = 1;

  /** @throws {DataError} naming each column that does not fit. */
  constructor(
    readonly schema: Schema,
    /** How messages name the source: a file, or `query (duckdb)`. */
    readonly source: string,
    columns: readonly SourceColumn[],
  ) {
    this.builder = new TableBuilder(schema, source, 'row');
    const issues: { column?: string; reason: string }[] = [];
    const seen = new Set<string>();
    this.target = [];
    this.convert = [];
    for (const sc of columns) {
      const j = schema.columns.findIndex((c) => c.name === sc.name);
      if (seen.has(sc.name))
        issues.push({ column: sc.name, reason: 'the source has this column twice' });
      else if (j < 0)
        issues.push({
          column: sc.name,
          reason: `unknown column (the schema has ${schema.columns.map((c) => c.name).join(', ')}; select only those)`,
        });
      seen.add(sc.name);
      const col = schema.columns[j];
      const f = col ? converter(col, sc.type) : undefined;
      if (typeof f === 'string')
        issues.push({
          column: sc.name,
          reason: `${WRONG}: the source's type is ${sc.typeName}, the schema's ${col!.type} column needs ${f}`,
        });
      this.target.push(j);
      this.convert.push(typeof f === 'function' ? f : () => WRONG);
    }
    for (const c of schema.columns)
      if (!seen.has(c.name))
        issues.push({ reason: `the schema's column '${c.name}' is missing from the source` });
    if (issues.length > 0)
      // Row 0: the problem is the column's, before any row.
      throw new DataError(issues.map((i) => ({ file: source, line: 0, unit: 'row', ...i })));
  }

  /** Appends a chunk: `columns[k]` holds source column k's values for these rows. */
  append(columns: readonly (readonly SourceValue[])[], rows: number): void {
    const b = this.builder;
    for (let i = 0; i < rows; i++) {
      for (let k = 0; k < this.target.length; k++) {
        const j = this.target[k]!;
        const v = columns[k]![i]!;
        b.set(j, v === null || v === undefined ? null : this.convert[k]!(v), this.row, k + 1);
      }
      b.rows++;
      this.row++;
    }
  }

  /** The table. @throws {DataError} listing the problems found in the rows. */
  finish(): Table {
    return this.builder.finish();
  }
}
