/**
 * Boolean replicated sharing over GF(2) for the rep3 suite, and the
 * arithmetic-to-boolean conversion (A2B) built on it.
 *
 * Assumptions are those of the rep3 suite: a semi-honest adversary corrupting
 * at most one of the three parties, authenticated private channels, and the
 * PRSS keys of Rep3Suite.setup(). Nothing is revealed: every message is masked
 * by PRSS output the receiver does not hold.
 *
 * Sharing (Araki, Furukawa, Lindell, Nof, Ohara, CCS 2016, section 2.1, over
 * GF(2)): x = x_0 ^ x_1 ^ x_2 and party i holds (x_i, x_{i+1}), like the
 * arithmetic sharing. Vectors are word-sliced: one BigUint64Array word per
 * element (or per packed group of elements), so one AND over the arrays
 * evaluates 64 gates per word at the cost of one word of communication.
 *
 * Layouts of the carry computation (A2B): "narrow" packs, for w <= 32 carry
 * positions, each element into a lane of 2H bits, H = nextPow2(w): the
 * propagate bits P in the low half and the generate bits G in the high half,
 * so one Kogge-Stone level is a single AND of (P, P) with (P << k, G << k);
 * E = 64 / 2H elements share a word. "Wide" (33 <= w <= 63) keeps G and P in
 * separate words and ANDs both in one exchange.
 */
import { wordsOf } from '../vectors.js';
import type { Rep3Shares, Rep3Suite } from './rep3.js';

/** Party i's pair (x_i, x_{i+1}) of a boolean sharing x = x_0 ^ x_1 ^ x_2. */
export class Rep3Bool {
  constructor(
    readonly a: BigUint64Array,
    readonly b: BigUint64Array,
  ) {}
  get length(): number {
    return this.a.length;
  }
}

type Outbox = Array<Uint8Array | undefined>;
const outbox = (): Outbox => [undefined, undefined, undefined];

function bytes(v: BigUint64Array): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** Views peer j's payload as n words. @throws {ProtocolAbort} ('malformed') on a size mismatch. */
export function received(
  s: Rep3Suite,
  got: ReadonlyArray<Uint8Array | undefined>,
  j: number,
  n: number,
): BigUint64Array {
  return wordsOf(got[j] ?? new Uint8Array(0), n, j, s.party.ids[j]!);
}

// ---------------------------------------------------------------------------
// Local operations
// ---------------------------------------------------------------------------

/** x ^ y (local). @throws {RangeError} when the lengths differ. */
export function xor(x: Rep3Bool, y: Rep3Bool): Rep3Bool {
  if (x.length !== y.length)
    throw new RangeError(`rep3.xor: lengths differ (${x.length} and ${y.length})`);
  const a = new BigUint64Array(x.length);
  const b = new BigUint64Array(x.length);
  for (let k = 0; k < a.length; k++) {
    a[k] = x.a[k]! ^ y.a[k]!;
    b[k] = x.b[k]! ^ y.b[k]!;
  }
  return new Rep3Bool(a, b);
}

/** x ^ c for one public word c, applied to every element: c enters component 0. */
export function xorPublic(s: Rep3Suite, x: Rep3Bool, c: bigint): Rep3Bool {
  const i = s.party.index;
  const k = BigInt.asUintN(64, c);
  const a = x.a.slice();
  const b = x.b.slice();
  // Component 0 is held by party 0 (as a) and party 2 (as b).
  if (i === 0) for (let j = 0; j < a.length; j++) a[j] = a[j]! ^ k;
  if (i === 2) for (let j = 0; j < b.length; j++) b[j] = b[j]! ^ k;
  return new Rep3Bool(a, b);
}

/** A public vector as a boolean sharing (component 0 carries it). */
export function constantBool(s: Rep3Suite, words: BigUint64Array): Rep3Bool {
  const i = s.party.index;
  const z = new BigUint64Array(words.length);
  return new Rep3Bool(i === 0 ? words.slice() : z, i === 2 ? words.slice() : z.slice());
}

/** Uniformly random shared words from the PRSS (no communication). */
export function randomBool(s: Rep3Suite, n: number): Rep3Bool {
  const r = s.prss(n);
  return new Rep3Bool(r.a, r.b);
}

// ---------------------------------------------------------------------------
// AND (Araki et al. 2016, section 2.2, over GF(2))
// ---------------------------------------------------------------------------

/**
 * Party i's 3-out-of-3 share of x & y, re-randomised:
 * z_i = (x_i & y_i) ^ (x_i & y_{i+1}) ^ (x_{i+1} & y_i) ^ alpha_i, where
 * alpha_i = F(k_i) ^ F(k_{i+1}) XORs to zero over the three parties.
 * Written into `out` at `offset` (so several ANDs share one buffer).
 * @throws {RangeError} when the lengths differ.
 */
export function andLocal(
  s: Rep3Suite,
  x: Rep3Bool,
  y: Rep3Bool,
  out = new BigUint64Array(x.length),
  offset = 0,
): BigUint64Array {
  if (x.length !== y.length)
    throw new RangeError(`rep3.and: lengths differ (${x.length} and ${y.length})`);
  const n = x.length;
  const r = s.prss(n);
  const ra = r.a,
    rb = r.b,
    xa = x.a,
    xb = x.b,
    ya = y.a,
    yb = y.b;
  for (let k = 0; k < n; k++) {
    const o = offset + k;
    out[o] = ra[k]! ^ rb[k]!;
    out[o] = out[o]! ^ (xa[k]! & (ya[k]! ^ yb[k]!));
    out[o] = out[o]! ^ (xb[k]! & ya[k]!);
  }
  return out;
}

/** Replicates a 3-out-of-3 XOR sharing: party i sends z_i to party i-1 and holds (z_i, z_{i+1}). */
export async function reshareBool(s: Rep3Suite, z: BigUint64Array, op: string): Promise<Rep3Bool> {
  const send = outbox();
  send[s.prev] = bytes(z);
  const got = await s.party.exchange({ op, send, recvFrom: [s.next] });
  return new Rep3Bool(z, received(s, got, s.next, z.length));
}

/**
 * x & y, elementwise over the words: one round, one word sent per word of x.
 * @throws {RangeError} when the lengths differ; {ProtocolAbort} when a peer fails.
 */
export async function and(s: Rep3Suite, x: Rep3Bool, y: Rep3Bool): Promise<Rep3Bool> {
  return reshareBool(s, andLocal(s, x, y), 'rep3.and');
}

/**
 * Several independent ANDs in one exchange (the vectors are concatenated on the wire).
 * @throws {RangeError} when the two vectors of a pair differ in length.
 */
export async function andMany(
  s: Rep3Suite,
  pairs: ReadonlyArray<readonly [Rep3Bool, Rep3Bool]>,
): Promise<Rep3Bool[]> {
  let total = 0;
  for (const [x] of pairs) total += x.length;
  const z = new BigUint64Array(total);
  let off = 0;
  for (const [x, y] of pairs) {
    andLocal(s, x, y, z, off);
    off += x.length;
  }
  const all = await reshareBool(s, z, 'rep3.and');
  const out: Rep3Bool[] = [];
  off = 0;
  for (const [x] of pairs) {
    out.push(
      new Rep3Bool(all.a.subarray(off, off + x.length), all.b.subarray(off, off + x.length)),
    );
    off += x.length;
  }
  return out;
}

/**
 * Opens x to the parties in `to`; others get undefined. Party j lacks
 * component j+2, which party j-1 holds as its `a`.
 */
export async function openBool(
  s: Rep3Suite,
  x: Rep3Bool,
  to: readonly number[] = [0, 1, 2],
): Promise<BigUint64Array | undefined> {
  const i = s.party.index;
  const send = outbox();
  if (to.includes(s.next)) send[s.next] = bytes(x.a);
  const mine = to.includes(i);
  const got = await s.party.exchange({
    op: 'rep3.openBool',
    send,
    recvFrom: mine ? [s.prev] : [],
  });
  if (!mine) return undefined;
  const missing = received(s, got, s.prev, x.length);
  const v = new BigUint64Array(x.length);
  for (let k = 0; k < v.length; k++) v[k] = x.a[k]! ^ x.b[k]! ^ missing[k]!;
  return v;
}

/**
 * Opens a value from 3-out-of-3 XOR shares u_i (party i's share), to all
 * parties: each sends its share to both others. The shares must reveal
 * nothing beyond the value: fresh output of andLocal (re-randomised by the
 * zero sharing), or each party's component `a` of a replicated sharing (then
 * this is an ordinary open, plus a copy the receiver already holds).
 */
export async function openAdditiveBool(
  s: Rep3Suite,
  u: BigUint64Array,
  op: string,
): Promise<BigUint64Array> {
  const send = outbox();
  send[s.prev] = bytes(u);
  send[s.next] = bytes(u);
  const got = await s.party.exchange({ op, send, recvFrom: [s.prev, s.next] });
  const p = received(s, got, s.prev, u.length);
  const q = received(s, got, s.next, u.length);
  const v = new BigUint64Array(u.length);
  for (let k = 0; k < v.length; k++) v[k] = u[k]! ^ p[k]! ^ q[k]!;
  return v;
}

// ---------------------------------------------------------------------------
// Inputs from party 0, with a product against a value parties 1 and 2 hold
// ---------------------------------------------------------------------------

/** @throws {RangeError} unless `v` holds n words. */
export function checkInput(op: string, v: BigUint64Array | undefined, n: number): void {
  if (!v || v.length !== n)
    throw new RangeError(`${op}: expected ${n} values, got ${v?.length ?? 'none'}`);
}

/**
 * Party 0 shares v (boolean input, Araki et al. section 2.1): component 1 is
 * sigma = F(k_1), known to parties 0 and 1; component 0 = v ^ sigma goes to
 * party 2; component 2 is 0. One round, one word per element.
 * Parties 1 and 2 pass undefined for v.
 * @throws {RangeError} at party 0 unless v holds n words.
 */
export async function inputBool0(
  s: Rep3Suite,
  v: BigUint64Array | undefined,
  n: number,
): Promise<Rep3Bool> {
  const i = s.party.index;
  if (i === 0) checkInput('rep3.inputBool', v, n);
  const send = outbox();
  if (i === 0) {
    const sigma = s.prgWithNext(n);
    const c0 = new BigUint64Array(n);
    for (let k = 0; k < n; k++) c0[k] = v![k]! ^ sigma[k]!;
    send[2] = bytes(c0);
    await s.party.exchange({ op: 'rep3.inputBool', send, recvFrom: [] });
    return new Rep3Bool(c0, sigma);
  }
  if (i === 1) {
    const sigma = s.prgWithPrev(n);
    await s.party.exchange({ op: 'rep3.inputBool', send, recvFrom: [] });
    return new Rep3Bool(sigma, new BigUint64Array(n));
  }
  const got = await s.party.exchange({ op: 'rep3.inputBool', send, recvFrom: [0] });
  return new Rep3Bool(new BigUint64Array(n), received(s, got, 0, n));
}

/**
 * [v] and [v & w] in ONE round, for v known to party 0 and w known to
 * parties 1 and 2 (an optimisation of the AND above for this split of
 * knowledge; it merges party 0's input with the first AND of A2B).
 *
 * [v] is inputBool0's sharing (v ^ sigma, sigma, 0). [v & w] has components
 * (rho0, rho1, gamma2) with rho0 = F(k_0) (parties 2, 0), rho1 = F(k_1)
 * (parties 0, 1), and gamma2 = (v & w) ^ rho0 ^ rho1, which parties 1 and 2
 * both learn:
 *   party 0 sends v ^ kappa to party 1 (kappa = F(k_0)) and v ^ sigma to party 2;
 *   party 2 sends rho0 ^ (w & kappa) to party 1;
 *   party 1 sends rho1 ^ (w & sigma) to party 2;
 *   party 1: gamma2 = (rho0 ^ (w & kappa)) ^ (w & (v ^ kappa)) ^ rho1,
 *   party 2: gamma2 = (rho1 ^ (w & sigma)) ^ (w & (v ^ sigma)) ^ rho0.
 * Party 1 sees (v ^ kappa, rho0 ^ (w & kappa)) with kappa and rho0 fresh and
 * unknown to it: uniform; party 2 likewise with sigma and rho1. Four words
 * per element in total, as for an input followed by an AND, in one round.
 * @throws {RangeError} unless party 0 passes n words v and parties 1, 2 pass n words w.
 */
export async function inputAndBool(
  s: Rep3Suite,
  v: BigUint64Array | undefined,
  w: BigUint64Array | undefined,
  n: number,
): Promise<{ v: Rep3Bool; vw: Rep3Bool }> {
  const i = s.party.index;
  if (i === 0) checkInput('rep3.inputAnd', v, n);
  else checkInput('rep3.inputAnd', w, n);
  const send = outbox();
  const op = 'rep3.inputAnd';
  if (i === 0) {
    const k1 = s.prgWithNext(2 * n); // sigma | rho1
    const k0 = s.prgWithPrev(2 * n); // kappa | rho0
    const sigma = k1.subarray(0, n),
      rho1 = k1.subarray(n),
      kappa = k0.subarray(0, n),
      rho0 = k0.subarray(n);
    const toP1 = new BigUint64Array(n);
    const toP2 = new BigUint64Array(n);
    for (let k = 0; k < n; k++) {
      toP1[k] = v![k]! ^ kappa[k]!;
      toP2[k] = v![k]! ^ sigma[k]!;
    }
    send[1] = bytes(toP1);
    send[2] = bytes(toP2);
    await s.party.exchange({ op, send, recvFrom: [] });
    return { v: new Rep3Bool(toP2, sigma), vw: new Rep3Bool(rho0, rho1) };
  }
  if (i === 1) {
    const k1 = s.prgWithPrev(2 * n);
    const sigma = k1.subarray(0, n),
      rho1 = k1.subarray(n);
    const toP2 = new BigUint64Array(n);
    for (let k = 0; k < n; k++) toP2[k] = rho1[k]! ^ (w![k]! & sigma[k]!);
    send[2] = bytes(toP2);
    const got = await s.party.exchange({ op, send, recvFrom: [0, 2] });
    const m0 = received(s, got, 0, n);
    const m2 = received(s, got, 2, n);
    const gamma2 = new BigUint64Array(n);
    for (let k = 0; k < n; k++) {
      gamma2[k] = m2[k]! ^ rho1[k]!;
      gamma2[k] = gamma2[k]! ^ (w![k]! & m0[k]!);
    }
    return { v: new Rep3Bool(sigma, new BigUint64Array(n)), vw: new Rep3Bool(rho1, gamma2) };
  }
  const k0 = s.prgWithNext(2 * n);
  const kappa = k0.subarray(0, n),
    rho0 = k0.subarray(n);
  const toP1 = new BigUint64Array(n);
  for (let k = 0; k < n; k++) toP1[k] = rho0[k]! ^ (w![k]! & kappa[k]!);
  send[1] = bytes(toP1);
  const got = await s.party.exchange({ op, send, recvFrom: [0, 1] });
  const m0 = received(s, got, 0, n);
  const m1 = received(s, got, 1, n);
  const gamma2 = new BigUint64Array(n);
  for (let k = 0; k < n; k++) {
    gamma2[k] = m1[k]! ^ rho0[k]!;
    gamma2[k] = gamma2[k]! ^ (w![k]! & m0[k]!);
  }
  return { v: new Rep3Bool(new BigUint64Array(n), m0), vw: new Rep3Bool(gamma2, rho0) };
}

// ---------------------------------------------------------------------------
// A2B (Mohassel, Rindal, ABY3, CCS 2018, section 5.3)
// ---------------------------------------------------------------------------

/**
 * The first step of A2B: x = y + x_2 with y = x_0 + x_1 known to party 0 and
 * x_2 known to parties 1 and 2. Returns the sharings of the generate bits
 * g = y & x_2 and propagate bits p = y ^ x_2 of that two-operand addition,
 * one word per element, in one round (inputAndBool).
 */
export async function a2bStart(s: Rep3Suite, x: Rep3Shares): Promise<{ g: Rep3Bool; p: Rep3Bool }> {
  const i = s.party.index;
  const n = x.length;
  let y: BigUint64Array | undefined;
  let x2: BigUint64Array | undefined;
  if (i === 0) {
    y = new BigUint64Array(n);
    for (let k = 0; k < n; k++) y[k] = x.a[k]! + x.b[k]!;
  } else x2 = i === 1 ? x.b : x.a;
  const { v, vw } = await inputAndBool(s, y, x2, n);
  // p = y ^ x_2, with x_2 in component 2 (party 1's b, party 2's a).
  if (i === 1) for (let k = 0; k < n; k++) v.b[k] = v.b[k]! ^ x2![k]!;
  if (i === 2) for (let k = 0; k < n; k++) v.a[k] = v.a[k]! ^ x2![k]!;
  return { g: vw, p: v };
}

/** Kogge-Stone levels needed for the carries into positions 1..w. */
export function prefixLevels(w: number): number {
  return w <= 1 ? 0 : Math.ceil(Math.log2(w));
}

/** Lane half-width H (a power of two >= w) of the narrow layout, or 64 for the wide one. */
export function laneHalf(w: number): number {
  if (w > 32) return 64;
  let h = 1;
  while (h < w) h *= 2;
  return h;
}

export const ones = (k: number): bigint => (k >= 64 ? (1n << 64n) - 1n : (1n << BigInt(k)) - 1n);

/** 2^k mod 2^64: left shifts are written as products, see the note on V8 below. */
const pow2 = (k: number): bigint => BigInt.asUintN(64, 1n << BigInt(k));

/*
 * A note on V8 (Node 20), measured: BigUint64Array element arithmetic runs at
 * machine speed (about 1-2 ns per word) only when (1) every computed BigInt
 * local is wrapped in BigInt.asUintN(64, .), and (2) shift amounts are
 * literals or module constants. A shift by a BigInt computed at run time is
 * 10-50x slower, while a product by one is not, so left shifts by a variable
 * amount are products by 2^k, and right shifts by a variable amount go
 * through 32-bit views.
 */

/** Repeats a lane pattern `pat` of width `width` across a word. */
function repeatLanes(pat: bigint, width: number): bigint {
  let m = 0n;
  for (let off = 0; off < 64; off += width) m |= pat << BigInt(off);
  return BigInt.asUintN(64, m);
}

/**
 * Packs elements into lanes of `width` bits (a power of two): lane e of word
 * q holds element q*E + e ANDed with `mask`, E = 64 / width.
 */
export function packLanes(src: BigUint64Array, width: number, mask: bigint): BigUint64Array {
  const per = 64 / width;
  const n = src.length;
  const out = new BigUint64Array(Math.ceil(n / per));
  const m = BigInt.asUintN(64, mask);
  for (let e = 0; e < per; e++) {
    const f = pow2(e * width);
    for (let q = 0, k = e; k < n; q++, k += per) out[q] = out[q]! | ((src[k]! & m) * f);
  }
  return out;
}

/**
 * Bits [off, off + len) of each element's lane (lanes of `width` bits as in
 * packLanes), one word per element. The field must lie within one aligned
 * 32-bit half (true for every field used here).
 */
export function laneField(
  packed: BigUint64Array,
  width: number,
  n: number,
  off: number,
  len: number,
): BigUint64Array {
  const per = 64 / width;
  const out = new BigUint64Array(n);
  const o32 = new Uint32Array(out.buffer);
  const p32 = new Uint32Array(packed.buffer, packed.byteOffset, 2 * packed.length);
  const mask = len >= 32 ? 0xffffffff : (1 << len) - 1;
  for (let e = 0; e < per; e++) {
    const bit = e * width + off;
    const half = bit >>> 5;
    const sh = bit & 31;
    for (let q = 0, k = e; k < n; q++, k += per) o32[2 * k] = (p32[2 * q + half]! >>> sh) & mask;
  }
  return out;
}

/** Bit `pos` of each element's lane, packed 64 elements per word. */
export function laneBit(
  packed: BigUint64Array,
  width: number,
  n: number,
  pos: number,
): BigUint64Array {
  const per = 64 / width;
  const out = new BigUint64Array(Math.ceil(n / 64));
  const o32 = new Uint32Array(out.buffer);
  const p32 = new Uint32Array(packed.buffer, packed.byteOffset, 2 * packed.length);
  for (let e = 0; e < per; e++) {
    const bit = e * width + pos;
    const half = bit >>> 5;
    const sh = bit & 31;
    for (let q = 0, k = e; k < n; q++, k += per) {
      const j = k >>> 5;
      o32[j] = o32[j]! | (((p32[2 * q + half]! >>> sh) & 1) << (k & 31));
    }
  }
  return out;
}

/**
 * Carry state of the prefix computation. Narrow layout (w <= 32): lanes of 2H
 * bits, [P in bits 0..H-1 | G in bits H..2H-1], E = 64 / 2H elements per word;
 * with P in the low half, "P in both halves" is (X & LOW) * (1 + 2^H) and
 * "(P << k | G << k) per half" is (X * 2^k) & MK, both free of right shifts.
 * Wide layout (w > 32): separate words for G and P.
 */
export interface CarryState {
  /** Carry positions: G is wanted at bit positions 0..w-1. */
  readonly w: number;
  /** Lane half-width (narrow) or 64 (wide). */
  readonly h: number;
  /** Narrow: packed lanes [P | G]; wide: G. */
  readonly x: Rep3Bool;
  /** Wide only: P. */
  readonly p: Rep3Bool | undefined;
  /** Number of elements. */
  readonly n: number;
}

/** Arranges (g, p), one word per element, into the carry layout for w positions. */
export function carryState(g: Rep3Bool, p: Rep3Bool, w: number): CarryState {
  const n = g.length;
  const h = laneHalf(w);
  if (h === 64) return { w, h, x: g, p, n };
  return { w, h, x: new Rep3Bool(packPG(g.a, p.a, h), packPG(g.b, p.b, h)), p: undefined, n };
}

// A top-level function: BigInt constants captured by a closure defeat V8's word lowering.
function packPG(gv: BigUint64Array, pv: BigUint64Array, h: number): BigUint64Array {
  const n = gv.length;
  const mh = ones(h);
  const up = pow2(h);
  const t = new BigUint64Array(n);
  for (let k = 0; k < n; k++) t[k] = (pv[k]! & mh) | ((gv[k]! & mh) * up);
  return h === 32 ? t : packLanes(t, 2 * h, ones(2 * h));
}

/**
 * Runs the Kogge-Stone levels (shifts 1, 2, 4, ...) on a carry state: after
 * them, G at position j is the carry out of positions 0..j of the addition.
 * With `additiveLast`, the last level is not reshared and the result is this
 * party's fresh 3-out-of-3 share of the final state (to be opened under a
 * mask in the same round); otherwise the replicated final state. Read G with
 * carryBit / carryWords. Rounds: prefixLevels(w), one fewer with additiveLast.
 */
export async function prefixCarries(
  s: Rep3Suite,
  st: CarryState,
  additiveLast: true,
): Promise<BigUint64Array>;
export async function prefixCarries(
  s: Rep3Suite,
  st: CarryState,
  additiveLast: false,
): Promise<Rep3Bool>;
export async function prefixCarries(
  s: Rep3Suite,
  st: CarryState,
  additiveLast: boolean,
): Promise<BigUint64Array | Rep3Bool> {
  const levels = prefixLevels(st.w);
  if (st.h === 64) return prefixWide(s, st, levels, additiveLast);
  const lane = 2 * st.h;
  const LOW = repeatLanes(ones(st.h), lane);
  const HIGH = repeatLanes(ones(st.h) << BigInt(st.h), lane);
  const DUP = pow2(st.h) + 1n;
  let xa = st.x.a;
  let xb = st.x.b;
  const N = xa.length;
  for (let lv = 0; lv < levels; lv++) {
    const k = 1 << lv;
    const POW = pow2(k);
    // Clears the low k bits of each half: what a shift moved in from below.
    const MK = BigInt.asUintN(64, ~repeatLanes(ones(k) | (ones(k) << BigInt(st.h)), lane));
    // z = L & R as in andLocal, L = (P | P), R = (P << k | G << k), computed without temporaries.
    const r = s.prss(N);
    const z = r.a;
    const rb = r.b;
    for (let q = 0; q < N; q++) {
      const a = xa[q]!;
      const b = xb[q]!;
      const la = BigInt.asUintN(64, (a & LOW) * DUP);
      const lb = BigInt.asUintN(64, (b & LOW) * DUP);
      const ra = BigInt.asUintN(64, (a * POW) & MK);
      const rbq = BigInt.asUintN(64, (b * POW) & MK);
      z[q] = z[q]! ^ rb[q]!;
      z[q] = z[q]! ^ (la & (ra ^ rbq));
      z[q] = z[q]! ^ (lb & ra);
    }
    // New state: P' = P & (P << k) (low halves of z), G' = G ^ (P & (G << k)).
    if (additiveLast && lv === levels - 1) {
      for (let q = 0; q < N; q++) z[q] = z[q]! ^ (xa[q]! & HIGH);
      return z;
    }
    const got = await reshareBool(s, z, 'rep3.a2b');
    const zb = got.b;
    for (let q = 0; q < N; q++) {
      z[q] = z[q]! ^ (xa[q]! & HIGH);
      zb[q] = zb[q]! ^ (xb[q]! & HIGH);
    }
    xa = z;
    xb = zb;
  }
  // With no AND at all (w <= 1), component a of the replicated state is a valid share.
  return additiveLast ? xa : new Rep3Bool(xa, xb);
}

async function prefixWide(
  s: Rep3Suite,
  st: CarryState,
  levels: number,
  additiveLast: boolean,
): Promise<BigUint64Array | Rep3Bool> {
  let g = st.x;
  let p = st.p!;
  const n = st.n;
  for (let lv = 0; lv < levels; lv++) {
    const POW = pow2(1 << lv);
    const last = lv === levels - 1;
    // z1 = P & (G << k) always; z2 = P & (P << k) unless this is the last level.
    const r = s.prss(last ? n : 2 * n);
    const z = r.a;
    const rb = r.b;
    const ga = g.a,
      gb = g.b,
      pa = p.a,
      pb = p.b;
    for (let q = 0; q < n; q++) {
      const sa = BigInt.asUintN(64, ga[q]! * POW);
      const sb = BigInt.asUintN(64, gb[q]! * POW);
      z[q] = z[q]! ^ rb[q]!;
      z[q] = z[q]! ^ (pa[q]! & (sa ^ sb));
      z[q] = z[q]! ^ (pb[q]! & sa);
    }
    if (!last) {
      for (let q = 0; q < n; q++) {
        const o = n + q;
        const sa = BigInt.asUintN(64, pa[q]! * POW);
        const sb = BigInt.asUintN(64, pb[q]! * POW);
        z[o] = z[o]! ^ rb[o]!;
        z[o] = z[o]! ^ (pa[q]! & (sa ^ sb));
        z[o] = z[o]! ^ (pb[q]! & sa);
      }
    }
    if (additiveLast && last) {
      for (let q = 0; q < n; q++) z[q] = z[q]! ^ ga[q]!;
      return z.subarray(0, n);
    }
    const got = await reshareBool(s, z, 'rep3.a2b');
    const z1a = got.a.subarray(0, n);
    const z1b = got.b.subarray(0, n);
    for (let q = 0; q < n; q++) {
      z1a[q] = z1a[q]! ^ ga[q]!;
      z1b[q] = z1b[q]! ^ gb[q]!;
    }
    g = new Rep3Bool(z1a, z1b);
    if (!last) p = new Rep3Bool(got.a.subarray(n), got.b.subarray(n));
  }
  return additiveLast ? g.a : g;
}

/** Bit `pos` (< w) of G of each element, from a prefixCarries result, packed 64 per word. */
export function carryBit(st: CarryState, x: BigUint64Array, pos: number): BigUint64Array {
  if (st.h === 64) return packBitAt(x, pos);
  return laneBit(x, 2 * st.h, st.n, st.h + pos);
}

/** G (bits 0..w-1) of each element, from a prefixCarries result, one word per element. */
export function carryWords(st: CarryState, x: BigUint64Array): BigUint64Array {
  if (st.h === 64) return x;
  return laneField(x, 2 * st.h, st.n, st.h, st.h);
}

/**
 * A2B: the boolean sharing of the low `bits` bits of x mod 2^64 (higher bits
 * zero), one word per element. Rounds: 1 + ceil(log2(bits - 1)).
 * @throws {RangeError} unless 1 <= bits <= 64.
 */
export async function a2b(s: Rep3Suite, x: Rep3Shares, bits: number): Promise<Rep3Bool> {
  if (!Number.isInteger(bits) || bits < 1 || bits > 64)
    throw new RangeError(`rep3.a2b: bit count must be in 1..64, got ${bits}`);
  const n = x.length;
  if (n === 0) return new Rep3Bool(new BigUint64Array(0), new BigUint64Array(0));
  const { g, p } = await a2bStart(s, x);
  const st = carryState(g, p, bits - 1);
  const G = await prefixCarries(s, st, false);
  const ga = carryWords(st, G.a);
  const gb = carryWords(st, G.b);
  // Sum bit j = p_j ^ (carry into j) = p_j ^ G_{j-1}.
  const m = ones(bits);
  const a = new BigUint64Array(n);
  const b = new BigUint64Array(n);
  for (let k = 0; k < n; k++) {
    a[k] = (p.a[k]! ^ (ga[k]! << 1n)) & m;
    b[k] = (p.b[k]! ^ (gb[k]! << 1n)) & m;
  }
  return new Rep3Bool(a, b);
}

// ---------------------------------------------------------------------------
// Bit vectors (one bit per element), through 32-bit views: per-element BigInt
// shifts by a varying amount are slow in V8, 32-bit number operations are not.
// ---------------------------------------------------------------------------

/** Bit `pos` of each word, packed 64 per word (bit k of the result is bit pos of words[k]). */
export function packBitAt(words: BigUint64Array, pos: number): BigUint64Array {
  const n = words.length;
  const out = new BigUint64Array(Math.ceil(n / 64));
  const o32 = new Uint32Array(out.buffer);
  const w32 = new Uint32Array(words.buffer, words.byteOffset, 2 * n);
  const half = pos >>> 5;
  const sh = pos & 31;
  for (let k = 0; k < n; k++) {
    const j = k >>> 5;
    o32[j] = o32[j]! | (((w32[2 * k + half]! >>> sh) & 1) << (k & 31));
  }
  return out;
}

/** The first n bits of a bit vector as 0/1 words. */
export function unpackBits(bv: BigUint64Array, n: number): BigUint64Array {
  const out = new BigUint64Array(n);
  const o32 = new Uint32Array(out.buffer);
  const b32 = new Uint32Array(bv.buffer, bv.byteOffset, 2 * bv.length);
  for (let k = 0; k < n; k++) o32[2 * k] = (b32[k >>> 5]! >>> (k & 31)) & 1;
  return out;
}

/** Bits 0..bits-1 of each word as 0/1 words, bit j of word i at index i*bits + j. */
export function expandBits(words: BigUint64Array, bits: number): BigUint64Array {
  const n = words.length;
  const out = new BigUint64Array(n * bits);
  const o32 = new Uint32Array(out.buffer);
  const w32 = new Uint32Array(words.buffer, words.byteOffset, 2 * n);
  for (let k = 0, o = 0; k < n; k++) {
    const lo = w32[2 * k]!;
    const hi = w32[2 * k + 1]!;
    for (let j = 0; j < bits; j++, o++) o32[2 * o] = (j < 32 ? lo >>> j : hi >>> (j - 32)) & 1;
  }
  return out;
}
