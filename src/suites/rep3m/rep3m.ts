/**
 * The rep3m suite: three parties, SPDZ-wise replicated secret sharing over
 * Z_2^(k+s) with k = 64 and s = 64, secure with abort against one actively
 * corrupted party (honest majority). The protocol is the one of Dalskov,
 * Escudero, Keller, "Secure Evaluation of Quantized Neural Networks"
 * (PoPETs 2020, section 3, "SPDZ-wise replicated secret sharing"; MP-SPDZ's
 * sy-rep-ring), which applies the SPDZ-wise MACs of Chida, Genkin, Hamada,
 * Ikarashi, Kikuchi, Lindell, Nof ("Fast Large-Scale Honest-Majority MPC for
 * Malicious Adversaries", CRYPTO 2018) over rings with SPDZ2k's MAC check.
 *
 * Security: one malicious party can make the run abort, but cannot change
 * an output or learn anything beyond the outputs without every honest
 * party aborting first, except with probability about 2^-57 per check
 * (SPDZ2k's Theorem 1 with s = 64; 2^-55 for random bits, checked two bits
 * above k). No fairness: the corrupted party may see an output and then
 * abort. Channels must be authenticated and private.
 *
 * Sharing: x in Z_2^64 is held as a replicated sharing of x' in Z_2^128,
 * x' = x mod 2^64 (party i holds (x_i, x_{i+1}) of x' = x_0 + x_1 + x_2),
 * beside a replicated sharing of alpha x' for a MAC key alpha whose three
 * components are 64-bit PRSS draws (so alpha mod 2^64 is uniform to any one
 * party). Linear operations are local on both sharings.
 *
 * - Multiplication: two semi-honest replicated products, x y and (alpha x) y,
 *   in one round (Araki et al.'s protocol, secure up to an additive attack:
 *   a corrupted party can only add a value of its choice to its re-shared
 *   component, which breaks the MAC relation unless it guesses alpha).
 * - Random values: PRSS components for [u], and [alpha u] = [alpha] [u] by
 *   one product. Inputs: a random [r] that the owner knows (two of its
 *   components from PRSS keys it holds, the third 0), authenticated the
 *   same way; the owner broadcasts x - r mod 2^64.
 * - Openings: mod 2^64 only (the upper bits of x' would leak), each party
 *   sending the low limb of one component to the party missing it; every
 *   opened value is recorded, and every recorded value is checked in batch
 *   (a random linear combination with a jointly drawn seed, masked, then a
 *   commitment to each party's MAC share, ../spdz2k/mac.ts) before any
 *   output is released. Each party's hash of what it saw opened or broadcast
 *   rides along, so a party sending different values to different parties
 *   is caught too.
 * - Comparisons, truncation and bit decomposition: the generic protocols of
 *   ../semi2k/mixed.ts on authenticated 0/1 values (../spdz2k/engine.ts),
 *   with random bits from squares (Damgard, Escudero, Frederiksen, Keller,
 *   Scholl, Volgushev, IEEE S&P 2019, section 4.1), as spdz2k makes them,
 *   but with replicated products instead of Beaver triples.
 */
import { Prg, randomSeed } from '../../random/prg.js';
import { ProtocolAbort } from '../../runtime/errors.js';
import type { Party } from '../../runtime/party.js';
import { PreprocessingError } from '../semi2k/material.js';
import { bitsOf, eqz, ltz, trunc } from '../semi2k/mixed.js';
import type { MacArithSuite } from '../spdz2k/engine.js';
import { CoinFlip, MacChecker, Spdz2kAbort, type CheckFailure } from '../spdz2k/mac.js';
import * as z from '../spdz2k/z2k.js';
import { checkBound, type Shares, type SuiteFactory, type ThreatModel } from '../suite.js';
import { wordsOf } from '../vectors.js';
import { Rep3mBits } from './bits.js';
import { crossTerms } from './ring128.js';
import { Rep3mKernels } from './wasm.js';

/**
 * Party i's components (x_i, x_{i+1}) of x' and (m_i, m_{i+1}) of alpha x',
 * 2 limbs (128 bits) per element each.
 */
export class Rep3mShares implements Shares {
  constructor(
    readonly a: BigUint64Array,
    readonly b: BigUint64Array,
    readonly ma: BigUint64Array,
    readonly mb: BigUint64Array,
  ) {
    const n = a.length;
    if (b.length !== n || ma.length !== n || mb.length !== n)
      throw new RangeError('rep3m: share and MAC lengths differ');
  }
  get length(): number {
    return this.a.length / 2;
  }
}

/**
 * A check of the rep3m suite failed: some party deviated. Raised at every
 * honest party before any output of the batch is released. Carries no
 * secret values.
 */
export class Rep3mAbort extends ProtocolAbort {
  constructor(
    readonly check: CheckFailure,
    peer: number | undefined,
    peerId: string | undefined,
    detail: string,
  ) {
    super('aborted', peer, peerId, `rep3m ${check} failed: ${detail}`);
  }
}

/** The same failure, named for this suite (the checker is spdz2k's). */
function renamed(e: unknown): unknown {
  if (!(e instanceof Spdz2kAbort)) return e;
  const detail = e.message.replace(/^.*?spdz2k [a-z-]+ failed: /, '');
  return new Rep3mAbort(e.check, e.peer, e.peerId, detail);
}

export const REP3M_MODEL: ThreatModel = {
  adversary: 'malicious (active), security with abort; no fairness',
  threshold: '1 of 3 parties (honest majority)',
  leaks:
    'input sizes, vector lengths, control flow on revealed values, and whether the run aborted; not timing-hardened',
  references: [
    'Dalskov, Escudero, Keller. Secure Evaluation of Quantized Neural Networks. PoPETs 2020 (SPDZ-wise replicated sharing)',
    'Chida, Genkin, Hamada, Ikarashi, Kikuchi, Lindell, Nof. Fast Large-Scale Honest-Majority MPC for Malicious Adversaries. CRYPTO 2018',
    'Cramer, Damgard, Escudero, Scholl, Xing. SPDZ2k: Efficient MPC mod 2^k for Dishonest Majority. CRYPTO 2018 (MAC check)',
    'Araki, Furukawa, Lindell, Nof, Ohara. High-Throughput Semi-Honest Secure Three-Party Computation with an Honest Majority. CCS 2016',
    'Damgard, Escudero, Frederiksen, Keller, Scholl, Volgushev. New Primitives for Actively-Secure MPC over Rings. IEEE S&P 2019 (random bits)',
  ],
};

export interface Rep3mOptions {
  /** The explicit flag testOnlySkipMacCheck requires. */
  allowInsecure?: boolean;
  /**
   * TEST ONLY (needs allowInsecure): skip every MAC check, i.e. a broken
   * build; the malicious tests use it as their positive control.
   */
  testOnlySkipMacCheck?: boolean;
}

const W = 2 as const;

export class Rep3mSuite implements MacArithSuite<Rep3mShares> {
  readonly name = 'rep3m';
  readonly model = REP3M_MODEL;
  readonly capacity = 64;
  readonly compareCapacity = 64;
  readonly engine: Rep3mBits;
  readonly opts: Rep3mOptions;
  /** PRG on key k_i (shared with party i-1) and on k_{i+1} (shared with party i+1). */
  #prgA: Prg | undefined;
  #prgB: Prg | undefined;
  /** This party's components (alpha_i, alpha_{i+1}) of the MAC key, each < 2^64. */
  #alphaA = 0n;
  #alphaB = 0n;
  #coins: CoinFlip;
  #mac: MacChecker | undefined;
  #checkChain: Promise<void> = Promise.resolve();
  #failure: unknown;
  /** Authenticated random values made ahead for the synchronous `random`. */
  #pool: Rep3mShares | undefined;

  /** @throws {PreprocessingError} ('insecure-refused') for testOnlySkipMacCheck without allowInsecure. */
  constructor(
    readonly party: Party,
    opts: Rep3mOptions = {},
  ) {
    if (party.n !== 3) throw new RangeError(`rep3m: expected 3 parties, got ${party.n}`);
    checkInsecure(opts);
    this.opts = opts;
    this.#coins = new CoinFlip(party, 'rep3m.coin');
    this.engine = new Rep3mBits(this);
  }

  get next(): number {
    return (this.party.index + 1) % 3;
  }
  get prev(): number {
    return (this.party.index + 2) % 3;
  }

  get #checker(): MacChecker {
    if (!this.#mac) throw new Error('rep3m: setup() has not run');
    return this.#mac;
  }

  /** Opened values not yet checked (for tests and diagnostics). */
  get uncheckedOpenings(): number {
    return this.#checker.pendingCount;
  }

  /**
   * PRSS setup (party i draws k_i and sends it to party i-1, as rep3 does),
   * then the MAC key's components: the first draw of each key's stream.
   */
  async setup(): Promise<void> {
    const party = this.party;
    const k = randomSeed(party.crypto);
    const send: Array<Uint8Array | undefined> = [undefined, undefined, undefined];
    send[this.prev] = k;
    const got = await party.exchange({ op: 'rep3m.setup', send, recvFrom: [this.next] });
    const kNext = got[this.next];
    if (!kNext || kNext.length !== 16)
      throw new RangeError(
        `rep3m.setup: peer ${party.ids[this.next]!} sent a key of ${kNext?.length ?? 0} bytes, expected 16`,
      );
    this.#prgA = new Prg(k, party.crypto);
    this.#prgB = new Prg(kNext.slice(), party.crypto);
    this.#alphaA = this.#prgA.words(1)[0]!;
    this.#alphaB = this.#prgB.words(1)[0]!;
    this.#mac = new MacChecker({
      party,
      L: W,
      K: 64,
      alpha: this.#alphaA,
      coins: this.#coins,
      op: 'rep3m.check',
      skip: this.opts.testOnlySkipMacCheck === true,
    });
  }

  // ----- correlated randomness -----

  #prgs(): [Prg, Prg] {
    if (!this.#prgA || !this.#prgB) throw new Error('rep3m: setup() has not run');
    return [this.#prgA, this.#prgB];
  }

  /** n random replicated values (no MACs yet). */
  #prss(n: number): { a: BigUint64Array; b: BigUint64Array } {
    const [A, B] = this.#prgs();
    return { a: A.words(W * n), b: B.words(W * n) };
  }

  // ----- products -----

  /**
   * Replicated products of several pairs in one round: for each pair,
   * z_i = x_i (y_i + y_{i+1}) + x_{i+1} y_i + F(k_i) - F(k_{i+1}) (a zero
   * share; in WebAssembly where available, ./wasm.ts), then every
   * party sends its z_i to party i-1 and receives z_{i+1} from party i+1.
   * Pairs are (xa, xb, ya, yb); `groups` > 1 sums consecutive groups first.
   */
  async #products(
    pairs: ReadonlyArray<readonly [BigUint64Array, BigUint64Array, BigUint64Array, BigUint64Array]>,
    op: string,
    groups = 1,
  ): Promise<Array<[BigUint64Array, BigUint64Array]>> {
    const sizes = pairs.map(([xa]) => xa.length / groups);
    const total = sizes.reduce((s, k) => s + k, 0);
    const [A, B] = this.#prgs();
    const mine = new BigUint64Array(total);
    const k = kernels();
    let off = 0;
    pairs.forEach(([xa, xb, ya, yb], p) => {
      const len = sizes[p]!;
      const out = mine.subarray(off, off + len);
      // Each pair draws one zero share per product (before any grouping),
      // xa.length words from A and then from B, on either path: parties with
      // and without WebAssembly stay in step.
      const full = groups === 1 ? out : new BigUint64Array(xa.length);
      if (k) k.product(xa, xb, ya, yb, (za, zb) => (A.fill(za), B.fill(zb)), full);
      else {
        const zA = A.words(xa.length);
        const zB = B.words(xa.length);
        z.add(W, crossTerms(xa, xb, ya, yb), z.sub(W, zA, zB), full);
      }
      if (groups !== 1) out.set(z.sumGroups(W, full, groups));
      off += len;
    });
    const send: Array<Uint8Array | undefined> = [undefined, undefined, undefined];
    send[this.prev] = bytesOf(mine);
    const got = await this.party.exchange({ op, send, recvFrom: [this.next] });
    const theirs = wordsOf(got[this.next]!, total, this.next, this.party.ids[this.next]!);
    const out: Array<[BigUint64Array, BigUint64Array]> = [];
    off = 0;
    for (const len of sizes) {
      out.push([mine.subarray(off, off + len), theirs.subarray(off, off + len)]);
      off += len;
    }
    return out;
  }

  /** [alpha u] for replicated [u], by one product with the key's sharing. */
  async #authenticate(u: { a: BigUint64Array; b: BigUint64Array }, op: string) {
    const n = u.a.length / W;
    const [[ma, mb]] = (await this.#products(
      [[this.#keyVector(n, this.#alphaA), this.#keyVector(n, this.#alphaB), u.a, u.b]],
      op,
    )) as [[BigUint64Array, BigUint64Array]];
    return new Rep3mShares(u.a, u.b, ma, mb);
  }

  #keyVector(n: number, alpha: bigint): BigUint64Array {
    const v = new BigUint64Array(W * n);
    for (let i = 0; i < n; i++) v[W * i] = alpha;
    return v;
  }

  // ----- helpers -----

  /** [x] + c for public 128-bit c (2 limbs per element): component 0 carries c; the MAC gains alpha c. */
  #addConst(x: Rep3mShares, c: BigUint64Array): Rep3mShares {
    const i = this.party.index;
    return new Rep3mShares(
      i === 0 ? z.add(W, x.a, c) : x.a,
      i === 2 ? z.add(W, x.b, c) : x.b,
      z.add(W, x.ma, z.mulWord(W, c, this.#alphaA)),
      z.add(W, x.mb, z.mulWord(W, c, this.#alphaB)),
    );
  }

  #words(c: BigInt64Array | BigUint64Array, n: number): BigUint64Array {
    const w = new BigUint64Array(n);
    if (c.length === n) for (let i = 0; i < n; i++) w[i] = BigInt.asUintN(64, c[i]!);
    else if (c.length === 1) w.fill(BigInt.asUintN(64, c[0]!));
    else throw new RangeError(`rep3m: expected ${n} constants (or 1), got ${c.length}`);
    return w;
  }

  #map(x: Rep3mShares, f: (v: BigUint64Array) => BigUint64Array): Rep3mShares {
    return new Rep3mShares(f(x.a), f(x.b), f(x.ma), f(x.mb));
  }

  #zip(
    x: Rep3mShares,
    y: Rep3mShares,
    f: (u: BigUint64Array, v: BigUint64Array) => BigUint64Array,
  ): Rep3mShares {
    if (x.length !== y.length)
      throw new RangeError(`rep3m: lengths differ (${x.length} and ${y.length})`);
    return new Rep3mShares(f(x.a, y.a), f(x.b, y.b), f(x.ma, y.ma), f(x.mb, y.mb));
  }

  // ----- local operations -----

  constant(values: BigInt64Array): Rep3mShares {
    const n = values.length;
    const e = () => z.zeros(W, n);
    return this.#addConst(new Rep3mShares(e(), e(), e(), e()), z.lift(W, this.#words(values, n)));
  }
  add(x: Rep3mShares, y: Rep3mShares): Rep3mShares {
    return this.#zip(x, y, (u, v) => z.add(W, u, v));
  }
  sub(x: Rep3mShares, y: Rep3mShares): Rep3mShares {
    return this.#zip(x, y, (u, v) => z.sub(W, u, v));
  }
  neg(x: Rep3mShares): Rep3mShares {
    return this.#map(x, (v) => z.neg(W, v));
  }
  addPublic(x: Rep3mShares, c: BigInt64Array): Rep3mShares {
    if (c.length === 1 && x.length !== 1) return this.#addBroadcast(x, BigInt.asUintN(64, c[0]!));
    return this.#addConst(x, z.lift(W, this.#words(c, x.length)));
  }

  /** [x] + c for one public word c (the MAC terms alpha_i c computed once). */
  #addBroadcast(x: Rep3mShares, c: bigint): Rep3mShares {
    const i = this.party.index;
    const one = (v: BigUint64Array, lo: bigint, hi: bigint) => {
      const out = new BigUint64Array(v.length);
      for (let e = 0; e < v.length; e += 2) {
        const l = BigInt.asUintN(64, v[e]! + lo);
        out[e + 1] = v[e + 1]! + hi + (l < lo ? 1n : 0n);
        out[e] = l;
      }
      return out;
    };
    const ma = z.mulWord(W, word128(c), this.#alphaA);
    const mb = z.mulWord(W, word128(c), this.#alphaB);
    return new Rep3mShares(
      i === 0 ? one(x.a, c, 0n) : x.a,
      i === 2 ? one(x.b, c, 0n) : x.b,
      one(x.ma, ma[0]!, ma[1]!),
      one(x.mb, mb[0]!, mb[1]!),
    );
  }

  /**
   * Per element: 1 - x where flip is 1, x where it is 0 (XOR with public
   * bits), in one pass: 1 - x = (the sharing of 1) - x on every component.
   */
  flipWhere(flip: BigUint64Array, x: Rep3mShares): Rep3mShares {
    const i = this.party.index;
    const f = (v: BigUint64Array, c: bigint) => {
      const out = v.slice();
      for (let e = 0; e < flip.length; e++) {
        if (flip[e] !== 1n) continue;
        const v0 = v[W * e]!;
        out[W * e] = BigInt.asUintN(64, c - v0);
        out[W * e + 1] = 0n - v[W * e + 1]! - (c < v0 ? 1n : 0n);
      }
      return out;
    };
    return new Rep3mShares(
      f(x.a, i === 0 ? 1n : 0n),
      f(x.b, i === 2 ? 1n : 0n),
      f(x.ma, this.#alphaA),
      f(x.mb, this.#alphaB),
    );
  }
  mulPublic(x: Rep3mShares, c: BigInt64Array): Rep3mShares {
    const w = this.#words(c, x.length);
    return this.#map(x, (v) => z.mulWords(W, v, w));
  }
  mulScalar(x: Rep3mShares, c: bigint): Rep3mShares {
    const w = BigInt.asUintN(64, c);
    return this.#map(x, (v) => z.mulWord(W, v, w));
  }
  gather(x: Rep3mShares, idx: Uint32Array): Rep3mShares {
    return this.#map(x, (v) => z.gather(W, v, idx));
  }
  concat(parts: readonly Rep3mShares[]): Rep3mShares {
    const join = (get: (p: Rep3mShares) => BigUint64Array) => {
      let n = 0;
      for (const p of parts) n += get(p).length;
      const out = new BigUint64Array(n);
      let off = 0;
      for (const p of parts) {
        out.set(get(p), off);
        off += get(p).length;
      }
      return out;
    };
    return new Rep3mShares(
      join((p) => p.a),
      join((p) => p.b),
      join((p) => p.ma),
      join((p) => p.mb),
    );
  }
  /** Elements [from, to) as views (no copy; shares are never changed in place). */
  slice(x: Rep3mShares, from: number, to: number): Rep3mShares {
    return this.#map(x, (v) => v.subarray(W * from, W * to));
  }

  /** Per element: `one` where pick is 1, else `zero` (a zero sharing if undefined). Local. */
  choose(pick: BigUint64Array, one: Rep3mShares, zero: Rep3mShares | undefined): Rep3mShares {
    const n = pick.length;
    const sel = (u: BigUint64Array, v: BigUint64Array | undefined) => {
      const out = new BigUint64Array(W * n);
      for (let i = 0; i < n; i++) {
        const src = pick[i] === 1n ? u : v;
        if (src) {
          out[W * i] = src[W * i]!;
          out[W * i + 1] = src[W * i + 1]!;
        }
      }
      return out;
    };
    return new Rep3mShares(
      sel(one.a, zero?.a),
      sel(one.b, zero?.b),
      sel(one.ma, zero?.ma),
      sel(one.mb, zero?.mb),
    );
  }

  sumGroups(x: Rep3mShares, m: number): Rep3mShares {
    return this.#map(x, (v) => z.sumGroups(W, v, m));
  }

  /**
   * Authenticated random values made earlier by `fillRandomPool`.
   * Synchronous by the contract, so it cannot authenticate (a product):
   * protocols use randomShares; the API never calls this.
   * @throws {PreprocessingError} ('exhausted') when the pool is short.
   */
  random(n: number): Rep3mShares {
    const p = this.#pool;
    if (!p || p.length < n)
      throw new PreprocessingError(
        'exhausted',
        `rep3m.random: ${n} authenticated random values requested, ${p?.length ?? 0} made ahead (call fillRandomPool first)`,
      );
    const take = (v: BigUint64Array) => v.slice(0, W * n);
    const rest = (v: BigUint64Array) => v.slice(W * n);
    this.#pool = new Rep3mShares(rest(p.a), rest(p.b), rest(p.ma), rest(p.mb));
    return new Rep3mShares(take(p.a), take(p.b), take(p.ma), take(p.mb));
  }

  /** Makes n authenticated random values for `random` (one round). */
  async fillRandomPool(n: number): Promise<void> {
    const r = await this.randomShares(n);
    this.#pool = this.#pool ? this.concat([this.#pool, r]) : r;
  }

  // ----- interactive operations -----

  /** n authenticated uniform values: PRSS components, and their MACs by one product. */
  randomShares(n: number): Promise<Rep3mShares> {
    return this.#authenticate(this.#prss(n), 'rep3m.rand');
  }

  /**
   * n random values [r] that party `owner` (o) knows: component o from key
   * k_o (held by o and o-1), component o+1 from key k_{o+1} (held by o and
   * o+1), component o+2 = 0; authenticated by one product. Returns the
   * owner's r mod 2^64 at the owner.
   */
  async #masks(owner: number, n: number): Promise<{ r: Rep3mShares; clear?: BigUint64Array }> {
    const [A, B] = this.#prgs();
    const me = this.party.index;
    let u: { a: BigUint64Array; b: BigUint64Array };
    if (me === owner) u = { a: A.words(W * n), b: B.words(W * n) };
    else if (me === (owner + 1) % 3) u = { a: A.words(W * n), b: z.zeros(W, n) };
    else u = { a: z.zeros(W, n), b: B.words(W * n) };
    const r = await this.#authenticate(u, 'rep3m.inmask');
    if (me !== owner) return { r };
    return { r, clear: z.low(W, z.add(W, u.a, u.b)) };
  }

  /**
   * Input with a mask [r] known to the owner: the owner sends x - r mod 2^64
   * to both other parties, and [x] = [r] + (x - r). The public difference
   * enters the transcript compared at the next MAC check, so an owner cannot
   * send different values to the two parties.
   * @throws {RangeError} at the owner unless it passes n values.
   */
  async input(owner: number, values: BigInt64Array | undefined, n: number): Promise<Rep3mShares> {
    const party = this.party;
    const me = party.index;
    if (!Number.isInteger(owner) || owner < 0 || owner > 2)
      throw new RangeError(`rep3m.input: no party ${owner}`);
    if (me === owner && (!values || values.length !== n))
      throw new RangeError(`rep3m.input: expected ${n} values, got ${values?.length ?? 'none'}`);
    party.stats.count('input', n);
    const { r, clear } = await this.#masks(owner, n);
    const send: Array<Uint8Array | undefined> = [undefined, undefined, undefined];
    let delta: BigUint64Array;
    if (me === owner) {
      delta = new BigUint64Array(n);
      for (let i = 0; i < n; i++) delta[i] = BigInt.asUintN(64, values![i]!) - clear![i]!;
      send[this.next] = bytesOf(delta);
      send[this.prev] = bytesOf(delta);
      await party.exchange({ op: 'rep3m.input', send, recvFrom: [] });
    } else {
      const got = await party.exchange({ op: 'rep3m.input', send, recvFrom: [owner] });
      delta = wordsOf(got[owner] ?? new Uint8Array(0), n, owner, party.ids[owner]!);
    }
    this.#checker.addToTranscript(delta);
    return this.#addConst(r, z.lift(W, delta));
  }

  async mul(x: Rep3mShares, y: Rep3mShares): Promise<Rep3mShares> {
    if (x.length !== y.length)
      throw new RangeError(`rep3m.mul: lengths differ (${x.length} and ${y.length})`);
    this.party.stats.count('mul', x.length);
    return this.#mul(x, y, 'rep3m.mul');
  }

  /** x y and (alpha x) y in one round. */
  async #mul(x: Rep3mShares, y: Rep3mShares, op: string): Promise<Rep3mShares> {
    const [[a, b], [ma, mb]] = (await this.#products(
      [
        [x.a, x.b, y.a, y.b],
        [x.ma, x.mb, y.a, y.b],
      ],
      op,
    )) as [[BigUint64Array, BigUint64Array], [BigUint64Array, BigUint64Array]];
    return new Rep3mShares(a, b, ma, mb);
  }

  /** Inner products: the local cross terms are summed per group before the one reshare. */
  async dot(x: Rep3mShares, y: Rep3mShares, m: number): Promise<Rep3mShares> {
    if (x.length !== y.length)
      throw new RangeError(`rep3m.dot: lengths differ (${x.length} and ${y.length})`);
    if (m <= 0 || x.length % m !== 0)
      throw new RangeError(`rep3m.dot: length ${x.length} is not a multiple of ${m}`);
    this.party.stats.count('dot', x.length);
    const [[a, b], [ma, mb]] = (await this.#products(
      [
        [x.a, x.b, y.a, y.b],
        [x.ma, x.mb, y.a, y.b],
      ],
      'rep3m.dot',
      m,
    )) as [[BigUint64Array, BigUint64Array], [BigUint64Array, BigUint64Array]];
    return new Rep3mShares(a, b, ma, mb);
  }

  /**
   * Opens mod 2^64 to every party and records the values for the next MAC
   * check (inside protocols; nothing here is an output): party i sends the
   * low limb of x_i to party i+1, which lacks it.
   */
  async openUnchecked(x: Rep3mShares, op = 'rep3m.open'): Promise<BigUint64Array> {
    const n = x.length;
    const lo = z.low(W, x.a);
    const send: Array<Uint8Array | undefined> = [undefined, undefined, undefined];
    send[this.next] = bytesOf(lo);
    const got = await this.party.exchange({ op, send, recvFrom: [this.prev] });
    const missing = wordsOf(
      got[this.prev] ?? new Uint8Array(0),
      n,
      this.prev,
      this.party.ids[this.prev]!,
    );
    const y = new BigUint64Array(n);
    const b = x.b;
    for (let i = 0; i < n; i++) y[i] = lo[i]! + b[W * i]! + missing[i]!;
    this.#checker.record(z.lift(W, y), x.a, x.ma);
    return y;
  }

  /**
   * Checks every value opened so far (one check covers everything recorded
   * when it starts; checks run one after another; after a failure every
   * later check fails too).
   * @throws {Rep3mAbort} if any party cheated.
   */
  verify(): Promise<void> {
    const run = this.#checkChain.then(async () => {
      if (this.#failure) throw this.#failure;
      try {
        const r = await this.randomShares(1);
        await this.#checker.check(r.a, r.ma);
      } catch (e) {
        const err = renamed(e);
        if (err instanceof Rep3mAbort) this.#failure = err;
        throw err;
      }
    });
    this.#checkChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Opens to the parties in `to`, after a MAC check of everything opened so
   * far, this value included. To everyone: the value itself. To a subset:
   * x - r is opened for a mask r of each recipient, who adds r back.
   */
  async open(x: Rep3mShares, to: readonly number[]): Promise<bigint[] | undefined> {
    for (const j of to)
      if (!Number.isInteger(j) || j < 0 || j > 2) throw new RangeError(`rep3m.open: no party ${j}`);
    const set = [...new Set(to)].sort((p, q) => p - q);
    const me = this.party.index;
    let mine: BigUint64Array | undefined;
    if (set.length === 3) {
      mine = await this.openUnchecked(x, 'rep3m.output');
    } else {
      const opened = await Promise.all(
        set.map(async (j) => {
          const { r, clear } = await this.#masks(j, x.length);
          const v = await this.openUnchecked(this.sub(x, r), 'rep3m.output');
          return { j, v, clear };
        }),
      );
      const own = opened.find((o) => o.j === me);
      if (own) {
        mine = new BigUint64Array(x.length);
        for (let i = 0; i < x.length; i++) mine[i] = own.v[i]! + own.clear![i]!;
      }
    }
    // Fail closed: nothing is returned before the check passed.
    await this.verify();
    if (!mine) return undefined;
    return Array.from(mine, (w) => BigInt.asIntN(64, w));
  }

  async trunc(x: Rep3mShares, m: number, bound: number): Promise<Rep3mShares> {
    checkBound(this, 'trunc', bound);
    this.party.stats.count('trunc', x.length);
    return trunc(this.engine, x, m, bound);
  }
  async ltz(x: Rep3mShares, bound: number): Promise<Rep3mShares> {
    checkBound(this, 'ltz', bound);
    this.party.stats.count('ltz', x.length);
    if (x.length === 0) return x;
    if (bound === 1) return this.neg(x);
    return ltz(this.engine, x, bound);
  }
  async eqz(x: Rep3mShares, bound: number): Promise<Rep3mShares> {
    checkBound(this, 'eqz', bound);
    this.party.stats.count('eqz', x.length);
    if (x.length === 0) return x;
    if (bound === 1) return this.addPublic(x, BigInt64Array.of(1n));
    return eqz(this.engine, x, bound);
  }
  async bits(x: Rep3mShares, bits: number): Promise<Rep3mShares> {
    checkBound(this, 'bits', bits);
    this.party.stats.count('bits', x.length);
    if (x.length === 0) return x;
    return bitsOf(this.engine, x, bits);
  }
  async randomBits(n: number): Promise<Rep3mShares> {
    if (!Number.isInteger(n) || n < 0)
      throw new RangeError(`rep3m.randomBits: count must be a non-negative integer, got ${n}`);
    this.party.stats.count('randomBits', n);
    return this.randomBitShares(n);
  }

  // ----- random bits from squares -----

  /**
   * n random bits (Damgard et al. 2019, section 4.1): a = 2u + 1 for a
   * random authenticated [u]; [a^2] by one replicated product; a^2 opened
   * mod 2^66 and MAC-checked there (two bits above k, so that a square root
   * c mod 2^64 of the right residue class exists); then
   * b = u c^-1 + (c^-1 + 1) / 2, linear in [u] (its MAC follows), with
   * c^-1 = s^(-1/2) from one Newton iteration (invSqrt2k).
   */
  async randomBitShares(n: number): Promise<Rep3mShares> {
    if (n === 0) {
      const e = () => new BigUint64Array(0);
      return new Rep3mShares(e(), e(), e(), e());
    }
    const u = await this.randomShares(n);
    const a = this.addPublic(this.add(u, u), BigInt64Array.of(1n));
    const sq = await this.#mul(a, a, 'rep3m.bits.mul');
    const checker = new MacChecker({
      party: this.party,
      L: W,
      K: 66,
      alpha: this.#alphaA,
      coins: this.#coins,
      op: 'rep3m.bits.check',
      skip: this.opts.testOnlySkipMacCheck === true,
    });
    const S = await this.#open66(sq, checker);
    const mask = await this.randomShares(1);
    try {
      await checker.check(mask.a, mask.ma);
    } catch (e) {
      // Fail closed here too: no later output is released after a failed check.
      const err = renamed(e);
      if (err instanceof Rep3mAbort) this.#failure = err;
      throw err;
    }
    // Only values mod 2^64 matter (upper bits of x' are arbitrary, as in
    // SPDZ2k), so u c^-1 needs c^-1 mod 2^64 only (a word: a cheaper
    // product), and (c^-1 + 1) / 2 mod 2^64 needs c^-1 mod 2^65.
    const inv = new BigUint64Array(n);
    const half = new BigUint64Array(W * n);
    for (let i = 0; i < n; i++)
      if ((S[W * i]! & 7n) !== 1n)
        throw (this.#failure = new Rep3mAbort(
          'mac-check',
          undefined,
          undefined,
          'an opened square is not an odd square',
        ));
    const k = kernels();
    const T = k?.invSqrt(S);
    for (let i = 0; i < n; i++) {
      // c^-1 mod 2^65 (the kernel's t is right to 127 bits; BigInt without it).
      const ci = T ? T[W * i]! | ((T[W * i + 1]! & 1n) << 64n) : invSqrt2k(z.toBig(W, S, i), 66);
      const h = (ci + 1n) >> 1n;
      inv[i] = BigInt.asUintN(64, ci);
      half[W * i] = BigInt.asUintN(64, h);
      half[W * i + 1] = h >> 64n;
    }
    return this.#addConst(this.mulPublic(u, new BigInt64Array(inv.buffer)), half);
  }

  /** Opens mod 2^66 (2 limbs per element, the upper one masked to 2 bits), recorded in `checker`. */
  async #open66(x: Rep3mShares, checker: MacChecker): Promise<BigUint64Array> {
    const n = x.length;
    const mine = x.a.slice();
    for (let i = 0; i < n; i++) mine[W * i + 1] = mine[W * i + 1]! & 3n;
    const send: Array<Uint8Array | undefined> = [undefined, undefined, undefined];
    send[this.next] = bytesOf(mine);
    const got = await this.party.exchange({
      op: 'rep3m.bits.square',
      send,
      recvFrom: [this.prev],
    });
    const missing = wordsOf(
      got[this.prev] ?? new Uint8Array(0),
      W * n,
      this.prev,
      this.party.ids[this.prev]!,
    );
    const y = z.add(W, z.add(W, x.a, x.b), missing);
    for (let i = 0; i < n; i++) y[W * i + 1] = y[W * i + 1]! & 3n;
    checker.record(y, x.a, x.ma);
    return y;
  }
}

/**
 * t = s^(-1/2) mod 2^k for s = 1 mod 8 (an odd square): 2-adic Newton,
 * t <- t (3 - s t^2) / 2, exact before the halving. For a square root c of
 * s, c = s t, and c^-1 = t (c t = s t^2 = 1), so this is the inverse of a
 * square root without a second Newton iteration.
 */
export function invSqrt2k(s: bigint, k: number): bigint {
  const K = k + 2;
  let t = 1n;
  for (let bits = 3; bits < K + 2; bits = 2 * bits - 1)
    t = BigInt.asUintN(K, (t * (3n - s * t * t)) >> 1n);
  return BigInt.asUintN(k, t);
}

let shared: Rep3mKernels | null | undefined;
/** The WebAssembly kernel (one instance, created on first use), or undefined without WebAssembly. */
function kernels(): Rep3mKernels | undefined {
  shared ??= Rep3mKernels.create() ?? null;
  return shared ?? undefined;
}

/** One word as a 2-limb element. */
function word128(c: bigint): BigUint64Array {
  return BigUint64Array.of(c, 0n);
}

function bytesOf(v: BigUint64Array): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function checkInsecure(opts: Rep3mOptions): void {
  if (opts.testOnlySkipMacCheck && opts.allowInsecure !== true)
    throw new PreprocessingError(
      'insecure-refused',
      'testOnlySkipMacCheck disables malicious security; it needs allowInsecure: true (tests only)',
    );
}

/**
 * A rep3m factory with options.
 * @throws {PreprocessingError} ('insecure-refused') for testOnlySkipMacCheck without allowInsecure.
 */
export function rep3mFactory(opts: Rep3mOptions = {}): SuiteFactory {
  checkInsecure(opts);
  return {
    name: 'rep3m',
    minParties: 3,
    maxParties: 3,
    create: (party) => new Rep3mSuite(party, opts),
  };
}

/** The registered suite. */
export const rep3mSuite: SuiteFactory = rep3mFactory();
