/**
 * WebAssembly kernel of spdz2k's triple preprocessing, assembled at load
 * time (no build step):
 *
 *   combine  per triple t, over its TAU choice bits l: the 128-bit sums
 *            a = sum r_l A_l, a-hat = sum r'_l A_l, c = sum r_l cross_l and
 *            c-hat = sum r'_l cross_l (mod 2^128), where A_l is the choice
 *            bit, r_l < 2^64 and r'_l < 2^128 public coefficients and
 *            cross_l the 128-bit cross term. The JavaScript version spends
 *            about 40 BigInt operations per term; here they are i64
 *            instructions (64 x 64 -> 128 products from 32-bit halves).
 *
 * Layout (byte offsets, little-endian u64 words): choices (N TAU bytes, 0 or
 * 1), cross (2 N TAU words), ra (TAU words), rh (2 TAU words), out (8 N
 * words: a, a-hat, c, c-hat as low/high pairs per triple).
 */
import {
  assemble,
  get,
  i32c,
  i32load8u,
  i64c,
  i64load,
  i64store,
  loopDown,
  set,
  I32,
  I32_ADD,
  I64,
  I64_ADD,
  I64_AND,
  I64_EXTEND_I32_U,
  I64_LT_U,
  I64_MUL,
  I64_SHR_U,
  I64_SUB,
  type Code,
  type Func,
} from '../../arith/wasm-asm.js';

// Parameters.
const CHOICES = 0;
const CROSS = 1;
const RA = 2;
const RH = 3;
const N = 4;
const TAU = 5;
const OUT = 6;
// i64 locals.
const A0 = 7;
const A1 = 8;
const AH0 = 9;
const AH1 = 10;
const C0 = 11;
const C1 = 12;
const CH0 = 13;
const CH1 = 14;
const MK = 15;
const R = 16;
const H0 = 17;
const H1 = 18;
const X0 = 19;
const X1 = 20;
const V = 21;
const S = 22;
const P = 23;
const HI = 24;
const XL = 25;
const XH = 26;
const YL = 27;
const YH = 28;
const M01 = 29;
const M10 = 30;
// i32 locals.
const L = 31; // remaining terms of this triple
const PC = 32; // choice pointer
const PX = 33; // cross pointer
const PR = 34; // ra pointer
const PH = 35; // rh pointer

const M32 = 0xffffffffn;

/** HI = floor(x * y / 2^64) for the i64 locals x, y (x's halves are in XL, XH). */
function mulhi(y: number): Code {
  // prettier-ignore
  return [
    ...get(y), ...i64c(M32), I64_AND, ...set(YL),
    ...get(y), ...i64c(32n), I64_SHR_U, ...set(YH),
    ...get(XL), ...get(YH), I64_MUL, ...set(M01),
    ...get(XH), ...get(YL), I64_MUL, ...set(M10),
    // mid = (xl yl >> 32) + (m01 & M32) + (m10 & M32)
    ...get(XL), ...get(YL), I64_MUL, ...i64c(32n), I64_SHR_U,
    ...get(M01), ...i64c(M32), I64_AND, I64_ADD,
    ...get(M10), ...i64c(M32), I64_AND, I64_ADD,
    ...i64c(32n), I64_SHR_U,
    // hi = xh yh + (m01 >> 32) + (m10 >> 32) + (mid >> 32)
    ...get(XH), ...get(YH), I64_MUL, I64_ADD,
    ...get(M01), ...i64c(32n), I64_SHR_U, I64_ADD,
    ...get(M10), ...i64c(32n), I64_SHR_U, I64_ADD,
    ...set(HI),
  ];
}

/** (lo, hi) += (S, P) mod 2^128, with the carry out of the low word. */
function add128(lo: number, hi: number): Code {
  // prettier-ignore
  return [
    ...get(lo), ...get(S), I64_ADD, ...set(V),
    ...get(hi), ...get(P), I64_ADD,
    ...get(V), ...get(S), I64_LT_U, I64_EXTEND_I32_U, I64_ADD,
    ...set(hi),
    ...get(V), ...set(lo),
  ];
}

function combineFn(): Func {
  // prettier-ignore
  const term: Code = [
    // mk = 0 - choice (all ones or zero)
    ...i64c(0n), ...get(PC), ...i32load8u(0), I64_EXTEND_I32_U, I64_SUB, ...set(MK),
    ...get(PR), ...i64load(0), ...set(R),
    ...get(PH), ...i64load(0), ...set(H0),
    ...get(PH), ...i64load(8), ...set(H1),
    ...get(PX), ...i64load(0), ...set(X0),
    ...get(PX), ...i64load(8), ...set(X1),
    // a += r & mk
    ...get(R), ...get(MK), I64_AND, ...set(S), ...i64c(0n), ...set(P),
    ...add128(A0, A1),
    // a-hat += (h0, h1) & mk
    ...get(H0), ...get(MK), I64_AND, ...set(S),
    ...get(H1), ...get(MK), I64_AND, ...set(P),
    ...add128(AH0, AH1),
    // c += r (x0, x1): low x0 r, high mulhi(x0, r) + x1 r
    ...get(X0), ...i64c(M32), I64_AND, ...set(XL),
    ...get(X0), ...i64c(32n), I64_SHR_U, ...set(XH),
    ...mulhi(R),
    ...get(X0), ...get(R), I64_MUL, ...set(S),
    ...get(HI), ...get(X1), ...get(R), I64_MUL, I64_ADD, ...set(P),
    ...add128(C0, C1),
    // c-hat += (h0, h1) (x0, x1): low x0 h0, high mulhi(x0, h0) + x0 h1 + x1 h0
    ...mulhi(H0),
    ...get(X0), ...get(H0), I64_MUL, ...set(S),
    ...get(HI), ...get(X0), ...get(H1), I64_MUL, I64_ADD, ...get(X1), ...get(H0), I64_MUL, I64_ADD,
    ...set(P),
    ...add128(CH0, CH1),
    // next term
    ...get(PC), ...i32c(1), I32_ADD, ...set(PC),
    ...get(PX), ...i32c(16), I32_ADD, ...set(PX),
    ...get(PR), ...i32c(8), I32_ADD, ...set(PR),
    ...get(PH), ...i32c(16), I32_ADD, ...set(PH),
  ];
  const triple: Code = [];
  for (const acc of [A0, A1, AH0, AH1, C0, C1, CH0, CH1]) triple.push(...i64c(0n), ...set(acc));
  triple.push(...get(RA), ...set(PR), ...get(RH), ...set(PH), ...get(TAU), ...set(L));
  triple.push(...loopDown(L, term));
  [A0, A1, AH0, AH1, C0, C1, CH0, CH1].forEach((acc, k) =>
    triple.push(...get(OUT), ...get(acc), ...i64store(8 * k)),
  );
  triple.push(...get(OUT), ...i32c(64), I32_ADD, ...set(OUT));
  // prettier-ignore
  const body: Code = [
    ...get(CHOICES), ...set(PC),
    ...get(CROSS), ...set(PX),
    ...loopDown(N, triple),
  ];
  return {
    name: 'combine',
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: [...new Array<number>(24).fill(I64), I32, I32, I32, I32, I32],
    body,
  };
}

interface Exports {
  memory: WebAssembly.Memory;
  combine(
    choices: number,
    cross: number,
    ra: number,
    rh: number,
    n: number,
    tau: number,
    out: number,
  ): void;
}

let compiled: WebAssembly.Module | null | undefined;

/** The kernel with its own memory; undefined where WebAssembly is unavailable. */
export class Spdz2kKernels {
  readonly #x: Exports;

  private constructor(x: Exports) {
    this.#x = x;
  }

  static create(): Spdz2kKernels | undefined {
    try {
      if (compiled === undefined) compiled = new WebAssembly.Module(assemble([combineFn()]));
      if (compiled === null) return undefined;
      return new Spdz2kKernels(
        new WebAssembly.Instance(compiled, {}).exports as unknown as Exports,
      );
    } catch {
      compiled = null;
      return undefined;
    }
  }

  /**
   * The four 128-bit sums of each of N triples (see the module comment):
   * returns 8 N words, per triple a, a-hat, c, c-hat as (low, high).
   */
  combine(
    choices: Uint8Array,
    cross: BigUint64Array,
    ra: BigUint64Array,
    rh: BigUint64Array,
    N: number,
    tau: number,
  ): BigUint64Array {
    const cb = 0;
    const xb = align8(cb + N * tau);
    const rab = xb + 16 * N * tau;
    const rhb = rab + 8 * tau;
    const ob = rhb + 16 * tau;
    const end = ob + 64 * N;
    const mem = this.#x.memory;
    if (mem.buffer.byteLength < end) mem.grow(Math.ceil((end - mem.buffer.byteLength) / 65536));
    const buf = mem.buffer;
    new Uint8Array(buf, cb, N * tau).set(choices.subarray(0, N * tau));
    new BigUint64Array(buf, xb, 2 * N * tau).set(cross.subarray(0, 2 * N * tau));
    new BigUint64Array(buf, rab, tau).set(ra.subarray(0, tau));
    new BigUint64Array(buf, rhb, 2 * tau).set(rh.subarray(0, 2 * tau));
    this.#x.combine(cb, xb, rab, rhb, N, tau, ob);
    return new BigUint64Array(buf, ob, 8 * N).slice();
  }
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
