/**
 * Plaintext baselines for the benchmarks' "x plain" ratios: the same work in
 * the clear, timed the same way everywhere.
 */

/**
 * Seconds per call of `run`: the median of three timings after a warm-up.
 * `reps` calls make one timing (and three times as many warm it up), so that
 * short loops are optimised and timed over enough work.
 */
export function timePlain(run: () => unknown, reps = 1): number {
  for (let r = 0; r < 3 * reps; r++) run();
  const ts = [0, 1, 2].map(() => {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) run();
    return (performance.now() - t0) / 1000 / reps;
  });
  return ts.sort((a, b) => a - b)[1]!;
}

/**
 * n 64-bit products (what a product of shares stands for) or n 32-bit
 * comparisons in a JavaScript loop, each timing spanning about 1M operations.
 */
export function plainSeconds(kind: 'mul' | 'cmp', n: number): number {
  const reps = Math.max(1, Math.ceil(1e6 / n));
  if (kind === 'mul') {
    const a = BigInt64Array.from({ length: n }, (_, i) => BigInt((i * 2654435761) | 0));
    const b = a.slice().reverse();
    const out = new BigInt64Array(n);
    return timePlain(() => {
      for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
    }, reps);
  }
  const x = Int32Array.from({ length: n }, (_, i) => (i * 2654435761) | 0);
  const y = x.slice().reverse();
  const out = new Uint8Array(n);
  return timePlain(() => {
    for (let i = 0; i < n; i++) out[i] = x[i]! < y[i]! ? 1 : 0;
  }, reps);
}
