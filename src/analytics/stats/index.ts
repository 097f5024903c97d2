/**
 * Entente's secure statistics library: descriptive statistics, group-by and
 * contingency tables, correlation and regression, hypothesis tests and
 * survival analysis over secret columns. Every function returns secrets;
 * the reveal helpers open a test's statistic and compute its p-value in the
 * clear. See docs/ANALYTICS.md (section Statistics) for the precision and
 * cost of each function.
 */
export { DEFAULT_FRAC, type Column, type ResultOptions, type RowOptions } from './common.js';
export {
  count,
  histogram,
  max,
  mean,
  median,
  min,
  quantile,
  sd,
  sum,
  summary,
  variance,
  type QuantileOptions,
  type Summary,
} from './describe.js';
export { crosstab, cut, groupBy, oneHot, type GroupResult } from './groups.js';
export {
  chiSquaredPValue,
  chiSquaredTest,
  oneSampleTTest,
  pairedTTest,
  revealChiSquared,
  revealTTest,
  studentTTest,
  tTestPValue,
  welchTTest,
  type ChiSquaredTest,
  type OneSampleTTest,
  type TTest,
} from './hypothesis.js';
export { correlationTest, kaplanMeierBand, linearModelTest, tInterval } from './inference.js';
export {
  cor,
  cov,
  linearRegression,
  logisticRegression,
  type LinearModel,
  type LogisticModel,
  type LogisticOptions,
} from './regression.js';
export { kaplanMeier, logRank, revealLogRank, type KaplanMeier, type LogRank } from './survival.js';
export { anovaPValue, fDistSf, oneWayAnova, revealAnova, type Anova } from './anova.js';
export {
  mannWhitney,
  mannWhitneyFromCounts,
  mannWhitneyPValue,
  mannWhitneySorted,
  revealMannWhitney,
  valueCounts,
  wilcoxCdf,
  type MannWhitney,
  type MannWhitneyResult,
} from './ranks.js';
export {
  coxFromCounts,
  coxSummary,
  localCoxCounts,
  revealCox,
  type CoxDesign,
  type CoxModel,
  type CoxOptions,
  type CoxResult,
} from './cox.js';
