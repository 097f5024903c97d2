/**
 * Preprocessing of semi2k: counted before the run, produced ahead of the
 * inputs, consumed exactly, bound to the session, imported once; the
 * insecure dealer is refused without its flag.
 */
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { runLocal, type Program } from '../../api/run.js';
import { fixed, int } from '../../index.js';
import { SUITES } from '../index.js';
import { countingSuite, semi2kCost } from './cost.js';
import { MemorySpentRegistry, PreprocessingError } from './material.js';
import { semi2kFactory, Semi2kSuite, type Semi2kOptions } from './semi2k.js';

const DEALER: Semi2kOptions = { preprocessing: 'insecureDealer', allowInsecureDealer: true };
const crypto = nodeCryptoProvider;

/** A program touching every costed primitive. */
const program: Program<unknown> = async (s) => {
  const a = [5n, -7n, 0n, 1000n, -1000n, 2n ** 20n];
  const x = s.input('p1', int(24), s.me === 'p1' ? a : a.length);
  const y = s.input('p2', int(24), s.me === 'p2' ? [...a].reverse() : a.length);
  const f = s.input('p1', fixed(), s.me === 'p1' ? [1.5, -2.25, 0.5] : 3);
  const big = s.input('p1', int(63), s.me === 'p1' ? [-(2n ** 61n), 2n ** 61n] : 2);
  return s.revealAll([
    x.mul(y),
    x.dot(y),
    x.lt(y),
    x.eq(y),
    x.bits(),
    x.trunc(5),
    f.mul(f),
    f.div(f.add(4)),
    x.max(),
    x.sort(),
    big.lt(0),
    big.trunc(3),
  ]);
};

/** The program, then what the store says about material. */
const andReport: Program<{
  out: unknown;
  consumed: object;
  onDemand: object;
  left: object;
}> = async (s) => {
  const out = await program(s);
  const st = (s.suite as Semi2kSuite).store;
  return { out, consumed: { ...st.consumed }, onDemand: { ...st.onDemand }, left: st.remaining() };
};

describe('semi2k preprocessing', () => {
  it('a dry run counts exactly what a run consumes; with that plan a strict run generates nothing online', async () => {
    const dry = countingSuite('semi2k', semi2kCost);
    const plain = await runLocal(program, { suite: dry.factory, parties: 2, crypto });
    const need = dry.counts();
    expect(need[0]).toEqual(need[1]);
    expect(need[0]!.triple).toBeGreaterThan(0);
    expect(need[0]!.bitTriple).toBeGreaterThan(0);
    expect(need[0]!.daBit).toBeGreaterThan(0);

    const lazy = await runLocal(andReport, { suite: semi2kFactory(DEALER), parties: 2, crypto });
    expect(lazy[0]!.result.consumed).toEqual({ triple: 0, bitTriple: 0, daBit: 0, ...need[0] });

    const planned = await runLocal(andReport, {
      suite: semi2kFactory({ ...DEALER, plan: need[0], strict: true }),
      parties: 2,
      crypto,
    });
    const r = planned[0]!.result;
    expect(r.onDemand).toEqual({ triple: 0, bitTriple: 0, daBit: 0 });
    expect(r.left).toEqual({ triple: 0, bitTriple: 0, daBit: 0 });
    // Exact operations agree with the plaintext run (truncations round either way).
    const exact = (o: unknown) =>
      JSON.stringify(
        [0, 1, 2, 3, 4, 8, 9, 10].map((k) => (o as unknown[])[k]),
        (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v),
      );
    expect(exact(r.out)).toBe(exact(plain[0]!.result));
  }, 60_000);

  it('OT preprocessing ahead of the inputs: the online phase runs on it alone (n = 3)', async () => {
    const prog: Program<unknown> = async (s) => {
      const x = s.input('p3', int(16), s.me === 'p3' ? [3, -4, 5] : 3);
      const st = s.suite instanceof Semi2kSuite ? s.suite.store : undefined;
      const before = st?.remaining();
      const out = await s.revealAll([x.mul(x), x.lt(0)]);
      return { before, out, onDemand: { ...st?.onDemand } };
    };
    const dry = countingSuite('semi2k', semi2kCost);
    await runLocal(prog, { suite: dry.factory, parties: 3, crypto });
    const need = dry.counts()[0]!;
    const outs = await runLocal(prog, {
      suite: semi2kFactory({ plan: need, strict: true }),
      parties: 3,
      crypto,
    });
    const r = outs[2]!.result as { before: object; out: unknown; onDemand: object };
    expect(r.before).toEqual({ triple: 0, bitTriple: 0, daBit: 0, ...need });
    expect(r.onDemand).toEqual({ triple: 0, bitTriple: 0, daBit: 0 });
    expect(r.out).toEqual([
      [9n, 16n, 25n],
      [false, true, false],
    ]);
  }, 60_000);

  it('strict mode: running out is a typed error, not a silent fallback', async () => {
    const run = runLocal(program, {
      suite: semi2kFactory({ ...DEALER, plan: { triple: 3 }, strict: true }),
      parties: 2,
      crypto,
    });
    await expect(run).rejects.toThrow(PreprocessingError);
    await expect(run).rejects.toThrow(/exhausted/);
  });

  it('exported material is bound to its session id and party, and imports once', async () => {
    const need = { triple: 50, bitTriple: 40, daBit: 300 };
    const made = await runLocal(async (s) => (s.suite as Semi2kSuite).exportMaterial(), {
      suite: semi2kFactory({ sessionId: 'study-42', plan: need }),
      parties: 2,
      crypto,
    });
    const bundles = made.map((o) => o.result);
    const registry = new MemorySpentRegistry();
    const use = (sessionId: string, pick: (i: number) => number) =>
      runLocal(
        async (s) => {
          const x = s.input('p1', int(16), s.me === 'p1' ? [7, -3] : 2);
          const st = (s.suite as Semi2kSuite).store;
          const out = await s.revealAll([x.mul(x), x.lt(0)]);
          return { out, onDemand: { ...st.onDemand } };
        },
        {
          suite: semi2kFactory({
            sessionId,
            strict: true,
            registry,
            bundle: (p) => bundles[pick(p.index)]!,
          }),
          parties: 2,
          crypto,
        },
      );
    await expect(use('study-43', (i) => i)).rejects.toThrow(/another session/);
    await expect(use('study-42', (i) => 1 - i)).rejects.toThrow(/belongs to party/);
    const ok = await use('study-42', (i) => i);
    expect(ok[0]!.result.out).toEqual([
      [49n, 9n],
      [false, true],
    ]);
    expect(ok[0]!.result.onDemand).toEqual({ triple: 0, bitTriple: 0, daBit: 0 });
    // The same bytes a second time: refused.
    const again = use('study-42', (i) => i);
    await expect(again).rejects.toThrow(PreprocessingError);
    await expect(again).rejects.toThrow(/already used/);
    // Exporting drained the store: the material is no longer in the first run either.
    expect(bundles[0]!.length).toBeGreaterThan(50 * 24);
  }, 60_000);

  it('refuses the insecure dealer without the explicit flag; the registered suite never uses it', async () => {
    expect(() => semi2kFactory({ preprocessing: 'insecureDealer' })).toThrow(
      /insecureDealer .* tests and benchmarks only/,
    );
    expect(() => semi2kFactory({ preprocessing: 'insecureDealer' })).toThrow(PreprocessingError);
    const outs = await runLocal(async (s) => (s.suite as Semi2kSuite).opts, {
      suite: SUITES.semi2k!,
      parties: 2,
      crypto,
    });
    expect(outs[0]!.result.preprocessing).toBeUndefined();
  });
});
