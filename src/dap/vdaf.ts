/**
 * The VDAF of a DAP task (draft-irtf-cfrg-vdaf-08, section 7): the client's
 * side and the Collector's unsharding through @divviup/prio3 (`makeVdaf`,
 * `unshard`), and the aggregators' preparation through this project's
 * typed-array Prio3 (`makePrep`, src/dap/prio3.ts), which decodes the wire
 * forms the aggregators receive and refuses a share of the wrong size or with
 * an element outside the field.
 */
import { Prio3, Prio3Count, Prio3Histogram, Prio3Sum, Prio3SumVec } from '@divviup/prio3';
import { Prio3Prep, VdafPrepError, type VdafSpec } from './prio3.js';

export type { VdafSpec } from './prio3.js';
export { VdafPrepError, Prio3Prep, type Prio3State, type Prio3PrepShare } from './prio3.js';

/** A vector of field elements as the aggregators hold them (Montgomery limbs, `src/arith/mont16.ts`). */
export type FieldVec = Uint16Array;

// The library's generic parameters differ per instantiation; the aggregator only moves shares.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPrio3 = Prio3<any, any>;

/** The aggregators' preparation for a task's VDAF (typed arrays, src/dap/prio3.ts). */
export const makePrep = (spec: VdafSpec): Prio3Prep => new Prio3Prep(spec);

type Bytes = Uint8Array;

/** The client's (and the Collector's) Prio3 from @divviup/prio3. */
export function makeVdaf(spec: VdafSpec): AnyPrio3 {
  const shares = 2;
  switch (spec.type) {
    case 'count':
      return new Prio3Count({ shares });
    case 'sum':
      return new Prio3Sum({ shares, bits: spec.bits });
    case 'sumVec':
      return new Prio3SumVec({ shares, ...spec });
    case 'histogram':
      return new Prio3Histogram({ shares, ...spec });
  }
}

/** The L1 sensitivity of one report's output to the aggregate, for DP noise. */
export function l1Sensitivity(spec: VdafSpec): number {
  switch (spec.type) {
    case 'count':
    case 'histogram':
      return 1;
    case 'sum':
      return 2 ** spec.bits - 1;
    case 'sumVec':
      return spec.length * (2 ** spec.bits - 1);
  }
}

/** Field elements, little-endian (VDAF-08 section 6.1), each checked below the modulus. */
export function decodeFieldVec(v: AnyPrio3, b: Bytes, count: number, what: string): bigint[] {
  const { field } = v.flp;
  const size = field.encodedSize;
  if (b.length !== count * size)
    throw new VdafPrepError(`${what}: expected ${count * size} bytes, got ${b.length}`);
  const out = new Array<bigint>(count);
  for (let i = 0; i < count; i++) {
    let x = 0n;
    for (let j = size - 1; j >= 0; j--) x = (x << 8n) | BigInt(b[i * size + j]!);
    if (x >= field.modulus)
      throw new VdafPrepError(`${what}: element ${i} is not below the modulus`);
    out[i] = x;
  }
  return out;
}

export const outputLen = (v: AnyPrio3): number => v.flp.outputLen;

/** The aggregate result from both aggregate shares (VDAF-08 unshard). */
export function unshard(
  v: AnyPrio3,
  leaderShare: Bytes,
  helperShare: Bytes,
  reportCount: number,
): unknown {
  const n = outputLen(v);
  return v.unshard(
    null,
    [
      decodeFieldVec(v, leaderShare, n, 'leader aggregate share'),
      decodeFieldVec(v, helperShare, n, 'helper aggregate share'),
    ],
    reportCount,
  );
}
