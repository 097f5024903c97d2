/**
 * The equality tests of circuit-PSI, specialised to a count and a sum: per
 * bin b the receiver R holds a tag w_b and an additive part p_b, the sender S
 * a target t_b and a part r_b; the output is additive shares modulo 2^64 of
 *   count = sum_b [w_b == t_b]   and   sum = sum_b [w_b == t_b] (p_b + r_b),
 * with no per-bin flag ever opened or even formed as a share of the session.
 * It replaces the general secure comparison that PSTY19's circuit (Pinkas,
 * Schneider, Tkachenko, Yanai, "Efficient circuit-based PSI with linear
 * communication", EUROCRYPT 2019, section 6) would evaluate with an OT-based
 * equality in the style of its and Chandran, Gupta, Shah ("Circuit-PSI with
 * linear complexity via relaxed batch OPPRF", PETS 2022) equality
 * protocols, reshaped here into sums of inequality bits:
 *
 *  1. For each of the L = 62 tag bits, one random OT (IKNP, S the sender, R
 *     choosing its bit w_i) derandomised into a 1-of-2 OT of 6-bit messages
 *     (alpha_i + (c xor t_i)) mod 64 for c = 0, 1: R adds up what it gets,
 *     u = sum alpha_i + sum (w_i xor t_i), S keeps v = sum alpha_i (mod 64).
 *     The number of differing bits is at most 62 < 64, so w == t iff u == v.
 *  2. The same on the 6 bits of u and v modulo 8 (at most 6 < 8 differing
 *     bits): R gets u', S keeps v', and w == t iff u' == v'.
 *  3. A 1-of-8 OT (three random OTs; the message for c is padded with the xor
 *     over j of H(K_j^{c_j}, tweak(b, j, c)), Naor-Pinkas 1999 style, H the
 *     project's tweakable correlation-robust hash) in which R chooses u' and
 *     S offers (rho + [c == v'], rho' + [c == v'] r_b): R gets shares of the
 *     flag and of flag * r_b, S keeps (-rho, -rho').
 *  4. For the sum, the mirror image with R as the OT sender offering
 *     sigma + [c == u'] p_b and S choosing v': shares of flag * p_b.
 *
 * Security: semi-honest, two parties (the OT extension's model). Every
 * message is an OT message or a one-time-padded one; R's sums u, u' are
 * uniform modulo 64 and 8 given its view (the alphas are uniform and unknown
 * to it), and each party's outputs are uniform shares. Nothing about any bin
 * is learnt by either party. Cost per bin: 62 + 6 + 3 (+ 3 for the sum)
 * random OTs (16 bytes each from the OT receiver) and 2 x 68 + 128 (+ 128)
 * bytes of OT messages: about 1.4 KB (1.6 KB with the sum), in a constant
 * number of rounds per batch of bins.
 */
import { TccrHash } from '../primitives/hash.js';
import {
  OtExtension,
  type OtReceiverOutput,
  type OtSenderOutput,
} from '../primitives/ot/extension.js';
import type { Party } from '../runtime/party.js';
import { expectLength, talk } from './wire.js';

/** Bins per batch: 62 random OTs each, so about 500k OTs (8 MB of outputs) per batch. */
const BATCH_BINS = 1 << 13;
/** Tweak domains of the 1-of-8 pads (top word of the hash's tweak). */
const EQ_DOMAIN = { flagToSender: 0x7073_6531, flagFromReceiver: 0x7073_6532 } as const;

export interface EqualityInput {
  /** R: its tags w_b; S: its targets t_b. Only the low `bits` bits count. */
  readonly tags: BigInt64Array;
  /** R: p_b; S: r_b (modulo 2^64). Omit for the count alone. */
  readonly parts?: BigInt64Array;
}

/**
 * Additive shares (mod 2^64) of the number of bins with w_b == t_b and of
 * the sum of p_b + r_b over them. Both parties call it with the same bin
 * count; `withSum` must agree too.
 * @throws {ProtocolAbort} naming the peer on a message of the wrong length.
 */
export async function equalityShares(
  party: Party,
  receiver: number,
  sender: number,
  bins: number,
  bits: number,
  input: EqualityInput,
  withSum: boolean,
): Promise<{ count: bigint; sum: bigint }> {
  if (bits < 1 || bits > 63)
    throw new RangeError(`equalityShares: bits must be 1..63, got ${bits}`);
  if (input.tags.length !== bins || (withSum && input.parts?.length !== bins))
    throw new RangeError(`equalityShares: expected ${bins} tags${withSum ? ' and parts' : ''}`);
  const isR = party.index === receiver;
  const peer = isR ? sender : receiver;
  // Stage 1's modulus: the smallest power of two above the number of bits.
  const m1 = 32 - Math.clz32(bits);
  const toS = await OtExtension.create(party, sender, receiver, { check: false });
  const toR = withSum
    ? await OtExtension.create(party, receiver, sender, { check: false })
    : undefined;
  const hash = new TccrHash(party.crypto);
  let count = 0n;
  let sum = 0n;
  for (let b0 = 0; b0 < bins; b0 += BATCH_BINS) {
    const nb = Math.min(BATCH_BINS, bins - b0);
    // Tag bits as two words per bin.
    const words = new Uint32Array(2 * nb);
    for (let b = 0; b < nb; b++) {
      const x = BigInt.asUintN(64, input.tags[b0 + b]!);
      words[2 * b] = Number(x & 0xffffffffn);
      words[2 * b + 1] = Number((x >> 32n) & 0xffffffffn);
    }
    const s1 = await reduce(party, peer, toS, isR, nb, bits, m1, words, 'psi.eq.bits');
    const s2 = await reduce(party, peer, toS, isR, nb, m1, 3, s1, 'psi.eq.sums');
    const parts = input.parts?.subarray(b0, b0 + nb);
    const a = await oneOfEight(
      party,
      peer,
      toS,
      hash,
      isR,
      nb,
      b0,
      s2,
      isR ? undefined : parts,
      EQ_DOMAIN.flagToSender,
    );
    count += a.first;
    sum += a.second;
    if (toR) {
      const c = await oneOfEight(
        party,
        peer,
        toR,
        hash,
        !isR,
        nb,
        b0,
        s2,
        isR ? parts : undefined,
        EQ_DOMAIN.flagFromReceiver,
      );
      sum += c.second;
    }
  }
  return { count: BigInt.asUintN(64, count), sum: BigInt.asUintN(64, sum) };
}

/**
 * Stage 1 or 2: per bin, values below 2^L (two words per bin, low word
 * first) become values below 2^k held by each side, equal iff the inputs
 * were (L < 2^k). R chooses with its bits; S pads (alpha + (c xor t)) mod 2^k.
 */
async function reduce(
  party: Party,
  peer: number,
  ot: OtExtension,
  isR: boolean,
  nb: number,
  L: number,
  k: number,
  words: Uint32Array,
  op: string,
): Promise<Uint32Array> {
  const n = nb * L;
  const mask = (1 << k) - 1;
  const next = new Uint32Array(2 * nb);
  const bit = (b: number, i: number) =>
    (i < 32 ? words[2 * b]! >>> i : words[2 * b + 1]! >>> (i - 32)) & 1;
  if (isR) {
    const choices = new Uint8Array(n);
    for (let b = 0; b < nb; b++) for (let i = 0; i < L; i++) choices[b * L + i] = bit(b, i);
    const out = (await ot.random(n, choices)) as OtReceiverOutput;
    const msg = expectLength(party, peer, op, await talk(party, peer, op, undefined, true), 2 * n);
    const m = out.m;
    for (let b = 0; b < nb; b++) {
      let acc = 0;
      for (let i = 0; i < L; i++) {
        const j = b * L + i;
        acc += msg[2 * j + choices[j]!]! ^ (m[16 * j]! & mask);
      }
      next[2 * b] = acc & mask;
    }
    return next;
  }
  const out = (await ot.random(n)) as OtSenderOutput;
  const alpha = new Uint8Array(n);
  party.prg.fill(alpha);
  const msg = new Uint8Array(2 * n);
  const { m0, m1 } = out;
  for (let b = 0; b < nb; b++) {
    let acc = 0;
    for (let i = 0; i < L; i++) {
      const j = b * L + i;
      const a = alpha[j]! & mask;
      const t = bit(b, i);
      acc += a;
      msg[2 * j] = ((a + t) & mask) ^ (m0[16 * j]! & mask);
      msg[2 * j + 1] = ((a + (t ^ 1)) & mask) ^ (m1[16 * j]! & mask);
    }
    next[2 * b] = acc & mask;
  }
  await talk(party, peer, op, msg, false);
  return next;
}

/**
 * Stage 3 (and 4): a 1-of-8 OT per bin over `ot`. The chooser picks its
 * value c (below 8); the offerer, holding v, offers (rho + [c == v],
 * rho' + [c == v] x_b) with x_b its part (or 0 without one) and keeps
 * (-rho, -rho'). Returns this party's shares of the two sums.
 */
async function oneOfEight(
  party: Party,
  peer: number,
  ot: OtExtension,
  hash: TccrHash,
  chooser: boolean,
  nb: number,
  b0: number,
  vals: Uint32Array,
  x: BigInt64Array | undefined,
  domain: number,
): Promise<{ first: bigint; second: bigint }> {
  const op = domain === EQ_DOMAIN.flagToSender ? 'psi.eq.flag' : 'psi.eq.part';
  const n = 3 * nb;
  // Pads: block (b, j, c) = H(K_j^{c_j} of bin b, tweak 24 (b0 + b) + 8 j + c).
  const blocks = new Uint32Array(4 * 24 * nb);
  const fill = (b: number, j: number, c: number, src: Uint32Array, at: number) => {
    const w = 4 * (24 * b + 8 * j + c);
    blocks[w] = src[4 * at]!;
    blocks[w + 1] = src[4 * at + 1]!;
    blocks[w + 2] = src[4 * at + 2]!;
    blocks[w + 3] = src[4 * at + 3]!;
  };
  if (chooser) {
    const choices = new Uint8Array(n);
    for (let b = 0; b < nb; b++)
      for (let j = 0; j < 3; j++) choices[3 * b + j] = (vals[2 * b]! >>> j) & 1;
    const out = (await ot.random(n, choices)) as OtReceiverOutput;
    const mw = wordsOf(out.m);
    for (let b = 0; b < nb; b++) {
      const c = vals[2 * b]!;
      for (let j = 0; j < 3; j++) fill(b, j, c, mw, 3 * b + j);
    }
    hash.hashCounter(blocks, blocks, 24 * nb, 24 * b0, domain);
    const msg = expectLength(
      party,
      peer,
      op,
      await talk(party, peer, op, undefined, true),
      128 * nb,
    );
    const ct = new Uint32Array(msg.slice().buffer);
    const pt = new BigUint64Array(2);
    const pw = new Uint32Array(pt.buffer);
    let first = 0n;
    let second = 0n;
    for (let b = 0; b < nb; b++) {
      const c = vals[2 * b]!;
      for (let w = 0; w < 4; w++) {
        let v = ct[4 * (8 * b + c) + w]!;
        for (let j = 0; j < 3; j++) v ^= blocks[4 * (24 * b + 8 * j + c) + w]!;
        pw[w] = v;
      }
      first += pt[0]!;
      second += pt[1]!;
    }
    return { first, second };
  }
  const out = (await ot.random(n)) as OtSenderOutput;
  const w0 = wordsOf(out.m0);
  const w1 = wordsOf(out.m1);
  for (let b = 0; b < nb; b++)
    for (let j = 0; j < 3; j++)
      for (let c = 0; c < 8; c++) fill(b, j, c, (c >>> j) & 1 ? w1 : w0, 3 * b + j);
  hash.hashCounter(blocks, blocks, 24 * nb, 24 * b0, domain);
  const rho = new BigUint64Array(2 * nb);
  party.prg.fill(new Uint8Array(rho.buffer));
  const ct = new BigUint64Array(16 * nb);
  const cw = new Uint32Array(ct.buffer);
  let first = 0n;
  let second = 0n;
  for (let b = 0; b < nb; b++) {
    const r0 = rho[2 * b]!;
    const r1 = rho[2 * b + 1]!;
    first -= r0;
    second -= r1;
    for (let c = 0; c < 8; c++) {
      ct[16 * b + 2 * c] = r0;
      ct[16 * b + 2 * c + 1] = r1;
    }
    const v = vals[2 * b]!;
    ct[16 * b + 2 * v] = BigInt.asUintN(64, r0 + 1n);
    if (x) ct[16 * b + 2 * v + 1] = BigInt.asUintN(64, r1 + BigInt.asUintN(64, x[b]!));
    for (let c = 0; c < 8; c++)
      for (let w = 0; w < 4; w++) {
        let p = 0;
        for (let j = 0; j < 3; j++) p ^= blocks[4 * (24 * b + 8 * j + c) + w]!;
        cw[4 * (8 * b + c) + w] = cw[4 * (8 * b + c) + w]! ^ p;
      }
  }
  await talk(party, peer, op, new Uint8Array(ct.buffer), false);
  return { first, second };
}

function wordsOf(b: Uint8Array): Uint32Array {
  return b.byteOffset % 4 === 0
    ? new Uint32Array(b.buffer, b.byteOffset, b.length >>> 2)
    : new Uint32Array(b.slice().buffer);
}
