import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { SpecError } from '../data/errors.js';
import { parseStudyText, pathSegments } from './parse.js';
import { defineStudy, spend, type StudyInput } from './spec.js';

const EXAMPLE = readFileSync(
  new URL('../../../examples/hospitals/study.yaml', import.meta.url),
  'utf8',
);

/** The example study with one line replaced (or added after `after`). */
function edit(find: string, replace: string): string {
  if (!EXAMPLE.includes(find)) throw new Error(`test: '${find}' is not in the example`);
  return EXAMPLE.replace(find, replace);
}

function messages(text: string, file = 'study.yaml'): string[] {
  try {
    parseStudyText(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    return (e as SpecError).message.split('\n');
  }
  throw new Error('expected a SpecError');
}

const lineOf = (text: string, needle: string) =>
  text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('the bundled study', () => {
  it('validates', () => {
    const s = parseStudyText(EXAMPLE, 'study.yaml');
    expect(s.parties.map((p) => p.id)).toEqual(['hospital-a', 'hospital-b', 'hospital-c']);
    expect(s.privacy.minCellSize).toBe(10);
    expect(s.analyses.map((a) => a.type)).toEqual([
      'count',
      'rate',
      'mean',
      't-test',
      'chi-squared',
      'logistic-regression',
      'kaplan-meier',
      'log-rank',
      'rate',
      'count',
    ]);
    expect(spend(s.analyses)).toEqual({ epsilon: 1, delta: 1e-9 });
    const young = s.analyses.find((a) => a.id === 'young-deaths')!;
    expect(young.where.map((w) => [w.text, w.values])).toEqual([
      ['age < 30', [30]],
      ['death = true', [1]],
    ]);
  });

  it('reads the same study from JSON, and from TypeScript', () => {
    const yaml = parseStudyText(EXAMPLE, 'study.yaml');
    const asJson = JSON.stringify({
      study: 'J',
      parties: [{ id: 'a', data: 'a.csv' }],
      schema: { columns: [{ name: 'age', type: 'integer', min: 0, max: 120 }] },
      analyses: [{ type: 'mean', column: 'age' }],
    });
    const j = parseStudyText(asJson, 'study.json');
    expect(j.analyses[0]).toMatchObject({ type: 'mean', column: 'age', id: 'mean-1' });
    // A programmer writes the same object in TypeScript.
    const ts = defineStudy(parseYaml(EXAMPLE) as StudyInput);
    expect(ts).toEqual(yaml);
  });
});

describe('bad study files: each error names its field, line and column, and nothing is returned', () => {
  it('unknown column, with a suggestion', () => {
    const text = edit(
      '    column: recovery_days\n    by: arm\n  - id: recovery-t-test',
      '    column: recovery_dayz\n    by: arm\n  - id: recovery-t-test',
    );
    expect(messages(text)).toEqual([
      `study.yaml:${lineOf(text, 'recovery_dayz')}:13: analyses[2].column: unknown column 'recovery_dayz' (did you mean 'recovery_days'?)`,
    ]);
    const far = edit(
      '    column: recovered\n    by: arm\n  - id: recovery-time',
      '    column: zzz\n    by: arm\n  - id: recovery-time',
    );
    expect(messages(far)[0]).toMatch(
      /analyses\[1\]\.column: unknown column 'zzz' \(columns: age, sex, arm, recovered, recovery_days, survival_days, death\)/,
    );
  });

  it('a column of the wrong type for the analysis', () => {
    const text = edit(
      '    type: rate\n    column: recovered\n    by: arm\n  - id: recovery-time',
      '    type: rate\n    column: age\n    by: arm\n  - id: recovery-time',
    );
    expect(messages(text)[0]).toMatch(
      /^study\.yaml:\d+:13: analyses\[1\]\.column: column 'age' is integer; rate needs a boolean column$/,
    );
  });

  it('unknown analysis type, unknown and misplaced fields, missing fields', () => {
    expect(messages(edit('    type: t-test', '    type: ttest'))).toEqual([
      `study.yaml:${lineOf(EXAMPLE, 'type: t-test')}:11: analyses[3].type: unknown analysis type 'ttest' (did you mean 't-test'?)`,
    ]);
    expect(
      messages(
        edit('    type: count\n    by: arm', '    type: count\n    by: arm\n    colour: red'),
      )[0],
    ).toMatch(/:\d+:13: analyses\[0\]\.colour: unknown field/);
    expect(
      messages(
        edit('    type: count\n    by: arm', '    type: count\n    by: arm\n    column: age'),
      )[0],
    ).toMatch(
      /analyses\[0\]\.column: unknown field of a count analysis \(known fields: id, type, title, where, dp, by\)$/,
    );
    const noOutcome = edit('    outcome: recovered\n', '');
    expect(messages(noOutcome)).toContain(
      `study.yaml:${lineOf(noOutcome, 'id: outcome-model')}:5: analyses[5].outcome: missing`,
    );
    expect(messages(edit('study: Treatment A versus treatment B\n', ''))[0]).toMatch(
      /^study\.yaml:\d+:\d+: study: missing$/,
    );
  });

  it('parties: duplicate ids, bad ids, unknown format', () => {
    expect(messages(edit('  - id: hospital-b', '  - id: hospital-a'))).toEqual([
      `study.yaml:${lineOf(EXAMPLE, '  - id: hospital-b')}:9: parties[1].id: duplicate party id 'hospital-a'`,
    ]);
    expect(messages(edit('  - id: hospital-c', '  - id: "hospital c"'))[0]).toMatch(
      /parties\[2\]\.id: expected an id/,
    );
    expect(messages(edit('data/hospital-c.csv', 'data/hospital-c.xlsx'))[0]).toMatch(
      /parties\[2\]\.data: cannot tell the format of 'data\/hospital-c\.xlsx'/,
    );
  });

  it('schema problems carry their path under schema', () => {
    expect(messages(edit('levels: [A, B]', 'levels: [A, A]'))[0]).toMatch(
      /study\.yaml:\d+:\d+: schema\.columns\[2\]\.levels\[1\]: duplicate level 'A'/,
    );
    expect(messages(edit('min: 18, max: 95', 'min: 95, max: 18'))[0]).toMatch(
      /schema\.columns\[0\]\.max: expected at least min \(95\), got 18/,
    );
  });

  it('conditions: unknown level, wrong op for a categorical column, two ops', () => {
    const text = edit('      - { column: age, lt: 30 }', '      - { column: arm, eq: C }');
    expect(messages(text)[0]).toMatch(
      /analyses\[9\]\.where\[0\]\.eq: expected a level of 'arm' \(A, B\), got "C"/,
    );
    expect(
      messages(edit('      - { column: age, lt: 30 }', '      - { column: arm, lt: B }'))[0],
    ).toMatch(/analyses\[9\]\.where\[0\]\.lt: column 'arm' is categorical: use eq, ne or in/);
    expect(
      messages(
        edit('      - { column: age, lt: 30 }', '      - { column: age, lt: 30, gt: 3 }'),
      )[0],
    ).toMatch(
      /analyses\[9\]\.where\[0\]: expected one comparison \(eq, ne, lt, le, gt, ge or in\), got lt and gt$/,
    );
    expect(messages(edit('      - { column: age, lt: 30 }', '      - { column: age }'))[0]).toMatch(
      /analyses\[9\]\.where\[0\]: expected one comparison \(eq, ne, lt, le, gt, ge or in\), got none$/,
    );
    // A misspelt field of a condition is one problem, not also "got none" or "missing";
    // `lte` is as near to `lt` as to `le`: no guess, the fields.
    expect(
      messages(edit('      - { column: age, lt: 30 }', '      - { column: age, lte: 30 }')),
    ).toEqual([
      expect.stringMatching(
        /analyses\[9\]\.where\[0\]\.lte: unknown field \(known fields: column, eq, ne, lt, le, gt, ge, in\)$/,
      ),
    ]);
    expect(
      messages(edit('      - { column: age, lt: 30 }', '      - { colum: age, lt: 30 }')),
    ).toEqual([
      expect.stringMatching(
        /analyses\[9\]\.where\[0\]\.colum: unknown field \(did you mean 'column'\?\)$/,
      ),
    ]);
  });

  it('differential privacy: unsupported analysis, missing budget, over budget (the run is refused)', () => {
    expect(
      messages(edit('    type: log-rank', '    type: log-rank\n    dp: { epsilon: 0.5 }')),
    ).toContainEqual(
      expect.stringMatching(
        /analyses\[7\]\.dp: differential privacy is for counts and sums \(the types that take dp: count, sum, mean, rate, histogram, crosstab\), not for a log-rank analysis$/,
      ),
    );
    expect(messages(edit('  budget: { epsilon: 1.0, delta: 1.0e-6 }\n', ''))[0]).toMatch(
      /privacy\.budget: missing: 1 analysis uses dp, so the study must declare the budget/,
    );
    const over = edit('    dp: { epsilon: 1.0 }', '    dp: { epsilon: 0.8 }').replace(
      '    column: recovered\n    by: arm\n  - id: recovery-time',
      '    column: recovered\n    by: arm\n    dp: { epsilon: 0.5 }\n  - id: recovery-time',
    );
    expect(messages(over)).toEqual([
      `study.yaml:${lineOf(over, 'budget:')}:22: privacy.budget.epsilon: the analyses spend epsilon 1.3 (recovery-rate 0.5 + recovery-rate-dp 0.8), more than the budget 1: the run is refused`,
    ]);
    expect(
      messages(edit('    dp: { epsilon: 1.0 }', '    dp: { epsilon: 1.0, delta: 1.0e-30 }'))[0],
    ).toMatch(
      /analyses\[8\]\.dp\.delta: the noise sampler's own delta is .*, more than the declared 1e-30/,
    );
  });

  it('YAML syntax errors and duplicate keys, with line and column', () => {
    expect(messages('study: x\nparties:\n  - id: a\n   name: b\n')).toEqual([
      "study.yaml:4:1: YAML syntax: this line is inside a list but does not start with '- ' (or is indented too far)",
    ]);
    expect(messages('study: x\nstudy: y\n')).toEqual([
      "study.yaml:2:1: YAML syntax: 'study' appears twice in the same object; keep one",
    ]);
    expect(messages('{"study": "x", "study": "y"}', 'study.json')).toEqual([
      "study.json:1:16: JSON syntax: 'study' appears twice in the same object; keep one",
    ]);
    expect(messages('[1, 2]')).toEqual([
      'study.yaml:1:1: (top level): expected an object, got a list',
    ]);
  });

  it('a YAML syntax error is said plainly, once, at its line and column', () => {
    // The parser reports several errors for one missing ']'; the first is the one to fix.
    const unclosed = edit('predictors: [age, arm]', 'predictors: [age, arm');
    expect(messages(unclosed)).toEqual([
      `study.yaml:${lineOf(unclosed, 'predictors:') + 1}:3: YAML syntax: a list opened with '[' before this line is not closed with ']'`,
    ]);
    const colon = edit('title: Recovery rate per arm', 'title: Recovery rate: per arm');
    expect(messages(colon)).toEqual([
      `study.yaml:${lineOf(colon, 'Recovery rate: per arm')}:12: YAML syntax: a second ': ' on this line: put a value that contains ': ' in quotes, e.g. title: "Recovery rate: per arm"`,
    ]);
    const tab = edit('  - id: hospital-a', '\t- id: hospital-a');
    expect(messages(tab)).toEqual([
      `study.yaml:${lineOf(tab, 'id: hospital-a')}:1: YAML syntax: a tab indents this line; indent with spaces only`,
    ]);
    const indent = edit(
      '    by: arm\n  - id: recovery-rate',
      '    by: arm\n   - id: recovery-rate',
    );
    expect(messages(indent)).toEqual([
      `study.yaml:${lineOf(indent, 'id: recovery-rate')}:4: YAML syntax: this list item does not start in the same column as the items before it (line up the '-')`,
    ]);
    expect(messages('study: x\ndescription: "not closed\n')).toEqual([
      'study.yaml:3:1: YAML syntax: a quoted value is not closed: add its closing quote',
    ]);
    expect(messages('study: x\nsuite: *rep\n')).toEqual([
      "study.yaml: YAML syntax: '*rep' refers to no anchor '&rep' before it",
    ]);
    expect(messages('{"study": "x" "suite": "rep3"}', 'study.json')).toEqual([
      'study.json:1:15: JSON syntax: not valid JSON here (a missing comma or quote, or a comment?)',
    ]);
  });

  it('one line per problem: a misspelt field is not also reported missing', () => {
    const stud = edit('study: Treatment A', 'stud: Treatment A');
    expect(messages(stud)).toEqual([
      `study.yaml:${lineOf(stud, 'stud:')}:7: stud: unknown field (did you mean 'study'?)`,
    ]);
    const colum = edit(
      '    column: recovery_days\n    by: arm\n  - id: recovery-t-test',
      '    colum: recovery_days\n    by: arm\n  - id: recovery-t-test',
    );
    expect(messages(colum)).toEqual([
      `study.yaml:${lineOf(colum, 'colum:')}:12: analyses[2].colum: unknown field of a mean analysis (did you mean 'column'?)`,
    ]);
    // A field that is already given is not what a misspelling meant.
    const col = edit('    cols: recovered', '    cols: recovered\n    col: arm');
    expect(messages(col)).toEqual([
      `study.yaml:${lineOf(col, '    col: arm')}:10: analyses[4].col: unknown field of a chi-squared analysis (known fields: id, type, title, where, dp, rows, cols, correct)`,
    ]);
    const nam = edit('    name: Hospital B', '    nam: Hospital B');
    expect(messages(nam)).toEqual([
      `study.yaml:${lineOf(nam, 'nam:')}:10: parties[1].nam: unknown field (did you mean 'name'?)`,
    ]);
    const cell = edit('  minCellSize: 10', '  minCelSize: 10');
    expect(messages(cell)).toEqual([
      `study.yaml:${lineOf(cell, 'minCelSize')}:15: privacy.minCelSize: unknown field (did you mean 'minCellSize'?)`,
    ]);
    const tpye = edit(
      '    type: count\n    by: arm\n  - id: recovery-rate',
      '    tpye: count\n    by: arm\n  - id: recovery-rate',
    );
    expect(messages(tpye)).toEqual([
      `study.yaml:${lineOf(tpye, 'tpye:')}:11: analyses[0].tpye: unknown field (did you mean 'type'?)`,
    ]);
    expect(messages(edit('levels: [A, B]', 'levls: [A, B]'))).toEqual([
      expect.stringMatching(
        /:\d+:\d+: schema\.columns\[2\]\.levls: unknown field of a categorical column \(did you mean 'levels'\?\)$/,
      ),
    ]);
  });

  it('a list of options is spelled out once; later messages point back to it', () => {
    const text = edit('    type: t-test', '    type: zap').replace(
      '    type: log-rank',
      '    type: zop',
    );
    expect(messages(text)).toEqual([
      `study.yaml:${lineOf(text, 'type: zap')}:11: analyses[3].type: unknown analysis type 'zap' (analysis types: count, sum, mean, rate, variance, sd, min, max, median, quantiles, histogram, crosstab, chi-squared, covariance, correlation, linear-regression, logistic-regression, t-test, kaplan-meier, log-rank, anova, mann-whitney, cox)`,
      `study.yaml:${lineOf(text, 'type: zop')}:11: analyses[7].type: unknown analysis type 'zop' (analysis types: see analyses[3].type)`,
    ]);
    const cols = edit(
      '    column: recovered\n    by: arm\n  - id: recovery-time',
      '    column: zzz\n    by: qqq\n  - id: recovery-time',
    );
    expect(messages(cols)).toEqual([
      expect.stringMatching(
        /analyses\[1\]\.column: unknown column 'zzz' \(columns: age, sex, arm, recovered, recovery_days, survival_days, death\)$/,
      ),
      expect.stringMatching(
        /analyses\[1\]\.by: unknown column 'qqq' \(columns: see analyses\[1\]\.column\)$/,
      ),
    ]);
  });

  it('messages read right: articles, plurals, counts', () => {
    expect(
      messages(
        edit('    type: t-test\n    column: recovery_days', '    type: t-test\n    column: arm'),
      ),
    ).toEqual([
      expect.stringMatching(
        /analyses\[3\]\.column: column 'arm' is categorical; a t-test needs an integer, decimal, date or boolean column$/,
      ),
    ]);
    expect(
      messages(
        edit(
          '    by: arm\n  - id: outcome-chi-squared',
          '    by: arm\n    levels: [A]\n  - id: outcome-chi-squared',
        ),
      ),
    ).toEqual([
      expect.stringMatching(/analyses\[3\]\.levels: expected a list of 2 items, got 1 item$/),
    ]);
    expect(messages(edit('  - id: hospital-a\n', '  - id: hospital-a\n    format: cvs\n'))).toEqual(
      [
        expect.stringMatching(
          /parties\[0\]\.format: unknown format 'cvs' \(did you mean 'csv'\?\)$/,
        ),
      ],
    );
  });

  it('lists every problem at once', () => {
    const text = edit(
      '    column: recovered\n    by: arm\n  - id: recovery-time',
      '    column: recoverd\n    by: armm\n  - id: recovery-time',
    );
    expect(messages(text)).toEqual([
      expect.stringMatching(
        /analyses\[1\]\.column: unknown column 'recoverd' \(did you mean 'recovered'\?\)$/,
      ),
      expect.stringMatching(/analyses\[1\]\.by: unknown column 'armm' \(did you mean 'arm'\?\)$/),
    ]);
  });
});

describe('options of the complete outputs', () => {
  const base = parseYaml(EXAMPLE) as StudyInput;
  const withAnalyses = (analyses: StudyInput['analyses']): StudyInput => ({ ...base, analyses });
  const problems = (analyses: StudyInput['analyses']): string[] => {
    try {
      defineStudy(withAnalyses(analyses));
    } catch (e) {
      expect(e).toBeInstanceOf(SpecError);
      return (e as SpecError).issues.map((i) => `${i.path}: ${i.message}`);
    }
    throw new Error('expected a SpecError');
  };

  it('reads t-test variants, mu and confLevel, with the defaults of R', () => {
    const s = defineStudy(
      withAnalyses([
        { id: 'w', type: 't-test', column: 'age', by: 'arm' },
        { id: 's', type: 't-test', variant: 'student', column: 'age', by: 'sex', confLevel: 0.9 },
        {
          id: 'p',
          type: 't-test',
          variant: 'paired',
          column: 'recovery_days',
          paired: 'age',
          mu: 2,
        },
        { id: 'o', type: 't-test', variant: 'one-sample', column: 'age' },
        { id: 'c', type: 'chi-squared', rows: 'arm', cols: 'death', correct: false },
        { id: 'r', type: 'correlation', x: 'age', y: 'recovery_days', confLevel: 0.99 },
        { id: 'k', type: 'kaplan-meier', time: 'survival_days', event: 'death', confLevel: 0.8 },
        { id: 'q', type: 'quantiles', column: 'age', probs: [0.5], quantileType: 6 },
      ]),
    );
    const [w, st, p, o, c, r, k, q] = s.analyses as never as Record<string, unknown>[];
    expect(w).toMatchObject({ variant: 'welch', levels: ['A', 'B'], mu: 0, confLevel: 0.95 });
    expect(st).toMatchObject({ variant: 'student', levels: ['F', 'M'], confLevel: 0.9 });
    expect(st!.title).toBe("Student's t-test of age: F vs M");
    expect(p).toMatchObject({ variant: 'paired', paired: 'age', mu: 2, by: undefined });
    expect(p!.title).toBe('Paired t-test of recovery_days - age');
    expect(o).toMatchObject({ variant: 'one-sample', mu: 0, levels: undefined });
    expect(c).toMatchObject({ correct: false });
    expect(r).toMatchObject({ confLevel: 0.99 });
    expect(k).toMatchObject({ confLevel: 0.8 });
    expect(q).toMatchObject({ quantileType: 6 });
    // The bundled study keeps its defaults.
    const ex = parseStudyText(EXAMPLE, 'study.yaml').analyses;
    expect(ex.find((a) => a.type === 'chi-squared')).toMatchObject({ correct: true });
    expect(ex.find((a) => a.type === 't-test')).toMatchObject({ variant: 'welch' });
  });

  it('refuses options that do not fit the analysis, naming each field', () => {
    expect(
      problems([
        { id: 'a', type: 't-test', variant: 'welsh' as never, column: 'age', by: 'arm' },
        { id: 'b', type: 't-test', column: 'age', by: 'arm', mu: 3 },
        { id: 'c', type: 't-test', variant: 'paired', column: 'age' },
        { id: 'd', type: 't-test', variant: 'one-sample', column: 'age', by: 'arm' },
        { id: 'e', type: 't-test', variant: 'paired', column: 'age', paired: 'age' },
        { id: 'f', type: 'correlation', x: 'age', y: 'recovery_days', confLevel: 1 },
        { id: 'g', type: 'quantiles', column: 'age', probs: [0.5], quantileType: 10 },
        { id: 'h', type: 'chi-squared', rows: 'arm', cols: 'death', correct: 'yes' as never },
        {
          id: 'i',
          type: 'log-rank',
          time: 'survival_days',
          event: 'death',
          by: 'arm',
          confLevel: 0.9,
        },
        { id: 'j', type: 'covariance', x: 'age', y: 'recovery_days', confLevel: 0.9 },
        { id: 'k', type: 't-test', variant: 'paired', column: 'age', paired: 'arm' },
      ]),
    ).toEqual([
      'analyses[0].variant: expected welch, student, paired or one-sample, got "welsh" (did you mean \'welch\'?)',
      'analyses[1].mu: not a field of a welch t-test (mu is for one-sample and paired t-tests)',
      'analyses[2].paired: missing',
      'analyses[3].by: not a field of a one-sample t-test (only the two-sample variants, welch and student, compare groups)',
      'analyses[4].paired: expected a column other than column',
      'analyses[5].confLevel: expected a number in (0, 1), got 1',
      'analyses[6].quantileType: expected an integer in 1..9, got 10',
      'analyses[7].correct: expected true or false, got "yes"',
      'analyses[8].confLevel: unknown field of a log-rank analysis (known fields: id, type, title, where, dp, time, event, by, times)',
      'analyses[9].confLevel: unknown field of a covariance analysis (known fields: id, type, title, where, dp, x, y)',
      "analyses[10].paired: column 'arm' is categorical; the second column of a paired t-test needs an integer, decimal, date or boolean column",
    ]);
  });
});

describe('paths', () => {
  it('split into segments', () => {
    expect(pathSegments('analyses[2].where[0].eq')).toEqual(['analyses', 2, 'where', 0, 'eq']);
    expect(pathSegments('(top level)')).toEqual([]);
    expect(pathSegments('schema.columns[10]')).toEqual(['schema', 'columns', 10]);
  });
});

describe('parties that read their table from a SQL query', () => {
  const base = parseYaml(EXAMPLE) as StudyInput;
  const withParty = (p: StudyInput['parties'][number]): StudyInput => ({
    ...base,
    parties: [p, ...base.parties.slice(1)],
  });
  const problems = (p: StudyInput['parties'][number]): string[] => {
    try {
      defineStudy(withParty(p));
    } catch (e) {
      expect(e).toBeInstanceOf(SpecError);
      return (e as SpecError).issues.map((i) => `${i.path}: ${i.message}`);
    }
    throw new Error('expected a SpecError');
  };

  it('reads a DuckDB query (the default engine) and a PostgreSQL query with its variable', () => {
    const d = defineStudy(withParty({ id: 'a', query: "SELECT * FROM 'a.parquet'" }));
    expect(d.parties[0]).toMatchObject({
      data: undefined,
      query: { sql: "SELECT * FROM 'a.parquet'", engine: 'duckdb', connection: undefined },
    });
    const p = defineStudy(
      withParty({ id: 'a', query: 'SELECT 1', engine: 'postgres', connection: 'A_DB' }),
    );
    expect(p.parties[0]!.query).toEqual({
      sql: 'SELECT 1',
      engine: 'postgres',
      connection: 'A_DB',
    });
  });

  it('refuses what cannot be run, naming the field', () => {
    expect(problems({ id: 'a', data: 'a.csv', query: 'SELECT 1' })).toEqual([
      'parties[0].query: a party reads its table from data or from a query, not both',
    ]);
    expect(problems({ id: 'a', query: 'SELECT 1', engine: 'postgres' })).toEqual([
      expect.stringMatching(
        /^parties\[0\]\.connection: missing: a postgres query needs the name of the environment variable/,
      ),
    ]);
    expect(problems({ id: 'a', query: 'SELECT 1', connection: 'X' })).toEqual([
      'parties[0].connection: duckdb reads local files: it takes no connection',
    ]);
    expect(problems({ id: 'a', data: 'a.csv', engine: 'duckdb' })).toEqual([
      'parties[0].engine: engine applies only to a query (set query)',
    ]);
    expect(problems({ id: 'a', query: 'SELECT 1', engine: 'oracle' as 'duckdb' })).toEqual([
      expect.stringMatching(/^parties\[0\]\.engine: unknown query engine 'oracle'/),
    ]);
    expect(
      problems({
        id: 'a',
        query: 'SELECT 1',
        engine: 'postgres',
        connection: 'postgres://u:p@h/db',
      }),
    ).toEqual([
      'parties[0].connection: expected the name of an environment variable that holds the connection URL (letters, digits and _), not the URL itself: a study file never holds a password',
    ]);
    expect(problems({ id: 'a', query: '  ' })).toEqual([
      expect.stringMatching(/^parties\[0\]\.query: expected a SQL query/),
    ]);
  });
});
