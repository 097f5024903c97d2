/**
 * rep3m's bit engine: spdz2k's (authenticated arithmetic 0/1 values, see
 * ../spdz2k/engine.ts) with the local steps that dominate a comparison done
 * without 128-bit multiplications: an edaBit's value by doubling and adding
 * (Horner) instead of a product by 2^k per bit, and XOR or AND with public
 * bits by choosing per element between x, 1 - x and 0.
 */
import { unpackWords } from '../semi2k/boolean.js';
import { MacBits } from '../spdz2k/engine.js';
import type { Rep3mShares, Rep3mSuite } from './rep3m.js';

export class Rep3mBits extends MacBits<Rep3mShares> {
  readonly #s: Rep3mSuite;

  constructor(suite: Rep3mSuite) {
    super(suite);
    this.#s = suite;
  }

  /** n w-bit masks from n w random bits: bit k of element i is bit k n + i. */
  override async edaBits(n: number, w: number): Promise<{ r: Rep3mShares; bits: Rep3mShares[] }> {
    const s = this.#s;
    const all = await s.randomBitShares(n * w);
    const bits: Rep3mShares[] = [];
    for (let k = 0; k < w; k++) bits.push(s.slice(all, k * n, (k + 1) * n));
    let r = bits[w - 1]!;
    for (let k = w - 2; k >= 0; k--) r = s.add(s.add(r, r), bits[k]!);
    return { r, bits };
  }

  /** x ^ c: 1 - x where c is 1, x where it is 0. */
  override xorPublic(x: Rep3mShares, c: BigUint64Array): Rep3mShares {
    return this.#s.flipWhere(unpackWords(c, x.length), x);
  }

  /** x & c: x where c is 1, 0 where it is 0. */
  override andPublic(x: Rep3mShares, c: BigUint64Array): Rep3mShares {
    return this.#s.choose(unpackWords(c, x.length), x, undefined);
  }
}
