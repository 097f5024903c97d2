/**
 * Algebraic laws of the sharing schemes (fast-check), and statistical
 * uniformity of every single share position, the last one included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import * as F from '../arith/field127.js';
import * as ring from '../arith/ring64.js';
import { Prg } from '../random/prg.js';
import { chiSquare, CHI2_CRITICAL_0_001 } from '../../test/stats.js';
import * as additive from './additive.js';
import * as replicated from './replicated.js';
import * as shamir from './shamir.js';

const seeded = (b: number) =>
  new Prg(
    Uint8Array.from({ length: 16 }, (_, i) => i * 7 + b),
    nodeCryptoProvider,
  );
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const vec = fc.array(u64, { minLength: 0, maxLength: 20 }).map((xs) => BigUint64Array.from(xs));

describe('additive sharing', () => {
  const prg = seeded(1);
  it('reconstructs what it shares, for n = 1..6', () => {
    fc.assert(
      fc.property(vec, fc.integer({ min: 1, max: 6 }), (x, n) => {
        expect(additive.reconstruct(additive.share(x, n, (l) => prg.words(l)))).toEqual(x);
      }),
    );
  });
  it('is linear: shares of x plus shares of y are shares of x + y', () => {
    fc.assert(
      fc.property(u64, u64, fc.integer({ min: 2, max: 5 }), (a, b, n) => {
        const x = BigUint64Array.of(a);
        const y = BigUint64Array.of(b);
        const sx = additive.share(x, n, (l) => prg.words(l));
        const sy = additive.share(y, n, (l) => prg.words(l));
        const sum = additive.reconstruct(sx.map((s, i) => ring.add(s, sy[i]!)));
        expect(sum).toEqual(ring.add(x, y));
      }),
    );
  });
});

describe('replicated 2-out-of-3 sharing', () => {
  const prg = seeded(2);
  it('reconstructs from any two parties', () => {
    fc.assert(
      fc.property(vec, fc.integer({ min: 0, max: 2 }), (x, drop) => {
        const sh: Array<replicated.RepShare | undefined> = replicated.share(x, (l) => prg.words(l));
        sh[drop] = undefined;
        expect(replicated.reconstruct(sh)).toEqual(x);
      }),
    );
  });
  it('is linear, and adds public constants once', () => {
    fc.assert(
      fc.property(u64, u64, u64, (a, b, c) => {
        const sx = replicated.share(BigUint64Array.of(a), (l) => prg.words(l));
        const sy = replicated.share(BigUint64Array.of(b), (l) => prg.words(l));
        const sum = sx.map((s, i) =>
          replicated.addPublic(replicated.add(s, sy[i]!), BigUint64Array.of(c), i),
        );
        expect(replicated.reconstruct(sum)[0]).toBe(BigInt.asUintN(64, a + b + c));
        const scaled = sx.map((s) => replicated.mulScalar(s, c));
        expect(replicated.reconstruct(scaled)[0]).toBe(BigInt.asUintN(64, a * c));
      }),
    );
  });
  it('refuses a single share and inconsistent copies', () => {
    const sh = replicated.share(BigUint64Array.of(5n), (l) => prg.words(l));
    expect(() => replicated.reconstruct([sh[0], undefined, undefined])).toThrow(/at least two/);
    const bad = { a: sh[1]!.a, b: BigUint64Array.of(sh[1]!.b[0]! + 1n) };
    expect(() => replicated.reconstruct([sh[0], bad, sh[2]])).toThrow(/inconsistent/);
  });
});

describe('Shamir sharing', () => {
  const prg = seeded(3);
  const rand = (n: number) => F.fromRandomWords(prg.words(2 * n));
  const fe = fc.bigInt({ min: 0n, max: F.P - 1n });
  it.each([
    [3, 1],
    [5, 2],
    [7, 3],
  ])('reconstructs from any t+1 of n = %i (t = %i)', (n, t) => {
    fc.assert(
      fc.property(
        fc.array(fe, { maxLength: 8 }),
        fc.shuffledSubarray([...Array(n).keys()], { minLength: t + 1, maxLength: t + 1 }),
        (xs, who) => {
          const x = F.fromBigInts(xs);
          const sh = shamir.share(x, t, n, rand);
          expect(
            F.toBigInts(
              shamir.reconstruct(
                who.map((i) => sh[i]!),
                who,
              ),
            ),
          ).toEqual(xs);
        },
      ),
      { numRuns: 30 },
    );
  });
  it('is linear', () => {
    fc.assert(
      fc.property(fe, fe, (a, b) => {
        const sa = shamir.share(F.fromBigInts([a]), 2, 5, rand);
        const sb = shamir.share(F.fromBigInts([b]), 2, 5, rand);
        const sum = sa.map((s, i) => F.add(s, sb[i]!));
        expect(F.toBigInts(shamir.reconstruct(sum.slice(0, 3), [0, 1, 2]))).toEqual([
          F.reduce(a + b),
        ]);
      }),
      { numRuns: 30 },
    );
  });
});

/**
 * Shares a fixed secret many times and buckets the top bits of the share at
 * each position: every position, the last included, must look uniform.
 */
describe('each single share position is uniform (chi-square, fixed seed)', () => {
  const trials = 16_000;
  const buckets = 16;
  const check = (name: string, positions: number, draw: () => bigint[], topShift: bigint) => {
    it(name, () => {
      const counts = Array.from({ length: positions }, () => new Array<number>(buckets).fill(0));
      for (let k = 0; k < trials; k++) {
        draw().forEach((s, i) => counts[i]![Number(s >> topShift)]!++);
      }
      for (let i = 0; i < positions; i++) {
        expect(chiSquare(counts[i]!), `share position ${i}`).toBeLessThan(
          CHI2_CRITICAL_0_001[buckets - 1]!,
        );
      }
    });
  };
  const prg = seeded(4);
  const secret = BigUint64Array.of(123456789n);
  check(
    'additive, n = 4',
    4,
    () => additive.share(secret, 4, (l) => prg.words(l)).map((s) => s[0]!),
    60n,
  );
  check(
    'replicated, n = 3',
    3,
    () => replicated.share(secret, (l) => prg.words(l)).map((s) => s.a[0]!),
    60n,
  );
  const fsecret = F.fromBigInts([42n]);
  const rand = (n: number) => F.fromRandomWords(prg.words(2 * n));
  // Field shares: bucket by the top 4 of the 127 bits.
  check(
    'shamir, n = 5, t = 2',
    5,
    () => shamir.share(fsecret, 2, 5, rand).map((s) => F.get(s, 0)),
    123n,
  );
});
