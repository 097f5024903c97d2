/**
 * A tiny WebAssembly assembler, shared by every kernel Entente assembles at
 * load time: the F_p kernels (./field127-wasm.ts) and the primitives' OT and
 * garbling kernels (src/primitives/ot/wasm.ts, src/primitives/garble/wasm.ts).
 * It lives in the lowest layer so that all of them can import it.
 *
 * Instruction helpers return byte arrays (`Code`) that callers concatenate;
 * `assemble` wraps functions into a module with one exported, growable memory.
 * There is no build step and no generated artefact: a module's bytes are a
 * pure function of the code that calls this one, so changing an encoding here
 * changes every kernel (their tests run each kernel against a BigInt or
 * plain-JavaScript reference).
 *
 * Encodings follow the WebAssembly core specification 2.0 (section 5, binary
 * format) and its fixed-width SIMD extension (prefix 0xfd).
 */

export type Code = number[];

/** Unsigned LEB128 of a non-negative integer below 2^32 (spec 5.2.2). */
export function uleb(n: number): Code {
  const out: Code = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (spec 5.2.2): stops once the rest is the sign extension of bit 6. */
export function sleb(v: bigint): Code {
  const out: Code = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

// Value types.
export const I32 = 0x7f;
export const I64 = 0x7e;
export const V128 = 0x7b;

// Locals and constants.
export const get = (l: number): Code => [0x20, ...uleb(l)];
export const set = (l: number): Code => [0x21, ...uleb(l)];
export const tee = (l: number): Code => [0x22, ...uleb(l)];
export const i32c = (v: number): Code => [0x41, ...sleb(BigInt(v))];
export const i64c = (v: bigint): Code => [0x42, ...sleb(BigInt.asIntN(64, v))];

// Scalar operators (single-byte opcodes).
export const SELECT = 0x1b;
export const I32_EQZ = 0x45;
export const I32_GT_S = 0x4a;
export const I64_EQ = 0x51;
export const I64_LT_U = 0x54;
export const I32_ADD = 0x6a;
export const I32_SUB = 0x6b;
export const I32_MUL = 0x6c;
export const I32_AND = 0x71;
export const I32_SHL = 0x74;
export const I64_ADD = 0x7c;
export const I64_SUB = 0x7d;
export const I64_MUL = 0x7e;
export const I64_AND = 0x83;
export const I64_OR = 0x84;
export const I64_XOR = 0x85;
export const I64_SHL = 0x86;
export const I64_SHR_S = 0x87;
export const I64_SHR_U = 0x88;
export const I32_WRAP_I64 = 0xa7;
export const I64_EXTEND_I32_U = 0xad;

// Memory: the address is on the stack, `off` is the static offset; alignment hints are natural.
export const i32load8u = (off: number): Code => [0x2d, 0x00, ...uleb(off)];
export const i64load = (off: number): Code => [0x29, 0x03, ...uleb(off)];
export const i64store = (off: number): Code => [0x37, 0x03, ...uleb(off)];
export const v128load = (off: number): Code => [0xfd, 0x00, 0x04, ...uleb(off)];
export const v128store = (off: number): Code => [0xfd, 0x0b, 0x04, ...uleb(off)];
export const i32store16 = (off: number): Code => [0x3b, 0x01, ...uleb(off)];
/** v128.load64_zero: 8 bytes into the low lane, zeros above. */
export const v128load64zero = (off: number): Code => [0xfd, 0x5d, 0x03, ...uleb(off)];

// SIMD (opcodes after the 0xfd prefix).
export const V128_AND = [0xfd, 0x4e];
export const V128_XOR = [0xfd, 0x51];
export const I32X4_SPLAT = [0xfd, 0x11];
export const I64X2_SPLAT = [0xfd, 0x12];
export const I64X2_SHL = [0xfd, 0xcb, 0x01];
export const I64X2_SHR_U = [0xfd, 0xcd, 0x01];
export const I64X2_ADD = [0xfd, 0xce, 0x01];
export const extractU8 = (lane: number): Code => [0xfd, 0x16, lane];
export const i32x4Extract = (lane: number): Code => [0xfd, 0x1b, lane];
export const i64x2Replace = (lane: number): Code => [0xfd, 0x1e, lane];
/** i8x16.shuffle: lanes 0-15 pick from the first operand, 16-31 from the second. */
export const i8x16Shuffle = (lanes: readonly number[]): Code => {
  if (lanes.length !== 16 || lanes.some((l) => l < 0 || l > 31))
    throw new RangeError('i8x16.shuffle takes 16 lane indices below 32');
  return [0xfd, 0x0d, ...lanes];
};
/** i8x16.bitmask: bit k of the i32 result is the top bit of byte lane k. */
export const I8X16_BITMASK = [0xfd, 0x64];
export const I8X16_ADD = [0xfd, 0x6e];

/** `while (counter != 0) { body; counter-- }` for an i32 counter local. */
export function loopDown(counter: number, body: Code): Code {
  return [
    0x02,
    0x40, // block
    0x03,
    0x40, // loop
    ...get(counter),
    I32_EQZ,
    0x0d,
    0x01, // br_if 1: leave the block
    ...body,
    ...get(counter),
    ...i32c(1),
    I32_SUB,
    ...set(counter),
    0x0c,
    0x00, // br 0: next iteration
    0x0b,
    0x0b,
  ];
}

/** A function of the module: parameter and local types, and its body without the final `end`. */
export interface Func {
  readonly name: string;
  readonly params: readonly number[];
  readonly locals: readonly number[];
  readonly body: Code;
}

function section(id: number, content: Code): Code {
  return [id, ...uleb(content.length), ...content];
}
function vec(items: Code[]): Code {
  return [...uleb(items.length), ...items.flat()];
}
function name(s: string): Code {
  const b = Array.from(new TextEncoder().encode(s));
  return [...uleb(b.length), ...b];
}

/**
 * A module of `fns`, each exported by its name and returning nothing, and one
 * memory exported as `memory`: `initialPages` pages of 64 KiB, growable
 * without a maximum.
 */
export function assemble(fns: readonly Func[], initialPages = 1): Uint8Array<ArrayBuffer> {
  const types = fns.map((f) => [0x60, ...vec(f.params.map((p) => [p])), 0x00]);
  const codes = fns.map((f) => {
    // Locals are declared as runs of one type each.
    const runs: Code[] = [];
    for (let i = 0; i < f.locals.length;) {
      let j = i;
      while (j < f.locals.length && f.locals[j] === f.locals[i]) j++;
      runs.push([...uleb(j - i), f.locals[i]!]);
      i = j;
    }
    const c = [...vec(runs), ...f.body, 0x0b];
    return [...uleb(c.length), ...c];
  });
  return Uint8Array.from([
    // "\0asm", version 1
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(3, vec(fns.map((_, i) => uleb(i)))),
    ...section(5, vec([[0x00, ...uleb(initialPages)]])),
    ...section(
      7,
      vec([
        [...name('memory'), 0x02, 0x00],
        ...fns.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]),
      ]),
    ),
    ...section(10, vec(codes)),
  ]);
}
