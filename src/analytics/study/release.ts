/**
 * What a study would release, for a data owner to read before approving it:
 * every value each analysis reveals, in words, with how many numbers that is,
 * the minimum cell size and differential privacy that protect it, and the
 * privacy budget the run spends. Derived from the study alone (no data, no
 * session), by following what the engine does for each analysis type:
 * counting.ts for counts and sums, statistics.ts for the rest, and spec.ts's
 * `spend` and `noisePlans` for the privacy cost. Output lines follow the order
 * of the rows the engine reports, group labels spelled as it spells them.
 *
 * Browser-safe: pure computation on the parsed study.
 */
import type { Column, Schema } from '../data/schema.js';
import { AnalysisContext } from './context.js';
import { histogramLabels } from './counting.js';
import { atLeast, fewerThan } from './wording.js';
import {
  MAX_RANK_VALUES,
  coxTimes,
  defaultTimes,
  rankRange,
  noisePlans,
  spend,
  type Analysis,
  type CoxAnalysis,
  type RegressionAnalysis,
  type Study,
  type SurvivalAnalysis,
} from './spec.js';

/** What one analysis reveals and what protects it. */
export interface ReleasedAnalysis {
  readonly id: string;
  readonly type: string;
  readonly title: string;
  /**
   * Every value that will be revealed, one line each in words, e.g.
   * "count of records with arm = A", "mean of recovery_days for arm = B",
   * "p-value of the Welch t-test". Group levels spelled out from the schema.
   */
  readonly outputs: readonly string[];
  /** Number of released numbers (cells): `outputs.length`. */
  readonly cells: number;
  /**
   * Smallest group size below which a value is suppressed; null when nothing
   * is suppressed (minCellSize 0: the engine then releases every value).
   */
  readonly minCellSize: number | null;
  /** Differential-privacy cost of this analysis (0 when it adds no noise), as `spend` charges it. */
  readonly epsilon: number;
  readonly delta: number;
  /** What protects small groups: 'suppression', 'noise', 'suppression+noise' or 'none'. */
  readonly protection: 'suppression' | 'noise' | 'suppression+noise' | 'none';
  /**
   * How the protection applies to this analysis and what else a reader should
   * know: the records used, which count decides suppression, the noise, and
   * values that follow from the released ones.
   */
  readonly notes: readonly string[];
}

/** What a whole study run releases and spends. */
export interface ReleaseSummary {
  readonly study: string;
  readonly parties: readonly string[];
  readonly suite: string | undefined;
  readonly minCellSize: number;
  /** What one run may spend, from privacy.budget; zero when the study declares none (no noise is then allowed). */
  readonly budget: { readonly epsilon: number; readonly delta: number };
  readonly analyses: readonly ReleasedAnalysis[];
  /** Sum of the cells; epsilon and delta exactly `spend(study.analyses)`. */
  readonly total: { readonly cells: number; readonly epsilon: number; readonly delta: number };
}

function columnOf(schema: Schema, name: string): Column {
  const c = schema.columns.find((x) => x.name === name);
  if (!c) throw new RangeError(`release: unknown column '${name}'`);
  return c;
}

/**
 * The group labels of a categorical or boolean column as the engine reports
 * them (AnalysisContext.groups): `arm = A`, `recovered = true`. A boolean
 * whose data spell it otherwise gets the spelling, so the owner recognises it.
 */
function groupLabels(schema: Schema, name: string): string[] {
  const c = columnOf(schema, name);
  if (c.type === 'categorical') return c.levels.map((l) => `${name} = ${l}`);
  if (c.type === 'boolean')
    return (['false', 'true'] as const).map((v) =>
      c.labels[v] === v ? `${name} = ${v}` : `${name} = ${v} ("${c.labels[v]}" in the data)`,
    );
  throw new RangeError(`release: column '${name}' is ${c.type}, not categorical or boolean`);
}

/** "for arm = A" per group, or one empty suffix for an analysis over all records. */
function perGroup(schema: Schema, by: string | undefined): string[] {
  return by ? groupLabels(schema, by).map((g) => ` for ${g}`) : [''];
}

/** Model terms in the engine's order: the intercept, numeric predictors, then dummies against each first level. */
function terms(schema: Schema, a: RegressionAnalysis): string[] {
  const out = ['(intercept)'];
  for (const name of a.predictors) {
    const c = columnOf(schema, name);
    if (c.type === 'categorical') out.push(...c.levels.slice(1).map((l) => `${name} = ${l}`));
    else if (c.type === 'boolean') out.push(`${name} = true`);
    else out.push(name);
  }
  return out;
}

/** The reported time points of a survival analysis in the column's units (as statistics.ts labels them). */
function timeValues(schema: Schema, a: SurvivalAnalysis): number[] {
  const c = columnOf(schema, a.time);
  const unit = c.type === 'decimal' ? 10 ** -c.scale : 1;
  return (a.times ?? defaultTimes(schema, a)).map((t) => t * unit);
}

const LOG_RANK_GROUPS = 2;

/** The number of time points a Cox regression counts on (statistics.ts, coxTimes). */
function coxTimeCount(schema: Schema, a: CoxAnalysis): number {
  return coxTimes(schema, a).length;
}

/** The released values of one analysis, in words, in the order of the engine's rows. */
function outputsOf(schema: Schema, a: Analysis): string[] {
  switch (a.type) {
    case 'count':
      return a.by
        ? groupLabels(schema, a.by).map((g) => `count of records with ${g}`)
        : ['count of records'];
    case 'sum':
    case 'mean':
    case 'rate':
    case 'variance':
    case 'sd':
    case 'min':
    case 'max':
    case 'median': {
      const stat = {
        sum: `sum of ${a.column}`,
        mean: `mean of ${a.column}`,
        rate: `rate of ${a.column} (share of records where it is true)`,
        variance: `variance of ${a.column} (divisor n - 1)`,
        sd: `standard deviation of ${a.column} (divisor n - 1)`,
        min: `minimum of ${a.column}`,
        max: `maximum of ${a.column}`,
        median: `median of ${a.column}`,
      }[a.type];
      // variance and sd report the mean beside them (statistics.ts, descriptive).
      const withMean = a.type === 'variance' || a.type === 'sd';
      const counts = a.by ? groupLabels(schema, a.by).map((g) => ` with ${g}`) : [''];
      return perGroup(schema, a.by).flatMap((g, i) => [
        `count of records${counts[i]!}`,
        ...(withMean ? [`mean of ${a.column}${g}`] : []),
        `${stat}${g}`,
      ]);
    }
    case 'quantiles':
      return [
        'count of records used',
        ...a.probs.map((p) => `quantile p = ${p} of ${a.column} (R type ${a.quantileType})`),
      ];
    case 'histogram': {
      const c = columnOf(schema, a.column);
      const bins = a.edges
        ? histogramLabels(c, a.edges).map((b) => `${a.column} in ${b}`)
        : groupLabels(schema, a.column);
      return bins.map((b) => `count of records with ${b}`);
    }
    case 'crosstab': {
      const cols = groupLabels(schema, a.cols);
      return groupLabels(schema, a.rows).flatMap((r) =>
        cols.map((c) => `count of records with ${r} and ${c}`),
      );
    }
    case 'chi-squared': {
      const rows = groupLabels(schema, a.rows);
      const cols = groupLabels(schema, a.cols);
      const yates = a.correct && rows.length === 2 && cols.length === 2;
      return [
        `Pearson chi-squared statistic X^2 of ${a.rows} x ${a.cols}${yates ? " (Yates' correction)" : ''}`,
        'degrees of freedom of the chi-squared test',
        'p-value of the chi-squared test',
        ...rows.flatMap((r) =>
          cols.map((c) => `expected count of records with ${r} and ${c} under independence`),
        ),
      ];
    }
    case 'covariance':
      return ['count of records used', `sample covariance of ${a.x} and ${a.y} (divisor n - 1)`];
    case 'correlation': {
      const pct = `${+(a.confLevel * 100).toPrecision(6)}%`;
      return [
        'count of records used',
        `Pearson correlation of ${a.x} and ${a.y}`,
        't statistic of the correlation test',
        'degrees of freedom of the correlation test (n - 2)',
        'p-value of the correlation test (two-sided)',
        `lower bound of the ${pct} confidence interval of the correlation (Fisher's z)`,
        `upper bound of the ${pct} confidence interval of the correlation (Fisher's z)`,
      ];
    }
    case 'linear-regression':
      return [
        'count of records used',
        ...terms(schema, a).flatMap((t) => [
          `coefficient of ${t}`,
          `standard error of the coefficient of ${t}`,
          `t value of the coefficient of ${t}`,
          `p-value of the coefficient of ${t} (t test)`,
        ]),
        'R^2 of the model',
        'residual standard error (sigma) of the model',
        'adjusted R^2 of the model',
        'residual degrees of freedom of the model',
        'F statistic of the model',
        'p-value of the F test of the model',
      ];
    case 'logistic-regression': {
      // Gradient descent (learningRate set) reports coefficients only; Newton adds standard errors and p-values.
      const newton = a.learningRate === undefined;
      return [
        'count of records used',
        ...terms(schema, a).flatMap((t) => [
          `coefficient (log odds ratio) of ${t}`,
          ...(newton
            ? [
                `standard error of the coefficient of ${t}`,
                `p-value of the coefficient of ${t} (Wald test)`,
              ]
            : []),
        ]),
        'mean negative log-likelihood (loss) of the model',
      ];
    }
    case 't-test': {
      const test = {
        welch: 'Welch t-test',
        student: "Student's t-test",
        paired: 'paired t-test',
        'one-sample': 'one-sample t-test',
      }[a.variant];
      const pct = `${+(a.confLevel * 100).toPrecision(6)}%`;
      const tail = (what: string, of: string) => [
        `t statistic of the ${test} (${what})`,
        `degrees of freedom of the ${test}`,
        `p-value of the ${test} (two-sided)`,
        `standard error of ${of}`,
        `lower bound of the ${pct} confidence interval of ${of}`,
        `upper bound of the ${pct} confidence interval of ${of}`,
      ];
      if (a.variant === 'one-sample')
        return [
          'count of records used',
          `mean of ${a.column}`,
          ...tail(`mean of ${a.column} vs mu = ${a.mu}`, `the mean of ${a.column}`),
        ];
      if (a.variant === 'paired') {
        const diff = `${a.column} - ${a.paired}`;
        return [
          'count of records used',
          `mean difference ${diff}`,
          ...tail(`mean of ${diff} vs mu = ${a.mu}`, `the mean difference ${diff}`),
        ];
      }
      const [l1, l2] = a.levels!;
      const [g1, g2] = [l1, l2].map((l) => `${a.by} = ${l}`) as [string, string];
      return [
        `count of records with ${g1}`,
        `count of records with ${g2}`,
        `mean of ${a.column} for ${g1}`,
        `mean of ${a.column} for ${g2}`,
        ...tail(`${a.column}, ${l1} - ${l2}`, `the difference of means (${l1} - ${l2})`),
      ];
    }
    case 'kaplan-meier': {
      const groups = a.by ? groupLabels(schema, a.by) : ['all records'];
      const times = timeValues(schema, a);
      // The report's rows are the curves; the curves also carry the number at risk at each point.
      const at = (what: string) =>
        groups.flatMap((g) => times.map((t) => `${what} at ${a.time} = ${t} for ${g}`));
      const pct = `${+(a.confLevel * 100).toPrecision(6)}%`;
      return [
        ...at('survival probability S(t)'),
        ...at('number at risk'),
        ...at('number of events since the previous time point'),
        ...at('standard error of S(t) (Greenwood)'),
        ...at(`lower bound of the ${pct} confidence band of S(t)`),
        ...at(`upper bound of the ${pct} confidence band of S(t)`),
      ];
    }
    case 'log-rank': {
      const groups = groupLabels(schema, a.by!);
      if (groups.length !== LOG_RANK_GROUPS) return [];
      return [
        `count of records with ${groups[0]}`,
        `count of records with ${groups[1]}`,
        `observed events (${a.event}) for ${groups[0]}`,
        `expected events (${a.event}) for ${groups[0]} if survival did not differ`,
        `observed events (${a.event}) for ${groups[1]}`,
        `expected events (${a.event}) for ${groups[1]} if survival did not differ`,
        `log-rank chi-squared statistic X^2 (${groups[0]} vs ${groups[1]})`,
        'p-value of the log-rank test (chi-squared, 1 df)',
      ];
    }
    case 'anova': {
      const groups = groupLabels(schema, a.by);
      return [
        ...groups.map((g) => `count of records with ${g}`),
        ...groups.map((g) => `mean of ${a.column} for ${g}`),
        `F statistic of the one-way ANOVA of ${a.column} by ${a.by}`,
        'between-groups degrees of freedom (levels with records - 1)',
        'within-groups degrees of freedom (records - levels with records)',
        'p-value of the F test',
      ];
    }
    case 'mann-whitney': {
      const [g1, g2] = a.levels.map((l) => `${a.by} = ${l}`) as [string, string];
      return [
        `count of records with ${g1}`,
        `count of records with ${g2}`,
        `Wilcoxon rank-sum statistic W of ${a.column} (${g1} vs ${g2}, as R's wilcox.test)`,
        'p-value of the rank-sum test (two-sided)',
      ];
    }
    case 'cox':
      return [
        'count of records used',
        'count of events',
        ...coxTerms(schema, a).flatMap((t) => [
          `coefficient (log hazard ratio) of ${t}`,
          `standard error of the coefficient of ${t}`,
          `hazard ratio of ${t}`,
          `lower 95% confidence limit of the hazard ratio of ${t}`,
          `upper 95% confidence limit of the hazard ratio of ${t}`,
          `p-value of the coefficient of ${t} (Wald test)`,
        ]),
        'Wald chi-squared statistic of the model',
        'likelihood-ratio chi-squared statistic of the model',
        'score (log-rank) chi-squared statistic of the model',
        'degrees of freedom of the model tests (number of terms)',
        'p-value of the Wald test',
        'p-value of the likelihood-ratio test',
        'p-value of the score test',
      ];
  }
}

/** Cox model terms in the engine's order: each predictor's dummies against its first level, or the integer itself. */
export function coxTerms(schema: Schema, a: CoxAnalysis): string[] {
  return a.predictors.flatMap((name) => {
    const c = columnOf(schema, name);
    if (c.type === 'categorical') return c.levels.slice(1).map((l) => `${name} = ${l}`);
    if (c.type === 'boolean') return [`${name} = true`];
    return [name];
  });
}

/**
 * Which count decides suppression, per type, as statistics.ts and counting.ts
 * pass it to releaseGuarded; `k` is the minimum cell size (> 0).
 */
function suppressionRule(schema: Schema, a: Analysis, k: number): string {
  const each = `a group's values are withheld when it has ${fewerThan(k)}`;
  switch (a.type) {
    case 'count':
    case 'sum':
    case 'mean':
    case 'rate':
    case 'variance':
    case 'sd':
    case 'min':
    case 'max':
    case 'median':
      return a.by ? each : `withheld when ${fewerThan(k)} are used`;
    case 'histogram':
    case 'crosstab':
      return `a cell is withheld when it has ${fewerThan(k)}`;
    case 'quantiles':
    case 'covariance':
    case 'correlation':
      return `withheld when ${fewerThan(k)} are used`;
    case 'chi-squared':
      return `everything is withheld unless every cell of the ${groupLabels(schema, a.rows).length} x ${groupLabels(schema, a.cols).length} table ${a.rows} x ${a.cols} has ${atLeast(k)}`;
    case 't-test':
      return a.variant === 'welch' || a.variant === 'student'
        ? `each group's count is withheld when below ${k}; the means, t, df, p-value, standard error and confidence interval are withheld unless both groups have ${atLeast(k)}`
        : `withheld when ${fewerThan(k)} are used`;
    case 'log-rank':
      return `each group's count is withheld when below ${k}; the other values are withheld unless both groups have ${atLeast(k)}`;
    case 'anova':
      return `each group's count is withheld when below ${k}; the means, F, df and p-value are withheld unless every level of ${a.by} has ${atLeast(k)}`;
    case 'mann-whitney':
      return `each group's count is withheld when below ${k}; W and the p-value are withheld unless both groups have ${atLeast(k)}`;
    case 'cox': {
      const grouping = [...a.predictors, ...(a.strata ? [a.strata] : [])].filter((p) => {
        const t = columnOf(schema, p).type;
        return t === 'categorical' || t === 'boolean';
      });
      return `everything is withheld unless there are at least ${k} events${grouping.length > 0 ? ` and every level of ${grouping.join(', ')} has ${atLeast(k)}` : ''}`;
    }
    case 'kaplan-meier':
      return `each point of a curve (S(t), the number at risk, the standard error and the band) is withheld when ${fewerThan(k)} of that group are still at risk there, except that S(t) is shown as 0 after a released point where it is 0; a number of events is withheld when below ${k}`;
    case 'linear-regression': {
      const grouping = a.predictors.filter((p) => {
        const t = columnOf(schema, p).type;
        return t === 'categorical' || t === 'boolean';
      });
      return grouping.length > 0
        ? `everything is withheld unless every level of ${grouping.join(', ')} has ${atLeast(k)}`
        : `everything is withheld when ${fewerThan(k)} are used`;
    }
    case 'logistic-regression': {
      const grouping = a.predictors.filter((p) => {
        const t = columnOf(schema, p).type;
        return t === 'categorical' || t === 'boolean';
      });
      return `everything is withheld unless both outcomes of ${a.outcome}${grouping.length > 0 ? ` and every level of ${grouping.join(', ')}` : ''} have ${atLeast(k)}`;
    }
  }
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4))));

/** Notes for one analysis: records used, suppression, noise, and values implied by the released ones. */
function notesOf(study: Study, a: Analysis): string[] {
  const schema = study.schema;
  const k = study.privacy.minCellSize;
  const out: string[] = [];
  if (a.where.length > 0)
    out.push(`only records where ${a.where.map((w) => w.text).join(' and ')}`);
  const missing = [...new Set(AnalysisContext.columnsOf(a))].filter(
    (c) => columnOf(schema, c).missing === 'allow',
  );
  if (missing.length > 0)
    out.push(`records with a missing ${missing.join(' or ')} are left out (complete cases)`);
  if (a.type === 'log-rank') {
    const g = groupLabels(schema, a.by!).length;
    if (g !== LOG_RANK_GROUPS)
      out.push(
        `'${a.by}' has ${g} levels but the log-rank test compares two: the run stops with an error at this analysis (after releasing the analyses before it) and releases nothing for it`,
      );
    else out.push(`computed on ${timeValues(schema, a).length} time points of ${a.time}`);
  }
  out.push(k > 0 ? suppressionRule(schema, a, k) : 'no suppression (minimum cell size 0)');
  if (a.dp && k > 0)
    out.push('under differential privacy the record counts compared with k are the noisy ones');
  if (a.dp) {
    const plans = noisePlans(schema, a);
    const what = plans.map(
      (p) =>
        `discrete Laplace noise of scale ${fmt(p.plan.scale)} on each ${p.role === 'count' ? 'count' : `sum of ${'column' in a ? a.column : ''}`} (${p.samples} value${p.samples === 1 ? '' : 's'})`,
    );
    out.push(
      `differential privacy (epsilon ${a.dp.epsilon}, delta ${a.dp.delta}): ${what.join('; ')}, drawn inside MPC${plans.length > 1 ? '; epsilon split in half between counts and sums' : ''}`,
    );
  }
  switch (a.type) {
    case 'mean':
    case 'rate':
      // The engine opens the count and the sum; the ratio is computed in the clear.
      out.push(
        `the engine opens each count and the sum of ${a.column}; the sum is count x ${a.type}, so it is released too`,
      );
      break;
    case 't-test':
      out.push(
        'the p-value and the confidence interval are computed in the clear from the released estimate, standard error and df',
      );
      break;
    case 'chi-squared':
      out.push(
        "the p-value is computed in the clear from the released statistic and df; the expected counts reveal the table's row and column totals",
      );
      break;
    case 'correlation':
      out.push(
        'the t statistic, p-value and confidence interval are computed in the clear from the released correlation and count',
      );
      break;
    case 'log-rank':
      out.push('the p-value is computed in the clear from the released X^2');
      break;
    case 'kaplan-meier':
      out.push(
        'the confidence bands are computed in the clear from the released S(t) and its Greenwood variance',
      );
      break;
    case 'anova':
      out.push('the p-value is computed in the clear from the released F and df');
      break;
    case 'mann-whitney': {
      const [lo, hi] = rankRange(columnOf(schema, a.column));
      out.push(
        `${hi - lo + 1 <= MAX_RANK_VALUES ? `each party counts its own records per value of ${a.column} and group and inputs the counts` : `the records are sorted by ${a.column} inside MPC (it takes more than ${MAX_RANK_VALUES} values)`}; the engine also opens the tie correction sum(t^3 - t) over the values, which the p-value determines anyway; the p-value is computed in the clear (exact when both groups have fewer than 50 records and there are no ties, as R)`,
      );
      break;
    }
    case 'cox':
      out.push(
        `computed on ${coxTimeCount(schema, a)} time points of ${a.time}: each party counts its own records at risk and events per interval, stratum and combination of predictor values and inputs the counts; they are never opened`,
        'hazard ratios, their confidence limits and the p-values are computed in the clear from the released coefficients, standard errors and statistics; whether the fit converged (one bit) is also opened',
      );
      break;
    case 'linear-regression':
      out.push(
        'the t values, p-values, adjusted R^2 and F test are computed in the clear from the released coefficients, standard errors, R^2 and count',
      );
      break;
    case 'logistic-regression':
      if (a.learningRate === undefined)
        out.push('p-values are computed in the clear from the coefficients and standard errors');
      break;
    default:
      break;
  }
  return out;
}

/**
 * What each analysis of a study releases, and what the run spends of the
 * privacy budget. Pure: reads only the study (its schema fixes the groups).
 * @example
 *   console.log(formatReleaseSummary(releaseSummary(parseStudyText(text, 'study.yaml'))));
 */
export function releaseSummary(study: Study): ReleaseSummary {
  const k = study.privacy.minCellSize;
  const analyses = study.analyses.map((a): ReleasedAnalysis => {
    const noise = a.dp !== undefined;
    // Under dp every released value is a noisy count or sum, or a ratio of them.
    const outputs = outputsOf(study.schema, a).map((o) => (noise ? `${o} (with DP noise)` : o));
    return {
      id: a.id,
      type: a.type,
      title: a.title,
      outputs,
      cells: outputs.length,
      // Every analysis type goes through releaseGuarded with the study's k; k = 0 releases everything.
      minCellSize: k > 0 ? k : null,
      epsilon: a.dp?.epsilon ?? 0,
      delta: a.dp?.delta ?? 0,
      protection: k > 0 ? (noise ? 'suppression+noise' : 'suppression') : noise ? 'noise' : 'none',
      notes: notesOf(study, a),
    };
  });
  const spent = spend(study.analyses);
  return {
    study: study.name,
    parties: study.parties.map((p) => p.id),
    // eslint-disable-next-line no-restricted-syntax -- the spec's suite name
    suite: study.suite,
    minCellSize: k,
    // Without a declared budget the runner refuses any analysis with noise: the run may spend nothing.
    budget: study.privacy.budget
      ? { epsilon: study.privacy.budget.epsilon, delta: study.privacy.budget.delta }
      : { epsilon: 0, delta: 0 },
    analyses,
    total: {
      cells: analyses.reduce((s, a) => s + a.cells, 0),
      epsilon: spent.epsilon,
      delta: spent.delta,
    },
  };
}

/** ε and δ for people: 0, plain decimals, or e-notation for small values (sums trimmed of float noise). */
function num(x: number): string {
  if (x === 0) return '0';
  const y = Number(x.toPrecision(12));
  return Math.abs(y) < 1e-3 ? y.toExponential() : String(y);
}

/**
 * The summary as plain text for a terminal: a table of the analyses with
 * their cells, k, ε, δ and protection, the totals against the budget, then
 * one block per analysis listing every released value and its notes.
 */
export function formatReleaseSummary(s: ReleaseSummary): string {
  const out: string[] = [
    `What this study releases: ${s.study}`,
    // eslint-disable-next-line no-restricted-syntax -- the release summary's suite name
    `parties: ${s.parties.join(', ')}; suite: ${s.suite ?? "not set (the runner's default)"}`,
    `minimum cell size k = ${s.minCellSize}${s.minCellSize === 0 ? ' (no suppression)' : ''}`,
    s.budget.epsilon > 0
      ? `privacy budget per run: epsilon ${num(s.budget.epsilon)}, delta ${num(s.budget.delta)}`
      : 'privacy budget per run: none declared (no analysis may add noise)',
    '',
  ];
  const header = ['#', 'id', 'type', 'cells', 'k', 'epsilon', 'delta', 'protection'];
  const rows = s.analyses.map((a, i) => [
    String(i + 1),
    a.id,
    a.type,
    String(a.cells),
    a.minCellSize === null ? '-' : String(a.minCellSize),
    num(a.epsilon),
    num(a.delta),
    a.protection,
  ]);
  const total = [
    '',
    'total',
    '',
    String(s.total.cells),
    '',
    num(s.total.epsilon),
    num(s.total.delta),
    '',
  ];
  const widths = header.map((h, j) =>
    Math.max(h.length, ...[...rows, total].map((r) => r[j]!.length)),
  );
  // Numbers right-aligned, text left-aligned.
  const right = new Set([0, 3, 4, 5, 6]);
  const line = (r: readonly string[]) =>
    r
      .map((c, j) => (right.has(j) ? c.padStart(widths[j]!) : c.padEnd(widths[j]!)))
      .join('  ')
      .trimEnd();
  out.push(line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line));
  out.push(line(widths.map((w) => '-'.repeat(w))), line(total));
  if (
    s.total.epsilon > s.budget.epsilon * (1 + 1e-12) ||
    s.total.delta > s.budget.delta * (1 + 1e-12)
  )
    out.push('OVER BUDGET: the runner refuses this study; nothing would be computed.');
  out.push('');
  s.analyses.forEach((a, i) => {
    out.push(
      `${i + 1}. ${a.title} [${a.id}, ${a.type}]: ${a.cells} value${a.cells === 1 ? '' : 's'}`,
    );
    for (const o of a.outputs) out.push(`   - ${o}`);
    for (const n of a.notes) out.push(`   note: ${n}`);
    out.push('');
  });
  out.push(
    'Also public in every run: each party\'s row count, and which values were suppressed (a value is "suppressed" or shown, never the count behind it).',
  );
  return out.join('\n');
}
