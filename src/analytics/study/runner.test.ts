import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { runLocal } from '../../api/run.js';
import { generatePatients, HOSPITAL_SCHEMA, patientsCsv } from '../../apps/hospitals.js';
import { parseCsvTable, type Table } from '../data/table.js';
import { countingReference, poolTables } from './reference.js';
import type { ResultRow } from './result.js';
import { checkRunnable, runStudy, studyProgram, StudyRefused } from './runner.js';
import { defineStudy, type AnalysisInput, type StudyInput } from './spec.js';
import { STATISTICS, STATISTICS_REFERENCE } from './statistics.js';
import { terminalReport } from './report.js';
import { testRng } from '../../../test/harness.js';

const PARTIES = ['hospital-a', 'hospital-b', 'hospital-c'];

const SCHEMA = HOSPITAL_SCHEMA as unknown as StudyInput['schema'];

function studyOf(analyses: AnalysisInput[], extra: Partial<StudyInput> = {}) {
  return defineStudy({
    study: 'test',
    parties: PARTIES.map((id) => ({ id, data: `${id}.csv` })),
    schema: SCHEMA,
    analyses,
    ...extra,
  });
}

const ROWS = [120, 90, 150];
const tables = new Map<string, Table>(
  PARTIES.map((id, i) => {
    const schema = studyOf([{ type: 'count' }]).schema;
    return [id, parseCsvTable(patientsCsv(generatePatients(i, ROWS[i]!, 7)), schema, `${id}.csv`)];
  }),
);
const pooled = poolTables(PARTIES.map((p) => tables.get(p)!));

const byKey = (rows: readonly ResultRow[]) =>
  new Map(rows.map((r) => [`${r.statistic}|${r.group}`, r]));

describe('study runner', () => {
  it('computes counting and descriptive analyses as the pooled plaintext does (rep3)', async () => {
    const study = studyOf(
      [
        { id: 'n', type: 'count', by: 'arm' },
        { id: 'n-sex-arm', type: 'crosstab', rows: 'sex', cols: 'arm' },
        { id: 'rate', type: 'rate', column: 'recovered', by: 'arm' },
        { id: 'days', type: 'mean', column: 'recovery_days', by: 'arm' },
        { id: 'sum-age', type: 'sum', column: 'age', where: { column: 'sex', eq: 'F' } },
        { id: 'hist', type: 'histogram', column: 'age', edges: [18, 40, 60, 80, 95] },
        { id: 'old', type: 'count', by: 'sex', where: [{ column: 'age', ge: 88 }] },
        { id: 'sd', type: 'sd', column: 'age', by: 'arm' },
        { id: 'max', type: 'max', column: 'survival_days', where: { column: 'death', eq: true } },
        { id: 'median', type: 'median', column: 'recovery_days' },
        { id: 'q', type: 'quantiles', column: 'age', probs: [0.1, 0.9] },
        { id: 'tt', type: 't-test', column: 'recovery_days', by: 'arm' },
        { id: 'chi', type: 'chi-squared', rows: 'arm', cols: 'recovered' },
        {
          id: 'km',
          type: 'kaplan-meier',
          time: 'survival_days',
          event: 'death',
          by: 'arm',
          times: [60, 120, 240, 365],
        },
        { id: 'lr', type: 'log-rank', time: 'survival_days', event: 'death', by: 'arm' },
        {
          id: 'logit',
          type: 'logistic-regression',
          outcome: 'recovered',
          predictors: ['age', 'arm'],
        },
        {
          id: 'ols',
          type: 'linear-regression',
          outcome: 'recovery_days',
          predictors: ['age', 'arm'],
        },
        { id: 'cor', type: 'correlation', x: 'age', y: 'recovery_days' },
        { id: 'cov', type: 'covariance', x: 'age', y: 'survival_days' },
      ],
      { privacy: { minCellSize: 5 } },
    );
    const outs = await runLocal(
      studyProgram(study, (p) => tables.get(p), { implementations: STATISTICS }),
      { suite: 'rep3', parties: PARTIES, crypto: nodeCryptoProvider },
    );
    const o = outs[0]!.result;
    expect(outs[1]!.result.analyses.map((a) => a.rows)).toEqual(o.analyses.map((a) => a.rows));
    expect(o.parties.map((p) => p.rows)).toEqual(ROWS);
    for (const a of o.analyses) {
      const spec = study.analyses.find((x) => x.id === a.id)!;
      const ref =
        countingReference(pooled, spec) ?? STATISTICS_REFERENCE[spec.type]!(pooled, spec, study)!;
      const want = byKey(ref);
      expect([...byKey(a.rows).keys()]).toEqual([...want.keys()]);
      for (const r of a.rows) {
        const w = want.get(`${r.statistic}|${r.group}`)!;
        if (r.suppressed) {
          // Suppressed exactly when the group has fewer than k = 5 records.
          expect(r.value).toBeNull();
          continue;
        }
        if (
          [
            'count',
            'crosstab',
            'rate',
            'mean',
            'sum',
            'histogram',
            'max',
            'median',
            'quantiles',
          ].includes(a.type) ||
          r.statistic === 'n'
        )
          expect(r.value, `${a.id} ${r.statistic} ${r.group}`).toBeCloseTo(w.value!, 9);
        else {
          // About 1e-3 relative for the regressions (logistic: fixed-point sigmoid and a fixed
          // number of Newton steps; linear: the intercept inherits slope errors times the means).
          const tol = a.type.endsWith('regression') ? 3e-3 : 1e-4;
          const err = Math.abs(r.value! - w.value!) / Math.max(1, Math.abs(w.value!));
          expect(err, `${a.id} ${r.statistic} ${r.group}`).toBeLessThan(tol);
        }
      }
      // Suppressed rows are exactly the groups below k.
      const nRows = a.rows.filter((r) => r.statistic === 'n');
      for (const r of nRows)
        expect(r.suppressed, `${a.id} ${r.group} ${r.value}`).toBe(
          (want.get(`n|${r.group}`)!.value ?? 0) < 5,
        );
    }
    // The over-88 groups are small: at least one is suppressed.
    expect(o.analyses.find((a) => a.id === 'old')!.rows.some((r) => r.suppressed)).toBe(true);
  });

  it("runs independent analyses concurrently on channels: the same results as one after another, in about the longest one's rounds", async () => {
    const study = studyOf([
      { id: 'n', type: 'count', by: 'arm' },
      { id: 'tt', type: 't-test', column: 'recovery_days', by: 'arm' },
      { id: 'chi', type: 'chi-squared', rows: 'arm', cols: 'recovered' },
      { id: 'lr', type: 'log-rank', time: 'survival_days', event: 'death', by: 'arm' },
      { id: 'cor', type: 'correlation', x: 'age', y: 'recovery_days' },
    ]);
    const progress: string[] = [];
    const run = (sequential: boolean) =>
      runLocal(
        (s) =>
          runStudy(s, study, tables.get(s.me), {
            implementations: STATISTICS,
            sequential,
            progress: s.me === PARTIES[0] ? (m) => progress.push(m) : undefined,
          }),
        { suite: 'rep3', parties: PARTIES, crypto: nodeCryptoProvider, reorder: testRng(5) },
      );
    const seq = (await run(true))[0]!.result;
    progress.length = 0;
    const outs = await run(false);
    const con = outs[0]!.result;
    // The same releases: counts exactly; other statistics within the precision of
    // their probabilistic truncations, which differ between any two runs (sequential
    // ones too) in the last bits.
    for (const o of outs) {
      expect(o.result.analyses.map((a) => a.rows)).toEqual(con.analyses.map((a) => a.rows));
      o.result.analyses.forEach((a, i) => {
        const want = seq.analyses[i]!.rows;
        expect(a.rows.map((r) => [r.statistic, r.group, r.suppressed])).toEqual(
          want.map((r) => [r.statistic, r.group, r.suppressed]),
        );
        a.rows.forEach((r, k) => {
          const w = want[k]!.value;
          if (r.statistic === 'n' || a.type === 'count') expect(r.value).toBe(w);
          else expect(Math.abs(r.value! - w!) / Math.max(1, Math.abs(w!))).toBeLessThan(1e-4);
        });
      });
    }
    // Per analysis, its own rounds: the same critical path as alone, plus its channel's
    // setup round and the input round of columns that a sequential run had input already.
    con.analyses.forEach((a, i) => {
      expect(a.rounds).toBeGreaterThanOrEqual(seq.analyses[i]!.rounds);
      expect(a.rounds).toBeLessThanOrEqual(seq.analyses[i]!.rounds + 2);
      expect(a.bytesSent).toBeGreaterThan(0);
    });
    const longest = Math.max(...con.analyses.map((a) => a.rounds));
    const sum = seq.analyses.reduce((t, a) => t + a.rounds, 0);
    const before = seq.rounds - sum; // the digest check and row counts
    expect(con.rounds).toBe(before + longest);
    expect(con.rounds).toBeLessThan(seq.rounds);
    expect(progress[2]).toBe('running 5 analyses concurrently: n, tt, chi, lr, cor');
    expect(progress[3]).toBe('analysis 1/5: Records by arm');
    for (const a of study.analyses)
      expect(progress.some((m) => m.startsWith(`done ${a.id} (`))).toBe(true);
  });

  it('refuses before computing: missing implementation, parties, table, and a different study', async () => {
    const later = studyOf([{ type: 'log-rank', time: 'survival_days', event: 'death', by: 'arm' }]);
    expect(() => checkRunnable(later, { implementations: {} })).toThrow(
      /no implementation in this build for log-rank-1 \(log-rank\); nothing was computed/,
    );
    const study = studyOf([{ type: 'count' }]);
    // Parties that are not the session's.
    await expect(
      runLocal(
        studyProgram(study, (p) => tables.get(p)),
        { suite: 'rep3', parties: ['x', 'y', 'z'] },
      ),
    ).rejects.toThrow(StudyRefused);
    // A party holding another study: detected by the digest, before any data is input.
    const other = studyOf([{ type: 'count', by: 'sex' }]);
    const outs = runLocal(
      async (s) => {
        const r = await runStudy(s, s.me === 'hospital-b' ? other : study, tables.get(s.me)).catch(
          (e: unknown) => e as Error,
        );
        return { error: r instanceof Error ? r.message : '', rounds: s.stats().rounds };
      },
      { suite: 'rep3', parties: PARTIES, crypto: nodeCryptoProvider },
    );
    const res = await outs;
    expect(res[0]!.result.error).toBe(
      'parties hospital-b hold a different study file; nothing was computed',
    );
    expect(res[1]!.result.error).toBe(
      'parties hospital-a, hospital-c hold a different study file; nothing was computed',
    );
  });

  it('refuses an over-budget study before any round (TypeScript study bypassing the file check)', async () => {
    const ok = studyOf([{ type: 'count', by: 'arm', dp: { epsilon: 0.5 } }], {
      privacy: { budget: { epsilon: 0.5, delta: 1e-6 } },
    });
    // A study object changed after validation (e.g. by a program) is checked again by the runner.
    const over = { ...ok, privacy: { ...ok.privacy, budget: { epsilon: 0.4, delta: 1e-6 } } };
    const res = await runLocal(
      async (s) => {
        const e = await runStudy(s, over, tables.get(s.me)).catch((x: unknown) => x as Error);
        return { error: (e as Error).message, rounds: s.stats().rounds };
      },
      { suite: 'rep3', parties: PARTIES, crypto: nodeCryptoProvider },
    );
    expect(res[0]!.result.error).toBe(
      'the analyses spend epsilon 0.5, delta 1e-9, over the budget (epsilon 0.4, delta 0.000001); nothing was computed',
    );
    expect(res.every((r) => r.result.rounds <= 1)).toBe(true);
  });

  it('adds DP noise to counts and rates within the budget (plaintext suite)', async () => {
    const study = studyOf(
      [
        { id: 'n', type: 'count', by: 'arm', dp: { epsilon: 0.5 } },
        { id: 'rate', type: 'rate', column: 'recovered', dp: { epsilon: 0.5 } },
      ],
      { privacy: { minCellSize: 10, budget: { epsilon: 1, delta: 1e-6 } } },
    );
    const [out] = await runLocal(
      studyProgram(study, (p) => tables.get(p)),
      {
        suite: 'plaintext',
        parties: PARTIES,
        crypto: nodeCryptoProvider,
      },
    );
    const o = out!.result;
    expect(o.budget).toEqual({ epsilon: 1, delta: 1e-6, spentEpsilon: 1, spentDelta: 2e-9 });
    const ref = byKey(countingReference(pooled, study.analyses[0]!)!);
    for (const r of o.analyses[0]!.rows) {
      // Scale 2: |noise| > 40 has probability about e^-20.
      expect(Math.abs(r.value! - ref.get(`n|${r.group}`)!.value!)).toBeLessThan(40);
      expect(r.precision).toBe('DP noise: discrete Laplace, scale 2');
    }
    expect(o.analyses[1]!.dp).toEqual({ epsilon: 0.5, delta: 1e-9 });
  });
});

describe("run reports in the study's own words", () => {
  it('names the parties of the study (banks, not hospitals) and reads right for k = 1', async () => {
    const names = ['Bank North', 'Bank South', 'Bank East'];
    const study = studyOf(
      [
        { id: 'n', type: 'count', by: 'arm' },
        { id: 'km', type: 'kaplan-meier', time: 'survival_days', event: 'death', times: [90, 365] },
        { id: 'logit', type: 'logistic-regression', outcome: 'recovered', predictors: ['arm'] },
      ],
      {
        study: 'Loan defaults',
        parties: PARTIES.map((id, i) => ({ id, name: names[i], data: `${id}.csv` })),
        privacy: { minCellSize: 1 },
      },
    );
    const outs = await runLocal(
      studyProgram(study, (p) => tables.get(p), { implementations: STATISTICS }),
      { suite: 'rep3', parties: PARTIES, crypto: nodeCryptoProvider },
    );
    const o = outs[0]!.result;
    const notes = o.analyses.flatMap((a) => a.notes);
    const text = terminalReport(o);
    expect(text).not.toMatch(/hospital/i);
    expect(text).not.toMatch(/fewer than 1 records/);
    expect(notes).toContain('groups with no records are suppressed');
    expect(notes).toContainEqual(
      expect.stringMatching(
        /^each of Bank North, Bank South and Bank East counts its own records at risk and events per interval/,
      ),
    );
    expect(notes).toContainEqual(
      expect.stringMatching(
        /: each of Bank North, Bank South and Bank East counts its own records per cell/,
      ),
    );
    expect(text).toMatch(/"\(< 1\)": suppressed, no records\.$/m);
  });
});

describe('stated precision of wide columns', () => {
  it('a variance and sd over a wide decimal column state the bound that holds, and meet it', async () => {
    // 600 balances in cents up to +-10 million: 31-bit values, too wide for exact squares at
    // this many records, so the report states the bound from the released value.
    const schema = {
      columns: [{ name: 'balance', type: 'decimal', scale: 2, min: -10_000_000, max: 10_000_000 }],
    } as unknown as StudyInput['schema'];
    const study = defineStudy({
      study: 'balances',
      parties: PARTIES.map((id) => ({ id, data: `${id}.csv` })),
      schema,
      analyses: [
        { id: 'v', type: 'variance', column: 'balance' },
        { id: 's', type: 'sd', column: 'balance' },
      ],
      privacy: { minCellSize: 5 },
    });
    let seed = 11;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const values = PARTIES.map(() =>
      Array.from(
        { length: 200 },
        () => Math.round((2_000_000 + 0.37 * (next() - 0.5)) * 100) / 100,
      ),
    );
    const own = new Map(
      PARTIES.map((id, i) => [
        id,
        parseCsvTable(
          `balance\n${values[i]!.map((v) => v.toFixed(2)).join('\n')}\n`,
          study.schema,
          `${id}.csv`,
        ),
      ]),
    );
    const outs = await runLocal(
      studyProgram(study, (p) => own.get(p), { implementations: STATISTICS }),
      {
        suite: 'rep3',
        parties: PARTIES,
        crypto: nodeCryptoProvider,
      },
    );
    const all = values.flat();
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    const variance = all.reduce((a, b) => a + (b - mean) ** 2, 0) / (all.length - 1);
    const row = (id: string, statistic: string) =>
      outs[0]!.result.analyses
        .find((a) => a.id === id)!
        .rows.find((r) => r.statistic === statistic)!;
    for (const [id, statistic, want] of [
      ['v', 'variance', variance],
      ['s', 'sd', Math.sqrt(variance)],
    ] as const) {
      const r = row(id, statistic);
      const m = /within \+-([0-9.e+-]+) \(600 records of a/.exec(r.precision ?? '');
      expect(m, `${statistic}: ${r.precision}`).not.toBeNull();
      expect(Math.abs(r.value! - want)).toBeLessThanOrEqual(Number(m![1]));
    }
  }, 60_000);
});
