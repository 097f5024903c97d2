/**
 * Preprocessing plans: the dry run's counts are exactly what the program
 * consumes (a strict run on the plan succeeds and agrees with plaintext; one
 * item less and it stops with PreprocessingError), for semi2k and spdz2k.
 */
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { PreprocessingError } from '../suites/semi2k/material.js';
import { planFromJson, planProgram, plannedSuite, planToJson } from './plan.js';
import { runLocal, type Program } from './run.js';
import type { Session } from './session.js';
import { int } from './types.js';

const XS = [5, -3, 0, 2 ** 20, -(2 ** 20)];
const YS = [7, -3, 1, 2 ** 20 - 1, 9];

/** Products and comparisons of p1's and p2's values; the last party may only help. */
const program: Program<{ prod: bigint[]; lt: boolean[] }> = async (s: Session) => {
  const x = s.input('p1', int(32), s.me === 'p1' ? XS : XS.length);
  const y = s.input('p2', int(32), s.me === 'p2' ? YS : YS.length);
  const [prod, lt] = await Promise.all([x.mul(y).reveal(), x.lt(y).reveal()]);
  return { prod, lt };
};

const want = {
  prod: XS.map((x, i) => BigInt(x) * BigInt(YS[i]!)),
  lt: XS.map((x, i) => x < YS[i]!),
};

describe('preprocessing plans', () => {
  for (const [suite, parties] of [
    ['semi2k', 2],
    ['semi2k', 3],
    ['spdz2k', 2],
  ] as const) {
    it(`${suite} with ${parties} parties: the dry run's counts run the program exactly`, async () => {
      const plan = await planProgram(program, suite, parties, nodeCryptoProvider);
      expect(Object.keys(plan.counts).length).toBeGreaterThan(0);
      const outs = await runLocal(program, {
        suite: plannedSuite(suite, plan.counts),
        parties,
        crypto: nodeCryptoProvider,
      });
      for (const o of outs) expect(o.result).toEqual(want);

      // One random bit less, and strict mode stops the program. (Not a
      // triple for spdz2k: its setup makes the bits from squares, drawing
      // triples in minimum batches, so the plan can leave triples over.)
      const kind = suite === 'semi2k' ? 'daBit' : 'bit';
      const n = plan.counts[kind]!;
      expect(n).toBeGreaterThan(0);
      const short = { ...plan.counts, [kind]: n - 1 };
      await expect(
        runLocal(program, {
          suite: plannedSuite(suite, short),
          parties,
          crypto: nodeCryptoProvider,
        }),
      ).rejects.toThrow(PreprocessingError);
    });
  }

  it('a plan survives its JSON form; bad plan files are refused naming the file and field', async () => {
    const plan = await planProgram(program, 'spdz2k', 2, nodeCryptoProvider);
    expect(planFromJson(planToJson(plan), 'p.json')).toEqual(plan);
    const bad = (o: unknown) => () => planFromJson(JSON.stringify(o), 'p.json');
    expect(() => planFromJson('{', 'p.json')).toThrow(/^p\.json: not JSON/);
    expect(bad([])).toThrow(/p\.json: suite: expected one of semi2k, spdz2k/);
    expect(bad({ suite: 'rep3', parties: 3, counts: {} })).toThrow(/p\.json: suite: expected/);
    expect(bad({ suite: 'spdz2k', parties: 1, counts: {} })).toThrow(/p\.json: parties: expected/);
    expect(bad({ suite: 'spdz2k', parties: 2, counts: [] })).toThrow(/p\.json: counts: expected/);
    expect(bad({ suite: 'spdz2k', parties: 2, counts: { triple: -1 } })).toThrow(
      /p\.json: counts\.triple: expected a non-negative integer, got -1/,
    );
    expect(bad({ suite: 'spdz2k', parties: 2, counts: { triple: 1.5 } })).toThrow(/counts\.triple/);
    expect(bad({ suite: 'spdz2k', parties: 2, counts: { tripel: 3 } })).toThrow(
      /p\.json: counts\.tripel: not a kind of spdz2k material with 2 parties \(kinds: .*triple/,
    );
    expect(bad({ suite: 'spdz2k', parties: 2, counts: { input2: 3 } })).toThrow(/counts\.input2/);
  });

  it('refuses suites without preprocessing, naming the ones with it', async () => {
    await expect(planProgram(program, 'rep3', 3)).rejects.toThrow(
      /suite 'rep3' has no preprocessing to plan \(suites with preprocessing: semi2k, spdz2k\)/,
    );
    expect(() => plannedSuite('yao', {})).toThrow(RangeError);
  });

  it('refuses a program whose parties would consume different material', async () => {
    const uneven: Program<void> = async (s) => {
      const x = s.input('p1', int(8), s.me === 'p1' ? [1] : 1);
      // Control flow on the party's identity, not on revealed values: not plannable.
      if (s.me === 'p1') await x.mul(x).reveal();
      else await x.reveal();
    };
    await expect(planProgram(uneven, 'semi2k', 2)).rejects.toThrow(
      /every party must run the same primitives/,
    );
  });
});
