/**
 * Encoding vectors into SEAL plaintexts: CKKS takes real numbers at a scale,
 * BFV takes integers in (-t/2, t/2) (t the plaintext modulus). Vectors shorter
 * than the slot count are padded with zeros; longer ones are refused.
 */
import type { Plaintext } from 'node-seal';
import { LatticeMismatchError } from './errors.js';
import type { LatticeContext } from './params.js';

/** Values for one ciphertext: numbers (CKKS) or integers (BFV, as numbers or bigints). */
export type SlotValues = readonly number[] | Float64Array | readonly bigint[] | BigInt64Array;

/**
 * Checks a vector against the context: length within the slots, every value finite
 * (CKKS) or an integer in (-t/2, t/2) (BFV).
 *
 * @throws {RangeError} naming the first bad position.
 */
export function checkValues(ctx: LatticeContext, values: SlotValues, what: string): void {
  if (values.length > ctx.slots)
    throw new RangeError(`${what}: ${values.length} values exceed the ${ctx.slots} slots`);
  if (ctx.params.scheme === 'ckks') {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new RangeError(`${what}: value ${i} is not a finite number`);
    }
    return;
  }
  const half = ctx.plainModulus / 2n;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const b = typeof v === 'bigint' ? v : Number.isSafeInteger(v) ? BigInt(v as number) : undefined;
    if (b === undefined) throw new RangeError(`${what}: value ${i} is not a safe integer`);
    if (b >= half || b <= -half)
      throw new RangeError(`${what}: value ${i} is outside (-t/2, t/2), t = ${ctx.plainModulus}`);
  }
}

/** Encodes into `pt` at the given CKKS scale (ignored for BFV). Call checkValues first. */
export function encodeInto(
  ctx: LatticeContext,
  values: SlotValues,
  scale: number,
  pt: Plaintext,
): void {
  const { seal } = ctx;
  if (ctx.params.scheme === 'ckks') {
    const v = new Float64Array(ctx.slots);
    for (let i = 0; i < values.length; i++) v[i] = values[i] as number;
    const enc = new seal.CKKSEncoder(ctx.context);
    try {
      enc.encode(v, scale, pt);
    } finally {
      enc.delete();
    }
    return;
  }
  // BFV batching: 2 rows of n/2 slots; rotations act within a row, so vectors use row 0.
  const v = new BigInt64Array(ctx.params.polyModulusDegree);
  for (let i = 0; i < values.length; i++) v[i] = BigInt(values[i]!);
  const enc = new seal.BatchEncoder(ctx.context);
  try {
    enc.encode(v, pt);
  } finally {
    enc.delete();
  }
}

/** The first `count` slots of a decrypted plaintext: Float64Array (CKKS) or BigInt64Array (BFV, centred). */
export function decodeFrom(
  ctx: LatticeContext,
  pt: Plaintext,
  count: number,
): Float64Array | BigInt64Array {
  const { seal } = ctx;
  if (count > ctx.slots) throw new LatticeMismatchError(`decode: ${count} slots > ${ctx.slots}`);
  if (ctx.params.scheme === 'ckks') {
    const enc = new seal.CKKSEncoder(ctx.context);
    try {
      return Float64Array.from((enc.decodeFloat64(pt) as Float64Array).subarray(0, count));
    } finally {
      enc.delete();
    }
  }
  const enc = new seal.BatchEncoder(ctx.context);
  try {
    return BigInt64Array.from((enc.decodeBigInt64(pt) as BigInt64Array).subarray(0, count));
  } finally {
    enc.delete();
  }
}
