/**
 * The plaintext suite: no security at all, for writing and debugging programs
 * (the role of FRESCO's Dummy suite and MPyC's single-party mode).
 *
 * Every party holds every value in the clear, as integers modulo 2^64 like the
 * rep3 suite; inputs are broadcast to all parties. Any number of parties
 * (including one) runs in one process. Nonlinear steps are exact, so the
 * plaintext suite is also the reference the others are tested against.
 */
import * as ring from '../../arith/ring64.js';
import { Prg, randomSeed } from '../../random/prg.js';
import { ProtocolAbort } from '../../runtime/errors.js';
import type { Party } from '../../runtime/party.js';
import { broadcast, concatWords, gatherWords, wordsOf } from '../vectors.js';
import {
  checkBound,
  type Shares,
  type Suite,
  type SuiteFactory,
  type ThreatModel,
} from '../suite.js';

export class ClearValues implements Shares {
  constructor(readonly v: BigUint64Array) {}
  get length(): number {
    return this.v.length;
  }
}

const MODEL: ThreatModel = {
  adversary: 'none: every party sees every value',
  threshold: 'no security',
  leaks: 'everything; for development only',
  references: [],
};

export class PlaintextSuite implements Suite<ClearValues> {
  readonly name = 'plaintext';
  readonly model = MODEL;
  readonly capacity = 64;
  readonly compareCapacity = 64;
  /** No security to lose: the generic protocols built on it run as under rep3, for testing. */
  readonly honestMajorityThreshold = 0;

  /** A PRG every party shares, so that "random" clear values agree everywhere. */
  #common: Prg | undefined;

  constructor(readonly party: Party) {}

  /** The suite on another channel (one setup round there). */
  async fork(party: Party): Promise<PlaintextSuite> {
    const s = new PlaintextSuite(party);
    await s.setup();
    return s;
  }

  /** Party 0 draws a seed and sends it to everyone (no secrecy is needed here). */
  async setup(): Promise<void> {
    const me = this.party.index;
    const seed = me === 0 ? randomSeed(this.party.crypto) : undefined;
    const send = Array.from({ length: this.party.n }, (_, j) =>
      me === 0 && j !== 0 ? seed : undefined,
    );
    const got = await this.party.exchange({
      op: 'plaintext.setup',
      send,
      recvFrom: me === 0 ? [] : [0],
    });
    const common = me === 0 ? seed! : got[0]!;
    if (common.length !== 16)
      throw new ProtocolAbort('malformed', 0, this.party.ids[0], 'bad seed length');
    this.#common = new Prg(common.slice(), this.party.crypto);
  }

  private get common(): Prg {
    if (!this.#common) throw new Error('plaintext: setup() has not run');
    return this.#common;
  }

  constant(values: BigInt64Array): ClearValues {
    return new ClearValues(ring.fromSigned(values).slice());
  }
  add(a: ClearValues, b: ClearValues): ClearValues {
    return new ClearValues(ring.add(a.v, b.v));
  }
  sub(a: ClearValues, b: ClearValues): ClearValues {
    return new ClearValues(ring.sub(a.v, b.v));
  }
  neg(a: ClearValues): ClearValues {
    return new ClearValues(ring.neg(a.v));
  }
  addPublic(a: ClearValues, c: BigInt64Array): ClearValues {
    return new ClearValues(ring.add(a.v, broadcast(c, a.length)));
  }
  mulPublic(a: ClearValues, c: BigInt64Array): ClearValues {
    return new ClearValues(ring.mul(a.v, broadcast(c, a.length)));
  }
  mulScalar(a: ClearValues, c: bigint): ClearValues {
    return new ClearValues(ring.mulScalar(a.v, c));
  }
  gather(a: ClearValues, idx: Uint32Array): ClearValues {
    return new ClearValues(gatherWords(a.v, idx));
  }
  concat(parts: readonly ClearValues[]): ClearValues {
    return new ClearValues(concatWords(parts.map((p) => p.v)));
  }
  sumGroups(a: ClearValues, m: number): ClearValues {
    return new ClearValues(ring.sumGroups(a.v, m));
  }
  random(n: number): ClearValues {
    return new ClearValues(this.common.words(n));
  }

  async input(owner: number, values: BigInt64Array | undefined, n: number): Promise<ClearValues> {
    const me = this.party.index;
    if (me === owner && (!values || values.length !== n)) {
      throw new RangeError(
        `plaintext.input: expected ${n} values, got ${values?.length ?? 'none'}`,
      );
    }
    this.party.stats.count('input', n);
    const send = Array.from({ length: this.party.n }, (_, j) =>
      me === owner && j !== me
        ? new Uint8Array(values!.buffer, values!.byteOffset, 8 * n)
        : undefined,
    );
    const got = await this.party.exchange({
      op: 'input',
      send,
      recvFrom: me === owner ? [] : [owner],
    });
    if (me === owner) return new ClearValues(ring.fromSigned(values!).slice());
    return new ClearValues(wordsOf(got[owner]!, n, owner, this.party.ids[owner]!));
  }

  async mul(a: ClearValues, b: ClearValues): Promise<ClearValues> {
    this.party.stats.count('mul', a.length);
    return new ClearValues(ring.mul(a.v, b.v));
  }

  async dot(a: ClearValues, b: ClearValues, m: number): Promise<ClearValues> {
    this.party.stats.count('dot', a.length);
    return new ClearValues(ring.sumGroups(ring.mul(a.v, b.v), m));
  }

  async open(a: ClearValues, to: readonly number[]): Promise<bigint[] | undefined> {
    if (!to.includes(this.party.index)) return undefined;
    return Array.from(ring.toSigned(a.v));
  }

  async openInt64(a: ClearValues, to: readonly number[]): Promise<BigInt64Array | undefined> {
    if (!to.includes(this.party.index)) return undefined;
    return new BigInt64Array(a.v.slice().buffer);
  }

  async trunc(a: ClearValues, m: number, bound: number): Promise<ClearValues> {
    checkBound(this, 'trunc', bound);
    const s = ring.toSigned(a.v);
    const out = new BigInt64Array(a.length);
    const k = BigInt(m);
    for (let i = 0; i < s.length; i++) out[i] = s[i]! >> k;
    return new ClearValues(ring.fromSigned(out));
  }

  async ltz(a: ClearValues, bound: number): Promise<ClearValues> {
    checkBound(this, 'ltz', bound);
    const s = ring.toSigned(a.v);
    return new ClearValues(BigUint64Array.from(s, (x) => (x < 0n ? 1n : 0n)));
  }

  async eqz(a: ClearValues, bound: number): Promise<ClearValues> {
    checkBound(this, 'eqz', bound);
    return new ClearValues(BigUint64Array.from(a.v, (x) => (x === 0n ? 1n : 0n)));
  }

  async bits(a: ClearValues, bits: number): Promise<ClearValues> {
    checkBound(this, 'bits', bits);
    const out = new BigUint64Array(a.length * bits);
    for (let i = 0; i < a.length; i++) {
      const x = a.v[i]!;
      for (let j = 0; j < bits; j++) out[i * bits + j] = (x >> BigInt(j)) & 1n;
    }
    return new ClearValues(out);
  }

  async randomBits(n: number): Promise<ClearValues> {
    return new ClearValues(this.common.words(n).map((w) => w & 1n));
  }
}

export const plaintextSuite: SuiteFactory = {
  name: 'plaintext',
  minParties: 1,
  maxParties: 64,
  create: (party) => new PlaintextSuite(party),
};
