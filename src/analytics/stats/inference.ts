/**
 * Inference in the clear on released values: confidence intervals, the F
 * test of a linear model, the correlation test and Kaplan-Meier confidence
 * bands. Every function here is plain double-precision arithmetic on numbers
 * that have already been revealed (a statistic, its standard error, a count),
 * so it adds no MPC rounds and reveals nothing more than its inputs.
 *
 * Each follows R: t.test's conf.int, summary.lm's adjusted R^2 and F
 * statistic, cor.test's t test and Fisher-z interval, and survfit's
 * conf.type = "log" bands from the Greenwood variance.
 */
import { fSf, normalQuantile, studentTQuantile, studentTTwoSided } from '../distributions.js';

/** Checks a confidence level in (0, 1). */
export function checkConfLevel(op: string, level: number): void {
  if (!(level > 0 && level < 1))
    throw new RangeError(`${op}: confidence level must be in (0, 1), got ${level}`);
}

/**
 * The two-sided t interval estimate -+ q se, q the (1 + level) / 2 quantile
 * of Student's t with df degrees of freedom (R's t.test conf.int).
 * Null bounds when df <= 0 or se is not finite.
 */
export function tInterval(
  estimate: number,
  se: number,
  df: number,
  level = 0.95,
): { lower: number | null; upper: number | null } {
  checkConfLevel('tInterval', level);
  if (!(df > 0) || !Number.isFinite(se) || !Number.isFinite(estimate))
    return { lower: null, upper: null };
  const q = studentTQuantile((1 + level) / 2, df);
  return { lower: estimate - q * se, upper: estimate + q * se };
}

/**
 * Adjusted R^2 and the overall F test of a linear model with an intercept,
 * from its R^2, records n and terms p (intercept included), as summary.lm:
 * adj = 1 - (1 - R^2)(n - 1)/(n - p); F = (R^2 / (p - 1)) / ((1 - R^2)/(n - p))
 * on p - 1 and n - p degrees of freedom. Nulls where undefined (n <= p, p < 2).
 */
export function linearModelTest(
  rSquared: number,
  n: number,
  p: number,
): {
  adjRSquared: number | null;
  f: number | null;
  df1: number;
  df2: number;
  pValue: number | null;
} {
  const df1 = p - 1;
  const df2 = n - p;
  if (!(df2 > 0) || !(df1 > 0)) return { adjRSquared: null, f: null, df1, df2, pValue: null };
  const adjRSquared = 1 - ((1 - rSquared) * (n - 1)) / df2;
  const resid = Math.max(0, 1 - rSquared);
  const f = resid > 0 ? rSquared / df1 / (resid / df2) : Infinity;
  return { adjRSquared, f, df1, df2, pValue: fSf(f, df1, df2) };
}

/**
 * Pearson's correlation test from r and n, as cor.test: t = r sqrt((n - 2) / (1 - r^2))
 * on n - 2 df, the two-sided p-value, and the interval
 * tanh(atanh(r) -+ z_((1 + level)/2) / sqrt(n - 3)) (Fisher's z; needs n >= 4).
 */
export function correlationTest(
  r: number,
  n: number,
  level = 0.95,
): {
  t: number | null;
  df: number;
  pValue: number | null;
  lower: number | null;
  upper: number | null;
} {
  checkConfLevel('correlationTest', level);
  const df = n - 2;
  const rc = Math.max(-1, Math.min(1, r));
  let t: number | null = null;
  let pValue: number | null = null;
  if (df > 0) {
    t = Math.abs(rc) < 1 ? rc * Math.sqrt(df / (1 - rc * rc)) : rc * Infinity;
    pValue = Number.isFinite(t) ? studentTTwoSided(t, df) : 0;
  }
  let lower: number | null = null;
  let upper: number | null = null;
  if (n >= 4) {
    const z = Math.atanh(rc);
    const h = normalQuantile((1 + level) / 2) / Math.sqrt(n - 3);
    lower = Math.tanh(z - h);
    upper = Math.tanh(z + h);
  }
  return { t, df, pValue, lower, upper };
}

/**
 * The pointwise confidence interval of a Kaplan-Meier estimate S with
 * Greenwood variance V of log S (V = sum d / (n (n - d))), as survfit's
 * default conf.type = "log": S exp(-+ z sqrt V), the upper bound capped at 1;
 * and the standard error of S, S sqrt V (summary.survfit's std.err). Null
 * standard error and bounds where S = 0 (R: NA).
 */
export function kaplanMeierBand(
  survival: number,
  greenwood: number,
  level = 0.95,
): { stdErr: number | null; lower: number | null; upper: number | null } {
  checkConfLevel('kaplanMeierBand', level);
  const v = Math.max(0, greenwood);
  const s = Math.max(0, survival);
  // Where S = 0 the variance of log S is infinite: R reports NA.
  if (s === 0) return { stdErr: null, lower: null, upper: null };
  const stdErr = s * Math.sqrt(v);
  const h = normalQuantile((1 + level) / 2) * Math.sqrt(v);
  return { stdErr, lower: s * Math.exp(-h), upper: Math.min(1, s * Math.exp(h)) };
}
