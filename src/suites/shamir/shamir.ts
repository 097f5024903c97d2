/**
 * The shamir suite: n >= 3 parties, Shamir sharing of degree t = floor((n-1)/2)
 * over F_p, p = 2^127 - 1.
 *
 * Security: semi-honest adversary corrupting at most t < n/2 parties (honest
 * majority), over private authenticated channels. Leaks nothing but the
 * outputs and public sizes (vector lengths, input sizes, the program's control
 * flow on revealed values); comparisons and truncation are statistically
 * secure with parameter 40 (their masked openings are within 2^-40 of
 * uniform). Not hardened against timing.
 *
 * Protocols:
 *  - correlated randomness: PRSS, Cramer-Damgard-Ishai TCC 2005 (./prss.ts);
 *  - input: the owner's polynomial is fixed by the secret and by t shares
 *    drawn from pairwise keys, so only n - t - 1 shares travel;
 *  - multiplication and inner products: Gennaro, Rabin, Rabin, "Simplified
 *    VSS and fast-track multiparty computations", PODC 1998, section 3: each
 *    of the parties 0..2t (indices from 0; their points are 1..2t+1)
 *    re-shares its local degree-2t product, scaled by its Lagrange
 *    coefficient (-1)^i C(2t+1, i+1), with a degree-t polynomial, and each
 *    party adds up what it receives: one round, n - 1 elements sent per party;
 *  - opening: parties 0..t send their shares to each recipient;
 *  - truncation, comparison, bit decomposition: ./compare.ts (Catrina-Saxena
 *    FC 2010, Catrina-de Hoogh SCN 2010); for n = 3, less-than-zero computes
 *    its carries on a replicated boolean sharing made of the PRSS keys'
 *    streams, ./compare3.ts (Araki, Furukawa, Lindell, Nof, Ohara CCS 2016).
 */
import * as F from '../../arith/field127.js';
import * as shamir from '../../sharing/shamir.js';
import { ProtocolAbort } from '../../runtime/errors.js';
import type { Party } from '../../runtime/party.js';
import {
  checkBound,
  type Shares,
  type Suite,
  type SuiteFactory,
  type ThreatModel,
} from '../suite.js';
import {
  randomBitsField,
  shamirBits,
  shamirEqz,
  shamirLtz,
  shamirTrunc,
  STAT_SEC,
} from './compare.js';
import { LTZ3_MAX_BITS, shamirEqz3, shamirLtz3 } from './compare3.js';
import { binomial, Prss } from './prss.js';

/** This party's share of each element, as field elements. */
export class ShamirShares implements Shares {
  constructor(readonly v: F.FieldVec) {}
  get length(): number {
    return this.v.length >>> 1;
  }
  toString(): string {
    return `ShamirShares(${this.length})`;
  }
  toJSON(): string {
    return this.toString();
  }
}

export const SHAMIR_MODEL: ThreatModel = {
  adversary: 'semi-honest (passive)',
  threshold: 't < n/2 (honest majority): t = floor((n-1)/2) colluding parties learn nothing',
  leaks:
    'input sizes, vector lengths, and control flow on revealed values; comparisons and truncation ' +
    'are statistically secure with parameter 40; not timing-hardened',
  references: [
    'Shamir. How to Share a Secret. CACM 1979',
    'Cramer, Damgard, Ishai. Share Conversion, Pseudorandom Secret-Sharing and Applications to Secure Computation. TCC 2005',
    'Gennaro, Rabin, Rabin. Simplified VSS and Fast-Track Multiparty Computations with Applications to Threshold Cryptography. PODC 1998',
    'Catrina, Saxena. Secure Computation with Fixed-Point Numbers. FC 2010',
    'Catrina, de Hoogh. Improved Primitives for Secure Multiparty Integer Computation. SCN 2010',
    'Araki, Furukawa, Lindell, Nof, Ohara. High-Throughput Semi-Honest Secure Three-Party Computation with an Honest Majority. CCS 2016',
  ],
};

/** Up to this many PRSS sets C(n,t), masks come from PRSS keys; beyond, from inputs (./compare.ts). */
export const MASK_BY_PRSS_SETS = 35;

/**
 * Largest bound b whose masked openings stay below p, so that they never wrap:
 * the opened value is below 2^(b+2) + S 2^(b + STAT_SEC) (the offset value,
 * the low random bits, and the integer mask, a sum of S terms: C(n,t) PRSS
 * keys, or t + 1 inputs when there are more than MASK_BY_PRSS_SETS sets),
 * see ./compare.ts. For n = 3 this is 85; n = 5: 83; n = 7: 81; n = 15: 83.
 */
export function compareCapacityFor(n: number, t: number): number {
  const sets = binomial(n, t);
  const summands = BigInt(sets > MASK_BY_PRSS_SETS ? t + 1 : sets);
  const fits = (b: number) => (1n << BigInt(b + 2)) + summands * (1n << BigInt(b + STAT_SEC)) < F.P;
  let b = 1;
  while (fits(b + 1)) b++;
  return b;
}

export class ShamirSuite implements Suite<ShamirShares> {
  readonly name = 'shamir';
  readonly model = SHAMIR_MODEL;
  /** |x| <= 2^125 is held exactly: centered representatives reach (p-1)/2 = 2^126 - 1. */
  readonly capacity = 126;
  readonly compareCapacity: number;
  /** Whether integer masks come from inputs rather than PRSS (many PRSS sets). */
  readonly maskByInputs: boolean;
  readonly n: number;
  readonly t: number;
  get honestMajorityThreshold(): number {
    return this.t;
  }
  /** Lagrange coefficients of the points 1..2t+1 and 1..t+1 at 0 (small integers). */
  readonly lambda2t: readonly bigint[];
  readonly lambdaT: readonly bigint[];
  /** [j, j^2, ..., j^t] for each party's point j. */
  readonly sharePowers: ReadonlyArray<readonly bigint[]>;
  /**
   * Elements times bits per chunk of a bit-level protocol (see inChunks):
   * 2^22, 64 MiB per vector of random bits. Every party must use the same value.
   */
  chunkBitElements = 1 << 22;
  #prss: Prss | undefined;

  constructor(readonly party: Party) {
    const n = party.n;
    if (n < 3 || n > shamirSuite.maxParties) {
      throw new RangeError(`shamir: expected 3..${shamirSuite.maxParties} parties, got ${n}`);
    }
    this.n = n;
    this.t = Math.floor((n - 1) / 2);
    this.compareCapacity = compareCapacityFor(n, this.t);
    this.maskByInputs = binomial(n, this.t) > MASK_BY_PRSS_SETS;
    this.lambda2t = shamir.lagrange(range(2 * this.t + 1));
    this.lambdaT = shamir.lagrange(range(this.t + 1));
    this.sharePowers = range(n).map((j) => shamir.powers(BigInt(j + 1), this.t).slice(1));
  }

  get me(): number {
    return this.party.index;
  }

  get prss(): Prss {
    if (!this.#prss) throw new Error('shamir: setup() has not run');
    return this.#prss;
  }

  /** The suite on another channel, with PRSS keys of its own (one setup round there). */
  async fork(party: Party): Promise<ShamirSuite> {
    const s = new ShamirSuite(party);
    await s.setup();
    return s;
  }

  async setup(): Promise<void> {
    // Where WebAssembly compiles only asynchronously (browsers), do it now.
    const [prss] = await Promise.all([Prss.setup(this.party, this.t, 'shamir.setup'), F.ready()]);
    this.#prss = prss;
  }

  // ----- local operations -----

  constant(values: BigInt64Array): ShamirShares {
    return new ShamirShares(F.fromSigned(values));
  }
  add(a: ShamirShares, b: ShamirShares): ShamirShares {
    return new ShamirShares(F.add(a.v, b.v));
  }
  sub(a: ShamirShares, b: ShamirShares): ShamirShares {
    return new ShamirShares(F.sub(a.v, b.v));
  }
  neg(a: ShamirShares): ShamirShares {
    return new ShamirShares(F.neg(a.v));
  }
  addPublic(a: ShamirShares, c: BigInt64Array): ShamirShares {
    if (c.length === 1 && a.length !== 1) return new ShamirShares(F.addScalar(a.v, c[0]!));
    checkPublic('shamir.addPublic', a, c);
    return new ShamirShares(F.add(a.v, F.fromSigned(c)));
  }
  mulPublic(a: ShamirShares, c: BigInt64Array): ShamirShares {
    if (c.length === 1 && a.length !== 1) return new ShamirShares(F.mulScalar(a.v, c[0]!));
    checkPublic('shamir.mulPublic', a, c);
    return new ShamirShares(F.mul(a.v, F.fromSigned(c)));
  }
  mulScalar(a: ShamirShares, c: bigint): ShamirShares {
    return new ShamirShares(F.mulScalar(a.v, c));
  }
  gather(a: ShamirShares, idx: Uint32Array): ShamirShares {
    return new ShamirShares(F.gather(a.v, idx));
  }
  concat(parts: readonly ShamirShares[]): ShamirShares {
    return new ShamirShares(F.concat(parts.map((p) => p.v)));
  }
  sumGroups(a: ShamirShares, m: number): ShamirShares {
    return new ShamirShares(F.sumGroups(a.v, m));
  }
  random(n: number): ShamirShares {
    return new ShamirShares(this.prss.random(n));
  }

  // ----- interactive operations -----

  /**
   * The owner's polynomial f has f(0) = x and, at the t lowest-index parties
   * other than the owner, values drawn from the owner's pairwise key with
   * each: those parties compute their shares locally, and the owner sends
   * f(j) to the other n - t - 1. f is uniformly random given x, so any t
   * shares are uniform.
   */
  async input(owner: number, values: BigInt64Array | undefined, n: number): Promise<ShamirShares> {
    if (!Number.isInteger(owner) || owner < 0 || owner >= this.n) {
      throw new RangeError(`shamir.input: no party ${owner} (have ${this.n})`);
    }
    if (this.me === owner && (!values || values.length !== n)) {
      throw new RangeError(`shamir.input: expected ${n} values, got ${values?.length ?? 'none'}`);
    }
    this.party.stats.count('input', n);
    const x = this.me === owner ? F.fromSigned(values!) : undefined;
    return new ShamirShares(await this.inputField(owner, x, n, 'shamir.input'));
  }

  /** Input of field elements (used inside protocols too). */
  async inputField(
    owner: number,
    x: F.FieldVec | undefined,
    n: number,
    op: string,
  ): Promise<F.FieldVec> {
    // Helpers at the points 1..t when the owner is not among them: with the
    // nodes 0, 1, ..., t the interpolation coefficients are integers.
    const helpers = range(this.n)
      .filter((j) => j !== owner)
      .slice(0, this.t);
    const others = range(this.n).filter((j) => j !== owner && !helpers.includes(j));
    const send: Array<Uint8Array | undefined> = new Array(this.n);
    if (this.me === owner) {
      const drawn = helpers.map((q) => this.prss.pairRandom(q, n));
      const nodes = [0n, ...helpers.map((q) => shamir.point(q))];
      const vs = [x!, ...drawn];
      const at = (j: number) =>
        F.linearCombination(vs, shamir.lagrangeAtPoints(nodes, shamir.point(j)));
      for (const j of others) send[j] = bytesOf(at(j));
      await this.party.exchange({ op, send, recvFrom: [], handOver: true });
      return at(owner);
    }
    if (helpers.includes(this.me)) {
      const mine = this.prss.pairRandom(owner, n);
      await this.party.exchange({ op, send, recvFrom: [] });
      return mine;
    }
    const got = await this.party.exchange({ op, send, recvFrom: [owner] });
    return this.fieldFrom(got[owner], n, owner, op);
  }

  async mul(a: ShamirShares, b: ShamirShares): Promise<ShamirShares> {
    if (a.length !== b.length) {
      throw new RangeError(`shamir.mul: lengths differ (${a.length} and ${b.length})`);
    }
    this.party.stats.count('mul', a.length);
    return new ShamirShares(await this.reshare(a.v, b.v, 'shamir.mul'));
  }

  async dot(a: ShamirShares, b: ShamirShares, m: number): Promise<ShamirShares> {
    if (a.length !== b.length) {
      throw new RangeError(`shamir.dot: lengths differ (${a.length} and ${b.length})`);
    }
    if (!Number.isInteger(m) || m <= 0 || a.length % m !== 0) {
      throw new RangeError(`shamir.dot: length ${a.length} is not a multiple of ${m}`);
    }
    this.party.stats.count('dot', a.length);
    // Summing the local products first leaves one degree-2t element per inner product.
    return new ShamirShares(await this.reshare(F.dotGroups(a.v, b.v, m), undefined, 'shamir.dot'));
  }

  /** Products of field vectors, each given whole or as parts (for protocols built on the suite). */
  mulField(a: F.Vecs, b: F.Vecs, op = 'shamir.mul'): Promise<F.FieldVec> {
    return this.reshare(a, b, op);
  }

  /**
   * Degree reduction (Gennaro-Rabin-Rabin) of the local degree-2t products
   * d_i = a_i b_i (or d_i = a_i when b is undefined): party i <= 2t shares
   * lambda_i d_i with h_i(X) = lambda_i d_i + c_1 X + ... + c_t X^t, fresh
   * private c's, and sends h_i(j + 1) to party j; the new share of party j is
   * sum_i h_i(j + 1), a random degree-t sharing of sum_i lambda_i d_i = ab.
   * Scaling by lambda_i before sending leaves receivers a plain sum.
   */
  async reshare(a: F.Vecs, b: F.Vecs | undefined, op: string): Promise<F.FieldVec> {
    const len = F.vecsLength(a);
    const me = this.me;
    const senders = 2 * this.t + 1;
    const send: Array<Uint8Array | undefined> = new Array(this.n);
    let mine: F.FieldVec | undefined;
    if (me < senders) {
      const h = F.polyShares(a, b, this.lambda2t[me]!, this.sharePowers, (out) =>
        this.party.prg.fill(out),
      );
      for (let j = 0; j < this.n; j++) {
        if (j === me) mine = h[j];
        else send[j] = bytesOf(h[j]!);
      }
    }
    const recvFrom = range(senders).filter((i) => i !== me);
    // The h[j] are fresh and never written again: the round message need not copy them.
    const got = await this.party.exchange({ op, send, recvFrom, handOver: true });
    return F.sumVectors(
      range(senders).map((i) => (i === me ? mine! : this.fieldFrom(got[i], len, i, op))),
    );
  }

  async open(a: ShamirShares, to: readonly number[]): Promise<bigint[] | undefined> {
    const v = await this.openField(a.v, to);
    return v ? F.toCentered(v) : undefined;
  }

  /**
   * Opens field elements to the parties in `to`: parties 0..t send their
   * shares, and each recipient interpolates at 0.
   * @throws {RangeError} for an unknown recipient.
   */
  async openField(
    x: F.FieldVec,
    to: readonly number[],
    op = 'shamir.open',
  ): Promise<F.FieldVec | undefined> {
    for (const r of to) {
      if (!Number.isInteger(r) || r < 0 || r >= this.n) {
        throw new RangeError(`${op}: no party ${r} (have ${this.n})`);
      }
    }
    const len = F.length(x);
    const me = this.me;
    const senders = this.t + 1;
    const send: Array<Uint8Array | undefined> = new Array(this.n);
    if (me < senders) {
      const body = bytesOf(x);
      for (const r of to) if (r !== me) send[r] = body;
    }
    const mine = to.includes(me);
    const recvFrom = mine ? range(senders).filter((i) => i !== me) : [];
    const got = await this.party.exchange({ op, send, recvFrom });
    if (!mine) return undefined;
    const parts = range(senders).map((i) => (i === me ? x : this.fieldFrom(got[i], len, i, op)));
    return F.linearCombination(parts, this.lambdaT);
  }

  /** Opens to every party. */
  async openAll(x: F.FieldVec, op = 'shamir.open'): Promise<F.FieldVec> {
    return (await this.openField(x, range(this.n), op))!;
  }

  trunc(a: ShamirShares, m: number, bound: number): Promise<ShamirShares> {
    checkBound(this, 'trunc', bound);
    if (!Number.isInteger(m) || m < 0) {
      throw new RangeError(`shamir.trunc: shift ${m} is not a non-negative integer`);
    }
    this.party.stats.count('trunc', a.length);
    return this.inChunks(a.v, m, (x) => shamirTrunc(this, x, m, bound));
  }
  ltz(a: ShamirShares, bound: number): Promise<ShamirShares> {
    checkBound(this, 'ltz', bound);
    this.party.stats.count('ltz', a.length);
    // Three parties: the bit-level part on a replicated boolean sharing (./compare3.ts).
    const fast = this.n === 3 && bound >= 2 && bound - 1 <= LTZ3_MAX_BITS;
    return this.inChunks(a.v, bound, (x) =>
      fast ? shamirLtz3(this, x, bound) : shamirLtz(this, x, bound),
    );
  }
  eqz(a: ShamirShares, bound: number): Promise<ShamirShares> {
    checkBound(this, 'eqz', bound);
    this.party.stats.count('eqz', a.length);
    const fast = this.n === 3 && bound >= 2 && bound <= LTZ3_MAX_BITS + 1;
    return this.inChunks(a.v, bound, (x) =>
      fast ? shamirEqz3(this, x, bound) : shamirEqz(this, x, bound),
    );
  }
  bits(a: ShamirShares, bits: number): Promise<ShamirShares> {
    checkBound(this, 'bits', bits);
    this.party.stats.count('bits', a.length);
    return this.inChunks(a.v, bits, (x) => shamirBits(this, x, bits));
  }
  async randomBits(n: number): Promise<ShamirShares> {
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`shamir.randomBits: expected a non-negative count, got ${n}`);
    }
    return new ShamirShares(await randomBitsField(this, n));
  }

  /**
   * Runs a bit-level protocol on consecutive chunks of at most
   * chunkBitElements / bits elements, one after the other, so that its
   * memory stays bounded (the random bits alone take 16 bytes per bit per
   * element, and a step holds several such vectors): a 32-bit comparison of
   * a million elements otherwise peaks at several GB per party. Costs more
   * rounds for long vectors only.
   */
  private async inChunks(
    x: F.FieldVec,
    bits: number,
    f: (x: F.FieldVec) => Promise<F.FieldVec>,
  ): Promise<ShamirShares> {
    const n = F.length(x);
    const chunk = Math.max(1, Math.floor(this.chunkBitElements / Math.max(1, bits)));
    if (n <= chunk) return new ShamirShares(await f(x));
    const outs: F.FieldVec[] = [];
    for (let off = 0; off < n; off += chunk) {
      outs.push(await f(F.slice(x, off, Math.min(n, off + chunk))));
    }
    return new ShamirShares(F.concat(outs));
  }

  /** A received payload as `len` field elements. @throws {ProtocolAbort} ('malformed') on a size mismatch. */
  fieldFrom(body: Uint8Array | undefined, len: number, peer: number, op: string): F.FieldVec {
    const want = len * F.ELEMENT_BYTES;
    if (!body || body.length !== want) {
      throw new ProtocolAbort(
        'malformed',
        peer,
        this.party.ids[peer],
        `${op}: sent ${body?.length ?? 0} bytes, expected ${want}`,
      );
    }
    return new BigUint64Array(body.buffer, body.byteOffset, 2 * len);
  }
}

export const shamirSuite: SuiteFactory = {
  name: 'shamir',
  minParties: 3,
  maxParties: 15,
  create: (party) => new ShamirSuite(party),
};

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

export function bytesOf(v: F.FieldVec): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function checkPublic(op: string, a: ShamirShares, c: BigInt64Array): void {
  if (c.length !== a.length) {
    throw new RangeError(`${op}: expected ${a.length} constants (or 1), got ${c.length}`);
  }
}
