/**
 * BigInt helpers for Paillier: byte encodings, modular exponentiation and
 * inversion, and uniform sampling from the CSPRNG. Everything here is
 * variable-time (V8's BigInt arithmetic is), which the module docs of
 * ./paillier.ts state as a limitation.
 */
import type { CryptoProvider } from '../../random/provider.js';

export function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

export function byteLength(x: bigint): number {
  return Math.ceil(bitLength(x) / 8);
}

export function bytesToBigInt(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  let hex = '';
  for (const byte of b) hex += byte.toString(16).padStart(2, '0');
  return BigInt('0x' + hex);
}

/**
 * x as exactly `length` big-endian bytes.
 * @throws {RangeError} if x is negative or does not fit.
 */
export function bigIntToBytes(x: bigint, length: number): Uint8Array {
  if (x < 0n) throw new RangeError('bigIntToBytes: negative value');
  const hex = x.toString(16);
  if (hex.length > 2 * length)
    throw new RangeError(`bigIntToBytes: value needs more than ${length} bytes`);
  const padded = hex.padStart(2 * length, '0');
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = parseInt(padded.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** x mod m in [0, m). */
export function mod(x: bigint, m: bigint): bigint {
  const r = x % m;
  return r < 0n ? r + m : r;
}

export function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/**
 * a^-1 mod m by the extended Euclidean algorithm.
 * @throws {RangeError} if a is not invertible mod m.
 */
export function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [mod(a, m), m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new RangeError('modInverse: not invertible');
  return mod(s0, m);
}

/**
 * base^e mod m for e >= 0, by left-to-right sliding windows (HAC 14.85):
 * about bits(e) squarings and bits(e)/(w+1) multiplications, with 2^(w-1)
 * odd powers precomputed.
 */
export function modPow(base: bigint, e: bigint, m: bigint): bigint {
  if (e < 0n) throw new RangeError('modPow: negative exponent');
  if (m === 1n) return 0n;
  const b = mod(base, m);
  if (e === 0n) return 1n;
  const bits = e.toString(2);
  const w = bits.length > 768 ? 6 : bits.length > 240 ? 5 : bits.length > 80 ? 4 : 2;
  // odd[k] = b^(2k+1)
  const b2 = (b * b) % m;
  const odd: bigint[] = [b];
  for (let k = 1; k < 1 << (w - 1); k++) odd.push((odd[k - 1]! * b2) % m);
  let acc = 1n;
  let i = 0;
  while (i < bits.length) {
    if (bits[i] === '0') {
      acc = (acc * acc) % m;
      i++;
      continue;
    }
    // The longest window bits[i..j] of at most w bits that ends in a 1.
    let j = Math.min(i + w, bits.length) - 1;
    while (bits[j] === '0') j--;
    const value = parseInt(bits.slice(i, j + 1), 2);
    for (let k = i; k <= j; k++) acc = (acc * acc) % m;
    acc = (acc * odd[(value - 1) >> 1]!) % m;
    i = j + 1;
  }
  return acc;
}

/** A uniformly random integer of at most `bits` bits, from the CSPRNG. */
export function randomBits(bits: number, crypto: CryptoProvider): bigint {
  const bytes = new Uint8Array(Math.ceil(bits / 8));
  crypto.randomFill(bytes);
  const excess = bytes.length * 8 - bits;
  if (excess > 0) bytes[0]! &= 0xff >> excess;
  return bytesToBigInt(bytes);
}

/** A uniformly random integer in [0, bound), by rejection sampling. */
export function randomBelow(bound: bigint, crypto: CryptoProvider): bigint {
  if (bound <= 0n) throw new RangeError('randomBelow: bound must be positive');
  const bits = bitLength(bound - 1n);
  for (;;) {
    const x = randomBits(bits, crypto);
    if (x < bound) return x;
  }
}

/** A uniformly random element of Z*_m (an integer in [1, m) coprime to m). */
export function randomUnit(m: bigint, crypto: CryptoProvider): bigint {
  for (;;) {
    const x = randomBelow(m, crypto);
    if (x !== 0n && gcd(x, m) === 1n) return x;
  }
}
