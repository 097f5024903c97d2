/**
 * rep3 truncation: every party run for real; each result must be floor(x / 2^m)
 * or floor(x / 2^m) + 1 of the exact plaintext quotient, for random values and
 * the edges of each bound (including +-2^62 at bound 63), never further off.
 */
import { describe, expect, it } from 'vitest';
import { run, testRng } from '../../../test/harness.js';
import type { Session } from '../../api/session.js';
import { fixed } from '../../api/types.js';
import type { Rep3Shares, Rep3Suite } from './rep3.js';
import { rep3Trunc, shiftRight } from './trunc.js';

const REP3 = { suite: 'rep3', parties: 3 } as const;
const rep3 = (s: Session) => s.suite as Rep3Suite;

/** n random values with |x| <= 2^(bound-1) (test data), then the edges. */
function values(n: number, bound: number, seed: number): bigint[] {
  const r = testRng(seed);
  const lo = -(1n << BigInt(bound - 1));
  // bound 64 cannot hold +2^63; below that, the suite contract allows |x| = 2^(bound-1).
  const hi = bound === 64 ? (1n << 63n) - 1n : 1n << BigInt(bound - 1);
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) {
    let v = 0n;
    for (let j = 0; j < 4; j++) v = (v << 16n) | BigInt(Math.floor(r() * 65536));
    out.push(BigInt.asIntN(bound, v));
  }
  const edges = [0n, -1n, 1n, lo, hi, lo + 1n, hi - 1n, 1n << 20n, -(1n << 20n) - 1n];
  return [...out, ...edges.filter((v) => v >= lo && v <= hi)];
}

function share(su: Rep3Suite, xs: readonly bigint[]): Promise<Rep3Shares> {
  const v = su.party.index === 0 ? BigInt64Array.from(xs) : undefined;
  return su.input(0, v, xs.length);
}

async function open(su: Rep3Suite, x: Rep3Shares): Promise<bigint[]> {
  return (await su.open(x, [0, 1, 2]))!;
}

/** The indices where t is neither floor(x / 2^m) nor that + 1 (BigInt >> is floor division). */
function offByMore(xs: readonly bigint[], t: readonly bigint[], m: number): string[] {
  const bad: string[] = [];
  xs.forEach((x, i) => {
    const f = x >> BigInt(m);
    if (t[i] !== f && t[i] !== f + 1n) bad.push(`x = ${x}, m = ${m}: got ${t[i]}, floor ${f}`);
  });
  return bad;
}

describe('rep3 trunc', () => {
  it.each([2, 8, 16, 32, 48, 62, 63, 64])(
    'rounds %i-bit values to floor or floor + 1 for shifts from 1 to past the bound',
    async (bound) => {
      const xs = values(500, bound, bound);
      const shifts = [1, 2, 7, 16, 31, 32, 33, 47, 61, 62, 63, 64, 80];
      const got = await run(REP3, async (s) => {
        const su = rep3(s);
        const x = await share(su, xs);
        const out: bigint[][] = [];
        for (const m of shifts) out.push(await open(su, await rep3Trunc(su, x, m, bound)));
        return out;
      });
      shifts.forEach((m, k) => expect(offByMore(xs, got[k]!, m)).toEqual([]));
    },
  );

  it('is exact at m = 0 and handles empty vectors and length 1', async () => {
    const got = await run(REP3, async (s) => {
      const su = rep3(s);
      return {
        same: await open(su, await rep3Trunc(su, await share(su, [-7n, 1n << 62n]), 0, 63)),
        none: await open(su, await rep3Trunc(su, await share(su, []), 8, 32)),
        one: await open(su, await rep3Trunc(su, await share(su, [-(1n << 62n)]), 60, 63)),
      };
    });
    expect(got.same).toEqual([-7n, 1n << 62n]);
    expect(got.none).toEqual([]);
    expect(got.one.length).toBe(1);
    expect([-4n, -3n]).toContain(got.one[0]);
  });

  it('rounds up with probability (x mod 2^m) / 2^m (stochastic rounding)', async () => {
    // x = 2^(m-1) + k 2^m: exactly halfway, so about half of the results round up.
    const m = 8;
    const xs = Array.from({ length: 4000 }, (_, i) => BigInt(i - 2000) * 256n + 128n);
    const got = await run(REP3, async (s) => {
      const su = rep3(s);
      return open(su, await rep3Trunc(su, await share(su, xs), m, 32));
    });
    expect(offByMore(xs, got, m)).toEqual([]);
    const up = got.filter((t, i) => t !== xs[i]! >> 8n).length;
    expect(Math.abs(up - 2000)).toBeLessThan(6 * Math.sqrt(1000));
  });

  it('takes 2 rounds for 1 and for 1,000 elements (bound <= 63)', async () => {
    const got = await run(REP3, async (s) => {
      const su = rep3(s);
      const rounds: number[] = [];
      for (const n of [1, 1000]) {
        const x = await share(su, values(n, 40, n).slice(0, n));
        const before = s.stats().rounds;
        await rep3Trunc(su, x, 16, 40);
        rounds.push(s.stats().rounds - before);
      }
      return rounds;
    });
    expect(got).toEqual([2, 2]);
  });

  it('rejects a negative or fractional shift', async () => {
    for (const m of [-1, 1.5]) {
      await expect(
        run(REP3, async (s) => rep3Trunc(rep3(s), rep3(s).constant(BigInt64Array.of(1n)), m, 32)),
      ).rejects.toThrow(/rep3.trunc: shift must be a non-negative integer/);
    }
  });

  it('serves fixed-point multiplication through the program API', async () => {
    const a = [1.5, -2.25, 100.125, -0.0078125, 0];
    const b = [2, 3.5, -0.5, 1024, 7];
    const got = await run(REP3, async (s) => {
      const t = fixed({ bits: 32, frac: 16 });
      const x = s.input('p1', t, s.me === 'p1' ? a : a.length);
      const y = s.input('p2', t, s.me === 'p2' ? b : b.length);
      return x.mul(y).reveal();
    });
    got.forEach((v, i) => expect(Math.abs(v - a[i]! * b[i]!)).toBeLessThanOrEqual(2 ** -16));
  });
});

describe('shiftRight', () => {
  it('matches BigInt >> for every shift 1..63', () => {
    const xs = values(50, 64, 3).map((v) => BigInt.asUintN(64, v));
    const v = BigUint64Array.from(xs);
    for (let m = 1; m < 64; m++) {
      expect(Array.from(shiftRight(v, m))).toEqual(xs.map((x) => x >> BigInt(m)));
    }
  });
});
