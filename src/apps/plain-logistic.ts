/**
 * Logistic regression in the clear, by Newton's method (IRLS) to convergence:
 * the plaintext answer printed beside the secure one by the demos (the same
 * model as R's glm(y ~ ..., family = binomial)). Small dense p x p systems
 * only; no secrets here.
 */

/** A plaintext fit: intercept first, then one entry per feature. */
export interface PlainFit {
  readonly coefficients: number[];
  /** Square roots of the inverse Hessian's diagonal at the fit (as glm's summary). */
  readonly standardErrors: number[];
}

/**
 * The logistic regression of `y` on the columns of `x` (one array per feature).
 * @throws {RangeError} for no rows or lengths that differ.
 */
export function plainLogistic(y: readonly boolean[], x: readonly (readonly number[])[]): PlainFit {
  const n = y.length;
  if (n === 0) throw new RangeError('plainLogistic: no rows');
  x.forEach((c, j) => {
    if (c.length !== n)
      throw new RangeError(`plainLogistic: feature ${j} has ${c.length} rows, y has ${n}`);
  });
  const p = x.length + 1;
  const row = (i: number) => [1, ...x.map((c) => c[i]!)];
  let beta = new Array<number>(p).fill(0);
  // The gradient and Hessian of the log-likelihood at beta.
  const derivatives = () => {
    const g = new Array<number>(p).fill(0);
    const H = Array.from({ length: p }, () => new Array<number>(p).fill(0));
    for (let i = 0; i < n; i++) {
      const r = row(i);
      const mu = 1 / (1 + Math.exp(-r.reduce((t, v, j) => t + v * beta[j]!, 0)));
      const w = mu * (1 - mu);
      for (let a = 0; a < p; a++) {
        g[a]! += r[a]! * ((y[i] ? 1 : 0) - mu);
        for (let b = 0; b < p; b++) H[a]![b]! += r[a]! * r[b]! * w;
      }
    }
    return { g, H };
  };
  for (let it = 0; it < 50; it++) {
    const { g, H } = derivatives();
    const delta = solve(H, g);
    beta = beta.map((b, j) => b + delta[j]!);
    if (Math.max(...delta.map(Math.abs)) < 1e-12) break;
  }
  const { H } = derivatives();
  const standardErrors = beta.map((_, j) => {
    const e = new Array<number>(p).fill(0);
    e[j] = 1;
    return Math.sqrt(solve(H, e)[j]!);
  });
  return { coefficients: beta, standardErrors };
}

/** Solves A z = b by Gaussian elimination with partial pivoting (A is small and positive definite). */
function solve(A: number[][], b: number[]): number[] {
  const p = b.length;
  const M = A.map((r, i) => [...r, b[i]!]);
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[piv]![c]!)) piv = r;
    [M[c], M[piv]] = [M[piv]!, M[c]!];
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = M[r]![c]! / M[c]![c]!;
      for (let k = c; k <= p; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  return M.map((r, i) => r[p]! / r[i]!);
}
