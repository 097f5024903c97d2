/**
 * Test helpers for the PSI protocols (imported by tests only): random sets
 * of 16-byte digests with a chosen overlap, and the plaintext intersection
 * every protocol is checked against.
 */
import { nodeCryptoProvider } from '../src/adapters/node/crypto.js';

/** Two random sets of sizes nA, nB sharing `common` elements (16-byte digests). */
export function sets(nA: number, nB: number, common: number): { a: Uint8Array; b: Uint8Array } {
  const a = new Uint8Array(16 * nA);
  const b = new Uint8Array(16 * nB);
  nodeCryptoProvider.randomFill(a);
  nodeCryptoProvider.randomFill(b);
  // The shared elements sit at random-looking places: a's first `common` go to b's tail.
  for (let k = 0; k < common; k++) b.set(a.subarray(16 * k, 16 * k + 16), 16 * (nB - 1 - k));
  return { a, b };
}

/** The plaintext intersection: positions in `mine` of elements also in `theirs`, ascending. */
export function plain(mine: Uint8Array, theirs: Uint8Array): number[] {
  const hex = (d: Uint8Array, k: number) =>
    Buffer.from(d.subarray(16 * k, 16 * k + 16)).toString('hex');
  const set = new Set<string>();
  for (let k = 0; k < theirs.length / 16; k++) set.add(hex(theirs, k));
  const out: number[] = [];
  for (let k = 0; k < mine.length / 16; k++) if (set.has(hex(mine, k))) out.push(k);
  return out;
}
