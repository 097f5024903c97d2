/** Helpers on 64-bit word vectors shared by the ring-based suites. */
import * as ring from '../arith/ring64.js';
import { ProtocolAbort } from '../runtime/errors.js';

/** A constant vector of length 1 stands for n copies. */
export function broadcast(c: BigInt64Array, n: number): BigUint64Array {
  if (c.length === n) return ring.fromSigned(c);
  if (c.length === 1) return new BigUint64Array(n).fill(BigInt.asUintN(64, c[0]!));
  throw new RangeError(`expected ${n} constants (or 1), got ${c.length}`);
}

export function gatherWords(v: BigUint64Array, idx: Uint32Array): BigUint64Array {
  const out = new BigUint64Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const j = idx[i]!;
    if (j >= v.length) throw new RangeError(`gather: index ${j} out of range (length ${v.length})`);
    out[i] = v[j]!;
  }
  return out;
}

export function concatWords(parts: readonly BigUint64Array[]): BigUint64Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new BigUint64Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Views a received payload as n 64-bit words. @throws {ProtocolAbort} ('malformed') on a size mismatch. */
export function wordsOf(
  bytes: Uint8Array,
  n: number,
  peer: number,
  peerId: string,
): BigUint64Array {
  if (bytes.length !== 8 * n) {
    throw new ProtocolAbort(
      'malformed',
      peer,
      peerId,
      `sent ${bytes.length} bytes, expected ${8 * n}`,
    );
  }
  return new BigUint64Array(bytes.buffer, bytes.byteOffset, n);
}
