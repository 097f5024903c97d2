import { describe, expect, it } from 'vitest';
import {
  assemble,
  get,
  i32c,
  i64c,
  i64load,
  i64store,
  loopDown,
  set,
  sleb,
  uleb,
  I32,
  I32_ADD,
  I64,
  I64_ADD,
  type Code,
} from './wasm-asm.js';

describe('wasm-asm', () => {
  it('encodes LEB128 as the specification does, at the edges of each byte count', () => {
    // The worked examples of the LEB128 encoding (DWARF 5, section 7.6).
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-123456n)).toEqual([0xc0, 0xbb, 0x78]);
    expect(uleb(0)).toEqual([0x00]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(2 ** 32 - 1)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(sleb(0n)).toEqual([0x00]);
    expect(sleb(-1n)).toEqual([0x7f]);
    expect(sleb(63n)).toEqual([0x3f]);
    // 64 has bit 6 set, so it needs a second byte to stay positive.
    expect(sleb(64n)).toEqual([0xc0, 0x00]);
    expect(sleb(-64n)).toEqual([0x40]);
    expect(sleb(-65n)).toEqual([0xbf, 0x7f]);
    expect(sleb(-(2n ** 63n))).toEqual([...Array<number>(9).fill(0x80), 0x7f]);
    expect(sleb(2n ** 63n - 1n)).toEqual([...Array<number>(9).fill(0xff), 0x00]);
    // i64 constants are taken modulo 2^64 as signed values.
    expect(i64c(2n ** 64n - 1n)).toEqual([0x42, 0x7f]);
  });

  it('assembles a module whose memory has the pages asked for', () => {
    for (const pages of [1, 64, 200]) {
      const mod = new WebAssembly.Module(assemble([], pages));
      expect(WebAssembly.Module.exports(mod)).toEqual([{ name: 'memory', kind: 'memory' }]);
      const mem = new WebAssembly.Instance(mod, {}).exports.memory as WebAssembly.Memory;
      expect(mem.buffer.byteLength).toBe(pages * 65536);
      mem.grow(1); // growable: no maximum
    }
  });

  it('runs a loop over memory like the plain computation', () => {
    // sum(p, n): out at byte 0 = sum of the n 64-bit words from byte p (mod 2^64).
    const [P, N, ACC] = [0, 1, 2];
    const body: Code = [
      ...loopDown(N, [
        ...get(ACC),
        ...get(P),
        ...i64load(0),
        I64_ADD,
        ...set(ACC),
        ...get(P),
        ...i32c(8),
        I32_ADD,
        ...set(P),
      ]),
      ...i32c(0),
      ...get(ACC),
      ...i64store(0),
    ];
    const x = new WebAssembly.Instance(
      new WebAssembly.Module(assemble([{ name: 'sum', params: [I32, I32], locals: [I64], body }])),
      {},
    ).exports as { memory: WebAssembly.Memory; sum(p: number, n: number): void };
    const words = new BigUint64Array(x.memory.buffer);
    const values = [0n, 1n, 2n ** 64n - 1n, 123456789012345678n, 2n ** 63n];
    words.set(values, 1);
    for (let n = 0; n <= values.length; n++) {
      x.sum(8, n);
      const want = values.slice(0, n).reduce((a, b) => (a + b) % 2n ** 64n, 0n);
      expect(words[0]).toBe(want);
    }
  });
});
