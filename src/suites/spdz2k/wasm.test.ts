/** The WebAssembly combine kernel against the BigInt reference, on random data and edges. */
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { Prg } from '../../random/prg.js';
import { combineReference } from './prep.js';
import { Spdz2kKernels } from './wasm.js';

describe('spdz2k combine kernel', () => {
  it('equals the BigInt reference (random terms, all-ones words, zero and one-bit choices)', () => {
    const k = Spdz2kKernels.create();
    expect(k).toBeDefined();
    const prg = new Prg(new Uint8Array(16).fill(5), nodeCryptoProvider);
    for (const [N, tau] of [
      [1, 1],
      [3, 7],
      [17, 320],
    ] as const) {
      const choices = prg.bytes(N * tau).map((b) => b & 1);
      const cross = prg.words(2 * N * tau);
      const ra = prg.words(tau);
      const rh = prg.words(2 * tau);
      // Edges: all-ones words make every carry happen.
      cross[0] = 2n ** 64n - 1n;
      cross[1] = 2n ** 64n - 1n;
      ra[0] = 2n ** 64n - 1n;
      rh[0] = 2n ** 64n - 1n;
      rh[1] = 2n ** 64n - 1n;
      choices[0] = 1;
      const want = combineReference(choices, cross, ra, rh, N, tau);
      const got = k!.combine(choices, cross, ra, rh, N, tau);
      expect(got).toEqual(want);
    }
  });
});
