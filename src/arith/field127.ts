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
 * so vectors travel on the wire and through PRGs as flat typed arrays. The
 * kernels below convert limb pairs to BigInt internally; that cost is isolated
 * here so that a WebAssembly kernel can replace it without touching callers.
 */

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
  return (v[2 * i + 1]! << 64n) | v[2 * i]!;
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

/** Encodes signed integers as field elements (x < 0 maps to p + x). */
export function fromSigned(xs: BigInt64Array): FieldVec {
  const v = alloc(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    set(v, i, x < 0n ? P + x : x);
  }
  return v;
}

/** The centered representative of x: values above (p-1)/2 are read as negative. */
export function centered(x: bigint): bigint {
  return x > P >> 1n ? x - P : x;
}

export function add(a: FieldVec, b: FieldVec): FieldVec {
  checkLength('field127.add', a, b);
  const n = length(a);
  const out = alloc(n);
  for (let i = 0; i < n; i++) {
    let s = get(a, i) + get(b, i);
    if (s >= P) s -= P;
    set(out, i, s);
  }
  return out;
}

export function sub(a: FieldVec, b: FieldVec): FieldVec {
  checkLength('field127.sub', a, b);
  const n = length(a);
  const out = alloc(n);
  for (let i = 0; i < n; i++) {
    let s = get(a, i) - get(b, i);
    if (s < 0n) s += P;
    set(out, i, s);
  }
  return out;
}

export function neg(a: FieldVec): FieldVec {
  const n = length(a);
  const out = alloc(n);
  for (let i = 0; i < n; i++) {
    const x = get(a, i);
    set(out, i, x === 0n ? 0n : P - x);
  }
  return out;
}

export function mul(a: FieldVec, b: FieldVec): FieldVec {
  checkLength('field127.mul', a, b);
  const n = length(a);
  const out = alloc(n);
  for (let i = 0; i < n; i++) set(out, i, reduce(get(a, i) * get(b, i)));
  return out;
}

/** out[i] = a[i] * c for one constant c. */
export function mulScalar(a: FieldVec, c: bigint): FieldVec {
  const k = reduce(c);
  const n = length(a);
  const out = alloc(n);
  for (let i = 0; i < n; i++) set(out, i, reduce(get(a, i) * k));
  return out;
}

/** out[i] = a[i] + c for one constant c. */
export function addScalar(a: FieldVec, c: bigint): FieldVec {
  const k = reduce(c);
  const n = length(a);
  const out = alloc(n);
  for (let i = 0; i < n; i++) {
    let s = get(a, i) + k;
    if (s >= P) s -= P;
    set(out, i, s);
  }
  return out;
}

/** out = sum_j c[j] * vs[j], the linear combination used by Lagrange interpolation. */
export function linearCombination(vs: readonly FieldVec[], c: readonly bigint[]): FieldVec {
  if (vs.length !== c.length || vs.length === 0) {
    throw new RangeError(
      `field127.linearCombination: ${vs.length} vectors, ${c.length} coefficients`,
    );
  }
  const n = length(vs[0]!);
  const out = alloc(n);
  for (let i = 0; i < n; i++) {
    let s = 0n;
    for (let j = 0; j < vs.length; j++) s += get(vs[j]!, i) * c[j]!;
    set(out, i, reduce(s));
  }
  return out;
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
  for (let i = 0; i < words.length; i += 2) {
    const lo = words[i]!;
    const hi = words[i + 1]! & 0x7fffffffffffffffn;
    const isP = lo === MASK64 && hi === 0x7fffffffffffffffn;
    out[i] = isP ? 0n : lo;
    out[i + 1] = isP ? 0n : hi;
  }
  return out;
}

function checkLength(op: string, a: FieldVec, b: FieldVec): void {
  if (a.length !== b.length) {
    throw new RangeError(`${op}: vector lengths differ (${length(a)} and ${length(b)})`);
  }
}
