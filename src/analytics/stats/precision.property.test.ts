/**
 * Every stated precision bound, checked on inputs sampled across the
 * schema's ranges (fast-check): narrow and wide integer and fixed-point
 * columns, values anywhere in the type's range and of any spread (down to
 * constant columns), negative values, 2 to 3000 rows. Each sample runs one
 * real protocol (all parties in process) computing mean, variance, sd,
 * cov, cor, Welch's t and a two-feature linear regression (coefficients,
 * R^2, standard errors and sigma), and each
 * released value must be within the bound that variance.ts and bounds.ts
 * state for it against float64 computed from the same data.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bool, fixed, int, type SecretType } from '../../api/types.js';
import { label, run } from '../../../test/harness.js';
import {
  corErrorBound,
  covErrorBound,
  linearRegressionErrorBound,
  linearRegressionSeBound,
  tErrorBound,
  type ColumnShape,
} from './bounds.js';
import { summary } from './describe.js';
import { studentTTest, welchTTest } from './hypothesis.js';
import { cor, cov, linearRegression } from './regression.js';
import { column, plainCov, plainMean, plainSe, plainVar, rng } from './testdata.js';
import { candidateVarianceError, varianceErrorBound, sdErrorBound } from './variance.js';

type NumType = SecretType & { kind: 'int' | 'fixed' };

interface Shape extends ColumnShape {
  readonly type: NumType;
  /** |x| <= max. */
  readonly max: number;
}

const intShape = (bits: number): Shape => ({
  type: int(bits),
  bound: bits,
  frac: 0,
  max: 2 ** (bits - 1) - 1,
});
const fixedShape = (bits: number, frac: number): Shape => ({
  type: fixed({ bits, frac }),
  bound: bits,
  frac,
  max: 2 ** (bits - 1 - frac) - 2 ** -frac,
});

/** Narrow (exact squares fit) and wide (the centred levels) types, the README's default among them. */
const SHAPES: Shape[] = [
  intShape(8),
  intShape(12),
  intShape(20),
  intShape(26),
  fixedShape(16, 8),
  fixedShape(24, 8),
  fixedShape(32, 16),
];

/** One column: its type, where its values sit in the range and how far they spread. */
interface ColumnSpec {
  shape: number;
  /** Centre as a fraction of the type's range, in [-1, 1]. */
  centre: number;
  /** log2 of the spread as a fraction of the range: 0 = the whole range; -60 = constant. */
  spread: number;
}

const columnSpec = fc.record({
  shape: fc.integer({ min: 0, max: SHAPES.length - 1 }),
  centre: fc.double({ min: -1, max: 1, noNaN: true }),
  spread: fc.oneof(fc.integer({ min: -30, max: 0 }), fc.constant(-60)),
});

const ROWS = [2, 3, 17, 200, 1200, 3000];

interface Sample {
  x: ColumnSpec;
  y: ColumnSpec;
  rows: number;
  seed: number;
  slope: number;
}

const sample = fc.record({
  x: columnSpec,
  y: columnSpec,
  rows: fc.constantFrom(...ROWS),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  slope: fc.double({ min: -1, max: 1, noNaN: true }),
});

function normal(r: () => number): number {
  return (r() + r() + r() + r() + r() + r() - 3) * Math.SQRT2;
}

/** Values of `spec` on its type's grid, clamped to its range; `with` mixes in a correlated part. */
function values(spec: ColumnSpec, n: number, r: () => number, mix?: number[], w = 0): number[] {
  const s = SHAPES[spec.shape]!;
  const unit = 2 ** -s.frac;
  const mid = spec.centre * s.max;
  const spread = s.max * 2 ** spec.spread;
  return Array.from({ length: n }, (_, i) => {
    const z = mix ? w * mix[i]! + Math.sqrt(1 - w * w) * normal(r) : normal(r);
    const v = Math.round((mid + spread * z) / unit) * unit;
    return Math.max(-s.max, Math.min(s.max, v));
  });
}

const sdOf = (xs: readonly number[]) => Math.sqrt(plainVar(xs));

/** Standardised values (0 for a constant column), for correlated features. */
function zscores(xs: readonly number[]): number[] {
  const m = plainMean(xs);
  const s = sdOf(xs);
  return xs.map((v) => (s > 0 ? (v - m) / s : 0));
}

/** lm(y ~ x1 + x2) in float64 by the normal equations on centred data. */
function plainOls(y: readonly number[], xs: readonly (readonly number[])[]): number[] {
  const k = xs.length;
  const mx = xs.map(plainMean);
  const my = plainMean(y);
  const A = Array.from({ length: k }, (_, j) =>
    Array.from({ length: k }, (_, l) =>
      xs[j]!.reduce((a, v, i) => a + (v - mx[j]!) * (xs[l]![i]! - mx[l]!), 0),
    ),
  );
  const b = xs.map((x, j) => x.reduce((a, v, i) => a + (v - mx[j]!) * (y[i]! - my), 0));
  // 2 x 2 (or 1 x 1) by Cramer's rule.
  const beta =
    k === 1
      ? [b[0]! / A[0]![0]!]
      : (() => {
          const det = A[0]![0]! * A[1]![1]! - A[0]![1]! * A[1]![0]!;
          return [
            (b[0]! * A[1]![1]! - A[0]![1]! * b[1]!) / det,
            (A[0]![0]! * b[1]! - A[1]![0]! * b[0]!) / det,
          ];
        })();
  return [my - beta.reduce((a, bj, j) => a + bj * mx[j]!, 0), ...beta];
}

function plainCor(x: readonly number[], y: readonly number[]): number {
  const sx = sdOf(x);
  const sy = sdOf(y);
  return sx > 0 && sy > 0 ? plainCov(x, y) / (sx * sy) : 0;
}

/** Types whose integer part is wide enough that some analyses are refused at thousands of rows. */
function refusable(s: Shape): boolean {
  return s.bound - s.frac >= 24;
}

function within(what: string, got: number, want: number, bound: number): void {
  expect(
    Math.abs(got - want),
    `${what}: got ${got}, want ${want}, stated ±${bound}`,
  ).toBeLessThanOrEqual(bound);
}

const first = (v: unknown): number => (v as number[])[0]!;

async function check(c: { suite: string; parties: number }, smp: Sample): Promise<void> {
  const n = smp.rows;
  const r = rng(smp.seed);
  const sx = SHAPES[smp.x.shape]!;
  const sy = SHAPES[smp.y.shape]!;
  const x = values(smp.x, n, r);
  const x2 = values({ ...smp.x, centre: -smp.x.centre }, n, r, zscores(x), smp.slope / 2);
  const y = values(smp.y, n, r, zscores(x), smp.slope);
  const g = Array.from({ length: n }, (_, i) => i % 2 === 1);
  const got = await run(c, async (s) => {
    const X = column(s, sx.type, x);
    const X2 = column(s, sx.type, x2);
    const Y = column(s, sy.type, y);
    const G = column(s, bool, g);
    // An analysis whose intermediates cannot fit 64 bits for these types is refused up front
    // (RangeError): recorded, and allowed only for wide integer parts (see `refusable`).
    const tryOr = <T>(f: () => T): T | undefined => {
      try {
        return f();
      } catch (e) {
        if (e instanceof RangeError) return undefined;
        throw e;
      }
    };
    const sm = tryOr(() => summary(X));
    const t = tryOr(() => welchTTest(Y, G.not(), G));
    const st = tryOr(() => studentTTest(Y, G.not(), G));
    const lm = tryOr(() => linearRegression(Y, [X, X2]));
    const cv = tryOr(() => cov(X, Y));
    const cr = tryOr(() => cor(X, Y));
    const zero = s.constant(fixed({ bits: 8, frac: 1 }), [0]);
    const out = await s.revealAll([
      sm?.mean ?? zero,
      sm?.variance ?? zero,
      sm?.sd ?? zero,
      cv ?? zero,
      cr ?? zero,
      t?.t ?? zero,
      t?.var1 ?? zero,
      t?.var2 ?? zero,
      lm?.coefficients ?? zero,
      lm?.rSquared ?? zero,
      lm?.standardErrors ?? zero,
      lm?.sigma ?? zero,
      st?.t ?? zero,
    ]);
    return {
      out,
      plan: lm?.precision,
      refused: { sm: !sm, t: !t || !st, lm: !lm, cv: !cv, cr: !cr },
    };
  });
  const { refused } = got;
  if (refused.sm || refused.cv || refused.cr)
    expect(refusable(sx) || refusable(sy), 'refused').toBe(true);
  if (refused.t) expect(refusable(sy)).toBe(true);
  if (refused.lm) expect(refusable(sx) || refusable(sy)).toBe(true);
  const [mean, v, sd, cv, cr, t, v1, v2, coef, r2, ses, sigma, tStudent] = got.out;
  // Mean: relative 2^-24 plus two units of 2^-frac (frac 20).
  const m = plainMean(x);
  if (!refused.sm) {
    within('mean', first(mean), m, Math.abs(m) * 2 ** -24 + 2 ** -19);
    within('variance', first(v), plainVar(x), varianceErrorBound(first(v), sx.bound, sx.frac, n));
    within('sd', first(sd), sdOf(x), sdErrorBound(first(sd), sx.bound, sx.frac, n));
  }
  if (!refused.cv)
    within('cov', first(cv), plainCov(x, y), covErrorBound(sx, sy, n, sdOf(x), sdOf(y)));
  if (!refused.cr)
    within('cor', first(cr), plainCor(x, y), corErrorBound(sx, sy, n, sdOf(x), sdOf(y)));
  // Welch's and Student's t.
  const a = y.filter((_, i) => !g[i]);
  const b = y.filter((_, i) => g[i]);
  const [na, nb] = [a.length, b.length];
  const se = Math.sqrt(plainVar(a) / na + plainVar(b) / nb);
  const pooledVar = ((na - 1) * plainVar(a) + (nb - 1) * plainVar(b)) / (na + nb - 2);
  const seStudent = Math.sqrt(pooledVar * (1 / na + 1 / nb));
  const released: [number, number] = [first(v1), first(v2)];
  const selecting = Math.sqrt(Math.max(0, ...released));
  const tStats = {
    means: [plainMean(a), plainMean(b)] as [number, number],
    ns: [na, nb] as [number, number],
    rows: n,
    variances: released,
    varianceErrors: released.map((rv) =>
      candidateVarianceError(Math.sqrt(Math.max(0, rv)), sy.bound, sy.frac, n, 20, selecting),
    ) as [number, number],
  };
  const d = plainMean(a) - plainMean(b);
  if (!refused.t && n >= 4) {
    const welchBound = tErrorBound({ ...tStats, se }, sy);
    const studentBound = tErrorBound({ ...tStats, se: seStudent, pooled: true }, sy);
    // A bound is stated whenever the spread is above the type's own grid (else t may saturate).
    if (Math.min(plainVar(a), plainVar(b)) > 2 ** (-2 * sy.frac + 4)) {
      expect(welchBound, "Welch's t has a stated bound").toBeLessThan(Infinity);
      expect(studentBound, "Student's t has a stated bound").toBeLessThan(Infinity);
    }
    if (se > 0) within("Welch's t", first(t), d / se, welchBound);
    if (seStudent > 0) within("Student's t", first(tStudent), d / seStudent, studentBound);
  }
  // Linear regression.
  const cols = [x, x2, y];
  const shapes = [sx, sx, sy];
  const sds = cols.map(sdOf);
  const design = {
    shapes,
    rows: n,
    sds,
    means: cols.map(plainMean),
    R: [1, plainCor(x, x2), plainCor(x2, x), 1],
    r: [plainCor(x, y), plainCor(x2, y)],
  };
  const bounds = linearRegressionErrorBound(design);
  if (Number.isFinite(bounds.rSquared) && !refused.lm) {
    const want = plainOls(y, [x, x2]);
    const rr = [plainCor(x, y), plainCor(x2, y)];
    const R12 = plainCor(x, x2);
    const gStd = [
      (rr[0]! - R12 * rr[1]!) / (1 - R12 ** 2),
      (rr[1]! - R12 * rr[0]!) / (1 - R12 ** 2),
    ];
    const coefs = coef as number[];
    ['intercept', 'slope 1', 'slope 2'].forEach((what, j) =>
      within(what, coefs[j]!, want[j]!, bounds.coefficients[j]!),
    );
    within('R^2', first(r2), gStd[0]! * rr[0]! + gStd[1]! * rr[1]!, bounds.rSquared);
    // Standard errors and sigma, against R's formulas in float64.
    const se = linearRegressionSeBound(design, got.plan!);
    const plain = plainSe(y, [x, x2]);
    if (Number.isFinite(se.sigma)) within('sigma', first(sigma), plain.sigma, se.sigma);
    ['se(intercept)', 'se(slope 1)', 'se(slope 2)'].forEach((what, j) => {
      if (Number.isFinite(se.standardErrors[j]!))
        within(what, (ses as number[])[j]!, plain.se[j]!, se.standardErrors[j]!);
    });
  }
}

/**
 * Counterexamples that longer searches found, run first under rep3: a covariance of two
 * int(20) columns refused at 3000 rows; the intercept's se off by 3e-4 (a product that cut a
 * root near 1 to 7 bits); a slope's se negative (a saturating division by a wide
 * denominator); Student's t off by 7-15% for a tiny spread (a count's generic bound cut the
 * pooled variance); and sigma against a float64 reference that was itself off (a nearly
 * constant feature far from 0).
 */
const spec = (shape: number, centre: number, spread: number): ColumnSpec => ({
  shape,
  centre,
  spread,
});
const FOUND: Sample[] = [
  { x: spec(2, 0, -60), y: spec(2, 0, -5), rows: 3000, seed: 2147483625, slope: 0 },
  { x: spec(4, 0, -3), y: spec(3, 0, -9), rows: 3000, seed: 243260095, slope: 0 },
  { x: spec(3, 0, -15), y: spec(6, 0, 0), rows: 200, seed: 1087730921, slope: 0 },
  { x: spec(0, 0, -60), y: spec(5, 0, -24), rows: 200, seed: 2147483619, slope: 0 },
  { x: spec(1, 0, -30), y: spec(6, 0, -28), rows: 200, seed: 24, slope: 0 },
  { x: spec(5, 1, -23), y: spec(4, 0, -13), rows: 1200, seed: 24, slope: 0 },
];

// ENTENTE_PROPERTY_RUNS and ENTENTE_PROPERTY_SEED run a longer search locally (CI uses the defaults).
const extraRuns = Number(process.env['ENTENTE_PROPERTY_RUNS'] ?? 0);
const seedOverride = process.env['ENTENTE_PROPERTY_SEED'];
const SUITES = [
  { suite: 'rep3', parties: 3, runs: extraRuns || 20, seed: Number(seedOverride ?? 20) },
  { suite: 'shamir', parties: 3, runs: extraRuns || 8, seed: Number(seedOverride ?? 21) },
] as const;

for (const c of SUITES) {
  describe(`${label(c)}: stated precision holds across the schema's ranges`, () => {
    it(
      'mean, variance, sd, cov, cor, t and regression within their stated bounds',
      async () => {
        await fc.assert(
          fc.asyncProperty(sample, (smp) => check(c, smp)),
          {
            numRuns: c.runs,
            seed: c.seed,
            examples: c.suite === 'rep3' ? FOUND.map((smp) => [smp] as [Sample]) : [],
            endOnFailure: true,
          },
        );
      },
      Math.max(120_000, extraRuns * 15_000),
    );
  });
}
