import { describe, expect, it } from 'vitest';
import { ReadTap } from './endpoint.js';

describe('ReadTap (bytes of a socket read into one reused buffer)', () => {
  it('copies what arrives before the consumer attaches and replays it in order', () => {
    const tap = new ReadTap();
    const buf = new Uint8Array([1, 2, 3, 4]);
    tap.push(buf.subarray(0, 2));
    buf.set([9, 9, 9, 9]); // the socket reuses its buffer for the next read
    tap.push(buf.subarray(0, 3));
    buf.fill(0);
    const got: number[][] = [];
    tap.attach((c) => got.push([...c]));
    expect(got).toEqual([
      [1, 2],
      [9, 9, 9],
    ]);
    buf.set([5, 6]);
    tap.push(buf.subarray(0, 2));
    expect(got).toEqual([
      [1, 2],
      [9, 9, 9],
      [5, 6],
    ]);
  });

  it('passes later chunks straight through, as views', () => {
    const tap = new ReadTap();
    const seen: Uint8Array[] = [];
    tap.attach((c) => seen.push(c));
    const buf = new Uint8Array(8);
    tap.push(buf.subarray(0, 4));
    expect(seen[0]!.buffer).toBe(buf.buffer);
  });
});
