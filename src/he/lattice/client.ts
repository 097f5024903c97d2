/**
 * The key owner's side of outsourced encrypted computation: it generates the
 * keys, keeps the secret key (which has no export and never leaves this
 * object), hands out the evaluation keys a server needs, encrypts its vectors
 * and decrypts the results.
 *
 * Encryption is symmetric (under the secret key) and serialised with SEAL's
 * seed compression: the second half of a fresh ciphertext is regenerated from
 * a seed, which halves what the client sends. A symmetric ciphertext is as
 * good as a public-key one for a server that only computes on it.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Decryptor, Encryptor, KeyGenerator, SecretKey } from 'node-seal';
import { LatticeFormatError, LatticeMismatchError, LatticeParameterError } from './errors.js';
import { checkValues, decodeFrom, encodeInto, type SlotValues } from './encode.js';
import type { LatticeContext } from './params.js';
import { sealCall } from './seal.js';
import { fromWire, toWire } from './wire.js';

/** Serialised evaluation keys: what a server needs to compute (never the secret key). */
export interface EvaluationKeys {
  /** SHA-256 of the client's public key: names the key set in every envelope. */
  readonly keyId: Uint8Array;
  readonly relinKeys: Uint8Array;
  readonly galoisKeys: Uint8Array;
}

/** Rotation steps that sum `count` slots by halving: count/2, count/4, ..., 1 (count rounded up to a power of two). */
export function sumSteps(count: number): number[] {
  if (!Number.isSafeInteger(count) || count < 1)
    throw new RangeError(`sumSteps: expected a positive slot count, got ${count}`);
  const steps: number[] = [];
  for (let s = 1; s < count; s *= 2) steps.unshift(s);
  return steps;
}

export class LatticeClient {
  readonly ctx: LatticeContext;
  /** SHA-256 of the serialised public key. */
  readonly keyId: Uint8Array;
  readonly #keygen: KeyGenerator;
  readonly #secretKey: SecretKey;
  readonly #encryptor: Encryptor;
  readonly #decryptor: Decryptor;
  readonly #publicKey: Uint8Array;

  private constructor(ctx: LatticeContext) {
    const { seal } = ctx;
    this.ctx = ctx;
    const bad = (m: string) => new LatticeParameterError(m);
    this.#keygen = sealCall(seal, 'lattice keygen', () => new seal.KeyGenerator(ctx.context), bad);
    this.#secretKey = this.#keygen.secretKey();
    const pk = this.#keygen.createPublicKey();
    try {
      this.#publicKey = new Uint8Array(pk.saveToArray(seal.ComprModeType.zstd) as Uint8Array);
      this.#encryptor = new seal.Encryptor(ctx.context, pk, this.#secretKey);
    } finally {
      pk.delete();
    }
    this.#decryptor = new seal.Decryptor(ctx.context, this.#secretKey);
    this.keyId = sha256(this.#publicKey);
  }

  /**
   * Generates a fresh key set for `ctx` (SEAL samples the ternary secret from
   * the runtime's CSPRNG).
   *
   * @example
   *   const customer = LatticeClient.create(createContext(seal, 'ckks-8192'));
   */
  static create(ctx: LatticeContext): LatticeClient {
    return new LatticeClient(ctx);
  }

  /** The public key, enveloped (for third parties who encrypt to this client; the scoring server needs none). */
  publicKey(): Uint8Array {
    return toWire(this.ctx, {
      kind: 'public-key',
      keyId: this.keyId,
      slots: 0,
      body: this.#publicKey,
    });
  }

  /**
   * Relinearisation keys and Galois keys for the given rotation steps (left
   * rotations; see sumSteps), both seed-compressed and enveloped.
   */
  evaluationKeys(rotationSteps: readonly number[]): EvaluationKeys {
    const { seal } = this.ctx;
    for (const s of rotationSteps)
      if (!Number.isSafeInteger(s) || s === 0 || Math.abs(s) >= this.ctx.slots)
        throw new RangeError(
          `evaluationKeys: rotation step ${s} is not in 1..${this.ctx.slots - 1}`,
        );
    const rk = this.#keygen.createRelinKeysSerializable();
    const gk = this.#keygen.createGaloisKeysSerializableWithSteps(Int32Array.from(rotationSteps));
    try {
      const wrap = (kind: 'relin-keys' | 'galois-keys', b: unknown) =>
        toWire(this.ctx, {
          kind,
          keyId: this.keyId,
          slots: 0,
          body: new Uint8Array(b as Uint8Array),
        });
      return {
        keyId: this.keyId,
        relinKeys: wrap('relin-keys', rk.saveToArray(seal.ComprModeType.zstd)),
        galoisKeys: wrap('galois-keys', gk.saveToArray(seal.ComprModeType.zstd)),
      };
    } finally {
      rk.delete();
      gk.delete();
    }
  }

  /**
   * Encrypts a vector into one ciphertext (slots beyond its length are zero).
   *
   * @throws {RangeError} for too many values, non-finite (CKKS) or out-of-range integers (BFV).
   */
  encrypt(values: SlotValues): Uint8Array {
    checkValues(this.ctx, values, 'encrypt');
    const { seal } = this.ctx;
    const pt = new seal.Plaintext();
    try {
      encodeInto(this.ctx, values, this.ctx.scale, pt);
      const ct = this.#encryptor.encryptSymmetricSerializable(pt);
      try {
        const body = new Uint8Array(ct.saveToArray(seal.ComprModeType.zstd) as Uint8Array);
        return toWire(this.ctx, {
          kind: 'ciphertext',
          keyId: this.keyId,
          slots: values.length,
          body,
        });
      } finally {
        ct.delete();
      }
    } finally {
      pt.delete();
    }
  }

  /**
   * Decrypts an enveloped ciphertext made under this client's keys and returns
   * its slots in use (or the first `count` slots, e.g. to check that the others
   * are zero): Float64Array (CKKS, approximate) or BigInt64Array (BFV, exact,
   * centred mod t).
   *
   * @throws {LatticeFormatError} for bytes that are not a valid ciphertext.
   * @throws {LatticeMismatchError} for a ciphertext of another parameter set or key set.
   */
  decrypt(bytes: Uint8Array, count?: number): Float64Array | BigInt64Array {
    const env = fromWire(this.ctx, bytes, 'ciphertext', this.keyId);
    const { seal } = this.ctx;
    const ct = new seal.Ciphertext();
    const pt = new seal.Plaintext();
    try {
      sealCall(
        seal,
        'decrypt: loading the ciphertext',
        () => ct.loadFromArray(this.ctx.context, env.body),
        (m) => new LatticeFormatError(m),
      );
      if (ct.size() < 2 || ct.size() > 3)
        throw new LatticeFormatError(`decrypt: a ciphertext of size ${ct.size()}, expected 2 or 3`);
      sealCall(
        seal,
        'decrypt',
        () => this.#decryptor.decrypt(ct, pt),
        (m) => new LatticeMismatchError(m),
      );
      if (
        count !== undefined &&
        (!Number.isSafeInteger(count) || count < 0 || count > this.ctx.slots)
      )
        throw new RangeError(`decrypt: count must be in 0..${this.ctx.slots}, got ${count}`);
      return decodeFrom(this.ctx, pt, count ?? env.slots);
    } finally {
      ct.delete();
      pt.delete();
    }
  }

  /** BFV only: the remaining noise budget in bits (0 means the result is wrong). */
  noiseBudget(bytes: Uint8Array): number {
    if (this.ctx.params.scheme !== 'bfv')
      throw new LatticeMismatchError('noiseBudget: only BFV ciphertexts have a noise budget');
    const env = fromWire(this.ctx, bytes, 'ciphertext', this.keyId);
    const ct = new this.ctx.seal.Ciphertext();
    try {
      sealCall(
        this.ctx.seal,
        'noiseBudget: loading the ciphertext',
        () => ct.loadFromArray(this.ctx.context, env.body),
        (m) => new LatticeFormatError(m),
      );
      return this.#decryptor.invariantNoiseBudget(ct);
    } finally {
      ct.delete();
    }
  }

  /** Frees the WebAssembly memory of the keys; the object is unusable afterwards. */
  dispose(): void {
    this.#encryptor.delete();
    this.#decryptor.delete();
    this.#secretKey.delete();
    this.#keygen.delete();
  }

  // The secret key is never printed or serialised.
  toJSON(): { scheme: string; keyId: string } {
    return { scheme: this.ctx.params.scheme, keyId: hex(this.keyId) };
  }
  toString(): string {
    return `LatticeClient(${this.ctx.params.scheme}, key ${hex(this.keyId).slice(0, 8)}…, secret key redacted)`;
  }
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
