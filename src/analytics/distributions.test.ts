/**
 * Distribution functions against closed forms (chi-squared with 2 degrees of
 * freedom, t with 1 and 2, Gamma at integers and 1/2) and against values of
 * R's pt/pchisq/pnorm (which scipy.stats reproduces to the digits given).
 */
import { describe, expect, it } from 'vitest';
import {
  betaI,
  chiSquaredCdf,
  chiSquaredSf,
  gammaP,
  gammaQ,
  lnGamma,
  normalCdf,
  studentTCdf,
  studentTQuantile,
  fSf,
  normalQuantile,
  studentTTwoSided,
} from './distributions.js';

const close = (a: number, b: number, tol = 1e-13) =>
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));

describe('lnGamma', () => {
  it('matches factorials and Gamma(1/2) = sqrt(pi)', () => {
    let f = 1;
    for (let n = 1; n < 30; n++) {
      close(lnGamma(n), Math.log(f), 1e-14);
      f *= n;
    }
    close(lnGamma(0.5), 0.5 * Math.log(Math.PI));
    close(lnGamma(1.5), Math.log(Math.sqrt(Math.PI) / 2));
    close(lnGamma(-0.5), Math.log(2 * Math.sqrt(Math.PI)));
    expect(() => lnGamma(0)).toThrow(/^lnGamma: pole at 0/);
    expect(() => lnGamma(-3)).toThrow(RangeError);
  });
});

describe('incomplete gamma and beta', () => {
  it('P(1, x) = 1 - e^-x, P + Q = 1, edges', () => {
    for (const x of [0.001, 0.5, 1, 2, 10, 50]) {
      close(gammaP(1, x), 1 - Math.exp(-x));
      close(gammaP(3.7, x) + gammaQ(3.7, x), 1);
    }
    expect(gammaP(2, 0)).toBe(0);
    expect(gammaQ(2, 0)).toBe(1);
    expect(gammaP(2, Infinity)).toBe(1);
    expect(gammaQ(2, -1)).toBe(1);
    expect(Number.isNaN(gammaP(2, NaN))).toBe(true);
    expect(() => gammaP(0, 1)).toThrow(/^gammaP: a must be positive/);
  });

  it('I_x(a, 1) = x^a, I_x(1, b) = 1 - (1-x)^b, symmetry', () => {
    for (const x of [0.01, 0.3, 0.5, 0.77, 0.999]) {
      close(betaI(x, 2.5, 1), x ** 2.5);
      close(betaI(x, 1, 4.2), 1 - (1 - x) ** 4.2);
      close(betaI(x, 3.3, 0.7), 1 - betaI(1 - x, 0.7, 3.3));
    }
    expect(betaI(0, 2, 3)).toBe(0);
    expect(betaI(1, 2, 3)).toBe(1);
    expect(() => betaI(0.5, -1, 3)).toThrow(RangeError);
  });
});

describe('normal, t and chi-squared', () => {
  it('normal CDF at published points', () => {
    close(normalCdf(0), 0.5);
    close(normalCdf(1.959963984540054), 0.975, 1e-12);
    close(normalCdf(-1), 0.15865525393145707, 1e-12);
    close(normalCdf(3), 0.9986501019683699, 1e-12);
  });

  it('t with 1 and 2 degrees of freedom in closed form', () => {
    for (const t of [-30, -2.5, -0.3, 0, 0.7, 4, 100]) {
      close(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-12);
      close(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-12);
      close(studentTTwoSided(t, 5), 2 * Math.min(studentTCdf(t, 5), 1 - studentTCdf(t, 5)), 1e-12);
    }
  });

  it('t CDF against R: pt(2, 10), pt(-1.5, 3.7), pt(0.3, 1000), and the quantile qt(0.975, 10)', () => {
    close(studentTCdf(2, 10), 0.9633059826146299, 1e-12);
    close(studentTCdf(-1.5, 3.7), 0.10679908460100675, 1e-12);
    close(studentTCdf(0.3, 1000), 0.617880247916378, 1e-12);
    close(studentTCdf(1.2, Infinity), normalCdf(1.2));
    close(studentTQuantile(0.975, 10), 2.228138851986274, 1e-11);
    close(studentTQuantile(0.025, 17.776), -studentTQuantile(0.975, 17.776), 1e-10);
    expect(() => studentTCdf(1, 0)).toThrow(/^studentTCdf: df must be positive/);
    expect(() => studentTQuantile(1, 3)).toThrow(RangeError);
  });

  it('chi-squared: closed forms for k = 1 and 2, and R: pchisq(3.841459, 1), pchisq(10, 7.5)', () => {
    for (const x of [0.01, 0.5, 3, 12, 40]) {
      close(chiSquaredCdf(x, 2), 1 - Math.exp(-x / 2));
      close(chiSquaredCdf(x, 1), 2 * normalCdf(Math.sqrt(x)) - 1, 1e-12);
    }
    close(chiSquaredCdf(3.841459, 1), 0.9500000053468044, 1e-12);
    close(chiSquaredCdf(10, 7.5), 0.7745765684841672, 1e-12);
    // Far tails keep their relative precision: p-values as small as R prints.
    close(chiSquaredSf(30.070149095754672, 2), 2.9535891832117595e-7, 1e-9);
    close(chiSquaredSf(200, 1) / 2.0884875837625688e-45, 1, 1e-9);
    expect(chiSquaredSf(0, 3)).toBe(1);
  });

  it('F upper tail and the normal quantile against R: pf(..., lower.tail = FALSE), qnorm', () => {
    close(fSf(3.2, 2, 17), 0.066142566666421362, 1e-12);
    close(fSf(131.495811180698, 3, 56) / 2.5128484061695917e-25, 1, 1e-8);
    close(fSf(0.5, 1, 1), 0.60817344796939288, 1e-12);
    expect(fSf(0, 2, 3)).toBe(1);
    expect(() => fSf(1, 0, 3)).toThrow(RangeError);
    close(normalQuantile(0.975), 1.9599639845400536, 1e-11);
    close(normalQuantile(0.995), 2.5758293035488999, 1e-11);
    close(normalQuantile(0.001), -3.0902323061678132, 1e-11);
    expect(normalQuantile(0.5)).toBe(0);
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });
});
