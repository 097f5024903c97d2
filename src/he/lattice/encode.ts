/**
 * Encoding vectors into SEAL plaintexts: CKKS takes real numbers at a scale,
 * BFV takes integers in (-t/2, t/2) (t the plaintext modulus). Vectors shorter
 * than the slot count are padded with zeros; longer ones are refused.
 */
import type { BatchEncoder, CKKSEncoder, Plaintext } from 'node-seal';
import { LatticeMismatchError } from './errors.js';
import type { LatticeContext } from './params.js';

// Building an encoder precomputes its tables (milliseconds at n = 8192, more
// than the encoding itself): one per context, kept as long as the context is.
const ckksEncoders = new WeakMap<LatticeContext, CKKSEncoder>();
const batchEncoders = new WeakMap<LatticeContext, BatchEncoder>();

function ckksEncoder(ctx: LatticeContext): CKKSEncoder {
  let e = ckksEncoders.get(ctx);
  if (!e) ckksEncoders.set(ctx, (e = new ctx.seal.CKKSEncoder(ctx.context)));
  return e;
}

function batchEncoder(ctx: LatticeContext): BatchEncoder {
  let e = batchEncoders.get(ctx);
  if (!e) batchEncoders.set(ctx, (e = new ctx.seal.BatchEncoder(ctx.context)));
  return e;
}

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
  if (ctx.params.scheme === 'ckks') {
    const v = new Float64Array(ctx.slots);
    for (let i = 0; i < values.length; i++) v[i] = values[i] as number;
    ckksEncoder(ctx).encode(v, scale, pt);
    return;
  }
  // BFV batching: 2 rows of n/2 slots; rotations act within a row, so vectors use row 0.
  const v = new BigInt64Array(ctx.params.polyModulusDegree);
  for (let i = 0; i < values.length; i++) v[i] = BigInt(values[i]!);
  batchEncoder(ctx).encode(v, pt);
}

/** The first `count` slots of a decrypted plaintext: Float64Array (CKKS) or BigInt64Array (BFV, centred). */
export function decodeFrom(
  ctx: LatticeContext,
  pt: Plaintext,
  count: number,
): Float64Array | BigInt64Array {
  if (count > ctx.slots) throw new LatticeMismatchError(`decode: ${count} slots > ${ctx.slots}`);
  if (ctx.params.scheme === 'ckks') {
    return Float64Array.from(
      (ckksEncoder(ctx).decodeFloat64(pt) as Float64Array).subarray(0, count),
    );
  }
  return BigInt64Array.from(
    (batchEncoder(ctx).decodeBigInt64(pt) as BigInt64Array).subarray(0, count),
  );
}
