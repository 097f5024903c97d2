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
import { evalBits, gfMul, GfMulTable } from './gf128.js';
import { transpose128 } from './transpose.js';
import { OtKernels } from './wasm.js';

/** Security parameter: base OTs, and bits per extended row. */
export const KAPPA = 128;
/** Extra rows per checked batch (kappa + s, s = 128), discarded after the check. */
const CHECK_PAD = 256;
/** Largest batch (OTs) handled in one pass; bigger requests are split. */
export const MAX_BATCH = 1 << 20;
/**
 * Unchecked batches flow one way (receiver to sender); every WINDOW batches
 * the receiver waits for the sender to catch up, bounding what is queued.
 */
const WINDOW = 4;

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
  readonly #k: OtKernels | undefined = OtKernels.create();

  private constructor(
    party: Party,
    sender: number,
    receiver: number,
    check: boolean,
    s: SenderState | undefined,
    r: ReceiverState | undefined,
  ) {
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
      `${LABELS.sid}/${party.ids[sender] ?? sender}->${party.ids[receiver] ?? receiver}`,
    );
    const check = opts.check ?? true;
    const me = party.index;
    let choices: Uint8Array | undefined;
    if (me === sender) {
      const d = new Uint8Array(16);
      party.crypto.randomFill(d);
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
      return new OtExtension(party, sender, receiver, check, { delta, prgs }, undefined);
    }
    if (me === receiver) {
      const s = out as BaseOtSenderOutput;
      const mk = (k: Uint8Array) =>
        Array.from(
          { length: KAPPA },
          (_, j) => new Prg(k.slice(16 * j, 16 * j + 16), party.crypto),
        );
      return new OtExtension(party, sender, receiver, check, undefined, {
        prg0: mk(s.k0),
        prg1: mk(s.k1),
      });
    }
    return new OtExtension(party, sender, receiver, check, undefined, undefined);
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
    for (let off = 0; off < n; off += MAX_BATCH) {
      const k = Math.min(MAX_BATCH, n - off);
      const b = await this.#extend(k, choices?.subarray(off, off + k));
      if (b.q) sOut!.set(bytes(b.q.subarray(0, 4 * k)), 16 * off);
      if (b.t) {
        rOut!.set(bytes(b.t.subarray(0, 4 * k)), 16 * off);
        rChoices!.set(b.choices!, off);
      }
      await this.#pace(off, n);
    }
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
    for (let off = 0; off < n; off += MAX_BATCH) {
      const k = Math.min(MAX_BATCH, n - off);
      const tweak = this.#used;
      const b = await this.#extend(k, choices?.subarray(off, off + k));
      const op = `ot.${kind}.payload`;
      if (b.q) {
        const q = b.q;
        const s = this.#s!;
        const h0 = words(m0!.subarray(16 * off, 16 * (off + k)));
        const h1 = words(m1!.subarray(16 * off, 16 * (off + k)));
        this.#hashRows(q, k, tweak, h0, undefined);
        this.#hashRows(q, k, tweak, h1, s.delta);
        if (kind !== 'random') {
          const data = words(senderData!.slice());
          let y: Uint32Array;
          if (kind === 'correlated') {
            // y = H(q) xor H(q xor Delta) xor x; the new m1 = m0 xor x.
            y = new Uint32Array(4 * k);
            const x = data.subarray(4 * off, 4 * (off + k));
            for (let w = 0; w < 4 * k; w++) {
              y[w] = h0[w]! ^ h1[w]! ^ x[w]!;
              h1[w] = h0[w]! ^ x[w]!;
            }
          } else {
            // y0 = m0 xor H(q), y1 = m1 xor H(q xor Delta); outputs are the chosen messages.
            y = new Uint32Array(8 * k);
            const total = data.length >>> 1;
            for (let w = 0; w < 4 * k; w++) {
              const a = data[4 * off + w]!;
              const c = data[total + 4 * off + w]!;
              y[w] = a ^ h0[w]!;
              y[4 * k + w] = c ^ h1[w]!;
              h0[w] = a;
              h1[w] = c;
            }
          }
          const send = none(this.party.n);
          send[this.receiver] = bytes(y);
          await this.party.exchange({ op, send, recvFrom: [] });
        }
      } else if (b.t) {
        const t = b.t;
        const out = words(mr!.subarray(16 * off, 16 * (off + k)));
        this.#hashRows(t, k, tweak, out, undefined);
        cr!.set(b.choices!, off);
        if (kind !== 'random') {
          const got = await this.party.exchange({
            op,
            send: none(this.party.n),
            recvFrom: [this.sender],
          });
          const y = got[this.sender]!;
          const per = kind === 'correlated' ? 16 : 32;
          if (y.length !== per * k)
            throw new ProtocolAbort(
              'malformed',
              this.sender,
              this.party.ids[this.sender],
              `${op}: expected ${per * k} bytes, got ${y.length}`,
            );
          const yw = words(y);
          const c = b.choices!;
          for (let i = 0; i < k; i++) {
            if (kind === 'correlated' && c[i] === 0) continue;
            const src = kind === 'correlated' ? 4 * i : 4 * i + (c[i] ? 4 * k : 0);
            for (let w = 0; w < 4; w++) out[4 * i + w] = out[4 * i + w]! ^ yw[src + w]!;
          }
        }
      } else if (kind !== 'random') {
        await this.party.exchange({ op, send: none(this.party.n), recvFrom: [] });
      }
      if (kind === 'random') await this.#pace(off, n);
    }
    if (m0) return { role: 'sender', m0, m1: m1! };
    if (mr) return { role: 'receiver', choices: cr!, m: mr };
    return { role: 'none' };
  }

  /**
   * Column and row buffers for m OTs: views of the kernels' memory (valid
   * until the next batch) or plain arrays without WebAssembly.
   */
  #work(m: number): { cols: Uint32Array; rows: Uint32Array } {
    const k = this.#k;
    if (!k) return { cols: new Uint32Array(4 * m), rows: new Uint32Array(4 * m) };
    k.ensure(32 * m + 65536 + 16 + 3 * 16 * CHUNK + 16);
    this.#scratch = 32 * m + 65536 + 16;
    return {
      cols: new Uint32Array(k.buffer, 0, 4 * m),
      rows: new Uint32Array(k.buffer, 16 * m, 4 * m),
    };
  }

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

  /** acc = sum_i rows_i chi^(m - i) (Horner), in WebAssembly when the rows live there. */
  #horner(chi: Uint32Array, rows: Uint32Array, m: number, acc: Uint32Array): void {
    const table = new GfMulTable(chi);
    const k = this.#k;
    if (!k || rows.buffer !== k.buffer) {
      table.horner(rows, m, acc);
      return;
    }
    const tableOff = rows.byteOffset + 16 * m;
    new Uint32Array(k.buffer, tableOff, table.table.length).set(table.table);
    const accView = new Uint32Array(k.buffer, tableOff + 65536, 4);
    accView.set(acc);
    k.horner(tableOff, rows.byteOffset, m, tableOff + 65536);
    acc.set(accView);
  }

  /** After every WINDOW one-way batches (not the last), the sender acknowledges. */
  async #pace(off: number, n: number): Promise<void> {
    const batch = off / MAX_BATCH + 1;
    if (this.check || batch % WINDOW !== 0 || off + MAX_BATCH >= n) return;
    const send = none(this.party.n);
    if (this.party.index === this.sender) send[this.receiver] = new Uint8Array(0);
    await this.party.exchange({
      op: 'ot.pace',
      send,
      recvFrom: this.party.index === this.receiver ? [this.sender] : [],
    });
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
   * One batch of IKNP with the optional KOS check: rows for the first n OTs
   * (q at the sender; t and choices at the receiver).
   */
  async #extend(
    n: number,
    choices: Uint8Array | undefined,
  ): Promise<{ q?: Uint32Array; t?: Uint32Array; choices?: Uint8Array }> {
    const party = this.party;
    const m = roundUp(n, 128) + (this.check ? CHECK_PAD : 0);
    const W = m >>> 5;
    this.#used += n;
    const op = 'ot.extend';
    if (this.#r) {
      const { prg0, prg1 } = this.#r;
      // r: the choices, then random padding (and random choices if none given).
      const rBytes = new Uint8Array(4 * W);
      party.crypto.randomFill(rBytes);
      const r = words(rBytes);
      let c: Uint8Array;
      if (choices) {
        c = choices;
        for (let w = 0; w < n >>> 5; w++) r[w] = 0;
        if (n & 31) r[n >>> 5] = r[n >>> 5]! & (~0 << (n & 31));
        for (let i = 0; i < n; i++) r[i >>> 5] = r[i >>> 5]! | (c[i]! << (i & 31));
      } else {
        c = new Uint8Array(n);
        for (let i = 0; i < n; i++) c[i] = (r[i >>> 5]! >>> (i & 31)) & 1;
      }
      const { cols: tCols, rows: t } = this.#work(m);
      const u = new Uint32Array(128 * W + (this.check ? 8 : 0));
      const tmp = new Uint32Array(W);
      for (let j = 0; j < KAPPA; j++) {
        const tj = tCols.subarray(j * W, (j + 1) * W);
        prg0[j]!.fill(bytes(tj));
        prg1[j]!.fill(bytes(tmp));
        const base = j * W;
        for (let w = 0; w < W; w++) u[base + w] = tj[w]! ^ tmp[w]! ^ r[w]!;
      }
      this.#transpose(tCols, t, m);
      let seedR: Uint8Array | undefined;
      if (this.check) {
        seedR = new Uint8Array(16);
        party.crypto.randomFill(seedR);
        u.set(words(commit(seedR)), 128 * W);
      }
      const send = none(party.n);
      send[this.sender] = bytes(u);
      await party.exchange({ op, send, recvFrom: [] });
      if (this.check) {
        const got = await party.exchange({
          op: 'ot.check.coin',
          send: none(party.n),
          recvFrom: [this.sender],
        });
        const seedS = got[this.sender]!;
        if (seedS.length !== 16)
          throw new ProtocolAbort(
            'malformed',
            this.sender,
            party.ids[this.sender],
            'ot.check.coin: bad length',
          );
        const chi = challenge(seedS, seedR!, party);
        const tAcc = new Uint32Array(4);
        this.#horner(chi, t, m, tAcc);
        const x = evalBits(chi, r, m);
        const reply = new Uint8Array(48);
        reply.set(seedR!, 0);
        reply.set(bytes(x), 16);
        reply.set(bytes(tAcc), 32);
        const send3 = none(party.n);
        send3[this.sender] = reply;
        await party.exchange({ op: 'ot.check.proof', send: send3, recvFrom: [] });
      }
      return { t, choices: c.slice() };
    }
    if (this.#s) {
      const { delta, prgs } = this.#s;
      const got = await party.exchange({ op, send: none(party.n), recvFrom: [this.receiver] });
      const msg = got[this.receiver]!;
      const expect = 4 * (128 * W + (this.check ? 8 : 0));
      if (msg.length !== expect)
        throw new ProtocolAbort(
          'malformed',
          this.receiver,
          party.ids[this.receiver],
          `${op}: expected ${expect} bytes, got ${msg.length}`,
        );
      const u = words(msg);
      const { cols: qCols, rows: q } = this.#work(m);
      for (let j = 0; j < KAPPA; j++) {
        const qj = qCols.subarray(j * W, (j + 1) * W);
        prgs[j]!.fill(bytes(qj));
        if ((delta[j >>> 5]! >>> (j & 31)) & 1) {
          const base = j * W;
          for (let w = 0; w < W; w++) qj[w] = qj[w]! ^ u[base + w]!;
        }
      }
      this.#transpose(qCols, q, m);
      if (this.check) {
        const commitment = msg.slice(4 * 128 * W);
        const seedS = new Uint8Array(16);
        party.crypto.randomFill(seedS);
        const send = none(party.n);
        send[this.receiver] = seedS;
        await party.exchange({ op: 'ot.check.coin', send, recvFrom: [] });
        const got3 = await party.exchange({
          op: 'ot.check.proof',
          send: none(party.n),
          recvFrom: [this.receiver],
        });
        const proof = got3[this.receiver]!;
        const fail = (why: string) =>
          new ProtocolAbort(
            'malformed',
            this.receiver,
            party.ids[this.receiver],
            `OT extension consistency check failed: ${why}`,
          );
        if (proof.length !== 48) throw fail('bad proof length');
        const seedR = proof.slice(0, 16);
        if (!eq(commit(seedR), commitment)) throw fail('the coin does not match its commitment');
        const qAcc = new Uint32Array(4);
        this.#horner(challenge(seedS, seedR, party), q, m, qAcc);
        const x = words(proof.slice(16, 32));
        const tAcc = words(proof.slice(32, 48));
        const xd = gfMul(x, delta);
        let d = 0;
        for (let w = 0; w < 4; w++) d |= qAcc[w]! ^ tAcc[w]! ^ xd[w]!;
        if (d !== 0) throw fail("the receiver's matrix is inconsistent");
      }
      return { q };
    }
    await party.exchange({ op, send: none(party.n), recvFrom: [] });
    if (this.check) {
      await party.exchange({ op: 'ot.check.coin', send: none(party.n), recvFrom: [] });
      await party.exchange({ op: 'ot.check.proof', send: none(party.n), recvFrom: [] });
    }
    return {};
  }
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
