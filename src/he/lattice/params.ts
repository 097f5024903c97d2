/**
 * Parameter sets and SEAL contexts.
 *
 * Every preset meets 128-bit classical security by the HomomorphicEncryption.org
 * standard (Albrecht et al., "Homomorphic Encryption Security Standard", 2018,
 * table 1, ternary secrets): the total coefficient-modulus size stays within
 * the bound for the ring degree n (218 bits at n = 8192, 438 at n = 16384),
 * and `createContext` has SEAL itself confirm it (SEALContext built with
 * sec_level_type::tc128 refuses larger moduli).
 *
 * CKKS (Cheon, Kim, Kim, Song, "Homomorphic Encryption for Arithmetic of
 * Approximate Numbers", ASIACRYPT 2017): the first coefficient prime holds the
 * decrypted result, each middle prime is one rescale (one multiplicative
 * level) and equals the scale 2^40, the last is SEAL's special key-switching
 * prime. Private scoring needs three levels: the plaintext weights, then x^2
 * and x^3 of the sigmoid's cubic.
 *
 * BFV (Brakerski 2012; Fan, Vercauteren 2012): exact arithmetic modulo a
 * prime plaintext modulus t = 1 (mod 2n), so that n integer slots batch.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { EncryptionParameters, SEALContext } from 'node-seal';
import { LatticeParameterError } from './errors.js';
import { sealCall, type Seal } from './seal.js';

export type Scheme = 'ckks' | 'bfv';

/** A parameter set, stated in full (it is public: both sides build the same context from it). */
export interface LatticeParams {
  readonly scheme: Scheme;
  /** Ring degree n, a power of two: n/2 slots. */
  readonly polyModulusDegree: number;
  /** Bit sizes of the coefficient-modulus primes, first (result) to last (special). */
  readonly coeffModulusBits: readonly number[];
  /** CKKS only: log2 of the encoding scale. */
  readonly scaleBits?: number;
  /** BFV only: bit size of the batching plaintext prime t. */
  readonly plainModulusBits?: number;
}

/** The parameter sets this layer ships; all 128-bit secure (see the module comment). */
export const LATTICE_PRESETS = {
  /** 4096 slots, 3 levels at scale 2^40, 218 bits of modulus. */
  'ckks-8192': {
    scheme: 'ckks',
    polyModulusDegree: 8192,
    coeffModulusBits: [50, 40, 40, 40, 48],
    scaleBits: 40,
  },
  /** 8192 slots, 3 levels at scale 2^40 with larger outer primes, 240 of 438 bits. */
  'ckks-16384': {
    scheme: 'ckks',
    polyModulusDegree: 16384,
    coeffModulusBits: [60, 40, 40, 40, 60],
    scaleBits: 40,
  },
  /** 4096 x 2 integer slots mod a 30-bit prime, 218 bits of modulus (SEAL's BFVDefault). */
  'bfv-8192': {
    scheme: 'bfv',
    polyModulusDegree: 8192,
    coeffModulusBits: [43, 43, 44, 44, 44],
    plainModulusBits: 30,
  },
} as const satisfies Record<string, LatticeParams>;

export type LatticePreset = keyof typeof LATTICE_PRESETS;

/** HomomorphicEncryption.org's 128-bit bound on the total modulus bits, per ring degree. */
export const MAX_MODULUS_BITS_128: Readonly<Record<number, number>> = {
  1024: 27,
  2048: 54,
  4096: 109,
  8192: 218,
  16384: 438,
  32768: 881,
};

/** A SEAL context with the parameters it was made from and a public id for them. */
export interface LatticeContext {
  readonly seal: Seal;
  readonly params: LatticeParams;
  readonly context: SEALContext;
  /** SHA-256 of SEAL's serialised parameters: which context a key or ciphertext belongs to. */
  readonly id: Uint8Array;
  /** CKKS encoding scale (2^scaleBits); 1 for BFV. */
  readonly scale: number;
  /** Number of slots in one ciphertext: n/2 (CKKS), n/2 per row (BFV rotations stay within a row). */
  readonly slots: number;
  /** BFV plaintext modulus t (0n for CKKS). */
  readonly plainModulus: bigint;
}

/** Resolves a preset name or checks explicit parameters. @throws {LatticeParameterError} */
export function resolveParams(p: LatticePreset | LatticeParams): LatticeParams {
  if (typeof p === 'string') {
    const preset = (LATTICE_PRESETS as Record<string, LatticeParams>)[p];
    if (!preset)
      throw new LatticeParameterError(
        `lattice params: unknown preset '${p}' (known: ${Object.keys(LATTICE_PRESETS).join(', ')})`,
      );
    return preset;
  }
  const n = p.polyModulusDegree;
  const bound = MAX_MODULUS_BITS_128[n];
  if (bound === undefined)
    throw new LatticeParameterError(
      `lattice params: polyModulusDegree must be a power of two from 1024 to 32768, got ${n}`,
    );
  const total = p.coeffModulusBits.reduce((a, b) => a + b, 0);
  if (total > bound)
    throw new LatticeParameterError(
      `lattice params: ${total} bits of coefficient modulus exceed the 128-bit bound of ${bound} at n = ${n}`,
    );
  if (p.coeffModulusBits.length < 2)
    throw new LatticeParameterError('lattice params: need at least two coefficient primes');
  if (p.scheme === 'ckks' && !(p.scaleBits && p.scaleBits > 0 && p.scaleBits < 60))
    throw new LatticeParameterError('lattice params: CKKS needs scaleBits in 1..59');
  if (
    p.scheme === 'bfv' &&
    !(p.plainModulusBits && p.plainModulusBits >= 14 && p.plainModulusBits <= 60)
  )
    throw new LatticeParameterError('lattice params: BFV needs plainModulusBits in 14..60');
  return p;
}

/**
 * Builds a SEAL context for a preset or explicit parameters and has SEAL
 * confirm 128-bit security. Creating one takes tens of milliseconds (prime
 * generation, NTT tables): make one per party and reuse it.
 *
 * @throws {LatticeParameterError} for parameters SEAL rejects or that fall below 128 bits.
 * @example
 *   const ctx = createContext(await loadSeal(), 'ckks-8192');
 */
export function createContext(seal: Seal, which: LatticePreset | LatticeParams): LatticeContext {
  const params = resolveParams(which);
  const bad = (m: string) => new LatticeParameterError(m);
  const parms: EncryptionParameters = sealCall(
    seal,
    'lattice context',
    () => {
      const e = new seal.EncryptionParameters(
        params.scheme === 'ckks' ? seal.SchemeType.ckks : seal.SchemeType.bfv,
      );
      e.setPolyModulusDegree(params.polyModulusDegree);
      e.setCoeffModulus(
        seal.CoeffModulus.Create(
          params.polyModulusDegree,
          Int32Array.from(params.coeffModulusBits),
        ),
      );
      if (params.scheme === 'bfv')
        e.setPlainModulus(
          seal.PlainModulus.Batching(params.polyModulusDegree, params.plainModulusBits!),
        );
      return e;
    },
    bad,
  );
  try {
    const context = sealCall(
      seal,
      'lattice context',
      () => new seal.SEALContext(parms, true, seal.SecLevelType.tc128),
      bad,
    );
    // SEAL's own check: with tc128 it refuses moduli above the standard's bound.
    const level = context.parametersSet()
      ? context.keyContextData().qualifiers().securityLevel.value
      : 0;
    if (level !== 128) {
      context.delete();
      throw new LatticeParameterError(
        `lattice context: SEAL rejects ${params.scheme} n = ${params.polyModulusDegree} with ` +
          `[${params.coeffModulusBits.join(', ')}] bits (not valid or not 128-bit secure)`,
      );
    }
    const id = sha256(new Uint8Array(parms.saveToArray(seal.ComprModeType.none) as Uint8Array));
    const plainModulus = params.scheme === 'bfv' ? parms.plainModulus().value() : 0n;
    return {
      seal,
      params,
      context,
      id,
      scale: params.scheme === 'ckks' ? 2 ** params.scaleBits! : 1,
      slots: params.polyModulusDegree / 2,
      plainModulus,
    };
  } finally {
    parms.delete();
  }
}
