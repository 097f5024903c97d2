/**
 * Oblivious-transfer extension: IKNP (Ishai, Kilian, Nissim, Petrank, CRYPTO
 * 2003) with the consistency check of Keller, Orsini and Scholl, "Actively
 * Secure OT Extension with Optimal Overhead", CRYPTO 2015 (KOS), turning 128
 * base OTs into any number of OTs at the cost of symmetric crypto: an
 * AES-CTR column PRG, a bit-matrix transposition and fixed-key AES hashing.
 *
 * Security model. With the check on (the default): secure against a malicious
 * sender or receiver (static corruption), in the random-permutation model for
 * fixed-key AES and the random-oracle model for the check's commitment, given
 * maliciously secure base OTs (src/primitives/ot/base.ts). As in KOS, the
 * correlated outputs (`correlatedRaw`) realise correlated OT *with leakage*:
 * a cheating receiver that passes the check may learn c bits of Delta with
 * probability 2^-c; hashed outputs (random, correlated, chosen) are not
 * affected. With `check: false` the protocol is plain IKNP, secure against a
 * semi-honest adversary only (the yao suite uses that: it is semi-honest).
 * Channels must be authenticated and private (TLS).
 *
 * The check (KOS section 4, with the challenge from a commit-then-reveal coin
 * toss): the receiver holds rows t_i and bits r_i, the sender rows
 * q_i = t_i xor r_i Delta. For a random chi in GF(2^128) both sides hash their
 * rows with the polynomial hash h(v) = sum_i v_i chi^(m - i) (an
 * (m/2^128)-almost-universal linear hash, our choice instead of KOS's
 * independent chi_i: one table-driven multiplication per row instead of a
 * general product, soundness 2^-(128 - log2 m) per batch); the receiver sends
 * x = sum_i r_i chi^(m - i) and t = h(t_i), and the sender checks
 * h(q_i) = t xor x Delta. 256 extra random OTs per batch (> kappa + s) mask x
 * and t, and are discarded. Caveat for reviewers: KOS state the check with
 * independent chi_i, and Roy, "SoftSpokenOT", CRYPTO 2022 (section 5), which
 * repairs the KOS proof, phrases it for a universal hash; the polynomial
 * hash is such a hash with the soundness above, but this instantiation has
 * not been checked against that proof line by line. Independent chi_i from a
 * PRG (one general GF(2^128) product per row) is the conservative switch.
 *
 * Messages per batch (checked): receiver -> sender: the matrix u and a
 * commitment to the receiver's coin; sender -> receiver: the sender's coin;
 * receiver -> sender: the receiver's coin, x and t. Chosen-message and
 * correlated OTs add one sender -> receiver message, sent only after the check
 * passed (fail closed). Unchecked: just the matrix (and the ciphertexts).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { Prg } from '../../random/prg.js';
import { ProtocolAbort } from '../../runtime/errors.js';
import type { Party } from '../../runtime/party.js';
import { CHUNK, TccrHash, TWEAK_DOMAIN } from '../hash.js';
import { baseOT, type BaseOtReceiverOutput, type BaseOtSenderOutput } from './base.js';
import { combineChains, evalBits, gfMul, GfMulTable, gfPow } from './gf128.js';
import { transpose128 } from './transpose.js';
import { OtKernels } from './wasm.js';

/** Security parameter: base OTs, and bits per extended row. */
export const KAPPA = 128;
/** Extra rows per checked batch (kappa + s, s = 128), discarded after the check. */
const CHECK_PAD = 256;
/**
 * Largest batch (OTs) handled in one pass; bigger requests are split. Each
 * instance's WebAssembly memory (about seven batch-sized buffers: columns,
 * five row slots, the receiver's matrix) grows with it, about 60 MB at 2^19.
 * Measured over TLS: 2^17, 2^18 and 2^19 gave the same checked random OT rate
 * within noise (13.5-15.2 M/s), but semi2k triples (many calls of ~13M OTs)
 * ran 99-102 k/s at 2^18 against 103-116 k/s at 2^19.
 */
export const MAX_BATCH = 1 << 19;

const LABELS = {
  sid: 'entente/ot/kos/base/v1',
  commit: 'entente/ot/kos/coin-commitment/v1',
} as const;
const TEXT = new TextEncoder();

export interface OtOptions {
  /** Run the KOS consistency check (malicious security). Default true. */
  check?: boolean;
  /**
   * Sender only: force bit 0 of Delta to 1 (point-and-permute for garbling,
   * which takes labels straight from correlated OTs). Public; costs one bit.
   */
  deltaLsbOne?: boolean;
  /**
   * Sender only: use this Delta (16 bytes, secret) instead of a fresh random
   * one, so that several instances share one correlation: the global Delta
   * of TinyOT-style MACs (one key offset per party for all its peers).
   * Each instance still runs its own base OTs with Delta's bits as choices.
   */
  delta?: Uint8Array;
  /**
   * Use the WebAssembly kernels where available (default true); false runs
   * the same protocol on the JavaScript kernels (slower; for environments
   * without WebAssembly SIMD, and to test that path).
   */
  kernels?: boolean;
}

/** Sender's output of a batch: OT i's two messages at bytes [16 i, 16 i + 16). */
export interface OtSenderOutput {
  readonly role: 'sender';
  readonly m0: Uint8Array;
  readonly m1: Uint8Array;
}

/** Receiver's output: choice c_i (0/1 per byte) and message m_{c_i}. */
export interface OtReceiverOutput {
  readonly role: 'receiver';
  readonly choices: Uint8Array;
  readonly m: Uint8Array;
}

/** Parties other than the two get this. */
export interface OtBystander {
  readonly role: 'none';
}

export type OtOutput = OtSenderOutput | OtReceiverOutput | OtBystander;

/** Raw correlated OT: the sender gets q_i (its other message is q_i xor Delta). */
export interface CotSenderOutput {
  readonly role: 'sender';
  readonly q: Uint8Array;
  readonly delta: Uint8Array;
}

export type CotOutput = CotSenderOutput | OtReceiverOutput | OtBystander;

interface SenderState {
  readonly delta: Uint32Array;
  readonly prgs: Prg[];
}
interface ReceiverState {
  readonly prg0: Prg[];
  readonly prg1: Prg[];
}

function none(n: number): Array<Uint8Array | undefined> {
  return new Array<Uint8Array | undefined>(n);
}

function words(b: Uint8Array): Uint32Array {
  if (b.byteOffset % 4 === 0) return new Uint32Array(b.buffer, b.byteOffset, b.length >>> 2);
  return new Uint32Array(b.slice().buffer);
}

function bytes(w: Uint32Array): Uint8Array {
  return new Uint8Array(w.buffer, w.byteOffset, 4 * w.length);
}

function eq(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/**
 * One direction of OT extension between two parties of a session: `sender`
 * to `receiver`. Every party of the session creates it and calls its methods
 * in the same order (bystanders exchange nothing but keep rounds in step).
 * Batches draw fresh rows from the column PRGs, so any number of calls may
 * follow one setup.
 *
 * @example
 *   const ot = await OtExtension.create(party, 0, 1);
 *   const out = await ot.random(1_000_000);
 *   if (out.role === 'receiver') use(out.choices, out.m);
 */
export class OtExtension {
  readonly party: Party;
  readonly sender: number;
  readonly receiver: number;
  readonly check: boolean;
  readonly #hash: TccrHash;
  readonly #s: SenderState | undefined;
  readonly #r: ReceiverState | undefined;
  /** OTs produced so far: the tweak counter of the hash. */
  #used = 0;
  /** WebAssembly kernels (transposition, KOS hash), when available. */
  readonly #k: OtKernels | undefined;

  private constructor(
    party: Party,
    sender: number,
    receiver: number,
    check: boolean,
    s: SenderState | undefined,
    r: ReceiverState | undefined,
    kernels: boolean,
  ) {
    this.#k = kernels ? OtKernels.create() : undefined;
    this.party = party;
    this.sender = sender;
    this.receiver = receiver;
    this.check = check;
    this.#hash = new TccrHash(party.crypto);
    this.#s = s;
    this.#r = r;
  }

  get role(): 'sender' | 'receiver' | 'none' {
    return this.#s ? 'sender' : this.#r ? 'receiver' : 'none';
  }

  /** The sender's Delta (16 bytes); undefined elsewhere. */
  get delta(): Uint8Array | undefined {
    return this.#s ? bytes(this.#s.delta).slice() : undefined;
  }

  /**
   * Runs the 128 base OTs (the extension's receiver is their sender) and
   * seeds the column PRGs. Two rounds.
   * @throws {RangeError} for bad party indices; {ProtocolAbort} from the base OT.
   */
  static async create(
    party: Party,
    sender: number,
    receiver: number,
    opts: OtOptions = {},
  ): Promise<OtExtension> {
    const sid = TEXT.encode(
      `${LABELS.sid}/${party.ids[sender] ?? sender}->${party.ids[receiver] ?? receiver}` +
        // Instances on other channels hash apart (the default channel keeps the old id).
        (party.channelKey ? `@${party.channelKey}` : ''),
    );
    const check = opts.check ?? true;
    const kernels = opts.kernels ?? true;
    const me = party.index;
    let choices: Uint8Array | undefined;
    if (me === sender) {
      const d = new Uint8Array(16);
      if (opts.delta) {
        if (opts.delta.length !== 16)
          throw new RangeError(`ot extension: expected a 16-byte Delta, got ${opts.delta.length}`);
        d.set(opts.delta);
      } else party.crypto.randomFill(d);
      if (opts.deltaLsbOne) d[0] = d[0]! | 1;
      choices = Uint8Array.from({ length: KAPPA }, (_, j) => (d[j >>> 3]! >>> (j & 7)) & 1);
    }
    const out = await baseOT(party, receiver, sender, KAPPA, sid, choices);
    if (me === sender) {
      const r = out as BaseOtReceiverOutput;
      const delta = new Uint32Array(4);
      for (let j = 0; j < KAPPA; j++)
        delta[j >>> 5] = delta[j >>> 5]! | (r.choices[j]! << (j & 31));
      const prgs = Array.from(
        { length: KAPPA },
        (_, j) => new Prg(r.k.slice(16 * j, 16 * j + 16), party.crypto),
      );
      return new OtExtension(party, sender, receiver, check, { delta, prgs }, undefined, kernels);
    }
    if (me === receiver) {
      const s = out as BaseOtSenderOutput;
      const mk = (k: Uint8Array) =>
        Array.from(
          { length: KAPPA },
          (_, j) => new Prg(k.slice(16 * j, 16 * j + 16), party.crypto),
        );
      return new OtExtension(
        party,
        sender,
        receiver,
        check,
        undefined,
        { prg0: mk(s.k0), prg1: mk(s.k1) },
        kernels,
      );
    }
    return new OtExtension(party, sender, receiver, check, undefined, undefined, kernels);
  }

  // ---------------------------------------------------------------- flavours

  /**
   * Correlated OT straight from the extension (no hashing): the sender gets
   * q_i and Delta, the receiver t_i = q_i xor c_i Delta. Choices are the
   * receiver's (0/1 per byte) or random when omitted. See the module comment
   * for what a cheating receiver can learn about Delta (KOS leakage).
   */
  correlatedRaw(n: number, choices?: Uint8Array): Promise<CotOutput> {
    return this.#serial(() => this.#correlatedRaw(n, choices));
  }

  async #correlatedRaw(n: number, choices: Uint8Array | undefined): Promise<CotOutput> {
    this.#checkCount(n, choices);
    const sOut = this.#s ? new Uint8Array(16 * n) : undefined;
    const rOut = this.#r ? new Uint8Array(16 * n) : undefined;
    const rChoices = this.#r ? new Uint8Array(n) : undefined;
    this.#used += n;
    await this.#run(n, choices, (b, rows, c) => {
      if (sOut) sOut.set(bytes(rows.subarray(0, 4 * b.k)), 16 * b.off);
      if (rOut) {
        rOut.set(bytes(rows.subarray(0, 4 * b.k)), 16 * b.off);
        rChoices!.set(c!, b.off);
      }
    });
    if (this.#s) return { role: 'sender', q: sOut!, delta: bytes(this.#s.delta).slice() };
    if (this.#r) return { role: 'receiver', choices: rChoices!, m: rOut! };
    return { role: 'none' };
  }

  /**
   * Random OT: the sender gets two random messages per OT, the receiver the
   * one of its choice (given, or random when omitted). One batch of the
   * extension; no extra message.
   */
  random(n: number, choices?: Uint8Array): Promise<OtOutput> {
    return this.#serial(() => this.#hashed(n, choices, 'random', undefined));
  }

  /**
   * Correlated OT with chosen correlations: the sender gives x_i (16 bytes
   * each), gets random m0_i and m1_i = m0_i xor x_i; the receiver gets
   * m_{c_i}. One more message (16 bytes per OT) after the check.
   */
  async correlated(n: number, arg?: Uint8Array): Promise<OtOutput> {
    const me = this.party.index;
    if (me === this.sender && (!arg || arg.length !== 16 * n))
      throw new RangeError(
        `ot.correlated: expected ${16 * n} bytes of correlations, got ${arg?.length ?? 'none'}`,
      );
    return this.#serialHashed(
      n,
      me === this.receiver ? arg : undefined,
      'correlated',
      me === this.sender ? arg : undefined,
    );
  }

  /**
   * Chosen-message OT: the sender gives m0 and m1 (16 bytes per OT each,
   * concatenated as m0 || m1), the receiver its choices and gets m_{c_i}. One
   * more message (32 bytes per OT) after the check.
   */
  async chosen(n: number, arg?: Uint8Array): Promise<OtOutput> {
    const me = this.party.index;
    if (me === this.sender && (!arg || arg.length !== 32 * n))
      throw new RangeError(
        `ot.chosen: expected ${32 * n} bytes (m0 || m1), got ${arg?.length ?? 'none'}`,
      );
    if (me === this.receiver && (!arg || arg.length !== n))
      throw new RangeError(`ot.chosen: expected ${n} choices, got ${arg?.length ?? 'none'}`);
    return this.#serialHashed(
      n,
      me === this.receiver ? arg : undefined,
      'chosen',
      me === this.sender ? arg : undefined,
    );
  }

  // ---------------------------------------------------------------- internals

  /**
   * Calls on one instance run one after another, in call order (the same at
   * both parties): a batch's rows live in the kernels' memory until hashed.
   */
  #serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(f);
    this.#queue = run.catch(() => undefined);
    return run;
  }
  #queue: Promise<unknown> = Promise.resolve();

  #serialHashed(
    n: number,
    choices: Uint8Array | undefined,
    kind: 'correlated' | 'chosen',
    senderData: Uint8Array | undefined,
  ): Promise<OtOutput> {
    return this.#serial(() => this.#hashed(n, choices, kind, senderData));
  }

  async #hashed(
    n: number,
    choices: Uint8Array | undefined,
    kind: 'random' | 'correlated' | 'chosen',
    senderData: Uint8Array | undefined,
  ): Promise<OtOutput> {
    this.#checkCount(n, choices);
    const me = this.party.index;
    const m0 = me === this.sender ? new Uint8Array(16 * n) : undefined;
    const m1 = me === this.sender ? new Uint8Array(16 * n) : undefined;
    const mr = me === this.receiver ? new Uint8Array(16 * n) : undefined;
    const cr = me === this.receiver ? new Uint8Array(n) : undefined;
    const tweak0 = this.#used;
    this.#used += n;
    const batches = await this.#run(n, choices, (b, rows, c) => {
      const range = (o: Uint8Array) => words(o.subarray(16 * b.off, 16 * (b.off + b.k)));
      if (this.#s) {
        this.#hashRows(rows, b.k, tweak0 + b.off, range(m0!), undefined);
        this.#hashRows(rows, b.k, tweak0 + b.off, range(m1!), this.#s.delta);
      } else {
        this.#hashRows(rows, b.k, tweak0 + b.off, range(mr!), undefined);
        cr!.set(c!, b.off);
      }
    });
    // Every batch passed its check: only now may the sender's payloads go out.
    if (kind !== 'random') {
      const data = senderData ? words(senderData.slice()) : undefined;
      for (const b of batches) await this.#payload(kind, b, data, m0, m1, mr, cr);
    }
    if (m0) return { role: 'sender', m0, m1: m1! };
    if (mr) return { role: 'receiver', choices: cr!, m: mr };
    return { role: 'none' };
  }

  /**
   * The extra message of correlated and chosen-message OT for one batch:
   * correlated, y = H(q) xor H(q xor Delta) xor x, and the sender's m1
   * becomes m0 xor x; chosen, y0 = m0 xor H(q), y1 = m1 xor H(q xor Delta),
   * and the outputs become the chosen messages.
   */
  async #payload(
    kind: 'correlated' | 'chosen',
    b: Batch,
    data: Uint32Array | undefined,
    m0: Uint8Array | undefined,
    m1: Uint8Array | undefined,
    mr: Uint8Array | undefined,
    cr: Uint8Array | undefined,
  ): Promise<void> {
    const { off, k } = b;
    const op = `ot.${kind}.payload`;
    const party = this.party;
    if (this.#s) {
      const h0 = words(m0!.subarray(16 * off, 16 * (off + k)));
      const h1 = words(m1!.subarray(16 * off, 16 * (off + k)));
      let y: Uint32Array;
      if (kind === 'correlated') {
        y = new Uint32Array(4 * k);
        const x = data!.subarray(4 * off, 4 * (off + k));
        for (let w = 0; w < 4 * k; w++) {
          y[w] = h0[w]! ^ h1[w]! ^ x[w]!;
          h1[w] = h0[w]! ^ x[w]!;
        }
      } else {
        y = new Uint32Array(8 * k);
        const total = data!.length >>> 1;
        for (let w = 0; w < 4 * k; w++) {
          const a = data![4 * off + w]!;
          const c = data![total + 4 * off + w]!;
          y[w] = a ^ h0[w]!;
          y[4 * k + w] = c ^ h1[w]!;
          h0[w] = a;
          h1[w] = c;
        }
      }
      const send = none(party.n);
      send[this.receiver] = bytes(y);
      await party.exchange({ op, send, recvFrom: [], handOver: true });
      return;
    }
    if (this.#r) {
      const got = await party.exchange({ op, send: none(party.n), recvFrom: [this.sender] });
      const y = got[this.sender]!;
      const per = kind === 'correlated' ? 16 : 32;
      if (y.length !== per * k)
        throw new ProtocolAbort(
          'malformed',
          this.sender,
          party.ids[this.sender],
          `${op}: expected ${per * k} bytes, got ${y.length}`,
        );
      const yw = words(y);
      const out = words(mr!.subarray(16 * off, 16 * (off + k)));
      for (let i = 0; i < k; i++) {
        const c = cr![off + i]!;
        if (kind === 'correlated' && c === 0) continue;
        const src = kind === 'correlated' ? 4 * i : 4 * i + (c ? 4 * k : 0);
        for (let w = 0; w < 4; w++) out[4 * i + w] = out[4 * i + w]! ^ yw[src + w]!;
      }
      return;
    }
    await party.exchange({ op, send: none(party.n), recvFrom: [] });
  }

  /**
   * Where one call's work lives: the column buffer and three row slots (a
   * batch's rows are needed until its check, two rounds later), in the
   * kernels' memory when WebAssembly is available, with the Horner table and
   * the hashing scratch after them.
   */
  #layout(mMax: number): {
    cols: Uint32Array;
    slots: Uint32Array[];
    /** The receiver's matrix u and its bits r, in the kernels' memory. */
    uk?: { u: Uint32Array; r: Uint32Array };
  } {
    const K = this.#k;
    if (!K) {
      return {
        cols: new Uint32Array(4 * mMax),
        slots: Array.from({ length: SLOTS }, () => new Uint32Array(4 * mMax)),
      };
    }
    const slot = 16 * mMax;
    this.#table = (1 + SLOTS) * slot;
    this.#scratch = this.#table + 65536 + 64;
    const U = this.#scratch + 3 * 16 * CHUNK + 16;
    const R = U + slot;
    K.ensure(R + mMax / 8);
    return {
      cols: new Uint32Array(K.buffer, 0, 4 * mMax),
      slots: Array.from(
        { length: SLOTS },
        (_, s) => new Uint32Array(K.buffer, (1 + s) * slot, 4 * mMax),
      ),
      uk: { u: new Uint32Array(K.buffer, U, 4 * mMax), r: new Uint32Array(K.buffer, R, mMax / 32) },
    };
  }

  /** Where the Horner table (64 KiB) and its four accumulators start in the kernels' memory. */
  #table = 0;
  /** Where the hashing scratch (three chunks and Delta) starts in the kernels' memory. */
  #scratch = 0;

  /**
   * out_j = TMMO(rows_j xor d, tweak + j) for j < k (d = Delta or 0): the AES
   * calls through the provider, the xors in WebAssembly when the rows live
   * there.
   */
  #hashRows(
    rows: Uint32Array,
    k: number,
    tweak: number,
    out: Uint32Array,
    d: Uint32Array | undefined,
  ): void {
    const K = this.#k;
    if (!K || rows.buffer !== K.buffer) {
      let x = rows;
      if (d) {
        x = new Uint32Array(4 * k);
        for (let w = 0; w < 4 * k; w += 4) {
          x[w] = rows[w]! ^ d[0]!;
          x[w + 1] = rows[w + 1]! ^ d[1]!;
          x[w + 2] = rows[w + 2]! ^ d[2]!;
          x[w + 3] = rows[w + 3]! ^ d[3]!;
        }
      }
      this.#hash.hashCounter(x, out, k, tweak, TWEAK_DOMAIN.otExtension);
      return;
    }
    const X = this.#scratch;
    const P = X + 16 * CHUNK;
    const Y = P + 16 * CHUNK;
    const D = Y + 16 * CHUNK;
    const buf = K.buffer;
    if (d) new Uint32Array(buf, D, 4).set(d);
    const pi = this.#hash.pi;
    for (let j0 = 0; j0 < k; j0 += CHUNK) {
      const c = Math.min(CHUNK, k - j0);
      let src = rows.byteOffset + 16 * j0;
      if (d) {
        K.xorc(src, D, X, c);
        src = X;
      }
      pi.permute(new Uint32Array(buf, src, 4 * c), new Uint32Array(buf, P, 4 * c), c);
      K.tweak(P, Y, c, tweak + j0, TWEAK_DOMAIN.otExtension);
      const y = new Uint32Array(buf, Y, 4 * c);
      pi.permute(y, y, c);
      K.xorv(Y, P, X, c);
      out.set(new Uint32Array(buf, X, 4 * c), 4 * j0);
    }
  }

  #transpose(cols: Uint32Array, rows: Uint32Array, m: number): void {
    const k = this.#k;
    if (k && cols.buffer === k.buffer && m % 64 === 0)
      k.transpose(cols.byteOffset, rows.byteOffset, m);
    else transpose128(cols, rows, m);
  }

  /**
   * The check's hash sum_i rows_i chi^(m - i): four interleaved Horner chains
   * in WebAssembly when the rows live there, one chain in JavaScript otherwise.
   */
  #polyHash(chi: Uint32Array, rows: Uint32Array, m: number): Uint32Array {
    const K = this.#k;
    if (!K || rows.buffer !== K.buffer) {
      const acc = new Uint32Array(4);
      new GfMulTable(chi).horner(rows, m, acc);
      return acc;
    }
    new Uint32Array(K.buffer, this.#table, 16384).set(new GfMulTable(gfPow(chi, 4)).table);
    const accs = new Uint32Array(K.buffer, this.#table + 65536, 16);
    accs.fill(0);
    K.horner4(this.#table, rows.byteOffset, m, this.#table + 65536);
    return combineChains(chi, accs.slice());
  }

  #checkCount(n: number, choices: Uint8Array | undefined): void {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`ot: bad count ${n}`);
    if (choices && this.party.index === this.receiver) {
      if (choices.length !== n)
        throw new RangeError(`ot: expected ${n} choices, got ${choices.length}`);
      for (let i = 0; i < n; i++)
        if (choices[i]! > 1) throw new RangeError(`ot: choice ${i} is not 0 or 1`);
    }
  }

  /**
   * IKNP with the optional KOS check over the batches of one call, pipelined
   * in lock step (both parties issue the same exchanges in the same rounds):
   *
   *   round b, receiver -> sender: u_b and a commitment to the receiver's
   *            coin for batch b (b < B), and the check reply of batch
   *            b - lag - 1 (b > lag);
   *   round b, sender -> receiver: the sender's coin for batch b - lag
   *            (lag <= b < B + lag), sent once the sender has worked on the
   *            matrices before it (so after u_(b-lag) arrived: the coin is
   *            drawn after the matrix and commitment it challenges).
   *
   * So the receiver builds its next matrices while the sender works on the
   * earlier ones, up to lag batches ahead (lag = LAG = 3, less for calls of
   * up to three batches), and each batch is checked lag + 1 rounds after its
   * matrix: B + lag + 1 rounds in all. Unchecked, an empty
   * acknowledgement every few rounds replaces the coins and only bounds how
   * far the receiver runs ahead (B rounds). `onBatch` gets each batch's rows (q
   * at the sender; t and the choices at the receiver) as soon as they exist;
   * callers release outputs only after `#run` resolves, i.e. after every
   * batch passed its check.
   */
  async #run(n: number, choices: Uint8Array | undefined, onBatch: OnBatch): Promise<Batch[]> {
    const batches = plan(n, this.check);
    const B = batches.length;
    const rounds = B === 0 ? 0 : this.check ? B + lagOf(B) + 1 : B;
    if (B === 0) return batches;
    // The three roles finish through the same number of async calls: the
    // next exchange of concurrent work (other instances, the caller) must be
    // issued at the same point of the turn at every party, or the rounds'
    // exchange order diverges.
    if (this.#r) await this.#runReceiver(batches, rounds, choices, onBatch);
    else if (this.#s) await this.#runSender(batches, rounds, onBatch);
    else await this.#runBystander(rounds);
    return batches;
  }

  /** A party outside the pair keeps the rounds in step. */
  async #runBystander(rounds: number): Promise<void> {
    for (let b = 0; b < rounds; b++)
      await this.party.exchange({ op: 'ot.extend', send: none(this.party.n), recvFrom: [] });
  }

  async #runReceiver(
    batches: Batch[],
    rounds: number,
    choices: Uint8Array | undefined,
    onBatch: OnBatch,
  ): Promise<void> {
    const party = this.party;
    const { prg0, prg1 } = this.#r!;
    const B = batches.length;
    const check = this.check;
    const { cols, slots, uk } = this.#layout(Math.max(...batches.map((b) => b.m)));
    const lag = lagOf(B);
    const kept: Array<{ r: Uint32Array; seedR: Uint8Array | undefined }> = [];

    /** u_b (and the commitment, and the reply `proof` of an earlier batch) as one message. */
    const build = (b: number, proof: Uint8Array | undefined): Uint32Array => {
      const { off, k, m, W } = batches[b]!;
      // r: the choices, then random padding (and random choices if none given).
      const r = new Uint32Array(W);
      party.crypto.randomFill(bytes(r));
      let c: Uint8Array;
      if (choices) {
        c = choices.subarray(off, off + k);
        for (let w = 0; w < k >>> 5; w++) r[w] = 0;
        if (k & 31) r[k >>> 5] = r[k >>> 5]! & (~0 << (k & 31));
        packBits(c, r, k);
      } else {
        c = new Uint8Array(k);
        unpackBits(r, c, k);
      }
      const u = new Uint32Array(128 * W + (check ? 8 : 0) + (proof ? 12 : 0));
      const K = this.#k;
      if (K && uk) {
        // u_j = t_j xor t'_j xor r in WebAssembly, then one copy out.
        const rk = uk.r.subarray(0, W);
        rk.set(r);
        for (let j = 0; j < KAPPA; j++) {
          const tj = cols.subarray(j * W, (j + 1) * W);
          const uj = uk.u.subarray(j * W, (j + 1) * W);
          prg0[j]!.fill(bytes(tj));
          prg1[j]!.fill(bytes(uj));
          K.xor3v(tj.byteOffset, uj.byteOffset, rk.byteOffset, uj.byteOffset, W >>> 2);
        }
        u.set(uk.u.subarray(0, 128 * W));
      } else {
        const t = new Uint32Array(W);
        for (let j = 0; j < KAPPA; j++) {
          const tj = cols.subarray(j * W, (j + 1) * W);
          prg0[j]!.fill(bytes(tj));
          prg1[j]!.fill(bytes(t));
          const base = j * W;
          for (let w = 0; w < W; w++) u[base + w] = tj[w]! ^ t[w]! ^ r[w]!;
        }
      }
      const rows = slots[b % SLOTS]!.subarray(0, 4 * m);
      this.#transpose(cols.subarray(0, 4 * m), rows, m);
      let seedR: Uint8Array | undefined;
      if (check) {
        seedR = new Uint8Array(16);
        party.crypto.randomFill(seedR);
        u.set(words(commit(seedR)), 128 * W);
        if (proof) u.set(words(proof), 128 * W + 8);
      }
      kept[b % SLOTS] = { r, seedR };
      onBatch(batches[b]!, rows, choices ? c.slice() : c);
      return u;
    };

    /** The reply for batch j: the receiver's coin, x = h(r) and t = h(t rows). */
    const reply = (j: number, seedS: Uint8Array): Uint8Array => {
      const { m } = batches[j]!;
      const { r, seedR } = kept[j % SLOTS]!;
      const chi = challenge(seedS, seedR!, party);
      const tAcc = this.#polyHash(chi, slots[j % SLOTS]!.subarray(0, 4 * m), m);
      const x = evalBits(chi, r, m);
      const out = new Uint8Array(48);
      out.set(seedR!, 0);
      out.set(bytes(x), 16);
      out.set(bytes(tAcc), 32);
      return out;
    };

    let next: Uint32Array | undefined = build(0, undefined);
    let lone: Uint8Array | undefined; // a reply that travels without a matrix
    for (let b = 0; b < rounds; b++) {
      const msg = b < B ? bytes(next!) : lone;
      lone = undefined;
      const wantCoin = fromSender(b, B, check);
      const send = none(party.n);
      send[this.sender] = msg;
      const got = await party.exchange({
        op: b < B ? 'ot.extend' : msg ? 'ot.check.proof' : 'ot.check.coin',
        send,
        recvFrom: wantCoin ? [this.sender] : [],
        handOver: true,
      });
      let proof: Uint8Array | undefined;
      if (wantCoin) {
        const coin = got[this.sender]!;
        const op = check ? 'ot.check.coin' : 'ot.pace';
        if (coin.length !== (check ? 16 : 0))
          throw new ProtocolAbort(
            'malformed',
            this.sender,
            party.ids[this.sender],
            `${op}: bad length`,
          );
        if (check) proof = reply(b - lag, coin);
      }
      if (b + 1 < B) next = build(b + 1, proof);
      else lone = proof;
    }
  }

  async #runSender(batches: Batch[], rounds: number, onBatch: OnBatch): Promise<void> {
    const party = this.party;
    const { delta, prgs } = this.#s!;
    const B = batches.length;
    const check = this.check;
    const { cols, slots, uk } = this.#layout(Math.max(...batches.map((b) => b.m)));
    const lag = lagOf(B);
    const coins: Uint8Array[] = [];
    const commitments: Uint8Array[] = [];
    const id = party.ids[this.receiver];
    const fail = (why: string) =>
      new ProtocolAbort(
        'malformed',
        this.receiver,
        id,
        `OT extension consistency check failed: ${why}`,
      );

    /** Verifies batch j's reply against its commitment, coin and q rows. */
    const verify = (j: number, proof: Uint8Array): void => {
      const { m } = batches[j]!;
      const seedR = proof.slice(0, 16);
      if (!eq(commit(seedR), commitments[j % SLOTS]!))
        throw fail('the coin does not match its commitment');
      const chi = challenge(coins[j % SLOTS]!, seedR, party);
      const qAcc = this.#polyHash(chi, slots[j % SLOTS]!.subarray(0, 4 * m), m);
      const x = words(proof.slice(16, 32));
      const tAcc = words(proof.slice(32, 48));
      const xd = gfMul(x, delta);
      let d = 0;
      for (let w = 0; w < 4; w++) d |= qAcc[w]! ^ tAcc[w]! ^ xd[w]!;
      if (d !== 0) throw fail("the receiver's matrix is inconsistent");
    };

    /** Round b's message from the receiver: q rows of batch b, then the check of batch b - lag - 1. */
    const work = (b: number, msg: Uint8Array | undefined): void => {
      const hasProof = check && b >= lag + 1;
      if (b < B) {
        const { m, W } = batches[b]!;
        const u = words(msg!);
        const rows = slots[b % SLOTS]!.subarray(0, 4 * m);
        const K = this.#k;
        // q_j = G(k_j) xor Delta_j u_j; the xor in WebAssembly when available,
        // so only the columns it needs (Delta_j = 1, about half) are copied in.
        for (let j = 0; j < KAPPA; j++) {
          const qj = cols.subarray(j * W, (j + 1) * W);
          prgs[j]!.fill(bytes(qj));
          if ((delta[j >>> 5]! >>> (j & 31)) & 1) {
            if (K && uk) {
              const uj = uk.u.subarray(j * W, (j + 1) * W);
              uj.set(u.subarray(j * W, (j + 1) * W));
              K.xorv(qj.byteOffset, uj.byteOffset, qj.byteOffset, W >>> 2);
              continue;
            }
            const base = j * W;
            for (let w = 0; w < W; w++) qj[w] = qj[w]! ^ u[base + w]!;
          }
        }
        this.#transpose(cols.subarray(0, 4 * m), rows, m);
        if (check) commitments[b % SLOTS] = msg!.slice(4 * 128 * W, 4 * 128 * W + 32);
        onBatch(batches[b]!, rows, undefined);
      }
      if (hasProof) verify(b - lag - 1, msg!.subarray(msg!.length - 48));
    };

    let pending: { b: number; msg: Uint8Array | undefined } | undefined;
    for (let b = 0; b < rounds; b++) {
      const sendCoin = fromSender(b, B, check);
      const send = none(party.n);
      if (sendCoin) {
        const coin = new Uint8Array(check ? 16 : 0);
        if (check) {
          party.crypto.randomFill(coin);
          coins[(b - lag) % SLOTS] = coin;
        }
        send[this.receiver] = coin;
      }
      const hasU = b < B;
      const hasProof = check && b >= lag + 1;
      const expect = (hasU ? 4 * (128 * batches[b]!.W + (check ? 8 : 0)) : 0) + (hasProof ? 48 : 0);
      const op = hasU ? 'ot.extend' : 'ot.check.proof';
      // Work on the previous round's matrix once this round's message (a
      // coin for an earlier batch, whose matrix arrived rounds ago) has left:
      // the runtime runs `afterSend` right after sending the round and before
      // collecting it, so the receiver gets the coin without waiting for this
      // work and builds its next matrices meanwhile (measured over TLS:
      // checked random OT 11-12.6 M/s when the coin waited for the work,
      // 12.9-15.2 M/s now), while this role's continuation still resumes with
      // the round's release like every other role's. A failed check thrown
      // by the work rejects this exchange.
      const job = pending;
      const round = party.exchange({
        op: sendCoin ? (check ? 'ot.check.coin' : 'ot.pace') : op,
        send,
        recvFrom: expect > 0 ? [this.receiver] : [],
        afterSend: job ? () => work(job.b, job.msg) : undefined,
      });
      const got = await round;
      const msg = got[this.receiver];
      if (expect > 0 && msg!.length !== expect)
        throw new ProtocolAbort(
          'malformed',
          this.receiver,
          id,
          `${op}: expected ${expect} bytes, got ${msg!.length}`,
        );
      pending = { b, msg };
    }
    if (pending) work(pending.b, pending.msg);
  }
}

/** One batch of a call: OTs [off, off + k), m rows (k rounded up, plus the check's padding), W words per column. */
interface Batch {
  readonly off: number;
  readonly k: number;
  readonly m: number;
  readonly W: number;
}

type OnBatch = (b: Batch, rows: Uint32Array, choices: Uint8Array | undefined) => void;

function plan(n: number, check: boolean): Batch[] {
  const out: Batch[] = [];
  let off = 0;
  for (const k of batchSizes(n)) {
    const m = roundUp(k, 128) + (check ? CHECK_PAD : 0);
    out.push({ off, k, m, W: m >>> 5 });
    off += k;
  }
  return out;
}

/**
 * The sizes of a call's batches: full batches, with a ramp of smaller ones
 * at both ends of long calls (MAX/8, MAX/4, MAX/2 first and the same in
 * reverse last). The pipeline makes a call last about one party's total
 * work plus the other's work on the first batch (the sender waits for the
 * first matrix) or on the last (the receiver waits for the last check), so
 * small end batches take most of that extra batch off every long call. A
 * ramp step is taken only while two full batches stay between the ramps.
 */
export function batchSizes(n: number): number[] {
  const head: number[] = [];
  let rest = n;
  for (const s of [MAX_BATCH / 8, MAX_BATCH / 4, MAX_BATCH / 2]) {
    if (rest < 2 * s + 2 * MAX_BATCH) break;
    head.push(s);
    rest -= 2 * s;
  }
  const middle: number[] = [];
  for (let k = 0; k < rest; k += MAX_BATCH) middle.push(Math.min(MAX_BATCH, rest - k));
  return [...head, ...middle, ...[...head].reverse()];
}

/**
 * How many rounds after its matrix a batch's coin comes (see #run): the
 * receiver may run that many batches ahead of the sender, which absorbs the
 * two processes' uneven pauses (collections, TLS) instead of stalling on each.
 */
const LAG = 3;
/** Row buffers per call: a batch's rows live until its reply is checked, lag + 1 rounds later. */
const SLOTS = LAG + 2;

/**
 * The lag for a call of B batches: running ahead needs batches to run ahead
 * over, so a short call keeps its coins one round behind (a one-batch call
 * takes 3 rounds, not LAG + 2).
 */
function lagOf(B: number): number {
  return Math.max(1, Math.min(LAG, B - 1));
}

/**
 * Whether the sender speaks in round b of B batches: checked, its coin for
 * batch b - lag (rounds lag..B + lag - 1); unchecked, an empty acknowledgement every PACE
 * rounds, which only bounds how far the receiver runs ahead (PACE batches,
 * 32 MiB) without stalling it every batch.
 */
function fromSender(b: number, B: number, check: boolean): boolean {
  const lag = lagOf(B);
  if (check) return b >= lag && b <= B + lag - 1;
  return b >= 1 && b <= B - 1 && b % PACE === 0;
}
const PACE = 4;

/** NIBBLE[v]: the four bits of v as four bytes 0/1, little-endian. */
const NIBBLE = Uint32Array.from(
  { length: 16 },
  (_, v) => (v & 1) | (((v >>> 1) & 1) << 8) | (((v >>> 2) & 1) << 16) | (((v >>> 3) & 1) << 24),
);

/** c[i] = bit i of r for i < k, four bytes per step through NIBBLE. */
function unpackBits(r: Uint32Array, c: Uint8Array, k: number): void {
  let i = 0;
  if (c.byteOffset % 4 === 0) {
    const c32 = new Uint32Array(c.buffer, c.byteOffset, k >>> 2);
    for (let q = 0; q < c32.length; q++) c32[q] = NIBBLE[(r[q >>> 3]! >>> ((q & 7) << 2)) & 15]!;
    i = 4 * c32.length;
  }
  for (; i < k; i++) c[i] = (r[i >>> 5]! >>> (i & 31)) & 1;
}

/**
 * r |= bits c[i] (each 0 or 1) at positions i < k. Four bytes b0..b3 read as
 * one word times 0x01020408 put b0..b3 at bits 24..27 (no other partial
 * product reaches those bits).
 */
function packBits(c: Uint8Array, r: Uint32Array, k: number): void {
  let i = 0;
  if (c.byteOffset % 4 === 0) {
    const c32 = new Uint32Array(c.buffer, c.byteOffset, k >>> 2);
    for (let q = 0; q < c32.length; q++) {
      const nibble = (Math.imul(c32[q]!, 0x01020408) >>> 24) & 15;
      r[q >>> 3] = r[q >>> 3]! | (nibble << ((q & 7) << 2));
    }
    i = 4 * c32.length;
  }
  for (; i < k; i++) r[i >>> 5] = r[i >>> 5]! | (c[i]! << (i & 31));
}

function roundUp(n: number, k: number): number {
  return Math.ceil(n / k) * k;
}

function commit(seed: Uint8Array): Uint8Array {
  const msg = new Uint8Array(LABELS.commit.length + 16);
  msg.set(TEXT.encode(LABELS.commit));
  msg.set(seed, LABELS.commit.length);
  return sha256(msg).slice(0, 32);
}

/** chi = the first PRG block under seed_S xor seed_R. */
function challenge(seedS: Uint8Array, seedR: Uint8Array, party: Party): Uint32Array {
  const s = new Uint8Array(16);
  for (let k = 0; k < 16; k++) s[k] = seedS[k]! ^ seedR[k]!;
  return words(new Prg(s, party.crypto).bytes(16));
}
