/**
 * Table schemas: the columns every party's table has, their types and their
 * declared ranges. A schema is public: all parties agree on it (it is part of
 * the study file), and its ranges decide how values are encoded as secrets
 * (src/analytics/data/encode.ts) and the sensitivity used for differential privacy.
 *
 * Column types:
 * - `integer` with `min` and `max` (safe integers, inclusive);
 * - `decimal` with `scale` (digits after the point, 0..9) and `min`, `max`:
 *   values are exact decimals with at most `scale` fraction digits, held as
 *   integers in units of 10^-scale;
 * - `categorical` with its declared `levels` (case-sensitive strings);
 * - `boolean`, written `true` / `false` in CSV unless `labels` says otherwise;
 * - `date`, written YYYY-MM-DD, with `min` and `max` dates; held as days since 1970-01-01.
 *
 * Missing values: `missing: refuse` (the default) makes an empty field an
 * error; `missing: allow` keeps the record and marks the value missing, and
 * analyses then use only the records where the column is present (the count
 * used is reported). In CSV a field is missing when it equals one of the
 * schema's `na` strings (default: the empty string); in JSON lines when it is
 * `null` or absent.
 */
import { SpecError } from './errors.js';
import { FieldReader, article, describe, join, plural, type Json } from './reader.js';

export type MissingPolicy = 'refuse' | 'allow';

interface ColumnBase {
  readonly name: string;
  readonly missing: MissingPolicy;
  /** Free text for reports. */
  readonly label: string;
}

export interface IntegerColumn extends ColumnBase {
  readonly type: 'integer';
  readonly min: number;
  readonly max: number;
}

export interface DecimalColumn extends ColumnBase {
  readonly type: 'decimal';
  /** Digits after the decimal point. */
  readonly scale: number;
  readonly min: number;
  readonly max: number;
  /** min and max in units of 10^-scale (exact integers). */
  readonly minUnits: number;
  readonly maxUnits: number;
}

export interface CategoricalColumn extends ColumnBase {
  readonly type: 'categorical';
  readonly levels: readonly string[];
}

export interface BooleanColumn extends ColumnBase {
  readonly type: 'boolean';
  /** How CSV writes false and true. */
  readonly labels: { readonly false: string; readonly true: string };
}

export interface DateColumn extends ColumnBase {
  readonly type: 'date';
  readonly min: string;
  readonly max: string;
  /** min and max as days since 1970-01-01. */
  readonly minDay: number;
  readonly maxDay: number;
}

export type Column = IntegerColumn | DecimalColumn | CategoricalColumn | BooleanColumn | DateColumn;
export type ColumnType = Column['type'];

export interface Schema {
  readonly columns: readonly Column[];
  /** CSV fields equal to one of these are missing values. */
  readonly na: readonly string[];
}

/** Column names: identifiers, so that paths and formulas can name them unambiguously. */
export const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const COLUMN_TYPES: readonly ColumnType[] = [
  'integer',
  'decimal',
  'categorical',
  'boolean',
  'date',
];
const MAX_LEVELS = 1000;
const MAX_COLUMNS = 1000;
/** Largest scale: 10^9 units keep typical ranges far inside 2^53. */
const MAX_SCALE = 9;

/** Days since 1970-01-01 of a YYYY-MM-DD date, or undefined if it is not a real date. */
export function parseDate(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return undefined;
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  // Date.UTC maps years 0..99 to 1900..1999, so the round trip below refuses them.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d)
    return undefined;
  return Math.round(ms / 86_400_000);
}

/** The YYYY-MM-DD text of a day number. */
export function formatDate(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Parses an exact decimal with at most `scale` fraction digits into units of
 * 10^-scale. Returns a reason string when the text is not one.
 */
export function parseDecimalUnits(text: string, scale: number): number | string {
  const m = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return `expected a decimal number (digits, optional sign and point)`;
  const frac = m[3] ?? '';
  if (frac.length > scale)
    return `has more than ${scale} digit${scale === 1 ? '' : 's'} after the point (the schema's scale; values are not rounded)`;
  const digits = m[2]! + frac.padEnd(scale, '0');
  const units = Number(digits);
  if (!Number.isSafeInteger(units)) return 'has too many digits';
  return m[1] === '-' ? -units : units;
}

/** Units of 10^-scale of a number from a specification (exactly representable decimals only). */
function unitsOf(v: number, scale: number): number | undefined {
  // The shortest round-trip text of v is what the author wrote in the file.
  const text = Number.isInteger(v) ? v.toFixed(0) : String(v);
  if (/e/i.test(text)) return undefined;
  const u = parseDecimalUnits(text, scale);
  return typeof u === 'number' ? u : undefined;
}

/**
 * Validates a schema (already parsed from YAML or JSON) into `r`, under `path`.
 * Returns undefined when an issue was found.
 */
export function readSchema(raw: Json, r: FieldReader, path: string): Schema | undefined {
  const before = r.issues.length;
  const o = r.object(raw, path, ['columns', 'na']);
  if (!o) return undefined;
  let na: readonly string[] = [''];
  if (o.na !== undefined) {
    const list = r.list(o.na, join(path, 'na'), 0, 16);
    if (list) {
      list.forEach((t, i) => {
        if (typeof t !== 'string')
          r.fail(`${join(path, 'na')}[${i}]`, `expected a string, got ${describe(t)}`);
      });
      na = list.filter((t): t is string => typeof t === 'string');
    }
  }
  const columns: Column[] = [];
  const list = r.list(r.required(o, 'columns', path), join(path, 'columns'), 1, MAX_COLUMNS);
  const seen = new Set<string>();
  list?.forEach((c, i) => {
    const cp = `${join(path, 'columns')}[${i}]`;
    const col = readColumn(c, r, cp, na);
    if (!col) return;
    if (seen.has(col.name)) r.fail(`${cp}.name`, `duplicate column name '${col.name}'`);
    seen.add(col.name);
    columns.push(col);
  });
  return r.issues.length === before ? { columns, na } : undefined;
}

const KNOWN: Record<ColumnType, readonly string[]> = {
  integer: ['min', 'max'],
  decimal: ['scale', 'min', 'max'],
  categorical: ['levels'],
  boolean: ['labels'],
  date: ['min', 'max'],
};

function readColumn(
  raw: Json,
  r: FieldReader,
  path: string,
  na: readonly string[],
): Column | undefined {
  const before = r.issues.length;
  const pre = r.object(raw, path);
  if (!pre) return undefined;
  // The fields allowed depend on the type (`levels` only on a categorical
  // column); checked first, so that a misspelt field is reported once, as such.
  const common = ['name', 'type', 'missing', 'label'];
  const given = COLUMN_TYPES.find((t) => t === pre.type);
  if (given)
    r.knownKeys(
      pre,
      path,
      [...common, ...KNOWN[given]],
      `field of ${article(given)} ${given} column`,
    );
  else r.knownKeys(pre, path, [...common, ...Object.values(KNOWN).flat()]);
  const name = r.string(
    r.required(pre, 'name', path),
    join(path, 'name'),
    COLUMN_NAME,
    'a name of letters, digits and _ (not starting with a digit), 1..64 characters',
  );
  const type = r.oneOf(
    r.required(pre, 'type', path),
    join(path, 'type'),
    COLUMN_TYPES,
    'column type',
  );
  if (type === undefined) return undefined;
  const missing =
    pre.missing === undefined
      ? 'refuse'
      : r.oneOf(pre.missing, join(path, 'missing'), ['refuse', 'allow'] as const);
  const label = pre.label === undefined ? (name ?? '') : r.string(pre.label, join(path, 'label'));
  const base = { name: name ?? '', missing: missing ?? 'refuse', label: label ?? '' };
  let col: Column | undefined;
  switch (type) {
    case 'integer': {
      const lim = Number.MAX_SAFE_INTEGER;
      const min = r.int(r.required(pre, 'min', path), join(path, 'min'), -lim, lim);
      const max = r.int(r.required(pre, 'max', path), join(path, 'max'), -lim, lim);
      if (min !== undefined && max !== undefined && min > max)
        r.fail(join(path, 'max'), `expected at least min (${min}), got ${max}`);
      if (min !== undefined && max !== undefined) col = { ...base, type, min, max };
      break;
    }
    case 'decimal': {
      const scale = r.int(r.required(pre, 'scale', path), join(path, 'scale'), 0, MAX_SCALE);
      const bound = scale === undefined ? 0 : Number.MAX_SAFE_INTEGER / 10 ** scale;
      const read = (k: 'min' | 'max') => {
        const v = r.number(r.required(pre, k, path), join(path, k), -bound, bound);
        if (v === undefined || scale === undefined) return undefined;
        const u = unitsOf(v, scale);
        if (u === undefined)
          return r.fail(
            join(path, k),
            `expected a number with at most ${plural(scale, 'digit')} after the point, got ${v}`,
          );
        return { v, u };
      };
      const min = read('min');
      const max = read('max');
      if (min && max && min.u > max.u)
        r.fail(join(path, 'max'), `expected at least min (${min.v}), got ${max.v}`);
      if (scale !== undefined && min && max)
        col = { ...base, type, scale, min: min.v, max: max.v, minUnits: min.u, maxUnits: max.u };
      break;
    }
    case 'categorical': {
      const lp = join(path, 'levels');
      const list = r.list(r.required(pre, 'levels', path), lp, 1, MAX_LEVELS);
      if (!list) break;
      const levels: string[] = [];
      list.forEach((l, i) => {
        // Numbers in YAML (levels: [1, 2]) are taken as their text: the file's text is what is matched.
        const text = typeof l === 'number' && Number.isFinite(l) ? String(l) : l;
        if (typeof text !== 'string' || text.length === 0 || text.length > 256)
          return r.fail(`${lp}[${i}]`, `expected a non-empty string, got ${describe(l)}`);
        if (levels.includes(text)) return r.fail(`${lp}[${i}]`, `duplicate level '${text}'`);
        if (na.includes(text))
          return r.fail(`${lp}[${i}]`, `level '${text}' is also a missing-value marker (na)`);
        levels.push(text);
      });
      if (levels.length === list.length) col = { ...base, type, levels };
      break;
    }
    case 'boolean': {
      let labels = { false: 'false', true: 'true' };
      if (pre.labels !== undefined) {
        const lp = join(path, 'labels');
        const l = r.object(pre.labels, lp, ['false', 'true']);
        if (l) {
          const f = r.string(r.required(l, 'false', lp), join(lp, 'false'));
          const t = r.string(r.required(l, 'true', lp), join(lp, 'true'));
          if (f !== undefined && t !== undefined) {
            if (f === t) r.fail(lp, 'true and false need different labels');
            else if (na.includes(f) || na.includes(t))
              r.fail(lp, 'a label is also a missing-value marker (na)');
            else labels = { false: f, true: t };
          }
        }
      }
      col = { ...base, type, labels };
      break;
    }
    case 'date': {
      const read = (k: 'min' | 'max') => {
        const v = r.required(pre, k, path);
        // YAML turns unquoted 2020-01-01 into a Date; accept it as that calendar day.
        const text =
          v instanceof Date && !Number.isNaN(v.getTime()) ? v.toISOString().slice(0, 10) : v;
        const day = typeof text === 'string' ? parseDate(text) : undefined;
        if (day === undefined)
          return r.fail(
            join(path, k),
            `expected a date YYYY-MM-DD, got ${typeof text === 'string' ? JSON.stringify(text) : typeof v}`,
          );
        return { text: text as string, day };
      };
      const min = read('min');
      const max = read('max');
      if (min && max && min.day > max.day)
        r.fail(join(path, 'max'), `expected a date not before min (${min.text}), got ${max.text}`);
      if (min && max)
        col = { ...base, type, min: min.text, max: max.text, minDay: min.day, maxDay: max.day };
      break;
    }
  }
  return r.issues.length === before ? col : undefined;
}

/**
 * Validates a schema from parsed JSON or YAML.
 * @example
 *   const schema = parseSchema({ columns: [{ name: 'age', type: 'integer', min: 0, max: 120 }] });
 * @throws {SpecError} listing every problem, each naming its field.
 */
export function parseSchema(raw: Json, source = 'schema'): Schema {
  const r = new FieldReader();
  const s = readSchema(raw, r, '');
  if (!s) throw new SpecError(source, r.issues);
  return s;
}

/** The column named `name`, or undefined. */
export function column(schema: Schema, name: string): Column | undefined {
  return schema.columns.find((c) => c.name === name);
}

/** A one-line description of a column's type for reports, e.g. `integer 18..100`. */
export function describeColumn(c: Column): string {
  switch (c.type) {
    case 'integer':
      return `integer ${c.min}..${c.max}`;
    case 'decimal':
      return `decimal(${c.scale}) ${c.min}..${c.max}`;
    case 'categorical':
      return `categorical {${c.levels.join(', ')}}`;
    case 'boolean':
      return 'boolean';
    case 'date':
      return `date ${c.min}..${c.max}`;
  }
}
