/**
 * Vectors over the ring Z_2^64, stored in BigUint64Array.
 *
 * Z_2^k for k < 64 is handled by computing in Z_2^64 and reducing at the edges
 * (`reduceSigned`): the low k bits of a Z_2^64 result are the Z_2^k result.
 * Every function works on whole vectors; V8 lowers `BigUint64Array` element
 * arithmetic to machine words inside these loops (no BigInt allocation).
 */

export type Ring64Vec = BigUint64Array;

/** @throws {RangeError} when the two vectors differ in length. */
export function checkSameLength(op: string, a: { length: number }, b: { length: number }): void {
  if (a.length !== b.length) {
    throw new RangeError(`${op}: vector lengths differ (${a.length} and ${b.length})`);
  }
}

export function add(a: Ring64Vec, b: Ring64Vec, out = new BigUint64Array(a.length)): Ring64Vec {
  checkSameLength('ring64.add', a, b);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
  return out;
}

export function sub(a: Ring64Vec, b: Ring64Vec, out = new BigUint64Array(a.length)): Ring64Vec {
  checkSameLength('ring64.sub', a, b);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! - b[i]!;
  return out;
}

export function neg(a: Ring64Vec, out = new BigUint64Array(a.length)): Ring64Vec {
  for (let i = 0; i < a.length; i++) out[i] = -a[i]!;
  return out;
}

export function mul(a: Ring64Vec, b: Ring64Vec, out = new BigUint64Array(a.length)): Ring64Vec {
  checkSameLength('ring64.mul', a, b);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! * b[i]!;
  return out;
}

/** out[i] = a[i] * c for one public constant c (taken mod 2^64). */
export function mulScalar(a: Ring64Vec, c: bigint, out = new BigUint64Array(a.length)): Ring64Vec {
  const k = BigInt.asUintN(64, c);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! * k;
  return out;
}

/** out[i] = a[i] + c for one public constant c (taken mod 2^64). */
export function addScalar(a: Ring64Vec, c: bigint, out = new BigUint64Array(a.length)): Ring64Vec {
  const k = BigInt.asUintN(64, c);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + k;
  return out;
}

/** Sum of all elements mod 2^64. */
export function sum(a: Ring64Vec): bigint {
  // A one-slot typed accumulator wraps mod 2^64 for free, without BigInt growth.
  const acc = new BigUint64Array(1);
  for (let i = 0; i < a.length; i++) acc[0] = acc[0]! + a[i]!;
  return acc[0]!;
}

/** Sums consecutive groups of `m` elements: out[j] = sum(a[j*m .. j*m+m-1]). */
export function sumGroups(a: Ring64Vec, m: number): Ring64Vec {
  if (m <= 0 || a.length % m !== 0) {
    throw new RangeError(`ring64.sumGroups: length ${a.length} is not a multiple of ${m}`);
  }
  const q = a.length / m;
  const out = new BigUint64Array(q);
  for (let j = 0, k = 0; j < q; j++) {
    for (let e = k + m; k < e; k++) out[j] = out[j]! + a[k]!;
  }
  return out;
}

/** Reinterprets two's-complement signed values as ring elements (no copy). */
export function fromSigned(v: BigInt64Array): Ring64Vec {
  return new BigUint64Array(v.buffer, v.byteOffset, v.length);
}

/** Reinterprets ring elements as signed 64-bit values (no copy). */
export function toSigned(v: Ring64Vec): BigInt64Array {
  return new BigInt64Array(v.buffer, v.byteOffset, v.length);
}

/**
 * Reduces Z_2^64 elements to Z_2^k, k in 1..64, as signed values: the low k
 * bits read in two's complement (sign-extended back to 64 bits).
 * @throws {RangeError} for k outside 1..64.
 */
export function reduceSigned(
  a: Ring64Vec,
  k: number,
  out = new BigUint64Array(a.length),
): Ring64Vec {
  if (!Number.isInteger(k) || k < 1 || k > 64)
    throw new RangeError(`ring64.reduceSigned: k must be in 1..64, got ${k}`);
  const s = BigInt(64 - k);
  const signed = toSigned(out);
  // Shift the k bits to the top, then arithmetic-shift back down.
  for (let i = 0; i < a.length; i++) {
    out[i] = a[i]! << s;
    signed[i] = signed[i]! >> s;
  }
  return out;
}
