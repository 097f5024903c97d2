/**
 * The wire form of keys and ciphertexts: SEAL's own serialisation (zstd
 * compressed) inside an envelope that says what the bytes are and whose they
 * are, so that a receiver rejects the wrong object before SEAL parses it.
 *
 *   offset  size  field
 *        0     4  magic "ENTL"
 *        4     1  version (1)
 *        5     1  kind: 1 public key, 2 relinearisation keys, 3 Galois keys, 4 ciphertext
 *        6     1  scheme: 1 CKKS, 2 BFV
 *        7     1  zero
 *        8    32  context id (SHA-256 of SEAL's serialised parameters)
 *       40    32  key id (SHA-256 of the customer's serialised public key)
 *       72     4  slots in use (ciphertexts; 0 for keys), little-endian
 *       76     4  body length B, little-endian
 *       80     B  body: SEAL's serialisation (its own 16-byte header first)
 *   80 + B    32  SHA-256 of bytes 0 .. 80 + B
 *
 * The digest catches corruption and truncation; it is not a MAC. Against a
 * party that recomputes it nothing here authenticates a ciphertext: the
 * security model is semi-honest (docs/HE-LATTICE.md).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { LatticeFormatError, LatticeMismatchError } from './errors.js';
import type { LatticeContext } from './params.js';

export const WIRE_KINDS = {
  'public-key': 1,
  'relin-keys': 2,
  'galois-keys': 3,
  ciphertext: 4,
} as const;
export type WireKind = keyof typeof WIRE_KINDS;

const MAGIC = [0x45, 0x4e, 0x54, 0x4c]; // "ENTL"
const VERSION = 1;
/** Bytes before the body. */
export const HEAD = 80;
const DIGEST = 32;
// SEAL 4.x's header: magic 0xA15E, header size 16, version 4.x, compression
// mode, reserved, then the total size as a 64-bit little-endian integer.
const SEAL_MAGIC = 0xa15e;
const SEAL_HEADER = 16;

export interface Envelope {
  readonly kind: WireKind;
  readonly keyId: Uint8Array;
  readonly slots: number;
  readonly body: Uint8Array;
}

/** Wraps SEAL bytes for `ctx`. */
export function toWire(ctx: LatticeContext, e: Envelope): Uint8Array {
  const out = new Uint8Array(HEAD + e.body.length + DIGEST);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  out[5] = WIRE_KINDS[e.kind];
  out[6] = ctx.params.scheme === 'ckks' ? 1 : 2;
  out.set(ctx.id, 8);
  out.set(e.keyId, 40);
  view.setUint32(72, e.slots, true);
  view.setUint32(76, e.body.length, true);
  out.set(e.body, HEAD);
  out.set(sha256(out.subarray(0, HEAD + e.body.length)), HEAD + e.body.length);
  return out;
}

function hex8(b: Uint8Array): string {
  return Array.from(b.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join('');
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/**
 * Checks an envelope against the expected kind, context and (if given) key id
 * and returns its parts. Nothing of the body is parsed beyond SEAL's header.
 *
 * @throws {TypeError} if `bytes` is not a Uint8Array.
 * @throws {LatticeFormatError} for garbage, truncation, a bad digest or a malformed SEAL header.
 * @throws {LatticeMismatchError} for another kind, scheme, parameter set or key set.
 */
export function fromWire(
  ctx: LatticeContext,
  bytes: Uint8Array,
  kind: WireKind,
  keyId?: Uint8Array,
): Envelope {
  const what = `lattice ${kind}`;
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what}: expected a Uint8Array`);
  if (bytes.length < HEAD + DIGEST)
    throw new LatticeFormatError(`${what}: ${bytes.length} bytes is too short for an envelope`);
  if (MAGIC.some((m, i) => bytes[i] !== m))
    throw new LatticeFormatError(`${what}: not an Entente lattice object (bad magic)`);
  if (bytes[4] !== VERSION)
    throw new LatticeFormatError(`${what}: unsupported envelope version ${bytes[4]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bodyLength = view.getUint32(76, true);
  if (bytes.length !== HEAD + bodyLength + DIGEST)
    throw new LatticeFormatError(
      `${what}: ${bytes.length} bytes but the envelope says ${HEAD + bodyLength + DIGEST} (truncated or padded)`,
    );
  const digest = sha256(bytes.subarray(0, HEAD + bodyLength));
  if (!sameBytes(digest, bytes.subarray(HEAD + bodyLength)))
    throw new LatticeFormatError(`${what}: digest mismatch (corrupted or altered bytes)`);
  const got = Object.entries(WIRE_KINDS).find(([, v]) => v === bytes[5])?.[0];
  if (got !== kind)
    throw new LatticeMismatchError(`${what}: the bytes hold a ${got ?? `kind ${bytes[5]}`}`);
  const scheme = bytes[6] === 1 ? 'ckks' : bytes[6] === 2 ? 'bfv' : `scheme ${bytes[6]}`;
  if (scheme !== ctx.params.scheme)
    throw new LatticeMismatchError(
      `${what}: made for ${scheme}, this context is ${ctx.params.scheme}`,
    );
  const ctxId = bytes.subarray(8, 40);
  if (!sameBytes(ctxId, ctx.id))
    throw new LatticeMismatchError(
      `${what}: made for parameter set ${hex8(ctxId)}…, this context is ${hex8(ctx.id)}…`,
    );
  const gotKey = bytes.slice(40, 72);
  if (keyId && !sameBytes(gotKey, keyId))
    throw new LatticeMismatchError(
      `${what}: made under key set ${hex8(gotKey)}…, expected ${hex8(keyId)}… (another customer's keys?)`,
    );
  const body = bytes.subarray(HEAD, HEAD + bodyLength);
  checkSealHeader(what, body);
  return { kind, keyId: gotKey, slots: view.getUint32(72, true), body };
}

/** SEAL's 16-byte header, checked here so that SEAL never parses a body whose size it would misread. */
function checkSealHeader(what: string, body: Uint8Array): void {
  if (body.length < SEAL_HEADER)
    throw new LatticeFormatError(`${what}: ${body.length} bytes is too short for a SEAL object`);
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (v.getUint16(0, true) !== SEAL_MAGIC || body[2] !== SEAL_HEADER)
    throw new LatticeFormatError(`${what}: the body is not a SEAL object (bad SEAL header)`);
  if (body[3] !== 4)
    throw new LatticeFormatError(`${what}: SEAL version ${body[3]}.${body[4]}, expected 4.x`);
  if (body[5]! > 2)
    throw new LatticeFormatError(`${what}: unknown SEAL compression mode ${body[5]}`);
  const size = v.getBigUint64(8, true);
  if (size !== BigInt(body.length))
    throw new LatticeFormatError(
      `${what}: SEAL header says ${size} bytes, the body has ${body.length}`,
    );
}
