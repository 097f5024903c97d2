/**
 * MAC checking for SPDZ2k-style authenticated sharings (Cramer, Damgard,
 * Escudero, Scholl, Xing, "SPDZ2k: Efficient MPC mod 2^k for Dishonest
 * Majority", CRYPTO 2018, section 3).
 *
 * A value x in Z_2^K is held as shares x_i of x' in Z_2^(64 L) with
 * x' = x mod 2^K, and MAC shares m_i with sum m_i = alpha x' mod 2^(64 L),
 * alpha = sum alpha_i and alpha_i < 2^s (s = 64). Values are opened mod 2^K
 * only (the upper bits of x' would leak). The check of opened values y_j:
 *   1. a public random chi_j < 2^s per value (coin toss);
 *   2. y = sum chi_j y_j (public), [y'] = sum chi_j [x'_j];
 *   3. open z = [y'] - y + 2^K [r] for a random authenticated r: if the y_j
 *      are right, y' - y = 2^K w and z = 2^K (w + r) reveals nothing (r masks
 *      w); the low K bits of z must be 0;
 *   4. each party commits to sigma_i = m_z,i - alpha_i z, then opens; the
 *      sigma_i must sum to 0 mod 2^(64 L).
 * An error in the low K bits of an opened value passes with probability
 * about 2^(-s + log2(s + 1)) (the paper's Theorem 1); errors above bit K do
 * not matter, since only x mod 2^K is ever used.
 *
 * With three or more parties, each party's hash of everything it saw opened
 * (and of inputs' public differences) rides along with the commitment, so an
 * equivocating sender (different values to different parties) is caught too.
 *
 * Coins: each party commits to its next seed one check ahead; a check reveals
 * the committed seed (and commits to the next), so the coin is fixed only
 * after every opened value of the batch is.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { Prg, randomSeed } from '../../random/prg.js';
import { ProtocolAbort } from '../../runtime/errors.js';
import type { Party } from '../../runtime/party.js';
import { bytesOf, others } from '../semi2k/gen.js';
import { wordsOf } from '../vectors.js';
import * as z from './z2k.js';

/** What failed in a malicious-security check. */
export type CheckFailure = 'mac-check' | 'sacrifice' | 'commitment' | 'broadcast';

/**
 * A check of the spdz2k suite failed: some party deviated. Raised at every
 * honest party before any output of the batch is released. Carries no
 * secret values.
 */
export class Spdz2kAbort extends ProtocolAbort {
  constructor(
    readonly check: CheckFailure,
    peer: number | undefined,
    peerId: string | undefined,
    detail: string,
  ) {
    super('aborted', peer, peerId, `spdz2k ${check} failed: ${detail}`);
  }
}

export const MAC_LABELS = {
  coin: 'entente/spdz2k/coin/v1',
  sigma: 'entente/spdz2k/mac-check/sigma/v1',
} as const;

const TEXT = new TextEncoder();

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function eq(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/**
 * Joint random coins by commit-and-reveal, one round per coin after the
 * first. Calls are served one at a time in call order.
 */
export class CoinFlip {
  readonly #party: Party;
  readonly #op: string;
  #next: Uint8Array | undefined;
  #theirs: Array<Uint8Array | undefined> = [];
  #queue: Promise<unknown> = Promise.resolve();

  constructor(party: Party, op: string) {
    this.#party = party;
    this.#op = op;
  }

  #commitment(seed: Uint8Array): Uint8Array {
    return sha256(concat([TEXT.encode(MAC_LABELS.coin), seed]));
  }

  /** A fresh 16-byte seed that no party could predict or bias. */
  next(): Promise<Uint8Array> {
    const run = this.#queue.then(() => this.#flip());
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #flip(): Promise<Uint8Array> {
    const party = this.#party;
    const peers = others(party);
    if (!this.#next) {
      // First use: commit to the first seed.
      this.#next = randomSeed(party.crypto);
      const send: Array<Uint8Array | undefined> = new Array(party.n);
      for (const j of peers) send[j] = this.#commitment(this.#next);
      const got = await party.exchange({ op: `${this.#op}.commit`, send, recvFrom: peers });
      this.#theirs = got.map((g) => g?.slice());
    }
    const mine = this.#next;
    const following = randomSeed(party.crypto);
    const send: Array<Uint8Array | undefined> = new Array(party.n);
    for (const j of peers) send[j] = concat([mine, this.#commitment(following)]);
    const got = await party.exchange({ op: `${this.#op}.reveal`, send, recvFrom: peers });
    const seeds: Uint8Array[] = new Array(party.n);
    seeds[party.index] = mine;
    const nextTheirs: Array<Uint8Array | undefined> = new Array(party.n);
    for (const j of peers) {
      const msg = got[j];
      const committed = this.#theirs[j];
      if (
        !msg ||
        msg.length !== 48 ||
        !committed ||
        !eq(this.#commitment(msg.subarray(0, 16)), committed)
      )
        throw new Spdz2kAbort('commitment', j, party.ids[j], 'coin does not match its commitment');
      seeds[j] = msg.slice(0, 16);
      nextTheirs[j] = msg.slice(16);
    }
    this.#next = following;
    this.#theirs = nextTheirs;
    return sha256(concat([TEXT.encode(MAC_LABELS.coin), ...seeds])).slice(0, 16);
  }

  /** The coin as a PRG stream. */
  async prg(): Promise<Prg> {
    return new Prg(await this.next(), this.#party.crypto);
  }
}

interface Entry {
  /** Opened values, L limbs each (< 2^K). */
  readonly y: BigUint64Array;
  readonly x: BigUint64Array;
  readonly m: BigUint64Array;
}

export interface MacCheckOptions {
  readonly party: Party;
  readonly L: z.Limbs;
  /** Bits opened and checked (values are known mod 2^K). */
  readonly K: number;
  /** This party's key share alpha_i < 2^64. */
  readonly alpha: bigint;
  readonly coins: CoinFlip;
  /** Exchange names prefix. */
  readonly op: string;
  /** TEST ONLY: accept without checking (the positive control of the malicious tests). */
  readonly skip?: boolean;
}

/**
 * Opened values waiting for their check, and the check itself. Partial
 * openings record here; `check` verifies everything recorded so far.
 */
export class MacChecker {
  readonly o: MacCheckOptions;
  #pending: Entry[] = [];
  #count = 0;
  /** Checks run one after another; after a failure every later check fails too. */
  #chain: Promise<void> = Promise.resolve();
  #failure: Spdz2kAbort | undefined;
  /** Running hash of what this party saw opened or broadcast (three or more parties). */
  #transcript = sha256.create();
  #dirty = false;

  constructor(o: MacCheckOptions) {
    if (o.K < 1 || o.K > 64 * (o.L - 1) + 2)
      throw new RangeError(`mac check: K = ${o.K} does not fit ${o.L} limbs`);
    this.o = o;
  }

  get pendingCount(): number {
    return this.#count;
  }

  /** Records opened values y (L limbs each) with this party's shares and MAC shares. */
  record(y: BigUint64Array, x: BigUint64Array, m: BigUint64Array): void {
    if (y.length === 0) return;
    this.#pending.push({ y, x, m });
    this.#count += y.length / this.o.L;
    this.addToTranscript(y);
  }

  /** Adds public data every party must have seen identically (e.g. an input's x - r). */
  addToTranscript(data: BigUint64Array | Uint8Array): void {
    if (this.o.party.n < 3) return;
    this.#transcript.update(
      data instanceof Uint8Array
        ? data
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
    this.#dirty = true;
  }

  /**
   * Checks everything recorded when the check starts, with [r] (one element:
   * share and MAC share, L limbs) as the mask. Checks run in call order, one
   * at a time, so when a check resolves every value recorded before its call
   * has been checked.
   * @throws {Spdz2kAbort} ('mac-check', 'commitment', 'broadcast') at every honest party if anyone cheated.
   */
  check(rx: BigUint64Array, rm: BigUint64Array): Promise<void> {
    const run = this.#chain.then(async () => {
      if (this.#failure) throw this.#failure;
      try {
        await this.#check(rx, rm);
      } catch (e) {
        if (e instanceof Spdz2kAbort) this.#failure = e;
        throw e;
      }
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #check(rx: BigUint64Array, rm: BigUint64Array): Promise<void> {
    const { party, L, K, alpha } = this.o;
    const entries = this.#pending;
    const count = this.#count;
    this.#pending = [];
    this.#count = 0;
    const dirty = this.#dirty;
    this.#dirty = false;
    if (count === 0 && !dirty) return;
    if (this.o.skip) return;
    const me = party.index;
    const peers = others(party);
    const chi = (await this.o.coins.prg()).words(count);
    // y = sum chi_j y_j, and this party's shares of sum chi_j x'_j and its MAC.
    const Y = new BigUint64Array(L);
    const X = new BigUint64Array(L);
    const M = new BigUint64Array(L);
    let j = 0;
    for (const e of entries) {
      const k = e.y.length / L;
      const c = chi.subarray(j, j + k);
      z.add(L, Y, z.sum(L, z.mulWords(L, e.y, c)), Y);
      z.add(L, X, z.sum(L, z.mulWords(L, e.x, c)), X);
      z.add(L, M, z.sum(L, z.mulWords(L, e.m, c)), M);
      j += k;
    }
    // z_i = y'_i - [i = 0] y + 2^K r_i, with MAC share m_i - alpha_i y + 2^K m_r,i.
    const zi = z.add(L, X, z.shiftLeft(L, rx, K));
    if (me === 0) z.sub(L, zi, Y, zi);
    const mz = z.add(L, z.sub(L, M, z.mulWord(L, Y, alpha)), z.shiftLeft(L, rm, K));
    const op = this.o.op;
    const send: Array<Uint8Array | undefined> = new Array(party.n);
    for (const p of peers) send[p] = bytesOf(zi);
    const got = await party.exchange({ op: `${op}.z`, send, recvFrom: peers });
    const Z = zi.slice();
    for (const p of peers)
      z.add(L, Z, wordsOf(got[p] ?? new Uint8Array(0), L, p, party.ids[p]!), Z);
    // The low K bits of z must be zero.
    const lowBad = lowBits(Z, K) !== 0n;
    // sigma_i = m_z,i - alpha_i z; commit (with the transcript hash), then open.
    const sigma = z.sub(L, mz, z.mulWord(L, Z, alpha));
    const nonce = randomSeed(party.crypto);
    const th = this.#transcript.clone().digest();
    const opening = concat([bytesOf(sigma), nonce, th]);
    const commit = sha256(concat([TEXT.encode(MAC_LABELS.sigma), Uint8Array.of(me), opening]));
    const send2: Array<Uint8Array | undefined> = new Array(party.n);
    for (const p of peers) send2[p] = commit;
    const got2 = await party.exchange({ op: `${op}.commit`, send: send2, recvFrom: peers });
    const commits = got2.map((g) => g?.slice());
    const send3: Array<Uint8Array | undefined> = new Array(party.n);
    for (const p of peers) send3[p] = opening;
    const got3 = await party.exchange({ op: `${op}.open`, send: send3, recvFrom: peers });
    const total = sigma.slice();
    for (const p of peers) {
      const msg = got3[p];
      const c = commits[p];
      const expect = sha256(
        concat([TEXT.encode(MAC_LABELS.sigma), Uint8Array.of(p), msg ?? new Uint8Array(0)]),
      );
      if (!msg || msg.length !== opening.length || !c || !eq(c, expect))
        throw new Spdz2kAbort(
          'commitment',
          p,
          party.ids[p],
          'MAC-check share does not match its commitment',
        );
      if (!eq(msg.subarray(8 * L + 16), th))
        throw new Spdz2kAbort('broadcast', p, party.ids[p], 'parties saw different opened values');
      z.add(L, total, new BigUint64Array(msg.slice(0, 8 * L).buffer), total);
    }
    if (lowBad)
      throw new Spdz2kAbort(
        'mac-check',
        undefined,
        undefined,
        'masked check value is not a multiple of 2^K',
      );
    for (let l = 0; l < L; l++)
      if (total[l] !== 0n)
        throw new Spdz2kAbort(
          'mac-check',
          undefined,
          undefined,
          `${count} opened values do not match their MACs`,
        );
  }
}

/** The low k bits of a one-element L-limb vector, as a bigint. */
function lowBits(v: BigUint64Array, k: number): bigint {
  let x = 0n;
  for (let l = v.length - 1; l >= 0; l--) x = (x << 64n) | v[l]!;
  return BigInt.asUintN(k, x);
}
