import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { runLocal } from '../../api/run.js';
import { creditCsv } from '../../apps/aml-credit.js';
import { parseCsvTable, type Table } from '../data/table.js';
import { sideSchema } from './join-spec.js';
import { parseStudyText } from './parse.js';
import type { ResultRow } from './result.js';
import { studyProgram } from './runner.js';
import type { Study } from './spec.js';
import { STATISTICS, STATISTICS_REFERENCE } from './statistics.js';

const FILE = new URL('../../../examples/credit/study.yaml', import.meta.url);
const TEXT = readFileSync(FILE, 'utf8');
const PARTIES = ['bank-a', 'bank-b', 'helper'];

/** The sides' tables as each bank would load them. */
function sideTables(study: Study, csv: { bankA: string; bankB: string }): Map<string, Table> {
  const j = study.join!;
  return new Map([
    ['bank-a', parseCsvTable(csv.bankA, sideSchema(study.schema, j, 'bank-a'), 'bank-a.csv')],
    ['bank-b', parseCsvTable(csv.bankB, sideSchema(study.schema, j, 'bank-b'), 'bank-b.csv')],
  ]);
}

/** The plaintext inner join on the key, as one table of the whole schema. */
function plainJoin(study: Study, a: Table, b: Table): Table {
  const key = study.join!.key;
  const at = new Map(Array.from(b.columns.get(key)!.values, (k, i) => [k, i]));
  const rowsA: number[] = [];
  const rowsB: number[] = [];
  a.columns.get(key)!.values.forEach((k, i) => {
    const j = at.get(k);
    if (j === undefined) return;
    rowsA.push(i);
    rowsB.push(j);
  });
  const columns = new Map<string, { values: Float64Array; missing: undefined }>();
  for (const c of study.schema.columns) {
    const [t, rows] = a.columns.has(c.name) ? [a, rowsA] : [b, rowsB];
    const v = t.columns.get(c.name)!.values;
    columns.set(c.name, { values: Float64Array.from(rows, (i) => v[i]!), missing: undefined });
  }
  return { schema: study.schema, rows: rowsA.length, columns };
}

async function secureRows(
  study: Study,
  tables: Map<string, Table>,
  analysis = 0,
): Promise<readonly ResultRow[]> {
  const out = await runLocal(
    studyProgram(study, (p) => tables.get(p), { implementations: STATISTICS }),
    { suite: 'rep3', parties: PARTIES, crypto: nodeCryptoProvider },
  );
  for (const o of out.slice(1))
    expect(o.result.analyses[analysis]!.rows).toEqual(out[0]!.result.analyses[analysis]!.rows);
  return out[0]!.result.analyses[analysis]!.rows;
}

describe('joined studies (a join clause)', () => {
  it('the credit example equals the plaintext join and regression', async () => {
    const study = parseStudyText(TEXT, 'study.yaml');
    expect(study.join).toEqual({
      key: 'customer_id',
      type: 'inner',
      left: { party: 'bank-a', columns: ['income', 'debt_ratio', 'years'] },
      right: { party: 'bank-b', columns: ['defaulted'] },
    });
    // The committed files are the generator's output (fixed seed, 1000 rows per bank).
    const csv = creditCsv(1000, 2026);
    const dir = new URL('../../../examples/credit/data/', import.meta.url);
    expect(readFileSync(new URL('bank-a.csv', dir), 'utf8')).toBe(csv.bankA);
    expect(readFileSync(new URL('bank-b.csv', dir), 'utf8')).toBe(csv.bankB);
    // A smaller sample of the same generator keeps the test fast.
    const tables = sideTables(study, creditCsv(400, 2026));
    const joined = plainJoin(study, tables.get('bank-a')!, tables.get('bank-b')!);
    expect(joined.rows).toBeGreaterThan(100);
    expect(joined.rows).toBeLessThan(400);
    const want = STATISTICS_REFERENCE['logistic-regression']!(joined, study.analyses[0]!, study)!;
    const got = await secureRows(study, tables);
    const by = (rows: readonly ResultRow[], stat: string) =>
      rows.filter((r) => r.statistic === stat).map((r) => [r.group, r.value]);
    expect(by(got, 'n')).toEqual([['all', joined.rows]]);
    const cw = by(want, 'coefficient');
    const cg = by(got, 'coefficient');
    expect(cg.map((r) => r[0])).toEqual(cw.map((r) => r[0]));
    // The library's stated precision: about 1e-3 relative of the estimate.
    cw.forEach(([, w], i) =>
      expect(Math.abs((cg[i]![1] as number) - (w as number))).toBeLessThan(
        0.01 * Math.max(1, Math.abs(w as number)),
      ),
    );
    // Standard errors (and the p-values from them) are not compared: the
    // statistics library's logistic regression gets some of them wrong on
    // these data, joined or not (intercept 0.14 against 0.43 on the example's
    // 1000 rows); that is the library's, left to its owner.
    const lw = by(want, 'loss')[0]![1] as number;
    expect(Math.abs((by(got, 'loss')[0]![1] as number) - lw)).toBeLessThan(0.01);
  }, 60_000);

  it('a correlation across the two sides, where-filtered on a boolean, equals the plaintext', async () => {
    const text = TEXT.replace(
      '    predictors: [income, debt_ratio, years]',
      '    predictors: [income, debt_ratio, years]\n' +
        '  - { id: r, type: correlation, x: debt_ratio, y: years, where: { column: defaulted, eq: false } }',
    );
    const study = parseStudyText(text, 'study.yaml');
    const tables = sideTables(study, creditCsv(200, 9));
    const joined = plainJoin(study, tables.get('bank-a')!, tables.get('bank-b')!);
    const want = STATISTICS_REFERENCE.correlation!(joined, study.analyses[1]!, study)!;
    const got = await secureRows(study, tables, 1);
    const r = (rows: readonly ResultRow[], stat: string) =>
      rows.find((x) => x.statistic === stat)!.value as number;
    expect(r(got, 'n')).toBe(r(want, 'n'));
    expect(r(got, 'n')).toBeLessThan(joined.rows);
    expect(Math.abs(r(got, 'correlation') - r(want, 'correlation'))).toBeLessThan(1e-5);
    expect(Math.abs(r(got, 'p-value') - r(want, 'p-value'))).toBeLessThan(1e-4);
  }, 60_000);

  it('a repeated key stops the run at its owner, naming the party and rows', async () => {
    const study = parseStudyText(TEXT, 'study.yaml');
    const csv = creditCsv(30, 5);
    const lines = csv.bankB.trimEnd().split('\n');
    lines[5] = lines[2]!.replace(/,.*/, ',true');
    const tables = sideTables(study, { ...csv, bankB: `${lines.join('\n')}\n` });
    await expect(secureRows(study, tables)).rejects.toThrow(
      /party 'bank-b' has the same key at rows 2 and 5/,
    );
  }, 30_000);

  it('join clause errors name the file, line and field', () => {
    const bad = (from: string, to: string) => () =>
      parseStudyText(TEXT.replace(from, to), 'credit.yaml');
    const line = (needle: string) => TEXT.split('\n').findIndex((l) => l.includes(needle)) + 1;
    expect(bad('key: customer_id', 'key: customer')).toThrow(
      new RegExp(
        `credit\\.yaml:${line('key: customer_id')}:\\d+: join\\.key: unknown column 'customer' \\(columns: customer_id,`,
      ),
    );
    expect(bad('key: customer_id', 'key: income')).toThrow(
      /join\.key: the key column 'income' must be an integer column with min >= 0/,
    );
    expect(bad('type: inner', 'type: outer')).toThrow(/join\.type: expected inner, got "outer"/);
    expect(bad('party: bank-b, columns', 'party: bank-c, columns')).toThrow(
      new RegExp(
        `credit\\.yaml:${line('right:')}:\\d+: join\\.right\\.party: unknown party 'bank-c'`,
      ),
    );
    expect(bad('party: bank-b, columns', 'party: helper, columns')).toThrow(
      /join\.right\.party: party 'helper' brings no data/,
    );
    expect(bad('columns: [defaulted]', 'columns: [defaulted, years]')).toThrow(
      /join\.right\.columns\[1\]: column 'years' is already on the left side/,
    );
    expect(bad('columns: [defaulted]', 'columns: []')).toThrow(/join\.right\.columns/);
    expect(bad('columns: [income, debt_ratio, years]', 'columns: [income, debt_ratio]')).toThrow(
      /join: the schema's column 'years' belongs to neither side/,
    );
    expect(
      bad('    predictors: [income, debt_ratio, years]', '    predictors: [income, customer_id]'),
    ).toThrow(/the join key 'customer_id' is an identifier/);
    expect(
      bad(
        '    predictors: [income, debt_ratio, years]',
        '    predictors: [income]\n  - { id: n, type: count }',
      ),
    ).toThrow(
      /analyses\[1\]\.type: a joined study runs logistic-regression, linear-regression, correlation, covariance only, not count/,
    );
    expect(
      bad(
        '    predictors: [income, debt_ratio, years]',
        '    predictors: [income]\n    where: { column: years, lt: 5 }',
      ),
    ).toThrow(
      /analyses\[0\]\.where\[0\]: in a joined study a condition must be on a categorical or boolean column/,
    );
  });
});
