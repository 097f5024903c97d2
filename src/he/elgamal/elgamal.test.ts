import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { webCryptoProvider as crypto } from '../../random/provider.js';
import { DiscreteLog } from './dlog.js';
import {
  answerComplaints,
  encryptShare,
  jointKey,
  newGuardian,
  publicShare,
  receiveShares,
  resolveCeremony,
  secretShare,
  type CeremonyParams,
  type EncryptedShare,
} from './dkg.js';
import { add, decryptToPoint, encrypt, encryptWith, PublicKey, sum } from './elgamal.js';
import { G, mod, mulG, pointFromHex, pointToHex, Q, randomScalar, scalarToHex } from './group.js';
import {
  BatchVerifier,
  proveChaumPedersen,
  proveRange,
  proveSchnorr,
  rangeChallengesSum,
  verifyChaumPedersen,
  verifyRange,
  verifySchnorr,
} from './proofs.js';
import {
  combineShares,
  decryptionShare,
  lagrangeAtZero,
  verifyDecryptionShare,
} from './threshold.js';
import { msm } from './msm.js';

// RFC 9496, Appendix A.1: the encodings of 0·B .. 5·B.
const MULTIPLES = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  'e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76',
  '6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919',
  '94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259',
  'da80862773358b466ffadfe0b3293ab3d9fd53c5ea6c955358f568322daf6a57',
  'e882b131016b52c1d3337080187cf768423efccbb517bb495ab812c4160ff44e',
];

const small = new DiscreteLog(2 ** 20);

describe('ristretto255 exponential ElGamal: known answers', () => {
  it('multiples of G encode as RFC 9496 lists them, and decode back to their count', () => {
    MULTIPLES.forEach((hex, m) => {
      expect(pointToHex(mulG(BigInt(m)))).toBe(hex);
      expect(small.solve(pointFromHex(hex, 'vector'))).toBe(m);
    });
  });

  it('encrypting m with nonce r under K = 1·G is (r·G, (m + r)·G)', () => {
    const K = new PublicKey(G);
    for (const [m, r] of [
      [0, 1],
      [1, 1],
      [2, 3],
      [1, 4],
    ] as const) {
      const ct = encryptWith(K, m, BigInt(r));
      expect(pointToHex(ct.alpha)).toBe(MULTIPLES[r]);
      expect(pointToHex(ct.beta)).toBe(MULTIPLES[m + r]);
    }
  });

  it('refuses encodings that are not canonical elements', () => {
    // RFC 9496 A.2: a non-canonical field encoding (p itself).
    expect(() =>
      pointFromHex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'x'),
    ).toThrow(/not a valid ristretto255 element/);
    expect(() => pointFromHex('00', 'ballot 3 alpha')).toThrow(/ballot 3 alpha/);
    expect(() => scalarToHex(Q)).not.toThrow();
  });
});

describe('discrete log (baby-step giant-step)', () => {
  const d = new DiscreteLog(2 ** 32, 2 ** 16);
  it('decodes values across the range, edges included', () => {
    for (const t of [0, 1, 65535, 65536, 65537, 2 ** 20 + 7, 2 ** 31, 2 ** 32 - 1])
      expect(d.solve(mulG(BigInt(t)))).toBe(t);
    expect(() => d.solve(mulG(2n ** 32n))).toThrow(/no value below/);
  });

  it('decodes random values up to 2^32', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (t) => d.solve(mulG(BigInt(t))) === t),
      { numRuns: 5 },
    );
  });
});

describe('ElGamal against plaintext', () => {
  it('the sum of encryptions decrypts to the sum of the messages', () => {
    const s = randomScalar(crypto);
    const K = new PublicKey(mulG(s));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 12 }), (ms) => {
        const total = sum(ms.map((m) => encrypt(K, m, crypto).ct));
        return small.solve(decryptToPoint(total, s)) === ms.reduce((a, b) => a + b, 0);
      }),
      { numRuns: 15 },
    );
    const a = encrypt(K, 7, crypto).ct;
    const b = encrypt(K, 5, crypto).ct;
    expect(small.solve(decryptToPoint(add(a, b), s))).toBe(12);
  });
});

describe('proofs', () => {
  const s = randomScalar(crypto);
  const K = new PublicKey(mulG(s));
  const ctx = ['test', 1];

  it('Schnorr and Chaum-Pedersen verify, and fail on other statements or contexts', () => {
    const a = randomScalar(crypto);
    const pa = proveSchnorr(a, mulG(a), ctx, crypto);
    expect(verifySchnorr(mulG(a), pa, ctx)).toBe(true);
    expect(verifySchnorr(mulG(a + 1n), pa, ctx)).toBe(false);
    expect(verifySchnorr(mulG(a), pa, ['test', 2])).toBe(false);
    const A = mulG(randomScalar(crypto));
    const M = A.multiply(s);
    const cp = proveChaumPedersen(s, K.point, A, M, ctx, crypto);
    expect(verifyChaumPedersen(K.point, A, M, cp, ctx)).toBe(true);
    expect(verifyChaumPedersen(K.point, A, M.add(G), cp, ctx)).toBe(false);
    expect(
      verifyChaumPedersen(K.point, A, M, { ...cp, response: mod(cp.response + 1n) }, ctx),
    ).toBe(false);
  });

  it('a range proof verifies for every value in range, alone and in a batch', () => {
    for (const limit of [1, 3]) {
      const batch = new BatchVerifier(crypto);
      for (let v = 0; v <= limit; v++) {
        const { ct, nonce } = encrypt(K, v, crypto);
        const p = proveRange(ct, nonce, v, limit, K, ctx, crypto);
        expect(verifyRange(ct, p, limit, K, ctx)).toBe(true);
        expect(verifyRange(ct, p, limit, K, ['other'])).toBe(false);
        batch.addRange(ct, p, K);
      }
      expect(batch.check()).toBe(true);
    }
  });

  it('a ciphertext of a value out of range has no proof that verifies, alone or in a batch', () => {
    // A dishonest prover runs the honest algorithm with a false claim: value 2 claimed as 1.
    const { ct, nonce } = encrypt(K, 2, crypto);
    const forged = proveRange(ct, nonce, 1, 1, K, ctx, crypto);
    expect(rangeChallengesSum(ct, forged, K, ctx)).toBe(true);
    expect(verifyRange(ct, forged, 1, K, ctx)).toBe(false);
    const batch = new BatchVerifier(crypto);
    const ok = encrypt(K, 1, crypto);
    batch.addRange(ok.ct, proveRange(ok.ct, ok.nonce, 1, 1, K, ctx, crypto), K);
    batch.addRange(ct, forged, K);
    expect(batch.check()).toBe(false);
  });

  it("a contest's proof batched on its parts: true sums pass, a sum over its limit or a wrong part fails", () => {
    // Three selections of which `votes` are 1; the contest's proof claims a sum of at most 1.
    for (const votes of [0, 1, 2]) {
      const sels = [0, 1, 2].map((i) => encrypt(K, i < votes ? 1 : 0, crypto));
      const total = sum(sels.map((e) => e.ct));
      const nonce = sels.reduce((a, e) => mod(a + e.nonce), 0n);
      const proof = proveRange(total, nonce, Math.min(votes, 1), 1, K, ctx, crypto);
      const parts = sels.map((e) => e.ct);
      const batch = new BatchVerifier(crypto);
      sels.forEach((e, i) =>
        batch.addRange(e.ct, proveRange(e.ct, e.nonce, i < votes ? 1 : 0, 1, K, ctx, crypto), K),
      );
      batch.addRange(total, proof, K, parts);
      expect(batch.check()).toBe(votes <= 1);
      expect(verifyRange(total, proof, 1, K, ctx)).toBe(votes <= 1);
      // The same true proof with one part swapped for another ciphertext of the same value.
      if (votes === 1) {
        const swapped = [encrypt(K, 1, crypto).ct, ...parts.slice(1)];
        const b2 = new BatchVerifier(crypto);
        b2.addRange(total, proof, K, swapped);
        expect(b2.check()).toBe(false);
      }
    }
  });

  it('msm equals the sum of separate multiplications', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: Q - 1n }), { minLength: 1, maxLength: 40 }),
        (ks) => {
          const pts = ks.map((_, i) => mulG(BigInt(i * 7 + 3)));
          const expected = pts.reduce((acc, p, i) => acc.add(p.multiplyUnsafe(ks[i]!)), mulG(0n));
          return msm(pts, ks).equals(expected);
        },
      ),
      { numRuns: 10 },
    );
  });
});

/** A whole key ceremony with every guardian in this process; `cheat` sends a bad share. */
function ceremony(
  n: number,
  t: number,
  cheat?: { dealer: number; to: number; answersHonestly: boolean | 'wrong' },
) {
  const params: CeremonyParams = { n, t, context: ['test-election'] };
  const gs = Array.from({ length: n }, (_, i) => newGuardian(i + 1, params, crypto));
  const publics = gs.map((g) => g.public);
  const sent: EncryptedShare[] = [];
  for (const g of gs)
    for (const to of publics)
      if (to.index !== g.secret.index) {
        const e = encryptShare(g.secret, to, params, crypto);
        const bad = cheat && cheat.dealer === g.secret.index && cheat.to === to.index;
        sent.push(
          bad ? { ...e, ciphertext: e.ciphertext.map((b, i) => (i === 31 ? b ^ 1 : b)) } : e,
        );
      }
  const received = gs.map((g) => receiveShares(g.secret, publics, sent, params));
  const complaints = received.flatMap((r) => r.complaints);
  const answers = gs.flatMap((g) => {
    if (!cheat || g.secret.index !== cheat.dealer || cheat.answersHonestly === true)
      return answerComplaints(g.secret, complaints);
    if (cheat.answersHonestly === false) return [];
    // A dealer that answers with another value than the one its commitments fix.
    return answerComplaints(g.secret, complaints).map((a) => ({ ...a, share: mod(a.share + 1n) }));
  });
  const outcome = resolveCeremony(publics, complaints, answers, params);
  const K = jointKey(publics, outcome.qualified);
  const shares = gs.map((g, i) =>
    secretShare(g.secret.index, received[i]!.shares, answers, outcome.qualified),
  );
  return { params, gs, publics, complaints, outcome, K, shares };
}

describe('key ceremony and threshold decryption', () => {
  it('any t of n guardians decrypt a tally; fewer are refused', () => {
    const { publics, outcome, K, shares } = ceremony(5, 3);
    expect(outcome.qualified).toEqual([1, 2, 3, 4, 5]);
    // The joint secret is the interpolation of the shares; check K against it.
    const w = lagrangeAtZero([1, 2, 3]);
    expect(mulG([1, 2, 3].reduce((acc, l) => acc + w.get(l)! * shares[l - 1]!, 0n)).equals(K)).toBe(
      true,
    );
    const key = new PublicKey(K);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 6 }),
        fc.shuffledSubarray([1, 2, 3, 4, 5], { minLength: 3, maxLength: 5 }),
        (ms, avail) => {
          const ct = sum(ms.map((m) => encrypt(key, m, crypto).ct));
          const ds = avail.map((l) =>
            decryptionShare(
              l,
              shares[l - 1]!,
              publicShare(publics, outcome.qualified, l),
              ct,
              ['d'],
              crypto,
            ),
          );
          for (const d of ds)
            if (
              !verifyDecryptionShare(publicShare(publics, outcome.qualified, d.guardian), ct, d, [
                'd',
              ])
            )
              return false;
          return small.solve(combineShares(ct, ds, 3)) === ms.reduce((a, b) => a + b, 0);
        },
      ),
      { numRuns: 6 },
    );
    const ct = encrypt(key, 1, crypto).ct;
    const two = [1, 2].map((l) =>
      decryptionShare(
        l,
        shares[l - 1]!,
        publicShare(publics, outcome.qualified, l),
        ct,
        ['d'],
        crypto,
      ),
    );
    expect(() => combineShares(ct, two, 3)).toThrow(/2 guardians gave shares, 3 are needed/);
    // A share made with a wrong secret does not verify.
    const wrong = decryptionShare(
      1,
      shares[1]!,
      publicShare(publics, outcome.qualified, 1),
      ct,
      ['d'],
      crypto,
    );
    expect(
      verifyDecryptionShare(publicShare(publics, outcome.qualified, 1), ct, wrong, ['d']),
    ).toBe(false);
  });

  it('the edges: one guardian (t = n = 1) and all guardians needed (t = n = 3)', () => {
    for (const [n, t] of [
      [1, 1],
      [3, 3],
    ] as const) {
      const { publics, outcome, K, shares } = ceremony(n, t);
      const key = new PublicKey(K);
      const ct = sum([encrypt(key, 1000, crypto).ct, encrypt(key, 5, crypto).ct]);
      const all = outcome.qualified.map((l) =>
        decryptionShare(
          l,
          shares[l - 1]!,
          publicShare(publics, outcome.qualified, l),
          ct,
          [],
          crypto,
        ),
      );
      expect(small.solve(combineShares(ct, all, t))).toBe(1005);
      if (t > 1) expect(() => combineShares(ct, all.slice(1), t)).toThrow(/are needed/);
    }
  });

  it('a bad share draws a complaint; an honest answer keeps the dealer, none disqualifies it', () => {
    const honest = ceremony(4, 2, { dealer: 2, to: 3, answersHonestly: true });
    expect(honest.complaints).toEqual([{ by: 3, against: 2 }]);
    expect(honest.outcome.qualified).toEqual([1, 2, 3, 4]);
    const key = new PublicKey(honest.K);
    const ct = encrypt(key, 9, crypto).ct;
    const ds = [3, 4].map((l) =>
      decryptionShare(
        l,
        honest.shares[l - 1]!,
        publicShare(honest.publics, [1, 2, 3, 4], l),
        ct,
        [],
        crypto,
      ),
    );
    expect(small.solve(combineShares(ct, ds, 2))).toBe(9);

    const lying = ceremony(4, 2, { dealer: 2, to: 3, answersHonestly: 'wrong' });
    expect(lying.outcome.qualified).toEqual([1, 3, 4]);
    expect(lying.outcome.disqualified[0]!.reason).toMatch(
      /its revealed share for guardian 3 does not match its commitments/,
    );

    const silent = ceremony(4, 2, { dealer: 2, to: 3, answersHonestly: false });
    expect(silent.outcome.qualified).toEqual([1, 3, 4]);
    expect(silent.outcome.disqualified[0]!.reason).toMatch(
      /did not answer the complaint of guardian 3/,
    );
    const key2 = new PublicKey(silent.K);
    const ct2 = encrypt(key2, 4, crypto).ct;
    const ds2 = [2, 3].map((l) =>
      decryptionShare(
        l,
        silent.shares[l - 1]!,
        publicShare(silent.publics, [1, 3, 4], l),
        ct2,
        [],
        crypto,
      ),
    );
    expect(small.solve(combineShares(ct2, ds2, 2))).toBe(4);
  });
});
