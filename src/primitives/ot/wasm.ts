/**
 * WebAssembly kernels of OT extension, assembled at load time (no build
 * step; the bytes are a pure function of this file):
 *
 *   transpose  128 columns of m bits into m rows of 128 bits, by 128 x 64
 *              blocks held in 64 v128 locals (two 64-bit lanes) and
 *              transposed by six stages of masked shifts (JavaScript has no
 *              64-bit integers without BigInt, so its best is 32 x 32
 *              blocks; ../shared/PERF-FACTS.md measures 64-bit words about
 *              2.8x faster, and two lanes at once gain another fifth);
 *   horner     acc = (acc xor row_i) chi over all rows, multiplication by the
 *              fixed chi through 16 byte tables of 128-bit products (one
 *              v128 load and xor per input byte), for the KOS check;
 *   horner4    the same hash as four interleaved chains (acc_k = acc_k c xor
 *              row_(4j+k) with c = chi^4): one chain is bound by the latency
 *              of its table loads, four keep the loads in flight together
 *              (measured about 2x faster: 7 ms per million rows here); the caller
 *              recombines the chains.
 *
 * Memory is owned by the instance and grown on demand; callers take views
 * after `ensure` (growing detaches old views).
 */

import {
  assemble,
  get,
  i32c,
  i64c,
  i64load,
  loopDown,
  set,
  v128load,
  v128store,
  extractU8,
  I32,
  I32_ADD,
  I32_MUL,
  I32_SHL,
  V128,
  V128_XOR,
  V128_AND,
  I64X2_SPLAT,
  I64X2_SHL,
  I64X2_SHR_U,
  i64x2Replace,
  type Code,
  type Func,
} from '../../arith/wasm-asm.js';
import { tweak, xorc, xorv } from '../garble/wasm.js';

/**
 * transpose(cols, rows, W64): lane k of v128 value c holds the 64-bit word of
 * column 64 k + c, so both 64 x 64 halves of a 128 x 64 block go through the
 * six stages of masked shifts together (i64x2 shifts) and row r leaves as
 * one 16-byte store. Measured 8.7 ms per million rows here, against 11 ms
 * for the same stages on i64 values one half at a time.
 */
function transposeV128Fn(): Func {
  const COLS = 0;
  const ROWS = 1;
  const W = 2;
  const a = Array.from({ length: 64 }, (_, i) => 3 + i); // v128 locals
  const T = 67; // v128
  const MASK = [68, 69, 70, 71, 72, 73]; // v128 masks per stage
  const P = 74; // i32: load pointer
  const STRIDE = 75; // i32: bytes per column
  const CNT = 76; // i32: remaining words
  const OUT = 77; // i32: output pointer
  const BASE = 78; // i32: column word pointer
  const HALF = 79; // i32: bytes from column c to column 64 + c
  const masks = [
    0x00000000ffffffffn,
    0x0000ffff0000ffffn,
    0x00ff00ff00ff00ffn,
    0x0f0f0f0f0f0f0f0fn,
    0x3333333333333333n,
    0x5555555555555555n,
  ];
  const body: Code = [];
  masks.forEach((m, k) => body.push(...i64c(m), ...I64X2_SPLAT, ...set(MASK[k]!)));
  body.push(...get(W), ...i32c(8), I32_MUL, ...set(STRIDE));
  body.push(...get(STRIDE), ...i32c(64), I32_MUL, ...set(HALF));
  body.push(...get(W), ...set(CNT));
  body.push(...get(COLS), ...set(BASE));
  body.push(...get(ROWS), ...set(OUT));
  const block: Code = [];
  block.push(...get(BASE), ...set(P));
  for (let c = 0; c < 64; c++) {
    // a_c = (word of column c, word of column 64 + c)
    block.push(...get(P), ...i64load(0), ...I64X2_SPLAT);
    block.push(...get(P), ...get(HALF), I32_ADD, ...i64load(0), ...i64x2Replace(1));
    block.push(...set(a[c]!));
    if (c < 63) block.push(...get(P), ...get(STRIDE), I32_ADD, ...set(P));
  }
  let j = 32;
  for (let s = 0; s < 6; s++) {
    for (let r = 0; r < 64; r++) {
      if (r & j) continue;
      // t = ((a_r >>> j) ^ a_{r+j}) & mask; a_r ^= t << j; a_{r+j} ^= t
      block.push(
        ...get(a[r]!),
        ...i32c(j),
        ...I64X2_SHR_U,
        ...get(a[r + j]!),
        ...V128_XOR,
        ...get(MASK[s]!),
        ...V128_AND,
        ...set(T),
        ...get(a[r]!),
        ...get(T),
        ...i32c(j),
        ...I64X2_SHL,
        ...V128_XOR,
        ...set(a[r]!),
        ...get(a[r + j]!),
        ...get(T),
        ...V128_XOR,
        ...set(a[r + j]!),
      );
    }
    j >>= 1;
  }
  for (let r = 0; r < 64; r++) block.push(...get(OUT), ...get(a[r]!), ...v128store(16 * r));
  block.push(...get(BASE), ...i32c(8), I32_ADD, ...set(BASE));
  block.push(...get(OUT), ...i32c(1024), I32_ADD, ...set(OUT));
  body.push(...loopDown(CNT, block));
  return {
    name: 'transpose',
    params: [I32, I32, I32],
    locals: [...new Array<number>(71).fill(V128), I32, I32, I32, I32, I32, I32],
    body,
  };
}

/**
 * Pushes x * c for the v128 local x, with the 16 byte tables of c at the i32
 * local `table` (table + 4096 b + 16 byte_b(x)): 16 loads xored together.
 */
function tableProduct(x: number, table: number): Code {
  const out: Code = [];
  for (let b = 0; b < 16; b++) {
    out.push(
      ...get(x),
      ...extractU8(b),
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
  step.push(...tableProduct(X, TABLE), ...set(A));
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
    step.push(...tableProduct(X, TABLE), ...get(ROWS), ...v128load(16 * k), ...V128_XOR);
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
          assemble([transposeV128Fn(), hornerFn(), xorv(), xorc(), tweak(), horner4Fn()]),
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
