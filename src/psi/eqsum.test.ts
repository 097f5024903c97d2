import { randomFillSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { localParties, runParties } from '../primitives/testing.js';
import { ProtocolAbort } from '../runtime/errors.js';
import type { Party } from '../runtime/party.js';
import { equalityShares } from './eqsum.js';

const BITS = 62;
const MASK = (1n << 62n) - 1n;

function random64(n: number): BigInt64Array {
  const x = new BigInt64Array(n);
  randomFillSync(new Uint8Array(x.buffer));
  return x;
}

/** Runs both roles (p1 the receiver) and returns the reconstructed (count, sum). */
async function run(
  w: BigInt64Array,
  p: BigInt64Array,
  t: BigInt64Array,
  r: BigInt64Array,
  withSum: boolean,
  tamper?: (q: Party) => void,
): Promise<{ count: bigint; sum: bigint }> {
  const ps = localParties(2, nodeCryptoProvider, 60_000);
  for (const q of ps) tamper?.(q);
  const [a, b] = await runParties(ps, (q) =>
    equalityShares(
      q,
      0,
      1,
      w.length,
      BITS,
      q.index === 0 ? { tags: w, parts: p } : { tags: t, parts: r },
      withSum,
    ),
  );
  return {
    count: BigInt.asIntN(64, a!.count + b!.count),
    sum: BigInt.asIntN(64, a!.sum + b!.sum),
  };
}

function plain(w: BigInt64Array, p: BigInt64Array, t: BigInt64Array, r: BigInt64Array) {
  let count = 0n;
  let sum = 0n;
  for (let b = 0; b < w.length; b++)
    if ((BigInt.asUintN(64, w[b]!) & MASK) === (BigInt.asUintN(64, t[b]!) & MASK)) {
      count++;
      sum += p[b]! + r[b]!;
    }
  return { count, sum: BigInt.asIntN(64, sum) };
}

describe('equality shares of circuit-PSI (count and sum of matching bins)', () => {
  it('random tags, a third equal, parts of all sizes; more than one batch (9,000 bins)', async () => {
    const n = 9000;
    const w = random64(n);
    const t = random64(n);
    for (let b = 0; b < n; b += 3) t[b] = w[b]!;
    // Bits above the 62 compared ones do not count.
    t[1] = BigInt.asIntN(64, (BigInt.asUintN(64, w[1]!) & MASK) | (3n << 62n));
    const p = random64(n);
    const r = random64(n);
    const want = plain(w, p, t, r);
    expect(want.count).toBe(3001n);
    expect(await run(w, p, t, r, true)).toEqual(want);
  }, 60_000);

  it('edges in one run of five bins: equal or not, differing only in bit 0 or bit 61, all-ones, extreme parts', async () => {
    const max = (1n << 63n) - 1n;
    const min = -(1n << 63n);
    const pairs = [
      [0n, 0n],
      [0n, 1n],
      [MASK, MASK],
      [MASK, MASK ^ (1n << 61n)],
      [-1n, -1n],
    ] as const;
    const w = BigInt64Array.from(pairs, ([x]) => BigInt.asIntN(64, x));
    const t = BigInt64Array.from(pairs, ([, y]) => BigInt.asIntN(64, y));
    // Distinct parts per bin, so that a wrong flag anywhere changes the sum.
    const p = BigInt64Array.of(max, 5n, -7n, 11n, min);
    const r = BigInt64Array.of(min, 1000n, max, -3n, 123456789n);
    const want = plain(w, p, t, r);
    expect(want.count).toBe(3n);
    expect(await run(w, p, t, r, true)).toEqual(want);
  }, 60_000);

  it('all bins equal (with the sum), and none equal (the count alone)', async () => {
    const n = 300;
    const w = random64(n);
    const p = random64(n);
    const r = random64(n);
    expect(await run(w, p, w, r, true)).toEqual(plain(w, p, w, r));
    const t = w.map((x) => x ^ 1n);
    expect((await run(w, p, t, r, false)).count).toBe(0n);
  }, 60_000);

  it('a short OT message aborts naming the peer', async () => {
    const w = random64(10);
    const cut = (q: Party) => {
      if (q.index !== 1) return;
      const ex = q.exchange.bind(q);
      q.exchange = (req) =>
        req.op === 'psi.eq.flag' && req.send[0]
          ? ex({ ...req, send: [req.send[0].subarray(0, 100), undefined] })
          : ex(req);
    };
    const bad = run(w, w, w, w, true, cut);
    await expect(bad).rejects.toThrow(ProtocolAbort);
    await expect(bad).rejects.toThrow(
      /malformed \(peer p2\): psi.eq.flag: expected 1280 bytes, got 100/,
    );
  }, 60_000);
});
