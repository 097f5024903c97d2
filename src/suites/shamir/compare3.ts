/**
 * [x < 0] and [x == 0] for three parties (n = 3, t = 1) with the bit-level
 * work done on a replicated boolean sharing instead of on shared field bits
 * (shamirLtz3 below; shamirEqz3 at the end reuses its first steps).
 *
 * Assumes what the suite assumes: semi-honest, one corrupted party out of
 * three, private authenticated channels. Statistical security 40, as for
 * ./compare.ts. Leaks nothing but the output.
 *
 * Why: Catrina-de Hoogh LTZ over F_p (./compare.ts) spends about 74 field
 * re-sharings per 32-bit comparison (m random bits, m/2 pair products, a
 * tree of about 26 products), 16 bytes and a degree reduction each. With
 * n = 3 the PRSS keys k_0, k_1, k_2 (key k_j known to the two parties other
 * than j) are exactly the correlated randomness of the replicated 3-party
 * sharing of Araki, Furukawa, Lindell, Nof, Ohara, "High-Throughput
 * Semi-Honest Secure Three-Party Computation with an Honest Majority", CCS
 * 2016 (section 2: x = x_0 ^ x_1 ^ x_2, component j held by the parties
 * other than j; AND in one round of one bit per party, randomised by a
 * zero-sharing alpha_0 ^ alpha_1 ^ alpha_2 = 0 drawn from the keys). The
 * mask of the opening is a sum of terms r_j drawn from k_j, so its low bits
 * are already boolean-shared at no cost (each r_j is "component j"), as in
 * the edaBits of Escudero, Ghosh, Keller, Rachuri, Scholl, "Improved
 * Primitives for MPC over Mixed Arithmetic-Binary Circuits", CRYPTO 2020,
 * and only the few output bits of the boolean circuit are converted back to
 * F_p. Per comparison: one opening, three bit conversions (one input and
 * one re-sharing each) and about 2 + 2 log2(m) boolean ANDs on m-bit words.
 *
 * The protocol (Catrina-de Hoogh LTZ, section 3 of SCN 2010, with the mask
 * changed): m = b - 1, a = x + 2^m in [0, 2^b). Each key k_j gives r_j
 * uniform in [0, 2^(b+40)); the parties hold Shamir shares of
 * r = r_0 + r_1 + r_2 (the PRSS sum of ./prss.ts, no communication) and of
 * R = sum_j (r_j mod 2^m), and open c = a + r. Any one party misses one r_j,
 * which alone makes c within 2^-40 of uniform given a. With c' = c mod 2^m,
 * c' = (a + R) mod 2^m, so
 *   a mod 2^m = c' - R + 2^m v,  v = ceil((R - c') / 2^m) = floor((R + K) / 2^m),
 * with the public K = 2^m - 1 - c', and v in {0, 1, 2, 3}; then
 *   [x < 0] = 1 - floor(a / 2^m) = 1 - (a - c' + R) / 2^m + v.
 * v is the carry out of the sum of four m-bit numbers r_0 mod 2^m,
 * r_1 mod 2^m, r_2 mod 2^m and K: two carry-save layers (one AND each) leave
 * two numbers whose carry out comes from a Kogge-Stone prefix of
 * ceil(log2 m) levels; v = o_1 + o_2 + o_3, the bits shifted out of each
 * layer. The o_k come to F_p through random bits rho_k = rho_0 ^ rho_1 ^ rho_2
 * (component j from key k_j) known in both forms, as the daBits of Rotaru
 * and Wood, "MArBled Circuits", INDOCRYPT 2019: party 0 knows
 * rho_1 ^ rho_2 and inputs it, parties 1 and 2 know rho_0 and share it by
 * the public polynomial rho_0 phi_{0}(X), and the XOR is one degree
 * reduction (./compare.ts does the same for random bits); this runs during
 * the first two rounds. The last AND is fused with opening o_k ^ rho_k, and
 * o_k = rho_k ^ (o_k ^ rho_k) is linear in rho_k.
 *
 * Rounds: 1 (opening c, the first carry-save AND, the input of rho) + 1 +
 * 1 + ceil(log2 m) (carries, the last one also opening o ^ rho): 8 for 32-bit
 * comparisons (m = 32).
 *
 * Layout: each boolean value is m bits per element, in L = ceil(m / 32)
 * 32-bit little-endian limbs per element; party i holds components i + 1
 * (`a`) and i + 2 (`b`), indices mod 3.
 */
import * as F from '../../arith/field127.js';
import { ProtocolAbort } from '../../runtime/errors.js';
import { STAT_SEC } from './compare.js';
import type { ShamirSuite } from './shamir.js';

/** Largest bound - 1 these protocols take (masks of b + 40 bits must fit 127 bits). */
export const LTZ3_MAX_BITS = 84;

/** Party me's two components of a replicated boolean vector. */
interface Rep {
  /** Component me + 1. */
  readonly a: Uint32Array;
  /** Component me + 2. */
  readonly b: Uint32Array;
}

/** Limbs of 32 bits per element for m bits. */
const limbs = (m: number) => (m + 31) >>> 5;

/** Mask of the top limb. */
const topMask = (m: number) => (m & 31 ? (1 << (m & 31)) - 1 : 0xffffffff) >>> 0;

function xor(x: Rep, y: Rep): Rep {
  return { a: xorWords(x.a, y.a), b: xorWords(x.b, y.b) };
}

function xorWords(x: Uint32Array, y: Uint32Array): Uint32Array {
  const out = new Uint32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! ^ y[i]!;
  return out;
}

/** x ^ k for public k: k joins component 0 (held by parties 1 and 2). */
function xorPublic(me: number, x: Rep, k: Uint32Array): Rep {
  if (me === 1) return { a: x.a, b: xorWords(x.b, k) };
  if (me === 2) return { a: xorWords(x.a, k), b: x.b };
  return x;
}

/** x & k for public k: AND distributes over the components. */
function andPublic(x: Rep, k: Uint32Array): Rep {
  const a = new Uint32Array(x.a.length);
  const b = new Uint32Array(x.b.length);
  for (let i = 0; i < a.length; i++) {
    a[i] = x.a[i]! & k[i]!;
    b[i] = x.b[i]! & k[i]!;
  }
  return { a, b };
}

/** (v << k) mod 2^m per element, for 0 < k < m. */
function shl(v: Uint32Array, k: number, m: number): Uint32Array {
  const L = limbs(m);
  const out = new Uint32Array(v.length);
  const q = k >>> 5;
  const r = k & 31;
  const top = topMask(m);
  for (let e = 0; e < v.length; e += L) {
    for (let l = L - 1; l >= q; l--) {
      const hi = v[e + l - q]! << r;
      const lo = r && l - q - 1 >= 0 ? v[e + l - q - 1]! >>> (32 - r) : 0;
      out[e + l] = hi | lo;
    }
    out[e + L - 1] = out[e + L - 1]! & top;
  }
  return out;
}

function shlRep(x: Rep, k: number, m: number): Rep {
  return { a: shl(x.a, k, m), b: shl(x.b, k, m) };
}

/** Bit j of each element, one byte per element. */
function bitOf(v: Uint32Array, j: number, L: number): Uint8Array {
  const n = v.length / L;
  const out = new Uint8Array(n);
  const l = j >>> 5;
  const s = j & 31;
  for (let i = 0; i < n; i++) out[i] = (v[i * L + l]! >>> s) & 1;
  return out;
}

/**
 * Turns 3-out-of-3 XOR shares z'_me into a replicated sharing: z'_me ^ alpha_me
 * is component me + 2, kept and sent to party me + 1 (who holds it as its
 * component (me + 1) + 1), where alpha_me = PRG(k_(me+1)) ^ PRG(k_(me+2)) and
 * the alphas XOR to 0 (each key is drawn by its two holders). Party me
 * receives component me + 1 from party me + 2. One round, 4 bytes per limb.
 */
async function reshareXor(s: ShamirSuite, z: Uint32Array, op: string): Promise<Rep> {
  const me = s.me;
  const next = (me + 1) % 3;
  const prev = (me + 2) % 3;
  // Drawn right before the exchange that uses them (see ./prss.ts on draw order).
  for (const j of [next, prev]) {
    const w = new Uint32Array(s.prss.setStream([j], 4 * z.length)!.buffer);
    for (let i = 0; i < z.length; i++) z[i] = z[i]! ^ w[i]!;
  }
  const send: Array<Uint8Array | undefined> = [undefined, undefined, undefined];
  send[next] = new Uint8Array(z.buffer, z.byteOffset, z.byteLength);
  const got = await s.party.exchange({ op, send, recvFrom: [prev], handOver: true });
  return { a: wordsFrom(s, got[prev], z.length, prev, op), b: z };
}

/**
 * A received payload as `len` 32-bit words.
 * @throws {ProtocolAbort} ('malformed') on a size mismatch.
 */
export function wordsFrom(
  s: ShamirSuite,
  body: Uint8Array | undefined,
  len: number,
  peer: number,
  op: string,
): Uint32Array {
  if (!body || body.length !== 4 * len) {
    throw new ProtocolAbort(
      'malformed',
      peer,
      s.party.ids[peer],
      `${op}: sent ${body?.length ?? 0} bytes, expected ${4 * len}`,
    );
  }
  // Round bodies are 8-byte aligned (docs/ARCHITECTURE.md); copy otherwise.
  if (body.byteOffset % 4 === 0) return new Uint32Array(body.buffer, body.byteOffset, len);
  return new Uint32Array(body.slice().buffer);
}

/**
 * Elementwise AND of the pairs (x_k, y_k), all in one round: party me's
 * 3-out-of-3 share of x & y is the three products of components it holds,
 * x_(me+1) y_(me+1) ^ x_(me+1) y_(me+2) ^ x_(me+2) y_(me+1) (the parties
 * together cover all nine).
 */
async function and(
  s: ShamirSuite,
  pairs: ReadonlyArray<readonly [Rep, Rep]>,
  op: string,
): Promise<Rep[]> {
  const total = pairs.reduce((u, [x]) => u + x.a.length, 0);
  const z = new Uint32Array(total);
  let off = 0;
  for (const [x, y] of pairs) {
    const xa = x.a;
    const xb = x.b;
    const ya = y.a;
    const yb = y.b;
    for (let i = 0; i < xa.length; i++) {
      const p = xa[i]!;
      z[off + i] = (p & (ya[i]! ^ yb[i]!)) ^ (xb[i]! & ya[i]!);
    }
    off += xa.length;
  }
  const r = await reshareXor(s, z, op);
  const out: Rep[] = [];
  off = 0;
  for (const [x] of pairs) {
    const len = x.a.length;
    out.push({ a: r.a.subarray(off, off + len), b: r.b.subarray(off, off + len) });
    off += len;
  }
  return out;
}

/**
 * Boolean-shared bits (one per element, as bytes of components) to Shamir
 * shares of the same bits: z = q ^ z_0 with q = z_1 ^ z_2 input by party 0,
 * and z_0 shared by the public polynomial z_0 phi_{0}(X) of parties 1 and 2.
 */
async function bitsToField(
  s: ShamirSuite,
  za: Uint8Array,
  zb: Uint8Array,
  op: string,
): Promise<F.FieldVec> {
  const n = za.length;
  const me = s.me;
  let q: F.FieldVec | undefined;
  if (me === 0) {
    q = F.alloc(n);
    const u = new Uint32Array(q.buffer);
    for (let i = 0; i < n; i++) u[4 * i] = za[i]! ^ zb[i]!;
  }
  const y = await s.inputField(0, q, n, op);
  // Component 0 is `b` at party 1 and `a` at party 2; party 0, in the set {0}, holds 0.
  const w = me === 0 ? y : F.xorPublicBit(y, me === 1 ? zb : za, s.prss.phiOf([0])!);
  return s.reshare(w, undefined, op);
}

/**
 * Opens o_k ^ rho_k for k = 1..q+1 in one round, o_(q+1) being bit m - 1 of
 * base ^ (x & y) (base undefined: 0), o_1..o_q given as party me's
 * component me + 1 (bytes), rho_k likewise. Each party's 3-out-of-3 share
 * of the three bits (its component me + 1 of the replicated values, and its
 * three products for x & y), XORed with a fresh zero-sharing alpha, goes to
 * both other parties; the two shares a party receives both contain the bits
 * of the key it lacks, so they tell it nothing beyond their XOR, and rho
 * makes the opened bits uniform.
 */
async function andOpen(
  s: ShamirSuite,
  [x, y, base]: readonly [Rep, Rep, Rep | undefined],
  m: number,
  known: readonly Uint8Array[],
  rhoA: Uint8Array,
  op: string,
): Promise<Uint8Array> {
  const L = limbs(m);
  const n = x.a.length / L;
  const me = s.me;
  const l = (m - 1) >>> 5;
  const sh = (m - 1) & 31;
  const q = known.length;
  const size = (q + 1) * n;
  const share = new Uint8Array(size);
  known.forEach((v, k) => share.set(v, k * n));
  for (let i = 0; i < n; i++) {
    const k = i * L + l;
    const xa = x.a[k]!;
    let z = (xa & (y.a[k]! ^ y.b[k]!)) ^ (x.b[k]! & y.a[k]!);
    if (base) z ^= base.a[k]!;
    share[q * n + i] = (z >>> sh) & 1;
  }
  for (let i = 0; i < size; i++) share[i] = share[i]! ^ rhoA[i]!;
  const next = (me + 1) % 3;
  const prev = (me + 2) % 3;
  for (const j of [next, prev]) {
    const w = s.prss.setStream([j], size)!;
    for (let i = 0; i < size; i++) share[i] = share[i]! ^ (w[i]! & 1);
  }
  const send: Array<Uint8Array | undefined> = [undefined, undefined, undefined];
  send[next] = share;
  send[prev] = share;
  const got = await s.party.exchange({ op, send, recvFrom: [next, prev] });
  const out = new Uint8Array(size);
  for (const j of [next, prev]) {
    const body = got[j];
    if (!body || body.length !== size) {
      throw new ProtocolAbort(
        'malformed',
        j,
        s.party.ids[j],
        `${op}: sent ${body?.length ?? 0} bytes, expected ${size}`,
      );
    }
  }
  const u = got[next]!;
  const w = got[prev]!;
  for (let i = 0; i < size; i++) out[i] = share[i]! ^ u[i]! ^ w[i]!;
  return out;
}

/** What the masked opening leaves (see maskedOpen3). */
interface Masked3 {
  /** c = a + r, opened. */
  readonly c: F.FieldVec;
  /** Shares of R = sum_j (r_j mod 2^m). */
  readonly rLow: F.FieldVec;
  /** The boolean sharing with component j = r_j mod 2^m. */
  readonly s1: Rep;
  /** maj(r_0, r_1, r_2) mod 2^m, so that R = s1 + 2 c1. */
  readonly c1: Rep;
  /** Shares in F_p of the random bits rho (q per element, block k at k * n). */
  readonly rho: Promise<F.FieldVec>;
  /** Component me + 1 of rho. */
  readonly rhoA: Uint8Array;
}

/**
 * Round 1 of both protocols: draws r_j uniform in [0, 2^(b+40)) and q random
 * bits rho per element from each key k_j this party holds, opens c = a + r,
 * computes the first carry-save layer of R = r_0 + r_1 + r_2 (mod 2^m) and
 * inputs rho_1 ^ rho_2 for the daBits, whose degree reduction then runs in
 * round 2 beside the caller's next step.
 */
async function maskedOpen3(
  s: ShamirSuite,
  a: F.FieldVec,
  b: number,
  m: number,
  q: number,
  op: string,
): Promise<Masked3> {
  const n = F.length(a);
  const me = s.me;
  const L = limbs(m);
  const top = topMask(m);
  // r_j from key k_j, for the two keys this party holds, in key order.
  const held = [0, 1, 2].filter((j) => j !== me);
  const full: F.FieldVec[] = [];
  const low: F.FieldVec[] = [];
  const lowWords: Uint32Array[] = [];
  const phis: bigint[] = [];
  for (const j of held) {
    const r = F.keepLowBits(
      new BigUint64Array(s.prss.setStream([j], F.ELEMENT_BYTES * n)!.buffer),
      b + STAT_SEC,
    );
    const u = new Uint32Array(r.buffer);
    const lw = new Uint32Array(n * L);
    const lf = F.alloc(n);
    const lu = new Uint32Array(lf.buffer);
    for (let i = 0; i < n; i++) {
      for (let l = 0; l < L; l++) lw[i * L + l] = u[4 * i + l]!;
      lw[i * L + L - 1] = lw[i * L + L - 1]! & top;
      for (let l = 0; l < L; l++) lu[4 * i + l] = lw[i * L + l]!;
    }
    full.push(r);
    low.push(lf);
    lowWords.push(lw);
    phis.push(s.prss.phiOf([j])!);
  }
  const rFull = F.linearCombination(full, phis);
  const rLow = F.linearCombination(low, phis);
  // Party me holds components j = me + 1 (first) and me + 2.
  const inOrder = (me + 1) % 3 === held[0];
  const s1: Rep = inOrder
    ? { a: lowWords[0]!, b: lowWords[1]! }
    : { a: lowWords[1]!, b: lowWords[0]! };
  // q random bits rho per element (component j from key k_j), converted to F_p
  // during the first two rounds, so that an output bit o comes out by opening o ^ rho.
  const rhos = held.map((j) => {
    const v = s.prss.setStream([j], q * n)!;
    for (let i = 0; i < v.length; i++) v[i] = v[i]! & 1;
    return v;
  });
  const [rhoA, rhoB] = inOrder ? rhos : [rhos[1]!, rhos[0]!];
  // First carry-save layer, r_0 + r_1 + r_2 = s1 + 2 c1: c1 = maj(r_0, r_1, r_2), whose
  // three products r_j r_k are each known to the third party (party me knows a & b).
  const t = new Uint32Array(n * L);
  for (let i = 0; i < t.length; i++) t[i] = s1.a[i]! & s1.b[i]!;
  const rho = bitsToField(s, rhoA!, rhoB!, op);
  const [c, c1] = await Promise.all([s.openAll(F.add(a, rFull), op), reshareXor(s, t, op)]);
  return { c, rLow, s1, c1, rho, rhoA: rhoA! };
}

/**
 * The second carry-save layer with the public K: s1 + (2 c1 mod 2^m) + K =
 * s2 + 2 c2 with c2 = maj(s1, d, K) = (s1 & d) ^ (K & (s1 ^ d)). One round.
 */
async function addPublic(
  s: ShamirSuite,
  mk: Masked3,
  K: Uint32Array,
  m: number,
  op: string,
): Promise<{ s2: Rep; c2: Rep }> {
  const d = shlRep(mk.c1, 1, m);
  const sd = xor(mk.s1, d);
  const [sdAnd] = await and(s, [[mk.s1, d]], op);
  return { s2: xorPublic(s.me, sd, K), c2: xor(sdAnd!, andPublic(sd, K)) };
}

/**
 * [x < 0] for |x| < 2^(b-1), n = 3 (see the module comment).
 * @throws {RangeError} unless the suite has three parties and 2 <= b <= LTZ3_MAX_BITS + 1.
 */
export async function shamirLtz3(s: ShamirSuite, x: F.FieldVec, b: number): Promise<F.FieldVec> {
  const m = b - 1;
  if (s.n !== 3 || m < 1 || m > LTZ3_MAX_BITS) {
    throw new RangeError(`shamir.ltz3: expected 3 parties and 2..${LTZ3_MAX_BITS + 1} bits`);
  }
  const op = 'shamir.ltz';
  const n = F.length(x);
  const L = limbs(m);
  const top = topMask(m);
  const a = F.addScalar(x, 1n << BigInt(m));
  const mk = await maskedOpen3(s, a, b, m, 3, op);
  // K = 2^m - 1 - c' = the complement of c's low m bits.
  const cu = new Uint32Array(mk.c.buffer, mk.c.byteOffset, 4 * n);
  const K = new Uint32Array(n * L);
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < L; l++) K[i * L + l] = ~cu[4 * i + l]!;
    K[i * L + L - 1] = K[i * L + L - 1]! & top;
  }
  const cLow = F.keepLowBits(mk.c.slice(), m);
  // o_1: bit m of 2 c1; o_2: bit m of 2 c2.
  const { s2, c2 } = await addPublic(s, mk, K, m, op);
  // o_3: the carry out of s2 + (2 c2 mod 2^m), by a Kogge-Stone prefix of
  // (generate, propagate): G <- G ^ (P & (G << k)), P <- P & (P << k), from
  // G = s2 & e, P = s2 ^ e. The last AND is fused with the opening.
  const e = shlRep(c2, 1, m);
  let last: readonly [Rep, Rep, Rep | undefined] = [s2, e, undefined];
  if (m > 1) {
    let P = xor(s2, e);
    let [G] = await and(s, [[s2, e]], op);
    let k = 1;
    for (; 2 * k < m; k <<= 1) {
      const r = await and(
        s,
        [
          [P, shlRep(G!, k, m)],
          [P, shlRep(P, k, m)],
        ],
        op,
      );
      G = xor(G!, r[0]!);
      P = r[1]!;
    }
    last = [P, shlRep(G!, k, m), G];
  }
  const known = [bitOf(mk.c1.a, m - 1, L), bitOf(c2.a, m - 1, L)];
  const opened = await andOpen(s, last, m, known, mk.rhoA, op);
  // o_k = rho_k ^ (o_k ^ rho_k), with the opened bit public: the XOR with phi = 1.
  const o = F.xorPublicBit(await mk.rho, opened, 1n);
  const v = F.sumVectors([F.slice(o, 0, n), F.slice(o, n, 2 * n), F.slice(o, 2 * n, 3 * n)]);
  // 1 - floor(a / 2^m) = 1 - (a - c' + R) / 2^m + v.
  const floorA = F.sub(F.mulScalar(F.add(F.sub(a, cLow), mk.rLow), F.inv(1n << BigInt(m))), v);
  return F.addScalar(F.neg(floorA), 1n);
}

/**
 * [x == 0] for |x| < 2^(b-1), n = 3, on the same machinery (Catrina-de Hoogh
 * EQZ with the mask of shamirLtz3): m = b, a = x + 2^(b-1) in [0, 2^b), and
 * x = 0 exactly when a = 2^(b-1), i.e. when
 *   (r_0 mod 2^m) + (r_1 mod 2^m) + (r_2 mod 2^m) + K = 0 (mod 2^m),
 * K = (2^(b-1) - c') mod 2^m. After the two carry-save layers this is
 * s2 + e = 0 (mod 2^m), which holds exactly when every carry into bit i
 * equals s2_i ^ e_i, and then that carry is s2_(i-1) | e_(i-1): so when
 * t = s2 ^ e ^ ((s2 | e) << 1) is 0 mod 2^m. The OR of t's m bits takes
 * ceil(log2 m) levels of u | (u << k) = u ^ (u << k) ^ (u & (u << k)), the
 * last fused with opening it masked by a daBit. Rounds: 3 + ceil(log2 m)
 * (9 for 32-bit values, b = 33).
 * @throws {RangeError} unless the suite has three parties and 2 <= b <= LTZ3_MAX_BITS + 1.
 */
export async function shamirEqz3(s: ShamirSuite, x: F.FieldVec, b: number): Promise<F.FieldVec> {
  const m = b;
  if (s.n !== 3 || b < 2 || b > LTZ3_MAX_BITS + 1) {
    throw new RangeError(`shamir.eqz3: expected 3 parties and 2..${LTZ3_MAX_BITS + 1} bits`);
  }
  const op = 'shamir.eqz';
  const n = F.length(x);
  const L = limbs(m);
  const top = topMask(m);
  const a = F.addScalar(x, 1n << BigInt(b - 1));
  const mk = await maskedOpen3(s, a, b, m, 1, op);
  // K = 2^(m-1) - c' mod 2^m, limb by limb with borrows.
  const cu = new Uint32Array(mk.c.buffer, mk.c.byteOffset, 4 * n);
  const K = new Uint32Array(n * L);
  const hl = (m - 1) >>> 5;
  const hb = 2 ** ((m - 1) & 31);
  for (let i = 0; i < n; i++) {
    let borrow = 0;
    for (let l = 0; l < L; l++) {
      let d =
        (l === hl ? hb : 0) -
        (l === L - 1 ? (cu[4 * i + l]! & top) >>> 0 : cu[4 * i + l]!) -
        borrow;
      borrow = d < 0 ? 1 : 0;
      if (d < 0) d += 2 ** 32;
      K[i * L + l] = d;
    }
    K[i * L + L - 1] = K[i * L + L - 1]! & top;
  }
  const { s2, c2 } = await addPublic(s, mk, K, m, op);
  const e = shlRep(c2, 1, m);
  const se = xor(s2, e);
  const [both] = await and(s, [[s2, e]], op);
  const t = xor(se, shlRep(xor(se, both!), 1, m)); // s2 | e = s2 ^ e ^ (s2 & e)
  let u = t;
  let k = 1;
  for (; 2 * k < m; k <<= 1) {
    const uk = shlRep(u, k, m);
    const [p] = await and(s, [[u, uk]], op);
    u = xor(xor(u, uk), p!);
  }
  const uk = shlRep(u, k, m);
  const opened = await andOpen(s, [u, uk, xor(u, uk)], m, [], mk.rhoA, op);
  // [x == 0] = 1 - OR = 1 - (rho ^ opened).
  return F.addScalar(F.neg(F.xorPublicBit(await mk.rho, opened, 1n)), 1n);
}
