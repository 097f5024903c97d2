/**
 * Two-party PSI from Diffie-Hellman over ristretto255: the commutative
 * blinding of Meadows (IEEE S&P 1986) and Huberman, Franklin, Hogg (ACM EC
 * 1999), as deployed in Ion et al., "On Deploying Secure Computing: Private
 * Intersection-Sum-with-Cardinality" (IEEE EuroS&P 2020). Elements map to the
 * group with hash_to_ristretto255 (RFC 9380 expand_message_xmd with
 * SHA-512, then the RFC 9496 one-way map); the group operations are
 * libsodium's, in WebAssembly (./ristretto.ts).
 *
 * With keys a (receiver R) and b (sender S), nonzero scalars from the OS CSPRNG:
 *   R -> S: a H(x) for each x, in R's order;
 *   S -> R: b H(y) for each y, shuffled (in the same steps as R's message,
 *           chunk by chunk, so both parties hash and multiply at once);
 *   S -> R: b (a H(x)) for each x, first 16 bytes, in R's order
 *           (intersection) or shuffled (cardinality, sum);
 *   R:      a (b H(y)) and compares (first 16 bytes of the encodings).
 * A received element that is not a canonical ristretto255 encoding, or is
 * the identity, aborts naming the peer.
 * Semi-honest security under DDH in ristretto255 (random-oracle model for
 * the hash). Leakage: both set sizes; R learns, by output:
 *   - intersection: which of its elements are shared (and S, with output
 *     'both', which of its elements are, from the positions R sends back);
 *   - cardinality: the count only (the shuffle unlinks its values);
 *   - sum: the count, plus additive shares of the sum of S's values over the
 *     intersection; S learns nothing but |X|. The shares come from one
 *     chosen-message OT per element of S (m0 = rho, m1 = rho + v; R picks
 *     with its match bit), so neither share alone says anything about the sum.
 * Cost: two scalar multiplications per element of each set at each party
 * plus the hashing; 48 bytes per element of R and 32 per element of S. It suits
 * browsers (no OT extension needed for the intersection) and unbalanced
 * sets (the small party's work is linear in its own set plus one
 * multiplication per element of the other).
 */
import { OtExtension, type OtReceiverOutput } from '../primitives/ot/extension.js';
import type { Party } from '../runtime/party.js';
import { HashIndex } from './items.js';
import { Ristretto, type Scalar } from './ristretto.js';
import {
  checkOwnSize,
  expectLength,
  malformed,
  MAX_SET,
  oversized,
  randomPermutation,
  talk,
  expectHello,
} from './wire.js';

/** Domain-separation tag of the hash to the group (RFC 9380 section 3.1). */
export const ECDH_DST = 'entente/psi/ecdh/hash-to-group/v1';
/** Wire version 2: both parties' blinded elements cross in the same steps. */
const VERSION = 2;
const PROTOCOL_ECDH = 2;
/**
 * Elements per message (32 bytes each: 64 KiB). Small on purpose: a step's
 * hashing and scalar multiplications (about 0.3 ms per element on an idle
 * core) run between two awaits, so the event loop keeps the link's
 * heartbeats going.
 */
const PER_MESSAGE = 1 << 11;

export type EcdhPsiMode = 'intersection' | 'cardinality' | 'sum';

export interface EcdhPsiOptions {
  readonly receiver: number;
  readonly sender: number;
  readonly mode: EcdhPsiMode;
  /** Intersection and cardinality only: also tell the sender. Default false. */
  readonly both?: boolean;
  /** Sum only, at the sender: one value per digest (64-bit two's complement). */
  readonly values?: BigInt64Array;
}

export interface EcdhPsiResult {
  /** Positions in this party's list of the shared elements (intersection mode, where learnt). */
  readonly intersection?: Uint32Array;
  /** The intersection's size (cardinality mode where learnt; the receiver in sum mode). */
  readonly cardinality?: number;
  /**
   * Sum mode: this party's additive shares (mod 2^64) of the count and of
   * the sum of the sender's values over the intersection.
   */
  readonly shares?: { readonly count: bigint; readonly sum: bigint };
  readonly peerSize: number;
}

/**
 * hash_to_ristretto255 (RFC 9380 / RFC 9496) under ECDH_DST of each
 * 16-byte digest of `digests`: the encoded points, 32 bytes each.
 * @throws {RangeError} if `digests` is not whole 16-byte digests.
 */
export async function hashToGroup(digests: Uint8Array): Promise<Uint8Array> {
  return (await Ristretto.load()).hashToGroup(digests, 16, ECDH_DST);
}

/**
 * Runs the ECDH PSI; both parties call it with their distinct digests.
 * @throws {RangeError} on bad local input; {ProtocolAbort} naming the peer
 *   on a malformed or oversized message (including bytes that are not a
 *   ristretto255 encoding).
 */
export async function ecdhPsi(
  party: Party,
  digests: Uint8Array,
  opts: EcdhPsiOptions,
): Promise<EcdhPsiResult> {
  const { receiver, sender, mode } = opts;
  const me = party.index;
  if (receiver === sender || (me !== receiver && me !== sender))
    throw new RangeError(
      `ecdhPsi: party ${me} is neither receiver ${receiver} nor sender ${sender}`,
    );
  if (digests.length % 16 !== 0)
    throw new RangeError(`ecdhPsi: digests must be 16 bytes each, got ${digests.length} bytes`);
  const n = digests.length >>> 4;
  checkOwnSize(n);
  if (mode === 'sum' && me === sender && (!opts.values || opts.values.length !== n))
    throw new RangeError(
      `ecdhPsi: sum mode needs one value per element at the sender (${n}), got ${opts.values?.length ?? 'none'}`,
    );
  const flags = modeByte(mode, opts.both ?? false);
  const peer = me === receiver ? sender : receiver;
  const g = await Ristretto.load();
  const got = await talk(party, peer, 'psi.ecdh.hello', hello(flags, n), true);
  const nPeer = parseHello(party, peer, flags, got);
  return me === receiver
    ? runReceiver(party, peer, g, digests, n, nPeer, opts)
    : runSender(party, peer, g, digests, n, nPeer, opts);
}

function modeByte(mode: EcdhPsiMode, both: boolean): number {
  return (mode === 'intersection' ? 0 : mode === 'cardinality' ? 1 : 2) | (both ? 4 : 0);
}

function hello(flags: number, n: number): Uint8Array {
  const b = new Uint8Array(8);
  b[0] = VERSION;
  b[1] = PROTOCOL_ECDH;
  b[2] = flags;
  new DataView(b.buffer).setUint32(4, n, true);
  return b;
}

function parseHello(
  party: Party,
  peer: number,
  flags: number,
  msg: Uint8Array | undefined,
): number {
  const b = expectHello(party, peer, 'psi.ecdh.hello', msg, 8, VERSION, PROTOCOL_ECDH);
  if (b[2] !== flags)
    throw malformed(
      party,
      peer,
      `psi.ecdh.hello: the peer asked for mode ${b[2]}, this party for ${flags}`,
    );
  const n = new DataView(b.buffer, b.byteOffset).getUint32(4, true);
  if (n > MAX_SET)
    throw oversized(
      party,
      peer,
      `psi.ecdh.hello: a set of ${n} elements exceeds the limit of ${MAX_SET}`,
    );
  return n;
}

/** Elements in chunk t of a list of n (PER_MESSAGE per chunk, the last one shorter). */
function chunkSize(n: number, t: number): number {
  return Math.max(0, Math.min(PER_MESSAGE, n - t * PER_MESSAGE));
}

/**
 * The exchange of both parties' blinded elements, chunk by chunk in lock step:
 * in step t each party sends k H(e) for its chunk t (the sender's elements
 * in its random order `mine`) and re-blinds the peer's chunk t with its own
 * scalar, keeping 16 bytes of each at position `place` (or in order). Both
 * parties compute at once, so the two cores of a machine running both stay
 * busy. Returns the re-blinded peer elements.
 */
async function blindAndExchange(
  party: Party,
  peer: number,
  g: Ristretto,
  k: Scalar,
  digests: Uint8Array,
  n: number,
  nPeer: number,
  ops: { readonly mine: string; readonly peer: string },
  mine?: Uint32Array,
  place?: Uint32Array,
): Promise<Uint8Array> {
  const reblinded = new Uint8Array(16 * nPeer);
  const steps = Math.max(Math.ceil(n / PER_MESSAGE), Math.ceil(nPeer / PER_MESSAGE));
  const gathered = mine ? new Uint8Array(16 * Math.min(n, PER_MESSAGE)) : undefined;
  for (let t = 0; t < steps; t++) {
    const m = chunkSize(n, t);
    let out: Uint8Array | undefined;
    if (m > 0) {
      const from = t * PER_MESSAGE;
      let src = digests.subarray(16 * from, 16 * (from + m));
      if (mine && gathered) {
        for (let i = 0; i < m; i++) {
          const e = mine[from + i]!;
          gathered.set(digests.subarray(16 * e, 16 * e + 16), 16 * i);
        }
        src = gathered.subarray(0, 16 * m);
      }
      out = new Uint8Array(32 * m);
      // A hash to the identity has probability about 2^-252: an internal error, not the peer's.
      const bad = g.multiplyAll(k, g.hashToGroup(src, 16, ECDH_DST), out);
      if (bad) throw new Error(`ecdhPsi: element ${from + bad.index} hashed to ${bad.fault}`);
    }
    const mp = chunkSize(nPeer, t);
    const got = await talk(party, peer, ops.mine, out, mp > 0);
    if (mp === 0) continue;
    const at = t * PER_MESSAGE;
    const msg = expectLength(party, peer, ops.peer, got, 32 * mp);
    const bad = g.multiplyAll(
      k,
      msg,
      place ? reblinded : reblinded.subarray(16 * at),
      16,
      place?.subarray(at, at + mp),
    );
    if (bad) throw malformed(party, peer, `${ops.peer}: element ${at + bad.index} is ${bad.fault}`);
  }
  return reblinded;
}

/** Sends n elements of `size` bytes from `data` in messages of PER_MESSAGE. */
async function sendChunks(
  party: Party,
  peer: number,
  op: string,
  data: Uint8Array,
  n: number,
  size: number,
): Promise<void> {
  for (let i = 0; i < n; i += PER_MESSAGE)
    await talk(
      party,
      peer,
      op,
      data.subarray(size * i, size * Math.min(n, i + PER_MESSAGE)),
      false,
    );
}

/** Receives n elements of `size` bytes in messages of PER_MESSAGE, into one array. */
async function receiveChunks(
  party: Party,
  peer: number,
  op: string,
  n: number,
  size: number,
): Promise<Uint8Array> {
  const into = new Uint8Array(size * n);
  for (let i = 0; i < n; i += PER_MESSAGE) {
    const k = Math.min(PER_MESSAGE, n - i);
    into.set(
      expectLength(party, peer, op, await talk(party, peer, op, undefined, true), size * k),
      size * i,
    );
  }
  return into;
}

const OPS_RECEIVER = { mine: 'psi.ecdh.blinded', peer: 'psi.ecdh.sender' } as const;
const OPS_SENDER = { mine: 'psi.ecdh.sender', peer: 'psi.ecdh.blinded' } as const;

async function runReceiver(
  party: Party,
  peer: number,
  g: Ristretto,
  digests: Uint8Array,
  nR: number,
  nS: number,
  opts: EcdhPsiOptions,
): Promise<EcdhPsiResult> {
  const { mode } = opts;
  if (nR === 0 || nS === 0) return emptyResult(mode, nS, true);
  const a = g.randomScalar((o) => party.crypto.randomFill(o));
  // a b H(y) for the sender's (shuffled) elements, first 16 bytes.
  let theirs: Uint8Array;
  try {
    theirs = await blindAndExchange(party, peer, g, a, digests, nR, nS, OPS_RECEIVER);
  } finally {
    a.wipe();
  }
  // b a H(x) (first 16 bytes), in this party's order or shuffled by the sender.
  const doubled = await receiveChunks(party, peer, 'psi.ecdh.double', nR, 16);
  const keys = new Uint32Array(doubled.buffer, doubled.byteOffset, 4 * nR);
  const index = new HashIndex(nR);
  index.insertAll(keys, nR);
  const tw = new Uint32Array(theirs.buffer, theirs.byteOffset, 4 * nS);
  const match = new Uint8Array(nS);
  const hitsR: number[] = [];
  const hitsS: number[] = [];
  for (let j = 0; j < nS; j++) {
    const k = index.find(tw, j);
    if (k < 0) continue;
    match[j] = 1;
    hitsR.push(k);
    hitsS.push(j);
  }
  if (mode === 'intersection') {
    if (opts.both) await talk(party, peer, 'psi.ecdh.result', u8(Uint32Array.from(hitsS)), false);
    return { intersection: Uint32Array.from(hitsR).sort(), peerSize: nS };
  }
  if (mode === 'cardinality') {
    if (opts.both)
      await talk(party, peer, 'psi.ecdh.result', u8(Uint32Array.of(hitsS.length)), false);
    return { cardinality: hitsS.length, peerSize: nS };
  }
  // Sum: one chosen OT per sender position, choice = match bit.
  const ot = await OtExtension.create(party, peer, party.index, { check: false });
  const out = (await ot.chosen(nS, match)) as OtReceiverOutput;
  const w = new BigUint64Array(out.m.buffer, out.m.byteOffset, 2 * nS);
  let count = 0n;
  let sum = 0n;
  for (let j = 0; j < nS; j++) {
    sum += w[2 * j]!;
    count += w[2 * j + 1]!;
  }
  return {
    cardinality: hitsS.length,
    shares: { count: mod64(count), sum: mod64(sum) },
    peerSize: nS,
  };
}

async function runSender(
  party: Party,
  peer: number,
  g: Ristretto,
  digests: Uint8Array,
  nS: number,
  nR: number,
  opts: EcdhPsiOptions,
): Promise<EcdhPsiResult> {
  const { mode } = opts;
  if (nR === 0 || nS === 0)
    return mode === 'sum'
      ? { shares: { count: 0n, sum: 0n }, peerSize: nR }
      : emptyResult(mode, nR, opts.both ?? false);
  const b = g.randomScalar((o) => party.crypto.randomFill(o));
  // This party's elements go out in a random order; R's come back re-blinded
  // in R's order (intersection) or shuffled (cardinality, sum).
  const order = randomPermutation(nS, (o) => party.prg.fill(o));
  const shuffleR =
    mode === 'intersection' ? undefined : randomPermutation(nR, (o) => party.prg.fill(o));
  let doubled: Uint8Array;
  try {
    doubled = await blindAndExchange(
      party,
      peer,
      g,
      b,
      digests,
      nS,
      nR,
      OPS_SENDER,
      order,
      shuffleR,
    );
  } finally {
    b.wipe();
  }
  await sendChunks(party, peer, 'psi.ecdh.double', doubled, nR, 16);
  if (mode === 'intersection') {
    if (!opts.both) return { peerSize: nR };
    const msg = await talk(party, peer, 'psi.ecdh.result', undefined, true);
    return { intersection: positions(party, peer, msg, order, Math.min(nR, nS)), peerSize: nR };
  }
  if (mode === 'cardinality') {
    if (!opts.both) return { peerSize: nR };
    const msg = expectLength(
      party,
      peer,
      'psi.ecdh.result',
      await talk(party, peer, 'psi.ecdh.result', undefined, true),
      4,
    );
    const c = new DataView(msg.buffer, msg.byteOffset).getUint32(0, true);
    if (c > Math.min(nR, nS))
      throw malformed(party, peer, `psi.ecdh.result: a count of ${c} for sets of ${nR} and ${nS}`);
    return { cardinality: c, peerSize: nR };
  }
  // Sum: m0 = (rho, rho'), m1 = (rho + v, rho' + 1) per position, this party keeps -(sum rho, sum rho').
  const values = opts.values!;
  const msgs = new BigUint64Array(4 * nS);
  party.crypto.randomFill(new Uint8Array(msgs.buffer, 0, 16 * nS));
  let rhoSum = 0n;
  let rhoCount = 0n;
  for (let j = 0; j < nS; j++) {
    const r0 = msgs[2 * j]!;
    const r1 = msgs[2 * j + 1]!;
    rhoSum += r0;
    rhoCount += r1;
    msgs[2 * nS + 2 * j] = BigInt.asUintN(64, r0 + BigInt.asUintN(64, values[order[j]!]!));
    msgs[2 * nS + 2 * j + 1] = BigInt.asUintN(64, r1 + 1n);
  }
  const ot = await OtExtension.create(party, party.index, peer, { check: false });
  await ot.chosen(nS, new Uint8Array(msgs.buffer));
  return { shares: { count: mod64(-rhoCount), sum: mod64(-rhoSum) }, peerSize: nR };
}

function positions(
  party: Party,
  peer: number,
  msg: Uint8Array | undefined,
  order: Uint32Array,
  max: number,
): Uint32Array {
  if (!msg || msg.length % 4 !== 0)
    throw malformed(
      party,
      peer,
      `psi.ecdh.result: ${msg?.length ?? 0} bytes is not a list of 32-bit positions`,
    );
  if (msg.length > 4 * max)
    throw oversized(party, peer, `psi.ecdh.result: ${msg.length / 4} matches, at most ${max}`);
  const pos = new Uint32Array(msg.slice().buffer);
  const seen = new Uint8Array(order.length);
  const out = new Uint32Array(pos.length);
  for (let k = 0; k < pos.length; k++) {
    const p = pos[k]!;
    if (p >= order.length)
      throw malformed(party, peer, `psi.ecdh.result: position ${p} out of range`);
    const e = order[p]!;
    if (seen[e]) throw malformed(party, peer, 'psi.ecdh.result: element matched twice');
    seen[e] = 1;
    out[k] = e;
  }
  return out.sort();
}

function emptyResult(mode: EcdhPsiMode, peerSize: number, learns: boolean): EcdhPsiResult {
  if (mode === 'sum') return { cardinality: 0, shares: { count: 0n, sum: 0n }, peerSize };
  if (!learns) return { peerSize };
  return mode === 'intersection'
    ? { intersection: new Uint32Array(0), peerSize }
    : { cardinality: 0, peerSize };
}

function mod64(x: bigint): bigint {
  return BigInt.asUintN(64, x);
}

function u8(w: Uint32Array): Uint8Array {
  return new Uint8Array(w.buffer, w.byteOffset, 4 * w.length);
}
