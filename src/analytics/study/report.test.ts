import { describe, expect, it } from 'vitest';
import {
  formatNumber,
  jsonReport,
  markdownReport,
  survivalSvg,
  survivalTable,
  terminalReport,
} from './report.js';
import type { StudyOutcome } from './result.js';

const outcome: StudyOutcome = {
  study: 'Demo study',
  description: 'Two arms.',
  suite: 'rep3',
  parties: [
    { id: 'a', name: 'Hospital A', rows: 100 },
    { id: 'b', name: 'Hospital B', rows: 50 },
  ],
  minCellSize: 10,
  budget: { epsilon: 1, delta: 1e-6, spentEpsilon: 0.5, spentDelta: 1e-9 },
  analyses: [
    {
      id: 'n',
      type: 'count',
      title: 'Records by arm',
      rows: [
        { statistic: 'n', group: 'arm = A', value: 144, suppressed: false, precision: 'exact' },
        { statistic: 'n', group: 'arm = B', value: null, suppressed: true, precision: 'exact' },
      ],
      notes: ['groups of fewer than 10 records are suppressed'],
      seconds: 0.25,
      rounds: 9,
      bytesSent: 2048,
    },
    {
      id: 'km',
      type: 'kaplan-meier',
      title: 'Survival <by arm>',
      rows: [{ statistic: 'S(t)', group: 'arm = A, t = 30', value: 0.9, suppressed: false }],
      curves: [
        { group: 'arm = A', times: [30, 60, 90], survival: [0.9, 0.8, null] },
        { group: 'arm = B', times: [30, 60, 90], survival: [0.95, 0.85, 0.8] },
      ],
      notes: [],
      seconds: 1,
      rounds: 50,
      bytesSent: 3 * 1024 * 1024,
    },
  ],
  seconds: 1.5,
  rounds: 40,
  bytesSent: 4 * 1024 * 1024,
};

const reference = new Map([
  [
    'n',
    [
      { statistic: 'n', group: 'arm = A', value: 144, suppressed: false },
      { statistic: 'n', group: 'arm = B', value: 6, suppressed: false },
    ],
  ],
  ['km', [{ statistic: 'S(t)', group: 'arm = A, t = 30', value: 0.9000004, suppressed: false }]],
]);

describe('reports', () => {
  it('format numbers for reading', () => {
    expect(formatNumber(144)).toBe('144');
    expect(formatNumber(0.72698)).toBe('0.7270');
    expect(formatNumber(22777.9)).toBe('22777.90');
    expect(formatNumber(4.2e-251)).toBe('4.200e-251');
    expect(formatNumber(null)).toBe('-');
  });

  it('the terminal table shows suppression, the pooled column and the difference', () => {
    const t = terminalReport(outcome, reference);
    expect(t).toMatch(
      /^Demo study\nsuite rep3; Hospital A 100 records, Hospital B 50 records; minimum cell size k = 10/,
    );
    expect(t).toMatch(/this run spends epsilon 0\.5/);
    expect(t).toMatch(/n {2}arm = A +144 +144 +0\n/);
    expect(t).toMatch(/n {2}arm = B +\(< 10\) +6\n/);
    expect(t).toMatch(/S\(t\) {2}arm = A, t = 30 +0\.9000 +0\.9000 +-4\.0e-7/);
    expect(t).toMatch(/FOR THIS DEMO ONLY/);
    // Without a reference there is no pooled column and no demo note.
    expect(terminalReport(outcome)).not.toMatch(/pooled|DEMO/);
  });

  it('Markdown has tables, notes and the survival curves as SVG', () => {
    const md = markdownReport(outcome, reference);
    expect(md).toMatch(/^# Demo study\n\nTwo arms\./);
    expect(md).toContain('| n | arm = B | suppressed (< 10) | 6 |  | exact |');
    expect(md).toContain('**for this demo only**');
    expect(md).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(md).toContain('## 2. Survival <by arm>');
  });

  it('the SVG draws one step curve per group and stops at a suppressed point', () => {
    const svg = survivalSvg(outcome.analyses[1]!);
    expect(svg).toContain('<title>Survival &lt;by arm&gt;</title>');
    const paths = [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1]!);
    expect(paths).toHaveLength(2);
    // Group A: two steps (the third point is suppressed); group B: three.
    expect(paths[0]!.match(/ H /g)).toHaveLength(2);
    expect(paths[1]!.match(/ H /g)).toHaveLength(3);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });

  it('JSON carries the outcome and, for the demo, the pooled reference', () => {
    const j = JSON.parse(jsonReport(outcome, reference)) as Record<string, unknown>;
    expect(j.study).toBe('Demo study');
    expect(Object.keys(j.pooledReferenceForDemoOnly as object)).toEqual(['n', 'km']);
    expect(JSON.parse(jsonReport(outcome))).not.toHaveProperty('pooledReferenceForDemoOnly');
  });

  it("tabulates Kaplan-Meier curves as R's summary(survfit(...), times): suppressed counts and empty bands", () => {
    const rows = survivalTable(
      {
        curves: [
          {
            group: 'arm = A',
            times: [10, 20],
            survival: [0.5, 0],
            atRisk: [12, null],
            events: [6, null],
            stdErr: [0.14433756729740643, null],
            lower: [0.28, null],
            upper: [0.9, null],
            confLevel: 0.9,
          },
        ],
      },
      { minCellSize: 5 },
    );
    expect(rows).toEqual([
      '| group | time | at risk | events | S(t) | std.err | lower 90% | upper 90% |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      '| arm = A | 10 | 12 | 6 | 0.5000 | 0.1443 | 0.2800 | 0.9000 |',
      '| arm = A | 20 | (< 5) | (< 5) | 0 | - | - | - |',
    ]);
    // Older curves (S and at risk only) keep their two columns.
    expect(survivalTable(outcome.analyses[1]!, outcome)[0]).toBe('| group | time | S(t) |');
  });
});
