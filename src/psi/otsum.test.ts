import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { runLocal } from '../api/run.js';
import { int } from '../api/types.js';
import { ProtocolAbort } from '../runtime/errors.js';
import { digestSet } from './items.js';
import { otPsi, senderOprf } from './kkrt.js';
import { okvsDecode, okvsEncode, okvsSize } from './okvs.js';
import { otPsiCount, otPsiSum } from './otsum.js';
import { talk } from './wire.js';
import { PsiPolicyError, releasePsiSum } from './sum.js';

/** Distinct keys 'k<i>' drawn from a range (seeded LCG: test data only), values in +-1000. */
function rows(n: number, range: number, seed: number): { keys: string[]; values: number[] } {
  let x = seed;
  const next = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
  const keys = new Set<string>();
  while (keys.size < n) keys.add(`k${next() % range}`);
  return { keys: [...keys], values: [...keys].map(() => (next() % 2001) - 1000) };
}

function plain(a: string[], b: { keys: string[]; values: number[] }) {
  const inA = new Set(a);
  let sum = 0n;
  let count = 0n;
  b.keys.forEach((k, i) => {
    if (inA.has(k)) {
      sum += BigInt(b.values[i]!);
      count++;
    }
  });
  return { sum, count };
}

async function secure(a: string[], b: { keys: string[]; values: number[] }, bits = 16) {
  const out = await runLocal(
    async (s) => {
      const mine = digestSet(s.me === 'p1' ? a : b.keys);
      const r = await otPsiSum(s, mine.digests, s.me === 'p2' ? b.values : undefined, {
        valuesFrom: 'p2',
        other: 'p1',
        type: int(bits),
      });
      return releasePsiSum(s, r, { revealCount: true });
    },
    { suite: 'semi2k', parties: 2, crypto: nodeCryptoProvider },
  );
  return out.map((o) => o.result);
}

describe('OKVS (garbled cuckoo table)', () => {
  it('decodes every encoded key to its value, for 1 to 5000 keys', () => {
    const c = nodeCryptoProvider;
    for (const n of [1, 2, 7, 5000]) {
      const keys = new Uint32Array(4 * n);
      const values = new Uint32Array(4 * n);
      c.randomFill(new Uint8Array(keys.buffer));
      c.randomFill(new Uint8Array(values.buffer));
      const seed = new Uint8Array(16).fill(n & 255);
      const table = okvsEncode(c, seed, keys, values, n, (o) => c.randomFill(o));
      expect(table).toBeDefined();
      expect(table!.length).toBe(4 * okvsSize(n));
      const out = new Uint32Array(4 * n);
      okvsDecode(c, seed, table!, keys, n, out);
      expect(out).toEqual(values);
      // A key not encoded decodes to something else (probability 2^-128 of equality).
      const other = keys.slice(0, 4);
      other[0] = other[0]! ^ 1;
      const o1 = new Uint32Array(4);
      okvsDecode(c, seed, table!, other, 1, o1);
      expect(o1).not.toEqual(values.subarray(0, 4));
    }
  });
});

describe('OT-based PSI-cardinality and PSI-sum (OPPRF + equality on shares)', () => {
  it('count and sum equal the plaintext ones on random sets', async () => {
    for (const [nA, nB, range] of [
      [300, 200, 400],
      [30, 30, 1_000_000], // almost surely disjoint
    ] as const) {
      const a = rows(nA, range, 1 + nA).keys;
      const b = rows(nB, range, 2 + nB);
      const want = plain(a, b);
      for (const r of await secure(a, b)) expect(r).toEqual(want);
    }
  }, 120_000);

  it('empty sets, duplicates and extreme values', async () => {
    const b = { keys: ['x', 'y'], values: [5, 7] };
    for (const r of await secure([], b)) expect(r).toEqual({ sum: 0n, count: 0n });
    for (const r of await secure(['x'], { keys: [], values: [] }))
      expect(r).toEqual({ sum: 0n, count: 0n });
    for (const r of await secure(['x'], { keys: ['x'], values: [-1] }))
      expect(r).toEqual({ sum: -1n, count: 1n });
    // int(48) extremes; 'a' twice in the receiver's list counts once; 'd' is not shared.
    const max = 2 ** 47 - 1;
    const ext = { keys: ['a', 'b', 'c', 'd', 'e', 'f'], values: [-(2 ** 47), max, -1, 5, 0, max] };
    for (const r of await secure(['a', 'b', 'c', 'a', 'z', 'e', 'f'], ext, 48))
      expect(r).toEqual({ sum: -(2n ** 47n) + 2n * BigInt(max) - 1n, count: 5n });
  }, 60_000);

  it('cardinality only, revealed, and the release policy checked inside MPC', async () => {
    const a = rows(50, 100, 5).keys;
    const b = rows(50, 100, 6);
    const want = plain(a, b);
    const out = await runLocal(
      async (s) => {
        const c = await otPsiCount(s, digestSet(s.me === 'p1' ? a : b.keys).digests, {
          valuesFrom: 'p2',
          other: 'p1',
        });
        return (await c.reveal())[0];
      },
      { suite: 'semi2k', parties: 2, crypto: nodeCryptoProvider },
    );
    for (const o of out) expect(o.result).toBe(want.count);
    const refused = runLocal(
      async (s) => {
        const mine = digestSet(s.me === 'p1' ? a : b.keys);
        const r = await otPsiSum(s, mine.digests, s.me === 'p2' ? b.values : undefined, {
          valuesFrom: 'p2',
          other: 'p1',
          type: int(16),
        });
        return releasePsiSum(s, r, { minIntersection: Number(want.count) + 1 });
      },
      { suite: 'semi2k', parties: 2, crypto: nodeCryptoProvider },
    );
    await expect(refused).rejects.toThrow(PsiPolicyError);
  }, 60_000);

  it('aborts naming the peer when the peer runs another mode, and refuses non-2PC sessions', async () => {
    const mixed = runLocal(
      async (s) => {
        const d = digestSet(['a', 'b']).digests;
        if (s.me === 'p1') return otPsiCount(s, d, { valuesFrom: 'p2', other: 'p1' });
        return otPsi(s.party, d, { receiver: 0, sender: 1 });
      },
      { suite: 'semi2k', parties: 2, crypto: nodeCryptoProvider },
    );
    await expect(mixed).rejects.toThrow(ProtocolAbort);
    await expect(mixed).rejects.toThrow(/malformed \(peer p\d\): psi.kkrt.hello: the peer asked/);
    // int(60) values over sets of 16: the sum could need 65 bits.
    const keys = Array.from({ length: 16 }, (_, k) => `k${k}`);
    await expect(secure(keys, { keys, values: keys.map(() => 1) }, 60)).rejects.toThrow(
      /a sum of up to 16 values of int\(60\) could overflow 64 bits/,
    );
    // A sender whose OKVS message is one entry too long.
    const forged = runLocal(
      async (s) => {
        const d = digestSet(['a', 'b', 'c']).digests;
        if (s.me === 'p1') return otPsiCount(s, d, { valuesFrom: 'p2', other: 'p1' });
        await senderOprf(s.party, 0, d, 3, 'shares');
        await talk(s.party, 0, 'psi.otsum.seed', new Uint8Array(16), false);
        await talk(s.party, 0, 'psi.otsum.okvs', new Uint8Array(16 * (okvsSize(9) + 1)), false);
        return undefined;
      },
      { suite: 'semi2k', parties: 2, crypto: nodeCryptoProvider },
    );
    await expect(forged).rejects.toThrow(
      /oversized \(peer p2\): psi.otsum.okvs: expected \d+ bytes, got \d+/,
    );
    await expect(
      runLocal((s) => otPsiCount(s, digestSet(['a']).digests, { valuesFrom: 'p2', other: 'p1' }), {
        suite: 'rep3',
        parties: 3,
        crypto: nodeCryptoProvider,
      }),
    ).rejects.toThrow(/two-party session over Z_2\^64/);
  });
});
