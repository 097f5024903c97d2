import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { ProtocolAbort } from '../../runtime/errors.js';
import { localParties, runParties } from '../testing.js';
import { baseOT, type BaseOtReceiverOutput, type BaseOtSenderOutput } from './base.js';

const SID = new TextEncoder().encode('base-ot-test');

function eqBlock(a: Uint8Array, b: Uint8Array, i: number): boolean {
  for (let k = 0; k < 16; k++) if (a[16 * i + k] !== b[16 * i + k]) return false;
  return true;
}

describe('base OT (Masny-Rindal over ristretto255)', () => {
  it('the receiver gets k_c for each choice; keys of the other choice differ', async () => {
    const n = 24;
    const choices = Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 2)) & 1);
    const ps = localParties(2, nodeCryptoProvider);
    const [s, r] = (await runParties(ps, (p) =>
      baseOT(p, 0, 1, n, SID, p.index === 1 ? choices : undefined),
    )) as [BaseOtSenderOutput, BaseOtReceiverOutput];
    for (let i = 0; i < n; i++) {
      const c = choices[i]!;
      expect(eqBlock(c ? s.k1 : s.k0, r.k, i)).toBe(true);
      expect(eqBlock(c ? s.k0 : s.k1, r.k, i)).toBe(false);
    }
    expect(r.choices).toEqual(choices);
  });

  it('works between two of three parties; the third exchanges nothing', async () => {
    const ps = localParties(3, nodeCryptoProvider);
    const out = await runParties(ps, (p) =>
      baseOT(p, 2, 0, 3, SID, p.index === 0 ? Uint8Array.of(1, 0, 1) : undefined),
    );
    const s = out[2] as BaseOtSenderOutput;
    const r = out[0] as BaseOtReceiverOutput;
    expect(out[1]).toBeUndefined();
    expect([0, 1, 2].map((i) => eqBlock(i === 1 ? s.k0 : s.k1, r.k, i))).toEqual([
      true,
      true,
      true,
    ]);
    expect(ps[1]!.stats.bytesSent).toBe(0);
  });

  it('empty batch and bad arguments', async () => {
    const ps = localParties(2, nodeCryptoProvider);
    const out = await runParties(ps, (p) =>
      baseOT(p, 0, 1, 0, SID, p.index === 1 ? new Uint8Array(0) : undefined),
    );
    expect((out[0] as BaseOtSenderOutput).k0.length).toBe(0);
    const [p0] = localParties(2, nodeCryptoProvider);
    await expect(baseOT(p0!, 0, 0, 1, SID)).rejects.toThrow(RangeError);
    await expect(baseOT(p0!, 0, 5, 1, SID)).rejects.toThrow(/receiver 5/);
  });

  it('rejects a pair whose sum with the hash is the identity (a receiver fixing its own key)', async () => {
    const { ristretto255, ristretto255_hasher } = await import('@noble/curves/ed25519.js');
    const ps = localParties(2, nodeCryptoProvider);
    const run = runParties(ps, async (p) => {
      if (p.index === 1) {
        // r_1 arbitrary, r_0 = -H_G(sid, 0, r_1): then M_0 = r_0 + H_G(r_1) is the identity.
        const r1 = ristretto255.Point.BASE.multiply(5n).toBytes();
        const lenSid = Uint8Array.of(0, 0, 0, SID.length);
        const msg = new Uint8Array([...lenSid, ...SID, 0, 0, 0, 0, ...r1]);
        const h = ristretto255_hasher.hashToCurve(msg, { DST: 'entente/ot/mr19/hash-to-group/v1' });
        const pair = new Uint8Array(64);
        pair.set(h.negate().toBytes(), 0);
        pair.set(r1, 32);
        await p.exchange({ op: 'ot.base.pairs', send: [pair, undefined], recvFrom: [] });
        await p.exchange({ op: 'ot.base.key', send: [undefined, undefined], recvFrom: [0] });
        return undefined;
      }
      return baseOT(p, 0, 1, 1, SID);
    });
    await expect(run).rejects.toThrow(/degenerate pair/);
  });

  it('rejects a receiver message that is not made of group elements', async () => {
    const ps = localParties(2, nodeCryptoProvider);
    const run = runParties(ps, async (p) => {
      if (p.index === 1) {
        // A cheating receiver sends bytes that are not ristretto255 encodings.
        const send: Array<Uint8Array | undefined> = [new Uint8Array(64).fill(0xff), undefined];
        await p.exchange({ op: 'ot.base.pairs', send, recvFrom: [] });
        await p.exchange({ op: 'ot.base.key', send: [undefined, undefined], recvFrom: [0] });
        return undefined;
      }
      return baseOT(p, 0, 1, 1, SID);
    });
    await expect(run).rejects.toThrow(ProtocolAbort);
    await expect(run).rejects.toThrow(/not a group element/);
  });
});
