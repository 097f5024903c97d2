/** Placeholder: rep3 comparisons are implemented in a following commit. */
import type { Rep3Shares, Rep3Suite } from './rep3.js';

const todo = (op: string) => Promise.reject(new Error(`rep3.${op}: not implemented yet`));
export const rep3Ltz = (_s: Rep3Suite, _x: Rep3Shares, _b: number): Promise<Rep3Shares> =>
  todo('ltz');
export const rep3Eqz = (_s: Rep3Suite, _x: Rep3Shares, _b: number): Promise<Rep3Shares> =>
  todo('eqz');
export const rep3Bits = (_s: Rep3Suite, _x: Rep3Shares, _b: number): Promise<Rep3Shares> =>
  todo('bits');
export const rep3RandomBits = (_s: Rep3Suite, _n: number): Promise<Rep3Shares> =>
  todo('randomBits');
