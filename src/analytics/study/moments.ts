/**
 * A t-test's local aggregate: per group (the two levels compared, or all
 * records), each owner's exact count and sums of the column's encodings
 * (stats/pooled.ts says which), so no record is input. The same numbers
 * come from the owner's loaded rows (here, in BigInt) or from its SQL
 * engine (pushdown.ts), which sums x >> k and (x >> k)^2 for every shift k
 * of the column's encoding, since which shifts the variance needs depends
 * on every party's row count, known only once the study runs.
 *
 * Layout of the engine's sums per group: n, then S_k and Q_k for
 * k = 0 .. bound - 1, each as `toLimbs` limbs, under `momentSumsKey`.
 * Browser-safe.
 */
import { fixedTypeOf, fracFor, intTypeOf } from '../data/encode.js';
import type { Column, Schema } from '../data/schema.js';
import type { Table } from '../data/table.js';
import { LIMBS, groupMomentSums, toLimbs, type MomentLayout } from '../stats/pooled.js';
import { referenceGroups, referenceMask } from './reference.js';
import type { Analysis, TTestAnalysis } from './spec.js';

/** How a t-test's column is encoded and grouped, from the schema alone. */
export interface TTestMoments {
  /** Key of the aggregate the study inputs. */
  readonly key: string;
  /** Key of the engine's sums for every shift (pushdown). */
  readonly sumsKey: string;
  readonly column: string;
  readonly paired: string | undefined;
  /** Grouping column and the level indices of its two compared groups, or none. */
  readonly by: string | undefined;
  readonly levelIndex: readonly number[];
  /** Groups: 2 for Welch and Student, 1 for one-sample and paired. */
  readonly G: number;
  /** Fractional bits and bound of the tested value (x, or x - y), as statistics.ts encodes it. */
  readonly frac: number;
  readonly bound: number;
}

/** The fractional bits and bound of a numeric column as statistics.ts's `numeric` inputs it. */
export function encoding(c: Column): { frac: number; bound: number } | undefined {
  if (c.type === 'decimal') {
    const frac = fracFor(c.scale);
    return { frac, bound: fixedTypeOf(c, frac).bits };
  }
  if (c.type === 'categorical') return undefined;
  if (c.type === 'boolean') return { frac: 0, bound: 2 };
  return { frac: 0, bound: intTypeOf(c).bits };
}

/**
 * A t-test's aggregate, or undefined for another analysis (or a paired test
 * of columns with different encodings, which stays per record).
 */
export function tTestMoments(schema: Schema, a: Analysis): TTestMoments | undefined {
  if (a.type !== 't-test') return undefined;
  const col = (name: string) => schema.columns.find((c) => c.name === name)!;
  const x = encoding(col(a.column));
  if (!x) return undefined;
  const frac = x.frac;
  let bound = x.bound;
  if (a.paired !== undefined) {
    const y = encoding(col(a.paired));
    if (!y || y.frac !== frac) return undefined;
    // x - y at the same scale: one bit more (Fx.sub).
    bound = Math.max(bound, y.bound) + 1;
  }
  let levelIndex: number[] = [];
  if (a.by !== undefined) {
    const g = col(a.by);
    const labels = g.type === 'categorical' ? g.levels : ['false', 'true'];
    levelIndex = a.levels!.map((l) => labels.indexOf(l));
  }
  return {
    key: `moments:${a.id}`,
    sumsKey: `moment-sums:${a.id}`,
    column: a.column,
    paired: a.paired,
    by: a.by,
    levelIndex,
    G: a.by === undefined ? 1 : 2,
    frac,
    bound,
  };
}

/** A decimal's units as its fixed-point encoding: round(u 2^frac / 10^scale), exactly. */
export function fixedOfUnits(u: bigint, frac: number, scale: number): bigint {
  const den = 10n ** BigInt(scale);
  const num = 2n * (u << BigInt(frac)) + den;
  const d2 = 2n * den;
  // Floor division (no tie can occur: 2^frac / 10^scale has a factor 5 below).
  return num >= 0n ? num / d2 : -((-num + d2 - 1n) / d2);
}

/** The encodings of one column of a loaded table (BigInt), as `numeric` inputs them. */
function encoded(own: Table, schema: Schema, name: string, frac: number): (i: number) => bigint {
  const c = schema.columns.find((x) => x.name === name)!;
  const v = own.columns.get(name)!.values;
  if (c.type === 'decimal') return (i) => fixedOfUnits(BigInt(v[i]!), frac, c.scale);
  return (i) => BigInt(v[i]!);
}

/** Per group: the tested values of the records it uses. */
function groupValues(own: Table, schema: Schema, a: TTestAnalysis, m: TTestMoments): bigint[][] {
  const mask = referenceMask(own, a);
  const x = encoded(own, schema, m.column, m.frac);
  const y = m.paired === undefined ? undefined : encoded(own, schema, m.paired, m.frac);
  const g = referenceGroups(own, m.by);
  const out: bigint[][] = Array.from({ length: m.G }, () => []);
  for (let i = 0; i < own.rows; i++) {
    if (!mask[i]) continue;
    const gi = m.by === undefined ? 0 : m.levelIndex.indexOf(g.of(i));
    if (gi < 0) continue;
    out[gi]!.push(y ? x(i) - y(i) : x(i));
  }
  return out;
}

/** The engine's sums (every shift) reduced to what `layout` asks for. */
function fromEngineSums(sums: Float64Array, m: TTestMoments, layout: MomentLayout): bigint[] {
  const all = fromLimbs(sums);
  const per = 1 + 2 * m.bound;
  if (all.length !== m.G * per)
    throw new RangeError(`${m.key}: the engine returned ${all.length} sums, expected ${m.G * per}`);
  const at = (g: number, k: number) => [all[g * per + 1 + 2 * k]!, all[g * per + 2 + 2 * k]!];
  return Array.from({ length: m.G }, (_, g) => [
    all[g * per]!,
    at(g, 0)[0]!,
    ...at(g, layout.shift),
    ...layout.levels.flatMap((l) => at(g, layout.frac - l.frac)),
  ]).flat();
}

/** Limbs back to exact sums. */
export function fromLimbs(limbs: Float64Array): bigint[] {
  const L = 1n << 42n;
  return Array.from({ length: limbs.length / LIMBS }, (_, i) => {
    const [l0, l1, l2] = [0, 1, 2].map((j) => BigInt(limbs[i * LIMBS + j]!));
    return l0! + L * (l1! + L * l2!);
  });
}

/**
 * An owner's limbs for the study's aggregate: from its engine's sums when it
 * pushed the study down, else from its loaded rows.
 */
export function localTTestLimbs(
  own: Table,
  schema: Schema,
  a: TTestAnalysis,
  m: TTestMoments,
  layout: MomentLayout,
): Float64Array {
  const pre = own.aggregates?.get(m.sumsKey);
  if (pre) return toLimbs(fromEngineSums(pre, m, layout));
  return toLimbs(groupValues(own, schema, a, m).flatMap((xs) => groupMomentSums(xs, layout)));
}
