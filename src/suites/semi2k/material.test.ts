import { describe, expect, it } from 'vitest';
import {
  MaterialStore,
  MemorySpentRegistry,
  PreprocessingError,
  type Batch,
  type KindLayout,
} from './material.js';

const L: Record<string, KindLayout> = { t: { a: ['u64', 2], b: ['u8', 1] } };

function batch(from: number, count: number): Batch {
  const a = new BigUint64Array(2 * count);
  const b = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    a[2 * i] = BigInt(from + i);
    a[2 * i + 1] = BigInt(-(from + i)) & ((1n << 64n) - 1n);
    b[i] = (from + i) & 255;
  }
  return { count, cols: { a, b } };
}

const items = (b: Batch) => Array.from(b.cols.b as Uint8Array);

describe('MaterialStore', () => {
  it('hands out items once, in order, across chunks; generates only what is missing', async () => {
    const st = new MaterialStore('x', 'tag', 0, L);
    st.put('t', batch(0, 3));
    st.put('t', batch(3, 4));
    expect(items(await st.take('t', 2, () => Promise.reject(new Error('no'))))).toEqual([0, 1]);
    expect(items(await st.take('t', 4, () => Promise.reject(new Error('no'))))).toEqual([
      2, 3, 4, 5,
    ]);
    let asked = 0;
    const got = await st.take('t', 3, async (k) => ((asked = k), batch(100, k)), 10);
    expect(items(got)).toEqual([6, 100, 101]);
    expect(asked).toBe(10); // the minimum batch; the surplus stays
    expect(st.available('t')).toBe(8);
    expect(st.consumed).toEqual({ t: 9 });
    expect(st.onDemand).toEqual({ t: 10 });
    expect(items(await st.take('t', 0, () => Promise.reject(new Error('no'))))).toEqual([]);
  });

  it('strict: running out throws; export drains and import checks session, party and reuse', async () => {
    const st = new MaterialStore('x', 'tag', 1, L, { strict: true });
    st.put('t', batch(0, 5));
    await expect(st.take('t', 6, async (k) => batch(0, k))).rejects.toThrow(PreprocessingError);
    const bytes = st.exportBundle('b1');
    expect(st.remaining()).toEqual({ t: 0 });
    const reg = new MemorySpentRegistry();
    expect(() => new MaterialStore('x', 'other', 1, L).importBundle(bytes, reg)).toThrow(
      /another session/,
    );
    expect(() => new MaterialStore('x', 'tag', 0, L).importBundle(bytes, reg)).toThrow(/party 1/);
    expect(() => new MaterialStore('y', 'tag', 1, L).importBundle(bytes, reg)).toThrow(/suite 'x'/);
    const back = new MaterialStore('x', 'tag', 1, L);
    expect(back.importBundle(bytes, reg)).toBe('b1');
    const t = await back.take('t', 5, () => Promise.reject(new Error('no')));
    expect(items(t)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from((t.cols.a as BigUint64Array).subarray(0, 2))).toEqual([0n, 0n]);
    expect(() => new MaterialStore('x', 'tag', 1, L).importBundle(bytes, reg)).toThrow(
      /already used/,
    );
    const cut = bytes.slice(0, bytes.length - 8);
    expect(() =>
      new MaterialStore('x', 'tag', 1, L).importBundle(cut, new MemorySpentRegistry()),
    ).toThrow(/malformed/);
  });
});
