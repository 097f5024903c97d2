/**
 * The adjugate inverse of small SPD matrices (inverseSmallSPD) and the Newton
 * step built on it, against float64 on random matrices: condition numbers up
 * to 2^6, diagonals spread over 2^-8..2^-2 (an information matrix over 2^lg),
 * 1 x 1 to 3 x 3, at the scales logisticRegression and the Cox model give
 * them. Every entry must be within the bound stated in regression.ts; all
 * parties run for real (rep3 and shamir), many matrices side by side.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../../../test/harness.js';
import { Fx } from './fx.js';
import { inverseSmallSPD, newtonStep } from './regression.js';
import { rng } from './testdata.js';

type Mat = number[][];

const mul = (A: Mat, B: Mat): Mat =>
  A.map((row) => B[0]!.map((_, j) => row.reduce((t, v, l) => t + v * B[l]![j]!, 0)));
const transpose = (A: Mat): Mat => A[0]!.map((_, j) => A.map((row) => row[j]!));

/** Inverse by Gauss-Jordan with partial pivoting (float64 reference). */
function invert(A: Mat): Mat {
  const n = A.length;
  const M = A.map((r, i) => [...r, ...A.map((_, j) => (i === j ? 1 : 0))]);
  for (let i = 0; i < n; i++) {
    let piv = i;
    for (let r = i + 1; r < n; r++) if (Math.abs(M[r]![i]!) > Math.abs(M[piv]![i]!)) piv = r;
    [M[i], M[piv]] = [M[piv]!, M[i]!];
    const d = M[i]![i]!;
    for (let c = 0; c < 2 * n; c++) M[i]![c]! /= d;
    for (let r = 0; r < n; r++) {
      if (r === i) continue;
      const f = M[r]![i]!;
      for (let c = 0; c < 2 * n; c++) M[r]![c]! -= f * M[i]![c]!;
    }
  }
  return M.map((r) => r.slice(n));
}

/** A random k x k SPD matrix with condition number up to 2^6 and its diagonal spread over 2^-8..2^-2. */
function randomSPD(k: number, g: () => number): Mat {
  // Orthonormal Q by Gram-Schmidt on random vectors.
  const Q: number[][] = [];
  while (Q.length < k) {
    let v = Array.from({ length: k }, () => g() - 0.5);
    for (const q of Q) {
      const d = v.reduce((t, x, i) => t + x * q[i]!, 0);
      v = v.map((x, i) => x - d * q[i]!);
    }
    const norm = Math.hypot(...v);
    if (norm > 1e-3) Q.push(v.map((x) => x / norm));
  }
  const kappa = 2 ** (g() * 6);
  const lam = Array.from({ length: k }, (_, i) =>
    i === 0 ? 1 : i === k - 1 ? 1 / kappa : 1 / kappa ** g(),
  );
  const M = mul(
    transpose(Q),
    Q.map((row, i) => row.map((x) => x * lam[i]!)),
  );
  // Unit diagonal, then the spread.
  const s = M.map((_, i) => 2 ** -(2 + g() * 6) / M[i]![i]!);
  return M.map((row, i) => row.map((x, j) => x * Math.sqrt(s[i]! * s[j]!)));
}

/**
 * The stated bound on |inv_ij - (A^-1)_ij| (regression.ts, inverseSmallSPD):
 * with d_i d_j <= 1 / sqrt(A_ii A_jj) and Z = D^-1 A^-1 D^-1 (|Z_ij| <=
 * 4 |A^-1_ij| sqrt(A_ii A_jj)) and Z's fractional bits zf = 24 + frac - 2h,
 * d_i d_j (||Z||^2 k 2^-30 + 2^-(zf - 1)) + 2^-25 |A^-1_ij|,
 * doubled for the second-order terms, plus the output's rounding.
 */
function bound(A: Mat, inv: Mat, i: number, j: number, outFrac: number, zf: number): number {
  const k = A.length;
  let z2 = 0;
  for (let a = 0; a < k; a++)
    for (let b = 0; b < k; b++) z2 += (4 * inv[a]![b]! * Math.sqrt(A[a]![a]! * A[b]![b]!)) ** 2;
  const dd = 1 / Math.sqrt(A[i]![i]! * A[j]![j]!);
  return (
    2 * (dd * (z2 * k * 2 ** -30 + 2 ** -(zf - 1)) + 2 ** -25 * Math.abs(inv[i]![j]!)) +
    2 ** -outFrac
  );
}

const CASES = [
  { frac: 34, bound: 34 }, // logistic regression over 10k rows (lg = 14)
  { frac: 26, bound: 26 }, // logistic regression over 60 rows
  { frac: 38, bound: 42 }, // the Cox model's information matrix
];

for (const suite of ['rep3', 'shamir'] as const) {
  describe(`inverseSmallSPD (${suite})`, () => {
    it('inverts random 1 x 1 to 3 x 3 SPD matrices within the stated bound, and the Newton step follows', async () => {
      const g = rng(suite === 'rep3' ? 901 : 902);
      const mats = Array.from({ length: 36 }, (_, q) => ({
        A: randomSPD(1 + (q % 3), g),
        grad: Array.from({ length: 1 + (q % 3) }, () => (g() - 0.5) * 0.05),
        shape: CASES[q % CASES.length]!,
      }));
      // Edges: the identity over 4 and a diagonal at the bottom of the spread.
      mats.push({
        A: [
          [0.25, 0, 0],
          [0, 0.25, 0],
          [0, 0, 0.25],
        ],
        grad: [0.01, 0, -0.01],
        shape: CASES[0]!,
      });
      mats.push({
        A: [
          [2 ** -12, 0],
          [0, 0.2],
        ],
        grad: [1e-4, 0.02],
        shape: CASES[0]!,
      });
      const got = await run({ suite, parties: 3 }, async (s) => {
        const all = s.parties.map((_, i) => i);
        const enc = (v: number[], f: number) =>
          BigInt64Array.from(v.map((x) => BigInt(Math.round(x * 2 ** f))));
        return Promise.all(
          mats.map(async ({ A, grad, shape }) => {
            const k = A.length;
            const flat = A.flat();
            const H = new Fx(
              s,
              s.suite.input(0, s.me === 'p1' ? enc(flat, shape.frac) : undefined, k * k),
              k * k,
              shape.frac,
              shape.bound,
            );
            const G = new Fx(
              s,
              s.suite.input(0, s.me === 'p1' ? enc(grad, shape.frac) : undefined, k),
              k,
              shape.frac,
              shape.bound + 2,
            );
            const inv = inverseSmallSPD(H, k, 8);
            const step = newtonStep(H, G, k, false);
            const open = async (x: Fx) =>
              Array.from((await s.suite.open(await x.sh, all))!, (v) => Number(v) / 2 ** x.frac);
            return { inv: await open(inv), invFrac: inv.frac, delta: await open(step.delta) };
          }),
        );
      });
      let saturated = 0;
      mats.forEach(({ A, grad, shape }, q) => {
        const k = A.length;
        // The matrix the protocol saw: entries rounded to the input's scale.
        const Ar = A.map((row) =>
          row.map((x) => Math.round(x * 2 ** shape.frac) / 2 ** shape.frac),
        );
        const gr = grad.map((x) => Math.round(x * 2 ** shape.frac) / 2 ** shape.frac);
        const ref = invert(Ar);
        const { inv, invFrac, delta } = got[q]!;
        if (ref.flat().some((v) => Math.abs(v) >= 2 ** 8 * 0.99)) {
          // Beyond the clamp: every entry is saturated at +-2^8, never wrapped.
          for (const v of inv) expect(Math.abs(v)).toBeLessThanOrEqual(2 ** 8);
          saturated++;
          return;
        }
        for (let i = 0; i < k; i++) {
          let dBound = 2 ** -27;
          for (let j = 0; j < k; j++) {
            const err = Math.abs(inv[i * k + j]! - ref[i]![j]!);
            const h = Math.ceil((shape.bound - 1) / 2);
            const zf = Math.max(8, Math.min(40, 24 + shape.frac - 2 * h));
            const b = bound(Ar, ref, i, j, invFrac, zf);
            if (!(err <= b))
              throw new Error(`matrix ${q} (${k} x ${k}) inverse[${i}][${j}]: error ${err} > ${b}`);
            // The step: the inverse's error times |g_j|, plus g's rounding to fit beside the inverse
            // (newtonStep: g keeps 64 - bound(inv) - ceil(log2 k) bits) times |inv_ij|.
            const gBits = 64 - (8 + invFrac + 2) - Math.ceil(Math.log2(k));
            const gFrac = shape.frac - Math.max(0, shape.bound + 2 - gBits + 1);
            dBound += b * Math.abs(gr[j]!) + Math.abs(ref[i]![j]!) * 2 ** -gFrac;
          }
          const want = ref[i]!.reduce((t, v, j) => t + v * gr[j]!, 0);
          const err = Math.abs(delta[i]! - want);
          if (!(err <= dBound))
            throw new Error(`matrix ${q} (${k} x ${k}) step[${i}]: error ${err} > ${dBound}`);
        }
      });
      // Most samples are checked against the bound, some against the clamp.
      expect(saturated).toBeGreaterThan(0);
      expect(saturated).toBeLessThan(mats.length / 2);
    });
  });
}
