/**
 * Survival analysis over public time points: Kaplan-Meier curves per group
 * and the log-rank test between two groups.
 *
 * Model: each row has a time (integer days, or any numeric column) and an
 * event flag (1 = the event happened at that time, 0 = censored then). The
 * analyst gives public time points t_1 < ... < t_K (for example every 7 or
 * 30 days up to a horizon). Rows are counted per interval (t_(k-1), t_k]
 * (t_0 = minus infinity): d_k events, c_k censorings, and n_k, the number
 * still at risk at the start of the interval (time > t_(k-1)). Then
 *   S(t_k) = prod_(j <= k) (1 - d_j / n_j)
 * and, for two groups, the log-rank statistic
 *   (sum_k (d1_k - d_k n1_k / n_k))^2 / sum_k d_k (n1_k / n_k)(1 - n1_k / n_k)(n_k - d_k)/(n_k - 1).
 * This is exactly Kaplan-Meier and the log-rank test (R's survfit and
 * survdiff) on the times rounded up to the next time point; with a point at
 * every day of integer times it is exactly R's answer.
 *
 * What is revealed: nothing here; the outputs (the curve at the public
 * points, the counts, the statistic) are secret for the caller to suppress
 * or noise before revealing. The time points are public.
 * References: Kaplan, Meier, JASA 53 (1958); Mantel, Cancer Chemotherapy
 * Reports 50 (1966); Peto and Peto, JRSS A 135 (1972).
 */
import type { SecretBool, SecretFixed, SecretInt } from '../../api/secret.js';
import { chiSquaredSf } from '../distributions.js';
import { belowEncoded } from './describe.js';
import {
  checkBool,
  checkColumn,
  groupWeights,
  resultFrac,
  type Column,
  type ResultOptions,
} from './common.js';
import { Fx, fixConst } from './fx.js';

/** Per-interval counts of G groups at K time points (vectors laid out group-major, G x K). */
interface Counts {
  G: number;
  K: number;
  /** At risk at the start of each interval. */
  atRisk: Fx;
  events: Fx;
  censored: Fx;
}

/** Largest number of elements materialised at once for the inner products. */
const CHUNK = 1 << 22;

function countIntervals(
  op: string,
  time: Column,
  event: SecretBool,
  times: readonly number[],
  groups: readonly SecretBool[] | undefined,
  where: SecretBool | undefined,
): Counts {
  const N = checkColumn(op, time, 'time');
  checkBool(op, event, N, 'event');
  const K = times.length;
  if (K === 0) throw new RangeError(`${op}: no time points`);
  for (let k = 1; k < K; k++)
    if (!(times[k]! > times[k - 1]!))
      throw new RangeError(`${op}: time points must increase (point ${k})`);
  const T = Fx.of(time);
  // [time <= t_k] = [enc(time) < enc(t_k) + 1].
  const A = belowEncoded(
    op,
    T,
    times.map((t) => fixConst(t, T.frac) + 1n),
  );
  const { w, G } = groupWeights(op, N, where, groups, time.session);
  const wd = Fx.of(event).tile(G).mulBit(w);
  const W = Fx.concat([w, wd]); // 2G rows: all rows, then event rows
  const rows = 2 * G;
  const n = w.sumGroups(N); // G
  // cum[r][k] = sum_i W[r][i] A[k][i], in chunks of time points to bound memory.
  const per = Math.max(1, Math.floor(CHUNK / (rows * N || 1)));
  const chunks: Fx[] = [];
  for (let k0 = 0; k0 < K; k0 += per) {
    const kc = Math.min(per, K - k0);
    const iw = Uint32Array.from({ length: rows * kc * N }, (_, q) => {
      const r = Math.floor(q / (kc * N));
      return r * N + (q % N);
    });
    const ia = Uint32Array.from({ length: rows * kc * N }, (_, q) => {
      const k = k0 + (Math.floor(q / N) % kc);
      return k * N + (q % N);
    });
    chunks.push(W.gather(iw).dotGroups(A.gather(ia), N, 0));
  }
  // Reorder (chunk, r, k) to (r, k).
  const order: number[] = [];
  for (let r = 0; r < rows; r++)
    for (let k = 0; k < K; k++) {
      const c = Math.floor(k / per);
      const kc = Math.min(per, K - c * per);
      order.push(c * rows * per + r * kc + (k % per));
    }
  const cum = Fx.concat(chunks).gather(Uint32Array.from(order));
  const all = cum.slice(0, G * K);
  const ev = cum.slice(G * K, 2 * G * K);
  // Previous interval's cumulative count (0 before the first point).
  const prev = (c: Fx) =>
    Fx.concat([Fx.zero(c.session, 1), c]).gather(
      Uint32Array.from({ length: G * K }, (_, q) => (q % K === 0 ? 0 : q)),
    );
  const nRep = n.repeatEach(K);
  const atRisk = nRep.sub(prev(all)).withBound(n.bound);
  const events = ev.sub(prev(ev)).withBound(n.bound);
  const censored = all.sub(prev(all)).sub(events).withBound(n.bound);
  return { G, K, atRisk, events, censored };
}

export interface KaplanMeier {
  /** The public time points. */
  times: number[];
  /** At risk at the start of each interval, [groups, points]. */
  atRisk: SecretInt;
  /** Events in each interval (t_(k-1), t_k], [groups, points]. */
  events: SecretInt;
  /** Censorings in each interval, [groups, points]. */
  censored: SecretInt;
  /** S(t_k), [groups, points]; exactly 0 from the interval where everyone left had the event. */
  survival: SecretFixed;
  /**
   * Greenwood's variance of log S(t_k), sum_(j <= k) d_j / (n_j (n_j - d_j)),
   * [groups, points] (meaningless where S = 0); for confidence bands in the
   * clear (inference.ts, kaplanMeierBand).
   */
  greenwood: SecretFixed;
}

/**
 * Kaplan-Meier survival curves at public time points, per group (one-hot
 * indicators; one curve of all rows without groups), over the rows `where`
 * selects. Once no one is at risk the curve stays at its last value.
 *
 * Precision: counts exact; each factor 1 - d/n has relative error below
 * 2^-24 (30 fractional bits), so S(t_k) is within about k 2^-24 of the exact
 * product, then rounded to 2^-frac.
 * Cost: n K comparisons (one round), one round of 2 G K inner products of
 * length n (in chunks of 4M elements), one division of G K values and
 * ceil(log2 K) multiplication rounds for the running products.
 * @example
 *   const km = kaplanMeier(days, died, [30, 60, 90, 180, 365], { groups: [armA, armB] });
 * @throws {RangeError} for time points that do not increase, or lengths that differ.
 */
export function kaplanMeier(
  time: Column,
  event: SecretBool,
  times: readonly number[],
  opts: ResultOptions & { groups?: readonly SecretBool[] } = {},
): KaplanMeier {
  const op = 'kaplanMeier';
  const f = resultFrac(op, opts.frac);
  const c = countIntervals(op, time, event, times, opts.groups, opts.where);
  const { G, K } = c;
  const { survival, greenwood } = survivalWithGreenwood(c.atRisk, c.events, G, K);
  const shape = [G, K];
  return {
    times: [...times],
    atRisk: c.atRisk.toInt().reshape(shape),
    events: c.events.toInt().reshape(shape),
    censored: c.censored.toInt().reshape(shape),
    survival: survival.rescale(f).toFixed(f).reshape(shape),
    greenwood: greenwood.rescale(Math.max(f, 30)).toFixed().reshape(shape),
  };
}

/**
 * Kaplan-Meier products from per-interval counts (G groups x K points,
 * group-major): S(t_k) = prod_(j <= k) (1 - d_j / n_j), a factor of 1 where
 * no one is at risk; quotients with 30 fractional bits, running products by a
 * Hillis-Steele scan (log2 K rounds of multiplications). 30 fractional bits
 * in the result. Also used on counts the data owners aggregated themselves
 * (src/analytics/study/grouped.ts).
 */
export function survivalProducts(atRisk: Fx, events: Fx, G: number, K: number): Fx {
  return productsOf(atRisk, events, atRisk.eqz(), G, K);
}

function productsOf(atRisk: Fx, events: Fx, empty: Fx, G: number, K: number): Fx {
  const factor = atRisk
    .sub(events)
    .divide(atRisk, { qBits: 1, frac: 30 })
    .add(empty.rescale(30))
    .withBound(32);
  let P = factor;
  for (let step = 1; step < K; step *= 2) {
    const hiIdx: number[] = [];
    const loIdx: number[] = [];
    for (let g = 0; g < G; g++)
      for (let k = step; k < K; k++) {
        hiIdx.push(g * K + k);
        loIdx.push(g * K + k - step);
      }
    const prod = P.gather(Uint32Array.from(hiIdx))
      .mul(P.gather(Uint32Array.from(loIdx)), 30)
      .withBound(32);
    const pos = new Map<number, number>();
    hiIdx.forEach((q, j) => pos.set(q, j));
    P = Fx.concat([P, prod]).gather(
      Uint32Array.from({ length: G * K }, (_, q) => {
        const j = pos.get(q);
        return j === undefined ? q : G * K + j;
      }),
    );
  }
  return P;
}

/** Running sums along each of G rows of K (group-major), by log2 K local additions. */
function prefixSums(x: Fx, G: number, K: number, bound: number): Fx {
  let P = x;
  for (let step = 1; step < K; step *= 2) {
    const shifted = Fx.concat([Fx.zero(x.session, 1, P.frac), P]).gather(
      Uint32Array.from({ length: G * K }, (_, q) => (q % K >= step ? 1 + q - step : 0)),
    );
    P = P.add(shifted).withBound(bound);
  }
  return P;
}

/**
 * Kaplan-Meier products with Greenwood's variance, from per-interval counts
 * (G x K, group-major): S as `survivalProducts`, but exactly 0 from the
 * interval where everyone still at risk had the event (n = d > 0; otherwise
 * the fixed-point factor 0 could come out one ulp off), and
 * V(t_k) = sum_(j <= k) d_j / (n_j (n_j - d_j)), the variance of log S that
 * R's survfit uses for its default (conf.type = "log") bands.
 *
 * Precision: S as `survivalProducts`; each term of V has relative error
 * 2^-24 and at most 2^-40 absolute, so V is within k 2^-40 plus 2^-24 relative.
 * Cost: one comparison batch (n = 0 and n = d, together), one multiplication
 * round for n (n - d), one for the zeroed numerators, one division of G K
 * values (in parallel with the factors'), the running products, and one
 * multiplication to zero S; the sums are local.
 */
export function survivalWithGreenwood(
  atRisk: Fx,
  events: Fx,
  G: number,
  K: number,
): { survival: Fx; greenwood: Fx } {
  const GK = G * K;
  const left = atRisk.sub(events).withBound(atRisk.bound);
  const zeros = Fx.concat([atRisk, left]).eqz();
  const empty = zeros.slice(0, GK);
  const none = zeros.slice(GK, 2 * GK); // n = d (0 = 0 included)
  const last = none.sub(empty).withBound(2); // n = d > 0: the interval where the curve reaches 0
  const P = productsOf(atRisk, events, empty, G, K);
  // The curve is 0 from `last` on: at most one such interval per group (no one is left after it).
  const reached = prefixSums(last, G, K, 2);
  const survival = reached.neg().addPublic([1]).withBound(2).mulBit(P);
  // Greenwood terms d / (n (n - d)), with d zeroed where n = d (that term's S is 0 anyway).
  const den = atRisk
    .mul(left, 0)
    .add(none)
    .withBound(2 * atRisk.bound);
  const num = none.neg().addPublic([1]).withBound(2).mulBit(events);
  const term = num.divide(den, { qBits: 1, frac: 40 });
  const greenwood = prefixSums(term, G, K, term.bound + Math.max(1, Math.ceil(Math.log2(K + 1))));
  return { survival, greenwood };
}

export interface LogRank {
  /** Events observed in group 1. */
  observed: SecretInt;
  /** Events expected in group 1 under the null hypothesis. */
  expected: SecretFixed;
  /** Variance of observed - expected. */
  variance: SecretFixed;
  /** (O - E)^2 / V, chi-squared with 1 degree of freedom; saturates at 2^24. */
  statistic: SecretFixed;
  /** Events observed in each group, [2]. */
  observedByGroup: SecretInt;
  /** Events expected in each group under the null hypothesis, [2] (they add up to the observed total). */
  expectedByGroup: SecretFixed;
}

/**
 * The log-rank test of equal survival in two groups (SecretBool
 * indicators), over public time points as in `kaplanMeier`: with a point at
 * every distinct event time this is R's survdiff(rho = 0).
 *
 * Precision: O exact; E and V with 30 fractional bits per term (relative
 * 2^-24 per quotient), the statistic relative 2^-20 plus 2^-15 sqrt(X^2).
 * Cost: as kaplanMeier with G = 2, plus two divisions of K values, a square
 * root and one division (about 150 rounds in rep3).
 * @example
 *   const lr = logRank(days, died, armA, armB, [7, 14, 21, 28]);
 *   const { statistic, pValue } = await revealLogRank(lr);
 * @throws {RangeError} for time points that do not increase, or lengths that differ.
 */
export function logRank(
  time: Column,
  event: SecretBool,
  group1: SecretBool,
  group2: SecretBool,
  times: readonly number[],
  opts: ResultOptions = {},
): LogRank {
  const op = 'logRank';
  const f = resultFrac(op, opts.frac);
  const c = countIntervals(op, time, event, times, [group1, group2], opts.where);
  const K = c.K;
  const n1 = c.atRisk.slice(0, K);
  const n = n1.add(c.atRisk.slice(K, 2 * K));
  const d1 = c.events.slice(0, K);
  const d = d1.add(c.events.slice(K, 2 * K));
  const e = n1.divide(n, { qBits: 1, frac: 30 });
  const rho = n.sub(d).divide(n.sub(1).relu(), { qBits: 2, frac: 30 });
  // 0 <= e <= 1 (up to rounding), so d e <= d; e (1 - e) <= 1/4 and rho <= 2.
  const expectedK = d.mul(e, 30).withBound(d.bound + 31);
  const oMinusE = d1.sub(expectedK).sum();
  const v = e
    .mul(e.neg().addPublic([1]), 30)
    .withBound(31)
    .mul(rho, 30)
    .withBound(32)
    .mul(d, 30)
    .withBound(d.bound + 31)
    .sum()
    .relu();
  const z = oMinusE.divide(v.sqrt(), { qBits: 12, frac: 16, saturate: true });
  const statistic = z.mul(z, 16);
  const observed = Fx.concat([d1.sum(), c.events.slice(K, 2 * K).sum()]);
  const e1 = expectedK.sum();
  const expected = Fx.concat([e1, d.sum().rescale(e1.frac).sub(e1)]);
  return {
    observed: d1.sum().toInt(),
    expected: e1.rescale(f).toFixed(f),
    variance: v.rescale(f).toFixed(f),
    statistic: statistic.toFixed(16),
    observedByGroup: observed.toInt(),
    expectedByGroup: expected.rescale(f).toFixed(f),
  };
}

/**
 * Reveals the log-rank statistic, observed and expected events (every party
 * must call it) and computes the p-value P(X^2_1 >= statistic) in the clear.
 */
export async function revealLogRank(
  r: LogRank,
): Promise<{ statistic: number; observed: number; expected: number; pValue: number }> {
  const [x, o, e] = await Promise.all([
    r.statistic.reveal(),
    r.observed.reveal(),
    r.expected.reveal(),
  ]);
  const statistic = Math.max(0, x[0]!);
  return {
    statistic,
    observed: Number(o[0]!),
    expected: e[0]!,
    pValue: chiSquaredSf(statistic, 1),
  };
}
