/**
 * The aggregator side of Prio3 (draft-irtf-cfrg-vdaf-08, section 7) for
 * Prio3Count, Prio3Sum, Prio3SumVec and Prio3Histogram with two aggregators
 * and one proof, on typed arrays: field elements are 16-bit limbs in
 * Montgomery form (`src/arith/mont16.ts`), the XOF is TurboSHAKE128
 * (XofTurboShake128, section 6.2.1) from @noble/hashes.
 *
 * Covered: decoding the public share and an aggregator's input share (the
 * Helper's expanded from its seeds, section 7.2.1), prep_init (joint
 * randomness, query randomness and the generic FLP's query, section 7.3.3),
 * prep_shares_to_prep (the FLP's decision and the joint randomness seed),
 * prep_next, and adding output shares. Sharding is the client's and stays in
 * @divviup/prio3.
 *
 * Security model (VDAF-08 section 9): each aggregator is honest-but-curious
 * towards the other's shares and the client may be malicious; a report whose
 * proof fails or whose joint randomness was not derived honestly is rejected
 * with VdafPrepError, which carries no share. Shares and verifiers are
 * random-looking to each aggregator; nothing here is constant-time.
 */
import { turboshake128 } from '@noble/hashes/sha3-addons.js';
import { FIELD128, FIELD64, MontField } from '../arith/mont16.js';

/** A task's VDAF, as provisioned (and as @divviup/dap's Task takes it). */
export type VdafSpec =
  | { readonly type: 'count' }
  | { readonly type: 'sum'; readonly bits: number }
  | {
      readonly type: 'sumVec';
      readonly length: number;
      readonly bits: number;
      readonly chunkLength: number;
    }
  | { readonly type: 'histogram'; readonly length: number; readonly chunkLength: number };

/** Preparation failed: the report is invalid (bad proof, malformed share). Carries no secret. */
export class VdafPrepError extends Error {
  override readonly name = 'VdafPrepError';
}

/** VDAF-08 section 7.2: usages of the XOF's domain-separation tag. */
const USAGE = {
  measurementShare: 1,
  proofShare: 2,
  jointRandomness: 3,
  proveRandomness: 4,
  queryRandomness: 5,
  jointRandSeed: 6,
  jointRandPart: 7,
} as const;

/** VDAF-08 section 10: the version byte of every domain-separation tag. */
const VDAF_VERSION = 8;
const SEED_SIZE = 16;
const SHARES = 2;

/**
 * Parameters beyond the four DAP VDAFs, for the draft's experimental
 * Prio3SumVecWithMultiproof (section 7.4.3.1's multiproof variant): several
 * proofs, Field64, its own algorithm id. Used by the tests, whose draft-08
 * vector is of that variant.
 */
export interface Prio3Options {
  readonly proofs?: number;
  readonly field64?: boolean;
  readonly algorithmId?: number;
}

/** One aggregator's state between prep_init and prep_next. */
export interface Prio3State {
  /** The output share (Montgomery limbs). */
  readonly out: Uint16Array;
  /** The joint randomness seed this aggregator used (empty without joint randomness). */
  readonly seed: Uint8Array;
}

/** One aggregator's preparation share. */
export interface Prio3PrepShare {
  readonly verifiers: Uint16Array;
  /** This aggregator's joint randomness part (empty without joint randomness). */
  readonly part: Uint8Array;
}

const nextPow2 = (x: number): number => {
  let p = 1;
  while (p < x) p *= 2;
  return p;
};

const fieldCache = new Map<bigint, MontField>();
function fieldOf(params: { modulus: bigint; encodedSize: number }): MontField {
  let f = fieldCache.get(params.modulus);
  if (!f) {
    f = new MontField(params.modulus, params.encodedSize);
    fieldCache.set(params.modulus, f);
  }
  return f;
}

/** XofTurboShake128 (VDAF-08 section 6.2.1): TurboSHAKE128(len(dst) || dst || seed || binder, D = 1). */
function xof(seed: Uint8Array, dst: Uint8Array, binder: Uint8Array) {
  return turboshake128
    .create({ D: 1 })
    .update(Uint8Array.of(dst.length))
    .update(dst)
    .update(seed)
    .update(binder);
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
};

/**
 * Prio3 preparation for one VDAF instance. Holds scratch buffers, so one
 * instance serves one caller at a time (JavaScript's single thread: every
 * method runs to completion).
 */
export class Prio3Prep {
  readonly spec: VdafSpec;
  readonly field: MontField;
  /** VDAF-08 section 10 algorithm identifier. */
  readonly algorithmId: number;
  readonly measurementLen: number;
  readonly outputLen: number;
  readonly jointRandLen: number;
  /** The one gadget: its arity, degree and number of calls. */
  readonly arity: number;
  readonly degree: number;
  readonly calls: number;
  /** Wire polynomials' number of points, the next power of two above calls. */
  readonly points: number;
  readonly proofLen: number;
  readonly verifierLen: number;
  readonly verifyKeySize = SEED_SIZE;
  /** Number of proofs (1 for the four DAP VDAFs). */
  readonly proofs: number;
  private readonly chunk: number;
  private readonly bits: number;
  /** alpha^k for k < points, alpha a generator of the order-`points` subgroup. */
  private readonly alphaPow: Uint16Array;
  private readonly invPoints: Uint16Array;
  private readonly sharesInv: Uint16Array;
  /** 2^j for the bit decompositions of Sum and SumVec. */
  private readonly twoPow: Uint16Array;
  private readonly dsts: Uint8Array[] = [];
  private readonly s: Uint16Array; // scratch elements

  constructor(spec: VdafSpec, opts: Prio3Options = {}) {
    this.spec = spec;
    this.proofs = opts.proofs ?? 1;
    if (!Number.isInteger(this.proofs) || this.proofs < 1 || this.proofs > 255)
      throw new RangeError(`Prio3: proofs must be an integer in [1, 255], got ${this.proofs}`);
    const pos = (x: number, what: string): number => {
      if (!Number.isSafeInteger(x) || x <= 0)
        throw new RangeError(`Prio3: ${what} must be a positive integer, got ${x}`);
      return x;
    };
    let params = FIELD128;
    switch (spec.type) {
      case 'count':
        params = FIELD64;
        this.algorithmId = 0;
        this.measurementLen = this.outputLen = 1;
        this.jointRandLen = 0;
        this.arity = 2;
        this.calls = 1;
        this.chunk = this.bits = 1;
        break;
      case 'sum':
        this.algorithmId = 1;
        this.bits = pos(spec.bits, 'bits');
        if (this.bits >= 127) throw new RangeError('Prio3Sum: bits must be below 127');
        this.measurementLen = this.bits;
        this.outputLen = 1;
        this.jointRandLen = 1;
        this.arity = 1;
        this.calls = this.bits;
        this.chunk = 1;
        break;
      case 'sumVec':
        this.algorithmId = 2;
        this.bits = pos(spec.bits, 'bits');
        if (this.bits >= 127) throw new RangeError('Prio3SumVec: bits must be below 127');
        this.measurementLen = pos(spec.length, 'length') * this.bits;
        this.outputLen = spec.length;
        this.jointRandLen = 1;
        this.chunk = pos(spec.chunkLength, 'chunkLength');
        this.arity = 2 * this.chunk;
        this.calls = Math.ceil(this.measurementLen / this.chunk);
        break;
      case 'histogram':
        this.algorithmId = 3;
        this.measurementLen = this.outputLen = pos(spec.length, 'length');
        this.jointRandLen = 2;
        this.chunk = pos(spec.chunkLength, 'chunkLength');
        this.bits = 1;
        this.arity = 2 * this.chunk;
        this.calls = Math.ceil(this.measurementLen / this.chunk);
        break;
    }
    this.degree = 2;
    if (opts.field64) params = FIELD64;
    if (opts.algorithmId !== undefined) this.algorithmId = opts.algorithmId;
    this.field = fieldOf(params);
    const F = this.field;
    this.points = nextPow2(this.calls + 1);
    this.proofLen = this.arity + this.degree * (this.points - 1) + 1;
    this.verifierLen = this.arity + 2; // per proof
    // generator = 7^c of the subgroup of order 2^k (p = 2^k c + 1), VDAF-08 section 6.1.2.
    const p = params.modulus;
    const c = (p - 1n) >> BigInt(params.twoAdicity);
    const g = F.fromBigInt(7n);
    F.pow(g, 0, g, 0, c);
    const alpha = F.vec(1);
    F.pow(alpha, 0, g, 0, (1n << BigInt(params.twoAdicity)) / BigInt(this.points));
    this.alphaPow = F.vec(this.points);
    F.copy(this.alphaPow, 0, F.one, 0);
    for (let k = 1; k < this.points; k++) F.mul(this.alphaPow, k, this.alphaPow, k - 1, alpha, 0);
    this.invPoints = F.fromBigInt(BigInt(this.points));
    F.inv(this.invPoints, 0, this.invPoints, 0);
    this.sharesInv = F.fromBigInt(BigInt(SHARES));
    F.inv(this.sharesInv, 0, this.sharesInv, 0);
    this.twoPow = F.vec(this.bits);
    for (let j = 0; j < this.bits; j++) F.copy(this.twoPow, j, F.fromBigInt(1n << BigInt(j)), 0);
    for (let usage = 0; usage <= 7; usage++) {
      const d = new Uint8Array(8);
      d[0] = VDAF_VERSION;
      d[1] = 0; // algorithm class: VDAF
      new DataView(d.buffer).setUint32(2, this.algorithmId);
      new DataView(d.buffer).setUint16(6, usage);
      this.dsts.push(d);
    }
    this.s = F.vec(16);
  }

  get usesJointRand(): boolean {
    return this.jointRandLen !== 0;
  }

  /** Bytes of the public share, the Leader's and the Helper's input shares. */
  get publicShareSize(): number {
    return this.usesJointRand ? SHARES * SEED_SIZE : 0;
  }

  private get blindSize(): number {
    return this.usesJointRand ? SEED_SIZE : 0;
  }

  /** XOF.expand_into_vec with rejection sampling (VDAF-08 section 6.2); also returns the bytes kept. */
  private expand(
    seed: Uint8Array,
    usage: number,
    binder: Uint8Array,
    count: number,
  ): { vec: Uint16Array; bytes: Uint8Array } {
    const F = this.field;
    const size = F.encodedSize;
    const h = xof(seed, this.dsts[usage]!, binder);
    const vec = F.vec(count);
    const bytes = h.xof(count * size);
    let kept = 0;
    for (let i = 0; i < count; i++) if (F.decodeOne(bytes, i * size, vec, kept)) kept++;
    if (kept === count) return { vec, bytes }; // the draws are the vector's encoding
    // Rejected draws (probability about 2^-32 for Field64, 2^-62 for Field128): draw on.
    while (kept < count) if (F.decodeOne(h.xof(size), 0, vec, kept)) kept++;
    return { vec, bytes: F.encodeVec(vec) };
  }

  private deriveSeed(seed: Uint8Array, usage: number, binder: Uint8Array): Uint8Array {
    return xof(seed, this.dsts[usage]!, binder).xof(SEED_SIZE);
  }

  /** Decodes `count` elements (Montgomery limbs). @throws {VdafPrepError} the wrong length or an element not below p. */
  decodeVec(b: Uint8Array, count: number, what: string): Uint16Array {
    const size = this.field.encodedSize;
    if (b.length !== count * size)
      throw new VdafPrepError(`${what}: expected ${count * size} bytes, got ${b.length}`);
    const out = this.field.vec(count);
    const bad = this.field.decodeVec(b, count, out);
    if (bad >= 0) throw new VdafPrepError(`${what}: element ${bad} is not below the modulus`);
    return out;
  }

  /**
   * prep_init (VDAF-08 section 7.2.2) for aggregator 0 (Leader) or 1 (Helper);
   * the nonce is the report id.
   * @throws {VdafPrepError} a share of the wrong size or with an element outside the field.
   */
  prepInit(
    verifyKey: Uint8Array,
    aggregatorId: 0 | 1,
    nonce: Uint8Array,
    publicShare: Uint8Array,
    inputShare: Uint8Array,
  ): { state: Prio3State; share: Prio3PrepShare } {
    const F = this.field;
    const size = F.encodedSize;
    if (verifyKey.length !== SEED_SIZE)
      throw new RangeError(`verify key: expected ${SEED_SIZE} bytes, got ${verifyKey.length}`);
    if (publicShare.length !== this.publicShareSize)
      throw new VdafPrepError(`public share: expected ${this.publicShareSize} bytes`);
    const blindLen = this.blindSize;
    let meas: Uint16Array;
    let measBytes: Uint8Array;
    let proof: Uint16Array;
    let blind: Uint8Array;
    if (aggregatorId === 0) {
      const mBytes = this.measurementLen * size;
      const pBytes = this.proofLen * this.proofs * size;
      if (inputShare.length !== mBytes + pBytes + blindLen)
        throw new VdafPrepError(`leader input share: expected ${mBytes + pBytes + blindLen} bytes`);
      measBytes = inputShare.subarray(0, mBytes);
      meas = this.decodeVec(measBytes, this.measurementLen, 'measurement share');
      proof = this.decodeVec(
        inputShare.subarray(mBytes, mBytes + pBytes),
        this.proofLen * this.proofs,
        'proof share',
      );
      blind = inputShare.subarray(mBytes + pBytes);
    } else {
      if (inputShare.length !== 2 * SEED_SIZE + blindLen)
        throw new VdafPrepError(`helper input share: expected ${2 * SEED_SIZE + blindLen} bytes`);
      const m = this.expand(
        inputShare.subarray(0, SEED_SIZE),
        USAGE.measurementShare,
        Uint8Array.of(aggregatorId),
        this.measurementLen,
      );
      meas = m.vec;
      measBytes = m.bytes;
      proof = this.expand(
        inputShare.subarray(SEED_SIZE, 2 * SEED_SIZE),
        USAGE.proofShare,
        Uint8Array.of(this.proofs, aggregatorId),
        this.proofLen * this.proofs,
      ).vec;
      blind = inputShare.subarray(2 * SEED_SIZE);
    }
    const queryRand = this.expand(
      verifyKey,
      USAGE.queryRandomness,
      concat(Uint8Array.of(this.proofs), nonce),
      this.proofs, // one query point per proof (one gadget)
    ).vec;
    let jointRand = F.vec(0);
    let part: Uint8Array = new Uint8Array(0);
    let seed: Uint8Array = new Uint8Array(0);
    if (this.usesJointRand) {
      part = this.deriveSeed(
        blind,
        USAGE.jointRandPart,
        concat(Uint8Array.of(aggregatorId), nonce, measBytes),
      );
      const parts = [publicShare.subarray(0, SEED_SIZE), publicShare.subarray(SEED_SIZE)];
      parts[aggregatorId] = part;
      seed = this.deriveSeed(new Uint8Array(SEED_SIZE), USAGE.jointRandSeed, concat(...parts));
      jointRand = this.expand(
        seed,
        USAGE.jointRandomness,
        Uint8Array.of(this.proofs),
        this.jointRandLen * this.proofs,
      ).vec;
    }
    const n = F.limbs;
    const verifiers = F.vec(this.verifierLen * this.proofs);
    for (let k = 0; k < this.proofs; k++) {
      const ver = this.query(
        meas,
        proof.subarray(k * this.proofLen * n, (k + 1) * this.proofLen * n),
        queryRand.subarray(k * n, (k + 1) * n),
        jointRand.subarray(k * this.jointRandLen * n, (k + 1) * this.jointRandLen * n),
      );
      verifiers.set(ver, k * this.verifierLen * n);
    }
    return { state: { out: this.truncate(meas), seed }, share: { verifiers, part } };
  }

  /** The circuit's truncate: the output share from the measurement share. */
  private truncate(meas: Uint16Array): Uint16Array {
    const F = this.field;
    if (this.spec.type === 'count' || this.spec.type === 'histogram') return meas;
    const out = F.vec(this.outputLen);
    const tmp = this.s;
    for (let i = 0; i < this.outputLen; i++) {
      for (let j = 0; j < this.bits; j++) {
        F.mul(tmp, 0, meas, i * this.bits + j, this.twoPow, j);
        F.add(out, i, out, i, tmp, 0);
      }
    }
    return out;
  }

  /**
   * The generic FLP's query (VDAF-08 section 7.3.3.2): runs the validity
   * circuit with each gadget call answered by the proof's gadget polynomial at
   * alpha^k, records the wire values, and evaluates the wire polynomials and
   * the gadget polynomial at the query point t.
   */
  private query(
    meas: Uint16Array,
    proof: Uint16Array,
    queryRand: Uint16Array,
    jointRand: Uint16Array,
  ): Uint16Array {
    const F = this.field;
    const A = this.arity;
    const C = this.calls;
    const P = this.points;
    const K = C + 1; // wire values per wire: the seed and one per call
    const gpLen = this.degree * (P - 1) + 1;
    const gpOff = A; // the gadget polynomial follows the wire seeds in the proof
    const s = this.s; // s[0..] scratch: 0 acc, 1 tmp, 2 r power, 3 v, 4 t^P
    const wires = F.vec(A * K);
    for (let j = 0; j < A; j++) F.copy(wires, j * K, proof, j);
    // gadget output at call k (1-based) = gadgetPoly(alpha^k)
    const outs = F.vec(K);
    for (let k = 1; k <= C; k++) {
      F.copy(s, 0, proof, gpOff + gpLen - 1);
      for (let i = gpLen - 2; i >= 0; i--) {
        F.mul(s, 0, s, 0, this.alphaPow, k % P);
        F.add(s, 0, s, 0, proof, gpOff + i);
      }
      F.copy(outs, k, s, 0);
    }
    const v = F.vec(1);
    switch (this.spec.type) {
      case 'count': {
        F.copy(wires, 0 * K + 1, meas, 0);
        F.copy(wires, 1 * K + 1, meas, 0);
        F.sub(v, 0, outs, 1, meas, 0);
        break;
      }
      case 'sum': {
        F.copy(s, 2, jointRand, 0);
        for (let i = 0; i < C; i++) {
          F.copy(wires, i + 1, meas, i);
          F.mul(s, 1, s, 2, outs, i + 1);
          F.add(v, 0, v, 0, s, 1);
          F.mul(s, 2, s, 2, jointRand, 0);
        }
        break;
      }
      case 'sumVec':
      case 'histogram': {
        const zero = F.vec(1);
        const L = this.measurementLen;
        F.copy(s, 2, jointRand, 0);
        for (let g = 0; g < C; g++) {
          for (let k = 0; k < this.chunk; k++) {
            const idx = g * this.chunk + k;
            const x = idx < L ? meas : zero;
            const xi = idx < L ? idx : 0;
            F.mul(wires, 2 * k * K + g + 1, s, 2, x, xi);
            F.sub(wires, (2 * k + 1) * K + g + 1, x, xi, this.sharesInv, 0);
            F.mul(s, 2, s, 2, jointRand, 0);
          }
          F.add(v, 0, v, 0, outs, g + 1); // range check
        }
        if (this.spec.type === 'histogram') {
          // v = r2 * rangeCheck + r2^2 * (sum(meas) - 1/shares)
          F.sub(s, 0, zero, 0, this.sharesInv, 0);
          for (let i = 0; i < L; i++) F.add(s, 0, s, 0, meas, i);
          F.mul(s, 0, s, 0, jointRand, 1);
          F.add(v, 0, v, 0, s, 0);
          F.mul(v, 0, v, 0, jointRand, 1);
        }
        break;
      }
    }
    // Wire polynomials at t by barycentric interpolation over the roots of unity:
    // f(t) = (t^P - 1)/P * sum_k f_k alpha^k / (t - alpha^k).
    F.pow(s, 4, queryRand, 0, BigInt(P));
    if (F.equal(s, 4, F.one, 0))
      throw new VdafPrepError('the query point is a root of unity (degenerate query)');
    const d = F.vec(K);
    const prefix = F.vec(K);
    for (let k = 0; k < K; k++) {
      F.sub(d, k, queryRand, 0, this.alphaPow, k);
      if (k === 0) F.copy(prefix, 0, d, 0);
      else F.mul(prefix, k, prefix, k - 1, d, k);
    }
    F.inv(s, 0, prefix, K - 1); // s0 = 1 / prod d
    const coef = F.vec(K);
    for (let k = K - 1; k >= 0; k--) {
      if (k > 0) F.mul(coef, k, s, 0, prefix, k - 1);
      else F.copy(coef, 0, s, 0);
      F.mul(s, 0, s, 0, d, k);
    }
    F.sub(s, 1, s, 4, F.one, 0);
    F.mul(s, 1, s, 1, this.invPoints, 0);
    for (let k = 0; k < K; k++) {
      F.mul(coef, k, coef, k, this.alphaPow, k);
      F.mul(coef, k, coef, k, s, 1);
    }
    const ver = F.vec(this.verifierLen);
    F.copy(ver, 0, v, 0);
    for (let j = 0; j < A; j++) {
      for (let k = 0; k < K; k++) {
        F.mul(s, 0, wires, j * K + k, coef, k);
        F.add(ver, 1 + j, ver, 1 + j, s, 0);
      }
    }
    F.copy(s, 0, proof, gpOff + gpLen - 1);
    for (let i = gpLen - 2; i >= 0; i--) {
      F.mul(s, 0, s, 0, queryRand, 0);
      F.add(s, 0, s, 0, proof, gpOff + i);
    }
    F.copy(ver, 1 + A, s, 0);
    return ver;
  }

  /** The FLP's decision (VDAF-08 section 7.3.3.3) on the summed verifier. */
  private decide(ver: Uint16Array): boolean {
    const F = this.field;
    const A = this.arity;
    const s = this.s;
    if (!F.isZero(ver, 0)) return false;
    s.fill(0, 0, F.limbs);
    if (this.spec.type === 'sum') {
      // PolyEval(x^2 - x)
      F.mul(s, 0, ver, 1, ver, 1);
      F.sub(s, 0, s, 0, ver, 1);
    } else {
      // Mul, or ParallelSum of Mul: sum of x_{2i} x_{2i+1}
      for (let i = 0; i < A / 2; i++) {
        F.mul(s, 1, ver, 1 + 2 * i, ver, 2 + 2 * i);
        F.add(s, 0, s, 0, s, 1);
      }
    }
    return F.equal(s, 0, ver, 1 + A);
  }

  encodePrepShare(p: Prio3PrepShare): Uint8Array {
    return concat(this.field.encodeVec(p.verifiers), p.part);
  }

  /** @throws {VdafPrepError} the wrong length or an element outside the field. */
  decodePrepShare(b: Uint8Array): Prio3PrepShare {
    const vLen = this.verifierLen * this.proofs;
    const vBytes = vLen * this.field.encodedSize;
    const jLen = this.usesJointRand ? SEED_SIZE : 0;
    if (b.length !== vBytes + jLen)
      throw new VdafPrepError(
        `preparation share: expected ${vBytes + jLen} bytes, got ${b.length}`,
      );
    return {
      verifiers: this.decodeVec(b.subarray(0, vBytes), vLen, 'verifier share'),
      part: b.slice(vBytes),
    };
  }

  /**
   * prep_shares_to_prep (VDAF-08 section 7.2.2): sums the verifier shares and
   * decides; the preparation message is the joint randomness seed.
   * @throws {VdafPrepError} the proof of validity does not verify.
   */
  prepSharesToPrep(leader: Prio3PrepShare, helper: Prio3PrepShare): Uint8Array {
    const F = this.field;
    const n = F.limbs;
    const vLen = this.verifierLen;
    const ver = F.vec(vLen * this.proofs);
    ver.set(leader.verifiers);
    F.addVec(ver, helper.verifiers);
    for (let k = 0; k < this.proofs; k++)
      if (!this.decide(ver.subarray(k * vLen * n, (k + 1) * vLen * n)))
        throw new VdafPrepError('the proof of validity does not verify');
    if (!this.usesJointRand) return new Uint8Array(0);
    return this.deriveSeed(
      new Uint8Array(SEED_SIZE),
      USAGE.jointRandSeed,
      concat(leader.part, helper.part),
    );
  }

  /**
   * prep_next of the one-round Prio3: the joint randomness this aggregator
   * used must be the one both agreed on.
   * @throws {VdafPrepError} a message of the wrong length or another seed.
   */
  prepNext(state: Prio3State, prepMsg: Uint8Array): Uint16Array {
    const expected = this.usesJointRand ? SEED_SIZE : 0;
    if (prepMsg.length !== expected)
      throw new VdafPrepError('preparation message has the wrong length');
    let diff = 0;
    for (let i = 0; i < expected; i++) diff |= prepMsg[i]! ^ state.seed[i]!;
    if (diff !== 0) throw new VdafPrepError('joint randomness mismatch');
    return state.out;
  }
}
