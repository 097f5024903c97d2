/**
 * The complete outputs of the statistics analyses (issue 20, section 1):
 * t-test variants with confidence intervals, the linear model's t values,
 * adjusted R^2 and F test, the correlation test, expected counts with and
 * without Yates' correction, observed and expected events of both log-rank
 * groups, Kaplan-Meier events and confidence bands, and R's quantile types.
 *
 * Each secure run (every suite in STAT_SUITES, all parties for real) is
 * checked against R's numbers on the same 60 records (test/r/outputs.csv,
 * numbers from test/r/outputs-reference.R in outputs.r.ts) and against the
 * plaintext reference on the pooled records, within the stated tolerances.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { runLocal } from '../../api/run.js';
import { STAT_SUITES } from '../stats/testdata.js';
import { parseCsvTable, type Table } from '../data/table.js';
import { poolTables } from './reference.js';
import { R } from './outputs.r.js';
import type { AnalysisOutcome, ResultRow, StudyOutcome } from './result.js';
import { studyProgram } from './runner.js';
import { defineStudy, type AnalysisInput, type Study } from './spec.js';
import { STATISTICS, STATISTICS_REFERENCE } from './statistics.js';

const CSV = readFileSync(new URL('../../../test/r/outputs.csv', import.meta.url), 'utf8');
const PARTIES = ['h1', 'h2', 'h3'];
const TIMES = [5, 10, 20, 30, 45, 60];
const PROBS = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1];
/** On the 31 records with sex = F, where n p is not an integer. */
const PROBS_F = [0.01, 0.33, 0.5, 0.66, 0.999];

function studyOf(analyses: AnalysisInput[], minCellSize = 0): Study {
  return defineStudy({
    study: 'complete outputs',
    parties: PARTIES.map((id) => ({ id, data: `${id}.csv` })),
    schema: {
      columns: [
        { name: 'arm', type: 'categorical', levels: ['A', 'B'] },
        { name: 'sex', type: 'categorical', levels: ['F', 'M'] },
        { name: 'age', type: 'integer', min: 20, max: 80 },
        { name: 'before', type: 'integer', min: 0, max: 150 },
        { name: 'after', type: 'integer', min: 0, max: 150 },
        { name: 'recovered', type: 'boolean' },
        { name: 'days', type: 'integer', min: 1, max: 60 },
        { name: 'death', type: 'boolean' },
      ],
    },
    privacy: { minCellSize },
    analyses,
  });
}

const ANALYSES: AnalysisInput[] = [
  { id: 'welch', type: 't-test', column: 'after', by: 'arm' },
  { id: 'student', type: 't-test', variant: 'student', column: 'after', by: 'arm' },
  { id: 'paired', type: 't-test', variant: 'paired', column: 'after', paired: 'before' },
  {
    id: 'pairedMu',
    type: 't-test',
    variant: 'paired',
    column: 'after',
    paired: 'before',
    mu: 2,
    confLevel: 0.9,
  },
  { id: 'oneSample', type: 't-test', variant: 'one-sample', column: 'after', mu: 50 },
  { id: 'oneSampleMu0', type: 't-test', variant: 'one-sample', column: 'before', confLevel: 0.99 },
  { id: 'lm', type: 'linear-regression', outcome: 'after', predictors: ['age', 'arm', 'before'] },
  { id: 'cor', type: 'correlation', x: 'age', y: 'after' },
  { id: 'cor90', type: 'correlation', x: 'before', y: 'after', confLevel: 0.9 },
  { id: 'chiYates', type: 'chi-squared', rows: 'arm', cols: 'recovered' },
  { id: 'chiPlain', type: 'chi-squared', rows: 'arm', cols: 'recovered', correct: false },
  { id: 'logRank', type: 'log-rank', time: 'days', event: 'death', by: 'arm' },
  { id: 'km95', type: 'kaplan-meier', time: 'days', event: 'death', by: 'arm', times: TIMES },
  {
    id: 'km90',
    type: 'kaplan-meier',
    time: 'days',
    event: 'death',
    by: 'arm',
    times: TIMES,
    confLevel: 0.9,
  },
  ...Array.from({ length: 9 }, (_, i) => ({
    id: `q${i + 1}`,
    type: 'quantiles' as const,
    column: 'age',
    probs: PROBS,
    quantileType: i + 1,
  })),
  ...Array.from({ length: 9 }, (_, i) => ({
    id: `qF${i + 1}`,
    type: 'quantiles' as const,
    column: 'age',
    probs: PROBS_F,
    quantileType: i + 1,
    where: { column: 'sex', eq: 'F' },
  })),
];

/** The records dealt round-robin to the three parties. */
function tablesOf(study: Study): Map<string, Table> {
  const [header, ...lines] = CSV.trim().split('\n');
  return new Map(
    PARTIES.map((id, p) => [
      id,
      parseCsvTable(
        [header, ...lines.filter((_, i) => i % 3 === p)].join('\n') + '\n',
        study.schema,
        `${id}.csv`,
      ),
    ]),
  );
}

async function runStudyIn(suite: string, study: Study): Promise<StudyOutcome> {
  const tables = tablesOf(study);
  const outs = await runLocal(
    studyProgram(study, (p) => tables.get(p), { implementations: STATISTICS }),
    { suite, parties: PARTIES, crypto: nodeCryptoProvider },
  );
  // Every party reports the same released values.
  for (const o of outs.slice(1))
    expect(o.result.analyses.map((a) => a.rows)).toEqual(
      outs[0]!.result.analyses.map((a) => a.rows),
    );
  return outs[0]!.result;
}

/** |got - want| <= abs + rel |want|, naming the value. */
function close(what: string, got: number | null | undefined, want: number, abs: number, rel = 0) {
  expect(got, what).not.toBeNull();
  expect(got, what).not.toBeUndefined();
  const err = Math.abs(got! - want);
  expect(err, `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(abs + rel * Math.abs(want));
}

const value = (a: AnalysisOutcome, statistic: string, group: string) => {
  const r = a.rows.find((x) => x.statistic === statistic && x.group === group);
  if (!r) throw new Error(`${a.id}: no row ${statistic} | ${group}`);
  return r.value;
};

const byId = (o: StudyOutcome, id: string) => o.analyses.find((a) => a.id === id)!;

/** Tolerances against R: the secure computation's stated precision, with room. */
const T_ABS = 1e-4;
const T_REL = 1e-4;

interface RTTest {
  t: number;
  df: number;
  p: number;
  se: number;
  ci: readonly number[];
}

function checkTTest(a: AnalysisOutcome, r: RTTest, group: string) {
  close(`${a.id} t`, value(a, 't', group), r.t, T_ABS, T_REL);
  close(`${a.id} df`, value(a, 'df', group), r.df, 1e-3, 1e-5);
  close(`${a.id} p`, value(a, 'p-value', group), r.p, 1e-5, 1e-4);
  close(`${a.id} se`, value(a, 'standard error', group), r.se, 1e-5, 1e-5);
  close(`${a.id} CI lower`, value(a, 'CI lower', group), r.ci[0]!, T_ABS, T_REL);
  close(`${a.id} CI upper`, value(a, 'CI upper', group), r.ci[1]!, T_ABS, T_REL);
}

describe.each(STAT_SUITES.map((c) => c.suite))('complete outputs (%s)', (suite) => {
  const study = studyOf(ANALYSES);
  const pooled = poolTables(PARTIES.map((p) => tablesOf(study).get(p)!));
  let outcome: Promise<StudyOutcome> | undefined;
  const run = () => (outcome ??= runStudyIn(suite, study));

  it("t-tests (Welch, Student, paired, one-sample): t, df, p, se and interval as R's t.test", async () => {
    const o = await run();
    checkTTest(byId(o, 'welch'), R.welch, 'A - B');
    checkTTest(byId(o, 'student'), R.student, 'A - B');
    // Student's df is exact.
    expect(value(byId(o, 'student'), 'df', 'A - B')).toBe(58);
    checkTTest(byId(o, 'paired'), R.paired, 'after - before');
    checkTTest(byId(o, 'pairedMu'), R.pairedMu, 'after - before');
    close(
      'paired mean',
      value(byId(o, 'paired'), 'mean difference', 'after - before'),
      R.paired.estimate[0],
      1e-5,
    );
    checkTTest(byId(o, 'oneSample'), R.oneSample, 'after');
    checkTTest(byId(o, 'oneSampleMu0'), R.oneSampleMu0, 'before');
    close(
      'one-sample mean',
      value(byId(o, 'oneSample'), 'mean', 'after'),
      R.oneSample.estimate[0],
      1e-5,
    );
    expect(value(byId(o, 'oneSample'), 'n', 'all')).toBe(60);
  });

  it("linear regression: t values, adjusted R^2, F and its p-value, residual standard error as R's summary.lm", async () => {
    const a = byId(await run(), 'lm');
    const terms = ['(intercept)', 'age', 'arm = B', 'before'];
    terms.forEach((term, j) => {
      close(`t ${term}`, value(a, 't', term), R.lm.t[j]!, 2e-3, 2e-3);
      // The intercept's standard error is the coarsest (about 1e-3 relative, as documented).
      close(`p ${term}`, value(a, 'p-value', term), R.lm.p[j]!, 1e-4, 1e-2);
    });
    close('sigma', value(a, 'sigma', 'model'), R.lm.sigma, 1e-5, 1e-4);
    close('adjusted R^2', value(a, 'adjusted R^2', 'model'), R.lm.adjR2, 1e-5, 1e-4);
    expect(value(a, 'residual df', 'model')).toBe(R.lm.df);
    close('F', value(a, 'F', 'model'), R.lm.f, 1e-3, 1e-4);
    close('F p-value', value(a, 'p-value', 'model'), R.lm.fp, 1e-30, 1e-3);
  });

  it("correlation: t, df, p-value and Fisher-z interval as R's cor.test", async () => {
    const o = await run();
    for (const [id, r, group] of [
      ['cor', R.cor, 'age, after'],
      ['cor90', R.cor90, 'before, after'],
    ] as const) {
      const a = byId(o, id);
      close(`${id} r`, value(a, 'correlation', group), r.r, 1e-5, 1e-5);
      close(`${id} t`, value(a, 't', group), r.t, 1e-4, 1e-4);
      expect(value(a, 'df', group)).toBe(r.df);
      close(`${id} p`, value(a, 'p-value', group), r.p, 1e-5, 1e-3);
      close(`${id} CI lower`, value(a, 'CI lower', group), r.ci[0]!, 1e-5);
      close(`${id} CI upper`, value(a, 'CI upper', group), r.ci[1]!, 1e-5);
    }
  });

  it("chi-squared: expected counts, Yates' correction on and off as R's chisq.test", async () => {
    const o = await run();
    const cells = [
      'arm = A, recovered = false',
      'arm = A, recovered = true',
      'arm = B, recovered = false',
      'arm = B, recovered = true',
    ];
    for (const [id, r] of [
      ['chiYates', R.chiYates],
      ['chiPlain', R.chiPlain],
    ] as const) {
      const a = byId(o, id);
      close(`${id} X^2`, value(a, 'X^2', 'arm x recovered'), r.x2, 1e-4, 1e-4);
      close(`${id} p`, value(a, 'p-value', 'arm x recovered'), r.p, 1e-5, 1e-4);
      cells.forEach((c, j) =>
        close(`${id} expected ${c}`, value(a, 'expected', c), r.expected[j]!, 1e-5),
      );
    }
  });

  it("log-rank: observed and expected events of both groups as R's survdiff", async () => {
    const a = byId(await run(), 'logRank');
    ['arm = A', 'arm = B'].forEach((g, i) => {
      expect(value(a, 'observed events', g)).toBe(R.logRank.observed[i]);
      close(`expected ${g}`, value(a, 'expected events', g), R.logRank.expected[i]!, 1e-4, 1e-5);
    });
    close('X^2', value(a, 'X^2', 'arm = A vs arm = B'), R.logRank.x2, 1e-3, 1e-4);
  });

  it("Kaplan-Meier: at risk, events, std.err and log bands as R's summary(survfit(...), times)", async () => {
    const o = await run();
    for (const [id, r, level] of [
      ['km95', R.km95, 0.95],
      ['km90', R.km90, 0.9],
    ] as const) {
      const a = byId(o, id);
      for (const c of a.curves!) {
        const want = r[c.group as 'arm = A'];
        expect(c.times).toEqual(TIMES);
        expect(c.confLevel).toBe(level);
        expect(c.atRisk).toEqual(want.atRisk);
        expect(c.events).toEqual(want.events);
        TIMES.forEach((t, j) => {
          const at = `${id} ${c.group} t = ${t}`;
          close(`${at} S`, c.survival[j], want.survival[j]!, 2e-6);
          close(`${at} std.err`, c.stdErr![j], want.stdErr[j]!, 2e-6, 1e-5);
          close(`${at} lower`, c.lower![j], want.lower[j]!, 2e-6, 1e-5);
          close(`${at} upper`, c.upper![j], want.upper[j]!, 2e-6, 1e-5);
        });
      }
    }
  });

  it("quantile types 1 to 9 as R's quantile(type = 1..9)", async () => {
    const o = await run();
    for (let type = 1; type <= 9; type++) {
      const a = byId(o, `q${type}`);
      const f = byId(o, `qF${type}`);
      expect(value(f, 'n', 'all')).toBe(31);
      PROBS_F.forEach((p, j) =>
        close(
          `sex = F, type ${type} p = ${p}`,
          value(f, 'quantile', `p = ${p}`),
          R.quantilesF[type as 1][j]!,
          2e-6,
        ),
      );
      PROBS.forEach((p, j) =>
        close(
          `type ${type} p = ${p}`,
          value(a, 'quantile', `p = ${p}`),
          R.quantiles[type as 1][j]!,
          2e-6,
        ),
      );
    }
  });

  it('matches the plaintext reference on the pooled records, row for row', async () => {
    const o = await run();
    for (const a of o.analyses) {
      const spec = study.analyses.find((x) => x.id === a.id)!;
      const ref = STATISTICS_REFERENCE[spec.type]!(pooled, spec, study)!;
      const want = new Map(ref.map((r: ResultRow) => [`${r.statistic}|${r.group}`, r.value]));
      expect([...want.keys()], a.id).toEqual(a.rows.map((r) => `${r.statistic}|${r.group}`));
      for (const r of a.rows) {
        const w = want.get(`${r.statistic}|${r.group}`)!;
        const tol = a.type === 'linear-regression' ? 3e-3 : 1e-4;
        if (w === null) expect(r.value, `${a.id} ${r.statistic} ${r.group}`).toBeNull();
        else close(`${a.id} ${r.statistic} ${r.group}`, r.value, w, tol, tol);
      }
    }
  });
});

// aml (Miller 1981, R's survival package): the Nonmaintained arm ends with an event at week 45.
const AML_TIME = [
  9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161, 5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45,
];
const AML_STATUS = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1];

function amlStudy(minCellSize: number): { study: Study; tables: Map<string, Table> } {
  const study = defineStudy({
    study: 'aml',
    parties: PARTIES.map((id) => ({ id, data: `${id}.csv` })),
    schema: {
      columns: [
        { name: 'time', type: 'integer', min: 1, max: 161 },
        { name: 'status', type: 'boolean', labels: { false: '0', true: '1' } },
        { name: 'x', type: 'categorical', levels: ['Maintained', 'Nonmaintained'] },
      ],
    },
    privacy: { minCellSize },
    analyses: [
      {
        id: 'km',
        type: 'kaplan-meier',
        time: 'time',
        event: 'status',
        by: 'x',
        times: [12, 30, 45, 48, 100],
      },
    ],
  });
  const tables = new Map<string, Table>(
    PARTIES.map((id, p) => {
      const rows = AML_TIME.map(
        (t, i) => `${t},${AML_STATUS[i]},${i < 11 ? 'Maintained' : 'Nonmaintained'}`,
      ).filter((_, i) => i % 3 === p);
      return [id, parseCsvTable(['time,status,x', ...rows].join('\n'), study.schema, `${id}.csv`)];
    }),
  );
  return { study, tables };
}

describe.each(STAT_SUITES.map((c) => c.suite))(
  'Kaplan-Meier where nobody is left (%s)',
  (suite) => {
    const runAml = async (k: number) => {
      const { study, tables } = amlStudy(k);
      const outs = await runLocal(
        studyProgram(study, (p) => tables.get(p), { implementations: STATISTICS }),
        { suite, parties: PARTIES, crypto: nodeCryptoProvider },
      );
      return outs[0]!.result.analyses[0]!;
    };

    it("without suppression: S is exactly 0 from the last event, bands and std.err null, as R's survfit", async () => {
      const km = await runAml(0);
      const c = km.curves!.find((x) => x.group === 'x = Nonmaintained')!;
      const want = R.amlNonmaintained;
      expect(c.atRisk).toEqual(want.atRisk);
      expect(c.events).toEqual(want.events);
      want.survival.forEach((s, j) => {
        if (s === 0) expect(c.survival[j], `S at ${c.times[j]}`).toBe(0);
        else close(`S at ${c.times[j]}`, c.survival[j], s, 2e-6);
        for (const key of ['stdErr', 'lower', 'upper'] as const) {
          const w = want[key][j];
          if (w === null) expect(c[key]![j], `${key} at ${c.times[j]}`).toBeNull();
          else close(`${key} at ${c.times[j]}`, c[key]![j], w as number, 2e-6, 1e-5);
        }
      });
    });

    it('with k = 1: S is shown as 0 (not suppressed) once the curve has reached 0; empty counts are withheld', async () => {
      const km = await runAml(1);
      const c = km.curves!.find((x) => x.group === 'x = Nonmaintained')!;
      // At week 45 one record is at risk (released, S = 0); from week 48 on nobody.
      expect(c.survival.slice(2)).toEqual([0, 0, 0]);
      expect(c.atRisk).toEqual([8, 4, 1, null, null]);
      expect(c.events).toEqual([5, 3, 3, null, null]);
      expect(c.lower!.slice(2)).toEqual([null, null, null]);
      const rows = km.rows.filter((r) => r.group!.startsWith('x = Nonmaintained'));
      expect(rows.map((r) => r.suppressed)).toEqual([false, false, false, false, false]);
      expect(rows[4]!.value).toBe(0);
      expect(rows[4]!.precision).toContain('reached 0');
      // The Maintained arm ends censored (week 161): one record still at risk at 100, S above 0.
      const m = km.curves!.find((x) => x.group === 'x = Maintained')!;
      expect(m.atRisk).toEqual([10, 5, 3, 2, 1]);
      expect(m.survival[4]).toBeGreaterThan(0.18);
    });
  },
);
