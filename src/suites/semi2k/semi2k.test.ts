import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { runLocal } from '../../api/run.js';
import { int } from '../../index.js';
import { semi2kFactory } from './semi2k.js';

const dealer = semi2kFactory({ preprocessing: 'insecureDealer', allowInsecureDealer: true });

describe('semi2k', () => {
  for (const n of [2, 3]) {
    for (const [name, f] of [
      ['ot', semi2kFactory()],
      ['dealer', dealer],
    ] as const) {
      it(`n=${n} ${name}: multiplies, compares and truncates`, async () => {
        const a = [5n, -7n, 0n, 2n ** 30n, -(2n ** 31n), 123456n];
        const b = [3n, 9n, -1n, -(2n ** 30n), 2n ** 31n - 1n, 123456n];
        const outs = await runLocal(
          async (s) => {
            const x = s.input('p1', int(32), s.me === 'p1' ? a : a.length);
            const y = s.input('p2', int(32), s.me === 'p2' ? b : b.length);
            return s.revealAll([x.mul(y), x.lt(y), x.eq(y), x.trunc(3), x.bits()]);
          },
          { suite: f, parties: n, crypto: nodeCryptoProvider },
        );
        const r = outs[0]!.result;
        expect(r[0]).toEqual(a.map((v, i) => v * b[i]!));
        expect(r[1]).toEqual(a.map((v, i) => v < b[i]!));
        expect(r[2]).toEqual(a.map((v, i) => v === b[i]!));
        (r[3] as bigint[]).forEach((t, i) => {
          const fl = a[i]! >> 3n;
          expect(t === fl || t === fl + 1n).toBe(true);
        });
        const bits = r[4] as boolean[];
        a.forEach((v, i) => {
          for (let j = 0; j < 32; j++)
            expect(bits[i * 32 + j]).toBe(((BigInt.asUintN(32, v) >> BigInt(j)) & 1n) === 1n);
        });
      }, 60_000);
    }
  }
});
