/**
 * Private set intersection between two parties (docs/PSI.md): the OT-based
 * protocol for large sets (src/psi/kkrt.ts), the ECDH one for unbalanced
 * sets, browsers and counts (src/psi/ecdh.ts), PSI-sum as secrets of the
 * program API (src/psi/sum.ts over ECDH, src/psi/otsum.ts over the OT-based
 * OPRF, which also gives the cardinality alone), and threshold PSI across n >= 3 parties
 * inside a session (src/psi/threshold.ts). Browser-safe: nothing here imports node:.
 */
import type { Party } from '../runtime/party.js';
import { ecdhPsi } from './ecdh.js';
import { digestSet } from './items.js';
import { otPsi } from './kkrt.js';

export { ecdhPsi, hashToGroup, ECDH_DST } from './ecdh.js';
export type { EcdhPsiMode, EcdhPsiOptions, EcdhPsiResult } from './ecdh.js';
export { otPsi, valueBytes, CODE_BITS } from './kkrt.js';
export type { OtPsiOptions, OtPsiOutput, OtPsiResult } from './kkrt.js';
export { digestOf, digestSet, distinctDigests, DIGEST_BYTES } from './items.js';
export type { DigestSet } from './items.js';
export { psiSum, releasePsiSum, PsiPolicyError } from './sum.js';
export type { PsiSum, PsiSumOptions, PsiReleasePolicy } from './sum.js';
export { MAX_SET } from './wire.js';
export { otPsiCount, otPsiSum } from './otsum.js';
export type { OtPsiCountOptions, OtPsiSumOptions } from './otsum.js';
export { thresholdPsi, fingerprintOf, localSet, FINGERPRINT_BITS } from './threshold.js';
export type { ThresholdPsiOptions, ThresholdPsiResult, LocalSet } from './threshold.js';

export type PsiProtocol = 'ot' | 'ecdh';

export interface IntersectOptions {
  /** 'ot' (default; large sets) or 'ecdh'. */
  readonly protocol?: PsiProtocol;
  /** The party that learns the result. */
  readonly receiver: number;
  /** The other party. */
  readonly sender: number;
  /** The shared elements (default) or only how many there are ('ecdh' only). */
  readonly output?: 'intersection' | 'cardinality';
  /** The sender learns the result too. Default false. */
  readonly both?: boolean;
}

export interface IntersectResult {
  /**
   * Input positions of the shared elements, ascending (for an element given
   * several times, its first position); undefined where not learnt or when
   * only the cardinality was asked.
   */
  readonly rows?: number[];
  /** The intersection's size, where learnt. */
  readonly cardinality?: number;
  /** Distinct elements in this party's input. */
  readonly size: number;
  /** Distinct elements in the other party's input (public in every protocol here). */
  readonly peerSize: number;
}

/**
 * Intersects this party's elements with the other party's. Duplicates are
 * removed first (the first occurrence counts); an empty input is a valid,
 * empty set.
 * @throws {RangeError} for options the protocol cannot give (cardinality only
 *   over 'ot': its receiver learns which elements are shared), {ProtocolAbort}
 *   naming the peer on a bad message.
 */
export async function intersect(
  party: Party,
  elements: ReadonlyArray<string | Uint8Array>,
  opts: IntersectOptions,
): Promise<IntersectResult> {
  const protocol = opts.protocol ?? 'ot';
  const output = opts.output ?? 'intersection';
  if (protocol === 'ot' && output === 'cardinality')
    throw new RangeError(
      "psi: cardinality only over a party needs protocol 'ecdh'; the OT-based one needs a session (otPsiCount)",
    );
  const set = digestSet(elements);
  const size = set.source.length;
  const rowsOf = (pos: Uint32Array | undefined) =>
    pos ? Array.from(pos, (k) => set.source[k]!).sort((a, b) => a - b) : undefined;
  if (protocol === 'ot') {
    const r = await otPsi(party, set.digests, {
      receiver: opts.receiver,
      sender: opts.sender,
      output: opts.both ? 'both' : 'receiver',
    });
    const rows = rowsOf(r.intersection);
    return { rows, cardinality: rows?.length, size, peerSize: r.peerSize };
  }
  const r = await ecdhPsi(party, set.digests, {
    receiver: opts.receiver,
    sender: opts.sender,
    mode: output,
    both: opts.both ?? false,
  });
  const rows = rowsOf(r.intersection);
  return { rows, cardinality: r.cardinality ?? rows?.length, size, peerSize: r.peerSize };
}
