/**
 * XOR-shared bit vectors for the semi2k suite: AND by Beaver's method with
 * boolean triples (Beaver, CRYPTO 1991, over GF(2)), conversion to
 * arithmetic sharing (B2A) with daBits, and the BitEngine the generic
 * protocols of mixed.ts run on.
 *
 * Assumptions are those of semi2k: semi-honest, up to n-1 of n parties,
 * private authenticated channels. Opened values are x ^ a (a uniform triple
 * component) or x ^ delta (a uniform daBit), so they reveal nothing.
 *
 * Layout: a vector of n bits is ceil(n / 64) words, element i at bit i & 63
 * of word i >> 6; bits past n are don't-care (never opened or converted).
 */
import type { Party } from '../../runtime/party.js';
import { wordsOf } from '../vectors.js';
import { bytesOf, others } from './gen.js';
import type { Batch } from './material.js';
import type { BitEngine } from './mixed.js';
import type { Semi2kShares, Semi2kSuite } from './semi2k.js';

/** This party's XOR share of n bits. */
export class PackedBits {
  constructor(
    readonly w: BigUint64Array,
    readonly n: number,
  ) {}
}

const M64 = (1n << 64n) - 1n;

export function wordsFor(n: number): number {
  return Math.ceil(n / 64);
}

/** Packs 0/1 bytes [from, from + n) into words. */
export function packBytes(b: Uint8Array, from: number, n: number): BigUint64Array {
  const out = new BigUint64Array(wordsFor(n));
  const o = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) o[i >>> 5] = o[i >>> 5]! | (b[from + i]! << (i & 31));
  return out;
}

/** Bit i of a packed vector, for i < n, as 0/1 words. */
export function unpackWords(v: BigUint64Array, n: number): BigUint64Array {
  const out = new BigUint64Array(n);
  const o = new Uint32Array(out.buffer);
  const b = new Uint32Array(v.buffer, v.byteOffset, 2 * v.length);
  for (let i = 0; i < n; i++) o[2 * i] = (b[i >>> 5]! >>> (i & 31)) & 1;
  return out;
}

/** XOR of every party's words: each sends its words to all others. */
export async function openXor(
  party: Party,
  mine: BigUint64Array,
  op: string,
): Promise<BigUint64Array> {
  const peers = others(party);
  const send: Array<Uint8Array | undefined> = new Array(party.n);
  for (const j of peers) send[j] = bytesOf(mine);
  const got = await party.exchange({ op, send, recvFrom: peers });
  const out = mine.slice();
  for (const j of peers) {
    const v = wordsOf(got[j] ?? new Uint8Array(0), mine.length, j, party.ids[j]!);
    for (let q = 0; q < out.length; q++) out[q] = out[q]! ^ v[q]!;
  }
  return out;
}

/** The semi2k BitEngine over PackedBits. */
export class Semi2kBits implements BitEngine<Semi2kShares, PackedBits> {
  constructor(readonly suite: Semi2kSuite) {}

  get #me(): number {
    return this.suite.party.index;
  }

  openWords(a: Semi2kShares): Promise<BigUint64Array> {
    return this.suite.openAll(a, 'semi2k.mask');
  }

  randomWords(n: number): Promise<Semi2kShares> {
    return Promise.resolve(this.suite.random(n));
  }

  /** n w-bit edaBits from n w daBits: daBit k n + i is bit k of element i. */
  async edaBits(n: number, w: number): Promise<{ r: Semi2kShares; bits: PackedBits[] }> {
    const d = await this.suite.takeDaBits(n * w);
    const arith = d.cols.arith as BigUint64Array;
    const bool = d.cols.bool as Uint8Array;
    const r = new BigUint64Array(n);
    const bits: PackedBits[] = [];
    for (let k = 0; k < w; k++) {
      const p = 1n << BigInt(k);
      const off = k * n;
      for (let i = 0; i < n; i++) r[i] = r[i]! + arith[off + i]! * p;
      bits.push(new PackedBits(packBytes(bool, off, n), n));
    }
    return { r: this.suite.wrap(r), bits };
  }

  async randomBitsArith(n: number): Promise<Semi2kShares> {
    const d = await this.suite.takeDaBits(n);
    return this.suite.wrap((d.cols.arith as BigUint64Array).slice());
  }

  publicBits(packed: BigUint64Array, n: number): PackedBits {
    return new PackedBits(this.#me === 0 ? packed.slice() : new BigUint64Array(packed.length), n);
  }

  not(x: PackedBits): PackedBits {
    if (this.#me !== 0) return x;
    const w = new BigUint64Array(x.w.length);
    for (let q = 0; q < w.length; q++) w[q] = x.w[q]! ^ M64;
    return new PackedBits(w, x.n);
  }

  xorPublic(x: PackedBits, c: BigUint64Array): PackedBits {
    if (this.#me !== 0) return x;
    const w = new BigUint64Array(x.w.length);
    for (let q = 0; q < w.length; q++) w[q] = x.w[q]! ^ c[q]!;
    return new PackedBits(w, x.n);
  }

  andPublic(x: PackedBits, c: BigUint64Array): PackedBits {
    const w = new BigUint64Array(x.w.length);
    for (let q = 0; q < w.length; q++) w[q] = x.w[q]! & c[q]!;
    return new PackedBits(w, x.n);
  }

  xorDisjoint(x: PackedBits, y: PackedBits): PackedBits {
    return xorBits(x, y);
  }

  xorMany(pairs: ReadonlyArray<readonly [PackedBits, PackedBits]>): Promise<PackedBits[]> {
    return Promise.resolve(pairs.map(([x, y]) => xorBits(x, y)));
  }

  /**
   * x & y for every pair in one round (Beaver over GF(2)): open d = x ^ a and
   * e = y ^ b, then z = c ^ (d & b) ^ (e & a) ^ (d & e) (the last term at party 0).
   */
  async andMany(pairs: ReadonlyArray<readonly [PackedBits, PackedBits]>): Promise<PackedBits[]> {
    let W = 0;
    for (const [x, y] of pairs) {
      if (x.n !== y.n) throw new RangeError(`semi2k.and: lengths differ (${x.n} and ${y.n})`);
      W += x.w.length;
    }
    if (W === 0) return pairs.map(([x]) => new PackedBits(new BigUint64Array(0), x.n));
    const t = await this.suite.takeBitTriples(W);
    const a = t.cols.a as BigUint64Array;
    const b = t.cols.b as BigUint64Array;
    const c = t.cols.c as BigUint64Array;
    const de = new BigUint64Array(2 * W);
    let off = 0;
    for (const [x, y] of pairs) {
      for (let q = 0; q < x.w.length; q++) {
        de[off + q] = x.w[q]! ^ a[off + q]!;
        de[W + off + q] = y.w[q]! ^ b[off + q]!;
      }
      off += x.w.length;
    }
    const DE = await openXor(this.suite.party, de, 'semi2k.and');
    const first = this.#me === 0;
    const out: PackedBits[] = [];
    off = 0;
    for (const [x] of pairs) {
      const L = x.w.length;
      const z = new BigUint64Array(L);
      for (let q = 0; q < L; q++) {
        const o = off + q;
        const d = DE[o]!;
        const e = DE[W + o]!;
        z[q] = c[o]! ^ (d & b[o]!) ^ (e & a[o]!);
        if (first) z[q] = z[q]! ^ (d & e);
      }
      out.push(new PackedBits(z, x.n));
      off += L;
    }
    return out;
  }

  /**
   * B2A with daBits: open e = x ^ delta (GF(2)), then
   * [x] = e + [delta] - 2 e [delta] in Z_2^64. One round for all vectors.
   */
  async toArith(xs: readonly PackedBits[]): Promise<Semi2kShares[]> {
    let N = 0;
    let W = 0;
    for (const x of xs) {
      N += x.n;
      W += x.w.length;
    }
    const d: Batch = await this.suite.takeDaBits(N);
    const dA = d.cols.arith as BigUint64Array;
    const dB = d.cols.bool as Uint8Array;
    const masked = new BigUint64Array(W);
    let off = 0;
    let bit = 0;
    for (const x of xs) {
      const p = packBytes(dB, bit, x.n);
      for (let q = 0; q < x.w.length; q++) masked[off + q] = x.w[q]! ^ p[q]!;
      off += x.w.length;
      bit += x.n;
    }
    const E = await openXor(this.suite.party, masked, 'semi2k.b2a');
    const out: Semi2kShares[] = [];
    off = 0;
    bit = 0;
    const first = this.#me === 0;
    for (const x of xs) {
      const e = unpackWords(E.subarray(off, off + x.w.length), x.n);
      const v = new BigUint64Array(x.n);
      for (let i = 0; i < x.n; i++) {
        // m = 0 or all ones; (v ^ m) - m is v or -v.
        const m = BigInt.asUintN(64, -e[i]!);
        v[i] = (dA[bit + i]! ^ m) - m;
        if (first) v[i] = v[i]! + e[i]!;
      }
      out.push(this.suite.wrap(v));
      off += x.w.length;
      bit += x.n;
    }
    return out;
  }
}

function xorBits(x: PackedBits, y: PackedBits): PackedBits {
  if (x.n !== y.n) throw new RangeError(`semi2k.xor: lengths differ (${x.n} and ${y.n})`);
  const w = new BigUint64Array(x.w.length);
  for (let q = 0; q < w.length; q++) w[q] = x.w[q]! ^ y.w[q]!;
  return new PackedBits(w, x.n);
}
