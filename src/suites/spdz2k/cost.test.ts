import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { runLocal, type Program } from '../../api/run.js';
import { fixed, int } from '../../index.js';
import { countingSuite } from '../semi2k/cost.js';
import { PreprocessingError } from '../semi2k/material.js';
import { spdz2kCost } from './cost.js';
import { spdz2kFactory, Spdz2kSuite, type Spdz2kOptions } from './spdz2k.js';

const DEALER: Spdz2kOptions = { preprocessing: 'insecureDealer', allowInsecure: true };

const program: Program<unknown> = async (s) => {
  const a = [5n, -7n, 0n, 1000n, -1000n];
  const x = s.input('p1', int(24), s.me === 'p1' ? a : a.length);
  const y = s.input('p2', int(24), s.me === 'p2' ? [...a].reverse() : a.length);
  const f = s.input('p1', fixed(), s.me === 'p1' ? [1.5, -2.25] : 2);
  const out = await s.revealAll([
    x.mul(y),
    x.lt(y),
    x.eq(y),
    x.bits(),
    x.trunc(3),
    f.mul(f),
    x.max(),
  ]);
  const priv = await x.revealTo(['p2']);
  return { out, priv };
};

describe('spdz2k material counting', () => {
  it('a dry run counts what a run consumes; a strict run on exactly that generates nothing online', async () => {
    const dry = countingSuite('spdz2k', spdz2kCost);
    await runLocal(program, { suite: dry.factory, parties: 2, crypto: nodeCryptoProvider });
    const need = dry.counts()[0]!;
    expect(need.triple).toBeGreaterThan(0);
    expect(need.bit).toBeGreaterThan(0);
    expect(need.input1).toBe(5 + 5); // p2's input and the private output to p2
    const report: Program<object> = async (s) => {
      await program(s);
      const st = (s.suite as Spdz2kSuite).store;
      return { consumed: { ...st.consumed }, onDemand: { ...st.onDemand } };
    };
    const zeros = { triple: 0, rand: 0, bit: 0, input0: 0, input1: 0 };
    const lazy = await runLocal(report, {
      suite: spdz2kFactory(DEALER),
      parties: 2,
      crypto: nodeCryptoProvider,
    });
    expect(lazy[0]!.result).toMatchObject({ consumed: { ...zeros, ...need } });
    const strict = await runLocal(report, {
      suite: spdz2kFactory({ ...DEALER, plan: need, strict: true }),
      parties: 2,
      crypto: nodeCryptoProvider,
    });
    expect(strict[1]!.result).toMatchObject({ onDemand: zeros });
    const short = runLocal(program, {
      suite: spdz2kFactory({ ...DEALER, plan: { ...need, bit: need.bit! - 1 }, strict: true }),
      parties: 2,
      crypto: nodeCryptoProvider,
    });
    await expect(short).rejects.toThrow(PreprocessingError);
  });

  it('refuses insecure options without allowInsecure', () => {
    expect(() => spdz2kFactory({ preprocessing: 'insecureDealer' })).toThrow(/insecure/);
    expect(() => spdz2kFactory({ testOnlySkipMacCheck: true })).toThrow(/tests only/);
  });
});
