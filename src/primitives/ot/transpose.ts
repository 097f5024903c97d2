/**
 * Bit-matrix transposition for OT extension: 128 columns of m bits (one per
 * base OT) become m rows of 128 bits (one per extended OT).
 *
 * Layout: bit i of a column is bit (i & 31) of word (i >> 5); bit j of a row
 * is bit (j & 31) of its word (j >> 5) (little-endian bit order throughout,
 * so bit 0 of a row is its lowest bit, the point-and-permute bit of a label).
 *
 * Kernel: 32 x 32 blocks transposed in registers by the recursive block-swap
 * method (five stages of masked shifts and XORs), so the work is ~0.5
 * operations per bit and no per-bit loop exists. Measured here: see
 * docs/PERFORMANCE.md (Two-party).
 */

/**
 * Transposes `cols` (128 columns of `m` bits each, column j at words
 * [j W, (j + 1) W) with W = m / 32) into `rows` (m rows of 4 words).
 * @throws {RangeError} unless m is a multiple of 32 and the arrays fit.
 */
export function transpose128(cols: Uint32Array, rows: Uint32Array, m: number): void {
  if (m % 32 !== 0) throw new RangeError(`transpose128: m = ${m} is not a multiple of 32`);
  const W = m >>> 5;
  if (cols.length < 128 * W || rows.length < 4 * m)
    throw new RangeError('transpose128: arrays too short');
  const a = new Int32Array(32);
  for (let w = 0; w < W; w++) {
    for (let k = 0; k < 4; k++) {
      const base = 32 * k * W + w;
      for (let r = 0; r < 32; r++) a[r] = cols[base + r * W]!;
      transpose32(a);
      const out = 128 * w + k;
      for (let r = 0; r < 32; r++) rows[out + 4 * r] = a[r]!;
    }
  }
}

/**
 * In-place transpose of a 32 x 32 bit matrix, row r in a[r], column c at bit
 * c: afterwards bit c of a[r] is the old bit r of a[c].
 */
export function transpose32(a: Int32Array): void {
  // Stage j swaps the off-diagonal j x j blocks of every 2j x 2j block.
  let j = 16;
  let mask = 0x0000ffff;
  while (j !== 0) {
    for (let k = 0; k < 32; k = (k + j + 1) & ~j) {
      const t = ((a[k]! >>> j) ^ a[k + j]!) & mask;
      a[k] = a[k]! ^ (t << j);
      a[k + j] = a[k + j]! ^ t;
    }
    j >>>= 1;
    mask ^= mask << j;
  }
}
