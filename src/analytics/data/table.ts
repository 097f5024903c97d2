/**
 * Loading one party's table from CSV or JSON-lines text against a schema.
 *
 * Every value is checked against its column's declared type and range; a
 * value that does not fit is an error naming the file, the line, the column
 * and the reason (wrong type, out of range, unknown level, missing value),
 * never a guess: nothing is dropped, clamped, trimmed, rounded or coerced.
 * Up to `MAX_DATA_ISSUES` problems are listed at once so a file can be fixed
 * in one pass. Messages never quote a data value (see errors.ts).
 *
 * This module parses text; reading files is the caller's (the Node adapter,
 * src/adapters/node/data.ts), so it also runs in browsers.
 */
import { DataError, MAX_DATA_ISSUES, type DataIssue } from './errors.js';
import { readCsv } from './csv.js';
import { readJsonRecord, type JsonScalar } from './jsonl.js';
import { parseDate, parseDecimalUnits, type Column, type Schema } from './schema.js';

/**
 * A column's values, one per row, as numbers:
 * integer: the value; decimal: units of 10^-scale; categorical: the level's
 * index in `levels`; boolean: 0 or 1; date: days since 1970-01-01.
 * Where a value is missing, `missing[i]` is 1 and `values[i]` is 0.
 */
export interface ColumnValues {
  readonly values: Float64Array;
  /** Present only for columns that allow missing values. */
  readonly missing: Uint8Array | undefined;
}

/** One party's table, validated against its schema. */
export interface Table {
  readonly schema: Schema;
  readonly rows: number;
  readonly columns: ReadonlyMap<string, ColumnValues>;
  /**
   * Local aggregates computed by the table's own SQL engine (pushdown), by
   * the key SecretTable.aggregate uses; a pushed-down table has no columns.
   */
  readonly aggregates?: ReadonlyMap<string, Float64Array>;
  /**
   * Local aggregates whose SQL returns distinct rows rather than numbers (a
   * GROUP BY over the columns an analysis reads, in pushdown.ts), by the key
   * SecretTable.aggregate uses: each a table of those rows with `weights`,
   * on which the aggregate's own local function runs.
   */
  readonly grouped?: ReadonlyMap<string, Table>;
  /**
   * How many records each row stands for (a grouped table's multiplicities);
   * absent: one each. Only the local functions of grouped aggregates read it.
   */
  readonly weights?: Float64Array;
}

/** Text formats parsed here, and Parquet, read through DuckDB by the Node adapter. */
export type DataFormat = 'csv' | 'jsonl' | 'parquet';

/** The format of a file by its name: `.csv`, `.jsonl` / `.ndjson`, or `.parquet`. */
export function formatOf(file: string): DataFormat | undefined {
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(file)) return 'jsonl';
  if (/\.parquet$/i.test(file)) return 'parquet';
  return undefined;
}

/** Parses a whole table, choosing the format by `format` or the file name. @throws {DataError} */
export function parseTable(text: string, schema: Schema, file: string, format?: DataFormat): Table {
  const f = format ?? formatOf(file);
  if (f === 'parquet')
    throw new DataError([
      { file, line: 1, reason: 'Parquet is binary: read it with loadTable (src/adapters/node)' },
    ]);
  if (f === undefined)
    throw new DataError([
      { file, line: 1, reason: 'unknown data format: name the file .csv, .jsonl or .ndjson' },
    ]);
  return f === 'csv' ? parseCsvTable(text, schema, file) : parseJsonlTable(text, schema, file);
}

/**
 * Accumulates columns and issues while reading rows. `line` in `set` is the
 * record's position in the source: a line of a text file, or a row number of
 * a query (then `unit` is 'row', and messages say so).
 */
export class TableBuilder {
  readonly issues: DataIssue[] = [];
  more = 0;
  private readonly values: number[][];
  private readonly missing: (number[] | undefined)[];
  rows = 0;

  constructor(
    readonly schema: Schema,
    readonly file: string,
    readonly unit: 'line' | 'row' = 'line',
  ) {
    this.values = schema.columns.map(() => []);
    this.missing = schema.columns.map((c) => (c.missing === 'allow' ? [] : undefined));
  }

  issue(i: DataIssue): void {
    if (this.unit === 'row') i = { ...i, unit: 'row' };
    if (this.issues.length < MAX_DATA_ISSUES) this.issues.push(i);
    else this.more++;
  }

  /** Column j of the current row: a value, a missing value, or an issue (reason). */
  set(j: number, v: number | null | string, line: number, columnIndex: number | undefined): void {
    const col = this.schema.columns[j]!;
    if (typeof v === 'string') {
      this.issue({ file: this.file, line, column: col.name, columnIndex, reason: v });
      v = 0;
    } else if (v === null) {
      if (col.missing === 'refuse') {
        this.issue({
          file: this.file,
          line,
          column: col.name,
          columnIndex,
          reason:
            "missing value (the schema does not allow missing values here; declare 'missing: allow' to keep such records)",
        });
      }
      this.missing[j]?.push(1);
      this.values[j]!.push(0);
      return;
    }
    this.missing[j]?.push(0);
    this.values[j]!.push(v);
  }

  finish(): Table {
    if (this.issues.length > 0) throw new DataError(this.issues, this.more);
    const columns = new Map<string, ColumnValues>();
    this.schema.columns.forEach((c, j) => {
      const m = this.missing[j];
      columns.set(c.name, {
        values: Float64Array.from(this.values[j]!),
        missing: m ? Uint8Array.from(m) : undefined,
      });
    });
    return { schema: this.schema, rows: this.rows, columns };
  }
}

const INTEGER = /^[+-]?\d+$/;

function range(c: Column): string {
  return c.type === 'date' || c.type === 'integer' || c.type === 'decimal'
    ? `${c.min}..${c.max}`
    : '';
}

/** A value's text from CSV: its number, or a reason. Missing values are handled by the caller. */
export function fromText(c: Column, text: string): number | string {
  switch (c.type) {
    case 'integer': {
      if (!INTEGER.test(text))
        return 'wrong type: expected an integer (digits with an optional sign)';
      const v = Number(text);
      if (!Number.isSafeInteger(v) || v < c.min || v > c.max)
        return `out of range: expected an integer in ${range(c)}`;
      return v;
    }
    case 'decimal': {
      const u = parseDecimalUnits(text, c.scale);
      if (typeof u === 'string') return `wrong type: ${u}`;
      if (u < c.minUnits || u > c.maxUnits) return `out of range: expected a number in ${range(c)}`;
      return u;
    }
    case 'categorical': {
      const k = c.levels.indexOf(text);
      return k >= 0 ? k : `unknown level: expected one of ${listLevels(c.levels)}`;
    }
    case 'boolean':
      if (text === c.labels.true) return 1;
      if (text === c.labels.false) return 0;
      return `wrong type: expected ${c.labels.true} or ${c.labels.false}`;
    case 'date': {
      const d = parseDate(text);
      if (d === undefined) return 'wrong type: expected a date YYYY-MM-DD';
      if (d < c.minDay || d > c.maxDay) return `out of range: expected a date in ${range(c)}`;
      return d;
    }
  }
}

function listLevels(levels: readonly string[]): string {
  const shown = levels.slice(0, 12).map((l) => JSON.stringify(l));
  return levels.length > 12
    ? `${shown.join(', ')}, ... (${levels.length} levels)`
    : shown.join(', ');
}

/**
 * A CSV table: a header record with the schema's column names (in any order,
 * each exactly once), then one record per row with as many fields.
 * @throws {DataError} naming file, line, column and reason for each problem.
 */
export function parseCsvTable(text: string, schema: Schema, file: string): Table {
  const b = new TableBuilder(schema, file);
  let header: number[] | undefined; // file position -> schema column
  let fileIndex: number[] = []; // schema column -> 1-based file position
  let headerBroken = false;
  const records = readCsv(
    text,
    file,
    (r) => {
      if (header === undefined) {
        header = [];
        const seen = new Map<string, number>();
        r.fields.forEach((name, k) => {
          const j = schema.columns.findIndex((c) => c.name === name);
          if (seen.has(name)) {
            b.issue({
              file,
              line: r.line,
              columnIndex: k + 1,
              reason: `header: column '${name}' appears twice`,
            });
            headerBroken = true;
          } else if (j < 0) {
            b.issue({
              file,
              line: r.line,
              columnIndex: k + 1,
              reason: `header: unknown column '${name}' (the schema has ${schema.columns.map((c) => c.name).join(', ')})`,
            });
            headerBroken = true;
          }
          seen.set(name, k);
          header!.push(j);
        });
        for (const c of schema.columns) {
          if (!seen.has(c.name)) {
            b.issue({
              file,
              line: r.line,
              reason: `header: the schema's column '${c.name}' is missing`,
            });
            headerBroken = true;
          }
        }
        fileIndex = schema.columns.map((c) => (seen.get(c.name) ?? -1) + 1);
        return;
      }
      if (headerBroken) return;
      if (r.fields.length !== header.length) {
        const empty = r.fields.length === 1 && r.fields[0] === '';
        b.issue({
          file,
          line: r.line,
          reason: empty
            ? `empty line (expected ${header.length} fields)`
            : `expected ${header.length} fields, got ${r.fields.length}`,
        });
        b.rows++;
        return;
      }
      for (let k = 0; k < r.fields.length; k++) {
        const j = header[k]!;
        const col = schema.columns[j]!;
        const t = r.fields[k]!;
        b.set(j, schema.na.includes(t) ? null : fromText(col, t), r.fieldLines[k]!, fileIndex[j]);
      }
      b.rows++;
    },
    (i) => b.issue(i),
  );
  if (records === 0)
    b.issue({ file, line: 1, reason: 'empty file: expected a header line with the column names' });
  return b.finish();
}

/** A value of a JSON-lines record: its number, null for missing, or a reason. */
function fromJson(c: Column, v: JsonScalar | undefined): number | null | string {
  if (v === undefined || v.kind === 'null') return null;
  switch (c.type) {
    case 'integer':
    case 'decimal':
      // The number's text as written is judged like a CSV field: 12.0 is not an
      // integer, and 36.65 has two digits after the point whatever its binary value.
      if (v.kind !== 'number')
        return `wrong type: expected a JSON number (${c.type === 'integer' ? 'an integer' : `at most ${c.scale} digits after the point`})`;
      if (/[eE]/.test(v.text)) return 'wrong type: expected a number without an exponent';
      return fromText(c, v.text);
    case 'categorical':
      if (v.kind !== 'string') return 'wrong type: expected a string naming a level';
      return fromText(c, v.value);
    case 'boolean':
      if (v.kind !== 'boolean') return 'wrong type: expected true or false';
      return v.value ? 1 : 0;
    case 'date':
      if (v.kind !== 'string') return 'wrong type: expected a date string YYYY-MM-DD';
      return fromText(c, v.value);
  }
}

/**
 * A JSON-lines table: one flat JSON object per line, with a key per schema
 * column (a missing key or `null` is a missing value). Unknown keys,
 * duplicate keys and blank lines are errors; a final line break is optional.
 * @throws {DataError} naming file, line, column and reason for each problem.
 */
export function parseJsonlTable(text: string, schema: Schema, file: string): Table {
  const b = new TableBuilder(schema, file);
  const index = new Map(schema.columns.map((c, j) => [c.name, j]));
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let body = text.slice(start, end);
    if (body.endsWith('\r')) body = body.slice(0, -1);
    start = end + 1;
    const rec = /^[ \t]*$/.test(body)
      ? ({ ok: false, reason: 'empty line (expected a JSON object)', at: 1 } as const)
      : readJsonRecord(body);
    if (!rec.ok) {
      b.issue({ file, line, reason: `${rec.reason} (character ${rec.at})` });
    } else {
      const byColumn: (JsonScalar | undefined)[] = schema.columns.map(() => undefined);
      for (const e of rec.entries) {
        const j = index.get(e.key);
        if (j === undefined)
          b.issue({ file, line, column: e.key, reason: 'unknown column (not in the schema)' });
        else byColumn[j] = e.value;
      }
      schema.columns.forEach((c, j) => b.set(j, fromJson(c, byColumn[j]), line, undefined));
    }
    b.rows++;
    line++;
  }
  return b.finish();
}
