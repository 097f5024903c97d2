/**
 * ristretto255 (RFC 9496) scalar multiplication through libsodium
 * (libsodium-wrappers-sumo, WebAssembly, ISC licence), on 32-byte canonical
 * encodings. @noble/curves does s·P in plain JavaScript BigInt arithmetic;
 * libsodium's compiled field arithmetic does it several times faster
 * (docs/PERFORMANCE.md, "Participatory budgeting"). The results are the same
 * group elements with the same canonical encodings, so proofs, hashes and
 * records do not change; ./group.ts uses this module when it is loaded and
 * noble otherwise.
 *
 * libsodium instantiates its WebAssembly asynchronously: `loadSodium()` of
 * ./sodium-load.ts must be awaited once (the commands and benchmarks do it
 * before their first ballot); until then `sodiumActive()` is false and every
 * caller takes the noble path. This module does not import libsodium itself,
 * so that a bundle which never loads it (the voting page: libsodium would add
 * about 190 KB of gzipped JavaScript, over the dashboard's 300 KB budget)
 * does not carry it. Browser-safe: no node: imports.
 *
 * libsodium refuses to return the identity (its scalar multiplications fail
 * when the result would be it), so the callers here handle the zero scalar
 * and the identity point themselves: in a group of prime order q, s·P is the
 * identity exactly when s ≡ 0 (mod q) or P is the identity.
 */

/** The four libsodium functions used here (libsodium-wrappers-sumo's names). */
export interface SodiumRistretto {
  crypto_scalarmult_ristretto255_base(n: Uint8Array): Uint8Array;
  crypto_scalarmult_ristretto255(n: Uint8Array, p: Uint8Array): Uint8Array;
  crypto_core_ristretto255_add(p: Uint8Array, q: Uint8Array): Uint8Array;
}

let sodium: SodiumRistretto | undefined;
let enabled = true;

/** Installs a ready libsodium (./sodium-load.ts does, after `await sodium.ready`). */
export function installSodium(lib: SodiumRistretto): void {
  sodium = lib;
}

/** Whether group operations go through libsodium (installed and not switched off). */
export function sodiumActive(): boolean {
  return sodium !== undefined && enabled;
}

/**
 * Switches the libsodium path off (false) or back on (true, once loaded):
 * for differential tests and benchmarks against the noble path.
 */
export function setSodiumEnabled(on: boolean): void {
  enabled = on;
}

/** The 32-byte little-endian encoding libsodium expects of a scalar in 1..q-1. */
function scalarBytes(s: bigint): Uint8Array {
  const b = new Uint8Array(32);
  let x = s;
  for (let i = 0; i < 32 && x > 0n; i++, x >>= 8n) b[i] = Number(x & 255n);
  return b;
}

/** s·G as an encoding, for s in 1..q-1 (the caller maps s ≡ 0 to the identity). */
export function sodiumMulBase(s: bigint): Uint8Array {
  return sodium!.crypto_scalarmult_ristretto255_base(scalarBytes(s));
}

/** s·P as an encoding, for s in 1..q-1 and P not the identity (the caller handles both). */
export function sodiumMul(point: Uint8Array, s: bigint): Uint8Array {
  return sodium!.crypto_scalarmult_ristretto255(scalarBytes(s), point);
}

/** P + Q on encodings (the identity allowed). */
export function sodiumAdd(p: Uint8Array, q: Uint8Array): Uint8Array {
  return sodium!.crypto_core_ristretto255_add(p, q);
}
