/**
 * The semi2k suite: n >= 2 parties, additive secret sharing over Z_2^64,
 * Beaver multiplication with triples made by OT (no trusted party).
 *
 * Security: semi-honest (passive) adversary corrupting up to n - 1 of the n
 * parties (dishonest majority), over authenticated private channels. Leaks
 * nothing beyond the outputs and the public sizes and control flow. A party
 * that deviates can make outputs wrong without being detected: use spdz2k for
 * malicious security.
 *
 * Protocols: x = sum_i x_i; inputs are shared without messages (non-owners
 * take pseudo-random shares from a seed pairwise shared with the owner);
 * multiplication by Beaver's method (Beaver, CRYPTO 1991) with triples from
 * Gilboa's OT-based multiplication (CRYPTO 1999) over IKNP OT extension
 * (gen.ts); comparisons, equality, bit decomposition and truncation by
 * mask-and-open with daBits (Rotaru, Wood 2019) and boolean circuits on
 * XOR-shared bits (mixed.ts, boolean.ts, after Escudero, Ghosh, Keller,
 * Rachuri, Scholl, CRYPTO 2020).
 *
 * Preprocessing: triples, boolean triples and daBits come from a store bound
 * to the session (material.ts). They can be produced ahead of the inputs
 * (`preprocess(counts)`, or the factory's `plan`), counted in advance
 * (cost.ts), exported and imported once; or generated on demand in batches.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import * as ring from '../../arith/ring64.js';
import { ProtocolAbort } from '../../runtime/errors.js';
import type { Party } from '../../runtime/party.js';
import { dealerPrg, INSECURE_DEALER_REFUSED, InsecureSemi2kDealer } from '../dealer/dealer.js';
import {
  checkBound,
  type Shares,
  type Suite,
  type SuiteFactory,
  type ThreatModel,
} from '../suite.js';
import { broadcast, concatWords, gatherWords, wordsOf } from '../vectors.js';
import { Semi2kBits } from './boolean.js';
import { bitTriples, bytesOf, daBits, gilboaTriples, others } from './gen.js';
import {
  MaterialStore,
  MemorySpentRegistry,
  PreprocessingError,
  type Batch,
  type Counts,
  type KindLayout,
  type SpentRegistry,
} from './material.js';
import { bitsOf, eqz, ltz, trunc } from './mixed.js';
import { OtMesh, Pairwise } from './pairwise.js';

/** This party's additive share x_i of each element. */
export class Semi2kShares implements Shares {
  constructor(readonly v: BigUint64Array) {}
  get length(): number {
    return this.v.length;
  }
}

export const SEMI2K_MODEL: ThreatModel = {
  adversary: 'semi-honest (passive)',
  threshold: 'up to n-1 of n parties (dishonest majority)',
  leaks:
    'input sizes, vector lengths, and control flow on revealed values; not timing-hardened; a deviating party can corrupt outputs undetected',
  references: [
    'Beaver. Efficient Multiparty Protocols Using Circuit Randomization. CRYPTO 1991',
    'Gilboa. Two Party RSA Key Generation. CRYPTO 1999',
    'Ishai, Kilian, Nissim, Petrank. Extending Oblivious Transfers Efficiently. CRYPTO 2003',
    'Rotaru, Wood. MArBled Circuits: Mixing Arithmetic and Boolean Circuits with Active Security. INDOCRYPT 2019 (daBits)',
    'Escudero, Ghosh, Keller, Rachuri, Scholl. Improved Primitives for MPC over Mixed Arithmetic-Binary Circuits. CRYPTO 2020',
  ],
};

export const SEMI2K_LAYOUTS: Readonly<Record<string, KindLayout>> = {
  triple: { a: ['u64', 1], b: ['u64', 1], c: ['u64', 1] },
  bitTriple: { a: ['u64', 1], b: ['u64', 1], c: ['u64', 1] },
  daBit: { arith: ['u64', 1], bool: ['u8', 1] },
};

/** Smallest batch generated on demand, by kind (amortises the OT rounds). */
const MIN_BATCH: Readonly<Record<string, number>> = { triple: 1024, bitTriple: 64, daBit: 4096 };

export interface Semi2kOptions {
  /**
   * Where material comes from: 'ot' (default, secure) or 'insecureDealer'
   * (every party sees every share; tests and benchmarks only, and only with
   * `allowInsecureDealer: true`).
   */
  preprocessing?: 'ot' | 'insecureDealer';
  /** The explicit test/bench flag that insecureDealer requires. */
  allowInsecureDealer?: boolean;
  /** Material to generate during setup, before the program (and its inputs) start. */
  plan?: Counts;
  /** Running out of material is an error instead of generating on demand. */
  strict?: boolean;
  /**
   * A stable session id (from the deployment) that material is bound to, so a
   * bundle exported by one run can be imported by a later run of the same
   * session. Default: a fresh tag per run (material cannot leave the run).
   */
  sessionId?: string;
  /** A bundle exported earlier by this party (or a function giving each party its own) to import at setup. */
  bundle?: Uint8Array | ((party: Party) => Uint8Array);
  /** Where imported bundle ids are recorded (refuses a second import). */
  registry?: SpentRegistry;
}

export class Semi2kSuite implements Suite<Semi2kShares> {
  readonly name: string = 'semi2k';
  readonly model = SEMI2K_MODEL;
  readonly capacity = 64;
  readonly compareCapacity = 64;
  readonly opts: Semi2kOptions;
  /**
   * The suite on another channel: pairwise keys and preprocessing of its own
   * (generated there by OT, or by the dealer in insecureDealer mode).
   * Undefined with a bundle, a plan or strict material (see the constructor).
   */
  readonly fork: ((party: Party) => Promise<Semi2kSuite>) | undefined;
  readonly engine: Semi2kBits;
  #pairwise: Pairwise | undefined;
  #mesh: OtMesh;
  #store: MaterialStore | undefined;
  #dealer: InsecureSemi2kDealer | undefined;
  #exports = 0;
  #genQueue: Promise<unknown> = Promise.resolve();

  /** @throws {PreprocessingError} ('insecure-refused') for insecureDealer without the flag. */
  constructor(
    readonly party: Party,
    opts: Semi2kOptions = {},
  ) {
    if (party.n < 2) throw new RangeError(`semi2k: expected at least 2 parties, got ${party.n}`);
    if (opts.preprocessing === 'insecureDealer' && opts.allowInsecureDealer !== true)
      throw new PreprocessingError('insecure-refused', INSECURE_DEALER_REFUSED);
    this.opts = opts;
    // A session on a bundle, a plan or strict material keeps to its own
    // material: its forks would generate theirs online, so it does not fork.
    this.fork =
      opts.bundle || opts.plan || opts.strict
        ? undefined
        : async (p: Party) => {
            const s = new Semi2kSuite(p, opts);
            await s.setup();
            return s;
          };
    this.#mesh = new OtMesh(party, false);
    this.engine = new Semi2kBits(this);
  }

  get store(): MaterialStore {
    if (!this.#store) throw new Error('semi2k: setup() has not run');
    return this.#store;
  }

  get pairwise(): Pairwise {
    if (!this.#pairwise) throw new Error('semi2k: setup() has not run');
    return this.#pairwise;
  }

  /**
   * Pairwise seeds and the session tag (one round); the dealer's seed in
   * insecureDealer mode (one round); then the bundle and plan, if any.
   */
  async setup(): Promise<void> {
    this.#pairwise = await Pairwise.setup(this.party, 'semi2k.setup');
    const tag =
      this.opts.sessionId !== undefined
        ? hex(
            sha256(
              new TextEncoder().encode(
                `semi2k\u0000${this.opts.sessionId}\u0000${this.party.ids.join('\u0000')}`,
              ),
            ),
          )
        : this.#pairwise.sessionTag;
    this.#store = new MaterialStore('semi2k', tag, this.party.index, SEMI2K_LAYOUTS, {
      strict: false,
    });
    if (this.opts.preprocessing === 'insecureDealer') {
      const prg = await dealerPrg(this.party, 'semi2k.dealer');
      this.#dealer = new InsecureSemi2kDealer(prg, this.party.n, this.party.index);
    }
    if (this.opts.bundle) {
      const bytes =
        typeof this.opts.bundle === 'function' ? this.opts.bundle(this.party) : this.opts.bundle;
      const id = this.#store.importBundle(bytes, this.opts.registry ?? new MemorySpentRegistry());
      await this.#agreeOn(id, 'semi2k.bundle');
    }
    if (this.opts.plan) await this.preprocess(this.opts.plan);
    this.#store.strict = this.opts.strict ?? false;
  }

  /** Checks that every party imported the same bundle. */
  async #agreeOn(id: string, op: string): Promise<void> {
    const h = sha256(new TextEncoder().encode(id));
    const peers = others(this.party);
    const send: Array<Uint8Array | undefined> = new Array(this.party.n);
    for (const j of peers) send[j] = h;
    const got = await this.party.exchange({ op, send, recvFrom: peers });
    for (const j of peers) {
      const g = got[j];
      if (!g || g.length !== 32 || g.some((x, k) => x !== h[k]))
        throw new ProtocolAbort(
          'divergence',
          j,
          this.party.ids[j],
          `${op}: peer imported another bundle`,
        );
    }
  }

  /**
   * Generates material ahead (e.g. the counts a dry run reported, see cost.ts),
   * so the online phase only consumes it. Every party calls it with the same counts.
   */
  async preprocess(counts: Counts): Promise<void> {
    for (const kind of Object.keys(SEMI2K_LAYOUTS)) {
      const k = counts[kind] ?? 0;
      if (k > 0) this.store.put(kind, await this.#generate(kind, k));
    }
  }

  /**
   * Serialises and removes all remaining material, bound to this session;
   * a later run with the same `sessionId` can import it once.
   */
  exportMaterial(): Uint8Array {
    const id = hex(
      sha256(new TextEncoder().encode(`${this.pairwise.sessionTag}/${this.#exports++}`)),
    );
    return this.store.exportBundle(id);
  }

  /**
   * Generation runs one batch at a time, in call order (the same at every
   * party): an OT extension instance works in buffers that a concurrent
   * batch on the same instance would overwrite.
   */
  #generate(kind: string, count: number): Promise<Batch> {
    const run = this.#genQueue.then(() => this.#generateNow(kind, count));
    this.#genQueue = run.catch(() => undefined);
    return run;
  }

  async #generateNow(kind: string, count: number): Promise<Batch> {
    const d = this.#dealer;
    const ctx = { party: this.party, mesh: this.#mesh };
    switch (kind) {
      case 'triple': {
        const t = d ? d.arithTriples(count) : await gilboaTriples(ctx, count);
        return { count, cols: { a: t.a, b: t.b, c: t.c } };
      }
      case 'bitTriple': {
        const t = d ? d.bitTriples(count) : await bitTriples(ctx, count);
        return { count, cols: { a: t.a, b: t.b, c: t.c } };
      }
      case 'daBit': {
        const t = d ? d.daBits(count) : await daBits(ctx, count);
        return { count, cols: { arith: t.arith, bool: t.bool } };
      }
      default:
        throw new RangeError(`semi2k: unknown material kind '${kind}'`);
    }
  }

  #take(kind: string, n: number): Promise<Batch> {
    return this.store.take(kind, n, (k) => this.#generate(kind, k), MIN_BATCH[kind] ?? 0);
  }

  takeDaBits(n: number): Promise<Batch> {
    return this.#take('daBit', n);
  }
  takeBitTriples(words: number): Promise<Batch> {
    return this.#take('bitTriple', words);
  }

  wrap(v: BigUint64Array): Semi2kShares {
    return new Semi2kShares(v);
  }

  // ----- local operations -----

  constant(values: BigInt64Array): Semi2kShares {
    return new Semi2kShares(
      this.party.index === 0 ? ring.fromSigned(values).slice() : new BigUint64Array(values.length),
    );
  }
  add(a: Semi2kShares, b: Semi2kShares): Semi2kShares {
    return new Semi2kShares(ring.add(a.v, b.v));
  }
  sub(a: Semi2kShares, b: Semi2kShares): Semi2kShares {
    return new Semi2kShares(ring.sub(a.v, b.v));
  }
  neg(a: Semi2kShares): Semi2kShares {
    return new Semi2kShares(ring.neg(a.v));
  }
  addPublic(a: Semi2kShares, c: BigInt64Array): Semi2kShares {
    if (this.party.index !== 0) return new Semi2kShares(a.v.slice());
    return new Semi2kShares(ring.add(a.v, broadcast(c, a.length)));
  }
  mulPublic(a: Semi2kShares, c: BigInt64Array): Semi2kShares {
    return new Semi2kShares(ring.mul(a.v, broadcast(c, a.length)));
  }
  mulScalar(a: Semi2kShares, c: bigint): Semi2kShares {
    return new Semi2kShares(ring.mulScalar(a.v, c));
  }
  gather(a: Semi2kShares, idx: Uint32Array): Semi2kShares {
    return new Semi2kShares(gatherWords(a.v, idx));
  }
  concat(parts: readonly Semi2kShares[]): Semi2kShares {
    return new Semi2kShares(concatWords(parts.map((p) => p.v)));
  }
  sumGroups(a: Semi2kShares, m: number): Semi2kShares {
    return new Semi2kShares(ring.sumGroups(a.v, m));
  }
  /** Each party's share from its private PRG: uniform if one party is honest. */
  random(n: number): Semi2kShares {
    return new Semi2kShares(this.party.prg.words(n));
  }

  // ----- interactive operations -----

  /**
   * Shares values of `owner` without messages: party j != owner takes n words
   * of the stream it shares with the owner; the owner keeps x - sum of those.
   * @throws {RangeError} at the owner unless it passes n values.
   */
  async input(owner: number, values: BigInt64Array | undefined, n: number): Promise<Semi2kShares> {
    const me = this.party.index;
    if (me === owner && (!values || values.length !== n))
      throw new RangeError(`semi2k.input: expected ${n} values, got ${values?.length ?? 'none'}`);
    this.party.stats.count('input', n);
    if (me !== owner) return new Semi2kShares(this.pairwise.prg(owner, 'input').words(n));
    const x = ring.fromSigned(values!).slice();
    for (const j of others(this.party)) ring.sub(x, this.pairwise.prg(j, 'input').words(n), x);
    return new Semi2kShares(x);
  }

  /**
   * Beaver: open d = x - a and e = y - b (one round, 2 (n-1) words per
   * element sent by each party), then z = c + d b + e a + d e (the last term
   * at party 0).
   */
  async mul(x: Semi2kShares, y: Semi2kShares): Promise<Semi2kShares> {
    if (x.length !== y.length)
      throw new RangeError(`semi2k.mul: lengths differ (${x.length} and ${y.length})`);
    this.party.stats.count('mul', x.length);
    return this.#beaver(x, y, 'semi2k.mul');
  }

  async #beaver(x: Semi2kShares, y: Semi2kShares, op: string): Promise<Semi2kShares> {
    const n = x.length;
    const t = await this.#take('triple', n);
    const a = t.cols.a as BigUint64Array;
    const b = t.cols.b as BigUint64Array;
    const c = t.cols.c as BigUint64Array;
    const de = new BigUint64Array(2 * n);
    for (let i = 0; i < n; i++) {
      de[i] = x.v[i]! - a[i]!;
      de[n + i] = y.v[i]! - b[i]!;
    }
    const DE = await this.#openSum(de, op);
    const z = new BigUint64Array(n);
    const first = this.party.index === 0;
    for (let i = 0; i < n; i++) {
      const d = DE[i]!;
      const e = DE[n + i]!;
      z[i] = c[i]! + d * b[i]!;
      z[i] = z[i]! + e * a[i]!;
      if (first) z[i] = z[i]! + d * e;
    }
    return new Semi2kShares(z);
  }

  /** Inner products of groups of m: Beaver products of all elements, summed per group. */
  async dot(x: Semi2kShares, y: Semi2kShares, m: number): Promise<Semi2kShares> {
    if (x.length !== y.length)
      throw new RangeError(`semi2k.dot: lengths differ (${x.length} and ${y.length})`);
    if (m <= 0 || x.length % m !== 0)
      throw new RangeError(`semi2k.dot: length ${x.length} is not a multiple of ${m}`);
    this.party.stats.count('dot', x.length);
    const p = await this.#beaver(x, y, 'semi2k.dot');
    return new Semi2kShares(ring.sumGroups(p.v, m));
  }

  /** Sum of every party's words (each sends its words to all others). */
  async #openSum(mine: BigUint64Array, op: string): Promise<BigUint64Array> {
    const peers = others(this.party);
    const send: Array<Uint8Array | undefined> = new Array(this.party.n);
    for (const j of peers) send[j] = bytesOf(mine);
    const got = await this.party.exchange({ op, send, recvFrom: peers });
    const out = mine.slice();
    for (const j of peers) {
      const v = wordsOf(got[j] ?? new Uint8Array(0), mine.length, j, this.party.ids[j]!);
      for (let i = 0; i < out.length; i++) out[i] = out[i]! + v[i]!;
    }
    return out;
  }

  /** Opens to every party, as words (inside protocols). */
  openAll(a: Semi2kShares, op = 'semi2k.open'): Promise<BigUint64Array> {
    return this.#openSum(a.v, op);
  }

  /** Each party sends its share to the recipients in `to`; others get undefined. */
  async open(a: Semi2kShares, to: readonly number[]): Promise<bigint[] | undefined> {
    const me = this.party.index;
    for (const j of to)
      if (!Number.isInteger(j) || j < 0 || j >= this.party.n)
        throw new RangeError(`semi2k.open: no party ${j}`);
    const send: Array<Uint8Array | undefined> = new Array(this.party.n);
    for (const j of to) if (j !== me) send[j] = bytesOf(a.v);
    const mine = to.includes(me);
    const peers = mine ? others(this.party) : [];
    const got = await this.party.exchange({ op: 'semi2k.open', send, recvFrom: peers });
    if (!mine) return undefined;
    const out = a.v.slice();
    for (const j of peers) {
      const v = wordsOf(got[j] ?? new Uint8Array(0), a.length, j, this.party.ids[j]!);
      for (let i = 0; i < out.length; i++) out[i] = out[i]! + v[i]!;
    }
    return Array.from(ring.toSigned(out));
  }

  async trunc(a: Semi2kShares, m: number, bound: number): Promise<Semi2kShares> {
    checkBound(this, 'trunc', bound);
    this.party.stats.count('trunc', a.length);
    return trunc(this.engine, a, m, bound);
  }
  async ltz(a: Semi2kShares, bound: number): Promise<Semi2kShares> {
    checkBound(this, 'ltz', bound);
    this.party.stats.count('ltz', a.length);
    if (a.length === 0) return new Semi2kShares(new BigUint64Array(0));
    if (bound === 1) return this.neg(a); // x in {-1, 0}
    return ltz(this.engine, a, bound);
  }
  async eqz(a: Semi2kShares, bound: number): Promise<Semi2kShares> {
    checkBound(this, 'eqz', bound);
    this.party.stats.count('eqz', a.length);
    if (a.length === 0) return new Semi2kShares(new BigUint64Array(0));
    if (bound === 1) return this.addPublic(a, BigInt64Array.of(1n)); // x in {-1, 0}
    return eqz(this.engine, a, bound);
  }
  async bits(a: Semi2kShares, bits: number): Promise<Semi2kShares> {
    checkBound(this, 'bits', bits);
    this.party.stats.count('bits', a.length);
    if (a.length === 0) return new Semi2kShares(new BigUint64Array(0));
    return bitsOf(this.engine, a, bits);
  }
  async randomBits(n: number): Promise<Semi2kShares> {
    if (!Number.isInteger(n) || n < 0)
      throw new RangeError(`semi2k.randomBits: count must be a non-negative integer, got ${n}`);
    this.party.stats.count('randomBits', n);
    if (n === 0) return new Semi2kShares(new BigUint64Array(0));
    return this.engine.randomBitsArith(n);
  }
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * A semi2k factory with options (preprocessing mode, plan, bundle).
 * @throws {PreprocessingError} ('insecure-refused') at create for insecureDealer without the flag.
 */
export function semi2kFactory(opts: Semi2kOptions = {}): SuiteFactory {
  if (opts.preprocessing === 'insecureDealer' && opts.allowInsecureDealer !== true)
    throw new PreprocessingError('insecure-refused', INSECURE_DEALER_REFUSED);
  return {
    name: 'semi2k',
    minParties: 2,
    maxParties: 64,
    create: (party) => new Semi2kSuite(party, opts),
  };
}

/** The registered suite: OT-based preprocessing, generated on demand. */
export const semi2kSuite: SuiteFactory = semi2kFactory();
