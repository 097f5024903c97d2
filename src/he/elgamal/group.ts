/**
 * The prime-order group every ElGamal operation of Entente runs in:
 * ristretto255 (RFC 9496) over Curve25519, from @noble/curves. Ristretto gives
 * a group of prime order q = 2^252 + 27742317777372353535851937790883648493
 * with a canonical 32-byte encoding, so no cofactor or small-subgroup checks
 * are needed anywhere above this module: a decoded element is a group element.
 *
 * ElectionGuard 2.0 uses a 4096-bit multiplicative group mod p instead; the
 * protocol equations are the same with multiplication written as addition
 * (g^x becomes x·G). docs/VOTE.md, "How this differs from ElectionGuard".
 *
 * Browser-safe: no node: imports. Randomness comes from a CryptoProvider
 * (src/random/provider.ts), never from Math.random.
 */
import { ristretto255 } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { CryptoProvider } from '../../random/provider.js';
import { decodeRistretto, encodeRistretto } from './codec.js';
import { sodiumActive, sodiumAdd, sodiumMul, sodiumMulBase } from './sodium.js';

export type Point = InstanceType<typeof ristretto255.Point>;
export const RistrettoPoint: typeof ristretto255.Point = ristretto255.Point;

/** The group order q (a 253-bit prime). */
export const Q: bigint = RistrettoPoint.Fn.ORDER;
export const ZERO: Point = RistrettoPoint.ZERO;
/**
 * The generator G (the ristretto255 base point), with a 12-bit window table
 * (about 45,000 points, built on first use): s·G is then about twice as fast
 * as with the library's default table, and s·G is most of the work of
 * encrypting and proving.
 */
export const G: Point = RistrettoPoint.BASE.add(ZERO);
G.precompute(12, true);

/** x mod q, in 0..q-1. */
export function mod(x: bigint): bigint {
  const r = x % Q;
  return r < 0n ? r + Q : r;
}

/** 1/x mod q. @throws {RangeError} for x ≡ 0. */
export function inv(x: bigint): bigint {
  const v = mod(x);
  if (v === 0n) throw new RangeError('inverse of zero mod q');
  return RistrettoPoint.Fn.inv(v);
}

/**
 * s·P for any scalar (0 and multiples of q give the identity): through
 * libsodium when it is loaded (./sodium.ts), else noble.
 */
export function mul(p: Point, s: bigint): Point {
  const k = mod(s);
  if (k === 0n) return ZERO;
  if (!sodiumActive()) return p.multiply(k);
  if (p.is0()) return ZERO;
  return fromSodium(sodiumMul(encodePoint(p), k));
}

/** s·G: libsodium's fixed-base multiplication when loaded, else the base point's noble table. */
export function mulG(s: bigint): Point {
  const k = mod(s);
  if (k === 0n) return ZERO;
  if (!sodiumActive()) return G.multiply(k);
  return fromSodium(sodiumMulBase(k));
}

/**
 * s·P + t·G, the shape of an ElGamal β (m·G + r·K) and of a simulated
 * branch's commitment in a range proof. With libsodium the two products are
 * added on their encodings and the sum decoded once.
 */
export function mulAddG(p: Point, s: bigint, t: bigint): Point {
  const k = mod(s);
  const m = mod(t);
  if (!sodiumActive() || p.is0()) {
    const tG = m === 0n ? ZERO : m === 1n ? G : G.multiply(m);
    return k === 0n ? tG : p.multiply(k).add(tG);
  }
  if (k === 0n) return mulG(m);
  const sP = sodiumMul(encodePoint(p), k);
  return fromSodium(m === 0n ? sP : sodiumAdd(sP, smallMultipleOfG(m)));
}

// The encodings of m·G for small m (a message: 0 or 1 for a bit, up to
// 100 for an allocation), made on first use.
const SMALL = 1024;
const smallMultiples: (Uint8Array | undefined)[] = [];

function smallMultipleOfG(m: bigint): Uint8Array {
  if (m >= BigInt(SMALL)) return sodiumMulBase(m);
  const i = Number(m);
  return (smallMultiples[i] ??= sodiumMulBase(m));
}

/** The element of an encoding libsodium computed (so valid), its bytes remembered. */
function fromSodium(b: Uint8Array): Point {
  const p = decodeRistretto(b);
  encodings.set(p, b);
  return p;
}

/** A uniformly random scalar in 0..q-1 (512 CSPRNG bits reduced mod q: bias below 2^-250). */
export function randomScalar(crypto: CryptoProvider): bigint {
  const b = new Uint8Array(64);
  crypto.randomFill(b);
  return mod(bytesToBigInt(b));
}

/** A uniformly random nonzero scalar. */
export function randomNonzeroScalar(crypto: CryptoProvider): bigint {
  for (;;) {
    const s = randomScalar(crypto);
    if (s !== 0n) return s;
  }
}

export function bytesToBigInt(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + bytesToHex(b));
}

// Encoding costs a field inversion and square root (a large share of a
// proof's time), and the same element is often hashed, serialised and
// compared several times: remember each element's bytes.
const encodings = new WeakMap<Point, Uint8Array>();

/** The canonical 32-byte encoding of an element. */
export function encodePoint(p: Point): Uint8Array {
  let b = encodings.get(p);
  if (!b) {
    b = encodeRistretto(p);
    encodings.set(p, b);
  }
  return b;
}

export function pointToHex(p: Point): string {
  return bytesToHex(encodePoint(p));
}

/**
 * Decodes a 64-hex-digit canonical encoding.
 * @throws {RangeError} naming `what` if it is not one (wrong length, not hex,
 *   or not a valid ristretto255 encoding).
 */
export function pointFromHex(hex: unknown, what: string): Point {
  if (typeof hex !== 'string' || !/^[0-9a-f]{64}$/.test(hex))
    throw new RangeError(`${what}: expected 64 lowercase hex digits (a group element)`);
  let p: Point;
  try {
    p = decodeRistretto(hexToBytes(hex));
  } catch {
    throw new RangeError(`${what}: not a valid ristretto255 element`);
  }
  encodings.set(p, hexToBytes(hex));
  return p;
}

/** A scalar as 64 hex digits (32 bytes, big-endian). */
export function scalarToHex(s: bigint): string {
  return mod(s).toString(16).padStart(64, '0');
}

/** @throws {RangeError} naming `what` unless `hex` is 64 hex digits of a scalar below q. */
export function scalarFromHex(hex: unknown, what: string): bigint {
  if (typeof hex !== 'string' || !/^[0-9a-f]{64}$/.test(hex))
    throw new RangeError(`${what}: expected 64 lowercase hex digits (a scalar)`);
  const s = BigInt('0x' + hex);
  if (s >= Q) throw new RangeError(`${what}: scalar not below the group order`);
  return s;
}

/** The 32-byte big-endian encoding of a scalar, for hashing. */
export function encodeScalar(s: bigint): Uint8Array {
  return hexToBytes(scalarToHex(s));
}
