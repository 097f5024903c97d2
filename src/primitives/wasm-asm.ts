/**
 * A tiny WebAssembly assembler for the primitives' kernels: instruction
 * helpers that return byte arrays, and `assemble` for a module of functions
 * sharing one exported memory. The bytes are a pure function of the code that
 * calls it (no build step, no generated artefact).
 */

export type Code = number[];

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

export const I32 = 0x7f;
export const I64 = 0x7e;
export const V128 = 0x7b;
export const get = (l: number): Code => [0x20, ...uleb(l)];
export const set = (l: number): Code => [0x21, ...uleb(l)];
export const i32c = (v: number): Code => [0x41, ...sleb(BigInt(v))];
export const i64c = (v: bigint): Code => [0x42, ...sleb(BigInt.asIntN(64, v))];
export const I32_ADD = 0x6a;
export const I32_SUB = 0x6b;
export const I32_MUL = 0x6c;
export const I32_SHL = 0x74;
export const I32_EQZ = 0x45;
export const I64_AND = 0x83;
export const I64_XOR = 0x85;
export const I64_SHL = 0x86;
export const I64_SHR_U = 0x88;
export const i64load = (off: number): Code => [0x29, 0x03, ...uleb(off)];
export const i64store = (off: number): Code => [0x37, 0x03, ...uleb(off)];
export const v128load = (off: number): Code => [0xfd, 0x00, 0x04, ...uleb(off)];
export const v128store = (off: number): Code => [0xfd, 0x0b, 0x04, ...uleb(off)];
export const V128_XOR = [0xfd, 0x51];
export const extractU8 = (lane: number): Code => [0xfd, 0x16, lane];

/** `while (counter != 0) { body; counter-- }`. */
export function loopDown(counter: number, body: Code): Code {
  return [
    0x02,
    0x40,
    0x03,
    0x40,
    ...get(counter),
    I32_EQZ,
    0x0d,
    0x01,
    ...body,
    ...get(counter),
    ...i32c(1),
    I32_SUB,
    ...set(counter),
    0x0c,
    0x00,
    0x0b,
    0x0b,
  ];
}

export interface Func {
  name: string;
  params: number[];
  locals: number[];
  body: Code;
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

/** A module of `fns` (exported by name) and one growable memory of 1 initial page. */
export function assemble(fns: readonly Func[]): Uint8Array<ArrayBuffer> {
  const types = fns.map((f) => [0x60, ...vec(f.params.map((p) => [p])), 0x00]);
  const codes = fns.map((f) => {
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
    ...section(5, vec([[0x00, 0x01]])),
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

// SIMD and a few more scalar instructions (opcodes after the 0xfd prefix).
export const tee = (l: number): Code => [0x22, ...uleb(l)];
export const I32_AND = 0x71;
export const I64_ADD = 0x7c;
export const I64_EXTEND_I32_U = 0xad;
export const V128_AND = [0xfd, 0x4e];
export const I32X4_SPLAT = [0xfd, 0x11];
export const I64X2_SPLAT = [0xfd, 0x12];
export const i32x4Extract = (lane: number): Code => [0xfd, 0x1b, lane];
export const i64x2Replace = (lane: number): Code => [0xfd, 0x1e, lane];
