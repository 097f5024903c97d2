/**
 * The rep3 suite: three parties, replicated secret sharing over Z_2^64.
 *
 * Security: semi-honest adversary corrupting at most one of the three parties
 * (honest majority), over authenticated private channels. Leaks nothing but
 * the outputs and public sizes (vector lengths, input sizes, the program's
 * control flow on revealed values). Protocols follow Araki, Furukawa, Lindell,
 * Nof, Ohara, "High-Throughput Semi-Honest Secure Three-Party Computation with
 * an Honest Majority", CCS 2016: party i holds (x_i, x_{i+1}) of
 * x = x_0 + x_1 + x_2, multiplication costs one element sent per party, and
 * correlated randomness comes from pairwise PRG keys (PRSS) agreed once.
 */
import * as ring from '../../arith/ring64.js';
import { Prg, randomSeed } from '../../random/prg.js';
import type { Party } from '../../runtime/party.js';
import {
  checkBound,
  type Shares,
  type Suite,
  type SuiteFactory,
  type ThreatModel,
} from '../suite.js';
import { broadcast, concatWords, gatherWords, wordsOf } from '../vectors.js';
import { rep3Bits, rep3Eqz, rep3Ltz, rep3RandomBits } from './compare.js';
import { rep3Trunc } from './trunc.js';

/** Party i's pair of components (x_i, x_{i+1}). */
export class Rep3Shares implements Shares {
  constructor(
    readonly a: BigUint64Array,
    readonly b: BigUint64Array,
  ) {}
  get length(): number {
    return this.a.length;
  }
}

export const REP3_MODEL: ThreatModel = {
  adversary: 'semi-honest (passive)',
  threshold: '1 of 3 parties (honest majority); two colluding parties learn everything',
  leaks: 'input sizes, vector lengths, and control flow on revealed values; not timing-hardened',
  references: [
    'Araki, Furukawa, Lindell, Nof, Ohara. High-Throughput Semi-Honest Secure Three-Party Computation with an Honest Majority. CCS 2016',
    'Mohassel, Rindal. ABY3: A Mixed Protocol Framework for Machine Learning. CCS 2018',
    'Escudero, Ghosh, Keller, Rachuri, Scholl. Improved Primitives for MPC over Mixed Arithmetic-Binary Circuits. CRYPTO 2020 (truncation)',
  ],
};

export class Rep3Suite implements Suite<Rep3Shares> {
  readonly name = 'rep3';
  readonly model = REP3_MODEL;
  readonly capacity = 64;
  readonly compareCapacity = 64;
  readonly honestMajorityThreshold = 1;
  /** PRG on key k_i (shared with party i-1) and on k_{i+1} (shared with party i+1). */
  #prgA: Prg | undefined;
  #prgB: Prg | undefined;

  constructor(readonly party: Party) {
    if (party.n !== 3) throw new RangeError(`rep3: expected 3 parties, got ${party.n}`);
  }

  get next(): number {
    return (this.party.index + 1) % 3;
  }
  get prev(): number {
    return (this.party.index + 2) % 3;
  }

  /** The suite on another channel, with PRSS keys of its own (one setup round there). */
  async fork(party: Party): Promise<Rep3Suite> {
    const s = new Rep3Suite(party);
    await s.setup();
    return s;
  }

  /**
   * PRSS setup: party i draws k_i and sends it to party i-1, so that every
   * key is known to exactly two parties and party i holds (k_i, k_{i+1}).
   */
  async setup(): Promise<void> {
    const k = randomSeed(this.party.crypto);
    const send: Array<Uint8Array | undefined> = [undefined, undefined, undefined];
    send[this.prev] = k;
    const got = await this.party.exchange({ op: 'rep3.setup', send, recvFrom: [this.next] });
    const kNext = got[this.next]!;
    if (kNext.length !== 16) throw new RangeError(`rep3.setup: bad key length ${kNext.length}`);
    this.#prgA = new Prg(k, this.party.crypto);
    this.#prgB = new Prg(kNext.slice(), this.party.crypto);
  }

  /** Correlated randomness: (F(k_i), F(k_{i+1})) for n elements. */
  prss(n: number): Rep3Shares {
    if (!this.#prgA || !this.#prgB) throw new Error('rep3: setup() has not run');
    return new Rep3Shares(this.#prgA.words(n), this.#prgB.words(n));
  }

  /** A sharing of zero, one additive component per party: alpha_i = F(k_i) - F(k_{i+1}). */
  zeroShare(n: number): BigUint64Array {
    if (!this.#prgA || !this.#prgB) throw new Error('rep3: setup() has not run');
    const z = this.#prgA.words(n);
    this.#prgB.subtractFrom(z);
    return z;
  }

  /** Words drawn from the key shared with the next party only (the "b" stream). */
  prgWithNext(n: number): BigUint64Array {
    if (!this.#prgB) throw new Error('rep3: setup() has not run');
    return this.#prgB.words(n);
  }
  /** Words drawn from the key shared with the previous party only (the "a" stream). */
  prgWithPrev(n: number): BigUint64Array {
    if (!this.#prgA) throw new Error('rep3: setup() has not run');
    return this.#prgA.words(n);
  }

  constant(values: BigInt64Array): Rep3Shares {
    // Component 0 carries the constant: parties 0 (as a) and 2 (as b) hold it.
    const c = ring.fromSigned(values).slice();
    const z = new BigUint64Array(values.length);
    const i = this.party.index;
    return new Rep3Shares(i === 0 ? c : z, i === 2 ? c : z.slice());
  }
  add(x: Rep3Shares, y: Rep3Shares): Rep3Shares {
    return new Rep3Shares(ring.add(x.a, y.a), ring.add(x.b, y.b));
  }
  sub(x: Rep3Shares, y: Rep3Shares): Rep3Shares {
    return new Rep3Shares(ring.sub(x.a, y.a), ring.sub(x.b, y.b));
  }
  neg(x: Rep3Shares): Rep3Shares {
    return new Rep3Shares(ring.neg(x.a), ring.neg(x.b));
  }
  addPublic(x: Rep3Shares, c: BigInt64Array): Rep3Shares {
    const cv = broadcast(c, x.length);
    const i = this.party.index;
    return new Rep3Shares(i === 0 ? ring.add(x.a, cv) : x.a, i === 2 ? ring.add(x.b, cv) : x.b);
  }
  mulPublic(x: Rep3Shares, c: BigInt64Array): Rep3Shares {
    const cv = broadcast(c, x.length);
    return new Rep3Shares(ring.mul(x.a, cv), ring.mul(x.b, cv));
  }
  mulScalar(x: Rep3Shares, c: bigint): Rep3Shares {
    return new Rep3Shares(ring.mulScalar(x.a, c), ring.mulScalar(x.b, c));
  }
  gather(x: Rep3Shares, idx: Uint32Array): Rep3Shares {
    return new Rep3Shares(gatherWords(x.a, idx), gatherWords(x.b, idx));
  }
  concat(parts: readonly Rep3Shares[]): Rep3Shares {
    return new Rep3Shares(concatWords(parts.map((p) => p.a)), concatWords(parts.map((p) => p.b)));
  }
  sumGroups(x: Rep3Shares, m: number): Rep3Shares {
    return new Rep3Shares(ring.sumGroups(x.a, m), ring.sumGroups(x.b, m));
  }
  random(n: number): Rep3Shares {
    return this.prss(n);
  }

  /**
   * Input from `owner` (o): x_{o+1} = F(k_{o+1}) is known to o and o+1,
   * x_{o+2} = 0, and o sends x_o = x - x_{o+1} to party o+2. One message.
   */
  async input(owner: number, values: BigInt64Array | undefined, n: number): Promise<Rep3Shares> {
    const i = this.party.index;
    if (i === owner && (!values || values.length !== n)) {
      throw new RangeError(`rep3.input: expected ${n} values, got ${values?.length ?? 'none'}`);
    }
    this.party.stats.count('input', n);
    const send: Array<Uint8Array | undefined> = [undefined, undefined, undefined];
    const zero = () => new BigUint64Array(n);
    if (i === owner) {
      const r = this.prgWithNext(n); // x_{o+1}
      const xo = ring.sub(ring.fromSigned(values!), r);
      send[this.prev] = bytesOf(xo);
      await this.party.exchange({ op: 'rep3.input', send, recvFrom: [] });
      return new Rep3Shares(xo, r);
    }
    if (i === (owner + 1) % 3) {
      const r = this.prgWithPrev(n); // x_{o+1} from key k_{o+1}
      await this.party.exchange({ op: 'rep3.input', send, recvFrom: [] });
      return new Rep3Shares(r, zero());
    }
    const got = await this.party.exchange({ op: 'rep3.input', send, recvFrom: [owner] });
    return new Rep3Shares(zero(), wordsOf(got[owner]!, n, owner, this.party.ids[owner]!).slice());
  }

  /**
   * Araki et al. section 2.2: z_i = x_i y_i + x_i y_{i+1} + x_{i+1} y_i + alpha_i,
   * then party i sends z_i to party i-1 and holds (z_i, z_{i+1}).
   */
  async mul(x: Rep3Shares, y: Rep3Shares): Promise<Rep3Shares> {
    if (x.length !== y.length)
      throw new RangeError(`rep3.mul: lengths differ (${x.length} and ${y.length})`);
    this.party.stats.count('mul', x.length);
    // z starts as alpha_i = F(k_i) - F(k_{i+1}).
    const z = this.zeroShare(x.length);
    const xa = x.a,
      xb = x.b,
      ya = y.a,
      yb = y.b;
    // One product term per statement: V8 keeps each in 64-bit registers this
    // way, while a single four-term BigInt expression runs about 4x slower.
    for (let k = 0; k < z.length; k++) {
      z[k] = z[k]! + xa[k]! * (ya[k]! + yb[k]!);
      z[k] = z[k]! + xb[k]! * ya[k]!;
    }
    return this.reshare(z, 'rep3.mul');
  }

  /** Inner products: the local cross terms are summed before the one reshare. */
  async dot(x: Rep3Shares, y: Rep3Shares, m: number): Promise<Rep3Shares> {
    if (x.length !== y.length)
      throw new RangeError(`rep3.dot: lengths differ (${x.length} and ${y.length})`);
    if (m <= 0 || x.length % m !== 0)
      throw new RangeError(`rep3.dot: length ${x.length} is not a multiple of ${m}`);
    this.party.stats.count('dot', x.length);
    const q = x.length / m;
    const alpha = this.zeroShare(q);
    const z = new BigUint64Array(q);
    const xa = x.a,
      xb = x.b,
      ya = y.a,
      yb = y.b;
    // Accumulate in the typed slot z[j]: it wraps mod 2^64 without BigInt allocation.
    for (let j = 0, k = 0; j < q; j++) {
      z[j] = alpha[j]!;
      for (let e = k + m; k < e; k++) {
        z[j] = z[j]! + xa[k]! * (ya[k]! + yb[k]!);
        z[j] = z[j]! + xb[k]! * ya[k]!;
      }
    }
    return this.reshare(z, 'rep3.dot');
  }

  /** Turns a 3-out-of-3 additive sharing z_i into replicated form: send z_i to party i-1. */
  async reshare(z: BigUint64Array, op: string): Promise<Rep3Shares> {
    const send: Array<Uint8Array | undefined> = [undefined, undefined, undefined];
    send[this.prev] = bytesOf(z);
    // z becomes this party's first component, never modified: hand it over.
    const got = await this.party.exchange({ op, send, recvFrom: [this.next], handOver: true });
    // The received bytes belong to this round's message alone: view them, no copy.
    return new Rep3Shares(
      z,
      wordsOf(got[this.next]!, z.length, this.next, this.party.ids[this.next]!),
    );
  }

  /** Party j lacks component x_{j+2} = x_{j-1}: party j-1 sends its `a`. */
  async open(x: Rep3Shares, to: readonly number[]): Promise<bigint[] | undefined> {
    const v = await this.openWords(x, to);
    return v ? Array.from(ring.toSigned(v)) : undefined;
  }

  async openInt64(x: Rep3Shares, to: readonly number[]): Promise<BigInt64Array | undefined> {
    const v = await this.openWords(x, to);
    return v ? new BigInt64Array(v.buffer, v.byteOffset, v.length) : undefined;
  }

  /** Like open, as raw ring elements (used inside protocols). */
  async openWords(x: Rep3Shares, to: readonly number[]): Promise<BigUint64Array | undefined> {
    const i = this.party.index;
    const send: Array<Uint8Array | undefined> = [undefined, undefined, undefined];
    if (to.includes(this.next)) send[this.next] = bytesOf(x.a);
    const mine = to.includes(i);
    const got = await this.party.exchange({
      op: 'rep3.open',
      send,
      recvFrom: mine ? [this.prev] : [],
    });
    if (!mine) return undefined;
    const missing = wordsOf(got[this.prev]!, x.length, this.prev, this.party.ids[this.prev]!);
    return ring.add(ring.add(x.a, x.b), missing);
  }

  trunc(x: Rep3Shares, m: number, bound: number): Promise<Rep3Shares> {
    checkBound(this, 'trunc', bound);
    return rep3Trunc(this, x, m, bound);
  }
  ltz(x: Rep3Shares, bound: number): Promise<Rep3Shares> {
    checkBound(this, 'ltz', bound);
    return rep3Ltz(this, x, bound);
  }
  eqz(x: Rep3Shares, bound: number): Promise<Rep3Shares> {
    checkBound(this, 'eqz', bound);
    return rep3Eqz(this, x, bound);
  }
  bits(x: Rep3Shares, bits: number): Promise<Rep3Shares> {
    checkBound(this, 'bits', bits);
    return rep3Bits(this, x, bits);
  }
  randomBits(n: number): Promise<Rep3Shares> {
    return rep3RandomBits(this, n);
  }
}

export const rep3Suite: SuiteFactory = {
  name: 'rep3',
  minParties: 3,
  maxParties: 3,
  create: (party) => new Rep3Suite(party),
};

export function bytesOf(v: BigUint64Array): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}
