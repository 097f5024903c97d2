import { expand_message_xmd } from '@noble/curves/abstract/hash-to-curve.js';
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { randomFillSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { POINT_BYTES, Ristretto, Scalar } from './ristretto.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const Point = ristretto255.Point;
const ORDER = Point.Fn.ORDER;
/** A scalar's little-endian bytes as a bigint. */
const le = (b: Uint8Array) => BigInt('0x' + (hex(Uint8Array.from(b).reverse()) || '0'));
const scalarOf = (k: bigint) => {
  const b = new Uint8Array(32);
  for (let i = 0; i < 32; i++) b[i] = Number((k >> BigInt(8 * i)) & 0xffn);
  return new Scalar(b);
};

let g: Ristretto;
beforeAll(async () => {
  g = await Ristretto.load();
});

describe('ristretto255 on libsodium: known answers', () => {
  it('RFC 9496 A.1: k B for k = 1..15 matches the small multiples; the identity is refused', () => {
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
      '46376b80f409b29dc2b5f6f0c52591990896e5716f41477cd30085ab7f10301e',
      'e0c418f7c8d9c4cdd7395b93ea124f3ad99021bb681dfc3302a9d99a2e53e64e',
    ];
    const base = unhex(multiples[1]!);
    for (let k = 1; k < multiples.length; k++) {
      const out = new Uint8Array(32);
      expect(g.multiplyAll(scalarOf(BigInt(k)), base, out)).toBeUndefined();
      expect(hex(out)).toBe(multiples[k]);
    }
    // Multiples[0] is the identity's encoding: valid, but refused as input.
    expect(g.multiplyAll(scalarOf(5n), unhex(multiples[0]!), new Uint8Array(32))).toEqual({
      index: 0,
      fault: 'the identity',
    });
  });

  it('RFC 9496 A.3: the one-way map from 64-byte uniform strings', () => {
    const cases = [
      [
        '5d1be09e3d0c82fc538112490e35701979d99e06ca3e2b5b54bffe8b4dc772c14d98b696a1bbfb5ca32c436cc61c16563790306c79eaca7705668b47dffe5bb6',
        '3066f82a1a747d45120d1740f14358531a8f04bbffe6a819f86dfe50f44a0a46',
      ],
      [
        'f116b34b8f17ceb56e8732a60d913dd10cce47a6d53bee9204be8b44f6678b270102a56902e2488c46120e9276cfe54638286b9e4b3cdb470b542d46c2068d38',
        'f26e5b6f7d362d2d2a94c5d0e7602cb4773c95a2e5c31a64f133189fa76ed61b',
      ],
    ] as const;
    const got = g.fromUniform(unhex(cases.map((c) => c[0]).join('')));
    expect(hex(got)).toBe(cases.map((c) => c[1]).join(''));
    // The label of the RFC's first case, hashed with SHA-512, is its input.
    const label = new TextEncoder().encode(
      'Ristretto is traditionally a short shot of espresso coffee',
    );
    expect(hex(sha512(label))).toBe(cases[0][0]);
  });

  it('RFC 9380 hash_to_ristretto255 through RFC 9497 A.1.1 (BlindedElement = blind * HashToGroup(input))', () => {
    const dst = 'HashToGroup-OPRFV1-\x00-ristretto255-SHA512';
    // The RFC gives the blind as a little-endian scalar: its bytes as they are.
    const blind = new Scalar(
      unhex('64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706'),
    );
    const cases = [
      ['00', '609a0ae68c15a3cf6903766461307e5c8bb2f95e7e6550e1ffa2dc99e412803c'],
      [
        '5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a',
        'da27ef466870f5f15296299850aa088629945a17d1f5b7f5ff043f76b3c06418',
      ],
    ] as const;
    for (const [input, blinded] of cases) {
      const msg = unhex(input);
      const out = new Uint8Array(32);
      expect(g.multiplyAll(blind, g.hashToGroup(msg, msg.length, dst), out)).toBeUndefined();
      expect(hex(out)).toBe(blinded);
    }
  });
});

describe('ristretto255 on libsodium against @noble/curves', () => {
  it('expand_message_xmd, hash_to_ristretto255 and k P on random inputs, 300 elements', () => {
    const n = 300;
    const msgs = new Uint8Array(16 * n);
    randomFillSync(msgs);
    const dst = 'entente/test/dst';
    const uniform = new Uint8Array(64 * n);
    g.expandXmd(msgs, 16, dst, uniform);
    const pts = g.hashToGroup(msgs, 16, dst);
    const k = g.randomScalar(randomFillSync);
    const kv = le(Scalar.bytesOf(k));
    expect(kv > 0n && kv < ORDER).toBe(true);
    const out = new Uint8Array(32 * n);
    expect(g.multiplyAll(k, pts, out)).toBeUndefined();
    const short = new Uint8Array(16 * n);
    const place = Uint32Array.from({ length: n }, (_, i) => (7 * i + 3) % n); // 7 is prime to 300
    expect(g.multiplyAll(k, pts, short, 16, place)).toBeUndefined();
    for (let i = 0; i < n; i++) {
      const m = msgs.subarray(16 * i, 16 * i + 16);
      expect(hex(uniform.subarray(64 * i, 64 * i + 64))).toBe(
        hex(expand_message_xmd(m, dst, 64, sha512)),
      );
      const h = ristretto255_hasher.hashToCurve(m, { DST: dst });
      expect(hex(pts.subarray(32 * i, 32 * i + 32))).toBe(hex(h.toBytes()));
      const kh = h.multiply(kv).toBytes();
      expect(hex(out.subarray(32 * i, 32 * i + 32))).toBe(hex(kh));
      expect(hex(short.subarray(16 * place[i]!, 16 * place[i]! + 16))).toBe(
        hex(kh.subarray(0, 16)),
      );
    }
  });

  it('edges: scalars 1 and L - 1, messages of one byte and of 200 bytes, an empty batch', () => {
    const p = Point.BASE.multiply(123456789n);
    const out = new Uint8Array(64);
    expect(g.multiplyAll(scalarOf(1n), p.toBytes(), out.subarray(0, 32))).toBeUndefined();
    expect(g.multiplyAll(scalarOf(ORDER - 1n), p.toBytes(), out.subarray(32))).toBeUndefined();
    expect(hex(out.subarray(0, 32))).toBe(hex(p.toBytes()));
    expect(hex(out.subarray(32))).toBe(hex(p.negate().toBytes()));
    for (const w of [1, 200]) {
      const m = new Uint8Array(2 * w);
      randomFillSync(m);
      const h = g.hashToGroup(m, w, 'edge');
      for (let i = 0; i < 2; i++)
        expect(hex(h.subarray(32 * i, 32 * i + 32))).toBe(
          hex(
            ristretto255_hasher
              .hashToCurve(m.subarray(w * i, w * i + w), { DST: 'edge' })
              .toBytes(),
          ),
        );
    }
    expect(g.hashToGroup(new Uint8Array(0), 16, 'edge').length).toBe(0);
    expect(g.multiplyAll(scalarOf(3n), new Uint8Array(0), new Uint8Array(0))).toBeUndefined();
  });

  it('more than one pass through WebAssembly memory (5,000 elements) agrees with noble at the ends', () => {
    const n = 5000;
    const msgs = new Uint8Array(16 * n);
    randomFillSync(msgs);
    const pts = g.hashToGroup(msgs, 16, 'batch');
    const k = g.randomScalar(randomFillSync);
    const out = new Uint8Array(32 * n);
    expect(g.multiplyAll(k, pts, out)).toBeUndefined();
    for (const i of [0, 4095, 4096, n - 1]) {
      const h = ristretto255_hasher.hashToCurve(msgs.subarray(16 * i, 16 * i + 16), {
        DST: 'batch',
      });
      expect(hex(out.subarray(32 * i, 32 * i + 32))).toBe(
        hex(h.multiply(le(Scalar.bytesOf(k))).toBytes()),
      );
    }
  });
});

describe('ristretto255 on libsodium: refusals', () => {
  it('names the first element that is not a canonical encoding or is the identity', () => {
    const good = Point.BASE.multiply(99n).toBytes();
    const batch = new Uint8Array(4 * POINT_BYTES);
    for (let i = 0; i < 4; i++) batch.set(good, 32 * i);
    batch.fill(0xff, 64, 96); // not a field element
    expect(g.multiplyAll(scalarOf(2n), batch, new Uint8Array(batch.length))).toEqual({
      index: 2,
      fault: 'not a ristretto255 encoding',
    });
    // An odd s (a negative field element) is never a canonical encoding.
    const odd = good.slice();
    odd[0] = odd[0]! | 1;
    expect(g.multiplyAll(scalarOf(2n), odd, new Uint8Array(32))?.fault).toBe(
      'not a ristretto255 encoding',
    );
    batch.fill(0, 32, 64);
    expect(g.multiplyAll(scalarOf(2n), batch, new Uint8Array(batch.length))).toEqual({
      index: 1,
      fault: 'the identity',
    });
  });

  it('randomScalar draws again when 64 bytes reduce to 0, and is never printed', () => {
    let calls = 0;
    const k = g.randomScalar((o) => {
      calls++;
      if (calls === 1) o.fill(0);
      else randomFillSync(o);
    });
    expect(calls).toBe(2);
    expect(le(Scalar.bytesOf(k))).not.toBe(0n);
    expect(String(k)).toBe('[Scalar: secret]');
    expect(JSON.stringify({ k })).toBe('{"k":"[Scalar: secret]"}');
    k.wipe();
    expect(le(Scalar.bytesOf(k))).toBe(0n);
  });

  it('bad batch shapes are RangeErrors', () => {
    expect(() => g.hashToGroup(new Uint8Array(17), 16, 'x')).toThrow(RangeError);
    expect(() => g.fromUniform(new Uint8Array(63))).toThrow(RangeError);
    expect(() => g.multiplyAll(scalarOf(1n), new Uint8Array(31), new Uint8Array(32))).toThrow(
      RangeError,
    );
  });
});
