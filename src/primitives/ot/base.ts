/**
 * Base oblivious transfer: the "endemic" OT of Masny and Rindal, "Endemic
 * Oblivious Transfer", CCS 2019 (section 5, OT from a key agreement whose
 * messages are uniform group elements), instantiated with Diffie-Hellman over
 * ristretto255 (RFC 9496) from the audited @noble/curves.
 *
 * Security model: UC-secure against a malicious (active, static) adversary
 * corrupting either party, in the random-oracle model, under the
 * computational Diffie-Hellman assumption in ristretto255. The functionality
 * is *endemic* (random) OT: outputs are random 16-byte keys, and a corrupted
 * party may influence its own outputs but learns nothing about the honest
 * party's. That is exactly what OT extension needs from its base OTs
 * (Masny-Rindal section 6; KOS 2015 take random seeds). Channels must be
 * authenticated; they need not be private. Not constant-time (noble's
 * variable-base multiplication is; the bookkeeping around it is not).
 *
 * Protocol, for OT i with receiver choice c (H_G hashes to the group, KDF is
 * SHA-256, sid binds the session and direction):
 *   receiver: b <- Z_q, B = b G; r_{1-c} <- G uniform; r_c = B - H_G(sid, i, r_{1-c});
 *             sends (r_0, r_1)
 *   sender:   a <- Z_q, A = a G; sends A (after receiving the pairs, as in the paper)
 *             M_j = r_j + H_G(sid, i, r_{1-j}); k_j = KDF(sid, i, j, A, a M_j) for j = 0, 1
 *   receiver: k_c = KDF(sid, i, c, A, b A)        (b A = a B = a M_c)
 * The pair (r_0, r_1) is uniform whatever c is, so the sender learns nothing
 * of c; k_{1-c} needs a M_{1-c} with M_{1-c} - r_{1-c} a random-oracle output,
 * which the receiver cannot arrange (CDH).
 */
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ProtocolAbort } from '../../runtime/errors.js';
import type { Party } from '../../runtime/party.js';

const Point = ristretto255.Point;
type RPoint = InstanceType<typeof Point>;
const ORDER = Point.Fn.ORDER;

/** Domain-separation labels of the base OT. */
export const BASE_OT_LABELS = {
  hashToGroup: 'entente/ot/mr19/hash-to-group/v1',
  kdf: 'entente/ot/mr19/kdf/v1',
} as const;

const TEXT = new TextEncoder();
const KDF_LABEL = TEXT.encode(BASE_OT_LABELS.kdf);

/** What the base-OT sender gets: two random 16-byte keys per OT. */
export interface BaseOtSenderOutput {
  /** Key k_0 of OT i at bytes [16 i, 16 i + 16). */
  readonly k0: Uint8Array;
  readonly k1: Uint8Array;
}

/** What the receiver gets: its key k_c for each choice c. */
export interface BaseOtReceiverOutput {
  readonly choices: Uint8Array;
  /** Key k_{c_i} of OT i at bytes [16 i, 16 i + 16). */
  readonly k: Uint8Array;
}

function u32be(i: number): Uint8Array {
  return Uint8Array.of(i >>> 24, (i >>> 16) & 255, (i >>> 8) & 255, i & 255);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function hashToGroup(sid: Uint8Array, i: number, r: Uint8Array): RPoint {
  return ristretto255_hasher.hashToCurve(concat([u32be(sid.length), sid, u32be(i), r]), {
    DST: BASE_OT_LABELS.hashToGroup,
  });
}

function kdf(sid: Uint8Array, i: number, j: number, a: Uint8Array, shared: RPoint): Uint8Array {
  const h = sha256(
    concat([KDF_LABEL, u32be(sid.length), sid, u32be(i), Uint8Array.of(j), a, shared.toBytes()]),
  );
  return h.subarray(0, 16);
}

/** A uniform nonzero scalar from 64 CSPRNG bytes (bias below 2^-250). */
function randomScalar(party: Party): bigint {
  const bytes = new Uint8Array(64);
  for (;;) {
    party.crypto.randomFill(bytes);
    let x = 0n;
    for (let k = 63; k >= 0; k--) x = (x << 8n) | BigInt(bytes[k]!);
    x %= ORDER;
    if (x !== 0n) return x;
  }
}

function decodePoint(bytes: Uint8Array, peer: number, party: Party, what: string): RPoint {
  let p: RPoint;
  try {
    p = Point.fromBytes(bytes);
  } catch {
    throw new ProtocolAbort(
      'malformed',
      peer,
      party.ids[peer],
      `base OT: ${what} is not a group element`,
    );
  }
  if (p.is0())
    throw new ProtocolAbort('malformed', peer, party.ids[peer], `base OT: ${what} is the identity`);
  return p;
}

function checkArgs(party: Party, sender: number, receiver: number, n: number): void {
  if (party.n < 2) throw new RangeError(`base OT: expected at least 2 parties, got ${party.n}`);
  for (const [name, x] of [
    ['sender', sender],
    ['receiver', receiver],
  ] as const) {
    if (!Number.isInteger(x) || x < 0 || x >= party.n)
      throw new RangeError(`base OT: ${name} ${x} is not a party index (0..${party.n - 1})`);
  }
  if (sender === receiver) throw new RangeError('base OT: sender and receiver must differ');
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`base OT: bad count ${n}`);
}

/**
 * Runs n base OTs from `sender` to `receiver` in two rounds. Every party of
 * the session calls it with the same sender, receiver, n and sid (parties
 * other than the two exchange nothing but keep their rounds in step). The
 * receiver passes its choice bits (one per byte, 0 or 1).
 *
 * @example
 *   const out = await baseOT(party, 0, 1, 128, sid, party.index === 1 ? choices : undefined);
 * @throws {RangeError} for bad indices, counts or choices;
 *   {ProtocolAbort} when the peer's message is malformed.
 */
export async function baseOT(
  party: Party,
  sender: number,
  receiver: number,
  n: number,
  sid: Uint8Array,
  choices?: Uint8Array,
): Promise<BaseOtSenderOutput | BaseOtReceiverOutput | undefined> {
  checkArgs(party, sender, receiver, n);
  const me = party.index;
  const none = (): Array<Uint8Array | undefined> => new Array<Uint8Array | undefined>(party.n);
  if (me === receiver) {
    if (!choices || choices.length !== n)
      throw new RangeError(`base OT: expected ${n} choices, got ${choices?.length ?? 'none'}`);
    if (choices.some((c) => c > 1)) throw new RangeError('base OT: choices must be 0 or 1');
    const b: bigint[] = [];
    const msg = new Uint8Array(64 * n);
    for (let i = 0; i < n; i++) {
      const bi = randomScalar(party);
      b.push(bi);
      const B = Point.BASE.multiply(bi);
      // r_{1-c}: a uniform group element (its discrete log is of no help to the receiver).
      const other = Point.BASE.multiply(randomScalar(party)).toBytes();
      const mine = B.subtract(hashToGroup(sid, i, other)).toBytes();
      const c = choices[i]!;
      msg.set(c === 0 ? mine : other, 64 * i);
      msg.set(c === 0 ? other : mine, 64 * i + 32);
    }
    const send1 = none();
    send1[sender] = msg;
    await party.exchange({ op: 'ot.base.pairs', send: send1, recvFrom: [] });
    const got = await party.exchange({ op: 'ot.base.key', send: none(), recvFrom: [sender] });
    const aBytes = got[sender]!;
    if (aBytes.length !== 32)
      throw new ProtocolAbort('malformed', sender, party.ids[sender], 'base OT: bad key length');
    const A = decodePoint(aBytes, sender, party, 'the sender key').precompute(8, false);
    const k = new Uint8Array(16 * n);
    for (let i = 0; i < n; i++) k.set(kdf(sid, i, choices[i]!, aBytes, A.multiply(b[i]!)), 16 * i);
    return { choices: choices.slice(), k };
  }
  if (me === sender) {
    const got = await party.exchange({ op: 'ot.base.pairs', send: none(), recvFrom: [receiver] });
    const msg = got[receiver]!;
    if (msg.length !== 64 * n)
      throw new ProtocolAbort(
        'malformed',
        receiver,
        party.ids[receiver],
        `base OT: expected ${64 * n} bytes, got ${msg.length}`,
      );
    const a = randomScalar(party);
    const aBytes = Point.BASE.multiply(a).toBytes();
    const send2 = none();
    send2[receiver] = aBytes;
    const sent = party.exchange({ op: 'ot.base.key', send: send2, recvFrom: [] });
    // If a check below fails first, the abort also rejects this step: not an unhandled error.
    sent.catch(() => undefined);
    const k0 = new Uint8Array(16 * n);
    const k1 = new Uint8Array(16 * n);
    for (let i = 0; i < n; i++) {
      const r0b = msg.subarray(64 * i, 64 * i + 32);
      const r1b = msg.subarray(64 * i + 32, 64 * i + 64);
      const r0 = decodePoint(r0b, receiver, party, `r_0 of OT ${i}`);
      const r1 = decodePoint(r1b, receiver, party, `r_1 of OT ${i}`);
      const M0 = r0.add(hashToGroup(sid, i, r1b));
      const M1 = r1.add(hashToGroup(sid, i, r0b));
      // Only a receiver that solved for r_j = -H_G(r_{1-j}) gets the identity here.
      if (M0.is0() || M1.is0())
        throw new ProtocolAbort(
          'malformed',
          receiver,
          party.ids[receiver],
          `base OT: degenerate pair in OT ${i}`,
        );
      k0.set(kdf(sid, i, 0, aBytes, M0.multiply(a)), 16 * i);
      k1.set(kdf(sid, i, 1, aBytes, M1.multiply(a)), 16 * i);
    }
    await sent;
    return { k0, k1 };
  }
  await party.exchange({ op: 'ot.base.pairs', send: none(), recvFrom: [] });
  await party.exchange({ op: 'ot.base.key', send: none(), recvFrom: [] });
  return undefined;
}
