/**
 * The sign bit of rep3 values on bit-sliced boolean sharings: the A2B of
 * ABY3 (Mohassel, Rindal, CCS 2018, section 5.3) cut down to what a
 * comparison needs, the carry into the top bit, with the fewest AND gates
 * a binary tree allows.
 *
 * Assumptions are those of the rep3 suite (semi-honest, one corruption of
 * three, private authenticated channels, the PRSS keys of Rep3Suite.setup()).
 * Every message is masked by PRSS output its receiver does not hold, so
 * nothing is revealed.
 *
 * Layout: "planes". Bit j of element k sits in bit (k mod 32) of word
 * j*M + floor(k / 32) of a Uint32Array, M = ceil(n / 32): one plane of M
 * words per bit position, so an AND of two planes evaluates 32 gates per
 * word and sends exactly one bit per gate, with no bit wasted on positions
 * that the circuit does not need (the packed Kogge-Stone of boolean.ts
 * computes every prefix, about bound * log2(bound) gates; this tree computes
 * only the top carry, about 2 * bound). Every hot loop is on 32-bit numbers,
 * which V8 runs at machine speed from the first call, unlike 64-bit BigInt
 * element arithmetic.
 *
 * Circuit: x = y + x_2 over Z_2^64 with y = x_0 + x_1 known to party 0 and
 * x_2 known to parties 1 and 2 (the local split of ABY3 section 5.3: each
 * operand is a boolean sharing with no communication; party 0 inputs y so
 * that the first AND, g = y & x_2, comes out of the same round). With
 * generate bits g_j and propagate bits p_j of positions 0..w-1 (w = bound -
 * 1), the carry into bit w is the G of the whole range, combined pairwise up
 * a tree: (G, P)_hi o (G, P)_lo = (G_hi ^ (P_hi & G_lo), P_hi & P_lo), where
 * the lowest group of every level needs no P. Sign bit = y_w ^ x_{2,w} ^
 * carry: party 0 adds y_w and party 1 adds x_{2,w} to their 3-out-of-3
 * shares, so the top propagate bit never enters the circuit.
 *
 * Cost per element, bound 32: the input round sends 2 bits per position from
 * party 0 and 1 from each of parties 1 and 2 (31 positions); the tree 55 AND
 * gates, one bit each per party. Rounds: 1 + ceil(log2(w)), the last level
 * not reshared but returned as 3-out-of-3 shares (to be opened under a mask
 * in the same round).
 */
import { ProtocolAbort } from '../../runtime/errors.js';
import type { Rep3Shares, Rep3Suite } from './rep3.js';

type Outbox = Array<Uint8Array | undefined>;
const outbox = (): Outbox => [undefined, undefined, undefined];
const bytes32 = (v: Uint32Array) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

/** 32-bit words of PRG output: a view on ceil(L/2) 64-bit words. */
function words32(w64: BigUint64Array, L: number): Uint32Array {
  return new Uint32Array(w64.buffer, w64.byteOffset, L);
}

/**
 * Views peer j's payload as L 32-bit words (copied when it is not aligned).
 * @throws {ProtocolAbort} ('malformed') on a size mismatch.
 */
export function received32(
  s: Rep3Suite,
  got: ReadonlyArray<Uint8Array | undefined>,
  j: number,
  L: number,
): Uint32Array {
  const b = got[j] ?? new Uint8Array(0);
  if (b.length !== 4 * L)
    throw new ProtocolAbort(
      'malformed',
      j,
      s.party.ids[j]!,
      `sent ${b.length} bytes, expected ${4 * L}`,
    );
  if (b.byteOffset % 4 === 0) return new Uint32Array(b.buffer, b.byteOffset, L);
  return new Uint32Array(b.slice().buffer, 0, L);
}

const MASKS = [0x0000ffff, 0x00ff00ff, 0x0f0f0f0f, 0x33333333, 0x55555555];

/** In-place transpose of the 32 x 32 bit matrix t[0..31] (bit c of row r to bit r of row c). */
function transpose32(t: Int32Array): void {
  for (let s = 0, j = 16; j !== 0; s++, j >>>= 1) {
    const m = MASKS[s]!;
    for (let k = 0; k < 32; k = (k + j + 1) & ~j) {
      const d = ((t[k]! >>> j) ^ t[k + j]!) & m;
      t[k] = t[k]! ^ (d << j);
      t[k + j] = t[k + j]! ^ d;
    }
  }
}

/** Block m (elements 32m..32m+31) of half `half` of the words, transposed into planes base..base+top-1. */
function planeBlock(
  s32: Uint32Array,
  n: number,
  half: number,
  t: Int32Array,
  out: Uint32Array,
  base: number,
  top: number,
  M: number,
  m: number,
): void {
  const k0 = 32 * m;
  const rows = Math.min(32, n - k0);
  for (let r = 0; r < rows; r++) t[r] = s32[2 * (k0 + r) + half]!;
  for (let r = rows; r < 32; r++) t[r] = 0;
  transpose32(t);
  for (let c = 0; c < top; c++) out[(base + c) * M + m] = t[c]!;
}

/**
 * Bits 0..count-1 of each 64-bit word of src as planes (see the module
 * note): count * M words, M = ceil(n / 32). Bit positions up to 63.
 */
export function toPlanes(src: BigUint64Array, count: number): Uint32Array {
  const n = src.length;
  const M = (n + 31) >>> 5;
  const out = new Uint32Array(count * M);
  const s32 = new Uint32Array(src.buffer, src.byteOffset, 2 * n);
  const t = new Int32Array(32);
  for (let half = 0; half < 2 && 32 * half < count; half++) {
    const base = 32 * half;
    const top = Math.min(32, count - base);
    for (let m = 0; m < M; m++) planeBlock(s32, n, half, t, out, base, top, M, m);
  }
  return out;
}

/*
 * The loops below are small top-level functions on Uint32Arrays: V8 marks a
 * small, hot function for optimisation at once and compiles it in about a
 * millisecond, so each runs optimised within its first call (and parties in
 * one process share the compiled code), where a loop inside the large async
 * protocol function waits for the whole function's on-stack replacement.
 */

/** out[k] = x[k] ^ y[k]. */
function xor2(x: Uint32Array, y: Uint32Array, out: Uint32Array, L: number): void {
  for (let k = 0; k < L; k++) out[k] = x[k]! ^ y[k]!;
}

/** out[k] = r[k] ^ (w[k] & m[k]). */
function andXor(r: Uint32Array, w: Uint32Array, m: Uint32Array, out: Uint32Array, L: number): void {
  for (let k = 0; k < L; k++) out[k] = r[k]! ^ (w[k]! & m[k]!);
}

/** out[k] = r[k] ^ q[k] ^ (w[k] & m[k]). */
function andXor3(
  r: Uint32Array,
  q: Uint32Array,
  w: Uint32Array,
  m: Uint32Array,
  out: Uint32Array,
  L: number,
): void {
  for (let k = 0; k < L; k++) out[k] = r[k]! ^ q[k]! ^ (w[k]! & m[k]!);
}

/** out[oo + m] = x[xo + m] ^ y[yo + m] for m < M. */
function xorAt(
  x: Uint32Array,
  xo: number,
  y: Uint32Array,
  yo: number,
  out: Uint32Array,
  oo: number,
  M: number,
): void {
  for (let m = 0; m < M; m++) out[oo + m] = x[xo + m]! ^ y[yo + m]!;
}

/**
 * [v] and [v & w] on L words in ONE round, for v known to party 0 and w
 * known to parties 1 and 2: boolean.ts's inputAndBool (see the protocol and
 * its argument there) on 32-bit words. Returns replicated pairs (a, b).
 */
async function inputAnd32(
  s: Rep3Suite,
  v: Uint32Array | undefined,
  w: Uint32Array | undefined,
  L: number,
): Promise<{ va: Uint32Array; vb: Uint32Array; ga: Uint32Array; gb: Uint32Array }> {
  const i = s.party.index;
  const send = outbox();
  const op = 'rep3.inputAnd';
  const half = (L + 1) >>> 1;
  if (i === 0) {
    const k1 = s.prgWithNext(2 * half); // sigma | rho1
    const k0 = s.prgWithPrev(2 * half); // kappa | rho0
    const sigma = words32(k1, L),
      rho1 = words32(k1.subarray(half), L),
      kappa = words32(k0, L),
      rho0 = words32(k0.subarray(half), L);
    const toP1 = new Uint32Array(L);
    const toP2 = new Uint32Array(L);
    const vv = v!;
    xor2(vv, kappa, toP1, L);
    xor2(vv, sigma, toP2, L);
    send[1] = bytes32(toP1);
    send[2] = bytes32(toP2);
    await s.party.exchange({ op, send, recvFrom: [] });
    return { va: toP2, vb: sigma, ga: rho0, gb: rho1 };
  }
  const ww = w!;
  if (i === 1) {
    const k1 = s.prgWithPrev(2 * half);
    const sigma = words32(k1, L),
      rho1 = words32(k1.subarray(half), L);
    const toP2 = new Uint32Array(L);
    andXor(rho1, ww, sigma, toP2, L);
    send[2] = bytes32(toP2);
    const got = await s.party.exchange({ op, send, recvFrom: [0, 2] });
    const m0 = received32(s, got, 0, L);
    const m2 = received32(s, got, 2, L);
    const gamma2 = new Uint32Array(L);
    andXor3(m2, rho1, ww, m0, gamma2, L);
    return { va: sigma, vb: new Uint32Array(L), ga: rho1, gb: gamma2 };
  }
  const k0 = s.prgWithNext(2 * half);
  const kappa = words32(k0, L),
    rho0 = words32(k0.subarray(half), L);
  const toP1 = new Uint32Array(L);
  andXor(rho0, ww, kappa, toP1, L);
  send[1] = bytes32(toP1);
  const got = await s.party.exchange({ op, send, recvFrom: [0, 1] });
  const m0 = received32(s, got, 0, L);
  const m1 = received32(s, got, 1, L);
  const gamma2 = new Uint32Array(L);
  andXor3(m1, rho0, ww, m0, gamma2, L);
  return { va: new Uint32Array(L), vb: m0, ga: gamma2, gb: rho0 };
}

/**
 * z ^= x & y on replicated planes (Araki et al., CCS 2016, section 2.2):
 * party i's 3-out-of-3 share (x_a & y_a) ^ (x_a & y_b) ^ (x_b & y_a) of M
 * words from plane offsets xo, yo into z at zo. The zero sharing is XORed in
 * by the caller.
 */
function andInto(
  xa: Uint32Array,
  xb: Uint32Array,
  xo: number,
  ya: Uint32Array,
  yb: Uint32Array,
  yo: number,
  z: Uint32Array,
  zo: number,
  M: number,
): void {
  for (let m = 0; m < M; m++) {
    const a = xa[xo + m]!;
    const b = xb[xo + m]!;
    const c = ya[yo + m]!;
    const d = yb[yo + m]!;
    z[zo + m] = z[zo + m]! ^ (a & (c ^ d)) ^ (b & c);
  }
}

/**
 * Party i's 3-out-of-3 XOR share of the sign bit (bit bound-1) of each
 * element of x, packed 32 per 32-bit word in a BigUint64Array of
 * ceil(n / 64) words (bit k of the array is element k). Rounds:
 * 1 + ceil(log2(bound - 1)), the last one's share not yet opened.
 * @throws {ProtocolAbort} when a peer fails or sends a malformed message.
 */
export async function signShares(
  s: Rep3Suite,
  x: Rep3Shares,
  bound: number,
): Promise<BigUint64Array> {
  const i = s.party.index;
  const n = x.length;
  const w = bound - 1;
  const M = (n + 31) >>> 5;
  const L = w * M;
  // Party 0: y = x_0 + x_1; parties 1, 2: x_2 (party 1's b, party 2's a).
  let src: BigUint64Array;
  if (i === 0) {
    src = new BigUint64Array(n);
    addWords(x.a, x.b, src);
  } else src = i === 1 ? x.b : x.a;
  const planes = toPlanes(src, bound);
  const low = planes.subarray(0, L);
  const { va, vb, ga, gb } = await inputAnd32(
    s,
    i === 0 ? low : undefined,
    i === 0 ? undefined : low,
    L,
  );
  // p = y ^ x_2: x_2 is component 2, party 1's b and party 2's a.
  if (i === 1) xor2(vb, low, vb, L);
  if (i === 2) xor2(va, low, va, L);
  let Pa = va,
    Pb = vb,
    Ga = ga,
    Gb = gb;
  // Groups 0..c-1 from low to high; group q's G and P are planes q of (G, P).
  let c = w;
  const u = new BigUint64Array(Math.ceil(n / 64));
  const u32 = new Uint32Array(u.buffer, 0, M);
  while (c > 1) {
    const pairs = c >>> 1;
    const ands = 2 * pairs - 1; // G for every pair, P for all but the lowest
    const last = c === 2;
    const Z = ands * M;
    const r = s.prss((Z + 1) >>> 1);
    const z = words32(r.a, Z);
    const rb = words32(r.b, Z);
    xor2(z, rb, z, Z);
    // z planes: G-products for pairs 0..pairs-1, then P-products for pairs 1..pairs-1.
    for (let q = 0; q < pairs; q++) {
      const lo = 2 * q * M,
        hi = (2 * q + 1) * M;
      andInto(Pa, Pb, hi, Ga, Gb, lo, z, q * M, M);
      if (q > 0) andInto(Pa, Pb, hi, Pa, Pb, lo, z, (pairs + q - 1) * M, M);
    }
    if (last) {
      xorAt(z, 0, Ga, M, u32, 0, M);
      break;
    }
    const send = outbox();
    send[s.prev] = bytes32(z);
    const got = await s.party.exchange({ op: 'rep3.msb', send, recvFrom: [s.next] });
    const zb = received32(s, got, s.next, Z);
    const odd = c & 1;
    const nc = pairs + odd;
    const nGa = new Uint32Array(nc * M),
      nGb = new Uint32Array(nc * M),
      nPa = new Uint32Array(nc * M),
      nPb = new Uint32Array(nc * M);
    for (let q = 0; q < pairs; q++) {
      const hi = (2 * q + 1) * M;
      xorAt(z, q * M, Ga, hi, nGa, q * M, M);
      xorAt(zb, q * M, Gb, hi, nGb, q * M, M);
      if (q > 0) {
        nPa.set(z.subarray((pairs + q - 1) * M, (pairs + q) * M), q * M);
        nPb.set(zb.subarray((pairs + q - 1) * M, (pairs + q) * M), q * M);
      }
    }
    if (odd) {
      const from = (c - 1) * M;
      nGa.set(Ga.subarray(from, from + M), pairs * M);
      nGb.set(Gb.subarray(from, from + M), pairs * M);
      nPa.set(Pa.subarray(from, from + M), pairs * M);
      nPb.set(Pb.subarray(from, from + M), pairs * M);
    }
    Ga = nGa;
    Gb = nGb;
    Pa = nPa;
    Pb = nPb;
    c = nc;
  }
  // One position only (bound 2): the carry is g_0; component a is a valid share.
  if (w === 1) u32.set(Ga.subarray(0, M));
  // The top bit's y_w (party 0) and x_{2,w} (party 1), each counted once.
  if (i === 0 || i === 1) {
    const top = planes.subarray(L, L + M);
    xor2(u32, top, u32, M);
  }
  // Bits past n in the last word are garbage: clear them.
  const tail = n & 31;
  if (tail !== 0) u32[M - 1] = u32[M - 1]! & ((1 << tail) - 1);
  return u;
}

/** out = a + b mod 2^64 on 32-bit halves (no BigInt). */
export function addWords(a: BigUint64Array, b: BigUint64Array, out: BigUint64Array): void {
  const n = a.length;
  const a32 = new Uint32Array(a.buffer, a.byteOffset, 2 * n);
  const b32 = new Uint32Array(b.buffer, b.byteOffset, 2 * n);
  const o32 = new Uint32Array(out.buffer, out.byteOffset, 2 * n);
  for (let k = 0; k < 2 * n; k += 2) {
    const lo = (a32[k]! + b32[k]!) >>> 0;
    o32[k] = lo;
    o32[k + 1] = a32[k + 1]! + b32[k + 1]! + (lo < a32[k]! ? 1 : 0);
  }
}

/** out = -x mod 2^64 per word, on 32-bit halves. */
function negWords(x: BigUint64Array, out: BigUint64Array): void {
  const n = x.length;
  const x32 = new Uint32Array(x.buffer, x.byteOffset, 2 * n);
  const o32 = new Uint32Array(out.buffer, out.byteOffset, 2 * n);
  for (let k = 0; k < 2 * n; k += 2) {
    const lo = x32[k]!;
    o32[k] = -lo;
    o32[k + 1] = ~x32[k + 1]! + (lo === 0 ? 1 : 0);
  }
}

/**
 * Party i's 3-out-of-3 XOR share of [x == 0] for each element of x (bound
 * >= 2), packed as in signShares. x == 0 iff y = -x_2 on the low `bound`
 * bits, with y = x_0 + x_1 known to party 0 and -x_2 to parties 1 and 2: party
 * 0 inputs y's planes (one bit per position, to party 2 only; Araki et al.
 * section 2.1), the parties XOR in -x_2 and NOT locally, and an AND tree over
 * the `bound` planes (bound - 1 gates, one bit each) ends in the result, its
 * last level not reshared. Rounds: 1 + ceil(log2(bound)), the last one's share
 * not yet opened.
 * @throws {ProtocolAbort} when a peer fails or sends a malformed message.
 */
export async function zeroShares(
  s: Rep3Suite,
  x: Rep3Shares,
  bound: number,
): Promise<BigUint64Array> {
  const i = s.party.index;
  const n = x.length;
  const M = (n + 31) >>> 5;
  const L = bound * M;
  const t = new BigUint64Array(n);
  if (i === 0) addWords(x.a, x.b, t);
  else negWords(i === 1 ? x.b : x.a, t);
  const planes = toPlanes(t, bound);
  // y's sharing (y ^ sigma, sigma, 0), sigma from the key of parties 0 and 1.
  const half = (L + 1) >>> 1;
  const send = outbox();
  let ua: Uint32Array, ub: Uint32Array;
  if (i === 0) {
    const sigma = words32(s.prgWithNext(half), L);
    const c0 = new Uint32Array(L);
    xor2(planes, sigma, c0, L);
    send[2] = bytes32(c0);
    await s.party.exchange({ op: 'rep3.eqzInput', send, recvFrom: [] });
    ua = c0;
    ub = sigma.slice();
  } else if (i === 1) {
    const sigma = words32(s.prgWithPrev(half), L);
    await s.party.exchange({ op: 'rep3.eqzInput', send, recvFrom: [] });
    ua = sigma.slice();
    ub = planes; // component 2: -x_2
  } else {
    const got = await s.party.exchange({ op: 'rep3.eqzInput', send, recvFrom: [0] });
    ua = planes; // component 2: -x_2
    ub = received32(s, got, 0, L).slice();
  }
  // u = NOT (y ^ -x_2): NOT flips component 0 (party 0's a, party 2's b).
  if (i === 0) notInPlace(ua, L);
  if (i === 2) notInPlace(ub, L);
  let c = bound;
  const u = new BigUint64Array(Math.ceil(n / 64));
  const u32 = new Uint32Array(u.buffer, 0, M);
  for (;;) {
    const pairs = c >>> 1;
    const Z = pairs * M;
    const r = s.prss((Z + 1) >>> 1);
    const z = words32(r.a, Z);
    xor2(z, words32(r.b, Z), z, Z);
    for (let q = 0; q < pairs; q++)
      andInto(ua, ub, 2 * q * M, ua, ub, (2 * q + 1) * M, z, q * M, M);
    if (c === 2) {
      u32.set(z.subarray(0, M));
      break;
    }
    const sendZ = outbox();
    sendZ[s.prev] = bytes32(z);
    const got = await s.party.exchange({ op: 'rep3.eqz', send: sendZ, recvFrom: [s.next] });
    const zb = received32(s, got, s.next, Z);
    const nc = pairs + (c & 1);
    const na = new Uint32Array(nc * M),
      nb = new Uint32Array(nc * M);
    na.set(z);
    nb.set(zb);
    if (c & 1) {
      na.set(ua.subarray((c - 1) * M, c * M), pairs * M);
      nb.set(ub.subarray((c - 1) * M, c * M), pairs * M);
    }
    ua = na;
    ub = nb;
    c = nc;
  }
  const tail = n & 31;
  if (tail !== 0) u32[M - 1] = u32[M - 1]! & ((1 << tail) - 1);
  return u;
}

/** x = ~x on the first L words. */
function notInPlace(x: Uint32Array, L: number): void {
  for (let k = 0; k < L; k++) x[k] = ~x[k]!;
}
