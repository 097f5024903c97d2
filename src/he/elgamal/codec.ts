/**
 * Decoding and encoding of ristretto255 elements (RFC 9496, sections 4.3.1
 * and 4.3.2), the same steps as @noble/curves' RistrettoPoint.fromBytes and
 * toBytes with the inverse square root's exponentiation done by the
 * WebAssembly kernel of ./field25519-wasm.ts: a verifier decodes every
 * element of an election record (64 per ballot of 10 selections), a device
 * encodes about as many to hash its proofs, and that exponentiation is
 * nearly all of either. Where WebAssembly is unavailable, noble does it.
 *
 * A full validity check: a non-canonical encoding (s >= p, or s negative,
 * i.e. odd), a non-square, a negative t or y = 0 is rejected, as by noble
 * (the tests compare both on random, edge and invalid encodings).
 */
import { ed25519, ristretto255 } from '@noble/curves/ed25519.js';
import { P25519 as P, pow22523 } from './field25519-wasm.js';

type Point = InstanceType<typeof ristretto255.Point>;
type Edwards = InstanceType<typeof ed25519.Point>;

const D = ed25519.Point.CURVE().d;
const INVSQRT_A_MINUS_D = BigInt(
  '54469307008909316920995813868745141605393597292927456921205312896311721017578',
);
const SQRT_M1 = BigInt(
  '19681161376707505956807079304988542015446066515923890162744021073123829784752',
);
const m = (x: bigint) => {
  const r = x % P;
  return r < 0n ? r + P : r;
};
const isNegative = (x: bigint) => (x & 1n) === 1n;

/** 1/sqrt(v), and whether v is a square (RFC 9496 SQRT_RATIO_M1 with u = 1); undefined without WebAssembly. */
function invSqrt(v: bigint): { ok: boolean; r: bigint } | undefined {
  const v3 = m(v * v * v);
  const v7 = m(v3 * v3 * v);
  const pw = pow22523(v7);
  if (pw === undefined) return undefined;
  let r = m(v3 * pw);
  const check = m(v * r * r);
  const correct = check === 1n;
  const flipped = check === P - 1n;
  const flippedI = check === m(-SQRT_M1);
  if (flipped || flippedI) r = m(r * SQRT_M1);
  if (isNegative(r)) r = P - r;
  return { ok: correct || flipped, r };
}

/**
 * The element encoded by 32 bytes.
 * @throws {Error} if they are not a valid canonical encoding.
 */
export function decodeRistretto(bytes: Uint8Array): Point {
  if (bytes.length !== 32) throw new Error('ristretto255 encoding: expected 32 bytes');
  let s = 0n;
  for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(bytes[i]!);
  if (s >= P || isNegative(s)) throw new Error('invalid ristretto255 encoding');
  const ss = m(s * s);
  const u1 = m(1n - ss);
  const u2 = m(1n + ss);
  const u2sq = m(u2 * u2);
  const v = m(-D * m(u1 * u1) - u2sq);
  const inv = invSqrt(m(v * u2sq));
  if (inv === undefined) return ristretto255.Point.fromBytes(bytes);
  const denX = m(inv.r * u2);
  const denY = m(m(inv.r * denX) * v);
  let x = m(2n * s * denX);
  if (isNegative(x)) x = P - x;
  const y = m(u1 * denY);
  const t = m(x * y);
  if (!inv.ok || isNegative(t) || y === 0n) throw new Error('invalid ristretto255 encoding');
  const ep: Edwards = new ed25519.Point(x, y, 1n, t);
  return new (ristretto255.Point as unknown as new (ep: Edwards) => Point)(ep);
}

/** The canonical 32-byte encoding of an element. */
export function encodeRistretto(p: Point): Uint8Array {
  const { X: X0, Y: Y0, Z, T } = (p as unknown as { ep: Edwards }).ep;
  const u1 = m((Z + Y0) * (Z - Y0));
  const u2 = m(X0 * Y0);
  const inv = invSqrt(m(u1 * m(u2 * u2)));
  if (inv === undefined) return p.toBytes();
  const den1 = m(inv.r * u1);
  const den2 = m(inv.r * u2);
  const zInv = m(m(den1 * den2) * T);
  let X = X0;
  let Y = Y0;
  let den = den2;
  if (isNegative(m(T * zInv))) {
    X = m(Y0 * SQRT_M1);
    Y = m(X0 * SQRT_M1);
    den = m(den1 * INVSQRT_A_MINUS_D);
  }
  if (isNegative(m(X * zInv))) Y = m(-Y);
  let s = m((Z - Y) * den);
  if (isNegative(s)) s = P - s;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, s >>= 8n) out[i] = Number(s & 255n);
  return out;
}
