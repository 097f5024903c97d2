/**
 * Comparisons and selections built from a suite's ltz/eqz and multiplication;
 * suite-independent. Bounds follow src/suites/suite.ts: callers promise
 * |x| <= 2^(bound-1) for every element.
 */
import type { Shares, Suite } from '../suites/suite.js';

const ONE = BigInt64Array.of(1n);
const MINUS_ONE = BigInt64Array.of(-1n);
const MINUS_TWO = BigInt64Array.of(-2n);

/** [a < b] for a, b within `bound` bits (the difference needs one more). */
export function lt(suite: Suite, a: Shares, b: Shares, bound: number): Promise<Shares> {
  return suite.ltz(suite.sub(a, b), bound + 1);
}

export function eq(suite: Suite, a: Shares, b: Shares, bound: number): Promise<Shares> {
  return suite.eqz(suite.sub(a, b), bound + 1);
}

/** 1 - c, for shared bits c. */
export function not(suite: Suite, c: Shares): Shares {
  return suite.addPublic(suite.neg(c), ONE);
}

/** c ? x : y = y + c (x - y), elementwise. */
export async function select(suite: Suite, c: Shares, x: Shares, y: Shares): Promise<Shares> {
  return suite.add(y, await suite.mul(c, suite.sub(x, y)));
}

/** |x| = x (1 - 2 [x < 0]). */
export async function abs(suite: Suite, x: Shares, bound: number): Promise<Shares> {
  const s = await suite.ltz(x, bound);
  return suite.mul(x, suite.addPublic(suite.mulPublic(s, MINUS_TWO), ONE));
}

/** sign(x) in {-1, 0, 1} = 1 - 2 [x < 0] - [x == 0]. */
export async function sign(suite: Suite, x: Shares, bound: number): Promise<Shares> {
  const [n, z] = await Promise.all([suite.ltz(x, bound), suite.eqz(x, bound)]);
  return suite.addPublic(
    suite.add(suite.mulPublic(n, MINUS_TWO), suite.mulPublic(z, MINUS_ONE)),
    ONE,
  );
}

/** Elementwise minimum or maximum of two vectors. */
export async function minMax(
  suite: Suite,
  a: Shares,
  b: Shares,
  bound: number,
  max: boolean,
): Promise<Shares> {
  const c = await lt(suite, a, b, bound); // c = [a < b]
  return max ? select(suite, c, b, a) : select(suite, c, a, b);
}

/**
 * Minimum or maximum of a vector, with the index where it occurs (the first
 * occurrence), by a tournament of ceil(log2 n) comparison layers.
 * @throws {RangeError} for an empty vector.
 */
export async function reduceExtreme(
  suite: Suite,
  x: Shares,
  bound: number,
  max: boolean,
  withIndex: boolean,
): Promise<{ value: Shares; index: Shares | undefined }> {
  const n = x.length;
  if (n === 0) throw new RangeError(`${max ? 'max' : 'min'}: empty vector`);
  let vals = x;
  let idx = withIndex
    ? suite.constant(BigInt64Array.from({ length: n }, (_, i) => BigInt(i)))
    : undefined;
  while (vals.length > 1) {
    const half = vals.length >> 1;
    const odd = vals.length & 1;
    const left = Uint32Array.from({ length: half }, (_, i) => 2 * i);
    const right = Uint32Array.from({ length: half }, (_, i) => 2 * i + 1);
    const l = suite.gather(vals, left);
    const r = suite.gather(vals, right);
    // Take the right element only when strictly better, so the first occurrence wins ties.
    const takeRight = max ? await lt(suite, l, r, bound) : await lt(suite, r, l, bound);
    const first = Uint32Array.from({ length: half }, (_, i) => i);
    const rest = odd ? [suite.gather(vals, Uint32Array.of(vals.length - 1))] : [];
    if (idx) {
      // One multiplication round moves both the value and its index.
      const li = suite.gather(idx, left);
      const ri = suite.gather(idx, right);
      const moved = await suite.mul(
        suite.concat([takeRight, takeRight]),
        suite.concat([suite.sub(r, l), suite.sub(ri, li)]),
      );
      const second = Uint32Array.from({ length: half }, (_, i) => half + i);
      const lastIdx = odd ? [suite.gather(idx, Uint32Array.of(idx.length - 1))] : [];
      idx = suite.concat([suite.add(li, suite.gather(moved, second)), ...lastIdx]);
      vals = suite.concat([suite.add(l, suite.gather(moved, first)), ...rest]);
    } else {
      vals = suite.concat([suite.add(l, await suite.mul(takeRight, suite.sub(r, l))), ...rest]);
    }
  }
  return { value: vals, index: idx };
}
