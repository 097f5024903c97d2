/**
 * Probabilistic truncation for the rep3 suite: x / 2^m rounded to floor or
 * floor + 1, with NO large-error failure (unlike SecureML's local truncation
 * or ABY3's trunc1, which fail with probability about |x| / 2^63).
 *
 * Assumptions are those of the rep3 suite (semi-honest, one corruption of
 * three, private authenticated channels). Nothing is revealed: the one value
 * opened (to parties 0 and 2 only) is masked by a uniform 64-bit r.
 *
 * Method: the mask-and-open truncation that corrects with the top bit of the
 * mask (the probabilistic truncation of Escudero, Ghosh, Keller, Rachuri,
 * Scholl, "Improved Primitives for MPC over Mixed Arithmetic-Binary
 * Circuits", CRYPTO 2020: open x + 2^(k-1) + r, then fix the wrap with
 * r_{k-1}), adapted to three parties so that the mask needs no random-bit
 * preprocessing: one party knows it, and the value is opened only to the
 * two others. For x' = x + 2^62 in [0, 2^63] (bound <= 63):
 *
 *   r = u + v with u = F(k_1) (parties 0, 1) and v = F(k_2) (parties 1, 2):
 *   party 1 knows r, parties 0 and 2 each know only half of it.
 *   r = r_top 2^63 + r', r' < 2^63.
 *   c = x' + r mod 2^64 is opened to parties 0 and 2 (uniform to each).
 *   S = x' + r' < 2^64 does not wrap, and S = (c mod 2^63) + (c_63 ^ r_top) 2^63,
 *   so floor(S / 2^m) - floor(r' / 2^m) = ((c mod 2^63) >> m)
 *        + 2^(63-m) (c_63 + r_top - 2 c_63 r_top) - (r' >> m),
 *   which is floor(x' / 2^m) or floor(x' / 2^m) + 1, exactly.
 *
 * Round 1: party 0 sends x_1 + u to party 2, party 2 sends x_2 + v to party 0
 * (both now know c); party 1 shares r_top and Lambda = 2^(63-m) r_top - (r' >> m)
 * (one word to each of parties 0 and 2). Parties 0 and 2 both know
 * K = ((c mod 2^63) >> m) + 2^(63-m) c_63, a component for free, and with
 * r_top = t_1 + t_2 (t_1 at party 0, t_2 at party 2) each computes its part of
 * -2^(64-m) c_63 r_top. Round 2: both send their part, masked by F(k_0), to
 * party 1, which completes the replicated sharing.
 *
 * Cost: 2 rounds, 2 words sent per element per party. bound = 64 first
 * computes s = [x < 0] (rep3Ltz, 7 rounds) and truncates x + s 2^63 in
 * [0, 2^63), then subtracts s 2^(63-m).
 */
import { rep3Ltz } from './compare.js';
import { received } from './boolean.js';
import { Rep3Shares, type Rep3Suite } from './rep3.js';

type Outbox = Array<Uint8Array | undefined>;
const outbox = (): Outbox => [undefined, undefined, undefined];
const bytes = (v: BigUint64Array) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

const LOW63 = (1n << 63n) - 1n;

/**
 * x / 2^m rounded down or up (|error| < 1), for -2^(bound-1) <= x <= 2^(bound-1).
 * m = 0 returns x; m >= 63 returns 0 (bound <= 63) or -[x < 0] (bound 64),
 * both within the error bound.
 * @throws {RangeError} unless m is a non-negative integer.
 */
export async function rep3Trunc(
  s: Rep3Suite,
  x: Rep3Shares,
  m: number,
  bound: number,
): Promise<Rep3Shares> {
  if (!Number.isInteger(m) || m < 0)
    throw new RangeError(`rep3.trunc: shift must be a non-negative integer, got ${m}`);
  const n = x.length;
  s.party.stats.count('trunc', n);
  if (n === 0 || m === 0) return new Rep3Shares(x.a.slice(), x.b.slice());
  if (bound >= 64) {
    const sign = await rep3Ltz(s, x, 64);
    if (m >= 63) return s.neg(sign);
    // x + s 2^63 is x mod 2^63, in [0, 2^63): floor(x / 2^m) = floor(that / 2^m) - s 2^(63-m).
    const low = s.add(x, s.mulScalar(sign, 1n << 63n));
    const t = await truncNonNegative(s, low, m);
    return s.sub(t, s.mulScalar(sign, 1n << BigInt(63 - m)));
  }
  if (m >= 63) return s.constant(new BigInt64Array(n));
  const t = await truncNonNegative(s, s.addPublic(x, BigInt64Array.of(1n << 62n)), m);
  return s.addPublic(t, BigInt64Array.of(-(1n << BigInt(62 - m))));
}

/** floor(x / 2^m) or floor(x / 2^m) + 1 for 0 <= x <= 2^63 and 1 <= m <= 62 (see the module comment). */
async function truncNonNegative(s: Rep3Suite, x: Rep3Shares, m: number): Promise<Rep3Shares> {
  const i = s.party.index;
  const n = x.length;
  // Left shifts by a run-time amount are products (see the V8 note in boolean.ts).
  const top = 1n << BigInt(63 - m); // weight of c_63 and r_top
  const cross = 1n << BigInt(64 - m); // weight of c_63 r_top
  const send = outbox();
  const op1 = 'rep3.trunc';
  const op2 = 'rep3.trunc.reshare';

  if (i === 1) {
    const k1 = s.prgWithPrev(2 * n); // u | lambda1
    const k2 = s.prgWithNext(2 * n); // v | t2
    const t1 = new BigUint64Array(n); // r_top - t2, to party 0
    const lambda2 = new BigUint64Array(n); // Lambda - lambda1, to party 2
    const low = new BigUint64Array(n); // r'
    for (let k = 0; k < n; k++) {
      // Locals are unbounded BigInts: reduce explicitly (V8 keeps asUintN(64, .) in a register).
      const r = BigInt.asUintN(64, k1[k]! + k2[k]!);
      const rTop = BigInt.asUintN(64, r >> 63n);
      t1[k] = rTop - k2[n + k]!;
      lambda2[k] = rTop * top;
      low[k] = r & LOW63;
    }
    const lowShifted = shiftRight(low, m);
    for (let k = 0; k < n; k++) {
      lambda2[k] = lambda2[k]! - lowShifted[k]!;
      lambda2[k] = lambda2[k]! - k1[n + k]!;
    }
    send[0] = bytes(t1);
    send[2] = bytes(lambda2);
    await s.party.exchange({ op: op1, send, recvFrom: [] });
    const got = await s.party.exchange({ op: op2, send: outbox(), recvFrom: [0, 2] });
    const from0 = received(s, got, 0, n);
    const from2 = received(s, got, 2, n);
    const a = new BigUint64Array(n);
    const b = new BigUint64Array(n);
    for (let k = 0; k < n; k++) {
      a[k] = k1[n + k]! + from0[k]!; // lambda1 + P0 + nu
      b[k] = lambda2[k]! + from2[k]!; // lambda2 + P2 - mu - nu
    }
    return new Rep3Shares(a, b);
  }

  // Parties 0 and 2 open c, each knowing one half of r.
  const half = i === 0 ? s.prgWithNext(2 * n) : s.prgWithPrev(2 * n); // (u | lambda1) or (v | t2)
  const k0 = i === 0 ? s.prgWithPrev(2 * n) : s.prgWithNext(2 * n); // mu | nu
  const peer = i === 0 ? 2 : 0;
  // Party 0 holds (x_0, x_1) and sends x_1 + u; party 2 holds (x_2, x_0) and sends x_2 + v.
  const mine = i === 0 ? x.b : x.a;
  const out = new BigUint64Array(n);
  for (let k = 0; k < n; k++) out[k] = mine[k]! + half[k]!;
  send[peer] = bytes(out);
  const got = await s.party.exchange({ op: op1, send, recvFrom: [peer, 1] });
  const other = received(s, got, peer, n);
  const fromP1 = received(s, got, 1, n); // party 0: t1; party 2: lambda2
  // c = x_0 + x_1 + x_2 + u + v; both parties hold x_0 and one more component.
  const K = new BigUint64Array(n);
  const P = new BigUint64Array(n); // party 0: -2^(64-m) c_63 t1; party 2: -2^(64-m) c_63 t2
  const rTopShare = i === 0 ? fromP1 : half.subarray(n);
  const cLow = new BigUint64Array(n); // c mod 2^63
  const c63 = new BigUint64Array(n);
  for (let k = 0; k < n; k++) {
    const c = BigInt.asUintN(64, x.a[k]! + x.b[k]! + half[k]! + other[k]!);
    cLow[k] = c & LOW63;
    c63[k] = c >> 63n;
  }
  const cShifted = shiftRight(cLow, m);
  for (let k = 0; k < n; k++) {
    K[k] = cShifted[k]! + c63[k]! * top;
    P[k] = -(c63[k]! * rTopShare[k]! * cross);
  }
  const msg = new BigUint64Array(n);
  const mu = k0.subarray(0, n),
    nu = k0.subarray(n);
  if (i === 0) for (let k = 0; k < n; k++) msg[k] = P[k]! + nu[k]!;
  else
    for (let k = 0; k < n; k++) {
      msg[k] = P[k]! - mu[k]!;
      msg[k] = msg[k]! - nu[k]!;
    }
  const send2 = outbox();
  send2[1] = bytes(msg);
  await s.party.exchange({ op: op2, send: send2, recvFrom: [] });
  const comp0 = new BigUint64Array(n);
  for (let k = 0; k < n; k++) comp0[k] = K[k]! + mu[k]!;
  if (i === 0) {
    // (comp0, comp1) = (K + mu, lambda1 + P0 + nu)
    const lambda1 = half.subarray(n);
    const comp1 = new BigUint64Array(n);
    for (let k = 0; k < n; k++) comp1[k] = lambda1[k]! + msg[k]!;
    return new Rep3Shares(comp0, comp1);
  }
  // (comp2, comp0) = (lambda2 + P2 - mu - nu, K + mu)
  const comp2 = new BigUint64Array(n);
  for (let k = 0; k < n; k++) comp2[k] = fromP1[k]! + msg[k]!;
  return new Rep3Shares(comp2, comp0);
}

/** v >> m for each word, 1 <= m <= 63, through 32-bit views (see the V8 note in boolean.ts). */
export function shiftRight(v: BigUint64Array, m: number): BigUint64Array {
  const n = v.length;
  const out = new BigUint64Array(n);
  const i32 = new Uint32Array(v.buffer, v.byteOffset, 2 * n);
  const o32 = new Uint32Array(out.buffer);
  if (m < 32) {
    const back = 32 - m;
    for (let k = 0; k < n; k++) {
      const lo = i32[2 * k]!;
      const hi = i32[2 * k + 1]!;
      o32[2 * k] = (lo >>> m) | (hi << back);
      o32[2 * k + 1] = hi >>> m;
    }
  } else {
    const d = m - 32;
    for (let k = 0; k < n; k++) o32[2 * k] = i32[2 * k + 1]! >>> d;
  }
  return out;
}
