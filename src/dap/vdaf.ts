/**
 * Prio3 preparation for the two DAP aggregators, through @divviup/prio3
 * (VDAF draft-irtf-cfrg-vdaf-08, section 7). That library is written for
 * clients and its own test runner: it shards, prepares and unshards objects,
 * but does not decode the wire forms the aggregators receive. This module adds
 * exactly those decoders (public share, input shares of the Leader and of the
 * Helper, preparation share, preparation message, aggregate share), and the
 * last preparation step, with lengths taken from the FLP so a share of the
 * wrong size or with an element outside the field is refused, not misread.
 */
import { Prio3, Prio3Count, Prio3Histogram, Prio3Sum, Prio3SumVec } from '@divviup/prio3';
import { bytesEqual } from './codec.js';

/** A task's VDAF, as provisioned (and as @divviup/dap's Task takes it). */
export type VdafSpec =
  | { readonly type: 'count' }
  | { readonly type: 'sum'; readonly bits: number }
  | {
      readonly type: 'sumVec';
      readonly length: number;
      readonly bits: number;
      readonly chunkLength: number;
    }
  | { readonly type: 'histogram'; readonly length: number; readonly chunkLength: number };

/** Preparation failed: the report is invalid (bad proof, malformed share). Carries no secret. */
export class VdafPrepError extends Error {
  override readonly name = 'VdafPrepError';
}

// The library's generic parameters differ per instantiation; the aggregator only moves shares.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPrio3 = Prio3<any, any>;

type Bytes = Uint8Array;
type Buf = Parameters<AnyPrio3['encodePublicShare']>[0]['jointRandParts'][number];

/** Only what the library reads of a share; its other fields are for the client. */
type InputShare = Parameters<AnyPrio3['prepareInit']>[5];
type PrepState = { readonly outputShare: bigint[]; readonly correctedJointRandSeed: Bytes };
type PrepShare = { readonly verifiersShare: bigint[]; readonly jointRandomnessPart: Bytes };

// VDAF-08 section 7.2: usages of the XOF's domain-separation tag.
const USAGE_MEASUREMENT_SHARE = 1;
const USAGE_PROOF_SHARE = 2;

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

const usesJointRand = (v: AnyPrio3): boolean => v.flp.jointRandLen !== 0;
const seedSize = (v: AnyPrio3): number => v.xof.seedSize;

/** The library compares seeds with Buffer.equals; a Buffer-like copy keeps it working in browsers. */
function asBuf(v: AnyPrio3, b: Bytes): Buf {
  // encodePublicShare concatenates with the library's own Buffer: its result is one.
  const empty = v.encodePublicShare({ jointRandParts: [] });
  const ctor = empty.constructor as unknown as { from(b: Bytes): Buf };
  return ctor.from(b);
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

export function encodeFieldVec(v: AnyPrio3, xs: readonly bigint[]): Bytes {
  return v.flp.field.encode([...xs]);
}

/** The public share: one joint-randomness part per aggregator, or nothing. */
export function decodePublicShare(v: AnyPrio3, b: Bytes): { jointRandParts: Buf[] } {
  if (!usesJointRand(v)) {
    if (b.length !== 0) throw new VdafPrepError('public share: expected no bytes');
    return { jointRandParts: [] };
  }
  const s = seedSize(v);
  if (b.length !== 2 * s) throw new VdafPrepError(`public share: expected ${2 * s} bytes`);
  return { jointRandParts: [asBuf(v, b.slice(0, s)), asBuf(v, b.slice(s))] };
}

/**
 * An aggregator's input share. The Leader's carries its measurement and proof
 * shares in full; the Helper's carries seeds that expand to them (VDAF-08
 * section 7.2.1), so a Helper share is short whatever the measurement.
 */
export async function decodeInputShare(
  v: AnyPrio3,
  aggregatorId: 0 | 1,
  b: Bytes,
): Promise<InputShare> {
  const { flp, proofs } = v;
  const s = seedSize(v);
  const blindLen = usesJointRand(v) ? s : 0;
  const proofLen = flp.proofLen * proofs;
  let measurementShare: bigint[];
  let proofsShare: bigint[];
  let rest: Bytes;
  if (aggregatorId === 0) {
    const mBytes = flp.measurementLen * flp.field.encodedSize;
    const pBytes = proofLen * flp.field.encodedSize;
    if (b.length !== mBytes + pBytes + blindLen)
      throw new VdafPrepError(`leader input share: expected ${mBytes + pBytes + blindLen} bytes`);
    measurementShare = decodeFieldVec(
      v,
      b.subarray(0, mBytes),
      flp.measurementLen,
      'measurement share',
    );
    proofsShare = decodeFieldVec(v, b.subarray(mBytes, mBytes + pBytes), proofLen, 'proof share');
    rest = b.subarray(mBytes + pBytes);
  } else {
    if (b.length !== 2 * s + blindLen)
      throw new VdafPrepError(`helper input share: expected ${2 * s + blindLen} bytes`);
    const mSeed = b.slice(0, s);
    const pSeed = b.slice(s, 2 * s);
    measurementShare = await v.xof.expandIntoVec(
      flp.field,
      mSeed,
      v.domainSeparationTag(USAGE_MEASUREMENT_SHARE),
      Uint8Array.of(aggregatorId),
      flp.measurementLen,
    );
    proofsShare = await v.xof.expandIntoVec(
      flp.field,
      pSeed,
      v.domainSeparationTag(USAGE_PROOF_SHARE),
      Uint8Array.of(proofs, aggregatorId),
      proofLen,
    );
    rest = b.subarray(2 * s);
  }
  const blind = asBuf(v, rest.slice());
  // Only measurementShare, proofsShare and blind are read by prepareInit.
  return {
    measurementShare,
    proofsShare,
    blind,
    wireMeasurementShare: blind,
    wireProofShare: blind,
  } as InputShare;
}

export interface PrepInit {
  readonly state: PrepState;
  readonly share: PrepShare;
}

/** VDAF-08 prep_init for one aggregator; the nonce is the report id. */
export async function prepInit(
  v: AnyPrio3,
  verifyKey: Bytes,
  aggregatorId: 0 | 1,
  nonce: Bytes,
  publicShare: Bytes,
  inputShare: Bytes,
): Promise<PrepInit> {
  const pub = decodePublicShare(v, publicShare);
  const share = await decodeInputShare(v, aggregatorId, inputShare);
  // prepareInit writes this aggregator's own part into the array: give it a copy.
  const out = await v.prepareInit(
    asBuf(v, verifyKey),
    aggregatorId,
    null,
    asBuf(v, nonce),
    { jointRandParts: [...pub.jointRandParts] },
    share,
  );
  return { state: out.preparationState, share: out.preparationShare };
}

export function encodePrepShare(v: AnyPrio3, p: PrepShare): Bytes {
  return v.encodePreparationShare({
    verifiersShare: p.verifiersShare,
    jointRandomnessPart: asBuf(v, p.jointRandomnessPart),
  });
}

export function decodePrepShare(v: AnyPrio3, b: Bytes): PrepShare {
  const n = v.flp.verifierLen * v.proofs;
  const vBytes = n * v.flp.field.encodedSize;
  const jLen = usesJointRand(v) ? seedSize(v) : 0;
  if (b.length !== vBytes + jLen)
    throw new VdafPrepError(`preparation share: expected ${vBytes + jLen} bytes, got ${b.length}`);
  return {
    verifiersShare: decodeFieldVec(v, b.subarray(0, vBytes), n, 'verifier share'),
    jointRandomnessPart: asBuf(v, b.slice(vBytes)),
  };
}

/**
 * Combines both preparation shares into the preparation message: runs the
 * FLP's decision, so an invalid measurement fails here (VdafPrepError).
 */
export async function prepSharesToPrep(
  v: AnyPrio3,
  leader: PrepShare,
  helper: PrepShare,
): Promise<Bytes> {
  try {
    const msg = await v.unshardPreparationShares(null, [
      { ...leader, jointRandomnessPart: asBuf(v, leader.jointRandomnessPart) },
      { ...helper, jointRandomnessPart: asBuf(v, helper.jointRandomnessPart) },
    ]);
    return Uint8Array.from(v.encodePreparationMessage(msg));
  } catch {
    throw new VdafPrepError('the proof of validity does not verify');
  }
}

/**
 * prep_next of a one-round Prio3: the joint randomness the aggregator used
 * must be the one both agreed on, or the report is rejected.
 */
export function prepFinish(v: AnyPrio3, state: PrepState, prepMsg: Bytes): bigint[] {
  const expected = usesJointRand(v) ? seedSize(v) : 0;
  if (prepMsg.length !== expected)
    throw new VdafPrepError('preparation message has the wrong length');
  if (!bytesEqual(prepMsg, state.correctedJointRandSeed))
    throw new VdafPrepError('joint randomness mismatch');
  return state.outputShare;
}

export const outputLen = (v: AnyPrio3): number => v.flp.outputLen;

export function addInto(v: AnyPrio3, acc: bigint[], share: readonly bigint[]): void {
  const p = v.flp.field.modulus;
  for (let i = 0; i < acc.length; i++) acc[i] = (acc[i]! + share[i]!) % p;
}

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
