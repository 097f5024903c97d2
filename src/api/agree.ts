/**
 * Checking that every party holds the same public thing (a study file, a list of
 * contributions) before computing on it: each party inputs the first 128 bits of its
 * digest and all are opened (digests are public), in one input round and one opening.
 */
import type { Session } from './session.js';
import { int } from './types.js';

/** The parties whose digest differs from this party's (none when all agree). */
export async function partiesWithOtherDigest(s: Session, digest: Uint8Array): Promise<string[]> {
  const view = new DataView(digest.buffer, digest.byteOffset);
  const words = Array.from({ length: 4 }, (_, i) => view.getUint32(4 * i));
  // int(34): a 32-bit unsigned word with room for the sign.
  const all = await s
    .concat(s.parties.map((p) => s.input(p, int(34), p === s.me ? words : 4)))
    .revealNumbers();
  return s.parties.filter((_, i) => all.slice(4 * i, 4 * i + 4).some((w, j) => w !== words[j]));
}
