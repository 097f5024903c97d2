import { describe, expect, it } from 'vitest';
import { article, distance, FieldReader, nearest, orList, plural } from './reader.js';

describe('did you mean', () => {
  it('counts a swap of two neighbours as one edit', () => {
    expect(distance('tpye', 'type')).toBe(1);
    expect(distance('colum', 'column')).toBe(1);
    expect(distance('kaplan-meir', 'kaplan-meier')).toBe(1);
    expect(distance('abc', 'xyz')).toBe(3);
    expect(distance('', 'ab')).toBe(2);
  });

  it('guesses only a near option that is nearer than every other', () => {
    expect(nearest('recoverd', ['recovered', 'recovery_days'])).toBe('recovered');
    expect(nearest('hospital-d', ['hospital-a', 'hospital-b'])).toBeUndefined();
    expect(nearest('zzz', ['age', 'sex'])).toBeUndefined();
    expect(nearest('AGE', ['age', 'sex'])).toBe('age');
  });
});

describe('FieldReader', () => {
  it('reports one problem per field, and not the field a misspelling meant', () => {
    const r = new FieldReader();
    const o = r.object({ nmae: 'x' }, 'p', ['name', 'id'])!;
    r.string(r.required(o, 'name', 'p'), 'p.name');
    r.string(r.required(o, 'id', 'p'), 'p.id');
    expect(r.issues).toEqual([
      { path: 'p.nmae', message: "unknown field (did you mean 'name'?)" },
      { path: 'p.id', message: 'missing' },
    ]);
  });

  it('spells a list out once and points back to it', () => {
    const r = new FieldReader();
    r.oneOf('zap', 'a[0].type', ['count', 'mean'], 'analysis type');
    r.oneOf('zop', 'a[1].type', ['count', 'mean'], 'analysis type');
    r.oneOf(3, 'a[2].type', ['count', 'mean'], 'analysis type');
    expect(r.issues.map((i) => i.message)).toEqual([
      "unknown analysis type 'zap' (analysis types: count, mean)",
      "unknown analysis type 'zop' (analysis types: see a[0].type)",
      'expected an analysis type (analysis types: see a[0].type), got 3',
    ]);
  });

  it('writes counts, articles and lists in good English', () => {
    expect([plural(1, 'item'), plural(2, 'item'), plural(1, 'analysis', 'analyses')]).toEqual([
      '1 item',
      '2 items',
      '1 analysis',
    ]);
    expect([article('integer'), article('sd'), article('t-test'), article('boolean')]).toEqual([
      'an',
      'an',
      'a',
      'a',
    ]);
    expect([orList(['a']), orList(['a', 'b']), orList(['a', 'b', 'c'])]).toEqual([
      'a',
      'a or b',
      'a, b or c',
    ]);
    const r = new FieldReader();
    r.list([1, 2, 3], 'levels', 2, 2);
    r.list('x', 'probs', 1, 99);
    expect(r.issues.map((i) => i.message)).toEqual([
      'expected a list of 2 items, got 3 items',
      'expected a list of 1..99 items, got "x"',
    ]);
  });
});
