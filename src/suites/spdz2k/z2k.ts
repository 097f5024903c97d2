/**
 * Vectors over Z_2^(64 L) for L = 2 (128 bits: spdz2k's online shares and
 * MACs, k + s = 64 + 64) and L = 3 (192 bits: k + 2s, where preprocessing
 * checks triples), as L little-endian 64-bit limbs per element, interleaved
 * in one BigUint64Array (element i at [L i, L i + L)).
 *
 * Kernels keep every BigInt intermediate in 64 bits (BigInt.asUintN or a
 * typed-array store), which V8 compiles to machine words; the 64 x 64 -> 128
 * product splits operands into 32-bit halves (measured ~175 M/s here).
 */

export type Limbs = 2 | 3;

const M32 = 0xffffffffn;

/** High 64 bits of the 128-bit product x y (x, y < 2^64). */
export function mulhi(x: bigint, y: bigint): bigint {
  const x0 = BigInt.asUintN(64, x & M32);
  const x1 = BigInt.asUintN(64, x >> 32n);
  const y0 = BigInt.asUintN(64, y & M32);
  const y1 = BigInt.asUintN(64, y >> 32n);
  const p01 = BigInt.asUintN(64, x0 * y1);
  const p10 = BigInt.asUintN(64, x1 * y0);
  const mid = BigInt.asUintN(64, ((x0 * y0) >> 32n) + (p01 & M32) + (p10 & M32));
  return BigInt.asUintN(64, x1 * y1 + (p01 >> 32n) + (p10 >> 32n) + (mid >> 32n));
}

/** A zero vector of n elements. */
export function zeros(L: Limbs, n: number): BigUint64Array {
  return new BigUint64Array(L * n);
}

/** out = a + b (elementwise, mod 2^(64 L)). */
export function add(
  L: Limbs,
  a: BigUint64Array,
  b: BigUint64Array,
  out: BigUint64Array = new BigUint64Array(a.length),
): BigUint64Array {
  if (a.length !== b.length)
    throw new RangeError(`z2k.add: lengths differ (${a.length}, ${b.length})`);
  if (L === 2) {
    for (let i = 0; i < a.length; i += 2) {
      const lo = BigInt.asUintN(64, a[i]! + b[i]!);
      const c = lo < a[i]! ? 1n : 0n;
      out[i + 1] = a[i + 1]! + b[i + 1]! + c;
      out[i] = lo;
    }
    return out;
  }
  for (let i = 0; i < a.length; i += 3) {
    const l0 = BigInt.asUintN(64, a[i]! + b[i]!);
    const c0 = l0 < a[i]! ? 1n : 0n;
    const s1 = BigInt.asUintN(64, a[i + 1]! + b[i + 1]!);
    const c1a = s1 < a[i + 1]! ? 1n : 0n;
    const l1 = BigInt.asUintN(64, s1 + c0);
    const c1b = l1 < s1 ? 1n : 0n;
    out[i + 2] = a[i + 2]! + b[i + 2]! + c1a + c1b;
    out[i + 1] = l1;
    out[i] = l0;
  }
  return out;
}

/** out = -a. */
export function neg(
  L: Limbs,
  a: BigUint64Array,
  out: BigUint64Array = new BigUint64Array(a.length),
): BigUint64Array {
  for (let i = 0; i < a.length; i += L) {
    // -a = ~a + 1
    let carry = 1n;
    for (let j = 0; j < L; j++) {
      const v = BigInt.asUintN(64, ~a[i + j]! + carry);
      carry = carry === 1n && v === 0n ? 1n : 0n;
      out[i + j] = v;
    }
  }
  return out;
}

/** out = a - b. */
export function sub(
  L: Limbs,
  a: BigUint64Array,
  b: BigUint64Array,
  out: BigUint64Array = new BigUint64Array(a.length),
): BigUint64Array {
  if (a.length !== b.length)
    throw new RangeError(`z2k.sub: lengths differ (${a.length}, ${b.length})`);
  if (L === 2) {
    for (let i = 0; i < a.length; i += 2) {
      const lo = BigInt.asUintN(64, a[i]! - b[i]!);
      const borrow = a[i]! < b[i]! ? 1n : 0n;
      out[i + 1] = a[i + 1]! - b[i + 1]! - borrow;
      out[i] = lo;
    }
    return out;
  }
  for (let i = 0; i < a.length; i += 3) {
    const l0 = BigInt.asUintN(64, a[i]! - b[i]!);
    const b0 = a[i]! < b[i]! ? 1n : 0n;
    const d1 = BigInt.asUintN(64, a[i + 1]! - b[i + 1]!);
    const b1a = a[i + 1]! < b[i + 1]! ? 1n : 0n;
    const l1 = BigInt.asUintN(64, d1 - b0);
    const b1b = d1 < b0 ? 1n : 0n;
    out[i + 2] = a[i + 2]! - b[i + 2]! - b1a - b1b;
    out[i + 1] = l1;
    out[i] = l0;
  }
  return out;
}

/** out[i] = a[i] * w[i] for 64-bit words w (one per element). */
export function mulWords(
  L: Limbs,
  a: BigUint64Array,
  w: BigUint64Array,
  out: BigUint64Array = new BigUint64Array(a.length),
): BigUint64Array {
  if (a.length !== L * w.length)
    throw new RangeError(`z2k.mulWords: ${a.length / L} elements, ${w.length} words`);
  if (L === 2) {
    for (let i = 0, e = 0; i < a.length; i += 2, e++) {
      const y = w[e]!;
      const a0 = a[i]!;
      // mulhi(a0, y), inlined: a BigInt returned from a call is boxed.
      const x0 = BigInt.asUintN(64, a0 & M32);
      const x1 = BigInt.asUintN(64, a0 >> 32n);
      const y0 = BigInt.asUintN(64, y & M32);
      const y1 = BigInt.asUintN(64, y >> 32n);
      const p01 = BigInt.asUintN(64, x0 * y1);
      const p10 = BigInt.asUintN(64, x1 * y0);
      const mid = BigInt.asUintN(64, ((x0 * y0) >> 32n) + (p01 & M32) + (p10 & M32));
      const h = BigInt.asUintN(64, x1 * y1 + (p01 >> 32n) + (p10 >> 32n) + (mid >> 32n));
      out[i + 1] = h + a[i + 1]! * y;
      out[i] = a0 * y;
    }
    return out;
  }
  for (let i = 0, e = 0; i < a.length; i += 3, e++) {
    const y = w[e]!;
    const a0 = a[i]!;
    const a1 = a[i + 1]!;
    // mulhi(a0, y) and mulhi(a1, y), inlined (a BigInt returned from a call is boxed).
    const y0 = BigInt.asUintN(64, y & M32);
    const y1 = BigInt.asUintN(64, y >> 32n);
    const u0 = BigInt.asUintN(64, a0 & M32);
    const u1 = BigInt.asUintN(64, a0 >> 32n);
    const p01 = BigInt.asUintN(64, u0 * y1);
    const p10 = BigInt.asUintN(64, u1 * y0);
    const mid = BigInt.asUintN(64, ((u0 * y0) >> 32n) + (p01 & M32) + (p10 & M32));
    const h0 = BigInt.asUintN(64, u1 * y1 + (p01 >> 32n) + (p10 >> 32n) + (mid >> 32n));
    const v0 = BigInt.asUintN(64, a1 & M32);
    const v1 = BigInt.asUintN(64, a1 >> 32n);
    const q01 = BigInt.asUintN(64, v0 * y1);
    const q10 = BigInt.asUintN(64, v1 * y0);
    const mid2 = BigInt.asUintN(64, ((v0 * y0) >> 32n) + (q01 & M32) + (q10 & M32));
    const h1 = BigInt.asUintN(64, v1 * y1 + (q01 >> 32n) + (q10 >> 32n) + (mid2 >> 32n));
    const l1 = BigInt.asUintN(64, a1 * y);
    const s1 = BigInt.asUintN(64, l1 + h0);
    const c1 = s1 < l1 ? 1n : 0n;
    out[i + 2] = a[i + 2]! * y + h1 + c1;
    out[i + 1] = s1;
    out[i] = a0 * y;
  }
  return out;
}

/** out[i] = a[i] * w for one 64-bit word w. */
export function mulWord(
  L: Limbs,
  a: BigUint64Array,
  w: bigint,
  out: BigUint64Array = new BigUint64Array(a.length),
): BigUint64Array {
  const y = BigInt.asUintN(64, w);
  const ws = new BigUint64Array(a.length / L).fill(y);
  return mulWords(L, a, ws, out);
}

/** out[i] = a[i] * b[i] mod 2^(64 L) (full-width operands). */
export function mul(
  L: Limbs,
  a: BigUint64Array,
  b: BigUint64Array,
  out: BigUint64Array = new BigUint64Array(a.length),
): BigUint64Array {
  if (a.length !== b.length)
    throw new RangeError(`z2k.mul: lengths differ (${a.length}, ${b.length})`);
  const t = new BigUint64Array(1);
  for (let i = 0; i < a.length; i += L) {
    const a0 = a[i]!;
    const a1 = a[i + 1]!;
    const b0 = b[i]!;
    const b1 = b[i + 1]!;
    if (L === 2) {
      t[0] = mulhi(a0, b0) + a0 * b1;
      t[0] = t[0]! + a1 * b0;
      out[i + 1] = t[0]!;
      out[i] = a0 * b0;
      continue;
    }
    const a2 = a[i + 2]!;
    const b2 = b[i + 2]!;
    // limb 1: hi(a0 b0) + lo(a0 b1) + lo(a1 b0), carries into limb 2.
    const h00 = mulhi(a0, b0);
    const x = BigInt.asUintN(64, a0 * b1);
    const y = BigInt.asUintN(64, a1 * b0);
    const s = BigInt.asUintN(64, h00 + x);
    const c1 = s < h00 ? 1n : 0n;
    const l1 = BigInt.asUintN(64, s + y);
    const c2 = l1 < s ? 1n : 0n;
    t[0] = mulhi(a0, b1) + mulhi(a1, b0);
    t[0] = t[0]! + a0 * b2;
    t[0] = t[0]! + a1 * b1;
    t[0] = t[0]! + a2 * b0;
    t[0] = t[0]! + c1 + c2;
    out[i + 2] = t[0]!;
    out[i + 1] = l1;
    out[i] = a0 * b0;
  }
  return out;
}

/** Sum of all elements. */
export function sum(L: Limbs, a: BigUint64Array): BigUint64Array {
  const acc = new BigUint64Array(L);
  for (let i = 0; i < a.length; i += L) add(L, acc, a.subarray(i, i + L), acc);
  return acc;
}

/** Sums of consecutive groups of m elements. */
export function sumGroups(L: Limbs, a: BigUint64Array, m: number): BigUint64Array {
  const n = a.length / L;
  if (m <= 0 || n % m !== 0) throw new RangeError(`z2k.sumGroups: ${n} is not a multiple of ${m}`);
  const q = n / m;
  const out = new BigUint64Array(L * q);
  for (let j = 0; j < q; j++) {
    const acc = out.subarray(L * j, L * j + L);
    for (let k = 0; k < m; k++) {
      const o = L * (j * m + k);
      add(L, acc, a.subarray(o, o + L), acc);
    }
  }
  return out;
}

/** Elements a[idx[0]], a[idx[1]], ... */
export function gather(L: Limbs, a: BigUint64Array, idx: Uint32Array): BigUint64Array {
  const n = a.length / L;
  const out = new BigUint64Array(L * idx.length);
  for (let i = 0; i < idx.length; i++) {
    const j = idx[i]!;
    if (j >= n) throw new RangeError(`gather: index ${j} out of range (length ${n})`);
    for (let l = 0; l < L; l++) out[L * i + l] = a[L * j + l]!;
  }
  return out;
}

/** Words (64-bit, one per element) lifted to L limbs: zero-extended, or sign-extended if `signed`. */
export function lift(L: Limbs, w: BigUint64Array, signed = false): BigUint64Array {
  const out = new BigUint64Array(L * w.length);
  const ones = (1n << 64n) - 1n;
  for (let i = 0; i < w.length; i++) {
    out[L * i] = w[i]!;
    if (signed && w[i]! >> 63n) for (let l = 1; l < L; l++) out[L * i + l] = ones;
  }
  return out;
}

/** The low limb of each element. */
export function low(L: Limbs, a: BigUint64Array): BigUint64Array {
  const n = a.length / L;
  const out = new BigUint64Array(n);
  for (let i = 0; i < n; i++) out[i] = a[L * i]!;
  return out;
}

/** Re-limbs elements from L to L2 limbs (truncating, or zero-extending). */
export function resize(L: Limbs, a: BigUint64Array, L2: Limbs): BigUint64Array {
  const n = a.length / L;
  const out = new BigUint64Array(L2 * n);
  const k = Math.min(L, L2);
  for (let i = 0; i < n; i++) for (let l = 0; l < k; l++) out[L2 * i + l] = a[L * i + l]!;
  return out;
}

/** a * 2^s for 0 <= s < 64 L (a limb shift and a word shift). */
export function shiftLeft(L: Limbs, a: BigUint64Array, s: number): BigUint64Array {
  const out = new BigUint64Array(a.length);
  const limb = Math.floor(s / 64);
  const bits = s % 64;
  const up = 1n << BigInt(bits);
  for (let i = 0; i < a.length; i += L) {
    let carry = 0n;
    for (let l = 0; l + limb < L; l++) {
      const v = a[i + l]!;
      out[i + l + limb] = BigInt.asUintN(64, v * up) | carry;
      carry = bits === 0 ? 0n : mulhi(v, up);
    }
  }
  return out;
}

/** Element i as a bigint (for tests and scalar work). */
export function toBig(L: Limbs, a: BigUint64Array, i: number): bigint {
  let x = 0n;
  for (let l = L - 1; l >= 0; l--) x = (x << 64n) | a[L * i + l]!;
  return x;
}

/** A vector from bigints (taken mod 2^(64 L)). */
export function fromBig(L: Limbs, xs: readonly bigint[]): BigUint64Array {
  const out = new BigUint64Array(L * xs.length);
  xs.forEach((x, i) => {
    let v = BigInt.asUintN(64 * L, x);
    for (let l = 0; l < L; l++) {
      out[L * i + l] = BigInt.asUintN(64, v);
      v >>= 64n;
    }
  });
  return out;
}
