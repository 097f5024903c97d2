/**
 * Pushdown: a study of counting analyses over Parquet and DuckDB-query
 * sources runs on aggregates computed by DuckDB (no row enters JavaScript)
 * and gives exactly the results of loading every row; bad values are still
 * refused, per column; a study with a per-record analysis loads the rows.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../../api/run.js';
import type { Table } from '../../analytics/data/table.js';
import { parseStudyText } from '../../analytics/study/parse.js';
import { countingReference, poolTables } from '../../analytics/study/reference.js';
import { studyProgram } from '../../analytics/study/runner.js';
import { STATISTICS, STATISTICS_REFERENCE } from '../../analytics/study/statistics.js';
import { nodeCryptoProvider } from './crypto.js';
import { loadPartyData, type LoadedStudy } from './data.js';

const SCHEMA = {
  columns: [
    { name: 'amount', type: 'decimal', scale: 2, min: -5000, max: 5000 },
    { name: 'day', type: 'date', min: '2020-01-01', max: '2020-12-31' },
    { name: 'kind', type: 'categorical', levels: ['x', 'y', "o'k"], missing: 'allow' },
    { name: 'flag', type: 'boolean', missing: 'allow' },
    { name: 'n', type: 'integer', min: -10, max: 10 },
  ],
};
const TYPES = `{'amount': 'DECIMAL(8,2)', 'day': 'DATE', 'kind': 'VARCHAR', 'flag': 'BOOLEAN', 'n': 'INTEGER'}`;

const COUNTING = [
  { id: 'count', type: 'count' },
  { id: 'count-kind', type: 'count', by: 'kind' },
  { id: 'sum', type: 'sum', column: 'amount', by: 'flag' },
  { id: 'mean', type: 'mean', column: 'n', where: { column: 'kind', in: ['x', "o'k"] } },
  {
    id: 'rate',
    type: 'rate',
    column: 'flag',
    by: 'kind',
    where: { column: 'day', ge: '2020-03-01' },
  },
  {
    id: 'hist-day',
    type: 'histogram',
    column: 'day',
    edges: ['2020-02-01', '2020-06-01', '2020-12-31'],
  },
  { id: 'hist-amount', type: 'histogram', column: 'amount', edges: [-5000, 0, 0.01, 2500] },
  { id: 'hist-kind', type: 'histogram', column: 'kind' },
  { id: 'tab', type: 'crosstab', rows: 'kind', cols: 'flag', where: { column: 'amount', lt: 0 } },
];

function csv(rows: number, seed: number): string {
  let x = seed;
  const r = (m: number) => ((x = (x * 48271) % 2147483647), x % m);
  const lines = ['amount,day,kind,flag,n'];
  const edges = [
    '-5000.00,2020-01-01,,,-10',
    '5000.00,2020-12-31,"o\'k",true,10',
    '0.00,2020-06-01,x,false,0',
    '0.01,2020-02-01,y,,5',
    '2500.00,2020-03-01,x,true,1',
  ];
  for (let i = 0; i < rows; i++) {
    if (i < edges.length) {
      lines.push(edges[i]!);
      continue;
    }
    const day = new Date(Date.UTC(2020, 0, 1) + r(366) * 86_400_000).toISOString().slice(0, 10);
    lines.push(
      `${((r(1_000_001) - 500_000) / 100).toFixed(2)},${day},${['x', 'y', "o'k", ''][r(4)]},${['true', 'false', ''][r(3)]},${r(21) - 10}`,
    );
  }
  return lines.join('\n') + '\n';
}

describe('pushdown of the counting analyses into DuckDB', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'entente-pushdown-'));
    for (const [i, id] of ['a', 'b', 'c'].entries())
      await writeFile(join(dir, `${id}.csv`), csv(400 + 50 * i, 7 + i));
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

  const loadedStudy = (analyses: object[]): LoadedStudy => ({
    study: parseStudyText(
      JSON.stringify({
        study: 'pushdown',
        parties: [
          { id: 'a', data: 'a.parquet' },
          { id: 'b', query: `SELECT * FROM read_csv('b.csv', header = true, columns = ${TYPES})` },
          { id: 'c', data: 'c.csv' },
        ],
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

  it('gives exactly the results of loading every row, with no row in JavaScript', async () => {
    const l = loadedStudy(COUNTING);
    const pushed = await tablesOf(l, {});
    const loaded = await tablesOf(l, { ENTENTE_PUSHDOWN: '0' });
    expect(pushed.get('a')!.columns.size).toBe(0);
    expect(pushed.get('b')!.columns.size).toBe(0);
    expect(pushed.get('a')!.aggregates!.size).toBe(COUNTING.length);
    expect(pushed.get('c')!.columns.size).toBe(5); // CSV: rows loaded, aggregated in JavaScript
    expect(loaded.get('a')!.columns.size).toBe(5);
    for (const id of ['a', 'b']) expect(pushed.get(id)!.rows).toBe(loaded.get(id)!.rows);
    const run = async (tables: Map<string, Table>) =>
      (
        await runLocal(
          studyProgram(l.study, (p) => tables.get(p), { implementations: STATISTICS }),
          {
            suite: 'rep3',
            parties: ['a', 'b', 'c'],
            crypto: nodeCryptoProvider,
          },
        )
      )[0]!.result.analyses.map((a) => a.rows);
    const viaSql = await run(pushed);
    expect(viaSql).toEqual(await run(loaded));
    const pooled = poolTables(['a', 'b', 'c'].map((p) => loaded.get(p)!));
    l.study.analyses.forEach((a, i) =>
      expect(
        viaSql[i]!.map((r) => [r.group, r.value]),
        a.id,
      ).toEqual(countingReference(pooled, a)!.map((r) => [r.group, r.value])),
    );
  });

  it('loads the rows when an analysis works per record', async () => {
    const l = loadedStudy([...COUNTING, { id: 'med', type: 'median', column: 'n' }]);
    expect((await tablesOf(l, {})).get('a')!.columns.size).toBe(5);
  });

  it('refuses bad values in SQL, counting them per column without quoting them', async () => {
    await writeFile(
      join(dir, 'bad.csv'),
      'amount,day,kind,flag,n\n1.00,2020-01-01,x,true,11\n1.00,2020-01-01,zz,true,1\n1.00,2020-01-01,zz,true,1\n1.00,2020-01-01,x,true,\n',
    );
    const l = loadedStudy(COUNTING);
    const bad = {
      ...l,
      study: {
        ...l.study,
        parties: l.study.parties.map((p) =>
          p.id === 'b'
            ? {
                ...p,
                query: {
                  sql: `SELECT * FROM read_csv('bad.csv', header = true, columns = ${TYPES})`,
                  engine: 'duckdb' as const,
                  connection: undefined,
                },
              }
            : p,
        ),
      },
    };
    const msg = await loadPartyData(bad, 'b', undefined, undefined, {}).catch(
      (e: unknown) => (e as Error).message,
    );
    expect(msg).toMatch(
      /query \(duckdb\): column 'n': 1 row: out of range: expected an integer in -10\.\.10/,
    );
    expect(msg).toMatch(/column 'kind': 2 rows: unknown level/);
    expect(msg).toMatch(/column 'n': 1 row: missing value/);
    expect(msg).not.toMatch(/zz|11/);
    // Checking only (a launcher before it starts the parties) refuses the same values.
    const checked = await loadPartyData(bad, 'b', undefined, undefined, {}, { checkOnly: true })
      .then(() => 'accepted')
      .catch((e: unknown) => (e as Error).message);
    expect(checked).toBe(msg);
  });

  it('checks only, when asked: the row count, no aggregate, and no study runs on it', async () => {
    const l = loadedStudy(COUNTING);
    const full = (await loadPartyData(l, 'a', undefined, undefined, {}))!;
    const checked = (await loadPartyData(l, 'a', undefined, undefined, {}, { checkOnly: true }))!;
    expect(checked.rows).toBe(full.rows);
    expect(checked.columns.size).toBe(0);
    expect(checked.aggregates!.size).toBe(0);
    const tables = await tablesOf(l, {});
    tables.set('a', checked);
    const err = await runLocal(
      studyProgram(l.study, (p) => tables.get(p), { implementations: STATISTICS }),
      { suite: 'plaintext', parties: ['a', 'b', 'c'] },
    ).then(
      () => 'ran',
      (e: unknown) => String(e),
    );
    expect(err).toMatch(
      /aggregate n:count: this party's SQL engine computed the aggregates of other analyses, or only checked the data/,
    );
  });
});

const HOSPITAL_SCHEMA = {
  columns: [
    { name: 'age', type: 'integer', min: 18, max: 95 },
    { name: 'arm', type: 'categorical', levels: ['A', 'B'], missing: 'allow' },
    { name: 'recovered', type: 'boolean' },
    { name: 'days', type: 'integer', min: 1, max: 365, missing: 'allow' },
    { name: 'death', type: 'boolean' },
  ],
};
const HOSPITAL_TYPES = `{'age': 'INTEGER', 'arm': 'VARCHAR', 'recovered': 'BOOLEAN', 'days': 'INTEGER', 'death': 'BOOLEAN'}`;

const HOSPITAL_PARTIES = [
  { id: 'a', data: 'a.parquet' },
  {
    id: 'b',
    query: `SELECT * FROM read_csv('b.csv', header = true, columns = ${HOSPITAL_TYPES})`,
  },
  { id: 'c', data: 'c.csv' },
];

/** Analyses counted per record over a few columns: the engine's GROUP BY feeds them. */
const PER_INTERVAL = [
  { id: 'km', type: 'kaplan-meier', time: 'days', event: 'death', by: 'arm' },
  {
    id: 'km-old',
    type: 'kaplan-meier',
    time: 'days',
    event: 'death',
    times: [30, 90, 180, 365],
    where: { column: 'age', ge: 60 },
  },
  { id: 'lr', type: 'log-rank', time: 'days', event: 'death', by: 'arm', times: [60, 120, 365] },
  {
    id: 'logit',
    type: 'logistic-regression',
    outcome: 'recovered',
    predictors: ['age', 'arm'],
    where: { column: 'death', eq: false },
  },
  {
    id: 'cox',
    type: 'cox',
    time: 'days',
    event: 'death',
    predictors: ['arm'],
    times: [90, 180, 270, 365],
  },
];

function hospitalCsv(rows: number, seed: number): string {
  let x = seed;
  const r = (m: number) => ((x = (x * 48271) % 2147483647), x % m);
  const lines = ['age,arm,recovered,days,death'];
  // Edges: the extreme ages and times, missing arm and time, time on a reported point.
  const edges = [
    '18,A,true,1,true',
    '95,B,false,365,false',
    '40,,true,30,true',
    '60,A,false,,true',
  ];
  for (let i = 0; i < rows; i++) {
    if (i < edges.length) {
      lines.push(edges[i]!);
      continue;
    }
    const age = 18 + r(78);
    const arm = ['A', 'B', 'A', 'B', ''][r(5)];
    // Older patients and arm B recover less often; deaths cluster early.
    const recovered = r(100) < 70 - (age - 18) / 2 - (arm === 'B' ? 10 : 0);
    const days = r(20) === 0 ? '' : String(1 + (r(2) ? r(120) : r(365)));
    lines.push(`${age},${arm},${recovered},${days},${r(3) === 0}`);
  }
  return lines.join('\n') + '\n';
}

describe('pushdown of survival, Cox and grouped logistic counts into DuckDB', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'entente-pushdown-surv-'));
    for (const [i, id] of ['a', 'b', 'c'].entries())
      await writeFile(join(dir, `${id}.csv`), hospitalCsv(300 + 40 * i, 11 + i));
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(
      `COPY (SELECT * FROM read_csv('${join(dir, 'a.csv')}', header = true, columns = ${HOSPITAL_TYPES})) TO '${join(dir, 'a.parquet')}' (FORMAT parquet)`,
    );
    c.closeSync();
    db.closeSync();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const loadedStudy = (analyses: object[]): LoadedStudy => ({
    study: parseStudyText(
      JSON.stringify({
        study: 'pushdown per interval',
        parties: HOSPITAL_PARTIES,
        schema: HOSPITAL_SCHEMA,
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

  const run = async (l: LoadedStudy, tables: Map<string, Table>) =>
    (
      await runLocal(
        studyProgram(l.study, (p) => tables.get(p), { implementations: STATISTICS }),
        // Plaintext: deterministic arithmetic, so equal inputs give equal outputs to the bit.
        { suite: 'plaintext', parties: ['a', 'b', 'c'] },
      )
    )[0]!.result.analyses.map((a) => a.rows);

  it('gives exactly the results of loading every row, from grouped rows', async () => {
    const l = loadedStudy([
      { id: 'n', type: 'count', by: 'arm' },
      { id: 'rate', type: 'rate', column: 'recovered', by: 'arm' },
      { id: 'chi', type: 'chi-squared', rows: 'arm', cols: 'recovered' },
      ...PER_INTERVAL,
    ]);
    const pushed = await tablesOf(l, {});
    const loaded = await tablesOf(l, { ENTENTE_PUSHDOWN: '0' });
    expect(pushed.get('c')!.columns.size).toBe(5); // CSV: rows loaded
    for (const id of ['a', 'b']) {
      const t = pushed.get(id)!;
      expect(t.columns.size).toBe(0);
      expect(t.rows).toBe(loaded.get(id)!.rows);
      expect([...t.grouped!.keys()]).toEqual([
        'surv:km',
        'surv:km-old',
        'surv:lr',
        'cells:logit',
        'cox:cox',
      ]);
      // The grouped rows stand for the records each analysis uses (complete cases, where).
      const used = (key: string) => t.grouped!.get(key)!.weights!.reduce((x, w) => x + w, 0);
      const rows = loaded.get(id)!;
      const days = rows.columns.get('days')!.missing!;
      const arm = rows.columns.get('arm')!.missing!;
      let both = 0;
      for (let i = 0; i < rows.rows; i++) if (!days[i] && !arm[i]) both++;
      expect(used('surv:km')).toBe(both);
      expect(t.grouped!.get('cells:logit')!.rows).toBeLessThan(t.rows);
    }
    const viaSql = await run(l, pushed);
    expect(viaSql).toEqual(await run(l, loaded));

    // Positive control: one record more in one grouped row changes the survival results.
    const a = pushed.get('a')!;
    const surv = a.grouped!.get('surv:km')!;
    const w = Float64Array.from(surv.weights!);
    w[0]! += 1;
    const tampered = new Map(pushed).set('a', {
      ...a,
      grouped: new Map(a.grouped!).set('surv:km', { ...surv, weights: w }),
    });
    const off = await run(l, tampered);
    expect(off[3]).not.toEqual(viaSql[3]);
    expect(off[4]).toEqual(viaSql[4]);
  }, 60_000);

  it('gives the same results when a party has no records, or one', async () => {
    for (const where of ['FALSE', 'age = 95 AND days = 365']) {
      const l = loadedStudy(PER_INTERVAL);
      const parties = l.study.parties.map((p) =>
        p.id === 'b'
          ? {
              ...p,
              query: {
                sql: `SELECT * FROM read_csv('b.csv', header = true, columns = ${HOSPITAL_TYPES}) WHERE ${where}`,
                engine: 'duckdb' as const,
                connection: undefined,
              },
            }
          : p,
      );
      const edge = { ...l, study: { ...l.study, parties } };
      const pushed = await tablesOf(edge, {});
      const loaded = await tablesOf(edge, { ENTENTE_PUSHDOWN: '0' });
      expect(pushed.get('b')!.rows).toBe(loaded.get('b')!.rows);
      expect(pushed.get('b')!.columns.size).toBe(0);
      expect(await run(edge, pushed)).toEqual(await run(edge, loaded));
    }
  }, 60_000);

  it('loads the rows when a grouped aggregate could return too many distinct rows', async () => {
    const l = loadedStudy(PER_INTERVAL.slice(0, 1));
    // Times in 10^-4 days: 3.65M possible values, more than a GROUP BY may return.
    const fine = {
      ...l,
      study: parseStudyText(
        JSON.stringify({
          study: 'fine times',
          parties: HOSPITAL_PARTIES,
          schema: {
            columns: HOSPITAL_SCHEMA.columns.map((c) =>
              c.name === 'days' ? { ...c, type: 'decimal', scale: 4 } : c,
            ),
          },
          privacy: { minCellSize: 0 },
          analyses: [{ ...PER_INTERVAL[0], times: [30, 365] }],
        }),
        'study.json',
      ),
    };
    const a = (await loadPartyData(fine, 'a', undefined, undefined, {}))!;
    expect(a.columns.size).toBe(5);
    expect(a.grouped).toBeUndefined();
  });
});

describe('pushdown of t-tests into DuckDB (exact sums as limbs)', () => {
  const T_SCHEMA = {
    columns: [
      { name: 'amount', type: 'decimal', scale: 2, min: -5000, max: 5000 },
      // 37 bits at 16 fractional bits: its variance needs the finer levels.
      { name: 'wide', type: 'decimal', scale: 2, min: -1_000_000, max: 1_000_000 },
      { name: 'kind', type: 'categorical', levels: ['x', 'y', 'z'], missing: 'allow' },
      { name: 'flag', type: 'boolean', missing: 'allow' },
      { name: 'n', type: 'integer', min: -10, max: 10 },
      { name: 'm', type: 'integer', min: -10, max: 10 },
    ],
  };
  const T_TYPES = `{'amount': 'DECIMAL(8,2)', 'wide': 'DECIMAL(12,2)', 'kind': 'VARCHAR', 'flag': 'BOOLEAN', 'n': 'INTEGER', 'm': 'INTEGER'}`;
  const T_TESTS = [
    { id: 'welch', type: 't-test', column: 'amount', by: 'flag' },
    { id: 'student', type: 't-test', variant: 'student', column: 'wide', by: 'kind' },
    { id: 'one', type: 't-test', variant: 'one-sample', column: 'wide', mu: 3 },
    { id: 'paired', type: 't-test', variant: 'paired', column: 'n', paired: 'm', mu: -1 },
    // Group 'z' holds one record in all (party a's); with n = 10, kind y has 3 and z none.
    {
      id: 'one-record',
      type: 't-test',
      column: 'amount',
      by: 'kind',
      levels: ['x', 'z'],
      where: { column: 'n', lt: 10 },
    },
    {
      id: 'empty',
      type: 't-test',
      column: 'wide',
      by: 'kind',
      levels: ['y', 'z'],
      where: { column: 'n', eq: 10 },
    },
  ];

  /** Rows with negative values, the wide column's extremes, and one record of kind z (party a). */
  function tCsv(rows: number, seed: number, withZ: boolean): string {
    let x = seed;
    const r = (k: number) => ((x = (x * 48271) % 2147483647), x % k);
    const lines = ['amount,wide,kind,flag,n,m'];
    const edges = [
      '-5000.00,-1000000.00,x,true,-10,10',
      '5000.00,1000000.00,y,false,10,-10',
      '0.01,999999.99,x,,9,3',
      ...(withZ ? ['-0.01,-0.01,z,true,0,0'] : []),
    ];
    lines.push(...edges);
    for (let i = edges.length; i < rows; i++)
      lines.push(
        `${((r(1_000_001) - 500_000) / 100).toFixed(2)},${(500_000 + (r(2001) - 1000) / 100).toFixed(2)},${['x', 'y', ''][r(3)]},${['true', 'false', ''][r(3)]},${r(20) - 10},${r(21) - 10}`,
      );
    return lines.join('\n') + '\n';
  }

  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'entente-pushdown-t-'));
    for (const [i, id] of ['a', 'b', 'c'].entries())
      await writeFile(join(dir, `${id}.csv`), tCsv(200 + 30 * i, 5 + i, i === 0));
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(
      `COPY (SELECT * FROM read_csv('${join(dir, 'a.csv')}', header = true, columns = ${T_TYPES})) TO '${join(dir, 'a.parquet')}' (FORMAT parquet)`,
    );
    c.closeSync();
    db.closeSync();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const study = (): LoadedStudy => ({
    study: parseStudyText(
      JSON.stringify({
        study: 't-tests pushed down',
        parties: [
          { id: 'a', data: 'a.parquet' },
          {
            id: 'b',
            query: `SELECT * FROM read_csv('b.csv', header = true, columns = ${T_TYPES})`,
          },
          { id: 'c', data: 'c.csv' },
        ],
        schema: T_SCHEMA,
        privacy: { minCellSize: 0 },
        analyses: T_TESTS,
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

  const run = async (l: LoadedStudy, tables: Map<string, Table>, suite: string) =>
    (
      await runLocal(
        studyProgram(l.study, (p) => tables.get(p), { implementations: STATISTICS }),
        { suite, parties: ['a', 'b', 'c'], crypto: nodeCryptoProvider },
      )
    )[0]!.result.analyses.map((a) => a.rows);

  it('gives the results of loading every row (to the bit in plaintext), with no row in JavaScript', async () => {
    const l = study();
    const pushed = await tablesOf(l, {});
    const loaded = await tablesOf(l, { ENTENTE_PUSHDOWN: '0' });
    for (const id of ['a', 'b']) {
      expect(pushed.get(id)!.columns.size).toBe(0);
      expect([...pushed.get(id)!.aggregates!.keys()]).toEqual(
        T_TESTS.map((a) => `moment-sums:${a.id}`),
      );
    }
    expect(await run(l, pushed, 'plaintext')).toEqual(await run(l, loaded, 'plaintext'));
  }, 60_000);

  it('under rep3, as the plaintext reference on the pooled rows (t, df, se, means)', async () => {
    const l = study();
    const pushed = await tablesOf(l, {});
    const loaded = await tablesOf(l, { ENTENTE_PUSHDOWN: '0' });
    const got = await run(l, pushed, 'rep3');
    const pooled = poolTables(['a', 'b', 'c'].map((p) => loaded.get(p)!));
    l.study.analyses.forEach((a, i) => {
      // A group of one record or none has no reference (R's t.test refuses it): checked below.
      if (a.id === 'empty' || a.id === 'one-record') return;
      const want = STATISTICS_REFERENCE['t-test']!(pooled, a, l.study)!;
      for (const w of want) {
        const g = got[i]!.find((r) => r.statistic === w.statistic && r.group === w.group);
        expect(g, `${a.id} ${w.statistic} ${w.group}`).toBeDefined();
        if (w.value === null || !Number.isFinite(w.value)) {
          expect(g!.value).toBe(w.value);
          continue;
        }
        expect(
          Math.abs(g!.value! - w.value),
          `${a.id} ${w.statistic} ${w.group}: ${g!.value} vs ${w.value}`,
        ).toBeLessThanOrEqual(Math.abs(w.value) * 1e-4 + 1e-4);
      }
    });
    // The edges: one record of kind z; with n = 10, three of kind y and none of z.
    const n = (id: string, group: string) =>
      got[T_TESTS.findIndex((a) => a.id === id)]!.find(
        (r) => r.statistic === 'n' && r.group === group,
      )!.value;
    expect(n('one-record', 'kind = z')).toBe(1);
    const oneRecord = got[T_TESTS.findIndex((a) => a.id === 'one-record')]!;
    expect(
      oneRecord.find((r) => r.statistic === 'mean' && r.group === 'kind = z')!.value,
    ).toBeCloseTo(-0.01, 4); // -0.01 in fixed(., 16): within 2^-17
    expect(n('empty', 'kind = y')).toBe(3);
    expect(n('empty', 'kind = z')).toBe(0);
  }, 60_000);
});

describe('a t-test whose sums pass 62 bits at a pushed-down party', () => {
  it('is refused with the reason and the remedy, never computed from missing rows', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'entente-pushdown-wide-'));
    try {
      const TYPES = `{'huge': 'DECIMAL(18,2)', 'flag': 'BOOLEAN'}`;
      for (const id of ['a', 'b', 'c'])
        await writeFile(join(dir, `${id}.csv`), 'huge,flag\n-1.50,true\n2.25,false\n7.00,true\n');
      const l: LoadedStudy = {
        study: parseStudyText(
          JSON.stringify({
            study: 'too wide',
            parties: ['a', 'b', 'c'].map((id) => ({
              id,
              query: `SELECT * FROM read_csv('${id}.csv', header = true, columns = ${TYPES})`,
            })),
            // 64 bits at 16 fractional bits: no sum of it fits 62 bits.
            schema: {
              columns: [
                { name: 'huge', type: 'decimal', scale: 2, min: -9e13, max: 9e13 },
                { name: 'flag', type: 'boolean' },
              ],
            },
            privacy: { minCellSize: 0 },
            analyses: [{ id: 'welch', type: 't-test', column: 'huge', by: 'flag' }],
          }),
          'study.json',
        ),
        file: join(dir, 'study.json'),
        dir,
      };
      const tables = new Map<string, Table>();
      for (const id of ['a', 'b', 'c'])
        tables.set(id, (await loadPartyData(l, id, undefined, undefined, {}))!);
      expect(tables.get('a')!.columns.size).toBe(0);
      const outcome = runLocal(
        studyProgram(l.study, (p) => tables.get(p), { implementations: STATISTICS }),
        { suite: 'plaintext', parties: ['a', 'b', 'c'] },
      ).then(
        (o) => JSON.stringify(o[0]!.result.analyses),
        (e: unknown) => String(e),
      );
      expect(await outcome).toContain('ENTENTE_PUSHDOWN=0');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
