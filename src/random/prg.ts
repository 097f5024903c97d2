/**
 * A seeded pseudo-random generator: AES-128 in counter mode keyed by a 16-byte
 * seed. Output is produced in chunks of at most 256 KiB (larger single cipher
 * calls trip glibc's mmap path and lose an order of magnitude; see
 * docs/PERFORMANCE.md, "Machine facts"). Two PRGs with the same seed produce the same
 * stream, which is what pseudo-random secret sharing relies on.
 */
import type { CryptoProvider } from './provider.js';

const CHUNK = 262144;

export class Prg {
  readonly #next: (out: Uint8Array) => void;

  /** @throws {RangeError} unless the seed is 16 bytes. */
  constructor(seed: Uint8Array, provider: CryptoProvider) {
    if (seed.length !== 16)
      throw new RangeError(`Prg: expected a 16-byte seed, got ${seed.length}`);
    this.#next = provider.aesCtr(seed, new Uint8Array(16));
  }

  /** Fills `out` with the next bytes of the stream. */
  fill(out: Uint8Array): void {
    const whole = out.length - (out.length % 16);
    for (let off = 0; off < whole; off += CHUNK) {
      this.#next(out.subarray(off, Math.min(whole, off + CHUNK)));
    }
    if (whole < out.length) {
      const tail = new Uint8Array(16);
      this.#next(tail);
      out.set(tail.subarray(0, out.length - whole), whole);
    }
  }

  /**
   * out[k] -= next word, for every k (mod 2^64): the difference of two
   * streams (a zero-sharing) without materialising the second one.
   */
  subtractFrom(out: BigUint64Array): void {
    this.#scratch ??= new BigUint64Array(CHUNK / 8);
    const s = this.#scratch;
    const sb = new Uint8Array(s.buffer);
    for (let off = 0; off < out.length; off += s.length) {
      const len = Math.min(s.length, out.length - off);
      this.fill(sb.subarray(0, 8 * len));
      for (let k = 0; k < len; k++) out[off + k] = out[off + k]! - s[k]!;
    }
  }
  #scratch: BigUint64Array | undefined;

  /** The next n uniformly random 64-bit words. */
  words(n: number): BigUint64Array {
    const out = new BigUint64Array(n);
    this.fill(new Uint8Array(out.buffer));
    return out;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    this.fill(out);
    return out;
  }
}

/** Fresh OS randomness as 64-bit words. */
export function randomWords(provider: CryptoProvider, n: number): BigUint64Array {
  const out = new BigUint64Array(n);
  provider.randomFill(new Uint8Array(out.buffer));
  return out;
}

export function randomSeed(provider: CryptoProvider): Uint8Array {
  const seed = new Uint8Array(16);
  provider.randomFill(seed);
  return seed;
}
