/**
 * The parts of the lattice HE layer that run without SEAL: the sigmoid fit
 * (against a direct check of its error and of least squares), parameter
 * validation against the HomomorphicEncryption.org bounds, and the typed
 * refusal to load SEAL on an engine that cannot compile it (Node 20).
 */
import { describe, expect, it } from 'vitest';
import { LatticeParameterError, LatticeUnavailableError } from '../../src/he/lattice/errors.js';
import {
  LATTICE_PRESETS,
  MAX_MODULUS_BITS_128,
  resolveParams,
} from '../../src/he/lattice/params.js';
import { loadSeal, sealSupported } from '../../src/he/lattice/seal.js';
import { evalCubic, fitSigmoid, logistic, SIGMOID_FIT_8 } from '../../src/he/lattice/sigmoid.js';
import { sumSteps } from '../../src/he/lattice/client.js';

describe('sigmoid fit', () => {
  it('is the stated degree-3 least-squares fit on [-8, 8], with its stated error', () => {
    const { coeffs, maxError } = SIGMOID_FIT_8;
    // σ(x) - 1/2 is odd, so the fit is 1/2 plus an odd cubic.
    expect(coeffs[0]).toBeCloseTo(0.5, 12);
    expect(Math.abs(coeffs[2])).toBeLessThan(1e-12);
    expect(maxError).toBeGreaterThan(0.11);
    expect(maxError).toBeLessThan(0.12);
    let worst = 0;
    for (let x = -8; x <= 8; x += 1 / 1024)
      worst = Math.max(worst, Math.abs(evalCubic(coeffs, x) - logistic(x)));
    expect(worst).toBeLessThanOrEqual(maxError + 1e-9);
    // Least squares: nudging any coefficient increases the squared error.
    const sq = (c: readonly [number, number, number, number]) => {
      // Trapezoid rule on 2049 points: the continuous L2 norm the fit minimises.
      let s = 0;
      for (let i = 0; i <= 2048; i++) {
        const x = -8 + i / 128;
        s += (i === 0 || i === 2048 ? 0.5 : 1) * (evalCubic(c, x) - logistic(x)) ** 2;
      }
      return s;
    };
    const base = sq(coeffs);
    for (let k = 0; k < 4; k++)
      for (const d of [-1e-4, 1e-4]) {
        const c = [...coeffs] as [number, number, number, number];
        c[k] = c[k]! + d / 8 ** k;
        expect(sq(c)).toBeGreaterThan(base);
      }
  });

  it('fits smaller intervals more closely and refuses a bad radius', () => {
    expect(fitSigmoid(4).maxError).toBeLessThan(SIGMOID_FIT_8.maxError);
    expect(() => fitSigmoid(0)).toThrow(RangeError);
    expect(() => fitSigmoid(Number.NaN)).toThrow(/radius must be in/);
  });
});

describe('lattice parameters', () => {
  it('keeps every preset within the 128-bit modulus bound for its degree', () => {
    for (const p of Object.values(LATTICE_PRESETS)) {
      const total = p.coeffModulusBits.reduce((a: number, b: number) => a + b, 0);
      expect(total).toBeLessThanOrEqual(MAX_MODULUS_BITS_128[p.polyModulusDegree]!);
      expect(resolveParams(p)).toBe(p);
    }
  });

  it('refuses parameters beyond the bound or malformed, naming the problem', () => {
    const ok = {
      scheme: 'ckks',
      polyModulusDegree: 8192,
      coeffModulusBits: [60, 40, 40, 60],
      scaleBits: 40,
    } as const;
    expect(resolveParams(ok)).toBe(ok);
    expect(() => resolveParams({ ...ok, coeffModulusBits: [60, 40, 40, 40, 40] })).toThrow(
      /220 bits of coefficient modulus exceed the 128-bit bound of 218 at n = 8192/,
    );
    expect(() => resolveParams({ ...ok, polyModulusDegree: 6000 })).toThrow(LatticeParameterError);
    expect(() => resolveParams({ ...ok, coeffModulusBits: [60] })).toThrow(
      /two coefficient primes/,
    );
    expect(() => resolveParams({ ...ok, scaleBits: 0 })).toThrow(/scaleBits/);
    expect(() =>
      resolveParams({ scheme: 'bfv', polyModulusDegree: 8192, coeffModulusBits: [60, 60] }),
    ).toThrow(/plainModulusBits/);
    expect(() => resolveParams('ckks-4096' as never)).toThrow(/unknown preset 'ckks-4096'/);
  });

  it('rotates by halving steps to sum a vector', () => {
    expect(sumSteps(64)).toEqual([32, 16, 8, 4, 2, 1]);
    expect(sumSteps(1)).toEqual([]);
    expect(sumSteps(5)).toEqual([4, 2, 1]);
    expect(() => sumSteps(0)).toThrow(RangeError);
  });
});

describe.runIf(!sealSupported())('loading SEAL where the engine lacks exnref', () => {
  it('refuses with a typed error instead of an Emscripten abort', async () => {
    await expect(loadSeal()).rejects.toBeInstanceOf(LatticeUnavailableError);
    await expect(loadSeal()).rejects.toThrow(/exception references/);
  });
});

describe('the Chromium adapter bounds every call into the page', () => {
  it('rejects with a LatticeError after the bound and closes the browser', async () => {
    const { bounded } = await import('../../src/adapters/node/seal-browser.js');
    const { LatticeError } = await import('../../src/he/lattice/errors.js');
    let closed = 0;
    const stop = async () => {
      closed++;
    };
    const never = new Promise<number>(() => {});
    await expect(bounded(never, 50, stop)).rejects.toBeInstanceOf(LatticeError);
    expect(closed).toBe(1);
    await expect(bounded(never, 50, stop)).rejects.toThrow(/did not answer within 50 ms/);
    // An answer in time passes through and closes nothing.
    await expect(bounded(Promise.resolve(7), 1000, stop)).resolves.toBe(7);
    expect(closed).toBe(2);
  });
});
