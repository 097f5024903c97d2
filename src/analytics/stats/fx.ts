/**
 * The statistics library's internal fixed-point engine: secret vectors of
 * encodings x 2^frac with a public bit bound, on the suite's primitives (like
 * src/ops), so that each statistic can choose its own scale at every step.
 *
 * Why not SecretFixed alone: a statistic mixes quantities of very different
 * ranges (counts up to 2^20, sums of squares up to 2^60, proportions in
 * [0, 1]); with one fixed format per value the 63-bit truncation limit of rep3
 * leaves either no room for products or no precision for small values. Here
 * every value carries its own number of fractional bits, and products and
 * quotients pick the most bits that fit.
 *
 * Assumptions: those of the suite (semi-honest, honest majority, private
 * authenticated channels). Every branch here depends on public data only
 * (lengths, bounds, formats), so nothing leaks beyond what the suite leaks.
 *
 * Bounds: a value with bound b satisfies -2^(b-1) <= enc < 2^(b-1). Linear
 * operations and products grow the bound as the API does; truncation needs
 * b <= 63 (rep3's limit for probabilistic truncation without a sign test),
 * every suite's values stay below 64 bits, and a step that would need more
 * is refused with a RangeError naming the step, never wrapped.
 */
import { SecretBool, SecretFixed, SecretInt, type SessionCore } from '../../api/secret.js';
import { fixed, int } from '../../api/types.js';
import * as fxops from '../../ops/fixed.js';
import type { Shares, Suite } from '../../suites/suite.js';

/** Largest bound the engine truncates or compares (rep3's cheap probabilistic truncation). */
export const T = 63;
/** Largest bound of any value (every suite holds 64-bit integers exactly). */
export const CAP = 64;
/** Internal precision of the reciprocal iteration (fractional bits). */
const L = 28;
/** Extra fractional bits kept on the numerator before the last product of a division. */
const GUARD = 6;
/** 1/v ~ RECIP_A - 2v on [1/2, 1], relative error <= 0.0858 (Catrina-Saxena FC 2010, AppRcr). */
const RECIP_A = 2.9142;

const pow2 = (k: number): bigint => 1n << BigInt(k);

/** Bits of a positive or negative integer, signed (so that -2^(b-1) <= c < 2^(b-1)). */
export function signedBits(c: bigint): number {
  const a = c < 0n ? -c - 1n : c;
  return a === 0n ? 1 : a.toString(2).length + 1;
}

/** ceil(log2 n) for n >= 1 (bits added by summing n terms). */
export function log2ceil(n: number): number {
  return n <= 1 ? 0 : Math.ceil(Math.log2(n));
}

function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

function indices(n: number, f: (i: number) => number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = f(i);
  return out;
}

/** round(c 2^s) for a public real c (IEEE products with powers of two are exact). */
export function fixConst(c: number, s: number): bigint {
  if (!Number.isFinite(c)) throw new RangeError(`stats: constant ${c} is not finite`);
  return BigInt(Math.round(c * 2 ** s));
}

/** Largest bound + frac of a square root's input: its internal precision stays at 24 bits or more. */
export const SQRT_ROOM = 75;

/**
 * The fractional bits `Fx.sqrt` keeps of an input with this bound and frac
 * (at least 2): all of them when bound + frac <= SQRT_ROOM, else fewer.
 */
export function sqrtInputFrac(bound: number, frac: number): number {
  if (bound + frac <= SQRT_ROOM) return frac;
  // Dropping r fractional bits lowers bound + frac by 2r - 1.
  const r = Math.min(Math.ceil((bound + frac - SQRT_ROOM + 1) / 2), frac - 2);
  return r > 0 ? frac - r : frac;
}

/**
 * How `Fx.mulWide` splits a (bound ba, frac fa) times o (bound bb, frac fb):
 * the high limb is a truncated by k bits, o gets fHi fractional bits against
 * it (relative 2^-22 when o >= 1) and fLo against the exact low limb, the
 * smallest k and the most bits that keep each product within T bits. Null
 * when the plain product fits (use `mul`) or no split fits.
 */
export function wideMulPlan(
  ba: number,
  fa: number,
  bb: number,
  fb: number,
): { k: number; fHi: number; fLo: number } | null {
  if (ba + bb - 1 <= T) return null;
  // o's bound with f fractional bits (a truncation adds one).
  const cut = (f: number) => (f < fb ? bb - (fb - f) + 1 : bb);
  const fHi = Math.min(fb, 22);
  // k may exceed fa: the high limb then holds multiples of 2^(k - fa) (a negative frac).
  const k = Math.max(1, ba + cut(fHi) - T);
  if (ba - k + 1 + cut(fHi) - 1 > T) return null;
  let fLo = fb;
  while (fLo >= 0 && k + 1 + cut(fLo) - 1 > T) fLo--;
  return fLo < 0 ? null : { k, fHi, fLo };
}

/**
 * The fractional bits `Fx.mul` cuts a (bound ba, frac fa) and b (bound bb,
 * frac fb) to when their product would pass T bits (null: no cut):
 * fa' + fb' <= T - ia - ib - 3 (a truncation adds a bit). Bounds are often
 * pessimistic, so the cut is shared in proportion to each operand's
 * fractional bits. Exported for the stated bounds (bounds.ts).
 * @throws {RangeError} when the integer parts alone do not fit.
 */
export function mulCut(
  ba: number,
  fa: number,
  bb: number,
  fb: number,
): { fa: number; fb: number } | null {
  if (ba + bb - 1 <= T) return null;
  const ia = ba - 1 - fa;
  const ib = bb - 1 - fb;
  const budget = T - ia - ib - 3;
  if (budget < 0)
    throw new RangeError(
      `stats: a product of ${ia}- and ${ib}-bit integer parts exceeds ${T} bits`,
    );
  const cut = fa + fb - budget;
  const cutA = Math.min(fa, Math.ceil((cut * fa) / Math.max(1, fa + fb)));
  const fbOut = Math.min(fb, budget - (fa - cutA));
  return { fa: budget - fbOut, fb: fbOut };
}

/**
 * A secret vector of fixed-point encodings: element i is enc_i / 2^frac, with
 * -2^(bound-1) <= enc_i < 2^(bound-1). frac 0 is an integer; a negative frac
 * holds multiples of 2^-frac (a wide integer column rounded to fit).
 */
export class Fx {
  readonly sh: Promise<Shares>;

  constructor(
    readonly session: SessionCore,
    sh: Promise<Shares>,
    readonly length: number,
    readonly frac: number,
    readonly bound: number,
    what = 'value',
  ) {
    this.sh = quiet(sh);
    if (!Number.isInteger(bound) || bound > CAP) {
      throw new RangeError(
        `stats: ${what} may need ${bound} bits, beyond the ${CAP}-bit limit; use narrower input types or declared ranges`,
      );
    }
  }

  get suite(): Suite {
    return this.session.suite;
  }

  /** Bits of the integer part, so that |x| < 2^intBits. */
  get intBits(): number {
    return this.bound - 1 - this.frac;
  }

  /** A secret of the program API as an Fx (no communication). */
  static of(x: SecretInt | SecretFixed | SecretBool): Fx {
    const frac = x instanceof SecretFixed ? x.type.frac : 0;
    return new Fx(x.session, x.shares, x.length, frac, x.bound);
  }

  /** Public values as a (trivially shared) vector with `frac` fractional bits. */
  static constant(session: SessionCore, values: readonly number[], frac: number): Fx {
    const enc = BigInt64Array.from(values, (v) => fixConst(v, frac));
    let b = 2;
    for (const c of enc) b = Math.max(b, signedBits(c));
    return new Fx(session, Promise.resolve(session.suite.constant(enc)), enc.length, frac, b);
  }

  /** Joins vectors end to end, aligned to the largest frac that fits every part. */
  static concat(parts: readonly Fx[]): Fx {
    if (parts.length === 0) throw new RangeError('stats: nothing to concatenate');
    // The largest frac that every part can be scaled to without passing 63 bits.
    const frac = Math.min(
      Math.max(...parts.map((p) => p.frac)),
      ...parts.map((p) => Math.max(p.frac, p.frac + 63 - p.bound)),
    );
    const al = parts.map((p) => p.rescale(frac));
    const s = al[0]!.session;
    const n = al.reduce((a, p) => a + p.length, 0);
    const sh = Promise.all(al.map((p) => p.sh)).then((xs) => s.suite.concat(xs));
    return new Fx(s, sh, n, frac, Math.max(...al.map((p) => p.bound)));
  }

  make(sh: Promise<Shares>, frac: number, bound: number, length = this.length, what?: string): Fx {
    return new Fx(this.session, sh, length, frac, bound, what);
  }

  private then(f: (a: Shares) => Shares | Promise<Shares>): Promise<Shares> {
    return this.sh.then(f);
  }

  /**
   * A nonlinear kernel of src/ops/fixed.ts on these encodings, read as the
   * format `t` with input bound `inBound`; the result has `frac` fractional
   * bits and bound `bound` (the kernel's own error and range, see there).
   * For callers outside the engine, which never touch the shares.
   */
  kernel(
    f: (suite: Suite, x: Shares, t: fxops.FixedFormat, bound: number) => Promise<Shares>,
    t: fxops.FixedFormat,
    inBound: number,
    frac: number,
    bound: number,
  ): Fx {
    return this.make(
      this.then((a) => f(this.suite, a, t, inBound)),
      frac,
      bound,
    );
  }

  // ----- conversions to the program API -----

  /** As a SecretFixed with `frac` fractional bits (fewer if a wide value has no room for them). */
  toFixed(frac = this.frac): SecretFixed {
    if (frac < 1) throw new RangeError('stats: a SecretFixed needs at least 1 fractional bit');
    // Scaling up never adds information: stop at 63 bits (keeping at least 1 fractional bit), so
    // that a select on the result (suppression: value or 0) still fits in 64.
    const target =
      frac > this.frac ? Math.max(1, Math.min(frac, this.frac + T - this.bound)) : frac;
    let x = this.rescale(target);
    if (x.bound > T && x.frac > 1) x = x.rescale(Math.max(1, x.frac - (x.bound - T) - 1));
    const bits = Math.min(CAP, Math.max(x.bound, x.frac + 2));
    return new SecretFixed(this.session, fixed({ bits, frac: x.frac }), [x.length], x.bound, x.sh);
  }

  /** As a SecretInt (frac must be 0). */
  toInt(): SecretInt {
    if (this.frac !== 0) throw new RangeError('stats: toInt of a fractional value');
    const bits = Math.min(CAP, Math.max(2, this.bound));
    return new SecretInt(this.session, int(bits), [this.length], this.bound, this.sh);
  }

  /** As a SecretBool (the caller guarantees every element is 0 or 1). */
  toBool(): SecretBool {
    return new SecretBool(this.session, [this.length], this.sh);
  }

  /** Element `i` (or elements [i, j)) as a vector. */
  slice(i: number, j = i + 1): Fx {
    return this.gather(indices(j - i, (k) => i + k));
  }

  /** Public reordering / repetition of elements. */
  gather(idx: Uint32Array): Fx {
    return this.make(
      this.then((a) => this.suite.gather(a, idx)),
      this.frac,
      this.bound,
      idx.length,
    );
  }

  /** The vector repeated `times` times end to end. */
  tile(times: number): Fx {
    const n = this.length;
    return this.gather(indices(n * times, (q) => q % n));
  }

  /** Each element repeated `times` times in place. */
  repeatEach(times: number): Fx {
    return this.gather(indices(this.length * times, (q) => Math.floor(q / times)));
  }

  // ----- linear operations (local) -----

  /** The same values with `frac` fractional bits: exact upward, truncated (|error| < 1 ulp) downward. */
  rescale(frac: number): Fx {
    if (frac === this.frac) return this;
    if (frac > this.frac) {
      const d = frac - this.frac;
      return this.make(
        this.then((a) => this.suite.mulScalar(a, pow2(d))),
        frac,
        this.bound + d,
      );
    }
    const d = this.frac - frac;
    // 64-bit values truncate too (rep3 adds a sign test), but most steps keep to 63.
    if (this.bound > Math.min(CAP, this.suite.compareCapacity))
      throw new RangeError(`stats: cannot truncate a ${this.bound}-bit value`);
    if (d >= this.bound - 1) {
      // Every value is below one unit of the new scale: the result rounds to 0 or +-1.
      return this.make(
        this.then((a) => this.suite.trunc(a, d, this.bound)),
        frac,
        2,
      );
    }
    return this.make(
      this.then((a) => this.suite.trunc(a, d, this.bound)),
      frac,
      this.bound - d + 1,
    );
  }

  /** Drops fractional bits until the bound is at most `bits` (keeps at least `minFrac`). */
  fit(bits: number, minFrac = 0): Fx {
    if (this.bound <= bits) return this;
    const drop = Math.min(this.bound - bits + 1, this.frac - minFrac);
    return drop > 0 ? this.rescale(this.frac - drop) : this;
  }

  add(o: Fx | number): Fx {
    if (typeof o === 'number') return this.addPublic([o]);
    return this.linear(o, (x, y) => this.suite.add(x, y));
  }

  sub(o: Fx | number): Fx {
    if (typeof o === 'number') return this.addPublic([-o]);
    return this.linear(o, (x, y) => this.suite.sub(x, y));
  }

  /** a + b or a - b at the larger frac: bound max + 1. */
  private linear(o: Fx, f2: (x: Shares, y: Shares) => Shares): Fx {
    // Align to the larger frac unless the upshift would leave no room; then truncate the other.
    const lo = this.frac <= o.frac ? this : o;
    const room = lo.frac + 62 - lo.bound;
    let f = Math.max(Math.min(this.frac, o.frac), Math.min(Math.max(this.frac, o.frac), room));
    // A sum that may need more than 64 bits is taken with fewer fractional bits.
    const top = Math.max(this.bound + f - this.frac, o.bound + f - o.frac);
    if (top + 1 > CAP) f -= top + 2 - CAP;
    const a = this.rescale(f);
    const b = o.rescale(f);
    const n = Math.max(a.length, b.length);
    return this.make(
      Promise.all([a.sh, b.sh]).then(([x, y]) =>
        f2(broadcast(this.suite, x, n), broadcast(this.suite, y, n)),
      ),
      f,
      Math.max(a.bound, b.bound) + 1,
      n,
    );
  }

  neg(): Fx {
    return this.make(
      this.then((a) => this.suite.neg(a)),
      this.frac,
      this.bound + 1,
    );
  }

  /** Adds public values (one, broadcast, or one per element), encoded at this frac. */
  addPublic(c: readonly number[]): Fx {
    const enc = BigInt64Array.from(c, (v) => fixConst(v, this.frac));
    let b = 1;
    for (const x of enc) b = Math.max(b, signedBits(x));
    return this.make(
      this.then((a) => this.suite.addPublic(a, enc)),
      this.frac,
      Math.max(this.bound, b) + 1,
    );
  }

  /** Multiplies by public integers (one, broadcast, or one per element): exact. */
  scaleInt(k: readonly bigint[]): Fx {
    const c = BigInt64Array.from(k);
    let b = 1;
    for (const x of c) b = Math.max(b, signedBits(x));
    return this.make(
      this.then((a) => this.suite.mulPublic(a, c)),
      this.frac,
      this.bound + b - 1,
    );
  }

  /**
   * Multiplies by public reals (one, broadcast, or one per element), the
   * constants encoded with as many fractional bits as fit, the result with
   * `frac` bits (default this one's). Error < 1 ulp of the result plus the
   * constant's relative rounding (< 2^-20 for constants above 2^-10).
   */
  mulPublic(c: readonly number[], frac = this.frac): Fx {
    let maxAbs = 0;
    for (const v of c) maxAbs = Math.max(maxAbs, Math.abs(v));
    const cInt = Math.max(0, Math.ceil(Math.log2(maxAbs + 1)));
    const room = T - this.bound - cInt - 1;
    const fc = Math.min(52 - cInt, room);
    if (fc + this.frac < frac) {
      throw new RangeError(`stats: a public factor leaves no room for ${frac} fractional bits`);
    }
    const enc = BigInt64Array.from(c, (v) => fixConst(v, fc));
    let b = 1;
    for (const x of enc) b = Math.max(b, signedBits(x));
    const prod = this.make(
      this.then((a) => this.suite.mulPublic(a, enc)),
      this.frac + fc,
      this.bound + b - 1,
    );
    return prod.rescale(frac);
  }

  /** Sum of all elements (one element). */
  sum(): Fx {
    return this.sumGroups(this.length);
  }

  /**
   * Sums of consecutive groups of m elements. A sum whose bound would pass
   * CAP drops just enough fractional bits first (the sum of m terms needs
   * log2(m) more bits than a term; giving up that much of the terms'
   * precision beats refusing, e.g. a regression intercept with three slopes).
   */
  sumGroups(m: number): Fx {
    const n = this.length;
    if (m === 0 || n === 0) {
      const k = m === 0 ? 0 : n / m;
      return this.make(Promise.resolve(this.suite.constant(new BigInt64Array(k))), this.frac, 2, k);
    }
    const over = this.bound + log2ceil(m) - CAP;
    // Truncating adds one bit to the bound, hence over + 1 bits.
    if (over > 0 && this.frac > over && this.bound <= CAP)
      return this.rescale(this.frac - over - 1).sumGroups(m);
    return this.make(
      this.then((a) => this.suite.sumGroups(a, m)),
      this.frac,
      this.bound + log2ceil(m),
      n / m,
    );
  }

  // ----- products -----

  /**
   * Elementwise product with `frac` fractional bits (default the larger of the
   * two). When the exact product would exceed 63 bits, the operand with more
   * fractional bits is truncated first (never below what `frac` needs, if
   * possible); error < 1 ulp of the result plus the operands' truncation.
   * @throws {RangeError} when even the integer parts do not fit.
   */
  mul(o: Fx, frac = Math.max(this.frac, o.frac)): Fx {
    let a = this.rescale(this.frac);
    let b = o;
    const cut = mulCut(a.bound, a.frac, b.bound, b.frac);
    if (cut) {
      a = a.rescale(cut.fa);
      b = b.rescale(cut.fb);
    }
    const n = Math.max(a.length, b.length);
    const prod = this.make(
      Promise.all([a.sh, b.sh]).then(([x, y]) =>
        this.suite.mul(broadcast(this.suite, x, n), broadcast(this.suite, y, n)),
      ),
      a.frac + b.frac,
      a.bound + b.bound - 1,
      n,
    );
    // When operands had to be truncated, scale back up only as far as the bound allows.
    return prod.rescale(Math.min(frac, Math.max(prod.frac, prod.frac + 62 - prod.bound)));
  }

  /**
   * The exact elementwise product (frac: the sum of both), for operands whose
   * product the caller has proved to stay below 2^(bound - 1) in magnitude,
   * where the operands' own bounds would not show it (a value scaled by a
   * secret power of two chosen from its own size). No bits are cut.
   */
  mulProven(o: Fx, bound: number): Fx {
    const n = Math.max(this.length, o.length);
    return this.make(
      Promise.all([this.sh, o.sh]).then(([x, y]) =>
        this.suite.mul(broadcast(this.suite, x, n), broadcast(this.suite, y, n)),
      ),
      this.frac + o.frac,
      bound,
      n,
    );
  }

  /**
   * Elementwise product like `mul`, for a wide `this` whose value may be far
   * below its bound (a difference of means: bounded by the column's range,
   * often a few units). `mul` would cut both operands to fit 63 bits and so
   * give the small value only a few fractional bits (Welch's t lost a
   * relative 3e-5 that way once in about twenty runs). Here `this` is split
   * into a high limb h (truncated by k bits) and the exact remainder
   * l = this - 2^k h, |l| < 2^k encodings; h and l are each multiplied by `o`
   * truncated to what fits, both products in one round, and summed.
   * Same rounds as `mul` (the split and the cuts of `o` share a round).
   *
   * Error (real units): below |this| 2^-fHi + 2^(k - frac(this) - fLo) + 2
   * ulp of the result, plus `o`'s own error times |this|; `wideMulPlan`
   * gives fHi, k and fLo for the operands' shapes.
   */
  mulWide(o: Fx, frac: number): Fx {
    const plan = wideMulPlan(this.bound, this.frac, o.bound, o.frac);
    if (!plan) return this.mul(o, frac);
    const { k, fHi, fLo } = plan;
    const hi = this.rescale(this.frac - k);
    // l = a - 2^k h exactly: |a / 2^k - h| < 1 (trunc's contract), so |l| < 2^k.
    const lo = new Fx(
      this.session,
      Promise.all([this.sh, hi.sh]).then(([x, h]) =>
        this.suite.add(x, this.suite.neg(this.suite.mulScalar(h, pow2(k)))),
      ),
      this.length,
      this.frac,
      k + 1,
    );
    const oHi = o.rescale(fHi);
    const oLo = o.rescale(fLo);
    const n = Math.max(this.length, o.length);
    const ps = Promise.all([hi.sh, lo.sh, oHi.sh, oLo.sh]).then(([h, l, bh, bl]) =>
      this.suite.mul(
        this.suite.concat([broadcast(this.suite, h, n), broadcast(this.suite, l, n)]),
        this.suite.concat([broadcast(this.suite, bh, n), broadcast(this.suite, bl, n)]),
      ),
    );
    const pick = (from: number) =>
      ps.then((p) =>
        this.suite.gather(
          p,
          indices(n, (i) => from + i),
        ),
      );
    const pHi = this.make(pick(0), hi.frac + fHi, hi.bound + oHi.bound - 1, n);
    const pLo = this.make(pick(n), this.frac + fLo, lo.bound + oLo.bound - 1, n);
    // Both at `frac` (their truncations share a round), then the sum, whose bound is the
    // product's: |this o| < 2^(intBits + o.intBits) plus a few ulps.
    const to = Math.min(frac, pHi.frac, pLo.frac);
    const sum = pHi.rescale(to).add(pLo.rescale(to));
    const bound = Math.min(sum.bound, this.intBits + o.intBits + to + 3);
    return this.make(sum.sh, to, bound, n);
  }

  /**
   * Inner products of consecutive groups of m with `o` (same length), with
   * `frac` bits: one round, one truncation (error < 1 ulp) when it fits in 63
   * bits, else each product is truncated before the sum (error < m ulp).
   */
  dotGroups(o: Fx, m: number, frac = Math.max(this.frac, o.frac)): Fx {
    if (this.length !== o.length)
      throw new RangeError('stats: dot of vectors of different lengths');
    const k = m === 0 ? 0 : this.length / m;
    if (this.length === 0 || m === 0) {
      return this.make(Promise.resolve(this.suite.constant(new BigInt64Array(k))), frac, 2, k);
    }
    const grow = log2ceil(m);
    let a = this.rescale(this.frac);
    let b = o;
    while (a.bound + b.bound - 1 + grow > T && a.frac + b.frac > frac) {
      const big = a.frac >= b.frac ? a : b;
      const drop = Math.min(a.bound + b.bound - 1 + grow - T, a.frac + b.frac - frac, big.frac);
      if (big === a) a = a.rescale(a.frac - drop);
      else b = b.rescale(b.frac - drop);
    }
    if (
      a.bound + b.bound - 1 + grow > CAP ||
      (a.bound + b.bound - 1 + grow > T && a.frac + b.frac > frac)
    ) {
      // Truncate each product before summing.
      return a.mul(b, frac).sumGroups(m);
    }
    const prod = this.make(
      Promise.all([a.sh, b.sh]).then(([x, y]) => this.suite.dot(x, y, m)),
      a.frac + b.frac,
      a.bound + b.bound - 1 + grow,
      k,
    );
    return prod.rescale(frac);
  }

  // ----- comparisons and selection -----

  /** [x < 0] as 0/1 (an integer Fx). */
  ltz(): Fx {
    if (this.bound > this.suite.compareCapacity)
      throw new RangeError(`stats: cannot compare ${this.bound}-bit values`);
    return this.make(
      this.then((a) => this.suite.ltz(a, Math.max(this.bound, 2))),
      0,
      2,
    );
  }

  /** [x == 0] as 0/1. */
  eqz(): Fx {
    if (this.bound > this.suite.compareCapacity)
      throw new RangeError(`stats: cannot compare ${this.bound}-bit values`);
    return this.make(
      this.then((a) => this.suite.eqz(a, Math.max(this.bound, 2))),
      0,
      2,
    );
  }

  /** For a 0/1 vector c (this): c x, exact, with x's bound (one multiplication). */
  mulBit(x: Fx): Fx {
    const n = Math.max(this.length, x.length);
    return x.make(
      Promise.all([this.sh, x.sh]).then(([c, y]) =>
        this.suite.mul(broadcast(this.suite, c, n), broadcast(this.suite, y, n)),
      ),
      x.frac,
      x.bound,
      n,
    );
  }

  /** For a 0/1 vector c: c ? a : b = b + c (a - b), one multiplication. */
  select(a: Fx, b: Fx): Fx {
    const f = Math.max(a.frac, b.frac);
    const bf = b.rescale(f);
    const af = a.rescale(f);
    const n = Math.max(this.length, af.length, bf.length);
    const suite = this.suite;
    // The ring (or field) holds b + c (a - b) exactly even when a - b alone would need one more bit.
    return this.make(
      Promise.all([this.sh, af.sh, bf.sh]).then(async ([c, x, y]) => {
        const yb = broadcast(suite, y, n);
        return suite.add(
          yb,
          await suite.mul(broadcast(suite, c, n), suite.sub(broadcast(suite, x, n), yb)),
        );
      }),
      f,
      Math.max(af.bound, bf.bound),
      n,
    );
  }

  /** 1 - x for a 0/1 vector. */
  not(): Fx {
    return this.neg().addPublic([1]).withBound(2);
  }

  /** max(x, 0). */
  relu(): Fx {
    return this.ltz()
      .select(Fx.zero(this.session, this.length, this.frac), this)
      .withBound(this.bound);
  }

  /**
   * Clamps elements to [-2^q, 2^q] (in real units) with two comparisons, at
   * this frac: x + [x > lim] (lim - x) + [x < -lim] (-lim - x) is computed in
   * the ring, where every term is exact and the sum lies within +-lim, so a
   * wide input (63 bits) keeps all its fractional bits.
   */
  clamp(q: number): Fx {
    const lim = Number(pow2(q));
    const hi = this.sub(lim).neg().ltz(); // [x > lim]
    const lo = this.add(lim).ltz(); // [x < -lim]
    const L = fixConst(lim, this.frac);
    const n = this.length;
    const suite = this.suite;
    const sh = Promise.all([this.sh, hi.sh, lo.sh]).then(async ([x, h, l]) => {
      const moved = await suite.mul(
        suite.concat([h, l]),
        suite.concat([
          suite.addPublic(suite.neg(x), BigInt64Array.of(L)),
          suite.addPublic(suite.neg(x), BigInt64Array.of(-L)),
        ]),
      );
      const part = (off: number) =>
        suite.gather(
          moved,
          indices(n, (i) => off + i),
        );
      return suite.add(x, suite.add(part(0), part(n)));
    });
    return this.make(sh, this.frac, Math.min(this.bound, q + this.frac + 2));
  }

  /** A tighter bound from a proved magnitude |x| < 2^q (plus a bit for rounding), at this frac. */
  withIntBits(q: number): Fx {
    return this.withBound(q + this.frac + 2);
  }

  /** The same shares with a tighter public bound that the caller has proved. */
  withBound(bound: number): Fx {
    return bound >= this.bound ? this : this.make(this.sh, this.frac, bound);
  }

  static zero(session: SessionCore, n: number, frac = 0): Fx {
    return new Fx(
      session,
      Promise.resolve(session.suite.constant(new BigInt64Array(n))),
      n,
      frac,
      2,
    );
  }

  // ----- nonlinear functions -----

  /**
   * For values x > 0 (this vector's encodings), public h and secret integers
   * c = 2^(h - e) with e = ceil((m + 1) / 2) for the leading one m of the
   * encoding, so that x c^2 / 2^(2h) lies in [1/4, 1): a power-of-two
   * approximation of 2^h / sqrt(x) that scales an SPD matrix to a diagonal in
   * [1/4, 1) (van der Sluis: within a factor 4 of Jacobi scaling's condition
   * number). x = 0 (and x < 0, outside the domain) gives some power of two in
   * [1, 2^h]. With `maxShift`, c is at most 2^maxShift (x below about
   * 2^(2(h - maxShift)) then scales to below 1/4). Cost: the bits of x and a
   * suffix-OR (no multiplication).
   */
  pow2Rsqrt(maxShift = Infinity): { c: Fx; h: number } {
    const bb = Math.max(this.bound, 2);
    const w = bb - 1;
    const h = Math.ceil(w / 2);
    const top = Math.min(h, maxShift);
    const n = this.length;
    const suite = this.suite;
    const c = this.then(async (a) => {
      const bits = await suite.bits(a, bb);
      const d = suite.gather(
        bits,
        indices(n * w, (q) => Math.floor(q / w) * bb + (q % w)),
      );
      const p = await suffixOr(suite, d, n, w);
      // table[0]: x = 0; table[m + 1]: leading one at m. Read as table[0] + sum_j p_j (table[j+1] - table[j]).
      const shift = (m: number) => Math.min(top, h - Math.ceil((m + 1) / 2));
      const table = [pow2(top), ...Array.from({ length: w }, (_, m) => pow2(shift(m)))];
      const diffs = table.slice(1).map((t, j) => t - table[j]!);
      return suite.addPublic(weightedSum(suite, p, n, diffs), BigInt64Array.of(table[0]!));
    });
    return { c: this.make(c, 0, top + 2), h };
  }

  /**
   * Elementwise quotient this / den for den >= 0, with `frac` fractional bits,
   * for quotients below 2^qBits in magnitude (the caller proves this, or asks
   * for `saturate`, which clamps larger quotients to about +-2^qBits with two
   * comparisons). den = 0 gives 0.
   *
   * Method (Catrina-Saxena FC 2010, Norm and AppRcr, with the numerator
   * normalised by the same power of two): the bits of den and a suffix-OR
   * give its leading one m, c = 2^(M - m) is a linear function of those bits,
   * V = den c in [2^M, 2^(M+1)) and U = num c exactly (|U| < 2^qBits V by the
   * bound on the quotient). Goldschmidt's iteration on v = V / 2^(M+1) in
   * [1/2, 1) from 2.9142 - 2v gives W = 2^L / v (three steps: relative error
   * 0.0858^8 = 2^-28.3), and q = U W / 2^(M+1+L), the last product split in
   * two limbs when it would exceed 63 bits.
   *
   * Error: relative 2^-25 plus 2 ulp of the result (plus the numerator's
   * own rounding when it had to be truncated to fit, which the caller's
   * bound analysis covers). Rounds (rep3): bits + ceil(log2 w) + about 22,
   * for any vector length; with `early`, the normalisation of den and its
   * reciprocal W run while the numerator is still being computed, so that a
   * late numerator costs only a product, a truncation and the product with W
   * (7 rounds in rep3; the same values, drawn in another order from the
   * suite's randomness).
   */
  divide(
    den: Fx,
    o: {
      qBits: number;
      frac: number;
      saturate?: boolean;
      early?: boolean;
      /** Filled with the fractional bits the numerator kept (for stated error bounds). */
      report?: { numeratorFrac?: number };
    },
  ): Fx {
    if (den.length !== this.length && den.length !== 1)
      throw new RangeError('stats: divide of vectors of different lengths');
    const n = this.length;
    if (n === 0) return this.make(this.sh, o.frac, 2);
    const suite = this.suite;
    const { qBits, frac: fq } = o;
    let a = this.rescale(this.frac);
    const b = den.length === n ? den : den.tile(n);
    // Quotient scale: a / b < 2^qBits in real units means enc(a) < 2^k enc(b), k = qBits + fa - fb.
    if (qBits + a.frac - b.frac < 0) a = a.rescale(b.frac - qBits);
    if (o.saturate) {
      // 2^k enc(b) needs intBits(b) + 1 + qBits + frac(a) bits, and the comparison one more.
      const over = Math.max(b.intBits + 2 + qBits + a.frac, a.bound) - 62;
      if (over > 0) a = a.rescale(a.frac - over - 1);
      let k = qBits + a.frac - b.frac;
      // 2^k enc(b), read at a's scale so that it compares with enc(a). When a had to drop
      // below b's scale (k < 0: a wide den, e.g. sd_x sqrt(n - p) with 25 fractional bits),
      // the limit comes from den truncated to a's scale instead (2^-k would not be an integer).
      let bl = b;
      if (k < 0) {
        bl = b.rescale(b.frac + k);
        k = 0;
      }
      const lim = new Fx(this.session, bl.scaleInt([pow2(k)]).sh, n, a.frac, bl.bound + k);
      const hi = a.sub(lim).ltz().not(); // [a >= lim]
      const lo = a.neg().sub(lim).ltz().not(); // [-a >= lim]
      const amax = lim.addPublic([-1 / 2 ** a.frac]).rescale(a.frac); // lim - 1 (in encodings)
      const moved = Fx.concat([hi, lo]).mulBit(Fx.concat([amax.sub(a), amax.neg().sub(a)]));
      // a + hi (amax - a) + lo (-amax - a) lies in (-lim, lim): add in the ring without bound steps.
      const a0 = a;
      a = a.make(
        Promise.all([a0.sh, moved.sh]).then(([x, mv]) =>
          suite.add(
            x,
            suite.add(
              suite.gather(
                mv,
                indices(n, (i) => i),
              ),
              suite.gather(
                mv,
                indices(n, (i) => n + i),
              ),
            ),
          ),
        ),
        a0.frac,
        Math.min(a0.bound, bl.bound + k + 1),
      );
    }
    const bb = Math.max(b.bound, 2);
    const w = bb - 1; // magnitude bits of den >= 0
    const M = w - 1;
    // U = a c must fit: |U| < 2^(qBits + fa - fb + M + 1) and |U| < 2^(ba - 1 + M).
    const bU = (x: Fx) => Math.min(x.bound - 1 + M, qBits + x.frac - b.frac + M + 1) + 1;
    while (bU(a) > T) {
      // Truncating r bits lowers the bound by r - 1, so drop at least two.
      // Fractional bits first; then low integer bits (a numerator of a wide integer column,
      // e.g. n^2 times a variance, keeps far more significant bits than the quotient needs).
      const r = Math.min(bU(a) - T + 1, a.frac > 0 ? a.frac : a.bound - 3);
      if (r <= 0) throw new RangeError(`stats: divide: a ${a.bound}-bit numerator does not fit`);
      a = a.rescale(a.frac - r);
    }
    const fa = a.frac;
    const fb = b.frac;
    if (o.report) o.report.numeratorFrac = fa;
    const boundU = bU(a);
    const aSh = a.sh;
    // With `early`, the denominator's normalisation starts as soon as it is ready, so that a
    // numerator computed meanwhile costs no rounds of its own.
    const q = (o.early ? b.sh : Promise.all([aSh, b.sh]).then(([, bs]) => bs)).then(async (bs) => {
      const bits = await suite.bits(bs, bb);
      const d = suite.gather(
        bits,
        indices(n * w, (q2) => Math.floor(q2 / w) * bb + (q2 % w)),
      );
      const p = await suffixOr(suite, d, n, w);
      // c = 2^(M-m) = 2^M p_0 - sum_{j>=1} 2^(M-j) p_j, since e_j = p_j - p_(j+1).
      const coeffs = Array.from({ length: w }, (_, j) => (j === 0 ? pow2(M) : -pow2(M - j)));
      const c = weightedSum(suite, p, n, coeffs);
      const p0 = suite.gather(
        p,
        indices(n, (i) => i * w),
      );
      // v with L fractional bits; den = 0 (p_0 = 0) gets v = 1/2 so that the iteration stays bounded.
      const vOf = async (V: Shares) =>
        suite.add(
          M + 1 > L ? await suite.trunc(V, M + 1 - L, M + 2) : suite.mulScalar(V, pow2(L - M - 1)),
          suite.mulScalar(suite.addPublic(suite.neg(p0), BigInt64Array.of(1n)), pow2(L - 1)),
        );
      let U: Shares;
      let Wp: Promise<Shares>;
      if (o.early) {
        // The whole reciprocal of den before the numerator is needed: once the numerator is
        // ready, one product with c, a truncation and the product with W remain.
        Wp = suite
          .mul(bs, c)
          .then(vOf)
          .then((v) => goldschmidt(suite, v));
        Wp.catch(() => undefined);
        U = await suite.mul(await aSh, c);
      } else {
        const as = await aSh;
        const UV = await suite.mul(suite.concat([as, bs]), suite.concat([c, c]));
        U = suite.gather(
          UV,
          indices(n, (i) => i),
        );
        const V = suite.gather(
          UV,
          indices(n, (i) => n + i),
        );
        const v = await vOf(V);
        Wp = goldschmidt(suite, v);
      }
      const s = fa - fb - fq + M + 1 + L; // q_enc = U W / 2^s
      // Guard bits on the scaled numerator, as many as keep it within 63 bits.
      const g = Math.max(0, Math.min(GUARD, 61 - qBits - fq));
      const t1 = s - L - g;
      const [W, Up] = await Promise.all([
        Wp,
        t1 > 0 ? suite.trunc(U, t1, boundU) : Promise.resolve(suite.mulScalar(U, pow2(-t1))),
      ]);
      // |Up| = |q| v 2^(fq + g) < 2^(qBits + fq + g), plus rounding.
      const bUp = Math.min(qBits + fq + g + 2, t1 > 0 ? boundU - t1 + 1 : boundU - t1);
      const shift = L + g;
      if (bUp + L + 1 <= T) return suite.trunc(await suite.mul(Up, W), shift, bUp + L + 1);
      // Two limbs: Up = Uh 2^h + Ul with |Ul| <= 2^h, so each product fits in 63 bits.
      const h = bUp + L - 61;
      if (h > 61 - L)
        throw new RangeError(`stats: divide: a ${bUp}-bit scaled numerator does not fit`);
      const Uh = await suite.trunc(Up, h, bUp);
      const Ul = suite.sub(Up, suite.mulScalar(Uh, pow2(h)));
      const prods = await suite.mul(suite.concat([Uh, Ul]), suite.concat([W, W]));
      const hiProd = suite.gather(
        prods,
        indices(n, (i) => i),
      );
      const [hiP, loP] = await Promise.all([
        shift > h
          ? suite.trunc(hiProd, shift - h, bUp - h + L + 2)
          : Promise.resolve(suite.mulScalar(hiProd, pow2(h - shift))),
        suite.trunc(
          suite.gather(
            prods,
            indices(n, (i) => n + i),
          ),
          shift,
          h + L + 2,
        ),
      ]);
      return suite.add(hiP, loP);
    });
    return this.make(q, fq, qBits + fq + 2, n, 'a quotient');
  }

  /**
   * sqrt(x) for x >= 0 (negative inputs give meaningless values), with this
   * frac, by src/ops/fixed.ts (normalisation and Goldschmidt): relative error
   * 2^-22 or better plus about 1 ulp. When bound + frac > 75 the input is
   * first truncated (`sqrtInputFrac`) so that the internal precision stays at 24 bits or more.
   */
  sqrt(): Fx {
    let x = this.rescale(this.frac);
    if (x.frac < 2) x = x.rescale(2);
    const kept = sqrtInputFrac(x.bound, x.frac);
    if (kept < x.frac) x = x.rescale(kept);
    if (x.bound + x.frac > SQRT_ROOM) throw new RangeError(`stats: sqrt of a ${x.bound}-bit value`);
    const f = x.frac;
    const out = Math.ceil((x.bound - 1 - f) / 2) + f + 2;
    return this.make(
      x.sh.then((a) => fxops.sqrt(this.suite, a, { bits: CAP, frac: f }, Math.max(x.bound, 2))),
      f,
      out,
    );
  }
}

function broadcast(suite: Suite, x: Shares, n: number): Shares {
  return x.length === n ? x : suite.gather(x, new Uint32Array(n));
}

/** sum_j coeffs[j] b[i w + j] for each element i (local). */
function weightedSum(suite: Suite, b: Shares, n: number, coeffs: readonly bigint[]): Shares {
  const w = coeffs.length;
  const tiled = new BigInt64Array(n * w);
  for (let i = 0; i < n; i++) for (let j = 0; j < w; j++) tiled[i * w + j] = coeffs[j]!;
  return suite.sumGroups(suite.mulPublic(b, tiled), w);
}

/**
 * Suffix-OR p_j = d_j OR ... OR d_(w-1) of w bits per element (element-major),
 * by doubling: ceil(log2 w) rounds (a OR b = a + b - ab).
 */
async function suffixOr(suite: Suite, d: Shares, n: number, w: number): Promise<Shares> {
  let p = d;
  for (let s = 1; s < w; s *= 2) {
    const m = w - s;
    const a = suite.gather(
      p,
      indices(n * m, (q) => Math.floor(q / m) * w + (q % m)),
    );
    const b = suite.gather(
      p,
      indices(n * m, (q) => Math.floor(q / m) * w + (q % m) + s),
    );
    const or = suite.sub(suite.add(a, b), await suite.mul(a, b));
    p = suite.gather(
      suite.concat([p, or]),
      indices(n * w, (q) => {
        const i = Math.floor(q / w);
        const j = q % w;
        return j < m ? n * w + i * m + j : q;
      }),
    );
  }
  return p;
}

/**
 * W = 2^L / v for v in [1/2, 1) with L fractional bits: y0 = 2.9142 - 2v,
 * e0 = 1 - v y0, then y <- y (1 + e), e <- e^2 three times (Goldschmidt).
 */
async function goldschmidt(suite: Suite, v: Shares): Promise<Shares> {
  const n = v.length;
  const one = pow2(L);
  const B = 2 * L + 3;
  let y = suite.addPublic(suite.mulScalar(v, -2n), BigInt64Array.of(fixConst(RECIP_A, L)));
  let e = suite.addPublic(
    suite.neg(await suite.trunc(await suite.mul(v, y), L, B)),
    BigInt64Array.of(one),
  );
  for (let k = 0; k < 3; k++) {
    const last = k === 2;
    const prods = await suite.trunc(
      await suite.mul(last ? y : suite.concat([y, e]), last ? e : suite.concat([e, e])),
      L,
      B,
    );
    const ye = last
      ? prods
      : suite.gather(
          prods,
          indices(n, (i) => i),
        );
    if (!last)
      e = suite.gather(
        prods,
        indices(n, (i) => n + i),
      );
    y = suite.add(y, ye);
  }
  return y;
}
