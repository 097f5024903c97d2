import { describe, expect, it } from 'vitest';
import { DataError, SpecError } from './errors.js';
import { readCsv, type CsvRecord } from './csv.js';
import { readJsonRecord } from './jsonl.js';
import { formatDate, parseDate, parseSchema } from './schema.js';
import { parseCsvTable, parseJsonlTable, parseTable } from './table.js';

const schema = parseSchema({
  columns: [
    { name: 'age', type: 'integer', min: 18, max: 100 },
    { name: 'arm', type: 'categorical', levels: ['A', 'B'] },
    { name: 'weight', type: 'decimal', scale: 1, min: 30, max: 250.5 },
    { name: 'recovered', type: 'boolean' },
    { name: 'admitted', type: 'date', min: '2020-01-01', max: '2025-12-31' },
    { name: 'days', type: 'integer', min: 0, max: 365, missing: 'allow' },
  ],
});

const HEADER = 'age,arm,weight,recovered,admitted,days';

function csvError(text: string): DataError {
  try {
    parseCsvTable(text, schema, 'h.csv');
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError');
}

function jsonlError(text: string): DataError {
  try {
    parseJsonlTable(text, schema, 'h.jsonl');
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError');
}

describe('CSV reader (RFC 4180)', () => {
  const read = (text: string) => {
    const out: CsvRecord[] = [];
    const errors: string[] = [];
    readCsv(
      text,
      'f.csv',
      (r) => out.push(r),
      (i) => errors.push(`${i.line}:${i.columnIndex}: ${i.reason}`),
    );
    return { records: out.map((r) => r.fields), lines: out.map((r) => r.line), errors };
  };

  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    const r = read('a,b,c\r\n"x,1","say ""hi""","two\nlines"\r\n,,\n"",z,\n');
    expect(r.errors).toEqual([]);
    expect(r.records).toEqual([
      ['a', 'b', 'c'],
      ['x,1', 'say "hi"', 'two\nlines'],
      ['', '', ''],
      ['', 'z', ''],
    ]);
    // The record after the two-line field starts on line 4.
    expect(r.lines).toEqual([1, 2, 4, 5]);
  });

  it('takes a last record without a line break, skips a BOM and keeps spaces', () => {
    expect(read('\ufeffa, b\n1 ,2').records).toEqual([
      ['a', ' b'],
      ['1 ', '2'],
    ]);
    expect(read('').records).toEqual([]);
    expect(read('x').records).toEqual([['x']]);
  });

  it('refuses malformed quoting and bare carriage returns with line and field', () => {
    expect(read('a,b\n1,x"y\n').errors).toEqual([
      '2:2: a quote inside an unquoted field (quote the whole field and write the quote as "")',
    ]);
    expect(read('a,b\n"1"2,3\n').errors[0]).toMatch(/^2:1: text after the closing quote/);
    expect(read('a,b\n1,"open\n\n').errors[0]).toMatch(/^2:2: a quoted field is not closed/);
    expect(read('a,b\r1,2\n').errors[0]).toMatch(/^1:2: a carriage return without a line feed/);
  });
});

describe('JSON-lines records', () => {
  it('reads flat objects and keeps number text', () => {
    const line = '{"a": 36.60, "b": "x\\"y", "c": true, "d": null, "e": -1e2}';
    const r = readJsonRecord(line);
    const at = (v: string) => line.indexOf(v) + 1;
    expect(r).toEqual({
      ok: true,
      entries: [
        { key: 'a', value: { kind: 'number', text: '36.60' }, at: at('36') },
        { key: 'b', value: { kind: 'string', value: 'x"y' }, at: at('"x') },
        { key: 'c', value: { kind: 'boolean', value: true }, at: at('true') },
        { key: 'd', value: { kind: 'null' }, at: at('null') },
        { key: 'e', value: { kind: 'number', text: '-1e2' }, at: at('-1') },
      ],
    });
    expect(readJsonRecord('{}')).toEqual({ ok: true, entries: [] });
  });

  it('refuses duplicate keys, nesting, trailing text and broken syntax', () => {
    expect(readJsonRecord('{"a":1,"a":2}')).toEqual({
      ok: false,
      reason: "key 'a' appears twice",
      at: 8,
    });
    expect(readJsonRecord('{"a":[1]}')).toMatchObject({ ok: false, reason: /nested/ });
    expect(readJsonRecord('{"a":1} x')).toMatchObject({ ok: false, reason: /after the end/ });
    expect(readJsonRecord('{"a":1')).toMatchObject({ ok: false, reason: /expected ','/ });
    expect(readJsonRecord('[1]')).toMatchObject({ ok: false, reason: /expected a JSON object/ });
    expect(readJsonRecord('{"a":01}')).toMatchObject({ ok: false });
    expect(readJsonRecord('{"a":"\\q"}')).toMatchObject({ ok: false, reason: /escape/ });
  });
});

describe('dates', () => {
  it('are days since 1970-01-01, real calendar days only', () => {
    expect(parseDate('1970-01-01')).toBe(0);
    expect(parseDate('2000-03-01')).toBe(11017);
    expect(parseDate('1969-12-31')).toBe(-1);
    expect(parseDate('2024-02-29')).toBe(19782);
    expect(parseDate('2023-02-29')).toBeUndefined();
    expect(parseDate('2023-13-01')).toBeUndefined();
    expect(parseDate('2023-1-01')).toBeUndefined();
    expect(parseDate('0050-01-01')).toBeUndefined();
    expect(formatDate(19782)).toBe('2024-02-29');
  });
});

describe('loading a table', () => {
  const good = [
    HEADER,
    '18,A,30.0,true,2020-01-01,0',
    '100,B,250.5,false,2025-12-31,',
    '"45","B",72,true,2023-06-15,365',
  ].join('\r\n');

  it('parses every type exactly, in any column order', () => {
    const t = parseCsvTable(good, schema, 'h.csv');
    expect(t.rows).toBe(3);
    expect([...t.columns.get('age')!.values]).toEqual([18, 100, 45]);
    expect([...t.columns.get('arm')!.values]).toEqual([0, 1, 1]);
    // Decimals are held exactly in units of 10^-scale.
    expect([...t.columns.get('weight')!.values]).toEqual([300, 2505, 720]);
    expect([...t.columns.get('recovered')!.values]).toEqual([1, 0, 1]);
    expect([...t.columns.get('admitted')!.values]).toEqual([18262, 20453, 19523]);
    expect([...t.columns.get('days')!.values]).toEqual([0, 0, 365]);
    expect([...t.columns.get('days')!.missing!]).toEqual([0, 1, 0]);
    expect(t.columns.get('age')!.missing).toBeUndefined();

    const reordered = parseCsvTable(
      'days,admitted,recovered,weight,arm,age\n5,2021-01-01,false,40.5,A,20\n',
      schema,
      'h.csv',
    );
    expect([...reordered.columns.get('age')!.values]).toEqual([20]);
    expect([...reordered.columns.get('weight')!.values]).toEqual([405]);
  });

  it('reads the same table from JSON lines', () => {
    const text = [
      '{"age":18,"arm":"A","weight":30.0,"recovered":true,"admitted":"2020-01-01","days":0}',
      '{"age":100,"arm":"B","weight":250.5,"recovered":false,"admitted":"2025-12-31","days":null}',
      '{"age":45,"arm":"B","weight":72,"recovered":true,"admitted":"2023-06-15","days":365}',
    ].join('\n');
    const a = parseJsonlTable(text + '\n', schema, 'h.jsonl');
    const b = parseCsvTable(good, schema, 'h.csv');
    expect(a.rows).toBe(3);
    for (const c of schema.columns) {
      expect([...a.columns.get(c.name)!.values]).toEqual([...b.columns.get(c.name)!.values]);
    }
    // An absent key is a missing value too.
    const absent = parseJsonlTable(
      '{"age":18,"arm":"A","weight":30,"recovered":true,"admitted":"2020-01-01"}',
      schema,
      'h.jsonl',
    );
    expect([...absent.columns.get('days')!.missing!]).toEqual([1]);
  });

  it('accepts a header-only file as an empty table', () => {
    expect(parseCsvTable(HEADER + '\n', schema, 'h.csv').rows).toBe(0);
    expect(parseJsonlTable('', schema, 'h.jsonl').rows).toBe(0);
  });

  it('chooses the format by file name', () => {
    expect(parseTable(good, schema, 'x.CSV').rows).toBe(3);
    expect(() => parseTable(good, schema, 'x.txt')).toThrow(/unknown data format/);
  });
});

describe('bad data: each error class names file, line, column and reason, and nothing loads', () => {
  const row = (fields: Partial<Record<string, string>>) =>
    [
      fields.age ?? '40',
      fields.arm ?? 'A',
      fields.weight ?? '70.5',
      fields.recovered ?? 'true',
      fields.admitted ?? '2022-02-02',
      fields.days ?? '3',
    ].join(',');
  const file = (...rows: string[]) => [HEADER, row({}), ...rows].join('\n');

  it('wrong type', () => {
    expect(csvError(file(row({ age: '40.0' }))).message).toBe(
      "h.csv:3: column 'age' (1): wrong type: expected an integer (digits with an optional sign)",
    );
    expect(csvError(file(row({ age: ' 40' }))).message).toMatch(
      /h\.csv:3: column 'age' \(1\): wrong type/,
    );
    expect(csvError(file(row({ recovered: 'yes' }))).message).toBe(
      "h.csv:3: column 'recovered' (4): wrong type: expected true or false",
    );
    expect(csvError(file(row({ admitted: '02/02/2022' }))).message).toBe(
      "h.csv:3: column 'admitted' (5): wrong type: expected a date YYYY-MM-DD",
    );
    expect(csvError(file(row({ weight: '1e2' }))).message).toMatch(
      /h\.csv:3: column 'weight' \(3\): wrong type: expected a decimal number/,
    );
  });

  it('too many decimal places are refused, not rounded', () => {
    expect(csvError(file(row({ weight: '70.25' }))).message).toBe(
      "h.csv:3: column 'weight' (3): wrong type: has more than 1 digit after the point (the schema's scale; values are not rounded)",
    );
  });

  it('out of range (not clamped)', () => {
    expect(csvError(file(row({ age: '101' }))).message).toBe(
      "h.csv:3: column 'age' (1): out of range: expected an integer in 18..100",
    );
    expect(csvError(file(row({ weight: '250.6' }))).message).toMatch(
      /out of range: expected a number in 30\.\.250\.5/,
    );
    expect(csvError(file(row({ admitted: '2026-01-01' }))).message).toMatch(
      /column 'admitted' \(5\): out of range: expected a date in 2020-01-01\.\.2025-12-31/,
    );
  });

  it('unknown level (case-sensitive)', () => {
    expect(csvError(file(row({ arm: 'a' }))).message).toBe(
      `h.csv:3: column 'arm' (2): unknown level: expected one of "A", "B"`,
    );
  });

  it('missing value where not allowed', () => {
    expect(csvError(file(row({ age: '' }))).message).toMatch(
      /^h\.csv:3: column 'age' \(1\): missing value \(the schema does not allow/,
    );
    expect(
      jsonlError('{"arm":"A","weight":70,"recovered":true,"admitted":"2022-02-02"}').message,
    ).toMatch(/^h\.jsonl:1: column 'age': missing value/);
  });

  it('never quotes the offending value', () => {
    const e = csvError(file(row({ age: '12345', arm: 'Secret', weight: '999.9' })));
    expect(e.message).not.toMatch(/12345|Secret|999/);
    expect(e.issues).toHaveLength(3);
  });

  it('structure: header, field count, empty lines, quoting, empty file', () => {
    expect(csvError('age,arm,weight,recovered,admitted,days,extra\n').message).toBe(
      "h.csv:1: header: unknown column 'extra' (the schema has age, arm, weight, recovered, admitted, days)",
    );
    expect(csvError('age,arm,weight,recovered,admitted\n').message).toBe(
      "h.csv:1: header: the schema's column 'days' is missing",
    );
    expect(csvError('age,age,arm,weight,recovered,admitted,days\n').message).toMatch(
      /h\.csv:1: header: column 'age' appears twice/,
    );
    expect(csvError(file('40,A')).message).toBe('h.csv:3: expected 6 fields, got 2');
    expect(csvError(file('', row({}))).message).toBe('h.csv:3: empty line (expected 6 fields)');
    expect(csvError(file('40,A,"70.5,true,2022-02-02,3')).message).toMatch(
      /h\.csv:3: a quoted field is not closed/,
    );
    expect(csvError('').message).toBe(
      'h.csv:1: empty file: expected a header line with the column names',
    );
  });

  it('JSON lines: syntax, unknown and duplicate keys, wrong JSON types, blank lines', () => {
    const ok =
      '{"age":40,"arm":"A","weight":70.5,"recovered":true,"admitted":"2022-02-02","days":1}';
    expect(jsonlError(`${ok}\n{"age":40,`).message).toMatch(/^h\.jsonl:2: expected a key/);
    expect(jsonlError(ok.replace('"days":1', '"days":1,"dayz":2')).message).toBe(
      "h.jsonl:1: column 'dayz': unknown column (not in the schema)",
    );
    expect(jsonlError(ok.replace('"days":1', '"days":1,"age":3')).message).toMatch(
      /h\.jsonl:1: key 'age' appears twice \(character \d+\)/,
    );
    expect(jsonlError(ok.replace('"age":40', '"age":"40"')).message).toMatch(
      /h\.jsonl:1: column 'age': wrong type: expected a JSON number/,
    );
    expect(jsonlError(ok.replace('"age":40', '"age":40.0')).message).toMatch(
      /column 'age': wrong type: expected an integer/,
    );
    expect(jsonlError(ok.replace('true', '"true"')).message).toMatch(
      /column 'recovered': wrong type: expected true or false/,
    );
    expect(jsonlError(`${ok}\n\n${ok}`).message).toBe(
      'h.jsonl:2: empty line (expected a JSON object) (character 1)',
    );
  });

  it('lists up to 20 problems and counts the rest', () => {
    const rows = Array.from({ length: 25 }, () => row({ age: '7' }));
    const e = csvError(file(...rows));
    expect(e.issues).toHaveLength(20);
    expect(e.more).toBe(5);
    expect(e.message).toMatch(/\.\.\. and 5 more problems$/);
  });
});

describe('bad schemas name the field', () => {
  const err = (raw: unknown) => {
    try {
      parseSchema(raw, 'schema.yaml');
    } catch (e) {
      expect(e).toBeInstanceOf(SpecError);
      return (e as SpecError).message;
    }
    throw new Error('expected a SpecError');
  };

  it('each field problem', () => {
    expect(err({})).toBe('schema.yaml: columns: missing');
    expect(err({ columns: [{ name: 'age', type: 'int', min: 0, max: 9 }] })).toBe(
      "schema.yaml: columns[0].type: unknown column type 'int' (column types: integer, decimal, categorical, boolean, date)",
    );
    expect(err({ columns: [{ name: 'age', type: 'integer', min: 9, max: 0 }] })).toBe(
      'schema.yaml: columns[0].max: expected at least min (9), got 0',
    );
    expect(err({ columns: [{ name: 'age', type: 'integer', max: 0 }] })).toBe(
      'schema.yaml: columns[0].min: missing',
    );
    expect(err({ columns: [{ name: 'x', type: 'integer', min: 0, max: 1, levels: ['a'] }] })).toBe(
      'schema.yaml: columns[0].levels: unknown field of an integer column (known fields: name, type, missing, label, min, max)',
    );
    expect(err({ columns: [{ name: 'x', type: 'integer', min: 0, mx: 1 }] })).toBe(
      "schema.yaml: columns[0].mx: unknown field of an integer column (did you mean 'max'?)",
    );
    expect(err({ columns: [{ name: 'x', type: 'categoricl', levels: ['a'] }] })).toBe(
      "schema.yaml: columns[0].type: unknown column type 'categoricl' (did you mean 'categorical'?)",
    );
    expect(err({ columns: [{ name: 'a b', type: 'boolean' }] })).toMatch(
      /columns\[0\]\.name: expected a name/,
    );
    expect(
      err({
        columns: [
          { name: 'a', type: 'boolean' },
          { name: 'a', type: 'boolean' },
        ],
      }),
    ).toBe("schema.yaml: columns[1].name: duplicate column name 'a'");
    expect(err({ columns: [{ name: 'c', type: 'categorical', levels: ['x', 'x'] }] })).toBe(
      "schema.yaml: columns[0].levels[1]: duplicate level 'x'",
    );
    expect(err({ columns: [{ name: 'w', type: 'decimal', scale: 1, min: 0.25, max: 1 }] })).toBe(
      'schema.yaml: columns[0].min: expected a number with at most 1 digit after the point, got 0.25',
    );
    expect(
      err({ columns: [{ name: 'd', type: 'date', min: '2020-02-30', max: '2021-01-01' }] }),
    ).toBe('schema.yaml: columns[0].min: expected a date YYYY-MM-DD, got "2020-02-30"');
    expect(err({ columns: [{ name: 'a', type: 'boolean', missing: 'skip' }] })).toBe(
      'schema.yaml: columns[0].missing: expected refuse or allow, got "skip"',
    );
  });
});
