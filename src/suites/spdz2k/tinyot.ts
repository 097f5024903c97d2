/**
 * Authenticated binary sharing (multiparty TinyOT bits): the boolean material
 * that spdz2k comparisons are meant to run on instead of arithmetic 0/1 values
 * in Z_2^128. TinyOT is Nielsen, Nordholt, Orlandi, Burra, "A New Approach to
 * Practical Active-Secure Two-Party Computation", CRYPTO 2012; the n-party
 * form with pairwise MACs is that of Frederiksen, Keller, Orsini, Scholl,
 * "A Unified Approach to MPC with Preprocessing using OT", ASIACRYPT 2015,
 * section 3 (also Hazay, Scholl, Soria-Vazquez, ASIACRYPT 2017, section 3).
 *
 * Security model: malicious (static) corruption of up to n - 1 of n parties,
 * abort allowed; authenticated private channels; correlated OT from the
 * project's KOS-checked OT extension (src/primitives/ot/extension.ts).
 *
 * Sharing. A bit x is x_1 ^ ... ^ x_n. Every party j has one global key
 * offset Delta_j (128 bits, secret) for all its peers. For every ordered pair
 * (i, j), j != i, party j holds a key K_j[x_i] (128 bits) and party i the MAC
 * M_j[x_i] = K_j[x_i] ^ x_i Delta_j. Each party's Delta is the correlation
 * of every OT-extension instance it sends in (the instances' base OTs use
 * Delta's bits as choices), so one correlated OT per bit and ordered pair,
 * with i's share as choice bit, is exactly one such MAC (the sender's q is
 * the key, the receiver's row the MAC). This is the sharing of Wang,
 * Ranellucci, Katz, "Global-Scale Secure Multiparty Computation", CCS 2017,
 * section 2 (Delta_j global is what their AND triples need). KOS lets a
 * cheating receiver learn c bits of Delta_j with probability 2^-c, so a
 * forgery still succeeds with probability at most 2^-128.
 *
 * XOR is local (shares, MACs and keys XOR), a public bit c is added by party
 * 0 flipping its share and every other party j flipping K_j[x_0] by
 * c Delta_{j,0}; AND with a public bit scales everything by it.
 *
 * Inputs (bits chosen by one party): the owner's shares of random bits,
 * the other parties' shares set to 0, and the owner broadcasts b ^ x_owner,
 * folded in as a public XOR at the owner.
 *
 * Opening and its check: every party sends its share to all; the opened bit
 * is their XOR and is recorded. The check (`check`) sends each peer j one
 * hash of this party's MACs M_j[x_i] of everything recorded since the last
 * check, and compares the peer's hash with the hash of
 * K_i[x_j] ^ x_j Delta_{i,j} over the shares x_j that j sent: a party that
 * sent a wrong share would have to know Delta. The MACs of opened values
 * reveal nothing beyond the opened shares (each is K ^ x Delta for a key the
 * verifier already holds). The MACs are pairwise, so a party may cheat
 * towards one peer only; hence the same message carries a hash of every bit
 * (and input difference) the party saw, and with n >= 3 a verdict round
 * follows, so that any honest party's failed check makes every honest party
 * abort. Openings are hashed in the order they complete, the same at every
 * party (exchanges resolve in issue order).
 *
 * Leaks: the opened bits and their shares (the shares of opened values are
 * uniform given the value, since each random bit's shares are); vector
 * lengths. Not timing-hardened.
 *
 * Cost: one correlated OT (16 bytes of IKNP matrix plus the KOS check's
 * share) per bit and ordered pair, against 320 random OTs of 128-bit
 * messages and the COPE authentication of five values in Z_2^192 for one
 * spdz2k triple.
 *
 * AND triples: `leakyAnd` (WRK17 section 3, Pi_LaAND with Pi_HaAND) and
 * `andTriples` (their bucketing, sigma = 40); `and` is Beaver's AND on them.
 * Cost per leaky triple and ordered pair: 3 correlated OTs, 2 bits and 16
 * bytes of half-AND and check messages, and 16 bytes of the check's opening
 * (plus 32-byte commitments); B (3-5 for large batches) leaky triples per
 * triple.
 *
 * Not here yet: the link to the arithmetic sharing (daBits or edaBits with
 * their consistency check), which spdz2k comparisons on this material need.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Party } from '../../runtime/party.js';
import { others } from '../semi2k/gen.js';
import { OtMesh } from '../semi2k/pairwise.js';
import type { CotSenderOutput, OtReceiverOutput } from '../../primitives/ot/extension.js';
import { TccrHash } from '../../primitives/hash.js';
import { CoinFlip, Spdz2kAbort } from './mac.js';

export const TINYOT_LABELS = {
  macHash: 'entente/spdz2k/tinyot/mac-hash/v1',
  transcript: 'entente/spdz2k/tinyot/transcript/v1',
  tripleCommit: 'entente/spdz2k/tinyot/triple-check-commitment/v1',
} as const;

/**
 * TMMO tweak domain of the AND-triple hashes, in the top word with the key
 * holder's and the MAC holder's indices below it (distinct from the OT
 * extension's and garbling's domains in src/primitives/hash.ts).
 */
const TWEAK_TINYOT = 0x7469_0000; // 'ti'

/**
 * Statistical security parameter (bits) of the bucketing: a batch of N
 * authenticated AND triples is bad with probability at most 2^-SIGMA.
 */
export const TRIPLE_SIGMA = 40;

/**
 * Bucket size for a batch of N AND triples: B = ceil(1 + sigma / log2 N),
 * the bound of Wang, Ranellucci, Katz, "Authenticated Garbling and Efficient
 * Maliciously Secure Two-Party Computation", CCS 2017, section 3 (used again
 * by their "Global-Scale Secure Multiparty Computation", CCS 2017, section
 * 3), with sigma = TRIPLE_SIGMA = 40: B = 3 from N = 2^20, 4 from 2^14,
 * 5 from 2^11, and 41 for N = 2.
 * @throws {RangeError} for a count that is not a positive integer.
 */
export function bucketSize(N: number, sigma = TRIPLE_SIGMA): number {
  if (!Number.isInteger(N) || N < 1)
    throw new RangeError(`tinyot.bucketSize: count must be a positive integer, got ${N}`);
  if (N === 1) return sigma + 1;
  return Math.ceil(1 + sigma / Math.log2(N));
}

/** Authenticated AND triples: z = x & y, bit by bit. Secret. */
export interface AuthTriples {
  readonly x: AuthBits;
  readonly y: AuthBits;
  readonly z: AuthBits;
}

const TEXT = new TextEncoder();

/**
 * This party's view of n authenticated shared bits: its shares (0/1 per
 * byte), its MACs towards each peer j (M_j[x_me], 4 words per bit) and its
 * keys for each peer's shares (K_me[x_j]). Entries at this party's own index
 * are undefined. Secret: it does not print or serialise.
 */
export class AuthBits {
  constructor(
    readonly x: Uint8Array,
    readonly mac: ReadonlyArray<Uint32Array | undefined>,
    readonly key: ReadonlyArray<Uint32Array | undefined>,
  ) {
    for (const v of [...mac, ...key])
      if (v && v.length !== 4 * x.length)
        throw new RangeError(
          `tinyot: expected ${4 * x.length} MAC/key words for ${x.length} bits, got ${v.length}`,
        );
  }
  get length(): number {
    return this.x.length;
  }
  toString(): string {
    return `[AuthBits: ${this.x.length} secret bits]`;
  }
  toJSON(): never {
    throw new TypeError('tinyot: authenticated bits are secret and cannot be serialised');
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * A uniformly random permutation of 0..L-1 (Fisher-Yates) from 8 L random
 * bytes: each draw takes 53 bits, so its bias is below L / 2^53.
 */
function permutation(L: number, rnd: Uint8Array): Uint32Array {
  const w = u32(rnd);
  const p = new Uint32Array(L);
  for (let i = 0; i < L; i++) p[i] = i;
  for (let i = L - 1; i > 0; i--) {
    const u = ((w[2 * i]! >>> 11) * 4294967296 + w[2 * i + 1]!) / 2 ** 53;
    const j = Math.floor(u * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

function xorWords(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

function u32(b: Uint8Array): Uint32Array {
  if (b.byteOffset % 4 !== 0) b = b.slice();
  return new Uint32Array(b.buffer, b.byteOffset, b.length >>> 2);
}

/** Bits (0/1 per byte) packed 8 per byte, bit i at byte i >> 3, position i & 7. */
export function packBits(bits: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) out[i >>> 3] = out[i >>> 3]! | ((bits[i]! & 1) << (i & 7));
  return out;
}

/** The inverse of packBits for n bits. */
export function unpackBits(packed: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (packed[i >>> 3]! >>> (i & 7)) & 1;
  return out;
}

/** Checks a public bit vector's length and values. */
function publicBits(c: Uint8Array, n: number, op: string): void {
  if (c.length !== n)
    throw new RangeError(`tinyot.${op}: expected ${n} public bits, got ${c.length}`);
  for (let i = 0; i < n; i++)
    if (c[i]! > 1) throw new RangeError(`tinyot.${op}: public bit ${i} is ${c[i]}, not 0 or 1`);
}

export interface TinyOtOptions {
  /**
   * TEST ONLY: accept every opening without its MAC check (a broken build,
   * the positive control of the malicious tests).
   */
  testOnlySkipMacCheck?: boolean;
  /**
   * TEST ONLY: accept every leaky AND triple without its check (the
   * positive control of the malicious triple tests).
   */
  testOnlySkipTripleCheck?: boolean;
  /**
   * TEST ONLY: a hook that may change this party's leaky AND triples after
   * they are made and before their check (a corrupted party's deviation).
   */
  testOnlyTamperLeaky?: (t: AuthTriples) => void;
}

/**
 * One party's TinyOT engine: random authenticated bits, local linear
 * operations, openings and their MAC check. Every party calls the same
 * methods in the same order.
 *
 * @example
 *   const t = new TinyOt(party);
 *   const r = await t.random(1000);
 *   const v = await t.open(t.xorPublic(r, ones)); // recorded, not yet checked
 *   await t.check(); // throws Spdz2kAbort if any party cheated
 */
export class TinyOt {
  readonly party: Party;
  readonly #mesh: OtMesh;
  readonly #skip: boolean;
  readonly #skipTriples: boolean;
  readonly #tamperLeaky: ((t: AuthTriples) => void) | undefined;
  readonly #H: TccrHash;
  readonly #coin: CoinFlip;
  /** Next TMMO tweak counter: the same at every party (calls run in the same order). */
  #tweak = 0;
  /** Delta_me: this party's one global key offset for all its peers (4 words). */
  readonly #delta: Uint32Array;
  /** Running hashes per peer j: of my MACs towards j, and of what j's MACs must be. */
  #mine: Array<ReturnType<typeof sha256.create> | undefined> = [];
  #theirs: Array<ReturnType<typeof sha256.create> | undefined> = [];
  /** Hash of every bit this party saw opened since the last check (equal at all parties). */
  #transcript = sha256.create();
  #recorded = 0;
  #checks = 0;
  #chain: Promise<void> = Promise.resolve();
  #failure: Spdz2kAbort | undefined;

  constructor(party: Party, opts: TinyOtOptions = {}) {
    if (party.n < 2) throw new RangeError(`tinyot: expected at least 2 parties, got ${party.n}`);
    this.party = party;
    if (party.n > 256) throw new RangeError(`tinyot: at most 256 parties, got ${party.n}`);
    this.#skip = opts.testOnlySkipMacCheck === true;
    this.#skipTriples = opts.testOnlySkipTripleCheck === true;
    this.#tamperLeaky = opts.testOnlyTamperLeaky;
    this.#H = new TccrHash(party.crypto);
    this.#coin = new CoinFlip(party, 'tinyot.coin');
    const d = new Uint8Array(16);
    party.crypto.randomFill(d);
    this.#delta = u32(d);
    this.#mesh = new OtMesh(party, true, true, d);
    this.#resetHashes();
  }

  /** Bits opened since the last check. */
  get uncheckedOpenings(): number {
    return this.#recorded;
  }

  #resetHashes(): void {
    const me = this.party.index;
    const ids = this.party.ids;
    for (const j of others(this.party)) {
      // Domain: label, prover -> verifier, check number.
      const start = (p: number, v: number) =>
        sha256
          .create()
          .update(TEXT.encode(`${TINYOT_LABELS.macHash}/${ids[p]}->${ids[v]}/${this.#checks}`));
      this.#mine[j] = start(me, j);
      this.#theirs[j] = start(j, me);
    }
    this.#transcript = sha256
      .create()
      .update(TEXT.encode(`${TINYOT_LABELS.transcript}/${this.#checks}`));
  }

  async #ready(): Promise<void> {
    await this.#mesh.ready();
  }

  /**
   * N uniformly random authenticated bits: this party's shares are random,
   * and one correlated OT per bit and ordered pair authenticates them.
   * @throws {ProtocolAbort} from the OT extension (KOS check, timeouts).
   */
  async random(N: number): Promise<AuthBits> {
    if (!Number.isInteger(N) || N < 0)
      throw new RangeError(`tinyot.random: count must be a non-negative integer, got ${N}`);
    const party = this.party;
    const me = party.index;
    await this.#ready();
    const x = party.prg.bytes(N);
    for (let i = 0; i < N; i++) x[i] = x[i]! & 1;
    const mac: Array<Uint32Array | undefined> = new Array(party.n);
    const key: Array<Uint32Array | undefined> = new Array(party.n);
    if (N === 0) {
      for (const j of others(party)) {
        mac[j] = new Uint32Array(0);
        key[j] = new Uint32Array(0);
      }
      return new AuthBits(x, mac, key);
    }
    const pairs = this.#mesh.pairs;
    const outs = await Promise.all(
      pairs.map(([s, r]) => this.#mesh.ot(s, r).correlatedRaw(N, r === me ? x : undefined)),
    );
    pairs.forEach(([s, r], k) => {
      if (s === me) key[r] = u32((outs[k] as CotSenderOutput).q);
      else if (r === me) mac[s] = u32((outs[k] as OtReceiverOutput).m);
    });
    return new AuthBits(x, mac, key);
  }

  /** a ^ b (local). */
  xor(a: AuthBits, b: AuthBits): AuthBits {
    if (a.length !== b.length)
      throw new RangeError(`tinyot.xor: lengths differ (${a.length} and ${b.length})`);
    const x = new Uint8Array(a.length);
    for (let i = 0; i < x.length; i++) x[i] = a.x[i]! ^ b.x[i]!;
    const pick = (
      u: ReadonlyArray<Uint32Array | undefined>,
      v: ReadonlyArray<Uint32Array | undefined>,
    ) => u.map((w, j) => (w ? xorWords(w, v[j]!) : undefined));
    return new AuthBits(x, pick(a.mac, b.mac), pick(a.key, b.key));
  }

  /** a ^ c for public bits c (0/1 per byte; local). */
  xorPublic(a: AuthBits, c: Uint8Array): AuthBits {
    publicBits(c, a.length, 'xorPublic');
    return this.#xorPublicAt(a, c, 0);
  }

  /** a ^ c, the public bits folded into `owner`'s share (its peers adjust their keys). */
  #xorPublicAt(a: AuthBits, c: Uint8Array, owner: number): AuthBits {
    const me = this.party.index;
    const x = a.x.slice();
    if (me === owner) for (let i = 0; i < x.length; i++) x[i] = x[i]! ^ c[i]!;
    const key = a.key.map((k) => k?.slice());
    const ko = key[owner];
    if (me !== owner && ko) {
      // K_me[x_o] ^= c Delta_me, so that M_me[x_o] = K ^ (x_o ^ c) Delta still holds.
      const d = this.#delta;
      for (let i = 0; i < c.length; i++)
        if (c[i] === 1) for (let w = 0; w < 4; w++) ko[4 * i + w] = ko[4 * i + w]! ^ d[w]!;
    }
    return new AuthBits(x, a.mac, key);
  }

  /**
   * Authenticates bits chosen by `owner` (given there, undefined elsewhere):
   * from N random authenticated bits, keep only the owner's shares (the
   * others' become 0 with zero MACs and keys, a valid sharing of x_owner),
   * and the owner broadcasts d = b ^ x_owner, which is folded in as a public
   * XOR. d is uniform to everyone else. d enters the opened-bits hash, so an
   * owner that sends different d to different peers is caught at the next
   * check. One round after the random bits.
   * @throws {RangeError} for a bad owner or bits; {Spdz2kAbort} ('broadcast') for a malformed d.
   */
  async input(owner: number, N: number, bits?: Uint8Array): Promise<AuthBits> {
    const party = this.party;
    const me = party.index;
    if (!Number.isInteger(owner) || owner < 0 || owner >= party.n)
      throw new RangeError(`tinyot.input: no party ${owner}`);
    if (me === owner) {
      if (!bits) throw new TypeError('tinyot.input: the owner must give its bits');
      publicBits(bits, N, 'input');
    }
    const r = await this.random(N);
    const zero = () => new Uint32Array(4 * N);
    const own =
      me === owner
        ? new AuthBits(
            r.x,
            r.mac,
            r.key.map((k) => (k ? zero() : undefined)),
          )
        : new AuthBits(
            new Uint8Array(N),
            r.mac.map((m) => (m ? zero() : undefined)),
            r.key.map((k, j) => (k ? (j === owner ? k : zero()) : undefined)),
          );
    const peers = others(party);
    const send: Array<Uint8Array | undefined> = new Array(party.n);
    let d: Uint8Array | undefined;
    if (me === owner) {
      d = new Uint8Array(N);
      for (let i = 0; i < N; i++) d[i] = bits![i]! ^ r.x[i]!;
      const packed = packBits(d);
      for (const j of peers) send[j] = packed;
    }
    const got = await party.exchange({
      op: 'tinyot.input',
      send,
      recvFrom: me === owner ? [] : [owner],
    });
    if (me !== owner) {
      const msg = got[owner] ?? new Uint8Array(0);
      if (msg.length !== Math.ceil(N / 8))
        throw new Spdz2kAbort(
          'broadcast',
          owner,
          party.ids[owner],
          `expected ${Math.ceil(N / 8)} bytes of input differences, got ${msg.length}`,
        );
      d = unpackBits(msg, N);
    }
    this.#transcript.update(packBits(d!));
    return this.#xorPublicAt(own, d!, owner);
  }

  /** NOT a (local). */
  not(a: AuthBits): AuthBits {
    return this.xorPublic(a, new Uint8Array(a.length).fill(1));
  }

  /** a & c for public bits c (local). */
  andPublic(a: AuthBits, c: Uint8Array): AuthBits {
    publicBits(c, a.length, 'andPublic');
    const x = new Uint8Array(a.length);
    for (let i = 0; i < x.length; i++) x[i] = a.x[i]! & c[i]!;
    const scale = (u: ReadonlyArray<Uint32Array | undefined>) =>
      u.map((w) => {
        if (!w) return undefined;
        const out = new Uint32Array(w.length);
        for (let i = 0; i < c.length; i++)
          if (c[i] === 1) out.set(w.subarray(4 * i, 4 * i + 4), 4 * i);
        return out;
      });
    return new AuthBits(x, scale(a.mac), scale(a.key));
  }

  /** Elements idx[0], idx[1], ... of a. */
  gather(a: AuthBits, idx: Uint32Array): AuthBits {
    const x = new Uint8Array(idx.length);
    for (let i = 0; i < idx.length; i++) {
      const k = idx[i]!;
      if (k >= a.length) throw new RangeError(`tinyot.gather: index ${k} out of range ${a.length}`);
      x[i] = a.x[k]!;
    }
    const pick = (u: ReadonlyArray<Uint32Array | undefined>) =>
      u.map((w) => {
        if (!w) return undefined;
        const out = new Uint32Array(4 * idx.length);
        for (let i = 0; i < idx.length; i++)
          out.set(w.subarray(4 * idx[i]!, 4 * idx[i]! + 4), 4 * i);
        return out;
      });
    return new AuthBits(x, pick(a.mac), pick(a.key));
  }

  /**
   * Opens a to every party (0/1 per byte) and records it for the next check.
   * The result is not yet checked: nothing derived from it may leave the
   * protocol before `check` passed.
   * @throws {PeerError} for a malformed message; {ProtocolAbort} on timeout.
   */
  async open(a: AuthBits, op = 'tinyot.open'): Promise<Uint8Array> {
    const party = this.party;
    const n = a.length;
    const peers = others(party);
    const send: Array<Uint8Array | undefined> = new Array(party.n);
    const packed = packBits(a.x);
    for (const j of peers) send[j] = packed;
    const got = await party.exchange({ op, send, recvFrom: peers });
    const y = a.x.slice();
    for (const j of peers) {
      const msg = got[j] ?? new Uint8Array(0);
      if (msg.length !== packed.length)
        throw new Spdz2kAbort(
          'broadcast',
          j,
          party.ids[j],
          `expected ${packed.length} bytes of opened shares, got ${msg.length}`,
        );
      const xj = unpackBits(msg, n);
      for (let i = 0; i < n; i++) y[i] = y[i]! ^ xj[i]!;
      this.#record(j, xj, a);
    }
    this.#transcript.update(packBits(y));
    this.#recorded += n;
    return y;
  }

  /** Adds my MACs towards j, and the MACs j must hold for the shares xj it sent, to the hashes. */
  #record(j: number, xj: Uint8Array, a: AuthBits): void {
    const mine = a.mac[j]!;
    const expected = a.key[j]!.slice();
    const d = this.#delta;
    for (let i = 0; i < xj.length; i++)
      if (xj[i] === 1)
        for (let w = 0; w < 4; w++) expected[4 * i + w] = expected[4 * i + w]! ^ d[w]!;
    this.#mine[j]!.update(new Uint8Array(mine.buffer, mine.byteOffset, 4 * mine.length));
    this.#theirs[j]!.update(
      new Uint8Array(expected.buffer, expected.byteOffset, 4 * expected.length),
    );
  }

  /**
   * Checks every bit opened since the last check (one round). Checks run in
   * call order; after a failure every later check fails too (fail closed).
   * @throws {Spdz2kAbort} ('mac-check', naming the peer) if a peer's shares
   * do not match its MACs.
   */
  check(): Promise<void> {
    const run = this.#chain.then(async () => {
      if (this.#failure) throw this.#failure;
      try {
        await this.#checkNow();
      } catch (e) {
        if (e instanceof Spdz2kAbort) this.#failure = e;
        throw e;
      }
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #checkNow(): Promise<void> {
    const party = this.party;
    const peers = others(party);
    const send: Array<Uint8Array | undefined> = new Array(party.n);
    const seen = this.#transcript.digest();
    for (const j of peers) send[j] = concat(this.#mine[j]!.digest(), seen);
    const expected = peers.map((j) => concat(this.#theirs[j]!.digest(), seen));
    this.#checks++;
    this.#recorded = 0;
    this.#resetHashes();
    const got = await party.exchange({ op: 'tinyot.mac-check', send, recvFrom: peers });
    let failure: Spdz2kAbort | undefined;
    if (!this.#skip)
      peers.forEach((j, k) => {
        const h = got[j];
        const e = expected[k]!;
        if (failure || (h?.length === e.length && h.every((b, i) => b === e[i]))) return;
        const macsOk = h?.length === e.length && h.subarray(0, 32).every((b, i) => b === e[i]);
        failure = macsOk
          ? new Spdz2kAbort(
              'broadcast',
              j,
              party.ids[j],
              `peer ${party.ids[j]} saw different opened bits (a party equivocated)`,
            )
          : new Spdz2kAbort(
              'mac-check',
              j,
              party.ids[j],
              `opened bit shares from peer ${party.ids[j]} do not match their MACs`,
            );
      });
    // The MACs are pairwise, so a party may cheat towards one peer only. With
    // three or more parties every party then tells every other whether its
    // checks passed: an honest party that caught a cheat makes every honest
    // party abort (a corrupted party cannot stop honest-to-honest messages).
    if (party.n >= 3) {
      const verdict: Array<Uint8Array | undefined> = new Array(party.n);
      for (const j of peers) verdict[j] = Uint8Array.of(failure ? 1 : 0);
      const said = await party.exchange({
        op: 'tinyot.mac-check.verdict',
        send: verdict,
        recvFrom: peers,
      });
      if (failure) throw failure;
      if (this.#skip) return;
      for (const j of peers) {
        const v = said[j];
        if (v?.length !== 1 || v[0] !== 0)
          throw new Spdz2kAbort(
            'mac-check',
            j,
            party.ids[j],
            `peer ${party.ids[j]} reported a failed check of the opened bits`,
          );
      }
    }
    if (failure) throw failure;
  }

  /** Elements [from, to) of a (local). */
  slice(a: AuthBits, from: number, to: number): AuthBits {
    if (!(
      Number.isInteger(from) &&
      Number.isInteger(to) &&
      0 <= from &&
      from <= to &&
      to <= a.length
    ))
      throw new RangeError(`tinyot.slice: bad range [${from}, ${to}) of ${a.length}`);
    return new AuthBits(
      a.x.slice(from, to),
      a.mac.map((m) => m?.slice(4 * from, 4 * to)),
      a.key.map((k) => k?.slice(4 * from, 4 * to)),
    );
  }

  /**
   * This party's additive share of a * Delta, Delta = Delta_1 ^ ... ^ Delta_n
   * (4 words per bit): a_me Delta_me ^ xor_j (K_me[a_j] ^ M_j[a_me]). For
   * j != i, a_j Delta_i = K_i[a_j] ^ M_i[a_j] is split between P_i and P_j.
   */
  #deltaShare(a: AuthBits): Uint32Array {
    const N = a.length;
    const out = new Uint32Array(4 * N);
    const d = this.#delta;
    for (let i = 0; i < N; i++)
      if (a.x[i] === 1) for (let w = 0; w < 4; w++) out[4 * i + w] = d[w]!;
    for (const j of others(this.party)) {
      const k = a.key[j]!;
      const m = a.mac[j]!;
      for (let w = 0; w < 4 * N; w++) out[w] = out[w]! ^ k[w]! ^ m[w]!;
    }
    return out;
  }

  /**
   * N leaky authenticated AND triples: Wang, Ranellucci, Katz, "Global-Scale
   * Secure Multiparty Computation", CCS 2017, section 3 (protocols
   * Pi_HaAND and Pi_LaAND). The triples are correct (z = x & y) or every
   * honest party aborts, but a malicious party may learn some bits of x by
   * selective failure (each guess caught with probability 1/2); bucketing
   * in `andTriples` removes that leakage. Four rounds after the random bits:
   *
   * 1. Half-authenticated ANDs, for every ordered pair (i, j): P_j (holding
   *    K_j[x_i] and Delta_j) picks a random bit s and sends
   *    h_0 = lsb H(K_j[x_i]) ^ s and h_1 = lsb H(K_j[x_i] ^ Delta_j) ^ s ^ y_j;
   *    P_i takes h_{x_i} ^ lsb H(M_j[x_i]) = s ^ x_i y_j. So
   *    z~_i = x_i y_i ^ (its halves of every x_i y_j and x_j y_i) shares x & y.
   *    In the same message, for the check, P_j sends
   *    U = H'(K_j[x_i]) ^ H'(K_j[x_i] ^ Delta_j) ^ Phi_j, where Phi_j is
   *    P_j's share of y Delta; P_i then holds H'(M_j[x_i]) ^ x_i U, and P_j
   *    H'(K_j[x_i]): shares of x_i Phi_j.
   * 2. Authentication: with random authenticated r, every party broadcasts
   *    e_i = z~_i ^ r_i, and z = r ^ e (e in the opened-bits transcript).
   * 3. Check: every party's share H_i of x Phi ^ z Delta = (x y ^ z) Delta
   *    is committed (hash with a nonce), then opened; their XOR must be 0,
   *    which a wrong z passes only by guessing Delta.
   *
   * H and H' are TMMO (src/primitives/hash.ts) under tweaks that are never
   * reused for one key; only their lowest bit is used in step 1.
   * @throws {Spdz2kAbort} ('sacrifice' for a failed check, 'commitment',
   * 'broadcast' for malformed messages).
   */
  async leakyAnd(N: number): Promise<AuthTriples> {
    if (!Number.isInteger(N) || N < 0)
      throw new RangeError(`tinyot.leakyAnd: count must be a non-negative integer, got ${N}`);
    const party = this.party;
    const me = party.index;
    const peers = others(party);
    const all = await this.random(3 * N);
    const x = this.slice(all, 0, N);
    const y = this.slice(all, N, 2 * N);
    const r = this.slice(all, 2 * N, 3 * N);
    if (N === 0) return { x, y, z: r };
    const d = this.#delta;
    const t0 = this.#tweak;
    this.#tweak += 2 * N;
    const H = this.#H;
    const nb = Math.ceil(N / 8);
    const phi = this.#deltaShare(y);
    // Step 1. As key holder towards each j: hashes of K and K ^ Delta, tweaks
    // t0 + k (half-AND) and t0 + N + k (check).
    const send: Array<Uint8Array | undefined> = new Array(party.n);
    const hKeys: Array<Uint32Array | undefined> = new Array(party.n);
    const zt = new Uint8Array(N); // z~_me
    for (let i = 0; i < N; i++) zt[i] = x.x[i]! & y.x[i]!;
    for (const j of peers) {
      const K = x.key[j]!;
      const KK = new Uint32Array(8 * N);
      KK.set(K);
      KK.set(K, 4 * N);
      const KD = new Uint32Array(8 * N);
      for (let w = 0; w < 8 * N; w++) KD[w] = KK[w]! ^ d[w & 3]!;
      const dom = TWEAK_TINYOT | (me << 8) | j;
      H.hashCounter(KK, KK, 2 * N, t0, dom);
      H.hashCounter(KD, KD, 2 * N, t0, dom);
      hKeys[j] = KK.subarray(4 * N);
      const prgS = party.prg.bytes(N);
      const h0 = new Uint8Array(N);
      const h1 = new Uint8Array(N);
      for (let i = 0; i < N; i++) {
        const s = prgS[i]! & 1;
        h0[i] = (KK[4 * i]! & 1) ^ s;
        h1[i] = (KD[4 * i]! & 1) ^ s ^ y.x[i]!;
        zt[i] = zt[i]! ^ s;
      }
      const U = new Uint32Array(4 * N);
      for (let w = 0; w < 4 * N; w++) U[w] = KK[4 * N + w]! ^ KD[4 * N + w]! ^ phi[w]!;
      const msg = new Uint8Array(2 * nb + 16 * N);
      msg.set(packBits(h0));
      msg.set(packBits(h1), nb);
      msg.set(new Uint8Array(U.buffer), 2 * nb);
      send[j] = msg;
    }
    const got = await party.exchange({ op: 'tinyot.and.half', send, recvFrom: peers });
    // As MAC holder for x_me towards each j.
    const hx = new Uint32Array(4 * N); // my share of x Phi, and later of z Delta
    for (let i = 0; i < N; i++)
      if (x.x[i] === 1) for (let w = 0; w < 4; w++) hx[4 * i + w] = phi[4 * i + w]!;
    for (const j of peers) {
      const msg = got[j];
      if (msg?.length !== 2 * nb + 16 * N)
        throw new Spdz2kAbort(
          'broadcast',
          j,
          party.ids[j],
          `expected ${2 * nb + 16 * N} bytes of half-AND messages, got ${msg?.length ?? 0}`,
        );
      const h0 = unpackBits(msg.subarray(0, nb), N);
      const h1 = unpackBits(msg.subarray(nb, 2 * nb), N);
      const U = u32(msg.slice(2 * nb));
      const M = x.mac[j]!;
      const MM = new Uint32Array(8 * N);
      MM.set(M);
      MM.set(M, 4 * N);
      H.hashCounter(MM, MM, 2 * N, t0, TWEAK_TINYOT | (j << 8) | me);
      const hk = hKeys[j]!;
      for (let i = 0; i < N; i++) {
        const xi = x.x[i]!;
        zt[i] = zt[i]! ^ (xi === 1 ? h1[i]! : h0[i]!) ^ (MM[4 * i]! & 1);
        const mask = -xi; // all ones when x_i = 1
        for (let w = 4 * i; w < 4 * i + 4; w++)
          hx[w] = hx[w]! ^ hk[w]! ^ MM[4 * N + w]! ^ (U[w]! & mask);
      }
    }
    // Step 2. e = z~ ^ r, opened; z = r ^ e.
    for (let i = 0; i < N; i++) zt[i] = zt[i]! ^ r.x[i]!;
    const sendE: Array<Uint8Array | undefined> = new Array(party.n);
    const packedE = packBits(zt);
    for (const j of peers) sendE[j] = packedE;
    const gotE = await party.exchange({ op: 'tinyot.and.e', send: sendE, recvFrom: peers });
    const e = zt;
    for (const j of peers) {
      const msg = gotE[j];
      if (msg?.length !== nb)
        throw new Spdz2kAbort(
          'broadcast',
          j,
          party.ids[j],
          `expected ${nb} bytes of AND differences, got ${msg?.length ?? 0}`,
        );
      const ej = unpackBits(msg, N);
      for (let i = 0; i < N; i++) e[i] = e[i]! ^ ej[i]!;
    }
    this.#transcript.update(packBits(e));
    const z = this.#xorPublicAt(r, e, 0);
    this.#tamperLeaky?.({ x, y, z });
    // Step 3. H_me = (share of x Phi) ^ (share of z Delta); commit, then open.
    const zd = this.#deltaShare(z);
    for (let w = 0; w < 4 * N; w++) hx[w] = hx[w]! ^ zd[w]!;
    const hBytes = new Uint8Array(hx.buffer);
    const nonce = new Uint8Array(16);
    party.crypto.randomFill(nonce);
    const commit = (id: string, nc: Uint8Array, h: Uint8Array) =>
      sha256
        .create()
        .update(TEXT.encode(`${TINYOT_LABELS.tripleCommit}/${id}/${t0}`))
        .update(nc)
        .update(h)
        .digest();
    const sendC: Array<Uint8Array | undefined> = new Array(party.n);
    const myCommit = commit(party.ids[me]!, nonce, hBytes);
    for (const j of peers) sendC[j] = myCommit;
    const gotC = await party.exchange({ op: 'tinyot.and.commit', send: sendC, recvFrom: peers });
    const sendO: Array<Uint8Array | undefined> = new Array(party.n);
    const opening = concat(nonce, hBytes);
    for (const j of peers) sendO[j] = opening;
    const gotO = await party.exchange({ op: 'tinyot.and.open', send: sendO, recvFrom: peers });
    const sum = hx.slice();
    for (const j of peers) {
      const c = gotC[j];
      const o = gotO[j];
      if (
        c?.length !== 32 ||
        o?.length !== 16 + 16 * N ||
        !equalBytes(commit(party.ids[j]!, o.subarray(0, 16), o.subarray(16)), c)
      )
        throw new Spdz2kAbort(
          'commitment',
          j,
          party.ids[j],
          'AND-triple check value does not match its commitment',
        );
      const hj = u32(o.slice(16));
      for (let w = 0; w < 4 * N; w++) sum[w] = sum[w]! ^ hj[w]!;
    }
    if (!this.#skipTriples) {
      let bad = 0;
      for (let w = 0; w < 4 * N; w++) bad |= sum[w]!;
      if (bad !== 0)
        throw new Spdz2kAbort(
          'sacrifice',
          undefined,
          undefined,
          'an AND triple failed its check (a party deviated)',
        );
    }
    return { x, y, z };
  }

  /** The concatenation of several vectors (local). */
  concat(parts: readonly AuthBits[]): AuthBits {
    const N = parts.reduce((s, p) => s + p.length, 0);
    const x = new Uint8Array(N);
    const n = this.party.n;
    const mac: Array<Uint32Array | undefined> = new Array(n);
    const key: Array<Uint32Array | undefined> = new Array(n);
    for (const j of others(this.party)) {
      mac[j] = new Uint32Array(4 * N);
      key[j] = new Uint32Array(4 * N);
    }
    let off = 0;
    for (const p of parts) {
      x.set(p.x, off);
      for (const j of others(this.party)) {
        mac[j]!.set(p.mac[j]!, 4 * off);
        key[j]!.set(p.key[j]!, 4 * off);
      }
      off += p.length;
    }
    return new AuthBits(x, mac, key);
  }

  /**
   * N authenticated AND triples (z = x & y), with no leakage: bucketing of
   * Wang, Ranellucci, Katz, "Global-Scale Secure Multiparty Computation",
   * CCS 2017, section 3 (protocol Pi_aAND; the same combination as their
   * two-party "Authenticated Garbling", CCS 2017, section 3). B N leaky
   * triples (B = bucketSize(N), sigma = 40) are permuted by a joint random
   * coin and cut into buckets of B; a bucket's triples (x_k, y_k, z_k)
   * combine into x = xor_k x_k, y = y_0,
   * z = xor_k z_k ^ xor_{k>0} d_k x_k with d_k = y_0 ^ y_k opened (all in
   * one round). x is secret unless every triple of its bucket leaked. The
   * openings are MAC-checked before this returns. Memory: the B N leaky
   * triples' MACs and keys (48 B N bytes per peer, plus hashing scratch)
   * are live at once, so very large batches are best split by the caller
   * (the bucket size grows only slowly as N shrinks: 4 from 2^14 to 2^19).
   * @throws {Spdz2kAbort} from the leaky triples' check, the coin or the MAC check.
   */
  async andTriples(N: number): Promise<AuthTriples> {
    if (!Number.isInteger(N) || N < 0)
      throw new RangeError(`tinyot.andTriples: count must be a non-negative integer, got ${N}`);
    if (N === 0) return this.leakyAnd(0);
    const B = bucketSize(N);
    const L = B * N;
    const leaky = await this.leakyAnd(L);
    const perm = permutation(L, (await this.#coin.prg()).bytes(8 * L));
    // Member k of bucket b is leaky triple perm[b B + k]. First the openings
    // d_k = y_0 ^ y_k (k = 1..B-1, bucket-major within each k), then
    // x = xor_k x_k, z = xor_k z_k ^ xor_{k>0} d_k x_k: straight loops over
    // the shares and every peer's MAC and key words.
    const peers = others(this.party);
    const M = (B - 1) * N;
    const dv = new AuthBits(
      new Uint8Array(M),
      leaky.y.mac.map((w) => (w ? new Uint32Array(4 * M) : undefined)),
      leaky.y.key.map((w) => (w ? new Uint32Array(4 * M) : undefined)),
    );
    const y = new AuthBits(
      new Uint8Array(N),
      leaky.y.mac.map((w) => (w ? new Uint32Array(4 * N) : undefined)),
      leaky.y.key.map((w) => (w ? new Uint32Array(4 * N) : undefined)),
    );
    for (let b = 0; b < N; b++) {
      const p0 = perm[b * B]!;
      y.x[b] = leaky.y.x[p0]!;
      for (let k = 1; k < B; k++) {
        const pk = perm[b * B + k]!;
        const o = (k - 1) * N + b;
        dv.x[o] = leaky.y.x[p0]! ^ leaky.y.x[pk]!;
      }
      for (const j of peers)
        for (const [src, dst, dd] of [
          [leaky.y.mac[j]!, y.mac[j]!, dv.mac[j]!],
          [leaky.y.key[j]!, y.key[j]!, dv.key[j]!],
        ] as const) {
          for (let w = 0; w < 4; w++) dst[4 * b + w] = src[4 * p0 + w]!;
          for (let k = 1; k < B; k++) {
            const pk = perm[b * B + k]!;
            const o = 4 * ((k - 1) * N + b);
            for (let w = 0; w < 4; w++) dd[o + w] = src[4 * p0 + w]! ^ src[4 * pk + w]!;
          }
        }
    }
    const d = await this.open(dv, 'tinyot.and.bucket');
    const x = new AuthBits(
      new Uint8Array(N),
      leaky.x.mac.map((w) => (w ? new Uint32Array(4 * N) : undefined)),
      leaky.x.key.map((w) => (w ? new Uint32Array(4 * N) : undefined)),
    );
    const z = new AuthBits(
      new Uint8Array(N),
      leaky.z.mac.map((w) => (w ? new Uint32Array(4 * N) : undefined)),
      leaky.z.key.map((w) => (w ? new Uint32Array(4 * N) : undefined)),
    );
    for (let b = 0; b < N; b++) {
      let xb = 0;
      let zb = 0;
      for (let k = 0; k < B; k++) {
        const pk = perm[b * B + k]!;
        const dk = k === 0 ? 0 : d[(k - 1) * N + b]!;
        xb ^= leaky.x.x[pk]!;
        zb ^= leaky.z.x[pk]! ^ (dk & leaky.x.x[pk]!);
      }
      x.x[b] = xb;
      z.x[b] = zb;
    }
    for (const j of peers)
      for (const [xs, zs, xo, zo] of [
        [leaky.x.mac[j]!, leaky.z.mac[j]!, x.mac[j]!, z.mac[j]!],
        [leaky.x.key[j]!, leaky.z.key[j]!, x.key[j]!, z.key[j]!],
      ] as const)
        for (let b = 0; b < N; b++) {
          for (let k = 0; k < B; k++) {
            const pk = perm[b * B + k]!;
            // all ones when d_k = 1 (d_0 = 0: z_0 enters alone)
            const mask = k === 0 ? 0 : -d[(k - 1) * N + b]!;
            for (let w = 0; w < 4; w++) {
              const xw = xs[4 * pk + w]!;
              xo[4 * b + w] = xo[4 * b + w]! ^ xw;
              zo[4 * b + w] = zo[4 * b + w]! ^ zs[4 * pk + w]! ^ (xw & mask);
            }
          }
        }
    await this.check();
    return { x, y, z };
  }

  /**
   * a & b with one authenticated AND triple per bit (Beaver): opens
   * d = a ^ x and e = b ^ y, then a & b = z ^ d y ^ e x ^ d e. One round.
   * The openings are recorded for the next `check`, which must pass before
   * anything derived from the result leaves the protocol.
   * @throws {RangeError} for mismatched lengths; errors of `open`.
   */
  async and(a: AuthBits, b: AuthBits, t: AuthTriples): Promise<AuthBits> {
    const N = a.length;
    if (b.length !== N || t.x.length !== N)
      throw new RangeError(
        `tinyot.and: lengths differ (${N}, ${b.length} and ${t.x.length} triples)`,
      );
    const de = await this.open(this.concat([this.xor(a, t.x), this.xor(b, t.y)]), 'tinyot.and');
    const d = de.subarray(0, N);
    const e = de.subarray(N);
    const de2 = new Uint8Array(N);
    for (let i = 0; i < N; i++) de2[i] = d[i]! & e[i]!;
    return this.xorPublic(
      this.xor(this.xor(t.z, this.andPublic(t.y, d.slice())), this.andPublic(t.x, e.slice())),
      de2,
    );
  }
}
