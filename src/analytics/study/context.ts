/**
 * What an analysis implementation gets: the session, the joint secret table,
 * the study (for k and the schema), and helpers that every analysis needs:
 * the record mask of its `where` conditions and missing values, and group
 * indicators of a categorical or boolean column.
 */
import type { Session } from '../../api/session.js';
import type { SecretBool } from '../../api/secret.js';
import type { SecretTable } from '../data/encode.js';
import type { Analysis, Condition, Study } from './spec.js';
import type { AnalysisOutcome } from './result.js';

/** An analysis's released rows and curves (the runner adds ids, timing and costs). */
export type AnalysisBody = Pick<AnalysisOutcome, 'rows' | 'notes'> &
  Partial<Pick<AnalysisOutcome, 'curves' | 'dp'>>;

export type AnalysisImpl = (ctx: AnalysisContext, a: Analysis) => Promise<AnalysisBody>;

/** Groups of a by-column: a label and a secret indicator per level. */
export interface Groups {
  readonly column: string;
  readonly labels: readonly string[];
  readonly indicators: readonly SecretBool[];
}

export class AnalysisContext {
  private readonly masks = new Map<string, SecretBool | undefined>();

  constructor(
    readonly s: Session,
    readonly table: SecretTable,
    readonly study: Study,
    /** Progress lines for long steps (never values). */
    readonly progress: (message: string) => void = () => undefined,
  ) {}

  /** k: the minimum cell size. */
  get k(): number {
    return this.study.privacy.minCellSize;
  }

  /**
   * The records an analysis uses: those meeting every `where` condition and
   * with no missing value in `columns`. Undefined when that is every record
   * (so callers skip a multiplication).
   */
  mask(where: readonly Condition[], columns: readonly string[]): SecretBool | undefined {
    const needed = [...new Set(columns)].filter((c) => this.table.mayBeMissing(c)).sort();
    const key = JSON.stringify([where.map((w) => w.text), needed]);
    if (!this.masks.has(key)) {
      const parts: SecretBool[] = [
        ...where.map((w) => this.condition(w)),
        ...needed.map((c) => this.table.present(c)),
      ];
      // A joined table's rows count only where its weight (the match flag) is 1.
      let m: SecretBool | undefined = this.table.weight;
      for (const p of parts) m = m ? m.and(p) : p;
      this.masks.set(key, m);
    }
    return this.masks.get(key);
  }

  /** One condition as a secret boolean per record. */
  condition(w: Condition): SecretBool {
    const t = this.table;
    const c = t.column(w.column);
    // A missing value meets no condition.
    const present = (x: SecretBool) => (t.mayBeMissing(w.column) ? x.and(t.present(w.column)) : x);
    if (c.type === 'categorical') {
      const hot = t.oneHot(w.column);
      // Levels are disjoint, so OR is a sum (no communication).
      const any = (levels: readonly number[]) => {
        const ints = levels.map((l) => hot[l]!.toInt(2));
        let acc = ints[0]!;
        for (const x of ints.slice(1)) acc = acc.add(x);
        return acc.assumeBool();
      };
      if (w.op === 'eq') return hot[w.values[0]!]!;
      if (w.op === 'in') return any(w.values);
      // ne: another level, and present.
      return any(c.levels.map((_, l) => l).filter((l) => l !== w.values[0]));
    }
    if (c.type === 'boolean') {
      const b = t.bool(w.column);
      const v = w.values[0] === 1;
      const eq = (x: boolean) => (x ? b : present(b.not()));
      if (w.op === 'eq') return eq(v);
      if (w.op === 'ne') return eq(!v);
      if (w.op === 'in') return w.values.length === 2 ? t.present(w.column) : eq(w.values[0] === 1);
      throw new RangeError(`where: ${w.op} on a boolean column`);
    }
    // Numeric conditions: each owner computes [x op v] on its own rows and inputs
    // the bits (no comparison protocol; a missing value meets no condition).
    if (w.op !== 'in') return t.indicators(w.column, w.op, [w.values[0]!]);
    const n = t.rows;
    const eqs = t.indicators(w.column, 'eq', w.values).toInt(2);
    // The values are distinct, so the indicators are disjoint and OR is a sum.
    let acc = eqs.slice(0, n);
    for (let j = 1; j < w.values.length; j++) acc = acc.add(eqs.slice(j * n, (j + 1) * n));
    return acc.assumeBool();
  }

  /**
   * The group labels of a categorical or boolean column, from the schema
   * alone: for analyses on local aggregates, which need no per-record
   * indicator (and a pushed-down table has no records to input).
   */
  groupLabels(column: string): string[] {
    const c = this.table.column(column);
    if (c.type === 'categorical') return c.levels.map((l) => `${column} = ${l}`);
    if (c.type === 'boolean') return [`${column} = false`, `${column} = true`];
    throw new TypeError(`groups: column '${column}' is ${c.type}, not categorical or boolean`);
  }

  /** Level indicators of a categorical or boolean column (a missing value is in no group). */
  groups(column: string): Groups {
    const c = this.table.column(column);
    if (c.type === 'categorical')
      return { column, labels: this.groupLabels(column), indicators: this.table.oneHot(column) };
    if (c.type === 'boolean') {
      const b = this.table.bool(column);
      const f = this.table.mayBeMissing(column) ? b.not().and(this.table.present(column)) : b.not();
      return { column, labels: [`${column} = false`, `${column} = true`], indicators: [f, b] };
    }
    throw new TypeError(`groups: column '${column}' is ${c.type}, not categorical or boolean`);
  }

  /** Columns an analysis reads (for the missing-value mask). */
  static columnsOf(a: Analysis): string[] {
    switch (a.type) {
      case 'count':
        return a.by ? [a.by] : [];
      case 'crosstab':
      case 'chi-squared':
        return [a.rows, a.cols];
      case 'covariance':
      case 'correlation':
        return [a.x, a.y];
      case 'linear-regression':
      case 'logistic-regression':
        return [a.outcome, ...a.predictors];
      case 't-test':
        return [a.column, ...(a.by ? [a.by] : []), ...(a.paired ? [a.paired] : [])];
      case 'kaplan-meier':
      case 'log-rank':
        return [a.time, a.event, ...(a.by ? [a.by] : [])];
      case 'cox':
        return [a.time, a.event, ...a.predictors, ...(a.strata ? [a.strata] : [])];
      case 'quantiles':
      case 'histogram':
        return [a.column];
      default:
        return [a.column, ...(a.by ? [a.by] : [])];
    }
  }
}
