/**
 * Lattice homomorphic encryption through Microsoft SEAL (node-seal 7.0.0):
 * CKKS and BFV contexts at 128-bit security, a key-owning client, a server
 * that computes with evaluation keys only, validated serialisation, and the
 * private-scoring example: the `entente/lattice` entry point. See
 * docs/HE-LATTICE.md. Runs wherever node-seal's WebAssembly does (browsers
 * with WebAssembly exnref; not Node 20, where loadSeal throws
 * LatticeUnavailableError).
 */
export { loadSeal, sealSupported, type Seal, type SealLoadOptions } from './seal.js';
export {
  LatticeError,
  LatticeUnavailableError,
  LatticeParameterError,
  LatticeFormatError,
  LatticeMismatchError,
} from './errors.js';
export {
  createContext,
  LATTICE_PRESETS,
  MAX_MODULUS_BITS_128,
  type LatticeContext,
  type LatticeParams,
  type LatticePreset,
  type Scheme,
} from './params.js';
export { LatticeClient, sumSteps, type EvaluationKeys } from './client.js';
export { LatticeEvaluator, EncryptedVector } from './evaluator.js';
export type { SlotValues } from './encode.js';
export { fitSigmoid, logistic, evalCubic, SIGMOID_FIT_8, type SigmoidFit } from './sigmoid.js';
export {
  ScoringCustomer,
  ScoringBank,
  integerScore,
  type LogisticModel,
  type IntegerModel,
} from './scoring.js';
export {
  runScoringDemo,
  type ScoringDemoReport,
  type ScoringDemoOptions,
  type ScoredCustomer,
} from './demo.js';
