import { ristretto255 } from '@noble/curves/ed25519.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prg } from '../../random/prg.js';
import { webCryptoProvider, type CryptoProvider } from '../../random/provider.js';
import { Device, type Choices } from '../../vote/ballot.js';
import { budgetManifest } from '../../vote/budget.js';
import { BallotBox } from '../../vote/intake.js';
import { parseManifest } from '../../vote/manifest.js';
import { ballotJson } from '../../vote/record.js';
import { runCeremony } from '../../vote/simulate.js';
import { encryptWith, PublicKey } from './elgamal.js';
import { encodePoint, G, mod, mul, mulAddG, mulG, Q, randomScalar, type Point } from './group.js';
import { loadSodium } from './sodium-load.js';
import { setSodiumEnabled, sodiumActive } from './sodium.js';

const crypto = webCryptoProvider;
const noble = ristretto255.Point;
const hex = (p: Point) => Buffer.from(encodePoint(p)).toString('hex');
/** The reference: noble's own multiplication and encoding, without ./group.ts or ./codec.ts. */
const ref = (p: Point, s: bigint) => {
  const k = mod(s);
  return Buffer.from((k === 0n ? noble.ZERO : p.multiply(k)).toBytes()).toString('hex');
};

/** A deterministic provider (AES-CTR from a fixed seed): two runs draw the same randomness. */
function seeded(seed: number): CryptoProvider {
  const prg = new Prg(new Uint8Array(16).fill(seed), webCryptoProvider);
  return { ...webCryptoProvider, randomFill: (out) => prg.fill(out) };
}

/** Encrypts and casts one ballot at `device`. */
function cast(device: Device, choices: Choices) {
  return device.cast(device.encrypt('b-1', choices));
}

const EDGES = [0n, 1n, 2n, Q - 1n, Q - 2n, Q, Q + 1n, -1n, 2n ** 252n, 2n ** 253n - 1n];

beforeAll(async () => {
  await loadSodium();
});
afterAll(() => setSodiumEnabled(true));

describe('ristretto255 through libsodium', () => {
  it('is active once loaded, and can be switched off and on', () => {
    expect(sodiumActive()).toBe(true);
    setSodiumEnabled(false);
    expect(sodiumActive()).toBe(false);
    setSodiumEnabled(true);
    expect(sodiumActive()).toBe(true);
  });

  it('s·G equals noble on random and edge scalars (0, 1, q-1, q, -1, the widest)', () => {
    const scalars = [...EDGES, ...Array.from({ length: 40 }, () => randomScalar(crypto))];
    for (const s of scalars) expect(hex(mulG(s)), `s = ${s}`).toBe(ref(noble.BASE, s));
  });

  it('s·P equals noble on random points, the base and the identity, with edge scalars', () => {
    const points = [
      noble.BASE,
      noble.ZERO,
      ...Array.from({ length: 8 }, () => noble.BASE.multiply(1n + randomScalar(crypto))),
    ];
    for (const p of points)
      for (const s of [...EDGES, randomScalar(crypto), randomScalar(crypto)])
        expect(hex(mul(p, s)), `${p.toHex()} · ${s}`).toBe(ref(p, s));
  });

  it('s·P + t·G equals noble, the identity appearing in either term or as the sum', () => {
    const p = noble.BASE.multiply(randomScalar(crypto));
    const cases: [Point, bigint, bigint][] = [
      [p, 0n, 0n],
      [p, 0n, 1n],
      [p, 1n, 0n],
      [p, Q - 1n, Q - 1n],
      [noble.BASE, 5n, Q - 5n], // the sum is the identity
      [noble.ZERO, randomScalar(crypto), 7n],
      [G, 1n, 1n],
    ];
    for (let i = 0; i < 20; i++) cases.push([p, randomScalar(crypto), randomScalar(crypto)]);
    for (const [pt, s, t] of cases) {
      const sP = mod(s) === 0n ? noble.ZERO : pt.multiply(mod(s));
      const want = mod(t) === 0n ? sP : sP.add(noble.BASE.multiply(mod(t)));
      expect(hex(mulAddG(pt, s, t)), `${s}, ${t}`).toBe(
        Buffer.from(want.toBytes()).toString('hex'),
      );
    }
  });

  it('gives the same ciphertexts as the noble path, and they decrypt to the message', () => {
    const secret = randomScalar(crypto);
    const key = new PublicKey(mulG(secret));
    for (const m of [0, 1, 2, 100, -1]) {
      const r = randomScalar(crypto);
      const fast = encryptWith(key, m, r);
      setSodiumEnabled(false);
      const slow = encryptWith(key, m, r);
      setSodiumEnabled(true);
      expect(hex(fast.alpha)).toBe(hex(slow.alpha));
      expect(hex(fast.beta)).toBe(hex(slow.beta));
      expect(hex(fast.beta.subtract(mul(fast.alpha, secret)))).toBe(ref(noble.BASE, BigInt(m)));
    }
  });
});

describe('ballots through libsodium', () => {
  // A budget contest (cumulative: bit proofs and the exact total) beside a
  // plain contest with an option limit of 3 (range proofs of 4 branches).
  const manifests = [
    budgetManifest(),
    parseManifest({
      electionScope: 'sodium-test',
      name: 'sodium test',
      contests: [
        {
          id: 'council',
          selectionLimit: 4,
          optionLimit: 3,
          selections: [{ id: 'a' }, { id: 'b' }, { id: 'c' }],
        },
      ],
    }),
  ];

  manifests.forEach((manifest, i) => {
    it(`are byte for byte the ballots of the noble path, and the ballot box accepts them (${manifest.contests[0]!.id})`, () => {
      const { election } = runCeremony(manifest, 3, 2, crypto);
      // The budget: 40 and 60 of the 100 points on the first two projects.
      const contest = manifest.contests[0]!;
      const [a, b] = contest.selections;
      const c = {
        [contest.id]: i === 0 ? { [a!.id]: 40, [b!.id]: 60 } : { [a!.id]: 3, [b!.id]: 1 },
      };
      setSodiumEnabled(false);
      const slow = ballotJson(cast(new Device(election, 'd', seeded(7)), c));
      setSodiumEnabled(true);
      const fast = ballotJson(cast(new Device(election, 'd', seeded(7)), c));
      expect(JSON.stringify(fast)).toBe(JSON.stringify(slow));
      const box = new BallotBox(election);
      box.open('d');
      expect(box.accept(fast).id).toBe('b-1');
    });
  });
});
