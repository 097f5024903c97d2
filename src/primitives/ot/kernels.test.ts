import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { webCryptoProvider } from '../../random/provider.js';
import { Prg } from '../../random/prg.js';
import { FixedKeyAes, TccrHash } from '../hash.js';
import { combineChains, evalBits, gfMul, GfMulTable, gfPow } from './gf128.js';
import { transpose128 } from './transpose.js';
import { createCipheriv } from 'node:crypto';

const prg = new Prg(new Uint8Array(16).fill(3), nodeCryptoProvider);
const randWords = (n: number) => new Uint32Array(prg.bytes(4 * n).buffer);
const bit = (w: Uint32Array, i: number) => (w[i >>> 5]! >>> (i & 31)) & 1;

describe('bit-matrix transposition', () => {
  it('agrees with the bit-by-bit definition', () => {
    for (const m of [32, 96, 1024]) {
      const W = m / 32;
      const cols = randWords(128 * W);
      const rows = new Uint32Array(4 * m);
      transpose128(cols, rows, m);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < 128; j++) expect(bit(rows, 128 * i + j)).toBe(bit(cols, j * m + i));
    }
  });
  it('refuses m not a multiple of 32', () => {
    expect(() => transpose128(new Uint32Array(128), new Uint32Array(40), 10)).toThrow(RangeError);
  });
});

describe('GF(2^128)', () => {
  it('table multiplication agrees with the bit-serial product; known X^127 * X = reduction', () => {
    const x127 = Uint32Array.of(0, 0, 0, 0x80000000);
    const x1 = Uint32Array.of(2, 0, 0, 0);
    expect(Array.from(gfMul(x127, x1))).toEqual([0x87, 0, 0, 0]);
    for (let k = 0; k < 20; k++) {
      const chi = randWords(4);
      const a = randWords(4);
      const t = new GfMulTable(chi);
      const acc = a.slice();
      t.mulInPlace(acc);
      expect(acc).toEqual(gfMul(a, chi));
      expect(gfMul(a, chi)).toEqual(gfMul(chi, a));
    }
  });
  it('Horner over rows is sum_i row_i chi^(n-i)', () => {
    const chi = randWords(4);
    const rows = randWords(4 * 5);
    const acc = new Uint32Array(4);
    new GfMulTable(chi).horner(rows, 5, acc);
    let want: Uint32Array = new Uint32Array(4);
    for (let i = 0; i < 5; i++) {
      let p: Uint32Array = rows.slice(4 * i, 4 * i + 4);
      for (let e = 0; e < 5 - i; e++) p = gfMul(p, chi);
      want = want.map((v, w) => v ^ p[w]!);
    }
    expect(acc).toEqual(want);
  });
  it('evaluating a bit polynomial a byte at a time equals Horner over 1-bit rows', () => {
    const chi = randWords(4);
    const r = randWords(3);
    const rows = new Uint32Array(4 * 96);
    for (let i = 0; i < 96; i++) rows[4 * i] = bit(r, i);
    const acc = new Uint32Array(4);
    new GfMulTable(chi).horner(rows, 96, acc);
    expect(evalBits(chi, r, 96)).toEqual(acc);
  });
});

describe('fixed-key AES hashing', () => {
  it('node:crypto and the portable AES agree with AES-128-ECB', () => {
    const x = randWords(4 * 40000);
    const a = new Uint32Array(x.length);
    const b = new Uint32Array(x.length);
    new FixedKeyAes(nodeCryptoProvider).permute(x, a);
    new FixedKeyAes(webCryptoProvider).permute(x, b);
    expect(a).toEqual(b);
    const key = new Uint8Array(16).fill(9);
    const c = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
    const want = c.update(new Uint8Array(x.buffer, 0, 32));
    const got = new Uint32Array(8);
    new FixedKeyAes(nodeCryptoProvider, key).permute(x.subarray(0, 8), got);
    expect(Buffer.from(got.buffer)).toEqual(want);
  });
  it('TMMO(x, i) = pi(pi(x) xor i) xor pi(x), tweaks counting across 2^32', () => {
    const x = randWords(4 * 3);
    const h = new TccrHash(nodeCryptoProvider);
    const out = new Uint32Array(12);
    const start = 2 ** 32 - 2;
    h.hashCounter(x, out, 3, start, 7);
    const pi = h.pi;
    for (let j = 0; j < 3; j++) {
      const px = new Uint32Array(4);
      pi.permute(x.subarray(4 * j, 4 * j + 4), px);
      const t = start + j;
      const y = Uint32Array.of(
        px[0]! ^ (t % 2 ** 32),
        px[1]! ^ Math.floor(t / 2 ** 32),
        px[2]!,
        px[3]! ^ 7,
      );
      pi.permute(y, y);
      expect(Array.from(out.subarray(4 * j, 4 * j + 4))).toEqual(
        Array.from(y.map((v, w) => v ^ px[w]!)),
      );
    }
  });
});

describe('WebAssembly OT kernels', () => {
  it('the transposition agrees with the JavaScript one, on random and single-bit matrices', async () => {
    const { OtKernels } = await import('./wasm.js');
    const k = OtKernels.create()!;
    for (const m of [64, 128, 640, 4096]) {
      k.ensure(32 * m);
      const cols = new Uint32Array(k.buffer, 0, 4 * m);
      const rows = new Uint32Array(k.buffer, 16 * m, 4 * m);
      const want = new Uint32Array(4 * m);
      cols.set(randWords(4 * m));
      k.transpose(0, 16 * m, m);
      transpose128(cols, want, m);
      expect(rows).toEqual(want);
      // One set bit lands exactly at its transposed place, for bits at every
      // byte position and column group (column j, bit i -> row i, bit j).
      for (const [j, i] of [
        [0, 0],
        [127, m - 1],
        [17, 9],
        [64, 63],
        [15, m - 57],
        [100, 8],
      ] as const) {
        cols.fill(0);
        cols[j * (m / 32) + (i >>> 5)] = 1 << (i & 31);
        k.transpose(0, 16 * m, m);
        const hot = rows.reduce<number[]>((acc, v, w) => (v ? [...acc, w, v] : acc), []);
        expect(hot).toEqual([4 * i + (j >>> 5), (1 << (j & 31)) >>> 0]);
      }
    }
    expect(() => k.transpose(0, 0, 96)).toThrow(RangeError);
  });

  it('transposition and Horner agree with the JavaScript kernels', async () => {
    const { OtKernels } = await import('./wasm.js');
    const k = OtKernels.create();
    expect(k).toBeDefined();
    const m = 640;
    k!.ensure(32 * m + 65536 + 16);
    const cols = new Uint32Array(k!.buffer, 0, 4 * m);
    cols.set(randWords(4 * m));
    const rows = new Uint32Array(k!.buffer, 16 * m, 4 * m);
    k!.transpose(0, 16 * m, m);
    const want = new Uint32Array(4 * m);
    transpose128(cols, want, m);
    expect(rows).toEqual(want);
    const chi = randWords(4);
    const t = new GfMulTable(chi);
    new Uint32Array(k!.buffer, 32 * m, t.table.length).set(t.table);
    const acc = new Uint32Array(k!.buffer, 32 * m + 65536, 4);
    acc.set(randWords(4));
    const jsAcc = acc.slice();
    k!.horner(32 * m, 16 * m, m, 32 * m + 65536);
    t.horner(rows, m, jsAcc);
    expect(acc).toEqual(jsAcc);
  });
});

describe('WebAssembly TMMO glue', () => {
  it('xorc / tweak / xorv around the AES calls equal TccrHash.hashCounter', async () => {
    const { OtKernels } = await import('./wasm.js');
    const k = OtKernels.create()!;
    const n = 100;
    k.ensure(16 * 4 * n + 16);
    const buf = k.buffer;
    const x = new Uint32Array(buf, 0, 4 * n);
    x.set(randWords(4 * n));
    const d = randWords(4);
    new Uint32Array(buf, 16 * 4 * n, 4).set(d);
    const [X, P, Y, D] = [0, 16 * n, 32 * n, 64 * n];
    const h = new TccrHash(nodeCryptoProvider);
    const want = new Uint32Array(4 * n);
    const xd = x.map((v, w) => v ^ d[w & 3]!);
    h.hashCounter(xd, want, n, 2 ** 32 - 7, 0x6f746578);
    k.xorc(X, D, X, n); // x ^= Delta in place
    h.pi.permute(new Uint32Array(buf, X, 4 * n), new Uint32Array(buf, P, 4 * n), n);
    k.tweak(P, Y, n, 2 ** 32 - 7, 0x6f746578);
    const y = new Uint32Array(buf, Y, 4 * n);
    h.pi.permute(y, y, n);
    k.xorv(Y, P, X, n);
    expect(new Uint32Array(buf, X, 4 * n)).toEqual(want);
  });
});

describe('xor3v', () => {
  it('equals a xor b xor c word by word, in place on its second operand too', async () => {
    const { OtKernels } = await import('./wasm.js');
    const k = OtKernels.create()!;
    for (const n of [0, 1, 7, 1000]) {
      k.ensure(4 * 16 * n + 16);
      const [A, B, C, O] = [0, 16 * n, 32 * n, 48 * n];
      const view = (at: number) => new Uint32Array(k.buffer, at, 4 * n);
      for (const at of [A, B, C]) view(at).set(randWords(4 * n));
      const want = view(A).map((v, w) => v ^ view(B)[w]! ^ view(C)[w]!);
      k.xor3v(A, B, C, O, n);
      expect(view(O)).toEqual(want);
      k.xor3v(A, B, C, B, n); // the receiver writes u_j over its second operand
      expect(view(B)).toEqual(want);
    }
  });
});

describe('Interleaved Horner (horner4)', () => {
  it('four chains recombined equal the one-chain polynomial hash', async () => {
    const { OtKernels } = await import('./wasm.js');
    const k = OtKernels.create()!;
    for (const m of [4, 8, 640, 1028]) {
      k.ensure(16 * m + 65536 + 64);
      const rows = new Uint32Array(k.buffer, 0, 4 * m);
      rows.set(randWords(4 * m));
      const chi = randWords(4);
      const c = gfPow(chi, 4);
      new Uint32Array(k.buffer, 16 * m, 16384).set(new GfMulTable(c).table);
      const accs = new Uint32Array(k.buffer, 16 * m + 65536, 16);
      accs.fill(0);
      k.horner4(16 * m, 0, m, 16 * m + 65536);
      const want = new Uint32Array(4);
      new GfMulTable(chi).horner(rows, m, want);
      expect(combineChains(chi, accs)).toEqual(want);
    }
    expect(() => k.horner4(0, 0, 6, 0)).toThrow(RangeError);
  });

  it('gfPow agrees with repeated multiplication', () => {
    const chi = randWords(4);
    let p: Uint32Array<ArrayBufferLike> = chi.slice();
    for (let e = 1; e <= 9; e++) {
      expect(gfPow(chi, e)).toEqual(p);
      p = gfMul(p, chi);
    }
  });
});

describe('evalBits by 128-bit blocks', () => {
  it('equals the one-bit-at-a-time polynomial for m a multiple of 128', () => {
    for (const m of [128, 256, 1024 + 256]) {
      const chi = randWords(4);
      const r = randWords(m / 32);
      const rows = new Uint32Array(4 * m);
      for (let i = 0; i < m; i++) rows[4 * i] = bit(r, i);
      const acc = new Uint32Array(4);
      new GfMulTable(chi).horner(rows, m, acc);
      expect(evalBits(chi, r, m)).toEqual(acc);
    }
  });
});
