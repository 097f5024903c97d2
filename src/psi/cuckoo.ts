/**
 * Cuckoo hashing of the receiver's set, as in Pinkas, Schneider, Zohner,
 * "Faster Private Set Intersection based on OT Extension" (USENIX Security
 * 2014) and its analysis in Pinkas, Schneider, Segev, Zohner (USENIX
 * Security 2015): three hash functions into ceil(1.27 n) + 16 bins, each bin
 * holding at most one element, placed by random-walk eviction. KKRT16 uses
 * the same layout (the receiver runs one OPRF per bin).
 *
 * No stash: an insertion that fails (expected rarely at this load; measured
 * in the tests) is retried by the receiver with a fresh hash seed *before*
 * the seed is sent, so the sender only ever sees the seed that worked.
 *
 * The hash functions are public: h_i(x) = word i of AES_seed(x) mod bins,
 * computed for whole sets in one batched AES pass.
 */
import { FixedKeyAes } from '../primitives/hash.js';
import type { CryptoProvider } from '../random/provider.js';

export const CUCKOO_HASHES = 3;

/** Bins for a receiver set of n elements. */
export function binCount(n: number): number {
  return Math.ceil(1.27 * n) + 16;
}

/**
 * The three bin indices of every digest (n x 3, row-major): bins of
 * element k at [3 k, 3 k + 3).
 */
export function binsOf(
  provider: CryptoProvider,
  seed: Uint8Array,
  digests: Uint8Array,
  bins: number,
): Uint32Array {
  const n = digests.length >>> 4;
  const words = new Uint32Array(4 * n);
  new FixedKeyAes(provider, seed).permute(new Uint32Array(digests.slice().buffer), words, n);
  const out = new Uint32Array(3 * n);
  for (let k = 0; k < n; k++) {
    out[3 * k] = words[4 * k]! % bins;
    out[3 * k + 1] = words[4 * k + 1]! % bins;
    out[3 * k + 2] = words[4 * k + 2]! % bins;
  }
  return out;
}

/** A filled table: bin b holds element item[b] (or -1) placed by hash function which[b]. */
export interface CuckooTable {
  readonly item: Int32Array;
  readonly which: Uint8Array;
}

/**
 * Inserts elements 0..n-1 by random-walk cuckoo hashing; undefined when an
 * element cannot be placed within the step budget (the caller retries with
 * a new seed). `random` supplies 32-bit words for the walk (it only decides
 * placement inside the receiver; any source that is not predictable from
 * outside will do, the receiver's PRG is used).
 */
export function cuckooInsert(
  h: Uint32Array,
  n: number,
  bins: number,
  random: () => number,
): CuckooTable | undefined {
  const item = new Int32Array(bins).fill(-1);
  const which = new Uint8Array(bins);
  const maxSteps = 500 + 8 * Math.ceil(Math.log2(n + 2));
  for (let k = 0; k < n; k++) {
    let cur = k;
    let placed = false;
    // First pass: any free bin among the three.
    for (let i = 0; i < CUCKOO_HASHES; i++) {
      const b = h[3 * cur + i]!;
      if (item[b]! < 0) {
        item[b] = cur;
        which[b] = i;
        placed = true;
        break;
      }
    }
    let last = -1;
    for (let step = 0; !placed && step < maxSteps; step++) {
      // Evict from a random bin of cur's three (not the one it was just evicted from).
      let i = random() % CUCKOO_HASHES;
      let b = h[3 * cur + i]!;
      if (b === last) {
        i = (i + 1) % CUCKOO_HASHES;
        b = h[3 * cur + i]!;
      }
      const out = item[b]!;
      item[b] = cur;
      which[b] = i;
      last = b;
      cur = out;
      for (let j = 0; j < CUCKOO_HASHES; j++) {
        const c = h[3 * cur + j]!;
        if (item[c]! < 0) {
          item[c] = cur;
          which[c] = j;
          placed = true;
          break;
        }
      }
    }
    if (!placed) return undefined;
  }
  return { item, which };
}
