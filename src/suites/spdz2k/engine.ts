/**
 * The BitEngine of suites with MAC-authenticated arithmetic shares over
 * Z_2^(k+s) (spdz2k, rep3m): shared bits are authenticated arithmetic 0/1
 * values (the suite's own sharing), so the generic protocols of
 * ../semi2k/mixed.ts run with MAC-protected bits. AND is a product; XOR is
 * x + y - 2 x y (a product); operations with public bits are local;
 * converting to arithmetic is the identity. Every value the protocols open
 * is recorded by the suite for its MAC check, so a cheating party is caught
 * before any output.
 */
import { unpackWords } from '../semi2k/boolean.js';
import type { BitEngine } from '../semi2k/mixed.js';
import type { Shares, Suite } from '../suite.js';
import type { Spdz2kShares, Spdz2kSuite } from './spdz2k.js';

/** What the engine needs of a suite: its operations, unchecked openings, MACed random values and bits. */
export interface MacArithSuite<S extends Shares> extends Suite<S> {
  /** Opens mod 2^64 to every party, recorded for the next MAC check. */
  openUnchecked(a: S, op?: string): Promise<BigUint64Array>;
  /** n authenticated uniform values. */
  randomShares(n: number): Promise<S>;
  /** n authenticated random bits (0/1). */
  randomBitShares(n: number): Promise<S>;
}

export class MacBits<S extends Shares> implements BitEngine<S, S> {
  constructor(readonly suite: MacArithSuite<S>) {}

  openWords(a: S): Promise<BigUint64Array> {
    return this.suite.openUnchecked(a, `${this.suite.name}.mask`);
  }

  randomWords(n: number): Promise<S> {
    return this.suite.randomShares(n);
  }

  /** n w-bit masks from n w random bits: bit k of element i is bit k n + i. */
  async edaBits(n: number, w: number): Promise<{ r: S; bits: S[] }> {
    const s = this.suite;
    const all = await s.randomBitShares(n * w);
    const bits: S[] = [];
    let r = s.constant(new BigInt64Array(n));
    for (let k = 0; k < w; k++) {
      const idx = new Uint32Array(n);
      for (let i = 0; i < n; i++) idx[i] = k * n + i;
      const b = s.gather(all, idx);
      bits.push(b);
      r = s.add(r, s.mulScalar(b, 1n << BigInt(k)));
    }
    return { r, bits };
  }

  randomBitsArith(n: number): Promise<S> {
    return this.suite.randomBitShares(n);
  }

  #signed(packed: BigUint64Array, n: number): BigInt64Array {
    const u = unpackWords(packed, n);
    return new BigInt64Array(u.buffer, u.byteOffset, n);
  }

  publicBits(packed: BigUint64Array, n: number): S {
    return this.suite.constant(this.#signed(packed, n));
  }

  not(x: S): S {
    return this.suite.addPublic(this.suite.neg(x), BigInt64Array.of(1n));
  }

  /** x ^ c = x + c - 2 c x = x (1 - 2c) + c for public bits c. */
  xorPublic(x: S, c: BigUint64Array): S {
    const cb = this.#signed(c, x.length);
    const f = new BigInt64Array(x.length);
    for (let i = 0; i < f.length; i++) f[i] = 1n - 2n * cb[i]!;
    return this.suite.addPublic(this.suite.mulPublic(x, f), cb);
  }

  andPublic(x: S, c: BigUint64Array): S {
    return this.suite.mulPublic(x, this.#signed(c, x.length));
  }

  xorDisjoint(x: S, y: S): S {
    return this.suite.add(x, y);
  }

  async xorMany(pairs: ReadonlyArray<readonly [S, S]>): Promise<S[]> {
    const s = this.suite;
    const prods = await this.andMany(pairs);
    return pairs.map(([x, y], k) => s.sub(s.add(x, y), s.mulScalar(prods[k]!, 2n)));
  }

  /** All pairs in one Beaver multiplication (one round). */
  async andMany(pairs: ReadonlyArray<readonly [S, S]>): Promise<S[]> {
    const s = this.suite;
    if (pairs.length === 0) return [];
    const xs = s.concat(pairs.map(([x]) => x));
    const ys = s.concat(pairs.map(([, y]) => y));
    const p = await s.mul(xs, ys);
    const out: S[] = [];
    let off = 0;
    for (const [x] of pairs) {
      const idx = new Uint32Array(x.length);
      for (let i = 0; i < x.length; i++) idx[i] = off + i;
      out.push(s.gather(p, idx));
      off += x.length;
    }
    return out;
  }

  toArith(xs: readonly S[]): Promise<S[]> {
    return Promise.resolve([...xs]);
  }
}

/** The spdz2k suite's engine. */
export class Spdz2kBits extends MacBits<Spdz2kShares> {
  constructor(suite: Spdz2kSuite) {
    super(suite);
  }
}
