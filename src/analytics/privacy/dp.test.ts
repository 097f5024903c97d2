import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { int } from '../../api/types.js';
import { runLocal } from '../../api/run.js';
import type { CryptoProvider } from '../../random/provider.js';
import { Prg } from '../../random/prg.js';
import {
  DP_BITS,
  addDiscreteLaplace,
  discreteLaplacePmf,
  planDiscreteLaplace,
  sampleDiscreteLaplace,
  samplerDelta,
  samplerPmf,
} from './dp.js';

/**
 * Test only: the OS randomness replaced by a seeded stream, so that the
 * statistical test below sees the same samples on every run. Never use outside tests.
 */
function insecureSeededProvider(seed: number): CryptoProvider {
  const key = new Uint8Array(16);
  new DataView(key.buffer).setUint32(0, seed);
  const prg = new Prg(key, nodeCryptoProvider);
  return { ...nodeCryptoProvider, randomFill: (out) => prg.fill(out) };
}

/** Pearson's chi-squared statistic of observed counts against a pmf, with tails merged into the end bins. */
function chiSquared(
  samples: readonly number[],
  pmf: (z: number) => number,
  lo: number,
  hi: number,
) {
  const n = samples.length;
  const bins = hi - lo + 1;
  const observed = new Array<number>(bins).fill(0);
  for (const z of samples) observed[Math.min(Math.max(z, lo), hi) - lo]!++;
  const expected = new Array<number>(bins).fill(0);
  for (let z = lo + 1; z < hi; z++) expected[z - lo] = n * pmf(z);
  const inner = expected.reduce((a, b) => a + b, 0);
  // The two tails share the rest symmetrically (the pmf is symmetric).
  expected[0] = (n - inner) / 2;
  expected[bins - 1] = (n - inner) / 2;
  let stat = 0;
  for (let i = 0; i < bins; i++) stat += (observed[i]! - expected[i]!) ** 2 / expected[i]!;
  return { stat, df: bins - 1, expected };
}

describe('discrete Laplace plan', () => {
  it('rounds q up to a multiple of 2^-56 with exact integer arithmetic', () => {
    for (const [eps, sens] of [
      [1, 1],
      [0.5, 1],
      [0.1, 3],
      [2, 7],
    ] as const) {
      const p = planDiscreteLaplace(eps, sens);
      const q = Number(p.qNum) / 2 ** DP_BITS;
      const ideal = Math.exp(-eps / sens);
      // Never less noise than asked: q' >= exp(-eps/sens), by at most a few units of 2^-56.
      expect(Number(p.qNum) - ideal * 2 ** DP_BITS).toBeGreaterThanOrEqual(-2);
      expect(Math.abs(q - ideal)).toBeLessThan(2 ** -50);
      // Thresholds are non-increasing, positive, and track q'^k.
      for (let k = 1; k < p.thresholds.length; k++) {
        expect(p.thresholds[k]! <= p.thresholds[k - 1]!).toBe(true);
      }
      expect(p.thresholds[p.thresholds.length - 1]! >= 1n).toBe(true);
      expect(Number(p.thresholds[0]!) / 2 ** DP_BITS).toBeCloseTo(q, 12);
      // K is about b ln 2 / (eps / sens).
      expect(p.thresholds.length).toBeGreaterThan(0.9 * ((DP_BITS * Math.LN2) / (eps / sens)));
      expect(p.thresholds.length).toBeLessThan(1.1 * ((DP_BITS * Math.LN2) / (eps / sens)) + 2);
      expect(p.scale).toBe(sens / eps);
    }
  });

  it("the sampler's exact pmf sums to 1 and is within its stated distance of the ideal", () => {
    const p = planDiscreteLaplace(1, 1);
    const q = Number(p.qNum) / 2 ** DP_BITS;
    const pmf = samplerPmf(p);
    let total = 0;
    let tv = 0;
    for (const [z, v] of pmf) {
      total += v;
      tv += Math.abs(v - discreteLaplacePmf(q, z));
    }
    expect(total).toBeCloseTo(1, 12);
    expect(tv / 2).toBeLessThanOrEqual(p.tv);
    expect(p.tv).toBeLessThan(1e-14);
    expect(samplerDelta([{ plan: p, samples: 10 }], 1)).toBeLessThan(1e-12);
  });

  it('refuses impossible parameters', () => {
    expect(() => planDiscreteLaplace(0, 1)).toThrow(/epsilon must be in/);
    expect(() => planDiscreteLaplace(1, 0.5)).toThrow(/sensitivity must be a positive integer/);
    expect(() => planDiscreteLaplace(0.001, 10_000)).toThrow(/needs more than 65536 comparisons/);
  });
});

describe('discrete Laplace noise drawn inside MPC', () => {
  // Critical values of the chi-squared distribution at p = 0.001 (df 10 and 8).
  const CRIT_10 = 29.588;
  const CRIT_8 = 26.124;

  it('has the declared distribution (plaintext suite, 20,000 samples, fixed seed)', async () => {
    const plan = planDiscreteLaplace(1, 1);
    const [out] = await runLocal(
      async (s) => sampleDiscreteLaplace(s, plan, 20_000).revealNumbers(),
      { suite: 'plaintext', parties: 3, crypto: insecureSeededProvider(1) },
    );
    const samples = out!.result;
    const exact = samplerPmf(plan);
    const { stat, df } = chiSquared(samples, (z) => exact.get(z) ?? 0, -5, 5);
    expect(df).toBe(10);
    expect(stat).toBeLessThan(CRIT_10);
    // The test has power: the same samples are far from the pmf for epsilon 1.2 (less noise).
    const other = planDiscreteLaplace(1.2, 1);
    const otherPmf = samplerPmf(other);
    expect(chiSquared(samples, (z) => otherPmf.get(z) ?? 0, -5, 5).stat).toBeGreaterThan(
      10 * CRIT_10,
    );
    // Mean 0 and variance 2q / (1 - q)^2.
    const q = Number(plan.qNum) / 2 ** DP_BITS;
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    const variance = samples.reduce((a, b) => a + b * b, 0) / samples.length - mean ** 2;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(variance / ((2 * q) / (1 - q) ** 2)).toBeGreaterThan(0.95);
    expect(variance / ((2 * q) / (1 - q) ** 2)).toBeLessThan(1.05);
  });

  it('has the declared distribution under rep3 (3,000 samples, every party holds shares only)', async () => {
    const plan = planDiscreteLaplace(0.7, 1);
    const outs = await runLocal(
      async (s) => sampleDiscreteLaplace(s, plan, 3_000).revealNumbers(),
      { suite: 'rep3', parties: 3, crypto: insecureSeededProvider(2) },
    );
    expect(outs[1]!.result).toEqual(outs[0]!.result);
    const exact = samplerPmf(plan);
    const { stat } = chiSquared(outs[0]!.result, (z) => exact.get(z) ?? 0, -4, 4);
    expect(stat).toBeLessThan(CRIT_8);
  });

  it('adds noise to a secret count without revealing it, shape kept (shamir)', async () => {
    const plan = planDiscreteLaplace(2, 1);
    const [out] = await runLocal(
      async (s) => {
        const x = s.input('p1', int(16), s.me === 'p1' ? [100, 200, 300] : 3);
        const scalar = s.input('p2', int(16), s.me === 'p2' ? [50] : 1).at(0);
        return {
          vec: await addDiscreteLaplace(s, x, plan).revealNumbers(),
          one: await addDiscreteLaplace(s, scalar, plan).revealNumbers(),
          none: await sampleDiscreteLaplace(s, plan, 0).revealNumbers(),
        };
      },
      { suite: 'shamir', parties: 3, crypto: nodeCryptoProvider },
    );
    const r = out!.result;
    expect(r.vec).toHaveLength(3);
    expect(r.one).toHaveLength(1);
    expect(r.none).toEqual([]);
    // With q = e^-2, |Z| > 20 has probability below 1e-17.
    r.vec.forEach((v, i) => expect(Math.abs(v - 100 * (i + 1))).toBeLessThan(20));
    expect(Math.abs(r.one[0]! - 50)).toBeLessThan(20);
  });
});
