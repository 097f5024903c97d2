/**
 * Fixed-point nonlinear functions on secret-shared encodings (value =
 * x / 2^frac): reciprocal, square root, exponential, natural logarithm and the
 * logistic sigmoid, written against the Suite contract so they run unchanged
 * under every suite.
 *
 * Assumptions: those of the suite (adversary, threshold, channels). These
 * protocols only compose the suite's primitives and branch on public data
 * (the format, the bound and the vector length), so they leak nothing the
 * suite does not. Out-of-domain inputs (x = 0 for reciprocal and log, x < 0
 * for sqrt and log) cannot be detected without revealing them; each function
 * documents the value it returns instead.
 *
 * Method: Catrina, Saxena, "Secure computation with fixed-point numbers",
 * FC 2010 (normalisation of the divisor and Goldschmidt iterations from the
 * initial approximation 2.9142 - 2v, their protocols Norm, AppRcr and Div)
 * and Aly, Smart, "Benchmarking privacy preserving scientific operations",
 * ACNS 2019 (square root, exponential and logarithm by normalisation, a
 * split into integer and fractional parts, and polynomials). The bit decomposition of x and a parallel
 * suffix-OR over it give the position m of the leading one as a one-hot
 * vector e_m, so that |x| = v 2^(m+1) with v in [1/2, 1]; every quantity that
 * depends on m alone (2^-m, sqrt(2)^m, m ln 2) is then a public table read by
 * the linear form sum_m e_m table[m], which costs no communication.
 *
 * Precision: internal values carry L fractional bits, L <= 30, chosen per
 * suite so that every product stays within the suite's truncation bound
 * (compareCapacity - 1 bits; 63 for rep3, where a product of two L-bit values
 * needs 2L + 3 bits). Public constants are literals or exact dyadic
 * computations, never results of Math.log or Math.cos: those are not
 * correctly rounded in every engine, and parties that disagree on one bit of
 * a public constant compute garbage.
 *
 * Error bounds below are for the default format (32 bits, 16 fractional) under
 * 63-bit truncation; "ulp" is 2^-frac. Results that overflow the format are
 * returned as encodings of magnitude at least 2^(bits-1), which `reveal`
 * rejects with an OverflowError; they exceed the declared bound, so further
 * arithmetic on them is undefined.
 */
import type { Shares, Suite } from '../suites/suite.js';

/** The fixed-point format: total bits and fractional bits. */
export interface FixedFormat {
  readonly bits: number;
  readonly frac: number;
}

type S = Shares;

/** Most fractional bits used inside the iterations (2L + 3 <= 63 for rep3). */
const MAX_L = 30;
/** Fewest internal bits for which the stated error bounds make sense. */
const MIN_L = 12;
/** Extra fractional bits of y = x log2(e) beyond the format's, for exp and sigmoid. */
const EXP_GUARD = 8;

/*
 * Chebyshev interpolants on [-1, 1], computed offline at the Chebyshev nodes
 * with 40-digit arithmetic (mpmath), written as the
 * nearest doubles.
 *   LN_CHEB:   ln(3/4 + t/4) (= ln v for v in [1/2, 1]), degree 8, max error 2^-24.6.
 *   EXP2_CHEB: 2^((1 + t)/2) (= 2^u for u in [0, 1]), degree 7, max relative error 2^-34.
 */
const LN_CHEB = [
  -0.31669436764074804, 0.3431457505076081, -0.029437251522788883, 0.0033670892551261856,
  -0.00043327588587362305, 5.9470694813706446e-5, -8.50285909051732e-6, 1.2497778019273335e-6,
  -1.8330703867013826e-7,
] as const;
const EXP2_CHEB = [
  1.456999875012963, 0.4975248678104419, 0.04289311198967964, 0.0024714281639958507,
  0.00010690611635808079, 3.7013814274239005e-6, 1.0682373467209657e-7, 2.6419312866836116e-9,
] as const;
/** 1/v ~ RECIP_A - 2v on [1/2, 1], relative error at most 0.0858 (Catrina-Saxena). */
const RECIP_A = 2.9142;
/**
 * 1/sqrt(v) ~ a + b v + (7/8) v^2 on [1/2, 1], |1 - v y0^2| <= 0.0077; the v^2
 * coefficient is dyadic so that the raw square needs only 3 extra bits.
 * Fitted offline by minimax (Nelder-Mead); two Goldschmidt steps then reach 2^-30.
 */
const RSQRT_A = 2.25907395;
const RSQRT_B = -2.13026033;
const RSQRT_C8 = 7n; // c = 7/8

const pow2 = (k: number): bigint => 1n << BigInt(k);
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/**
 * x + c for a public c of any size: addPublic takes 64-bit constants, which
 * the field suites read as signed values, so larger ones go through mulScalar.
 */
function addConst(suite: Suite, x: S, c: bigint): S {
  if (c >= INT64_MIN && c <= INT64_MAX) return suite.addPublic(x, BigInt64Array.of(c));
  return suite.add(x, suite.mulScalar(suite.constant(new BigInt64Array(x.length).fill(1n)), c));
}
/** round(c 2^s) for a public real c: products with powers of two and Math.round are exact in IEEE 754. */
const fixConst = (c: number, s: number): bigint => BigInt(Math.round(c * Number(pow2(s))));

function checkArgs(op: string, suite: Suite, t: FixedFormat, bound: number): void {
  if (!Number.isInteger(t.bits) || !Number.isInteger(t.frac) || t.frac < 1 || t.frac >= t.bits) {
    throw new RangeError(
      `${op}: invalid fixed-point format (${t.bits} bits, ${t.frac} fractional)`,
    );
  }
  if (!Number.isInteger(bound) || bound < 1 || bound > suite.compareCapacity - 1) {
    throw new RangeError(
      `${op}: inputs of up to ${bound} bits exceed the ${suite.name} suite's ${suite.compareCapacity - 1}-bit limit`,
    );
  }
}

function checkPrecision(op: string, suite: Suite, t: FixedFormat, L: number): void {
  if (L < MIN_L) {
    throw new RangeError(
      `${op}: fixed(${t.bits}, frac ${t.frac}) is too wide for the ${suite.name} suite's ` +
        `${suite.compareCapacity - 1}-bit truncation; use fewer bits`,
    );
  }
}

// ----- vector plumbing (all local) -----

function indices(n: number, f: (i: number) => number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = f(i);
  return out;
}

/** Elements [start, start + len). */
function slice(suite: Suite, x: S, start: number, len: number): S {
  return suite.gather(
    x,
    indices(len, (i) => start + i),
  );
}

/** Splits x into consecutive parts of the given lengths. */
function split(suite: Suite, x: S, lens: readonly number[]): S[] {
  let off = 0;
  return lens.map((len) => {
    const part = slice(suite, x, off, len);
    off += len;
    return part;
  });
}

/** Bits lo..hi-1 of each element of a `bits` result with `stride` bits per element, element-major. */
function pickBits(suite: Suite, b: S, n: number, stride: number, lo: number, hi: number): S {
  const w = hi - lo;
  return suite.gather(
    b,
    indices(n * w, (q) => Math.floor(q / w) * stride + lo + (q % w)),
  );
}

/** Each of the n elements repeated w times (element-major). */
function spread(suite: Suite, x: S, n: number, w: number): S {
  return suite.gather(
    x,
    indices(n * w, (q) => Math.floor(q / w)),
  );
}

/** sum_j coeffs[j] b[i w + j] for each element i. */
function weightedSum(suite: Suite, b: S, n: number, coeffs: readonly bigint[]): S {
  const w = coeffs.length;
  const tiled = new BigInt64Array(n * w);
  for (let i = 0; i < n; i++) for (let j = 0; j < w; j++) tiled[i * w + j] = coeffs[j]!;
  return suite.sumGroups(suite.mulPublic(b, tiled), w);
}

/**
 * A public table read at the secret position of the leading one: table[0]
 * when d = 0, table[j + 1] when the leading one of d is bit j. With the
 * suffix-OR p_j = [d >= 2^j], the indicator of "leading one at j" is
 * p_j - p_(j+1), so the read is table[0] + sum_j p_j (table[j+1] - table[j]).
 */
function lookup(suite: Suite, p: S, n: number, table: readonly bigint[]): S {
  const diffs = table.slice(1).map((c, j) => c - table[j]!);
  return addConst(suite, weightedSum(suite, p, n, diffs), table[0]!);
}

/** x 2^(to - from): a local shift up, or a truncation (|error| < 1) down. */
async function rescale(suite: Suite, x: S, from: number, to: number, bound: number): Promise<S> {
  return to >= from ? suite.mulScalar(x, pow2(to - from)) : suite.trunc(x, from - to, bound);
}

async function mulTrunc(suite: Suite, a: S, b: S, m: number, bound: number): Promise<S> {
  return suite.trunc(await suite.mul(a, b), m, bound);
}

/**
 * Suffix-OR p_j = d_j OR d_(j+1) OR ... OR d_(w-1) of w bits per element
 * (element-major), by Sklansky's parallel prefix: ceil(log2 w) rounds, each
 * one multiplication of at most n w / 2 pairs (a OR b = a + b - ab).
 */
async function suffixOr(suite: Suite, d: S, n: number, w: number): Promise<S> {
  let p = d;
  for (let s = 1; s < w; s *= 2) {
    // In blocks of 2s, each position of the lower half takes the OR of the upper half's suffix.
    const lo: number[] = [];
    const hi: number[] = [];
    for (let base = 0; base + s < w; base += 2 * s) {
      for (let j = base; j < base + s; j++) {
        lo.push(j);
        hi.push(base + s);
      }
    }
    const m = lo.length;
    const a = suite.gather(
      p,
      indices(n * m, (q) => Math.floor(q / m) * w + lo[q % m]!),
    );
    const b = suite.gather(
      p,
      indices(n * m, (q) => Math.floor(q / m) * w + hi[q % m]!),
    );
    const or = suite.sub(suite.add(a, b), await suite.mul(a, b));
    // Put the new values back in place: position (i, lo[r]) comes from or[i m + r].
    const where = new Int32Array(w).fill(-1);
    lo.forEach((j, r) => (where[j] = r));
    p = suite.gather(
      suite.concat([p, or]),
      indices(n * w, (q) => {
        const i = Math.floor(q / w);
        const r = where[q % w]!;
        return r < 0 ? q : n * w + i * m + r;
      }),
    );
  }
  return p;
}

/**
 * sum_k c_k T_k(t) for t in [-1, 1] with L fractional bits, the Chebyshev
 * polynomials built in ceil(log2 d) rounds of multiplication and truncation
 * by T_(m+j) = 2 T_m T_j - T_(m-j). Every T_k stays within [-1, 1], so no
 * intermediate grows. The result has L + Lc fractional bits (not truncated,
 * so callers can add terms before one final truncation).
 */
async function chebyshev(
  suite: Suite,
  t: S,
  L: number,
  coeffs: readonly number[],
  Lc: number,
): Promise<S> {
  const n = t.length;
  const d = coeffs.length - 1;
  const T: S[] = [t, t]; // T[0] (the constant 2^L) is added as a constant; T[1] = t
  for (let m = 1; m < d; m *= 2) {
    const count = Math.min(m, d - m);
    const a = suite.concat(Array.from({ length: count }, () => T[m]!));
    const b = suite.concat(Array.from({ length: count }, (_, j) => T[j + 1]!));
    const twice = await mulTrunc(suite, a, b, L - 1, 2 * L + 3); // 2 T_m T_j
    for (let j = 1; j <= count; j++) {
      const prod = slice(suite, twice, (j - 1) * n, n);
      T[m + j] = j === m ? addConst(suite, prod, -pow2(L)) : suite.sub(prod, T[m - j]!);
    }
  }
  let acc = suite.mulScalar(T[1]!, fixConst(coeffs[1]!, Lc));
  for (let k = 2; k <= d; k++)
    acc = suite.add(acc, suite.mulScalar(T[k]!, fixConst(coeffs[k]!, Lc)));
  return addConst(suite, acc, fixConst(coeffs[0]!, L + Lc));
}

/**
 * Goldschmidt division (Catrina-Saxena, protocol Div): for v in [1/2, 1] with
 * L fractional bits, w ~ 2^L / v. From w0 = 2.9142 - 2v and e0 = 1 - v w0
 * (|e0| <= 0.0858), w_(i+1) = w_i (1 + e_i) and e_(i+1) = e_i^2, so after
 * three steps the relative error is e0^8 <= 2^-28.3 plus rounding.
 * 4 rounds of multiplication and truncation.
 */
async function goldschmidtRecip(suite: Suite, v: S, L: number): Promise<S> {
  const n = v.length;
  const bound = 2 * L + 3;
  const A = fixConst(RECIP_A, L);
  let w = addConst(suite, suite.mulScalar(v, -2n), A);
  // e0 2^(2L) = 2^(2L) - A v + 2 v^2, truncated once.
  const vv = await suite.mul(v, v);
  let e = await suite.trunc(
    addConst(suite, suite.sub(suite.mulScalar(vv, 2n), suite.mulScalar(v, A)), pow2(2 * L)),
    L,
    bound,
  );
  for (let i = 0; i < 3; i++) {
    const onePlusE = addConst(suite, e, pow2(L));
    if (i === 2) return mulTrunc(suite, w, onePlusE, L, bound);
    const both = await mulTrunc(suite, suite.concat([w, e]), suite.concat([onePlusE, e]), L, bound);
    [w, e] = split(suite, both, [n, n]) as [S, S];
  }
  return w;
}

/** The normalisation shared by sqrt and log: bits, sign, x mod 2^(B-1) and the suffix-OR. */
async function normalise(suite: Suite, x: S, B: number): Promise<{ xPos: S; p: S; w: number }> {
  const n = x.length;
  const w = B - 1;
  const b = await suite.bits(x, B);
  // x + 2^(B-1) [x < 0] = x mod 2^(B-1) has exactly the low B-1 bits: for x < 0
  // (outside the domain) this gives a finite value instead of garbage bounds.
  const s = pickBits(suite, b, n, B, w, B);
  const xPos = suite.add(x, suite.mulScalar(s, pow2(w)));
  const p = await suffixOr(suite, pickBits(suite, b, n, B, 0, w), n, w);
  return { xPos, p, w };
}

/**
 * 1/x for x != 0 of either sign.
 *
 * Normalisation (Catrina-Saxena, protocol Norm): with s = [x < 0] (the top bit),
 * d = bits of x XOR s is |x| for x >= 0 and |x| - 1 for x < 0; if its leading
 * one is bit m then 2^m <= |x| <= 2^(m+1), so v = |x| / 2^(m+1) lies in
 * [1/2, 1]. Goldschmidt gives 2^L / v, and the encoding of 1/x is
 * 2^(2f) / |x| = (2^L / v) 2^(N-m) / 2^(L+1+N-2f), with 2^(N-m) (times the
 * sign) a public table read at m.
 *
 * Error (default format): |R - 1/x| < 2^-26 |1/x| + 1 ulp. Inputs with
 * |1/x| >= 2^(bits-1-frac) (|x| <= 2^-15 by default; at the boundary the
 * result may round inside) overflow and are returned as encodings of
 * magnitude >= 2^(bits-1); |x| >= 2^(frac+1) returns 0.
 * Division by zero returns exactly the encoding +2^(bits-1), just outside the
 * format, so `reveal` throws OverflowError (it cannot be detected earlier
 * without revealing).
 *
 * Rounds (any vector length): one bits, ceil(log2(bound - 1)) for the
 * suffix-OR, 7 multiplications and 6 truncations in sequence; for 32-bit
 * inputs 30 rounds under rep3, 38 under shamir.
 * @throws {RangeError} for a bound or format the suite cannot handle.
 */
export async function reciprocal(suite: Suite, x: S, t: FixedFormat, bound: number): Promise<S> {
  const op = 'reciprocal';
  checkArgs(op, suite, t, bound);
  const n = x.length;
  if (n === 0) return x;
  const { bits: k, frac: f } = t;
  const B = Math.max(bound, 2);
  const w = B - 1;
  const T = suite.compareCapacity - 1;
  // Leading-one positions below mLo give 1/x beyond the format; above mHi, below half an ulp.
  const mLo = Math.max(0, 2 * f - k);
  const mHi = Math.min(w - 1, 2 * f);
  const N = Math.max(mHi, mLo);
  const span = N - mLo;
  const L = Math.min(MAX_L, T - span - 3, Math.floor((T - 3) / 2));
  checkPrecision(op, suite, t, L);

  const b = await suite.bits(x, B);
  const s = pickBits(suite, b, n, B, w, B);
  const low = pickBits(suite, b, n, B, 0, w);
  // One round: d_j = b_j XOR s = b_j + s - 2 b_j s, and |x| = x - 2 x s.
  const [bs, xs] = split(
    suite,
    await suite.mul(suite.concat([low, x]), suite.concat([spread(suite, s, n, w), s])),
    [n * w, n],
  ) as [S, S];
  const d = suite.sub(suite.add(low, spread(suite, s, n, w)), suite.mulScalar(bs, 2n));
  const absX = suite.sub(x, suite.mulScalar(xs, 2n));
  const p = await suffixOr(suite, d, n, w);

  // Tables by leading-one class (index 0: d = 0; j + 1: leading one at bit j).
  const inRange = (j: number) => j >= mLo && j <= mHi;
  const table = (zero: bigint, f2: (j: number) => bigint) =>
    lookup(suite, p, n, [zero, ...Array.from({ length: w }, (_, j) => f2(j))]);
  // c1 scales |x| to v 2^(N+1); tiny (j < mLo), huge (j > mHi) and zero inputs get v = 1/2 instead.
  const c1 = table(0n, (j) => (inRange(j) ? pow2(N - j) : 0n));
  const fix = table(1n, (j) => (inRange(j) ? 0n : 1n));
  // c2 = 2^(N-m); tiny inputs get 2^(N-mLo) (an overflowing result), huge ones 0.
  const c2 = table(0n, (j) => (j < mLo ? pow2(N - mLo) : inRange(j) ? pow2(N - j) : 0n));
  const zeroD = table(1n, () => 0n); // [d = 0]: x = 0 or x = -1
  const [vRaw, zs, c2s1] = split(
    suite,
    await suite.mul(suite.concat([absX, zeroD, c2]), suite.concat([c1, s, s])),
    [n, n, n],
  ) as [S, S, S];
  // Signed scale c2 (1 - 2s); x = -1 (d = 0, s = 1) behaves as a tiny input.
  const c2s = suite.sub(
    suite.sub(c2, suite.mulScalar(c2s1, 2n)),
    suite.mulScalar(zs, pow2(N - mLo)),
  );
  const isZero = suite.sub(zeroD, zs);
  const v = suite.add(
    await rescale(suite, vRaw, N + 1, L, N + 3),
    suite.mulScalar(fix, pow2(L - 1)),
  );
  const W = await goldschmidtRecip(suite, v, L);
  const R = await rescale(suite, await suite.mul(W, c2s), L + 1 + N - 2 * f, 0, L + span + 3);
  // x = 0 had c2s = 0, so R = 0 there: mark it with 2^(k-1).
  return suite.add(R, suite.mulScalar(isZero, pow2(k - 1)));
}

/**
 * sqrt(x) for x >= 0.
 *
 * With x = v 2^(m+1), v in [1/2, 1] (normalised as for reciprocal), the encoding of
 * sqrt(x) is sqrt(v) 2^((m+1+f)/2); the factor 2^((m+1+f)/2) (a power of
 * sqrt 2) is a public table read at m. sqrt(v) comes from Goldschmidt's
 * coupled iteration (Markstein, "Software division and square root using
 * Goldschmidt's algorithms", RNC 2004: g -> sqrt v, h -> 1/(2 sqrt v);
 * r = 1/2 - g h, g <- g (1 + r), h <- h (1 + r)), two steps from a
 * quadratic approximation of 1/sqrt(v).
 *
 * Error (default format): |R - sqrt x| < 2^-26 sqrt(x) + 1.01 ulp. sqrt(0) = 0
 * exactly. For x < 0 (outside the domain) the result is sqrt(x + 2^(bound-1-f)),
 * a finite value of no meaning.
 *
 * Rounds (any vector length): one bits, ceil(log2(bound - 1)) for the
 * suffix-OR, 7 multiplications and 7 truncations in sequence; for 32-bit
 * inputs 32 rounds under rep3, 41 under shamir.
 * @throws {RangeError} for a bound or format the suite cannot handle.
 */
export async function sqrt(suite: Suite, x: S, t: FixedFormat, bound: number): Promise<S> {
  const op = 'sqrt';
  checkArgs(op, suite, t, bound);
  const n = x.length;
  if (n === 0) return x;
  const f = t.frac;
  const B = Math.max(bound, 2);
  const T = suite.compareCapacity - 1;
  const half = Math.ceil((B - 1 + f) / 2); // the output scale has at most this many bits
  const L = Math.min(MAX_L, Math.floor((T - 5) / 2), T - half - 2);
  checkPrecision(op, suite, t, L);

  const { xPos, p, w } = await normalise(suite, x, B);
  const N = w - 1;
  const table = (zero: bigint, f2: (j: number) => bigint) =>
    lookup(suite, p, n, [zero, ...Array.from({ length: w }, (_, j) => f2(j))]);
  const c1 = table(0n, (j) => pow2(N - j));
  const fix = table(1n, () => 0n); // x = 0: v = 1/2, and K = 0 makes the result 0
  // K_m = 2^((m+1+f)/2 + Q), exact for even exponents, sqrt 2 times a power otherwise;
  // Q extra bits keep its rounding below an ulp of the result.
  const spare = T - L - half - 2;
  const Q = Math.max(0, Math.min(16, spare, 62 - half));
  const G = Math.max(0, Math.min(8, spare));
  const K = table(0n, (j) => {
    const e = j + 1 + f + 2 * Q;
    return e % 2 === 0 ? pow2(e / 2) : fixConst(Math.SQRT2, (e - 1) / 2);
  });
  const v = suite.add(
    await rescale(suite, await suite.mul(xPos, c1), N + 1, L, N + 3),
    suite.mulScalar(fix, pow2(L - 1)),
  );

  const bound2 = 2 * L + 3;
  // y0 = a + b v + (7/8) v^2 with 2L + 3 fractional bits before one truncation.
  const vv = await suite.mul(v, v);
  const y0 = await suite.trunc(
    addConst(
      suite,
      suite.add(suite.mulScalar(vv, RSQRT_C8), suite.mulScalar(v, fixConst(RSQRT_B, L + 3))),
      fixConst(RSQRT_A, 2 * L + 3),
    ),
    L + 3,
    2 * L + 5,
  );
  // H = 2h, so r = 1/2 - g h = (1 - g H) / 2.
  let g = await mulTrunc(suite, v, y0, L, bound2);
  let H = y0;
  const rOf = async (g1: S, H1: S) =>
    suite.trunc(addConst(suite, suite.neg(await suite.mul(g1, H1)), pow2(2 * L)), L + 1, bound2);
  const r0 = addConst(suite, await rOf(g, H), pow2(L));
  [g, H] = split(
    suite,
    await mulTrunc(suite, suite.concat([g, H]), suite.concat([r0, r0]), L, bound2),
    [n, n],
  ) as [S, S];
  // Last step fused with the scaling: R = (g K / 2^(L+Q-G)) (1 + r1) / 2^(L+G), with
  // G guard bits so that only the final truncation costs a whole ulp.
  const [r1, gK] = await Promise.all([
    rOf(g, H),
    mulTrunc(suite, g, K, L + Q - G, L + half + Q + 2),
  ]);
  return mulTrunc(suite, gK, addConst(suite, r1, pow2(L)), L + G, L + half + G + 2);
}

/** Parameters of 2^y for the exp-based functions. */
interface Exp2Plan {
  /** Fractional bits of the input x (the format's). */
  f: number;
  /** y = x log2(e) is at least yMin (an integer) and below zMax + yMin + 1. */
  yMin: number;
  zMax: number;
  /** Fractional bits of the result. */
  out: number;
  L: number;
  /** Bits of |x|. */
  xBits: number;
}

/**
 * 2^(x log2 e) for a clamped x, with `out` fractional bits. Writing
 * z = y - yMin = n + u (n integer, u in [0, 1)) from the bits of z:
 * 2^n = prod_i (1 + z_(F+i) (2^(2^i) - 1)) over the integer bits (exact
 * integers), 2^u by a Chebyshev polynomial, and 2^y = 2^n 2^u 2^yMin.
 * Rounds: trunc + bits + max(ceil(log2 ib) mul, 3 mul+trunc + trunc) + mul + trunc.
 */
async function exp2Core(suite: Suite, xc: S, plan: Exp2Plan): Promise<S> {
  const { f, yMin, zMax, out, L, xBits } = plan;
  const n = xc.length;
  const T = suite.compareCapacity - 1;
  const ib = bitLength(zMax);
  const Qc = Math.min(40, T - xBits - 2);
  const F = Math.min(f + EXP_GUARD, suite.compareCapacity - ib - 1, f + Qc - 1);
  // y with F fractional bits; z >= 0 because the caller's clamp keeps y above yMin.
  const y = await suite.trunc(
    suite.mulScalar(xc, fixConst(Math.LOG2E, Qc)),
    f + Qc - F,
    xBits + Qc + 1,
  );
  const z = addConst(suite, y, BigInt(-yMin) * pow2(F));
  const zb = await suite.bits(z, F + ib + 1);
  const u = weightedSum(
    suite,
    pickBits(suite, zb, n, F + ib + 1, 0, F),
    n,
    Array.from({ length: F }, (_, j) => pow2(j)),
  );
  const tt = addConst(suite, await rescale(suite, u, F - 1, L, F + 1), -pow2(L)); // 2u - 1
  const Lc = Math.min(MAX_L, T - L - 3);
  const powerOfTwo = async (): Promise<S> => {
    // Factors 1 + bit (2^(2^i) - 1), multiplied pairwise in a tree.
    let fs: S[] = Array.from({ length: ib }, (_, i) =>
      addConst(
        suite,
        suite.mulScalar(pickBits(suite, zb, n, F + ib + 1, F + i, F + i + 1), pow2(1 << i) - 1n),
        1n,
      ),
    );
    while (fs.length > 1) {
      const h = fs.length >> 1;
      const prod = await suite.mul(suite.concat(fs.slice(0, h)), suite.concat(fs.slice(h, 2 * h)));
      fs = [...split(suite, prod, Array(h).fill(n) as number[]), ...fs.slice(2 * h)];
    }
    return fs[0]!;
  };
  const frac2 = async (): Promise<S> =>
    suite.trunc(await chebyshev(suite, tt, L, EXP2_CHEB, Lc), Lc, L + Lc + 3);
  const [P, U] = await Promise.all([powerOfTwo(), frac2()]);
  return rescale(suite, await suite.mul(P, U), L - yMin - out, 0, zMax + L + 4);
}

/** Bits of |v| (exact integer arithmetic: Math.log2 is not correctly rounded everywhere). */
function bitLength(v: number | bigint): number {
  const a = BigInt(v) < 0n ? -BigInt(v) : BigInt(v);
  return a === 0n ? 0 : a.toString(2).length;
}

/**
 * e^x = 2^(x log2 e) (as in Aly-Smart): x is first clamped to
 * [-(f+1) ln 2, (bits-1-f+1/2) ln 2] by two comparisons, then the integer
 * part of y = x log2 e selects a power of two and a degree-7 Chebyshev
 * polynomial gives 2^(fractional part).
 *
 * Error (default format): |R - e^x| < 2^-23 e^x + 1 ulp. Below -(f+1) ln 2
 * (about -11.8) the result underflows to 0 (or 1 ulp). Above
 * (bits-1-f) ln 2 (about 10.4) e^x overflows the format; the result is then
 * about sqrt(2) 2^(bits-1) as an encoding, so `reveal` throws OverflowError.
 *
 * Rounds (any vector length): one ltz, one bits, 5 multiplications and 6
 * truncations in sequence (the power-of-two product runs beside the
 * polynomial); 29 rounds under rep3, 39 under shamir.
 * @throws {RangeError} for a bound or format the suite cannot handle.
 */
export async function exp(suite: Suite, x: S, t: FixedFormat, bound: number): Promise<S> {
  const op = 'exp';
  checkArgs(op, suite, t, bound);
  const n = x.length;
  if (n === 0) return x;
  const { bits: k, frac: f } = t;
  const T = suite.compareCapacity - 1;
  const yMin = -(f + 1);
  const yMax = k - 1 - f + 0.5;
  const unit = Number(pow2(f));
  // Two ulps inside the bottom so that y = x log2(e) never drops below yMin after rounding.
  const xLo = BigInt(Math.ceil(yMin * Math.LN2 * unit)) + 2n;
  const xHi = BigInt(Math.floor(yMax * Math.LN2 * unit));
  const xBits = Math.max(bitLength(xLo), bitLength(xHi)) + 1;
  const cmpBound = Math.max(bound, xBits) + 1;
  const zMax = Math.floor(yMax - yMin);
  const L = Math.min(MAX_L - 2, T - zMax - 4, Math.floor((T - 3) / 2));
  checkPrecision(op, suite, t, L);
  if (cmpBound > suite.compareCapacity) {
    throw new RangeError(`${op}: inputs of up to ${bound} bits are too wide for ${suite.name}`);
  }
  // Clamp: c_lo = [x < xLo], c_hi = [x > xHi]; xc = x + c_lo (xLo - x) + c_hi (xHi - x).
  const c = await suite.ltz(
    suite.concat([addConst(suite, x, -xLo), addConst(suite, suite.neg(x), xHi)]),
    cmpBound,
  );
  const moved = await suite.mul(
    c,
    suite.concat([addConst(suite, suite.neg(x), xLo), addConst(suite, suite.neg(x), xHi)]),
  );
  const [m1, m2] = split(suite, moved, [n, n]) as [S, S];
  const xc = suite.add(x, suite.add(m1, m2));
  return exp2Core(suite, xc, { f, yMin, zMax, out: f, L, xBits });
}

/**
 * ln(x) for x > 0 (as in Aly-Smart): with x = v 2^(m+1), v in [1/2, 1],
 * ln x = ln v + (m + 1 - f) ln 2; ln v is a degree-8 Chebyshev polynomial in
 * t = 4v - 3 and the second term a public table read at m, added before one
 * final truncation.
 *
 * Error (default format): |R - ln x| < 1 ulp + 2^-22. log(0) returns about
 * -2^(bits-1-f) (an encoding below -2^(bits-1)), so `reveal` throws
 * OverflowError. For x < 0 the result is ln(x + 2^(bound-1-f)), of no meaning.
 *
 * Rounds (any vector length): one bits, ceil(log2(bound - 1)) for the
 * suffix-OR, 4 multiplications and 4 truncations in sequence (one more
 * truncation for bounds above L + 2); for 32-bit inputs 23 rounds under
 * rep3, 29 under shamir.
 * @throws {RangeError} for a bound or format the suite cannot handle.
 */
export async function log(suite: Suite, x: S, t: FixedFormat, bound: number): Promise<S> {
  const op = 'log';
  checkArgs(op, suite, t, bound);
  const n = x.length;
  if (n === 0) return x;
  const { bits: k, frac: f } = t;
  const B = Math.max(bound, 2);
  const T = suite.compareCapacity - 1;
  const L = Math.min(MAX_L, Math.floor((T - 3) / 2));
  // |ln x| < 2^6, so the exponent table and the sum need S2 + 7 bits (and the table fits in 63).
  const Lc = Math.min(MAX_L, T - L - 8, 55 - L);
  checkPrecision(op, suite, t, Math.min(L, Lc));

  const { xPos, p, w } = await normalise(suite, x, B);
  const N = w - 1;
  const S2 = L + Lc; // fractional bits of the sum before the final truncation
  const table = (zero: bigint, f2: (j: number) => bigint) =>
    lookup(suite, p, n, [zero, ...Array.from({ length: w }, (_, j) => f2(j))]);
  const c1 = table(0n, (j) => pow2(N - j));
  const fixT = table(pow2(L + 1), () => 0n); // x = 0: t = -1 instead of -3
  const expo = table(0n, (j) => fixConst((j + 1 - f) * Math.LN2, S2));
  const isZero = table(1n, () => 0n);
  // t = 4v - 3 = x c1 / 2^(N-1) - 3, with L fractional bits.
  const tt = suite.add(
    addConst(
      suite,
      await rescale(suite, await suite.mul(xPos, c1), N - 1, L, N + 3),
      -3n * pow2(L),
    ),
    fixT,
  );
  const sum = suite.add(await chebyshev(suite, tt, L, LN_CHEB, Lc), expo);
  const R = await suite.trunc(sum, S2 - f, S2 + 8);
  return suite.add(R, suite.mulScalar(isZero, -pow2(k - 1)));
}

/**
 * The logistic function 1 / (1 + e^-x), by symmetry: with a = -|x| (clamped
 * at -(f+1) ln 2, where e^a < 2^-(f+1)), E = e^a in (0, 1] and
 * sigma(a) = E / (1 + E), computed by Goldschmidt on v = (1 + E) / 2 in
 * [1/2, 1] (no normalisation needed); sigma(x) = sigma(a) for x < 0 and
 * 1 - sigma(a) otherwise. Large |x| cannot overflow.
 *
 * Error (default format): |R - sigma(x)| < 1 ulp + 2^-22 over the whole range.
 *
 * Rounds (any vector length): one ltz, one bits, 10 multiplications and 10
 * truncations in sequence; 44 rounds under rep3, 59 under shamir.
 * @throws {RangeError} for a bound or format the suite cannot handle.
 */
export async function sigmoid(suite: Suite, x: S, t: FixedFormat, bound: number): Promise<S> {
  const op = 'sigmoid';
  checkArgs(op, suite, t, bound);
  const n = x.length;
  if (n === 0) return x;
  const f = t.frac;
  const T = suite.compareCapacity - 1;
  const yMin = -(f + 1);
  const unit = Number(pow2(f));
  const xLo = BigInt(Math.ceil(yMin * Math.LN2 * unit)) + 2n;
  const xBits = bitLength(xLo) + 1;
  const cmpBound = Math.max(bound, xBits) + 1;
  const Lg = Math.min(MAX_L, Math.floor((T - 3) / 2));
  const L = Math.min(MAX_L - 2, T + yMin - 4);
  checkPrecision(op, suite, t, Math.min(L, Lg));
  if (cmpBound > suite.compareCapacity) {
    throw new RangeError(`${op}: inputs of up to ${bound} bits are too wide for ${suite.name}`);
  }
  // One ltz call: s = [x < 0], c1 = [x < xLo], c2 = [x > -xLo].
  const c = await suite.ltz(
    suite.concat([x, addConst(suite, x, -xLo), addConst(suite, suite.neg(x), -xLo)]),
    cmpBound,
  );
  const [s, c1, c2] = split(suite, c, [n, n, n]) as [S, S, S];
  // a = clamp(-|x|) = xLo (c1 + c2) + x (2s - c1 + c2 - 1): s c1 = c1 and s c2 = 0 make it linear in the bits.
  const factor = addConst(suite, suite.add(suite.sub(suite.mulScalar(s, 2n), c1), c2), -1n);
  const a = suite.add(suite.mulScalar(suite.add(c1, c2), xLo), await suite.mul(x, factor));
  const E = await exp2Core(suite, a, { f, yMin, zMax: -yMin, out: Lg - 1, L, xBits });
  const sign = addConst(suite, suite.mulScalar(s, 2n), -1n); // 2s - 1
  // v = (1 + E) / 2 with Lg fractional bits.
  const v = addConst(suite, E, pow2(Lg - 1));
  const [W, signedE] = await Promise.all([goldschmidtRecip(suite, v, Lg), suite.mul(E, sign)]);
  // sigma(-|x|) = E W / 2, signed: (2s - 1) sigma(-|x|) + (1 - s).
  const R = await mulTrunc(suite, signedE, W, 2 * Lg - f, 2 * Lg + 2);
  return suite.add(R, suite.mulScalar(addConst(suite, suite.neg(s), 1n), pow2(f)));
}

/** Half-width of a piece of `sigmoidPiecewise` (pieces 1/4 wide) and the saturation point. */
const PW_HALF = 0.125;
const PW_EDGE = 16;
/** Degree of each piece's polynomial. */
const PW_DEGREE = 4;

/** e^-c by 2^10 squarings of a Taylor series at -c / 2^10 (+ - * / only: the same bits everywhere). */
function pwExpNeg(c: number): number {
  const y = -c / 1024;
  let term = 1;
  let sum = 1;
  for (let i = 1; i < 12; i++) {
    term = (term * y) / i;
    sum += term;
  }
  for (let i = 0; i < 10; i++) sum *= sum;
  return sum;
}

/** ln y for y in [1, 2] as 2 atanh(u), u = (y - 1) / (y + 1) <= 1/3 (+ - * / only). */
function pwLog(y: number): number {
  const u = (y - 1) / (y + 1);
  const u2 = u * u;
  let pow = u;
  let sum = 0;
  for (let k = 0; k < 30; k++) {
    sum += pow / (2 * k + 1);
    pow *= u2;
  }
  return 2 * sum;
}

/**
 * Taylor coefficients sigma^(k)(c) / k!, k = 0..PW_DEGREE, at each piece's
 * centre c = -16 + 1/8, -16 + 3/8, ..., 16 - 1/8. Computed with + - * / only
 * (IEEE 754 rounds each correctly, so every engine and party gets the same
 * bits; Math.exp is not guaranteed to): e^-c by 2^10 squarings of a Taylor
 * series at c / 2^10, and sigma^(k) = P_k(sigma) with P_0(s) = s and
 * P_(k+1)(s) = P_k'(s) (s - s^2).
 */
const PW_COEFFS: readonly (readonly number[])[] = (() => {
  const P: number[][] = [[0, 1]];
  for (let k = 0; k < PW_DEGREE; k++) {
    const d = P[k]!.map((c, i) => c * i).slice(1);
    const r = new Array<number>(d.length + 2).fill(0);
    d.forEach((c, i) => {
      r[i + 1]! += c;
      r[i + 2]! -= c;
    });
    P.push(r);
  }
  const out: number[][] = [];
  for (let c = -PW_EDGE + PW_HALF; c < PW_EDGE; c += 2 * PW_HALF) {
    const s = 1 / (1 + pwExpNeg(c));
    let fact = 1;
    out.push(
      P.map((p, k) => {
        if (k > 1) fact *= k;
        let v = 0;
        for (let i = p.length - 1; i >= 0; i--) v = v * s + p[i]!;
        return v / fact;
      }),
    );
  }
  return out;
})();

/**
 * Taylor coefficients of softplus(x) = ln(1 + e^x) at the same centres:
 * softplus(c), then sigma^(k-1)(c) / k! (softplus' = sigma).
 */
const PW_SOFTPLUS: readonly (readonly number[])[] = PW_COEFFS.map((a, i) => {
  const c = -PW_EDGE + PW_HALF + 2 * PW_HALF * i;
  const sp = c < 0 ? pwLog(1 + pwExpNeg(-c)) : c + pwLog(1 + pwExpNeg(c));
  return [sp, ...a.slice(0, PW_DEGREE).map((v, k) => v / (k + 1))];
});

/**
 * The logistic function 1 / (1 + e^-x) as a piecewise polynomial, for few
 * rounds where many comparisons per value are affordable (short vectors:
 * the grouped logistic regression's cells). [-16, 16) is cut into 128
 * pieces of width 1/4; all 129 comparisons x < b_j go in one ltz call, the
 * one-hot piece indicator is their difference, and the piece's centre c and
 * its Taylor coefficients of degree 4 are public tables read linearly by it
 * (no communication). With t = x - c in [-1/8, 1/8) (0 outside [-16, 16),
 * where sigma is 0 or 1 within 2^-23), sigma(x) = sum_k a_k t^k with t^2,
 * t^3 and t^4 in two rounds of products. The comparisons reveal nothing
 * (suite ltz).
 *
 * Error (default format): |R - sigma(x)| < 1 ulp + 2^-22 over the whole
 * range (the Taylor remainder is below 2^-23.9, the saturation 2^-23.1, the
 * powers' and coefficients' roundings below 2^-27), as `sigmoid`.
 *
 * Rounds (any vector length): one ltz, one multiplication, two rounds of
 * multiplication and truncation, one multiplication and one truncation;
 * 16 under rep3 for 32-bit inputs (`sigmoid`: 44). Bandwidth: 129
 * comparisons per value (`sigmoid`: 3), so per-record use on long vectors
 * costs more than it saves.
 * @throws {RangeError} for a bound or format the suite cannot handle.
 */
export async function sigmoidPiecewise(
  suite: Suite,
  x: S,
  t: FixedFormat,
  bound: number,
): Promise<S> {
  return piecewiseQuartic('sigmoidPiecewise', suite, x, t, bound, PW_COEFFS, 'one');
}

/**
 * softplus(x) = ln(1 + e^x) by the pieces of `sigmoidPiecewise` (Taylor
 * coefficients of softplus at the same centres), x itself from 16 on and 0
 * below -16 (both within 2^-23.1). The binomial log-likelihood's term.
 *
 * Error (default format): |R - softplus(x)| < 1 ulp + 2^-22 (Taylor
 * remainder below 2^-24.9). Rounds: as `sigmoidPiecewise` (16 under rep3 for
 * 32-bit inputs; `exp` then `log` take about 60), 129 comparisons per value.
 * @throws {RangeError} for a bound or format the suite cannot handle.
 */
export async function softplusPiecewise(
  suite: Suite,
  x: S,
  t: FixedFormat,
  bound: number,
): Promise<S> {
  return piecewiseQuartic('softplusPiecewise', suite, x, t, bound, PW_SOFTPLUS, 'identity');
}

/**
 * sum_k a_ik (x - c_i)^k on the piece i of [-16, 16) that holds x (quartic
 * Taylor pieces of width 1/4, `coeffs[i]`), 0 below, and above either 1 or x.
 */
async function piecewiseQuartic(
  op: string,
  suite: Suite,
  x: S,
  t: FixedFormat,
  bound: number,
  coeffs: readonly (readonly number[])[],
  above: 'one' | 'identity',
): Promise<S> {
  checkArgs(op, suite, t, bound);
  const n = x.length;
  if (n === 0) return x;
  const f = t.frac;
  const T = suite.compareCapacity - 1;
  // Powers of t with L fractional bits (|t^k| <= 2^-3), coefficients with Lc (|a_k| <= 1).
  const L = Math.min(24, Math.floor((T - 8) / 2));
  const Lc = Math.min(30, T - L - 8);
  checkPrecision(op, suite, t, Math.min(L, Lc));
  if (L < f) throw new RangeError(`${op}: ${suite.name} has no room for ${f} fractional bits`);
  const edgeBits = bitLength(BigInt(PW_EDGE) << BigInt(f)) + 1;
  const cmpBound = Math.max(bound, edgeBits) + 1;
  if (cmpBound > suite.compareCapacity)
    throw new RangeError(`${op}: inputs of up to ${bound} bits are too wide for ${suite.name}`);
  const K = PW_COEFFS.length; // pieces; breakpoints b_j = -16 + j / 4, j = 0..K
  const w = K + 1;
  const breaks = Array.from(
    { length: w },
    (_, j) => -BigInt(PW_EDGE << f) + (BigInt(j) << BigInt(f - 2)),
  );
  const shift = new BigInt64Array(n * w);
  for (let i = 0; i < n; i++) for (let j = 0; j < w; j++) shift[i * w + j] = -breaks[j]!;
  // c_j = [x < b_j], nondecreasing in j; a table V read as V_K + sum_j c_j (V_(j-1) - V_j)
  // gives V_i in piece i (b_i <= x < b_(i+1)), V_(-1) below b_0 and V_K from b_K on.
  const c = await suite.ltz(suite.addPublic(spread(suite, x, n, w), shift), cmpBound);
  const read = (V: readonly bigint[]): S => {
    // V has K + 2 entries: below, the K pieces, above.
    const diffs = Array.from({ length: w }, (_, j) => V[j]! - V[j + 1]!);
    return addConst(suite, weightedSum(suite, c, n, diffs), V[K + 1]!);
  };
  const pieces = (g: (i: number) => bigint, out: bigint) => [
    out,
    ...PW_COEFFS.map((_, i) => g(i)),
    out,
  ];
  // inside = [b_0 <= x < b_K]; t = inside x - centre (centre 0 outside), exact, f fractional bits.
  const inside = read(pieces(() => 1n, 0n));
  const isAbove = read([0n, ...PW_COEFFS.map(() => 0n), 1n]);
  const centre = read(pieces((i) => breaks[i]! + (1n << BigInt(f - 3)), 0n));
  // One round: inside x, and (for the identity above the range) above x.
  const ix = await suite.mul(suite.concat([inside, isAbove]), suite.concat([x, x]));
  const [insideX, aboveX] = split(suite, ix, [n, n]) as [S, S];
  const tf = suite.sub(insideX, centre);
  const t1 = suite.mulScalar(tf, pow2(L - f));
  const t2 = await mulTrunc(suite, t1, t1, L, 2 * L);
  const [t3, t4] = split(
    suite,
    await mulTrunc(suite, suite.concat([t2, t2]), suite.concat([t1, t2]), L, 2 * L),
    [n, n],
  ) as [S, S];
  // sum_k a_k t^k with Lc + L fractional bits (|a_0| <= 17), then one truncation to f.
  const a = Array.from({ length: PW_DEGREE + 1 }, (_, k) =>
    read(pieces((i) => fixConst(coeffs[i]![k]!, k === 0 ? Lc + L : Lc), 0n)),
  );
  const prods = await suite.mul(
    suite.concat([a[1]!, a[2]!, a[3]!, a[4]!]),
    suite.concat([t1, t2, t3, t4]),
  );
  const [p1, p2, p3, p4] = split(suite, prods, [n, n, n, n]) as [S, S, S, S];
  const sum = suite.add(suite.add(p1, p2), suite.add(p3, a[0]!));
  const poly = await suite.trunc(suite.add(sum, p4), Lc + L - f, Lc + L + 7);
  // Above the range: 1, or x itself (exact, f fractional bits).
  return above === 'one'
    ? suite.add(poly, suite.mulScalar(isAbove, pow2(f)))
    : suite.add(poly, aboveX);
}
