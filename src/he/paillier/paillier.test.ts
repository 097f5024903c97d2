import { PrivateKey as PbPrivateKey, PublicKey as PbPublicKey } from 'paillier-bigint';
import { describe, expect, it } from 'vitest';
import { webCryptoProvider as crypto } from '../../random/provider.js';
import { gcd, modInverse, modPow, randomBelow } from './bigint.js';
import { PaillierError } from './errors.js';
import { FixedBaseTable } from './fixed-base.js';
import {
  Ciphertext,
  generateKeyPair,
  keyPairFromPrimes,
  PublicKey,
  SecretKey,
  type KeyPair,
} from './paillier.js';
import { isProbablePrime, isSafePrime, randomPrime, randomSafePrime } from './primes.js';

/** x^e mod m by plain binary square-and-multiply: the reference for modPow and the KAT. */
function naivePow(x: bigint, e: bigint, m: bigint): bigint {
  let acc = 1n;
  let base = x % m;
  for (; e > 0n; e >>= 1n) {
    if (e & 1n) acc = (acc * base) % m;
    base = (base * base) % m;
  }
  return acc;
}

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof PaillierError) return e.code;
    throw e;
  }
  return undefined;
}

// Fixed primes for the known-answer test: the Mersenne prime 2^521 - 1 and 2^255 - 19.
const KAT_P = (1n << 521n) - 1n;
const KAT_Q = (1n << 255n) - 19n;

const small: KeyPair = generateKeyPair(crypto, { bits: 512 });
const other: KeyPair = generateKeyPair(crypto, { bits: 512 });

describe('bigint helpers and primes', () => {
  it('modPow and modInverse agree with the plain formulas', () => {
    const m = randomBelow(1n << 700n, crypto) | 1n;
    for (const bits of [0n, 1n, 7n, 100n, 300n, 1000n]) {
      const x = randomBelow(m, crypto);
      const e = randomBelow((1n << bits) + 1n, crypto);
      expect(modPow(x, e, m)).toBe(naivePow(x, e, m));
    }
    expect(modPow(5n, 0n, 7n)).toBe(1n);
    expect(modPow(0n, 5n, 7n)).toBe(0n);
    const p = (1n << 127n) - 1n;
    const a = randomBelow(p - 1n, crypto) + 1n;
    expect((modInverse(a, p) * a) % p).toBe(1n);
    expect(() => modInverse(6n, 9n)).toThrow(RangeError);
  });

  it('Miller-Rabin: known primes, Carmichael numbers and base-2 strong pseudoprimes', () => {
    for (const p of [2n, 3n, 65537n, (1n << 127n) - 1n, KAT_P, KAT_Q])
      expect(isProbablePrime(p, crypto)).toBe(true);
    for (const c of [0n, 1n, 4n, 561n, 41041n, 825265n, 2047n, 3215031751n, KAT_P * KAT_Q])
      expect(isProbablePrime(c, crypto)).toBe(false);
  });

  it('random primes and safe primes have the requested size and are prime', () => {
    const p = randomPrime(256, crypto);
    expect(p.toString(2)).toMatch(/^11[01]{254}$/);
    expect(isProbablePrime(p, crypto)).toBe(true);
    const { p: s, pPrime } = randomSafePrime(128, crypto);
    expect(s).toBe(2n * pPrime + 1n);
    expect(s.toString(2)).toHaveLength(128);
    expect(isProbablePrime(s, crypto) && isProbablePrime(pPrime, crypto)).toBe(true);
    expect(isSafePrime(s, crypto)).toBe(true);
    for (const x of [23n, 47n, 59n, 83n, 107n]) expect(isSafePrime(x, crypto)).toBe(true);
    // Primes that are not safe, composites p = 2p' + 1 with p' prime, and p' composite.
    for (const x of [
      13n,
      29n,
      31n,
      43n,
      KAT_Q,
      2n * 13n + 1n,
      2n * 561n + 1n,
      2n * pPrime * 3n + 1n,
    ])
      expect(isSafePrime(x, crypto)).toBe(false);
  });

  it('fixed-base tables agree with modPow, including past the table size', () => {
    const m = randomBelow(1n << 1024n, crypto) | 1n;
    const g = randomBelow(m, crypto);
    for (const w of [1, 4, 8]) {
      const t = new FixedBaseTable(g, m, 200, w);
      for (const e of [0n, 1n, (1n << 200n) - 1n, randomBelow(1n << 200n, crypto), 1n << 250n])
        expect(t.pow(e)).toBe(naivePow(g, e, m));
    }
  });
});

describe('Paillier', () => {
  it('known answer: fixed primes, h_s and exponents give the ciphertexts of the plain formulas', () => {
    const n = KAT_P * KAT_Q;
    const n2 = n * n;
    const x = 0x1234567890abcdefn;
    const h = (n - ((x * x) % n)) % n;
    const hs = naivePow(h, n, n2);
    const pk = new PublicKey(n, hs, 256);
    const sk = new SecretKey(KAT_P, KAT_Q, pk);
    const cases: [bigint, bigint][] = [
      [0n, 1n],
      [1n, 0xdeadbeefn],
      [n - 1n, (1n << 255n) + 12345n],
      [0x0123456789abcdefn << 300n, (1n << 256n) - 1n],
    ];
    for (const [m, a] of cases) {
      // (1 + n)^m h_s^a mod n^2, all by square-and-multiply.
      const expected = (naivePow(1n + n, m, n2) * naivePow(hs, a, n2)) % n2;
      const c = pk.encryptWithExponent(m, a);
      expect(c.value).toBe(expected);
      // The same ciphertext is a textbook one with r = h^a mod n: g^m r^n.
      expect(pk.encryptWithR(m, naivePow(h, a, n)).value).toBe(expected);
      expect(sk.decrypt(c)).toBe(m);
    }
    // Textbook decryption with lambda and mu (Paillier 1999, section 3) on a DJN ciphertext.
    const lambda = ((KAT_P - 1n) * (KAT_Q - 1n)) / gcd(KAT_P - 1n, KAT_Q - 1n);
    const mu = modInverse((naivePow(1n + n, lambda, n2) - 1n) / n, n);
    const m = 987654321987654321n;
    const c = pk.encrypt(m, crypto);
    expect((((naivePow(c.value, lambda, n2) - 1n) / n) * mu) % n).toBe(m);
  });

  it('interoperates with paillier-bigint in both directions', () => {
    const { publicKey: pk, secretKey: sk } = small;
    const ours = sk.exportSecret();
    const p = BigInt('0x' + ours.p);
    const q = BigInt('0x' + ours.q);
    const pbPub = new PbPublicKey(pk.n, pk.n + 1n);
    const lambda = (p - 1n) * (q - 1n);
    const pbPriv = new PbPrivateKey(lambda, modInverse(lambda, pk.n), pbPub, p, q);
    for (const m of [0n, 1n, pk.n - 1n, randomBelow(pk.n, crypto)]) {
      expect(pbPriv.decrypt(pk.encrypt(m, crypto).value)).toBe(m);
      expect(sk.decrypt(new Ciphertext(pbPub.encrypt(m), pk.keyId))).toBe(m);
    }
  });

  it('round trips random and edge messages', () => {
    const { publicKey: pk, secretKey: sk } = small;
    const ms = [0n, 1n, 2n, pk.n - 1n, pk.n - 2n, pk.n / 2n];
    for (let i = 0; i < 20; i++) ms.push(randomBelow(pk.n, crypto));
    for (const m of ms) expect(sk.decrypt(pk.encrypt(m, crypto))).toBe(m);
    expect(() => pk.encrypt(pk.n, crypto)).toThrow(RangeError);
    expect(() => pk.encrypt(-1n, crypto)).toThrow(RangeError);
  });

  it('adds ciphertexts mod n, including sums that wrap and many terms', () => {
    const { publicKey: pk, secretKey: sk } = small;
    const e = (m: bigint) => pk.encrypt(m, crypto);
    expect(sk.decrypt(pk.add(e(pk.n - 1n), e(2n)))).toBe(1n);
    expect(sk.decrypt(pk.add(e(pk.n - 1n), e(1n)))).toBe(0n);
    expect(sk.decrypt(pk.sum([]))).toBe(0n);
    expect(sk.decrypt(pk.sum([e(5n)]))).toBe(5n);
    const ms = Array.from({ length: 200 }, () => randomBelow(pk.n, crypto));
    const expected = ms.reduce((a, b) => a + b, 0n) % pk.n;
    expect(sk.decrypt(pk.sum(ms.map(e)))).toBe(expected);
    // Small counts add as integers, as a tally would.
    const votes = Array.from({ length: 100 }, (_, i) => BigInt(i % 3));
    expect(sk.decrypt(pk.sum(votes.map(e)))).toBe(99n);
  });

  it('multiplies by public scalars and adds public constants', () => {
    const { publicKey: pk, secretKey: sk } = small;
    const n = pk.n;
    for (const m of [0n, 1n, n - 1n, randomBelow(n, crypto)]) {
      const c = pk.encrypt(m, crypto);
      for (const k of [
        0n,
        1n,
        -1n,
        2n,
        n - 1n,
        n + 3n,
        randomBelow(n, crypto),
        -randomBelow(n, crypto),
      ]) {
        const expected = (((m * k) % n) + n) % n;
        expect(sk.decrypt(pk.mulScalar(c, k))).toBe(expected);
        expect(sk.decrypt(pk.addPlain(c, k))).toBe((((m + k) % n) + n) % n);
      }
    }
  });

  it('encrypts the same with and without the fixed-base table (built at the 32nd encryption)', () => {
    const fresh = PublicKey.fromJSON(small.publicKey.toJSON());
    const a = randomBelow(1n << 160n, crypto);
    const m = randomBelow(fresh.n, crypto);
    const before = Array.from({ length: 40 }, () => fresh.encryptWithExponent(m, a).value);
    expect(new Set(before).size).toBe(1);
    expect(before[0]).toBe(((1n + m * fresh.n) * naivePow(fresh.hs, a, fresh.n2)) % fresh.n2);
  });

  it('re-randomises: a different ciphertext of the same plaintext', () => {
    const { publicKey: pk, secretKey: sk } = small;
    const c = pk.encrypt(42n, crypto);
    const d = pk.rerandomize(c, crypto);
    expect(d.value).not.toBe(c.value);
    expect(sk.decrypt(d)).toBe(42n);
  });

  it('serialises ciphertexts and rejects wrong lengths, wrong keys and values outside Z*_{n^2}', () => {
    const { publicKey: pk, secretKey: sk } = small;
    const c = pk.encrypt(7n, crypto);
    const bytes = pk.serialize(c);
    expect(bytes).toHaveLength(pk.ciphertextBytes);
    expect(sk.decrypt(pk.deserialize(bytes))).toBe(7n);
    expect(code(() => pk.deserialize(bytes.subarray(1)))).toBe('wrong-length');
    expect(code(() => pk.deserialize(new Uint8Array([...bytes, 0])))).toBe('wrong-length');
    // Another key's ciphertext: refused when parsed, added or decrypted.
    const foreign = other.publicKey.encrypt(7n, crypto);
    expect(code(() => pk.deserialize(other.publicKey.serialize(foreign)))).toBe('wrong-key');
    expect(code(() => pk.add(c, foreign))).toBe('wrong-key');
    expect(code(() => sk.decrypt(foreign))).toBe('wrong-key');
    // A tampered key id.
    const badId = bytes.slice();
    badId[0]! ^= 1;
    expect(code(() => pk.deserialize(badId))).toBe('wrong-key');
    // Values outside Z*_{n^2}: 0, n (shares a factor with n), n^2 - n, all-ones (>= n^2).
    const withValue = (v: bigint) => {
      const out = bytes.slice();
      const hex = v.toString(16).padStart(2 * (out.length - 16), '0');
      for (let i = 16; i < out.length; i++)
        out[i] = parseInt(hex.slice(2 * (i - 16), 2 * (i - 15)), 16);
      return out;
    };
    for (const v of [0n, pk.n, pk.n2 - pk.n, pk.n2, (1n << BigInt(8 * (bytes.length - 16))) - 1n])
      expect(code(() => pk.deserialize(withValue(v)))).toBe('not-in-group');
    expect(code(() => sk.decrypt(new Ciphertext(0n, pk.keyId)))).toBe('not-in-group');
    // Additions check only the range; a factor shared with n survives them and is refused at decryption.
    expect(code(() => pk.add(c, new Ciphertext(pk.n2, pk.keyId)))).toBe('not-in-group');
    expect(code(() => sk.decrypt(pk.add(c, new Ciphertext(pk.n, pk.keyId))))).toBe('not-in-group');
  });

  it('tampering inside Z*_{n^2} is not detectable (Paillier is malleable): the plaintext changes', () => {
    const { publicKey: pk, secretKey: sk } = small;
    const c = pk.encrypt(7n, crypto);
    const tampered = new Ciphertext((c.value * (1n + pk.n)) % pk.n2, pk.keyId);
    expect(sk.decrypt(tampered)).toBe(8n);
  });

  it('keys round trip through JSON; bad keys are refused with typed errors; secrets do not print', () => {
    const { publicKey: pk, secretKey: sk } = small;
    const json = JSON.parse(JSON.stringify(pk)) as unknown;
    const pk2 = PublicKey.fromJSON(json);
    expect(pk2.keyId).toBe(pk.keyId);
    const sk2 = SecretKey.importSecret(JSON.parse(JSON.stringify(sk.exportSecret())));
    expect(sk2.decrypt(pk.encrypt(99n, crypto))).toBe(99n);
    expect(JSON.stringify({ sk })).not.toContain(sk.exportSecret().p);
    expect(String(sk)).not.toContain(sk.exportSecret().q);
    const j = pk.toJSON();
    expect(code(() => PublicKey.fromJSON({ ...j, n: (pk.n + 1n).toString(16) }))).toBe(
      'not-in-group',
    );
    expect(code(() => PublicKey.fromJSON({ ...j, hs: '0' }))).toBe('not-in-group');
    expect(code(() => PublicKey.fromJSON({ ...j, hs: pk.n.toString(16) }))).toBe('not-in-group');
    expect(code(() => PublicKey.fromJSON({ ...j, n: 'xyz' }))).toBe('bad-encoding');
    expect(code(() => PublicKey.fromJSON({ ...j, exponentBits: 10 }))).toBe('bad-encoding');
    expect(code(() => PublicKey.fromJSON(null))).toBe('bad-encoding');
    expect(code(() => PublicKey.fromJSON({ ...j, n: 'ff' }))).toBe('not-in-group');
    const bad = sk.exportSecret();
    expect(code(() => SecretKey.importSecret({ ...bad, p: bad.q }))).toBe('bad-encoding');
    expect(() => generateKeyPair(crypto, { bits: 256 })).toThrow(RangeError);
  });

  it('a key from given primes decrypts; a 3072-bit key (the default) round trips', () => {
    const { secretKey } = keyPairFromPrimes(KAT_P, KAT_Q, crypto);
    expect(secretKey.decrypt(secretKey.publicKey.encrypt(5n, crypto))).toBe(5n);
    const { publicKey: pk, secretKey: sk } = generateKeyPair(crypto);
    expect(pk.bits).toBe(3072);
    expect(pk.exponentBits).toBe(256);
    const a = randomBelow(pk.n, crypto);
    const b = randomBelow(pk.n, crypto);
    expect(sk.decrypt(pk.add(pk.encrypt(a, crypto), pk.encrypt(b, crypto)))).toBe((a + b) % pk.n);
  }, 60_000);
});
