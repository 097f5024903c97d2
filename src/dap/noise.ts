/**
 * Discrete Laplace noise in the clear, for an aggregator to add to its own
 * aggregate share before encrypting it to the Collector. Same plan and same
 * threshold sampler as the MPC version in analytics/privacy/dp.ts (Z = G1 - G2,
 * G = #{k : U < tau_k} for a uniform b-bit U), so the same total-variation
 * bound holds; U comes from the OS CSPRNG.
 *
 * Each aggregator adds its own noise: the released sum carries both, and a
 * Collector that colludes with one aggregator still faces the other's noise.
 */
import { planDiscreteLaplace, type LaplacePlan } from '../analytics/privacy/dp.js';

function uniformBits(bits: number): bigint {
  const words = crypto.getRandomValues(new Uint32Array(Math.ceil(bits / 32)));
  let u = 0n;
  for (const w of words) u = (u << 32n) | BigInt(w);
  return u & ((1n << BigInt(bits)) - 1n);
}

function geometric(plan: LaplacePlan): number {
  const u = uniformBits(plan.bits);
  // thresholds are non-increasing: count those above u by binary search.
  let lo = 0;
  let hi = plan.thresholds.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (u < plan.thresholds[mid]!) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function sampleDiscreteLaplaceClear(plan: LaplacePlan, count: number): number[] {
  return Array.from({ length: count }, () => geometric(plan) - geometric(plan));
}

export { planDiscreteLaplace };
