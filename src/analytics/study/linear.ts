/**
 * A linear regression's (or a covariance's or correlation's) local aggregate:
 * each owner's exact cross sums of
 * the design's columns (stats/crosssums.ts), so no record is input. The
 * design is the per-record path's (statistics.ts `design`): a numeric
 * predictor as its encoding, a boolean as 0/1, a categorical one as 0/1
 * dummies of every level but the first; the outcome last. The same sums
 * come from the owner's loaded rows or from the few distinct rows (with
 * their counts) that its SQL engine returns for the analysis's columns
 * (pushdown.ts, a GROUP BY like the logistic cells'), and are computed when
 * the study runs, once every party's row count, which decides the
 * candidates, is known. Browser-safe.
 */
import type { Schema } from '../data/schema.js';
import type { Table } from '../data/table.js';
import {
  crossLayout,
  crossSumsFit,
  localCrossSums,
  type CrossColumn,
  type CrossLayout,
} from '../stats/crosssums.js';
import { toLimbs } from '../stats/pooled.js';
import { rowCountsKey } from './grouped.js';
import { encoding, fixedOfUnits } from './moments.js';
import { referenceMask } from './reference.js';
import type { PairAnalysis, RegressionAnalysis } from './spec.js';

/**
 * Whether an aggregate key is one of these cross sums, whose layout depends on
 * every party's row count: data owners who are not parties (contributed.ts)
 * do not contribute them, and their nodes compute on the records instead.
 */
export const isCrossSumsKey = (key: string): boolean =>
  key.startsWith('lm:') || key.startsWith('cross:');

/** One column of the design: where its values come from and how they are encoded. */
type DesignColumn =
  | { readonly kind: 'numeric'; readonly name: string; readonly scale: number | undefined }
  | { readonly kind: 'level'; readonly name: string; readonly level: number };

/** A linear regression's pooled design, from the schema alone. */
export interface LinearSums {
  /** Key of the aggregate the study inputs. */
  readonly key: string;
  readonly columns: readonly DesignColumn[];
  /** Encodings, features then the outcome, as the per-record path inputs them. */
  readonly shapes: readonly CrossColumn[];
  /**
   * Per categorical or boolean predictor, the design columns of its levels
   * but the first (whose count is n less theirs): what the k-anonymity
   * support of the release needs.
   */
  readonly levelGroups: readonly (readonly number[])[];
}

/**
 * The pooled design of a linear regression, or undefined where its records
 * are needed (an outcome that is not numeric, or sums too wide for the limbs).
 */
export function linearSums(
  schema: Schema,
  a: RegressionAnalysis,
  rows: number,
): LinearSums | undefined {
  if (a.type !== 'linear-regression') return undefined;
  const col = (name: string) => schema.columns.find((c) => c.name === name)!;
  const columns: DesignColumn[] = [];
  const shapes: CrossColumn[] = [];
  const levelGroups: number[][] = [];
  const numeric = (name: string): boolean => {
    const c = col(name);
    const e = encoding(c);
    if (!e) return false;
    columns.push({ kind: 'numeric', name, scale: c.type === 'decimal' ? c.scale : undefined });
    shapes.push(e);
    return true;
  };
  for (const name of a.predictors) {
    const c = col(name);
    if (c.type === 'categorical' || c.type === 'boolean') {
      const levels = c.type === 'categorical' ? c.levels.length : 2;
      const group: number[] = [];
      for (let level = 1; level < levels; level++) {
        group.push(columns.length);
        columns.push({ kind: 'level', name, level });
        shapes.push({ bound: 2, frac: 0 });
      }
      levelGroups.push(group);
    } else if (!numeric(name)) return undefined;
  }
  if (col(a.outcome).type === 'categorical' || !numeric(a.outcome)) return undefined;
  if (!crossSumsFit(shapes, rows)) return undefined;
  return { key: rowCountsKey(schema, a)!, columns, shapes, levelGroups };
}

/**
 * The pooled columns of a covariance or correlation (x, then y), or
 * undefined where the records are needed (sums too wide for the limbs).
 */
export function pairSums(schema: Schema, a: PairAnalysis, rows: number): LinearSums | undefined {
  const columns: DesignColumn[] = [];
  const shapes: CrossColumn[] = [];
  for (const name of [a.x, a.y]) {
    const c = schema.columns.find((x) => x.name === name)!;
    const e = encoding(c);
    if (!e) return undefined;
    columns.push({ kind: 'numeric', name, scale: c.type === 'decimal' ? c.scale : undefined });
    shapes.push(e);
  }
  if (!crossSumsFit(shapes, rows)) return undefined;
  return { key: rowCountsKey(schema, a)!, columns, shapes, levelGroups: [] };
}

/** The sums' layout over `rows` rows in all. */
export const linearLayout = (m: LinearSums, rows: number): CrossLayout =>
  crossLayout(m.shapes, rows);

/**
 * An owner's limbs for the study's aggregate, from its loaded rows or from
 * its engine's distinct rows with their counts (`own.weights`).
 */
export function localLinearLimbs(
  own: Table,
  a: RegressionAnalysis | PairAnalysis,
  m: LinearSums,
  layout: CrossLayout,
): Float64Array {
  const use = referenceMask(own, a);
  const frac = (j: number) => m.shapes[j]!.frac;
  const values = m.columns.map((d, j): ArrayLike<number | bigint> => {
    const v = own.columns.get(d.name)!.values;
    if (d.kind === 'level')
      return Float64Array.from({ length: own.rows }, (_, i) => (v[i] === d.level ? 1 : 0));
    if (d.scale === undefined) return v;
    // A decimal's units as its fixed-point encoding, exactly (BigInt).
    const out = new BigInt64Array(own.rows);
    for (let i = 0; i < own.rows; i++)
      if (use[i]) out[i] = fixedOfUnits(BigInt(v[i]!), frac(j), d.scale);
    return out;
  });
  return toLimbs(localCrossSums(layout, values, use, own.weights));
}
