/**
 * Paillier encryption (Paillier, "Public-key cryptosystems based on composite
 * degree residuosity classes", EUROCRYPT 1999) with g = 1 + n, and the fast
 * encryption of Damgard, Jurik and Nielsen ("A generalization of Paillier's
 * public-key system with applications to electronic voting", IJIS 9(6), 2010,
 * its key generation with h_s = h^(n^s) and short exponents, with s = 1).
 *
 * Plaintexts are integers mod n; multiplying ciphertexts adds plaintexts, and
 * raising one to a public k multiplies its plaintext by k. Semantic security
 * (IND-CPA) rests on the decisional composite residuosity assumption (DCR),
 * and, for the fast encryption, on the DJN short-exponent assumption below.
 * Passive security only: ciphertexts are malleable by design (that is the
 * homomorphism), so nothing here resists chosen-ciphertext attacks.
 *
 * Encryption. Textbook Paillier computes c = (1 + n)^m r^n mod n^2 with r
 * random in Z*_n: one full-length exponentiation mod n^2 per ciphertext. DJN
 * publish once h_s = h^n mod n^2, where h = -x^2 mod n for a random x (so h
 * generates, with overwhelming probability, the squares of Jacobi symbol 1),
 * and encrypt as
 *
 *   c = (1 + n)^m * h_s^a mod n^2 = (1 + m n) * h_s^a mod n^2
 *
 * with a short random exponent a. That is a textbook ciphertext with
 * r = h^a mod n, so decryption is unchanged. (1 + n)^m = 1 + m n mod n^2 by
 * the binomial theorem, and h_s^a is a fixed-base exponentiation over a table
 * precomputed once per key (./fixed-base.ts).
 *
 * The DJN assumption: h^a for a random a of `exponentBits` bits is
 * indistinguishable from a uniform element of <h>. DJN take a below
 * 2^ceil(k/2) for a k-bit n; we default to 2 * lambda bits for a modulus of
 * lambda-bit security (NIST SP 800-57 part 1, table 2: 112 bits at 2048,
 * 128 at 3072), the usual length for short exponents: the best known attack
 * on a short exponent in a group of unknown order (Pollard's lambda method)
 * takes 2^(bits/2) steps. `exponentBits` is a key parameter; set it to
 * ceil(k/2) for DJN's own (more conservative) choice. Either way the security
 * rests on an assumption beyond DCR, stated in docs/HE.md.
 *
 * Decryption uses the Chinese remainder theorem (Paillier 1999, section 7):
 * m mod p = L_p(c^(p-1) mod p^2) * h_p mod p with L_p(x) = (x - 1) / p and
 * h_p = L_p((1 + n)^(p-1) mod p^2)^-1 mod p, likewise mod q, then CRT.
 *
 * Limitations: BigInt arithmetic is variable-time, so timing may leak about
 * exponents (nonces, secret primes) to an observer of many operations on the
 * same machine; secret values are not zeroised.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { CryptoProvider } from '../../random/provider.js';
import {
  bigIntToBytes,
  bitLength,
  byteLength,
  bytesToBigInt,
  gcd,
  mod,
  modInverse,
  modPow,
  randomBits,
  randomUnit,
} from './bigint.js';
import { PaillierError } from './errors.js';
import { FixedBaseTable } from './fixed-base.js';
import { randomPrime } from './primes.js';

/** Smallest modulus accepted: below this, factoring is easy and nothing here is secure. Tests use 512. */
export const MIN_MODULUS_BITS = 512;
export const DEFAULT_MODULUS_BITS = 3072;
const KEY_ID_BYTES = 16;
/** Encryptions after which the fixed-base table pays for itself (see `residue`). */
const TABLE_AFTER = 32;
const enc = new TextEncoder();

/** The security level of a k-bit RSA-type modulus (NIST SP 800-57 part 1, table 2), rounded down. */
export function securityBits(modulusBits: number): number {
  if (modulusBits >= 15360) return 256;
  if (modulusBits >= 7680) return 192;
  if (modulusBits >= 3072) return 128;
  if (modulusBits >= 2048) return 112;
  return 80;
}

/** A Paillier ciphertext, tagged with the id of the key it was made under. */
export class Ciphertext {
  /** c in Z*_{n^2}. */
  readonly value: bigint;
  /** Hex of the first 16 bytes of the public key's hash. */
  readonly keyId: string;
  constructor(value: bigint, keyId: string) {
    this.value = value;
    this.keyId = keyId;
  }
}

export interface PublicKeyJson {
  readonly n: string;
  readonly hs: string;
  readonly exponentBits: number;
}

function hexOf(x: bigint): string {
  return x.toString(16);
}

function parseHex(field: string, value: unknown): bigint {
  if (typeof value !== 'string' || !/^[0-9a-f]+$/.test(value))
    throw new PaillierError('bad-encoding', `paillier: ${field} must be a lowercase hex string`);
  return BigInt('0x' + value);
}

/** Checks x in Z*_m: 0 < x < m and gcd(x, n) = 1 (m is n or n^2). */
function inUnits(x: bigint, m: bigint, n: bigint): boolean {
  return x > 0n && x < m && gcd(x, n) === 1n;
}

export class PublicKey {
  readonly n: bigint;
  readonly n2: bigint;
  /** h_s = h^n mod n^2 (DJN). */
  readonly hs: bigint;
  /** The length of the random exponent a in h_s^a. */
  readonly exponentBits: number;
  /** The modulus's size in bits. */
  readonly bits: number;
  /** Bytes of one serialised ciphertext: the key id, then c. */
  readonly ciphertextBytes: number;
  readonly keyId: string;
  private table: FixedBaseTable | undefined;
  private residues = 0;

  /**
   * @throws {PaillierError} 'not-in-group' if n is even or too small or h_s is not in Z*_{n^2};
   *   'bad-encoding' for an exponent size out of [2 * 80, bits(n)].
   */
  constructor(n: bigint, hs: bigint, exponentBits: number) {
    this.bits = bitLength(n);
    if (n % 2n === 0n || this.bits < MIN_MODULUS_BITS)
      throw new PaillierError(
        'not-in-group',
        `paillier public key: n must be odd with at least ${MIN_MODULUS_BITS} bits, got ${this.bits} bits`,
      );
    if (!Number.isInteger(exponentBits) || exponentBits < 160 || exponentBits > this.bits)
      throw new PaillierError(
        'bad-encoding',
        `paillier public key: exponentBits must be an integer in [160, ${this.bits}], got ${exponentBits}`,
      );
    this.n = n;
    this.n2 = n * n;
    if (!inUnits(hs, this.n2, n))
      throw new PaillierError('not-in-group', 'paillier public key: h_s is not in Z*_{n^2}');
    this.hs = hs;
    this.exponentBits = exponentBits;
    const nBytes = byteLength(n);
    this.ciphertextBytes = KEY_ID_BYTES + 2 * nBytes;
    const digest = sha256(
      concat([
        enc.encode('entente/paillier/public-key/v1'),
        bigIntToBytes(n, nBytes),
        bigIntToBytes(hs, 2 * nBytes),
      ]),
    );
    this.keyId = Array.from(digest.subarray(0, KEY_ID_BYTES), (b) =>
      b.toString(16).padStart(2, '0'),
    ).join('');
  }

  /**
   * Builds the table of powers of h_s now (it is otherwise built at the 32nd
   * encryption). Window 8 (about 6 MiB at 3072 bits and a 256-bit exponent)
   * unless the exponent is long, where the table would pass about 16 MiB.
   */
  precompute(window?: number): this {
    const w = window ?? (this.exponentBits <= 512 ? 8 : 6);
    this.table = new FixedBaseTable(this.hs, this.n2, this.exponentBits, w);
    return this;
  }

  /** h_s^a mod n^2 for a random a of `exponentBits` bits: a random n-th residue. */
  randomResidue(crypto: CryptoProvider): bigint {
    return this.residue(randomBits(this.exponentBits, crypto));
  }

  /**
   * h_s^a mod n^2 for a given exponent (known-answer tests and proofs). The
   * table costs about 30 plain exponentiations to build (8,160 products at
   * 256-bit exponents against about 300 per exponentiation), so it is built
   * only at the TABLE_AFTER-th call: a browser that encrypts one value never
   * pays for it.
   */
  residue(a: bigint): bigint {
    if (!this.table) {
      if (++this.residues < TABLE_AFTER) return modPow(this.hs, a, this.n2);
      this.precompute();
    }
    return this.table!.pow(a);
  }

  /**
   * Encrypts m in [0, n) with a fresh exponent from the CSPRNG.
   * @throws {RangeError} for m outside [0, n).
   */
  encrypt(m: bigint, crypto: CryptoProvider): Ciphertext {
    return this.encryptWithExponent(m, randomBits(this.exponentBits, crypto));
  }

  /** c = (1 + m n) h_s^a mod n^2: DJN encryption with a given exponent a (tests). */
  encryptWithExponent(m: bigint, a: bigint): Ciphertext {
    this.checkPlaintext(m);
    return new Ciphertext(((1n + m * this.n) * this.residue(a)) % this.n2, this.keyId);
  }

  /** c = (1 + m n) r^n mod n^2: textbook encryption with a given r in Z*_n (tests, interop). */
  encryptWithR(m: bigint, r: bigint): Ciphertext {
    this.checkPlaintext(m);
    if (!inUnits(r, this.n, this.n)) throw new RangeError('paillier encrypt: r must be in Z*_n');
    return new Ciphertext(((1n + m * this.n) * modPow(r, this.n, this.n2)) % this.n2, this.keyId);
  }

  /** The encryption of a + b mod n. */
  add(a: Ciphertext, b: Ciphertext): Ciphertext {
    this.checkCheap(a);
    this.checkCheap(b);
    return new Ciphertext((a.value * b.value) % this.n2, this.keyId);
  }

  /** The encryption of the sum of the plaintexts mod n; of 0 (with nonce 1) for none. */
  sum(cts: Iterable<Ciphertext>): Ciphertext {
    let acc = 1n;
    for (const c of cts) {
      this.checkCheap(c);
      acc = (acc * c.value) % this.n2;
    }
    return new Ciphertext(acc, this.keyId);
  }

  /**
   * The encryption of k * m mod n for a public integer k (negative k allowed).
   * Not re-randomised: c^k is linkable to c by whoever knows k, and k = 0 gives
   * the ciphertext 1 (readable as 0); call `rerandomize` before sending it on.
   */
  mulScalar(c: Ciphertext, k: bigint): Ciphertext {
    this.checkCheap(c);
    return new Ciphertext(modPow(c.value, mod(k, this.n), this.n2), this.keyId);
  }

  /** The encryption of m + k mod n for a public k, without re-randomising. */
  addPlain(c: Ciphertext, k: bigint): Ciphertext {
    this.checkCheap(c);
    return new Ciphertext(((1n + mod(k, this.n) * this.n) * c.value) % this.n2, this.keyId);
  }

  /** The same plaintext under a fresh random residue (unlinkable to the input). */
  rerandomize(c: Ciphertext, crypto: CryptoProvider): Ciphertext {
    this.checkCheap(c);
    return new Ciphertext((c.value * this.randomResidue(crypto)) % this.n2, this.keyId);
  }

  /**
   * The checks of the homomorphic operations: the key id and 0 < c < n^2.
   * The gcd with n (Z*_{n^2} membership) costs as much as several additions,
   * so it is left to deserialisation and decryption: a product with a value
   * sharing a factor with n shares it too, and is refused there.
   * @throws {PaillierError} 'wrong-key' or 'not-in-group'.
   */
  checkCheap(c: Ciphertext): void {
    if (c.keyId !== this.keyId)
      throw new PaillierError(
        'wrong-key',
        `paillier: ciphertext of key ${c.keyId}, expected key ${this.keyId}`,
      );
    if (c.value <= 0n || c.value >= this.n2)
      throw new PaillierError('not-in-group', 'paillier: ciphertext is not in Z*_{n^2}');
  }

  /**
   * Checks that a ciphertext belongs to this key and to Z*_{n^2}.
   * @throws {PaillierError} 'wrong-key' or 'not-in-group'.
   */
  check(c: Ciphertext): void {
    if (c.keyId !== this.keyId)
      throw new PaillierError(
        'wrong-key',
        `paillier: ciphertext of key ${c.keyId}, expected key ${this.keyId}`,
      );
    if (!inUnits(c.value, this.n2, this.n))
      throw new PaillierError('not-in-group', 'paillier: ciphertext is not in Z*_{n^2}');
  }

  /** The ciphertext as bytes: the 16-byte key id, then c as 2 * bytes(n) big-endian bytes. */
  serialize(c: Ciphertext): Uint8Array {
    this.check(c);
    const out = new Uint8Array(this.ciphertextBytes);
    out.set(hexToBytes(this.keyId), 0);
    out.set(bigIntToBytes(c.value, this.ciphertextBytes - KEY_ID_BYTES), KEY_ID_BYTES);
    return out;
  }

  /**
   * Parses and validates a serialised ciphertext.
   * @throws {PaillierError} 'wrong-length', 'wrong-key' or 'not-in-group'.
   */
  deserialize(bytes: Uint8Array): Ciphertext {
    if (bytes.length !== this.ciphertextBytes)
      throw new PaillierError(
        'wrong-length',
        `paillier ciphertext: expected ${this.ciphertextBytes} bytes, got ${bytes.length}`,
      );
    const id = Array.from(bytes.subarray(0, KEY_ID_BYTES), (b) =>
      b.toString(16).padStart(2, '0'),
    ).join('');
    const c = new Ciphertext(bytesToBigInt(bytes.subarray(KEY_ID_BYTES)), id);
    this.check(c);
    return c;
  }

  toJSON(): PublicKeyJson {
    return { n: hexOf(this.n), hs: hexOf(this.hs), exponentBits: this.exponentBits };
  }

  /**
   * @throws {PaillierError} 'bad-encoding' for missing or malformed fields, 'not-in-group' for bad values.
   */
  static fromJSON(json: unknown): PublicKey {
    if (typeof json !== 'object' || json === null)
      throw new PaillierError('bad-encoding', 'paillier public key: expected an object');
    const o = json as Record<string, unknown>;
    if (typeof o.exponentBits !== 'number')
      throw new PaillierError('bad-encoding', 'paillier public key: exponentBits must be a number');
    return new PublicKey(parseHex('n', o.n), parseHex('hs', o.hs), o.exponentBits);
  }

  private checkPlaintext(m: bigint): void {
    if (m < 0n || m >= this.n)
      throw new RangeError(
        `paillier encrypt: plaintext must be in [0, n) (n has ${this.bits} bits)`,
      );
  }
}

export interface SecretKeyJson {
  readonly p: string;
  readonly q: string;
  readonly publicKey: PublicKeyJson;
}

/** L(x) = (x - 1) / d, defined on x = 1 mod d. */
function L(x: bigint, d: bigint): bigint {
  return (x - 1n) / d;
}

export class SecretKey {
  readonly publicKey: PublicKey;
  readonly #p: bigint;
  readonly #q: bigint;
  readonly #p2: bigint;
  readonly #q2: bigint;
  readonly #hp: bigint;
  readonly #hq: bigint;
  readonly #qInvP: bigint;

  /**
   * @throws {PaillierError} 'bad-encoding' unless p q = n, p != q and gcd(n, (p-1)(q-1)) = 1.
   */
  constructor(p: bigint, q: bigint, publicKey: PublicKey) {
    if (p * q !== publicKey.n || p === q || p < 3n || q < 3n)
      throw new PaillierError(
        'bad-encoding',
        'paillier secret key: p and q do not match the public key',
      );
    if (gcd(publicKey.n, (p - 1n) * (q - 1n)) !== 1n)
      throw new PaillierError('bad-encoding', 'paillier secret key: gcd(n, phi(n)) != 1');
    this.publicKey = publicKey;
    this.#p = p;
    this.#q = q;
    this.#p2 = p * p;
    this.#q2 = q * q;
    const g = 1n + publicKey.n;
    this.#hp = modInverse(L(modPow(g, p - 1n, this.#p2), p), p);
    this.#hq = modInverse(L(modPow(g, q - 1n, this.#q2), q), q);
    this.#qInvP = modInverse(q, p);
  }

  /**
   * The plaintext in [0, n).
   * @throws {PaillierError} 'wrong-key' or 'not-in-group' for a ciphertext that is not this key's.
   */
  decrypt(c: Ciphertext): bigint {
    this.publicKey.check(c);
    const p = this.#p;
    const q = this.#q;
    const mp = (L(modPow(c.value % this.#p2, p - 1n, this.#p2), p) * this.#hp) % p;
    const mq = (L(modPow(c.value % this.#q2, q - 1n, this.#q2), q) * this.#hq) % q;
    // Garner: m = mq + q ((mp - mq) q^-1 mod p)
    return mq + q * mod((mp - mq) * this.#qInvP, p);
  }

  /** The primes, for storage. Handle the result as a secret. */
  exportSecret(): SecretKeyJson {
    return { p: hexOf(this.#p), q: hexOf(this.#q), publicKey: this.publicKey.toJSON() };
  }

  /** @throws {PaillierError} 'bad-encoding' or 'not-in-group'. */
  static importSecret(json: unknown): SecretKey {
    if (typeof json !== 'object' || json === null)
      throw new PaillierError('bad-encoding', 'paillier secret key: expected an object');
    const o = json as Record<string, unknown>;
    return new SecretKey(parseHex('p', o.p), parseHex('q', o.q), PublicKey.fromJSON(o.publicKey));
  }

  /** Secret keys never print their primes. */
  toJSON(): string {
    return `[paillier secret key ${this.publicKey.keyId}]`;
  }
  toString(): string {
    return this.toJSON();
  }
}

export interface KeyPair {
  readonly publicKey: PublicKey;
  readonly secretKey: SecretKey;
}

export interface KeyGenOptions {
  /** The modulus size (default 3072; at least 512, even). */
  readonly bits?: number;
  /** The DJN exponent size (default 2 * securityBits(bits)). */
  readonly exponentBits?: number;
}

/**
 * h_s = (-x^2 mod n)^n mod n^2 for a random x in Z*_n (DJN 2010).
 */
export function randomHs(n: bigint, crypto: CryptoProvider): bigint {
  const x = randomUnit(n, crypto);
  const h = mod(-x * x, n);
  return modPow(h, n, n * n);
}

/** The default exponent size for a modulus of `bits` bits: 2 lambda. */
export function defaultExponentBits(bits: number): number {
  return 2 * securityBits(bits);
}

/**
 * Builds a key pair from given primes (used by key generation and by the
 * threshold dealer, which needs safe primes).
 */
export function keyPairFromPrimes(
  p: bigint,
  q: bigint,
  crypto: CryptoProvider,
  exponentBits?: number,
): KeyPair {
  const n = p * q;
  const publicKey = new PublicKey(
    n,
    randomHs(n, crypto),
    exponentBits ?? defaultExponentBits(bitLength(n)),
  );
  return { publicKey, secretKey: new SecretKey(p, q, publicKey) };
}

/**
 * A new key pair: two random primes of bits/2 bits each (top two bits set, so
 * n has exactly `bits` bits) from the CSPRNG.
 * @throws {RangeError} for a size below 512 bits or odd.
 */
export function generateKeyPair(crypto: CryptoProvider, options: KeyGenOptions = {}): KeyPair {
  const bits = options.bits ?? DEFAULT_MODULUS_BITS;
  if (!Number.isInteger(bits) || bits < MIN_MODULUS_BITS || bits % 2 !== 0)
    throw new RangeError(
      `paillier key generation: bits must be an even integer >= ${MIN_MODULUS_BITS}, got ${bits}`,
    );
  for (;;) {
    const p = randomPrime(bits / 2, crypto);
    const q = randomPrime(bits / 2, crypto);
    if (p === q || gcd(p * q, (p - 1n) * (q - 1n)) !== 1n) continue;
    return keyPairFromPrimes(p, q, crypto, options.exponentBits);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
