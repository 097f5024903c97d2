/**
 * Fixed-point nonlinear functions (placeholder signatures; implemented in a
 * following commit).
 */
/** The fixed-point format: total bits and fractional bits. */
export interface FixedFormat {
  readonly bits: number;
  readonly frac: number;
}
import type { Shares, Suite } from '../suites/suite.js';

type Unary = (suite: Suite, x: Shares, t: FixedFormat, bound: number) => Promise<Shares>;
const pending =
  (name: string): Unary =>
  async () => {
    throw new Error(`${name}: not implemented yet`);
  };

export const reciprocal = pending('reciprocal');
export const sqrt = pending('sqrt');
export const exp = pending('exp');
export const log = pending('log');
export const sigmoid = pending('sigmoid');
