/**
 * A party's PostgreSQL as its data source (src/adapters/node/sources/postgres.ts),
 * against the real server CI starts: the same table as the equivalent CSV,
 * rows streamed through a cursor in chunks, types checked per column, server
 * data errors withheld (they quote values), the URL never printed.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSchema } from '../../src/analytics/data/schema.js';
import { parseTable } from '../../src/analytics/data/table.js';
import { loadPartyData, loadQuery } from '../../src/adapters/node/data.js';
import { runLocal } from '../../src/api/run.js';
import { parseStudyText } from '../../src/analytics/study/parse.js';
import { studyProgram } from '../../src/analytics/study/runner.js';
import { STATISTICS } from '../../src/analytics/study/statistics.js';
import { readWithPostgres } from '../../src/adapters/node/sources/postgres.js';
import { BACKENDS, freshDatabase } from './backends.js';

const rawSchema = {
  columns: [
    { name: 'age', type: 'integer', min: -5, max: 120 },
    { name: 'cost', type: 'decimal', scale: 2, min: -1000, max: 100000 },
    { name: 'sex', type: 'categorical', levels: ['F', 'M'] },
    { name: 'smoker', type: 'boolean', missing: 'allow' },
    { name: 'seen', type: 'date', min: '2000-01-01', max: '2030-12-31' },
  ],
};
const schema = parseSchema(rawSchema);

const ROWS = [
  [-5, '-1000.00', 'F', null, '2000-01-01'],
  [120, '100000.00', 'M', true, '2030-12-31'],
  [0, '0.00', 'F', false, '2020-02-29'],
  ...Array.from({ length: 40 }, (_, i) => [
    ((i * 37) % 126) - 5,
    (((i * 7919) % 100000) - 999.99 + i / 100).toFixed(2),
    i % 2 ? 'M' : 'F',
    i % 3 === 0 ? null : i % 3 === 1,
    `20${String(10 + (i % 20)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 10}`,
  ]),
] as const;

const CSV =
  'age,cost,sex,smoker,seen\n' +
  ROWS.map((r) => r.map((v) => (v === null ? '' : String(v))).join(',')).join('\n') +
  '\n';

const SELECT = 'SELECT age, cost, sex, smoker, seen FROM visits ORDER BY id';

describe.runIf(BACKENDS.some((b) => b.name === 'postgres'))('PostgreSQL as a data source', () => {
  let url: string;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ url, drop } = await freshDatabase());
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(
      `CREATE TABLE visits (id serial primary key, age integer, cost numeric(12,2), sex varchar(1), smoker boolean, seen date, score double precision, note text)`,
    );
    for (const r of ROWS)
      await c.query(
        'INSERT INTO visits (age, cost, sex, smoker, seen, score, note) VALUES ($1, $2, $3, $4, $5, 1.5, $6)',
        [...r, 'P-7781-SECRET'],
      );
    await c.end();
  });
  afterAll(async () => {
    await drop?.();
  });

  it('reads a query into the same table as the CSV, in chunks', async () => {
    const expected = parseTable(CSV, schema, 'visits.csv');
    for (const chunkRows of [7, 10_000]) {
      const got = await readWithPostgres(SELECT, schema, { url, shown: 'q', chunkRows });
      expect(got.rows).toBe(ROWS.length);
      for (const col of schema.columns) {
        expect(Array.from(got.columns.get(col.name)!.values), col.name).toEqual(
          Array.from(expected.columns.get(col.name)!.values),
        );
        const m = got.columns.get(col.name)!.missing;
        expect(m && Array.from(m)).toEqual(
          expected.columns.get(col.name)!.missing &&
            Array.from(expected.columns.get(col.name)!.missing!),
        );
      }
    }
    // Empty results and one row.
    expect((await readWithPostgres(`${SELECT} LIMIT 0`, schema, { url, shown: 'q' })).rows).toBe(0);
    expect((await readWithPostgres(`${SELECT} LIMIT 1`, schema, { url, shown: 'q' })).rows).toBe(1);
  });

  it('reads the URL from the variable the study names, and never prints it', async () => {
    const q = { sql: `${SELECT};`, engine: 'postgres' as const, connection: 'BANK_DB' };
    expect((await loadQuery(q, schema, '.', { BANK_DB: url })).rows).toBe(ROWS.length);
    const bad = new URL(url);
    bad.port = '1';
    bad.password = 'hunter2-secret';
    const msg = await loadQuery(q, schema, '.', { BANK_DB: bad.toString() }).catch(
      (e: unknown) => (e as Error).message,
    );
    expect(msg).toMatch(
      /query \(postgres, \$BANK_DB\): cannot connect to PostgreSQL \(ECONNREFUSED\)/,
    );
    expect(msg).not.toMatch(/hunter2/);
  });

  it('names a column of the wrong type before any row, and a row out of range', async () => {
    const wrong = await readWithPostgres(
      'SELECT score AS age, cost, sex, smoker, seen FROM visits',
      schema,
      { url, shown: 'q' },
    ).catch((e: unknown) => (e as Error).message);
    expect(wrong).toMatch(/q: column 'age': wrong type: the source's type is double precision/);
    const range = await readWithPostgres(
      `SELECT CASE WHEN id = 4 THEN 999 ELSE age END AS age, cost, sex, smoker, seen FROM visits ORDER BY id`,
      schema,
      { url, shown: 'q', chunkRows: 3 },
    ).catch((e: unknown) => (e as Error).message);
    expect(range).toMatch(/q: row 4: column 'age' \(1\): out of range/);
    expect(range).not.toMatch(/999/);
  });

  it('passes on query errors, withholds data errors, and cannot write', async () => {
    const missing = await readWithPostgres('SELECT age FROM nowhere', schema, {
      url,
      shown: 'q',
    }).catch((e: unknown) => (e as Error).message);
    expect(missing).toMatch(/relation "nowhere" does not exist \(SQLSTATE 42P01\)/);
    const data = await readWithPostgres(
      'SELECT CAST(note AS integer) AS age, cost, sex, smoker, seen FROM visits',
      schema,
      { url, shown: 'q' },
    ).catch((e: unknown) => (e as Error).message);
    expect(data).toMatch(/SQLSTATE 22P02 .*withheld/);
    expect(data).not.toMatch(/SECRET/);
    const write = await readWithPostgres(
      'SELECT age, cost, sex, smoker, seen FROM visits; DELETE FROM visits',
      schema,
      { url, shown: 'q' },
    ).catch((e: unknown) => (e as Error).message);
    expect(write).toMatch(/cannot execute DELETE in a read-only transaction \(SQLSTATE 25006\)/);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    expect((await c.query('SELECT count(*)::int AS n FROM visits')).rows[0].n).toBe(ROWS.length);
    await c.end();
  });

  it('computes a counting study in PostgreSQL (pushdown) exactly as on the loaded rows', async () => {
    const study = parseStudyText(
      JSON.stringify({
        study: 'pg pushdown',
        parties: [{ id: 'a', query: SELECT, engine: 'postgres', connection: 'BANK_DB' }],
        schema: rawSchema,
        privacy: { minCellSize: 0 },
        analyses: [
          { id: 'n', type: 'count', by: 'sex' },
          { id: 'cost', type: 'sum', column: 'cost', by: 'smoker' },
          { id: 'age', type: 'mean', column: 'age', where: { column: 'seen', ge: '2015-01-01' } },
          { id: 'h', type: 'histogram', column: 'cost', edges: [-1000, 0, 50000, 100000] },
          { id: 'tab', type: 'crosstab', rows: 'sex', cols: 'smoker' },
        ],
      }),
      'study.json',
    );
    const loaded = { study, file: 'study.json', dir: '.' };
    const pushed = (await loadPartyData(loaded, 'a', undefined, undefined, { BANK_DB: url }))!;
    const rows = (await loadPartyData(loaded, 'a', undefined, undefined, {
      BANK_DB: url,
      ENTENTE_PUSHDOWN: '0',
    }))!;
    expect(pushed.columns.size).toBe(0);
    expect(pushed.rows).toBe(ROWS.length);
    expect(rows.columns.size).toBe(5);
    const run = async (t: typeof rows) =>
      (
        await runLocal(
          studyProgram(study, () => t, { implementations: STATISTICS }),
          {
            suite: 'plaintext',
            parties: ['a'],
          },
        )
      )[0]!.result.analyses.map((a) => a.rows);
    expect(await run(pushed)).toEqual(await run(rows));
  });

  it('computes survival and grouped logistic counts in PostgreSQL exactly as on the loaded rows', async () => {
    const study = parseStudyText(
      JSON.stringify({
        study: 'pg pushdown per interval',
        parties: [{ id: 'a', query: SELECT, engine: 'postgres', connection: 'BANK_DB' }],
        schema: rawSchema,
        privacy: { minCellSize: 0 },
        analyses: [
          { id: 'km', type: 'kaplan-meier', time: 'age', event: 'smoker', by: 'sex' },
          {
            id: 'lr',
            type: 'log-rank',
            time: 'age',
            event: 'smoker',
            by: 'sex',
            times: [0, 40, 120],
            // A column only in a condition is not grouped on (its range does not matter).
            where: [
              { column: 'cost', ge: 0 },
              { column: 'seen', lt: '2025-01-01' },
            ],
          },
          { id: 'logit', type: 'logistic-regression', outcome: 'smoker', predictors: ['sex'] },
        ],
      }),
      'study.json',
    );
    const loaded = { study, file: 'study.json', dir: '.' };
    const pushed = (await loadPartyData(loaded, 'a', undefined, undefined, { BANK_DB: url }))!;
    const rows = (await loadPartyData(loaded, 'a', undefined, undefined, {
      BANK_DB: url,
      ENTENTE_PUSHDOWN: '0',
    }))!;
    expect(pushed.columns.size).toBe(0);
    expect([...pushed.grouped!.keys()]).toEqual(['surv:km', 'surv:lr', 'cells:logit']);
    expect(rows.columns.size).toBe(5);
    const run = async (t: typeof rows) =>
      (
        await runLocal(
          studyProgram(study, () => t, { implementations: STATISTICS }),
          {
            suite: 'plaintext',
            parties: ['a'],
          },
        )
      )[0]!.result.analyses.map((a) => a.rows);
    expect(await run(pushed)).toEqual(await run(rows));
  });

  it('computes t-tests from exact NUMERIC sums in PostgreSQL, as on the loaded rows', async () => {
    const study = parseStudyText(
      JSON.stringify({
        study: 'pg pushdown of t-tests',
        parties: [{ id: 'a', query: SELECT, engine: 'postgres', connection: 'BANK_DB' }],
        schema: rawSchema,
        privacy: { minCellSize: 0 },
        analyses: [
          // cost: negative values and both ends of its range (-1000.00, 100000.00).
          { id: 'welch', type: 't-test', column: 'cost', by: 'sex' },
          { id: 'student', type: 't-test', variant: 'student', column: 'age', by: 'smoker' },
          { id: 'one', type: 't-test', variant: 'one-sample', column: 'cost', mu: 10 },
          // Age 0: one record (sex F), none of sex M.
          {
            id: 'few',
            type: 't-test',
            column: 'cost',
            by: 'sex',
            where: { column: 'age', in: [0] },
          },
        ],
      }),
      'study.json',
    );
    const loaded = { study, file: 'study.json', dir: '.' };
    const pushed = (await loadPartyData(loaded, 'a', undefined, undefined, { BANK_DB: url }))!;
    const rows = (await loadPartyData(loaded, 'a', undefined, undefined, {
      BANK_DB: url,
      ENTENTE_PUSHDOWN: '0',
    }))!;
    expect(pushed.columns.size).toBe(0);
    expect([...pushed.aggregates!.keys()]).toEqual([
      'moment-sums:welch',
      'moment-sums:student',
      'moment-sums:one',
      'moment-sums:few',
    ]);
    const run = async (t: typeof rows) =>
      (
        await runLocal(
          studyProgram(study, () => t, { implementations: STATISTICS }),
          {
            suite: 'plaintext',
            parties: ['a'],
          },
        )
      )[0]!.result.analyses.map((a) => a.rows);
    const got = await run(pushed);
    expect(got).toEqual(await run(rows));
    const n = got[3]!.filter((r) => r.statistic === 'n').map((r) => [r.group, r.value]);
    expect(n).toEqual([
      ['sex = F', 1],
      ['sex = M', 0],
    ]);
  });
  it('computes a linear regression from grouped rows in PostgreSQL, as on the loaded rows', async () => {
    const study = parseStudyText(
      JSON.stringify({
        study: 'pg pushdown of linear regression',
        parties: [{ id: 'a', query: SELECT, engine: 'postgres', connection: 'BANK_DB' }],
        schema: rawSchema,
        privacy: { minCellSize: 0 },
        analyses: [
          // age: both ends of its range (-5, 120); smoker has missing values.
          { id: 'lm', type: 'linear-regression', outcome: 'age', predictors: ['sex', 'smoker'] },
          {
            id: 'lm-where',
            type: 'linear-regression',
            outcome: 'age',
            predictors: ['smoker'],
            where: { column: 'cost', ge: 0 },
          },
        ],
      }),
      'study.json',
    );
    const loaded = { study, file: 'study.json', dir: '.' };
    const pushed = (await loadPartyData(loaded, 'a', undefined, undefined, { BANK_DB: url }))!;
    const rows = (await loadPartyData(loaded, 'a', undefined, undefined, {
      BANK_DB: url,
      ENTENTE_PUSHDOWN: '0',
    }))!;
    expect(pushed.columns.size).toBe(0);
    expect([...pushed.grouped!.keys()]).toEqual(['lm:lm', 'lm:lm-where']);
    const run = async (t: typeof rows) =>
      (
        await runLocal(
          studyProgram(study, () => t, { implementations: STATISTICS }),
          {
            suite: 'plaintext',
            parties: ['a'],
          },
        )
      )[0]!.result.analyses.map((a) => a.rows);
    const got = await run(pushed);
    expect(got).toEqual(await run(rows));
    const n = got.map((a) => a.find((r) => r.statistic === 'n')!.value);
    expect(n[0]).toBe(ROWS.filter((r) => r[3] !== null).length);
    expect(n[1]).toBe(ROWS.filter((r) => r[3] !== null && Number(r[1]) >= 0).length);
  });
});
