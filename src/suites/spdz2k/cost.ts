/**
 * The material each spdz2k primitive consumes (see ../semi2k/cost.ts for the
 * dry-run counter that charges it): 'triple', 'rand' (authenticated random
 * values, one per MAC check and one per element masking a comparison),
 * 'bit' (authenticated random bits) and 'input<i>' (masks of party i, for
 * its inputs and for private outputs to it). Comparisons use one product per
 * AND and per XOR of shared bits.
 */
import { addCounts, type CostTable } from '../semi2k/cost.js';
import type { Counts } from '../semi2k/material.js';
import { carryAnds, lessThanAnds } from '../semi2k/mixed.js';

/** Masks for a comparison-style protocol on b-bit values of n elements. */
function masks(n: number, b: number): Counts {
  return b < 64 ? { bit: n * b, rand: n } : { bit: n * b };
}

export const spdz2kCost: CostTable = (c, parties) => {
  const n = c.n;
  switch (c.op) {
    case 'mul':
    case 'dot':
      return n === 0 ? {} : { triple: n };
    case 'randomBits':
      return n === 0 ? {} : { bit: n };
    case 'input':
      return n === 0 ? {} : { [`input${c.owner}`]: n };
    case 'open': {
      // One MAC check (one 'rand') per call; private outputs open x - r per recipient.
      const to = [...new Set(c.to)];
      const out: Counts = { rand: 1 };
      if (to.length < parties) for (const j of to) if (n > 0) out[`input${j}`] = n;
      return out;
    }
    case 'ltz':
      if (n === 0 || c.bound <= 1) return {};
      return addCounts(masks(n, c.bound), { triple: (lessThanAnds(c.bound - 1) + 1) * n });
    case 'eqz':
      if (n === 0 || c.bound <= 1) return {};
      return addCounts(masks(n, c.bound), { triple: (c.bound - 1) * n });
    case 'bits':
      if (n === 0) return {};
      return addCounts(masks(n, c.bound), { triple: (carryAnds(c.bound) + c.bound - 1) * n });
    case 'trunc': {
      if (n === 0 || c.m === 0) return {};
      if (c.bound >= 64) {
        const sign = spdz2kCost({ op: 'ltz', n, bound: 64 }, parties);
        return c.m >= 63 ? sign : addCounts({ ...sign }, { bit: 64 * n });
      }
      return c.m >= 63 ? {} : { bit: 64 * n };
    }
  }
};
