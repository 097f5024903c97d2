/**
 * Node adapter: node:crypto's AES-NI for PRG keystreams and fixed-key
 * hashing (batched AES-128-ECB), and its CSPRNG.
 * Measured here at 5-7 GB/s for AES-128-CTR, against about 0.1 GB/s for the
 * portable JavaScript AES (../shared/PERF-FACTS.md).
 */
import { createCipheriv, randomFillSync } from 'node:crypto';
import { checkBlocks, checkKey, type CryptoProvider } from '../../random/provider.js';

// Outputs of at most 256 KiB per cipher call stay off glibc's mmap path
// (../shared/PERF-FACTS.md: larger ones collapse throughput unpredictably).
const ECB_CHUNK = 262144;
const ZEROS = new Uint8Array(ECB_CHUNK);

export const nodeCryptoProvider: CryptoProvider = {
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
    if (key.length !== 16)
      throw new RangeError(`aesEcb: expected a 16-byte key, got ${key.length}`);
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
