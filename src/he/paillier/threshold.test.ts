import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { webCryptoProvider as crypto } from '../../random/provider.js';
import { randomBelow } from './bigint.js';
import { PaillierError } from './errors.js';
import { Ciphertext } from './paillier.js';
import { randomSafePrime } from './primes.js';
import {
  dealThresholdKey,
  KeyShare,
  shareFromJson,
  shareToJson,
  ThresholdPublicKey,
  type DecryptionShare,
} from './threshold.js';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof PaillierError) return e.code;
    throw e;
  }
  return undefined;
}

function subsets<T>(xs: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (xs.length < k) return [];
  const [head, ...rest] = xs;
  return [...subsets(rest, k - 1).map((s) => [head!, ...s]), ...subsets(rest, k)];
}

// 512-bit moduli from 256-bit safe primes: quick to generate, same algebra as 3072.
const { key, shares } = dealThresholdKey(crypto, { bits: 512, parties: 5, threshold: 3 });
const pk = key.publicKey;

describe('threshold Paillier (Damgard-Jurik 2001, s = 1)', () => {
  it('every 3-subset of 5 holders decrypts random and edge plaintexts; every 2-subset is refused', () => {
    for (const m of [0n, 1n, pk.n - 1n, randomBelow(pk.n, crypto)]) {
      const c = pk.encrypt(m, crypto);
      const ds = shares.map((s) => s.decryptShare(c, crypto));
      for (const subset of subsets(ds, 3)) expect(key.combine(c, subset)).toBe(m);
      for (const subset of subsets(ds, 2))
        expect(code(() => key.combine(c, subset))).toBe('not-enough-shares');
      // More than the threshold: the first three distinct shares are used.
      expect(key.combine(c, ds)).toBe(m);
    }
  });

  it('decrypts a homomorphic sum that wraps mod n', () => {
    const ms = [pk.n - 1n, pk.n - 2n, 5n, randomBelow(pk.n, crypto)];
    const c = pk.sum(ms.map((m) => pk.encrypt(m, crypto)));
    const ds = shares.slice(2).map((s) => s.decryptShare(c, crypto));
    expect(key.combine(c, ds)).toBe(ms.reduce((a, b) => a + b, 0n) % pk.n);
  });

  it('1-of-1, 1-of-3 and 3-of-3 keys work', () => {
    for (const [parties, threshold] of [
      [1, 1],
      [3, 1],
      [3, 3],
    ] as const) {
      const dealt = dealThresholdKey(crypto, { bits: 512, parties, threshold });
      const m = randomBelow(dealt.key.publicKey.n, crypto);
      const c = dealt.key.publicKey.encrypt(m, crypto);
      for (const subset of subsets(dealt.shares, threshold))
        expect(
          dealt.key.combine(
            c,
            subset.map((s) => s.decryptShare(c, crypto)),
          ),
        ).toBe(m);
    }
  });

  it('a bad share is caught by its proof and named; without the check it corrupts the result (positive control)', () => {
    const m = 123456789n;
    const c = pk.encrypt(m, crypto);
    const ds = shares.slice(0, 3).map((s) => s.decryptShare(c, crypto));
    const forged: DecryptionShare = { ...ds[1]!, value: (ds[1]!.value * (1n + pk.n)) % pk.n2 };
    const withBad = [ds[0]!, forged, ds[2]!];
    expect(() => key.combine(c, withBad)).toThrow(/party 2/);
    expect(code(() => key.combine(c, withBad))).toBe('bad-proof');
    const wrong = key.combine(c, withBad, { verify: false });
    expect(wrong).not.toBe(m);
    // The honest shares alone still decrypt.
    expect(key.combine(c, ds)).toBe(m);
  });

  it('rejects tampered proofs, replayed shares, shares of an unknown party and shares of another key', () => {
    const c = pk.encrypt(42n, crypto);
    const d = shares[0]!.decryptShare(c, crypto);
    const check = (s: DecryptionShare) => code(() => key.verifyShare(c, s));
    expect(check(d)).toBeUndefined();
    expect(check({ ...d, proof: { ...d.proof, e: d.proof.e ^ 1n } })).toBe('bad-proof');
    expect(check({ ...d, proof: { ...d.proof, z: d.proof.z + 1n } })).toBe('bad-proof');
    expect(check({ ...d, proof: { ...d.proof, z: -d.proof.z } })).toBe('bad-proof');
    // Party 1's share claimed by party 2.
    expect(check({ ...d, index: 2 })).toBe('bad-proof');
    // A share of another ciphertext replayed.
    const other = shares[0]!.decryptShare(pk.encrypt(42n, crypto), crypto);
    expect(check(other)).toBe('bad-proof');
    expect(check({ ...d, value: 0n })).toBe('bad-proof');
    expect(check({ ...d, index: 9 })).toBe('bad-encoding');
    // The same holder's share twice does not count twice.
    expect(code(() => key.combine(c, [d, d, shares[1]!.decryptShare(c, crypto)]))).toBe(
      'not-enough-shares',
    );
    const foreign = dealThresholdKey(crypto, { bits: 512, parties: 5, threshold: 3 });
    const fc = foreign.key.publicKey.encrypt(42n, crypto);
    expect(check(foreign.shares[0]!.decryptShare(fc, crypto))).toBe('wrong-key');
    expect(code(() => shares[0]!.decryptShare(fc, crypto))).toBe('wrong-key');
    expect(code(() => key.verifyShare(new Ciphertext(pk.n, pk.keyId), d))).toBe('not-in-group');
  });

  it('keys, key shares and decryption shares round trip through JSON with validation', () => {
    const c = pk.encrypt(77n, crypto);
    const key2 = ThresholdPublicKey.fromJSON(JSON.parse(JSON.stringify(key)));
    const held = shares.map((s) =>
      KeyShare.importSecret(JSON.parse(JSON.stringify(s.exportSecret()))),
    );
    const ds = held
      .slice(1, 4)
      .map((s) =>
        shareFromJson(JSON.parse(JSON.stringify(shareToJson(s.decryptShare(c, crypto))))),
      );
    expect(key2.combine(c, ds)).toBe(77n);
    expect(JSON.stringify({ s: shares[0] })).not.toContain(shares[0]!.exportSecret().s);
    // A key share that does not match its verification key.
    const x = shares[0]!.exportSecret();
    expect(code(() => KeyShare.importSecret({ ...x, index: 2 }))).toBe('bad-encoding');
    const j = key.toJSON();
    expect(code(() => ThresholdPublicKey.fromJSON({ ...j, v: '0' }))).toBe('not-in-group');
    expect(code(() => ThresholdPublicKey.fromJSON({ ...j, threshold: 6 }))).toBe('bad-encoding');
    expect(
      code(() =>
        ThresholdPublicKey.fromJSON({ ...j, verificationKeys: j.verificationKeys.slice(1) }),
      ),
    ).toBe('bad-encoding');
    expect(code(() => shareFromJson({ ...shareToJson(ds[0]!), z: '-1' }))).toBe('bad-encoding');
  });

  it('the dealer refuses primes that are not safe primes and bad counts', () => {
    const { p } = randomSafePrime(256, crypto);
    const notSafe = (1n << 255n) - 19n; // prime, but (p - 1) / 2 is not
    expect(
      code(() =>
        dealThresholdKey(crypto, { parties: 3, threshold: 2, safePrimes: { p, q: notSafe } }),
      ),
    ).toBe('bad-encoding');
    expect(
      code(() => dealThresholdKey(crypto, { parties: 3, threshold: 2, safePrimes: { p, q: p } })),
    ).toBe('bad-encoding');
    expect(code(() => dealThresholdKey(crypto, { bits: 512, parties: 3, threshold: 4 }))).toBe(
      'bad-encoding',
    );
    expect(code(() => dealThresholdKey(crypto, { bits: 512, parties: 0, threshold: 0 }))).toBe(
      'bad-encoding',
    );
  });

  it('a 3072-bit key dealt from the pre-generated safe primes decrypts with 2 of 3 shares', () => {
    const fixture = JSON.parse(
      readFileSync(
        new URL('../../../test/fixtures/paillier-safe-primes-3072.json', import.meta.url),
        'utf8',
      ),
    ) as { p: string; q: string };
    const dealt = dealThresholdKey(crypto, {
      parties: 3,
      threshold: 2,
      safePrimes: { p: BigInt('0x' + fixture.p), q: BigInt('0x' + fixture.q) },
    });
    const big = dealt.key.publicKey;
    expect(big.bits).toBe(3072);
    const m = randomBelow(big.n, crypto);
    const c = big.encrypt(m, crypto);
    expect(
      dealt.key.combine(
        c,
        [dealt.shares[0]!, dealt.shares[2]!].map((s) => s.decryptShare(c, crypto)),
      ),
    ).toBe(m);
  }, 60_000);
});
