/**
 * Comparisons, equality, bit decomposition, truncation and random bits for
 * additively shared suites over Z_2^64 (semi2k, spdz2k), written once against
 * a small engine interface: the suite's arithmetic, a source of random masks
 * with known bits, and shared bit vectors with AND.
 *
 * Method: mask and open, then a boolean circuit between the public masked
 * value c and the shared mask bits (the approach of Escudero, Ghosh, Keller,
 * Rachuri, Scholl, "Improved Primitives for MPC over Mixed Arithmetic-Binary
 * Circuits", CRYPTO 2020, with masks built from daBits (Rotaru, Wood,
 * INDOCRYPT 2019) rather than their edaBit protocol). For a value x with
 * -2^(b-1) <= x < 2^(b-1), the mask is r = r_lo + 2^b r_hi with r_lo in
 * [0, 2^b) of known bits and r_hi uniform, so c = x + r mod 2^64 is uniform
 * (perfectly: x's information sits in the low b bits, where r_lo is
 * uniform, and r_hi covers the rest) and c mod 2^b = x + r_lo mod 2^b.
 *
 * Leakage: none beyond the suite's own; every opened value is masked as
 * above. Rounds (b-bit values, n elements cost the same as one):
 *   ltz: 1 + ceil(log2(b - 1)) + (1 to convert back)
 *   eqz: 1 + ceil(log2 b) + 1
 *   bits: 1 + ceil(log2(b - 1)) + 1
 *   trunc: 1 (bound <= 63), plus an ltz for bound 64.
 * (Engines whose XOR costs a round, as spdz2k's, add one to ltz and bits.)
 */
import type { Shares, Suite } from '../suite.js';

/**
 * What the generic protocols need from a suite. `B` is a shared vector of
 * bits (one per element of the vector being processed).
 */
export interface BitEngine<A extends Shares, B> {
  readonly suite: Suite<A>;
  /** Opens to every party (inside a protocol), as words mod 2^64. */
  openWords(a: A): Promise<BigUint64Array>;
  /** n shared uniform elements of Z_2^64. */
  randomWords(n: number): Promise<A>;
  /** [r] with r in [0, 2^w) and its bits (bits[k] holds bit k of each element), for n elements. */
  edaBits(n: number, w: number): Promise<{ r: A; bits: B[] }>;
  /** n shared random bits, as arithmetic 0/1 values. */
  randomBitsArith(n: number): Promise<A>;
  /** A public bit vector of n bits (packed 64 per word, bit i of word i >> 6 is element i). */
  publicBits(packed: BigUint64Array, n: number): B;
  not(x: B): B;
  /** x ^ c and x & c for a public packed bit vector c. */
  xorPublic(x: B, c: BigUint64Array): B;
  andPublic(x: B, c: BigUint64Array): B;
  /** x ^ y, for vectors known to have no position where both are 1 (a local sum). */
  xorDisjoint(x: B, y: B): B;
  /** x ^ y for arbitrary shared bits (local in GF(2), a product elsewhere); one round at most. */
  xorMany(pairs: ReadonlyArray<readonly [B, B]>): Promise<B[]>;
  /** x & y for every pair, in one round. */
  andMany(pairs: ReadonlyArray<readonly [B, B]>): Promise<B[]>;
  /** Arithmetic 0/1 sharings of the bit vectors (B2A), in one round at most. */
  toArith(xs: readonly B[]): Promise<A[]>;
}

const M64 = (1n << 64n) - 1n;

/** Bit k of each word, packed 64 per word. */
export function bitColumn(c: BigUint64Array, k: number): BigUint64Array {
  const n = c.length;
  const out = new BigUint64Array(Math.ceil(n / 64));
  const o = new Uint32Array(out.buffer);
  const v = new Uint32Array(c.buffer, c.byteOffset, 2 * n);
  const half = k >>> 5;
  const sh = k & 31;
  for (let i = 0; i < n; i++)
    o[i >>> 5] = o[i >>> 5]! | (((v[2 * i + half]! >>> sh) & 1) << (i & 31));
  return out;
}

/** The complement of a packed bit vector (bits past n are don't-care). */
export function notWords(c: BigUint64Array): BigUint64Array {
  const out = new BigUint64Array(c.length);
  for (let q = 0; q < c.length; q++) out[q] = c[q]! ^ M64;
  return out;
}

/** r_lo + 2^w r_hi, with r_hi uniform (for w < 64), and the bits of r_lo. */
async function mask<A extends Shares, B>(
  e: BitEngine<A, B>,
  n: number,
  w: number,
): Promise<{ r: A; bits: B[] }> {
  const [eda, hi] = await Promise.all([
    e.edaBits(n, w),
    w < 64 ? e.randomWords(n) : Promise.resolve(undefined),
  ]);
  if (!hi) return eda;
  return { r: e.suite.add(eda.r, e.suite.mulScalar(hi, 1n << BigInt(w))), bits: eda.bits };
}

/** The number of AND gates (per element) that lessThanBits uses for w bits. */
export function lessThanAnds(w: number): number {
  let count = 0;
  let nodes = Array.from({ length: w }, (_, k) => k === 0); // true: the group holding bit 0 (no E needed)
  while (nodes.length > 1) {
    const next: boolean[] = [];
    const last = nodes.length <= 2;
    for (let j = 0; j + 1 < nodes.length; j += 2) {
      const lowest = nodes[j]!;
      count += 1; // L = L_hi ^ (E_hi & L_lo)
      if (!lowest && !last) count += 1; // E = E_hi & E_lo
      next.push(lowest);
    }
    if (nodes.length % 2 === 1) next.push(nodes[nodes.length - 1]!);
    nodes = next;
  }
  return count;
}

/**
 * [c mod 2^w < r] for public words c and shared bits r (bits[k] = bit k of
 * r), as a shared bit: a tree of (L, E) = ([a < b] on a block, [a == b] on
 * it), merged as L = L_hi ^ (E_hi & L_lo), E = E_hi & E_lo (L_hi and
 * E_hi & L_lo are never both 1, so the XOR is a local sum). The block holding
 * bit 0 never needs its E. Rounds: ceil(log2 w).
 */
export async function lessThanBits<A extends Shares, B>(
  e: BitEngine<A, B>,
  c: BigUint64Array,
  bits: readonly B[],
): Promise<B> {
  const w = bits.length;
  // Leaves: L_k = ~c_k & r_k, E_k = ~(c_k ^ r_k) = r_k ^ ~c_k.
  let L: B[] = [];
  let E: Array<B | undefined> = [];
  for (let k = 0; k < w; k++) {
    const nc = notWords(bitColumn(c, k));
    L.push(e.andPublic(bits[k]!, nc));
    E.push(k === 0 ? undefined : e.xorPublic(bits[k]!, nc));
  }
  while (L.length > 1) {
    const last = L.length <= 2;
    const pairs: Array<readonly [B, B]> = [];
    const plan: Array<{ lo: number; withE: boolean }> = [];
    for (let j = 0; j + 1 < L.length; j += 2) {
      pairs.push([E[j + 1]!, L[j]!]);
      const withE = E[j] !== undefined && !last;
      if (withE) pairs.push([E[j + 1]!, E[j]!]);
      plan.push({ lo: j, withE });
    }
    const out = await e.andMany(pairs);
    const nL: B[] = [];
    const nE: Array<B | undefined> = [];
    let q = 0;
    for (const { lo, withE } of plan) {
      nL.push(e.xorDisjoint(L[lo + 1]!, out[q++]!));
      nE.push(withE ? out[q++]! : undefined);
    }
    if (L.length % 2 === 1) {
      nL.push(L[L.length - 1]!);
      nE.push(E[E.length - 1]);
    }
    L = nL;
    E = nE;
  }
  return L[0]!;
}

/** AND of all the vectors, as a tree. Rounds: ceil(log2 count). */
export async function andAll<A extends Shares, B>(
  e: BitEngine<A, B>,
  xs: readonly B[],
): Promise<B> {
  let v = [...xs];
  while (v.length > 1) {
    const pairs: Array<readonly [B, B]> = [];
    for (let j = 0; j + 1 < v.length; j += 2) pairs.push([v[j]!, v[j + 1]!]);
    const out = await e.andMany(pairs);
    if (v.length % 2 === 1) out.push(v[v.length - 1]!);
    v = out;
  }
  return v[0]!;
}

/**
 * [x < 0] for -2^(b-1) <= x < 2^(b-1), b >= 2: with x' = x + 2^(b-1) in
 * [0, 2^b) and c = x' + r, the top bit of x' = c_lo - r_lo mod 2^b is
 * c_{b-1} ^ r_{b-1} ^ [c mod 2^(b-1) < r mod 2^(b-1)], and x < 0 iff it is 0.
 */
export async function ltz<A extends Shares, B>(e: BitEngine<A, B>, x: A, b: number): Promise<A> {
  const s = e.suite;
  const n = x.length;
  const { r, bits } = await mask(e, n, b);
  const shifted = s.addPublic(x, BigInt64Array.of(BigInt.asIntN(64, 1n << BigInt(b - 1))));
  const c = await e.openWords(s.add(shifted, r));
  const borrow = await lessThanBits(e, c, bits.slice(0, b - 1));
  const [t] = await e.xorMany([[bits[b - 1]!, borrow]]);
  const sign = e.xorPublic(t!, notWords(bitColumn(c, b - 1)));
  const [out] = await e.toArith([sign]);
  return out!;
}

/** [x == 0] for -2^(b-1) <= x < 2^(b-1): x mod 2^b = 0 iff every bit of c_lo ^ r_lo is 0. */
export async function eqz<A extends Shares, B>(e: BitEngine<A, B>, x: A, b: number): Promise<A> {
  const s = e.suite;
  const n = x.length;
  const { r, bits } = await mask(e, n, b);
  const c = await e.openWords(s.add(x, r));
  const same = bits.map((bk, k) => e.xorPublic(bk, notWords(bitColumn(c, k))));
  const all = await andAll(e, same);
  const [out] = await e.toArith([all]);
  return out!;
}

/** AND gates per element used by the Kogge-Stone carries of bitsOf for w bits. */
export function carryAnds(w: number): number {
  const m = w - 1; // carries out of positions 0..w-2
  let count = 0;
  for (let sh = 1; sh < m; sh *= 2) {
    count += m - sh; // G updates
    if (2 * sh < m) count += Math.max(0, m - 2 * sh); // P updates still needed later
  }
  return count;
}

/**
 * The bits of x mod 2^w (bit j of element i at i*w + j), as arithmetic 0/1
 * sharings: with c = x + r, x mod 2^w = c_lo + ~r_lo + 1, an addition of a
 * public and a shared operand: g_k = c_k & ~r_k and p_k = c_k ^ ~r_k are
 * local, the carries come from a Kogge-Stone prefix (G, P) o (G', P') =
 * (G ^ P & G', P & P') (G and P & G' are never both 1), the carry-in 1 folds
 * into position 0 as g_0 | p_0, and sum bit k is p_k ^ carry_k.
 */
export async function bitsOf<A extends Shares, B>(e: BitEngine<A, B>, x: A, w: number): Promise<A> {
  const s = e.suite;
  const n = x.length;
  const { r, bits } = await mask(e, n, w);
  const c = await e.openWords(s.add(x, r));
  const p: B[] = [];
  const g: B[] = [];
  for (let k = 0; k < w; k++) {
    const ck = bitColumn(c, k);
    p.push(e.xorPublic(bits[k]!, notWords(ck))); // c_k ^ ~r_k
    g.push(e.andPublic(e.not(bits[k]!), ck)); // c_k & ~r_k
  }
  // Carry out of position k (k = 0..w-2) is G[k] after the prefix.
  const m = w - 1;
  const G: B[] = [];
  const P: B[] = [];
  for (let k = 0; k < m; k++) {
    G.push(k === 0 ? e.xorDisjoint(g[0]!, p[0]!) : g[k]!);
    P.push(p[k]!);
  }
  for (let sh = 1; sh < m; sh *= 2) {
    const pairs: Array<readonly [B, B]> = [];
    for (let k = sh; k < m; k++) pairs.push([P[k]!, G[k - sh]!]);
    const withP = 2 * sh < m;
    if (withP) for (let k = 2 * sh; k < m; k++) pairs.push([P[k]!, P[k - sh]!]);
    const out = await e.andMany(pairs);
    let q = 0;
    const nG = [...G];
    for (let k = sh; k < m; k++) nG[k] = e.xorDisjoint(G[k]!, out[q++]!);
    if (withP) for (let k = 2 * sh; k < m; k++) P[k] = out[q++]!;
    for (let k = 0; k < m; k++) G[k] = nG[k]!;
  }
  // Sum bits: y_0 = p_0 ^ 1, y_k = p_k ^ G[k-1].
  const xors: Array<readonly [B, B]> = [];
  for (let k = 1; k < w; k++) xors.push([p[k]!, G[k - 1]!]);
  const ys = [e.not(p[0]!), ...(await e.xorMany(xors))];
  const arith = await e.toArith(ys);
  // Interleave: element i, bit k at i*w + k.
  const idx = new Uint32Array(n * w);
  for (let i = 0; i < n; i++) for (let k = 0; k < w; k++) idx[i * w + k] = k * n + i;
  return s.gather(s.concat(arith), idx);
}

/** Words v >> m for 1 <= m <= 63, through 32-bit views (run-time BigInt shifts are slow in V8). */
export function shiftRightWords(v: BigUint64Array, m: number): BigUint64Array {
  const n = v.length;
  const out = new BigUint64Array(n);
  const i32 = new Uint32Array(v.buffer, v.byteOffset, 2 * n);
  const o32 = new Uint32Array(out.buffer);
  if (m < 32) {
    const back = 32 - m;
    for (let k = 0; k < n; k++) {
      const lo = i32[2 * k]!;
      const hi = i32[2 * k + 1]!;
      o32[2 * k] = (lo >>> m) | (m === 0 ? 0 : hi << back);
      o32[2 * k + 1] = hi >>> m;
    }
  } else {
    const d = m - 32;
    for (let k = 0; k < n; k++) o32[2 * k] = i32[2 * k + 1]! >>> d;
  }
  return out;
}

const LOW63 = (1n << 63n) - 1n;

/**
 * floor(x / 2^m) or floor(x / 2^m) + 1 for 0 <= x < 2^63 and 1 <= m <= 62:
 * with r = sum_j 2^j r_j from 64 random bits, r' = r mod 2^63, c = x + r
 * opened: S = x + r' < 2^64 does not wrap, S mod 2^63 = c mod 2^63 and bit 63
 * of S is c_63 ^ r_63, so floor(S / 2^m) - floor(r' / 2^m) =
 * ((c mod 2^63) >> m) + 2^(63-m) (c_63 ^ r_63) - sum_{m<=j<63} 2^(j-m) r_j,
 * which is floor(x / 2^m) or one more (the mask-and-correct truncation of
 * Escudero et al. 2020 with the top bit of the mask).
 */
async function truncNonNegative<A extends Shares, B>(
  e: BitEngine<A, B>,
  x: A,
  m: number,
): Promise<A> {
  const s = e.suite;
  const n = x.length;
  const rb = await e.randomBitsArith(64 * n); // bit j of element i at j*n + i
  const col = (j: number) => {
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = j * n + i;
    return s.gather(rb, idx);
  };
  let r = s.constant(new BigInt64Array(n));
  let rShift = s.constant(new BigInt64Array(n));
  for (let j = 0; j < 64; j++) {
    const bj = col(j);
    r = s.add(r, s.mulScalar(bj, 1n << BigInt(j)));
    if (j >= m && j < 63) rShift = s.add(rShift, s.mulScalar(bj, 1n << BigInt(j - m)));
  }
  const rTop = col(63);
  const c = await e.openWords(s.add(x, r));
  const cLow = new BigUint64Array(n);
  const c63 = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    cLow[i] = c[i]! & LOW63;
    c63[i] = BigInt.asIntN(64, c[i]! >> 63n);
  }
  const K = shiftRightWords(cLow, m);
  // c_63 ^ r_63 = c_63 + r_63 - 2 c_63 r_63 = c_63 + (1 - 2 c_63) r_63.
  const oneMinus2c = new BigInt64Array(n);
  for (let i = 0; i < n; i++) oneMinus2c[i] = 1n - 2n * c63[i]!;
  const topXor = s.addPublic(s.mulPublic(rTop, oneMinus2c), c63);
  const pub = new BigInt64Array(n);
  for (let i = 0; i < n; i++) pub[i] = BigInt.asIntN(64, K[i]!);
  return s.sub(s.addPublic(s.mulScalar(topXor, 1n << BigInt(63 - m)), pub), rShift);
}

/**
 * x / 2^m rounded to floor or floor + 1, for -2^(b-1) <= x <= 2^(b-1).
 * b <= 63: x + 2^62 is in [0, 2^63). b = 64: s = [x < 0] first, then
 * x + s 2^63 (= x mod 2^63) is truncated and s 2^(63-m) subtracted.
 * @throws {RangeError} unless m is a non-negative integer.
 */
export async function trunc<A extends Shares, B>(
  e: BitEngine<A, B>,
  x: A,
  m: number,
  b: number,
): Promise<A> {
  const s = e.suite;
  const n = x.length;
  if (!Number.isInteger(m) || m < 0)
    throw new RangeError(`${s.name}.trunc: shift must be a non-negative integer, got ${m}`);
  if (n === 0 || m === 0) return s.add(x, s.constant(new BigInt64Array(n)));
  if (b >= 64) {
    const sign = await ltz(e, x, 64);
    if (m >= 63) return s.neg(sign);
    const low = s.add(x, s.mulScalar(sign, 1n << 63n));
    const t = await truncNonNegative(e, low, m);
    return s.sub(t, s.mulScalar(sign, 1n << BigInt(63 - m)));
  }
  if (m >= 63) return s.constant(new BigInt64Array(n));
  const t = await truncNonNegative(e, s.addPublic(x, BigInt64Array.of(1n << 62n)), m);
  return s.addPublic(t, BigInt64Array.of(-(1n << BigInt(62 - m))));
}
