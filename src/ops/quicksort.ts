/**
 * Sorting and selection with revealed comparisons after a secret shuffle.
 *
 * Protocol (Hamada, Kikuchi, Ikarashi, Chida, "Practically efficient
 * multi-party sorting protocols from comparison sort algorithms", ICISC
 * 2012): shuffle the rows by a secret uniform permutation (./reshuffle.ts),
 * make the keys distinct by appending each row's (public) position before
 * the shuffle, k' = k 2^L + i with L = ceil(log2 n), then run quicksort in the
 * open on the shares: every comparison with a pivot is computed securely and
 * its outcome revealed, and the rows are moved by public index arithmetic.
 * Because the tagged keys are distinct and their order after the shuffle is
 * a uniform permutation, the revealed outcomes are a function of that
 * permutation alone: their distribution is the same for every input (ties
 * included), so they leak nothing. The pivots of a segment are its first
 * rows (rows arrive in uniform random order, and a stable partition keeps
 * the order within each part uniform).
 *
 * Each segment is split by three pivots (its first rows) into four parts,
 * and all the partitions of one level of the recursion are batched into one
 * comparison call and one opening (the pivots against each other and every
 * other row against every pivot): about log4 n levels, each about 8 rounds in
 * rep3, for about twice the comparisons of one-pivot quicksort (3 per row and
 * level). Selection (quickselect) refines only the segments holding a wanted
 * rank.
 *
 * Assumptions: those of the shuffle (semi-honest, honest majority), and keys
 * with keyBound + L + 1 bits within the suite's comparisons.
 */
import type { Shares, Suite } from '../suites/suite.js';
import { canReshuffle, reshuffle } from './reshuffle.js';

/** Bits of the position tag: ceil(log2 n), at least 1. */
export function tagBits(n: number): number {
  return Math.max(1, (n - 1).toString(2).length);
}

/** Whether quicksort after a shuffle is secure and fits the suite for these keys. */
export function canQuickSort(suite: Suite, keyBound: number, n: number): boolean {
  return canReshuffle(suite) && keyBound + tagBits(n) + 1 <= suite.compareCapacity;
}

/**
 * Sorts rows by key after a secret shuffle, with revealed comparisons of
 * index-tagged keys (see the file comment). Rows with equal keys come out in
 * a random order.
 * @throws {RangeError} if the suite has no honest majority or the tagged
 *   keys exceed its comparisons.
 */
export async function quickSortBy(
  suite: Suite,
  keys: Shares,
  keyBound: number,
  payloads: readonly Shares[],
  descending = false,
): Promise<{ keys: Shares; payloads: Shares[] }> {
  const n = keys.length;
  if (n <= 1) return { keys, payloads: [...payloads] };
  const { cols, tagged, bound } = await shuffleAndTag(suite, keys, keyBound, payloads);
  const order = await revealedOrder(suite, tagged, bound, n);
  if (descending) order.reverse();
  const out = cols.map((c) => suite.gather(c, order));
  return { keys: out[0]!, payloads: out.slice(1) };
}

/**
 * The rows of the given ranks (0 = smallest key) after a secret shuffle, by
 * quickselect with revealed comparisons: only the segments holding a wanted
 * rank are partitioned further. Ties broken at random, so the key at rank r
 * is exactly the r-th smallest key.
 * @throws {RangeError} for a rank outside 0..n-1, or as `quickSortBy`.
 */
export async function quickSelect(
  suite: Suite,
  keys: Shares,
  keyBound: number,
  ranks: readonly number[],
  payloads: readonly Shares[] = [],
): Promise<{ keys: Shares; payloads: Shares[] }> {
  const n = keys.length;
  ranks.forEach((r) => {
    if (!Number.isInteger(r) || r < 0 || r >= n)
      throw new RangeError(`quickSelect: rank ${r} is outside 0..${n - 1}`);
  });
  const at = Uint32Array.from(ranks);
  if (n <= 1) {
    return { keys: suite.gather(keys, at), payloads: payloads.map((p) => suite.gather(p, at)) };
  }
  const { cols, tagged, bound } = await shuffleAndTag(suite, keys, keyBound, payloads);
  const wanted = Array.from(new Set(ranks)).sort((a, b) => a - b);
  const order = await revealedOrder(suite, tagged, bound, n, wanted);
  const rows = Uint32Array.from(ranks, (r) => order[r]!);
  const out = cols.map((c) => suite.gather(c, rows));
  return { keys: out[0]!, payloads: out.slice(1) };
}

async function shuffleAndTag(
  suite: Suite,
  keys: Shares,
  keyBound: number,
  payloads: readonly Shares[],
): Promise<{ cols: Shares[]; tagged: Shares; bound: number }> {
  const n = keys.length;
  if (!canReshuffle(suite)) {
    throw new RangeError(
      `quickSortBy: the ${suite.name} suite has no honest majority, so the shuffle is not secure; use Batcher's network`,
    );
  }
  if (!Number.isInteger(keyBound) || keyBound < 1 || !canQuickSort(suite, keyBound, n)) {
    throw new RangeError(
      `quickSortBy: ${keyBound}-bit keys with a ${tagBits(n)}-bit position tag exceed the ${suite.name} suite's ${suite.compareCapacity - 1}-bit comparisons`,
    );
  }
  payloads.forEach((col, c) => {
    if (col.length !== n)
      throw new RangeError(`quickSortBy: payload ${c} has ${col.length} elements, the keys ${n}`);
  });
  // Tag before the shuffle: the tags are then a secret uniform permutation of
  // 0..n-1, so equal keys compare in a random order (tagging after it would
  // make them compare by position and reveal the ties).
  const L = tagBits(n);
  const pos = new BigInt64Array(n);
  for (let i = 0; i < n; i++) pos[i] = BigInt(i);
  const tagged0 = suite.addPublic(suite.mulScalar(keys, 1n << BigInt(L)), pos);
  const [tagged, ...cols] = await reshuffle(suite, [tagged0, keys, ...payloads], n);
  return { cols, tagged: tagged!, bound: keyBound + L };
}

/** Opens 0/1 values to everyone as bytes (through 64-bit words where the suite offers them). */
async function openBits(suite: Suite, x: Shares, all: readonly number[]): Promise<Uint8Array> {
  const out = new Uint8Array(x.length);
  if (suite.openInt64) {
    const w = (await suite.openInt64(x, all))!;
    // The low 32 bits of each (little-endian) word hold the bit.
    const lo = new Int32Array(w.buffer, w.byteOffset, 2 * w.length);
    for (let i = 0; i < out.length; i++) out[i] = lo[2 * i]!;
    return out;
  }
  const v = (await suite.open(x, all))!;
  for (let i = 0; i < out.length; i++) out[i] = Number(v[i]!);
  return out;
}

/**
 * Pivots per segment and level: a level splits every segment into up to
 * PIVOTS + 1 parts with one batch of comparisons (the pivots against each
 * other and every other row against every pivot), so the recursion is about
 * log4 n levels deep instead of log2 n. Each level costs one comparison call
 * and one opening, which is what latency charges for (about 8 rounds in
 * rep3); the price is about twice the comparisons of a one-pivot partition.
 */
const PIVOTS = 3;

/** Rank of each of k pivots among themselves, from the bits [p_j < p_i] for i < j (in that order). */
function pivotRanks(bits: Uint8Array, at: number, k: number): number[] {
  const rank = new Array<number>(k).fill(0);
  let q = at;
  for (let i = 0; i < k; i++)
    for (let j = i + 1; j < k; j++) {
      if (bits[q++] === 1) rank[i]!++;
      else rank[j]!++;
    }
  return rank;
}

/**
 * Quicksort on distinct shared keys with revealed comparisons: returns
 * order[p] = the row at sorted position p. With `wanted` (ascending ranks),
 * only segments holding one of them are refined, and only those positions
 * are final.
 */
export async function revealedOrder(
  suite: Suite,
  keys: Shares,
  bound: number,
  n: number,
  wanted?: readonly number[],
): Promise<Uint32Array> {
  const all = Array.from({ length: suite.party.n }, (_, i) => i);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const holdsWanted = (start: number, end: number): boolean => {
    if (!wanted) return true;
    // First wanted rank >= start, by binary search.
    let lo = 0;
    let hi = wanted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (wanted[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    return lo < wanted.length && wanted[lo]! < end;
  };
  // Segments [start, end) still to partition, as flat pairs.
  let segs: number[] = holdsWanted(0, n) ? [0, n] : [];
  const scratch = new Uint32Array(n);
  const bucketOf = new Uint8Array(n);
  while (segs.length > 0) {
    // One batch: per segment its first k rows as pivots, [p_j < p_i] for each pair i < j,
    // then [row < p_i] for every other row and pivot.
    let m = 0;
    for (let s = 0; s < segs.length; s += 2) {
      const len = segs[s + 1]! - segs[s]!;
      const k = Math.min(PIVOTS, len - 1);
      m += (k * (k - 1)) / 2 + (len - k) * k;
    }
    const lhs = new Uint32Array(m);
    const rhs = new Uint32Array(m);
    let q = 0;
    for (let s = 0; s < segs.length; s += 2) {
      const start = segs[s]!;
      const end = segs[s + 1]!;
      const k = Math.min(PIVOTS, end - start - 1);
      for (let i = 0; i < k; i++)
        for (let j = i + 1; j < k; j++) {
          lhs[q] = order[start + j]!;
          rhs[q++] = order[start + i]!;
        }
      for (let p = start + k; p < end; p++)
        for (let i = 0; i < k; i++) {
          lhs[q] = order[p]!;
          rhs[q++] = order[start + i]!;
        }
    }
    // The tagged keys differ, so every outcome is a strict order.
    const below = await suite.ltz(
      suite.sub(suite.gather(keys, lhs), suite.gather(keys, rhs)),
      bound + 1,
    );
    const bits = await openBits(suite, below, all);
    const next: number[] = [];
    q = 0;
    for (let s = 0; s < segs.length; s += 2) {
      const start = segs[s]!;
      const end = segs[s + 1]!;
      const k = Math.min(PIVOTS, end - start - 1);
      const rank = pivotRanks(bits, q, k);
      q += (k * (k - 1)) / 2;
      const sorted = new Array<number>(k);
      for (let i = 0; i < k; i++) sorted[rank[i]!] = order[start + i]!;
      // Each row's part: how many pivots lie below it (0..k).
      const count = new Array<number>(k + 1).fill(0);
      for (let p = start + k; p < end; p++) {
        let part = k;
        for (let i = 0; i < k; i++) part -= bits[q++]!;
        bucketOf[p] = part;
        count[part]!++;
      }
      // Layout: part 0, pivot 0, part 1, ..., pivot k - 1, part k; stable within each part.
      const first = new Array<number>(k + 1);
      let at = start;
      for (let b = 0; b <= k; b++) {
        first[b] = at;
        at += count[b]! + (b < k ? 1 : 0);
      }
      const fill = first.slice();
      for (let p = start + k; p < end; p++) scratch[fill[bucketOf[p]!]!++] = order[p]!;
      for (let b = 0; b < k; b++) scratch[first[b]! + count[b]!] = sorted[b]!;
      order.set(scratch.subarray(start, end), start);
      for (let b = 0; b <= k; b++) {
        const lo = first[b]!;
        const hi = lo + count[b]!;
        if (hi - lo >= 2 && holdsWanted(lo, hi)) next.push(lo, hi);
      }
    }
    segs = next;
  }
  return order;
}
