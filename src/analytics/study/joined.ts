/**
 * The joined table of a study with a `join` clause (join-spec.ts): the two
 * sides' row counts are agreed (public, as in every study), each side's
 * columns are encoded as in encode.ts (integers and dates exactly, decimals
 * in fixed point, booleans, categorical columns one-hot) and the private
 * join (src/join/join.ts, sort-based, inner) turns them into a table of
 * secrets whose `weight` (the match flag) every analysis's mask includes.
 * Nobody learns which rows matched nor how many; an analysis releases only
 * its own results (a regression's n among them).
 */
import { bool, int } from '../../api/types.js';
import type { Session } from '../../api/session.js';
import type { SecretBool } from '../../api/secret.js';
import { SecretTable, fixedTypeOf, fracFor, intTypeOf } from '../data/encode.js';
import type { Column } from '../data/schema.js';
import type { Table } from '../data/table.js';
import { privateJoin, type ColumnType, type JoinData, type JoinSide } from '../../join/join.js';
import type { JoinSpec } from './join-spec.js';
import type { Study } from './spec.js';

/** One secret column of the join per schema column (one per level for categorical ones). */
interface Part {
  readonly name: string;
  readonly type: ColumnType;
  readonly values: (t: Table) => ArrayLike<number | boolean>;
}

function partsOf(c: Column): Part[] {
  const raw = (t: Table) => t.columns.get(c.name)!.values;
  switch (c.type) {
    case 'integer':
    case 'date':
      return [{ name: `int:${c.name}`, type: intTypeOf(c), values: raw }];
    case 'decimal': {
      const scale = 10 ** c.scale;
      return [
        {
          name: `fixed:${c.name}`,
          type: fixedTypeOf(c, fracFor(c.scale)),
          values: (t) => Float64Array.from(raw(t), (x) => x / scale),
        },
      ];
    }
    case 'boolean':
      return [
        { name: `bool:${c.name}`, type: bool, values: (t) => Array.from(raw(t), (x) => x === 1) },
      ];
    case 'categorical':
      return c.levels.map((_, l) => ({
        name: `onehot:${c.name}#${l}`,
        type: bool,
        values: (t: Table) => Array.from(raw(t), (x) => x === l),
      }));
  }
}

/**
 * Joins the two sides' tables inside MPC; every party calls it with the
 * study and its own table (undefined at a party without data).
 * @throws {JoinKeyError} at a side whose key repeats (naming the party and rows).
 */
export async function joinedTable(
  s: Session,
  study: Study,
  own: Table | undefined,
): Promise<SecretTable> {
  const join = study.join as JoinSpec;
  const counts = await s
    .concat(s.parties.map((p) => s.input(p, int(32), p === s.me ? [own?.rows ?? 0] : 1)))
    .reveal();
  const rowCounts = new Map(s.parties.map((p, i) => [p, Number(counts[i]!)]));
  const col = (name: string) => study.schema.columns.find((c) => c.name === name)!;
  const sideOf = (spec: JoinSpec['left']) => {
    const parts = spec.columns.flatMap((n) => partsOf(col(n)));
    const side: JoinSide = {
      party: spec.party,
      rows: rowCounts.get(spec.party)!,
      columns: parts.map((p) => ({ name: p.name, type: p.type })),
    };
    let data: JoinData | undefined;
    if (s.me === spec.party && own) {
      const columns: Record<string, ArrayLike<number | boolean>> = {};
      for (const p of parts) columns[p.name] = p.values(own);
      data = { keys: Array.from(own.columns.get(join.key)!.values), columns };
    }
    return { side, data };
  };
  const L = sideOf(join.left);
  const R = sideOf(join.right);
  // Only aggregates leave a study: no row is opened, so no shuffle is needed.
  const t = privateJoin(
    s,
    L.side,
    R.side,
    { ...(L.data ? { left: L.data } : {}), ...(R.data ? { right: R.data } : {}) },
    { how: 'inner', shuffle: false },
  );
  const columns = new Map<string, unknown>();
  for (const name of [...join.left.columns, ...join.right.columns]) {
    const c = col(name);
    if (c.type === 'categorical')
      columns.set(
        `onehot:${name}`,
        c.levels.map((_, l) => t.columns.get(`onehot:${name}#${l}`) as SecretBool),
      );
    else columns.set(partsOf(c)[0]!.name, t.columns.get(partsOf(c)[0]!.name));
  }
  return SecretTable.joined(s, study.schema, rowCounts, columns, t.weight);
}
