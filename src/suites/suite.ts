/**
 * The contract every protocol suite implements: vectorised primitives on
 * secret-shared integers. Programs never see this layer; the API layer
 * (src/api) and the generic protocols (src/ops) are written against it, so
 * one program runs under every suite.
 *
 * Values are signed integers. A suite holds them exactly modulo its modulus
 * (2^64 for rep3, p = 2^127 - 1 for shamir); callers pass a *bound* b for
 * nonlinear steps, promising -2^(b-1) <= x < 2^(b-1), and the suite refuses bounds it
 * cannot handle with its statistical security (RangeError at the call).
 * Booleans are the integers 0 and 1.
 *
 * Every party calls every interactive primitive, in the same order, even when
 * it has nothing to send or receive in that step (see src/runtime/party.ts).
 */
import type { Party } from '../runtime/party.js';

/** Opaque shares of a vector; each suite defines its own representation. */
export interface Shares {
  /** Number of secret elements. */
  readonly length: number;
}

export interface ThreatModel {
  /** 'semi-honest' or 'malicious (with abort)'. */
  readonly adversary: string;
  /** The corruption threshold, e.g. '1 of 3 (honest majority)'. */
  readonly threshold: string;
  /** What the suite reveals besides outputs, e.g. input and vector sizes. */
  readonly leaks: string;
  /** The paper(s) the protocols follow. */
  readonly references: readonly string[];
}

export interface Suite<S extends Shares = Shares> {
  readonly name: string;
  readonly model: ThreatModel;
  readonly party: Party;
  /** Largest b such that every |x| <= 2^(b-1) is held exactly (64 for Z_2^64). */
  readonly capacity: number;
  /** Largest bound accepted by ltz/eqz/bits/trunc. */
  readonly compareCapacity: number;
  /**
   * Set by semi-honest suites with an honest majority: the number t < n/2 of
   * colluding parties they protect against. Every n - t parties together
   * then hold a value no t others can see, which the resharing shuffle
   * (src/ops/reshuffle.ts) needs; undefined where it would be insecure
   * (dishonest majority: a set of n - t = 1 party; malicious adversaries:
   * the resharing is not checked).
   */
  readonly honestMajorityThreshold?: number;

  // ----- local operations (no communication) -----
  /** A public vector as shares. */
  constant(values: BigInt64Array): S;
  add(a: S, b: S): S;
  sub(a: S, b: S): S;
  neg(a: S): S;
  /** a[i] + c[i]; `c` of length 1 is broadcast. */
  addPublic(a: S, c: BigInt64Array): S;
  /** a[i] * c[i]; `c` of length 1 is broadcast. Constants are taken modulo the suite's modulus. */
  mulPublic(a: S, c: BigInt64Array): S;
  /** a[i] * c for one (possibly large) constant, e.g. 2^70 in the field. */
  mulScalar(a: S, c: bigint): S;
  /** Elements a[idx[0]], a[idx[1]], ... (copying, any order, repeats allowed). */
  gather(a: S, idx: Uint32Array): S;
  concat(parts: readonly S[]): S;
  /** Sums of consecutive groups of m elements. */
  sumGroups(a: S, m: number): S;
  /** Uniformly random shared elements (no communication after setup). */
  random(n: number): S;

  // ----- interactive operations -----
  /** One round of setup (PRSS seeds), called once before anything else. */
  setup(): Promise<void>;
  /**
   * This suite on another channel of the same party (`party` is a handle
   * from `this.party.channel(...)`), set up and ready: shares of either suite
   * are valid in the other, but correlated randomness (PRSS keys,
   * preprocessing) is the fork's own, so the two can run concurrently without
   * their consumption orders mattering. Every party forks at the same point
   * of the program. Absent where the suite cannot run on channels yet.
   */
  fork?(party: Party): Promise<Suite<S>>;
  /**
   * Shares `values`, known to party `owner` only. Other parties pass
   * undefined; `n` is public. `width` (optional, public) is the declared bit
   * length of the values, a hint that lets bit-level suites (yao) size their
   * circuits; arithmetic suites ignore it. @throws {RangeError} on a length mismatch.
   */
  input(owner: number, values: BigInt64Array | undefined, n: number, width?: number): Promise<S>;
  mul(a: S, b: S): Promise<S>;
  /** Inner products of consecutive groups of m: out[j] = sum_k a[jm+k] b[jm+k]; one round. */
  dot(a: S, b: S, m: number): Promise<S>;
  /**
   * Opens the values to the parties in `to` (indices). Recipients get the
   * values as signed integers (centered representatives); others get
   * undefined. Values beyond 64 bits come back as bigint via `openBig`.
   */
  open(a: S, to: readonly number[]): Promise<bigint[] | undefined>;
  /**
   * Optional, for suites working modulo 2^64: like `open`, as signed 64-bit
   * words (no BigInt per element, which long vectors pay for in garbage
   * collection).
   */
  openInt64?(a: S, to: readonly number[]): Promise<BigInt64Array | undefined>;
  /** x / 2^m rounded to a neighbouring integer (|error| < 1), for |x| <= 2^(bound-1). */
  trunc(a: S, m: number, bound: number): Promise<S>;
  /** [x < 0] as 0/1, for -2^(bound-1) <= x < 2^(bound-1). */
  ltz(a: S, bound: number): Promise<S>;
  /** [x == 0] as 0/1, for -2^(bound-1) <= x < 2^(bound-1). */
  eqz(a: S, bound: number): Promise<S>;
  /**
   * The two's-complement bits of x (bit j of element i at i*bits + j), for
   * -2^(bits-1) <= x < 2^(bits-1); the top bit is the sign.
   */
  bits(a: S, bits: number): Promise<S>;
  /** n uniformly random shared bits (0/1). */
  randomBits(n: number): Promise<S>;
}

/** The name of a suite and how to build it for one party. */
export interface SuiteFactory {
  readonly name: string;
  readonly minParties: number;
  readonly maxParties: number;
  create(party: Party): Suite;
}

export function checkBound(
  suite: { name: string; compareCapacity: number },
  op: string,
  bound: number,
): void {
  if (!Number.isInteger(bound) || bound < 1 || bound > suite.compareCapacity) {
    throw new RangeError(
      `${suite.name}.${op}: values of up to ${bound} bits exceed this suite's ${suite.compareCapacity}-bit limit`,
    );
  }
}
