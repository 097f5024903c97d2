/**
 * The analyses computed by the secure statistics library (src/analytics/stats):
 * adapters from a study's analysis to the library's functions, with the
 * minimum cell size applied to every released value (support: the records
 * of the group or of the whole analysis). Analyses of counts and sums are in
 * counting.ts; a type with no entry here is refused before a run.
 *
 * Each adapter also has a plaintext reference (`STATISTICS_REFERENCE`) that
 * computes the same rows on pooled data, for the demo and the tests.
 */
import { SecretBool, SecretFixed, type SecretInt } from '../../api/secret.js';
import * as stats from '../stats/describe.js';
import * as groups from '../stats/groups.js';
import * as hyp from '../stats/hypothesis.js';
import * as reg from '../stats/regression.js';
import { chiSquaredSf, normalCdf, studentTTwoSided } from '../distributions.js';
import {
  correlationTest,
  kaplanMeierBand,
  linearModelTest,
  tInterval,
} from '../stats/inference.js';
import type { Column as SchemaColumn } from '../data/schema.js';
import type { Table } from '../data/table.js';
import { releaseGuarded, type Guarded } from '../privacy/suppress.js';
import { AnalysisContext, type AnalysisBody, type AnalysisImpl } from './context.js';
import { cellCounts } from './counting.js';
import { referenceGroups, referenceMask, type ReferenceImpl } from './reference.js';
import type { ResultRow, SurvivalCurve } from './result.js';
import type {
  Analysis,
  AnalysisType,
  ColumnAnalysis,
  PairAnalysis,
  QuantilesAnalysis,
  RegressionAnalysis,
  Study,
  SurvivalAnalysis,
  TableAnalysis,
  TTestAnalysis,
} from './spec.js';
import { defaultTimes, everyTime } from './spec.js';
import {
  groupedLogistic,
  kaplanMeierFromCounts,
  localLogisticStart,
  localSurvivalCounts,
  logisticCells,
  logRankFromCounts,
  rowCountsKey,
} from './grouped.js';
import { Fx } from '../stats/fx.js';
import { sdErrorBound, variancePlan, varianceErrorBound } from '../stats/variance.js';
import { eachOwner, groupsSuppressed } from './wording.js';
import { DEFAULT_FRAC } from '../stats/common.js';
import { LIMB_BITS, LIMBS, momentLayout, momentsFit, pooledMoments } from '../stats/pooled.js';
import { localTTestLimbs, tTestMoments } from './moments.js';
import { linearLayout, linearSums, localLinearLimbs, pairSums } from './linear.js';
import { pooledCrossMatrix } from '../stats/crosssums.js';
import { METHODS, METHODS_REFERENCE } from './methods.js';

/** A numeric column for the library: decimals as fixed point, the rest as exact integers. */
function numeric(ctx: AnalysisContext, name: string): SecretInt | SecretFixed {
  const c = ctx.table.column(name);
  return c.type === 'decimal' ? ctx.table.fixed(name) : ctx.table.exact(name);
}

/** The row filter for one group: mask and group indicator (either may be absent). */
function within(mask: SecretBool | undefined, g: SecretBool | undefined): SecretBool | undefined {
  if (!mask) return g;
  if (!g) return mask;
  return mask.and(g);
}

function notes(ctx: AnalysisContext, a: Analysis, precision: string): string[] {
  const out: string[] = [];
  if (a.where.length > 0) out.push(`records where ${a.where.map((w) => w.text).join(' and ')}`);
  const missing = AnalysisContext.columnsOf(a).filter((c) => ctx.table.mayBeMissing(c));
  if (missing.length > 0)
    out.push(`records with a missing ${missing.join(' or ')} are left out (complete cases)`);
  if (ctx.k > 0) out.push(groupsSuppressed(ctx.k));
  out.push(`precision: ${precision}`);
  return out;
}

/** A statistic computed per group, with the precision its rows state. */
interface GroupValue {
  statistic: string;
  value: SecretInt | SecretFixed;
  precision: string;
  /** The bound that holds for a released value, when it depends on the value. */
  stated?: (value: number) => string;
}

/** Releases per-group values with their group counts as support; one row per (statistic, group). */
async function releaseRows(
  ctx: AnalysisContext,
  labels: readonly string[],
  counts: SecretInt,
  values: readonly GroupValue[],
): Promise<ResultRow[]> {
  const items: Guarded[] = [
    { value: counts, support: counts },
    ...values.map((v) => ({ value: v.value, support: counts })),
  ];
  const rel = await releaseGuarded(ctx.s, items, ctx.k);
  const rows: ResultRow[] = [];
  labels.forEach((group, i) => {
    rows.push({
      statistic: 'n',
      group,
      value: rel[0]!.values[i] ?? null,
      suppressed: rel[0]!.suppressed[i]!,
      precision: 'exact',
    });
    values.forEach((v, j) => {
      const value = rel[j + 1]!.values[i] ?? null;
      rows.push({
        statistic: v.statistic,
        group,
        value,
        suppressed: rel[j + 1]!.suppressed[i]!,
        precision: v.stated && value !== null ? v.stated(value) : v.precision,
      });
    });
  });
  return rows;
}

/** An absolute error bound as a report prints it: `+-3.1e-6`. */
function formatBound(e: number): string {
  return `+-${e.toPrecision(2)}`;
}

const MOMENT_PRECISION = 'relative 2^-24 + 2^-20 (one division of exact sums)';
const SD_PRECISION = 'relative 2^-22 + 2^-20 (division and square root)';

/** The groups of a by-column, or one group of every record. */
function groupsOf(ctx: AnalysisContext, by: string | undefined) {
  return by ? ctx.groups(by) : { labels: ['all'], indicators: [undefined] };
}

async function descriptive(ctx: AnalysisContext, a: Analysis): Promise<AnalysisBody> {
  const c = a as ColumnAnalysis;
  const mask = ctx.mask(a.where, AnalysisContext.columnsOf(a));
  const x = numeric(ctx, c.column);
  const g = groupsOf(ctx, c.by);
  const filters = g.indicators.map((gi) => within(mask, gi));
  const counts = ctx.s.concat(
    filters.map((w) => stats.count(x, w ? { where: w } : {}).reshape([1])),
  );
  const col = ctx.table.column(c.column);
  let values: GroupValue[];
  switch (c.type) {
    case 'variance':
    case 'sd': {
      const s = filters.map((w) => stats.summary(x, w ? { where: w } : {}));
      // A column too wide for exact squares over this many records: state what holds (variance.ts).
      const frac = x instanceof SecretFixed ? x.type.frac : 0;
      const wide = variancePlan(x.bound, frac, x.length).grid > 0;
      const within = (e: number) =>
        `within ${formatBound(e)} (${x.length} records of a ${x.bound}-bit column: squares taken on the values less their mean)`;
      values = [
        {
          statistic: 'mean',
          value: ctx.s.concat(s.map((y) => y.mean.reshape([1]))),
          precision: MOMENT_PRECISION,
        },
        c.type === 'variance'
          ? {
              statistic: 'variance',
              value: ctx.s.concat(s.map((y) => y.variance.reshape([1]))),
              precision: MOMENT_PRECISION,
              ...(wide
                ? { stated: (v: number) => within(varianceErrorBound(v, x.bound, frac, x.length)) }
                : {}),
            }
          : {
              statistic: 'sd',
              value: ctx.s.concat(s.map((y) => y.sd.reshape([1]))),
              precision: SD_PRECISION,
              ...(wide
                ? { stated: (v: number) => within(sdErrorBound(v, x.bound, frac, x.length)) }
                : {}),
            },
      ];
      break;
    }
    case 'min':
    case 'max': {
      const f = c.type === 'min' ? stats.min : stats.max;
      const parts = filters.map((w) => f(x, w ? { where: w } : {}).reshape([1]));
      values = [
        {
          statistic: c.type,
          value:
            parts[0]!.type.kind === 'fixed'
              ? ctx.s.concat(parts as SecretFixed[])
              : ctx.s.concat(parts as SecretInt[]),
          precision: 'exact',
        },
      ];
      break;
    }
    case 'median': {
      const range = rangeOf(col);
      values = [
        {
          statistic: 'median',
          value: ctx.s.concat(
            filters.map((w) => stats.median(x, { range, ...(w ? { where: w } : {}) }).reshape([1])),
          ),
          precision: 'exact (interpolation rounded to 2^-20)',
        },
      ];
      break;
    }
    default:
      throw new TypeError(`descriptive: ${c.type}`);
  }
  const rows = await releaseRows(ctx, g.labels, counts, values);
  return {
    rows,
    notes: notes(ctx, a, values.map((v) => `${v.statistic} ${v.precision}`).join('; ')),
  };
}

/** The declared range of a column in the library's units (decimals as values). */
function rangeOf(col: SchemaColumn): [number, number] {
  switch (col.type) {
    case 'integer':
    case 'decimal':
      return [col.min, col.max];
    case 'date':
      return [col.minDay, col.maxDay];
    default:
      return [0, 1];
  }
}

async function quantiles(ctx: AnalysisContext, a: Analysis): Promise<AnalysisBody> {
  const q = a as QuantilesAnalysis;
  const mask = ctx.mask(a.where, AnalysisContext.columnsOf(a));
  const x = numeric(ctx, q.column);
  const col = ctx.table.column(q.column);
  const n = stats.count(x, mask ? { where: mask } : {});
  const v = stats.quantile(x, q.probs, {
    range: rangeOf(col),
    type: q.quantileType,
    ...(mask ? { where: mask } : {}),
  });
  // The whole vector is released only when the analysis has at least k records.
  const [rn, rv] = await releaseGuarded(
    ctx.s,
    [
      { value: n, support: n },
      { value: v, support: n },
    ],
    ctx.k,
  );
  const rows: ResultRow[] = [
    {
      statistic: 'n',
      group: 'all',
      value: rn!.values[0] ?? null,
      suppressed: rn!.suppressed[0]!,
      precision: 'exact',
    },
    ...q.probs.map((p, i) => ({
      statistic: 'quantile',
      group: `p = ${p}`,
      value: rv!.values[i] ?? null,
      suppressed: rv!.suppressed[i]!,
      precision: `exact (R type ${q.quantileType}; interpolation rounded to 2^-20)`,
    })),
  ];
  return {
    rows,
    notes: notes(ctx, a, `R type ${q.quantileType} quantiles by oblivious binary search`),
  };
}

const T_NAME: Record<TTestAnalysis['variant'], string> = {
  welch: "Welch's t-test as R's t.test(var.equal = FALSE)",
  student: "Student's t-test as R's t.test(var.equal = TRUE)",
  paired: "paired t-test as R's t.test(paired = TRUE)",
  'one-sample': "one-sample t-test as R's t.test(x, mu = mu)",
};

/** The label of a t-test's statistic rows: the two levels compared, or the column(s) tested. */
export function tTestGroup(t: TTestAnalysis): string {
  if (t.levels) return `${t.levels[0]} - ${t.levels[1]}`;
  return t.paired ? `${t.column} - ${t.paired}` : t.column;
}

/** Rows of a t-test's statistic, df, p-value, standard error and confidence interval (in the clear). */
function tTestRows(
  t: TTestAnalysis,
  estimate: number | null,
  tv: number | null,
  dfv: number | null,
  se: number | null,
  suppressed: boolean,
  dfPrecision: string,
): ResultRow[] {
  const group = tTestGroup(t);
  const p = tv !== null && dfv !== null ? hyp.tTestPValue(tv, dfv).pValue : null;
  const ci =
    estimate !== null && se !== null && dfv !== null
      ? tInterval(estimate, se, dfv, t.confLevel)
      : { lower: null, upper: null };
  const pct = `${+(t.confLevel * 100).toPrecision(6)}%`;
  return [
    { statistic: 't', group, value: tv, suppressed, precision: 'relative 2^-20 + 2^-20 / se' },
    { statistic: 'df', group, value: dfv, suppressed, precision: dfPrecision },
    {
      statistic: 'p-value',
      group,
      value: p,
      suppressed,
      precision: 'two-sided, computed in the clear from the revealed t and df',
    },
    {
      statistic: 'standard error',
      group,
      value: se,
      suppressed,
      precision: 'relative 2^-22',
    },
    {
      statistic: 'CI lower',
      group,
      value: ci.lower,
      suppressed,
      precision: `${pct} confidence interval, computed in the clear from the revealed estimate, se and df`,
    },
    {
      statistic: 'CI upper',
      group,
      value: ci.upper,
      suppressed,
      precision: `${pct} confidence interval, computed in the clear from the revealed estimate, se and df`,
    },
  ];
}

/**
 * A t-test's per-group moments from each owner's own exact sums (moments.ts),
 * so no record is input; undefined where the records are needed: sums too
 * wide for one share, or a joined table (whose rows count only where matched;
 * the spec refuses t-tests there today, so that branch is defensive).
 */
function pooledTTest(ctx: AnalysisContext, t: TTestAnalysis): hyp.GroupMoments | undefined {
  const m = tTestMoments(ctx.study.schema, t);
  const rows = ctx.table.rows;
  if (!m || ctx.table.weight || !momentsFit(m.bound, rows)) return undefined;
  const layout = momentLayout(m.bound, m.frac, rows);
  const limbs = ctx.table.aggregate(
    m.key,
    m.G * layout.perGroup * LIMBS,
    LIMB_BITS + 2,
    (own) => localTTestLimbs(own, ctx.study.schema, t, m, layout),
    m.sumsKey,
  );
  const p = pooledMoments(limbs, m.G, layout, DEFAULT_FRAC);
  return {
    rows,
    f: DEFAULT_FRAC,
    n: p.n,
    mean: p.mean,
    s: p.s,
    v: p.v,
    candidates: p.candidates,
  };
}

async function tTest(ctx: AnalysisContext, a: Analysis): Promise<AnalysisBody> {
  const t = a as TTestAnalysis;
  const pooled = pooledTTest(ctx, t);
  const mask = pooled ? undefined : ctx.mask(a.where, AnalysisContext.columnsOf(a));
  const x = () => numeric(ctx, t.column);
  const pct = `${+(t.confLevel * 100).toPrecision(6)}%`;
  const opts = mask ? { where: mask } : {};
  if (t.variant === 'one-sample' || t.variant === 'paired') {
    const r = pooled
      ? hyp.oneSampleFromMoments(pooled, `${t.variant} t-test`, t.mu)
      : t.variant === 'paired'
        ? hyp.pairedTTest(x(), numeric(ctx, t.paired!), { ...opts, mu: t.mu })
        : hyp.oneSampleTTest(x(), { ...opts, mu: t.mu });
    // Released only when at least k records are used.
    const [rn, rm, rt, rdf, rse] = await releaseGuarded(
      ctx.s,
      [
        { value: r.n, support: r.n },
        { value: r.mean, support: r.n },
        { value: r.t, support: r.n },
        { value: r.df, support: r.n },
        { value: r.se, support: r.n },
      ],
      ctx.k,
    );
    const suppressed = rt!.suppressed[0]!;
    const mean = rm!.values[0] ?? null;
    const group = tTestGroup(t);
    const rows: ResultRow[] = [
      {
        statistic: 'n',
        group: 'all',
        value: rn!.values[0] ?? null,
        suppressed: rn!.suppressed[0]!,
        precision: 'exact',
      },
      {
        statistic: t.variant === 'paired' ? 'mean difference' : 'mean',
        group,
        value: mean,
        suppressed,
        precision: MOMENT_PRECISION,
      },
      ...tTestRows(
        t,
        mean,
        rt!.values[0] ?? null,
        rdf!.values[0] ?? null,
        rse!.values[0] ?? null,
        suppressed,
        'exact (n - 1)',
      ),
    ];
    return {
      rows,
      notes: [
        ...notes(ctx, a, `${T_NAME[t.variant]}, mu = ${t.mu}`),
        `${pct} confidence interval of the ${t.variant === 'paired' ? 'mean difference' : 'mean'}`,
      ],
    };
  }
  const [l1, l2] = t.levels!;
  let r: hyp.TTest;
  if (pooled) {
    r = t.variant === 'student' ? hyp.studentFromMoments(pooled) : hyp.welchFromMoments(pooled);
  } else {
    const g = ctx.groups(t.by!);
    const level = (l: string) => g.labels.indexOf(`${t.by} = ${l}`);
    const test = t.variant === 'student' ? hyp.studentTTest : hyp.welchTTest;
    r = test(x(), g.indicators[level(l1)]!, g.indicators[level(l2)]!, opts);
  }
  // Released only when both groups have at least k records.
  const support = r.n1.minimum(r.n2);
  const counts = ctx.s.concat([r.n1.reshape([1]), r.n2.reshape([1])]);
  const [rn, rt, rdf, rm, rse] = await releaseGuarded(
    ctx.s,
    [
      { value: counts, support: counts },
      { value: r.t, support },
      { value: r.df, support },
      { value: ctx.s.concat([r.mean1.reshape([1]), r.mean2.reshape([1])]), support },
      { value: r.se, support },
    ],
    ctx.k,
  );
  const suppressed = rt!.suppressed[0]!;
  const m1 = rm!.values[0] ?? null;
  const m2 = rm!.values[1] ?? null;
  const rows: ResultRow[] = [
    ...[l1, l2].map((l, i) => ({
      statistic: 'n',
      group: `${t.by} = ${l}`,
      value: rn!.values[i] ?? null,
      suppressed: rn!.suppressed[i]!,
      precision: 'exact',
    })),
    ...[l1, l2].map((l, i) => ({
      statistic: 'mean',
      group: `${t.by} = ${l}`,
      value: rm!.values[i] ?? null,
      suppressed,
      precision: MOMENT_PRECISION,
    })),
    ...tTestRows(
      t,
      m1 !== null && m2 !== null ? m1 - m2 : null,
      rt!.values[0] ?? null,
      rdf!.values[0] ?? null,
      rse!.values[0] ?? null,
      suppressed,
      t.variant === 'student' ? 'exact (n1 + n2 - 2)' : 'relative 2^-20 (Welch-Satterthwaite)',
    ),
  ];
  return {
    rows,
    notes: [
      ...notes(ctx, a, T_NAME[t.variant]),
      `${pct} confidence interval of the difference of means (${l1} - ${l2})`,
    ],
  };
}

/**
 * The secret R x C table of a chi-squared test: each owner's local cell
 * counts summed in MPC (as a crosstab's; no record is input, and a
 * pushed-down party's engine counts them), or, on a joined table (whose rows
 * no owner holds whole), a crosstab of the secret level indicators.
 */
function chiSquaredTable(ctx: AnalysisContext, c: TableAnalysis) {
  if (!ctx.table.weight) {
    const t = cellCounts(ctx, c);
    const table = t.cells.reshape([t.rows.length, t.cols.length]);
    return { R: { labels: t.rows }, C: { labels: t.cols }, table };
  }
  const mask = ctx.mask(c.where, AnalysisContext.columnsOf(c));
  const R = ctx.groups(c.rows);
  const C = ctx.groups(c.cols);
  const wide = groups.crosstab(R.indicators, C.indicators, mask ? { where: mask } : {});
  // Every cell counts records, so it is at most the public row count: a tighter bound
  // than the inner products' (which add the indicators' bits), leaving the test room
  // for its products at hundreds of thousands of rows.
  const bits = Math.ceil(Math.log2(ctx.table.rows + 1)) + 1;
  const table = bits < wide.bound ? wide.assumeBound(bits) : wide;
  return { R, C, table };
}

async function chiSquared(ctx: AnalysisContext, a: Analysis): Promise<AnalysisBody> {
  const c = a as TableAnalysis;
  const { R, C, table } = chiSquaredTable(ctx, c);
  const test = hyp.chiSquaredTest(table, { correct: c.correct });
  // Released only when every cell of the table has at least k records.
  const cells = R.labels.length * C.labels.length;
  const support = table.reshape([cells]).min();
  const [rx, rdf, re] = await releaseGuarded(
    ctx.s,
    [
      { value: test.statistic, support },
      { value: test.df, support },
      { value: test.expected.reshape([cells]), support },
    ],
    ctx.k,
  );
  const x = rx!.values[0] ?? null;
  const df = rdf!.values[0] ?? null;
  const p = x !== null && df !== null ? hyp.chiSquaredPValue(x, df).pValue : null;
  const suppressed = rx!.suppressed[0]!;
  const group = `${c.rows} x ${c.cols}`;
  const yates = c.correct && R.labels.length === 2 && C.labels.length === 2;
  return {
    rows: [
      {
        statistic: 'X^2',
        group,
        value: x,
        suppressed,
        precision: 'relative 2^-20 + r c 2^-15 sqrt(X^2)',
      },
      { statistic: 'df', group, value: df, suppressed, precision: 'exact' },
      {
        statistic: 'p-value',
        group,
        value: p,
        suppressed,
        precision: 'computed in the clear from the revealed X^2 and df',
      },
      ...R.labels.flatMap((rl, i) =>
        C.labels.map((cl, j) => ({
          statistic: 'expected',
          group: `${rl}, ${cl}`,
          value: re!.values[i * C.labels.length + j] ?? null,
          suppressed,
          precision: 'relative 2^-24 (row total x column total / n)',
        })),
      ),
    ],
    notes: [
      ...notes(
        ctx,
        a,
        `Pearson's chi-squared test${yates ? " with Yates' correction (2 x 2), as R's chisq.test" : ''}`,
      ),
      `released only when every cell of the ${R.labels.length} x ${C.labels.length} table has at least k records`,
    ],
  };
}

/** The time points of a survival analysis in the column's value units (decimals as values). */
function timePoints(
  ctx: AnalysisContext,
  a: SurvivalAnalysis,
): { encoded: number[]; values: number[] } {
  const encoded = [...(a.times ?? defaultTimes(ctx.study.schema, a))];
  const col = ctx.table.column(a.time);
  const unit = col.type === 'decimal' ? 10 ** -col.scale : 1;
  return { encoded, values: encoded.map((t) => t * unit) };
}

/**
 * Per-interval counts of a survival analysis, per group: each owner counts its
 * own records at risk and events per interval (its `where` and complete cases,
 * in the clear on its own table) and inputs them; MPC adds them up. No
 * comparison of times runs in MPC. Returns the secret counts, G x K each.
 */
function survivalCounts(
  ctx: AnalysisContext,
  a: SurvivalAnalysis,
  G: number,
  encoded: readonly number[],
) {
  const K = encoded.length;
  const key = rowCountsKey(ctx.study.schema, a)!;
  const c = ctx.table.aggregate(key, 2 * G * K, 34, (own) => {
    const mask = referenceMask(own, a);
    const g = referenceGroups(own, a.by);
    const time = own.columns.get(a.time)!.values;
    const ev = own.columns.get(a.event)!.values;
    const w = own.weights;
    return localSurvivalCounts(
      own.rows,
      (i) => mask[i] === 1,
      g.of,
      (i) => time[i]!,
      (i) => ev[i] === 1,
      G,
      encoded,
      w ? (i) => w[i]! : undefined,
    );
  });
  const bits = Math.ceil(Math.log2(ctx.table.rows + 1)) + 1;
  // Counts of records: at most the public row count, a tighter bound than the sum's.
  const atRisk = c.slice(0, G * K).assumeBound(bits);
  const events = c.slice(G * K, 2 * G * K).assumeBound(bits);
  return { atRisk, events };
}

/**
 * The points a Kaplan-Meier curve is computed on, and where each reported
 * point lies among them: every value of an integer time column when the
 * reported points are within its range (the curve is then exact at each
 * reported point), else the reported points themselves.
 */
function curveGrid(ctx: AnalysisContext, a: SurvivalAnalysis, display: readonly number[]) {
  const fine = everyTime(ctx.study.schema, a);
  if (fine && display.every((t) => t >= fine[0]! && t <= fine[fine.length - 1]!))
    return { compute: fine, at: display.map((t) => t - fine[0]!), exact: true };
  return { compute: [...display], at: display.map((_, j) => j), exact: false };
}

async function kaplanMeierAnalysis(ctx: AnalysisContext, a: Analysis): Promise<AnalysisBody> {
  const k = a as SurvivalAnalysis;
  const labels = k.by ? ctx.groupLabels(k.by) : ['all'];
  const { values: times, encoded } = timePoints(ctx, k);
  const grid = curveGrid(ctx, k, encoded);
  const Kc = grid.compute.length;
  ctx.progress(
    `  Kaplan-Meier on ${Kc} time points for ${labels.length} group(s), reported at ${times.length}`,
  );
  const { atRisk, events } = survivalCounts(ctx, k, labels.length, grid.compute);
  const km = kaplanMeierFromCounts(Fx.of(atRisk), Fx.of(events), labels.length, Kc);
  const pick = labels.flatMap((_, gi) => grid.at.map((j) => gi * Kc + j));
  const survivalFx = ctx.s.concat(pick.map((q) => km.survival.at(q).reshape([1])));
  const atRiskAt = ctx.s.concat(pick.map((q) => atRisk.at(q).reshape([1])));
  const greenwood = km.greenwood.gather(Uint32Array.from(pick)).rescale(30).toFixed();
  // Events in (previous reported point, this one]: sums of the computed intervals (local).
  const ev = Fx.of(events);
  const eventsAt = Fx.concat(
    labels.flatMap((_, gi) =>
      grid.at.map((j, r) => {
        const from = r === 0 ? 0 : grid.at[r - 1]! + 1;
        return ev
          .gather(Uint32Array.from({ length: j - from + 1 }, (_, q) => gi * Kc + from + q))
          .sum();
      }),
    ),
  )
    .withBound(events.bound)
    .toInt();
  // A point of a curve (S, its variance, the number at risk) is released only when at least
  // k records are still at risk there; a count of events only when it is at least k.
  const [rs, rn, re, rv] = await releaseGuarded(
    ctx.s,
    [
      { value: survivalFx, support: atRiskAt },
      { value: atRiskAt, support: atRiskAt },
      { value: eventsAt, support: eventsAt },
      { value: greenwood, support: atRiskAt },
    ],
    ctx.k,
  );
  const T = times.length;
  const curves: SurvivalCurve[] = labels.map((group, gi) => {
    const at = (r: typeof rs, j: number) => r!.values[gi * T + j] ?? null;
    // The curve never rises: once a released point is 0, every later point is 0 (public).
    let zeroFrom = -1;
    const survival = times.map((_, j) => {
      const v = at(rs, j);
      if (v === 0 && zeroFrom < 0) zeroFrom = j;
      return v ?? (zeroFrom >= 0 ? 0 : null);
    });
    const bands = survival.map((sv, j) => {
      const v = at(rv, j);
      return sv !== null && v !== null ? kaplanMeierBand(sv, v, k.confLevel) : undefined;
    });
    return {
      group,
      times,
      survival,
      atRisk: times.map((_, j) => at(rn, j)),
      events: times.map((_, j) => at(re, j)),
      stdErr: bands.map((b) => b?.stdErr ?? null),
      lower: bands.map((b) => b?.lower ?? null),
      upper: bands.map((b) => b?.upper ?? null),
      confLevel: k.confLevel,
    };
  });
  const rows: ResultRow[] = labels.flatMap((group, gi) =>
    times.map((t, j) => {
      const shown = curves[gi]!.survival[j]!;
      const released = !rs!.suppressed[gi * T + j]!;
      return {
        statistic: 'S(t)',
        group: `${group}, t = ${t}`,
        value: shown,
        suppressed: shown === null,
        precision:
          shown !== null && !released
            ? 'exact: the curve reached 0 at an earlier released point'
            : `within about ${grid.at[j]! + 1} x 2^-24, then 2^-20`,
      };
    }),
  );
  const pct = `${+(k.confLevel * 100).toPrecision(6)}%`;
  return {
    rows,
    curves,
    notes: [
      ...notes(
        ctx,
        a,
        grid.exact
          ? "Kaplan-Meier as R's survfit (computed at every time value, reported at the points)"
          : 'Kaplan-Meier on event times rounded up to the next time point',
      ),
      `S(t) at ${times.length} public time points; a point with fewer than k records at risk is suppressed (shown as 0 once the curve has reached 0)`,
      `curves carry the number at risk at each point, the events since the previous point (suppressed below k), the standard error of S (Greenwood) and ${pct} confidence bands (R's default conf.type = "log"), computed in the clear from the released S and Greenwood variance`,
      `${eachOwner(ctx.study)} counts its own records at risk and events per interval and inputs the counts; the curve is computed on their secret sums`,
    ],
  };
}

async function logRankAnalysis(ctx: AnalysisContext, a: Analysis): Promise<AnalysisBody> {
  const k = a as SurvivalAnalysis;
  const g = { labels: ctx.groupLabels(k.by!) };
  if (g.labels.length !== 2)
    throw new RangeError(
      `log-rank: '${k.by}' has ${g.labels.length} levels; the test compares two`,
    );
  const { values: times, encoded } = timePoints(ctx, k);
  const K = times.length;
  ctx.progress(`  log-rank over ${K} time points, on per-interval counts`);
  const { atRisk, events } = survivalCounts(ctx, k, 2, encoded);
  const lr = logRankFromCounts(Fx.of(atRisk), Fx.of(events), K);
  // Records per group: those at risk at the start.
  const counts = ctx.s.concat([atRisk.at(0).reshape([1]), atRisk.at(K).reshape([1])]);
  const support = counts.min();
  const [rn, rx, ro, re] = await releaseGuarded(
    ctx.s,
    [
      { value: counts, support: counts },
      { value: lr.statistic, support },
      { value: lr.observedByGroup, support },
      { value: lr.expectedByGroup, support },
    ],
    ctx.k,
  );
  const x = rx!.values[0] ?? null;
  const suppressed = rx!.suppressed[0]!;
  const both = g.labels.join(' vs ');
  const rows: ResultRow[] = [
    ...g.labels.map((group, i) => ({
      statistic: 'n',
      group,
      value: rn!.values[i] ?? null,
      suppressed: rn!.suppressed[i]!,
      precision: 'exact',
    })),
    ...g.labels.flatMap((group, i) => [
      {
        statistic: 'observed events',
        group,
        value: ro!.values[i] ?? null,
        suppressed,
        precision: 'exact',
      },
      {
        statistic: 'expected events',
        group,
        value: re!.values[i] ?? null,
        suppressed,
        precision: 'relative 2^-24 per term',
      },
    ]),
    {
      statistic: 'X^2',
      group: both,
      value: x,
      suppressed,
      precision: 'relative 2^-20 + 2^-15 sqrt(X^2)',
    },
    {
      statistic: 'p-value',
      group: both,
      value: x === null ? null : chiSquaredSf(Math.max(0, x), 1),
      suppressed,
      precision: 'chi-squared, 1 df, computed in the clear from the revealed X^2',
    },
  ];
  return {
    rows,
    notes: [
      ...notes(
        ctx,
        a,
        "log-rank test (R's survdiff) on event times rounded up to the next time point",
      ),
      `${K} public time points from ${times[0]} to ${times[K - 1]}`,
      `${eachOwner(ctx.study)} counts its own records at risk and events per interval and inputs the counts; the test is computed on their secret sums`,
    ],
  };
}

/** Design columns of a model's predictors: numeric as they are, categorical dummy-coded against the first level. */
/** The terms of `design`'s columns, from the schema alone (no secret is made). */
function designNames(ctx: AnalysisContext, predictors: readonly string[]): string[] {
  return predictors.flatMap((name) => {
    const c = ctx.table.column(name);
    if (c.type === 'categorical') return c.levels.slice(1).map((l) => `${name} = ${l}`);
    return c.type === 'boolean' ? [`${name} = true`] : [name];
  });
}

function design(ctx: AnalysisContext, predictors: readonly string[]) {
  const cols: (SecretInt | SecretFixed | SecretBool)[] = [];
  const names: string[] = [];
  const ranges: [number, number][] = [];
  const levels: SecretBool[] = [];
  for (const name of predictors) {
    const c = ctx.table.column(name);
    if (c.type === 'categorical') {
      const hot = ctx.table.oneHot(name);
      c.levels.forEach((l, i) => {
        levels.push(hot[i]!);
        if (i === 0) return;
        cols.push(hot[i]!);
        names.push(`${name} = ${l}`);
        ranges.push([0, 1]);
      });
    } else if (c.type === 'boolean') {
      const b = ctx.table.bool(name);
      cols.push(b);
      names.push(`${name} = true`);
      ranges.push([0, 1]);
      levels.push(b, b.not());
    } else {
      cols.push(numeric(ctx, name));
      names.push(name);
      ranges.push(rangeOf(c));
    }
  }
  return { cols, names, ranges, levels };
}

/** The smallest of the records in each of `indicators` within the mask (one dot product each, a tournament). */
function smallestGroup(
  ctx: AnalysisContext,
  mask: SecretBool | undefined,
  indicators: readonly SecretBool[],
): SecretInt {
  const m = mask?.toInt(2);
  const counts = ctx.s.concat(
    indicators.map((g) => (m ? m.dot(g.toInt(2)) : g.count()).reshape([1])),
  );
  return counts.min();
}

/**
 * Logistic regression on per-cell counts (grouped.ts) when every predictor
 * takes few values and Newton's method is asked for; undefined otherwise.
 */
async function groupedLogisticAnalysis(
  ctx: AnalysisContext,
  r: RegressionAnalysis,
): Promise<AnalysisBody | undefined> {
  // Cell counts are local aggregates, which a joined table's rows do not allow.
  const cs = ctx.table.weight ? undefined : logisticCells(ctx.study.schema, r);
  if (!cs) return undefined;
  const C = cs.reduce((x, c) => x * c.size, 1);
  const iterations = r.iterations ?? 8;
  ctx.progress(
    `  logistic regression on ${C} cells of ${r.predictors.join(' x ')}: at most ${iterations} Newton iterations`,
  );
  // Each owner counts its own records per cell (its `where` and complete cases, locally).
  const countsKey = rowCountsKey(ctx.study.schema, r)!;
  const ownCounts = (own: Table) => {
    const mask = referenceMask(own, r);
    const y = own.columns.get(r.outcome)!.values;
    const xs = r.predictors.map((name) => own.columns.get(name)!.values);
    const weights = own.weights;
    const out = new Float64Array(2 * C);
    for (let i = 0; i < own.rows; i++) {
      if (!mask[i]) continue;
      let q = 0;
      cs.forEach((c, j) => (q = q * c.size + c.index(xs[j]![i]!)));
      const w = weights ? weights[i]! : 1;
      out[q]! += w;
      if (y[i]) out[C + q]! += w;
    }
    return out;
  };
  const counts = ctx.table.aggregate(countsKey, 2 * C, 34, ownCounts);
  // Newton starts from the average of the parties' own fits on their own counts (input as
  // secrets, nothing revealed), which leaves fewer steps to the pooled estimate.
  const p = 1 + cs.reduce((x, c) => x + c.terms.length, 0);
  const parties = ctx.s.parties.length;
  const start = ctx.table.aggregateDerived(countsKey, 2 * C, ownCounts, 'start', p, 34, (own) =>
    localLogisticStart(cs, own, parties),
  );
  const n = counts.slice(0, C);
  const succ = counts.slice(C, 2 * C);
  const model = groupedLogistic(
    ctx.s,
    cs,
    n,
    succ,
    ctx.table.rows,
    iterations,
    20,
    undefined,
    start,
  );
  // Both outcomes and every level of a categorical or boolean predictor need k records:
  // sums of cell counts with public 0/1 weights (no communication), then one tournament.
  const levelMasks: number[][] = [];
  cs.forEach((c, j) => {
    if (ctx.table.column(c.name).type === 'integer') return;
    for (let v = 0; v < c.size; v++)
      levelMasks.push(
        Array.from({ length: C }, (_, q) => {
          let rest = q;
          for (let t = cs.length - 1; t > j; t--) rest = Math.floor(rest / cs[t]!.size);
          return rest % c.size === v ? 1 : 0;
        }),
      );
  });
  const fails = n.sub(succ);
  const support = ctx.s
    .concat([
      succ.sum().reshape([1]),
      fails.sum().reshape([1]),
      ...levelMasks.map((m) => n.mul(m).sum().reshape([1])),
    ])
    .min();
  const [[lost, seLost], [rc, rse, rl, rn], ran] = await Promise.all([
    ctx.s.concat([model.fitLost.reshape([1]), model.standardErrorsLost.reshape([1])]).reveal(),
    releaseGuarded(
      ctx.s,
      [
        { value: model.coefficients, support },
        { value: model.standardErrors, support },
        { value: model.loss, support },
        { value: model.n, support },
      ],
      ctx.k,
    ),
    model.iterationsRun,
  ]);
  const withheld = lost === 1n;
  const seWithheld = withheld || seLost === 1n;
  const suppressed = rc!.suppressed[0]!;
  const rows: ResultRow[] = [
    { statistic: 'n', group: 'all', value: rn!.values[0] ?? null, suppressed, precision: 'exact' },
  ];
  ['(intercept)', ...cs.flatMap((c) => c.terms)].forEach((term, j) => {
    const b = withheld ? null : (rc!.values[j] ?? null);
    const se = seWithheld ? null : (rse!.values[j] ?? null);
    const z = b !== null && se !== null && se > 0 ? b / se : null;
    rows.push(
      {
        statistic: 'coefficient',
        group: term,
        value: b,
        suppressed,
        precision: 'about 1e-3 relative of the maximum-likelihood estimate',
      },
      {
        statistic: 'standard error',
        group: term,
        value: se,
        suppressed,
        precision: 'inverse Hessian at the last iterate',
      },
      {
        statistic: 'p-value',
        group: term,
        value: z === null ? null : 2 * normalCdf(-Math.abs(z)),
        suppressed,
        precision: 'Wald test, computed in the clear',
      },
    );
  });
  rows.push({
    statistic: 'loss',
    group: 'mean negative log-likelihood',
    value: withheld ? null : (rl!.values[0] ?? null),
    suppressed,
    precision: 'sigmoid, exp and log in fixed point',
  });
  return {
    rows,
    notes: [
      ...(withheld ? [FIT_LOST] : seWithheld ? [SE_LOST] : []),
      ...notes(ctx, r, newtonNote(ran, iterations)),
      `fitted on the counts of ${C} cells (${r.predictors.join(' x ')}): ${eachOwner(ctx.study)} counts its own records per cell and inputs the counts as secrets; the likelihood, and so the estimate, is that of the records`,
      'released only when both outcomes and every level of a categorical predictor have at least k records',
    ],
  };
}

/** How a Newton fit ran: the steps taken (revealed) of at most `budget`. */
function newtonNote(ran: number, budget: number): string {
  return `Newton (IRLS), as R's glm(family = binomial): ${ran} iteration${ran === 1 ? '' : 's'} of at most ${budget}, stopped after the first step below 2^-10 in units of the scaled predictors (the number of iterations is public)`;
}

/** Why a logistic model is withheld (LogisticModel.fitLost). */
const FIT_LOST =
  'model withheld: the secure fit did not reach the maximum-likelihood estimate on these data (a coefficient reached its bound, or the gradient at the final coefficients is not near 0), so its numbers would be wrong; this usually means a predictor varies little within its declared range: narrow the range in the schema, or raise iterations';
/** Why a logistic model's standard errors are withheld (LogisticModel.standardErrorsLost). */
const SE_LOST =
  'standard errors and p-values withheld: the secure inverse of the information matrix lost precision on these data (a predictor varies little within its declared range, or predictors are nearly collinear), so they would be wrong; the coefficients are certified by their gradient and released';

async function logistic(ctx: AnalysisContext, a: Analysis): Promise<AnalysisBody> {
  const r = a as RegressionAnalysis;
  const grouped = await groupedLogisticAnalysis(ctx, r);
  if (grouped) return grouped;
  const mask = ctx.mask(a.where, AnalysisContext.columnsOf(a));
  const y = ctx.table.bool(r.outcome);
  const d = design(ctx, r.predictors);
  const method = r.learningRate !== undefined ? 'gd' : 'newton';
  const iterations = r.iterations ?? (method === 'newton' ? 8 : 100);
  ctx.progress(
    `  logistic regression: ${method === 'newton' ? `at most ${iterations} Newton` : `${iterations} gradient-descent`} iterations over ${ctx.table.rows} records`,
  );
  const model = reg.logisticRegression(y, d.cols, {
    ranges: d.ranges,
    method,
    iterations,
    ...(r.learningRate !== undefined ? { learningRate: r.learningRate } : {}),
    ...(mask ? { where: mask } : {}),
  });
  // Both outcomes and every level of a categorical predictor need k records.
  const support = smallestGroup(ctx, mask, [y, y.not(), ...d.levels]);
  const [[lost, seLost], [rc, rse, rl, rn], ran] = await Promise.all([
    ctx.s.concat([model.fitLost.reshape([1]), model.standardErrorsLost.reshape([1])]).reveal(),
    releaseGuarded(
      ctx.s,
      [
        { value: model.coefficients, support },
        { value: model.standardErrors, support },
        { value: model.loss, support },
        { value: model.n, support },
      ],
      ctx.k,
    ),
    model.iterationsRun,
  ]);
  const withheld = lost === 1n;
  const seWithheld = withheld || seLost === 1n;
  const terms = ['(intercept)', ...d.names];
  const suppressed = rc!.suppressed[0]!;
  const rows: ResultRow[] = [
    { statistic: 'n', group: 'all', value: rn!.values[0] ?? null, suppressed, precision: 'exact' },
  ];
  terms.forEach((term, j) => {
    const b = withheld ? null : (rc!.values[j] ?? null);
    const se = seWithheld ? null : (rse!.values[j] ?? null);
    rows.push({
      statistic: 'coefficient',
      group: term,
      value: b,
      suppressed,
      precision: 'about 1e-3 relative of the maximum-likelihood estimate',
    });
    if (method === 'newton') {
      rows.push({
        statistic: 'standard error',
        group: term,
        value: se,
        suppressed,
        precision: 'inverse Hessian at the last iterate',
      });
      const z = b !== null && se !== null && se > 0 ? b / se : null;
      rows.push({
        statistic: 'p-value',
        group: term,
        value: z === null ? null : 2 * normalCdf(-Math.abs(z)),
        suppressed,
        precision: 'Wald test, computed in the clear',
      });
    }
  });
  rows.push({
    statistic: 'loss',
    group: 'mean negative log-likelihood',
    value: withheld ? null : (rl!.values[0] ?? null),
    suppressed,
    precision: 'sigmoid, exp and log in fixed point',
  });
  return {
    rows,
    notes: [
      ...(withheld ? [FIT_LOST] : seWithheld ? [SE_LOST] : []),
      ...notes(
        ctx,
        a,
        method === 'newton'
          ? newtonNote(ran, iterations)
          : `gradient descent, ${iterations} iterations, as R's glm(family = binomial)`,
      ),
      'released only when both outcomes and every level of a categorical predictor have at least k records',
    ],
  };
}

/**
 * A linear regression from each owner's own exact cross sums (linear.ts,
 * stats/crosssums.ts), so no record is input; undefined where the records
 * are needed (a joined table, whose rows count only where matched; a table
 * contributed by data owners, whose aggregates were laid out for each
 * owner's rows alone; an outcome that is not numeric; sums too wide for the
 * limbs). The model and
 * the support of its release (the smallest level of a categorical or
 * boolean predictor, else n) are the per-record path's.
 */
function pooledLinear(
  ctx: AnalysisContext,
  r: RegressionAnalysis,
): { model: reg.LinearModel; support: SecretInt; names: string[] } | undefined {
  const rows = ctx.table.rows;
  const m =
    ctx.table.weight || ctx.table.byOwners ? undefined : linearSums(ctx.study.schema, r, rows);
  if (!m) return undefined;
  const layout = linearLayout(m, rows);
  const limbs = ctx.table.aggregate(m.key, layout.length * LIMBS, LIMB_BITS + 2, (own) =>
    localLinearLimbs(own, r, m, layout),
  );
  const c = pooledCrossMatrix(limbs, layout, DEFAULT_FRAC);
  const model = reg.linearModelOf(
    c,
    m.shapes.map((s) => s.bound - 1 - s.frac),
    DEFAULT_FRAC,
  );
  // Records per level: a dummy's sum, and for the first level n less the others'.
  const counts: Fx[] = [];
  for (const group of m.levelGroups) {
    let rest = c.n;
    for (const j of group) {
      counts.push(c.sums[j]!);
      rest = rest.sub(c.sums[j]!);
    }
    counts.push(rest);
  }
  const support = counts.length > 0 ? Fx.concat(counts).toInt().min() : model.n;
  return { model, support, names: designNames(ctx, r.predictors) };
}

async function linear(ctx: AnalysisContext, a: Analysis): Promise<AnalysisBody> {
  const r = a as RegressionAnalysis;
  const pooled = pooledLinear(ctx, r);
  let model: reg.LinearModel;
  let support: SecretInt;
  let names: string[];
  if (pooled) ({ model, support, names } = pooled);
  else {
    const mask = ctx.mask(a.where, AnalysisContext.columnsOf(a));
    const y = numeric(ctx, r.outcome);
    const d = design(ctx, r.predictors);
    const feats = d.cols.map((c) => (c instanceof SecretBool ? c.toInt(2) : c));
    model = reg.linearRegression(y, feats, mask ? { where: mask } : {});
    support = d.levels.length > 0 ? smallestGroup(ctx, mask, d.levels) : model.n;
    names = d.names;
  }
  const d = { names };
  const [rc, rse, rr2, rs, rdf, rn] = await releaseGuarded(
    ctx.s,
    [
      { value: model.coefficients, support },
      { value: model.standardErrors, support },
      { value: model.rSquared, support },
      { value: model.sigma, support },
      { value: model.df, support },
      { value: model.n, support },
    ],
    ctx.k,
  );
  const suppressed = rc!.suppressed[0]!;
  const df = rdf!.values[0] ?? null;
  const rows: ResultRow[] = [
    { statistic: 'n', group: 'all', value: rn!.values[0] ?? null, suppressed, precision: 'exact' },
  ];
  ['(intercept)', ...d.names].forEach((term, j) => {
    const b = rc!.values[j] ?? null;
    const se = rse!.values[j] ?? null;
    rows.push({
      statistic: 'coefficient',
      group: term,
      value: b,
      suppressed,
      precision: 'about cond(R) 2^-20 relative',
    });
    rows.push({
      statistic: 'standard error',
      group: term,
      value: se,
      suppressed,
      precision: 'relative 2^-22',
    });
    const t = b !== null && se !== null && se > 0 ? b / se : null;
    rows.push({
      statistic: 't',
      group: term,
      value: t,
      suppressed,
      precision: 'coefficient / standard error, computed in the clear',
    });
    rows.push({
      statistic: 'p-value',
      group: term,
      value: t === null || df === null ? null : studentTTwoSided(t, df),
      suppressed,
      precision: 't test, computed in the clear',
    });
  });
  rows.push({
    statistic: 'R^2',
    group: 'model',
    value: rr2!.values[0] ?? null,
    suppressed,
    precision: 'relative 2^-22',
  });
  rows.push({
    statistic: 'sigma',
    group: 'model',
    value: rs!.values[0] ?? null,
    suppressed,
    precision: 'relative 2^-22 (the residual standard error)',
  });
  // Adjusted R^2 and the F test follow from R^2, n and the number of terms (in the clear).
  const r2 = rr2!.values[0] ?? null;
  const nv = rn!.values[0] ?? null;
  const p = 1 + d.names.length;
  const ft = r2 !== null && nv !== null ? linearModelTest(r2, nv, p) : undefined;
  rows.push(
    {
      statistic: 'adjusted R^2',
      group: 'model',
      value: ft?.adjRSquared ?? null,
      suppressed,
      precision: 'computed in the clear from R^2 and n',
    },
    {
      statistic: 'residual df',
      group: 'model',
      value: df,
      suppressed,
      precision: 'exact (n - number of terms)',
    },
    {
      statistic: 'F',
      group: 'model',
      value: ft?.f ?? null,
      suppressed,
      precision: `on ${p - 1} and n - ${p} df, computed in the clear from R^2 and n`,
    },
    {
      statistic: 'p-value',
      group: 'model',
      value: ft?.pValue ?? null,
      suppressed,
      precision: 'F test, computed in the clear',
    },
  );
  return { rows, notes: notes(ctx, a, "least squares as R's lm") };
}

async function pair(ctx: AnalysisContext, a: Analysis): Promise<AnalysisBody> {
  const p = a as PairAnalysis;
  const rows = ctx.table.rows;
  // From each owner's exact cross sums (linear.ts) where it can, as linear regression.
  const m =
    ctx.table.weight || ctx.table.byOwners ? undefined : pairSums(ctx.study.schema, p, rows);
  let v: SecretFixed;
  let n: SecretInt;
  if (m) {
    const layout = linearLayout(m, rows);
    const limbs = ctx.table.aggregate(m.key, layout.length * LIMBS, LIMB_BITS + 2, (own) =>
      localLinearLimbs(own, p, m, layout),
    );
    const c = pooledCrossMatrix(limbs, layout, DEFAULT_FRAC);
    // As reg.cov and reg.cor on the records.
    const f = DEFAULT_FRAC;
    const q = p.type === 'covariance' ? c.cov(0, 1, f) : c.cor(0, 1, Math.max(f, 28));
    v = q.rescale(f).toFixed(f);
    n = c.n.toInt();
  } else {
    const mask = ctx.mask(a.where, AnalysisContext.columnsOf(a));
    const x = numeric(ctx, p.x);
    const y = numeric(ctx, p.y);
    const opts = mask ? { where: mask } : {};
    v = p.type === 'covariance' ? reg.cov(x, y, opts) : reg.cor(x, y, opts);
    n = stats.count(x, opts);
  }
  const [rn, rv] = await releaseGuarded(
    ctx.s,
    [
      { value: n, support: n },
      { value: v, support: n },
    ],
    ctx.k,
  );
  const group = `${p.x}, ${p.y}`;
  const extra: ResultRow[] = [];
  if (p.type === 'correlation') {
    const r = rv!.values[0] ?? null;
    const nv = rn!.values[0] ?? null;
    const suppressed = rv!.suppressed[0]!;
    const ct = r !== null && nv !== null ? correlationTest(r, nv, p.confLevel) : undefined;
    const pct = `${+(p.confLevel * 100).toPrecision(6)}%`;
    const clear = 'computed in the clear from the revealed r and n';
    extra.push(
      { statistic: 't', group, value: ct?.t ?? null, suppressed, precision: clear },
      { statistic: 'df', group, value: ct ? ct.df : null, suppressed, precision: 'exact (n - 2)' },
      {
        statistic: 'p-value',
        group,
        value: ct?.pValue ?? null,
        suppressed,
        precision: `two-sided t test, ${clear}`,
      },
      {
        statistic: 'CI lower',
        group,
        value: ct?.lower ?? null,
        suppressed,
        precision: `${pct} confidence interval by Fisher's z, ${clear}`,
      },
      {
        statistic: 'CI upper',
        group,
        value: ct?.upper ?? null,
        suppressed,
        precision: `${pct} confidence interval by Fisher's z, ${clear}`,
      },
    );
  }
  return {
    rows: [
      {
        statistic: 'n',
        group: 'all',
        value: rn!.values[0] ?? null,
        suppressed: rn!.suppressed[0]!,
        precision: 'exact',
      },
      {
        statistic: p.type,
        group,
        value: rv!.values[0] ?? null,
        suppressed: rv!.suppressed[0]!,
        precision: p.type === 'covariance' ? MOMENT_PRECISION : 'relative 2^-22 + 2^-20',
      },
      ...extra,
    ],
    notes: notes(
      ctx,
      a,
      p.type === 'covariance' ? 'sample covariance (divisor n - 1)' : "Pearson's correlation",
    ),
  };
}

export const STATISTICS: Partial<Record<AnalysisType, AnalysisImpl>> = {
  'logistic-regression': logistic,
  'linear-regression': linear,
  covariance: pair,
  correlation: pair,
  'kaplan-meier': kaplanMeierAnalysis,
  'log-rank': logRankAnalysis,
  't-test': tTest,
  'chi-squared': chiSquared,
  variance: descriptive,
  sd: descriptive,
  min: descriptive,
  max: descriptive,
  median: descriptive,
  quantiles,
  ...METHODS,
};

// ----- plaintext references (pooled data; demo and tests only) -----

function values(t: Table, name: string): (i: number) => number {
  const c = t.schema.columns.find((x) => x.name === name)!;
  const v = t.columns.get(name)!.values;
  const unit = c.type === 'decimal' ? 10 ** -c.scale : 1;
  return (i) => v[i]! * unit;
}

/** R's type 7 quantile of sorted values. */
export function quantile7(sorted: readonly number[], p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * R's quantile of sorted values for type 1..9 (Hyndman and Fan 1996, as
 * R's quantile.default): Q = (1 - h) x_j + h x_(j+1), x_j clamped to x_1 and
 * x_n, with j and h from n p + m per type (types 1-3 discontinuous).
 */
export function quantileOfType(sorted: readonly number[], p: number, type: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const fuzz = 4 * Number.EPSILON;
  let j: number;
  let h: number;
  if (type <= 3) {
    const nppm = type === 3 ? n * p - 0.5 : n * p;
    j = Math.floor(nppm + fuzz);
    const frac = nppm > j;
    h = type === 1 ? +frac : type === 2 ? (+frac + 1) / 2 : +(nppm !== j || j % 2 !== 0);
  } else {
    const [a, b] = stats.QUANTILE_AB[type - 4]!;
    const nppm = a + p * (n + 1 - a - b);
    j = Math.floor(nppm + fuzz);
    h = nppm - j;
    if (Math.abs(h) < fuzz) h = 0;
  }
  const x = (i: number) => sorted[Math.min(n, Math.max(1, i)) - 1]!;
  return h === 0 ? x(j) : h === 1 ? x(j + 1) : (1 - h) * x(j) + h * x(j + 1);
}

const descriptiveReference: ReferenceImpl = (t, a) => {
  const c = a as ColumnAnalysis;
  const mask = referenceMask(t, a);
  const g = referenceGroups(t, c.by);
  const x = values(t, c.column);
  return g.labels.flatMap((label, k) => {
    const xs: number[] = [];
    for (let i = 0; i < t.rows; i++) if (mask[i] && g.of(i) === k) xs.push(x(i));
    const n = xs.length;
    const mean = xs.reduce((p, y) => p + y, 0) / n;
    const variance = n < 2 ? 0 : xs.reduce((p, y) => p + (y - mean) ** 2, 0) / (n - 1);
    const row = (statistic: string, value: number): ResultRow => ({
      statistic,
      group: label,
      value,
      suppressed: false,
    });
    const sorted = [...xs].sort((p, q) => p - q);
    switch (c.type) {
      case 'variance':
        return [row('n', n), row('mean', mean), row('variance', variance)];
      case 'sd':
        return [row('n', n), row('mean', mean), row('sd', Math.sqrt(variance))];
      case 'min':
        return [row('n', n), row('min', sorted[0]!)];
      case 'max':
        return [row('n', n), row('max', sorted[n - 1]!)];
      default:
        return [row('n', n), row('median', quantile7(sorted, 0.5))];
    }
  });
};

const quantilesReference: ReferenceImpl = (t, a) => {
  const q = a as QuantilesAnalysis;
  const mask = referenceMask(t, a);
  const x = values(t, q.column);
  const xs: number[] = [];
  for (let i = 0; i < t.rows; i++) if (mask[i]) xs.push(x(i));
  xs.sort((p, r) => p - r);
  return [
    { statistic: 'n', group: 'all', value: xs.length, suppressed: false },
    ...q.probs.map((p) => ({
      statistic: 'quantile',
      group: `p = ${p}`,
      value: quantileOfType(xs, p, q.quantileType),
      suppressed: false,
    })),
  ];
};

/** n, mean and sample variance of values. */
function moments(xs: readonly number[]): { n: number; mean: number; v: number } {
  const n = xs.length;
  const mean = xs.reduce((p, y) => p + y, 0) / n;
  const v = xs.reduce((p, y) => p + (y - mean) ** 2, 0) / (n - 1);
  return { n, mean, v };
}

const tTestReference: ReferenceImpl = (t, a) => {
  const tt = a as TTestAnalysis;
  const mask = referenceMask(t, a);
  const x = values(t, tt.column);
  const group = tTestGroup(tt);
  const row = (statistic: string, grp: string, value: number | null): ResultRow => ({
    statistic,
    group: grp,
    value,
    suppressed: false,
  });
  const tail = (estimate: number, se: number, tv: number, df: number): ResultRow[] => {
    const ci = tInterval(estimate, se, df, tt.confLevel);
    return [
      row('t', group, tv),
      row('df', group, df),
      row('p-value', group, studentTTwoSided(tv, df)),
      row('standard error', group, se),
      row('CI lower', group, ci.lower),
      row('CI upper', group, ci.upper),
    ];
  };
  if (tt.variant === 'one-sample' || tt.variant === 'paired') {
    const y = tt.paired ? values(t, tt.paired) : () => 0;
    const xs: number[] = [];
    for (let i = 0; i < t.rows; i++) if (mask[i]) xs.push(x(i) - y(i));
    const m = moments(xs);
    const se = Math.sqrt(m.v / m.n);
    return [
      row('n', 'all', m.n),
      row(tt.variant === 'paired' ? 'mean difference' : 'mean', group, m.mean),
      ...tail(m.mean, se, (m.mean - tt.mu) / se, m.n - 1),
    ];
  }
  const g = referenceGroups(t, tt.by);
  const [l1, l2] = tt.levels!;
  const [s1, s2] = [l1, l2].map((l) => {
    const k = g.labels.indexOf(`${tt.by} = ${l}`);
    const xs: number[] = [];
    for (let i = 0; i < t.rows; i++) if (mask[i] && g.of(i) === k) xs.push(x(i));
    return moments(xs);
  }) as [ReturnType<typeof moments>, ReturnType<typeof moments>];
  let se: number;
  let df: number;
  if (tt.variant === 'student') {
    df = s1.n + s2.n - 2;
    const pooled = ((s1.n - 1) * s1.v + (s2.n - 1) * s2.v) / df;
    se = Math.sqrt(pooled / s1.n + pooled / s2.n);
  } else {
    const a1 = s1.v / s1.n;
    const a2 = s2.v / s2.n;
    se = Math.sqrt(a1 + a2);
    df = (a1 + a2) ** 2 / (a1 ** 2 / (s1.n - 1) + a2 ** 2 / (s2.n - 1));
  }
  const d = s1.mean - s2.mean;
  return [
    row('n', `${tt.by} = ${l1}`, s1.n),
    row('n', `${tt.by} = ${l2}`, s2.n),
    row('mean', `${tt.by} = ${l1}`, s1.mean),
    row('mean', `${tt.by} = ${l2}`, s2.mean),
    ...tail(d, se, d / se, df),
  ];
};

const chiSquaredReference: ReferenceImpl = (t, a) => {
  const c = a as TableAnalysis;
  const mask = referenceMask(t, a);
  const R = referenceGroups(t, c.rows);
  const C = referenceGroups(t, c.cols);
  const O = R.labels.map(() => C.labels.map(() => 0));
  for (let i = 0; i < t.rows; i++)
    if (mask[i] && R.of(i) >= 0 && C.of(i) >= 0) O[R.of(i)]![C.of(i)]!++;
  const rowT = O.map((r) => r.reduce((p, q) => p + q, 0));
  const colT = C.labels.map((_, j) => O.reduce((p, r) => p + r[j]!, 0));
  const n = rowT.reduce((p, q) => p + q, 0);
  const yates = c.correct && R.labels.length === 2 && C.labels.length === 2;
  let x2 = 0;
  O.forEach((r, i) =>
    r.forEach((o, j) => {
      const e = (rowT[i]! * colT[j]!) / n;
      if (e > 0) x2 += (yates ? Math.max(0, Math.abs(o - e) - 0.5) : o - e) ** 2 / e;
    }),
  );
  const df = (rowT.filter((v) => v > 0).length - 1) * (colT.filter((v) => v > 0).length - 1);
  const group = `${c.rows} x ${c.cols}`;
  return [
    { statistic: 'X^2', group, value: x2, suppressed: false },
    { statistic: 'df', group, value: df, suppressed: false },
    { statistic: 'p-value', group, value: chiSquaredSf(x2, df), suppressed: false },
    ...R.labels.flatMap((rl, i) =>
      C.labels.map((cl, j) => ({
        statistic: 'expected',
        group: `${rl}, ${cl}`,
        value: (rowT[i]! * colT[j]!) / n,
        suppressed: false,
      })),
    ),
  ];
};

/** Per group and interval (t_(k-1), t_k]: at risk at its start and events in it, as the secure counts. */
function intervalCounts(t: Table, a: SurvivalAnalysis, study: Study, by: string | undefined) {
  const mask = referenceMask(t, a);
  const g = referenceGroups(t, by);
  const col = t.schema.columns.find((c) => c.name === a.time)!;
  const unit = col.type === 'decimal' ? 10 ** -col.scale : 1;
  const times = a.times ?? defaultTimes(study.schema, a);
  const time = t.columns.get(a.time)!.values;
  const ev = t.columns.get(a.event)!.values;
  const K = times.length;
  const n = g.labels.map(() => new Array<number>(K).fill(0));
  const d = g.labels.map(() => new Array<number>(K).fill(0));
  for (let i = 0; i < t.rows; i++) {
    const gi = g.of(i);
    if (!mask[i] || gi < 0) continue;
    for (let k = 0; k < K; k++) {
      const after = k === 0 || time[i]! > times[k - 1]!;
      if (!after) continue;
      n[gi]![k]!++;
      if (ev[i] && time[i]! <= times[k]!) d[gi]![k]!++;
    }
  }
  return { labels: g.labels, times, labelTimes: times.map((x) => x * unit), n, d };
}

const kaplanMeierReference: ReferenceImpl = (t, a, study) => {
  const k = a as SurvivalAnalysis;
  const display = k.times ?? defaultTimes(study.schema, k);
  const fine = everyTime(study.schema, k);
  const useFine = fine && display.every((x) => x >= fine[0]! && x <= fine[fine.length - 1]!);
  const c = intervalCounts(t, { ...k, times: useFine ? fine : display }, study, k.by);
  const col = t.schema.columns.find((x) => x.name === k.time)!;
  const unit = col.type === 'decimal' ? 10 ** -col.scale : 1;
  return c.labels.flatMap((group, gi) => {
    let s = 1;
    const S = c.times.map((_, j) => {
      const n = c.n[gi]![j]!;
      if (n > 0) s *= 1 - c.d[gi]![j]! / n;
      return s;
    });
    return display.map((tt, j) => {
      const idx = useFine ? tt - fine[0]! : j;
      return {
        statistic: 'S(t)',
        group: `${group}, t = ${tt * unit}`,
        value: S[idx]!,
        suppressed: false,
      };
    });
  });
};

const logRankReference: ReferenceImpl = (t, a, study) => {
  const k = a as SurvivalAnalysis;
  const c = intervalCounts(t, k, study, k.by);
  let o = 0;
  let e = 0;
  let v = 0;
  let o2 = 0;
  let e2 = 0;
  c.times.forEach((_, j) => {
    const n1 = c.n[0]![j]!;
    const n = n1 + c.n[1]![j]!;
    const d1 = c.d[0]![j]!;
    const d = d1 + c.d[1]![j]!;
    if (n === 0) return;
    o += d1;
    e += (d * n1) / n;
    o2 += d - d1;
    e2 += (d * (n - n1)) / n;
    if (n > 1) v += (d * (n1 / n) * (1 - n1 / n) * (n - d)) / (n - 1);
  });
  const x = (o - e) ** 2 / v;
  const mask = referenceMask(t, a);
  const g = referenceGroups(t, k.by);
  const counts = g.labels.map((_, gi) => {
    let m = 0;
    for (let i = 0; i < t.rows; i++) if (mask[i] && g.of(i) === gi) m++;
    return m;
  });
  const both = g.labels.join(' vs ');
  return [
    ...g.labels.map((group, i) => ({
      statistic: 'n',
      group,
      value: counts[i]!,
      suppressed: false,
    })),
    { statistic: 'observed events', group: g.labels[0]!, value: o, suppressed: false },
    { statistic: 'expected events', group: g.labels[0]!, value: e, suppressed: false },
    { statistic: 'observed events', group: g.labels[1]!, value: o2, suppressed: false },
    { statistic: 'expected events', group: g.labels[1]!, value: e2, suppressed: false },
    { statistic: 'X^2', group: both, value: x, suppressed: false },
    { statistic: 'p-value', group: both, value: chiSquaredSf(x, 1), suppressed: false },
  ];
};

/** Design matrix rows (with an intercept) of the records a model uses, and the names of its terms. */
function plainDesign(
  t: Table,
  a: RegressionAnalysis,
): { X: number[][]; y: number[]; terms: string[] } {
  const mask = referenceMask(t, a);
  const terms = ['(intercept)'];
  const getters: ((i: number) => number)[] = [];
  for (const name of a.predictors) {
    const c = t.schema.columns.find((x) => x.name === name)!;
    const v = t.columns.get(name)!.values;
    if (c.type === 'categorical')
      c.levels.slice(1).forEach((l, j) => {
        terms.push(`${name} = ${l}`);
        getters.push((i) => (v[i] === j + 1 ? 1 : 0));
      });
    else if (c.type === 'boolean') {
      terms.push(`${name} = true`);
      getters.push((i) => v[i]!);
    } else {
      terms.push(name);
      getters.push(values(t, name));
    }
  }
  const yv = values(t, a.outcome);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < t.rows; i++) {
    if (!mask[i]) continue;
    X.push([1, ...getters.map((g) => g(i))]);
    y.push(yv(i));
  }
  return { X, y, terms };
}

/** Solves A x = b (small, dense) by Gaussian elimination with partial pivoting; also returns A^-1. */
function solve(A: number[][], b: number[]): { x: number[]; inv: number[][] } {
  const p = A.length;
  const M = A.map((r, i) => [...r, b[i]!, ...A.map((_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[piv]![c]!)) piv = r;
    [M[c], M[piv]] = [M[piv]!, M[c]!];
    const d = M[c]![c]!;
    for (let k = 0; k < M[c]!.length; k++) M[c]![k]! /= d;
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = M[r]![c]!;
      for (let k = 0; k < M[r]!.length; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  return { x: M.map((r) => r[p]!), inv: M.map((r) => r.slice(p + 1)) };
}

/** X^T W X and X^T v for a design X (rows), weights w and vector v. */
function normal(X: number[][], w: (i: number) => number, v: (i: number) => number) {
  const p = X[0]?.length ?? 0;
  const A = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const b = new Array<number>(p).fill(0);
  X.forEach((row, i) => {
    const wi = w(i);
    const vi = v(i);
    for (let j = 0; j < p; j++) {
      b[j]! += row[j]! * vi;
      for (let k = 0; k < p; k++) A[j]![k]! += wi * row[j]! * row[k]!;
    }
  });
  return { A, b };
}

const logisticReference: ReferenceImpl = (t, a) => {
  const r = a as RegressionAnalysis;
  const { X, y, terms } = plainDesign(t, r);
  const p = terms.length;
  let beta = new Array<number>(p).fill(0);
  let inv: number[][] = [];
  const prob = (row: number[]) =>
    1 / (1 + Math.exp(-row.reduce((s2, x, j) => s2 + x * beta[j]!, 0)));
  // Newton-Raphson to convergence (R's glm does the same, IRLS).
  for (let it = 0; it < 50; it++) {
    const mu = X.map(prob);
    const { A, b } = normal(
      X,
      (i) => mu[i]! * (1 - mu[i]!),
      (i) => y[i]! - mu[i]!,
    );
    const step = solve(A, b);
    inv = step.inv;
    beta = beta.map((v, j) => v + step.x[j]!);
    if (Math.max(...step.x.map(Math.abs)) < 1e-12) break;
  }
  const mu = X.map(prob);
  inv = solve(
    normal(
      X,
      (i) => mu[i]! * (1 - mu[i]!),
      () => 0,
    ).A,
    new Array<number>(p).fill(0),
  ).inv;
  const loss =
    -y.reduce((s2, yi, i) => s2 + (yi ? Math.log(mu[i]!) : Math.log(1 - mu[i]!)), 0) / y.length;
  const rows: ResultRow[] = [{ statistic: 'n', group: 'all', value: y.length, suppressed: false }];
  const newton = r.learningRate === undefined;
  terms.forEach((term, j) => {
    rows.push({ statistic: 'coefficient', group: term, value: beta[j]!, suppressed: false });
    if (newton) {
      const se = Math.sqrt(inv[j]![j]!);
      rows.push({ statistic: 'standard error', group: term, value: se, suppressed: false });
      rows.push({
        statistic: 'p-value',
        group: term,
        value: 2 * normalCdf(-Math.abs(beta[j]! / se)),
        suppressed: false,
      });
    }
  });
  rows.push({
    statistic: 'loss',
    group: 'mean negative log-likelihood',
    value: loss,
    suppressed: false,
  });
  return rows;
};

const linearReference: ReferenceImpl = (t, a) => {
  const r = a as RegressionAnalysis;
  const { X, y, terms } = plainDesign(t, r);
  const p = terms.length;
  const { A, b } = normal(
    X,
    () => 1,
    (i) => y[i]!,
  );
  const { x: beta, inv } = solve(A, b);
  const fitted = X.map((row) => row.reduce((s2, v, j) => s2 + v * beta[j]!, 0));
  const rss = y.reduce((s2, yi, i) => s2 + (yi - fitted[i]!) ** 2, 0);
  const ybar = y.reduce((s2, v) => s2 + v, 0) / y.length;
  const tss = y.reduce((s2, v) => s2 + (v - ybar) ** 2, 0);
  const df = y.length - p;
  const sigma = Math.sqrt(rss / df);
  const rows: ResultRow[] = [{ statistic: 'n', group: 'all', value: y.length, suppressed: false }];
  terms.forEach((term, j) => {
    const se = sigma * Math.sqrt(inv[j]![j]!);
    rows.push({ statistic: 'coefficient', group: term, value: beta[j]!, suppressed: false });
    rows.push({ statistic: 'standard error', group: term, value: se, suppressed: false });
    rows.push({ statistic: 't', group: term, value: beta[j]! / se, suppressed: false });
    rows.push({
      statistic: 'p-value',
      group: term,
      value: studentTTwoSided(beta[j]! / se, df),
      suppressed: false,
    });
  });
  const r2 = 1 - rss / tss;
  const ft = linearModelTest(r2, y.length, p);
  const model = (statistic: string, value: number | null): ResultRow => ({
    statistic,
    group: 'model',
    value,
    suppressed: false,
  });
  rows.push(
    model('R^2', r2),
    model('sigma', sigma),
    model('adjusted R^2', ft.adjRSquared),
    model('residual df', df),
    model('F', ft.f),
    model('p-value', ft.pValue),
  );
  return rows;
};

const pairReference: ReferenceImpl = (t, a) => {
  const p = a as PairAnalysis;
  const mask = referenceMask(t, a);
  const fx = values(t, p.x);
  const fy = values(t, p.y);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < t.rows; i++)
    if (mask[i]) {
      xs.push(fx(i));
      ys.push(fy(i));
    }
  const n = xs.length;
  const mx = xs.reduce((s2, v) => s2 + v, 0) / n;
  const my = ys.reduce((s2, v) => s2 + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  const value = p.type === 'covariance' ? sxy / (n - 1) : sxy / Math.sqrt(sxx * syy);
  const group = `${p.x}, ${p.y}`;
  const row = (statistic: string, v: number | null): ResultRow => ({
    statistic,
    group,
    value: v,
    suppressed: false,
  });
  const rows = [{ statistic: 'n', group: 'all', value: n, suppressed: false }, row(p.type, value)];
  if (p.type === 'correlation') {
    const ct = correlationTest(value, n, p.confLevel);
    rows.push(
      row('t', ct.t),
      row('df', ct.df),
      row('p-value', ct.pValue),
      row('CI lower', ct.lower),
      row('CI upper', ct.upper),
    );
  }
  return rows;
};

/** Plaintext references of the same analyses on pooled data (demo and tests only). */
export const STATISTICS_REFERENCE: Partial<Record<AnalysisType, ReferenceImpl>> = {
  'logistic-regression': logisticReference,
  'linear-regression': linearReference,
  covariance: pairReference,
  correlation: pairReference,
  'kaplan-meier': kaplanMeierReference,
  'log-rank': logRankReference,
  't-test': tTestReference,
  'chi-squared': chiSquaredReference,
  variance: descriptiveReference,
  sd: descriptiveReference,
  min: descriptiveReference,
  max: descriptiveReference,
  median: descriptiveReference,
  quantiles: quantilesReference,
  ...METHODS_REFERENCE,
};
