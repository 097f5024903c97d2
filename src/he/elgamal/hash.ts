/**
 * Domain-separated hashing for Fiat-Shamir challenges and derived values.
 *
 * A transcript is a domain string followed by typed, length-prefixed parts,
 * hashed with SHA-512 and reduced mod q (512 bits onto a 253-bit order: the
 * result is within 2^-259 of uniform). Length prefixes make the encoding
 * injective, so two different transcripts never hash the same input; the
 * domain string keeps a hash computed for one purpose (a selection's range
 * proof) from ever being valid for another (a decryption share's proof).
 *
 * ElectionGuard 2.0 (§5.1) uses HMAC-SHA-256 keyed by a previous hash with a
 * one-byte domain separator; ours is the same idea with a string domain and a
 * wider output, because q here is 253 bits and a 256-bit output reduced mod q
 * would be biased by about 2^-3 in its top values.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { encodePoint, encodeScalar, mod, bytesToBigInt, type Point } from './group.js';

export type Part = Point | bigint | string | number | Uint8Array;

const enc = new TextEncoder();

function isPoint(x: Part): x is Point {
  return typeof x === 'object' && !(x instanceof Uint8Array);
}

/** The injective byte encoding of a transcript: domain, then each part as tag ‖ length ‖ bytes. */
export function transcript(domain: string, parts: readonly Part[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const push = (tag: number, body: Uint8Array) => {
    const head = new Uint8Array(5);
    head[0] = tag;
    new DataView(head.buffer).setUint32(1, body.length);
    chunks.push(head, body);
    total += 5 + body.length;
  };
  push(0, enc.encode(domain));
  for (const p of parts) {
    if (typeof p === 'bigint') push(1, encodeScalar(p));
    else if (typeof p === 'string') push(2, enc.encode(p));
    else if (typeof p === 'number') {
      if (!Number.isSafeInteger(p) || p < 0) throw new RangeError(`hash: bad integer part ${p}`);
      push(3, enc.encode(String(p)));
    } else if (p instanceof Uint8Array) push(4, p);
    else if (isPoint(p)) push(5, encodePoint(p));
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** H(domain; parts) as a scalar mod q. */
export function hashToScalar(domain: string, ...parts: Part[]): bigint {
  return mod(bytesToBigInt(sha512(transcript(domain, parts))));
}

/** H(domain; parts) as 32 bytes (a code or a chain link, not a scalar). */
export function hashToBytes(domain: string, ...parts: Part[]): Uint8Array {
  return sha512(transcript(domain, parts)).slice(0, 32);
}
