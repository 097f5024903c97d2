/**
 * Test helpers for the statistics library (imported by tests only): random
 * data, inputs split across the parties as horizontal partitions, and the
 * plaintext references the secure results are checked against.
 */
import type { Session } from '../../api/session.js';
import type { SecretType } from '../../api/types.js';
import type { SecretBool, SecretFixed, SecretInt } from '../../api/secret.js';

/** Suites every statistic is tested under (all parties run for real). */
export const STAT_SUITES = [
  { suite: 'plaintext', parties: 3 },
  { suite: 'rep3', parties: 3 },
  { suite: 'shamir', parties: 3 },
] as const;

/** A small deterministic generator for test data (xorshift; never for secrets). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

export function randInts(n: number, lo: number, hi: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => lo + Math.floor(r() * (hi - lo + 1)));
}

export function randBools(n: number, pTrue: number, seed: number): boolean[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => r() < pTrue);
}

/** Approximately normal values (sum of uniforms), rounded to `step`. */
export function randNormal(
  n: number,
  mu: number,
  sigma: number,
  seed: number,
  step = 1 / 256,
): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const z = r() + r() + r() + r() + r() + r() - 3;
    return Math.round((mu + sigma * z * Math.SQRT2) / step) * step;
  });
}

/**
 * A column input as the horizontal union of every party's rows: party k
 * holds rows [k n / P, (k + 1) n / P). Every party calls this in the same order.
 */
export function column<T extends SecretType>(
  s: Session,
  type: T,
  values: ReadonlyArray<number | boolean>,
): T extends { kind: 'bool' } ? SecretBool : T extends { kind: 'fixed' } ? SecretFixed : SecretInt {
  const P = s.parties.length;
  const n = values.length;
  const parts = s.parties.map((p, k) => {
    const lo = Math.floor((k * n) / P);
    const hi = Math.floor(((k + 1) * n) / P);
    const mine = values.slice(lo, hi);
    return s.input(p, type, p === s.me ? mine : mine.length);
  });
  return s.concat(parts as never[]) as never;
}

// ----- plaintext references -----

export function pick<T>(xs: readonly T[], mask?: readonly boolean[]): T[] {
  return mask ? xs.filter((_, i) => mask[i]) : xs.slice();
}

export function plainMean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

export function plainVar(xs: readonly number[], population = false): number {
  const n = xs.length;
  if (n < 2 && !population) return 0;
  if (n === 0) return 0;
  const m = plainMean(xs);
  return xs.reduce((a, b) => a + (b - m) ** 2, 0) / (population ? n : n - 1);
}

/** R's type-7 quantile. */
export function plainQuantile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
}

export function plainCov(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 2) return 0;
  const mx = plainMean(x);
  const my = plainMean(y);
  return x.reduce((a, v, i) => a + (v - mx) * (y[i]! - my), 0) / (n - 1);
}

/** Expects |got - want| <= abs + rel |want|, with a message naming the quantity. */
export function near(what: string, got: number, want: number, abs: number, rel = 0): void {
  const err = Math.abs(got - want);
  if (!(err <= abs + rel * Math.abs(want))) {
    throw new Error(
      `${what}: got ${got}, want ${want} (error ${err}, allowed ${abs + rel * Math.abs(want)})`,
    );
  }
}

/**
 * lm(y ~ xs)'s sigma and standard errors (intercept first) in float64:
 * sigma^2 = RSS / (n - p), se_j = sigma sqrt([C^-1]_jj) and
 * se_0 = sigma sqrt(1/n + m^T C^-1 m), C the centred features' cross
 * products and m their means, by Gauss-Jordan with partial pivoting on C.
 * Centring first keeps the reference exact where a nearly constant feature
 * far from 0 makes the uncentred X^T X singular in float64 (a feature of
 * 127 +- 0.002 put sigma off by relative 5e-4).
 */
export function plainSe(
  y: readonly number[],
  xs: readonly (readonly number[])[],
): { se: number[]; sigma: number } {
  const n = y.length;
  const k = xs.length;
  const p = k + 1;
  const m = xs.map(plainMean);
  const my = plainMean(y);
  const Xc = xs.map((x, j) => x.map((v) => v - m[j]!));
  const yc = y.map((v) => v - my);
  const M = Array.from({ length: k }, (_, a) => [
    ...Array.from({ length: k }, (_, b) => Xc[a]!.reduce((s, v, i) => s + v * Xc[b]![i]!, 0)),
    ...Array.from({ length: k }, (_, j) => (a === j ? 1 : 0)),
  ]);
  for (let i = 0; i < k; i++) {
    let piv = i;
    for (let r = i + 1; r < k; r++) if (Math.abs(M[r]![i]!) > Math.abs(M[piv]![i]!)) piv = r;
    [M[i], M[piv]] = [M[piv]!, M[i]!];
    const d = M[i]![i]!;
    for (let c = 0; c < 2 * k; c++) M[i]![c]! /= d;
    for (let r = 0; r < k; r++) {
      if (r === i) continue;
      const f = M[r]![i]!;
      for (let c = 0; c < 2 * k; c++) M[r]![c]! -= f * M[i]![c]!;
    }
  }
  const inv = M.map((r) => r.slice(k));
  const Xty = Xc.map((x) => x.reduce((s, v, i) => s + v * yc[i]!, 0));
  const beta = inv.map((r) => r.reduce((s, v, j) => s + v * Xty[j]!, 0));
  const rss = yc.reduce(
    (s, v, i) => s + (v - Xc.reduce((a, x, j) => a + x[i]! * beta[j]!, 0)) ** 2,
    0,
  );
  const s2 = rss / (n - p);
  const quad = m.reduce((a, mj, j) => a + mj * inv[j]!.reduce((b, v, l) => b + v * m[l]!, 0), 0);
  return {
    se: [Math.sqrt(s2 * (1 / n + quad)), ...inv.map((r, j) => Math.sqrt(s2 * r[j]!))],
    sigma: Math.sqrt(s2),
  };
}

/** Solves a small dense system by Gaussian elimination with partial pivoting (float64). */
export function solveDense(A: readonly (readonly number[])[], b: readonly number[]): number[] {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i]!]);
  for (let i = 0; i < n; i++) {
    let piv = i;
    for (let r = i + 1; r < n; r++) if (Math.abs(M[r]![i]!) > Math.abs(M[piv]![i]!)) piv = r;
    [M[i], M[piv]] = [M[piv]!, M[i]!];
    for (let r = 0; r < n; r++) {
      if (r === i) continue;
      const f = M[r]![i]! / M[i]![i]!;
      for (let c = i; c <= n; c++) M[r]![c]! -= f * M[i]![c]!;
    }
  }
  return M.map((r, i) => r[n]! / r[i]!);
}
