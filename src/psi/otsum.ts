/**
 * OT-based PSI-cardinality and PSI-sum: the intersection's size, and the sum
 * of the sender's values over it, as Secrets of a two-party session, with
 * neither party learning which elements match.
 *
 * This is the circuit-PSI construction of Pinkas, Schneider, Tkachenko,
 * Yanai, "Efficient circuit-based PSI with linear communication"
 * (EUROCRYPT 2019, PSTY19): the receiver R puts its elements in cuckoo bins
 * (one per bin), an oblivious programmable PRF (OPPRF) gives R, per bin b,
 * a value w_b equal to the sender's random target t_b when R's element of
 * bin b is in the sender's set and pseudo-random otherwise, and the
 * equalities w_b == t_b are computed on secret shares. Here:
 *  - the OPRF is KKRT16's batched OPRF (src/psi/kkrt.ts, receiverOprf and
 *    senderOprf), one instance per bin;
 *  - the OPPRF programs, for each sender element y and hash function i, the
 *    key F_{h_i(y)}(y, i) to (t_b, v_y - r_b) xor mask(F) in an OKVS
 *    (src/psi/okvs.ts), as in the OKVS-based OPPRF of Rindal and Schoppmann,
 *    "VOLE-PSI" (EUROCRYPT 2021) and Raghuraman-Rindal, "Blazing fast PSI"
 *    (CCS 2022); mask(F) = pi(F) xor F with the project's fixed-key AES;
 *  - the equality tests, the count and the sum are ./eqsum.ts's dedicated
 *    OT-based protocol on the parties' own tags and targets (no general
 *    comparison in the session's suite): it yields additive parts modulo 2^64
 *    of count = sum of flags and sum = sum of flag * (p_b + r_b), where R
 *    holds p_b and S holds r_b, additive shares of v_y modulo 2^64 when the
 *    bin matches; the parts enter the session (two parties over Z_2^64, e.g.
 *    semi2k) as a secret count and sum.
 *
 * Leakage: the set sizes (the number of bins and the OKVS size follow from
 * them), nothing else until the caller reveals the count or the sum (with
 * releasePsiSum's policy: a minimum size checked inside MPC, optional DP
 * noise). Errors: a false match needs w_b == t_b on 62 bits for an element
 * not in the set, probability 2^-62 per bin (below 2^-40 up to 2^22 bins); a
 * key collision in the OPRF (two distinct elements with equal 128-bit
 * values) has probability about (3 n_S)^2 / 2^128.
 */
import type { SecretInt } from '../api/secret.js';
import type { Session } from '../api/session.js';
import { int, type IntType } from '../api/types.js';
import { FIXED_AES_KEY, FixedKeyAes } from '../primitives/hash.js';
import type { Party } from '../runtime/party.js';
import { binCount } from './cuckoo.js';
import { CH, evalChunk, receiverOprf, senderOprf, type SenderEval } from './kkrt.js';
import { equalityShares } from './eqsum.js';
import { okvsDecode, okvsEncode, okvsSize } from './okvs.js';
import type { PsiSum } from './sum.js';
import { checkOwnSize, expectLength, talk } from './wire.js';

/** Table entries per OKVS message (16 bytes each: 1 MiB). */
const ENTRIES_PER_MESSAGE = 1 << 16;
/** Bits of the equality test's tags. */
const TAG_BITS = 62;

export interface OtPsiCountOptions {
  /** The party whose values are summed (the OPRF sender). */
  readonly valuesFrom: string;
  /** The other party (the OPRF receiver, its elements in cuckoo bins). */
  readonly other: string;
}

export interface OtPsiSumOptions extends OtPsiCountOptions {
  /** The declared type of each value. */
  readonly type: IntType;
}

/**
 * The intersection's size as a secret of `s` (two parties; both call it
 * with their own distinct 16-byte digests). Nobody learns which elements
 * match; reveal the count (or compare it) as the caller's policy says.
 */
export async function otPsiCount(
  s: Session,
  digests: Uint8Array,
  opts: OtPsiCountOptions,
): Promise<SecretInt> {
  return (await matchShares(s, digests, undefined, opts, undefined)).count;
}

/**
 * OT-based PSI-sum: the sum of `valuesFrom`'s values over the intersection
 * and the intersection's size, as secrets of `s`, for releasePsiSum
 * (src/psi/sum.ts). `values` (one per digest) at `valuesFrom` only.
 * @throws {RangeError} for a session that is not two parties over Z_2^64, or bad inputs.
 */
export async function otPsiSum(
  s: Session,
  digests: Uint8Array,
  values: ArrayLike<number | bigint> | undefined,
  opts: OtPsiSumOptions,
): Promise<PsiSum> {
  const r = await matchShares(s, digests, values, opts, opts.type);
  return { count: r.count, sum: r.sum! };
}

async function matchShares(
  s: Session,
  digests: Uint8Array,
  values: ArrayLike<number | bigint> | undefined,
  opts: OtPsiCountOptions,
  type: IntType | undefined,
): Promise<{ count: SecretInt; sum?: SecretInt }> {
  if (s.parties.length !== 2 || s.capacity !== 64)
    throw new RangeError(
      `otPsiSum: needs a two-party session over Z_2^64 (e.g. semi2k), got ${s.parties.length} parties of '${s.suiteName}'`,
    );
  if (digests.length % 16 !== 0)
    throw new RangeError(`otPsiSum: digests must be 16 bytes each, got ${digests.length} bytes`);
  const S = s.indexOf(opts.valuesFrom);
  const R = s.indexOf(opts.other);
  if (S === R) throw new RangeError('otPsiSum: valuesFrom and other must be two parties');
  const me = s.party.index;
  const n = digests.length >>> 4;
  checkOwnSize(n);
  const vals = me === S && type ? checkValues(values, n, type, opts.valuesFrom) : undefined;

  // The OPRF (its hello carries the set sizes, public to both).
  let nR: number;
  let nS: number;
  let mine: { w: BigInt64Array; p: BigInt64Array } | undefined;
  let theirs: { t: BigInt64Array; r: BigInt64Array } | undefined;
  if (me === R) {
    const o = await receiverOprf(s.party, S, digests, n, 'shares');
    [nR, nS] = [n, o.nS];
    if (o.mine) mine = await receiveOkvs(s.party, S, o.mine, o.bins, nS);
  } else {
    const o = await senderOprf(s.party, R, digests, n, 'shares');
    [nR, nS] = [o.nR, n];
    if (o.ev) theirs = await sendOkvs(s.party, R, o.ev, nS, binCount(nR), vals);
  }
  const logN = Math.ceil(Math.log2(Math.min(nR, nS) + 1));
  // Both parties know the sizes now: both refuse alike, before any share is made.
  if (type && type.bits + logN > 63)
    throw new RangeError(
      `otPsiSum: a sum of up to ${Math.min(nR, nS)} values of int(${type.bits}) could overflow 64 bits`,
    );
  const countType = int(Math.max(2, logN + 1));
  if (!mine && !theirs) {
    // An empty set: both parties know it from the hello.
    const zero = (t: IntType) => s.constant(t, [0]);
    return { count: zero(countType), sum: type ? zero(type) : undefined };
  }
  const bins = binCount(nR);
  // The equality tests on the parties' own tags and targets (./eqsum.ts):
  // additive parts of the count and of the sum, never a per-bin flag.
  const eq = await equalityShares(
    s.party,
    R,
    S,
    bins,
    TAG_BITS,
    mine ? { tags: mine.w, parts: mine.p } : { tags: theirs!.t, parts: theirs!.r },
    type !== undefined,
  );
  const parts = BigInt64Array.of(BigInt.asIntN(64, eq.count), BigInt.asIntN(64, eq.sum));
  const both = s.fromAdditiveParts(int(64), [s.parties[R]!, s.parties[S]!], parts, 2);
  // At most min(nR, nS) bins match (one per receiver element), each value of the declared type.
  const count = both.at(0).assumeBound(countType.bits);
  if (!type) return { count };
  return { count, sum: both.at(1).assumeBound(type.bits + logN) };
}

function checkValues(
  values: ArrayLike<number | bigint> | undefined,
  n: number,
  type: IntType,
  who: string,
): BigInt64Array {
  if (!values || values.length !== n)
    throw new RangeError(
      `otPsiSum: expected ${n} values at '${who}', got ${values?.length ?? 'none'}`,
    );
  const lo = -(1n << BigInt(type.bits - 1));
  const hi = (1n << BigInt(type.bits - 1)) - 1n;
  const out = new BigInt64Array(n);
  for (let k = 0; k < n; k++) {
    const v = BigInt(values[k]!);
    if (v < lo || v > hi) throw new RangeError(`otPsiSum: value ${k} is outside int(${type.bits})`);
    out[k] = v;
  }
  return out;
}

/**
 * The sender's OPPRF: per bin a target t_b and a mask r_b; per element and
 * hash function the key F and the value (t_b, v - r_b) xor mask(F), encoded
 * in an OKVS and sent (seed first, then the table in pieces).
 */
async function sendOkvs(
  party: Party,
  peer: number,
  ev: SenderEval,
  nS: number,
  bins: number,
  vals: BigInt64Array | undefined,
): Promise<{ t: BigInt64Array; r: BigInt64Array }> {
  const t = new BigInt64Array(bins);
  const r = new BigInt64Array(bins);
  party.prg.fill(new Uint8Array(t.buffer));
  if (vals) party.prg.fill(new Uint8Array(r.buffer));
  const N = 3 * nS;
  const keys = new Uint32Array(4 * N);
  const plain = new BigInt64Array(2 * N);
  const identity = new Uint32Array(nS);
  for (let e = 0; e < nS; e++) identity[e] = e;
  for (let i = 0; i < 3; i++)
    for (let k0 = 0; k0 < nS; k0 += CH) {
      const c = Math.min(CH, nS - k0);
      evalChunk(ev, identity, k0, c, i);
      keys.set(ev.out.subarray(0, 4 * c), 4 * (i * nS + k0));
      for (let k = 0; k < c; k++) {
        const b = ev.h[3 * (k0 + k) + i]!;
        const at = 2 * (i * nS + k0 + k);
        plain[at] = t[b]!;
        plain[at + 1] = vals ? BigInt.asIntN(64, vals[k0 + k]! - r[b]!) : 0n;
      }
    }
  const masked = new Uint32Array(plain.buffer);
  xorMask(party, keys, masked, N);
  let seed: Uint8Array | undefined;
  let table: Uint32Array | undefined;
  for (let attempt = 0; !table; attempt++) {
    if (attempt === 8)
      throw new Error('otPsiSum: the OKVS failed to peel 8 times (should not happen)');
    seed = party.prg.bytes(16);
    table = okvsEncode(party.crypto, seed, keys, masked, N, (o) => party.prg.fill(o));
  }
  await talk(party, peer, 'psi.otsum.seed', seed, false);
  const m = table.length / 4;
  for (let e0 = 0; e0 < m; e0 += ENTRIES_PER_MESSAGE) {
    const e1 = Math.min(m, e0 + ENTRIES_PER_MESSAGE);
    const piece = new Uint8Array(table.buffer, 16 * e0, 16 * (e1 - e0)).slice();
    await talk(party, peer, 'psi.otsum.okvs', piece, false);
  }
  return { t, r };
}

/** The receiver's side: the OKVS in, decoded at its value of every bin, unmasked. */
async function receiveOkvs(
  party: Party,
  peer: number,
  mine: Uint32Array,
  bins: number,
  nS: number,
): Promise<{ w: BigInt64Array; p: BigInt64Array }> {
  const seedMsg = await talk(party, peer, 'psi.otsum.seed', undefined, true);
  const seed = expectLength(party, peer, 'psi.otsum.seed', seedMsg, 16).slice();
  const m = okvsSize(3 * nS);
  const table = new Uint32Array(4 * m);
  const bytes = new Uint8Array(table.buffer);
  for (let e0 = 0; e0 < m; e0 += ENTRIES_PER_MESSAGE) {
    const e1 = Math.min(m, e0 + ENTRIES_PER_MESSAGE);
    const msg = await talk(party, peer, 'psi.otsum.okvs', undefined, true);
    bytes.set(expectLength(party, peer, 'psi.otsum.okvs', msg, 16 * (e1 - e0)), 16 * e0);
  }
  const keys = mine.subarray(0, 4 * bins);
  const out = new Uint32Array(4 * bins);
  okvsDecode(party.crypto, seed, table, keys, bins, out);
  xorMask(party, keys, out, bins);
  const both = new BigInt64Array(out.buffer);
  const w = new BigInt64Array(bins);
  const p = new BigInt64Array(bins);
  for (let b = 0; b < bins; b++) {
    w[b] = both[2 * b]!;
    p[b] = both[2 * b + 1]!;
  }
  return { w, p };
}

/** into[k] ^= pi(F_k) ^ F_k for n 128-bit keys (the OPPRF's mask, a correlation-robust hash of F). */
function xorMask(party: Party, keys: Uint32Array, into: Uint32Array, n: number): void {
  const pi = new FixedKeyAes(party.crypto, FIXED_AES_KEY);
  const CHUNK = 1 << 14;
  const buf = new Uint32Array(4 * CHUNK);
  for (let k0 = 0; k0 < n; k0 += CHUNK) {
    const c = Math.min(CHUNK, n - k0);
    const src = keys.subarray(4 * k0, 4 * (k0 + c));
    pi.permute(src, buf, c);
    xorPair(into, 4 * k0, buf, src, 4 * c);
  }
}

function xorPair(into: Uint32Array, at: number, a: Uint32Array, b: Uint32Array, n: number): void {
  for (let w = 0; w < n; w++) into[at + w] = into[at + w]! ^ a[w]! ^ b[w]!;
}
