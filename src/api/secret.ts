/**
 * Secret values as programs see them: SecretInt, SecretFixed and SecretBool,
 * each a scalar, vector or matrix of secret-shared elements.
 *
 * Operations return new secrets at once and run the protocol in the
 * background; a secret's shares are a promise. Independent operations issued
 * one after another therefore land in the same communication round (see
 * src/runtime/party.ts), and only `reveal` needs an `await`.
 *
 * Secrets are opaque: they cannot be printed, serialised, compared with `<`
 * or turned into numbers, and values of different sessions or different
 * types cannot be combined. Each misuse throws at the call.
 *
 * Every secret carries a public `bound` b, a promise that each element x
 * satisfies -2^(b-1) <= x < 2^(b-1) as an integer. Linear operations and
 * products grow it; comparisons and truncation use it to pick their bit
 * length and refuse values too wide for the suite, instead of answering wrongly.
 */
import { SecretMisuseError } from '../runtime/errors.js';
import type { Shares, Suite } from '../suites/suite.js';
import * as cmp from '../ops/compare.js';
import * as fx from '../ops/fixed.js';
import { sortBy } from '../ops/sort.js';
import {
  bool,
  checkRevealed,
  decodeBool,
  decodeFixed,
  encode,
  typeName,
  type BoolType,
  type FixedType,
  type IntType,
  type PlainValue,
  type SecretType,
} from './types.js';

/** What a secret needs from its session (implemented by Session). */
export interface SessionCore {
  readonly suite: Suite;
  readonly id: string;
  /** Opens shares to the listed parties (indices); others get undefined. */
  open(shares: Shares, to: readonly number[]): Promise<bigint[] | undefined>;
  indexOf(party: string): number;
}

/** What a party that is not a recipient of a reveal gets back. */
export interface NotRecipient {
  readonly recipient: false;
}
export interface Recipient<V> {
  readonly recipient: true;
  readonly values: V[];
}
export type Revealed<V> = Recipient<V> | NotRecipient;

type Shape = readonly number[];
type PublicOperand = PlainValue | ArrayLike<PlainValue>;

const misuse = (what: string) =>
  new SecretMisuseError(
    `${what}: a secret has no public value; reveal it first (await x.reveal())`,
  );

function size(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

function shapeText(shape: Shape): string {
  return shape.length === 0 ? 'scalar' : `[${shape.join(', ')}]`;
}

/** Keeps a rejected intermediate from being reported as unhandled; consumers still see the error. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

export abstract class Secret<V> {
  /** @internal The suite's shares, resolved when the protocol step completes. */
  readonly shares: Promise<Shares>;

  constructor(
    /** @internal */ readonly session: SessionCore,
    readonly type: SecretType,
    readonly shape: Shape,
    /** Public bit bound on the magnitude of every element. */
    readonly bound: number,
    shares: Promise<Shares>,
  ) {
    // Quiet first: if the bound check below throws, the pending protocol step
    // must not surface later as an unhandled rejection.
    this.shares = quiet(shares);
    if (bound > MAX_BOUND) {
      // Refuse at the call rather than let a ring wrap around silently.
      throw new RangeError(
        `${typeName(type)}: this result may need ${bound} bits; Entente keeps values exact up to ${MAX_BOUND} bits. ` +
          'Use narrower inputs, or rescale (trunc) before multiplying',
      );
    }
  }

  /** Whether this secret belongs to `session` (secrets of different sessions never combine). */
  belongsTo(session: SessionCore): boolean {
    return this.session === session;
  }

  /**
   * Resolves once this secret has been computed (its protocol steps done),
   * rejects with the failure that stopped them. Reveals nothing; for a
   * program that must wait before opening a channel (see Session.adopt).
   */
  async ready(): Promise<void> {
    await this.shares;
  }

  /** Number of elements. */
  get length(): number {
    return size(this.shape);
  }

  protected get suite(): Suite {
    return this.session.suite;
  }

  // ----- misuse guards: a secret has no public value -----
  valueOf(): never {
    throw misuse('valueOf (used in a comparison, arithmetic or an if)');
  }
  toString(): never {
    throw misuse('toString (used in string concatenation or printing)');
  }
  toJSON(): never {
    throw misuse('toJSON (JSON.stringify)');
  }
  [Symbol.toPrimitive](): never {
    throw misuse('conversion to a primitive');
  }
  /** What console.log and util.inspect show: the type, never a share. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret<${typeName(this.type)} ${shapeText(this.shape)}>`;
  }

  /** Reveals to every party. @throws {OverflowError} when a value left the declared range. */
  async reveal(): Promise<V[]> {
    const all = Array.from({ length: this.suite.party.n }, (_, i) => i);
    const xs = await this.session.open(await this.shares, all);
    return this.decode(xs!, 'reveal');
  }

  /** The range a revealed value must lie in: the declared type widened to the tracked bound. */
  protected get revealType(): SecretType {
    if (this.type.kind === 'bool') return this.type;
    return { ...this.type, bits: Math.min(MAX_BOUND, Math.max(this.type.bits, this.bound)) };
  }

  /**
   * Reveals to the named parties only; every party must call it. Others get
   * `{ recipient: false }` and learn nothing.
   */
  async revealTo(parties: readonly string[]): Promise<Revealed<V>> {
    if (parties.length === 0) throw new RangeError('revealTo: name at least one party');
    const to = parties.map((p) => this.session.indexOf(p));
    const xs = await this.session.open(await this.shares, to);
    if (!xs) return { recipient: false };
    return { recipient: true, values: this.decode(xs, 'revealTo') };
  }

  protected abstract decode(xs: bigint[], op: string): V[];

  /** @internal Checks that `o` belongs to this session and has this type. */
  protected checkPeer(op: string, o: Secret<unknown>): void {
    if (!(o instanceof Secret)) throw new TypeError(`${op}: expected a secret, got ${typeof o}`);
    if (o.session !== this.session) {
      throw new SecretMisuseError(`${op}: the two secrets belong to different sessions`);
    }
    if (!compatible(o.type, this.type)) {
      throw new TypeError(
        `${op}: cannot combine ${typeName(this.type)} with ${typeName(o.type)}; convert one first`,
      );
    }
  }

  /** Output shape of an elementwise op; a scalar operand is broadcast. */
  protected pairShape(op: string, o: { shape: Shape }): Shape {
    if (sameShape(this.shape, o.shape)) return this.shape;
    if (size(o.shape) === 1 && o.shape.length === 0) return this.shape;
    if (size(this.shape) === 1 && this.shape.length === 0) return o.shape;
    throw new RangeError(`${op}: shapes ${shapeText(this.shape)} and ${shapeText(o.shape)} differ`);
  }

  /** Replicates a scalar's shares to n elements (local). */
  protected static broadcastShares(suite: Suite, sh: Shares, n: number): Shares {
    return sh.length === n ? sh : suite.gather(sh, new Uint32Array(n));
  }
}

/**
 * Integers of different widths combine (the bound tracks the true range);
 * fixed-point values combine only with the same fractional bits.
 */
function compatible(a: SecretType, b: SecretType): boolean {
  return a.kind === b.kind && (a.kind !== 'fixed' || a.frac === (b as FixedType).frac);
}

/** The most bits any value may need: every suite holds 64-bit integers exactly. */
export const MAX_BOUND = 64;

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Encodes a public operand of `t` for a secret of shape `shape` (scalars broadcast). */
function encodePublic(t: SecretType, shape: Shape, c: PublicOperand, op: string): BigInt64Array {
  const arr: ArrayLike<PlainValue> = typeof c === 'object' ? c : [c];
  if (arr.length !== 1 && arr.length !== size(shape)) {
    throw new RangeError(`${op}: ${arr.length} public values for ${size(shape)} elements`);
  }
  // Public operands may exceed the type's range (x.add(1000) on an int(8) sum is
  // fine): their magnitude enters the bound, and the result is checked at reveal.
  const wide: SecretType = t.kind === 'bool' ? t : { ...t, bits: 64 };
  return encode(wide, arr, `${op} operand`);
}

function bitsOf(c: BigInt64Array): number {
  let m = 0n;
  for (const x of c) m = (x < 0n ? -x : x) > m ? (x < 0n ? -x : x) : m;
  return m.toString(2).length + 1;
}

type NumericType = IntType | FixedType;

/** Operations shared by integers and fixed-point numbers. */
abstract class SecretNumber<V, Self extends SecretNumber<V, Self>> extends Secret<V> {
  declare readonly type: NumericType;

  /** Builds a secret of this class. */
  protected abstract make(shape: Shape, bound: number, shares: Promise<Shares>): Self;

  private binary(
    op: string,
    o: Self | PublicOperand,
    f: (a: Shares, b: Shares) => Shares,
    pub: (a: Shares, c: BigInt64Array) => Shares,
    bound: (b1: number, b2: number) => number,
  ): Self {
    if (o instanceof Secret) {
      this.checkPeer(op, o);
      const shape = this.pairShape(op, o);
      const n = size(shape);
      const suite = this.suite;
      const p = Promise.all([this.shares, o.shares]).then(([a, b]) =>
        f(Secret.broadcastShares(suite, a, n), Secret.broadcastShares(suite, b, n)),
      );
      return this.make(shape, bound(this.bound, o.bound), p);
    }
    const c = encodePublic(this.type, this.shape, o, op);
    return this.make(
      this.shape,
      bound(this.bound, bitsOf(c)),
      this.shares.then((a) => pub(a, c)),
    );
  }

  /** Elementwise sum with a secret or public value. */
  add(o: Self | PublicOperand): Self {
    return this.binary(
      'add',
      o,
      (a, b) => this.suite.add(a, b),
      (a, c) => this.suite.addPublic(a, c),
      (x, y) => Math.max(x, y) + 1,
    );
  }

  /** Elementwise difference. */
  sub(o: Self | PublicOperand): Self {
    return this.binary(
      'sub',
      o,
      (a, b) => this.suite.sub(a, b),
      (a, c) => this.suite.addPublic(a, negate(c)),
      (x, y) => Math.max(x, y) + 1,
    );
  }

  neg(): Self {
    return this.make(
      this.shape,
      this.bound + 1,
      this.shares.then((a) => this.suite.neg(a)),
    );
  }

  /** Sum of all elements (a scalar). */
  sum(): Self {
    const n = this.length;
    const grow = n <= 1 ? 0 : Math.ceil(Math.log2(n));
    return this.make(
      [],
      this.bound + grow,
      this.shares.then((a) =>
        n === 0 ? this.suite.constant(new BigInt64Array(1)) : this.suite.sumGroups(a, n),
      ),
    );
  }

  // ----- comparisons: secret booleans -----
  lt(o: Self | PublicOperand): SecretBool {
    return this.compare('lt', o, (a, b, bd) => cmp.lt(this.suite, a, b, bd));
  }
  gt(o: Self | PublicOperand): SecretBool {
    return this.compare('gt', o, (a, b, bd) => cmp.lt(this.suite, b, a, bd));
  }
  le(o: Self | PublicOperand): SecretBool {
    return this.compare('le', o, async (a, b, bd) =>
      cmp.not(this.suite, await cmp.lt(this.suite, b, a, bd)),
    );
  }
  ge(o: Self | PublicOperand): SecretBool {
    return this.compare('ge', o, async (a, b, bd) =>
      cmp.not(this.suite, await cmp.lt(this.suite, a, b, bd)),
    );
  }
  eq(o: Self | PublicOperand): SecretBool {
    return this.compare('eq', o, (a, b, bd) => cmp.eq(this.suite, a, b, bd));
  }
  ne(o: Self | PublicOperand): SecretBool {
    return this.compare('ne', o, async (a, b, bd) =>
      cmp.not(this.suite, await cmp.eq(this.suite, a, b, bd)),
    );
  }

  private compare(
    op: string,
    o: Self | PublicOperand,
    f: (a: Shares, b: Shares, bound: number) => Promise<Shares>,
  ): SecretBool {
    const other = o instanceof Secret ? o : this.publicAsSecret(op, o);
    this.checkPeer(op, other);
    const shape = this.pairShape(op, other);
    const bd = Math.max(this.bound, other.bound);
    this.checkCompare(op, bd + 1);
    const n = size(shape);
    const p = Promise.all([this.shares, other.shares]).then(([a, b]) =>
      f(Secret.broadcastShares(this.suite, a, n), Secret.broadcastShares(this.suite, b, n), bd),
    );
    return new SecretBool(this.session, shape, p);
  }

  /** A public operand as a (trivially shared) secret of this type. */
  protected publicAsSecret(op: string, c: PublicOperand): Self {
    const enc = encodePublic(this.type, this.shape, c, op);
    const shape =
      enc.length === 1 && this.shape.length > 0 && size(this.shape) !== 1 ? [] : this.shape;
    return this.make(shape, bitsOf(enc), Promise.resolve(this.suite.constant(enc)));
  }

  protected checkCompare(op: string, bound: number): void {
    if (bound > this.suite.compareCapacity) {
      throw new RangeError(
        `${op}: operands of up to ${bound - 1} bits are too wide for the ${this.suite.name} suite's ` +
          `${this.suite.compareCapacity}-bit comparisons; use a narrower type`,
      );
    }
  }

  /** |x|, elementwise. */
  abs(): Self {
    this.checkCompare('abs', this.bound);
    return this.make(
      this.shape,
      this.bound + 1,
      this.shares.then((a) => cmp.abs(this.suite, a, this.bound)),
    );
  }

  /** -1, 0 or 1 by the sign of x, in this type (fixed: -1.0, 0.0, 1.0). */
  sign(): Self {
    this.checkCompare('sign', this.bound);
    const one = this.type.kind === 'fixed' ? 1n << BigInt(this.type.frac) : 1n;
    return this.make(
      this.shape,
      this.type.kind === 'fixed' ? this.type.frac + 2 : 2,
      this.shares.then(async (a) =>
        this.suite.mulScalar(await cmp.sign(this.suite, a, this.bound), one),
      ),
    );
  }

  /** Elementwise minimum with another secret. */
  minimum(o: Self): Self {
    return this.extreme2('minimum', o, false);
  }
  /** Elementwise maximum with another secret. */
  maximum(o: Self): Self {
    return this.extreme2('maximum', o, true);
  }
  private extreme2(op: string, o: Self, max: boolean): Self {
    this.checkPeer(op, o);
    const shape = this.pairShape(op, o);
    const bd = Math.max(this.bound, o.bound);
    this.checkCompare(op, bd + 1);
    const n = size(shape);
    const p = Promise.all([this.shares, o.shares]).then(([a, b]) =>
      cmp.minMax(
        this.suite,
        Secret.broadcastShares(this.suite, a, n),
        Secret.broadcastShares(this.suite, b, n),
        bd,
        max,
      ),
    );
    return this.make(shape, bd, p);
  }

  /** Smallest element (a scalar). @throws {RangeError} for an empty vector. */
  min(): Self {
    return this.reduce('min', false).value;
  }
  /** Largest element (a scalar). */
  max(): Self {
    return this.reduce('max', true).value;
  }
  /** Index of the smallest element (first occurrence), as a secret int(32). */
  argmin(): SecretInt {
    return this.reduce('argmin', false, true).index;
  }
  /** Index of the largest element (first occurrence). */
  argmax(): SecretInt {
    return this.reduce('argmax', true, true).index;
  }
  private reduce(op: string, max: boolean, withIndex = false): { value: Self; index: SecretInt } {
    if (this.length === 0) throw new RangeError(`${op}: empty vector`);
    this.checkCompare(op, this.bound + 1);
    const r = this.shares.then((a) => cmp.reduceExtreme(this.suite, a, this.bound, max, withIndex));
    return {
      value: this.make(
        [],
        this.bound,
        r.then((x) => x.value),
      ),
      index: new SecretInt(
        this.session,
        { kind: 'int', bits: 32 },
        [],
        33,
        r.then((x) => x.index ?? this.suite.constant(new BigInt64Array(1))),
      ),
    };
  }

  /**
   * The elements in ascending (or descending) order; nothing about the
   * order is revealed. Under semi-honest honest-majority suites by a secret
   * shuffle and quicksort with revealed comparisons of index-tagged keys
   * (about 1.2 n log2 n comparisons in O(log n) rounds of comparisons), else by
   * Batcher's network (n log^2 n / 4 comparisons in log2(n)^2 / 2 layers);
   * see src/ops/sort.ts.
   */
  sort(descending = false): Self {
    this.checkCompare('sort', this.bound + 1);
    const p = this.shares.then(
      async (a) => (await sortBy(this.suite, a, this.bound, [], descending)).keys,
    );
    return this.make([this.length], this.bound, p);
  }

  // ----- shape -----
  /** Elements [start, end) of the flattened vector, as a vector. */
  slice(start: number, end = this.length): Self {
    if (
      !Number.isInteger(start) ||
      !Number.isInteger(end) ||
      start < 0 ||
      end > this.length ||
      start > end
    ) {
      throw new RangeError(`slice: [${start}, ${end}) is outside 0..${this.length}`);
    }
    const idx = Uint32Array.from({ length: end - start }, (_, i) => start + i);
    return this.make(
      [end - start],
      this.bound,
      this.shares.then((a) => this.suite.gather(a, idx)),
    );
  }
  /** Element i as a scalar. */
  at(i: number): Self {
    const s = this.slice(i, i + 1);
    return this.make([], s.bound, s.shares);
  }
  /** Same elements, new shape. @throws {RangeError} when the sizes differ. */
  reshape(shape: Shape): Self {
    if (size(shape) !== this.length)
      throw new RangeError(`reshape: ${shapeText(shape)} does not hold ${this.length} elements`);
    return this.make(shape, this.bound, this.shares);
  }

  /**
   * The elements at public positions `idx` of the flattened vector (repeats
   * allowed), as a vector of idx.length elements. Local: no communication.
   * @throws {RangeError} for a position outside 0..length-1.
   */
  gather(idx: ArrayLike<number>): Self {
    const at = publicIndices('gather', idx, this.length);
    return this.make(
      [at.length],
      this.bound,
      this.shares.then((a) => this.suite.gather(a, at)),
    );
  }

  /**
   * Sums of consecutive groups of m elements: element g is the sum of
   * elements g m .. g m + m - 1, a vector of length / m. Local.
   * @throws {RangeError} when m is not a positive integer dividing the length.
   */
  sumGroups(m: number): Self {
    if (!Number.isInteger(m) || m < 1 || this.length % m !== 0)
      throw new RangeError(`sumGroups: groups of ${m} do not divide ${this.length} elements`);
    const grow = m <= 1 ? 0 : Math.ceil(Math.log2(m));
    return this.make(
      [this.length / m],
      this.bound + grow,
      this.shares.then((a) => this.suite.sumGroups(a, m)),
    );
  }
}

/** Checks public positions into 0..length-1 for `gather` (no copy of a valid Uint32Array). */
function publicIndices(op: string, idx: ArrayLike<number>, length: number): Uint32Array {
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= length)
      throw new RangeError(`${op}: position ${i} is ${v}, outside 0..${length - 1}`);
  }
  return idx instanceof Uint32Array ? idx : Uint32Array.from(idx);
}

function negate(c: BigInt64Array): BigInt64Array {
  return c.map((x) => -x);
}

export class SecretInt extends SecretNumber<bigint, SecretInt> {
  declare readonly type: IntType;

  protected make(shape: Shape, bound: number, shares: Promise<Shares>): SecretInt {
    return new SecretInt(this.session, this.type, shape, bound, shares);
  }

  protected decode(xs: bigint[], op: string): bigint[] {
    checkRevealed(this.revealType, xs, op);
    return xs;
  }

  /** Reveals as JavaScript numbers. @throws {RangeError} if a value is not a safe integer. */
  async revealNumbers(): Promise<number[]> {
    const xs = await this.reveal();
    return xs.map((x) => {
      if (x > BigInt(Number.MAX_SAFE_INTEGER) || x < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new RangeError('revealNumbers: a value is beyond 2^53; use reveal() for bigints');
      }
      return Number(x);
    });
  }

  /** Elementwise product (exact integer product). */
  mul(o: SecretInt | PublicOperand): SecretInt {
    if (o instanceof Secret) {
      this.checkPeer('mul', o);
      const shape = this.pairShape('mul', o);
      const n = size(shape);
      const p = Promise.all([this.shares, o.shares]).then(([a, b]) =>
        this.suite.mul(
          Secret.broadcastShares(this.suite, a, n),
          Secret.broadcastShares(this.suite, b, n),
        ),
      );
      return this.make(shape, this.bound + o.bound, p);
    }
    const c = encodePublic(this.type, this.shape, o, 'mul');
    return this.make(
      this.shape,
      this.bound + bitsOf(c),
      this.shares.then((a) => this.suite.mulPublic(a, c)),
    );
  }

  /** Inner product of two vectors of equal length (one round). */
  dot(o: SecretInt): SecretInt {
    return dotProduct(this, o, (shape, bound, p) => this.make(shape, bound, p), 0);
  }

  /** Matrix product of [r, m] and [m, c] matrices. */
  matmul(o: SecretInt): SecretInt {
    return matrixProduct(this, o, (shape, bound, p) => this.make(shape, bound, p), 0);
  }

  /** floor(x / 2^m) up to rounding: the result is x / 2^m rounded up or down (probabilistic, |error| < 1). */
  trunc(m: number): SecretInt {
    if (!Number.isInteger(m) || m < 0 || m >= this.bound)
      throw new RangeError(`trunc: shift ${m} outside 0..${this.bound - 1}`);
    if (m === 0) return this;
    this.checkCompare('trunc', this.bound);
    return this.make(
      this.shape,
      Math.max(2, this.bound - m + 1),
      this.shares.then((a) => this.suite.trunc(a, m, this.bound)),
    );
  }

  /** The two's-complement bits of each element (bit 0 first; the last is the sign), shape [...shape, bits]. */
  bits(): SecretBool {
    const k = Math.max(this.type.bits, this.bound);
    this.checkCompare('bits', k);
    return new SecretBool(
      this.session,
      [...this.shape, k],
      this.shares.then((a) => this.suite.bits(a, k)),
    );
  }

  /** The same values as fixed-point numbers. @throws {RangeError} if they may not fit. */
  toFixed(t: FixedType): SecretFixed {
    const bound = this.bound + t.frac;
    if (bound > t.bits)
      throw new RangeError(
        `toFixed: int values of ${this.bound} bits need ${bound} bits in ${typeName(t)}`,
      );
    return new SecretFixed(
      this.session,
      t,
      this.shape,
      bound,
      this.shares.then((a) => this.suite.mulScalar(a, 1n << BigInt(t.frac))),
    );
  }

  /**
   * The same shares as int(bits) with bound `bits`: for values the program
   * knows to fit, by a public check it has made (counts at most a public row
   * count) or by construction (a sum of disjoint indicators). No
   * communication. The claim is the caller's: comparisons and truncations
   * then work on `bits` bits, and a value outside the range makes them wrong
   * (reveal still refuses it with an OverflowError).
   * @throws {RangeError} for bits outside 2..64.
   */
  assumeBound(bits: number): SecretInt {
    if (!Number.isInteger(bits) || bits < 2 || bits > MAX_BOUND)
      throw new RangeError(`assumeBound: ${bits} bits is outside 2..${MAX_BOUND}`);
    return new SecretInt(this.session, { kind: 'int', bits }, this.shape, bits, this.shares);
  }

  /**
   * The same shares as booleans, for integers the program knows to be 0 or
   * 1 (a sum of disjoint indicators, an input column of 0/1 values). No
   * communication; the claim is the caller's, as for `assumeBound`.
   */
  assumeBool(): SecretBool {
    return new SecretBool(this.session, this.shape, this.shares);
  }
}

export class SecretFixed extends SecretNumber<number, SecretFixed> {
  declare readonly type: FixedType;

  protected make(shape: Shape, bound: number, shares: Promise<Shares>): SecretFixed {
    return new SecretFixed(this.session, this.type, shape, bound, shares);
  }

  protected decode(xs: bigint[], op: string): number[] {
    checkRevealed(this.revealType, xs, op);
    return decodeFixed(this.type, xs);
  }

  /**
   * Elementwise product, truncated back to `frac` fractional bits.
   * Error: at most 2^-frac (one unit in the last place) per product.
   */
  mul(o: SecretFixed | PublicOperand): SecretFixed {
    const f = this.type.frac;
    if (o instanceof Secret) {
      this.checkPeer('mul', o);
      const shape = this.pairShape('mul', o);
      const n = size(shape);
      const wide = this.bound + o.bound - 1;
      this.checkTrunc('mul', wide);
      const p = Promise.all([this.shares, o.shares]).then(async ([a, b]) =>
        this.suite.trunc(
          await this.suite.mul(
            Secret.broadcastShares(this.suite, a, n),
            Secret.broadcastShares(this.suite, b, n),
          ),
          f,
          wide,
        ),
      );
      return this.make(shape, Math.max(2, wide - f + 1), p);
    }
    // A public factor is encoded with as many fractional bits as the suite's
    // truncation leaves room for (at least frac), so x * (1/600) is accurate to
    // about one unit of x's last place rather than off by the constant's rounding.
    const coarse = encodePublic(this.type, this.shape, o, 'mul');
    const room = this.suite.compareCapacity - 1 - this.bound - (bitsOf(coarse) - f);
    const fc = Math.max(f, Math.min(room, 52));
    const c = fc === f ? coarse : encodePublic({ ...this.type, frac: fc }, this.shape, o, 'mul');
    const wide = this.bound + bitsOf(c) - 1;
    this.checkTrunc('mul', wide);
    return this.make(
      this.shape,
      Math.max(2, wide - fc + 1),
      this.shares.then((a) => this.suite.trunc(this.suite.mulPublic(a, c), fc, wide)),
    );
  }

  /** Multiplies by a public integer without truncation (exact). */
  scale(k: number | bigint): SecretFixed {
    const c = BigInt(k);
    return this.make(
      this.shape,
      this.bound + bitsOf(BigInt64Array.of(c)),
      this.shares.then((a) => this.suite.mulScalar(a, c)),
    );
  }

  /**
   * The same numbers in another fixed-point format `t`. More fractional bits:
   * exact and local (a multiplication by 2^d). Fewer: a probabilistic
   * truncation by d bits (rep3: 3 rounds), error below 2^-t.frac.
   * @throws {RangeError} when the values may need more than 64 bits, or the truncation is too wide for the suite.
   */
  toFixed(t: FixedType): SecretFixed {
    const d = t.frac - this.type.frac;
    if (d >= 0) {
      // A bound beyond 64 bits is refused by the constructor.
      return new SecretFixed(
        this.session,
        t,
        this.shape,
        this.bound + d,
        d === 0 ? this.shares : this.shares.then((a) => this.suite.mulScalar(a, 1n << BigInt(d))),
      );
    }
    return new SecretFixed(this.session, t, this.shape, ...this.dropFrac('toFixed', -d));
  }

  /**
   * The integer part, rounded down or up (a probabilistic truncation of the
   * fractional bits: |error| < 1), as int(bits) (default: the fixed type's
   * bits). @throws {RangeError} as `toFixed`.
   */
  toInt(bits = this.type.bits): SecretInt {
    if (!Number.isInteger(bits) || bits < 2 || bits > MAX_BOUND)
      throw new RangeError(`toInt: ${bits} bits is outside 2..${MAX_BOUND}`);
    const [bound, shares] = this.dropFrac('toInt', this.type.frac);
    return new SecretInt(this.session, { kind: 'int', bits }, this.shape, bound, shares);
  }

  /** Bound and shares of this value truncated by d fractional bits. */
  private dropFrac(op: string, d: number): [number, Promise<Shares>] {
    if (d === 0) return [this.bound, this.shares];
    if (d >= this.bound) throw new RangeError(`${op}: shift ${d} outside 0..${this.bound - 1}`);
    this.checkCompare(op, this.bound);
    return [
      Math.max(2, this.bound - d + 1),
      this.shares.then((a) => this.suite.trunc(a, d, this.bound)),
    ];
  }

  /** Inner product, truncated once at the end (error <= 2^-frac). */
  dot(o: SecretFixed): SecretFixed {
    return dotProduct(this, o, (shape, bound, p) => this.make(shape, bound, p), this.type.frac);
  }

  /** Matrix product, each entry truncated once. */
  matmul(o: SecretFixed): SecretFixed {
    return matrixProduct(this, o, (shape, bound, p) => this.make(shape, bound, p), this.type.frac);
  }

  private checkTrunc(op: string, bound: number): void {
    if (bound > this.suite.compareCapacity - 1) {
      throw new RangeError(
        `${op}: products of ${typeName(this.type)} values need ${bound} bits, more than the ${this.suite.name} suite's ` +
          `${this.suite.compareCapacity - 1}-bit truncation; use fewer total bits`,
      );
    }
  }

  /** 1/x. See src/ops/fixed.ts for the error bound. @throws {RangeError} via reveal if |1/x| overflows. */
  reciprocal(): SecretFixed {
    return this.unary('reciprocal', fx.reciprocal);
  }
  /** x / y. */
  div(o: SecretFixed | PublicOperand): SecretFixed {
    if (!(o instanceof Secret)) {
      const c = encodePublic(this.type, this.shape, o, 'div');
      if (c.some((x) => x === 0n)) throw new RangeError('div: division by a public zero');
      return this.mul(Array.from(c, (x) => 2 ** this.type.frac / Number(x)));
    }
    this.checkPeer('div', o);
    return this.mul(o.reciprocal());
  }
  /** Square root of x >= 0. */
  sqrt(): SecretFixed {
    return this.unary('sqrt', fx.sqrt);
  }
  /** e^x. */
  exp(): SecretFixed {
    return this.unary('exp', fx.exp);
  }
  /** Natural logarithm of x > 0. */
  log(): SecretFixed {
    return this.unary('log', fx.log);
  }
  /** 1 / (1 + e^-x). */
  sigmoid(): SecretFixed {
    return this.unary('sigmoid', fx.sigmoid);
  }

  private unary(
    op: string,
    f: (suite: Suite, x: Shares, t: FixedType, bound: number) => Promise<Shares>,
  ): SecretFixed {
    this.checkCompare(op, this.bound + 1);
    return this.make(
      this.shape,
      this.type.bits,
      this.shares.then((a) => f(this.suite, a, this.type, this.bound)),
    );
  }
}

export class SecretBool extends Secret<boolean> {
  declare readonly type: BoolType;

  constructor(session: SessionCore, shape: Shape, shares: Promise<Shares>) {
    super(session, bool, shape, 2, shares);
  }

  protected decode(xs: bigint[], op: string): boolean[] {
    checkRevealed(this.type, xs, op);
    return decodeBool(xs);
  }

  private other(op: string, o: SecretBool | boolean | ArrayLike<boolean>): SecretBool {
    if (o instanceof Secret) {
      this.checkPeer(op, o);
      return o as SecretBool;
    }
    const enc = encode(bool, typeof o === 'boolean' ? [o] : o, `${op} operand`);
    const shape = enc.length === 1 ? [] : this.shape;
    return new SecretBool(this.session, shape, Promise.resolve(this.suite.constant(enc)));
  }

  private pair(
    op: string,
    o: SecretBool | boolean | ArrayLike<boolean>,
    f: (a: Shares, b: Shares) => Promise<Shares> | Shares,
  ): SecretBool {
    const other = this.other(op, o);
    const shape = this.pairShape(op, other);
    const n = size(shape);
    const p = Promise.all([this.shares, other.shares]).then(([a, b]) =>
      f(Secret.broadcastShares(this.suite, a, n), Secret.broadcastShares(this.suite, b, n)),
    );
    return new SecretBool(this.session, shape, p);
  }

  /** a AND b = ab. */
  and(o: SecretBool | boolean | ArrayLike<boolean>): SecretBool {
    return this.pair('and', o, (a, b) => this.suite.mul(a, b));
  }
  /** a OR b = a + b - ab. */
  or(o: SecretBool | boolean | ArrayLike<boolean>): SecretBool {
    return this.pair('or', o, async (a, b) =>
      this.suite.sub(this.suite.add(a, b), await this.suite.mul(a, b)),
    );
  }
  /** a XOR b = a + b - 2ab. */
  xor(o: SecretBool | boolean | ArrayLike<boolean>): SecretBool {
    return this.pair('xor', o, async (a, b) =>
      this.suite.sub(this.suite.add(a, b), this.suite.mulScalar(await this.suite.mul(a, b), 2n)),
    );
  }
  not(): SecretBool {
    return new SecretBool(
      this.session,
      this.shape,
      this.shares.then((a) => cmp.not(this.suite, a)),
    );
  }

  /** Elementwise `this ? ifTrue : ifFalse` (one multiplication). */
  select<T extends SecretInt | SecretFixed>(ifTrue: T, ifFalse: T): T {
    this.checkSession('select', ifTrue);
    this.checkSession('select', ifFalse);
    if (!compatible(ifTrue.type, ifFalse.type)) {
      throw new TypeError(
        `select: branches have different types (${typeName(ifTrue.type)} and ${typeName(ifFalse.type)})`,
      );
    }
    const shape = ifTrue.length >= ifFalse.length ? ifTrue.shape : ifFalse.shape;
    const n = Math.max(size(shape), this.length);
    if ([this.length, ifTrue.length, ifFalse.length].some((l) => l !== n && l !== 1)) {
      throw new RangeError(
        `select: shapes ${shapeText(this.shape)}, ${shapeText(ifTrue.shape)}, ${shapeText(ifFalse.shape)} differ`,
      );
    }
    const outShape = size(shape) === n ? shape : this.shape;
    const p = Promise.all([this.shares, ifTrue.shares, ifFalse.shares]).then(([c, x, y]) =>
      cmp.select(
        this.suite,
        Secret.broadcastShares(this.suite, c, n),
        Secret.broadcastShares(this.suite, x, n),
        Secret.broadcastShares(this.suite, y, n),
      ),
    );
    const bound = Math.max(ifTrue.bound, ifFalse.bound) + 1;
    if (ifTrue instanceof SecretFixed)
      return new SecretFixed(this.session, ifTrue.type, outShape, bound, p) as T;
    return new SecretInt(this.session, (ifTrue as SecretInt).type, outShape, bound, p) as T;
  }

  /** 0 or 1 as int(k). */
  toInt(bits = 32): SecretInt {
    return new SecretInt(this.session, { kind: 'int', bits }, this.shape, 2, this.shares);
  }

  /** The elements at public positions `idx` (see SecretInt.gather). */
  gather(idx: ArrayLike<number>): SecretBool {
    const at = publicIndices('gather', idx, this.length);
    return new SecretBool(
      this.session,
      [at.length],
      this.shares.then((a) => this.suite.gather(a, at)),
    );
  }

  /** Number of true elements. */
  count(): SecretInt {
    return this.toInt().sum();
  }

  private checkSession(op: string, o: Secret<unknown>): void {
    if (!(o instanceof Secret)) throw new TypeError(`${op}: expected a secret`);
    if (o.session !== this.session)
      throw new SecretMisuseError(`${op}: the secrets belong to different sessions`);
  }
}

/** Both operands of a binary product: same session, compatible types. */
function checkPair(op: string, a: Secret<unknown>, b: Secret<unknown>): void {
  if (b.session !== a.session)
    throw new SecretMisuseError(`${op}: the two secrets belong to different sessions`);
  if (!compatible(a.type, b.type))
    throw new TypeError(`${op}: cannot combine ${typeName(a.type)} with ${typeName(b.type)}`);
}

function dotProduct<S extends SecretInt | SecretFixed>(
  a: S,
  b: S,
  make: (shape: Shape, bound: number, p: Promise<Shares>) => S,
  frac: number,
): S {
  checkPair('dot', a, b);
  if (a.length !== b.length)
    throw new RangeError(`dot: lengths differ (${a.length} and ${b.length})`);
  const suite = a.session.suite;
  const n = a.length;
  if (n === 0) return make([], 2, Promise.resolve(suite.constant(new BigInt64Array(1))));
  const plan = sumOfProducts(suite, a.bound, b.bound, n, frac, 'dot');
  const p = Promise.all([a.shares, b.shares]).then(([x, y]) => plan.run(x, y));
  return make([], plan.bound, p);
}

/**
 * Sums of products in groups of m, for integers (frac = 0) or fixed-point.
 * Fixed-point sums are truncated once after summing when the suite can
 * truncate the wide sum (error <= 1 ulp); otherwise each product is truncated
 * before summing (error <= m ulp), so long inner products work in every suite.
 */
function sumOfProducts(suite: Suite, b1: number, b2: number, m: number, frac: number, op: string) {
  const grow = m <= 1 ? 0 : Math.ceil(Math.log2(m));
  const product = frac ? b1 + b2 - 1 : b1 + b2;
  const wide = product + grow;
  const limit = suite.compareCapacity - 1;
  if (!frac) return { bound: wide, run: (x: Shares, y: Shares) => suite.dot(x, y, m) };
  if (wide <= limit) {
    return {
      bound: Math.max(2, wide - frac + 1),
      run: async (x: Shares, y: Shares) => suite.trunc(await suite.dot(x, y, m), frac, wide),
    };
  }
  if (product > limit)
    throw new RangeError(
      `${op}: ${product}-bit products are too wide for ${suite.name} truncation`,
    );
  return {
    bound: Math.max(2, product - frac + 1) + grow,
    run: async (x: Shares, y: Shares) =>
      suite.sumGroups(await suite.trunc(await suite.mul(x, y), frac, product), m),
  };
}

function matrixProduct<S extends SecretInt | SecretFixed>(
  a: S,
  b: S,
  make: (shape: Shape, bound: number, p: Promise<Shares>) => S,
  frac: number,
): S {
  checkPair('matmul', a, b);
  if (a.shape.length !== 2 || b.shape.length !== 2 || a.shape[1] !== b.shape[0]) {
    throw new RangeError(`matmul: cannot multiply ${shapeText(a.shape)} by ${shapeText(b.shape)}`);
  }
  const [r, m] = a.shape as [number, number];
  const c = b.shape[1]!;
  const suite = a.session.suite;
  // Row i of A against column j of B, laid out as r*c groups of m for one batched dot.
  const ia = new Uint32Array(r * c * m);
  const ib = new Uint32Array(r * c * m);
  for (let i = 0, o = 0; i < r; i++)
    for (let j = 0; j < c; j++)
      for (let k = 0; k < m; k++, o++) {
        ia[o] = i * m + k;
        ib[o] = k * c + j;
      }
  const plan = sumOfProducts(suite, a.bound, b.bound, Math.max(m, 1), frac, 'matmul');
  const p = Promise.all([a.shares, b.shares]).then(async ([x, y]) => {
    if (m === 0) return suite.constant(new BigInt64Array(r * c));
    return plan.run(suite.gather(x, ia), suite.gather(y, ib));
  });
  return make([r, c], plan.bound, p);
}
