/**
 * Threshold Paillier with a trusted dealer: Damgard and Jurik, "A
 * generalisation, a simplification and some applications of Paillier's
 * probabilistic public-key system", PKC 2001, its threshold
 * variant, with s = 1, which is Shoup's RSA sharing ("Practical threshold
 * signatures", EUROCRYPT 2000) applied to Paillier's decryption exponent.
 *
 * Setting. A dealer, trusted to generate the key and forget it, deals shares
 * to `parties` share holders; any `threshold` of them decrypt, fewer learn
 * nothing about plaintexts (static corruption of up to threshold - 1 holders,
 * under DCR in the random-oracle model). Holders may be malicious: each
 * decryption share carries a non-interactive proof that it was computed with
 * the holder's key share, so a wrong share is caught and named before
 * combination. Encryption is ./paillier.ts's (DJN fast encryption included).
 *
 * Key. n = p q with safe primes p = 2p' + 1, q = 2q' + 1; m = p' q'. The
 * secret d satisfies d = 0 mod m and d = 1 mod n. f(X) = d + a_1 X + ... +
 * a_{t-1} X^{t-1} with a_j uniform in [0, n m); holder i gets s_i = f(i) mod
 * n m. With Delta = parties!, v a random square of Z*_{n^2} and
 * v_i = v^(Delta s_i) mod n^2 public.
 *
 * Decryption share of c: c_i = c^(2 Delta s_i) mod n^2, with a proof that
 * log_{c^4}(c_i^2) = log_v(v_i) (Chaum-Pedersen in the group of unknown
 * order, made non-interactive by Fiat-Shamir): r of R_BITS bits, a = c^(4r),
 * b = v^r, e = H(..., a, b) of 256 bits, z = r + e Delta s_i over the
 * integers. The proof is (e, z); the verifier recomputes a = c^(4z) c_i^(-2e)
 * and b = v^z v_i^(-e) and checks e. DJ 2001 take r of (s + 2) k + t bits;
 * we take 2k + bits(Delta) + 256 + 128 bits, enough to hide e Delta s_i
 * (below 2^(2k + bits(Delta) + 256)) to within 2^-128 statistically.
 *
 * Combination from a set S of `threshold` holders: with the integer Lagrange
 * coefficients mu_i = Delta prod_{j in S, j != i} j / (j - i),
 * c' = prod c_i^(2 mu_i) = c^(4 Delta^2 d) = (1 + n)^(4 Delta^2 M), so
 * M = L(c') (4 Delta^2)^-1 mod n.
 */
import { sha512 } from '@noble/hashes/sha2.js';
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
  randomBelow,
  randomBits,
  randomUnit,
} from './bigint.js';
import { PaillierError } from './errors.js';
import { Ciphertext, defaultExponentBits, PublicKey, randomHs } from './paillier.js';
import { isSafePrime, randomSafePrime } from './primes.js';

const CHALLENGE_BITS = 256;
const HIDING_BITS = 128;
const MAX_PARTIES = 1000;
const enc = new TextEncoder();

function factorial(k: number): bigint {
  let out = 1n;
  for (let i = 2n; i <= BigInt(k); i++) out *= i;
  return out;
}

/** The public side of a threshold key: the Paillier key and the holders' verification keys. */
export class ThresholdPublicKey {
  readonly publicKey: PublicKey;
  readonly parties: number;
  readonly threshold: number;
  /** Delta = parties! */
  readonly delta: bigint;
  /** A random square generating (w.h.p.) the squares of Z*_{n^2}. */
  readonly v: bigint;
  /** verificationKeys[i - 1] = v^(Delta s_i) mod n^2. */
  readonly verificationKeys: readonly bigint[];

  /**
   * @throws {PaillierError} 'bad-encoding' for bad counts, 'not-in-group' for keys outside Z*_{n^2}.
   */
  constructor(
    publicKey: PublicKey,
    parties: number,
    threshold: number,
    v: bigint,
    verificationKeys: readonly bigint[],
  ) {
    checkCounts(parties, threshold);
    if (verificationKeys.length !== parties)
      throw new PaillierError(
        'bad-encoding',
        `threshold paillier key: expected ${parties} verification keys, got ${verificationKeys.length}`,
      );
    const { n, n2 } = publicKey;
    for (const [i, x] of [v, ...verificationKeys].entries())
      if (x <= 0n || x >= n2 || gcd(x, n) !== 1n)
        throw new PaillierError(
          'not-in-group',
          i === 0
            ? 'threshold paillier key: v is not in Z*_{n^2}'
            : `threshold paillier key: verification key of party ${i} is not in Z*_{n^2}`,
        );
    this.publicKey = publicKey;
    this.parties = parties;
    this.threshold = threshold;
    this.delta = factorial(parties);
    this.v = v;
    this.verificationKeys = verificationKeys;
  }

  get keyId(): string {
    return this.publicKey.keyId;
  }

  /**
   * Checks a decryption share's proof against ciphertext c.
   * @throws {PaillierError} 'wrong-key', 'bad-encoding' (unknown party) or 'bad-proof'.
   */
  verifyShare(c: Ciphertext, share: DecryptionShare): void {
    this.publicKey.check(c);
    if (share.keyId !== this.keyId)
      throw new PaillierError(
        'wrong-key',
        `threshold paillier: share of party ${share.index} is for key ${share.keyId}, expected ${this.keyId}`,
      );
    const vi = this.verificationKeys[share.index - 1];
    if (!Number.isInteger(share.index) || vi === undefined)
      throw new PaillierError('bad-encoding', `threshold paillier: no party ${share.index}`);
    const { n, n2 } = this.publicKey;
    const bad = (why: string) =>
      new PaillierError(
        'bad-proof',
        `threshold paillier: decryption share of party ${share.index} rejected: ${why}`,
      );
    if (share.value <= 0n || share.value >= n2 || gcd(share.value, n) !== 1n)
      throw bad('the share is not in Z*_{n^2}');
    const { e, z } = share.proof;
    if (
      e < 0n ||
      e >= 1n << BigInt(CHALLENGE_BITS) ||
      z < 0n ||
      bitLength(z) > this.proofBits() + 1
    )
      throw bad('the proof is out of range');
    const c4 = modPow(c.value, 4n, n2);
    const ci2 = modPow(share.value, 2n, n2);
    const a = (modPow(c4, z, n2) * modInverse(modPow(ci2, e, n2), n2)) % n2;
    const b = (modPow(this.v, z, n2) * modInverse(modPow(vi, e, n2), n2)) % n2;
    if (challenge(this, share.index, c4, ci2, a, b) !== e) throw bad('the proof does not verify');
  }

  /**
   * Combines decryption shares of c from at least `threshold` distinct holders
   * (the first `threshold` distinct ones are used) into the plaintext.
   * Every share's proof is checked first unless `verify` is false (tests only:
   * the positive control that shows the check is what catches a bad share).
   * @throws {PaillierError} 'not-enough-shares', or verifyShare's errors.
   */
  combine(
    c: Ciphertext,
    shares: readonly DecryptionShare[],
    options: { verify?: boolean } = {},
  ): bigint {
    this.publicKey.check(c);
    const chosen = new Map<number, DecryptionShare>();
    for (const s of shares) {
      if (chosen.has(s.index))
        throw new PaillierError(
          'not-enough-shares',
          `threshold paillier: two shares of party ${s.index}`,
        );
      chosen.set(s.index, s);
    }
    if (chosen.size < this.threshold)
      throw new PaillierError(
        'not-enough-shares',
        `threshold paillier: ${this.threshold} shares needed, got ${chosen.size}`,
      );
    const used = [...chosen.values()].slice(0, this.threshold);
    if (options.verify !== false) for (const s of used) this.verifyShare(c, s);
    const { n, n2 } = this.publicKey;
    let acc = 1n;
    for (const s of used) {
      // mu_i = Delta prod_{j != i} j / (j - i): an integer, since Delta = parties! clears the denominators.
      let num = this.delta;
      let den = 1n;
      for (const o of used) {
        if (o.index === s.index) continue;
        num *= BigInt(o.index);
        den *= BigInt(o.index - s.index);
      }
      const mu = num / den;
      const term = modPow(s.value, 2n * (mu < 0n ? -mu : mu), n2);
      acc = (acc * (mu < 0n ? modInverse(term, n2) : term)) % n2;
    }
    const l = (acc - 1n) / n;
    return mod(l * modInverse(4n * this.delta * this.delta, n), n);
  }

  /** The size of r in the proofs: 2 bits(n) + bits(Delta) + 256 + 128. */
  proofBits(): number {
    return 2 * this.publicKey.bits + bitLength(this.delta) + CHALLENGE_BITS + HIDING_BITS;
  }

  toJSON(): ThresholdPublicKeyJson {
    return {
      publicKey: this.publicKey.toJSON(),
      parties: this.parties,
      threshold: this.threshold,
      v: this.v.toString(16),
      verificationKeys: this.verificationKeys.map((x) => x.toString(16)),
    };
  }

  /** @throws {PaillierError} 'bad-encoding' or 'not-in-group'. */
  static fromJSON(json: unknown): ThresholdPublicKey {
    const o = asObject(json, 'threshold paillier key');
    if (!Array.isArray(o.verificationKeys))
      throw new PaillierError(
        'bad-encoding',
        'threshold paillier key: verificationKeys must be an array',
      );
    return new ThresholdPublicKey(
      PublicKey.fromJSON(o.publicKey),
      asInt(o.parties, 'parties'),
      asInt(o.threshold, 'threshold'),
      hex(o.v, 'v'),
      o.verificationKeys.map((x, i) => hex(x, `verificationKeys[${i}]`)),
    );
  }
}

export interface ThresholdPublicKeyJson {
  readonly publicKey: ReturnType<PublicKey['toJSON']>;
  readonly parties: number;
  readonly threshold: number;
  readonly v: string;
  readonly verificationKeys: readonly string[];
}

export interface ShareProof {
  readonly e: bigint;
  readonly z: bigint;
}

/** Party `index`'s decryption share of one ciphertext, with its proof. */
export interface DecryptionShare {
  readonly index: number;
  readonly keyId: string;
  readonly value: bigint;
  readonly proof: ShareProof;
}

/** One holder's key share s_i. Never printed. */
export class KeyShare {
  readonly index: number;
  readonly key: ThresholdPublicKey;
  readonly #s: bigint;

  constructor(index: number, s: bigint, key: ThresholdPublicKey) {
    if (!Number.isInteger(index) || index < 1 || index > key.parties)
      throw new PaillierError('bad-encoding', `threshold paillier: no party ${index}`);
    this.index = index;
    this.#s = s;
    this.key = key;
  }

  /**
   * This holder's decryption share of c with its proof.
   * @throws {PaillierError} 'wrong-key' or 'not-in-group' for a ciphertext not of this key.
   */
  decryptShare(c: Ciphertext, crypto: CryptoProvider): DecryptionShare {
    const { publicKey: pk, delta, v } = this.key;
    pk.check(c);
    const n2 = pk.n2;
    const exponent = delta * this.#s; // Delta s_i
    const value = modPow(c.value, 2n * exponent, n2);
    const c4 = modPow(c.value, 4n, n2);
    const r = randomBits(this.key.proofBits(), crypto);
    const a = modPow(c4, r, n2);
    const b = modPow(v, r, n2);
    const ci2 = (value * value) % n2;
    const e = challenge(this.key, this.index, c4, ci2, a, b);
    return { index: this.index, keyId: pk.keyId, value, proof: { e, z: r + e * exponent } };
  }

  /** The share for storage. Handle the result as a secret. */
  exportSecret(): { index: number; s: string; key: ThresholdPublicKeyJson } {
    return { index: this.index, s: this.#s.toString(16), key: this.key.toJSON() };
  }

  /** @throws {PaillierError} 'bad-encoding' unless the share matches its verification key. */
  static importSecret(json: unknown): KeyShare {
    const o = asObject(json, 'threshold paillier key share');
    const key = ThresholdPublicKey.fromJSON(o.key);
    const index = asInt(o.index, 'index');
    const s = hex(o.s, 's');
    const share = new KeyShare(index, s, key);
    if (modPow(key.v, key.delta * s, key.publicKey.n2) !== key.verificationKeys[index - 1])
      throw new PaillierError(
        'bad-encoding',
        `threshold paillier key share: party ${index}'s share does not match its verification key`,
      );
    return share;
  }

  toJSON(): string {
    return `[threshold paillier key share ${this.index} of ${this.key.keyId}]`;
  }
  toString(): string {
    return this.toJSON();
  }
}

export interface DealOptions {
  readonly parties: number;
  readonly threshold: number;
  /** The modulus size when primes are generated (default 3072). */
  readonly bits?: number;
  /** Pre-generated safe primes (test fixtures): p = 2p' + 1 and q = 2q' + 1, p != q. */
  readonly safePrimes?: { readonly p: bigint; readonly q: bigint };
  readonly exponentBits?: number;
}

/**
 * The trusted dealer: a threshold key and every holder's share. The dealer
 * must erase p, q and d afterwards (they are not returned).
 * @throws {PaillierError} 'bad-encoding' for bad counts or primes that are not safe primes.
 */
export function dealThresholdKey(
  crypto: CryptoProvider,
  options: DealOptions,
): { key: ThresholdPublicKey; shares: KeyShare[] } {
  const { parties, threshold } = options;
  checkCounts(parties, threshold);
  let p: bigint;
  let q: bigint;
  if (options.safePrimes) {
    ({ p, q } = options.safePrimes);
    for (const x of [p, q])
      if (!isSafePrime(x, crypto))
        throw new PaillierError(
          'bad-encoding',
          'threshold paillier dealer: the given primes are not safe primes',
        );
  } else {
    const bits = options.bits ?? 3072;
    if (!Number.isInteger(bits) || bits < 512 || bits % 2 !== 0)
      throw new RangeError(
        `threshold paillier dealer: bits must be an even integer >= 512, got ${bits}`,
      );
    p = randomSafePrime(bits / 2, crypto).p;
    do q = randomSafePrime(bits / 2, crypto).p;
    while (q === p);
  }
  const pp = (p - 1n) / 2n;
  const qq = (q - 1n) / 2n;
  if (p === q || pp === q || qq === p || pp <= BigInt(parties) || qq <= BigInt(parties))
    throw new PaillierError(
      'bad-encoding',
      'threshold paillier dealer: p and q must be distinct large safe primes',
    );
  const n = p * q;
  const m = pp * qq;
  const nm = n * m;
  const n2 = n * n;
  const publicKey = new PublicKey(
    n,
    randomHs(n, crypto),
    options.exponentBits ?? defaultExponentBits(bitLength(n)),
  );
  // d = 0 mod m, d = 1 mod n (gcd(n, m) = 1 since p, q are not p', q').
  const d = m * modInverse(m, n);
  const coefficients = [d];
  for (let j = 1; j < threshold; j++) coefficients.push(randomBelow(nm, crypto));
  const s: bigint[] = [];
  for (let i = 1; i <= parties; i++) {
    let y = 0n;
    for (let j = coefficients.length - 1; j >= 0; j--) y = (y * BigInt(i) + coefficients[j]!) % nm;
    s.push(y);
  }
  const r = randomUnit(n2, crypto);
  const v = (r * r) % n2;
  const delta = factorial(parties);
  const key = new ThresholdPublicKey(
    publicKey,
    parties,
    threshold,
    v,
    s.map((si) => modPow(v, delta * si, n2)),
  );
  return { key, shares: s.map((si, i) => new KeyShare(i + 1, si, key)) };
}

/** Serialises a decryption share to JSON-safe fields (hex strings). */
export function shareToJson(s: DecryptionShare): {
  index: number;
  keyId: string;
  value: string;
  e: string;
  z: string;
} {
  return {
    index: s.index,
    keyId: s.keyId,
    value: s.value.toString(16),
    e: s.proof.e.toString(16),
    z: s.proof.z.toString(16),
  };
}

/** @throws {PaillierError} 'bad-encoding' for missing or malformed fields. */
export function shareFromJson(json: unknown): DecryptionShare {
  const o = asObject(json, 'decryption share');
  if (typeof o.keyId !== 'string' || !/^[0-9a-f]{32}$/.test(o.keyId))
    throw new PaillierError('bad-encoding', 'decryption share: keyId must be 32 hex digits');
  return {
    index: asInt(o.index, 'index'),
    keyId: o.keyId,
    value: hex(o.value, 'value'),
    proof: { e: hex(o.e, 'e'), z: hex(o.z, 'z') },
  };
}

/** The Fiat-Shamir challenge: SHA-512 of a length-prefixed transcript, cut to 256 bits. */
function challenge(
  key: ThresholdPublicKey,
  index: number,
  c4: bigint,
  ci2: bigint,
  a: bigint,
  b: bigint,
): bigint {
  const width = 2 * byteLength(key.publicKey.n);
  const parts = [
    enc.encode('entente/paillier/decryption-share-proof/v1'),
    enc.encode(key.keyId),
    enc.encode(String(index)),
    ...[key.v, key.verificationKeys[index - 1]!, c4, ci2, a, b].map((x) => bigIntToBytes(x, width)),
  ];
  const total = parts.reduce((t, p) => t + 4 + p.length, 0);
  const buf = new Uint8Array(total);
  const view = new DataView(buf.buffer);
  let off = 0;
  for (const p of parts) {
    view.setUint32(off, p.length);
    buf.set(p, off + 4);
    off += 4 + p.length;
  }
  return bytesToBigInt(sha512(buf).subarray(0, CHALLENGE_BITS / 8));
}

function checkCounts(parties: number, threshold: number): void {
  if (!Number.isInteger(parties) || parties < 1 || parties > MAX_PARTIES)
    throw new PaillierError(
      'bad-encoding',
      `threshold paillier: parties must be in [1, ${MAX_PARTIES}], got ${parties}`,
    );
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > parties)
    throw new PaillierError(
      'bad-encoding',
      `threshold paillier: threshold must be in [1, ${parties}], got ${threshold}`,
    );
}

function asObject(json: unknown, what: string): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new PaillierError('bad-encoding', `${what}: expected an object`);
  return json as Record<string, unknown>;
}

function asInt(x: unknown, field: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x))
    throw new PaillierError('bad-encoding', `threshold paillier: ${field} must be an integer`);
  return x;
}

function hex(x: unknown, field: string): bigint {
  if (typeof x !== 'string' || !/^[0-9a-f]+$/.test(x))
    throw new PaillierError(
      'bad-encoding',
      `threshold paillier: ${field} must be a lowercase hex string`,
    );
  return BigInt('0x' + x);
}
