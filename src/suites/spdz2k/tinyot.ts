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
 * Sharing. A bit x is x_1 ^ ... ^ x_n. For every ordered pair (i, j), j != i,
 * party j holds a key K_j[x_i] (128 bits) and party i the MAC
 * M_j[x_i] = K_j[x_i] ^ x_i Delta_{j,i}, where Delta_{j,i} is the Delta of
 * the OT-extension instance from j (sender) to i (receiver): one correlated
 * OT per bit and ordered pair, with i's share as choice bit, is exactly one
 * such MAC (the sender's q is the key, the receiver's row the MAC). The
 * papers above give each party one global Delta_j for all its peers, which
 * their AND-triple protocols need; here Delta differs per pair, which is
 * enough for linear operations and opening. KOS lets a cheating MAC holder
 * learn c bits of Delta_{j,i} with probability 2^-c, so a forgery still
 * succeeds with probability at most 2^-128.
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
 * Not here yet: authenticated AND triples (a leaky-AND plus bucketing, or
 * TinyOT's own) and the link to the arithmetic sharing (daBits or edaBits
 * with their consistency check), which comparisons on this material need.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Party } from '../../runtime/party.js';
import { others } from '../semi2k/gen.js';
import { OtMesh } from '../semi2k/pairwise.js';
import type { CotSenderOutput, OtReceiverOutput } from '../../primitives/ot/extension.js';
import { Spdz2kAbort } from './mac.js';

export const TINYOT_LABELS = {
  macHash: 'entente/spdz2k/tinyot/mac-hash/v1',
  transcript: 'entente/spdz2k/tinyot/transcript/v1',
} as const;

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
  /** Delta_{me,j}: this party's key offset towards peer j (4 words), after ready. */
  #delta: Array<Uint32Array | undefined> = [];
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
    this.#skip = opts.testOnlySkipMacCheck === true;
    this.#mesh = new OtMesh(party, true, true);
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
    if (this.#delta.length > 0) return;
    await this.#mesh.ready();
    const me = this.party.index;
    const delta: Array<Uint32Array | undefined> = new Array(this.party.n);
    for (const j of others(this.party)) {
      const d = this.#mesh.ot(me, j).delta;
      if (!d) throw new Error('tinyot: OT instance has no Delta at its sender');
      delta[j] = u32(d);
    }
    this.#delta = delta;
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
      // K_me[x_o] ^= c Delta_{me,o}, so that M_me[x_o] = K ^ (x_o ^ c) Delta still holds.
      const d = this.#delta[owner];
      if (!d) throw new Error('tinyot.xorPublic: no Delta yet (make random bits first)');
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
    const d = this.#delta[j];
    if (!d) throw new Error('tinyot.open: no Delta yet (make random bits first)');
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
}
