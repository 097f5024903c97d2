/**
 * Without WebAssembly, field127 falls back to BigInt: the same results as the
 * kernels, for every vector operation, and the shamir suite still runs.
 * Fresh module instances are loaded with WebAssembly hidden.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { Prg } from '../random/prg.js';
import * as fast from './field127.js';

async function withoutWasm<T>(path: string): Promise<T> {
  vi.stubGlobal('WebAssembly', undefined);
  vi.resetModules();
  return (await import(path)) as T;
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

describe('field127 without WebAssembly', () => {
  it('computes every vector operation with BigInt, as the kernels do', async () => {
    const slow = await withoutWasm<typeof fast>('./field127.js');
    expect(slow.accelerated()).toBe(false);
    expect(await slow.ready()).toBe(false);
    const prg = new Prg(new Uint8Array(16).fill(9), nodeCryptoProvider);
    const n = 60;
    const a = fast.fromRandomWords(prg.words(2 * n));
    const b = fast.fromRandomWords(prg.words(2 * n));
    const c = fast.fromRandomWords(prg.words(2 * n));
    const bits = Uint8Array.from({ length: n }, (_, i) => ((i * 7) % 3) & 1);
    const bits2 = Uint8Array.from({ length: n }, (_, i) => ((i * 5) % 7) & 1);
    const pairs: Array<[string, (F: typeof fast) => unknown]> = [
      ['add', (F) => F.add(a, b)],
      ['sub', (F) => F.sub(a, b)],
      ['neg', (F) => F.neg(a)],
      ['mul', (F) => F.mul(a, b)],
      ['mulScalar', (F) => F.mulScalar(a, -12345n)],
      ['addScalar', (F) => F.addScalar(a, 1n << 100n)],
      ['linearCombination', (F) => F.linearCombination([a, b, c], [3n, -3n, 1n << 90n])],
      ['dotGroups', (F) => F.dotGroups(a, b, 6)],
      ['sumGroups', (F) => F.sumGroups(a, 5)],
      ['sumVectors', (F) => F.sumVectors([a, b, c])],
      ['fromSigned', (F) => F.fromSigned(BigInt64Array.of(-1n, 0n, 5n, -(1n << 63n)))],
      ['bitCompare', (F) => F.bitCompare(a, bits)],
      ['pairCompare', (F) => F.pairCompare(a, b, c, bits, bits2)],
      ['xorPublicBit', (F) => F.xorPublicBit(a, bits, 77n)],
      [
        'polyShares',
        (F) => {
          const p = new Prg(new Uint8Array(16), nodeCryptoProvider);
          return F.polyShares(a, b, -3n, [[1n], [2n], [3n]], (o) => p.fill(o));
        },
      ],
    ];
    for (const [name, f] of pairs) expect(f(slow), name).toEqual(f(fast));
  });

  it('runs the shamir suite end to end', async () => {
    const { runLocal } = await withoutWasm<typeof import('../api/run.js')>('../api/run.js');
    const F = (await import('./field127.js')) as typeof fast;
    const xs = [0n, -1n, 1n, -(2n ** 15n), 2n ** 15n - 1n, 1234n, -999n];
    const outs = await runLocal(
      async (sess) => {
        const s = sess.suite;
        const x = await s.input(0, sess.party.index === 0 ? BigInt64Array.from(xs) : undefined, 7);
        const [p, l, e, t] = await Promise.all([
          s.mul(x, x),
          s.ltz(x, 16),
          s.eqz(x, 16),
          s.trunc(x, 4, 16),
        ]);
        const all = [0, 1, 2];
        return {
          accelerated: F.accelerated(),
          values: await Promise.all([p, l, e, t].map((v) => s.open(v, all))),
        };
      },
      { suite: 'shamir', parties: 3, crypto: nodeCryptoProvider, roundTimeoutMs: 20_000 },
    );
    const r = outs[0]!.result;
    expect(r.accelerated).toBe(false);
    expect(r.values[0]).toEqual(xs.map((x) => x * x));
    expect(r.values[1]).toEqual(xs.map((x) => (x < 0n ? 1n : 0n)));
    expect(r.values[2]).toEqual(xs.map((x) => (x === 0n ? 1n : 0n)));
    r.values[3]!.forEach((v, i) => expect([0n, 1n]).toContain(v - (xs[i]! >> 4n)));
  });
});
