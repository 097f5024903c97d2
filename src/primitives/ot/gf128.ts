/**
 * GF(2^128) = GF(2)[X] / (X^128 + X^7 + X^2 + X + 1), for the KOS consistency
 * check. An element is four 32-bit words, bit j of word (j >> 5) holding the
 * coefficient of X^j (the same layout as OT-extension rows, so a row is a
 * field element without conversion).
 *
 * The check evaluates a polynomial at a random point by Horner's rule, i.e.
 * many multiplications by one fixed element chi; that map is GF(2)-linear, so
 * it is tabulated once (16 tables of 256 products, one per input byte, 64
 * KiB) and each product is 16 lookups.
 */

/** a * X, reduced. */
function mulX(a: Uint32Array): void {
  const carry = a[3]! >>> 31;
  a[3] = (a[3]! << 1) | (a[2]! >>> 31);
  a[2] = (a[2]! << 1) | (a[1]! >>> 31);
  a[1] = (a[1]! << 1) | (a[0]! >>> 31);
  a[0] = (a[0]! << 1) ^ (carry * 0x87);
}

/** The general product a * b (bit-serial; for a handful of values only). */
export function gfMul(a: Uint32Array, b: Uint32Array): Uint32Array {
  const acc = new Uint32Array(4);
  const x = a.slice(0, 4);
  for (let j = 0; j < 128; j++) {
    if ((b[j >>> 5]! >>> (j & 31)) & 1) for (let w = 0; w < 4; w++) acc[w] = acc[w]! ^ x[w]!;
    mulX(x);
  }
  return acc;
}

/** Multiplication by a fixed element chi, by byte tables. */
export class GfMulTable {
  /** Entry (k, b) at words [4 (256 k + b), +4): chi * (b X^(8k)). */
  readonly table = new Uint32Array(16 * 256 * 4);

  constructor(chi: Uint32Array) {
    const basis = new Uint32Array(128 * 4);
    const x = chi.slice(0, 4);
    for (let j = 0; j < 128; j++) {
      basis.set(x, 4 * j);
      mulX(x);
    }
    const t = this.table;
    for (let k = 0; k < 16; k++) {
      for (let b = 1; b < 256; b++) {
        const low = 31 - Math.clz32(b & -b); // lowest set bit of b
        const prev = 4 * (256 * k + (b & (b - 1)));
        const e = 4 * (8 * k + low);
        const o = 4 * (256 * k + b);
        for (let w = 0; w < 4; w++) t[o + w] = t[prev + w]! ^ basis[e + w]!;
      }
    }
  }

  /**
   * Horner's rule over rows: acc = (acc xor row_i) * chi for i = 0..n-1, from
   * `acc` (4 words, updated in place). Returns sum_i row_i chi^(n - i) + acc chi^n.
   */
  horner(rows: Uint32Array, n: number, acc: Uint32Array): void {
    const t = this.table;
    let a0 = acc[0]!;
    let a1 = acc[1]!;
    let a2 = acc[2]!;
    let a3 = acc[3]!;
    for (let i = 0, r = 0; i < n; i++, r += 4) {
      const x0 = a0 ^ rows[r]!;
      const x1 = a1 ^ rows[r + 1]!;
      const x2 = a2 ^ rows[r + 2]!;
      const x3 = a3 ^ rows[r + 3]!;
      a0 = a1 = a2 = a3 = 0;
      for (let k = 0; k < 16; k++) {
        const word = k < 4 ? x0 : k < 8 ? x1 : k < 12 ? x2 : x3;
        const o = (((k << 8) | ((word >>> ((k & 3) << 3)) & 255)) << 2) >>> 0;
        a0 ^= t[o]!;
        a1 ^= t[o + 1]!;
        a2 ^= t[o + 2]!;
        a3 ^= t[o + 3]!;
      }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
  }

  /** acc * chi, in place. */
  mulInPlace(acc: Uint32Array): void {
    const saved = acc.slice(0, 4);
    acc.fill(0);
    this.horner(saved, 1, acc);
  }
}

/** chi^e by square-and-multiply (e >= 1). */
export function gfPow(chi: Uint32Array, e: number): Uint32Array {
  let result: Uint32Array<ArrayBufferLike> | undefined;
  let base: Uint32Array<ArrayBufferLike> = chi.slice(0, 4);
  for (let k = e; k > 0; k = Math.floor(k / 2)) {
    if (k % 2) result = result ? gfMul(result, base) : base.slice();
    if (k > 1) base = gfMul(base, base);
  }
  if (!result) throw new RangeError(`gfPow: exponent ${e} < 1`);
  return result;
}

/**
 * The polynomial hash sum_i row_i chi^(m - i) from four interleaved chains
 * acc_k = sum_j row_(4j+k) c^(m/4 - 1 - j), c = chi^4 (the horner4 kernel,
 * all accumulators starting at zero): row 4j+k carries chi^(m - 4 - 4j) in
 * chain k and needs chi^(m - 4j - k), so chain k is multiplied by chi^(4 - k).
 */
export function combineChains(chi: Uint32Array, accs: Uint32Array): Uint32Array {
  const out = new Uint32Array(4);
  let p: Uint32Array<ArrayBufferLike> = chi.slice(0, 4); // chi^(4 - k) for k = 3, 2, 1, 0
  for (let k = 3; k >= 0; k--) {
    const t = gfMul(accs.subarray(4 * k, 4 * k + 4), p);
    for (let w = 0; w < 4; w++) out[w] = out[w]! ^ t[w]!;
    if (k > 0) p = gfMul(p, chi);
  }
  return out;
}

/**
 * evalBits for m a multiple of 128, a 128-bit block at a time: with
 * i = 128 q + k, the sum is sum_q chi^(128 (Q - 1 - q)) L(R_q), where R_q is
 * block q of r and L(R) = sum_k R_k chi^(128 - k) is GF(2)-linear, so L is
 * tabulated by bytes like a product (16 lookups) and the outer sum is
 * Horner's rule with the fixed factor chi^128 (16 more): 32 lookups per 128
 * bits instead of 256.
 */
function evalBitBlocks(chi: Uint32Array, r: Uint32Array, m: number): Uint32Array {
  // L's table: entry (k, b) = L(b << 8k), built from L(e_j) = chi^(128 - j).
  const L = new Uint32Array(16 * 256 * 4);
  const basis = new Uint32Array(128 * 4);
  let pw: Uint32Array<ArrayBufferLike> = chi.slice(0, 4); // chi^(128 - j), j = 127 down to 0
  for (let j = 127; j >= 0; j--) {
    basis.set(pw, 4 * j);
    if (j > 0) pw = gfMul(pw, chi);
  }
  for (let k = 0; k < 16; k++) {
    for (let b = 1; b < 256; b++) {
      const low = 31 - Math.clz32(b & -b);
      const prev = 4 * (256 * k + (b & (b - 1)));
      const e = 4 * (8 * k + low);
      const o = 4 * (256 * k + b);
      for (let w = 0; w < 4; w++) L[o + w] = L[prev + w]! ^ basis[e + w]!;
    }
  }
  const T = new GfMulTable(gfPow(chi, 128)).table;
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  for (let q = 0; q < m >>> 7; q++) {
    let b0 = 0;
    let b1 = 0;
    let b2 = 0;
    let b3 = 0;
    for (let k = 0; k < 16; k++) {
      // acc chi^128 ...
      const aw = k < 4 ? a0 : k < 8 ? a1 : k < 12 ? a2 : a3;
      const o = (((k << 8) | ((aw >>> ((k & 3) << 3)) & 255)) << 2) >>> 0;
      b0 ^= T[o]!;
      b1 ^= T[o + 1]!;
      b2 ^= T[o + 2]!;
      b3 ^= T[o + 3]!;
      // ... xor L(R_q)
      const rw = r[4 * q + (k >>> 2)]!;
      const ol = (((k << 8) | ((rw >>> ((k & 3) << 3)) & 255)) << 2) >>> 0;
      b0 ^= L[ol]!;
      b1 ^= L[ol + 1]!;
      b2 ^= L[ol + 2]!;
      b3 ^= L[ol + 3]!;
    }
    a0 = b0;
    a1 = b1;
    a2 = b2;
    a3 = b3;
  }
  return Uint32Array.of(a0, a1, a2, a3);
}

/**
 * sum_{i<m} r_i chi^(m - i) for bits r_i (bit i of r at word i >> 5, m a
 * multiple of 8): Horner's rule a byte at a time, acc = acc chi^8 xor S[byte]
 * with S[b] = sum_k b_k chi^(8 - k), so one table product per 8 bits.
 */
export function evalBits(chi: Uint32Array, r: Uint32Array, m: number): Uint32Array {
  if (m % 8 !== 0) throw new RangeError(`evalBits: m = ${m} is not a multiple of 8`);
  if (m % 128 === 0) return evalBitBlocks(chi, r, m);
  const pow: Uint32Array[] = [chi.slice(0, 4)]; // pow[e] = chi^(e + 1)
  for (let e = 1; e < 8; e++) pow.push(gfMul(pow[e - 1]!, chi));
  const S = new Uint32Array(256 * 4);
  for (let b = 1; b < 256; b++) {
    const low = 31 - Math.clz32(b & -b);
    const e = pow[7 - low]!; // bit k of the byte weighs chi^(8 - k)
    for (let w = 0; w < 4; w++) S[4 * b + w] = S[4 * (b & (b - 1)) + w]! ^ e[w]!;
  }
  const mul8 = new GfMulTable(pow[7]!);
  const bytes = new Uint8Array(r.buffer, r.byteOffset, m >>> 3);
  const acc = new Uint32Array(4);
  const row = new Uint32Array(4);
  for (let k = 0; k < bytes.length; k++) {
    // acc = acc chi^8 xor S[b]: Horner with a zero row multiplies by chi^8.
    mul8.horner(row, 1, acc);
    const o = 4 * bytes[k]!;
    acc[0] = acc[0]! ^ S[o]!;
    acc[1] = acc[1]! ^ S[o + 1]!;
    acc[2] = acc[2]! ^ S[o + 2]!;
    acc[3] = acc[3]! ^ S[o + 3]!;
  }
  return acc;
}
