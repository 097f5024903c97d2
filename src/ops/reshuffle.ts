/**
 * Oblivious shuffle by resharing, for semi-honest suites with an honest
 * majority (t < n/2 colluding parties).
 *
 * Protocol (Laur, Willemson, Zhang, "Round-efficient oblivious database
 * manipulation", ISC 2011, section 4; the same structure as the shuffles of
 * Hamada, Kikuchi, Ikarashi, Chida, "Practically efficient multi-party
 * sorting protocols from comparison sort algorithms", ICISC 2012): for every
 * set A of n - t parties in turn,
 *   1. the members of A agree on a permutation pi_A that the others never
 *      see: a random shared value opened to A only seeds an AES-CTR PRG;
 *   2. the shared vector x is turned into an additive sharing among A: fresh
 *      random masks r_2..r_k (k = |A|) are opened to members 2..k, and
 *      x + r_2 + ... + r_k to member 1 (uniform, since the masks are);
 *   3. each member permutes what it holds by pi_A and inputs it; member 1's
 *      input minus the others' is a fresh sharing of x permuted by pi_A.
 * The output is x permuted by the composition of all pi_A. Any t parties
 * miss at least one set A (its n - t members cannot all be among them), so
 * pi_A, and hence the composed permutation, is uniform and unknown to them;
 * what they see of x in step 2 is a proper subset of an additive sharing
 * among A plus uniform values. Semi-honest only: a member that inputs a
 * wrong share goes undetected.
 *
 * Cost per set A: one opening round and one input round of the whole table;
 * C(n, t) sets (3 for rep3 and shamir with n = 3).
 */
import { Prg } from '../random/prg.js';
import type { Shares, Suite } from '../suites/suite.js';

/** Whether the suite's threat model makes the resharing shuffle secure. */
export function canReshuffle(suite: Suite): boolean {
  return suite.honestMajorityThreshold !== undefined;
}

/**
 * Applies one uniformly random secret permutation to all columns (rows stay
 * together) by resharing; see the file comment.
 * @throws {RangeError} if the suite does not declare an honest majority or a
 *   column's length is not n.
 */
export async function reshuffle(
  suite: Suite,
  columns: readonly Shares[],
  n: number,
): Promise<Shares[]> {
  const t = suite.honestMajorityThreshold;
  if (t === undefined) {
    throw new RangeError(
      `reshuffle: the ${suite.name} suite has no honest majority; use the sorting-network shuffle`,
    );
  }
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`reshuffle: invalid length ${n}`);
  columns.forEach((col, c) => {
    if (col.length !== n)
      throw new RangeError(`reshuffle: column ${c} has ${col.length} elements, expected ${n}`);
  });
  if (n <= 1 || columns.length === 0) return [...columns];
  const cols = columns.length;
  let data = suite.concat(columns);
  for (const set of subsets(suite.party.n, suite.party.n - t)) {
    data = await permuteBy(suite, data, n, cols, set);
  }
  return Array.from({ length: cols }, (_, c) => suite.gather(data, range(c * n, n)));
}

/** One resharing step: `data` (cols columns of n) permuted by a permutation the members of `set` draw. */
async function permuteBy(
  suite: Suite,
  data: Shares,
  n: number,
  cols: number,
  set: readonly number[],
): Promise<Shares> {
  const me = suite.party.index;
  const len = data.length;
  const masks = set.slice(1).map(() => suite.random(len));
  const masked = masks.reduce((acc, m) => suite.add(acc, m), data);
  const wide = suite.capacity > 64;
  // Values modulo 2^64 as typed words where the suite offers them (no BigInt per element).
  const openTo = (x: Shares, to: number[]): Promise<bigint[] | BigInt64Array | undefined> =>
    !wide && suite.openInt64 ? suite.openInt64(x, to) : suite.open(x, to);
  // All openings of this step in one round: the seed to the set, the masks to members 2..k.
  const [seedWords, first, ...rest] = await Promise.all([
    suite.open(suite.random(2), set),
    openTo(masked, [set[0]!]),
    ...masks.map((m, j) => openTo(m, [set[j + 1]!])),
  ]);
  let mine: BigInt64Array[] | undefined;
  const pos = set.indexOf(me);
  if (pos >= 0) {
    const perm = permutation(seedPrg(suite, seedWords as bigint[]), n);
    // Member 1 holds x + sum r_j, member j holds r_j: x = (x + sum r_j) - sum r_j.
    const held = pos === 0 ? first! : rest[pos - 1]!;
    mine = wide
      ? splitWords(permuteColumns(held as bigint[], perm, n, cols))
      : [
          permuteWords(
            held instanceof BigInt64Array ? held : BigInt64Array.from(held),
            perm,
            n,
            cols,
          ),
        ];
  }
  const inputs = await Promise.all(
    set.flatMap((owner) => {
      const parts = owner === me ? mine : undefined;
      const lo = suite.input(owner, parts?.[0], len);
      return wide ? [lo, suite.input(owner, parts?.[1], len)] : [lo];
    }),
  );
  // Member 1's input minus the others'; with wide values each input is lo + 2^64 hi.
  const step = wide ? 2 : 1;
  const value = (k: number) =>
    wide ? suite.add(inputs[k]!, suite.mulScalar(inputs[k + 1]!, 1n << 64n)) : inputs[k]!;
  let out = value(0);
  for (let k = step; k < inputs.length; k += step) out = suite.sub(out, value(k));
  return out;
}

/**
 * Splits values of a wide suite into 64-bit words: lo = v mod 2^64 (signed)
 * and hi = (v - lo) / 2^64, so that v = lo + 2^64 hi exactly (|v| < 2^126).
 * (Suites of capacity 64 work modulo 2^64: the value itself is one word.)
 */
function splitWords(v: bigint[]): BigInt64Array[] {
  const lo = new BigInt64Array(v.length);
  const hi = new BigInt64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const l = BigInt.asIntN(64, v[i]!);
    lo[i] = l;
    hi[i] = (v[i]! - l) >> 64n;
  }
  return [lo, hi];
}

/** permuteColumns on 64-bit words, moved as pairs of 32-bit halves (no BigInt per element). */
function permuteWords(v: BigInt64Array, perm: Uint32Array, n: number, cols: number): BigInt64Array {
  const out = new BigInt64Array(v.length);
  const src = new Uint32Array(v.buffer, v.byteOffset, 2 * v.length);
  const dst = new Uint32Array(out.buffer);
  for (let c = 0; c < cols; c++) {
    const base = 2 * c * n;
    for (let i = 0; i < n; i++) {
      const from = base + 2 * perm[i]!;
      dst[base + 2 * i] = src[from]!;
      dst[base + 2 * i + 1] = src[from + 1]!;
    }
  }
  return out;
}

/** out[c n + i] = v[c n + perm[i]] for every column c. */
function permuteColumns(v: bigint[], perm: Uint32Array, n: number, cols: number): bigint[] {
  const out = new Array<bigint>(v.length);
  for (let c = 0; c < cols; c++) {
    const base = c * n;
    for (let i = 0; i < n; i++) out[base + i] = v[base + perm[i]!]!;
  }
  return out;
}

/** A PRG keyed by the low 64 bits of each of two opened uniform values. */
function seedPrg(suite: Suite, words: bigint[]): Prg {
  const seed = new Uint8Array(16);
  const view = new DataView(seed.buffer);
  view.setBigUint64(0, BigInt.asUintN(64, words[0]!), true);
  view.setBigUint64(8, BigInt.asUintN(64, words[1]!), true);
  return new Prg(seed, suite.party.crypto);
}

/**
 * A uniformly random permutation of 0..n-1 from the PRG: Fisher-Yates with
 * indices drawn by rejection from 32-bit words (no modulo bias).
 */
export function permutation(prg: Prg, n: number): Uint32Array {
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const CHUNK = 1 << 14;
  const words = new Uint32Array(CHUNK);
  const bytes = new Uint8Array(words.buffer);
  let at = CHUNK;
  const next = (): number => {
    if (at === CHUNK) {
      prg.fill(bytes);
      at = 0;
    }
    return words[at++]!;
  };
  for (let i = n - 1; i > 0; i--) {
    const m = i + 1;
    const limit = Math.floor(2 ** 32 / m) * m;
    let w = next();
    while (w >= limit) w = next();
    const j = w % m;
    const tmp = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = tmp;
  }
  return perm;
}

/** The k-element subsets of 0..n-1, each ascending, in lexicographic order. */
export function subsets(n: number, k: number): number[][] {
  const out: number[][] = [];
  const pick = (start: number, acc: number[]) => {
    if (acc.length === k) {
      out.push(acc.slice());
      return;
    }
    for (let i = start; i <= n - (k - acc.length); i++) pick(i + 1, [...acc, i]);
  };
  pick(0, []);
  return out;
}

function range(start: number, len: number): Uint32Array {
  const out = new Uint32Array(len);
  for (let i = 0; i < len; i++) out[i] = start + i;
  return out;
}
