/**
 * Products mod p = 2^255 - 19 in WebAssembly, for the one expensive step of
 * decoding a ristretto255 element: the exponentiation x^((p-5)/8) of its
 * inverse square root (about 250 squarings). With BigInt each product
 * allocates and divides; here it is 100 i64 multiplications on limbs.
 * Assembled at load time by the shared assembler (src/arith/wasm-asm.ts).
 *
 * Representation: ten unsigned limbs in radix 2^25.5 (limb i holds the bits
 * from ceil(25.5 i), 26 bits for even i and 25 for odd i), each an i64 in
 * memory; a slot is 80 bytes. Inputs may exceed their width by a few bits
 * (outputs do, by at most one bit in limb 1): products of limbs below 2^27,
 * times at most 38, summed ten at a time, stay below 2^64.
 *
 * Public inputs only (the verifier's decoding): not constant-time.
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
  I32_SUB,
  I64,
  I64_ADD,
  I64_AND,
  I64_MUL,
  I64_SHR_U,
  type Code,
} from '../../arith/wasm-asm.js';

const OFF = Array.from({ length: 10 }, (_, i) => Math.ceil(25.5 * i));
const BITS = OFF.map((o, i) => (i === 9 ? 255 : OFF[i + 1]!) - o);
export const P25519 = (1n << 255n) - 19n;

/** mul(d, a, b): slot d = a·b (d may be a or b). Locals: 0-2 params, 3-12 a, 13-22 b, 23-32 h. */
function mulBody(): Code {
  const A = (i: number) => 3 + i;
  const B = (i: number) => 13 + i;
  const H = (i: number) => 23 + i;
  const c: Code = [];
  for (let i = 0; i < 10; i++) {
    c.push(...get(1), ...i64load(8 * i), ...set(A(i)));
    c.push(...get(2), ...i64load(8 * i), ...set(B(i)));
  }
  for (let k = 0; k < 10; k++) {
    c.push(...i64c(0n));
    for (let i = 0; i < 10; i++) {
      const j = (k - i + 10) % 10;
      // Weight 2^(OFF_i + OFF_j) = 2^OFF_k, times 2 when both are odd, times 19 when it wraps.
      const factor = (i % 2 === 1 && j % 2 === 1 ? 2 : 1) * (i + j >= 10 ? 19 : 1);
      c.push(...get(A(i)), ...get(B(j)), I64_MUL);
      if (factor !== 1) c.push(...i64c(BigInt(factor)), I64_MUL);
      c.push(I64_ADD);
    }
    c.push(...set(H(k)));
  }
  // Carry limb by limb; limb 9's carry wraps into limb 0 times 19, then once more into limb 1.
  const carry = (from: number, to: number, factor: number): Code => [
    ...get(H(to)),
    ...get(H(from)),
    ...i64c(BigInt(BITS[from]!)),
    I64_SHR_U,
    ...(factor === 1 ? [] : [...i64c(BigInt(factor)), I64_MUL]),
    I64_ADD,
    ...set(H(to)),
    ...get(H(from)),
    ...i64c((1n << BigInt(BITS[from]!)) - 1n),
    I64_AND,
    ...set(H(from)),
  ];
  for (let i = 0; i < 9; i++) c.push(...carry(i, i + 1, 1));
  c.push(...carry(9, 0, 19), ...carry(0, 1, 1));
  for (let i = 0; i < 10; i++) c.push(...get(0), ...get(H(i)), ...i64store(8 * i));
  return c;
}

/** sqn(d, a, n): slot d = a^(2^n), n >= 1. */
function sqnBody(): Code {
  const call = (fn: number): Code => [0x10, fn];
  return [
    ...get(0),
    ...get(1),
    ...get(1),
    ...call(0),
    ...get(2),
    ...i32c(1),
    I32_SUB,
    ...set(2),
    ...loopDown(2, [...get(0), ...get(0), ...get(0), ...call(0)]),
  ];
}

interface Kernels {
  readonly memory: WebAssembly.Memory;
  mul(d: number, a: number, b: number): void;
  sqn(d: number, a: number, n: number): void;
}

function instantiate(): Kernels | undefined {
  try {
    const bytes = assemble([
      {
        name: 'mul',
        params: [I32, I32, I32],
        locals: Array<number>(30).fill(I64),
        body: mulBody(),
      },
      { name: 'sqn', params: [I32, I32, I32], locals: [], body: sqnBody() },
    ]);
    return new WebAssembly.Instance(new WebAssembly.Module(bytes), {})
      .exports as unknown as Kernels;
  } catch {
    // No WebAssembly, or a browser that refuses to compile synchronously here.
    return undefined;
  }
}

let kernels: Kernels | undefined | null = null;
let words: Uint32Array;

const slot = (k: number) => 80 * k;

function put(k: number, x: bigint): void {
  for (let i = 0; i < 10; i++) {
    words[(slot(k) >> 2) + 2 * i] = Number(
      (x >> BigInt(OFF[i]!)) & ((1n << BigInt(BITS[i]!)) - 1n),
    );
    words[(slot(k) >> 2) + 2 * i + 1] = 0;
  }
}

function take(k: number): bigint {
  let x = 0n;
  for (let i = 9; i >= 0; i--) {
    const w = slot(k) / 4 + 2 * i;
    const limb = BigInt(words[w]!) + (BigInt(words[w + 1]!) << 32n);
    x += limb << BigInt(OFF[i]!);
  }
  return x % P25519;
}

/**
 * x^((p-5)/8) = x^(2^252 - 3) mod p (x reduced), by the addition chain of
 * ref10's fe_pow22523; undefined where WebAssembly is unavailable.
 */
export function pow22523(x: bigint): bigint | undefined {
  if (kernels === null) {
    kernels = instantiate();
    if (kernels) words = new Uint32Array(kernels.memory.buffer);
  }
  const k = kernels;
  if (!k) return undefined;
  const { mul, sqn } = k;
  const s = slot;
  // Slots: 0 z, 1 t0, 2 t1, 3 t2.
  put(0, x);
  sqn(s(1), s(0), 1); // t0 = z^2
  sqn(s(2), s(1), 2); // t1 = z^8
  mul(s(2), s(0), s(2)); // t1 = z^9
  mul(s(1), s(1), s(2)); // t0 = z^11
  sqn(s(1), s(1), 1); // t0 = z^22
  mul(s(1), s(2), s(1)); // t0 = z^(2^5 - 1)
  sqn(s(2), s(1), 5);
  mul(s(1), s(2), s(1)); // t0 = z^(2^10 - 1)
  sqn(s(2), s(1), 10);
  mul(s(2), s(2), s(1)); // t1 = z^(2^20 - 1)
  sqn(s(3), s(2), 20);
  mul(s(2), s(3), s(2)); // t1 = z^(2^40 - 1)
  sqn(s(2), s(2), 10);
  mul(s(1), s(2), s(1)); // t0 = z^(2^50 - 1)
  sqn(s(2), s(1), 50);
  mul(s(2), s(2), s(1)); // t1 = z^(2^100 - 1)
  sqn(s(3), s(2), 100);
  mul(s(2), s(3), s(2)); // t1 = z^(2^200 - 1)
  sqn(s(2), s(2), 50);
  mul(s(1), s(2), s(1)); // t0 = z^(2^250 - 1)
  sqn(s(1), s(1), 2); // t0 = z^(2^252 - 4)
  mul(s(1), s(1), s(0)); // t0 = z^(2^252 - 3)
  return take(1);
}

/** a·b mod p through the kernel (for tests); undefined without WebAssembly. */
export function mulModP(a: bigint, b: bigint): bigint | undefined {
  if (pow22523(0n) === undefined) return undefined;
  put(0, a);
  put(1, b);
  kernels!.mul(slot(2), slot(0), slot(1));
  return take(2);
}
