/**
 * Parquet files and DuckDB queries as data sources: the same table as the
 * CSV they were made from, and the same kind of errors (column first, then
 * row), with values never quoted.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../../analytics/data/errors.js';
import { parseSchema } from '../../../analytics/data/schema.js';
import type { Table } from '../../../analytics/data/table.js';
import { parseStudyText } from '../../../analytics/study/parse.js';
import { loadPartyData, loadQuery, loadTable } from '../data.js';

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

/** Random rows with the edges of each column, as CSV text (fixed seed: a plain LCG is fine for test data). */
function csvRows(n: number): string {
  let x = 12345;
  const next = (m: number): number => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % m;
  };
  const lines = ['age,cost,sex,smoker,seen'];
  const edges = [
    '-5,-1000.00,F,,2000-01-01',
    '120,100000.00,M,true,2030-12-31',
    '0,0.00,F,false,2020-02-29',
  ];
  lines.push(...edges);
  for (let i = 0; i < n; i++) {
    const cost = (next(10_000_000) - 100_000) / 100;
    const day = new Date(Date.UTC(2000, 0, 1) + next(11_000) * 86_400_000).toISOString();
    lines.push(
      `${next(126) - 5},${cost.toFixed(2)},${next(2) ? 'M' : 'F'},${['', 'true', 'false'][next(3)]},${day.slice(0, 10)}`,
    );
  }
  return lines.join('\n') + '\n';
}

function expectSameTable(a: Table, b: Table): void {
  expect(a.rows).toBe(b.rows);
  for (const c of schema.columns) {
    expect(Array.from(a.columns.get(c.name)!.values), c.name).toEqual(
      Array.from(b.columns.get(c.name)!.values),
    );
    const ma = a.columns.get(c.name)!.missing;
    const mb = b.columns.get(c.name)!.missing;
    expect(ma === undefined ? undefined : Array.from(ma)).toEqual(
      mb === undefined ? undefined : Array.from(mb),
    );
  }
}

async function duck(sql: string): Promise<void> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    await c.run(sql);
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

const CSV_TYPES = `{'age': 'INTEGER', 'cost': 'DECIMAL(12,2)', 'sex': 'VARCHAR', 'smoker': 'BOOLEAN', 'seen': 'DATE'}`;

describe('Parquet and DuckDB sources', () => {
  let dir: string;
  let csv: string;
  let parquet: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'entente-sources-'));
    csv = join(dir, 'a.csv');
    parquet = join(dir, 'a.parquet');
    await writeFile(csv, csvRows(3000));
    await duck(
      `COPY (SELECT * FROM read_csv('${csv}', header = true, columns = ${CSV_TYPES})) TO '${parquet}' (FORMAT parquet, ROW_GROUP_SIZE 1000)`,
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a Parquet file into the same table as its CSV (edges, missing values, 3 row groups)', async () => {
    const fromCsv = await loadTable(csv, schema);
    const fromParquet = await loadTable(parquet, schema);
    expect(fromParquet.rows).toBe(3003);
    expectSameTable(fromParquet, fromCsv);
  });

  it('reads a folder of Parquet files, and a file of length 1 and of length 0', async () => {
    const folder = join(dir, 'parts');
    await mkdir(join(folder, 'y=1'), { recursive: true });
    await duck(
      `COPY (SELECT * FROM '${parquet}' LIMIT 1) TO '${join(folder, 'one.parquet')}' (FORMAT parquet);
       COPY (SELECT * FROM '${parquet}' LIMIT 0) TO '${join(folder, 'y=1', 'none.parquet')}' (FORMAT parquet)`,
    );
    expect((await loadTable(join(folder, 'one.parquet'), schema)).rows).toBe(1);
    expect((await loadTable(join(folder, 'y=1', 'none.parquet'), schema)).rows).toBe(0);
    expect((await loadTable(folder, schema, 'parquet')).rows).toBe(1);
  });

  it('checks the hash of an approved Parquet file', async () => {
    const good = createHash('sha256')
      .update(await readFile(parquet))
      .digest('hex');
    expect((await loadTable(parquet, schema, undefined, good)).rows).toBe(3003);
    await expect(loadTable(parquet, schema, undefined, '0'.repeat(64))).rejects.toThrow(
      /a\.parquet:1: the file changed/,
    );
  });

  it('names the column and the cast to write when a column has the wrong type, before any row', async () => {
    const bad = join(dir, 'double-age.parquet');
    await duck(
      `COPY (SELECT age::DOUBLE AS age, cost, sex, smoker, seen FROM '${parquet}') TO '${bad}' (FORMAT parquet)`,
    );
    const e = await loadTable(bad, schema).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    expect((e as Error).message).toMatch(
      /double-age\.parquet: column 'age': wrong type: the source's type is DOUBLE, the schema's integer column needs an integer type \(cast it in the query: CAST\(x AS BIGINT\)\)/,
    );
    // A decimal with more digits than the schema's scale would be rounded: refused.
    const fine = join(dir, 'fine-cost.parquet');
    await duck(
      `COPY (SELECT age, cost::DECIMAL(14,4) AS cost, sex, smoker, seen FROM '${parquet}') TO '${fine}' (FORMAT parquet)`,
    );
    await expect(loadTable(fine, schema)).rejects.toThrow(
      /column 'cost': .*at most 2 digits after the point/,
    );
  });

  it('names missing and unknown columns', async () => {
    const bad = join(dir, 'renamed.parquet');
    await duck(
      `COPY (SELECT age AS years, cost, sex, smoker, seen FROM '${parquet}') TO '${bad}' (FORMAT parquet)`,
    );
    const msg = await loadTable(bad, schema).catch((x: unknown) => (x as Error).message);
    expect(msg).toMatch(/column 'years': unknown column/);
    expect(msg).toMatch(/the schema's column 'age' is missing from the source/);
  });

  it('names the row and column of an out-of-range value, and of a missing value the schema refuses, without quoting it', async () => {
    const bad = join(dir, 'range.parquet');
    await duck(
      `COPY (SELECT CASE WHEN rn = 7 THEN 4242 ELSE age END AS age, cost, CASE WHEN rn = 9 THEN NULL ELSE sex END AS sex, smoker, seen
             FROM (SELECT *, row_number() OVER () AS rn FROM '${parquet}') ORDER BY rn) TO '${bad}' (FORMAT parquet)`,
    );
    const msg = await loadTable(bad, schema).catch((x: unknown) => (x as Error).message);
    expect(msg).toMatch(/range\.parquet: row 7: column 'age' \(1\): out of range/);
    expect(msg).toMatch(/range\.parquet: row 9: column 'sex' \(3\): .*missing/);
    expect(msg).not.toMatch(/4242/);
  });

  it('runs a DuckDB query with paths relative to the study, as the same table', async () => {
    const q = {
      sql: `SELECT age, cost, sex, smoker, seen FROM read_csv('a.csv', header = true, columns = ${CSV_TYPES}) WHERE age >= 18;`,
      engine: 'duckdb' as const,
      connection: undefined,
    };
    const t = await loadQuery(q, schema, dir);
    const all = await loadTable(csv, schema);
    const ages = Array.from(all.columns.get('age')!.values).filter((a) => a >= 18);
    expect(Array.from(t.columns.get('age')!.values)).toEqual(ages);
  });

  it('passes on query errors but withholds conversion errors, which quote values', async () => {
    await writeFile(join(dir, 'secret.csv'), 'age\nP-7781-SECRET\n');
    const syntax = await loadQuery(
      { sql: 'SELEC age FROM x', engine: 'duckdb', connection: undefined },
      schema,
      dir,
    ).catch((x: unknown) => (x as Error).message);
    expect(syntax).toMatch(/query \(duckdb\): DuckDB: Parser Error: syntax error/);
    const conv = await loadQuery(
      {
        sql: `SELECT CAST(age AS INTEGER) AS age, 0.0 AS cost, 'F' AS sex, NULL::BOOLEAN AS smoker, DATE '2001-01-01' AS seen FROM read_csv('secret.csv', all_varchar = true)`,
        engine: 'duckdb',
        connection: undefined,
      },
      schema,
      dir,
    ).catch((x: unknown) => (x as Error).message);
    expect(conv).toMatch(/Conversion error .*withheld/);
    expect(conv).not.toMatch(/SECRET/);
  });

  it('reads a study party given as a query, and refuses a postgres query without its variable', async () => {
    const study = parseStudyText(
      JSON.stringify({
        study: 's',
        parties: [
          { id: 'a', query: `SELECT * FROM 'a.parquet'` },
          { id: 'b', query: 'SELECT 1', engine: 'postgres', connection: 'ENTENTE_NO_SUCH_VAR' },
        ],
        schema: rawSchema,
        analyses: [{ type: 'mean', column: 'age' }],
      }),
      'study.json',
    );
    const loaded = { study, file: join(dir, 'study.json'), dir };
    expect((await loadPartyData(loaded, 'a'))!.rows).toBe(3003);
    await expect(loadPartyData(loaded, 'b')).rejects.toThrow(
      /query \(postgres, \$ENTENTE_NO_SUCH_VAR\): the environment variable ENTENTE_NO_SUCH_VAR is not set/,
    );
  });
});
