/**
 * Fixed-base exponentiation with precomputed windows (the "fixed-base
 * windowing" of HAC 14.109, also Brickell, Gordon, McCurley and Wilson 1992):
 * for a base g used again and again, precompute T[i][j] = g^(j * 2^(w i)) for
 * every w-bit window i of the exponent and every digit j, and then
 *
 *   g^e = prod_i T[i][e_i]        (e = sum_i e_i 2^(w i))
 *
 * costs one multiplication per nonzero window and no squarings: for a 256-bit
 * exponent and w = 8, 32 multiplications instead of about 256 squarings and
 * 50 multiplications. The table holds ceil(bits / w) * (2^w - 1) residues.
 */
import { bitLength, modPow } from './bigint.js';

export class FixedBaseTable {
  readonly base: bigint;
  readonly modulus: bigint;
  readonly maxBits: number;
  readonly window: number;
  private readonly table: bigint[][];

  /**
   * @throws {RangeError} for a window outside [1, 12] or a non-positive size.
   */
  constructor(base: bigint, modulus: bigint, maxBits: number, window: number) {
    if (!Number.isInteger(window) || window < 1 || window > 12)
      throw new RangeError(`fixed-base table: window must be in [1, 12], got ${window}`);
    if (!Number.isInteger(maxBits) || maxBits < 1)
      throw new RangeError(`fixed-base table: expected a positive exponent size, got ${maxBits}`);
    this.base = base % modulus;
    this.modulus = modulus;
    this.maxBits = maxBits;
    this.window = window;
    this.table = [];
    let g = this.base; // g^(2^(w i))
    for (let i = 0; i * window < maxBits; i++) {
      const row: bigint[] = [g];
      for (let j = 2; j < 1 << window; j++) row.push((row[j - 2]! * g) % modulus);
      this.table.push(row);
      g = (row[row.length - 1]! * g) % modulus; // g^(2^w) of this row's base
    }
  }

  /** base^e mod modulus; exponents longer than the table fall back to modPow. */
  pow(e: bigint): bigint {
    if (e < 0n) throw new RangeError('fixed-base table: negative exponent');
    if (bitLength(e) > this.maxBits) return modPow(this.base, e, this.modulus);
    const w = BigInt(this.window);
    const mask = (1n << w) - 1n;
    let acc = 1n;
    for (let i = 0; e !== 0n; i++, e >>= w) {
      const digit = Number(e & mask);
      if (digit !== 0) acc = (acc * this.table[i]![digit - 1]!) % this.modulus;
    }
    return acc % this.modulus;
  }
}
