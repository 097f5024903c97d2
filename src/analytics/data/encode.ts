/**
 * The parties' tables as one secret table, combined row-wise ("horizontal"
 * partitioning): every party holds records of different individuals under the
 * same schema, and the joint table is party 1's rows, then party 2's, and so on.
 *
 * What is public, and what is not:
 * - public: the schema (column names, types, declared ranges and levels) and
 *   each party's row count, which every party reveals at the start (it fixes
 *   the vector lengths, which MPC does not hide);
 * - secret: every value, and which rows have missing values.
 *
 * Encodings, chosen by the declared ranges (a value outside them was refused
 * when the file was loaded, so no encoding can overflow):
 * - integer: `int(k)` with the fewest bits k holding [min, max] (and 0);
 * - decimal with scale d: fixed point with `frac` fractional bits (16, or more
 *   when d needs them), the value rounded to the nearest multiple of 2^-frac
 *   (error at most 2^-(frac+1), documented per column by `fixedError`);
 * - categorical: one secret boolean per level (one-hot), or the level's index
 *   as an integer code;
 * - boolean: a secret boolean;
 * - date: days since 1970-01-01 as `int(k)`.
 * A missing value is encoded as 0, with a secret "present" flag (0) beside it;
 * analyses use the flag to leave the record out.
 *
 * Columns are input lazily, the first time an analysis asks for them. Because
 * every party runs the same study program, every party asks in the same order.
 */
import { bool, fixed, int, type BoolType, type FixedType, type IntType } from '../../api/types.js';
import type { Session } from '../../api/session.js';
import { SecretBool, SecretFixed, SecretInt } from '../../api/secret.js';
import { column as findColumn, type Column, type Schema } from './schema.js';
import type { Table } from './table.js';

/** Fewest bits of a signed integer type holding every value in [min, max] and 0. */
export function bitsFor(min: number, max: number): number {
  const hi = Math.max(max, 0);
  const lo = Math.min(min, 0);
  let k = 2;
  // int(k) holds [-2^(k-1), 2^(k-1) - 1].
  while (2 ** (k - 1) - 1 < hi || -(2 ** (k - 1)) > lo) k++;
  return k;
}

/** The default fractional bits of fixed-point columns. */
export const DEFAULT_FRAC = 16;

/** Fractional bits for a decimal column of scale d: enough that 2^-frac is below a tenth of 10^-d. */
export function fracFor(scale: number): number {
  return Math.max(DEFAULT_FRAC, Math.ceil(scale * Math.log2(10)) + 4);
}

/** The fixed-point type of a numeric column: its range at `frac` fractional bits. */
export function fixedTypeOf(c: Column, frac = DEFAULT_FRAC): FixedType {
  const [lo, hi] = numericRange(c);
  const mag = Math.max(Math.abs(lo), Math.abs(hi), 1);
  // |round(x 2^frac)| < 2^(bits-1) for |x| <= mag.
  const bits = Math.ceil(Math.log2(mag + 1)) + frac + 1;
  if (bits > 64)
    throw new RangeError(
      `column '${c.name}': values up to ${mag} need ${bits} bits at ${frac} fractional bits; narrow the declared range`,
    );
  return fixed({ bits, frac });
}

/** The declared range of a numeric column as numbers (decimals in their own units, dates as days). */
export function numericRange(c: Column): [number, number] {
  switch (c.type) {
    case 'integer':
    case 'decimal':
      return [c.min, c.max];
    case 'date':
      return [c.minDay, c.maxDay];
    case 'boolean':
      return [0, 1];
    case 'categorical':
      return [0, c.levels.length - 1];
  }
}

/** The integer type of an integer, date, boolean or categorical-code column. */
export function intTypeOf(c: Column): IntType {
  if (c.type === 'decimal')
    throw new TypeError(
      `column '${c.name}': a decimal column has no exact integer encoding; use fixed`,
    );
  const [lo, hi] = numericRange(c);
  return int(bitsFor(lo, hi));
}

/** Largest error of the fixed-point encoding of a column's values. */
export function fixedError(c: Column, frac = DEFAULT_FRAC): number {
  return c.type === 'decimal' && 10 ** -c.scale % 2 ** -frac !== 0 ? 2 ** -(frac + 1) : 0;
}

/** A progress callback: what is happening, for logs (never values). */
export type Progress = (message: string) => void;

/**
 * The joint secret table. Create it with `SecretTable.input` at every party.
 * @example
 *   const t = await SecretTable.input(s, schema, myTable);
 *   const meanAge = t.fixed('age').sum().mul(1 / t.rows);
 */
export class SecretTable {
  private readonly cache = new Map<string, unknown>();

  private constructor(
    readonly session: Session,
    readonly schema: Schema,
    /** This party's own table; undefined at a party that brings no data. */
    private readonly own: Table | undefined,
    /** Each party's row count, in party order (public). */
    readonly rowCounts: ReadonlyMap<string, number>,
    /**
     * Only for a joined table (src/analytics/study/joined.ts): the rows that
     * belong to it, which every analysis's mask includes.
     */
    readonly weight?: SecretBool,
    /**
     * Only for a table contributed by non-parties (src/analytics/study/contributed.ts):
     * its columns and local aggregates were all given up front; nothing is input later.
     */
    private readonly contributed = false,
  ) {}

  /**
   * Whether the table was contributed by data owners who are not parties
   * (contributed.ts): their local aggregates were computed on each owner's
   * rows alone, so an aggregate whose layout depends on every party's row
   * count (a linear regression's candidate encodings) is not among them.
   */
  get byOwners(): boolean {
    return this.contributed;
  }

  /**
   * A table whose columns are already secrets (a private join's result):
   * `columns` maps the cache keys this class uses (`int:NAME` for integer
   * and date columns, `fixed:NAME` for decimal ones, `bool:NAME`,
   * `onehot:NAME`) to the secrets; `weight` selects the rows. Nothing is
   * input later: a column or operation that needs the owners' plaintext rows
   * (local aggregates, indicators, exact decimals) is refused with a TypeError.
   */
  static joined(
    s: Session,
    schema: Schema,
    rowCounts: ReadonlyMap<string, number>,
    columns: ReadonlyMap<string, unknown>,
    weight: SecretBool,
  ): SecretTable {
    const t = new SecretTable(s, schema, undefined, rowCounts, weight);
    for (const [k, v] of columns) t.cache.set(k, v);
    return t;
  }

  /**
   * A table whose data owners are not parties (src/analytics/study/contributed.ts): the
   * compute nodes hold its columns as secrets under the cache keys `joined` takes (and
   * `present:NAME`), and each local aggregate, already summed over the owners, as
   * `agg:KEY`. `rowCounts` maps each owner to its row count (public, as in every study).
   * A column, aggregate or condition that was not contributed is refused with a TypeError.
   */
  static contributed(
    s: Session,
    schema: Schema,
    rowCounts: ReadonlyMap<string, number>,
    columns: ReadonlyMap<string, unknown>,
  ): SecretTable {
    const t = new SecretTable(s, schema, undefined, rowCounts, undefined, true);
    for (const [k, v] of columns) t.cache.set(k, v);
    return t;
  }

  /** The local aggregates computed so far, by key (what an owner contributes: contributed.ts). */
  aggregates(): Map<string, SecretInt> {
    const out = new Map<string, SecretInt>();
    for (const [k, v] of this.cache) if (k.startsWith('agg:')) out.set(k.slice(4), v as SecretInt);
    return out;
  }

  /**
   * The same table on another channel of its session (`session.channel`):
   * columns already input are adopted, the others are input on that channel
   * when used, so analyses running concurrently on channels of their own
   * never interleave steps on one channel.
   */
  on(s: Session): SecretTable {
    // Callers settle() first: see Session.adopt.
    if (s === this.session) return this;
    const adopt = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(adopt)
        : v instanceof SecretInt || v instanceof SecretFixed || v instanceof SecretBool
          ? s.adopt(v)
          : v;
    const t = new SecretTable(
      s,
      this.schema,
      this.own,
      this.rowCounts,
      this.weight ? s.adopt(this.weight) : undefined,
      this.contributed,
    );
    for (const [k, v] of this.cache) t.cache.set(k, adopt(v));
    return t;
  }

  /** Resolves once every secret computed so far (columns, the join's weight) has its shares. */
  async settle(): Promise<void> {
    const pending: Array<Promise<unknown>> = [];
    const visit = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(visit);
      else if (v instanceof SecretInt || v instanceof SecretFixed || v instanceof SecretBool)
        pending.push(v.ready());
    };
    for (const v of this.cache.values()) visit(v);
    if (this.weight) visit(this.weight);
    await Promise.all(pending);
  }

  private notJoined(what: string): void {
    if (this.weight)
      throw new TypeError(
        `table: ${what} needs each owner's rows, which a joined table does not have`,
      );
    if (this.contributed)
      throw new TypeError(
        `table: ${what} was not contributed by the data owners, who are not parties here`,
      );
  }

  /** Total number of rows. */
  get rows(): number {
    let n = 0;
    for (const c of this.rowCounts.values()) n += c;
    return n;
  }

  /**
   * Agrees on the row counts (each party reveals its own) and returns the
   * joint table; values are input later, when used. Every party calls it,
   * with its own table or undefined when it has none.
   * @throws {TypeError} when `own` was loaded with another schema.
   */
  static async input(s: Session, schema: Schema, own: Table | undefined): Promise<SecretTable> {
    if (own && own.schema !== schema && JSON.stringify(own.schema) !== JSON.stringify(schema))
      throw new TypeError("SecretTable.input: this party's table has another schema");
    // Row counts are public by design; 2^31 rows is far beyond what the engine can compute on.
    const counts = s.concat(
      s.parties.map((p) => s.input(p, int(32), p === s.me ? [own?.rows ?? 0] : 1)),
    );
    const revealed = await counts.reveal();
    return new SecretTable(
      s,
      schema,
      own,
      new Map(s.parties.map((p, i) => [p, Number(revealed[i]!)])),
    );
  }

  /** The column's declaration. @throws {RangeError} for an unknown column. */
  column(name: string): Column {
    const c = findColumn(this.schema, name);
    if (!c) throw new RangeError(`table: unknown column '${name}'`);
    return c;
  }

  private memo<T>(key: string, make: () => T): T {
    if (!this.cache.has(key)) this.cache.set(key, make());
    return this.cache.get(key) as T;
  }

  /** Each party inputs its rows of one encoded vector; the parties' vectors are concatenated in party order. */
  private inputAll<T extends IntType | FixedType | BoolType>(
    type: T,
    mine: () => ArrayLike<number>,
  ): T extends IntType ? SecretInt : T extends FixedType ? SecretFixed : SecretBool {
    this.notJoined('this column');
    const s = this.session;
    const parts = s.parties.map((p) =>
      s.input(p, type, p === s.me ? mine() : this.rowCounts.get(p)!),
    );
    return (parts.length === 1 ? parts[0]! : s.concat(parts as SecretInt[])) as never;
  }

  private values(name: string): Float64Array {
    const v = this.own?.columns.get(name);
    // A pushed-down table has aggregates and no rows: say why, and what to do.
    if (!v && this.own?.aggregates)
      throw new RangeError(
        `table: column '${name}' was not loaded: this party's SQL engine computed the study's aggregates (pushdown), and an analysis needs its records; run with ENTENTE_PUSHDOWN=0`,
      );
    if (!v) throw new RangeError(`table: this party has no column '${name}'`);
    return v.values;
  }

  /** An integer, date, boolean or categorical-code column as exact integers. */
  int(name: string): SecretInt {
    const c = this.column(name);
    if (c.type === 'boolean') return this.memo(`int:${name}`, () => this.bool(name).toInt(2));
    return this.memo(`int:${name}`, () => this.inputAll(intTypeOf(c), () => this.values(name)));
  }

  /**
   * A numeric column exactly, as integers in the column's own units: integers
   * as they are, decimals in units of 10^-scale, dates in days, booleans as 0/1.
   */
  exact(name: string): SecretInt {
    const c = this.column(name);
    if (c.type === 'categorical')
      throw new TypeError(`column '${name}' is categorical; use oneHot or codes`);
    if (c.type !== 'decimal') return this.int(name);
    return this.memo(`units:${name}`, () =>
      this.inputAll(int(bitsFor(c.minUnits, c.maxUnits)), () => this.values(name)),
    );
  }

  /** A numeric column as fixed point (decimal columns at their own `frac`, see fracFor). */
  fixed(name: string): SecretFixed {
    const c = this.column(name);
    if (c.type === 'decimal') {
      const t = fixedTypeOf(c, fracFor(c.scale));
      return this.memo(`fixed:${name}`, () =>
        this.inputAll(t, () => {
          const u = this.values(name);
          const scale = 10 ** c.scale;
          return Float64Array.from(u, (x) => x / scale);
        }),
      );
    }
    if (c.type === 'categorical')
      throw new TypeError(`column '${name}' is categorical; use oneHot or codes`);
    // Exact: an integer times 2^frac.
    return this.memo(`fixed:${name}`, () => this.int(name).toFixed(fixedTypeOf(c)));
  }

  /** A boolean column. */
  bool(name: string): SecretBool {
    const c = this.column(name);
    if (c.type !== 'boolean') throw new TypeError(`column '${name}' is ${c.type}, not boolean`);
    return this.memo(`bool:${name}`, () => this.inputAll(bool, () => this.values(name)));
  }

  /** A categorical column's level indices 0..L-1. */
  codes(name: string): SecretInt {
    const c = this.column(name);
    if (c.type !== 'categorical')
      throw new TypeError(`column '${name}' is ${c.type}, not categorical`);
    return this.int(name);
  }

  /**
   * A categorical column as one secret boolean vector per level (in the
   * declared order). The owner inputs the indicators, so no comparison is needed.
   */
  oneHot(name: string): SecretBool[] {
    const c = this.column(name);
    if (c.type !== 'categorical')
      throw new TypeError(`column '${name}' is ${c.type}, not categorical`);
    return this.memo(`onehot:${name}`, () =>
      c.levels.map((_, l) =>
        this.inputAll(bool, () => {
          const v = this.values(name);
          const miss = this.own!.columns.get(name)!.missing;
          return Uint8Array.from(v, (x, i) => (x === l && !miss?.[i] ? 1 : 0));
        }),
      ),
    );
  }

  /** One level's indicator: `oneHot(name)[index of level]`. @throws {RangeError} for an unknown level. */
  level(name: string, level: string): SecretBool {
    const c = this.column(name);
    if (c.type !== 'categorical')
      throw new TypeError(`column '${name}' is ${c.type}, not categorical`);
    const k = c.levels.indexOf(level);
    if (k < 0)
      throw new RangeError(
        `column '${name}' has no level '${level}' (levels: ${c.levels.join(', ')})`,
      );
    return this.oneHot(name)[k]!;
  }

  /**
   * 1 where the column has a value, 0 where it is missing. For columns that do
   * not allow missing values this is all ones (public, no input).
   */
  present(name: string): SecretBool {
    const c = this.column(name);
    return this.memo(`present:${name}`, () => {
      if (c.missing === 'refuse')
        return this.session.constant(bool, new Array<boolean>(this.rows).fill(true));
      return this.inputAll(bool, () =>
        Uint8Array.from(this.own!.columns.get(name)!.missing!, (x) => 1 - x),
      );
    });
  }

  /**
   * Indicators [x op v] of a numeric, date, boolean or categorical-code column
   * against public values, one vector per value (concatenated, value-major),
   * computed by each owner on its own rows and input as secret bits: no
   * comparison protocol runs, and a missing value meets no condition (0).
   * Ops: 'lt', 'le', 'gt', 'ge', 'eq', 'ne'; values in the column's encoding
   * (data/table.ts: decimal units, days, level indices).
   * @example
   *   const old = t.indicators('age', 'ge', [65]); // [age >= 65] per record
   */
  indicators(
    name: string,
    op: 'lt' | 'le' | 'gt' | 'ge' | 'eq' | 'ne',
    values: readonly number[],
  ): SecretBool {
    this.column(name);
    const test: Record<typeof op, (x: number, v: number) => boolean> = {
      lt: (x, v) => x < v,
      le: (x, v) => x <= v,
      gt: (x, v) => x > v,
      ge: (x, v) => x >= v,
      eq: (x, v) => x === v,
      ne: (x, v) => x !== v,
    };
    const f = test[op];
    if (!f) throw new RangeError(`indicators: unknown comparison '${String(op)}'`);
    this.notJoined(`a condition on '${name}'`);
    const s = this.session;
    return this.memo(`ind:${name}:${op}:${values.join(',')}`, () => {
      const parts = s.parties.map((p) => {
        const n = this.rowCounts.get(p)!;
        if (p !== s.me) return s.input(p, bool, n * values.length);
        const x = this.values(name);
        const miss = this.own!.columns.get(name)!.missing;
        const out = new Uint8Array(n * values.length);
        values.forEach((v, j) => {
          for (let i = 0; i < n; i++) out[j * n + i] = !miss?.[i] && f(x[i]!, v) ? 1 : 0;
        });
        return s.input(p, bool, out);
      });
      if (values.length === 1) return parts.length === 1 ? parts[0]! : s.concat(parts);
      // Party-major blocks of value-major rows, reordered to value-major over all rows.
      const N = this.rows;
      const idx = new Uint32Array(N * values.length);
      let q = 0;
      for (let j = 0; j < values.length; j++) {
        let base = 0;
        for (const p of s.parties) {
          const n = this.rowCounts.get(p)!;
          for (let i = 0; i < n; i++) idx[q++] = base + j * n + i;
          base += n * values.length;
        }
      }
      return s.concat(parts).gather(idx);
    });
  }

  /**
   * A secure sum of local aggregates: each party computes `length` numbers
   * from its own table (for example its record counts per cell), in the clear
   * and locally, and inputs them as secrets; the result is their sum over the
   * parties. No party learns another's numbers. A party without data
   * contributes zeros. `bits` bounds each party's numbers (signed).
   * @example
   *   const perArm = t.aggregate('n-by-arm', 2, 32, (own) => countByArm(own));
   * With `reads`, `local` may also work on a pushed-down table from its
   * engine's aggregate of that key (a t-test's sums for every shift).
   * @throws {RangeError} when a party's numbers do not fit in `bits` (at that party).
   */
  aggregate(
    key: string,
    length: number,
    bits: number,
    local: (own: Table) => ArrayLike<number>,
    reads?: string,
  ): SecretInt {
    const s = this.session;
    if (this.contributed) {
      const summed = this.cache.get(`agg:${key}`) as SecretInt | undefined;
      if (!summed || summed.length !== length) this.notJoined(`the local aggregate ${key}`);
      // As if each owner had input bits-bit numbers: their sum needs log2(owners) more.
      const b = bits + Math.ceil(Math.log2(Math.max(1, this.rowCounts.size)));
      return summed!.assumeBound(b);
    }
    this.notJoined(`the local aggregate ${key}`);
    return this.memo(`agg:${key}`, () => {
      const parts = s.parties.map((p) => {
        if (p !== s.me) return s.input(p, int(bits), length);
        const v = this.ownAggregate(key, length, local, reads) ?? new Float64Array(length);
        return s.input(p, int(bits), v);
      });
      let acc = parts[0]!;
      for (const x of parts.slice(1)) acc = acc.add(x);
      return acc;
    });
  }

  /**
   * The sum over parties of `derive(v)` (`length` integers of `bits` bits),
   * where v is the party's own values of the local aggregate `key` as
   * `aggregate(key, ..., local)` computes them (pushed down too): a summary
   * that each party computes in the clear from its own aggregate, such as a
   * model fitted on its own counts. A party without records inputs zeros.
   * Nothing is revealed: each party's values are input as secrets.
   * @throws {RangeError} as `aggregate`, or when `derive` returns another length.
   */
  aggregateDerived(
    key: string,
    baseLength: number,
    local: (own: Table) => ArrayLike<number>,
    name: string,
    length: number,
    bits: number,
    derive: (own: ArrayLike<number>) => ArrayLike<number>,
  ): SecretInt {
    const s = this.session;
    // Data owners who are not parties contribute aggregates, not summaries derived from them
    // for the parties' count: their sum is 0, the summary's neutral start (e.g. Newton from 0).
    if (this.contributed) return s.constant(int(bits), new Array<number>(length).fill(0));
    this.notJoined(`the local aggregate ${key}`);
    return this.memo(`agg:${key}:${name}`, () => {
      const parts = s.parties.map((p) => {
        if (p !== s.me) return s.input(p, int(bits), length);
        const base = this.ownAggregate(key, baseLength, local);
        const v = base ? derive(base) : new Float64Array(length);
        if (v.length !== length)
          throw new RangeError(
            `aggregate ${key}:${name}: expected ${length} numbers, got ${v.length}`,
          );
        return s.input(p, int(bits), v);
      });
      let acc = parts[0]!;
      for (const x of parts.slice(1)) acc = acc.add(x);
      return acc;
    });
  }

  /** This party's own values of the aggregate `key`, or undefined without records. */
  private ownAggregate(
    key: string,
    length: number,
    local: (own: Table) => ArrayLike<number>,
    reads?: string,
  ): ArrayLike<number> | undefined {
    if (!this.own) return undefined;
    const pre = this.own.aggregates;
    const rows = this.own.grouped?.get(key);
    if (pre && !pre.has(key) && !rows && !(reads !== undefined && pre.has(reads)))
      throw new RangeError(
        `aggregate ${key}: this party's SQL engine computed the aggregates of other analyses, or only checked the data`,
      );
    // A pushed-down table's own aggregate, or its local function on the engine's grouped rows.
    const v = pre?.get(key) ?? local(rows ?? this.own);
    if (v.length !== length)
      throw new RangeError(`aggregate ${key}: expected ${length} numbers, computed ${v.length}`);
    return v;
  }

  /** Whether the column may have missing values (public, from the schema). */
  mayBeMissing(name: string): boolean {
    return this.column(name).missing === 'allow';
  }
}
