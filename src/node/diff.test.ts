import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffLines } from './diff.js';

/** Rebuilds both sides from a diff: what a correct diff must allow. */
const sides = (d: ReturnType<typeof diffLines>) => ({
  before: d
    .filter((l) => l.op !== '+')
    .map((l) => l.text)
    .join('\n'),
  after: d
    .filter((l) => l.op !== '-')
    .map((l) => l.text)
    .join('\n'),
});

function lcsLength(a: string[], b: string[]): number {
  const memo = new Map<string, number>();
  const go = (i: number, j: number): number => {
    if (i === a.length || j === b.length) return 0;
    const k = `${i},${j}`;
    let v = memo.get(k);
    if (v === undefined) {
      v = a[i] === b[j] ? 1 + go(i + 1, j + 1) : Math.max(go(i + 1, j), go(i, j + 1));
      memo.set(k, v);
    }
    return v;
  };
  return go(0, 0);
}

describe('diffLines', () => {
  it('marks a changed line as removed and added, keeping the rest', () => {
    expect(diffLines('a\nb\nc', 'a\nB\nc')).toEqual([
      { op: ' ', text: 'a' },
      { op: '-', text: 'b' },
      { op: '+', text: 'B' },
      { op: ' ', text: 'c' },
    ]);
    expect(diffLines('same', 'same')).toEqual([{ op: ' ', text: 'same' }]);
    expect(diffLines('', 'x')).toEqual([
      { op: '-', text: '' },
      { op: '+', text: 'x' },
    ]);
  });

  it('always reproduces both texts, with a minimal number of changed lines', () => {
    const text = fc
      .array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 12 })
      .map((l) => l.join('\n'));
    fc.assert(
      fc.property(text, text, (x, y) => {
        const d = diffLines(x, y);
        expect(sides(d)).toEqual({ before: x, after: y });
        // It keeps a longest common subsequence (its length found here by plain recursion).
        const kept = d.filter((l) => l.op === ' ').length;
        expect(kept).toBe(lcsLength(x.split('\n'), y.split('\n')));
      }),
    );
  });
});
