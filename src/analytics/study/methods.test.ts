/**
 * The study types anova, mann-whitney and cox, run for real under every
 * honest-majority suite on records split over three parties, against R's
 * numbers (test/r/methods.R) and the plaintext references; the release
 * summary's cells against the rows the engine releases; validation errors.
 */
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { runLocal } from '../../api/run.js';
import { SpecError } from '../data/errors.js';
import { parseCsvTable, type Table } from '../data/table.js';
import {
  PLANT_GROUP,
  PLANT_WEIGHT,
  R,
  R_COX,
  readRCsv,
  type RCox,
} from '../../../test/methods-data.js';
import { STAT_SUITES } from '../stats/testdata.js';
import { poolTables } from './reference.js';
import { releaseSummary } from './release.js';
import type { AnalysisOutcome } from './result.js';
import { studyProgram } from './runner.js';
import { defineStudy, type AnalysisInput, type StudyInput } from './spec.js';
import { STATISTICS, STATISTICS_REFERENCE } from './statistics.js';

const PARTIES = ['h1', 'h2', 'h3'];

const SCHEMA: StudyInput['schema'] = {
  columns: [
    { name: 'score', type: 'integer', min: 0, max: 10 },
    { name: 'arm', type: 'categorical', levels: ['A', 'B', 'C'] },
    { name: 'weight', type: 'decimal', scale: 2, min: 3, max: 7 },
    { name: 'group', type: 'categorical', levels: ['ctrl', 'trt1', 'trt2'] },
    // The same weights declared with 4 digits over 0..10: 100,001 values, so sorted, not counted.
    { name: 'weight4', type: 'decimal', scale: 4, min: 0, max: 10 },
  ],
};

/** test/r/mw.csv (150 records) beside PlantGrowth (30 records, repeated to fill the rows). */
function records(): string[] {
  const mw = readRCsv('mw.csv');
  return mw.score!.map((sc, i) => {
    const j = i % 30;
    // PlantGrowth occupies the first 30 rows; the rest repeat a placeholder group excluded by `where`.
    const w = (PLANT_WEIGHT[j]! / 100).toFixed(2);
    const g = ['ctrl', 'trt1', 'trt2'][PLANT_GROUP[j]!]!;
    return `${sc},${mw.arm![i]},${w},${g},${w}`;
  });
}

const ANALYSES: AnalysisInput[] = [
  { id: 'anova-score', type: 'anova', column: 'score', by: 'arm' },
  { id: 'mw-score', type: 'mann-whitney', column: 'score', by: 'arm' },
  // PlantGrowth: the first 30 records only (score is not used; a where on the row block).
  {
    id: 'anova-plant',
    type: 'anova',
    column: 'weight',
    by: 'group',
    where: { column: 'row', lt: 30 },
  },
  {
    id: 'mw-plant',
    type: 'mann-whitney',
    column: 'weight',
    by: 'group',
    levels: ['ctrl', 'trt1'],
    where: { column: 'row', lt: 30 },
  },
  {
    id: 'mw-plant-sorted',
    type: 'mann-whitney',
    column: 'weight4',
    by: 'group',
    levels: ['ctrl', 'trt1'],
    where: { column: 'row', lt: 30 },
  },
];

const FULL_SCHEMA: StudyInput['schema'] = {
  columns: [...SCHEMA.columns, { name: 'row', type: 'integer', min: 0, max: 1000 }],
};

const study = defineStudy({
  study: 'methods',
  parties: PARTIES.map((id) => ({ id, data: `${id}.csv` })),
  schema: FULL_SCHEMA,
  // Small groups: no suppression, to compare every number with R.
  privacy: { minCellSize: 0 },
  analyses: ANALYSES,
});

const all = records().map((r, i) => `${r},${i}`);
const header = 'score,arm,weight,group,weight4,row';
// Records dealt round-robin to the three parties.
const tables = new Map<string, Table>(
  PARTIES.map((id, p) => [
    id,
    parseCsvTable(
      [header, ...all.filter((_, i) => i % 3 === p)].join('\n'),
      study.schema,
      `${id}.csv`,
    ),
  ]),
);

const value = (a: AnalysisOutcome, statistic: string, group?: string) =>
  a.rows.find((r) => r.statistic === statistic && (group === undefined || r.group === group))!
    .value!;

for (const c of STAT_SUITES) {
  describe(`anova and mann-whitney in a study (${c.suite})`, () => {
    it("match R's oneway.test and wilcox.test, and the plaintext references", async () => {
      const outs = await runLocal(
        studyProgram(study, (p) => tables.get(p), { implementations: STATISTICS }),
        { suite: c.suite, parties: PARTIES, crypto: nodeCryptoProvider },
      );
      const res = outs[0]!.result;
      const [aScore, mScore, aPlant, mPlant, mSorted] = res.analyses as AnalysisOutcome[];
      const rel = (got: number, want: number, tol: number) =>
        expect(Math.abs(got - want)).toBeLessThanOrEqual(tol * Math.abs(want));
      rel(value(aScore!, 'F'), R.anovaScore.F, 5e-6);
      expect(value(aScore!, 'df between')).toBe(R.anovaScore.df1);
      expect(value(aScore!, 'df within')).toBe(R.anovaScore.df2);
      rel(value(aScore!, 'p-value'), R.anovaScore.p, 1e-4);
      expect(value(mScore!, 'W')).toBe(R.wilcoxScore.W);
      expect(value(mScore!, 'n', 'arm = A')).toBe(R.wilcoxScore.n1);
      rel(value(mScore!, 'p-value'), R.wilcoxScore.p, 1e-9);
      rel(value(aPlant!, 'F'), R.anovaPlant.F, 5e-6);
      rel(value(aPlant!, 'p-value'), R.anovaPlant.p, 1e-4);
      expect(Math.abs(value(aPlant!, 'mean', 'group = ctrl') - 5.032)).toBeLessThan(1e-5);
      expect(value(mPlant!, 'W')).toBe(R.wilcoxPlant.W);
      rel(value(mPlant!, 'p-value'), R.wilcoxPlant.p, 1e-9);
      expect(value(mSorted!, 'W')).toBe(R.wilcoxPlant.W);
      rel(value(mSorted!, 'p-value'), R.wilcoxPlant.p, 1e-9);
      expect(mSorted!.notes.join(' ')).toContain('sorted obliviously');
      // Against the plaintext references on the pooled records, row by row.
      const pooled = poolTables([...tables.values()]);
      for (const [i, a] of study.analyses.entries()) {
        const want = STATISTICS_REFERENCE[a.type]!(pooled, a, study)!;
        const got = res.analyses[i]!.rows;
        expect(got.map((r) => [r.statistic, r.group])).toEqual(
          want.map((r) => [r.statistic, r.group]),
        );
        got.forEach((r, j) =>
          expect(
            Math.abs(r.value! - want[j]!.value!),
            `${a.id} ${r.statistic} ${r.group}`,
          ).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(want[j]!.value!))),
        );
      }
      // The release summary lists as many values as the engine released.
      const summary = releaseSummary(study);
      summary.analyses.forEach((s, i) => expect(s.cells, s.id).toBe(res.analyses[i]!.rows.length));
    });
  });
}

describe('anova and mann-whitney: suppression and validation', () => {
  it('withholds the test when a level has fewer than k records', async () => {
    // Arm A has 60 records, B 47, C 43: with k = 50 only A's count is shown.
    const small = defineStudy({
      study: 'small',
      parties: PARTIES.map((id) => ({ id, data: `${id}.csv` })),
      schema: FULL_SCHEMA,
      privacy: { minCellSize: 50 },
      analyses: [ANALYSES[0]!, ANALYSES[1]!],
    });
    const outs = await runLocal(
      studyProgram(small, (p) => tables.get(p), { implementations: STATISTICS }),
      { suite: 'rep3', parties: PARTIES, crypto: nodeCryptoProvider },
    );
    for (const a of outs[0]!.result.analyses) {
      for (const r of a.rows) {
        const shown = r.statistic === 'n' && r.group === 'arm = A';
        expect(r.suppressed, `${a.id} ${r.statistic} ${r.group}`).toBe(!shown);
        expect(r.value === null, `${a.id} ${r.statistic} ${r.group}`).toBe(!shown);
      }
    }
    expect(releaseSummary(small).analyses[1]!.notes.join(' ')).toContain('tie correction');
  });

  it('reports bad fields by path', () => {
    const bad = (analyses: AnalysisInput[]) => () =>
      defineStudy({
        study: 'bad',
        parties: [{ id: 'a', data: 'a.csv' }],
        schema: {
          columns: [...SCHEMA.columns, { name: 'income', type: 'integer', min: 0, max: 1_000_000 }],
        },
        analyses,
      });
    // A column with more values than can be counted per value is sorted instead.
    expect(bad([{ type: 'mann-whitney', column: 'income', by: 'arm' }])).not.toThrow();
    expect(bad([{ type: 'mann-whitney', column: 'score', by: 'arm', levels: ['A', 'D'] }])).toThrow(
      /analyses\[0\]\.levels\[1\]: expected a level of 'arm'/,
    );
    expect(bad([{ type: 'anova', column: 'score', by: 'arm', levels: ['A', 'B'] }])).toThrow(
      /analyses\[0\]\.levels: unknown field of an anova analysis/,
    );
    expect(bad([{ type: 'anova', column: 'arm', by: 'group' }])).toThrow(SpecError);
  });
});

// ----- cox -----

const coxCsv = readRCsv('cox.csv');
const COX_PARTIES = ['h1', 'h2', 'h3'];
const coxStudy = defineStudy({
  study: 'cox',
  parties: COX_PARTIES.map((id) => ({ id, data: `${id}.csv` })),
  schema: {
    columns: [
      { name: 'time', type: 'integer', min: 1, max: 12 },
      { name: 'status', type: 'boolean', labels: { false: '0', true: '1' } },
      { name: 'arm', type: 'categorical', levels: ['A', 'B', 'C'] },
      { name: 'female', type: 'boolean', labels: { false: 'FALSE', true: 'TRUE' } },
      { name: 'site', type: 'categorical', levels: ['north', 'south'] },
      { name: 'armnum', type: 'integer', min: 0, max: 2 },
    ],
  },
  privacy: { minCellSize: 0 },
  analyses: [
    // Default points: every month 1..12, so the fit is exactly R's.
    {
      id: 'cox',
      type: 'cox',
      time: 'time',
      event: 'status',
      predictors: ['arm', 'female'],
      strata: 'site',
    },
    { id: 'cox-arm', type: 'cox', time: 'time', event: 'status', predictors: ['arm'] },
    {
      id: 'cox-trend',
      type: 'cox',
      time: 'time',
      event: 'status',
      predictors: ['armnum'],
      strata: 'site',
    },
    {
      id: 'cox-coarse',
      type: 'cox',
      time: 'time',
      event: 'status',
      predictors: ['arm', 'female'],
      strata: 'site',
      times: [3, 6, 9, 12],
    },
  ],
});
const coxLines = coxCsv.time!.map(
  (t, i) =>
    `${t},${coxCsv.status![i]},${coxCsv.arm![i]},${coxCsv.female![i]},${coxCsv.site![i]},${['A', 'B', 'C'].indexOf(coxCsv.arm![i]!)}`,
);
const coxTables = new Map<string, Table>(
  COX_PARTIES.map((id, p) => [
    id,
    parseCsvTable(
      ['time,status,arm,female,site,armnum', ...coxLines.filter((_, i) => i % 3 === p)].join('\n'),
      coxStudy.schema,
      `${id}.csv`,
    ),
  ]),
);

function expectCoxR(o: AnalysisOutcome, want: RCox, terms: string[]) {
  expect(value(o, 'n')).toBe(want.n);
  expect(value(o, 'events')).toBe(want.events);
  const near = (got: number, w: number, tol: number, what: string) =>
    expect(Math.abs(got - w), `${o.id} ${what}`).toBeLessThanOrEqual(tol);
  terms.forEach((term, j) => {
    near(value(o, 'coefficient', term), want.coef[j]!, 1e-5, `coef ${term}`);
    near(value(o, 'standard error', term), want.se[j]!, 2e-5 * want.se[j]!, `se ${term}`);
    near(value(o, 'hazard ratio', term), want.hr[j]!, 2e-5 * want.hr[j]!, `HR ${term}`);
    near(value(o, 'HR lower 95%', term), want.lower[j]!, 5e-5 * want.lower[j]!, `lower ${term}`);
    near(value(o, 'HR upper 95%', term), want.upper[j]!, 5e-5 * want.upper[j]!, `upper ${term}`);
    near(value(o, 'p-value', term), want.p[j]!, 5e-4 * want.p[j]!, `p ${term}`);
  });
  near(value(o, 'X^2', 'Wald test'), want.wald, 3e-4 * want.wald, 'Wald');
  near(value(o, 'X^2', 'likelihood-ratio test'), want.lr, 1e-3, 'LR');
  near(value(o, 'X^2', 'score test'), want.score, 1e-4 * want.score, 'score');
  expect(value(o, 'df', 'model')).toBe(terms.length);
  expect(o.notes.join(' ')).not.toContain('NOT CONVERGED');
}

for (const c of STAT_SUITES) {
  describe(`cox in a study (${c.suite})`, () => {
    it("matches R's coxph(ties = 'breslow') and the plaintext reference", async () => {
      const outs = await runLocal(
        studyProgram(coxStudy, (p) => coxTables.get(p), { implementations: STATISTICS }),
        { suite: c.suite, parties: COX_PARTIES, crypto: nodeCryptoProvider },
      );
      const res = outs[0]!.result;
      const [full, arm, trend, coarse] = res.analyses as AnalysisOutcome[];
      const terms = ['arm = B', 'arm = C', 'female = true'];
      expectCoxR(full!, R_COX.armFemaleStrata, terms);
      expectCoxR(arm!, R_COX.arm, ['arm = B', 'arm = C']);
      expectCoxR(trend!, R_COX.armnumStrata, ['armnum']);
      expectCoxR(coarse!, R_COX.coarse, terms);
      const pooled = poolTables([...coxTables.values()]);
      for (const [i, a] of coxStudy.analyses.entries()) {
        const want = STATISTICS_REFERENCE[a.type]!(pooled, a, coxStudy)!;
        const got = res.analyses[i]!.rows;
        expect(got.map((r) => [r.statistic, r.group])).toEqual(
          want.map((r) => [r.statistic, r.group]),
        );
        got.forEach((r, j) =>
          expect(
            Math.abs(r.value! - want[j]!.value!),
            `${a.id} ${r.statistic} ${r.group}`,
          ).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(want[j]!.value!))),
        );
      }
      const summary = releaseSummary(coxStudy);
      summary.analyses.forEach((s, i) => {
        expect(s.cells, s.id).toBe(res.analyses[i]!.rows.length);
        // The summary's words name each row's term in the engine's order.
        res.analyses[i]!.rows.forEach((r, j) => {
          if (r.group && r.group.includes(' = ')) expect(s.outputs[j], s.id).toContain(r.group);
        });
      });
    });
  });
}

describe('cox: suppression and validation', () => {
  it('withholds everything when a stratum or a level has fewer than k records', async () => {
    const strict = defineStudy({
      study: 'cox',
      parties: COX_PARTIES.map((id) => ({ id, data: `${id}.csv` })),
      schema: coxStudy.schema as unknown as StudyInput['schema'],
      privacy: { minCellSize: 200 },
      analyses: [{ type: 'cox', time: 'time', event: 'status', predictors: ['arm'] }],
    });
    const outs = await runLocal(
      studyProgram(strict, (p) => coxTables.get(p), { implementations: STATISTICS }),
      { suite: 'rep3', parties: COX_PARTIES, crypto: nodeCryptoProvider },
    );
    const o = outs[0]!.result.analyses[0]!;
    expect(o.rows.every((r) => r.suppressed && r.value === null)).toBe(true);
  });

  it('warns when the fit has not converged', async () => {
    const one = defineStudy({
      study: 'cox',
      parties: COX_PARTIES.map((id) => ({ id, data: `${id}.csv` })),
      schema: coxStudy.schema as unknown as StudyInput['schema'],
      privacy: { minCellSize: 0 },
      analyses: [
        {
          type: 'cox',
          time: 'time',
          event: 'status',
          predictors: ['arm', 'female'],
          strata: 'site',
          iterations: 1,
        },
      ],
    });
    const outs = await runLocal(
      studyProgram(one, (p) => coxTables.get(p), { implementations: STATISTICS }),
      { suite: 'rep3', parties: COX_PARTIES, crypto: nodeCryptoProvider },
    );
    expect(outs[0]!.result.analyses[0]!.notes.join(' ')).toContain('NOT CONVERGED');
  });

  it('reports bad fields by path', () => {
    const bad = (a: AnalysisInput) => () =>
      defineStudy({
        study: 'bad',
        parties: [{ id: 'a', data: 'a.csv' }],
        schema: {
          columns: [
            { name: 'time', type: 'integer', min: 1, max: 12 },
            { name: 'status', type: 'boolean' },
            { name: 'arm', type: 'categorical', levels: ['A', 'B'] },
            { name: 'age', type: 'integer', min: 0, max: 1000 },
            { name: 'dose', type: 'decimal', scale: 1, min: 0, max: 10 },
          ],
        },
        analyses: [a],
      });
    expect(bad({ type: 'cox', time: 'time', event: 'status', predictors: ['age'] })).toThrow(
      /analyses\[0\]\.predictors\[0\]: column 'age' takes 1001 values/,
    );
    expect(bad({ type: 'cox', time: 'time', event: 'status', predictors: ['dose'] })).toThrow(
      /analyses\[0\]\.predictors\[0\]: column 'dose' is decimal/,
    );
    expect(
      bad({ type: 'cox', time: 'time', event: 'status', predictors: ['arm'], strata: 'arm' }),
    ).toThrow(/analyses\[0\]\.strata: 'arm' cannot be both a predictor and the strata/);
    // Every day of 2,000 x 2 arms x 101 scores: too many counts, refused at loading.
    expect(() =>
      defineStudy({
        study: 'big',
        parties: [{ id: 'a', data: 'a.csv' }],
        schema: {
          columns: [
            { name: 'days', type: 'integer', min: 1, max: 2000 },
            { name: 'died', type: 'boolean' },
            { name: 'arm', type: 'categorical', levels: ['A', 'B'] },
            { name: 'score', type: 'integer', min: 0, max: 100 },
          ],
        },
        analyses: [{ type: 'cox', time: 'days', event: 'died', predictors: ['arm', 'score'] }],
      }),
    ).toThrow(/analyses\[0\]: 2000 risk sets \(strata x time points\) x 202 cells = 404000 counts/);
    expect(bad({ type: 'cox', time: 'time', event: 'status', predictors: [] })).toThrow(
      /analyses\[0\]\.predictors/,
    );
  });
});
