/**
 * The randomness and block-cipher primitives the core needs, behind one small
 * interface so that the core runs in browsers and Node alike. The default
 * provider uses WebCrypto's getRandomValues (the OS CSPRNG in both) and the
 * audited @noble/ciphers AES; the Node adapter (src/adapters/node) swaps in
 * node:crypto's AES-NI, which is about 50x faster for bulk PRG output.
 */
import { ctr, ecb } from '@noble/ciphers/aes.js';

export interface CryptoProvider {
  /** Fills `out` from the operating system's CSPRNG. */
  randomFill(out: Uint8Array): void;
  /**
   * An AES-128-CTR keystream generator: each call writes the next
   * `out.length` keystream bytes. Keys come from the CSPRNG or a PRSS seed.
   */
  aesCtr(key: Uint8Array, iv: Uint8Array): (out: Uint8Array) => void;
  /**
   * A fixed-key AES-128 permutation applied to whole batches of blocks (ECB,
   * no padding): each call writes AES_key(input block j) to output block j.
   * `input.length` must be a multiple of 16 and equal `output.length`; the two
   * may be the same array. Used as the public random permutation of
   * fixed-key-AES hashing (OT extension, garbling), so batches of thousands
   * of blocks per call matter (docs/PERFORMANCE.md, "Machine facts"). Optional so that
   * older providers keep working: `aesEcbOf` falls back to the portable AES.
   */
  aesEcb?(key: Uint8Array): (input: Uint8Array, output: Uint8Array) => void;
}

/** The provider's batched fixed-key AES, or the portable @noble/ciphers one. */
export function aesEcbOf(
  provider: CryptoProvider,
  key: Uint8Array,
): (input: Uint8Array, output: Uint8Array) => void {
  return provider.aesEcb ? provider.aesEcb(key) : portableAesEcb(key);
}

function portableAesEcb(key: Uint8Array): (input: Uint8Array, output: Uint8Array) => void {
  if (key.length !== 16) throw new RangeError(`aesEcb: expected a 16-byte key, got ${key.length}`);
  const k = key.slice();
  return (input, output) => {
    checkBlocks(input, output);
    // noble's cipher objects are single-use, so each batch expands the key again.
    output.set(ecb(k, { disablePadding: true }).encrypt(input));
  };
}

/** @throws {RangeError} unless input and output are equal multiples of 16 bytes. */
export function checkBlocks(input: Uint8Array, output: Uint8Array): void {
  if (input.length % 16 !== 0 || input.length !== output.length)
    throw new RangeError(
      `aesEcb: expected equal multiples of 16 bytes, got ${input.length} and ${output.length}`,
    );
}

// WebCrypto caps one getRandomValues call at 65,536 bytes.
const GET_RANDOM_VALUES_MAX = 65536;

export const webCryptoProvider: CryptoProvider = {
  randomFill(out) {
    const c = globalThis.crypto;
    if (!c?.getRandomValues)
      throw new Error('randomFill: no WebCrypto getRandomValues in this runtime');
    for (let off = 0; off < out.length; off += GET_RANDOM_VALUES_MAX) {
      c.getRandomValues(out.subarray(off, Math.min(out.length, off + GET_RANDOM_VALUES_MAX)));
    }
  },
  aesCtr(key, iv) {
    checkKey(key, iv);
    // noble's ctr restarts its counter per call, so track the position here.
    let counter = ivToBigInt(iv);
    return (out) => {
      if (out.length % 16 !== 0)
        throw new RangeError('aesCtr: output length must be a multiple of 16');
      out.fill(0);
      const stream = ctr(key, bigIntToIv(counter)).encrypt(out);
      out.set(stream);
      counter = (counter + BigInt(out.length / 16)) & ((1n << 128n) - 1n);
    };
  },
  aesEcb: portableAesEcb,
};

export function checkKey(key: Uint8Array, iv: Uint8Array): void {
  if (key.length !== 16) throw new RangeError(`aesCtr: expected a 16-byte key, got ${key.length}`);
  if (iv.length !== 16) throw new RangeError(`aesCtr: expected a 16-byte IV, got ${iv.length}`);
}

function ivToBigInt(iv: Uint8Array): bigint {
  let x = 0n;
  for (const b of iv) x = (x << 8n) | BigInt(b);
  return x;
}

function bigIntToIv(x: bigint): Uint8Array {
  const iv = new Uint8Array(16);
  for (let i = 15; i >= 0; i--) {
    iv[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return iv;
}
