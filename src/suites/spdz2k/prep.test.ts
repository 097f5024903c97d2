import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { runLocal } from '../../api/run.js';
import { int } from '../../index.js';
import { localParties } from '../../primitives/testing.js';
import { spdz2kFactory, Spdz2kSuite } from './spdz2k.js';
import * as z from './z2k.js';

describe('spdz2k OT preprocessing', () => {
  for (const n of [2, 3]) {
    it(`n=${n}: triples, random values and input masks are consistent and authenticated`, async () => {
      const parties = localParties(n, nodeCryptoProvider, 60_000);
      // Small chunks: several in flight, checks interleaved with later chunks' openings.
      const suites = parties.map((p) => new Spdz2kSuite(p, { tripleChunk: 16 }));
      const out = await Promise.all(
        suites.map(async (s) => {
          await s.setup();
          const t = await s.take('triple', 40);
          const r = await s.take('rand', 10);
          const inp = await s.take('input1', 5);
          return { t: t.cols, r: r.cols, inp: inp.cols, alpha: s.alpha };
        }),
      );
      const M = 1n << 128n;
      const alpha = out.reduce((a, o) => a + o.alpha, 0n) % M;
      const open = (f: (o: (typeof out)[number]) => BigUint64Array, i: number) =>
        out.reduce((acc, o) => acc + z.toBig(2, f(o), i), 0n) % M;
      for (let i = 0; i < 40; i++) {
        const a = open((o) => o.t.a as BigUint64Array, i);
        const b = open((o) => o.t.b as BigUint64Array, i);
        const c = open((o) => o.t.c as BigUint64Array, i);
        expect(c % (1n << 64n)).toBe((a * b) % (1n << 64n));
        for (const [v, m] of [
          ['a', 'ma'],
          ['b', 'mb'],
          ['c', 'mc'],
        ] as const)
          expect(open((o) => o.t[m] as BigUint64Array, i)).toBe(
            (alpha * open((o) => o.t[v] as BigUint64Array, i)) % M,
          );
      }
      for (let i = 0; i < 10; i++)
        expect(open((o) => o.r.m as BigUint64Array, i)).toBe(
          (alpha * open((o) => o.r.x as BigUint64Array, i)) % M,
        );
      for (let i = 0; i < 5; i++) {
        const v = open((o) => o.inp.x as BigUint64Array, i);
        expect(z.toBig(2, out[1]!.inp.r as BigUint64Array, i)).toBe(v);
        expect(open((o) => o.inp.m as BigUint64Array, i)).toBe((alpha * v) % M);
      }
    }, 90_000);
  }

  it('n=2: a program runs end to end on OT preprocessing (with random bits from squares)', async () => {
    const outs = await runLocal(
      async (s) => {
        const x = s.input('p1', int(16), s.me === 'p1' ? [3, -4, 500] : 3);
        const y = s.input('p2', int(16), s.me === 'p2' ? [7, 7, -2] : 3);
        return s.revealAll([x.mul(y), x.lt(y)]);
      },
      { suite: spdz2kFactory(), parties: 2, crypto: nodeCryptoProvider, roundTimeoutMs: 60_000 },
    );
    expect(outs[0]!.result).toEqual([
      [21n, -28n, -1000n],
      [true, true, false],
    ]);
  }, 120_000);
});
