/**
 * WebAssembly SIMD kernels of half-gates garbling (the glue around the AES
 * calls, which stay in node:crypto): xor of label vectors, gathering the
 * hash inputs of an AND layer, xoring tweaks, and combining hashes into
 * tables and output labels. Every operand is a 128-bit label, one v128.
 * Pointers are byte offsets into the instance's memory; counts are labels.
 * The formulas are those of src/primitives/garble/halfgates.ts.
 */
import {
  assemble,
  get,
  i32c,
  i32x4Extract,
  i64x2Replace,
  loopDown,
  set,
  v128load,
  v128store,
  I32,
  I32_ADD,
  I32_AND,
  I32_SUB,
  I32X4_SPLAT,
  I64,
  I64_EXTEND_I32_U,
  I64X2_ADD,
  I32_EQZ,
  I64X2_SPLAT,
  V128,
  V128_AND,
  V128_XOR,
  i64c,
  type Code,
  type Func,
} from '../../arith/wasm-asm.js';

const inc = (l: number, by: number): Code => [...get(l), ...i32c(by), I32_ADD, ...set(l)];
const ld = (p: number, off = 0): Code => [...get(p), ...v128load(off)];
const st = (p: number, off: number, v: Code): Code => [...get(p), ...v, ...v128store(off)];
const x = (a: Code, b: Code): Code => [...a, ...b, ...V128_XOR];
const and = (a: Code, b: Code): Code => [...a, ...b, ...V128_AND];
/** All-ones v128 if the lowest bit of v is set, else zero. */
const lsbMask = (v: Code): Code => [
  ...i32c(0),
  ...v,
  ...i32x4Extract(0),
  ...i32c(1),
  I32_AND,
  I32_SUB,
  ...I32X4_SPLAT,
];

/** xorv(a, b, o, n): o_i = a_i ^ b_i. */
export function xorv(): Func {
  const [A, B, O, N] = [0, 1, 2, 3];
  return {
    name: 'xorv',
    params: [I32, I32, I32, I32],
    locals: [],
    body: loopDown(N, [...st(O, 0, x(ld(A), ld(B))), ...inc(A, 16), ...inc(B, 16), ...inc(O, 16)]),
  };
}

/** xor3v(a, b, c, o, n): o_i = a_i ^ b_i ^ c_i, one pass instead of two xorv. */
export function xor3v(): Func {
  const [A, B, C, O, N] = [0, 1, 2, 3, 4];
  return {
    name: 'xor3v',
    params: [I32, I32, I32, I32, I32],
    locals: [],
    body: loopDown(N, [
      ...st(O, 0, x(x(ld(A), ld(B)), ld(C))),
      ...inc(A, 16),
      ...inc(B, 16),
      ...inc(C, 16),
      ...inc(O, 16),
    ]),
  };
}

/** xorc(a, c, o, n): o_i = a_i ^ c (one constant label). */
export function xorc(): Func {
  const [A, C, O, N, CV] = [0, 1, 2, 3, 4];
  return {
    name: 'xorc',
    params: [I32, I32, I32, I32],
    locals: [V128],
    body: [
      ...ld(C),
      ...set(CV),
      ...loopDown(N, [...st(O, 0, x(ld(A), get(CV))), ...inc(A, 16), ...inc(O, 16)]),
    ],
  };
}

/** gatherG(a, b, x, n, d): x gets A, A^D, B, B^D per instance. */
function gatherG(): Func {
  const [A, B, X, N, D, DV, AV, BV] = [0, 1, 2, 3, 4, 5, 6, 7];
  return {
    name: 'gatherG',
    params: [I32, I32, I32, I32, I32],
    locals: [V128, V128, V128],
    body: [
      ...ld(D),
      ...set(DV),
      ...loopDown(N, [
        ...ld(A),
        ...set(AV),
        ...ld(B),
        ...set(BV),
        ...st(X, 0, get(AV)),
        ...st(X, 16, x(get(AV), get(DV))),
        ...st(X, 32, get(BV)),
        ...st(X, 48, x(get(BV), get(DV))),
        ...inc(A, 16),
        ...inc(B, 16),
        ...inc(X, 64),
      ]),
    ],
  };
}

/** gatherE(a, b, x, n): x gets A, B per instance. */
function gatherE(): Func {
  const [A, B, X, N] = [0, 1, 2, 3];
  return {
    name: 'gatherE',
    params: [I32, I32, I32, I32],
    locals: [],
    body: loopDown(N, [
      ...st(X, 0, ld(A)),
      ...st(X, 16, ld(B)),
      ...inc(A, 16),
      ...inc(B, 16),
      ...inc(X, 32),
    ]),
  };
}

/**
 * tweak(p, y, n, start, domain, per): y_j = p_j ^ (t, domain << 32) as two
 * 64-bit lanes, t = start + floor(j / per), per = 1 or 2 (pairs share a tweak).
 */
export function tweak(): Func {
  const [P, Y, N, START, DOM, PER, V, INC] = [0, 1, 2, 3, 4, 5, 6, 7];
  // V = (t, domain << 32) is built once and stepped by INC = (1, 0): one
  // i64x2.add per group instead of rebuilding it (the 64-bit lane carries).
  const one = (off: number): Code => st(Y, off, x(ld(P, off), get(V)));
  const step = (per: 1 | 2): Code => [
    ...one(0),
    ...(per === 2 ? one(16) : []),
    ...inc(P, 16 * per),
    ...inc(Y, 16 * per),
    ...get(V),
    ...get(INC),
    ...I64X2_ADD,
    ...set(V),
  ];
  return {
    name: 'tweak',
    params: [I32, I32, I32, I64, I32, I32],
    locals: [V128, V128],
    body: [
      ...get(DOM),
      I64_EXTEND_I32_U,
      ...i64c(32n),
      0x86, // i64.shl
      ...I64X2_SPLAT,
      ...get(START),
      ...i64x2Replace(0),
      ...set(V),
      ...i64c(0n),
      ...I64X2_SPLAT,
      ...i64c(1n),
      ...i64x2Replace(0),
      ...set(INC),
      // N counts groups of PER (1 or 2) blocks that share a tweak.
      ...get(PER),
      ...i32c(2),
      I32_SUB,
      I32_EQZ,
      0x04, // if
      0x40,
      ...loopDown(N, step(2)),
      0x05, // else
      ...loopDown(N, step(1)),
      0x0b, // end
    ],
  };
}

/** combineG(x, p, y, tab, out, n, d): the garbler's half-gates step per instance. */
function combineG(): Func {
  const [X, P, Y, TAB, OUT, N, D] = [0, 1, 2, 3, 4, 5, 6];
  const [DV, AV, PAM, PBM, HA0, HB0, TG, DB] = [7, 8, 9, 10, 11, 12, 13, 14];
  const h = (k: number): Code => x(ld(Y, 16 * k), ld(P, 16 * k));
  return {
    name: 'combineG',
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: [V128, V128, V128, V128, V128, V128, V128, V128],
    body: [
      ...ld(D),
      ...set(DV),
      ...loopDown(N, [
        ...ld(X),
        ...set(AV),
        ...lsbMask(get(AV)),
        ...set(PAM),
        ...lsbMask(ld(X, 32)),
        ...set(PBM),
        ...h(0),
        ...set(HA0),
        ...h(2),
        ...set(HB0),
        ...x(x(get(HA0), h(1)), and(get(DV), get(PBM))),
        ...set(TG),
        ...x(get(HB0), h(3)),
        ...set(DB),
        ...st(TAB, 0, get(TG)),
        ...st(TAB, 16, x(get(DB), get(AV))),
        ...st(OUT, 0, x(x(get(HA0), and(get(TG), get(PAM))), x(get(HB0), and(get(DB), get(PBM))))),
        ...inc(X, 64),
        ...inc(P, 64),
        ...inc(Y, 64),
        ...inc(TAB, 32),
        ...inc(OUT, 16),
      ]),
    ],
  };
}

/** combineE(x, p, y, tab, out, n): the evaluator's step per instance. */
function combineE(): Func {
  const [X, P, Y, TAB, OUT, N] = [0, 1, 2, 3, 4, 5];
  const [AV, SAM, SBM] = [6, 7, 8];
  return {
    name: 'combineE',
    params: [I32, I32, I32, I32, I32, I32],
    locals: [V128, V128, V128],
    body: loopDown(N, [
      ...ld(X),
      ...set(AV),
      ...lsbMask(get(AV)),
      ...set(SAM),
      ...lsbMask(ld(X, 16)),
      ...set(SBM),
      ...st(
        OUT,
        0,
        x(
          x(x(ld(Y), ld(P)), and(ld(TAB), get(SAM))),
          x(x(ld(Y, 16), ld(P, 16)), and(x(ld(TAB, 16), get(AV)), get(SBM))),
        ),
      ),
      ...inc(X, 32),
      ...inc(P, 32),
      ...inc(Y, 32),
      ...inc(TAB, 32),
      ...inc(OUT, 16),
    ]),
  };
}

interface Exports {
  memory: WebAssembly.Memory;
  xorv(a: number, b: number, o: number, n: number): void;
  xorc(a: number, c: number, o: number, n: number): void;
  gatherG(a: number, b: number, x: number, n: number, d: number): void;
  gatherE(a: number, b: number, x: number, n: number): void;
  tweak(p: number, y: number, groups: number, start: bigint, domain: number, per: number): void;
  combineG(x: number, p: number, y: number, tab: number, out: number, n: number, d: number): void;
  combineE(x: number, p: number, y: number, tab: number, out: number, n: number): void;
}

let compiled: WebAssembly.Module | null | undefined;

/** One instance (own memory) per garbler or evaluator; undefined without WebAssembly SIMD. */
export function garbleKernels(): Exports | undefined {
  try {
    if (compiled === undefined)
      compiled = new WebAssembly.Module(
        assemble([xorv(), xorc(), gatherG(), gatherE(), tweak(), combineG(), combineE()]),
      );
    if (compiled === null) return undefined;
    return new WebAssembly.Instance(compiled, {}).exports as unknown as Exports;
  } catch {
    compiled = null;
    return undefined;
  }
}

export type GarbleKernels = Exports;

/** Grows memory to at least `bytes` (views taken before become invalid). */
export function ensure(k: Exports, bytes: number): void {
  const have = k.memory.buffer.byteLength;
  if (have < bytes) k.memory.grow(Math.ceil((bytes - have) / 65536));
}
