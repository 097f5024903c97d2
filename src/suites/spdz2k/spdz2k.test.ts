import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { runLocal } from '../../api/run.js';
import { fixed, int } from '../../index.js';
import { inv2k, spdz2kFactory, sqrt2k } from './spdz2k.js';

const dealer = spdz2kFactory({ preprocessing: 'insecureDealer', allowInsecure: true });

describe('spdz2k (dealer preprocessing)', () => {
  it('square roots and inverses mod 2^k', () => {
    for (let a = 1n; a < 2000n; a += 2n) {
      const x = BigInt.asUintN(128, a * 0x9e3779b97f4a7c15n * 0x1234567n) | 1n;
      const s = BigInt.asUintN(66, x * x);
      const r = sqrt2k(s, 66);
      expect(BigInt.asUintN(66, r * r)).toBe(s);
      expect(BigInt.asUintN(128, inv2k(x, 128) * x)).toBe(1n);
    }
  });

  for (const n of [2, 3]) {
    it(`n=${n}: arithmetic, comparisons, bits, truncation, private output`, async () => {
      const a = [5n, -7n, 0n, 2n ** 28n, -(2n ** 29n), 123456n];
      const b = [3n, 9n, -1n, -(2n ** 28n), 2n ** 29n - 1n, 123456n];
      const outs = await runLocal(
        async (s) => {
          const x = s.input('p1', int(30), s.me === 'p1' ? a : a.length);
          const y = s.input('p2', int(30), s.me === 'p2' ? b : b.length);
          const f = s.input('p1', fixed(), s.me === 'p1' ? [1.5, -2.25] : 2);
          const all = await s.revealAll([
            x.mul(y),
            x.add(y),
            x.slice(0, 3).dot(y.slice(0, 3)),
            x.lt(y),
            x.eq(y),
            x.trunc(3),
            x.bits(),
            f.mul(f),
          ]);
          const priv = await x.mul(2).revealTo(['p2']);
          return { all, priv };
        },
        { suite: dealer, parties: n, crypto: nodeCryptoProvider },
      );
      const r = outs[0]!.result.all;
      expect(r[0]).toEqual(a.map((v, i) => v * b[i]!));
      expect(r[1]).toEqual(a.map((v, i) => v + b[i]!));
      expect(r[2]).toEqual([a.slice(0, 3).reduce((acc, v, i) => acc + v * b[i]!, 0n)]);
      expect(r[3]).toEqual(a.map((v, i) => v < b[i]!));
      expect(r[4]).toEqual(a.map((v, i) => v === b[i]!));
      (r[5] as bigint[]).forEach((t, i) => {
        const fl = a[i]! >> 3n;
        expect(t === fl || t === fl + 1n).toBe(true);
      });
      const bits = r[6] as boolean[];
      a.forEach((v, i) => {
        for (let j = 0; j < 30; j++)
          expect(bits[i * 30 + j]).toBe(((BigInt.asUintN(30, v) >> BigInt(j)) & 1n) === 1n);
      });
      (r[7] as number[]).forEach((v, i) =>
        expect(Math.abs(v - [2.25, 5.0625][i]!)).toBeLessThan(1e-4),
      );
      expect(
        JSON.stringify(outs[1]!.result.priv, (_k, v: unknown) =>
          typeof v === 'bigint' ? `${v}` : v,
        ),
      ).toContain('"10","-14"');
      expect(outs[0]!.result.priv).toMatchObject({ recipient: false });
    }, 60_000);
  }
});
