/**
 * Oblivious sorting and shuffling, suite-independent.
 *
 * Two sorts: quicksort with revealed comparisons after a secret shuffle
 * (./quicksort.ts, the default where the suite is semi-honest with an
 * honest majority), and Batcher's network below, which is secure under every
 * suite. For Batcher's: assumptions are those of the suite. The sequence of compare-exchanges is a
 * sorting network fixed by n alone (Batcher, "Sorting networks and their
 * applications", AFIPS Spring Joint Computer Conference 1968, odd-even merge
 * sort), so the protocol's communication pattern depends on the public length
 * only: nothing about the keys, their order or their ties leaks beyond what
 * the suite leaks. The network is not stable: rows with equal keys come out
 * in an order that depends on the data (hidden, but not the input order).
 */
import type { Shares, Suite } from '../suites/suite.js';
import { canQuickSort, quickSortBy } from './quicksort.js';
import { canReshuffle, reshuffle } from './reshuffle.js';

/**
 * How `sortBy` sorts: 'batcher' (a sorting network: reveals nothing under any
 * suite, n log^2 n / 4 comparisons), 'shuffle' (secret shuffle, then
 * quicksort with revealed comparisons of index-tagged keys, ./quicksort.ts:
 * about 1.2 n log2 n comparisons; semi-honest honest-majority suites only), or
 * 'auto' (the default: 'shuffle' where it is secure and the tagged keys fit
 * the suite's comparisons, else 'batcher').
 */
export type SortMethod = 'auto' | 'batcher' | 'shuffle';

/** The method 'auto' picks for n keys of keyBound bits. */
export function chooseSortMethod(suite: Suite, keyBound: number, n: number): 'batcher' | 'shuffle' {
  return canQuickSort(suite, keyBound, n) ? 'shuffle' : 'batcher';
}

/** The pairs (lo, hi), lo < hi, compared in one layer of the network. */
export interface Layer {
  readonly lo: Uint32Array;
  readonly hi: Uint32Array;
}

/**
 * The layers of Batcher's odd-even merge sort on n wires. For n not a power
 * of two the network for the next power N is used with wires n..N-1 holding
 * +infinity: a comparator that touches one of them never moves anything, so
 * it is dropped. Comparators of a layer touch disjoint wires. There are
 * t(t+1)/2 layers for t = ceil(log2 n).
 */
export function batcherLayers(n: number): Layer[] {
  const layers: Layer[] = [];
  // p: size of the sorted runs being merged; k: comparator distance within the merge.
  for (let p = 1; p < n; p *= 2) {
    for (let k = p; k >= 1; k = k >> 1) {
      const lo: number[] = [];
      const hi: number[] = [];
      for (let j = k % p; j + k < n; j += 2 * k) {
        for (let i = 0; i < k && i + j + k < n; i++) {
          // Compare only within one merge block of size 2p.
          if (Math.floor((i + j) / (2 * p)) === Math.floor((i + j + k) / (2 * p))) {
            lo.push(i + j);
            hi.push(i + j + k);
          }
        }
      }
      if (lo.length > 0) layers.push({ lo: Uint32Array.from(lo), hi: Uint32Array.from(hi) });
    }
  }
  return layers;
}

/**
 * Sorts n secret keys, moving the payload columns with them (rows stay
 * together). By default (`method` 'auto') with a secret shuffle and
 * quicksort on revealed comparisons where the suite allows it (see
 * `SortMethod`), else by Batcher's odd-even merge sort: about log2(n)(log2(n)+1)/2
 * layers, each one `ltz` call on all its comparisons and one multiplication
 * round that swaps keys and payloads at once (for a comparator with swap bit
 * c: lo' = lo + c (hi - lo), hi' = hi - c (hi - lo)). Payloads may hold any
 * values of the suite: swaps are exact.
 *
 * @param keyBound every key k satisfies -2^(keyBound-1) <= k < 2^(keyBound-1);
 *   the comparisons need keyBound + 1 bits.
 * @param descending largest key first.
 * @throws {RangeError} if a payload's length differs from the keys' or the
 *   bound exceeds the suite's comparisons.
 * @example
 *   const { keys, payloads: [ids] } = await sortBy(suite, ages, 8, [ids]);
 */
export async function sortBy(
  suite: Suite,
  keys: Shares,
  keyBound: number,
  payloads: readonly Shares[],
  descending = false,
  method: SortMethod = 'auto',
): Promise<{ keys: Shares; payloads: Shares[] }> {
  const n = keys.length;
  if (!Number.isInteger(keyBound) || keyBound < 1 || keyBound + 1 > suite.compareCapacity) {
    throw new RangeError(
      `sortBy: keys of up to ${keyBound} bits exceed the ${suite.name} suite's ${suite.compareCapacity - 1}-bit comparisons`,
    );
  }
  payloads.forEach((col, c) => {
    if (col.length !== n) {
      throw new RangeError(`sortBy: payload ${c} has ${col.length} elements, the keys ${n}`);
    }
  });
  if (n <= 1) return { keys, payloads: [...payloads] };
  const how = method === 'auto' ? chooseSortMethod(suite, keyBound, n) : method;
  if (how === 'shuffle') return quickSortBy(suite, keys, keyBound, payloads, descending);
  if (how !== 'batcher') throw new RangeError(`sortBy: unknown method '${String(method)}'`);

  const cols = 1 + payloads.length;
  // Column-major: element i of column c at c n + i; the keys are column 0.
  let data = suite.concat([keys, ...payloads]);
  for (const { lo, hi } of batcherLayers(n)) {
    const m = lo.length;
    const at = (wires: Uint32Array) => {
      const idx = new Uint32Array(cols * m);
      for (let c = 0; c < cols; c++) for (let r = 0; r < m; r++) idx[c * m + r] = c * n + wires[r]!;
      return idx;
    };
    const a = suite.gather(data, at(lo));
    const b = suite.gather(data, at(hi));
    const ka = suite.gather(a, range(0, m));
    const kb = suite.gather(b, range(0, m));
    // Swap when the pair is out of order: hi < lo ascending, lo < hi descending.
    const swap = await suite.ltz(descending ? suite.sub(ka, kb) : suite.sub(kb, ka), keyBound + 1);
    const repeat = new Uint32Array(cols * m);
    for (let q = 0; q < cols * m; q++) repeat[q] = q % m;
    const delta = await suite.mul(suite.gather(swap, repeat), suite.sub(b, a));
    // Scatter the exchanged values back: wire positions of this layer read from the appended parts.
    const src = new Uint32Array(cols * n);
    for (let q = 0; q < cols * n; q++) src[q] = q;
    const total = cols * n;
    for (let c = 0; c < cols; c++) {
      for (let r = 0; r < m; r++) {
        src[c * n + lo[r]!] = total + c * m + r;
        src[c * n + hi[r]!] = total + cols * m + c * m + r;
      }
    }
    data = suite.gather(suite.concat([data, suite.add(a, delta), suite.sub(b, delta)]), src);
  }
  const out = Array.from({ length: cols }, (_, c) => suite.gather(data, range(c * n, n)));
  return { keys: out[0]!, payloads: out.slice(1) };
}

/**
 * Applies one uniformly random secret permutation to all columns (rows stay
 * together). Under semi-honest honest-majority suites by resharing
 * (./reshuffle.ts: C(n, t) rounds of openings and inputs, linear cost);
 * elsewhere by sorting on fresh random keys with Batcher's network: each key is beta random shared
 * bits from `suite.randomBits`, with beta = min(2 ceil(log2 n) + 40,
 * compareCapacity - 2). If the keys are distinct the order they induce is
 * uniform, so the statistical distance from a uniform permutation is at most
 * the collision probability n(n-1) / 2^(beta+1): at most 2^-41 whenever
 * beta = 2 ceil(log2 n) + 40 fits (shamir; rep3 up to n = 2^11), and
 * 2^-36 for n = 10^4 under rep3 (beta = 62).
 *
 * @throws {RangeError} if a column's length is not n.
 */
export async function shuffle(
  suite: Suite,
  columns: readonly Shares[],
  n: number,
): Promise<Shares[]> {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`shuffle: invalid length ${n}`);
  columns.forEach((col, c) => {
    if (col.length !== n)
      throw new RangeError(`shuffle: column ${c} has ${col.length} elements, expected ${n}`);
  });
  if (n <= 1 || columns.length === 0) return [...columns];
  if (canReshuffle(suite)) return reshuffle(suite, columns, n);
  const logN = (n - 1).toString(2).length; // ceil(log2 n) for n >= 2
  const beta = Math.min(2 * logN + 40, suite.compareCapacity - 2);
  const bits = await suite.randomBits(n * beta);
  // key_i = sum_j bit_(i beta + j) 2^j, uniform in [0, 2^beta).
  const weights = new BigInt64Array(n * beta);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < beta; j++) weights[i * beta + j] = 1n << BigInt(j);
  const keys = suite.sumGroups(suite.mulPublic(bits, weights), beta);
  const { payloads } = await sortBy(suite, keys, beta + 1, columns, false, 'batcher');
  return payloads;
}

function range(start: number, len: number): Uint32Array {
  const out = new Uint32Array(len);
  for (let i = 0; i < len; i++) out[i] = start + i;
  return out;
}
