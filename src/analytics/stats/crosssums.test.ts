/**
 * Linear regression, covariance and correlation from each party's own exact
 * sums (crosssums.ts) against
 * the per-record path (regression.ts on secret columns) and plain float64:
 * narrow and wide columns, values at the type's extremes, a wide column in a
 * small part of its range (the finest level), one row and a constant column.
 * Every party runs for real; the sums are checked against a plain sum too.
 */
import { describe, expect, it } from 'vitest';
import type { Session } from '../../api/session.js';
import { fixed, int, type FixedType, type IntType } from '../../api/types.js';
import { label, run } from '../../../test/harness.js';
import {
  corErrorBound,
  covErrorBound,
  linearRegressionErrorBound,
  linearRegressionSeBound,
} from './bounds.js';
import { crossLayout, localCrossSums, pooledCrossMatrix, type CrossColumn } from './crosssums.js';
import { LIMB_BITS, toLimbs } from './pooled.js';
import { cor, cov, linearModelOf, linearRegression, type LinearModel } from './regression.js';
import { column, plainCov, plainMean, plainSe, rng, solveDense } from './testdata.js';

type NumType = IntType | FixedType;
const fracOf = (t: NumType) => (t.kind === 'fixed' ? t.frac : 0);
const shapeOf = (t: NumType): CrossColumn => ({ bound: t.bits, frac: fracOf(t) });

/** Party k's rows of n: [k n / P, (k + 1) n / P), as testdata's `column`. */
function ownRows(s: Session, n: number): [number, number] {
  const P = s.parties.length;
  const k = s.parties.indexOf(s.me);
  return [Math.floor((k * n) / P), Math.floor(((k + 1) * n) / P)];
}

/** The model from each party's own sums of its rows of `cols` (features, then y). */
function pooledModel(s: Session, types: readonly NumType[], cols: readonly number[][]) {
  const n = cols[0]!.length;
  const layout = crossLayout(types.map(shapeOf), n);
  const [lo, hi] = ownRows(s, n);
  const values = cols.map((c, j) =>
    Float64Array.from(c.slice(lo, hi), (v) => Math.round(v * 2 ** fracOf(types[j]!))),
  );
  const mine = toLimbs(localCrossSums(layout, values, new Uint8Array(hi - lo).fill(1)));
  const parts = s.parties.map((p) =>
    s.input(p, int(LIMB_BITS + 2), p === s.me ? mine : layout.length * 3),
  );
  const sum = parts.slice(1).reduce((a, b) => a.add(b), parts[0]!);
  const c = pooledCrossMatrix(sum, layout, 20);
  const last = types.length - 1;
  return {
    model: linearModelOf(
      c,
      types.map((t) => t.bits - 1 - fracOf(t)),
      20,
    ),
    // As reg.cov and reg.cor compute them from the same matrix.
    cov: c.cov(0, last, 20).rescale(20).toFixed(20),
    cor: c.cor(0, last, 28).rescale(20).toFixed(20),
  };
}

async function reveal(m: LinearModel) {
  const [coef, se, r2, sigma, n] = await Promise.all(
    [m.coefficients, m.standardErrors, m.rSquared, m.sigma, m.n].map(async (v) =>
      Array.from(await v.reveal(), Number),
    ),
  );
  return {
    coef: coef!,
    se: se!,
    r2: r2![0]!,
    sigma: sigma![0]!,
    n: n![0]!,
    plan: m.precision,
  };
}

const sdOf = (x: readonly number[]) => Math.sqrt(Math.max(0, plainCov(x, x)));
const plainCor = (x: readonly number[], y: readonly number[]) =>
  sdOf(x) > 0 && sdOf(y) > 0 ? plainCov(x, y) / (sdOf(x) * sdOf(y)) : 0;

interface Case {
  name: string;
  types: NumType[];
  cols: number[][];
}

function cases(): Case[] {
  const r = rng(57);
  const n = 240;
  const u = () => r() - 0.5;
  const age = Array.from({ length: n }, () => 18 + Math.floor(r() * 78));
  const arm = Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
  const q = (v: number, f: number) => Math.round(v * 2 ** f) / 2 ** f;
  return [
    {
      name: 'narrow integers (age, a 0/1 arm, days)',
      types: [int(8), int(2), int(8)],
      cols: [age, arm, age.map((a, i) => Math.round(10 + a * 0.3 + 5 * arm[i]! + 8 * u()))],
    },
    {
      name: 'fixed(32, 16) spread over its range (the plain grid and coarse levels)',
      types: [fixed({ bits: 32, frac: 16 }), int(8), fixed({ bits: 32, frac: 16 })],
      cols: (() => {
        const x = Array.from({ length: n }, () => q(u() * 6e4, 16));
        return [x, age, x.map((v, i) => q(v * 0.25 + age[i]! * 10 + 300 * u(), 16))];
      })(),
    },
    {
      // (Values near 1,000,000 break the per-record path's standard errors: |mean / sd| passes
      // the 2^7 its intercept se allows; the pooled path gives the same numbers there.)
      name: 'fixed(38, 16): 3 +- 0.5 (the finest level of a wide column)',
      types: [fixed({ bits: 38, frac: 16 }), int(8), fixed({ bits: 32, frac: 16 })],
      cols: (() => {
        const x = Array.from({ length: n }, () => q(3 + u(), 16));
        return [x, age, x.map((v, i) => q((v - 3) * 40 + age[i]! * 0.5 + u(), 16))];
      })(),
    },
    {
      name: "int(16) at the type's extremes",
      types: [int(16), int(8), int(16)],
      cols: [
        Array.from({ length: n }, (_, i) =>
          i % 3 === 0 ? -(2 ** 15) : i % 3 === 1 ? 2 ** 15 - 1 : 0,
        ),
        age,
        Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -(2 ** 15) : 2 ** 15 - 1)),
      ],
    },
  ];
}

const SUITES = [
  { suite: 'rep3', parties: 3 },
  { suite: 'shamir', parties: 3 },
] as const;

for (const c of SUITES) {
  describe(`${label(c)}: linear regression from the parties' own sums`, () => {
    for (const k of cases()) {
      it(`${k.name}: as the per-record path and within the stated bounds`, async () => {
        const got = await run(c, async (s) => {
          const secret = k.cols.map((x, j) => column(s, k.types[j]!, x));
          const record = await reveal(linearRegression(secret.at(-1)!, secret.slice(0, -1)));
          const p = pooledModel(s, k.types, k.cols);
          const pooled = await reveal(p.model);
          const pair = await Promise.all(
            [cov(secret[0]!, secret.at(-1)!), cor(secret[0]!, secret.at(-1)!), p.cov, p.cor].map(
              async (v) => Number((await v.reveal())[0]!),
            ),
          );
          return { record, pooled, pair };
        });
        const feats = k.cols.slice(0, -1);
        const y = k.cols.at(-1)!;
        const all = k.cols;
        const design = {
          shapes: k.types.map(shapeOf),
          rows: y.length,
          sds: all.map(sdOf),
          means: all.map(plainMean),
          R: feats.flatMap((a) => feats.map((b) => plainCor(a, b))),
          r: feats.map((a) => plainCor(a, y)),
        };
        const bounds = linearRegressionErrorBound(design);
        // The coefficients in float64 from the centred normal equations (a raw X^T X of
        // values near 1e6 loses the intercept in float64).
        const mx = feats.map(plainMean);
        const my = plainMean(y);
        const xtx = feats.map((a) => feats.map((b) => plainCov(a, b)));
        const slopes = solveDense(
          xtx,
          feats.map((a) => plainCov(a, y)),
        );
        const beta = [my - slopes.reduce((t, b, j) => t + b * mx[j]!, 0), ...slopes];
        // Sigma and the slopes' se from centred features (the same model); the intercept's
        // se^2 = sigma^2 (1/n + m^T C^-1 m), C the centred cross products.
        const centred = plainSe(
          y,
          feats.map((f, j) => f.map((v) => v - mx[j]!)),
        );
        const Cm = solveDense(
          xtx.map((row) => row.map((v) => v * (y.length - 1))),
          mx,
        );
        const se0 =
          centred.sigma * Math.sqrt(1 / y.length + Cm.reduce((t, v, j) => t + v * mx[j]!, 0));
        const plain = { sigma: centred.sigma, se: [se0, ...centred.se.slice(1)] };
        expect(got.pooled.n).toBe(y.length);
        expect(Number.isFinite(bounds.rSquared), 'a bound is stated').toBe(true);
        for (const [name, m] of Object.entries({ record: got.record, pooled: got.pooled })) {
          beta.forEach((b, j) =>
            expect(
              Math.abs(m.coef[j]! - b),
              `${name} coefficient ${j}: ${m.coef[j]} vs ${b}`,
            ).toBeLessThanOrEqual(bounds.coefficients[j]!),
          );
          const se = linearRegressionSeBound(design, m.plan);
          if (Number.isFinite(se.sigma))
            expect(Math.abs(m.sigma - plain.sigma), `${name} sigma`).toBeLessThanOrEqual(se.sigma);
          se.standardErrors.forEach((bnd, j) => {
            if (Number.isFinite(bnd))
              expect(Math.abs(m.se[j]! - plain.se[j]!), `${name} se ${j}`).toBeLessThanOrEqual(bnd);
          });
        }
        // Both paths within the sum of their bounds of each other, with the same public formats.
        got.record.coef.forEach((b, j) =>
          expect(Math.abs(got.pooled.coef[j]! - b)).toBeLessThanOrEqual(
            2 * bounds.coefficients[j]!,
          ),
        );
        expect(Math.abs(got.pooled.r2 - got.record.r2)).toBeLessThanOrEqual(2 * bounds.rSquared);
        expect(got.pooled.plan).toEqual(got.record.plan);
        // Covariance and correlation of the first column and y: both paths within the bounds.
        const [x0, sx, sy] = [all[0]!, shapeOf(k.types[0]!), shapeOf(k.types.at(-1)!)];
        const covBound = covErrorBound(sx, sy, y.length, sdOf(x0), sdOf(y));
        const corBound = corErrorBound(sx, sy, y.length, sdOf(x0), sdOf(y));
        const [recCov, recCor, pooledCov, pooledCor] = got.pair as [number, number, number, number];
        for (const v of [recCov, pooledCov])
          expect(Math.abs(v - plainCov(x0, y)), 'cov').toBeLessThanOrEqual(covBound);
        for (const v of [recCor, pooledCor])
          expect(Math.abs(v - plainCor(x0, y)), 'cor').toBeLessThanOrEqual(corBound);
      }, 60_000);
    }

    it('one row and a constant column: the same numbers as the per-record path', async () => {
      const one = { types: [int(8), int(8)] as NumType[], cols: [[40], [7]] };
      const r = rng(5);
      const konst = {
        types: [int(8), int(8), int(8)] as NumType[],
        cols: [
          Array.from({ length: 30 }, () => 50),
          Array.from({ length: 30 }, () => Math.floor(r() * 100) - 50),
          Array.from({ length: 30 }, () => Math.floor(r() * 100) - 50),
        ],
      };
      const got = await run(c, async (s) => {
        const out = [];
        for (const k of [one, konst]) {
          const secret = k.cols.map((x, j) => column(s, k.types[j]!, x));
          out.push({
            record: await reveal(linearRegression(secret.at(-1)!, secret.slice(0, -1))),
            pooled: await reveal(pooledModel(s, k.types, k.cols).model),
          });
        }
        return out;
      });
      for (const { record, pooled } of got) {
        expect(pooled.n).toBe(record.n);
        expect(pooled.coef.length).toBe(record.coef.length);
        pooled.coef.forEach((b, j) => expect(b).toBeCloseTo(record.coef[j]!, 3));
        pooled.se.forEach((v, j) => expect(v).toBeCloseTo(record.se[j]!, 3));
        expect(pooled.r2).toBeCloseTo(record.r2, 4);
        expect(pooled.sigma).toBeCloseTo(record.sigma, 3);
      }
    }, 60_000);
  });
}

describe('localCrossSums', () => {
  it('the blocked double sums equal BigInt sums, with weights, negative values and shifts', () => {
    const r = rng(9);
    const rows = 500;
    const types: CrossColumn[] = [
      { bound: 20, frac: 0 },
      { bound: 32, frac: 16 },
    ];
    const layout = crossLayout(types, 1000);
    expect(layout.shifts[1]!.length).toBeGreaterThan(1);
    const vals = [
      Float64Array.from({ length: rows }, () => Math.floor((r() - 0.5) * 2 ** 19)),
      Float64Array.from({ length: rows }, () => Math.floor((r() - 0.5) * 2 ** 31)),
    ];
    const use = Uint8Array.from({ length: rows }, () => (r() < 0.8 ? 1 : 0));
    const w = Float64Array.from({ length: rows }, () => 1 + Math.floor(r() * 5));
    const got = localCrossSums(layout, vals, use, w);
    const big = vals.map((v) => BigInt64Array.from(v, (x) => BigInt(x)));
    expect(localCrossSums(layout, big, use, w)).toEqual(got);
    // A plain reference for a few entries.
    let s1 = 0n;
    let p01 = 0n;
    const sh = layout.shifts[1]![0]!;
    for (let i = 0; i < rows; i++) {
      if (!use[i]) continue;
      const a = BigInt(vals[0]![i]!);
      const b = BigInt(vals[1]![i]!) >> BigInt(sh);
      s1 += BigInt(w[i]!) * BigInt(vals[1]![i]!);
      p01 += BigInt(w[i]!) * a * b;
    }
    expect(got[layout.sum(1)]).toBe(s1);
    expect(got[layout.pair(0, 1, 0, 0)]).toBe(p01);
    expect(got[0]).toBe(BigInt(w.reduce((t, v, i) => t + (use[i] ? v : 0), 0)));
  });
});
