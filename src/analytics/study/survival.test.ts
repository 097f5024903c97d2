/**
 * Survival analyses of a study on per-interval counts aggregated by each
 * owner (statistics.ts, grouped.ts), against R's published output on the
 * aml data (Miller 1981; R's survival package): the 23 patients split over
 * three hospitals.
 */
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { runLocal } from '../../api/run.js';
import { parseCsvTable, type Table } from '../data/table.js';
import { studyProgram } from './runner.js';
import { defineStudy } from './spec.js';
import { STATISTICS } from './statistics.js';

// aml: time (weeks), status (1 = relapse), x: Maintained (first 11) or Nonmaintained.
const TIME = [
  9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161, 5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45,
];
const STATUS = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1];
const X = TIME.map((_, i) => (i < 11 ? 'Maintained' : 'Nonmaintained'));

const PARTIES = ['h1', 'h2', 'h3'];
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
  // 23 patients: no suppression, to compare every number with R.
  privacy: { minCellSize: 0 },
  analyses: [
    {
      id: 'km',
      type: 'kaplan-meier',
      time: 'time',
      event: 'status',
      by: 'x',
      // Every week: the curve at every event time, as R's.
      times: Array.from({ length: 161 }, (_, i) => i + 1),
    },
    // Reported at R's event times only: still computed at every week, so still exact.
    {
      id: 'km-points',
      type: 'kaplan-meier',
      time: 'time',
      event: 'status',
      by: 'x',
      times: [9, 13, 18, 23, 31, 34, 48],
    },
    // Default points: every week 1..161, so this is exactly R's survdiff.
    { id: 'lr', type: 'log-rank', time: 'time', event: 'status', by: 'x' },
  ],
});

// Records dealt round-robin to the three hospitals.
const tables = new Map<string, Table>(
  PARTIES.map((id, p) => {
    const rows = TIME.map((t, i) => `${t},${STATUS[i]},${X[i]}`).filter((_, i) => i % 3 === p);
    return [id, parseCsvTable(['time,status,x', ...rows].join('\n'), study.schema, `${id}.csv`)];
  }),
);

describe('survival analyses on locally aggregated counts', () => {
  it.each(['rep3', 'shamir'])("reproduce R's survfit and survdiff on aml (%s)", async (suite) => {
    const outs = await runLocal(
      studyProgram(study, (p) => tables.get(p), { implementations: STATISTICS }),
      { suite, parties: PARTIES, crypto: nodeCryptoProvider },
    );
    const km = outs[0]!.result.analyses[0]!;
    const points = outs[0]!.result.analyses[1]!;
    const lr = outs[0]!.result.analyses[2]!;
    const value = (rows: typeof km.rows, statistic: string, group: string) =>
      rows.find((r) => r.statistic === statistic && r.group === group)!.value!;
    // R: summary(survfit(Surv(time, status) ~ x, data = aml)), the Maintained arm.
    const published: [number, number][] = [
      [9, 0.909],
      [13, 0.818],
      [18, 0.716],
      [23, 0.614],
      [31, 0.491],
      [34, 0.368],
      [48, 0.184],
    ];
    for (const [t, s] of published) {
      expect(Math.abs(value(km.rows, 'S(t)', `x = Maintained, t = ${t}`) - s)).toBeLessThan(5e-4);
      expect(Math.abs(value(points.rows, 'S(t)', `x = Maintained, t = ${t}`) - s)).toBeLessThan(
        5e-4,
      );
    }
    // At risk in the Maintained arm at weeks 9, 13, 18 (the start of each interval).
    expect([9, 13, 18].map((t) => km.curves![0]!.atRisk![t - 1])).toEqual([11, 10, 8]);
    // R: survdiff(Surv(time, status) ~ x, data = aml):
    //   x=Maintained N = 11, Observed 7, Expected 10.69; Chisq = 3.4 on 1 df, p = 0.0653.
    expect(value(lr.rows, 'n', 'x = Maintained')).toBe(11);
    expect(value(lr.rows, 'n', 'x = Nonmaintained')).toBe(12);
    expect(value(lr.rows, 'observed events', 'x = Maintained')).toBe(7);
    const both = 'x = Maintained vs x = Nonmaintained';
    expect(Math.abs(value(lr.rows, 'expected events', 'x = Maintained') - 10.689)).toBeLessThan(
      1e-3,
    );
    expect(Math.abs(value(lr.rows, 'X^2', both) - 3.396)).toBeLessThan(2e-3);
    expect(Math.abs(value(lr.rows, 'p-value', both) - 0.0653)).toBeLessThan(1e-4);
  });
});
