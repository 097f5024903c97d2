/**
 * WebAssembly kernel of rep3m's products, assembled at load time (no build
 * step, src/arith/wasm-asm.ts): per element of Z_2^128 (low and high u64
 * words, little-endian)
 *
 *   out = za - zb + xa (ya + yb) + xb ya   (mod 2^128)
 *
 * the local part of a replicated product (ring128.ts) plus the zero share
 * F(k_i) - F(k_{i+1}); and, for random bits from squares, the inverse square
 * root t = s^(-1/2) mod 2^128 of odd squares s (invSqrt2k in rep3m.ts: six
 * Newton steps t <- t (3 - s t^2) / 2, correct to 127 bits). The JavaScript
 * loops spend tens of BigInt operations per element; here they are i64
 * instructions, 64 x 64 -> 128 products from 32-bit halves.
 */
import {
  assemble,
  get,
  i32c,
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
  I64_OR,
  I64_SHL,
  I64_SHR_U,
  I64_SUB,
  type Code,
  type Func,
} from '../../arith/wasm-asm.js';

// i32 parameters: pointers and the element count.
const XA = 0;
const XB = 1;
const YA = 2;
const YB = 3;
const ZA = 4;
const ZB = 5;
const OUT = 6;
const N = 7;
// i64 locals.
const Y0 = 8;
const Y1 = 9;
const S0 = 10;
const S1 = 11;
const A0 = 12;
const B0 = 13;
const LO1 = 14;
const LO = 15;
const HI = 16;
const T = 17;
const XL = 18;
const XH = 19;
const YL = 20;
const YH = 21;
const M01 = 22;
const M10 = 23;
const ZL = 24;
const ZH = 25;
const V = 26;

const M32 = 0xffffffffn;

/** dst = floor(x y / 2^64) for the i64 locals x and y. */
function mulhi(x: number, y: number, dst: number): Code {
  // prettier-ignore
  return [
    ...get(x), ...i64c(M32), I64_AND, ...set(XL),
    ...get(x), ...i64c(32n), I64_SHR_U, ...set(XH),
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
    ...set(dst),
  ];
}

const advance = (p: number): Code => [...get(p), ...i32c(16), I32_ADD, ...set(p)];

function productFn(): Func {
  // prettier-ignore
  const step: Code = [
    // s = ya + yb
    ...get(YA), ...i64load(0), ...set(Y0),
    ...get(YA), ...i64load(8), ...set(Y1),
    ...get(YB), ...i64load(0), ...get(Y0), I64_ADD, ...set(S0),
    ...get(Y1), ...get(YB), ...i64load(8), I64_ADD,
    ...get(S0), ...get(Y0), I64_LT_U, I64_EXTEND_I32_U, I64_ADD, ...set(S1),
    ...get(XA), ...i64load(0), ...set(A0),
    ...get(XB), ...i64load(0), ...set(B0),
    // hi = mulhi(a0, s0) + a0 s1 + a1 s0 + mulhi(b0, y0) + b0 y1 + b1 y0
    ...mulhi(A0, S0, HI),
    ...mulhi(B0, Y0, T),
    ...get(HI), ...get(T), I64_ADD,
    ...get(A0), ...get(S1), I64_MUL, I64_ADD,
    ...get(XA), ...i64load(8), ...get(S0), I64_MUL, I64_ADD,
    ...get(B0), ...get(Y1), I64_MUL, I64_ADD,
    ...get(XB), ...i64load(8), ...get(Y0), I64_MUL, I64_ADD,
    ...set(HI),
    // lo = a0 s0 + b0 y0, carry into hi
    ...get(A0), ...get(S0), I64_MUL, ...set(LO1),
    ...get(LO1), ...get(B0), ...get(Y0), I64_MUL, I64_ADD, ...set(LO),
    ...get(HI), ...get(LO), ...get(LO1), I64_LT_U, I64_EXTEND_I32_U, I64_ADD, ...set(HI),
    // z = za - zb
    ...get(ZA), ...i64load(0), ...get(ZB), ...i64load(0), I64_SUB, ...set(ZL),
    ...get(ZA), ...i64load(8), ...get(ZB), ...i64load(8), I64_SUB,
    ...get(ZA), ...i64load(0), ...get(ZB), ...i64load(0), I64_LT_U, I64_EXTEND_I32_U, I64_SUB,
    ...set(ZH),
    // out = (lo, hi) + (zl, zh)
    ...get(LO), ...get(ZL), I64_ADD, ...set(V),
    ...get(OUT), ...get(V), ...i64store(0),
    ...get(OUT),
    ...get(HI), ...get(ZH), I64_ADD, ...get(V), ...get(LO), I64_LT_U, I64_EXTEND_I32_U, I64_ADD,
    ...i64store(8),
    ...advance(XA), ...advance(XB), ...advance(YA), ...advance(YB),
    ...advance(ZA), ...advance(ZB), ...advance(OUT),
  ];
  return {
    name: 'product',
    params: [I32, I32, I32, I32, I32, I32, I32, I32],
    locals: Array.from({ length: V - Y0 + 1 }, () => I64),
    body: loopDown(N, step),
  };
}

// invSqrt: i32 parameters (pointers, count), then i64 locals.
const PS = 0;
const PT = 1;
const NN = 2;
const Q = {
  S0: 3,
  S1: 4,
  T0: 5,
  T1: 6,
  P0: 7,
  P1: 8,
  XL: 9,
  XH: 10,
  YL: 11,
  YH: 12,
  M01: 13,
  M10: 14,
  H: 15,
  V0: 16,
  V1: 17,
} as const;

/** dst = floor(x y / 2^64) for i64 locals x, y (invSqrt's locals). */
function mulhiQ(x: number, y: number, dst: number): Code {
  // prettier-ignore
  return [
    ...get(x), ...i64c(M32), I64_AND, ...set(Q.XL),
    ...get(x), ...i64c(32n), I64_SHR_U, ...set(Q.XH),
    ...get(y), ...i64c(M32), I64_AND, ...set(Q.YL),
    ...get(y), ...i64c(32n), I64_SHR_U, ...set(Q.YH),
    ...get(Q.XL), ...get(Q.YH), I64_MUL, ...set(Q.M01),
    ...get(Q.XH), ...get(Q.YL), I64_MUL, ...set(Q.M10),
    ...get(Q.XL), ...get(Q.YL), I64_MUL, ...i64c(32n), I64_SHR_U,
    ...get(Q.M01), ...i64c(M32), I64_AND, I64_ADD,
    ...get(Q.M10), ...i64c(M32), I64_AND, I64_ADD,
    ...i64c(32n), I64_SHR_U,
    ...get(Q.XH), ...get(Q.YH), I64_MUL, I64_ADD,
    ...get(Q.M01), ...i64c(32n), I64_SHR_U, I64_ADD,
    ...get(Q.M10), ...i64c(32n), I64_SHR_U, I64_ADD,
    ...set(dst),
  ];
}

/** (P0, P1) = (a0, a1) (b0, b1) mod 2^128 for i64 locals. */
function mul128(a0: number, a1: number, b0: number, b1: number): Code {
  // prettier-ignore
  return [
    ...mulhiQ(a0, b0, Q.H),
    ...get(Q.H), ...get(a0), ...get(b1), I64_MUL, I64_ADD,
    ...get(a1), ...get(b0), I64_MUL, I64_ADD, ...set(Q.P1),
    ...get(a0), ...get(b0), I64_MUL, ...set(Q.P0),
  ];
}

function invSqrtFn(): Func {
  const newton: Code = [];
  // Correct bits 3 -> 5 -> 9 -> 17 -> 33 -> 65 -> 129: six steps.
  for (let k = 0; k < 6; k++)
    // prettier-ignore
    newton.push(
      // p = t^2, p = s p, p = 3 - p
      ...mul128(Q.T0, Q.T1, Q.T0, Q.T1),
      ...mul128(Q.S0, Q.S1, Q.P0, Q.P1),
      ...i64c(0n), ...get(Q.P1), I64_SUB,
      ...i64c(3n), ...get(Q.P0), I64_LT_U, I64_EXTEND_I32_U, I64_SUB, ...set(Q.P1),
      ...i64c(3n), ...get(Q.P0), I64_SUB, ...set(Q.P0),
      // t = (t p) >> 1 (the product is even)
      ...get(Q.P0), ...set(Q.V0), ...get(Q.P1), ...set(Q.V1),
      ...mul128(Q.T0, Q.T1, Q.V0, Q.V1),
      ...get(Q.P0), ...i64c(1n), I64_SHR_U, ...get(Q.P1), ...i64c(63n), I64_SHL, I64_OR,
      ...set(Q.T0),
      ...get(Q.P1), ...i64c(1n), I64_SHR_U, ...set(Q.T1),
    );
  // prettier-ignore
  const step: Code = [
    ...get(PS), ...i64load(0), ...set(Q.S0),
    ...get(PS), ...i64load(8), ...set(Q.S1),
    ...i64c(1n), ...set(Q.T0), ...i64c(0n), ...set(Q.T1),
    ...newton,
    ...get(PT), ...get(Q.T0), ...i64store(0),
    ...get(PT), ...get(Q.T1), ...i64store(8),
    ...advance(PS), ...advance(PT),
  ];
  return {
    name: 'invSqrt',
    params: [I32, I32, I32],
    locals: Array.from({ length: Q.V1 - Q.S0 + 1 }, () => I64),
    body: loopDown(NN, step),
  };
}

interface Exports {
  memory: WebAssembly.Memory;
  invSqrt(s: number, t: number, n: number): void;
  product(
    xa: number,
    xb: number,
    ya: number,
    yb: number,
    za: number,
    zb: number,
    out: number,
    n: number,
  ): void;
}

let compiled: WebAssembly.Module | null | undefined;

/** The kernel with its own memory; undefined where WebAssembly is unavailable. */
export class Rep3mKernels {
  readonly #x: Exports;

  private constructor(x: Exports) {
    this.#x = x;
  }

  static create(): Rep3mKernels | undefined {
    try {
      compiled ??= new WebAssembly.Module(assemble([productFn(), invSqrtFn()]));
      return new Rep3mKernels(new WebAssembly.Instance(compiled, {}).exports as unknown as Exports);
    } catch {
      compiled = null;
      return undefined;
    }
  }

  /**
   * out = za - zb + xa (ya + yb) + xb ya mod 2^128, 2 words per element (all
   * the same length), where `zero` writes za and zb (the PRSS streams) into
   * the kernel's memory directly.
   */
  product(
    xa: BigUint64Array,
    xb: BigUint64Array,
    ya: BigUint64Array,
    yb: BigUint64Array,
    zero: (za: Uint8Array, zb: Uint8Array) => void,
    out: BigUint64Array,
  ): void {
    const W = xa.length;
    for (const v of [xb, ya, yb, out])
      if (v.length !== W) throw new RangeError(`rep3m product: lengths differ (${W}, ${v.length})`);
    const bytes = 8 * W;
    const mem = this.#x.memory;
    if (mem.buffer.byteLength < 7 * bytes)
      mem.grow(Math.ceil((7 * bytes - mem.buffer.byteLength) / 65536));
    const buf = mem.buffer;
    [xa, xb, ya, yb].forEach((v, k) => new BigUint64Array(buf, k * bytes, W).set(v));
    zero(new Uint8Array(buf, 4 * bytes, bytes), new Uint8Array(buf, 5 * bytes, bytes));
    this.#x.product(0, bytes, 2 * bytes, 3 * bytes, 4 * bytes, 5 * bytes, 6 * bytes, W / 2);
    out.set(new BigUint64Array(buf, 6 * bytes, W));
  }

  /** t = s^(-1/2) mod 2^127 for odd squares s mod 2^128 (2 words per element). */
  invSqrt(s: BigUint64Array): BigUint64Array {
    const bytes = 8 * s.length;
    const mem = this.#x.memory;
    if (mem.buffer.byteLength < 2 * bytes)
      mem.grow(Math.ceil((2 * bytes - mem.buffer.byteLength) / 65536));
    const buf = mem.buffer;
    new BigUint64Array(buf, 0, s.length).set(s);
    this.#x.invSqrt(0, bytes, s.length / 2);
    return new BigUint64Array(buf, bytes, s.length).slice();
  }
}
