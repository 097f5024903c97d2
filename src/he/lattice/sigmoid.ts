/**
 * A polynomial stand-in for the logistic function σ(x) = 1 / (1 + e^-x),
 * which CKKS cannot evaluate directly: the least-squares cubic on [-R, R]
 * (Kim, Song, Kim, Lee, Cheon, "Logistic regression model training based on
 * the approximate homomorphic encryption", BMC Medical Genomics 2018, use the
 * same degree-3 fit on [-8, 8]). Outside [-R, R] the cubic diverges: the
 * caller must keep w·x + b inside the interval.
 */

/** Coefficients c0..c3 of c0 + c1 x + c2 x² + c3 x³, and the fit's maximum error on the interval. */
export interface SigmoidFit {
  readonly radius: number;
  readonly coeffs: readonly [number, number, number, number];
  /** max |p(x) - σ(x)| over [-radius, radius] (on a grid of 16,001 points). */
  readonly maxError: number;
}

export function logistic(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export function evalCubic(c: readonly [number, number, number, number], x: number): number {
  return c[0] + x * (c[1] + x * (c[2] + x * c[3]));
}

const GRID = 16001;

/**
 * The least-squares cubic fit of σ on [-radius, radius] (continuous L2 norm,
 * by the trapezoid rule on a fine grid), with its maximum error.
 *
 * @throws {RangeError} unless 0 < radius <= 64.
 */
export function fitSigmoid(radius: number): SigmoidFit {
  if (!(radius > 0 && radius <= 64))
    throw new RangeError(`fitSigmoid: radius must be in (0, 64], got ${radius}`);
  // Normal equations G c = h with G_jk = ∫ x^(j+k), h_j = ∫ x^j σ(x), in the
  // variable u = x / radius so that G stays well conditioned.
  const G = Array.from({ length: 4 }, () => new Array<number>(4).fill(0));
  const h = new Array<number>(4).fill(0);
  for (let i = 0; i < GRID; i++) {
    const u = -1 + (2 * i) / (GRID - 1);
    const w = i === 0 || i === GRID - 1 ? 0.5 : 1;
    const y = logistic(u * radius);
    const pow = [1, u, u * u, u * u * u];
    for (let j = 0; j < 4; j++) {
      h[j]! += w * pow[j]! * y;
      for (let k = 0; k < 4; k++) G[j]![k]! += w * pow[j]! * pow[k]!;
    }
  }
  const cu = solve4(G, h);
  const coeffs: [number, number, number, number] = [
    cu[0]!,
    cu[1]! / radius,
    cu[2]! / radius ** 2,
    cu[3]! / radius ** 3,
  ];
  let maxError = 0;
  for (let i = 0; i < GRID; i++) {
    const x = radius * (-1 + (2 * i) / (GRID - 1));
    maxError = Math.max(maxError, Math.abs(evalCubic(coeffs, x) - logistic(x)));
  }
  return { radius, coeffs, maxError };
}

/** Gaussian elimination with partial pivoting on a 4 x 4 system. */
function solve4(A: number[][], b: number[]): number[] {
  const n = 4;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = M[r]![c]! / M[c]![c]!;
      for (let k = c; k <= n; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= M[r]![k]! * x[k]!;
    x[r] = s / M[r]![r]!;
  }
  return x;
}

/** The fit the scoring example uses: degree 3 on [-8, 8]. */
export const SIGMOID_FIT_8: SigmoidFit = fitSigmoid(8);
