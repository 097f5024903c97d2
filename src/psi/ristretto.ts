/**
 * ristretto255 in batches for the ECDH PSI, on libsodium compiled to
 * WebAssembly (libsodium-wrappers-sumo, ISC; the WebAssembly is inlined in
 * the module, so it loads in browsers and bundles as well as in Node).
 *
 * - hash_to_ristretto255 (RFC 9380 section 6.8.1 / appendix B, RFC 9496
 *   section 4.3.4): expand_message_xmd with SHA-512 (RFC 9380 section
 *   5.3.1, @noble/hashes) to 64 uniform bytes, then libsodium's
 *   `crypto_core_ristretto255_from_hash`, the RFC 9496 one-way map
 *   (two Elligator maps and their sum).
 * - Scalar multiplication: libsodium's `crypto_scalarmult_ristretto255`,
 *   constant time in the scalar (a fixed window with constant-time table
 *   lookups), which decodes and checks its input and refuses an identity
 *   result (returns -1). Our scalars are nonzero modulo the prime group
 *   order, so k P is the identity only when P is: a failure means the
 *   input was not a canonical ristretto255 encoding or was the identity,
 *   and `multiplyAll` reports which element and why.
 * - Scalars: 64 bytes from the caller's CSPRNG reduced modulo the group
 *   order by `crypto_core_ristretto255_scalar_reduce` (bias below 2^-250),
 *   zero refused.
 *
 * Every call works on a whole batch: one copy of the inputs into WebAssembly
 * memory, a loop of libsodium calls on offsets, one copy out; no allocation
 * per element. Secret scalars are wiped from WebAssembly memory after each
 * batch (`Scalar.wipe` clears the caller's copy).
 */
import { sha512 } from '@noble/hashes/sha2.js';
import * as sodium from 'libsodium-wrappers-sumo';

/** The parts of libsodium's raw Emscripten module used here (not in its published types). */
interface RawSodium {
  readonly HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  _crypto_core_ristretto255_from_hash(p: number, r: number): number;
  _crypto_scalarmult_ristretto255(q: number, n: number, p: number): number;
  _crypto_core_ristretto255_scalar_reduce(r: number, s: number): void;
  _crypto_core_ristretto255_is_valid_point(p: number): number;
}

/** Bytes of an encoded point and of a scalar. */
export const POINT_BYTES = 32;
const SCALAR_BYTES = 32;
/** Elements per pass through WebAssembly memory (64 bytes of input and 32 of output each). */
const BATCH = 1 << 12;

let loading: Promise<Ristretto> | undefined;

async function loadRaw(): Promise<RawSodium> {
  await sodium.ready;
  const raw = (sodium as unknown as { libsodium?: RawSodium }).libsodium;
  if (!raw || typeof raw._crypto_scalarmult_ristretto255 !== 'function')
    throw new Error('ristretto255: libsodium loaded without its ristretto255 functions');
  return raw;
}

/**
 * A ristretto255 scalar, 32 bytes little-endian, reduced and nonzero. Its
 * bytes are secret: it has no printable form, and `wipe` clears them.
 */
export class Scalar {
  readonly #bytes: Uint8Array;
  /** @internal Use `Ristretto.randomScalar`. */
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }
  /** @internal The scalar's bytes, for this module and its tests. */
  static bytesOf(k: Scalar): Uint8Array {
    return k.#bytes;
  }
  /** Overwrites the scalar with zeros; it cannot be used afterwards. */
  wipe(): void {
    this.#bytes.fill(0);
  }
  toString(): string {
    return '[Scalar: secret]';
  }
  toJSON(): string {
    return '[Scalar: secret]';
  }
}

/** Why one element of a batch could not be multiplied. */
export type PointFault = 'not a ristretto255 encoding' | 'the identity';

/** A multiplication refused at element `index` of its batch (see `multiplyAll`). */
export interface BadPoint {
  readonly index: number;
  readonly fault: PointFault;
}

/** Batched ristretto255 operations over libsodium; `Ristretto.load()` gives the one instance. */
export class Ristretto {
  readonly #raw: RawSodium;
  /** SHA-512 state after the 128-byte Z_pad block of every expand_message_xmd input. */
  readonly #zpad = sha512.create().update(new Uint8Array(128));
  /** DST -> (tail of b_0's input, b_1's input), built once per DST. */
  readonly #xmd = new Map<string, { tail: Uint8Array; in1: Uint8Array }>();

  private constructor(raw: RawSodium) {
    this.#raw = raw;
  }

  /**
   * Loads libsodium (once per process or page; later calls reuse it).
   * @throws {Error} if libsodium cannot be loaded.
   */
  static load(): Promise<Ristretto> {
    loading ??= loadRaw().then(
      (raw) => new Ristretto(raw),
      (e: unknown) => {
        loading = undefined;
        throw e;
      },
    );
    return loading;
  }

  /**
   * A uniform nonzero scalar: 64 bytes from `randomFill` (the party's OS
   * CSPRNG) reduced modulo the group order.
   */
  randomScalar(randomFill: (out: Uint8Array) => void): Scalar {
    const raw = this.#raw;
    const p = raw._malloc(64 + SCALAR_BYTES);
    try {
      const wide = new Uint8Array(64);
      for (;;) {
        randomFill(wide);
        raw.HEAPU8.set(wide, p);
        raw._crypto_core_ristretto255_scalar_reduce(p + 64, p);
        const k = raw.HEAPU8.slice(p + 64, p + 64 + SCALAR_BYTES);
        if (k.some((b) => b !== 0)) {
          wide.fill(0);
          return new Scalar(k);
        }
      }
    } finally {
      raw.HEAPU8.fill(0, p, p + 64 + SCALAR_BYTES);
      raw._free(p);
    }
  }

  /**
   * expand_message_xmd(msg, DST, 64) with SHA-512 (RFC 9380 section 5.3.1)
   * for every `width`-byte message of `msgs`, into `out` (64 bytes each).
   * b_0 = H(Z_pad || msg || I2OSP(64, 2) || 0 || DST'), uniform = b_1 =
   * H(b_0 || 1 || DST'), DST' = DST || I2OSP(len(DST), 1); one output
   * block, since 64 bytes is SHA-512's size.
   */
  expandXmd(msgs: Uint8Array, width: number, dst: string, out: Uint8Array): void {
    let b = this.#xmd.get(`${width}\0${dst}`);
    if (!b) {
      const d = new TextEncoder().encode(dst);
      if (d.length > 255)
        throw new RangeError(`ristretto255: a DST of ${d.length} bytes (at most 255)`);
      const tail = new Uint8Array(width + 3 + d.length + 1);
      tail.set([0, 64, 0], width);
      tail.set(d, width + 3);
      tail[width + 3 + d.length] = d.length;
      const in1 = new Uint8Array(64 + 1 + d.length + 1);
      in1[64] = 1;
      in1.set(d, 65);
      in1[65 + d.length] = d.length;
      b = { tail, in1 };
      this.#xmd.set(`${width}\0${dst}`, b);
    }
    const n = msgs.length / width;
    const { tail, in1 } = b;
    for (let i = 0; i < n; i++) {
      tail.set(msgs.subarray(width * i, width * i + width));
      in1.set(this.#zpad.clone().update(tail).digest());
      out.set(sha512(in1), 64 * i);
    }
  }

  /**
   * The RFC 9496 one-way map (section 4.3.4) of every 64-byte string of
   * `uniform`: encoded points, 32 bytes each.
   */
  fromUniform(uniform: Uint8Array): Uint8Array {
    if (uniform.length % 64 !== 0)
      throw new RangeError(`ristretto255: ${uniform.length} bytes are not whole 64-byte strings`);
    const n = uniform.length / 64;
    const out = new Uint8Array(POINT_BYTES * n);
    const raw = this.#raw;
    const mem = raw._malloc(96 * Math.min(n, BATCH) || 1);
    try {
      for (let s = 0; s < n; s += BATCH) {
        const m = Math.min(BATCH, n - s);
        raw.HEAPU8.set(uniform.subarray(64 * s, 64 * (s + m)), mem);
        const pts = mem + 64 * m;
        for (let i = 0; i < m; i++)
          raw._crypto_core_ristretto255_from_hash(pts + 32 * i, mem + 64 * i);
        out.set(raw.HEAPU8.subarray(pts, pts + 32 * m), 32 * s);
      }
    } finally {
      raw._free(mem);
    }
    return out;
  }

  /**
   * hash_to_ristretto255(msg, DST) for every `width`-byte message of
   * `msgs` (RFC 9380 appendix B): encoded points, 32 bytes each.
   * @throws {RangeError} if `msgs` is not whole messages of `width` bytes.
   */
  hashToGroup(msgs: Uint8Array, width: number, dst: string): Uint8Array {
    if (!Number.isInteger(width) || width <= 0 || msgs.length % width !== 0)
      throw new RangeError(
        `ristretto255: ${msgs.length} bytes are not whole messages of ${width} bytes`,
      );
    const uniform = new Uint8Array((64 * msgs.length) / width);
    this.expandXmd(msgs, width, dst, uniform);
    return this.fromUniform(uniform);
  }

  /**
   * k P for every encoded point P of `points` (32 bytes each), encoded into
   * `out` at `keep` bytes per element (32, or a prefix of the encoding),
   * element i at position `place ? place[i] : i`. Each input is decoded and
   * checked by libsodium.
   * @returns undefined, or the first element that is not a canonical
   *   ristretto255 encoding or is the identity (`out` is then incomplete).
   */
  multiplyAll(
    k: Scalar,
    points: Uint8Array,
    out: Uint8Array,
    keep = POINT_BYTES,
    place?: Uint32Array,
  ): BadPoint | undefined {
    if (points.length % POINT_BYTES !== 0)
      throw new RangeError(`ristretto255: ${points.length} bytes are not whole points`);
    if (keep < 1 || keep > POINT_BYTES)
      throw new RangeError(`ristretto255: keep must be 1..32 bytes, got ${keep}`);
    const n = points.length / POINT_BYTES;
    const raw = this.#raw;
    const mem = raw._malloc(SCALAR_BYTES + 64 * Math.min(n, BATCH));
    const kp = mem;
    try {
      raw.HEAPU8.set(Scalar.bytesOf(k), kp);
      for (let s = 0; s < n; s += BATCH) {
        const m = Math.min(BATCH, n - s);
        const inp = mem + SCALAR_BYTES;
        const res = inp + 32 * m;
        raw.HEAPU8.set(points.subarray(32 * s, 32 * (s + m)), inp);
        for (let i = 0; i < m; i++)
          if (raw._crypto_scalarmult_ristretto255(res + 32 * i, kp, inp + 32 * i) !== 0)
            return {
              index: s + i,
              fault:
                raw._crypto_core_ristretto255_is_valid_point(inp + 32 * i) === 1
                  ? 'the identity'
                  : 'not a ristretto255 encoding',
            };
        const heap = raw.HEAPU8;
        if (!place && keep === POINT_BYTES) out.set(heap.subarray(res, res + 32 * m), 32 * s);
        else
          for (let i = 0; i < m; i++) {
            const j = place ? place[s + i]! : s + i;
            out.set(heap.subarray(res + 32 * i, res + 32 * i + keep), keep * j);
          }
      }
      return undefined;
    } finally {
      raw.HEAPU8.fill(0, kp, kp + SCALAR_BYTES);
      raw._free(mem);
    }
  }
}
