/**
 * Prime fields F_p with p = 1 mod 2^16, in Montgomery form over 16-bit limbs.
 *
 * Built for the two NTT-friendly fields of VDAF (draft-irtf-cfrg-vdaf-08,
 * section 6.1.2): Field64, p = 2^32 * 4294967295 + 1, and Field128,
 * p = 2^66 * 4611686018427387897 + 1. An element is `limbs` 16-bit limbs,
 * least significant first, holding x * R mod p with R = 2^(16 * limbs); a
 * vector of elements is one Uint16Array. Multiplication is Montgomery's
 * reduction interleaved with the product (CIOS: Koc, Acar and Kaliski,
 * "Analyzing and comparing Montgomery multiplication algorithms", IEEE Micro
 * 1996); partial sums are float64 numbers, exact below 2^53, so no BigInt and
 * no allocation touches the loops. Because p = 1 mod 2^16, -p^-1 mod 2^16 is
 * 2^16 - 1 and each reduction digit is simply -t0 mod 2^16.
 *
 * Nothing here is constant-time: the aggregators that use it handle shares of
 * client measurements, which are uniformly random to them (timing side
 * channels are outside the model, as for the rest of the project).
 */

import { mulField128, mulField64 } from './mont16-unrolled.js';

type MulFn = (
  o: Uint16Array,
  oi: number,
  a: Uint16Array,
  ai: number,
  b: Uint16Array,
  bi: number,
) => void;

const W = 65536;
const INV_W = 1 / 65536;

export class MontField {
  /** 16-bit limbs per element. */
  readonly limbs: number;
  /** Bytes of one encoded element (little-endian, VDAF-08 section 6.1). */
  readonly encodedSize: number;
  readonly modulus: bigint;
  /** p's limbs. */
  private readonly p: Uint16Array;
  /** R^2 mod p in plain limbs: toMont(x) = mul(x, R^2). */
  private readonly r2: Uint16Array;
  /** Plain 1: fromMont(x) = mul(x, 1). */
  private readonly plainOne: Uint16Array;
  private readonly t: Float64Array;
  /** Montgomery one (R mod p). */
  readonly one: Uint16Array;
  private readonly tmp: Uint16Array;

  constructor(modulus: bigint, encodedSize: number) {
    if (modulus % BigInt(W) !== 1n) throw new RangeError('MontField: p must be 1 mod 2^16');
    this.modulus = modulus;
    this.encodedSize = encodedSize;
    this.limbs = encodedSize / 2;
    const n = this.limbs;
    const rBits = BigInt(16 * n);
    if (modulus >= 1n << rBits) throw new RangeError('MontField: p does not fit the limbs');
    this.p = this.limbsOf(modulus);
    this.r2 = this.limbsOf((1n << (2n * rBits)) % modulus);
    this.plainOne = this.limbsOf(1n);
    this.one = this.limbsOf((1n << rBits) % modulus);
    this.t = new Float64Array(n + 2);
    this.mul =
      modulus === FIELD128.modulus && n === 8
        ? mulField128
        : modulus === FIELD64.modulus && n === 4
          ? mulField64
          : this.mulGeneric.bind(this);
    this.tmp = new Uint16Array(4 * n);
  }

  /** Plain limbs of 0 <= x < 2^(16 limbs), for constants. */
  private limbsOf(x: bigint): Uint16Array {
    const out = new Uint16Array(this.limbs);
    for (let i = 0; i < this.limbs; i++) out[i] = Number((x >> BigInt(16 * i)) & 0xffffn);
    return out;
  }

  /** A vector of `count` zero elements. */
  vec(count: number): Uint16Array {
    return new Uint16Array(count * this.limbs);
  }

  /** The Montgomery form of an integer (reduced mod p), for constants and tests. */
  fromBigInt(x: bigint): Uint16Array {
    const r = ((x % this.modulus) + this.modulus) % this.modulus;
    const out = this.vec(1);
    this.mul(out, 0, this.limbsOf(r), 0, this.r2, 0);
    return out;
  }

  /** Element i of v as an integer (tests and the collection's noise, not hot loops). */
  toBigInt(v: Uint16Array, i = 0): bigint {
    const n = this.limbs;
    const plain = this.tmp;
    this.mul(plain, 0, v, i, this.plainOne, 0);
    let x = 0n;
    for (let j = n - 1; j >= 0; j--) x = (x << 16n) | BigInt(plain[j]!);
    return x;
  }

  /** Copies element ai of a into element oi of o. */
  copy(o: Uint16Array, oi: number, a: Uint16Array, ai: number): void {
    const n = this.limbs;
    o.set(a.subarray(ai * n, ai * n + n), oi * n);
  }

  isZero(a: Uint16Array, ai: number): boolean {
    const n = this.limbs;
    for (let j = 0; j < n; j++) if (a[ai * n + j] !== 0) return false;
    return true;
  }

  equal(a: Uint16Array, ai: number, b: Uint16Array, bi: number): boolean {
    const n = this.limbs;
    for (let j = 0; j < n; j++) if (a[ai * n + j] !== b[bi * n + j]) return false;
    return true;
  }

  /**
   * o[oi] = a[ai] * b[bi] (Montgomery product); o may alias a or b. Field64
   * and Field128 use the unrolled copies of `mont16-unrolled.ts`.
   */
  readonly mul: MulFn;

  private mulGeneric(
    o: Uint16Array,
    oi: number,
    a: Uint16Array,
    ai: number,
    b: Uint16Array,
    bi: number,
  ): void {
    const n = this.limbs;
    const p = this.p;
    const t = this.t;
    const A = ai * n;
    const B = bi * n;
    for (let j = 0; j < n + 2; j++) t[j] = 0;
    for (let i = 0; i < n; i++) {
      const x = a[A + i]!;
      let c = 0;
      let s = 0;
      for (let j = 0; j < n; j++) {
        s = t[j]! + x * b[B + j]! + c;
        c = Math.floor(s * INV_W);
        t[j] = s - c * W;
      }
      s = t[n]! + c;
      c = Math.floor(s * INV_W);
      t[n] = s - c * W;
      t[n + 1] = c;
      // m = -t0 mod 2^16, so t0 + m p0 (p0 = 1) is 0 or 2^16.
      const m = (W - t[0]!) & 0xffff;
      c = t[0]! + m === 0 ? 0 : 1;
      for (let j = 1; j < n; j++) {
        s = t[j]! + m * p[j]! + c;
        c = Math.floor(s * INV_W);
        t[j - 1] = s - c * W;
      }
      s = t[n]! + c;
      c = Math.floor(s * INV_W);
      t[n - 1] = s - c * W;
      t[n] = t[n + 1]! + c;
    }
    this.finish(o, oi * n, t);
  }

  /** Writes t (n limbs plus a carry limb, < 2p) reduced below p. */
  private finish(o: Uint16Array, O: number, t: Float64Array): void {
    const n = this.limbs;
    const p = this.p;
    let ge = t[n] !== 0;
    if (!ge) {
      ge = true; // equal counts as >=
      for (let j = n - 1; j >= 0; j--) {
        if (t[j] !== p[j]) {
          ge = t[j]! > p[j]!;
          break;
        }
      }
    }
    if (ge) {
      let borrow = 0;
      for (let j = 0; j < n; j++) {
        let s = t[j]! - p[j]! - borrow;
        borrow = s < 0 ? 1 : 0;
        s += borrow * W;
        o[O + j] = s;
      }
    } else for (let j = 0; j < n; j++) o[O + j] = t[j]!;
  }

  /** o[oi] = a[ai] + b[bi] mod p. */
  add(o: Uint16Array, oi: number, a: Uint16Array, ai: number, b: Uint16Array, bi: number): void {
    const n = this.limbs;
    const t = this.t;
    const A = ai * n;
    const B = bi * n;
    let c = 0;
    for (let j = 0; j < n; j++) {
      const s = a[A + j]! + b[B + j]! + c;
      c = s >= W ? 1 : 0;
      t[j] = s - c * W;
    }
    t[n] = c;
    this.finish(o, oi * n, t);
  }

  /** o[oi] = a[ai] - b[bi] mod p. */
  sub(o: Uint16Array, oi: number, a: Uint16Array, ai: number, b: Uint16Array, bi: number): void {
    const n = this.limbs;
    const p = this.p;
    const A = ai * n;
    const B = bi * n;
    const O = oi * n;
    let borrow = 0;
    for (let j = 0; j < n; j++) {
      let s = a[A + j]! - b[B + j]! - borrow;
      borrow = s < 0 ? 1 : 0;
      s += borrow * W;
      o[O + j] = s;
    }
    if (borrow) {
      let c = 0;
      for (let j = 0; j < n; j++) {
        const s = o[O + j]! + p[j]! + c;
        c = s >= W ? 1 : 0;
        o[O + j] = s - c * W;
      }
    }
  }

  /** acc += v elementwise (both vectors of the same length). */
  addVec(acc: Uint16Array, v: Uint16Array): void {
    if (acc.length !== v.length)
      throw new RangeError(`addVec: lengths differ (${acc.length} and ${v.length})`);
    const count = acc.length / this.limbs;
    for (let i = 0; i < count; i++) this.add(acc, i, acc, i, v, i);
  }

  /** o[oi] = a[ai]^e for a small non-negative exponent or a bigint one. */
  pow(o: Uint16Array, oi: number, a: Uint16Array, ai: number, e: bigint): void {
    const n = this.limbs;
    const base = this.tmp.subarray(n, 2 * n);
    const acc = this.tmp.subarray(2 * n, 3 * n);
    base.set(a.subarray(ai * n, ai * n + n));
    acc.set(this.one);
    for (let k = e; k > 0n; k >>= 1n) {
      if (k & 1n) this.mul(acc, 0, acc, 0, base, 0);
      this.mul(base, 0, base, 0, base, 0);
    }
    o.set(acc, oi * n);
  }

  /** o[oi] = a[ai]^-1 (Fermat); a must not be zero. */
  inv(o: Uint16Array, oi: number, a: Uint16Array, ai: number): void {
    if (this.isZero(a, ai)) throw new RangeError('MontField.inv: zero has no inverse');
    this.pow(o, oi, a, ai, this.modulus - 2n);
  }

  /**
   * Decodes one little-endian element at b[off..] into o[oi] (Montgomery
   * form); false, writing nothing, when it is not below p.
   */
  decodeOne(b: Uint8Array, off: number, o: Uint16Array, oi: number): boolean {
    const n = this.limbs;
    const p = this.p;
    const plain = this.tmp.subarray(0, n);
    for (let j = 0; j < n; j++) plain[j] = b[off + 2 * j]! | (b[off + 2 * j + 1]! << 8);
    for (let j = n - 1; j >= 0; j--) {
      if (plain[j] !== p[j]) {
        if (plain[j]! > p[j]!) return false;
        this.mul(o, oi, plain, 0, this.r2, 0);
        return true;
      }
    }
    return false; // equal to p
  }

  /**
   * Decodes `count` little-endian elements, each checked below p, into
   * Montgomery form. Returns the index of the first element not below p
   * (or -1), so the caller names what it was decoding.
   */
  decodeVec(b: Uint8Array, count: number, out: Uint16Array): number {
    for (let i = 0; i < count; i++) if (!this.decodeOne(b, i * this.encodedSize, out, i)) return i;
    return -1;
  }

  /** Encodes a vector little-endian (VDAF-08 section 6.1). */
  encodeVec(v: Uint16Array, out = new Uint8Array(v.length * 2)): Uint8Array {
    const n = this.limbs;
    const plain = this.tmp.subarray(0, n);
    const count = v.length / n;
    for (let i = 0; i < count; i++) {
      this.mul(plain, 0, v, i, this.plainOne, 0);
      for (let j = 0; j < n; j++) {
        out[i * 2 * n + 2 * j] = plain[j]! & 0xff;
        out[i * 2 * n + 2 * j + 1] = plain[j]! >>> 8;
      }
    }
    return out;
  }
}

/** VDAF-08 Field64: p = 2^32 * 4294967295 + 1, multiplicative subgroup of order 2^32. */
export const FIELD64 = { modulus: 2n ** 32n * 4294967295n + 1n, twoAdicity: 32, encodedSize: 8 };
/** VDAF-08 Field128: p = 2^66 * 4611686018427387897 + 1, subgroup of order 2^66. */
export const FIELD128 = {
  modulus: 2n ** 66n * 4611686018427387897n + 1n,
  twoAdicity: 66,
  encodedSize: 16,
};
