/** Statistical helpers for tests. */

/**
 * Pearson's chi-square statistic of observed bucket counts against a uniform
 * expectation.
 */
export function chiSquare(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const e = total / counts.length;
  return counts.reduce((acc, c) => acc + (c - e) ** 2 / e, 0);
}

/**
 * Upper critical values of the chi-square distribution at p = 0.001, by
 * degrees of freedom: a uniform source fails a test once in a thousand runs,
 * and the seeds below are fixed, so the tests are deterministic.
 */
export const CHI2_CRITICAL_0_001: Readonly<Record<number, number>> = {
  15: 37.697,
  31: 61.098,
  63: 103.442,
};
