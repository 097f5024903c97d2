/**
 * Differential privacy inside MPC: discrete Laplace noise drawn jointly, from
 * secret random bits that no party knows, and added to a secret count or sum
 * before it is revealed.
 *
 * Mechanism. For a query of sensitivity Δ (one record changes the result by at
 * most Δ) and privacy parameter ε, the discrete Laplace mechanism adds Z with
 *   P(Z = z) = (1 - q) / (1 + q) * q^|z|,   q = exp(-ε / Δ)
 * (Canonne, Kamath, Steinke, "The discrete Gaussian for differential
 * privacy", NeurIPS 2020, section 2; Ghosh, Roughgarden, Sundararajan 2009),
 * which is ε-differentially private. Z = G1 - G2 for two independent
 * geometric variables with P(G >= k) = q^k.
 *
 * Sampling without revealing. Each G is drawn from a secret uniform
 * U in [0, 2^b), b = 56, assembled from b secret random bits (the suite's
 * randomBits: every party contributes randomness and none learns the bits):
 *   G = #{ k in 1..K : U < tau_k },   tau_k = floor(q'^k 2^b),
 * so P(G >= k) = tau_k / 2^b. The comparisons are against public thresholds,
 * all in one vectorised comparison, and G is their sum; nothing is opened.
 *
 * Exactness and the δ it costs. q' is exp(-ε/Δ) rounded up to a multiple of
 * 2^-b (more noise, never less), computed with integer arithmetic so that
 * every party, in every JavaScript engine, derives the same thresholds. The
 * thresholds are within 2^-b of q'^k, and K is the last k with tau_k >= 1, so
 * the sampled G is within total variation distance
 *   tv_G <= 1.01 (K + 1 / (1 - q')) 2^-b
 * of the ideal geometric, and Z within 2 tv_G of the ideal discrete Laplace.
 * A mechanism that close to an ε-DP one is (ε, (1 + e^ε) tv)-DP; `planDiscreteLaplace`
 * reports this δ and the study refuses analyses whose declared δ is smaller.
 * `samplerPmf` gives the sampler's exact distribution, which the tests check
 * the samples against.
 *
 * Cost: K comparisons of (b + 1)-bit values per geometric, K about
 * b ln 2 Δ / ε (39 for ε/Δ = 1, 3,900 for ε/Δ = 0.01); capped at MAX_K.
 *
 * Assumptions: those of the suite (semi-honest parties, honest majority for
 * rep3 and shamir); the noise is secret exactly as long as the suite keeps
 * the random bits secret. Timing and the number of samples are public.
 */
import { int } from '../../api/types.js';
import type { Session } from '../../api/session.js';
import type { SecretInt } from '../../api/secret.js';

/** Bits of the uniform variable each geometric sample is drawn from. */
export const DP_BITS = 56;
/** Largest number of thresholds per geometric sample. */
export const MAX_K = 1 << 16;
/** Fractional bits of the exact arithmetic computing q' and the thresholds. */
const PREC = 128n;

export interface LaplacePlan {
  readonly epsilon: number;
  readonly sensitivity: number;
  /** Scale t = Δ / ε: P(Z = z) is proportional to exp(-|z| / t). */
  readonly scale: number;
  /** q' = qNum / 2^b >= exp(-ε/Δ). */
  readonly qNum: bigint;
  /** tau_1..tau_K, non-increasing, tau_K >= 1. */
  readonly thresholds: readonly bigint[];
  /** Bound on the total variation distance of one sample Z from the ideal discrete Laplace with q'. */
  readonly tv: number;
  readonly bits: number;
}

/** The exact binary expansion of a finite double: v = m 2^e. */
function exact(v: number): { m: bigint; e: bigint } {
  if (!Number.isFinite(v) || v < 0)
    throw new RangeError(`expected a finite non-negative number, got ${v}`);
  let e = 0;
  let x = v;
  while (!Number.isInteger(x)) {
    x *= 2;
    e--;
  }
  return { m: BigInt(x), e: BigInt(e) };
}

/** floor(exp(x) 2^PREC) from below (Taylor series with floored terms), for exact x >= 0. */
function expFloor(x: number): bigint {
  const { m, e } = exact(x);
  // x = m / 2^-e; term_n = term_{n-1} * x / n, all scaled by 2^PREC.
  const den = 1n << -e;
  let term = 1n << PREC;
  let sum = term;
  for (let n = 1n; term > 0n; n++) {
    term = (term * m) / (den * n);
    sum += term;
  }
  return sum;
}

/**
 * Plans discrete Laplace noise for a query of `sensitivity` at privacy `epsilon`.
 * @throws {RangeError} when the parameters are out of range or need more than MAX_K thresholds.
 */
export function planDiscreteLaplace(
  epsilon: number,
  sensitivity: number,
  bits = DP_BITS,
): LaplacePlan {
  if (!(epsilon > 0) || !Number.isFinite(epsilon) || epsilon > 64)
    throw new RangeError(`discrete Laplace: epsilon must be in (0, 64], got ${epsilon}`);
  if (!Number.isSafeInteger(sensitivity) || sensitivity < 1)
    throw new RangeError(
      `discrete Laplace: sensitivity must be a positive integer, got ${sensitivity}`,
    );
  const x = epsilon / sensitivity;
  const b = BigInt(bits);
  // q' = ceil(2^b / exp(x)) / 2^b >= exp(-x), since expFloor underestimates exp(x).
  const E = expFloor(x);
  const one = 1n << (b + PREC);
  let qNum = (one + E - 1n) / E;
  if (qNum >= 1n << b) qNum = (1n << b) - 1n;
  // tau_k = floor(R_k / 2^PREC), R_k = floor(R_{k-1} qNum / 2^b): within k units of 2^-PREC of q'^k 2^b.
  const thresholds: bigint[] = [];
  let R = 1n << (b + PREC);
  for (;;) {
    R = (R * qNum) >> b;
    const tau = R >> PREC;
    if (tau < 1n) break;
    thresholds.push(tau);
    if (thresholds.length > MAX_K)
      throw new RangeError(
        `discrete Laplace: epsilon ${epsilon} at sensitivity ${sensitivity} needs more than ${MAX_K} comparisons per sample; ` +
          'raise epsilon or narrow the column range',
      );
  }
  const q = Number(qNum) / 2 ** bits;
  const K = thresholds.length;
  const tvG = 1.01 * (K + 1 / (1 - q)) * 2 ** -bits;
  return {
    epsilon,
    sensitivity,
    scale: sensitivity / epsilon,
    qNum,
    thresholds,
    tv: 2 * tvG,
    bits,
  };
}

/** The δ of `samples` draws from these plans, as part of an analysis of total ε `epsilon`. */
export function samplerDelta(
  plans: ReadonlyArray<{ plan: LaplacePlan; samples: number }>,
  epsilon: number,
): number {
  let tv = 0;
  for (const { plan, samples } of plans) tv += plan.tv * samples;
  return (1 + Math.exp(epsilon)) * tv;
}

/** The exact distribution of the sampler's G: P(G = k), k = 0..K. */
export function samplerGeometricPmf(plan: LaplacePlan): number[] {
  const total = 2 ** plan.bits;
  const tau = [BigInt(2 ** plan.bits), ...plan.thresholds, 0n];
  return plan.thresholds.concat([0n]).map((_, k) => Number(tau[k]! - tau[k + 1]!) / total);
}

/** The exact distribution of the sampler's Z = G1 - G2, as a map from z to P(Z = z). */
export function samplerPmf(plan: LaplacePlan): Map<number, number> {
  const g = samplerGeometricPmf(plan);
  const out = new Map<number, number>();
  for (let a = 0; a < g.length; a++)
    for (let c = 0; c < g.length; c++) {
      const z = a - c;
      out.set(z, (out.get(z) ?? 0) + g[a]! * g[c]!);
    }
  return out;
}

/** The ideal discrete Laplace pmf with parameter q: (1 - q) / (1 + q) q^|z|. */
export function discreteLaplacePmf(q: number, z: number): number {
  return ((1 - q) / (1 + q)) * q ** Math.abs(z);
}

/**
 * `count` samples of discrete Laplace noise as secret integers, drawn jointly:
 * no party learns them. Every party calls it with the same plan and count.
 * @example
 *   const noisy = count.add(sampleDiscreteLaplace(s, planDiscreteLaplace(0.5, 1), 1));
 */
export function sampleDiscreteLaplace(s: Session, plan: LaplacePlan, count: number): SecretInt {
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError(
      `sampleDiscreteLaplace: count must be a non-negative integer, got ${count}`,
    );
  const K = plan.thresholds.length;
  const b = plan.bits;
  const m = 2 * count; // two geometric samples per Laplace sample
  // Secret uniform U_j = sum_i 2^i bit_{j,i}: a local linear combination of shared random bits.
  const u = s.randomInts(m, b);
  if (K === 0 || m === 0) return s.constant(int(2), new Array<number>(count).fill(0));
  // [U_j < tau_k] for every j, k: one comparison of m K elements against public thresholds.
  const idx = new Uint32Array(m * K);
  const taus = new BigInt64Array(m * K);
  for (let j = 0; j < m; j++)
    for (let k = 0; k < K; k++) {
      idx[j * K + k] = j;
      taus[j * K + k] = plan.thresholds[k]!;
    }
  const rep = u.gather(idx);
  const below = rep.lt(taus).toInt(2);
  // G_j = sum_k [U_j < tau_k]; Z = G_{2i} - G_{2i+1}.
  const kBits = Math.ceil(Math.log2(K + 1)) + 1;
  // At most K: kBits + 1 bits by construction.
  const g = below.sumGroups(K).assumeBound(kBits + 1);
  const even = Uint32Array.from({ length: count }, (_, i) => 2 * i);
  const odd = Uint32Array.from({ length: count }, (_, i) => 2 * i + 1);
  const g1 = g.gather(even);
  const g2 = g.gather(odd);
  return g1.sub(g2);
}

/**
 * x plus fresh discrete Laplace noise for each element (shape kept).
 * @throws {RangeError} when the noisy value could exceed 64 bits.
 */
export function addDiscreteLaplace(s: Session, x: SecretInt, plan: LaplacePlan): SecretInt {
  const noise = sampleDiscreteLaplace(s, plan, x.length);
  return x.add(x.shape.length === 0 ? noise.at(0) : noise.reshape(x.shape));
}
