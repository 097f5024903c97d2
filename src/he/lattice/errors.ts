/**
 * Typed errors of the lattice HE layer. Each names what is wrong with an input
 * (a serialised key or ciphertext, a parameter set, a vector) and never carries
 * key material or plaintext values: messages hold sizes, kinds and ids only.
 */

/** Base class: every failure of src/he/lattice is one of these (or a TypeError/RangeError on arguments). */
export class LatticeError extends Error {
  override readonly name: string = 'LatticeError';
}

/**
 * The JavaScript engine cannot run node-seal 7.0.0's WebAssembly (it needs
 * WebAssembly GC types and exception references, "exnref"). Node 20's V8 11.3
 * lacks exnref; Chromium 150 runs it.
 */
export class LatticeUnavailableError extends LatticeError {
  override readonly name = 'LatticeUnavailableError';
}

/** Parameters that SEAL rejects or that do not reach the security level asked for. */
export class LatticeParameterError extends LatticeError {
  override readonly name = 'LatticeParameterError';
}

/** Bytes that are not a valid serialised object: garbage, truncated, tampered, wrong kind. */
export class LatticeFormatError extends LatticeError {
  override readonly name = 'LatticeFormatError';
}

/**
 * A well-formed object that belongs elsewhere: another parameter set, another
 * customer's keys, a vector of the wrong length, a scheme that does not fit.
 */
export class LatticeMismatchError extends LatticeError {
  override readonly name = 'LatticeMismatchError';
}
