/**
 * The spdz2k suite: n >= 2 parties, malicious security with abort against
 * up to n - 1 corrupted parties, computing over Z_2^k with k = 64
 * (Cramer, Damgard, Escudero, Scholl, Xing, "SPDZ2k: Efficient MPC mod 2^k
 * for Dishonest Majority", CRYPTO 2018).
 *
 * Security: an actively corrupted majority can make the computation abort,
 * but not change an output or learn anything beyond the outputs without
 * being caught, except with probability about 2^-57 per check (s = 64 with
 * the paper's log2(s + 1) loss; 2^-55 for random bits, which are checked
 * 2 bits above k). No fairness: a corrupted party may learn an output and
 * then abort. Channels must be authenticated and private.
 *
 * Sharing: x in Z_2^64 is held as additive shares of x' in Z_2^128 with
 * x' = x mod 2^64, with MAC shares of alpha x' mod 2^128, where each party
 * holds a key share alpha_i < 2^64 (mac.ts). Linear operations are local;
 * inputs use authenticated masks [r] that only the owner knows (the owner
 * broadcasts x - r); products use Beaver triples; values are opened mod 2^64
 * and recorded; every opened value is MAC-checked before any output of the
 * program is released (fail closed): `open` returns only after the check.
 * Private outputs open x - r for a mask r of the recipient.
 *
 * Nonlinear operations (ltz, eqz, bits, trunc) run the generic protocols of
 * ../semi2k/mixed.ts with bits as arithmetic 0/1 sharings (AND and XOR are
 * products), on random bits made from squares (Damgard, Escudero,
 * Frederiksen, Keller, Scholl, Volgushev, "New Primitives for
 * Actively-Secure MPC over Rings with Applications to Private Machine
 * Learning", IEEE S&P 2019, section 4.1): open a^2 for a = 2u + 1, take a
 * square root c, and b = (a / c + 1) / 2 = u c^-1 + (c^-1 + 1) / 2 is a
 * uniform bit (linear in [u], so its MAC comes for free).
 *
 * Preprocessing: triples, random values, input masks from OT (prep.ts:
 * MASCOT-style authentication over Z_2^192 and the SPDZ2k triple sacrifice)
 * or, for tests and benchmarks only, an insecure dealer.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { randomWords } from '../../random/prg.js';
import type { Party } from '../../runtime/party.js';
import { dealerPrg, INSECURE_DEALER_REFUSED, InsecureSpdz2kDealer } from '../dealer/dealer.js';
import { bytesOf, others } from '../semi2k/gen.js';
import {
  MaterialStore,
  MemorySpentRegistry,
  PreprocessingError,
  type Batch,
  type Counts,
  type KindLayout,
  type SpentRegistry,
} from '../semi2k/material.js';
import { bitsOf, eqz, ltz, trunc } from '../semi2k/mixed.js';
import { Pairwise } from '../semi2k/pairwise.js';
import {
  checkBound,
  type Shares,
  type Suite,
  type SuiteFactory,
  type ThreatModel,
} from '../suite.js';
import { wordsOf } from '../vectors.js';
import { Spdz2kBits } from './engine.js';
import { CoinFlip, MacChecker, Spdz2kAbort } from './mac.js';
import { OtPreprocessing } from './prep.js';
import * as z from './z2k.js';

/** This party's shares of x' (2 limbs per element) and of alpha x' (2 limbs). */
export class Spdz2kShares implements Shares {
  constructor(
    readonly x: BigUint64Array,
    readonly m: BigUint64Array,
  ) {
    if (x.length !== m.length) throw new RangeError('spdz2k: share and MAC lengths differ');
  }
  get length(): number {
    return this.x.length / 2;
  }
}

export const SPDZ2K_MODEL: ThreatModel = {
  adversary: 'malicious (active), security with abort; no fairness',
  threshold: 'up to n-1 of n parties (dishonest majority)',
  leaks:
    'input sizes, vector lengths, control flow on revealed values, and whether the run aborted; not timing-hardened',
  references: [
    'Cramer, Damgard, Escudero, Scholl, Xing. SPDZ2k: Efficient MPC mod 2^k for Dishonest Majority. CRYPTO 2018',
    'Keller, Orsini, Scholl. MASCOT: Faster Malicious Arithmetic Secure Computation with Oblivious Transfer. CCS 2016',
    'Damgard, Escudero, Frederiksen, Keller, Scholl, Volgushev. New Primitives for Actively-Secure MPC over Rings. IEEE S&P 2019',
    'Escudero, Ghosh, Keller, Rachuri, Scholl. Improved Primitives for MPC over Mixed Arithmetic-Binary Circuits. CRYPTO 2020',
    'Keller, Orsini, Scholl. Actively Secure OT Extension with Optimal Overhead. CRYPTO 2015',
  ],
};

const W2 = ['u64', 2] as const;

/** Online material kinds (2 limbs per value): triples, random values, random bits, input masks. */
export function spdz2kLayouts(n: number): Record<string, KindLayout> {
  const l: Record<string, KindLayout> = {
    triple: { a: W2, b: W2, c: W2, ma: W2, mb: W2, mc: W2 },
    rand: { x: W2, m: W2 },
    bit: { x: W2, m: W2 },
  };
  for (let o = 0; o < n; o++) l[`input${o}`] = { x: W2, m: W2, r: W2 };
  return l;
}

const MIN_BATCH: Readonly<Record<string, number>> = { triple: 512, rand: 256, bit: 512 };

export interface Spdz2kOptions {
  /** 'ot' (default, secure) or 'insecureDealer' (tests and benchmarks only). */
  preprocessing?: 'ot' | 'insecureDealer';
  /** The explicit flag insecureDealer and testOnlySkipMacCheck require. */
  allowInsecure?: boolean;
  /**
   * TEST ONLY (needs allowInsecure): skip every MAC check, i.e. a broken
   * build; the malicious tests use it as their positive control.
   */
  testOnlySkipMacCheck?: boolean;
  /** Material to generate during setup (ahead of the inputs). */
  plan?: Counts;
  /** Running out of material is an error instead of generating on demand. */
  strict?: boolean;
  /** A stable session id that exported material is bound to (see semi2k). */
  sessionId?: string;
  /** A bundle exported earlier by this party (or a function per party) to import at setup. */
  bundle?: Uint8Array | ((party: Party) => Uint8Array);
  registry?: SpentRegistry;
  /** Triples per preprocessing chunk (memory and pipelining; default 1024). */
  tripleChunk?: number;
}

/** The source of online material. */
export interface Spdz2kSource {
  /** This party's MAC key share. */
  readonly alpha: bigint;
  triples(N: number): Promise<Record<string, BigUint64Array>>;
  rands(N: number): Promise<Record<string, BigUint64Array>>;
  inputs(owner: number, N: number): Promise<Record<string, BigUint64Array>>;
  /** Random bits directly (the dealer), or undefined to make them from squares. */
  bits?(N: number): Promise<Record<string, BigUint64Array>>;
}

export class Spdz2kSuite implements Suite<Spdz2kShares> {
  readonly name: string = 'spdz2k';
  readonly model = SPDZ2K_MODEL;
  readonly capacity = 64;
  readonly compareCapacity = 64;
  readonly opts: Spdz2kOptions;
  readonly engine: Spdz2kBits;
  #pairwise: Pairwise | undefined;
  #store: MaterialStore | undefined;
  #source: Spdz2kSource | undefined;
  #coins: CoinFlip;
  #mac: MacChecker | undefined;
  #genQueue: Promise<unknown> = Promise.resolve();
  #checkChain: Promise<void> = Promise.resolve();
  #failure: Spdz2kAbort | undefined;
  #exports = 0;

  /** @throws {PreprocessingError} ('insecure-refused') for insecure options without allowInsecure. */
  constructor(
    readonly party: Party,
    opts: Spdz2kOptions = {},
  ) {
    if (party.n < 2) throw new RangeError(`spdz2k: expected at least 2 parties, got ${party.n}`);
    checkInsecure(opts);
    this.opts = opts;
    this.#coins = new CoinFlip(party, 'spdz2k.coin');
    this.engine = new Spdz2kBits(this);
  }

  get store(): MaterialStore {
    if (!this.#store) throw new Error('spdz2k: setup() has not run');
    return this.#store;
  }

  get #checker(): MacChecker {
    if (!this.#mac) throw new Error('spdz2k: setup() has not run');
    return this.#mac;
  }

  get alpha(): bigint {
    if (!this.#source) throw new Error('spdz2k: setup() has not run');
    return this.#source.alpha;
  }

  /** Opened values not yet checked (for tests and diagnostics). */
  get uncheckedOpenings(): number {
    return this.#checker.pendingCount;
  }

  /**
   * Pairwise seeds and session tag (one round); the MAC key and its OT
   * correlations (or the dealer's seed); then the bundle and plan, if any.
   */
  async setup(): Promise<void> {
    const party = this.party;
    this.#pairwise = await Pairwise.setup(party, 'spdz2k.setup');
    const tag =
      this.opts.sessionId !== undefined
        ? hex(
            sha256(
              new TextEncoder().encode(
                `spdz2k\u0000${this.opts.sessionId}\u0000${party.ids.join('\u0000')}`,
              ),
            ),
          )
        : this.#pairwise.sessionTag;
    this.#store = new MaterialStore('spdz2k', tag, party.index, spdz2kLayouts(party.n));
    if (this.opts.preprocessing === 'insecureDealer') {
      const prg = await dealerPrg(party, 'spdz2k.dealer');
      const d = new InsecureSpdz2kDealer(prg, party.n, party.index);
      const alpha = d.alphas[party.index]!;
      this.#source = {
        alpha,
        triples: (N) => Promise.resolve(d.triples(N)),
        rands: (N) => Promise.resolve(d.rands(N)),
        inputs: (o, N) => Promise.resolve(d.inputs(o, N)),
        bits: (N) => Promise.resolve(d.bits(N)),
      };
    } else {
      const alpha = randomWords(party.crypto, 1)[0]!;
      const prep = new OtPreprocessing(
        party,
        alpha,
        this.#coins,
        tag,
        this.opts.testOnlySkipMacCheck === true,
      );
      if (this.opts.tripleChunk !== undefined) prep.tripleChunk = this.opts.tripleChunk;
      this.#source = prep;
    }
    this.#mac = new MacChecker({
      party,
      L: 2,
      K: 64,
      alpha: this.#source.alpha,
      coins: this.#coins,
      op: 'spdz2k.check',
      skip: this.opts.testOnlySkipMacCheck === true,
    });
    if (this.opts.bundle) {
      const bytes =
        typeof this.opts.bundle === 'function' ? this.opts.bundle(party) : this.opts.bundle;
      this.#store.importBundle(bytes, this.opts.registry ?? new MemorySpentRegistry());
    }
    if (this.opts.plan) await this.preprocess(this.opts.plan);
    this.#store.strict = this.opts.strict ?? false;
  }

  /**
   * Generates material ahead of the inputs (e.g. what a dry run counted).
   * Random bits first: making them consumes triples and random values.
   */
  async preprocess(counts: Counts): Promise<void> {
    const kinds = Object.keys(spdz2kLayouts(this.party.n));
    kinds.sort((a, b) => (a === 'bit' ? -1 : b === 'bit' ? 1 : 0));
    for (const kind of kinds) {
      const k = counts[kind] ?? 0;
      if (k > 0) this.store.put(kind, await this.#generate(kind, k));
    }
  }

  /** Serialises and removes the remaining material (see semi2k.exportMaterial). */
  exportMaterial(): Uint8Array {
    if (!this.#pairwise) throw new Error('spdz2k: setup() has not run');
    const id = hex(
      sha256(new TextEncoder().encode(`${this.#pairwise.sessionTag}/${this.#exports++}`)),
    );
    return this.store.exportBundle(id);
  }

  /** One generation at a time, in call order (OT instances are not re-entrant). */
  #generate(kind: string, count: number): Promise<Batch> {
    const run = this.#genQueue.then(() => this.#generateNow(kind, count));
    this.#genQueue = run.catch(() => undefined);
    return run;
  }

  async #generateNow(kind: string, count: number): Promise<Batch> {
    const src = this.#source!;
    let cols: Record<string, BigUint64Array>;
    if (kind === 'triple') cols = await src.triples(count);
    else if (kind === 'rand') cols = await src.rands(count);
    else if (kind === 'bit')
      cols = src.bits ? await src.bits(count) : await this.#bitsFromSquares(count);
    else if (kind.startsWith('input')) cols = await src.inputs(Number(kind.slice(5)), count);
    else throw new RangeError(`spdz2k: unknown material kind '${kind}'`);
    return { count, cols };
  }

  /** Takes material, generating what is missing (unless strict). */
  take(kind: string, n: number): Promise<Batch> {
    return this.store.take(kind, n, (k) => this.#generate(kind, k), MIN_BATCH[kind] ?? 0);
  }

  /** Inside a generation: take without queueing behind it. */
  #takeInside(kind: string, n: number): Promise<Batch> {
    return this.store.take(kind, n, (k) => this.#generateNow(kind, k), MIN_BATCH[kind] ?? 0);
  }

  // ----- helpers -----

  #lift(c: BigInt64Array | BigUint64Array, n: number): BigUint64Array {
    const w = new BigUint64Array(n);
    if (c.length === n) for (let i = 0; i < n; i++) w[i] = BigInt.asUintN(64, c[i]!);
    else if (c.length === 1) w.fill(BigInt.asUintN(64, c[0]!));
    else throw new RangeError(`expected ${n} constants (or 1), got ${c.length}`);
    return w;
  }

  /** [x] + c for public words c: party 0 adds c to its share; everyone adds alpha_i c to the MAC. */
  #addConst(a: Spdz2kShares, c: BigUint64Array): Spdz2kShares {
    const cl = z.lift(2, c);
    const x = this.party.index === 0 ? z.add(2, a.x, cl) : a.x.slice();
    const m = z.add(2, a.m, z.mulWord(2, cl, this.alpha));
    return new Spdz2kShares(x, m);
  }

  // ----- local operations -----

  constant(values: BigInt64Array): Spdz2kShares {
    const n = values.length;
    return this.#addConst(new Spdz2kShares(z.zeros(2, n), z.zeros(2, n)), this.#lift(values, n));
  }
  add(a: Spdz2kShares, b: Spdz2kShares): Spdz2kShares {
    return new Spdz2kShares(z.add(2, a.x, b.x), z.add(2, a.m, b.m));
  }
  sub(a: Spdz2kShares, b: Spdz2kShares): Spdz2kShares {
    return new Spdz2kShares(z.sub(2, a.x, b.x), z.sub(2, a.m, b.m));
  }
  neg(a: Spdz2kShares): Spdz2kShares {
    return new Spdz2kShares(z.neg(2, a.x), z.neg(2, a.m));
  }
  addPublic(a: Spdz2kShares, c: BigInt64Array): Spdz2kShares {
    return this.#addConst(a, this.#lift(c, a.length));
  }
  mulPublic(a: Spdz2kShares, c: BigInt64Array): Spdz2kShares {
    const w = this.#lift(c, a.length);
    return new Spdz2kShares(z.mulWords(2, a.x, w), z.mulWords(2, a.m, w));
  }
  mulScalar(a: Spdz2kShares, c: bigint): Spdz2kShares {
    const w = BigInt.asUintN(64, c);
    return new Spdz2kShares(z.mulWord(2, a.x, w), z.mulWord(2, a.m, w));
  }
  gather(a: Spdz2kShares, idx: Uint32Array): Spdz2kShares {
    return new Spdz2kShares(z.gather(2, a.x, idx), z.gather(2, a.m, idx));
  }
  concat(parts: readonly Spdz2kShares[]): Spdz2kShares {
    let n = 0;
    for (const p of parts) n += p.x.length;
    const x = new BigUint64Array(n);
    const m = new BigUint64Array(n);
    let off = 0;
    for (const p of parts) {
      x.set(p.x, off);
      m.set(p.m, off);
      off += p.x.length;
    }
    return new Spdz2kShares(x, m);
  }
  sumGroups(a: Spdz2kShares, m: number): Spdz2kShares {
    return new Spdz2kShares(z.sumGroups(2, a.x, m), z.sumGroups(2, a.m, m));
  }
  /**
   * Authenticated random values from the pool. Synchronous by the contract,
   * so it cannot generate: preprocess 'rand' first (the API never calls it;
   * protocols use randomShares).
   * @throws {PreprocessingError} ('exhausted') when the pool is short.
   */
  random(n: number): Spdz2kShares {
    const b = this.store.takeSync('rand', n);
    return new Spdz2kShares(b.cols.x as BigUint64Array, b.cols.m as BigUint64Array);
  }

  /** n authenticated uniform values (generated if missing). */
  async randomShares(n: number): Promise<Spdz2kShares> {
    const b = await this.take('rand', n);
    return new Spdz2kShares(b.cols.x as BigUint64Array, b.cols.m as BigUint64Array);
  }

  /** n authenticated random bits (0/1). */
  async randomBitShares(n: number): Promise<Spdz2kShares> {
    const b = await this.take('bit', n);
    return new Spdz2kShares(b.cols.x as BigUint64Array, b.cols.m as BigUint64Array);
  }

  // ----- interactive operations -----

  /**
   * Input with a mask [r] known to the owner: the owner sends x - r mod 2^64
   * to everyone, and [x] = [r] + (x - r). With three or more parties the
   * public difference enters the transcript compared at the next MAC check,
   * so an owner cannot send different values to different parties.
   * @throws {RangeError} at the owner unless it passes n values.
   */
  async input(owner: number, values: BigInt64Array | undefined, n: number): Promise<Spdz2kShares> {
    const me = this.party.index;
    if (me === owner && (!values || values.length !== n))
      throw new RangeError(`spdz2k.input: expected ${n} values, got ${values?.length ?? 'none'}`);
    this.party.stats.count('input', n);
    const t = await this.take(`input${owner}`, n);
    const r = new Spdz2kShares(t.cols.x as BigUint64Array, t.cols.m as BigUint64Array);
    const send: Array<Uint8Array | undefined> = new Array(this.party.n);
    let delta: BigUint64Array;
    if (me === owner) {
      const rv = t.cols.r as BigUint64Array;
      delta = new BigUint64Array(n);
      for (let i = 0; i < n; i++) delta[i] = BigInt.asUintN(64, values![i]!) - rv[2 * i]!;
      for (const j of others(this.party)) send[j] = bytesOf(delta);
      await this.party.exchange({ op: 'spdz2k.input', send, recvFrom: [] });
    } else {
      const got = await this.party.exchange({ op: 'spdz2k.input', send, recvFrom: [owner] });
      delta = wordsOf(got[owner] ?? new Uint8Array(0), n, owner, this.party.ids[owner]!);
    }
    this.#checker.addToTranscript(delta);
    return this.#addConst(r, delta);
  }

  /**
   * Opens mod 2^64 to every party and records the values for the next MAC
   * check (inside protocols; nothing here is an output).
   */
  async openUnchecked(a: Spdz2kShares, op = 'spdz2k.open'): Promise<BigUint64Array> {
    const lo = z.low(2, a.x);
    const peers = others(this.party);
    const send: Array<Uint8Array | undefined> = new Array(this.party.n);
    for (const j of peers) send[j] = bytesOf(lo);
    const got = await this.party.exchange({ op, send, recvFrom: peers });
    const y = lo.slice();
    for (const j of peers) {
      const v = wordsOf(got[j] ?? new Uint8Array(0), y.length, j, this.party.ids[j]!);
      for (let i = 0; i < y.length; i++) y[i] = y[i]! + v[i]!;
    }
    this.#checker.record(z.lift(2, y), a.x, a.m);
    return y;
  }

  /**
   * Checks every value opened so far (one check covers everything recorded
   * when it starts; checks run one after another).
   * @throws {Spdz2kAbort} if any party cheated.
   */
  verify(): Promise<void> {
    const run = this.#checkChain.then(async () => {
      // Fail closed: after one failed check, nothing is ever released again.
      if (this.#failure) throw this.#failure;
      try {
        const r = await this.randomShares(1);
        await this.#checker.check(r.x, r.m);
      } catch (e) {
        if (e instanceof Spdz2kAbort) this.#failure = e;
        throw e;
      }
    });
    this.#checkChain = run.catch(() => undefined);
    return run;
  }

  async mul(x: Spdz2kShares, y: Spdz2kShares): Promise<Spdz2kShares> {
    if (x.length !== y.length)
      throw new RangeError(`spdz2k.mul: lengths differ (${x.length} and ${y.length})`);
    this.party.stats.count('mul', x.length);
    return this.#beaver(x, y, 'spdz2k.mul');
  }

  /**
   * Beaver: open d = x - a and e = y - b mod 2^64 (recorded), then
   * z = c + d b + e a + d e, and the same on the MAC shares with alpha_i d e.
   */
  async #beaver(x: Spdz2kShares, y: Spdz2kShares, op: string): Promise<Spdz2kShares> {
    const n = x.length;
    const t = await this.take('triple', n);
    return this.beaverWith(x, y, t, op);
  }

  /** Beaver with given triples (also used when making random bits). */
  async beaverWith(x: Spdz2kShares, y: Spdz2kShares, t: Batch, op: string): Promise<Spdz2kShares> {
    const n = x.length;
    const c = t.cols as Record<string, BigUint64Array>;
    const d = this.sub(x, new Spdz2kShares(c.a!, c.ma!));
    const e = this.sub(y, new Spdz2kShares(c.b!, c.mb!));
    const DE = await this.openUnchecked(this.concat([d, e]), op);
    const D = DE.subarray(0, n);
    const E = DE.subarray(n);
    const de = new BigUint64Array(n);
    for (let i = 0; i < n; i++) de[i] = D[i]! * E[i]!;
    const zx = z.add(2, z.add(2, c.c!, z.mulWords(2, c.b!, D)), z.mulWords(2, c.a!, E));
    const zm = z.add(2, z.add(2, c.mc!, z.mulWords(2, c.mb!, D)), z.mulWords(2, c.ma!, E));
    return this.#addConst(new Spdz2kShares(zx, zm), de);
  }

  async dot(x: Spdz2kShares, y: Spdz2kShares, m: number): Promise<Spdz2kShares> {
    if (x.length !== y.length)
      throw new RangeError(`spdz2k.dot: lengths differ (${x.length} and ${y.length})`);
    if (m <= 0 || x.length % m !== 0)
      throw new RangeError(`spdz2k.dot: length ${x.length} is not a multiple of ${m}`);
    this.party.stats.count('dot', x.length);
    return this.sumGroups(await this.#beaver(x, y, 'spdz2k.dot'), m);
  }

  /**
   * Opens to the parties in `to`, after a MAC check of everything opened so
   * far, this value included. To everyone: the value itself. To a subset:
   * x - r is opened for a mask r of each recipient, who adds r back.
   */
  async open(a: Spdz2kShares, to: readonly number[]): Promise<bigint[] | undefined> {
    const n = this.party.n;
    for (const j of to)
      if (!Number.isInteger(j) || j < 0 || j >= n)
        throw new RangeError(`spdz2k.open: no party ${j}`);
    const set = [...new Set(to)].sort((p, q) => p - q);
    const me = this.party.index;
    let mine: BigUint64Array | undefined;
    if (set.length === n) {
      mine = await this.openUnchecked(a, 'spdz2k.output');
    } else {
      const opened = await Promise.all(
        set.map(async (j) => {
          const t = await this.take(`input${j}`, a.length);
          const masked = this.sub(
            a,
            new Spdz2kShares(t.cols.x as BigUint64Array, t.cols.m as BigUint64Array),
          );
          const v = await this.openUnchecked(masked, 'spdz2k.output');
          return { j, v, r: t.cols.r as BigUint64Array };
        }),
      );
      const own = opened.find((o) => o.j === me);
      if (own) {
        mine = new BigUint64Array(a.length);
        for (let i = 0; i < a.length; i++) mine[i] = own.v[i]! + own.r[2 * i]!;
      }
    }
    // Fail closed: nothing is returned before the check passed.
    await this.verify();
    if (!mine) return undefined;
    return Array.from(mine, (w) => BigInt.asIntN(64, w));
  }

  async trunc(a: Spdz2kShares, m: number, bound: number): Promise<Spdz2kShares> {
    checkBound(this, 'trunc', bound);
    this.party.stats.count('trunc', a.length);
    return trunc(this.engine, a, m, bound);
  }
  async ltz(a: Spdz2kShares, bound: number): Promise<Spdz2kShares> {
    checkBound(this, 'ltz', bound);
    this.party.stats.count('ltz', a.length);
    if (a.length === 0) return a;
    if (bound === 1) return this.neg(a);
    return ltz(this.engine, a, bound);
  }
  async eqz(a: Spdz2kShares, bound: number): Promise<Spdz2kShares> {
    checkBound(this, 'eqz', bound);
    this.party.stats.count('eqz', a.length);
    if (a.length === 0) return a;
    if (bound === 1) return this.addPublic(a, BigInt64Array.of(1n));
    return eqz(this.engine, a, bound);
  }
  async bits(a: Spdz2kShares, bits: number): Promise<Spdz2kShares> {
    checkBound(this, 'bits', bits);
    this.party.stats.count('bits', a.length);
    if (a.length === 0) return a;
    return bitsOf(this.engine, a, bits);
  }
  async randomBits(n: number): Promise<Spdz2kShares> {
    if (!Number.isInteger(n) || n < 0)
      throw new RangeError(`spdz2k.randomBits: count must be a non-negative integer, got ${n}`);
    this.party.stats.count('randomBits', n);
    if (n === 0) return new Spdz2kShares(new BigUint64Array(0), new BigUint64Array(0));
    return this.randomBitShares(n);
  }

  // ----- random bits from squares -----

  /**
   * N random bits (Damgard et al. 2019, section 4.1): a = 2u + 1 for random
   * [u]; a^2 by Beaver with d, e opened mod 2^66; a^2 opened mod 2^66; c a
   * square root of it; b = u c^-1 + (c^-1 + 1) / 2 mod 2^128. Everything
   * opened is MAC-checked (mod 2^66) before the bits are released.
   */
  async #bitsFromSquares(N: number): Promise<Record<string, BigUint64Array>> {
    const party = this.party;
    const [rb, tb] = await Promise.all([
      this.#takeInside('rand', N),
      this.#takeInside('triple', N),
    ]);
    const u = new Spdz2kShares(rb.cols.x as BigUint64Array, rb.cols.m as BigUint64Array);
    // a = 2u + 1
    const a = this.addPublic(this.mulScalar(u, 2n), BigInt64Array.of(1n));
    const checker = new MacChecker({
      party,
      L: 2,
      K: 66,
      alpha: this.alpha,
      coins: this.#coins,
      op: 'spdz2k.bits.check',
      skip: this.opts.testOnlySkipMacCheck === true,
    });
    const c = tb.cols as Record<string, BigUint64Array>;
    const d = this.sub(a, new Spdz2kShares(c.a!, c.ma!));
    const e = this.sub(a, new Spdz2kShares(c.b!, c.mb!));
    const DE = await this.#open66(this.concat([d, e]), checker, 'spdz2k.bits.de');
    const D = DE.subarray(0, 2 * N);
    const E = DE.subarray(2 * N);
    const de = z.mul(2, D, E);
    const sqx = z.add(2, z.add(2, c.c!, z.mul(2, c.b!, D)), z.mul(2, c.a!, E));
    const sqm = z.add(2, z.add(2, c.mc!, z.mul(2, c.mb!, D)), z.mul(2, c.ma!, E));
    const sq = new Spdz2kShares(
      party.index === 0 ? z.add(2, sqx, de) : sqx,
      z.add(2, sqm, z.mulWord(2, de, this.alpha)),
    );
    const S = await this.#open66(sq, checker, 'spdz2k.bits.square');
    const mask = await this.#takeInside('rand', 1);
    await checker.check(mask.cols.x as BigUint64Array, mask.cols.m as BigUint64Array);
    // b = c^-1 u + (c^-1 + 1) / 2, per element.
    const inv = new BigUint64Array(2 * N);
    const half = new BigUint64Array(2 * N);
    for (let i = 0; i < N; i++) {
      const s = z.toBig(2, S, i);
      if ((s & 7n) !== 1n)
        throw new Spdz2kAbort(
          'mac-check',
          undefined,
          undefined,
          'an opened square is not an odd square',
        );
      const root = sqrt2k(s, 66);
      const ci = inv2k(root, 128);
      const h = BigInt.asUintN(128, (ci + 1n) >> 1n);
      inv[2 * i] = BigInt.asUintN(64, ci);
      inv[2 * i + 1] = ci >> 64n;
      half[2 * i] = BigInt.asUintN(64, h);
      half[2 * i + 1] = h >> 64n;
    }
    const bx = z.mul(2, u.x, inv);
    const bm = z.mul(2, u.m, inv);
    if (party.index === 0) z.add(2, bx, half, bx);
    const al = new BigUint64Array(2 * N);
    for (let i = 0; i < N; i++) al[2 * i] = this.alpha;
    z.add(2, bm, z.mul(2, half, al), bm);
    return { x: bx, m: bm };
  }

  /** Opens mod 2^66 (two words per element), recorded in `checker`; returns 2 limbs per element. */
  async #open66(a: Spdz2kShares, checker: MacChecker, op: string): Promise<BigUint64Array> {
    const n = a.length;
    const mine = new BigUint64Array(2 * n);
    for (let i = 0; i < n; i++) {
      mine[2 * i] = a.x[2 * i]!;
      mine[2 * i + 1] = a.x[2 * i + 1]! & 3n;
    }
    const peers = others(this.party);
    const send: Array<Uint8Array | undefined> = new Array(this.party.n);
    for (const j of peers) send[j] = bytesOf(mine);
    const got = await this.party.exchange({ op, send, recvFrom: peers });
    const y = mine.slice();
    for (const j of peers)
      z.add(2, y, wordsOf(got[j] ?? new Uint8Array(0), 2 * n, j, this.party.ids[j]!), y);
    for (let i = 0; i < n; i++) y[2 * i + 1] = y[2 * i + 1]! & 3n;
    checker.record(y, a.x, a.m);
    return y;
  }
}

/** x^-1 mod 2^k for odd x (Newton: y <- y (2 - x y), doubling correct bits). */
export function inv2k(x: bigint, k: number): bigint {
  let y = BigInt.asUintN(k, x); // x x = 1 mod 8: three correct bits
  for (let bits = 3; bits < k; bits *= 2) y = BigInt.asUintN(k, y * (2n - x * y));
  return BigInt.asUintN(k, y);
}

/**
 * A square root mod 2^k of s, s = 1 mod 8 (an odd square): with the inverse
 * square root t <- t (3 - s t^2) / 2 (2-adic Newton), sqrt = s t.
 */
export function sqrt2k(s: bigint, k: number): bigint {
  const K = k + 2;
  let t = 1n;
  for (let bits = 3; bits < K + 2; bits = 2 * bits - 1) {
    // Exact (no reduction before the halving), so no precision is lost.
    t = BigInt.asUintN(K, (t * (3n - s * t * t)) >> 1n);
  }
  return BigInt.asUintN(k, s * t);
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function checkInsecure(opts: Spdz2kOptions): void {
  if (opts.allowInsecure === true) return;
  if (opts.preprocessing === 'insecureDealer')
    throw new PreprocessingError(
      'insecure-refused',
      INSECURE_DEALER_REFUSED.replace('allowInsecureDealer', 'allowInsecure'),
    );
  if (opts.testOnlySkipMacCheck)
    throw new PreprocessingError(
      'insecure-refused',
      'testOnlySkipMacCheck disables malicious security; it needs allowInsecure: true (tests only)',
    );
}

/**
 * A spdz2k factory with options.
 * @throws {PreprocessingError} ('insecure-refused') for insecure options without allowInsecure.
 */
export function spdz2kFactory(opts: Spdz2kOptions = {}): SuiteFactory {
  checkInsecure(opts);
  return {
    name: 'spdz2k',
    minParties: 2,
    maxParties: 64,
    create: (party) => new Spdz2kSuite(party, opts),
  };
}

/** The registered suite: OT-based preprocessing, generated on demand. */
export const spdz2kSuite: SuiteFactory = spdz2kFactory();
