/**
 * Comparisons and bit decomposition for the rep3 suite: [x < 0], [x == 0],
 * the bits of x, and random shared bits, all as arithmetic 0/1 sharings.
 *
 * Assumptions are those of the rep3 suite (semi-honest, one corruption of
 * three, private authenticated channels). Each protocol reveals only masked
 * values: a bit opened to everyone is XORed with a fresh random bit that no
 * party knows. Bounds (suite.ts): every input satisfies
 * -2^(bound-1) <= x < 2^(bound-1), so x mod 2^64 and its low `bound` bits
 * determine each other.
 *
 * Structure (Mohassel, Rindal, ABY3, CCS 2018, section 5.3, with the
 * optimisations noted in boolean.ts and msb.ts): party 0 knows y = x_0 + x_1
 * and parties 1 and 2 know x_2, so x = y + x_2 is a two-operand addition
 * whose generate/propagate bits come out of one round. ltz computes only the
 * carry into the top bit, and eqz an AND tree, both on bit-sliced planes
 * (msb.ts); bits uses the packed Kogge-Stone prefix of boolean.ts. The last AND of the
 * circuit is not reshared: its fresh 3-out-of-3 shares, XORed with a random
 * bit delta, are opened in the same round, and delta's arithmetic sharing (a
 * "daBit", prepared in parallel) turns the opened e = c ^ delta into
 * [c] = e + (1 - 2e)[delta] locally.
 *
 * Bytes sent per 32-bit ltz, per party: 16 (party 0) or 8 (parties 1, 2)
 * for the daBit, 7.75 or 3.9 for the input round, 7 for the tree and the
 * opening: 23.3 on average, 30.8 at party 0.
 *
 * Rounds (n elements cost the same rounds as one):
 *   ltz:  1 + ceil(log2(bound - 1))   (6 for 32-bit values, 7 for 64-bit)
 *   eqz:  1 + ceil(log2(bound))       (6 for 32-bit, 7 for 64-bit)
 *   bits: 1 + ceil(log2(bits - 1))
 *   randomBits: 1
 */
import { Rep3Shares, type Rep3Suite } from './rep3.js';
import {
  Rep3Bool,
  a2bStart,
  carryState,
  carryWords,
  checkInput,
  expandBits,
  ones,
  openAdditiveBool,
  prefixCarries,
  randomBool,
  received,
  unpackBits,
} from './boolean.js';
import { signShares, zeroShares } from './msb.js';

type Outbox = Array<Uint8Array | undefined>;
const outbox = (): Outbox => [undefined, undefined, undefined];
const empty = () => new Rep3Shares(new BigUint64Array(0), new BigUint64Array(0));

/** A promise awaited later: if an earlier step fails first, its rejection is not reported as unhandled. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/*
 * 64-bit words below are handled as pairs of 32-bit halves (little-endian
 * Uint32Array views, low half at 2k): V8 runs 32-bit number arithmetic at
 * machine speed from the first call, while BigUint64Array element arithmetic
 * allocates a BigInt per operation until the function is optimised, which
 * made a comparison's first call 3-5 times slower than later ones.
 */
const u32 = (v: BigUint64Array) => new Uint32Array(v.buffer, v.byteOffset, 2 * v.length);

/** out = sel ? x : 0 per word, sel a 0/1 word (low half 0 or 1, high half 0), on halves. */
function maskBy(sel: Uint32Array, x: Uint32Array, out: Uint32Array): void {
  for (let k = 0; k < out.length; k += 2) {
    const m = -sel[k]! | 0;
    out[k] = x[k]! & m;
    out[k + 1] = x[k + 1]! & m;
  }
}

/** out = x + y mod 2^64 per word, on halves (out may alias x or y). */
function add64(x: Uint32Array, y: Uint32Array, out: Uint32Array): void {
  for (let k = 0; k < out.length; k += 2) {
    const lo = x[k]! + y[k]!;
    out[k + 1] = x[k + 1]! + y[k + 1]! + (lo > 0xffffffff ? 1 : 0);
    out[k] = lo;
  }
}

/** out = x - y mod 2^64 per word, on halves (out may alias x or y). */
function sub64(x: Uint32Array, y: Uint32Array, out: Uint32Array): void {
  for (let k = 0; k < out.length; k += 2) {
    const lo = x[k]! - y[k]!;
    out[k + 1] = x[k + 1]! - y[k + 1]! - (lo < 0 ? 1 : 0);
    out[k] = lo;
  }
}

/** out = x - 2y mod 2^64 per word, on halves (out may alias x or y). */
function subTwice64(x: Uint32Array, y: Uint32Array, out: Uint32Array): void {
  for (let k = 0; k < out.length; k += 2) {
    const ylo = y[k]!;
    const lo = x[k]! - ((ylo << 1) >>> 0);
    out[k + 1] = x[k + 1]! - ((y[k + 1]! << 1) | (ylo >>> 31)) - (lo < 0 ? 1 : 0);
    out[k] = lo;
  }
}

/** out = -x mod 2^64 per word, on halves. */
function neg64(x: Uint32Array, out: Uint32Array): void {
  for (let k = 0; k < out.length; k += 2) {
    const lo = x[k]!;
    out[k] = -lo;
    out[k + 1] = ~x[k + 1]! + (lo === 0 ? 1 : 0);
  }
}

/**
 * B2A of shared bits in one round. Given, at party 0, d = c_0 ^ c_1 and, at
 * parties 1 and 2, c_2 (each as 0/1 words), returns the arithmetic sharing of
 * c = d ^ c_2 = d + c_2 - 2 d c_2 over Z_2^64: [d] and [d c_2] come from one
 * round (the arithmetic twin of boolean.ts's inputAndBool) and [c_2] is free
 * (component 2, held by parties 1 and 2):
 *   [d] = (d + sigma, -sigma, 0) with sigma = F(k_1);
 *   [d c_2] = (gamma0, gamma1, gamma2), gamma0 = F(k_0), gamma1 = F(k_1),
 *   gamma2 = d c_2 - gamma0 - gamma1, learnt by parties 1 and 2:
 *   party 0 sends d + kappa (kappa = F(k_0)) to party 1 and d + sigma to party 2;
 *   party 2 sends -gamma0 - c_2 kappa to party 1; party 1 sends -gamma1 - c_2 sigma to party 2;
 *   each computes gamma2 = c_2 (d + mask) + (what the other sent) - (its own gamma).
 * Each receiver sees two values masked by fresh PRSS words it lacks: uniform.
 * Party 0 sends 16 bytes per bit, parties 1 and 2 eight each.
 * @throws {RangeError} unless `mine` holds n words; {ProtocolAbort} when a peer fails.
 */
export async function b2aBits(s: Rep3Suite, mine: BigUint64Array, n: number): Promise<Rep3Shares> {
  const i = s.party.index;
  checkInput('rep3.b2a', mine, n);
  const send = outbox();
  const op = 'rep3.inputMul';
  const m32 = u32(mine);
  const a = new BigUint64Array(n);
  const b = new BigUint64Array(n);
  const a32 = u32(a),
    b32 = u32(b);
  if (i === 0) {
    const k1 = s.prgWithNext(2 * n); // sigma | gamma1
    const k0 = s.prgWithPrev(2 * n); // kappa | gamma0
    const sigma = u32(k1.subarray(0, n)),
      gamma1 = u32(k1.subarray(n)),
      kappa = u32(k0.subarray(0, n)),
      gamma0 = u32(k0.subarray(n));
    const toP1 = new Uint32Array(2 * n);
    add64(m32, kappa, toP1);
    add64(m32, sigma, a32);
    send[1] = new Uint8Array(toP1.buffer);
    send[2] = new Uint8Array(a.slice().buffer);
    await s.party.exchange({ op, send, recvFrom: [] });
    // c = d - 2 d c_2 (+ c_2 at parties 1 and 2): a = (d + sigma) - 2 gamma0, b = -sigma - 2 gamma1.
    subTwice64(a32, gamma0, a32);
    neg64(sigma, b32);
    subTwice64(b32, gamma1, b32);
    return new Rep3Shares(a, b);
  }
  const t = new Uint32Array(2 * n);
  if (i === 1) {
    const k1 = s.prgWithPrev(2 * n);
    const sigma = u32(k1.subarray(0, n)),
      gamma1 = u32(k1.subarray(n));
    const toP2 = new Uint32Array(2 * n);
    maskBy(m32, sigma, toP2);
    add64(toP2, gamma1, toP2);
    neg64(toP2, toP2);
    send[2] = new Uint8Array(toP2.buffer);
    const got = await s.party.exchange({ op, send, recvFrom: [0, 2] });
    const m0 = u32(received(s, got, 0, n));
    const m2 = u32(received(s, got, 2, n));
    // gamma2 = c_2 m0 + m2 - gamma1; a = -sigma - 2 gamma1; b = c_2 - 2 gamma2.
    maskBy(m32, m0, t);
    add64(t, m2, t);
    sub64(t, gamma1, t);
    neg64(sigma, a32);
    subTwice64(a32, gamma1, a32);
    subTwice64(m32, t, b32);
    return new Rep3Shares(a, b);
  }
  const k0 = s.prgWithNext(2 * n);
  const kappa = u32(k0.subarray(0, n)),
    gamma0 = u32(k0.subarray(n));
  const toP1 = new Uint32Array(2 * n);
  maskBy(m32, kappa, toP1);
  add64(toP1, gamma0, toP1);
  neg64(toP1, toP1);
  send[1] = new Uint8Array(toP1.buffer);
  const got = await s.party.exchange({ op, send, recvFrom: [0, 1] });
  const m0 = u32(received(s, got, 0, n));
  const m1 = u32(received(s, got, 1, n));
  // gamma2 = c_2 m0 + m1 - gamma0; a = c_2 - 2 gamma2; b = m0 - 2 gamma0.
  maskBy(m32, m0, t);
  add64(t, m1, t);
  sub64(t, gamma0, t);
  subTwice64(m32, t, a32);
  subTwice64(m0, gamma0, b32);
  return new Rep3Shares(a, b);
}

/** Party i's input to b2aBits for a replicated bit vector (bit k of the words is element k). */
function b2aInput(s: Rep3Suite, c: Rep3Bool, n: number): BigUint64Array {
  const i = s.party.index;
  if (i === 0) {
    const d = new BigUint64Array(c.length);
    for (let k = 0; k < d.length; k++) d[k] = c.a[k]! ^ c.b[k]!;
    return unpackBits(d, n);
  }
  return unpackBits(i === 1 ? c.b : c.a, n);
}

/** [c] = e + (1 - 2e)[delta] for public bits e (0/1 words) and a daBit's arithmetic sharing. */
function unmask(s: Rep3Suite, e: BigUint64Array, delta: Rep3Shares): Rep3Shares {
  const n = e.length;
  const a = new BigUint64Array(n);
  const b = new BigUint64Array(n);
  const i = s.party.index;
  // The public e enters component 0: party 0's a, party 2's b.
  unmaskHalves(u32(e), u32(delta.a), u32(a), i === 0 ? 1 : 0);
  unmaskHalves(u32(e), u32(delta.b), u32(b), i === 2 ? 1 : 0);
  return new Rep3Shares(a, b);
}

/** out = (e ? -d : d) + (e & withE) per 64-bit word, on halves (e a 0/1 word). */
function unmaskHalves(e32: Uint32Array, d: Uint32Array, out: Uint32Array, withE: number): void {
  for (let k = 0; k < out.length; k += 2) {
    const m = -e32[k]! | 0;
    const lo = d[k]!;
    // (v ^ m) - m is v or -v; on halves the high word gains the carry of ~lo + 1 when lo = 0.
    const end = (((lo ^ m) - m) >>> 0) + (e32[k]! & withE);
    out[k] = end;
    out[k + 1] = (d[k + 1]! ^ m) + (m !== 0 && lo === 0 ? 1 : 0) + (end > 0xffffffff ? 1 : 0);
  }
}

/**
 * [x < 0] for -2^(bound-1) <= x < 2^(bound-1) (x = +2^(bound-1) would read
 * as negative): bit bound-1 of x mod 2^64, which is p_{b-1} ^ (carry into
 * bit b-1 of y + x_2). Rounds: 1 + ceil(log2(bound - 1)); bound 1 is local.
 * @throws {ProtocolAbort} when a peer fails or diverges.
 */
export async function rep3Ltz(s: Rep3Suite, x: Rep3Shares, bound: number): Promise<Rep3Shares> {
  const n = x.length;
  s.party.stats.count('ltz', n);
  if (n === 0) return empty();
  // x in {-1, 0}: [x < 0] = -x.
  if (bound === 1) return s.neg(x);
  // A daBit per element, converted in parallel with the first round below.
  const delta = randomBool(s, Math.ceil(n / 64));
  const deltaA = quiet(b2aBits(s, b2aInput(s, delta, n), n));
  // Party i's 3-out-of-3 share of the sign bit (msb.ts), masked by delta.
  const u = await signShares(s, x, bound);
  for (let k = 0; k < u.length; k++) u[k] = u[k]! ^ delta.a[k]!;
  const e = await openAdditiveBool(s, u, 'rep3.ltz');
  return unmask(s, unpackBits(e, n), await deltaA);
}

/**
 * [x == 0] for -2^(bound-1) <= x < 2^(bound-1): x == 0 iff y = -x_2 on the
 * low `bound` bits, so t = y ^ (-x_2) needs no adder; then an AND tree over
 * the bound planes of NOT t (msb.ts's zeroShares, bound - 1 AND gates).
 * Rounds: 1 + ceil(log2(bound)); bound 1 is local.
 * @throws {ProtocolAbort} when a peer fails or diverges.
 */
export async function rep3Eqz(s: Rep3Suite, x: Rep3Shares, bound: number): Promise<Rep3Shares> {
  const n = x.length;
  s.party.stats.count('eqz', n);
  if (n === 0) return empty();
  // x in {-1, 0}: [x == 0] = 1 + x.
  if (bound === 1) return s.addPublic(x, BigInt64Array.of(1n));
  const delta = randomBool(s, Math.ceil(n / 64));
  const deltaA = quiet(b2aBits(s, b2aInput(s, delta, n), n));
  // Party i's 3-out-of-3 share of [x == 0] (msb.ts), masked by delta.
  const u = await zeroShares(s, x, bound);
  for (let k = 0; k < u.length; k++) u[k] = u[k]! ^ delta.a[k]!;
  const e = await openAdditiveBool(s, u, 'rep3.eqz');
  return unmask(s, unpackBits(e, n), await deltaA);
}

/**
 * The two's-complement bits of x, bit j of element i at index i*bits + j, as
 * arithmetic 0/1 sharings: A2B with the sum bits p ^ (G << 1) opened under
 * random masks delta in the round of the last carry level, then B2A through
 * delta's daBits. Rounds: 1 + ceil(log2(bits - 1)) (2 for bits <= 2).
 * @throws {ProtocolAbort} when a peer fails or diverges.
 */
export async function rep3Bits(s: Rep3Suite, x: Rep3Shares, bits: number): Promise<Rep3Shares> {
  const n = x.length;
  s.party.stats.count('bits', n);
  if (n === 0) return empty();
  const delta = randomBool(s, n);
  const i = s.party.index;
  let mine: BigUint64Array;
  if (i === 0) {
    const d = new BigUint64Array(n);
    for (let k = 0; k < n; k++) d[k] = delta.a[k]! ^ delta.b[k]!;
    mine = expandBits(d, bits);
  } else mine = expandBits(i === 1 ? delta.b : delta.a, bits);
  const deltaA = quiet(b2aBits(s, mine, n * bits));
  const { g, p } = await a2bStart(s, x);
  const st = carryState(g, p, bits - 1);
  const G = carryWords(st, await prefixCarries(s, st, true));
  const m = ones(bits);
  const u = new BigUint64Array(n);
  const pa = p.a,
    da = delta.a;
  for (let k = 0; k < n; k++) u[k] = (pa[k]! ^ (G[k]! << 1n) ^ da[k]!) & m;
  const e = await openAdditiveBool(s, u, 'rep3.bits');
  return unmask(s, expandBits(e, bits), await deltaA);
}

/**
 * n uniformly random shared bits: PRSS bits b_0 ^ b_1 ^ b_2, then one-round B2A.
 * @throws {RangeError} unless n is a non-negative integer; {ProtocolAbort} when a peer fails.
 */
export async function rep3RandomBits(s: Rep3Suite, n: number): Promise<Rep3Shares> {
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`rep3.randomBits: count must be a non-negative integer, got ${n}`);
  s.party.stats.count('randomBits', n);
  if (n === 0) return empty();
  const delta = randomBool(s, Math.ceil(n / 64));
  return b2aBits(s, b2aInput(s, delta, n), n);
}
