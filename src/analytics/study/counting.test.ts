/**
 * The counting analyses sum the owners' local aggregates: checked against the
 * pooled reference on random tables with the edges the local code must get
 * right (negative decimal sums at the range's ends, dates, values on bin edges
 * and outside the bins, missing values in `where` and `by` columns, a party
 * with zero rows and one with a single row), under rep3 and shamir, and
 * showing that no record is input for them.
 */
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { runLocal } from '../../api/run.js';
import { parseCsvTable, type Table } from '../data/table.js';
import { countingReference, poolTables } from './reference.js';
import { studyProgram } from './runner.js';
import { defineStudy } from './spec.js';
import { STATISTICS } from './statistics.js';

const PARTIES = ['a', 'b', 'c'];

const study = defineStudy({
  study: 'counting',
  parties: PARTIES.map((id) => ({ id, data: `${id}.csv` })),
  schema: {
    columns: [
      { name: 'amount', type: 'decimal', scale: 2, min: -5000, max: 5000 },
      { name: 'day', type: 'date', min: '2020-01-01', max: '2020-12-31' },
      { name: 'kind', type: 'categorical', levels: ['x', 'y', 'z'], missing: 'allow' },
      { name: 'flag', type: 'boolean', missing: 'allow' },
      { name: 'n', type: 'integer', min: -10, max: 10 },
    ],
  },
  privacy: { minCellSize: 0 },
  analyses: [
    { id: 'count', type: 'count' },
    { id: 'count-kind', type: 'count', by: 'kind' },
    { id: 'sum', type: 'sum', column: 'amount', by: 'flag' },
    { id: 'mean', type: 'mean', column: 'n', where: { column: 'kind', in: ['x', 'z'] } },
    { id: 'rate', type: 'rate', column: 'flag', by: 'kind' },
    {
      id: 'hist-day',
      type: 'histogram',
      column: 'day',
      edges: ['2020-02-01', '2020-06-01', '2020-12-31'],
    },
    { id: 'hist-n', type: 'histogram', column: 'n', edges: [-10, 0, 5] },
    { id: 'hist-kind', type: 'histogram', column: 'kind' },
    { id: 'tab', type: 'crosstab', rows: 'kind', cols: 'flag', where: { column: 'n', ge: 0 } },
  ],
});

/** Random CSV rows (a fixed LCG: test data, not secrets) with every edge value. */
function csv(rows: number, seed: number): string {
  let x = seed;
  const r = (m: number) => ((x = (x * 48271) % 2147483647), x % m);
  const lines = ['amount,day,kind,flag,n'];
  const edges = [
    '-5000.00,2020-01-01,,,-10',
    '5000.00,2020-12-31,z,true,10',
    '0.00,2020-06-01,x,false,0',
    '-0.01,2020-02-01,y,,5',
  ];
  for (let i = 0; i < rows; i++) {
    if (i < edges.length && rows > 1) {
      lines.push(edges[i]!);
      continue;
    }
    const day = new Date(Date.UTC(2020, 0, 1) + r(366) * 86_400_000).toISOString().slice(0, 10);
    lines.push(
      `${((r(1_000_001) - 500_000) / 100).toFixed(2)},${day},${['x', 'y', 'z', ''][r(4)]},${['true', 'false', ''][r(3)]},${r(21) - 10}`,
    );
  }
  return lines.join('\n') + '\n';
}

describe('counting analyses from local aggregates', () => {
  const tables = new Map<string, Table | undefined>([
    ['a', parseCsvTable(csv(300, 11), study.schema, 'a.csv')],
    ['b', parseCsvTable(csv(1, 12), study.schema, 'b.csv')],
    ['c', parseCsvTable(csv(0, 13), study.schema, 'c.csv')],
  ]);
  const pooled = poolTables(PARTIES.map((p) => tables.get(p)!));

  for (const suite of ['rep3', 'shamir'])
    it(`equal the pooled reference exactly, inputting no record (${suite})`, async () => {
      const outs = await runLocal(
        studyProgram(study, (p) => tables.get(p), { implementations: STATISTICS }),
        { suite, parties: PARTIES, crypto: nodeCryptoProvider },
      );
      const o = outs[0]!.result;
      for (const a of o.analyses) {
        const ref = countingReference(
          pooled,
          study.analyses.find((x) => x.id === a.id)!,
        )!;
        expect(
          a.rows.map((r) => [r.statistic, r.group, r.value]),
          a.id,
        ).toEqual(ref.map((r) => [r.statistic, r.group, r.value]));
      }
      // Inputs are per group or cell: far fewer elements than records x columns.
      const inputs = outs[0]!.stats.operations.input ?? 0;
      expect(inputs).toBeGreaterThan(0);
      expect(inputs).toBeLessThan(200);
    });
});
