/**
 * Study analyses for one-way ANOVA and the Wilcoxon rank-sum
 * (Mann-Whitney) test, with their plaintext references; statistics.ts adds
 * them to its tables (`STATISTICS`, `STATISTICS_REFERENCE`).
 *
 * ANOVA runs on the secret columns (the statistics library's exact moments).
 * The rank-sum test runs on per-value counts: each owner counts its own
 * records per value of the column and group (its `where` and complete cases,
 * in the clear on its own table) and inputs the counts; MPC adds them and
 * computes W and the tie term exactly (src/analytics/stats/ranks.ts). No
 * record is compared with another in MPC and the counts are never opened.
 */
import { fDistSf, oneWayAnova } from '../stats/anova.js';
import {
  mannWhitneyFromCounts,
  mannWhitneyPValue,
  mannWhitneySorted,
  type MannWhitney,
} from '../stats/ranks.js';
import type { Table } from '../data/table.js';
import { releaseGuarded } from '../privacy/suppress.js';
import { AnalysisContext, type AnalysisBody, type AnalysisImpl } from './context.js';
import { referenceGroups, referenceMask, type ReferenceImpl } from './reference.js';
import type { ResultRow } from './result.js';
import { coxAnalysis, coxReference } from './cox.js';
import {
  MAX_RANK_VALUES,
  rankDomain,
  rankRange,
  type Analysis,
  type AnalysisType,
  type AnovaAnalysis,
  type RankSumAnalysis,
} from './spec.js';
import { eachOwner } from './wording.js';

/** The notes every analysis carries: records used, suppression, precision. */
export function methodNotes(ctx: AnalysisContext, a: Analysis, precision: string): string[] {
  const out: string[] = [];
  if (a.where.length > 0) out.push(`records where ${a.where.map((w) => w.text).join(' and ')}`);
  const missing = [...new Set(AnalysisContext.columnsOf(a))].filter((c) =>
    ctx.table.mayBeMissing(c),
  );
  if (missing.length > 0)
    out.push(`records with a missing ${missing.join(' or ')} are left out (complete cases)`);
  if (ctx.k > 0) out.push(`groups of fewer than ${ctx.k} records are suppressed`);
  out.push(`precision: ${precision}`);
  return out;
}

/** Bits of a count of records: at most the public row count. */
const countBits = (rows: number) => Math.ceil(Math.log2(rows + 1)) + 1;

async function anovaAnalysis(ctx: AnalysisContext, a: Analysis): Promise<AnalysisBody> {
  const v = a as AnovaAnalysis;
  const mask = ctx.mask(a.where, AnalysisContext.columnsOf(a));
  // Exact integer units (decimals in 10^-scale): F does not depend on the unit, so it is
  // computed on the very values R sees; the means are scaled back in the clear.
  const x = ctx.table.exact(v.column);
  const col = ctx.table.column(v.column);
  const unit = col.type === 'decimal' ? 10 ** -col.scale : 1;
  const g = ctx.groups(v.by);
  const r = oneWayAnova(x, g.indicators, mask ? { where: mask } : {});
  // The means and the test only when every level has at least k records.
  const support = r.n.min();
  const [rn, rm, rf, rd1, rd2] = await releaseGuarded(
    ctx.s,
    [
      { value: r.n, support: r.n },
      { value: r.mean, support },
      { value: r.F, support },
      { value: r.dfBetween, support },
      { value: r.dfWithin, support },
    ],
    ctx.k,
  );
  const F = rf!.values[0] ?? null;
  const d1 = rd1!.values[0] ?? null;
  const d2 = rd2!.values[0] ?? null;
  const suppressed = rf!.suppressed[0]!;
  const p =
    F !== null && d1 !== null && d2 !== null && d1 > 0 && d2 > 0 ? fDistSf(F, d1, d2) : null;
  const rows: ResultRow[] = [
    ...g.labels.map((group, i) => ({
      statistic: 'n',
      group,
      value: rn!.values[i] ?? null,
      suppressed: rn!.suppressed[i]!,
      precision: 'exact',
    })),
    ...g.labels.map((group, i) => ({
      statistic: 'mean',
      group,
      value: rm!.values[i] === null || rm!.values[i] === undefined ? null : rm!.values[i]! * unit,
      suppressed,
      precision: 'relative 2^-24 + 2^-20 (one division of exact sums)',
    })),
    { statistic: 'F', group: v.by, value: F, suppressed, precision: 'relative 2^-19 + 2^-18' },
    { statistic: 'df between', group: v.by, value: d1, suppressed, precision: 'exact' },
    { statistic: 'df within', group: v.by, value: d2, suppressed, precision: 'exact' },
    {
      statistic: 'p-value',
      group: v.by,
      value: p,
      suppressed,
      precision: 'F distribution, computed in the clear from the revealed F and df',
    },
  ];
  return {
    rows,
    notes: [
      ...methodNotes(
        ctx,
        a,
        "one-way ANOVA F test as R's oneway.test(var.equal = TRUE) and summary(aov)",
      ),
      `levels of ${v.by} with no records are left out of the degrees of freedom`,
      `the means, F, df and p-value are released only when every level of ${v.by} has at least k records`,
    ],
  };
}

/**
 * Per-value counts of a rank-sum analysis: each owner counts its own records
 * of the two compared levels per value (2 V numbers, level 1 first).
 */
function rankCounts(ctx: AnalysisContext, a: RankSumAnalysis, domain: readonly number[]) {
  const V = domain.length;
  const lo = domain[0]!;
  const labels = a.levels.map((l) => `${a.by} = ${l}`);
  const c = ctx.table.aggregate(`ranks:${a.id}`, 2 * V, 34, (own) => {
    const mask = referenceMask(own, a);
    const g = referenceGroups(own, a.by);
    const which = g.labels.map((l) => labels.indexOf(l));
    const x = own.columns.get(a.column)!.values;
    const out = new Float64Array(2 * V);
    for (let i = 0; i < own.rows; i++) {
      const gi = g.of(i);
      const k = gi < 0 ? -1 : which[gi]!;
      if (!mask[i] || k < 0) continue;
      const j = x[i]! - lo;
      // The schema's range check at loading keeps every value inside the domain.
      if (j >= 0 && j < V) out[k * V + j]!++;
    }
    return out;
  });
  const bits = countBits(ctx.table.rows);
  // Counts of records: at most the public row count, a tighter bound than the sum's.
  return {
    c1: c.slice(0, V).assumeBound(bits),
    c2: c.slice(V, 2 * V).assumeBound(bits),
  };
}

/** The test by sorting the records (columns with too many values to count per value). */
function rankSumSorted(ctx: AnalysisContext, m: RankSumAnalysis) {
  const mask = ctx.mask(m.where, AnalysisContext.columnsOf(m));
  const g = ctx.groups(m.by);
  const level = (l: string) => g.indicators[g.labels.indexOf(`${m.by} = ${l}`)]!;
  // Exact integer units: the order, and so the ranks, are those of the values.
  return mannWhitneySorted(
    ctx.table.exact(m.column),
    level(m.levels[0]),
    level(m.levels[1]),
    mask ? { where: mask } : {},
  );
}

async function rankSumAnalysis(ctx: AnalysisContext, a: Analysis): Promise<AnalysisBody> {
  const m = a as RankSumAnalysis;
  const [lo, hi] = rankRange(ctx.table.column(m.column));
  const counted = hi - lo + 1 <= MAX_RANK_VALUES;
  let r: MannWhitney;
  let how: string;
  if (counted) {
    const domain = rankDomain(ctx.table.column(m.column));
    ctx.progress(`  rank-sum test on counts of ${domain.length} values of ${m.column}`);
    const { c1, c2 } = rankCounts(ctx, m, domain);
    r = mannWhitneyFromCounts(c1, c2);
    how = `${eachOwner(ctx.study)} counts its own records per value of ${m.column} (${domain.length} values) and group and inputs the counts; W and the tie correction are computed on their secret sums`;
  } else {
    ctx.progress(`  rank-sum test by sorting ${ctx.table.rows} records`);
    r = rankSumSorted(ctx, m);
    how = `${m.column} takes more than ${MAX_RANK_VALUES} values: the records are sorted obliviously inside MPC (two sorts), and W and the tie correction computed on the secret order`;
  }
  const counts = ctx.s.concat([r.n1.reshape([1]), r.n2.reshape([1])]);
  const support = counts.min();
  const [rn, rw, rt] = await releaseGuarded(
    ctx.s,
    [
      { value: counts, support: counts },
      { value: r.w2, support },
      { value: r.ties, support },
    ],
    ctx.k,
  );
  const suppressed = rw!.suppressed[0]!;
  const w2 = rw!.values[0] ?? null;
  const ties = rt!.values[0] ?? null;
  const n1 = rn!.values[0] ?? null;
  const n2 = rn!.values[1] ?? null;
  const test =
    w2 !== null && ties !== null && n1 !== null && n2 !== null
      ? mannWhitneyPValue(w2 / 2, n1, n2, ties)
      : undefined;
  const [l1, l2] = m.levels.map((l) => `${m.by} = ${l}`) as [string, string];
  const both = `${l1} vs ${l2}`;
  const rows: ResultRow[] = [
    ...[l1, l2].map((group, i) => ({
      statistic: 'n',
      group,
      value: rn!.values[i] ?? null,
      suppressed: rn!.suppressed[i]!,
      precision: 'exact',
    })),
    { statistic: 'W', group: both, value: test?.W ?? null, suppressed, precision: 'exact' },
    {
      statistic: 'p-value',
      group: both,
      value: test && Number.isFinite(test.pValue) ? test.pValue : null,
      suppressed,
      precision: test?.exact
        ? 'exact distribution of W (no ties, both groups below 50), computed in the clear'
        : 'normal approximation with continuity and tie correction, computed in the clear',
    },
  ];
  return {
    rows,
    notes: [
      ...methodNotes(
        ctx,
        a,
        "Wilcoxon rank-sum test as R's wilcox.test (two-sided, correct = TRUE): W exact (midranks for ties)",
      ),
      how,
      'W and the p-value are released only when both groups have at least k records',
    ],
  };
}

/** The analyses of this module and cox.ts, for statistics.ts's table. */
export const METHODS: Partial<Record<AnalysisType, AnalysisImpl>> = {
  anova: anovaAnalysis,
  'mann-whitney': rankSumAnalysis,
  cox: (ctx, a) => coxAnalysis(ctx, a),
};

// ----- plaintext references (pooled data; demo and tests only) -----

/** A column's values in its units (decimals as values) for the selected records of each group. */
function valuesByGroup(t: Table, a: Analysis, column: string, by: string) {
  const mask = referenceMask(t, a);
  const g = referenceGroups(t, by);
  const c = t.schema.columns.find((x) => x.name === column)!;
  const unit = c.type === 'decimal' ? 10 ** -c.scale : 1;
  const x = t.columns.get(column)!.values;
  const out = g.labels.map(() => [] as number[]);
  for (let i = 0; i < t.rows; i++) if (mask[i] && g.of(i) >= 0) out[g.of(i)]!.push(x[i]! * unit);
  return { labels: g.labels, values: out };
}

const anovaReference: ReferenceImpl = (t, a) => {
  const v = a as AnovaAnalysis;
  const { labels, values } = valuesByGroup(t, a, v.column, v.by);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((p, q) => p + q, 0) / xs.length : 0);
  const used = values.filter((xs) => xs.length > 0);
  const all = used.flat();
  const m = mean(all);
  const ssb = used.reduce((s, xs) => s + xs.length * (mean(xs) - m) ** 2, 0);
  const ssw = used.reduce((s, xs) => s + xs.reduce((p, y) => p + (y - mean(xs)) ** 2, 0), 0);
  const d1 = used.length - 1;
  const d2 = all.length - used.length;
  const F = ssb / d1 / (ssw / d2);
  const row = (statistic: string, group: string, value: number): ResultRow => ({
    statistic,
    group,
    value,
    suppressed: false,
  });
  return [
    ...labels.map((l, i) => row('n', l, values[i]!.length)),
    ...labels.map((l, i) => row('mean', l, mean(values[i]!))),
    row('F', v.by, F),
    row('df between', v.by, d1),
    row('df within', v.by, d2),
    row('p-value', v.by, fDistSf(F, d1, d2)),
  ];
};

/** W by midranks (the definition) and the tie term, on the pooled records. */
export function plainRankSum(x: readonly number[], y: readonly number[]) {
  const all = [...x.map((v) => ({ v, g: 1 })), ...y.map((v) => ({ v, g: 2 }))].sort(
    (p, q) => p.v - q.v,
  );
  let r1 = 0;
  let ties = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j]!.v === all[i]!.v) j++;
    const rank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k]!.g === 1) r1 += rank;
    ties += (j - i) ** 3 - (j - i);
    i = j;
  }
  return { W: r1 - (x.length * (x.length + 1)) / 2, ties };
}

const rankSumReference: ReferenceImpl = (t, a) => {
  const m = a as RankSumAnalysis;
  const { labels, values } = valuesByGroup(t, a, m.column, m.by);
  const [l1, l2] = m.levels.map((l) => `${m.by} = ${l}`) as [string, string];
  const x = values[labels.indexOf(l1)]!;
  const y = values[labels.indexOf(l2)]!;
  const { W, ties } = plainRankSum(x, y);
  const test = mannWhitneyPValue(W, x.length, y.length, ties);
  const both = `${l1} vs ${l2}`;
  return [
    { statistic: 'n', group: l1, value: x.length, suppressed: false },
    { statistic: 'n', group: l2, value: y.length, suppressed: false },
    { statistic: 'W', group: both, value: W, suppressed: false },
    { statistic: 'p-value', group: both, value: test.pValue, suppressed: false },
  ];
};

/** Plaintext references of this module's analyses on pooled data (demo and tests only). */
export const METHODS_REFERENCE: Partial<Record<AnalysisType, ReferenceImpl>> = {
  anova: anovaReference,
  'mann-whitney': rankSumReference,
  cox: (t, a, study) => coxReference(t, a, study),
};
