import { describe, expect, it } from 'vitest';
import { run } from '../../../test/harness.js';
import { bitsFor, fixedTypeOf, fracFor, intTypeOf, SecretTable } from './encode.js';
import { parseSchema } from './schema.js';
import { parseCsvTable, type Table } from './table.js';

const schema = parseSchema({
  columns: [
    { name: 'age', type: 'integer', min: 18, max: 100 },
    { name: 'arm', type: 'categorical', levels: ['A', 'B', 'C'] },
    { name: 'weight', type: 'decimal', scale: 1, min: 30, max: 250.5 },
    { name: 'ok', type: 'boolean', labels: { false: '0', true: '1' } },
    { name: 'admitted', type: 'date', min: '2020-01-01', max: '2025-12-31' },
    { name: 'days', type: 'integer', min: -5, max: 365, missing: 'allow' },
  ],
});

const files = [
  'age,arm,weight,ok,admitted,days\n18,A,30.0,1,2020-01-01,0\n100,C,250.5,0,2025-12-31,\n',
  // The second party brings no rows.
  'age,arm,weight,ok,admitted,days\n',
  'age,arm,weight,ok,admitted,days\n45,B,72.3,1,2023-06-15,-5\n',
];
const tables = new Map<string, Table>(
  ['p1', 'p2', 'p3'].map((p, i) => [p, parseCsvTable(files[i]!, schema, `${p}.csv`)]),
);

describe('encodings by declared range', () => {
  it('picks the fewest bits', () => {
    expect(bitsFor(0, 1)).toBe(2);
    expect(bitsFor(-2, 1)).toBe(2);
    expect(bitsFor(18, 100)).toBe(8);
    expect(bitsFor(-129, 0)).toBe(9);
    expect(bitsFor(0, 127)).toBe(8);
    expect(bitsFor(0, 128)).toBe(9);
    expect(intTypeOf(schema.columns[0]!)).toEqual({ kind: 'int', bits: 8 });
    expect(intTypeOf(schema.columns[4]!).bits).toBe(16); // days up to 20453
    expect(fixedTypeOf(schema.columns[2]!)).toEqual({ kind: 'fixed', bits: 25, frac: 16 });
    expect(fracFor(1)).toBe(16);
    expect(fracFor(6)).toBe(24);
    expect(() => intTypeOf(schema.columns[2]!)).toThrow(/decimal/);
  });
});

describe('SecretTable', () => {
  it.each([
    { suite: 'rep3', parties: 3 },
    { suite: 'shamir', parties: 3 },
  ])('combines the parties row-wise under $suite', async (c) => {
    const out = await run(c, async (s) => {
      const t = await SecretTable.input(s, schema, tables.get(s.me));
      const [age, weight, ok, admitted, codes, days, present, ...oneHot] = await s.revealAll([
        t.int('age'),
        t.fixed('weight'),
        t.bool('ok'),
        t.int('admitted'),
        t.codes('arm'),
        t.int('days'),
        t.present('days'),
        ...t.oneHot('arm'),
      ]);
      return {
        rows: t.rows,
        counts: [...t.rowCounts.entries()],
        age,
        weight,
        ok,
        admitted,
        codes,
        days,
        present,
        oneHot,
        presentAge: await t.present('age').reveal(),
        // Owner-side comparisons, value-major over all rows; a missing value meets none.
        ageGe: await t.indicators('age', 'ge', [40, 100]).reveal(),
        daysLt: await t.indicators('days', 'lt', [1]).reveal(),
        daysNe: await t.indicators('days', 'ne', [0]).reveal(),
      };
    });
    expect(out.rows).toBe(3);
    expect(out.counts).toEqual([
      ['p1', 2],
      ['p2', 0],
      ['p3', 1],
    ]);
    expect(out.age).toEqual([18n, 100n, 45n]);
    // 72.3 is not a multiple of 2^-16: encoded within 2^-17.
    const w = out.weight as number[];
    expect(w[0]).toBe(30);
    expect(w[1]).toBe(250.5);
    expect(Math.abs(w[2]! - 72.3)).toBeLessThanOrEqual(2 ** -17);
    expect(out.ok).toEqual([true, false, true]);
    expect(out.admitted).toEqual([18262n, 20453n, 19523n]);
    expect(out.codes).toEqual([0n, 2n, 1n]);
    expect(out.days).toEqual([0n, 0n, -5n]);
    expect(out.present).toEqual([true, false, true]);
    expect(out.oneHot).toEqual([
      [true, false, false],
      [false, false, true],
      [false, true, false],
    ]);
    expect(out.presentAge).toEqual([true, true, true]);
    expect(out.ageGe).toEqual([false, true, true, false, true, false]);
    expect(out.daysLt).toEqual([true, false, true]);
    expect(out.daysNe).toEqual([false, false, true]);
  });

  it('adds local aggregates across parties (a party without rows adds zeros)', async () => {
    const out = await run({ suite: 'rep3', parties: 3 }, async (s) => {
      const t = await SecretTable.input(s, schema, tables.get(s.me));
      // Each owner counts its own records per arm level, in the clear, on its own table.
      const perLevel = t.aggregate('n-by-arm', 3, 33, (own) => {
        const out = new Float64Array(3);
        for (const v of own.columns.get('arm')!.values) out[v]!++;
        return out;
      });
      return perLevel.revealNumbers();
    });
    expect(out).toEqual([1, 1, 1]);
  });

  it('refuses unknown columns and the wrong kind of column', async () => {
    await run({ suite: 'plaintext', parties: 3 }, async (s) => {
      const t = await SecretTable.input(s, schema, tables.get(s.me));
      expect(() => t.int('agee')).toThrow("table: unknown column 'agee'");
      expect(() => t.bool('age')).toThrow("column 'age' is integer, not boolean");
      expect(() => t.oneHot('age')).toThrow(/not categorical/);
      expect(() => t.fixed('arm')).toThrow(/categorical/);
      expect(() => t.level('arm', 'D')).toThrow("column 'arm' has no level 'D' (levels: A, B, C)");
      return 0;
    });
  });
});
