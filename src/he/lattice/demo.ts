/**
 * The private-scoring demonstration behind `entente demo scoring` and the
 * benchmark: a synthetic 64-feature logistic model and synthetic customers
 * drawn from a seeded AES-CTR generator (the same seed gives the same model
 * and customers everywhere), each scored under encryption and in the clear.
 * Runs wherever SEAL loads (no Node API here).
 */
import { Prg } from '../../random/prg.js';
import { webCryptoProvider } from '../../random/provider.js';
import { createContext, type LatticePreset } from './params.js';
import { ScoringBank, ScoringCustomer, type LogisticModel } from './scoring.js';
import type { Seal } from './seal.js';
import { evalCubic, logistic, SIGMOID_FIT_8, type SigmoidFit } from './sigmoid.js';

export interface ScoringDemoOptions {
  /** 16-byte seed of the synthetic model and customers (not a secret: demo data only). */
  readonly seed: Uint8Array;
  readonly customers?: number;
  readonly features?: number;
  readonly preset?: Extract<LatticePreset, `ckks-${string}`>;
}

export interface ScoredCustomer {
  /** w·x + b in the clear. */
  readonly linear: number;
  /** σ(w·x + b) in the clear. */
  readonly logistic: number;
  /** p(w·x + b), the cubic the bank evaluates, in the clear. */
  readonly cubic: number;
  /** What the customer decrypted. */
  readonly encrypted: number;
  readonly ms: {
    readonly keygen: number;
    readonly encrypt: number;
    readonly evaluate: number;
    readonly decrypt: number;
  };
}

export interface ScoringDemoReport {
  readonly preset: string;
  readonly polyModulusDegree: number;
  readonly coeffModulusBits: readonly number[];
  readonly scaleBits: number;
  readonly features: number;
  readonly fit: SigmoidFit;
  readonly contextMs: number;
  readonly customers: readonly ScoredCustomer[];
  /** Bytes the customer sends once (evaluation keys) and per query, and the bank's answer. */
  readonly bytes: {
    readonly evaluationKeys: number;
    readonly query: number;
    readonly answer: number;
  };
  /** Plaintext σ(w·x + b) per customer, in milliseconds (the baseline of the ratio). */
  readonly plaintextMs: number;
}

/** Uniform doubles in [lo, hi) from the generator's 32-bit words. */
function uniforms(prg: Prg, n: number, lo: number, hi: number): number[] {
  const words = new Uint32Array(prg.bytes(4 * n).buffer);
  return Array.from(words, (w) => lo + ((hi - lo) * w) / 2 ** 32);
}

/** A model whose scores stay well inside [-8, 8] for features in [0, 1). */
export function syntheticModel(prg: Prg, features: number): LogisticModel {
  return { weights: uniforms(prg, features, -0.3, 0.3), bias: uniforms(prg, 1, -1, 1)[0]! };
}

/**
 * Scores `customers` synthetic customers under encryption, each with fresh
 * keys (the first carries the one-off costs: WebAssembly warm-up, tables).
 *
 * @throws {LatticeError} from the layer underneath; {RangeError} for a bad seed.
 */
export function runScoringDemo(seal: Seal, options: ScoringDemoOptions): ScoringDemoReport {
  const features = options.features ?? 64;
  const count = options.customers ?? 3;
  const preset = options.preset ?? 'ckks-8192';
  const prg = new Prg(options.seed, webCryptoProvider);
  const model = syntheticModel(prg, features);

  let t = performance.now();
  // Each side builds its own context from the public parameters.
  const customerCtx = createContext(seal, preset);
  const bankCtx = createContext(seal, preset);
  const contextMs = (performance.now() - t) / 2;

  const scored: ScoredCustomer[] = [];
  const bytes = { evaluationKeys: 0, query: 0, answer: 0 };
  let plainTotal = 0;
  try {
    for (let c = 0; c < count; c++) {
      const x = uniforms(prg, features, 0, 1);
      t = performance.now();
      const customer = ScoringCustomer.create(customerCtx, features);
      const keys = customer.evaluationKeys();
      const keygen = performance.now() - t;
      t = performance.now();
      const query = customer.encryptFeatures(x);
      const encrypt = performance.now() - t;
      const bank = new ScoringBank(bankCtx, model, keys);
      t = performance.now();
      const answer = bank.score(query);
      const evaluate = performance.now() - t;
      t = performance.now();
      const encrypted = customer.decryptScore(answer);
      const decrypt = performance.now() - t;
      bank.dispose();
      customer.dispose();

      t = performance.now();
      let linear = model.bias;
      for (let i = 0; i < features; i++) linear += model.weights[i]! * x[i]!;
      const plain = logistic(linear);
      plainTotal += performance.now() - t;
      scored.push({
        linear,
        logistic: plain,
        cubic: evalCubic(SIGMOID_FIT_8.coeffs, linear),
        encrypted,
        ms: { keygen, encrypt, evaluate, decrypt },
      });
      bytes.evaluationKeys = keys.relinKeys.length + keys.galoisKeys.length;
      bytes.query = query.length;
      bytes.answer = answer.length;
    }
  } finally {
    customerCtx.context.delete();
    bankCtx.context.delete();
  }
  const p = customerCtx.params;
  return {
    preset,
    polyModulusDegree: p.polyModulusDegree,
    coeffModulusBits: p.coeffModulusBits,
    scaleBits: p.scaleBits ?? 0,
    features,
    fit: SIGMOID_FIT_8,
    contextMs,
    customers: scored,
    bytes,
    plaintextMs: plainTotal / Math.max(count, 1),
  };
}
