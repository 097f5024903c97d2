import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { localParties, runParties } from '../../primitives/testing.js';
import { bitTriples, daBits, gilboaTriples } from './gen.js';
import { OtMesh } from './pairwise.js';

const M64 = (1n << 64n) - 1n;
const sum = (xs: bigint[]) => xs.reduce((a, b) => (a + b) & M64, 0n);

describe('semi2k OT-based generation', () => {
  for (const n of [2, 3]) {
    it(`n=${n}: Gilboa triples satisfy c = a b mod 2^64; bit triples c = a & b; daBits agree`, async () => {
      const ps = localParties(n, nodeCryptoProvider);
      const outs = await runParties(ps, async (party) => {
        const ctx = { party, mesh: new OtMesh(party, false) };
        // Small chunks: several in flight (pipelined), the last one partial.
        const t = await gilboaTriples(ctx, 300, 70);
        const bt = await bitTriples(ctx, 7, 3);
        const db = await daBits(ctx, 500);
        return { t, bt, db };
      });
      for (let i = 0; i < 300; i++) {
        const a = sum(outs.map((o) => o.t.a[i]!));
        const b = sum(outs.map((o) => o.t.b[i]!));
        const c = sum(outs.map((o) => o.t.c[i]!));
        expect(c).toBe((a * b) & M64);
      }
      for (let q = 0; q < 7; q++) {
        const x = (f: (o: (typeof outs)[number]) => bigint) =>
          outs.map(f).reduce((p, v) => p ^ v, 0n);
        const a = x((o) => o.bt.a[q]!);
        const b = x((o) => o.bt.b[q]!);
        expect(x((o) => o.bt.c[q]!)).toBe(a & b);
        expect(a).not.toBe(0n);
      }
      let ones = 0;
      for (let i = 0; i < 500; i++) {
        const bit = outs.reduce((p, o) => p ^ o.db.bool[i]!, 0);
        expect(sum(outs.map((o) => o.db.arith[i]!))).toBe(BigInt(bit));
        ones += bit;
      }
      expect(ones).toBeGreaterThan(180);
      expect(ones).toBeLessThan(320);
    });
  }
});
