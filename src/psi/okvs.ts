/**
 * An oblivious key-value store (OKVS): the garbled cuckoo table of Pinkas,
 * Rosulek, Trieu, Yanai, "PSI from PaXoS: fast, malicious private set
 * intersection" (EUROCRYPT 2020, section 5), with three hash positions per
 * key and XOR as the decoding, solved by peeling.
 *
 * encode(keys, values) gives a table T of m 16-byte entries such that
 * decode(T, key) = T[h0(key)] ^ T[h1(key)] ^ T[h2(key)] = value for every
 * encoded key. Entries not fixed by the peeling are uniformly random, so
 * when the values are pseudo-random to the holder of T (masked by an OPRF,
 * as in src/psi/otsum.ts), T is pseudo-random too and decoding at any other
 * key gives a value the holder cannot tell from random.
 *
 * Positions: the table is split in three equal parts and h_j(key) is in part
 * j, from AES under the table's seed (so a key's positions are distinct).
 * With m = 1.3 n + 48 the 3-hypergraph peels with high probability (its
 * 2-core threshold is n/m < 0.818); a seed that fails is replaced by another
 * (a retry reveals only that the first seed failed on keys that are
 * pseudo-random to the peer).
 */
import { FixedKeyAes } from '../primitives/hash.js';
import type { CryptoProvider } from '../random/provider.js';

/** Table entries for n keys. */
export function okvsSize(n: number): number {
  const part = Math.ceil((1.3 * n + 48) / 3);
  return 3 * part;
}

/** The three positions of each of n keys (4 words each), into pos (3 per key). */
export function okvsPositions(
  crypto: CryptoProvider,
  seed: Uint8Array,
  keys: Uint32Array,
  n: number,
  m: number,
  pos: Uint32Array,
): void {
  const aes = new FixedKeyAes(crypto, seed);
  const part = m / 3;
  const CHUNK = 1 << 14;
  const buf = new Uint32Array(4 * CHUNK);
  for (let k0 = 0; k0 < n; k0 += CHUNK) {
    const c = Math.min(CHUNK, n - k0);
    aes.permute(keys.subarray(4 * k0, 4 * (k0 + c)), buf, c);
    positionsOf(buf, c, part, pos, 3 * k0);
  }
}

function positionsOf(h: Uint32Array, c: number, part: number, pos: Uint32Array, at: number): void {
  for (let r = 0; r < c; r++)
    for (let j = 0; j < 3; j++) pos[at + 3 * r + j] = j * part + (h[4 * r + j]! % part);
}

/**
 * Encodes n keys with their 16-byte values (4 words each) into a table of
 * okvsSize(n) entries; `random` fills the free entries.
 * @returns the table, or undefined when the keys do not peel under this
 *   seed (the caller tries another seed).
 */
export function okvsEncode(
  crypto: CryptoProvider,
  seed: Uint8Array,
  keys: Uint32Array,
  values: Uint32Array,
  n: number,
  random: (out: Uint8Array) => void,
): Uint32Array | undefined {
  const m = okvsSize(n);
  const pos = new Uint32Array(3 * n);
  okvsPositions(crypto, seed, keys, n, m, pos);
  const order = peel(pos, n, m);
  if (!order) return undefined;
  const table = new Uint32Array(4 * m);
  random(new Uint8Array(table.buffer));
  assign(table, pos, values, order);
  return table;
}

/**
 * The peeling order: keys with the position each one fixes, in the order
 * they were peeled (a key peeled later is assigned earlier). Undefined if a
 * 2-core remains.
 */
function peel(pos: Uint32Array, n: number, m: number): Int32Array | undefined {
  const degree = new Uint32Array(m);
  const keyXor = new Uint32Array(m); // xor of the ids of the keys still at each position
  for (let k = 0; k < n; k++)
    for (let j = 0; j < 3; j++) {
      const p = pos[3 * k + j]!;
      degree[p]!++;
      keyXor[p] = keyXor[p]! ^ k;
    }
  const stack = new Uint32Array(m);
  let top = 0;
  for (let p = 0; p < m; p++) if (degree[p] === 1) stack[top++] = p;
  const order = new Int32Array(2 * n); // (key, position) pairs
  let done = 0;
  while (top > 0) {
    const p = stack[--top]!;
    if (degree[p] !== 1) continue;
    const k = keyXor[p]!;
    order[2 * done] = k;
    order[2 * done + 1] = p;
    done++;
    for (let j = 0; j < 3; j++) {
      const q = pos[3 * k + j]!;
      degree[q]!--;
      keyXor[q] = keyXor[q]! ^ k;
      if (degree[q] === 1) stack[top++] = q;
    }
  }
  return done === n ? order : undefined;
}

/** In reverse peeling order, T[p] = value ^ the key's two other entries. */
function assign(
  table: Uint32Array,
  pos: Uint32Array,
  values: Uint32Array,
  order: Int32Array,
): void {
  for (let i = order.length / 2 - 1; i >= 0; i--) {
    const k = order[2 * i]!;
    const p = order[2 * i + 1]!;
    for (let w = 0; w < 4; w++) {
      let v = values[4 * k + w]!;
      for (let j = 0; j < 3; j++) {
        const q = pos[3 * k + j]!;
        if (q !== p) v ^= table[4 * q + w]!;
      }
      table[4 * p + w] = v;
    }
  }
}

/** decode(T, key) for n keys (4 words each), into out (4 words each). */
export function okvsDecode(
  crypto: CryptoProvider,
  seed: Uint8Array,
  table: Uint32Array,
  keys: Uint32Array,
  n: number,
  out: Uint32Array,
): void {
  const m = table.length / 4;
  const pos = new Uint32Array(3 * n);
  okvsPositions(crypto, seed, keys, n, m, pos);
  for (let k = 0; k < n; k++)
    for (let w = 0; w < 4; w++)
      out[4 * k + w] =
        table[4 * pos[3 * k]! + w]! ^
        table[4 * pos[3 * k + 1]! + w]! ^
        table[4 * pos[3 * k + 2]! + w]!;
}
