/** The WebAssembly combine kernel against the BigInt reference, on random data and edges. */
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { Prg } from '../../random/prg.js';
import {
  combineReference,
  copeReceiveStep,
  copeSendStep,
  correctionsReceive,
  correctionsSend,
  TAU,
} from './prep.js';
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

describe('spdz2k COPE kernels', () => {
  it('equal the BigInt steps over all 64 key bits (random values and all-ones limbs)', () => {
    const k = Spdz2kKernels.create()!;
    const prg = new Prg(new Uint8Array(16).fill(9), nodeCryptoProvider);
    for (const n of [1, 5, 300]) {
      const W = 3 * n;
      const x = prg.words(W);
      x.fill(2n ** 64n - 1n, 0, 3); // every carry and borrow
      const streams = Array.from({ length: 64 }, () => [prg.words(W), prg.words(W)] as const);
      streams[63]![0].fill(2n ** 64n - 1n, 0, 3);
      // Authenticator: the reference steps.
      const u = new BigUint64Array(64 * W);
      const acc = new BigUint64Array(W);
      for (let l = 63; l >= 0; l--)
        copeSendStep(streams[l]![0], streams[l]![1], x, u.subarray(l * W, (l + 1) * W), acc);
      const got = k.copeSend(x, (l, a, b) => {
        a.set(new Uint8Array(streams[l]![0].buffer));
        b.set(new Uint8Array(streams[l]![1].buffer));
      });
      expect(got.u).toEqual(u);
      expect(got.acc).toEqual(acc);
      // Key holder, with a key of mixed bits.
      const bits = Uint8Array.from({ length: 64 }, (_, l) => ((l * 5 + 1) % 3 === 0 ? 1 : 0));
      const accR = new BigUint64Array(W);
      for (let l = 63; l >= 0; l--)
        copeReceiveStep(
          streams[l]![0],
          u.subarray(l * W, (l + 1) * W),
          bits[l] ? 2n ** 64n - 1n : 0n,
          accR,
        );
      expect(k.copeRecv(u, bits, (l, t) => t.set(new Uint8Array(streams[l]![0].buffer)))).toEqual(
        accR,
      );
    }
  });
});

describe('spdz2k correction kernels', () => {
  it('equal the BigInt loops (sender and receiver, carries and borrows included)', () => {
    const prg = new Prg(new Uint8Array(16).fill(11), nodeCryptoProvider);
    for (const N of [1, 4]) {
      const W = 2 * N * TAU;
      const m0 = prg.words(W);
      const m1 = prg.words(W);
      const b = prg.words(2 * N);
      const cross = prg.words(W);
      m0.fill(0n, 0, 2); // 0 - m1 borrows through both limbs
      b.fill(2n ** 64n - 1n, 0, 2);
      const crossJs = cross.slice();
      const want = correctionsSend(m0, m1, b, crossJs, false);
      const crossK = cross.slice();
      expect(correctionsSend(m0, m1, b, crossK, true)).toEqual(want);
      expect(crossK).toEqual(crossJs);
      const choices = prg.bytes(N * TAU).map((x) => x & 1);
      const u = prg.words(W);
      u.fill(2n ** 64n - 1n, 0, 2);
      choices[0] = 1;
      const r1 = cross.slice();
      const r2 = cross.slice();
      correctionsReceive(m0, choices, u, r1, false);
      correctionsReceive(m0, choices, u, r2, true);
      expect(r2).toEqual(r1);
    }
  });
});
