/**
 * Private join into a secret-shared table (circuit-PSI by oblivious sorting).
 *
 * Two parties hold tables keyed by an identifier (vertical partitioning: a
 * bank's features, another bank's default labels). The join yields a table
 * of secrets with one row per input row (n_L + n_R rows): the left row's
 * columns, the matching right row's columns moved beside them, and secret
 * flags `match` (the row is a left row with a partner) and `weight` (the row
 * belongs to the join's result: `match` for an inner join, "is a left row"
 * for a left join). Nobody learns which rows matched, nor how many: only the
 * two row counts are public. Consumers use `weight` as the row filter
 * (`where`) of the statistics library or multiply by it.
 *
 * Protocol: the sort-compare-shuffle circuit-PSI of Huang, Evans, Katz,
 * "Private set intersection: are garbled circuits better than custom
 * protocols?", NDSS 2012, section 4, run on secret shares instead of a
 * garbled circuit, with the payloads carried through the sort:
 *
 * 1. Each owner maps its identifiers to 60-bit keys k (src/join/keys.ts),
 *    unique within its table, and inputs 2k + s with s = 0 (left) or 1
 *    (right), with its columns; the other side's columns are zeros.
 * 2. All n = n_L + n_R rows are sorted obliviously on 2k + s (the session's
 *    sortBy, src/ops/sort.ts: Batcher's network under rep3, whose 64-bit
 *    comparisons leave no room for the quicksort's row tag beside 62-bit
 *    keys; shuffle then quicksort under shamir): a left row and its right partner become
 *    neighbours, left first, and the keys are distinct, so the order is fixed.
 * 3. Row i matches when (key_(i+1) - s_(i+1)) - (key_i - s_i) = 0, i.e. the
 *    neighbours have the same k (one secret equality test per row); the
 *    partner's columns are moved up by one position and multiplied by the
 *    match bit (one multiplication round for all of them).
 * 4. Optionally (default on) all columns are shuffled by a secret random
 *    permutation, so that a later row-wise opening shows nothing about the
 *    sorted order either.
 *
 * Security: that of the session's suite (e.g. rep3: semi-honest, one of
 * three parties corrupt; the data owners can be two of the three compute
 * parties). Leaks n_L and n_R. Cost: O(n log^2 n) secure comparisons, about
 * log2(n)^2 / 2 rounds of comparisons for the sort, twice with the shuffle.
 */
import type { Session } from '../api/session.js';
import type { SecretBool, SecretFixed, SecretInt } from '../api/secret.js';
import {
  bool,
  int,
  type BoolType,
  type FixedType,
  type IntType,
  type PlainValue,
} from '../api/types.js';
import type { Shares } from '../suites/suite.js';
import { joinKeys, KEY_BITS, type JoinKey } from './keys.js';

/** A payload column's secret type. */
export type ColumnType = IntType | FixedType | BoolType;

/** The public description of one side of the join: its owner, size and columns. */
export interface JoinSide {
  /** The party that owns this table. */
  readonly party: string;
  /** The number of rows (public). */
  readonly rows: number;
  /** Payload columns, by name (names must differ across both sides). */
  readonly columns: readonly { readonly name: string; readonly type: ColumnType }[];
}

/** The owner's own data for its side: keys and the columns' values, row by row. */
export interface JoinData {
  readonly keys: readonly JoinKey[];
  readonly columns: Readonly<Record<string, ArrayLike<PlainValue>>>;
}

export interface JoinOptions {
  /** 'inner' (default): weight = match. 'left': every left row has weight 1. */
  readonly how?: 'inner' | 'left';
  /** Shuffle the result by a secret permutation (default true). */
  readonly shuffle?: boolean;
}

/** A joined table of secrets: n_L + n_R rows, of which `weight` selects the result. */
export interface JoinedTable {
  /** Number of rows (n_L + n_R, public). */
  readonly rows: number;
  /** The row is a left row whose key the right table also holds. */
  readonly match: SecretBool;
  /** The row belongs to the result: `match` (inner) or "is a left row" (left join). */
  readonly weight: SecretBool;
  /** Every payload column by name; right columns are 0 where `match` is false. */
  readonly columns: ReadonlyMap<string, SecretInt | SecretFixed | SecretBool>;
}

type Column = SecretInt | SecretFixed | SecretBool;

/**
 * Joins the left table with the right one on their keys, inside the session.
 * Every party calls it with the same `left`, `right` and options; the owner of
 * a side passes its data in `mine` (a party owning both sides passes both,
 * as `{ left, right }`).
 *
 * @example
 *   const t = await privateJoin(s,
 *     { party: 'bankA', rows: nA, columns: [{ name: 'income', type: fixed() }] },
 *     { party: 'bankB', rows: nB, columns: [{ name: 'default', type: bool }] },
 *     s.me === 'bankA' ? { left: { keys: ids, columns: { income } } } : s.me === 'bankB' ? { right: { keys, columns: { default: d } } } : {});
 *   logisticRegression(t.columns.get('default') as SecretBool, [t.columns.get('income') as SecretFixed], { where: t.weight });
 * @throws {JoinKeyError} at an owner whose keys repeat (naming the party and rows);
 *   {RangeError} for bad sizes, an unknown party, duplicate column names or
 *   missing values; {TypeError} for a value of the wrong kind.
 */
export function privateJoin(
  s: Session,
  left: JoinSide,
  right: JoinSide,
  mine: { left?: JoinData; right?: JoinData },
  opts: JoinOptions = {},
): JoinedTable {
  const how = opts.how ?? 'inner';
  if (how !== 'inner' && how !== 'left')
    throw new RangeError(`privateJoin: join type must be 'inner' or 'left', got ${String(how)}`);
  checkSide('left', left, s);
  checkSide('right', right, s);
  const names = [...left.columns, ...right.columns].map((c) => c.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined)
    throw new RangeError(`privateJoin: column '${dup}' is named on both sides`);
  const nL = left.rows;
  const nR = right.rows;
  const n = nL + nR;

  // 1. Keys 2k + s and columns, each side's rows then the other's zeros.
  const keyType = int(KEY_BITS + 2);
  const sideKeys = (side: JoinSide, data: JoinData | undefined, src: 0n | 1n) => {
    if (s.me !== side.party) return s.input(side.party, keyType, side.rows);
    const d = need(data, side);
    const k = joinKeys(side.party, d.keys);
    return s.input(
      side.party,
      keyType,
      Array.from(k, (x) => 2n * x + src),
    );
  };
  const keys = s.concat([sideKeys(left, mine.left, 0n), sideKeys(right, mine.right, 1n)]);
  const source = s.concat([s.constant(bool, zeros(nL, false)), s.constant(bool, zeros(nR, true))]);
  const column = (
    side: JoinSide,
    data: JoinData | undefined,
    name: string,
    type: ColumnType,
    at: 'first' | 'second',
  ) => {
    let own: Column;
    if (s.me === side.party) {
      const values = need(data, side).columns[name];
      if (values === undefined)
        throw new RangeError(
          `privateJoin: party '${side.party}' passed no values for column '${name}'`,
        );
      if (values.length !== side.rows)
        throw new RangeError(
          `privateJoin: column '${name}' has ${values.length} values, the table ${side.rows} rows`,
        );
      own = s.input(side.party, type, values);
    } else own = s.input(side.party, type, side.rows);
    const pad = s.constant(type, zeros(n - side.rows, type.kind === 'bool' ? false : 0)) as Column;
    return s.concat(at === 'first' ? [own, pad] : [pad, own]);
  };
  const leftCols = left.columns.map((c) => column(left, mine.left, c.name, c.type, 'first'));
  const rightCols = right.columns.map((c) => column(right, mine.right, c.name, c.type, 'second'));

  // 2. Oblivious sort on 2k + s; the source bit and every column follow.
  const sorted =
    n <= 1
      ? { keys, payloads: [source, ...leftCols, ...rightCols] }
      : s.sortBy(keys, [source, ...leftCols, ...rightCols]);
  const [srcS, ...colsS] = sorted.payloads as [SecretBool, ...Column[]];
  const lS = colsS.slice(0, leftCols.length);
  const rS = colsS.slice(leftCols.length);

  // 3. Neighbours with equal k match; the partner's columns move up one row.
  const suite = s.suite;
  const matchShares: Promise<Shares> = Promise.all([sorted.keys.shares, srcS.shares]).then(
    async ([k, b]) => {
      if (n <= 1) return suite.constant(new BigInt64Array(n));
      const kk = suite.sub(k, b); // 2k at every row
      const next = suite.gather(kk, range(1, n - 1));
      const here = suite.gather(kk, range(0, n - 1));
      // |2k' - 2k| < 2^61: a 63-bit bound is exact.
      const eq = await suite.eqz(suite.sub(next, here), KEY_BITS + 3);
      return suite.concat([eq, suite.constant(new BigInt64Array(1))]);
    },
  );
  const match = s.wrap(bool, [n], 2, matchShares);
  const moved: Promise<Shares[]> = Promise.all([matchShares, ...rS.map((c) => c.shares)]).then(
    async ([m, ...cs]) => {
      if (cs.length === 0) return [];
      const up = new Uint32Array(n);
      for (let i = 0; i < n; i++) up[i] = Math.min(i + 1, n - 1);
      const shifted = suite.concat(cs.map((c) => suite.gather(c, up)));
      const rep = new Uint32Array(n * cs.length);
      for (let q = 0; q < rep.length; q++) rep[q] = q % n;
      // m is 0/1, so m * value is exact at any scale: no truncation.
      const prod = await suite.mul(suite.gather(m, rep), shifted);
      return cs.map((_, j) => suite.gather(prod, range(j * n, n)));
    },
  );
  const rJoined = rS.map(
    (c, j) =>
      s.wrap(
        c.type,
        [n],
        c.bound,
        moved.then((ms) => ms[j]!),
      ) as Column,
  );
  const isLeft = srcS.not();
  const weight = how === 'inner' ? match : isLeft;

  // 4. A secret permutation of all rows.
  let out: Column[] = [match, weight, ...lS, ...rJoined];
  if ((opts.shuffle ?? true) && n > 1) out = s.shuffle(out);
  const [m2, w2, ...rest] = out as [SecretBool, SecretBool, ...Column[]];
  const columns = new Map<string, Column>();
  names.forEach((name, i) => columns.set(name, rest[i]!));
  return { rows: n, match: m2, weight: how === 'inner' ? m2 : w2, columns };
}

function checkSide(which: string, side: JoinSide, s: Session): void {
  if (!s.parties.includes(side.party))
    throw new RangeError(
      `privateJoin: the ${which} table's party '${side.party}' is not in the session`,
    );
  if (!Number.isSafeInteger(side.rows) || side.rows < 0)
    throw new RangeError(
      `privateJoin: the ${which} table's row count must be a non-negative integer, got ${side.rows}`,
    );
}

function need(data: JoinData | undefined, side: JoinSide): JoinData {
  if (!data)
    throw new RangeError(
      `privateJoin: party '${side.party}' owns a table but passed no data for it`,
    );
  if (data.keys.length !== side.rows)
    throw new RangeError(
      `privateJoin: party '${side.party}' has ${data.keys.length} keys, the table was declared with ${side.rows} rows`,
    );
  return data;
}

function zeros<T>(n: number, v: T): T[] {
  return new Array<T>(n).fill(v);
}

function range(start: number, len: number): Uint32Array {
  const out = new Uint32Array(len);
  for (let i = 0; i < len; i++) out[i] = start + i;
  return out;
}
