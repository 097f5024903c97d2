/**
 * Vectors over the prime field F_p with p = 2^127 - 1 (a Mersenne prime).
 *
 * Why this prime: the shamir suite compares k-bit integers by masking them with
 * random (k + 40)-bit values (40-bit statistical security), and fixed-point
 * multiplication doubles the bit length before truncation, so 32-bit fixed-point
 * needs about 64 + 40 + 2 bits of headroom. p = 2^127 - 1 leaves room for that
 * and reduces with shifts: 2^127 = 1 (mod p).
 *
 * Storage: one BigUint64Array with two 64-bit limbs per element (low, high),
 * so vectors travel on the wire and through PRGs as flat typed arrays. Vector
 * kernels run in WebAssembly (./field127-wasm.ts) on chunks copied into its
 * memory; where WebAssembly is unavailable they fall back to BigInt loops
 * (the `reference` namespace, also the ground truth in tests). Scalar helpers
 * (get, set, reduce, inv, pow) use BigInt.
 *
 * Inputs to the vector functions may be any value below 2^127 (p stands for
 * 0); outputs are canonical, in [0, p).
 */
import {
  instantiate,
  instantiateAsync,
  MEMORY_PAGES,
  type Field127Kernels,
} from './field127-wasm.js';

export const P = (1n << 127n) - 1n;
/** Bytes per element on the wire and in storage. */
export const ELEMENT_BYTES = 16;

export type FieldVec = BigUint64Array;

const MASK64 = (1n << 64n) - 1n;

export function alloc(n: number): FieldVec {
  return new BigUint64Array(2 * n);
}

export function length(v: FieldVec): number {
  return v.length >>> 1;
}

/** Element i as a BigInt in [0, p). */
export function get(v: FieldVec, i: number): bigint {
  const x = (v[2 * i + 1]! << 64n) | v[2 * i]!;
  return x === P ? 0n : x;
}

/** Stores x (already in [0, p)) at index i. */
export function set(v: FieldVec, i: number, x: bigint): void {
  v[2 * i] = x & MASK64;
  v[2 * i + 1] = x >> 64n;
}

/** x mod p for any BigInt (negative allowed). */
export function reduce(x: bigint): bigint {
  if (x >= 0n && x < P) return x;
  // Mersenne folding for products (< 2^254), then a final conditional subtraction.
  if (x >= 0n) {
    x = (x & P) + (x >> 127n);
    x = (x & P) + (x >> 127n);
    return x >= P ? x - P : x;
  }
  const r = x % P;
  return r < 0n ? r + P : r;
}

export function fromBigInts(xs: readonly bigint[]): FieldVec {
  const v = alloc(xs.length);
  for (let i = 0; i < xs.length; i++) set(v, i, reduce(xs[i]!));
  return v;
}

export function toBigInts(v: FieldVec): bigint[] {
  const n = length(v);
  const out = new Array<bigint>(n);
  for (let i = 0; i < n; i++) out[i] = get(v, i);
  return out;
}

/** The centered representative of x: values above (p-1)/2 are read as negative. */
export function centered(x: bigint): bigint {
  return x > P >> 1n ? x - P : x;
}

/** The centered representatives of a vector (values above (p-1)/2 are negative). */
export function toCentered(v: FieldVec): bigint[] {
  const n = length(v);
  const out = new Array<bigint>(n);
  const half = P >> 1n;
  const u = new Uint32Array(v.buffer, v.byteOffset, 4 * n);
  const signed = new BigInt64Array(v.buffer, v.byteOffset, 2 * n);
  for (let i = 0; i < n; i++) {
    const k = 4 * i;
    // The common cases take one BigInt: 0 <= x < 2^64, and p - 2^63 <= x < p
    // (small negatives x - p = lo - 2^64 + 1, the low word read as signed, plus 1).
    if (u[k + 2] === 0 && u[k + 3] === 0) {
      out[i] = v[2 * i]!;
    } else if (u[k + 3] === 0x7fffffff && u[k + 2] === 0xffffffff && u[k + 1]! >= 0x80000000) {
      out[i] = u[k + 1] === 0xffffffff && u[k] === 0xffffffff ? 0n : signed[2 * i]! + 1n;
    } else {
      const x = (v[2 * i + 1]! << 64n) | v[2 * i]!;
      out[i] = x === P ? 0n : x > half ? x - P : x;
    }
  }
  return out;
}

// ----- WebAssembly plumbing -----

let K: Field127Kernels | undefined = instantiate();

/** Whether the WebAssembly kernels are in use (false: the BigInt fallback). */
export function accelerated(): boolean {
  return K !== undefined;
}

/**
 * Compiles the WebAssembly kernels asynchronously where synchronous
 * compilation was refused (a browser's main thread); resolves to whether
 * they are in use. Until then, and where WebAssembly is missing, the BigInt
 * fallback computes the same results, slowly.
 */
export async function ready(): Promise<boolean> {
  if (!K) {
    const k = await instantiateAsync();
    if (k && !K) bind(k);
  }
  return K !== undefined;
}

/** Byte layout of the kernel memory: a coefficient table, then operand scratch. */
const TABLE = 0;
const TABLE_BYTES = 256 * 1024;
const SCRATCH = TABLE_BYTES;
const SCRATCH_BYTES = MEMORY_PAGES * 65536 - SCRATCH;
let mem64 = new BigUint64Array(0);
let memI64 = new BigInt64Array(0);
function bind(k: Field127Kernels): void {
  K = k;
  mem64 = new BigUint64Array(k.memory.buffer);
  memI64 = new BigInt64Array(k.memory.buffer);
}
if (K) bind(K);

/** Elements per chunk when `operands` vectors share the scratch area. */
function chunkFor(operands: number): number {
  return Math.max(1, Math.floor(SCRATCH_BYTES / (ELEMENT_BYTES * operands)));
}

function put(v: FieldVec, from: number, len: number, at: number): void {
  mem64.set(v.subarray(2 * from, 2 * (from + len)), at >>> 3);
}
function take(out: FieldVec, from: number, len: number, at: number): void {
  out.set(mem64.subarray(at >>> 3, (at >>> 3) + 2 * len), 2 * from);
}

/** A vector, or several read as their concatenation (saves copying them together). */
export type Vecs = FieldVec | readonly FieldVec[];

function partsOf(v: Vecs): readonly FieldVec[] {
  return v instanceof BigUint64Array ? [v] : v;
}

/** Number of elements in a vector or list of parts. */
export function vecsLength(v: Vecs): number {
  return totalLength(partsOf(v));
}

function totalLength(parts: readonly FieldVec[]): number {
  let n = 0;
  for (const p of parts) n += length(p);
  return n;
}

/** Copies elements [from, from + len) of the concatenation of `parts` to memory at `at`. */
function putParts(parts: readonly FieldVec[], from: number, len: number, at: number): void {
  let skip = from;
  for (const p of parts) {
    const pl = length(p);
    if (skip >= pl) {
      skip -= pl;
      continue;
    }
    const k = Math.min(pl - skip, len);
    put(p, skip, k, at);
    at += k * ELEMENT_BYTES;
    len -= k;
    skip = 0;
    if (len === 0) return;
  }
}

type BinKernel = (a: number, b: number, out: number, n: number, bStride: number) => void;

/** out[i] = f(a[i], b[i]), or f(a[i], b[0]) when `bcast`. */
function binary(k: BinKernel, a: FieldVec, b: FieldVec, bcast = false): FieldVec {
  const n = length(a);
  const out = alloc(n);
  const ch = chunkFor(3);
  const A = SCRATCH;
  const B = A + ch * ELEMENT_BYTES;
  const O = B + ch * ELEMENT_BYTES;
  if (bcast) put(b, 0, 1, B);
  for (let off = 0; off < n; off += ch) {
    const len = Math.min(ch, n - off);
    put(a, off, len, A);
    if (!bcast) put(b, off, len, B);
    k(A, B, O, len, bcast ? 0 : ELEMENT_BYTES);
    take(out, off, len, O);
  }
  return out;
}

// ----- vector operations -----

export function add(a: FieldVec, b: FieldVec): FieldVec {
  checkLength('field127.add', a, b);
  return K ? binary(K.add, a, b) : reference.add(a, b);
}

export function sub(a: FieldVec, b: FieldVec): FieldVec {
  checkLength('field127.sub', a, b);
  return K ? binary(K.sub, a, b) : reference.sub(a, b);
}

export function neg(a: FieldVec): FieldVec {
  if (!K) return reference.neg(a);
  const n = length(a);
  const out = alloc(n);
  const ch = chunkFor(2);
  const A = SCRATCH;
  const O = A + ch * ELEMENT_BYTES;
  for (let off = 0; off < n; off += ch) {
    const len = Math.min(ch, n - off);
    put(a, off, len, A);
    K.neg(A, O, len);
    take(out, off, len, O);
  }
  return out;
}

export function mul(a: FieldVec, b: FieldVec): FieldVec {
  checkLength('field127.mul', a, b);
  return K ? binary(K.mul, a, b) : reference.mul(a, b);
}

/** out[i] = a[i] * c for one constant c. */
export function mulScalar(a: FieldVec, c: bigint): FieldVec {
  if (!K) return reference.mulScalar(a, c);
  return binary(K.mul, a, constant(c), true);
}

/** out[i] = a[i] + c for one constant c. */
export function addScalar(a: FieldVec, c: bigint): FieldVec {
  if (!K) return reference.addScalar(a, c);
  return binary(K.add, a, constant(c), true);
}

/** A one-element vector holding c mod p. */
export function constant(c: bigint): FieldVec {
  const v = alloc(1);
  set(v, 0, reduce(c));
  return v;
}

/** A vector of n copies of c mod p. */
export function filled(n: number, c: bigint): FieldVec {
  const x = reduce(c);
  const v = alloc(n);
  const lo = x & MASK64;
  const hi = x >> 64n;
  for (let i = 0; i < 2 * n; i += 2) {
    v[i] = lo;
    v[i + 1] = hi;
  }
  return v;
}

/** Small coefficients (|c| < 2^32) take the cheaper kernel. */
const SMALL = 1n << 32n;

/**
 * out = sum_j c[j] * vs[j], the linear combination used by Lagrange
 * interpolation and pseudo-random secret sharing.
 * @throws {RangeError} when the counts differ, there are no vectors, or lengths differ.
 */
export function linearCombination(vs: readonly FieldVec[], c: readonly bigint[]): FieldVec {
  if (vs.length !== c.length || vs.length === 0) {
    throw new RangeError(
      `field127.linearCombination: ${vs.length} vectors, ${c.length} coefficients`,
    );
  }
  for (const v of vs) checkLength('field127.linearCombination', vs[0]!, v);
  if (!K) return reference.linearCombination(vs, c);
  const k = vs.length;
  const small = c.every((x) => x > -SMALL && x < SMALL);
  const entry = small ? 16 : 48;
  if (k * entry > TABLE_BYTES) {
    // More terms than the table holds: split into partial sums.
    const half = k >> 1;
    return add(
      linearCombination(vs.slice(0, half), c.slice(0, half)),
      linearCombination(vs.slice(half), c.slice(half)),
    );
  }
  const n = length(vs[0]!);
  const out = alloc(n);
  const ch = chunkFor(k + 1);
  const O = SCRATCH + k * ch * ELEMENT_BYTES;
  for (let j = 0; j < k; j++) {
    const w = (TABLE + j * entry) >>> 3;
    memI64[w] = BigInt(SCRATCH + j * ch * ELEMENT_BYTES);
    if (small) {
      memI64[w + 1] = c[j]!;
    } else {
      const x = reduce(c[j]!);
      for (let l = 0; l < 4; l++) memI64[w + 1 + l] = (x >> BigInt(32 * l)) & 0xffffffffn;
    }
  }
  for (let off = 0; off < n; off += ch) {
    const len = Math.min(ch, n - off);
    for (let j = 0; j < k; j++) put(vs[j]!, off, len, SCRATCH + j * ch * ELEMENT_BYTES);
    (small ? K.linSmall : K.linFull)(TABLE, k, O, len);
    take(out, off, len, O);
  }
  return out;
}

/**
 * Inner products of consecutive groups of m: out[j] = sum_k a[jm+k] b[jm+k].
 * @throws {RangeError} when the lengths differ or are not a multiple of m.
 */
export function dotGroups(a: FieldVec, b: FieldVec, m: number): FieldVec {
  checkLength('field127.dotGroups', a, b);
  const n = length(a);
  if (!Number.isInteger(m) || m <= 0 || n % m !== 0) {
    throw new RangeError(`field127.dotGroups: length ${n} is not a multiple of ${m}`);
  }
  if (!K) return reference.dotGroups(a, b, m);
  const q = n / m;
  const out = alloc(q);
  const ch = chunkFor(3);
  const A = SCRATCH;
  const B = A + ch * ELEMENT_BYTES;
  const O = B + ch * ELEMENT_BYTES;
  if (m <= ch) {
    const g = Math.floor(ch / m);
    for (let j = 0; j < q; j += g) {
      const gl = Math.min(g, q - j);
      put(a, j * m, gl * m, A);
      put(b, j * m, gl * m, B);
      K.dot(A, B, O, gl, m);
      take(out, j, gl, O);
    }
    return out;
  }
  // Long groups: partial sums per chunk, added up.
  const part = alloc(1);
  for (let j = 0; j < q; j++) {
    let acc = alloc(1);
    for (let off = 0; off < m; off += ch) {
      const len = Math.min(ch, m - off);
      put(a, j * m + off, len, A);
      put(b, j * m + off, len, B);
      K.dot(A, B, O, 1, len);
      take(part, 0, 1, O);
      acc = add(acc, part);
    }
    out[2 * j] = acc[0]!;
    out[2 * j + 1] = acc[1]!;
  }
  return out;
}

/**
 * The sender's side of a degree reduction (Gennaro-Rabin-Rabin), fused in
 * one pass: with d = a * b (or d = a when b is undefined) and e = lambda d,
 * returns for each row j of `powers` (x_j^1, ..., x_j^t) the vector
 * e + sum_k c_k x_j^k, where the t coefficient vectors c_k are drawn by
 * `fill` (raw random bytes, 16 per element; the top bit is ignored).
 * `lambda` and the powers must be integers below 2^32 in magnitude.
 * @throws {RangeError} on mismatched lengths or coefficients out of range.
 */
export function polyShares(
  av: Vecs,
  bv: Vecs | undefined,
  lambda: bigint,
  powers: ReadonlyArray<readonly bigint[]>,
  fill: (out: Uint8Array) => void,
): FieldVec[] {
  const a = partsOf(av);
  const b = bv === undefined ? undefined : partsOf(bv);
  const n = totalLength(a);
  if (b && totalLength(b) !== n) {
    throw new RangeError(`field127.polyShares: vector lengths differ (${n} and ${totalLength(b)})`);
  }
  const t = powers[0]?.length ?? 0;
  const small = (x: bigint) => x > -SMALL && x < SMALL;
  if (!small(lambda) || powers.some((row) => row.length !== t || !row.every(small))) {
    throw new RangeError('field127.polyShares: lambda and powers must be below 2^32');
  }
  if (!K) return referencePolyShares(concat(a), b && concat(b), lambda, powers, fill);
  const outs = powers.map(() => alloc(n));
  const nout = powers.length;
  if (8 * (t + nout * (1 + t) + (t + 1) * t) > TABLE_BYTES) {
    throw new RangeError(`field127.polyShares: ${nout} outputs of degree ${t} exceed the table`);
  }
  const ch = Math.floor((SCRATCH_BYTES - 16 * (t + 1)) / (ELEMENT_BYTES * (2 + t + nout)));
  const A = SCRATCH;
  const B = A + ch * ELEMENT_BYTES;
  const Cb = B + ch * ELEMENT_BYTES;
  const Ob = Cb + t * ch * ELEMENT_BYTES;
  // At the points 1, 2, 3, ...: successive additions (grr1 for degree 1,
  // forward differences in grrDiff otherwise); any other points: grr.
  const consecutive =
    t >= 1 && powers.every((row, j) => row.every((x, k) => x === BigInt(j + 1) ** BigInt(k + 1)));
  const otab = TABLE + 8 * t;
  for (let k = 0; k < t; k++) memI64[(TABLE >>> 3) + k] = BigInt(Cb + k * ch * ELEMENT_BYTES);
  for (let j = 0; j < nout; j++) {
    const w = (otab >>> 3) + j * (consecutive ? 1 : 1 + t);
    memI64[w] = BigInt(Ob + j * ch * ELEMENT_BYTES);
    if (!consecutive) for (let k = 0; k < t; k++) memI64[w + 1 + k] = powers[j]![k]!;
  }
  const dtab = otab + 8 * nout * (consecutive ? 1 : 1 + t);
  const vslots = Ob + nout * ch * ELEMENT_BYTES;
  if (consecutive && t > 1) {
    const D = forwardDifferences(t);
    for (let k = 0; k <= t; k++) {
      for (let d = 1; d <= t; d++) memI64[(dtab >>> 3) + k * t + d - 1] = D[k]![d]!;
    }
  }
  const bytes = new Uint8Array(K.memory.buffer);
  for (let off = 0; off < n; off += ch) {
    const len = Math.min(ch, n - off);
    putParts(a, off, len, A);
    if (b) putParts(b, off, len, B);
    for (let k = 0; k < t; k++) {
      const at = Cb + k * ch * ELEMENT_BYTES;
      fill(bytes.subarray(at, at + len * ELEMENT_BYTES));
    }
    const mode = b ? 1 : 0;
    if (consecutive && t === 1) K.grr1(A, B, mode, lambda, Cb, otab, nout, len);
    else if (consecutive) K.grrDiff(A, B, mode, lambda, TABLE, t, dtab, vslots, otab, nout, len);
    else K.grr(A, B, mode, lambda, TABLE, t, otab, nout, len);
    for (let j = 0; j < nout; j++) take(outs[j]!, off, len, Ob + j * ch * ELEMENT_BYTES);
  }
  return outs;
}

/**
 * D[k][d] = Delta^k x^d at x = 1 = sum_i (-1)^(k-i) C(k, i) (1 + i)^d, for
 * k = 0..t (row 0 is 1^d = 1) and d = 0..t: the starting forward differences
 * of x^d at the points 1, 2, 3, ...
 */
function forwardDifferences(t: number): bigint[][] {
  const binom = (k: number, i: number) => {
    let r = 1n;
    for (let j = 1; j <= i; j++) r = (r * BigInt(k - i + j)) / BigInt(j);
    return r;
  };
  return Array.from({ length: t + 1 }, (_, k) =>
    Array.from({ length: t + 1 }, (_, d) => {
      let v = 0n;
      for (let i = 0; i <= k; i++) {
        v += ((k - i) % 2 ? -1n : 1n) * binom(k, i) * BigInt(1 + i) ** BigInt(d);
      }
      return v;
    }),
  );
}

function referencePolyShares(
  a: FieldVec,
  b: FieldVec | undefined,
  lambda: bigint,
  powers: ReadonlyArray<readonly bigint[]>,
  fill: (out: Uint8Array) => void,
): FieldVec[] {
  const n = length(a);
  const t = powers[0]?.length ?? 0;
  const e = reference.mulScalar(b ? reference.mul(a, b) : a, lambda);
  const cs = Array.from({ length: t }, () => {
    const c = alloc(n);
    fill(new Uint8Array(c.buffer));
    return clearTopBits(c);
  });
  return powers.map((row) => reference.linearCombination([e, ...cs], [1n, ...row]));
}

/** out[i] = sum_j vs[j][i]. @throws {RangeError} when there are no vectors or lengths differ. */
export function sumVectors(vs: readonly FieldVec[]): FieldVec {
  if (vs.length === 0) throw new RangeError('field127.sumVectors: no vectors');
  for (const v of vs) checkLength('field127.sumVectors', vs[0]!, v);
  if (!K)
    return reference.linearCombination(
      vs,
      vs.map(() => 1n),
    );
  const k = vs.length;
  if (8 * k > TABLE_BYTES) {
    const half = k >> 1;
    return add(sumVectors(vs.slice(0, half)), sumVectors(vs.slice(half)));
  }
  const n = length(vs[0]!);
  const out = alloc(n);
  const ch = chunkFor(k + 1);
  const O = SCRATCH + k * ch * ELEMENT_BYTES;
  for (let j = 0; j < k; j++) memI64[(TABLE >>> 3) + j] = BigInt(SCRATCH + j * ch * ELEMENT_BYTES);
  for (let off = 0; off < n; off += ch) {
    const len = Math.min(ch, n - off);
    for (let j = 0; j < k; j++) put(vs[j]!, off, len, SCRATCH + j * ch * ELEMENT_BYTES);
    K.sumVecs(TABLE, k, O, len);
    take(out, off, len, O);
  }
  return out;
}

/**
 * Per element, by public bits c (bytes 0/1): e = c ? r : 1 - r and
 * g = c ? 0 : r, i.e. [c == r] and [c < r] for a shared bit r.
 * @throws {RangeError} on a length mismatch.
 */
export function bitCompare(r: FieldVec, c: Uint8Array): { e: FieldVec; g: FieldVec } {
  const n = length(r);
  if (c.length !== n)
    throw new RangeError(`field127.bitCompare: ${c.length} bits for ${n} elements`);
  const e = alloc(n);
  const g = alloc(n);
  if (!K) {
    for (let i = 0; i < n; i++) {
      const x = getAny(r, i);
      set(e, i, c[i] ? reduce(x) : reduce(1n - x));
      set(g, i, c[i] ? 0n : reduce(x));
    }
    return { e, g };
  }
  const ch = Math.floor(SCRATCH_BYTES / (3 * ELEMENT_BYTES + 1));
  const R = SCRATCH;
  const E = R + ch * ELEMENT_BYTES;
  const G = E + ch * ELEMENT_BYTES;
  const CB = G + ch * ELEMENT_BYTES;
  const bytes = new Uint8Array(K.memory.buffer);
  for (let off = 0; off < n; off += ch) {
    const len = Math.min(ch, n - off);
    put(r, off, len, R);
    bytes.set(c.subarray(off, off + len), CB);
    K.eqLess(R, CB, E, G, len);
    take(e, off, len, E);
    take(g, off, len, G);
  }
  return { e, g };
}

/**
 * The first level of a bit comparison from pair products P = rLo rHi of
 * shared bits, by the public bits (cHi, cLo) (bytes 0/1):
 *   (0,0): e = 1 - S, g = S with S = rLo + rHi - P;  (0,1): e = rLo - P, g = rHi;
 *   (1,0): e = rHi - P, g = P;                        (1,1): e = P, g = 0.
 * @throws {RangeError} on a length mismatch.
 */
export function pairCompare(
  rLo: FieldVec,
  rHi: FieldVec,
  P: FieldVec,
  cLo: Uint8Array,
  cHi: Uint8Array,
): { e: FieldVec; g: FieldVec } {
  const n = length(rLo);
  if (length(rHi) !== n || length(P) !== n || cLo.length !== n || cHi.length !== n) {
    throw new RangeError('field127.pairCompare: operand lengths differ');
  }
  const e = alloc(n);
  const g = alloc(n);
  if (!K) {
    for (let i = 0; i < n; i++) {
      const [lo, hi, p] = [getAny(rLo, i), getAny(rHi, i), getAny(P, i)];
      const S = lo + hi - p;
      const [ev, gv] = cHi[i]
        ? cLo[i]
          ? [p, 0n]
          : [hi - p, p]
        : cLo[i]
          ? [lo - p, hi]
          : [1n - S, S];
      set(e, i, reduce(ev));
      set(g, i, reduce(gv));
    }
    return { e, g };
  }
  const ch = Math.floor(SCRATCH_BYTES / (5 * ELEMENT_BYTES + 2));
  const [RL, RH, PP, E, G] = [0, 1, 2, 3, 4].map((k) => SCRATCH + k * ch * ELEMENT_BYTES) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const CB = SCRATCH + 5 * ch * ELEMENT_BYTES;
  const bytes = new Uint8Array(K.memory.buffer);
  for (let off = 0; off < n; off += ch) {
    const len = Math.min(ch, n - off);
    put(rLo, off, len, RL);
    put(rHi, off, len, RH);
    put(P, off, len, PP);
    bytes.set(cLo.subarray(off, off + len), CB);
    bytes.set(cHi.subarray(off, off + len), CB + len);
    K.pairEG(RL, RH, PP, CB, E, G, len);
    take(e, off, len, E);
    take(g, off, len, G);
  }
  return { e, g };
}

/**
 * out[i] = beta[i] ? y[i] (1 - 2 phi) + phi : y[i] for public bits beta
 * (bytes 0/1) and a field constant phi: the XOR of a shared bit y with the
 * bit beta shared by the public polynomial beta phi (a degree-2t result).
 * @throws {RangeError} on a length mismatch.
 */
export function xorPublicBit(y: FieldVec, beta: Uint8Array, phi: bigint): FieldVec {
  const n = length(y);
  if (beta.length !== n) {
    throw new RangeError(`field127.xorPublicBit: ${beta.length} bits for ${n} elements`);
  }
  const f = reduce(phi);
  const k = reduce(1n - 2n * f);
  const out = alloc(n);
  if (!K) {
    for (let i = 0; i < n; i++) set(out, i, beta[i] ? reduce(getAny(y, i) * k + f) : get(y, i));
    return out;
  }
  const ch = Math.floor((SCRATCH_BYTES - 64) / (2 * ELEMENT_BYTES + 1));
  const KP = SCRATCH;
  const Y = KP + 64;
  const O = Y + ch * ELEMENT_BYTES;
  const BB = O + ch * ELEMENT_BYTES;
  for (let l = 0; l < 4; l++) memI64[(KP >>> 3) + l] = (k >> BigInt(32 * l)) & 0xffffffffn;
  memI64[(KP >>> 3) + 4] = BigInt.asIntN(64, f & MASK64);
  memI64[(KP >>> 3) + 5] = f >> 64n;
  const bytes = new Uint8Array(K.memory.buffer);
  for (let off = 0; off < n; off += ch) {
    const len = Math.min(ch, n - off);
    put(y, off, len, Y);
    bytes.set(beta.subarray(off, off + len), BB);
    K.xorBit(Y, BB, KP, O, len);
    take(out, off, len, O);
  }
  return out;
}

/** Sums of consecutive groups of m elements. @throws {RangeError} unless m divides the length. */
export function sumGroups(a: FieldVec, m: number): FieldVec {
  const n = length(a);
  if (!Number.isInteger(m) || m <= 0 || n % m !== 0) {
    throw new RangeError(`field127.sumGroups: length ${n} is not a multiple of ${m}`);
  }
  if (!K) return reference.sumGroups(a, m);
  const q = n / m;
  const out = alloc(q);
  const ch = chunkFor(2);
  const A = SCRATCH;
  const O = A + ch * ELEMENT_BYTES;
  if (m <= ch) {
    const g = Math.floor(ch / m);
    for (let j = 0; j < q; j += g) {
      const gl = Math.min(g, q - j);
      put(a, j * m, gl * m, A);
      K.sumGroups(A, O, gl, m);
      take(out, j, gl, O);
    }
    return out;
  }
  const part = alloc(1);
  for (let j = 0; j < q; j++) {
    let acc = alloc(1);
    for (let off = 0; off < m; off += ch) {
      const len = Math.min(ch, m - off);
      put(a, j * m + off, len, A);
      K.sumGroups(A, O, 1, len);
      take(part, 0, 1, O);
      acc = add(acc, part);
    }
    out[2 * j] = acc[0]!;
    out[2 * j + 1] = acc[1]!;
  }
  return out;
}

/** Encodes signed integers as field elements (x < 0 maps to p + x). */
export function fromSigned(xs: BigInt64Array): FieldVec {
  if (!K) return reference.fromSigned(xs);
  const n = xs.length;
  const out = alloc(n);
  const ch = chunkFor(2);
  const I = SCRATCH;
  const O = I + ch * ELEMENT_BYTES;
  for (let off = 0; off < n; off += ch) {
    const len = Math.min(ch, n - off);
    memI64.set(xs.subarray(off, off + len), I >>> 3);
    K.fromSigned(I, O, len);
    take(out, off, len, O);
  }
  return out;
}

/** Elements v[idx[0]], v[idx[1]], ... @throws {RangeError} for an index out of range. */
export function gather(v: FieldVec, idx: Uint32Array): FieldVec {
  const n = length(v);
  const out = alloc(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const j = idx[i]!;
    if (j >= n) throw new RangeError(`field127.gather: index ${j} out of range (length ${n})`);
    out[2 * i] = v[2 * j]!;
    out[2 * i + 1] = v[2 * j + 1]!;
  }
  return out;
}

/** The vectors joined end to end. */
export function concat(parts: readonly FieldVec[]): FieldVec {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new BigUint64Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Elements [from, to) (a view, not a copy). */
export function slice(v: FieldVec, from: number, to: number): FieldVec {
  return v.subarray(2 * from, 2 * to);
}

/** Multiplicative inverse by Fermat: x^(p-2). @throws {RangeError} for 0. */
export function inv(x: bigint): bigint {
  x = reduce(x);
  if (x === 0n) throw new RangeError('field127.inv: zero has no inverse');
  return pow(x, P - 2n);
}

export function pow(x: bigint, e: bigint): bigint {
  let r = 1n;
  let b = reduce(x);
  while (e > 0n) {
    if (e & 1n) r = reduce(r * b);
    b = reduce(b * b);
    e >>= 1n;
  }
  return r;
}

/**
 * Maps 16 random bytes per element to F_p: the low 127 bits, with the one
 * value equal to p folded to 0 (bias 2^-127, negligible).
 */
export function fromRandomWords(words: BigUint64Array): FieldVec {
  const out = new BigUint64Array(words.length);
  out.set(words);
  clearTopBits(out);
  return out;
}

/**
 * In place: keeps the low 127 bits of each 128-bit word pair and folds the
 * value p to 0, using 32-bit views (no BigInt per element).
 */
export function clearTopBits(v: FieldVec): FieldVec {
  const u = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
  for (let i = 3; i < u.length; i += 4) {
    const top = (u[i] = u[i]! & 0x7fffffff);
    if (
      top === 0x7fffffff &&
      u[i - 1] === 0xffffffff &&
      u[i - 2] === 0xffffffff &&
      u[i - 3] === 0xffffffff
    ) {
      u[i] = u[i - 1] = u[i - 2] = u[i - 3] = 0;
    }
  }
  return v;
}

/**
 * In place: keeps the low `bits` bits (bits <= 127) of each element, turning
 * uniform random words into uniform integers in [0, 2^bits).
 */
export function keepLowBits(v: FieldVec, bits: number): FieldVec {
  if (!Number.isInteger(bits) || bits < 0 || bits > 127) {
    throw new RangeError(`field127.keepLowBits: expected 0..127 bits, got ${bits}`);
  }
  if (bits === 127) return clearTopBits(v);
  const u = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
  const masks = [0, 1, 2, 3].map((l) => {
    const b = Math.min(32, Math.max(0, bits - 32 * l));
    return b === 32 ? 0xffffffff : (1 << b) - 1;
  });
  const [m0, m1, m2, m3] = masks as [number, number, number, number];
  for (let i = 0; i < u.length; i += 4) {
    u[i] = u[i]! & m0;
    u[i + 1] = u[i + 1]! & m1;
    u[i + 2] = u[i + 2]! & m2;
    u[i + 3] = u[i + 3]! & m3;
  }
  return v;
}

function checkLength(op: string, a: FieldVec, b: FieldVec): void {
  if (a.length !== b.length) {
    throw new RangeError(`${op}: vector lengths differ (${length(a)} and ${length(b)})`);
  }
}

/**
 * The BigInt implementations: the fallback where WebAssembly is missing,
 * and the ground truth the kernels are tested against.
 */
export const reference = {
  add(a: FieldVec, b: FieldVec): FieldVec {
    return map2(a, b, (x, y) => reduce(x + y));
  },
  sub(a: FieldVec, b: FieldVec): FieldVec {
    return map2(a, b, (x, y) => reduce(x - y));
  },
  neg(a: FieldVec): FieldVec {
    return map2(a, a, (x) => reduce(-x));
  },
  mul(a: FieldVec, b: FieldVec): FieldVec {
    return map2(a, b, (x, y) => reduce(x * y));
  },
  mulScalar(a: FieldVec, c: bigint): FieldVec {
    const k = reduce(c);
    return map2(a, a, (x) => reduce(x * k));
  },
  addScalar(a: FieldVec, c: bigint): FieldVec {
    const k = reduce(c);
    return map2(a, a, (x) => reduce(x + k));
  },
  linearCombination(vs: readonly FieldVec[], c: readonly bigint[]): FieldVec {
    const n = length(vs[0]!);
    const out = alloc(n);
    for (let i = 0; i < n; i++) {
      let s = 0n;
      for (let j = 0; j < vs.length; j++) s += getAny(vs[j]!, i) * c[j]!;
      set(out, i, reduce(s));
    }
    return out;
  },
  dotGroups(a: FieldVec, b: FieldVec, m: number): FieldVec {
    const q = length(a) / m;
    const out = alloc(q);
    for (let j = 0; j < q; j++) {
      let s = 0n;
      for (let k = j * m; k < (j + 1) * m; k++) s += getAny(a, k) * getAny(b, k);
      set(out, j, reduce(s));
    }
    return out;
  },
  sumGroups(a: FieldVec, m: number): FieldVec {
    const q = length(a) / m;
    const out = alloc(q);
    for (let j = 0; j < q; j++) {
      let s = 0n;
      for (let k = j * m; k < (j + 1) * m; k++) s += getAny(a, k);
      set(out, j, reduce(s));
    }
    return out;
  },
  fromSigned(xs: BigInt64Array): FieldVec {
    const v = alloc(xs.length);
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!;
      set(v, i, x < 0n ? P + x : x);
    }
    return v;
  },
};

/** Element i as a BigInt below 2^127, not necessarily reduced (p allowed). */
function getAny(v: FieldVec, i: number): bigint {
  return (v[2 * i + 1]! << 64n) | v[2 * i]!;
}

function map2(a: FieldVec, b: FieldVec, f: (x: bigint, y: bigint) => bigint): FieldVec {
  const n = length(a);
  const out = alloc(n);
  const bc = length(b) === 1;
  for (let i = 0; i < n; i++) set(out, i, f(getAny(a, i), getAny(b, bc ? 0 : i)));
  return out;
}
