/**
 * Prio3 preparation of both aggregators through @divviup/prio3 0.8.0 (the
 * client's library, VDAF-08), as the reference for src/dap/prio3.ts: the
 * differential tests (src/dap/prio3.test.ts) and `npm run bench -- prio3`.
 */
import { Buffer } from 'buffer';
import type { AnyPrio3 } from '../src/dap/vdaf.js';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * The same preparation through @divviup/prio3 0.8.0 (the client's library,
 * VDAF-08): its prepareInit on its own share objects, the Helper's expanded
 * through its XOF, then its unshardPreparationShares and prepareNext.
 */
export async function libPrepBoth(
  lib: AnyPrio3,
  key: Uint8Array,
  nonce: Uint8Array,
  publicShare: Uint8Array,
  inputShares: readonly Uint8Array[],
): Promise<{ shares: string[]; msg: string; outs: string[] }> {
  const { flp, proofs } = lib;
  const field = flp.field;
  const size = field.encodedSize;
  const seed = lib.xof.seedSize;
  const decode = (b: Uint8Array, n: number): bigint[] =>
    Array.from({ length: n }, (_, i) => {
      let x = 0n;
      for (let j = size - 1; j >= 0; j--) x = (x << 8n) | BigInt(b[i * size + j]!);
      return x;
    });
  const jr = flp.jointRandLen !== 0;
  const parts = jr ? [publicShare.slice(0, seed), publicShare.slice(seed)] : [];
  const results = [];
  for (const id of [0, 1] as const) {
    const b = inputShares[id]!;
    let measurementShare: bigint[];
    let proofsShare: bigint[];
    let blind: Uint8Array;
    if (id === 0) {
      const m = flp.measurementLen * size;
      const p = flp.proofLen * proofs * size;
      measurementShare = decode(b, flp.measurementLen);
      proofsShare = decode(b.subarray(m), flp.proofLen * proofs);
      blind = b.slice(m + p);
    } else {
      measurementShare = await lib.xof.expandIntoVec(
        field,
        b.slice(0, seed),
        lib.domainSeparationTag(1),
        Uint8Array.of(1),
        flp.measurementLen,
      );
      proofsShare = await lib.xof.expandIntoVec(
        field,
        b.slice(seed, 2 * seed),
        lib.domainSeparationTag(2),
        Uint8Array.of(proofs, 1),
        flp.proofLen * proofs,
      );
      blind = b.slice(2 * seed);
    }
    const buf = (x: Uint8Array) => Buffer.from(x) as never;
    results.push(
      await lib.prepareInit(buf(key), id, null, buf(nonce), { jointRandParts: parts.map(buf) }, {
        measurementShare,
        proofsShare,
        blind: buf(blind),
      } as never),
    );
  }
  const shares = results.map((r) => toHex(lib.encodePreparationShare(r.preparationShare)));
  const msg = await lib.unshardPreparationShares(
    null,
    results.map((r) => r.preparationShare),
  );
  const outs = results.map((r) => {
    const next = lib.prepareNext(r.preparationState, msg) as { outputShare: bigint[] };
    return toHex(field.encode(next.outputShare));
  });
  return { shares, msg: toHex(lib.encodePreparationMessage(msg)), outs };
}
