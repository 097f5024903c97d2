import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { localParties, runParties } from '../primitives/testing.js';
import { ProtocolAbort } from '../runtime/errors.js';
import type { Party } from '../runtime/party.js';
import { ECDH_DST, ecdhPsi, hashToGroup, type EcdhPsiOptions, type EcdhPsiResult } from './ecdh.js';
import { digestSet } from './items.js';
import { plain, sets } from '../../test/psi-sets.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

async function run(
  a: Uint8Array,
  b: Uint8Array,
  opts: Omit<EcdhPsiOptions, 'receiver' | 'sender'>,
  tamper?: (p: Party) => void,
): Promise<EcdhPsiResult[]> {
  const ps = localParties(2, nodeCryptoProvider, 120_000);
  for (const p of ps) tamper?.(p);
  return runParties(ps, (p) =>
    ecdhPsi(p, p.index === 0 ? a : b, {
      ...opts,
      receiver: 0,
      sender: 1,
      values: p.index === 1 ? opts.values : undefined,
    }),
  );
}

describe('hash to ristretto255: known answers', () => {
  it('RFC 9496 A.1: encodings of small multiples of the generator', () => {
    const multiples = [
      '0000000000000000000000000000000000000000000000000000000000000000',
      'e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76',
      '6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919',
      '94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259',
      'da80862773358b466ffadfe0b3293ab3d9fd53c5ea6c955358f568322daf6a57',
      'e882b131016b52c1d3337080187cf768423efccbb517bb495ab812c4160ff44e',
      'f64746d3c92b13050ed8d80236a7f0007c3b3f962f5ba793d19a601ebb1df403',
      '44f53520926ec81fbd5a387845beb7df85a96a24ece18738bdcfa6a7822a176d',
      '903293d8f2287ebe10e2374dc1a53e0bc887e592699f02d077d5263cdd55601c',
      '02622ace8f7303a31cafc63f8fc48fdc16e1c8c8d234b2f0d6685282a9076031',
      '20706fd788b2720a1ed2a5dad4952b01f413bcf0e7564de8cdc816689e2db95f',
      'bce83f8ba5dd2fa572864c24ba1810f9522bc6004afe95877ac73241cafdab42',
      'e4549ee16b9aa03099ca208c67adafcafa4c3f3e4e5303de6026e3ca8ff84460',
      'aa52e000df2e16f55fb1032fc33bc42742dad6bd5a8fc0be0167436c5948501f',
    ];
    let p = ristretto255.Point.ZERO;
    for (const want of multiples) {
      expect(hex(p.toBytes())).toBe(want);
      expect(ristretto255.Point.fromBytes(unhex(want)).equals(p)).toBe(true);
      p = p.add(ristretto255.Point.BASE);
    }
  });

  it('RFC 9496 A.3: the one-way map from a 64-byte uniform string', () => {
    const label = new TextEncoder().encode(
      'Ristretto is traditionally a short shot of espresso coffee',
    );
    const p = ristretto255_hasher.deriveToCurve!(sha512(label));
    expect(hex(p.toBytes())).toBe(
      '3066f82a1a747d45120d1740f14358531a8f04bbffe6a819f86dfe50f44a0a46',
    );
  });

  it('RFC 9380 hash_to_ristretto255 through RFC 9497 A.1.1 (BlindedElement = blind * HashToGroup(input))', () => {
    const dst = 'HashToGroup-OPRFV1-\x00-ristretto255-SHA512';
    // The blind is a little-endian scalar.
    const blind = BigInt(
      '0x' +
        hex(unhex('64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706').reverse()),
    );
    const cases = [
      ['00', '609a0ae68c15a3cf6903766461307e5c8bb2f95e7e6550e1ffa2dc99e412803c'],
      [
        '5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a',
        'da27ef466870f5f15296299850aa088629945a17d1f5b7f5ff043f76b3c06418',
      ],
    ] as const;
    for (const [input, blinded] of cases) {
      const h = ristretto255_hasher.hashToCurve(unhex(input), { DST: dst });
      expect(hex(h.multiply(blind).toBytes())).toBe(blinded);
    }
  });

  it('the PSI hash is hash_to_ristretto255 under its own DST', () => {
    const d = unhex('000102030405060708090a0b0c0d0e0f');
    expect(hashToGroup(d).equals(ristretto255_hasher.hashToCurve(d, { DST: ECDH_DST }))).toBe(true);
    expect(hashToGroup(d).equals(ristretto255_hasher.hashToCurve(d))).toBe(false);
  });
});

describe('ECDH PSI over ristretto255', () => {
  for (const [nA, nB, common] of [
    [0, 4, 0],
    [3, 0, 0],
    [1, 1, 1],
    [1, 1, 0],
    [40, 30, 0],
    [40, 40, 40],
    [200, 150, 77],
  ] as const) {
    it(`|A| = ${nA}, |B| = ${nB}, ${common} shared: intersection (both), cardinality, sum`, async () => {
      const { a, b } = sets(nA, nB, common);
      const [r, s] = await run(a, b, { mode: 'intersection', both: true });
      expect(Array.from(r!.intersection!)).toEqual(plain(a, b));
      expect(Array.from(s!.intersection!)).toEqual(plain(b, a));
      const [rc, sc] = await run(a, b, { mode: 'cardinality' });
      expect(rc!.cardinality).toBe(common);
      expect(sc!.cardinality).toBeUndefined();
      const values = BigInt64Array.from(
        { length: nB },
        (_, k) => BigInt((k * 7919) % 2001) - 1000n,
      );
      const [rs, ss] = await run(a, b, { mode: 'sum', values });
      const inB = new Set(plain(b, a));
      const want = [...inB].reduce((t, k) => t + values[k]!, 0n);
      expect(BigInt.asIntN(64, rs!.shares!.sum + ss!.shares!.sum)).toBe(want);
      expect(BigInt.asIntN(64, rs!.shares!.count + ss!.shares!.count)).toBe(BigInt(common));
      expect(ss!.cardinality).toBeUndefined();
    }, 120_000);
  }

  it('2^12 per side, half shared: the receiver-only intersection matches the plaintext one', async () => {
    const { a, b } = sets(4096, 4096, 2048);
    const [r, s] = await run(a, b, { mode: 'intersection' });
    expect(Array.from(r!.intersection!)).toEqual(plain(a, b));
    expect(s!.intersection).toBeUndefined();
  }, 300_000);

  it('strings with duplicates: digestSet keeps first occurrences, and the result maps back to rows', async () => {
    const A = digestSet(['ann', 'bob', 'ann', 'cy', 'dee', 'bob']);
    const B = digestSet(['cy', 'zed', 'ann', 'cy']);
    expect(Array.from(A.source)).toEqual([0, 1, 3, 4]);
    const [r] = await run(A.digests, B.digests, { mode: 'intersection' });
    expect(Array.from(r!.intersection!, (k) => A.source[k])).toEqual([0, 3]); // 'ann', 'cy'
  });

  it('bytes that are not a ristretto255 encoding abort naming the peer', async () => {
    const { a, b } = sets(5, 5, 2);
    const tamper = (p: Party) => {
      if (p.index !== 0) return;
      const ex = p.exchange.bind(p);
      p.exchange = (req) => {
        if (req.op === 'psi.ecdh.blinded' && req.send[1]) {
          const m = req.send[1].slice();
          m.fill(0xff, 32, 64);
          return ex({ ...req, send: [undefined, m] });
        }
        return ex(req);
      };
    };
    const bad = run(a, b, { mode: 'intersection' }, tamper);
    await expect(bad).rejects.toThrow(ProtocolAbort);
    await expect(bad).rejects.toThrow(
      /malformed \(peer p1\): psi.ecdh.blinded: element 1 is not a ristretto255 encoding/,
    );
  });

  it('a short message and disagreeing modes abort naming the peer', async () => {
    const { a, b } = sets(5, 5, 2);
    const cut = (p: Party) => {
      if (p.index !== 1) return;
      const ex = p.exchange.bind(p);
      p.exchange = (req) =>
        req.op === 'psi.ecdh.sender' && req.send[0]
          ? ex({ ...req, send: [req.send[0].subarray(0, 40), undefined] })
          : ex(req);
    };
    await expect(run(a, b, { mode: 'cardinality' }, cut)).rejects.toThrow(
      /malformed \(peer p2\): psi.ecdh.sender: expected 160 bytes, got 40/,
    );
    const ps = localParties(2, nodeCryptoProvider);
    const mixed = runParties(ps, (p) =>
      ecdhPsi(p, p.index === 0 ? a : b, {
        receiver: 0,
        sender: 1,
        mode: p.index === 0 ? 'cardinality' : 'intersection',
      }),
    );
    await expect(mixed).rejects.toThrow(/psi.ecdh.hello: the peer asked for mode/);
  });
});
