/**
 * WebAssembly kernel of spdz2k's triple preprocessing, assembled at load
 * time (no build step):
 *
 *   copeSend, copeRecv
 *            one key bit of COPE over n 192-bit values (3 limbs): at the
 *            authenticator u = t0 - t1 + x and acc = 2 acc + t0; at the key
 *            holder acc = 2 acc + (t + (u & mask)) (src/suites/spdz2k/prep.ts).
 *   corrSend, corrRecv
 *            the triple OTs' corrections, 128-bit: at the sender u = m0 - m1
 *            + b_t and cross -= m0; at the receiver cross += m_c + (c ? u : 0).
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
  I64_OR,
  I64_SHL,
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

// ----- COPE: 192-bit limb arithmetic on i64 locals -----

type Limbs = readonly [number, number, number];

/** Loads three limbs at ptr + off into locals. */
function load3(ptr: number, off: number, to: Limbs): Code {
  return to.flatMap((l, k) => [...get(ptr), ...i64load(off + 8 * k), ...set(l)]);
}
function store3(ptr: number, off: number, from: Limbs): Code {
  return from.flatMap((l, k) => [...get(ptr), ...get(l), ...i64store(off + 8 * k)]);
}
const carry = (sum: number, addend: number): Code => [
  ...get(sum),
  ...get(addend),
  I64_LT_U,
  I64_EXTEND_I32_U,
];

/** out = a + b mod 2^192 (out distinct from a and b; T a scratch local). */
function add192(out: Limbs, a: Limbs, b: Limbs, T: number): Code {
  // prettier-ignore
  return [
    ...get(a[0]), ...get(b[0]), I64_ADD, ...set(out[0]),
    ...get(a[1]), ...get(b[1]), I64_ADD, ...set(T),
    // out1 = T + carry0; carry1 = (T < a1) + (out1 < T)
    ...get(T), ...carry(out[0], a[0]), I64_ADD, ...set(out[1]),
    ...get(a[2]), ...get(b[2]), I64_ADD,
    ...carry(T, a[1]), I64_ADD,
    ...carry(out[1], T), I64_ADD,
    ...set(out[2]),
  ];
}

/** out = a - b mod 2^192 (out distinct from a and b; T a scratch local). */
function sub192(out: Limbs, a: Limbs, b: Limbs, T: number): Code {
  // prettier-ignore
  return [
    ...get(a[0]), ...get(b[0]), I64_SUB, ...set(out[0]),
    ...get(a[1]), ...get(b[1]), I64_SUB, ...set(T),
    // borrow0 = a0 < b0; out1 = T - borrow0; borrow1 = (a1 < b1) + (T < borrow0)
    ...get(T), ...carry(a[0], b[0]), I64_SUB, ...set(out[1]),
    ...get(a[2]), ...get(b[2]), I64_SUB,
    ...carry(a[1], b[1]), I64_SUB,
    ...get(T), ...carry(a[0], b[0]), I64_LT_U, I64_EXTEND_I32_U, I64_SUB,
    ...set(out[2]),
  ];
}

/** out = 2 a mod 2^192 (out distinct from a). */
function shl192(out: Limbs, a: Limbs): Code {
  // prettier-ignore
  return [
    ...get(a[0]), ...i64c(1n), I64_SHL, ...set(out[0]),
    ...get(a[1]), ...i64c(1n), I64_SHL, ...get(a[0]), ...i64c(63n), I64_SHR_U, I64_OR, ...set(out[1]),
    ...get(a[2]), ...i64c(1n), I64_SHL, ...get(a[1]), ...i64c(63n), I64_SHR_U, I64_OR, ...set(out[2]),
  ];
}

/** copeSend(t0, t1, x, u, acc, n): u = t0 - t1 + x, acc = 2 acc + t0, over n values. */
function copeSendFn(): Func {
  const [T0, T1, X, U, ACC, NN] = [0, 1, 2, 3, 4, 5];
  const l = (k: number): Limbs => [6 + 3 * k, 7 + 3 * k, 8 + 3 * k];
  const [a, b, x, d, u, p, q, r] = [0, 1, 2, 3, 4, 5, 6, 7].map(l) as Limbs[];
  const T = 30;
  const step: Code = [
    ...load3(T0, 0, a!),
    ...load3(T1, 0, b!),
    ...load3(X, 0, x!),
    ...sub192(d!, a!, b!, T),
    ...add192(u!, d!, x!, T),
    ...store3(U, 0, u!),
    ...load3(ACC, 0, p!),
    ...shl192(q!, p!),
    ...add192(r!, q!, a!, T),
    ...store3(ACC, 0, r!),
  ];
  for (const ptr of [T0, T1, X, U, ACC]) step.push(...get(ptr), ...i32c(24), I32_ADD, ...set(ptr));
  return {
    name: 'copeSend',
    params: [I32, I32, I32, I32, I32, I32],
    locals: new Array<number>(25).fill(I64),
    body: loopDown(NN, step),
  };
}

/** copeRecv(t, u, mask, acc, n): acc = 2 acc + (t + (u & mask)), over n values. */
function copeRecvFn(): Func {
  const [TT, U, MASKP, ACC, NN] = [0, 1, 2, 3, 4];
  const l = (k: number): Limbs => [5 + 3 * k, 6 + 3 * k, 7 + 3 * k];
  const [t, v, q, p, s, r] = [0, 1, 2, 3, 4, 5].map(l) as Limbs[];
  const T = 23;
  const step: Code = [...load3(TT, 0, t!), ...load3(U, 0, v!)];
  for (const k of [0, 1, 2]) step.push(...get(v![k]!), ...get(MASKP), I64_AND, ...set(v![k]!));
  step.push(
    ...add192(q!, t!, v!, T),
    ...load3(ACC, 0, p!),
    ...shl192(s!, p!),
    ...add192(r!, s!, q!, T),
    ...store3(ACC, 0, r!),
  );
  for (const ptr of [TT, U, ACC]) step.push(...get(ptr), ...i32c(24), I32_ADD, ...set(ptr));
  return {
    name: 'copeRecv',
    params: [I32, I32, I64, I32, I32],
    locals: new Array<number>(19).fill(I64),
    body: loopDown(NN, step),
  };
}

// ----- the triple OTs' corrections: 128-bit values as two limbs -----

type Pair = readonly [number, number];
// prettier-ignore
const load2 = (ptr: number, to: Pair): Code => [
  ...get(ptr), ...i64load(0), ...set(to[0]),
  ...get(ptr), ...i64load(8), ...set(to[1]),
];
// prettier-ignore
const store2 = (ptr: number, from: Pair): Code => [
  ...get(ptr), ...get(from[0]), ...i64store(0),
  ...get(ptr), ...get(from[1]), ...i64store(8),
];

/** out = a + b mod 2^128 (out distinct from a). */
function addPair(out: Pair, a: Pair, b: Pair): Code {
  // prettier-ignore
  return [
    ...get(a[0]), ...get(b[0]), I64_ADD, ...set(out[0]),
    ...get(a[1]), ...get(b[1]), I64_ADD, ...carry(out[0], a[0]), I64_ADD, ...set(out[1]),
  ];
}

/** out = a - b mod 2^128 (out distinct from a and b). */
function subPair(out: Pair, a: Pair, b: Pair): Code {
  // prettier-ignore
  return [
    ...get(a[0]), ...get(b[0]), I64_SUB, ...set(out[0]),
    ...get(a[1]), ...get(b[1]), I64_SUB, ...carry(a[0], b[0]), I64_SUB, ...set(out[1]),
  ];
}

/** corrSend(m0, m1, b, cross, u, n, tau): per triple t and term l, u = m0 - m1 + b_t, cross -= m0. */
function corrSendFn(): Func {
  const [M0, M1, B, CROSS_, U, NN, TAU_] = [0, 1, 2, 3, 4, 5, 6];
  const p = (k: number): Pair => [7 + 2 * k, 8 + 2 * k];
  const [bt, x, y, d, u, c, n] = [0, 1, 2, 3, 4, 5, 6].map(p) as Pair[];
  const LL = 21; // i32: remaining terms
  const term: Code = [
    ...load2(M0, x!),
    ...load2(M1, y!),
    ...subPair(d!, x!, y!),
    ...addPair(u!, d!, bt!),
    ...store2(U, u!),
    ...load2(CROSS_, c!),
    ...subPair(n!, c!, x!),
    ...store2(CROSS_, n!),
  ];
  for (const ptr of [M0, M1, CROSS_, U]) term.push(...get(ptr), ...i32c(16), I32_ADD, ...set(ptr));
  // prettier-ignore
  const triple: Code = [
    ...load2(B, bt!),
    ...get(B), ...i32c(16), I32_ADD, ...set(B),
    ...get(TAU_), ...set(LL),
    ...loopDown(LL, term),
  ];
  return {
    name: 'corrSend',
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: [...new Array<number>(14).fill(I64), I32],
    body: loopDown(NN, triple),
  };
}

/** corrRecv(m, choices, u, cross, count): cross += m + (choice ? u : 0), 128-bit. */
function corrRecvFn(): Func {
  const [M, CH, U, CROSS_, NN] = [0, 1, 2, 3, 4];
  const p = (k: number): Pair => [5 + 2 * k, 6 + 2 * k];
  const [m, w, s, c, r] = [0, 1, 2, 3, 4].map(p) as Pair[];
  const MK_ = 15;
  // prettier-ignore
  const step: Code = [
    ...i64c(0n), ...get(CH), ...i32load8u(0), I64_EXTEND_I32_U, I64_SUB, ...set(MK_),
    ...load2(M, m!),
    ...load2(U, w!),
    ...get(w![0]), ...get(MK_), I64_AND, ...set(w![0]),
    ...get(w![1]), ...get(MK_), I64_AND, ...set(w![1]),
    ...addPair(s!, m!, w!),
    ...load2(CROSS_, c!),
    ...addPair(r!, c!, s!),
    ...store2(CROSS_, r!),
    ...get(CH), ...i32c(1), I32_ADD, ...set(CH),
  ];
  for (const ptr of [M, U, CROSS_]) step.push(...get(ptr), ...i32c(16), I32_ADD, ...set(ptr));
  return {
    name: 'corrRecv',
    params: [I32, I32, I32, I32, I32],
    locals: new Array<number>(11).fill(I64),
    body: loopDown(NN, step),
  };
}

interface Exports {
  memory: WebAssembly.Memory;
  corrSend(
    m0: number,
    m1: number,
    b: number,
    cross: number,
    u: number,
    n: number,
    tau: number,
  ): void;
  corrRecv(m: number, choices: number, u: number, cross: number, count: number): void;
  copeSend(t0: number, t1: number, x: number, u: number, acc: number, n: number): void;
  copeRecv(t: number, u: number, mask: bigint, acc: number, n: number): void;
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
      if (compiled === undefined)
        compiled = new WebAssembly.Module(
          assemble([combineFn(), copeSendFn(), copeRecvFn(), corrSendFn(), corrRecvFn()]),
        );
      if (compiled === null) return undefined;
      return new Spdz2kKernels(
        new WebAssembly.Instance(compiled, {}).exports as unknown as Exports,
      );
    } catch {
      compiled = null;
      return undefined;
    }
  }

  /** Grows memory to at least `bytes`; views taken before are invalid afterwards. */
  #ensure(bytes: number): ArrayBuffer {
    const mem = this.#x.memory;
    if (mem.buffer.byteLength < bytes) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
    return mem.buffer;
  }

  /**
   * COPE at the authenticator over W words (W / 3 values of 3 limbs): for key
   * bits l = 63 down to 0, `fill(l, t0, t1)` writes the two seeds' PRG
   * output for bit l, then u_l = t0 - t1 + x and acc = 2 acc + t0. Returns
   * u (64 W words, bit l at [l W, (l + 1) W)) and acc = sum_l 2^l t0_l.
   */
  copeSend(
    x: BigUint64Array,
    fill: (l: number, t0: Uint8Array, t1: Uint8Array) => void,
  ): { u: BigUint64Array; acc: BigUint64Array } {
    const W = x.length;
    const [X, T0, T1, ACC, U] = [0, 8 * W, 16 * W, 24 * W, 32 * W];
    const buf = this.#ensure(U + 64 * 8 * W);
    new BigUint64Array(buf, X, W).set(x);
    new BigUint64Array(buf, ACC, W).fill(0n);
    const t0 = new Uint8Array(buf, T0, 8 * W);
    const t1 = new Uint8Array(buf, T1, 8 * W);
    for (let l = 63; l >= 0; l--) {
      fill(l, t0, t1);
      this.#x.copeSend(T0, T1, X, U + 8 * W * l, ACC, W / 3);
    }
    return {
      u: new BigUint64Array(buf, U, 64 * W).slice(),
      acc: new BigUint64Array(buf, ACC, W).slice(),
    };
  }

  /**
   * COPE at the key holder: for l = 63 down to 0, `fill(l, t)` writes the
   * PRG output of the seed it holds for bit l, then acc = 2 acc + t +
   * (bit_l ? u_l : 0). Returns acc.
   */
  copeRecv(
    u: BigUint64Array,
    bits: Uint8Array,
    fill: (l: number, t: Uint8Array) => void,
  ): BigUint64Array {
    const W = u.length / 64;
    const [T, ACC, U] = [0, 8 * W, 16 * W];
    const buf = this.#ensure(U + 64 * 8 * W);
    new BigUint64Array(buf, U, 64 * W).set(u);
    new BigUint64Array(buf, ACC, W).fill(0n);
    const t = new Uint8Array(buf, T, 8 * W);
    for (let l = 63; l >= 0; l--) {
      fill(l, t);
      this.#x.copeRecv(T, U + 8 * W * l, bits[l] ? ALL_ONES : 0n, ACC, W / 3);
    }
    return new BigUint64Array(buf, ACC, W).slice();
  }

  /**
   * The triple OTs' corrections at the sender (N triples of tau terms, two
   * words per term): returns u = m0 - m1 + b_t and subtracts m0 from cross
   * in place.
   */
  corrSend(
    m0: BigUint64Array,
    m1: BigUint64Array,
    b: BigUint64Array,
    cross: BigUint64Array,
    tau: number,
  ): BigUint64Array {
    const N = b.length / 2;
    const W = 2 * N * tau;
    const [M0, M1, C, U, Bp] = [0, 8 * W, 16 * W, 24 * W, 32 * W];
    const buf = this.#ensure(Bp + 16 * N);
    new BigUint64Array(buf, M0, W).set(m0.subarray(0, W));
    new BigUint64Array(buf, M1, W).set(m1.subarray(0, W));
    new BigUint64Array(buf, C, W).set(cross.subarray(0, W));
    new BigUint64Array(buf, Bp, 2 * N).set(b);
    this.#x.corrSend(M0, M1, Bp, C, U, N, tau);
    cross.set(new BigUint64Array(buf, C, W));
    return new BigUint64Array(buf, U, W).slice();
  }

  /** The receiver's side: cross += m + (choice ? u : 0), 128-bit per OT, in place. */
  corrRecv(m: BigUint64Array, choices: Uint8Array, u: BigUint64Array, cross: BigUint64Array): void {
    const count = choices.length;
    const W = 2 * count;
    const [M, U, C, CH] = [0, 8 * W, 16 * W, 24 * W];
    const buf = this.#ensure(CH + count);
    new BigUint64Array(buf, M, W).set(m.subarray(0, W));
    new BigUint64Array(buf, U, W).set(u.subarray(0, W));
    new BigUint64Array(buf, C, W).set(cross.subarray(0, W));
    new Uint8Array(buf, CH, count).set(choices);
    this.#x.corrRecv(M, CH, U, C, count);
    cross.set(new BigUint64Array(buf, C, W));
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
    const buf = this.#ensure(ob + 64 * N);
    new Uint8Array(buf, cb, N * tau).set(choices.subarray(0, N * tau));
    new BigUint64Array(buf, xb, 2 * N * tau).set(cross.subarray(0, 2 * N * tau));
    new BigUint64Array(buf, rab, tau).set(ra.subarray(0, tau));
    new BigUint64Array(buf, rhb, 2 * tau).set(rh.subarray(0, 2 * tau));
    this.#x.combine(cb, xb, rab, rhb, N, tau, ob);
    return new BigUint64Array(buf, ob, 8 * N).slice();
  }
}

/** The mask of a set key bit, as the kernel's signed i64 parameter. */
const ALL_ONES = -1n;

function align8(n: number): number {
  return (n + 7) & ~7;
}
