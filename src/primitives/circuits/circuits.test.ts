import { createCipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { Prg } from '../../random/prg.js';
import { parseBristol } from './bristol.js';
import {
  CircuitBuilder,
  evaluatePlain,
  evaluatePlain32,
  schedule,
  AND,
  type Circuit,
} from './circuit.js';
import * as int from './integer.js';
import { bristolCircuit } from '../../../test/circuits.js';

const bristol = (name: string): Circuit => bristolCircuit(name);

/** Bits of a big-endian integer, least significant first (Bristol Fashion's order). */
function beBits(b: Uint8Array): number[] {
  const n = 8 * b.length;
  return Array.from({ length: n }, (_, i) => (b[b.length - 1 - (i >> 3)]! >> (i & 7)) & 1);
}
function fromBeBits(bits: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(bits.length / 8);
  for (let i = 0; i < bits.length; i++)
    out[out.length - 1 - (i >> 3)]! |= (bits[i]! & 1) << (i & 7);
  return out;
}

const prg = new Prg(new Uint8Array(16).fill(11), nodeCryptoProvider);

/** Signed w-bit values to wires' words (32 instances). */
function pack(values: readonly bigint[], w: number): Int32Array {
  return Int32Array.from({ length: w }, (_, i) =>
    values.reduce((acc, v, k) => acc | (Number((v >> BigInt(i)) & 1n) << k), 0),
  );
}
function unpack(words: Int32Array, k: number): bigint {
  let v = 0n;
  for (let i = 0; i < words.length; i++) v |= BigInt((words[i]! >>> k) & 1) << BigInt(i);
  return BigInt.asIntN(words.length, v);
}
function randomSigned(w: number, n: number): bigint[] {
  const out = Array.from(new BigInt64Array(prg.bytes(8 * n).buffer), (x) => BigInt.asIntN(w, x));
  const edges = [0n, -1n, 1n, -(1n << BigInt(w - 1)), (1n << BigInt(w - 1)) - 1n];
  edges.forEach((e, i) => (out[i] = BigInt.asIntN(w, e)));
  return out;
}

describe('Bristol Fashion circuits', () => {
  it('AES-128 agrees with node:crypto on random keys and blocks', () => {
    const c = bristol('aes_128.txt');
    expect(c.inputs).toEqual([128, 128]);
    expect(c.nAnd).toBe(6400);
    for (let k = 0; k < 4; k++) {
      const key = prg.bytes(16);
      const pt = prg.bytes(16);
      const want = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false).update(pt);
      const out = evaluatePlain(c, [...beBits(key), ...beBits(pt)]);
      expect(Buffer.from(fromBeBits(out))).toEqual(want);
    }
  });

  it('SHA-256 (one compression) agrees with node:crypto on random one-block messages', () => {
    const c = bristol('sha256.txt');
    const iv = Buffer.from(
      '6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19',
      'hex',
    );
    for (const len of [0, 1, 31, 55]) {
      const msg = prg.bytes(len);
      const block = new Uint8Array(64);
      block.set(msg);
      block[len] = 0x80;
      new DataView(block.buffer).setUint32(60, 8 * len);
      const out = evaluatePlain(c, [...beBits(block), ...beBits(iv)]);
      expect(Buffer.from(fromBeBits(out))).toEqual(createHash('sha256').update(msg).digest());
    }
  });

  it('64-bit adder and multiplier files agree with BigInt arithmetic', () => {
    const add = bristol('adder64.txt');
    const mul = bristol('mult64.txt');
    const x = randomSigned(64, 32);
    const y = randomSigned(64, 32);
    const inp = new Int32Array([...pack(x, 64), ...pack(y, 64)]);
    const s = evaluatePlain32(add, inp);
    const p = evaluatePlain32(mul, inp);
    for (let k = 0; k < 32; k++) {
      expect(unpack(s, k)).toBe(BigInt.asIntN(64, x[k]! + y[k]!));
      expect(unpack(p, k)).toBe(BigInt.asIntN(64, x[k]! * y[k]!));
    }
  });

  it('refuses malformed text, naming the line', () => {
    expect(() => parseBristol('1 3\n1 1\n1 1\n\n2 1 0 5 2 XOR\n')).toThrow(
      /line 5: wire 5 used before/,
    );
    expect(() => parseBristol('1 3\n1 1\n1 1\n\n2 1 0 0 2 NAND\n')).toThrow(/unknown gate 'NAND'/);
    expect(() => parseBristol('')).toThrow(SyntaxError);
  });
});

describe('integer circuit builder', () => {
  const widths: Array<[number, number, number]> = [
    [32, 32, 33],
    [32, 32, 64],
    [8, 16, 24],
    [64, 64, 64],
    [2, 32, 34],
    [1, 1, 2],
  ];
  for (const [wx, wy, w] of widths) {
    it(`add, sub, mul, compare, equal on ${wx}- and ${wy}-bit operands, ${w}-bit results`, () => {
      const b = new CircuitBuilder();
      const x = b.input(wx);
      const y = b.input(wy);
      const c = b.build([
        int.add(b, x, y, w),
        int.sub(b, x, y, w),
        int.mul(b, x, y, w),
        [int.lessThan(b, x, y)],
        [int.equal(b, x, y)],
        int.mux(b, int.lessThan(b, x, y), x, y, w),
      ]);
      const xs = randomSigned(wx, 32);
      const ys = randomSigned(wy, 32);
      ys[7] = BigInt.asIntN(wy, xs[7]!); // an equal pair
      const out = evaluatePlain32(c, new Int32Array([...pack(xs, wx), ...pack(ys, wy)]));
      const groups: Int32Array[] = [];
      let off = 0;
      for (const gw of c.outputWidths) {
        groups.push(out.subarray(off, off + gw));
        off += gw;
      }
      const m = (v: bigint) => BigInt.asIntN(w, v);
      for (let k = 0; k < 32; k++) {
        const [X, Y] = [xs[k]!, ys[k]!];
        expect(unpack(groups[0]!, k)).toBe(m(X + Y));
        expect(unpack(groups[1]!, k)).toBe(m(X - Y));
        expect(unpack(groups[2]!, k)).toBe(m(X * Y));
        expect((groups[3]![0]! >>> k) & 1).toBe(X < Y ? 1 : 0);
        expect((groups[4]![0]! >>> k) & 1).toBe(X === Y ? 1 : 0);
        expect(unpack(groups[5]!, k)).toBe(m(X < Y ? X : Y));
      }
    });
  }

  it('gate counts: adder w - 1, comparison w, signed 32x32 product about 2 wx wy', () => {
    const count = (
      f: (b: CircuitBuilder, x: number[], y: number[]) => number[],
      wx: number,
      wy: number,
    ) => {
      const b = new CircuitBuilder();
      const x = b.input(wx);
      const y = b.input(wy);
      return b.build([f(b, x, y)]).nAnd;
    };
    expect(count((b, x, y) => int.add(b, x, y, 32), 32, 32)).toBe(31);
    expect(count((b, x, y) => [int.lessThan(b, x, y)], 32, 32)).toBe(32);
    expect(count((b, x, y) => [int.equal(b, x, y)], 32, 32)).toBe(31);
    const m = count((b, x, y) => int.mul(b, x, y, 64), 32, 32);
    expect(m).toBeLessThan(2 * 32 * 32 + 4 * 64);
    // A boolean times a value is just ANDs (the product's other rows fold away).
    expect(count((b, x, y) => int.mul(b, [x[0]!, 0], y, 34), 1, 32)).toBeLessThanOrEqual(33 + 32);
  });

  it('folds constants and shares identical gates', () => {
    const b = new CircuitBuilder();
    const [x, y] = b.input(2);
    expect(b.and(x!, 1)).toBe(x);
    expect(b.xor(x!, x!)).toBe(0);
    expect(b.not(b.not(x!))).toBe(x);
    expect(b.and(x!, y!)).toBe(b.and(y!, x!));
    expect(b.and(x!, b.not(x!))).toBe(0);
  });

  it('the schedule layers AND gates by depth and reuses slots', () => {
    const c = bristol('aes_128.txt');
    const s = schedule(c);
    let ands = 0;
    for (let st = 0; st < s.isAnd.length; st++)
      for (let p = s.stepStart[st]!; p < s.stepStart[st + 1]!; p++) {
        expect(c.kind[s.order[p]!] === AND).toBe(s.isAnd[st] === 1);
        if (s.isAnd[st]) ands++;
      }
    expect(ands).toBe(c.nAnd);
    expect(s.nSlots).toBeLessThan(c.nWires / 4);
  });
});
