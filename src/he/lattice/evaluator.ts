/**
 * The server's side of outsourced encrypted computation: it holds the
 * client's evaluation keys (relinearisation and Galois keys, which let it
 * multiply and rotate but not decrypt) and computes on ciphertexts with its own
 * plaintext data. This object is built from serialised evaluation keys only and
 * has no way to obtain or hold a secret key.
 *
 * CKKS level management follows the usual rule (Cheon et al. 2017, section
 * 3.3): every multiplication is followed by a rescale that drops one prime, and
 * plaintext operands are encoded at the scale and level of the ciphertext they
 * meet, so that scales match exactly instead of approximately.
 */
import type { Ciphertext, Evaluator, GaloisKeys, Plaintext, RelinKeys } from 'node-seal';
import { LatticeFormatError, LatticeMismatchError, LatticeParameterError } from './errors.js';
import { checkValues, encodeInto, type SlotValues } from './encode.js';
import type { EvaluationKeys } from './client.js';
import type { LatticeContext } from './params.js';
import { sealCall } from './seal.js';
import { fromWire, toWire } from './wire.js';

/** A ciphertext on the server, with the number of slots in use. Dispose when done. */
export class EncryptedVector {
  constructor(
    readonly ct: Ciphertext,
    readonly slots: number,
  ) {}
  dispose(): void {
    this.ct.delete();
  }
}

export class LatticeEvaluator {
  readonly ctx: LatticeContext;
  readonly keyId: Uint8Array;
  readonly #evaluator: Evaluator;
  readonly #relinKeys: RelinKeys;
  readonly #galoisKeys: GaloisKeys;

  private constructor(ctx: LatticeContext, keys: EvaluationKeys) {
    const { seal } = ctx;
    this.ctx = ctx;
    this.keyId = Uint8Array.from(keys.keyId);
    const relin = fromWire(ctx, keys.relinKeys, 'relin-keys', this.keyId);
    const galois = fromWire(ctx, keys.galoisKeys, 'galois-keys', this.keyId);
    const rk = new seal.RelinKeys();
    const gk = new seal.GaloisKeys();
    try {
      sealCall(
        seal,
        'lattice relin-keys',
        () => rk.loadFromArray(ctx.context, relin.body),
        (m) => new LatticeFormatError(m),
      );
      sealCall(
        seal,
        'lattice galois-keys',
        () => gk.loadFromArray(ctx.context, galois.body),
        (m) => new LatticeFormatError(m),
      );
    } catch (e) {
      rk.delete();
      gk.delete();
      throw e;
    }
    this.#relinKeys = rk;
    this.#galoisKeys = gk;
    this.#evaluator = new seal.Evaluator(ctx.context);
  }

  /**
   * Loads a client's evaluation keys.
   *
   * @throws {LatticeFormatError} for garbage, truncated or altered key bytes.
   * @throws {LatticeMismatchError} for keys of another parameter set or key set than `keys.keyId`.
   * @example
   *   const bank = LatticeEvaluator.fromKeys(ctx, customer.evaluationKeys(sumSteps(64)));
   */
  static fromKeys(ctx: LatticeContext, keys: EvaluationKeys): LatticeEvaluator {
    if (!(keys.keyId instanceof Uint8Array) || keys.keyId.length !== 32)
      throw new TypeError('LatticeEvaluator: keyId must be 32 bytes');
    return new LatticeEvaluator(ctx, keys);
  }

  /**
   * Parses a client's ciphertext. `slots`, if given, is the vector length the
   * server expects; a ciphertext declaring another is refused.
   *
   * @throws {LatticeFormatError} for bytes SEAL cannot load or that fail validation.
   * @throws {LatticeMismatchError} for another parameter set or key set, or the wrong length.
   */
  load(bytes: Uint8Array, slots?: number): EncryptedVector {
    const env = fromWire(this.ctx, bytes, 'ciphertext', this.keyId);
    if (slots !== undefined && env.slots !== slots)
      throw new LatticeMismatchError(
        `load: the ciphertext holds ${env.slots} values, expected ${slots}`,
      );
    const { seal } = this.ctx;
    const ct = new seal.Ciphertext();
    try {
      sealCall(
        seal,
        'load: the ciphertext',
        () => ct.loadFromArray(this.ctx.context, env.body),
        (m) => new LatticeFormatError(m),
      );
      if (ct.size() !== 2)
        throw new LatticeFormatError(
          `load: a ciphertext of size ${ct.size()}, expected a fresh one (2)`,
        );
      // A client's ciphertext is fresh: at the top level and, for CKKS, at the
      // context's scale. Anything else would fail later with a less clear error
      // (levels run out, scales mismatch) or lose precision silently.
      const top = this.#levelOf(null);
      const level = this.#levelOf(ct);
      if (level !== top)
        throw new LatticeFormatError(
          `load: a ciphertext at level ${level}, expected a fresh one at level ${top}`,
        );
      if (this.ctx.params.scheme === 'ckks' && ct.scale() !== this.ctx.scale)
        throw new LatticeFormatError(
          `load: a ciphertext at scale 2^${Math.log2(ct.scale()).toFixed(2)}, expected 2^${this.ctx.params.scaleBits}`,
        );
    } catch (e) {
      ct.delete();
      throw e;
    }
    return new EncryptedVector(ct, env.slots);
  }

  /** Serialises a result for the client (zstd-compressed, enveloped under the client's key id). */
  save(v: EncryptedVector): Uint8Array {
    const body = new Uint8Array(v.ct.saveToArray(this.ctx.seal.ComprModeType.zstd) as Uint8Array);
    return toWire(this.ctx, { kind: 'ciphertext', keyId: this.keyId, slots: v.slots, body });
  }

  #call<T>(what: string, f: () => T): T {
    return sealCall(this.ctx.seal, what, f, (m) => new LatticeParameterError(m));
  }

  /** A plaintext for `values` at `scale` and at the level of `like` (CKKS); plain BFV encoding otherwise. */
  #plain(values: SlotValues, scale: number, like: Ciphertext, what: string): Plaintext {
    checkValues(this.ctx, values, what);
    const pt = new this.ctx.seal.Plaintext();
    try {
      encodeInto(this.ctx, values, scale, pt);
      if (this.ctx.params.scheme === 'ckks')
        this.#call(what, () => this.#evaluator.plainModSwitchToInplace(pt, like.parmsId()));
    } catch (e) {
      pt.delete();
      throw e;
    }
    return pt;
  }

  #rescale(ct: Ciphertext, what: string): void {
    if (this.ctx.params.scheme === 'ckks')
      this.#call(what, () => this.#evaluator.rescaleToNextInplace(ct));
  }

  /**
   * a ⊙ values, slot by slot (CKKS: followed by a rescale, one level). With
   * CKKS the plaintext is encoded at `plainScale` (default: the context's scale).
   */
  multiplyPlain(
    a: EncryptedVector,
    values: SlotValues,
    plainScale = this.ctx.scale,
  ): EncryptedVector {
    const pt = this.#plain(values, plainScale, a.ct, 'multiplyPlain');
    const out = new this.ctx.seal.Ciphertext();
    try {
      this.#call('multiplyPlain', () => this.#evaluator.multiplyPlain(a.ct, pt, out));
      this.#rescale(out, 'multiplyPlain: rescale');
    } catch (e) {
      out.delete();
      throw e;
    } finally {
      pt.delete();
    }
    return new EncryptedVector(out, a.slots);
  }

  /** a + values, slot by slot (encoded at a's own scale and level, so nothing is approximated). */
  addPlain(a: EncryptedVector, values: SlotValues): EncryptedVector {
    const pt = this.#plain(values, a.ct.scale(), a.ct, 'addPlain');
    const out = new this.ctx.seal.Ciphertext();
    try {
      this.#call('addPlain', () => this.#evaluator.addPlain(a.ct, pt, out));
    } catch (e) {
      out.delete();
      throw e;
    } finally {
      pt.delete();
    }
    return new EncryptedVector(out, a.slots);
  }

  /** a × b, relinearised (CKKS: rescaled, one level). Both at the same level and scale. */
  multiply(a: EncryptedVector, b: EncryptedVector): EncryptedVector {
    const out = new this.ctx.seal.Ciphertext();
    try {
      this.#call('multiply', () => this.#evaluator.multiply(a.ct, b.ct, out));
      this.#call('multiply: relinearise', () =>
        this.#evaluator.relinearizeInplace(out, this.#relinKeys),
      );
      this.#rescale(out, 'multiply: rescale');
    } catch (e) {
      out.delete();
      throw e;
    }
    return new EncryptedVector(out, Math.max(a.slots, b.slots));
  }

  /**
   * a + b. CKKS operands must have equal scales (to one part in 10^9); the one
   * at the higher level is switched down first.
   */
  add(a: EncryptedVector, b: EncryptedVector): EncryptedVector {
    const { seal } = this.ctx;
    if (this.ctx.params.scheme === 'ckks') {
      const sa = a.ct.scale();
      const sb = b.ct.scale();
      if (Math.abs(sa - sb) > 1e-9 * Math.max(sa, sb))
        throw new LatticeMismatchError(
          `add: scales 2^${Math.log2(sa).toFixed(3)} and 2^${Math.log2(sb).toFixed(3)} differ`,
        );
    }
    const out = new seal.Ciphertext();
    const lower = new seal.Ciphertext();
    try {
      const ia = this.#levelOf(a.ct);
      const ib = this.#levelOf(b.ct);
      const [hi, lo] = ia >= ib ? [a, b] : [b, a];
      this.#call('add: level', () =>
        this.#evaluator.cipherModSwitchTo(hi.ct, lo.ct.parmsId(), lower),
      );
      this.#call('add', () => this.#evaluator.add(lower, lo.ct, out));
    } catch (e) {
      out.delete();
      throw e;
    } finally {
      lower.delete();
    }
    return new EncryptedVector(out, Math.max(a.slots, b.slots));
  }

  /**
   * Slot 0 of the result holds the sum of slots 0..m-1 of a, m = count rounded
   * up to a power of two (by log2(m) rotate-and-add steps; Halevi and Shoup
   * 2014's "total sums"): slots count..m-1 must be zero, as they are in a
   * client's vector of length count and in its product with one. The other
   * slots hold partial sums: mask them before returning the ciphertext to
   * anyone who must not see them.
   *
   * @throws {LatticeParameterError} if the Galois keys lack a needed step.
   */
  sumSlots(a: EncryptedVector, count: number): EncryptedVector {
    if (!Number.isSafeInteger(count) || count < 1 || count > this.ctx.slots)
      throw new RangeError(`sumSlots: count must be in 1..${this.ctx.slots}, got ${count}`);
    for (let step = 1; step < count; step *= 2) {
      if (!this.#galoisKeys.hasKey(this.#galoisElt(step)))
        throw new LatticeParameterError(`sumSlots: no Galois key for rotation step ${step}`);
    }
    const { seal } = this.ctx;
    const acc = new seal.Ciphertext();
    const rotated = new seal.Ciphertext();
    try {
      acc.assign(a.ct);
      // Steps count/2, ..., 2, 1 (count rounded up to a power of two): after
      // them slot 0 holds slots 0..count-1 added up.
      for (let step = 2 ** Math.ceil(Math.log2(count)) / 2; step >= 1; step /= 2) {
        this.#call(`sumSlots: rotate by ${step}`, () =>
          this.ctx.params.scheme === 'ckks'
            ? this.#evaluator.rotateVector(acc, step, this.#galoisKeys, rotated)
            : this.#evaluator.rotateRows(acc, step, this.#galoisKeys, rotated),
        );
        this.#call('sumSlots: add', () => this.#evaluator.addInplace(acc, rotated));
      }
    } catch (e) {
      acc.delete();
      throw e;
    } finally {
      rotated.delete();
    }
    return new EncryptedVector(acc, 1);
  }

  /** A ciphertext's position in the modulus chain (higher: more levels left); null: the top data level. */
  #levelOf(ct: Ciphertext | null): number {
    const { context } = this.ctx;
    const parms = ct?.parmsId();
    const data = parms ? context.getContextData(parms) : context.firstContextData();
    try {
      return data.chainIndex();
    } finally {
      data.delete();
      parms?.delete();
    }
  }

  /** SEAL's Galois element for a left rotation by `step`: 3^step mod 2n (its rotation generator is 3). */
  #galoisElt(step: number): number {
    const m = 2 * this.ctx.params.polyModulusDegree;
    let g = 1;
    for (let i = 0; i < step; i++) g = (g * 3) % m;
    return g;
  }

  /**
   * c0 + c1·z + c2·z² + c3·z³ in the slots where `mask` is 1 and 0 elsewhere
   * (CKKS, two levels). The mask is folded into the plaintext coefficients, so
   * it costs no level: with t = c3·z + c2 (one plain multiplication) the cubic
   * is z²·t + c1·z + c0, and c1·z is brought to z³'s level and exact scale by a
   * plain multiplication by the mask at scale(z²).
   */
  cubic(
    z: EncryptedVector,
    coeffs: readonly [number, number, number, number],
    mask: readonly number[],
  ): EncryptedVector {
    if (this.ctx.params.scheme !== 'ckks')
      throw new LatticeMismatchError('cubic: only CKKS evaluates real polynomials');
    const [c0, c1, c2, c3] = coeffs;
    const scaled = (c: number) => mask.map((m) => m * c);
    const temps: EncryptedVector[] = [];
    const keep = <T extends EncryptedVector>(v: T): T => (temps.push(v), v);
    try {
      const s = z.ct.scale();
      const z2 = keep(this.multiply(z, z)); // scale s²/q
      const t = keep(this.addPlain(keep(this.multiplyPlain(z, scaled(c3), s)), scaled(c2)));
      const cubicPart = keep(this.multiply(z2, t)); // c3 z³ + c2 z²
      const linear = keep(
        this.multiplyPlain(keep(this.multiplyPlain(z, scaled(c1), s)), mask, z2.ct.scale()),
      );
      const sum = keep(this.add(cubicPart, linear));
      const out = this.addPlain(sum, scaled(c0));
      return new EncryptedVector(out.ct, z.slots);
    } finally {
      for (const v of temps) v.dispose();
    }
  }

  /** Frees the WebAssembly memory of the keys. */
  dispose(): void {
    this.#evaluator.delete();
    this.#relinKeys.delete();
    this.#galoisKeys.delete();
  }
}
