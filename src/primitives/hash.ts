/**
 * Fixed-key AES hashing of 128-bit blocks, batched.
 *
 * Construction: Guo, Katz, Wang, Yu, "Efficient and Secure Multiparty
 * Computation from Fixed-Key Block Ciphers", IEEE S&P 2020, section 7: with
 * pi = AES-128 under a fixed public key (modelled as a random permutation),
 *
 *   TMMO(x, i) = pi(pi(x) xor i) xor pi(x)
 *
 * is a tweakable circular correlation-robust (TCCR) hash: outputs on
 * correlated inputs x, x xor Delta under distinct tweaks look independent and
 * uniform even to someone who sees hashes involving Delta itself. That is the
 * property both OT extension (hashing q_i and q_i xor Delta) and free-XOR
 * half-gates garbling need. Tweaks must never repeat for one input; callers
 * use a global counter and a domain tag in the top word.
 *
 * Blocks are 16 bytes, viewed as four little-endian 32-bit words. Work is
 * done in batches of CHUNK blocks so each AES call is large (hundreds of
 * millions of blocks per second through node:crypto) but its output stays
 * under 256 KiB (docs/PERFORMANCE.md, "Machine facts").
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { aesEcbOf, type CryptoProvider } from '../random/provider.js';

/** Domain tags, placed in the top 32-bit word of a tweak. */
export const TWEAK_DOMAIN = {
  otExtension: 0x6f74_6578, // 'otex'
  garbling: 0x6761_7262, // 'garb'
} as const;

/** The public fixed AES key: SHA-256 of a label, truncated. Anyone may know it. */
export const FIXED_AES_KEY: Uint8Array = sha256(
  new TextEncoder().encode('entente/fixed-key-aes/v1'),
).slice(0, 16);

/** Blocks per AES call: 16,384 blocks = 256 KiB. */
export const CHUNK = 16384;

/** pi = AES-128 under the fixed public key, on batches of blocks. */
export class FixedKeyAes {
  readonly #enc: (input: Uint8Array, output: Uint8Array) => void;

  constructor(provider: CryptoProvider, key: Uint8Array = FIXED_AES_KEY) {
    this.#enc = aesEcbOf(provider, key);
  }

  /** out[j] = pi(x[j]) for blocks j < n (4 words each); x and out may alias. */
  permute(x: Uint32Array, out: Uint32Array, n = x.length >>> 2): void {
    for (let j = 0; j < n; j += CHUNK) {
      const end = Math.min(n, j + CHUNK);
      this.#enc(bytesOf(x, 4 * j, 4 * end), bytesOf(out, 4 * j, 4 * end));
    }
  }
}

function bytesOf(w: Uint32Array, from: number, to: number): Uint8Array {
  return new Uint8Array(w.buffer, w.byteOffset + 4 * from, 4 * (to - from));
}

/**
 * TMMO with the tweak of block j equal to (lo + j, hi, 0, domain) as four
 * words, i.e. consecutive 64-bit counters: out[j] = TMMO(x[j], tweak_j).
 * `x` and `out` may alias.
 */
export class TccrHash {
  readonly pi: FixedKeyAes;
  #a = new Uint32Array(4 * CHUNK);

  constructor(provider: CryptoProvider) {
    this.pi = new FixedKeyAes(provider);
  }

  /**
   * Hashes n blocks of x; block j gets tweak start + (j >> shift), so with
   * shift 1 consecutive pairs share a tweak (a label and its partner label
   * xor Delta). Requires start + n <= 2^53.
   */
  hashCounter(
    x: Uint32Array,
    out: Uint32Array,
    n: number,
    start: number,
    domain: number,
    shift: 0 | 1 = 0,
  ): void {
    const a = this.#a;
    for (let j0 = 0; j0 < n; j0 += CHUNK) {
      const m = Math.min(CHUNK, n - j0); // CHUNK is even, so pairs never straddle chunks
      this.pi.permute(x.subarray(4 * j0, 4 * (j0 + m)), a, m);
      const os = out.subarray(4 * j0, 4 * (j0 + m));
      // os = pi(x) xor tweak, the 64-bit counter split into two words.
      const t = start + (j0 >>> shift);
      let lo = t % 4294967296;
      let hi = (t - lo) / 4294967296;
      const step = 4 << shift;
      for (let w0 = 0; w0 < 4 * m; w0 += step) {
        for (let w = w0; w < w0 + step && w < 4 * m; w += 4) {
          os[w] = a[w]! ^ lo;
          os[w + 1] = a[w + 1]! ^ hi;
          os[w + 2] = a[w + 2]!;
          os[w + 3] = a[w + 3]! ^ domain;
        }
        if (++lo === 4294967296) {
          lo = 0;
          hi++;
        }
      }
      this.pi.permute(os, os, m);
      for (let w = 0; w < 4 * m; w++) os[w] = os[w]! ^ a[w]!;
    }
  }
}

/**
 * The two AES passes of TMMO without the final xor, for kernels that fuse it
 * into their next step: p_j = pi(x_j), y_j = pi(p_j xor tweak_j), so
 * TMMO(x_j, tweak_j) = y_j xor p_j. Tweaks as in `TccrHash.hashCounter`.
 * `p` and `y` must be distinct from each other; x may alias p.
 */
export function tmmoPasses(
  pi: FixedKeyAes,
  x: Uint32Array,
  p: Uint32Array,
  y: Uint32Array,
  n: number,
  start: number,
  domain: number,
  shift: 0 | 1,
): void {
  for (let j0 = 0; j0 < n; j0 += CHUNK) {
    const m = Math.min(CHUNK, n - j0);
    const ps = p.subarray(4 * j0, 4 * (j0 + m));
    const ys = y.subarray(4 * j0, 4 * (j0 + m));
    pi.permute(x.subarray(4 * j0, 4 * (j0 + m)), ps, m);
    const t = start + (j0 >>> shift);
    let lo = t % 4294967296;
    let hi = (t - lo) / 4294967296;
    const step = 4 << shift;
    for (let w0 = 0; w0 < 4 * m; w0 += step) {
      for (let w = w0; w < w0 + step && w < 4 * m; w += 4) {
        ys[w] = ps[w]! ^ lo;
        ys[w + 1] = ps[w + 1]! ^ hi;
        ys[w + 2] = ps[w + 2]!;
        ys[w + 3] = ps[w + 3]! ^ domain;
      }
      if (++lo === 4294967296) {
        lo = 0;
        hi++;
      }
    }
    pi.permute(ys, ys, m);
  }
}

/** out[w] = a[w] xor b[w] over the given number of words. */
export function xorWords(a: Uint32Array, b: Uint32Array, out: Uint32Array, words = a.length): void {
  for (let w = 0; w < words; w++) out[w] = a[w]! ^ b[w]!;
}
