/**
 * The local part of a replicated product over Z_2^128 (2 little-endian
 * 64-bit limbs per element, the layout of ../spdz2k/z2k.ts): party i holds
 * (x_i, x_{i+1}) and (y_i, y_{i+1}) and computes
 * x_i y_i + x_i y_{i+1} + x_{i+1} y_i = x_i (y_i + y_{i+1}) + x_{i+1} y_i
 * (Araki, Furukawa, Lindell, Nof, Ohara, CCS 2016, section 2.2).
 *
 * One fused loop: every BigInt intermediate stays within 64 bits
 * (BigInt.asUintN or a typed-array store), which V8 compiles to machine
 * words; 64 x 64 -> 128 products split the operands into 32-bit halves.
 */

const M32 = 0xffffffffn;

/** out[i] = xa[i] (ya[i] + yb[i]) + xb[i] ya[i] mod 2^128. */
export function crossTerms(
  xa: BigUint64Array,
  xb: BigUint64Array,
  ya: BigUint64Array,
  yb: BigUint64Array,
  out: BigUint64Array = new BigUint64Array(xa.length),
): BigUint64Array {
  const n = xa.length;
  if (xb.length !== n || ya.length !== n || yb.length !== n)
    throw new RangeError(
      `crossTerms: lengths differ (${n}, ${xb.length}, ${ya.length}, ${yb.length})`,
    );
  const t = new BigUint64Array(1);
  for (let i = 0; i < n; i += 2) {
    const y0 = ya[i]!;
    const y1 = ya[i + 1]!;
    const s0 = BigInt.asUintN(64, y0 + yb[i]!);
    const s1 = BigInt.asUintN(64, y1 + yb[i + 1]! + (s0 < y0 ? 1n : 0n));
    const a0 = xa[i]!;
    const b0 = xb[i]!;
    // High 64 bits of a0 s0 (32-bit halves).
    const p0 = BigInt.asUintN(64, a0 & M32);
    const p1 = BigInt.asUintN(64, a0 >> 32n);
    const q0 = BigInt.asUintN(64, s0 & M32);
    const q1 = BigInt.asUintN(64, s0 >> 32n);
    const c01 = BigInt.asUintN(64, p0 * q1);
    const c10 = BigInt.asUintN(64, p1 * q0);
    const mid = BigInt.asUintN(64, ((p0 * q0) >> 32n) + (c01 & M32) + (c10 & M32));
    const h1 = BigInt.asUintN(64, p1 * q1 + (c01 >> 32n) + (c10 >> 32n) + (mid >> 32n));
    // High 64 bits of b0 y0.
    const u0 = BigInt.asUintN(64, b0 & M32);
    const u1 = BigInt.asUintN(64, b0 >> 32n);
    const v0 = BigInt.asUintN(64, y0 & M32);
    const v1 = BigInt.asUintN(64, y0 >> 32n);
    const d01 = BigInt.asUintN(64, u0 * v1);
    const d10 = BigInt.asUintN(64, u1 * v0);
    const mid2 = BigInt.asUintN(64, ((u0 * v0) >> 32n) + (d01 & M32) + (d10 & M32));
    const h2 = BigInt.asUintN(64, u1 * v1 + (d01 >> 32n) + (d10 >> 32n) + (mid2 >> 32n));
    const l1 = BigInt.asUintN(64, a0 * s0);
    const lo = BigInt.asUintN(64, l1 + b0 * y0);
    // One product per statement into the typed slot (wraps mod 2^64).
    t[0] = h1 + h2 + (lo < l1 ? 1n : 0n);
    t[0] = t[0]! + a0 * s1;
    t[0] = t[0]! + xa[i + 1]! * s0;
    t[0] = t[0]! + b0 * y1;
    t[0] = t[0]! + xb[i + 1]! * y0;
    out[i + 1] = t[0]!;
    out[i] = lo;
  }
  return out;
}
