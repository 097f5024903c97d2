/**
 * Node adapter: AES-NI for PRG keystreams and fixed-key hashing (batched
 * AES-128-ECB), and the OS CSPRNG.
 *
 * `nodeCryptoProvider` uses the native kernel (native.ts: AES-NI or VAES
 * writing straight into the caller's arrays, about 3 G blocks/s here) when it
 * was built, and node:crypto otherwise (`opensslProvider`: 5-7 GB/s for
 * AES-128-CTR, but every call allocates its output, which the caller then
 * copies). Both give identical bytes; tests compare them. The portable
 * JavaScript AES reaches about 0.1 GB/s (docs/PERFORMANCE.md, "Machine facts").
 */
import { createCipheriv, randomFillSync } from 'node:crypto';
import { checkBlocks, checkKey, type CryptoProvider } from '../../random/provider.js';
import { nativeAes, type NativeAesBinding } from './native.js';

// Outputs of at most 256 KiB per cipher call stay off glibc's mmap path
// (docs/PERFORMANCE.md, "Machine facts": larger ones collapse throughput unpredictably).
const ECB_CHUNK = 262144;
const ZEROS = new Uint8Array(ECB_CHUNK);

function checkEcbKey(key: Uint8Array): void {
  if (key.length !== 16) throw new RangeError(`aesEcb: expected a 16-byte key, got ${key.length}`);
}

/** node:crypto (OpenSSL) only. */
export const opensslProvider: CryptoProvider = {
  randomFill(out) {
    randomFillSync(out);
  },
  aesCtr(key, iv) {
    checkKey(key, iv);
    // One persistent cipher: never re-key per call.
    const cipher = createCipheriv('aes-128-ctr', key, iv);
    // The keystream is AES-CTR applied to zeros: read them from one shared
    // zero buffer instead of clearing `out` first (saves a pass over memory).
    return (out) => {
      for (let off = 0; off < out.length; off += ZEROS.length) {
        const len = Math.min(ZEROS.length, out.length - off);
        const n = cipher.update(ZEROS.subarray(0, len)).copy(out, off);
        if (n !== len) throw new Error('aesCtr: short keystream');
      }
    };
  },
  aesEcb(key) {
    checkEcbKey(key);
    // One persistent cipher for the life of the key; ECB without padding keeps
    // no state between calls, so batches of any multiple of 16 bytes work.
    const cipher = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
    return (input, output) => {
      checkBlocks(input, output);
      for (let off = 0; off < input.length; off += ECB_CHUNK) {
        const end = Math.min(input.length, off + ECB_CHUNK);
        const n = cipher.update(input.subarray(off, end)).copy(output, off);
        if (n !== end - off) throw new Error('aesEcb: short output');
      }
    };
  },
};

/** The native kernel behind the CryptoProvider interface. */
export function nativeProvider(aes: NativeAesBinding): CryptoProvider {
  return {
    randomFill(out) {
      randomFillSync(out);
    },
    aesCtr(key, iv) {
      checkKey(key, iv);
      const rk = new Uint8Array(176);
      aes.expandKey(key, rk);
      const counter = iv.slice();
      // A call whose length is not a multiple of 16 keeps the rest of its last
      // keystream block for the next call, as a streaming cipher does.
      const spare = new Uint8Array(16);
      let spareFrom = 16;
      return (out) => {
        let off = 0;
        while (off < out.length && spareFrom < 16) out[off++] = spare[spareFrom++]!;
        const whole = off + ((out.length - off) & ~15);
        if (whole > off) aes.ctr(rk, counter, out.subarray(off, whole));
        if (whole < out.length) {
          aes.ctr(rk, counter, spare);
          spareFrom = 0;
          for (let i = whole; i < out.length; i++) out[i] = spare[spareFrom++]!;
        }
      };
    },
    aesEcb(key) {
      checkEcbKey(key);
      const rk = new Uint8Array(176);
      aes.expandKey(key, rk);
      return (input, output) => {
        checkBlocks(input, output);
        aes.ecb(rk, input, output);
      };
    },
  };
}

const native = nativeAes();

/** The provider Node code uses: the native kernel if it was built, else node:crypto. */
export const nodeCryptoProvider: CryptoProvider = native.ok
  ? nativeProvider(native.binding)
  : opensslProvider;

/** Which AES implementation `nodeCryptoProvider` uses, for logs and benchmarks. */
export function aesBackend(): string {
  return native.ok
    ? `native ${native.binding.path()}`
    : `node:crypto (native kernel ${native.reason})`;
}
