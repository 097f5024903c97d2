/**
 * WebAssembly kernels of OT extension, assembled at load time (no build
 * step; the bytes are a pure function of this file):
 *
 *   transpose  128 columns of m bits into m rows of 128 bits, 16 columns
 *              x 8 bytes at a time: byte interleaving brings byte c of the
 *              16 columns into one vector, and i8x16.bitmask takes its 16
 *              top bits at once (a row's 16 bits per instruction; the
 *              JavaScript fallback transposes 32 x 32 blocks by masked
 *              shifts);
 *   horner     acc = (acc xor row_i) chi over all rows, multiplication by the
 *              fixed chi through 16 byte tables of 128-bit products (one
 *              v128 load and xor per input byte, the bytes read back from
 *              the accumulator's slot in memory), for the KOS check;
 *   horner4    the same hash as four interleaved chains (acc_k = acc_k c xor
 *              row_(4j+k) with c = chi^4): one chain is bound by the latency
 *              of its table loads, four keep the loads in flight together
 *              (5.7 ms per million rows here); the caller recombines the
 *              chains. The accumulators' memory is their scratch meanwhile.
 *
 * Memory is owned by the instance and grown on demand; callers take views
 * after `ensure` (growing detaches old views).
 */

import {
  assemble,
  get,
  i32c,
  loopDown,
  set,
  v128load,
  v128store,
  i32load8u,
  i32store16,
  i8x16Shuffle,
  v128load64zero,
  I8X16_ADD,
  I8X16_BITMASK,
  I32,
  I32_ADD,
  I32_MUL,
  I32_SHL,
  V128,
  V128_XOR,
  type Code,
  type Func,
} from '../../arith/wasm-asm.js';
import { tweak, xor3v, xorc, xorv } from '../garble/wasm.js';

/**
 * transpose(cols, rows, W64): 128 columns of 64 W64 bits into rows, by byte
 * interleaving and i8x16.bitmask, which takes the top bit of 16 bytes at once
 * (pmovmskb). For each 8-byte chunk of the columns (64 rows) and each group
 * of 16 columns: load the 16 columns' 8 bytes, interleave them by bytes, then
 * 16-, 32- and 64-bit lanes (32 unpack instructions; these shuffle patterns
 * compile to single punpck instructions) so that vector c holds byte c of
 * all 16 columns, and emit bit t of those bytes (row 8 c + t of the chunk,
 * 16 bits for the group's columns) by a bitmask, a 16-bit store and a
 * doubling (the next bit becomes the top one). The live values fit the 16
 * SIMD registers (the masked-shift kernel this replaced kept 64 and
 * spilled them: 7.4-8.5 ms per million rows here against 5.1 now), and
 * every row of a chunk is complete before the next chunk starts.
 */
function transposeFn(): Func {
  const COLS = 0;
  const ROWS = 1;
  const W64 = 2;
  const A = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]; // v128: column bytes
  const B = [19, 20, 21, 22, 23, 24, 25, 26]; // v128: level outputs, reused
  const V = 27; // v128: byte c of 16 columns, shifted as bits go out
  const Q = 28; // i32: the column being loaded
  const P = 29; // i32: cols + 8 * chunk
  const OUT = 30; // i32: rows + 1024 * chunk
  const STRIDE = 31; // i32: bytes per column
  const CNT = 32; // i32: chunks left
  /** Interleave lanes of `size` bytes from the low (hi = 0) or high half of a and b. */
  const zip = (a: number, b: number, size: number, hi: number): Code => {
    const lanes: number[] = [];
    for (let k = 0; k < 16 / size / 2; k++)
      for (const src of [0, 16])
        for (let e = 0; e < size; e++) lanes.push(src + 8 * hi + size * k + e);
    return [...get(a), ...get(b), ...i8x16Shuffle(lanes)];
  };
  const body: Code = [];
  body.push(...get(W64), ...i32c(8), I32_MUL, ...set(STRIDE));
  body.push(...get(W64), ...set(CNT));
  body.push(...get(COLS), ...set(P));
  body.push(...get(ROWS), ...set(OUT));
  const chunk: Code = [];
  chunk.push(...get(P), ...set(Q));
  for (let g = 0; g < 8; g++) {
    for (let k = 0; k < 16; k++) {
      chunk.push(...get(Q), ...v128load64zero(0), ...set(A[k]!));
      chunk.push(...get(Q), ...get(STRIDE), I32_ADD, ...set(Q));
    }
    // Bytes: B_j lane 2 i + e = byte i of column 2 j + e.
    for (let j = 0; j < 8; j++) chunk.push(...zip(A[2 * j]!, A[2 * j + 1]!, 1, 0), ...set(B[j]!));
    // 16-bit: A[2 j + h] lane 4 c + q = byte 4 h + c of column 4 j + q.
    for (let j = 0; j < 4; j++)
      for (let h = 0; h < 2; h++)
        chunk.push(...zip(B[2 * j]!, B[2 * j + 1]!, 2, h), ...set(A[2 * j + h]!));
    // 32-bit: B[4 i + 2 h + e] lane 8 c + q = byte 4 h + 2 e + c of column 8 i + q.
    for (let i = 0; i < 2; i++)
      for (let h = 0; h < 2; h++)
        for (let e = 0; e < 2; e++)
          chunk.push(...zip(A[4 * i + h]!, A[4 * i + 2 + h]!, 4, e), ...set(B[4 * i + 2 * h + e]!));
    // 64-bit, then out: V lane r = byte c of column r; its bit t is row 8 c + t's bit 16 g + r.
    for (let c = 0; c < 8; c++) {
      const pair = c >> 1; // 2 h + e
      chunk.push(...zip(B[pair]!, B[4 + pair]!, 8, c & 1), ...set(V));
      for (let t = 7; t >= 0; t--) {
        chunk.push(
          ...get(OUT),
          ...get(V),
          ...I8X16_BITMASK,
          ...i32store16(16 * (8 * c + t) + 2 * g),
        );
        if (t > 0) chunk.push(...get(V), ...get(V), ...I8X16_ADD, ...set(V));
      }
    }
  }
  chunk.push(...get(P), ...i32c(8), I32_ADD, ...set(P));
  chunk.push(...get(OUT), ...i32c(1024), I32_ADD, ...set(OUT));
  body.push(...loopDown(CNT, chunk));
  return {
    name: 'transpose',
    params: [I32, I32, I32],
    locals: [...new Array<number>(25).fill(V128), I32, I32, I32, I32, I32],
    body,
  };
}

/**
 * Pushes x * c for the v128 local x, with the 16 byte tables of c at the i32
 * local `table` (table + 4096 b + 16 byte_b(x)): 16 loads xored together.
 * x's bytes are read back from memory (x stored at the i32 local `at` plus
 * `off`, then 16 byte loads): measured 5.7 ms per million rows in horner4
 * against 6.8 with i8x16.extract_lane, which costs two instructions a byte.
 */
function tableProductMem(x: number, table: number, at: number, off: number): Code {
  const out: Code = [...get(at), ...get(x), ...v128store(off)];
  for (let b = 0; b < 16; b++) {
    out.push(
      ...get(at),
      ...i32load8u(off + b),
      ...i32c(4),
      I32_SHL,
      ...get(table),
      I32_ADD,
      ...v128load(4096 * b),
    );
    if (b > 0) out.push(...V128_XOR);
  }
  return out;
}

/** horner(table, rows, n, acc): acc = (acc ^ row_i) chi for i < n. */
function hornerFn(): Func {
  const TABLE = 0;
  const ROWS = 1;
  const N = 2;
  const ACC = 3;
  const X = 4; // v128
  const A = 5; // v128
  const body: Code = [];
  body.push(...get(ACC), ...v128load(0), ...set(A));
  const step: Code = [];
  step.push(...get(A), ...get(ROWS), ...v128load(0), ...V128_XOR, ...set(X));
  step.push(...tableProductMem(X, TABLE, ACC, 0), ...set(A));
  step.push(...get(ROWS), ...i32c(16), I32_ADD, ...set(ROWS));
  body.push(...loopDown(N, step));
  body.push(...get(ACC), ...get(A), ...v128store(0));
  return { name: 'horner', params: [I32, I32, I32, I32], locals: [V128, V128], body };
}

/** horner4(table, rows, n4, accs): acc_k = acc_k c xor row_(4j+k), j < n4, k < 4. */
function horner4Fn(): Func {
  const TABLE = 0;
  const ROWS = 1;
  const N = 2;
  const ACCS = 3;
  const A = [4, 5, 6, 7]; // v128 accumulators
  const X = 8; // v128
  const body: Code = [];
  for (let k = 0; k < 4; k++) body.push(...get(ACCS), ...v128load(16 * k), ...set(A[k]!));
  const step: Code = [];
  for (let k = 0; k < 4; k++) {
    // X = A_k; A_k = T(X) xor row. The four chains are independent.
    step.push(...get(A[k]!), ...set(X));
    step.push(
      ...tableProductMem(X, TABLE, ACCS, 16 * k),
      ...get(ROWS),
      ...v128load(16 * k),
      ...V128_XOR,
    );
    step.push(...set(A[k]!));
  }
  step.push(...get(ROWS), ...i32c(64), I32_ADD, ...set(ROWS));
  body.push(...loopDown(N, step));
  for (let k = 0; k < 4; k++) body.push(...get(ACCS), ...get(A[k]!), ...v128store(16 * k));
  return {
    name: 'horner4',
    params: [I32, I32, I32, I32],
    locals: [V128, V128, V128, V128, V128],
    body,
  };
}

interface Exports {
  memory: WebAssembly.Memory;
  transpose(cols: number, rows: number, w64: number): void;
  horner(table: number, rows: number, n: number, acc: number): void;
  horner4(table: number, rows: number, n4: number, accs: number): void;
  xorv(a: number, b: number, o: number, n: number): void;
  xor3v(a: number, b: number, c: number, o: number, n: number): void;
  xorc(a: number, c: number, o: number, n: number): void;
  tweak(p: number, y: number, groups: number, start: bigint, domain: number, per: number): void;
}

let compiled: WebAssembly.Module | null | undefined;

/** The kernels with their own memory; undefined where WebAssembly (with SIMD) is unavailable. */
export class OtKernels {
  readonly #x: Exports;

  private constructor(x: Exports) {
    this.#x = x;
  }

  static create(): OtKernels | undefined {
    try {
      if (compiled === undefined)
        compiled = new WebAssembly.Module(
          assemble([transposeFn(), hornerFn(), xorv(), xorc(), tweak(), horner4Fn(), xor3v()]),
        );
      if (compiled === null) return undefined;
      return new OtKernels(new WebAssembly.Instance(compiled, {}).exports as unknown as Exports);
    } catch {
      compiled = null;
      return undefined;
    }
  }

  /** Grows memory to at least `bytes`; views taken before are invalid afterwards. */
  ensure(bytes: number): void {
    const mem = this.#x.memory;
    const have = mem.buffer.byteLength;
    if (have < bytes) mem.grow(Math.ceil((bytes - have) / 65536));
  }

  get buffer(): ArrayBuffer {
    return this.#x.memory.buffer;
  }

  /**
   * Rows (at byte `rows`, 16 per row) from 128 columns of m bits (at byte
   * `cols`, m / 8 per column); m a multiple of 64. Same layout as
   * `transpose128`.
   */
  transpose(cols: number, rows: number, m: number): void {
    if (m % 64 !== 0) throw new RangeError(`transpose: m = ${m} is not a multiple of 64`);
    this.#x.transpose(cols, rows, m / 64);
  }

  /** o_i = a_i xor b_i over n blocks (byte offsets). */
  xorv(a: number, b: number, o: number, n: number): void {
    this.#x.xorv(a, b, o, n);
  }

  /** o_i = a_i xor b_i xor c_i over n blocks (byte offsets). */
  xor3v(a: number, b: number, c: number, o: number, n: number): void {
    this.#x.xor3v(a, b, c, o, n);
  }

  /** o_i = a_i xor c over n blocks. */
  xorc(a: number, c: number, o: number, n: number): void {
    this.#x.xorc(a, c, o, n);
  }

  /** y_j = p_j xor (start + j, domain << 32) as two 64-bit lanes. */
  tweak(p: number, y: number, n: number, start: number, domain: number): void {
    this.#x.tweak(p, y, n, BigInt(start), domain, 1);
  }

  /** As GfMulTable.horner, with the table (64 KiB) at byte `table` and acc (16 bytes) at `acc`. */
  horner(table: number, rows: number, n: number, acc: number): void {
    this.#x.horner(table, rows, n, acc);
  }

  /**
   * Four interleaved chains over n rows (n a multiple of 4), with the table of
   * c = chi^4 at byte `table` and the four accumulators (64 bytes) at `accs`:
   * acc_k = acc_k c xor row_(4j+k). See `hornerInterleaved` for the recombination.
   */
  horner4(table: number, rows: number, n: number, accs: number): void {
    if (n % 4 !== 0) throw new RangeError(`horner4: n = ${n} is not a multiple of 4`);
    this.#x.horner4(table, rows, n / 4, accs);
  }
}
