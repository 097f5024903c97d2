/**
 * WebAssembly kernels for F_p, p = 2^127 - 1, assembled at load time by
 * the shared assembler in ./wasm-asm.ts (no generated artefact to keep in
 * sync, no build step; the bytes are a pure function of these two files).
 *
 * Why WebAssembly: a 127-bit modular product needs 64-bit integer products,
 * which JavaScript only offers through BigInt (about 20 M/s, allocating);
 * WebAssembly's i64.mul on 32-bit limbs does it without allocation at about
 * 20 times that rate (430 M/s for the product mod 2^61 - 1; docs/PERFORMANCE.md,
 * "Machine facts").
 *
 * Representation (shared with src/arith/field127.ts): an element is two
 * little-endian 64-bit words (lo, hi), 16 bytes. Every kernel accepts any
 * input below 2^127 (so p itself stands for 0) and writes canonical outputs
 * in [0, p).
 *
 * Arithmetic: with 32-bit limbs a = a0 + a1 2^32 + a2 2^64 + a3 2^96 (a3 <
 * 2^31), products a_i b_j < 2^64 are split into 32-bit halves that are summed
 * into columns of weight 2^(32k) without overflow. Since 2^128 = 2 (mod p),
 * column k + 4 folds into column k with a factor 2, and after carry
 * propagation the bits at 2^127 and above fold back with weight 1.
 */

import {
  assemble as assembleModule,
  get,
  i32c as c32,
  i32load8u,
  i64c as c64,
  i64load,
  i64store,
  loopDown,
  set as setLocal,
  I32,
  I32_ADD,
  I32_AND,
  I32_EQZ,
  I32_MUL,
  I32_GT_S,
  I32_WRAP_I64,
  I64,
  I64_ADD,
  I64_AND,
  I64_EQ,
  I64_EXTEND_I32_U,
  I64_LT_U,
  I64_MUL,
  I64_OR,
  I64_SHL,
  I64_SHR_S,
  I64_SHR_U,
  I64_SUB,
  I64_XOR,
  SELECT,
  type Code,
} from './wasm-asm.js';

// ----- expression helpers: each returns the bytes that push one value -----
const set = (l: number, e: Code): Code => [...e, ...setLocal(l)];
const bin =
  (op: number) =>
  (a: Code, b: Code): Code => [...a, ...b, op];
const add = bin(I64_ADD);
const sub = bin(I64_SUB);
const mul = bin(I64_MUL);
const and = bin(I64_AND);
const xor = bin(I64_XOR);
const shl = bin(I64_SHL);
const shrS = bin(I64_SHR_S);
const shrU = bin(I64_SHR_U);
const orr = bin(I64_OR);
const ltU = bin(I64_LT_U); // -> i32
const eq = bin(I64_EQ); // -> i32
const add32 = bin(I32_ADD);
const mul32 = bin(I32_MUL);
const and32 = bin(I32_AND);
const extU = (a: Code): Code => [...a, I64_EXTEND_I32_U];
const wrap = (a: Code): Code => [...a, I32_WRAP_I64];
const eqz32 = (a: Code): Code => [...a, I32_EQZ];
const load = (addr: Code, off = 0): Code => [...addr, ...i64load(off)];
const store = (addr: Code, off: number, v: Code): Code => [...addr, ...v, ...i64store(off)];
const select = (a: Code, b: Code, cond: Code): Code => [...a, ...b, ...cond, SELECT];

const M32 = c64(0xffffffffn);
const M63 = c64(0x7fffffffffffffffn);
const K32 = c64(32n);

type Tuple<N extends number, R extends number[] = []> = R['length'] extends N
  ? R
  : Tuple<N, [number, ...R]>;

/** A function under construction: parameters first, then i64/i32 locals. */
class Fn {
  readonly locals: number[] = [];
  constructor(
    readonly name: string,
    readonly params: number[],
  ) {}
  i64(): number {
    this.locals.push(I64);
    return this.params.length + this.locals.length - 1;
  }
  i32(): number {
    this.locals.push(I32);
    return this.params.length + this.locals.length - 1;
  }
  many<N extends number>(k: N): Tuple<N> {
    return Array.from({ length: k }, () => this.i64()) as Tuple<N>;
  }
}

/**
 * Splits the 127-bit value at `addr` (+off) into four 32-bit limbs.
 * `mask` (optional local, all ones or zero) complements the value first:
 * p - a = ~a within 127 bits, which is how negative coefficients are applied.
 */
function limbs(addr: Code, off: number, lo: number, hi: number, l: number[], mask?: number): Code {
  const ld = (o: number) => (mask === undefined ? load(addr, o) : xor(load(addr, o), get(mask)));
  return [
    ...set(lo, ld(off)),
    ...set(hi, and(ld(off + 8), M63)),
    ...set(l[0]!, and(get(lo), M32)),
    ...set(l[1]!, shrU(get(lo), K32)),
    ...set(l[2]!, and(get(hi), M32)),
    ...set(l[3]!, shrU(get(hi), K32)),
  ];
}

/** C[col] += lo32(p); C[col+1] += hi32(p), for p = x * y. */
function accProduct(C: number[], col: number, p: number, x: Code, y: Code): Code {
  return [
    ...set(p, mul(x, y)),
    ...set(C[col]!, add(get(C[col]!), and(get(p), M32))),
    ...set(C[col + 1]!, add(get(C[col + 1]!), shrU(get(p), K32))),
  ];
}

/** Schoolbook 4x4 limb product accumulated into columns C[0..7]. */
function accFull(C: number[], p: number, a: number[], b: number[]): Code {
  const out: Code = [];
  for (let i = 0; i < 4; i++)
    for (let j = 0; j < 4; j++) out.push(...accProduct(C, i + j, p, get(a[i]!), get(b[j]!)));
  return out;
}

/**
 * Columns D[0..3] (each below 2^62) to a canonical element stored at
 * out + off: carry propagation, the fold of bits >= 127, and p -> 0.
 */
function tail(D: number[], lo: number, hi: number, e: number, outAddr: Code, off: number): Code {
  return [...reduceColumns(D, lo, hi, e), ...canonicalStore(lo, hi, outAddr, off)];
}

/** Columns D[0..3] (each below 2^62) to (lo, hi) below 2^127 (p possible). */
function reduceColumns(D: number[], lo: number, hi: number, e: number): Code {
  const [d0, d1, d2, d3] = D as [number, number, number, number];
  return [
    ...set(d1, add(get(d1), shrU(get(d0), K32))),
    ...set(d2, add(get(d2), shrU(get(d1), K32))),
    ...set(d3, add(get(d3), shrU(get(d2), K32))),
    // Bits 127 and up: bit 127 has weight 1 and 2^128 has weight 2, which is D3 >> 31.
    ...set(e, shrU(get(d3), c64(31n))),
    ...set(lo, orr(and(get(d0), M32), shl(get(d1), K32))),
    ...set(hi, and(orr(and(get(d2), M32), shl(get(d3), K32)), M63)),
    ...foldAdd(lo, hi, e),
  ];
}

/** (hi, lo) += e (e < 2^40), then folds bit 127 once more. */
function foldAdd(lo: number, hi: number, e: number): Code {
  return [
    ...set(lo, add(get(lo), get(e))),
    ...set(hi, add(get(hi), extU(ltU(get(lo), get(e))))),
    ...fold127(lo, hi, e),
  ];
}

/** Value (hi, lo) < 2^128 - 1 with hi < 2^64: moves bit 127 to weight 1. */
function fold127(lo: number, hi: number, tmp: number): Code {
  return [
    ...set(tmp, shrU(get(hi), c64(63n))),
    ...set(hi, and(get(hi), M63)),
    ...set(lo, add(get(lo), get(tmp))),
    ...set(hi, add(get(hi), extU(ltU(get(lo), get(tmp))))),
  ];
}

/** Stores (lo, hi) < 2^127, mapping p to 0. */
function canonicalStore(lo: number, hi: number, outAddr: Code, off: number): Code {
  const isP = and32(eq(get(hi), M63), eq(get(lo), c64(-1n)));
  return [
    ...store(outAddr, off, select(c64(0n), get(lo), isP)),
    ...store(outAddr, off + 8, select(c64(0n), get(hi), isP)),
  ];
}

// ----- the kernels -----
// Pointers are byte offsets into the module's memory; n counts elements.

/** out[i] = a[i] + b[i*bs] (bs = 1 for vectors, 0 for a broadcast constant). */
function kAdd(negateB: boolean): { fn: Fn; body: Code } {
  const fn = new Fn(negateB ? 'sub' : 'add', [I32, I32, I32, I32, I32]); // a, b, out, n, bStride
  const [A, B, O, N, BS] = [0, 1, 2, 3, 4];
  const [lo, hi, blo, bhi, t] = fn.many(5);
  const bword = (o: number) => (negateB ? xor(load(get(B), o), c64(-1n)) : load(get(B), o));
  const body = loopDown(N, [
    ...set(blo, bword(0)),
    ...set(bhi, and(bword(8), M63)),
    ...set(lo, add(load(get(A), 0), get(blo))),
    ...set(hi, add(and(load(get(A), 8), M63), add(get(bhi), extU(ltU(get(lo), get(blo)))))),
    ...fold127(lo, hi, t),
    ...canonicalStore(lo, hi, get(O), 0),
    ...set(A, add32(get(A), c32(16))),
    ...set(B, add32(get(B), get(BS))),
    ...set(O, add32(get(O), c32(16))),
  ]);
  return { fn, body };
}

function kNeg(): { fn: Fn; body: Code } {
  const fn = new Fn('neg', [I32, I32, I32]); // a, out, n
  const [A, O, N] = [0, 1, 2];
  const [lo, hi] = fn.many(2);
  const body = loopDown(N, [
    ...set(lo, xor(load(get(A), 0), c64(-1n))),
    ...set(hi, and(xor(load(get(A), 8), c64(-1n)), M63)),
    ...canonicalStore(lo, hi, get(O), 0),
    ...set(A, add32(get(A), c32(16))),
    ...set(O, add32(get(O), c32(16))),
  ]);
  return { fn, body };
}

/** out[i] = a[i] * b[i*bs] mod p. */
function kMul(): { fn: Fn; body: Code } {
  const fn = new Fn('mul', [I32, I32, I32, I32, I32]); // a, b, out, n, bStride
  const [A, B, O, N, BS] = [0, 1, 2, 3, 4];
  const [lo, hi, p, e] = fn.many(4);
  const a = fn.many(4);
  const b = fn.many(4);
  const C = fn.many(8);
  const body = loopDown(N, [
    ...limbs(get(A), 0, lo, hi, a),
    ...limbs(get(B), 0, lo, hi, b),
    ...C.flatMap((c) => set(c, c64(0n))),
    ...accFull(C, p, a, b),
    ...foldColumns(C),
    ...tail(C.slice(0, 4), lo, hi, e, get(O), 0),
    ...set(A, add32(get(A), c32(16))),
    ...set(B, add32(get(B), get(BS))),
    ...set(O, add32(get(O), c32(16))),
  ]);
  return { fn, body };
}

/** C[k] += 2 C[k+4]: 2^128 = 2 (mod p). */
function foldColumns(C: number[]): Code {
  const out: Code = [];
  for (let k = 0; k < 4; k++)
    out.push(...set(C[k]!, add(get(C[k]!), shl(get(C[k + 4]!), c64(1n)))));
  return out;
}

/**
 * out[j] = sum_{k < m} a[jm+k] b[jm+k] for j < q (products accumulated
 * unreduced: each adds under 2^35 to a column, so m < 2^26 is safe).
 */
function kDot(): { fn: Fn; body: Code } {
  const fn = new Fn('dot', [I32, I32, I32, I32, I32]); // a, b, out, q, m
  const [A, B, O, Q, M] = [0, 1, 2, 3, 4];
  const K = fn.i32();
  const [lo, hi, p, e] = fn.many(4);
  const a = fn.many(4);
  const b = fn.many(4);
  const C = fn.many(8);
  const body = loopDown(Q, [
    ...C.flatMap((c) => set(c, c64(0n))),
    ...set(K, get(M)),
    ...loopDown(K, [
      ...limbs(get(A), 0, lo, hi, a),
      ...limbs(get(B), 0, lo, hi, b),
      ...accFull(C, p, a, b),
      ...set(A, add32(get(A), c32(16))),
      ...set(B, add32(get(B), c32(16))),
    ]),
    ...foldColumns(C),
    ...tail(C.slice(0, 4), lo, hi, e, get(O), 0),
    ...set(O, add32(get(O), c32(16))),
  ]);
  return { fn, body };
}

/**
 * out[i] = sum_j c_j v_j[i] for small signed coefficients |c_j| < 2^32.
 * Table of k entries of 16 bytes: (pointer to v_j as i64, c_j as i64).
 */
function kLinSmall(): { fn: Fn; body: Code } {
  const fn = new Fn('linSmall', [I32, I32, I32, I32]); // table, k, out, n
  const [T, K, O, N] = [0, 1, 2, 3];
  const [J, TP, OFF] = [fn.i32(), fn.i32(), fn.i32()];
  const [lo, hi, p, e, s, m] = fn.many(6);
  const a = fn.many(4);
  const C = fn.many(5);
  const body = loopDown(N, [
    ...C.flatMap((c) => set(c, c64(0n))),
    ...set(J, get(K)),
    ...set(TP, get(T)),
    ...loopDown(J, [
      ...set(s, load(get(TP), 8)),
      ...set(m, shrS(get(s), c64(63n))), // all ones for a negative coefficient
      ...set(s, sub(xor(get(s), get(m)), get(m))), // |c|
      ...limbs(add32(wrap(load(get(TP), 0)), get(OFF)), 0, lo, hi, a, m),
      ...[0, 1, 2, 3].flatMap((i) => accProduct(C, i, p, get(a[i]!), get(s))),
      ...set(TP, add32(get(TP), c32(16))),
    ]),
    ...set(C[0]!, add(get(C[0]!), shl(get(C[4]!), c64(1n)))),
    ...tail(C.slice(0, 4), lo, hi, e, get(O), 0),
    ...set(O, add32(get(O), c32(16))),
    ...set(OFF, add32(get(OFF), c32(16))),
  ]);
  return { fn, body };
}

/**
 * out[i] = sum_j c_j v_j[i] for field constants c_j. Table of k entries of
 * 48 bytes: (pointer as i64, the four 32-bit limbs of c_j as i64, padding).
 * Each term adds under 2^35 per column, so k < 2^26 is safe.
 */
function kLinFull(): { fn: Fn; body: Code } {
  const fn = new Fn('linFull', [I32, I32, I32, I32]); // table, k, out, n
  const [T, K, O, N] = [0, 1, 2, 3];
  const [J, TP, OFF] = [fn.i32(), fn.i32(), fn.i32()];
  const [lo, hi, p, e] = fn.many(4);
  const a = fn.many(4);
  const c = fn.many(4);
  const C = fn.many(8);
  const body = loopDown(N, [
    ...C.flatMap((x) => set(x, c64(0n))),
    ...set(J, get(K)),
    ...set(TP, get(T)),
    ...loopDown(J, [
      ...limbs(add32(wrap(load(get(TP), 0)), get(OFF)), 0, lo, hi, a),
      ...c.flatMap((x, i) => set(x, load(get(TP), 8 + 8 * i))),
      ...accFull(C, p, a, c),
      ...set(TP, add32(get(TP), c32(48))),
    ]),
    ...foldColumns(C),
    ...tail(C.slice(0, 4), lo, hi, e, get(O), 0),
    ...set(O, add32(get(O), c32(16))),
    ...set(OFF, add32(get(OFF), c32(16))),
  ]);
  return { fn, body };
}

/** out[j] = sum_{k < m} a[jm+k] for j < q (m < 2^31). */
function kSumGroups(): { fn: Fn; body: Code } {
  const fn = new Fn('sumGroups', [I32, I32, I32, I32]); // a, out, q, m
  const [A, O, Q, M] = [0, 1, 2, 3];
  const K = fn.i32();
  const [lo, hi, e] = fn.many(3);
  const a = fn.many(4);
  const body = loopDown(Q, [
    ...a.flatMap((x) => set(x, c64(0n))),
    ...set(K, get(M)),
    ...loopDown(K, [
      ...set(lo, load(get(A), 0)),
      ...set(hi, and(load(get(A), 8), M63)),
      ...set(a[0]!, add(get(a[0]!), and(get(lo), M32))),
      ...set(a[1]!, add(get(a[1]!), shrU(get(lo), K32))),
      ...set(a[2]!, add(get(a[2]!), and(get(hi), M32))),
      ...set(a[3]!, add(get(a[3]!), shrU(get(hi), K32))),
      ...set(A, add32(get(A), c32(16))),
    ]),
    ...tail(a, lo, hi, e, get(O), 0),
    ...set(O, add32(get(O), c32(16))),
  ]);
  return { fn, body };
}

/** Signed 64-bit integers to field elements: x < 0 maps to p + x = (x - 1, 2^63 - 1). */
function kFromSigned(): { fn: Fn; body: Code } {
  const fn = new Fn('fromSigned', [I32, I32, I32]); // in, out, n
  const [IN, O, N] = [0, 1, 2];
  const [x, m] = fn.many(2);
  const body = loopDown(N, [
    ...set(x, load(get(IN), 0)),
    ...set(m, shrS(get(x), c64(63n))),
    ...store(get(O), 0, add(get(x), get(m))),
    ...store(get(O), 8, and(get(m), M63)),
    ...set(IN, add32(get(IN), c32(8))),
    ...set(O, add32(get(O), c32(16))),
  ]);
  return { fn, body };
}

/**
 * The sender's side of Gennaro-Rabin-Rabin degree reduction, fused:
 * e = lambda * d with d = a[i] * b[i] (mode 1) or d = a[i] (mode 0), then
 * for each output j: out_j[i] = e + sum_{k=1..t} c_k[i] x_j^k.
 * Coefficient table: t entries (i64 pointer). Output table: entries of
 * 8 (1 + t) bytes: (i64 pointer, then x_j^1 .. x_j^t as i64, each < 2^32).
 * lambda is a signed integer with |lambda| < 2^32.
 */
function kGrr(): { fn: Fn; body: Code } {
  // a, b, mode, lambda, ctab, t, otab, nout, n
  const fn = new Fn('grr', [I32, I32, I32, I64, I32, I32, I32, I32, I32]);
  const [A, B, MODE, LAMBDA, CT, T, OT, NOUT, N] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [J, K, OP, CP, PP, OFF] = [fn.i32(), fn.i32(), fn.i32(), fn.i32(), fn.i32(), fn.i32()];
  const [lo, hi, p, e, m, s] = fn.many(6);
  const a = fn.many(4);
  const b = fn.many(4);
  const C = fn.many(8);
  const E = fn.many(5);
  const D = fn.many(5);
  const at = (base: number) => add32(get(base), get(OFF));
  const product: Code = [
    ...limbs(at(A), 0, lo, hi, a),
    ...limbs(at(B), 0, lo, hi, b),
    ...C.flatMap((c) => set(c, c64(0n))),
    ...accFull(C, p, a, b),
    ...foldColumns(C),
    ...reduceColumns(C.slice(0, 4), lo, hi, e),
  ];
  const plain: Code = [...set(lo, load(at(A), 0)), ...set(hi, and(load(at(A), 8), M63))];
  const body = [
    ...set(m, shrS(get(LAMBDA), c64(63n))),
    ...set(s, sub(xor(get(LAMBDA), get(m)), get(m))),
    ...loopDown(N, [
      // if (mode) d = a * b else d = a; result in (lo, hi)
      ...eqz32(get(MODE)),
      0x04,
      0x40, // if
      ...plain,
      0x05, // else
      ...product,
      0x0b, // end
      // E = columns of lambda * d, the sign applied as p - d = ~d.
      ...set(lo, xor(get(lo), get(m))),
      ...set(hi, and(xor(get(hi), get(m)), M63)),
      ...set(a[0], and(get(lo), M32)),
      ...set(a[1], shrU(get(lo), K32)),
      ...set(a[2], and(get(hi), M32)),
      ...set(a[3], shrU(get(hi), K32)),
      ...E.flatMap((x) => set(x, c64(0n))),
      ...[0, 1, 2, 3].flatMap((i) => accProduct(E, i, p, get(a[i]!), get(s))),
      ...set(J, get(NOUT)),
      ...set(OP, get(OT)),
      ...loopDown(J, [
        ...D.flatMap((x, i) => set(x, get(E[i]!))),
        ...set(CP, get(CT)),
        ...set(PP, add32(get(OP), c32(8))),
        ...set(K, get(T)),
        ...loopDown(K, [
          ...limbs(add32(wrap(load(get(CP), 0)), get(OFF)), 0, lo, hi, a),
          ...set(e, load(get(PP), 0)),
          ...[0, 1, 2, 3].flatMap((i) => accProduct(D, i, p, get(a[i]!), get(e))),
          ...set(CP, add32(get(CP), c32(8))),
          ...set(PP, add32(get(PP), c32(8))),
        ]),
        ...set(D[0], add(get(D[0]), shl(get(D[4]), c64(1n)))),
        ...tail(D.slice(0, 4), lo, hi, e, add32(wrap(load(get(OP), 0)), get(OFF)), 0),
        ...set(OP, add32(get(OP), mul32(add32(get(T), c32(1)), c32(8)))),
      ]),
      ...set(OFF, add32(get(OFF), c32(16))),
    ]),
  ];
  return { fn, body };
}

/**
 * kGrr for t = 1 and the consecutive points 1..nout: out_j = e + (j+1) c,
 * evaluated by successive additions of c. Output table: nout i64 pointers.
 */
function kGrr1(): { fn: Fn; body: Code } {
  // a, b, mode, lambda, c, otab, nout, n
  const fn = new Fn('grr1', [I32, I32, I32, I64, I32, I32, I32, I32]);
  const [A, B, MODE, LAMBDA, CV, OT, NOUT, N] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [J, OP, OFF] = [fn.i32(), fn.i32(), fn.i32()];
  const [lo, hi, p, e, m, s, clo, chi] = fn.many(8);
  const a = fn.many(4);
  const b = fn.many(4);
  const C = fn.many(8);
  const E = fn.many(5);
  const at = (base: number) => add32(get(base), get(OFF));
  const product: Code = [
    ...limbs(at(A), 0, lo, hi, a),
    ...limbs(at(B), 0, lo, hi, b),
    ...C.flatMap((c) => set(c, c64(0n))),
    ...accFull(C, p, a, b),
    ...foldColumns(C),
    ...reduceColumns(C.slice(0, 4), lo, hi, e),
  ];
  const plain: Code = [...set(lo, load(at(A), 0)), ...set(hi, and(load(at(A), 8), M63))];
  const body = [
    ...set(m, shrS(get(LAMBDA), c64(63n))),
    ...set(s, sub(xor(get(LAMBDA), get(m)), get(m))),
    ...loopDown(N, [
      ...eqz32(get(MODE)),
      0x04,
      0x40,
      ...plain,
      0x05,
      ...product,
      0x0b,
      ...set(lo, xor(get(lo), get(m))),
      ...set(hi, and(xor(get(hi), get(m)), M63)),
      ...set(a[0], and(get(lo), M32)),
      ...set(a[1], shrU(get(lo), K32)),
      ...set(a[2], and(get(hi), M32)),
      ...set(a[3], shrU(get(hi), K32)),
      ...E.flatMap((x) => set(x, c64(0n))),
      ...[0, 1, 2, 3].flatMap((i) => accProduct(E, i, p, get(a[i]!), get(s))),
      ...set(E[0], add(get(E[0]), shl(get(E[4]), c64(1n)))),
      ...reduceColumns(E.slice(0, 4), lo, hi, e),
      ...set(clo, load(at(CV), 0)),
      ...set(chi, and(load(at(CV), 8), M63)),
      ...set(J, get(NOUT)),
      ...set(OP, get(OT)),
      ...loopDown(J, [
        // (hi, lo) += (chi, clo): both below 2^127, so the sum fits 128 bits.
        ...set(lo, add(get(lo), get(clo))),
        ...set(hi, add(add(get(hi), get(chi)), extU(ltU(get(lo), get(clo))))),
        ...fold127(lo, hi, e),
        ...canonicalStore(lo, hi, add32(wrap(load(get(OP), 0)), get(OFF)), 0),
        ...set(OP, add32(get(OP), c32(8))),
      ]),
      ...set(OFF, add32(get(OFF), c32(16))),
    ]),
  ];
  return { fn, body };
}

const load8 = (addr: Code): Code => [...addr, ...i32load8u(0)];

/** (lo, hi) = x + y mod p (lazily: below 2^127), for x, y below 2^127 as local pairs. */
function addMod(lo: number, hi: number, x: Code[], y: Code[], tmp: number): Code {
  return [
    ...set(tmp, x[0]!),
    ...set(lo, add(get(tmp), y[0]!)),
    ...set(hi, add(add(x[1]!, y[1]!), extU(ltU(get(lo), get(tmp))))),
    ...fold127(lo, hi, tmp),
  ];
}

/** p - y within 127 bits, as a pair of expressions (y below 2^127). */
const negPair = (y: Code[]): Code[] => [xor(y[0]!, c64(-1n)), and(xor(y[1]!, c64(-1n)), M63)];
const pair = (lo: number, hi: number): Code[] => [get(lo), get(hi)];
const ONE: Code[] = [c64(1n), c64(0n)];

/**
 * The first level of the bit-comparison circuit from pair products (see
 * src/suites/shamir/compare.ts, pairNodes): by the public bits (cHi, cLo),
 *   (0,0): e = 1 - S, g = S, S = rLo + rHi - P;  (0,1): e = rLo - P, g = rHi;
 *   (1,0): e = rHi - P, g = P;                    (1,1): e = P, g = 0.
 * Bits are bytes: cLo at cb + i, cHi at cb + n + i.
 */
function kPairEG(): { fn: Fn; body: Code } {
  const fn = new Fn('pairEG', [I32, I32, I32, I32, I32, I32, I32]); // rlo, rhi, P, cb, e, g, n
  const [RL, RH, PP, CB, EO, GO, N] = [0, 1, 2, 3, 4, 5, 6];
  const [OFF, BI, CASE, N0] = [fn.i32(), fn.i32(), fn.i32(), fn.i32()];
  const [xl, xh, yl, yh, pl, ph, sl, sh, el, eh, gl, gh, tmp] = fn.many(13);
  const at = (base: number, o: number) => load(add32(get(base), get(OFF)), o);
  const store2 = (lo: number, hi: number, base: number) =>
    canonicalStore(lo, hi, add32(get(base), get(OFF)), 0);
  const copy = (dl: number, dh: number, from: Code[]): Code => [
    ...set(dl, from[0]!),
    ...set(dh, from[1]!),
  ];
  const cases: Code[] = [
    // 0: (cHi, cLo) = (0, 0)
    [
      ...addMod(sl, sh, pair(xl, xh), pair(yl, yh), tmp),
      ...addMod(sl, sh, pair(sl, sh), negPair(pair(pl, ph)), tmp),
      ...addMod(el, eh, ONE, negPair(pair(sl, sh)), tmp),
      ...copy(gl, gh, pair(sl, sh)),
    ],
    // 1: (0, 1)
    [...addMod(el, eh, pair(xl, xh), negPair(pair(pl, ph)), tmp), ...copy(gl, gh, pair(yl, yh))],
    // 2: (1, 0)
    [...addMod(el, eh, pair(yl, yh), negPair(pair(pl, ph)), tmp), ...copy(gl, gh, pair(pl, ph))],
    // 3: (1, 1)
    [...copy(el, eh, pair(pl, ph)), ...copy(gl, gh, [c64(0n), c64(0n)])],
  ];
  // if (case & 2) { if (case & 1) c3 else c2 } else { if (case & 1) c1 else c0 }
  const branch = (bit: number, ifSet: Code, ifClear: Code): Code => [
    ...and32(get(CASE), c32(bit)),
    0x04,
    0x40,
    ...ifSet,
    0x05,
    ...ifClear,
    0x0b,
  ];
  const body = [
    ...set(N0, get(N)),
    ...loopDown(N, [
      ...set(xl, at(RL, 0)),
      ...set(xh, and(at(RL, 8), M63)),
      ...set(yl, at(RH, 0)),
      ...set(yh, and(at(RH, 8), M63)),
      ...set(pl, at(PP, 0)),
      ...set(ph, and(at(PP, 8), M63)),
      ...set(
        CASE,
        add32(
          load8(add32(get(CB), get(BI))),
          mul32(load8(add32(add32(get(CB), get(BI)), get(N0))), c32(2)),
        ),
      ),
      ...branch(2, branch(1, cases[3]!, cases[2]!), branch(1, cases[1]!, cases[0]!)),
      ...store2(el, eh, EO),
      ...store2(gl, gh, GO),
      ...set(OFF, add32(get(OFF), c32(16))),
      ...set(BI, add32(get(BI), c32(1))),
    ]),
  ];
  return { fn, body };
}

/** Per bit: e = c ? r : 1 - r and g = c ? 0 : r, with c a public byte at cb + i. */
function kEqLess(): { fn: Fn; body: Code } {
  const fn = new Fn('eqLess', [I32, I32, I32, I32, I32]); // r, cb, e, g, n
  const [R, CB, EO, GO, N] = [0, 1, 2, 3, 4];
  const [OFF] = [fn.i32()];
  const [rl, rh, el, eh, tmp] = fn.many(5);
  const body = loopDown(N, [
    ...set(rl, load(add32(get(R), get(OFF)), 0)),
    ...set(rh, and(load(add32(get(R), get(OFF)), 8), M63)),
    ...load8(get(CB)),
    0x04,
    0x40,
    ...canonicalStore(rl, rh, add32(get(EO), get(OFF)), 0),
    ...store(add32(get(GO), get(OFF)), 0, c64(0n)),
    ...store(add32(get(GO), get(OFF)), 8, c64(0n)),
    0x05,
    ...addMod(el, eh, ONE, negPair(pair(rl, rh)), tmp),
    ...canonicalStore(el, eh, add32(get(EO), get(OFF)), 0),
    ...canonicalStore(rl, rh, add32(get(GO), get(OFF)), 0),
    0x0b,
    ...set(OFF, add32(get(OFF), c32(16))),
    ...set(CB, add32(get(CB), c32(1))),
  ]);
  return { fn, body };
}

/**
 * XOR of a shared bit y with a public-polynomial bit beta phi: per element,
 * out = beta ? y k + phi : y with k = 1 - 2 phi (field constants, k as four
 * 32-bit limbs at kp, phi as (lo, hi) at kp + 32), beta a byte at bb + i.
 */
function kXorBit(): { fn: Fn; body: Code } {
  const fn = new Fn('xorBit', [I32, I32, I32, I32, I32]); // y, bb, kp, out, n
  const [Y, BB, KP, O, N] = [0, 1, 2, 3, 4];
  const [OFF] = [fn.i32()];
  const [lo, hi, p, e, fl, fh] = fn.many(6);
  const a = fn.many(4);
  const k = fn.many(4);
  const C = fn.many(8);
  const body = [
    ...k.flatMap((x, i) => set(x, load(get(KP), 8 * i))),
    ...set(fl, load(get(KP), 32)),
    ...set(fh, load(get(KP), 40)),
    ...loopDown(N, [
      ...load8(get(BB)),
      0x04,
      0x40,
      ...limbs(add32(get(Y), get(OFF)), 0, lo, hi, a),
      ...C.flatMap((c) => set(c, c64(0n))),
      ...accFull(C, p, a, k),
      ...foldColumns(C),
      ...reduceColumns(C.slice(0, 4), lo, hi, e),
      ...addMod(lo, hi, pair(lo, hi), pair(fl, fh), e),
      0x05,
      ...set(lo, load(add32(get(Y), get(OFF)), 0)),
      ...set(hi, and(load(add32(get(Y), get(OFF)), 8), M63)),
      0x0b,
      ...canonicalStore(lo, hi, add32(get(O), get(OFF)), 0),
      ...set(OFF, add32(get(OFF), c32(16))),
      ...set(BB, add32(get(BB), c32(1))),
    ]),
  ];
  return { fn, body };
}

/**
 * kGrr for the consecutive points 1..nout and any t, by forward
 * differences: with v_0 = h(1) = e + sum_d c_d and v_k = Delta^k h(1) =
 * sum_d D[k][d] c_d (D[k][d] = Delta^k x^d at x = 1, small integers), each
 * next point costs t additions: v_0 += v_1, v_1 += v_2, ..., v_(t-1) += v_t.
 * dtab: (t+1) x t i64 matrix D[k][d-1]; vs: scratch for t+1 elements;
 * otab: nout i64 pointers.
 */
function kGrrDiff(): { fn: Fn; body: Code } {
  // a, b, mode, lambda, ctab, t, dtab, vs, otab, nout, n
  const fn = new Fn('grrDiff', [I32, I32, I32, I64, I32, I32, I32, I32, I32, I32, I32]);
  const [A, B, MODE, LAMBDA, CT, T, DT, VS, OT, NOUT, N] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [J, K, D, OP, OFF, CP, DP, VP] = [
    fn.i32(),
    fn.i32(),
    fn.i32(),
    fn.i32(),
    fn.i32(),
    fn.i32(),
    fn.i32(),
    fn.i32(),
  ];
  const [lo, hi, p, e, m, s, el, eh, w] = fn.many(9);
  const a = fn.many(4);
  const b = fn.many(4);
  const C = fn.many(8);
  const E = fn.many(5);
  const at = (base: number) => add32(get(base), get(OFF));
  const product: Code = [
    ...limbs(at(A), 0, lo, hi, a),
    ...limbs(at(B), 0, lo, hi, b),
    ...C.flatMap((c) => set(c, c64(0n))),
    ...accFull(C, p, a, b),
    ...foldColumns(C),
    ...reduceColumns(C.slice(0, 4), lo, hi, e),
  ];
  const plain: Code = [...set(lo, load(at(A), 0)), ...set(hi, and(load(at(A), 8), M63))];
  const body = [
    ...set(m, shrS(get(LAMBDA), c64(63n))),
    ...set(s, sub(xor(get(LAMBDA), get(m)), get(m))),
    ...loopDown(N, [
      ...eqz32(get(MODE)),
      0x04,
      0x40,
      ...plain,
      0x05,
      ...product,
      0x0b,
      // e = lambda d, kept in (el, eh) below 2^127.
      ...set(lo, xor(get(lo), get(m))),
      ...set(hi, and(xor(get(hi), get(m)), M63)),
      ...set(a[0], and(get(lo), M32)),
      ...set(a[1], shrU(get(lo), K32)),
      ...set(a[2], and(get(hi), M32)),
      ...set(a[3], shrU(get(hi), K32)),
      ...E.flatMap((x) => set(x, c64(0n))),
      ...[0, 1, 2, 3].flatMap((i) => accProduct(E, i, p, get(a[i]!), get(s))),
      ...set(E[0], add(get(E[0]), shl(get(E[4]), c64(1n)))),
      ...reduceColumns(E.slice(0, 4), el, eh, e),
      // v_k for k = 0..t, into the scratch slots.
      ...set(K, c32(0)),
      ...set(DP, get(DT)),
      ...set(VP, get(VS)),
      0x02,
      0x40,
      0x03,
      0x40,
      ...[...get(K), ...get(T), I32_GT_S], // k > t ends
      0x0d,
      0x01,
      ...E.flatMap((x) => set(x, c64(0n))),
      // k = 0 starts from e
      ...eqz32(get(K)),
      0x04,
      0x40,
      ...set(E[0], and(get(el), M32)),
      ...set(E[1], shrU(get(el), K32)),
      ...set(E[2], and(get(eh), M32)),
      ...set(E[3], shrU(get(eh), K32)),
      0x0b,
      ...set(CP, get(CT)),
      ...set(D, get(T)),
      ...loopDown(D, [
        ...set(w, load(get(DP), 0)),
        ...limbs(add32(wrap(load(get(CP), 0)), get(OFF)), 0, lo, hi, a),
        ...[0, 1, 2, 3].flatMap((i) => accProduct(E, i, p, get(a[i]!), get(w))),
        ...set(CP, add32(get(CP), c32(8))),
        ...set(DP, add32(get(DP), c32(8))),
      ]),
      ...set(E[0], add(get(E[0]), shl(get(E[4]), c64(1n)))),
      ...reduceColumns(E.slice(0, 4), lo, hi, e),
      ...store(get(VP), 0, get(lo)),
      ...store(get(VP), 8, get(hi)),
      ...set(VP, add32(get(VP), c32(16))),
      ...set(K, add32(get(K), c32(1))),
      0x0c,
      0x00,
      0x0b,
      0x0b,
      // Outputs: store v_0, then v_k += v_(k+1) for k < t.
      ...set(J, get(NOUT)),
      ...set(OP, get(OT)),
      ...loopDown(J, [
        ...set(lo, load(get(VS), 0)),
        ...set(hi, load(get(VS), 8)),
        ...canonicalStore(lo, hi, add32(wrap(load(get(OP), 0)), get(OFF)), 0),
        ...set(VP, get(VS)),
        ...set(K, get(T)),
        ...loopDown(K, [
          ...addMod(
            lo,
            hi,
            [load(get(VP), 0), load(get(VP), 8)],
            [load(get(VP), 16), load(get(VP), 24)],
            e,
          ),
          ...store(get(VP), 0, get(lo)),
          ...store(get(VP), 8, get(hi)),
          ...set(VP, add32(get(VP), c32(16))),
        ]),
        ...set(OP, add32(get(OP), c32(8))),
      ]),
      ...set(OFF, add32(get(OFF), c32(16))),
    ]),
  ];
  return { fn, body };
}

/** out[i] = sum_j v_j[i]; table of k i64 pointers (k < 2^31). */
function kSumVecs(): { fn: Fn; body: Code } {
  const fn = new Fn('sumVecs', [I32, I32, I32, I32]); // table, k, out, n
  const [T, K, O, N] = [0, 1, 2, 3];
  const [J, TP, OFF] = [fn.i32(), fn.i32(), fn.i32()];
  const [lo, hi, e] = fn.many(3);
  const a = fn.many(4);
  const body = loopDown(N, [
    ...a.flatMap((x) => set(x, c64(0n))),
    ...set(J, get(K)),
    ...set(TP, get(T)),
    ...loopDown(J, [
      ...set(e, extU(add32(wrap(load(get(TP), 0)), get(OFF)))),
      ...set(lo, load(wrap(get(e)), 0)),
      ...set(hi, and(load(wrap(get(e)), 8), M63)),
      ...set(a[0], add(get(a[0]), and(get(lo), M32))),
      ...set(a[1], add(get(a[1]), shrU(get(lo), K32))),
      ...set(a[2], add(get(a[2]), and(get(hi), M32))),
      ...set(a[3], add(get(a[3]), shrU(get(hi), K32))),
      ...set(TP, add32(get(TP), c32(8))),
    ]),
    ...tail(a, lo, hi, e, add32(get(O), get(OFF)), 0),
    ...set(OFF, add32(get(OFF), c32(16))),
  ]);
  return { fn, body };
}

const KERNELS = [
  kAdd(false),
  kAdd(true),
  kNeg(),
  kMul(),
  kDot(),
  kLinSmall(),
  kLinFull(),
  kSumGroups(),
  kFromSigned(),
  kGrr(),
  kSumVecs(),
  kGrr1(),
  kPairEG(),
  kEqLess(),
  kXorBit(),
  kGrrDiff(),
];

/** Pages of 64 KiB: 4 MiB of scratch, enough for chunks of 16,384 elements x 3 operands. */
export const MEMORY_PAGES = 64;

/** The module's bytes. */
export function assemble(): Uint8Array<ArrayBuffer> {
  return assembleModule(
    KERNELS.map(({ fn, body }) => ({ name: fn.name, params: fn.params, locals: fn.locals, body })),
    MEMORY_PAGES,
  );
}

export interface Field127Kernels {
  readonly memory: WebAssembly.Memory;
  add(a: number, b: number, out: number, n: number, bStride: number): void;
  sub(a: number, b: number, out: number, n: number, bStride: number): void;
  neg(a: number, out: number, n: number): void;
  mul(a: number, b: number, out: number, n: number, bStride: number): void;
  dot(a: number, b: number, out: number, q: number, m: number): void;
  linSmall(table: number, k: number, out: number, n: number): void;
  linFull(table: number, k: number, out: number, n: number): void;
  sumGroups(a: number, out: number, q: number, m: number): void;
  fromSigned(input: number, out: number, n: number): void;
  grr(
    a: number,
    b: number,
    mode: number,
    lambda: bigint,
    ctab: number,
    t: number,
    otab: number,
    nout: number,
    n: number,
  ): void;
  sumVecs(table: number, k: number, out: number, n: number): void;
  pairEG(rlo: number, rhi: number, p: number, cb: number, e: number, g: number, n: number): void;
  eqLess(r: number, cb: number, e: number, g: number, n: number): void;
  xorBit(y: number, bb: number, kp: number, out: number, n: number): void;
  grrDiff(
    a: number,
    b: number,
    mode: number,
    lambda: bigint,
    ctab: number,
    t: number,
    dtab: number,
    vs: number,
    otab: number,
    nout: number,
    n: number,
  ): void;
  grr1(
    a: number,
    b: number,
    mode: number,
    lambda: bigint,
    c: number,
    otab: number,
    nout: number,
    n: number,
  ): void;
}

/**
 * Compiles and instantiates the kernels synchronously; undefined where
 * WebAssembly is unavailable or refuses synchronous compilation (browsers
 * limit it to 4 KiB on the main thread; this module is about 12.5 KiB).
 */
export function instantiate(): Field127Kernels | undefined {
  try {
    const mod = new WebAssembly.Module(assemble());
    return new WebAssembly.Instance(mod, {}).exports as unknown as Field127Kernels;
  } catch {
    return undefined;
  }
}

/** Compiles and instantiates the kernels asynchronously; undefined where WebAssembly is unavailable. */
export async function instantiateAsync(): Promise<Field127Kernels | undefined> {
  try {
    if (typeof WebAssembly === 'undefined') return undefined;
    const mod = await WebAssembly.compile(assemble());
    const inst = await WebAssembly.instantiate(mod, {});
    return inst.exports as unknown as Field127Kernels;
  } catch {
    return undefined;
  }
}
