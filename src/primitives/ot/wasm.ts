/**
 * WebAssembly kernels of OT extension, assembled at load time (no build
 * step; the bytes are a pure function of this file):
 *
 *   transpose  128 columns of m bits into m rows of 128 bits, by 64 x 64
 *              blocks held in 64 i64 locals and transposed by six stages of
 *              masked shifts (JavaScript has no 64-bit integers without
 *              BigInt, so its best is 32 x 32 blocks; ../shared/PERF-FACTS.md
 *              measures the i64 version about 2.8x faster);
 *   horner     acc = (acc xor row_i) chi over all rows, multiplication by the
 *              fixed chi through 16 byte tables of 128-bit products (one
 *              v128 load and xor per input byte), for the KOS check.
 *
 * Memory is owned by the instance and grown on demand; callers take views
 * after `ensure` (growing detaches old views).
 */

type Code = number[];

function uleb(n: number): Code {
  const out: Code = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(v: bigint): Code {
  const out: Code = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

const I32 = 0x7f;
const I64 = 0x7e;
const V128 = 0x7b;
const get = (l: number): Code => [0x20, ...uleb(l)];
const set = (l: number): Code => [0x21, ...uleb(l)];
const i32c = (v: number): Code => [0x41, ...sleb(BigInt(v))];
const i64c = (v: bigint): Code => [0x42, ...sleb(BigInt.asIntN(64, v))];
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_MUL = 0x6c;
const I32_SHL = 0x74;
const I32_EQZ = 0x45;
const I64_AND = 0x83;
const I64_XOR = 0x85;
const I64_SHL = 0x86;
const I64_SHR_U = 0x88;
const i64load = (off: number): Code => [0x29, 0x03, ...uleb(off)];
const i64store = (off: number): Code => [0x37, 0x03, ...uleb(off)];
const v128load = (off: number): Code => [0xfd, 0x00, 0x04, ...uleb(off)];
const v128store = (off: number): Code => [0xfd, 0x0b, 0x04, ...uleb(off)];
const V128_XOR = [0xfd, 0x51];
const extractU8 = (lane: number): Code => [0xfd, 0x16, lane];

/** `while (counter != 0) { body; counter-- }`. */
function loopDown(counter: number, body: Code): Code {
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

interface Func {
  name: string;
  params: number[];
  locals: number[];
  body: Code;
}

/** transpose(cols, rows, W64, m64blocks): see the module comment. */
function transposeFn(): Func {
  // params: 0 cols, 1 rows, 2 W64 (64-bit words per column = m / 64)
  const COLS = 0;
  const ROWS = 1;
  const W = 2;
  const a = Array.from({ length: 64 }, (_, i) => 3 + i); // i64 locals
  const T = 67; // i64
  const P = 68; // i32: load pointer
  const STRIDE = 69; // i32: bytes per column
  const CNT = 70; // i32: remaining words
  const OUT = 71; // i32: output pointer
  const BASE = 72; // i32: column word pointer
  const body: Code = [];
  body.push(...get(W), ...i32c(8), I32_MUL, ...set(STRIDE));
  body.push(...get(W), ...set(CNT));
  body.push(...get(COLS), ...set(BASE));
  body.push(...get(ROWS), ...set(OUT));
  const block: Code = [];
  for (let k = 0; k < 2; k++) {
    // P = BASE + 64 k STRIDE; a_c = load(P + c STRIDE).
    block.push(...get(BASE), ...get(STRIDE), ...i32c(64 * k), I32_MUL, I32_ADD, ...set(P));
    for (let c = 0; c < 64; c++) {
      block.push(...get(P), ...i64load(0), ...set(a[c]!));
      if (c < 63) block.push(...get(P), ...get(STRIDE), I32_ADD, ...set(P));
    }
    const masks = [
      0x00000000ffffffffn,
      0x0000ffff0000ffffn,
      0x00ff00ff00ff00ffn,
      0x0f0f0f0f0f0f0f0fn,
      0x3333333333333333n,
      0x5555555555555555n,
    ];
    let j = 32;
    for (const mask of masks) {
      for (let r = 0; r < 64; r++) {
        if (r & j) continue;
        // t = ((a_r >>> j) ^ a_{r+j}) & mask; a_r ^= t << j; a_{r+j} ^= t
        block.push(
          ...get(a[r]!),
          ...i64c(BigInt(j)),
          I64_SHR_U,
          ...get(a[r + j]!),
          I64_XOR,
          ...i64c(mask),
          I64_AND,
          ...set(T),
          ...get(a[r]!),
          ...get(T),
          ...i64c(BigInt(j)),
          I64_SHL,
          I64_XOR,
          ...set(a[r]!),
          ...get(a[r + j]!),
          ...get(T),
          I64_XOR,
          ...set(a[r + j]!),
        );
      }
      j >>= 1;
    }
    // Row r of this block: 64 bits of columns 64k..64k+63 at OUT + 16 r + 8 k.
    for (let r = 0; r < 64; r++)
      block.push(...get(OUT), ...get(a[r]!), ...i64store(16 * r + 8 * k));
  }
  block.push(...get(BASE), ...i32c(8), I32_ADD, ...set(BASE));
  block.push(...get(OUT), ...i32c(1024), I32_ADD, ...set(OUT));
  body.push(...loopDown(CNT, block));
  return {
    name: 'transpose',
    params: [I32, I32, I32],
    locals: [...new Array<number>(65).fill(I64), I32, I32, I32, I32, I32],
    body,
  };
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
  for (let b = 0; b < 16; b++) {
    // table + (byte_b(x) << 4), offset 4096 b
    step.push(
      ...get(X),
      ...extractU8(b),
      ...i32c(4),
      I32_SHL,
      ...get(TABLE),
      I32_ADD,
      ...v128load(4096 * b),
    );
    if (b > 0) step.push(...V128_XOR);
  }
  step.push(...set(A));
  step.push(...get(ROWS), ...i32c(16), I32_ADD, ...set(ROWS));
  body.push(...loopDown(N, step));
  body.push(...get(ACC), ...get(A), ...v128store(0));
  return { name: 'horner', params: [I32, I32, I32, I32], locals: [V128, V128], body };
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

function assemble(): Uint8Array<ArrayBuffer> {
  const fns = [transposeFn(), hornerFn()];
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

interface Exports {
  memory: WebAssembly.Memory;
  transpose(cols: number, rows: number, w64: number): void;
  horner(table: number, rows: number, n: number, acc: number): void;
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
      if (compiled === undefined) compiled = new WebAssembly.Module(assemble());
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

  /** As GfMulTable.horner, with the table (64 KiB) at byte `table` and acc (16 bytes) at `acc`. */
  horner(table: number, rows: number, n: number, acc: number): void {
    this.#x.horner(table, rows, n, acc);
  }
}
