/** Placeholder: rep3 truncation is implemented in a following commit. */
import type { Rep3Shares, Rep3Suite } from './rep3.js';

export const rep3Trunc = (
  _s: Rep3Suite,
  _x: Rep3Shares,
  _m: number,
  _b: number,
): Promise<Rep3Shares> => Promise.reject(new Error('rep3.trunc: not implemented yet'));
