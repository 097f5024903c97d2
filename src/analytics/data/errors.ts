/**
 * The two kinds of input error of the analytics layer, each listing every
 * problem found (up to a limit) rather than only the first:
 *
 * - `SpecError`: a study file, schema or TypeScript study definition that does
 *   not validate. Each issue names its field as a path (`analyses[2].column`)
 *   and, when the text is known, its line and column in the file.
 * - `DataError`: a data file that does not match its schema. Each issue names
 *   the file, the line, the column (by name and 1-based position) and the reason.
 *
 * Neither ever quotes a data value: a party's records are its secrets, and
 * error messages end up in logs. A reason says what was expected ("an integer
 * in 18..100", "one of the levels A, B"), never what was found.
 */

/** One problem in a specification: the field's path and what is wrong with it. */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
  /** 1-based position in the source text, when known. */
  readonly line?: number;
  readonly col?: number;
}

function fieldText(source: string, i: FieldIssue): string {
  const at = i.line === undefined ? source : `${source}:${i.line}:${i.col ?? 1}`;
  return `${at}: ${i.path}: ${i.message}`;
}

/** A specification (study, schema) that does not validate. Lists every problem found. */
export class SpecError extends Error {
  override readonly name = 'SpecError';
  constructor(
    /** The file name, or a label such as 'study' for a TypeScript definition. */
    readonly source: string,
    readonly issues: readonly FieldIssue[],
  ) {
    super(issues.map((i) => fieldText(source, i)).join('\n'));
  }
}

/** One problem in a data file. */
export interface DataIssue {
  readonly file: string;
  /**
   * 1-based line where the record (or field) starts; with `unit: 'row'`, the
   * row of a query's result (0: a problem of the column itself, its type).
   */
  readonly line: number;
  /** What `line` counts: lines of a text file (the default) or rows of a query or Parquet file. */
  readonly unit?: 'line' | 'row';
  /** The column's name, when the problem is in one field. */
  readonly column?: string;
  /** The column's 1-based position in the file, when known. */
  readonly columnIndex?: number;
  readonly reason: string;
}

function dataText(i: DataIssue): string {
  const col =
    i.column === undefined
      ? ''
      : ` column '${i.column}'${i.columnIndex === undefined ? '' : ` (${i.columnIndex})`}:`;
  if (i.unit === 'row' && i.line === 0) return `${i.file}:${col} ${i.reason}`;
  return i.unit === 'row'
    ? `${i.file}: row ${i.line}:${col} ${i.reason}`
    : `${i.file}:${i.line}:${col} ${i.reason}`;
}

/** A data file that does not match its schema. Lists up to `MAX_DATA_ISSUES` problems. */
export class DataError extends Error {
  override readonly name = 'DataError';
  constructor(
    readonly issues: readonly DataIssue[],
    /** Problems beyond those listed (the loader stops collecting after a limit). */
    readonly more = 0,
  ) {
    super(
      issues.map(dataText).join('\n') +
        (more > 0 ? `\n... and ${more} more problem${more === 1 ? '' : 's'}` : ''),
    );
  }
}

/** How many data problems are listed before the loader only counts them. */
export const MAX_DATA_ISSUES = 20;
