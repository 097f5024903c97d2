/**
 * Linear regression pushed down: a party whose table is a Parquet file or a
 * DuckDB query returns, for each linear regression, the distinct rows of its
 * columns with their counts (no row enters JavaScript), and the study enters
 * every party's exact cross sums instead of records. The results equal those
 * of loading every row (to the bit in plaintext) and R's lm on the pooled
 * rows under rep3 (and covariance and correlation, from the same sums); edges: the ends of the schema's ranges, a categorical
 * predictor with missing values, a `where` on another column, a party with
 * one record, a constant predictor, and a decimal column with too many values
 * for a GROUP BY (the rows are loaded then, and the sums come from them).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../../api/run.js';
import type { Table } from '../../analytics/data/table.js';
import { parseStudyText } from '../../analytics/study/parse.js';
import { poolTables } from '../../analytics/study/reference.js';
import { studyProgram } from '../../analytics/study/runner.js';
import { STATISTICS, STATISTICS_REFERENCE } from '../../analytics/study/statistics.js';
import { nodeCryptoProvider } from './crypto.js';
import { loadPartyData, type LoadedStudy } from './data.js';

const SCHEMA = {
  columns: [
    { name: 'age', type: 'integer', min: 18, max: 95 },
    { name: 'arm', type: 'categorical', levels: ['A', 'B', 'C'], missing: 'allow' },
    { name: 'recovered', type: 'boolean' },
    { name: 'days', type: 'integer', min: 1, max: 365, missing: 'allow' },
    { name: 'cost', type: 'decimal', scale: 2, min: -1000, max: 100000 },
  ],
};
const TYPES = `{'age': 'INTEGER', 'arm': 'VARCHAR', 'recovered': 'BOOLEAN', 'days': 'INTEGER', 'cost': 'DECIMAL(9,2)'}`;

const PARTIES = [
  { id: 'a', data: 'a.parquet' },
  { id: 'b', query: `SELECT * FROM read_csv('b.csv', header = true, columns = ${TYPES})` },
  { id: 'c', data: 'c.csv' },
];

const MODELS = [
  { id: 'lm', type: 'linear-regression', outcome: 'days', predictors: ['age', 'arm', 'recovered'] },
  {
    id: 'lm-where',
    type: 'linear-regression',
    outcome: 'age',
    predictors: ['days'],
    where: { column: 'recovered', eq: false },
  },
  { id: 'cor', type: 'correlation', x: 'age', y: 'days' },
  { id: 'cov', type: 'covariance', x: 'days', y: 'age', where: { column: 'arm', in: ['B', 'C'] } },
];

function csv(rows: number, seed: number): string {
  let x = seed;
  const r = (m: number) => ((x = (x * 48271) % 2147483647), x % m);
  const lines = ['age,arm,recovered,days,cost'];
  // The ends of every range, a missing arm and a missing time.
  const edges = [
    '18,A,true,1,-1000.00',
    '95,C,false,365,100000.00',
    '95,B,true,365,-1000.00',
    '40,,true,30,0.00',
    '60,A,false,,12.34',
  ];
  for (let i = 0; i < rows; i++) {
    if (i < edges.length) {
      lines.push(edges[i]!);
      continue;
    }
    const age = 18 + r(78);
    const arm = ['A', 'B', 'C', 'A', ''][r(5)];
    const recovered = r(100) < 60;
    const days = r(25) === 0 ? '' : String(Math.min(365, 1 + Math.floor(age * 1.5) + r(100)));
    const cost = ((r(10_100_000) - 100_000) / 100).toFixed(2);
    lines.push(`${age},${arm},${recovered},${days},${cost}`);
  }
  return lines.join('\n') + '\n';
}

describe('pushdown of linear regression into DuckDB (exact cross sums as limbs)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'entente-pushdown-lm-'));
    for (const [i, id] of ['a', 'b', 'c'].entries())
      await writeFile(join(dir, `${id}.csv`), csv(260 + 30 * i, 7 + i));
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(
      `COPY (SELECT * FROM read_csv('${join(dir, 'a.csv')}', header = true, columns = ${TYPES})) TO '${join(dir, 'a.parquet')}' (FORMAT parquet)`,
    );
    c.closeSync();
    db.closeSync();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const loadedStudy = (analyses: object[], parties: object[] = PARTIES): LoadedStudy => ({
    study: parseStudyText(
      JSON.stringify({
        study: 'linear regression pushed down',
        parties,
        schema: SCHEMA,
        privacy: { minCellSize: 0 },
        analyses,
      }),
      'study.json',
    ),
    file: join(dir, 'study.json'),
    dir,
  });

  async function tablesOf(l: LoadedStudy, env: NodeJS.ProcessEnv): Promise<Map<string, Table>> {
    const out = new Map<string, Table>();
    for (const id of ['a', 'b', 'c'])
      out.set(id, (await loadPartyData(l, id, undefined, undefined, env))!);
    return out;
  }

  const run = async (l: LoadedStudy, tables: Map<string, Table>, suite = 'plaintext') =>
    (
      await runLocal(
        studyProgram(l.study, (p) => tables.get(p), { implementations: STATISTICS }),
        { suite, parties: ['a', 'b', 'c'], crypto: nodeCryptoProvider },
      )
    )[0]!.result.analyses.map((a) => a.rows);

  it('gives the results of loading every row (to the bit in plaintext), from grouped rows', async () => {
    const l = loadedStudy(MODELS);
    const pushed = await tablesOf(l, {});
    const loaded = await tablesOf(l, { ENTENTE_PUSHDOWN: '0' });
    for (const id of ['a', 'b']) {
      const t = pushed.get(id)!;
      expect(t.columns.size).toBe(0);
      expect([...t.grouped!.keys()]).toEqual(['lm:lm', 'lm:lm-where', 'cross:cor', 'cross:cov']);
      expect(t.grouped!.get('lm:lm')!.rows).toBeLessThan(t.rows);
    }
    const viaSql = await run(l, pushed);
    expect(viaSql).toEqual(await run(l, loaded));
    // Positive control: one record more in one grouped row changes that model only.
    const a = pushed.get('a')!;
    const g = a.grouped!.get('lm:lm')!;
    const w = Float64Array.from(g.weights!);
    w[0]! += 1;
    const tampered = new Map(pushed).set('a', {
      ...a,
      grouped: new Map(a.grouped!).set('lm:lm', { ...g, weights: w }),
    });
    const off = await run(l, tampered);
    expect(off[0]).not.toEqual(viaSql[0]);
    expect(off.slice(1)).toEqual(viaSql.slice(1));
  }, 60_000);

  it("under rep3, as R's lm, cov and cor on the pooled rows", async () => {
    const l = loadedStudy(MODELS);
    const pushed = await tablesOf(l, {});
    const loaded = await tablesOf(l, { ENTENTE_PUSHDOWN: '0' });
    const got = await run(l, pushed, 'rep3');
    const pooled = poolTables(['a', 'b', 'c'].map((p) => loaded.get(p)!));
    l.study.analyses.forEach((a, i) => {
      const want = STATISTICS_REFERENCE[a.type]!(pooled, a, l.study)!;
      for (const w of want) {
        const g = got[i]!.find((r) => r.statistic === w.statistic && r.group === w.group);
        expect(g, `${a.id} ${w.statistic} ${w.group}`).toBeDefined();
        if (['p-value', 'F', 't', 'CI lower', 'CI upper'].includes(w.statistic)) continue;
        expect(
          Math.abs(g!.value! - w.value!),
          `${a.id} ${w.statistic} ${w.group}: ${g!.value} vs ${w.value}`,
        ).toBeLessThanOrEqual(Math.abs(w.value!) * 1e-3 + 1e-3);
      }
    });
  }, 60_000);

  it('a party with one record, and a constant predictor: the same numbers as the loaded rows', async () => {
    const constant = [
      // Every record used has age 95: a constant predictor.
      {
        id: 'constant',
        type: 'linear-regression',
        outcome: 'days',
        predictors: ['age', 'recovered'],
        where: { column: 'age', eq: 95 },
      },
      ...MODELS,
    ];
    const parties = PARTIES.map((p) =>
      p.id === 'b'
        ? {
            ...p,
            query: `SELECT * FROM read_csv('b.csv', header = true, columns = ${TYPES}) WHERE age = 95 AND days = 365 AND arm = 'C'`,
          }
        : p,
    );
    const l = loadedStudy(constant, parties);
    const pushed = await tablesOf(l, {});
    const loaded = await tablesOf(l, { ENTENTE_PUSHDOWN: '0' });
    expect(pushed.get('b')!.rows).toBe(1);
    expect(pushed.get('b')!.columns.size).toBe(0);
    const got = await run(l, pushed);
    expect(got).toEqual(await run(l, loaded));
    // The constant predictor: coefficient and se 0, no t (R's lm reports it as aliased, NA),
    // as the per-record path gives; the other terms are fitted without it.
    const age = (statistic: string) =>
      got[0]!.find((r) => r.statistic === statistic && r.group === 'age')!.value;
    expect([age('coefficient'), age('standard error'), age('t')]).toEqual([0, 0, null]);
  }, 60_000);

  it('loads the rows when the columns take too many values for a GROUP BY, and sums them', async () => {
    const l = loadedStudy([
      { id: 'lm-cost', type: 'linear-regression', outcome: 'cost', predictors: ['age'] },
    ]);
    const a = (await loadPartyData(l, 'a', undefined, undefined, {}))!;
    expect(a.columns.size).toBe(5);
    expect(a.grouped).toBeUndefined();
    const tables = await tablesOf(l, {});
    const got = await run(l, tables, 'rep3');
    const pooled = poolTables(['a', 'b', 'c'].map((p) => tables.get(p)!));
    const want = STATISTICS_REFERENCE['linear-regression']!(pooled, l.study.analyses[0]!, l.study)!;
    for (const w of want.filter((r) => r.statistic === 'coefficient' || r.statistic === 'R^2')) {
      const g = got[0]!.find((r) => r.statistic === w.statistic && r.group === w.group)!;
      expect(Math.abs(g.value! - w.value!), `${w.statistic} ${w.group}`).toBeLessThanOrEqual(
        Math.abs(w.value!) * 1e-3 + 0.05,
      );
    }
  }, 60_000);
});
