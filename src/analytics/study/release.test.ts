import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { runLocal } from '../../api/run.js';
import { generatePatients, HOSPITAL_SCHEMA, patientsCsv } from '../../apps/hospitals.js';
import { parseCsvTable, type Table } from '../data/table.js';
import { parseStudyText } from './parse.js';
import { formatReleaseSummary, releaseSummary, type ReleaseSummary } from './release.js';
import type { AnalysisOutcome, StudyOutcome } from './result.js';
import { studyProgram } from './runner.js';
import { defineStudy, spend, type AnalysisInput, type Study, type StudyInput } from './spec.js';
import { STATISTICS } from './statistics.js';

const EXAMPLE = readFileSync(
  new URL('../../../examples/hospitals/study.yaml', import.meta.url),
  'utf8',
);
const PARTIES = ['hospital-a', 'hospital-b', 'hospital-c'];

const SCHEMA = HOSPITAL_SCHEMA as unknown as StudyInput['schema'];

function studyOf(analyses: AnalysisInput[], extra: Partial<StudyInput> = {}): Study {
  return defineStudy({
    study: 'test',
    parties: PARTIES.map((id) => ({ id, data: `${id}.csv` })),
    schema: SCHEMA,
    analyses,
    ...extra,
  });
}

/** The hospitals' synthetic records, as the runner's tests make them. */
function patientTables(study: Study): Map<string, Table> {
  const rows = [120, 90, 150];
  return new Map(
    PARTIES.map((id, i) => [
      id,
      parseCsvTable(patientsCsv(generatePatients(i, rows[i]!, 7)), study.schema, `${id}.csv`),
    ]),
  );
}

/** Runs a study in the clear (plaintext suite), in-process, and returns party 0's outcome. */
async function runPlain(study: Study, tables: Map<string, Table>): Promise<StudyOutcome> {
  const [out] = await runLocal(
    studyProgram(study, (p) => tables.get(p), { implementations: STATISTICS }),
    { suite: 'plaintext', parties: PARTIES, crypto: nodeCryptoProvider },
  );
  return out!.result;
}

/** Every number an outcome reveals: its rows, and the per-point values carried by Kaplan-Meier curves. */
const released = (a: AnalysisOutcome) =>
  a.rows.length +
  (a.curves ?? []).reduce(
    (s, c) =>
      s +
      (c.atRisk?.length ?? 0) +
      (c.events?.length ?? 0) +
      (c.stdErr?.length ?? 0) +
      (c.lower?.length ?? 0) +
      (c.upper?.length ?? 0),
    0,
  );

/** The summary's cells agree with what the engine released, analysis by analysis. */
function expectCellsMatch(summary: ReleaseSummary, outcome: StudyOutcome) {
  expect(summary.analyses.map((a) => a.id)).toEqual(outcome.analyses.map((a) => a.id));
  summary.analyses.forEach((s, i) => {
    const o = outcome.analyses[i]!;
    expect(s.cells, s.id).toBe(released(o));
    expect(s.outputs.length, s.id).toBe(s.cells);
    // The engine's rows come in the order of the outputs; each names the row's group where it has one.
    if (['count', 'histogram', 'crosstab', 'sum', 'mean', 'rate'].includes(s.type))
      o.rows.forEach((r, j) => {
        const words = s.outputs[j]!;
        for (const part of (r.group ?? '').split(', '))
          if (r.group !== 'all') expect(words, `${s.id} row ${j}`).toContain(part);
      });
  });
}

describe('release summary of the bundled study', () => {
  const study = parseStudyText(EXAMPLE, 'study.yaml');
  const summary = releaseSummary(study);

  it('lists every analysis with its cells, protection and privacy cost', () => {
    expect(summary.study).toBe('Treatment A versus treatment B');
    expect(summary.parties).toEqual(PARTIES);
    expect(summary.suite).toBe('rep3');
    expect(summary.minCellSize).toBe(10);
    expect(summary.budget).toEqual({ epsilon: 1, delta: 1e-6 });
    const cells = Object.fromEntries(summary.analyses.map((a) => [a.id, a.cells]));
    expect(cells).toEqual({
      patients: 2, // n for arm = A, B
      'recovery-rate': 4, // n and rate per arm
      'recovery-time': 4, // n and mean per arm
      'recovery-t-test': 10, // n x 2, mean x 2, t, df, p, se, CI lower and upper
      'outcome-chi-squared': 7, // X^2, df, p, 2 x 2 expected counts
      'outcome-model': 11, // n, 3 terms x (coefficient, se, p), loss
      survival: 144, // 2 arms x 12 points x (S(t), at risk, events, se, lower, upper)
      'survival-log-rank': 8, // n x 2, (observed, expected) x 2, X^2, p
      'recovery-rate-dp': 4,
      'young-deaths': 2,
    });
    expect(summary.analyses[0]!.outputs).toEqual([
      'count of records with arm = A',
      'count of records with arm = B',
    ]);
    const tt = summary.analyses.find((a) => a.id === 'recovery-t-test')!;
    expect(tt.outputs).toContain('mean of recovery_days for arm = B');
    expect(tt.outputs).toContain('p-value of the Welch t-test (two-sided)');
    const model = summary.analyses.find((a) => a.id === 'outcome-model')!;
    expect(model.outputs).toContain('coefficient (log odds ratio) of arm = B');
    expect(model.outputs).toContain('standard error of the coefficient of age');
    for (const a of summary.analyses) {
      expect(a.minCellSize).toBe(10);
      const dp = a.id === 'recovery-rate-dp';
      expect(a.protection, a.id).toBe(dp ? 'suppression+noise' : 'suppression');
      expect([a.epsilon, a.delta], a.id).toEqual(dp ? [1, 1e-9] : [0, 0]);
    }
    expect(summary.total).toEqual({ cells: 196, ...spend(study.analyses) });
    expect(summary.analyses.find((a) => a.id === 'young-deaths')!.notes).toContain(
      'only records where age < 30 and death = true',
    );
  });

  it('has as many cells as a run of the study in the clear releases', async () => {
    const outcome = await runPlain(study, patientTables(study));
    expectCellsMatch(summary, outcome);
    expect(outcome.budget?.spentEpsilon).toBe(summary.total.epsilon);
    expect(outcome.budget?.spentDelta).toBe(summary.total.delta);
  });

  it('formats as a terminal table with one block per analysis', () => {
    const text = formatReleaseSummary(summary);
    expect(text).toContain('What this study releases: Treatment A versus treatment B');
    expect(text).toContain('privacy budget per run: epsilon 1, delta 1e-6');
    expect(text).toMatch(/^\s+total\s+196\s+1\s+1e-9$/m);
    expect(text).toMatch(
      /^\s*9\s+recovery-rate-dp\s+rate\s+4\s+10\s+1\s+1e-9\s+suppression\+noise$/m,
    );
    summary.analyses.forEach((a, i) =>
      expect(text).toContain(`${i + 1}. ${a.title} [${a.id}, ${a.type}]: ${a.cells} values`),
    );
    for (const o of summary.analyses.flatMap((a) => a.outputs)) expect(text).toContain(`   - ${o}`);
    expect(text).not.toContain('OVER BUDGET');
  });
});

describe('release summary of small studies', () => {
  it('charges a noisy count its epsilon and a count without noise nothing', () => {
    const study = studyOf(
      [
        { id: 'noisy', type: 'count', by: 'sex', dp: { epsilon: 0.5, delta: 1e-8 } },
        { id: 'exact', type: 'count', by: 'sex' },
        { id: 'noisy-mean', type: 'mean', column: 'age', dp: { epsilon: 0.25 } },
      ],
      { privacy: { minCellSize: 5, budget: { epsilon: 1 } } },
    );
    const s = releaseSummary(study);
    const [noisy, exact, mean] = s.analyses;
    expect(noisy).toMatchObject({
      cells: 2,
      minCellSize: 5,
      epsilon: 0.5,
      delta: 1e-8,
      protection: 'suppression+noise',
      outputs: [
        'count of records with sex = F (with DP noise)',
        'count of records with sex = M (with DP noise)',
      ],
    });
    // Counts have sensitivity 1: scale 1 / 0.5.
    expect(noisy!.notes.join('\n')).toContain('discrete Laplace noise of scale 2 on each count');
    expect(exact).toMatchObject({ cells: 2, epsilon: 0, delta: 0, protection: 'suppression' });
    expect(mean).toMatchObject({
      cells: 2,
      outputs: ['count of records (with DP noise)', 'mean of age (with DP noise)'],
      epsilon: 0.25,
      delta: 1e-9,
    });
    // Half the epsilon each for count and sum; the sum's sensitivity is age's largest value, 95.
    expect(mean!.notes.join('\n')).toContain('scale 760 on each sum of age');
    expect(s.budget).toEqual({ epsilon: 1, delta: 1e-6 });
    expect(s.total).toEqual({ cells: 6, ...spend(study.analyses) });
    expect(s.total.epsilon).toBe(0.75);
  });

  it('reports noise alone when suppression is off (k = 0), and nothing at all without either', () => {
    const study = studyOf(
      [
        { id: 'noisy', type: 'histogram', column: 'age', edges: [18, 50, 95], dp: { epsilon: 1 } },
        { id: 'plain', type: 'crosstab', rows: 'sex', cols: 'recovered' },
      ],
      { privacy: { minCellSize: 0, budget: { epsilon: 1 } } },
    );
    const [noisy, plain] = releaseSummary(study).analyses;
    expect(noisy).toMatchObject({ minCellSize: null, protection: 'noise', cells: 2 });
    expect(noisy!.outputs).toEqual([
      'count of records with age in [18, 50) (with DP noise)',
      'count of records with age in [50, 95] (with DP noise)',
    ]);
    expect(plain).toMatchObject({ minCellSize: null, protection: 'none', cells: 4 });
    expect(plain!.outputs[1]).toBe('count of records with sex = F and recovered = true');
    expect(formatReleaseSummary(releaseSummary(study))).toContain(
      'minimum cell size k = 0 (no suppression)',
    );
  });

  it('spends nothing in a study without noise (zero epsilon), with or without a budget', () => {
    const analyses: AnalysisInput[] = [
      { id: 'n', type: 'count' },
      { id: 'sd', type: 'sd', column: 'age', by: 'recovered' },
    ];
    for (const extra of [{}, { privacy: { budget: { epsilon: 2, delta: 1e-5 } } }]) {
      const study = studyOf(analyses, extra);
      const s = releaseSummary(study);
      expect(s.total).toEqual({ cells: 1 + 6, epsilon: 0, delta: 0 });
      expect(s.total).toMatchObject(spend(study.analyses));
      expect(s.analyses.every((a) => a.epsilon === 0 && a.protection === 'suppression')).toBe(true);
      expect(s.analyses[1]!.outputs.slice(0, 3)).toEqual([
        'count of records with recovered = false',
        'mean of age for recovered = false',
        'standard deviation of age (divisor n - 1) for recovered = false',
      ]);
    }
    const none = formatReleaseSummary(releaseSummary(studyOf(analyses)));
    expect(none).toContain('privacy budget per run: none declared (no analysis may add noise)');
    expect(none).toMatch(/^\s+total\s+7\s+0\s+0$/m);
  });

  it('flags a study changed after validation to spend more than its budget', () => {
    const ok = studyOf([{ type: 'count', dp: { epsilon: 0.5 } }], {
      privacy: { budget: { epsilon: 0.5 } },
    });
    const over = { ...ok, privacy: { ...ok.privacy, budget: { epsilon: 0.4, delta: 1e-6 } } };
    expect(formatReleaseSummary(releaseSummary(over))).toContain('OVER BUDGET');
  });

  it('matches the engine for every analysis type (plaintext suite)', async () => {
    const study = studyOf(
      [
        { id: 'n', type: 'count' },
        { id: 'n-bool', type: 'count', by: 'death' },
        { id: 'tab', type: 'crosstab', rows: 'sex', cols: 'arm' },
        { id: 'sum', type: 'sum', column: 'age', where: { column: 'sex', eq: 'F' } },
        { id: 'rate', type: 'rate', column: 'recovered', by: 'arm', dp: { epsilon: 0.5 } },
        { id: 'hist', type: 'histogram', column: 'age', edges: [18, 40, 60, 80, 95] },
        { id: 'hist-sex', type: 'histogram', column: 'sex' },
        { id: 'var', type: 'variance', column: 'age', by: 'arm' },
        { id: 'min', type: 'min', column: 'survival_days', by: 'sex' },
        { id: 'median', type: 'median', column: 'recovery_days' },
        { id: 'q', type: 'quantiles', column: 'age', probs: [0.1, 0.5, 0.9] },
        { id: 'tt', type: 't-test', column: 'age', by: 'arm', levels: ['B', 'A'] },
        { id: 'tt-student', type: 't-test', variant: 'student', column: 'age', by: 'sex' },
        {
          id: 'tt-paired',
          type: 't-test',
          variant: 'paired',
          column: 'recovery_days',
          paired: 'age',
          mu: -30,
        },
        { id: 'tt-one', type: 't-test', variant: 'one-sample', column: 'age', confLevel: 0.9 },
        { id: 'chi', type: 'chi-squared', rows: 'sex', cols: 'death' },
        { id: 'chi-plain', type: 'chi-squared', rows: 'sex', cols: 'arm', correct: false },
        { id: 'km', type: 'kaplan-meier', time: 'survival_days', event: 'death' },
        { id: 'lr', type: 'log-rank', time: 'survival_days', event: 'death', by: 'sex' },
        {
          id: 'gd',
          type: 'logistic-regression',
          outcome: 'recovered',
          predictors: ['age', 'sex'],
          iterations: 3,
          learningRate: 1,
        },
        {
          id: 'ols',
          type: 'linear-regression',
          outcome: 'recovery_days',
          predictors: ['age', 'arm', 'death'],
        },
        { id: 'cor', type: 'correlation', x: 'age', y: 'recovery_days' },
        { id: 'cov', type: 'covariance', x: 'age', y: 'survival_days' },
      ],
      { privacy: { minCellSize: 5, budget: { epsilon: 1 } } },
    );
    const summary = releaseSummary(study);
    expectCellsMatch(summary, await runPlain(study, patientTables(study)));
    const cells = Object.fromEntries(summary.analyses.map((a) => [a.id, a.cells]));
    expect(cells).toMatchObject({ km: 72, gd: 5, ols: 1 + 4 * 4 + 6, lr: 8, cor: 7, cov: 2 });
    expect(cells).toMatchObject({ 'tt-student': 10, 'tt-paired': 8, 'tt-one': 8, 'chi-plain': 7 });
    const words = (id: string) => summary.analyses.find((a) => a.id === id)!.outputs;
    expect(words('chi')[0]).toContain("(Yates' correction)");
    expect(words('chi-plain')[0]).not.toContain('Yates');
    expect(words('tt-one')).toContain(
      'lower bound of the 90% confidence interval of the mean of age',
    );
    expect(words('tt-paired')[1]).toBe('mean difference recovery_days - age');
    expect(summary.analyses.find((a) => a.id === 'tt')!.outputs[0]).toBe(
      'count of records with arm = B',
    );
  });
});

describe('edge cases', () => {
  // One site only: a categorical column with a single level.
  const schema: StudyInput['schema'] = {
    columns: [
      { name: 'site', type: 'categorical', levels: ['X'] },
      { name: 'arm', type: 'categorical', levels: ['A', 'B', 'C'] },
      { name: 'days', type: 'integer', min: 1, max: 30 },
      { name: 'event', type: 'boolean', labels: { false: 'no', true: 'yes' } },
    ],
  };
  const oneLevel = (analyses: AnalysisInput[]) =>
    defineStudy({
      study: 'one site',
      parties: PARTIES.map((id) => ({ id, data: `${id}.csv` })),
      schema,
      privacy: { minCellSize: 2 },
      analyses,
    });

  it('counts one cell for a by-column with one level, and matches the engine', async () => {
    const study = oneLevel([
      { id: 'n', type: 'count', by: 'site' },
      { id: 'tab', type: 'crosstab', rows: 'site', cols: 'arm' },
      { id: 'chi', type: 'chi-squared', rows: 'site', cols: 'event' },
      { id: 'mean', type: 'mean', column: 'days', by: 'site' },
      { id: 'ev', type: 'count', by: 'event' },
    ]);
    const s = releaseSummary(study);
    expect(s.analyses.map((a) => a.cells)).toEqual([1, 3, 5, 2, 2]);
    expect(s.analyses[0]!.outputs).toEqual(['count of records with site = X']);
    // A boolean spelled otherwise in the data is named both ways.
    expect(s.analyses[4]!.outputs).toEqual([
      'count of records with event = false ("no" in the data)',
      'count of records with event = true ("yes" in the data)',
    ]);
    // 1 x 2: no Yates correction.
    expect(s.analyses[2]!.outputs[0]).toBe('Pearson chi-squared statistic X^2 of site x event');
    const tables = new Map(
      PARTIES.map((id, p) => {
        const lines = ['site,arm,days,event'];
        for (let i = 0; i < 12; i++)
          lines.push(
            `X,${'ABC'[(i + p) % 3]},${1 + ((i * 7 + p) % 30)},${i % 4 === 0 ? 'yes' : 'no'}`,
          );
        return [id, parseCsvTable(lines.join('\n') + '\n', study.schema, `${id}.csv`)];
      }),
    );
    expectCellsMatch(s, await runPlain(study, tables));
  });

  it('releases nothing for a log-rank test whose by-column does not have two levels', () => {
    const s = releaseSummary(
      oneLevel([{ id: 'lr', type: 'log-rank', time: 'days', event: 'event', by: 'arm' }]),
    );
    expect(s.analyses[0]!.cells).toBe(0);
    expect(s.analyses[0]!.notes.join('\n')).toContain('the run stops with an error');
  });
});
