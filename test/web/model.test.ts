/**
 * What the Results page derives from a released outcome (web/src/model.ts),
 * without a browser: regression intervals against R's confint, t-test and
 * correlation estimates, Kaplan-Meier points and bands, and the CSV's curve
 * columns, including withheld values and fields that need quoting.
 */
import { describe, expect, it } from 'vitest';
import type {
  AnalysisOutcome,
  ResultRow,
  StudyOutcome,
  SurvivalCurve,
} from '../../src/analytics/study/result.js';
import {
  correlationEstimate,
  pValues,
  regressionTerms,
  survivalPoints,
  toCsv,
  tTestParts,
  Z95,
} from '../../web/src/model.js';

function analysis(
  id: string,
  type: string,
  rows: ResultRow[],
  curves?: SurvivalCurve[],
): AnalysisOutcome {
  return {
    id,
    type,
    title: `the ${id}, "quoted", with commas`,
    rows,
    curves,
    notes: [],
    seconds: 0,
    rounds: 0,
    bytesSent: 0,
  };
}

const row = (statistic: string, group: string, value: number | null, precision?: string) => ({
  statistic,
  group,
  value,
  suppressed: value === null,
  precision,
});

/** R: summary(lm(dist ~ speed, data = cars)), as released rows. */
const CARS = analysis('cars', 'linear-regression', [
  row('n', 'all', 50),
  row('coefficient', '(intercept)', -17.579095),
  row('standard error', '(intercept)', 6.75844),
  row('t', '(intercept)', -2.601058),
  row('p-value', '(intercept)', 0.01231882),
  row('coefficient', 'speed', 3.932409),
  row('standard error', 'speed', 0.4155128),
  row('t', 'speed', 9.46399),
  row('p-value', 'speed', 1.489836e-12),
  row('R^2', 'model', 0.6510794),
  row('residual df', 'model', 48),
  row('F', 'model', 89.56711),
  row('p-value', 'model', 1.489836e-12),
]);

describe('regressionTerms', () => {
  it("gives R's confint(lm(dist ~ speed, cars)) from the released rows, model rows apart", () => {
    const r = regressionTerms(CARS)!;
    expect(r.df).toBe(48);
    expect(r.terms.map((t) => t.term)).toEqual(['(intercept)', 'speed']);
    // R: confint(lm(dist ~ speed, data = cars))
    expect(r.terms[0]!.lower).toBeCloseTo(-31.16785, 4);
    expect(r.terms[0]!.upper).toBeCloseTo(-3.99034, 4);
    expect(r.terms[1]!.lower).toBeCloseTo(3.096964, 5);
    expect(r.terms[1]!.upper).toBeCloseTo(4.767853, 5);
  });

  it('uses the normal quantile without a residual df, and no interval for a withheld term', () => {
    const logit = analysis('logit', 'logistic-regression', [
      row('coefficient', '(intercept)', 0.5),
      row('standard error', '(intercept)', 0.25),
      row('coefficient', 'age', null),
      row('standard error', 'age', null),
    ]);
    const r = regressionTerms(logit)!;
    expect(r.df).toBeNull();
    expect(r.quantile).toBe(Z95);
    expect(r.terms[0]).toMatchObject({ lower: 0.5 - Z95 * 0.25, upper: 0.5 + Z95 * 0.25 });
    expect(r.terms[1]).toMatchObject({ coefficient: null, lower: null, suppressed: true });
    expect(regressionTerms(analysis('c', 'count', []))).toBeNull();
  });

  it("labels a model's own p-value as its F test", () => {
    const o = { analyses: [CARS] } as unknown as StudyOutcome;
    expect(pValues(o).map((p) => p.test)).toEqual([
      `${CARS.title}: (intercept)`,
      `${CARS.title}: speed`,
      `${CARS.title}: F test`,
    ]);
  });
});

describe('tTestParts and correlationEstimate', () => {
  const ci = '90% confidence interval, computed in the clear from the revealed estimate, se and df';

  it('a two-sample test: the means as bars, their difference with the released interval', () => {
    const t = tTestParts(
      analysis('t', 't-test', [
        row('n', 'arm = A', 40),
        row('n', 'arm = B', 50),
        row('mean', 'arm = A', 13.5),
        row('mean', 'arm = B', 12.25),
        row('t', 'A - B', 2.1),
        row('CI lower', 'A - B', 0.25, ci),
        row('CI upper', 'A - B', 2.25, ci),
      ]),
    )!;
    expect(t.means.map((m) => [m.group, m.value])).toEqual([
      ['arm = A', 13.5],
      ['arm = B', 12.25],
    ]);
    expect(t.estimate).toEqual({ label: 'A - B', value: 1.25, lower: 0.25, upper: 2.25 });
    expect(t.level).toBe('90%');
  });

  it('a one-sample test: the mean itself; withheld rows give no numbers', () => {
    const one = tTestParts(
      analysis('t1', 't-test', [
        row('n', 'all', 30),
        row('mean', 'before', 4.5),
        row('CI lower', 'before', 4, ci.replace('90%', '99.5%')),
        row('CI upper', 'before', 5, ci.replace('90%', '99.5%')),
      ]),
    )!;
    expect(one.means).toEqual([]);
    expect(one.estimate).toEqual({ label: 'before', value: 4.5, lower: 4, upper: 5 });
    expect(one.level).toBe('99.5%');
    const withheld = tTestParts(
      analysis('t2', 't-test', [
        row('mean', 'arm = A', null),
        row('mean', 'arm = B', 2),
        row('CI lower', 'A - B', null),
        row('CI upper', 'A - B', null),
      ]),
    )!;
    expect(withheld.estimate).toEqual({ label: 'A - B', value: null, lower: null, upper: null });
    expect(withheld.level).toBeNull();
  });

  it("a correlation's r with its interval", () => {
    const c = correlationEstimate(
      analysis('r', 'correlation', [
        row('n', 'all', 100),
        row('correlation', 'age, weight', 0.3),
        row('CI lower', 'age, weight', 0.11, '95% confidence interval by Fisher z'),
        row('CI upper', 'age, weight', 0.47, '95% confidence interval by Fisher z'),
      ]),
    )!;
    expect(c).toEqual({
      estimate: { label: 'age, weight', value: 0.3, lower: 0.11, upper: 0.47 },
      level: '95%',
    });
    expect(correlationEstimate(analysis('cov', 'covariance', []))).toBeNull();
  });
});

describe('Kaplan-Meier points and the CSV', () => {
  const curves: SurvivalCurve[] = [
    {
      group: 'arm = A',
      times: [30, 90, 180],
      survival: [0.9, 0.8, null],
      atRisk: [90, 70, null],
      events: [10, null, null],
      stdErr: [0.03, 0.04, null],
      lower: [0.84, 0.72, null],
      upper: [0.96, 0.88, null],
      confLevel: 0.9,
    },
    {
      group: 'arm = B',
      times: [30, 90, 180],
      survival: [0.95, 0.85, 0.7],
      atRisk: [100, 80, 60],
      events: [5, 10, 12],
      stdErr: [0.02, 0.035, 0.05],
      lower: [0.91, 0.79, 0.61],
      upper: [0.99, 0.91, 0.8],
      confLevel: 0.9,
    },
  ];
  const km = analysis(
    'km',
    'kaplan-meier',
    curves.flatMap((c) =>
      c.times.map((t, i) => row('S(t)', `${c.group}, t = ${t}`, c.survival[i]!)),
    ),
    curves,
  );

  it('starts each curve at 1, stops at its first withheld point, and keeps band and level', () => {
    const sp = survivalPoints(km);
    expect(sp.groups).toEqual(['arm = A', 'arm = B']);
    expect(sp.bands).toBe(true);
    expect(sp.confLevel).toBe(0.9);
    const a = sp.points.filter((p) => p.group === 'arm = A');
    expect(a.map((p) => [p.time, p.survival, p.lower, p.upper])).toEqual([
      [0, 1, 1, 1],
      [30, 0.9, 0.84, 0.96],
      [90, 0.8, 0.72, 0.88],
    ]);
    expect(sp.points.filter((p) => p.group === 'arm = B').length).toBe(4);
    const bare = survivalPoints(
      analysis('bare', 'kaplan-meier', [], [{ group: 'all', times: [1], survival: [0.5] }]),
    );
    expect(bare).toMatchObject({ bands: false, confLevel: null });
  });

  /** RFC 4180 fields (quoted fields may hold commas and doubled quotes). */
  function fields(line: string): string[] {
    return [...line.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)].map((m) =>
      m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replace(/""/g, '"') : m[1]!,
    );
  }

  it("puts each point's numbers beside its S(t) line, empty where withheld and elsewhere", () => {
    const count = analysis('count', 'count', [row('n', 'arm = A', 12), row('n', 'arm = B', null)]);
    const csv = toCsv({ analyses: [count, km] } as unknown as StudyOutcome);
    expect(csv.endsWith('\r\n')).toBe(true);
    const [header, ...lines] = csv.trimEnd().split('\r\n').map(fields);
    expect(header!.slice(7)).toEqual(['atRisk', 'events', 'stdErr', 'lower', 'upper', 'confLevel']);
    expect(lines.length).toBe(2 + 6);
    for (const l of lines) expect(l.length).toBe(header!.length);
    expect(lines[0]!.slice(0, 7)).toEqual([
      'count',
      count.title,
      'n',
      'arm = A',
      '12',
      'false',
      '',
    ]);
    expect(lines[1]!.slice(4, 6)).toEqual(['', 'true']);
    expect(lines.slice(0, 2).every((l) => l.slice(7).every((x) => x === ''))).toBe(true);
    const kmLines = lines.slice(2);
    expect(kmLines.map((l) => [l[3], ...l.slice(7)])).toEqual(
      curves.flatMap((c) =>
        c.times.map((t, i) => [
          `${c.group}, t = ${t}`,
          ...[c.atRisk, c.events, c.stdErr, c.lower, c.upper].map((xs) =>
            xs![i] === null ? '' : String(xs![i]),
          ),
          '0.9',
        ]),
      ),
    );
  });
});
