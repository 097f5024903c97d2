/**
 * Private scoring: a bank holds a logistic credit model (weights w, bias b,
 * in the clear at the bank); a customer encrypts its feature vector x under
 * its own CKKS key and sends it with evaluation keys; the bank returns an
 * encryption of p(w·x + b), p the least-squares cubic fit of the logistic
 * function on [-8, 8] (./sigmoid.ts); only the customer decrypts.
 *
 * Security model: semi-honest bank and customer. The bank sees ciphertexts and
 * evaluation keys only (RLWE security of CKKS, 128-bit parameters), so it
 * learns nothing about x but its length. The customer learns the score, and
 * whatever the result ciphertext's noise reveals of the computation: SEAL adds
 * no noise flooding, so model privacy against the customer is not claimed
 * beyond "slots other than the score are masked to zero". Nothing protects
 * against a malicious bank returning another function of x.
 *
 * BFV variant: an integer linear score s = w·x + b computed exactly (mod t,
 * with a bank-side check that |s| < t/2 for all features within the stated bound).
 */
import type { EvaluationKeys } from './client.js';
import { LatticeClient, sumSteps } from './client.js';
import { LatticeMismatchError } from './errors.js';
import { LatticeEvaluator } from './evaluator.js';
import type { LatticeContext } from './params.js';
import { SIGMOID_FIT_8, type SigmoidFit } from './sigmoid.js';

/** A logistic model: score = σ(weights · x + bias). */
export interface LogisticModel {
  readonly weights: readonly number[];
  readonly bias: number;
}

/** Bank-side validation of a model. @throws {RangeError} */
function checkModel(m: LogisticModel, slots: number): void {
  if (m.weights.length < 1 || m.weights.length > slots)
    throw new RangeError(`scoring model: ${m.weights.length} weights, expected 1..${slots}`);
  m.weights.forEach((w, i) => {
    if (!Number.isFinite(w)) throw new RangeError(`scoring model: weight ${i} is not finite`);
  });
  if (!Number.isFinite(m.bias)) throw new RangeError('scoring model: the bias is not finite');
}

/** The customer: owns the keys, encrypts features, decrypts the score. */
export class ScoringCustomer {
  readonly #client: LatticeClient;
  readonly features: number;

  private constructor(client: LatticeClient, features: number) {
    this.#client = client;
    this.features = features;
  }

  /**
   * New keys for a model with `features` inputs (public, announced by the bank).
   *
   * @throws {LatticeMismatchError} unless ctx is CKKS.
   * @example
   *   const customer = ScoringCustomer.create(createContext(seal, 'ckks-8192'), 64);
   *   const bank = new ScoringBank(bankCtx, model, customer.evaluationKeys());
   *   const score = customer.decryptScore(bank.score(customer.encryptFeatures(x)));
   */
  static create(ctx: LatticeContext, features: number): ScoringCustomer {
    if (ctx.params.scheme !== 'ckks')
      throw new LatticeMismatchError('ScoringCustomer: private scoring needs a CKKS context');
    if (!Number.isSafeInteger(features) || features < 1 || features > ctx.slots)
      throw new RangeError(`ScoringCustomer: features must be in 1..${ctx.slots}, got ${features}`);
    return new ScoringCustomer(LatticeClient.create(ctx), features);
  }

  /** The keys the bank needs: relinearisation keys and Galois keys for log2(features) rotations. */
  evaluationKeys(): EvaluationKeys {
    return this.#client.evaluationKeys(sumSteps(this.features));
  }

  /** @throws {RangeError} on a length other than `features` or a non-finite value. */
  encryptFeatures(x: readonly number[] | Float64Array): Uint8Array {
    if (x.length !== this.features)
      throw new RangeError(`encryptFeatures: expected ${this.features} features, got ${x.length}`);
    return this.#client.encrypt(x);
  }

  /** The score in slot 0 of the bank's answer. */
  decryptScore(bytes: Uint8Array): number {
    const v = this.#client.decrypt(bytes);
    return v[0] as number;
  }

  /** For tests and audits: every slot of the answer (all but slot 0 should be about 0). */
  decryptAllSlots(bytes: Uint8Array, count: number): Float64Array {
    return this.#client.decrypt(bytes, count) as Float64Array;
  }

  get keyId(): Uint8Array {
    return this.#client.keyId;
  }

  dispose(): void {
    this.#client.dispose();
  }
}

/** The bank: holds the model in the clear and the customer's evaluation keys, never a secret key. */
export class ScoringBank {
  readonly evaluator: LatticeEvaluator;
  readonly model: LogisticModel;
  readonly fit: SigmoidFit;

  /**
   * @throws {RangeError} for a malformed model.
   * @throws {LatticeFormatError | LatticeMismatchError} for bad evaluation keys.
   */
  constructor(
    ctx: LatticeContext,
    model: LogisticModel,
    keys: EvaluationKeys,
    fit: SigmoidFit = SIGMOID_FIT_8,
  ) {
    if (ctx.params.scheme !== 'ckks')
      throw new LatticeMismatchError('ScoringBank: private scoring needs a CKKS context');
    checkModel(model, ctx.slots);
    this.model = { weights: [...model.weights], bias: model.bias };
    this.fit = fit;
    this.evaluator = LatticeEvaluator.fromKeys(ctx, keys);
  }

  /**
   * Encrypted p(w·x + b) in slot 0, zeros elsewhere: one plain multiplication,
   * log2(features) rotations, then the cubic (two levels).
   *
   * @throws {LatticeFormatError | LatticeMismatchError} for a bad ciphertext or one of another length.
   */
  score(features: Uint8Array): Uint8Array {
    const ev = this.evaluator;
    const n = this.model.weights.length;
    const x = ev.load(features, n);
    const done = [x];
    try {
      const wx = ev.multiplyPlain(x, this.model.weights);
      done.push(wx);
      const sum = ev.sumSlots(wx, n);
      done.push(sum);
      const z = ev.addPlain(sum, [this.model.bias]);
      done.push(z);
      const y = ev.cubic(z, this.fit.coeffs, [1]);
      done.push(y);
      return ev.save(y);
    } finally {
      for (const v of done) v.dispose();
    }
  }

  dispose(): void {
    this.evaluator.dispose();
  }
}

/** An integer linear model for BFV: score = weights · x + bias, exactly. */
export interface IntegerModel {
  readonly weights: readonly number[];
  readonly bias: number;
  /** Features are promised to lie in [-featureBound, featureBound]. */
  readonly featureBound: number;
}

/**
 * Exact integer scoring over BFV: the result slot 0 is w·x + b; the bank
 * refuses a model for which some x within the bound could wrap mod t.
 *
 * @throws {RangeError} if sum |w_i| · featureBound + |b| >= t/2, or weights are not safe integers.
 */
export function integerScore(
  ev: LatticeEvaluator,
  model: IntegerModel,
  features: Uint8Array,
): Uint8Array {
  if (ev.ctx.params.scheme !== 'bfv')
    throw new LatticeMismatchError('integerScore: exact integer scoring needs a BFV context');
  const n = model.weights.length;
  checkModel(model, ev.ctx.slots);
  if (
    !Number.isSafeInteger(model.bias) ||
    !Number.isSafeInteger(model.featureBound) ||
    model.featureBound < 0
  )
    throw new RangeError('integerScore: bias and featureBound must be safe integers (bound >= 0)');
  let worst = BigInt(Math.abs(model.bias));
  for (const [i, w] of model.weights.entries()) {
    if (!Number.isSafeInteger(w))
      throw new RangeError(`integerScore: weight ${i} is not a safe integer`);
    worst += BigInt(Math.abs(w)) * BigInt(model.featureBound);
  }
  if (worst >= ev.ctx.plainModulus / 2n)
    throw new RangeError(
      `integerScore: |score| could reach ${worst}, not below t/2 = ${ev.ctx.plainModulus / 2n}: it would wrap`,
    );
  const x = ev.load(features, n);
  const done = [x];
  try {
    const wx = ev.multiplyPlain(x, model.weights);
    done.push(wx);
    const sum = ev.sumSlots(wx, n);
    done.push(sum);
    // Masking slot 0 hides the partial sums (they would reveal the weights).
    const masked = ev.multiplyPlain(sum, [1]);
    done.push(masked);
    const out = ev.addPlain(masked, [model.bias]);
    done.push(out);
    return ev.save(out);
  } finally {
    for (const v of done) v.dispose();
  }
}
