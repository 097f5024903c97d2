/**
 * A study's `join` clause: the parties' tables are columns of the same
 * people (vertical partitioning: one bank's features, another bank's loan
 * outcomes) and are joined on a key column inside MPC before the analyses
 * run, with nobody learning who matched (src/join/join.ts; the run in
 * joined.ts).
 *
 *   join:
 *     key: customer_id            # an integer column of the schema, in both tables
 *     type: inner                 # the only type in studies
 *     left:  { party: bank-a, columns: [income, debt_ratio, years] }
 *     right: { party: bank-b, columns: [defaulted] }
 *
 * Each side's data file has the key and its own columns only; every other
 * schema column belongs to exactly one side. What the joined rows allow:
 * linear and logistic regressions, correlations and covariances, with `where`
 * conditions on categorical and boolean columns (the other analyses and conditions use each owner's
 * rows locally, which a join's secret rows do not allow); a regression's
 * released `n` is the number of joined rows it used.
 */
import type { Schema } from '../data/schema.js';
import type { FieldReader, Json } from '../data/reader.js';
import { AnalysisContext } from './context.js';
import type { Analysis, StudyParty } from './spec.js';

export interface JoinSide {
  readonly party: string;
  readonly columns: readonly string[];
}

export interface JoinSpec {
  /** The key column (integer, in both sides' files). */
  readonly key: string;
  readonly type: 'inner';
  readonly left: JoinSide;
  readonly right: JoinSide;
}

/** Analysis types that run on joined rows. */
export const JOINABLE_ANALYSES = [
  'logistic-regression',
  'linear-regression',
  'correlation',
  'covariance',
] as const;

/** Reads and checks the `join` clause against the parties, the schema and the analyses. */
export function readJoin(
  r: FieldReader,
  raw: Json,
  parties: readonly StudyParty[],
  schema: Schema | undefined,
  analyses: readonly Analysis[],
): JoinSpec | undefined {
  const o = r.object(raw, 'join', ['key', 'type', 'left', 'right']);
  if (!o) return undefined;
  // The checks across fields run only on fields that are fine in themselves.
  const before = r.issues.length;
  const key = r.string(r.required(o, 'key', 'join'), 'join.key');
  const type = o.type === undefined ? 'inner' : r.oneOf(o.type, 'join.type', ['inner'] as const);
  const names = schema?.columns.map((c) => c.name) ?? [];
  if (key !== undefined && schema) {
    const c = schema.columns.find((x) => x.name === key);
    if (!c)
      r.fail(
        'join.key',
        () => `unknown column '${key}' ${r.hint(key, names, 'columns', 'join.key')}`,
      );
    else if (c.type !== 'integer' || c.min < 0)
      r.fail(
        'join.key',
        `the key column '${key}' must be an integer column with min >= 0 (a customer number), not ${c.type === 'integer' ? `min ${c.min}` : c.type}`,
      );
    else if (c.missing !== 'refuse')
      r.fail('join.key', `the key column '${key}' must not allow missing values`);
  }
  const side = (which: 'left' | 'right'): JoinSide | undefined => {
    const path = `join.${which}`;
    const s = r.object(r.required(o, which, 'join'), path, ['party', 'columns']);
    if (!s) return undefined;
    const party = r.string(r.required(s, 'party', path), `${path}.party`);
    const p = parties.find((x) => x.id === party);
    if (party !== undefined && !p)
      r.fail(
        `${path}.party`,
        () =>
          `unknown party '${party}' ${r.hint(
            party,
            parties.map((x) => x.id),
            'parties',
            `${path}.party`,
          )}`,
      );
    else if (p && p.data === undefined)
      r.fail(`${path}.party`, `party '${party}' brings no data (set its data file)`);
    const list = r.list(r.required(s, 'columns', path), `${path}.columns`, 1, 256);
    const columns: string[] = [];
    list?.forEach((v, i) => {
      const at = `${path}.columns[${i}]`;
      const name = r.string(v, at);
      if (name === undefined || !schema) return;
      const c = schema.columns.find((x) => x.name === name);
      if (!c) r.fail(at, () => `unknown column '${name}' ${r.hint(name, names, 'columns', at)}`);
      else if (name === key)
        r.fail(at, `'${name}' is the join key; list only the side's other columns`);
      else if (c.missing !== 'refuse')
        r.fail(at, `column '${name}' allows missing values, which a joined study does not support`);
      else columns.push(name);
    });
    return party !== undefined ? { party, columns } : undefined;
  };
  const left = side('left');
  const right = side('right');
  if (!left || !right || key === undefined || type === undefined || !schema) return undefined;
  if (r.issues.length > before) return undefined;
  if (left.party === right.party)
    r.fail(
      'join.right.party',
      `the right table's party must differ from the left's ('${left.party}')`,
    );
  right.columns.forEach((c, i) => {
    if (left.columns.includes(c))
      r.fail(`join.right.columns[${i}]`, `column '${c}' is already on the left side`);
  });
  const placed = new Set([key, ...left.columns, ...right.columns]);
  const unplaced = names.filter((n) => !placed.has(n));
  if (unplaced.length > 0)
    r.fail(
      'join',
      `the schema's column${unplaced.length > 1 ? 's' : ''} ${unplaced.map((n) => `'${n}'`).join(', ')} belong${unplaced.length > 1 ? '' : 's'} to neither side`,
    );
  const others = parties.filter(
    (p) => p.data !== undefined && p.id !== left.party && p.id !== right.party,
  );
  if (others.length > 0)
    r.fail(
      'join',
      `in a joined study only the two sides bring data; ${others.map((p) => `'${p.id}'`).join(', ')} also do${others.length > 1 ? '' : 'es'}`,
    );
  const columnTypes = new Map(schema.columns.map((c) => [c.name, c.type]));
  analyses.forEach((a, i) => {
    if (!(JOINABLE_ANALYSES as readonly string[]).includes(a.type)) {
      r.fail(
        `analyses[${i}].type`,
        `a joined study runs ${JOINABLE_ANALYSES.join(', ')} only, not ${a.type}`,
      );
      return;
    }
    if (AnalysisContext.columnsOf(a).includes(key))
      r.fail(`analyses[${i}]`, `the join key '${key}' is an identifier, not a variable to analyse`);
    a.where.forEach((w, j) => {
      const t = columnTypes.get(w.column);
      if (t !== 'categorical' && t !== 'boolean')
        r.fail(
          `analyses[${i}].where[${j}]`,
          `in a joined study a condition must be on a categorical or boolean column ('${w.column}' is ${t})`,
        );
    });
  });
  return { key, type, left, right };
}

/** The schema of `party`'s own data file in a joined study: the key and its side's columns, in schema order. */
export function sideSchema(schema: Schema, join: JoinSpec, party: string): Schema {
  const side =
    join.left.party === party ? join.left : join.right.party === party ? join.right : undefined;
  if (!side) return schema;
  const keep = new Set([join.key, ...side.columns]);
  return { ...schema, columns: schema.columns.filter((c) => keep.has(c.name)) };
}
