/**
 * Join keys: each row's identifier becomes a 60-bit integer, the sort key of
 * the private join (src/join/join.ts).
 *
 * - Integer identifiers in [0, 2^60) are used as they are: exact, no collisions.
 * - Any other identifier (a string) is fingerprinted: the first 60 bits of
 *   SHA-256 over a domain-separation label and its UTF-8 bytes. A left key and
 *   a different right key then meet by accident with probability at most
 *   n_L n_R / 2^60 (about 2^-28 for 2^16 x 2^16 rows, 2^-23 for 2^20 x 2^17);
 *   an accidental meeting joins two unrelated rows. Keys within one table are
 *   checked for fingerprint collisions locally (a clear error, never a silent
 *   merge).
 *
 * Both tables must key the same way: the integer 5 and the string '5' are
 * different keys (one exact, one fingerprinted) and never match.
 *
 * Why 60 bits: the join sorts on 2 key + source < 2^61 and compares
 * neighbours' differences, which must stay inside the 63 bits that the
 * 64-bit suites compare exactly.
 *
 * Runs at the key's owner only, on its own plaintext; nothing here is secret
 * from that party.
 */
import { sha256 } from '@noble/hashes/sha2.js';

/** Bits of a join key. */
export const KEY_BITS = 60;
const KEY_LIMIT = 1n << BigInt(KEY_BITS);

const TEXT = new TextEncoder();
const LABEL = TEXT.encode('entente/join/key/v1\0');

/** A table's key column: strings (fingerprinted) or non-negative integers below 2^60 (exact). */
export type JoinKey = string | bigint | number;

/** A bad key column at its owner: duplicates, or an integer out of range. */
export class JoinKeyError extends Error {
  constructor(
    /** The party whose table it is. */
    readonly party: string,
    message: string,
  ) {
    super(message);
    this.name = 'JoinKeyError';
  }
}

/** The 60-bit fingerprint of a string identifier. */
export function fingerprint(id: string): bigint {
  const body = TEXT.encode(id);
  const msg = new Uint8Array(LABEL.length + body.length);
  msg.set(LABEL);
  msg.set(body, LABEL.length);
  const d = sha256(msg);
  let x = 0n;
  for (let i = 0; i < 8; i++) x = (x << 8n) | BigInt(d[i]!);
  return x >> BigInt(64 - KEY_BITS);
}

/**
 * The join keys of `party`'s rows, in row order.
 *
 * @throws {JoinKeyError} naming the party and both rows (1-based, as in a
 *   file without its header) when two rows carry the same key (or keys whose
 *   fingerprints collide), and naming the row for an integer key that is
 *   negative, not an integer, or not below 2^60. The key itself is never
 *   put in the message.
 */
export function joinKeys(party: string, ids: readonly JoinKey[]): BigInt64Array {
  const out = new BigInt64Array(ids.length);
  const seen = new Map<bigint, number>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    let k: bigint;
    if (typeof id === 'string') k = fingerprint(id);
    else {
      if (typeof id === 'number' && !Number.isSafeInteger(id))
        throw new JoinKeyError(
          party,
          `join: party '${party}', row ${i + 1}: key is not an integer`,
        );
      k = BigInt(id);
      if (k < 0n || k >= KEY_LIMIT)
        throw new JoinKeyError(
          party,
          `join: party '${party}', row ${i + 1}: integer keys must lie in 0..2^${KEY_BITS} - 1`,
        );
    }
    const first = seen.get(k);
    if (first !== undefined)
      throw new JoinKeyError(
        party,
        `join: party '${party}' has the same key at rows ${first + 1} and ${i + 1}; keys must be unique within a table`,
      );
    seen.set(k, i);
    out[i] = k;
  }
  return out;
}
