/**
 * Node adapter: the optional native AES-128 kernel (native/aes.c, built by
 * `npm install` through node-gyp when a C compiler is present).
 *
 * It encrypts from one typed array straight into another with AES-NI or
 * VAES, so fixed-key hashing and PRG expansion into WebAssembly memory
 * allocate nothing per call: measured here at about 3 G blocks/s against
 * about 0.1-0.4 G for node:crypto's update() plus the copy back
 * (docs/PERFORMANCE.md). When the addon is missing (no compiler at install
 * time, a CPU without AES-NI, or ENTENTE_NATIVE=0), `nativeAes()` says why
 * and callers use node:crypto; results are identical either way (tests
 * compare the two).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The addon's functions (native/aes.c). */
export interface NativeAesBinding {
  /** Writes the 11 AES-128 round keys (176 bytes) of a 16-byte key. */
  expandKey(key: Uint8Array, roundKeys: Uint8Array): void;
  /** ECB on equal-length arrays (multiples of 16 bytes, identical or disjoint). */
  ecb(roundKeys: Uint8Array, input: Uint8Array, output: Uint8Array): void;
  /** CTR keystream into `output` (a multiple of 16 bytes); advances the big-endian counter in place. */
  ctr(roundKeys: Uint8Array, counter: Uint8Array, output: Uint8Array): void;
  /** The kernel in use ('vaes' or 'aesni'); with an argument, selects it (tests, benchmarks). */
  path(name?: 'aesni' | 'vaes'): string;
  /** The best kernel this CPU supports: 'vaes', 'aesni' or 'none'. */
  best(): string;
}

export type NativeAesStatus =
  | { readonly ok: true; readonly binding: NativeAesBinding; readonly file: string }
  | { readonly ok: false; readonly reason: string };

/** Where `npm install` leaves the addon, from both src/ and dist/. */
export const NATIVE_ADDON = fileURLToPath(
  new URL('../../../native/build/Release/entente_native.node', import.meta.url),
);

let status: NativeAesStatus | undefined;

/** Loads the addon once; `ENTENTE_NATIVE=0` turns it off. */
export function nativeAes(): NativeAesStatus {
  status ??= load();
  return status;
}

function load(): NativeAesStatus {
  if (process.env.ENTENTE_NATIVE === '0')
    return { ok: false, reason: 'turned off by ENTENTE_NATIVE=0' };
  if (!existsSync(NATIVE_ADDON))
    return {
      ok: false,
      reason: `not built (${NATIVE_ADDON} is missing; run \`npm run build:native\`, which needs a C compiler)`,
    };
  try {
    const binding = createRequire(import.meta.url)(NATIVE_ADDON) as NativeAesBinding;
    if (binding.best() === 'none') return { ok: false, reason: 'this CPU has no AES-NI' };
    return { ok: true, binding, file: NATIVE_ADDON };
  } catch (e) {
    return { ok: false, reason: `failed to load ${NATIVE_ADDON}: ${(e as Error).message}` };
  }
}
