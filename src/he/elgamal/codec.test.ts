/**
 * The ristretto255 decoder and encoder with their WebAssembly exponentiation (./codec.ts,
 * ./field25519-wasm.ts) against @noble/curves: the kernel's products mod
 * 2^255 - 19 against BigInt on random and edge values, and the decoder's
 * verdict and element against noble's on valid encodings, edges (0, 1,
 * p - 1, p, 2^256 - 1), non-canonical and negative encodings of valid
 * elements, and random bytes (mostly invalid).
 */
import { ristretto255 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { webCryptoProvider as crypto } from '../../random/provider.js';
import { decodeRistretto, encodeRistretto } from './codec.js';
import { mulModP, P25519 as P, pow22523 } from './field25519-wasm.js';

const randomBytes = (n: number) => {
  const b = new Uint8Array(n);
  crypto.randomFill(b);
  return b;
};
const toBig = (b: Uint8Array) => b.reduceRight((x, v) => (x << 8n) | BigInt(v), 0n);
const le = (x: bigint) =>
  Uint8Array.from({ length: 32 }, (_, i) => Number((x >> BigInt(8 * i)) & 255n));
const randomField = () => toBig(randomBytes(40)) % P;

function modPow(b: bigint, e: bigint): bigint {
  let r = 1n;
  for (b %= P; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P;
  return r;
}

/** noble's verdict and element, or 'invalid'. */
function noble(b: Uint8Array) {
  try {
    return ristretto255.Point.fromBytes(b);
  } catch {
    return 'invalid';
  }
}
function ours(b: Uint8Array) {
  try {
    return decodeRistretto(b);
  } catch {
    return 'invalid';
  }
}
function expectSame(b: Uint8Array): boolean {
  const n = noble(b);
  const o = ours(b);
  if (n === 'invalid' || o === 'invalid') expect(o).toBe(n);
  else {
    expect(o.equals(n)).toBe(true);
    expect(o.toBytes()).toEqual(b);
  }
  return n !== 'invalid';
}

describe('field arithmetic mod 2^255 - 19 in WebAssembly', () => {
  const edges = [0n, 1n, 2n, 19n, (1n << 26n) - 1n, P - 2n, P - 1n];
  it('products equal BigInt on random and edge values', () => {
    for (const a of edges) for (const b of edges) expect(mulModP(a, b)).toBe((a * b) % P);
    for (let i = 0; i < 300; i++) {
      const a = randomField();
      const b = randomField();
      expect(mulModP(a, b)).toBe((a * b) % P);
    }
  });

  it('x^((p-5)/8) equals BigInt exponentiation', () => {
    for (const x of [...edges, ...Array.from({ length: 20 }, randomField)])
      expect(pow22523(x)).toBe(modPow(x, (P - 5n) / 8n));
  });
});

describe('decodeRistretto', () => {
  it('decodes valid encodings to the same element as noble', () => {
    expect(expectSame(new Uint8Array(32))).toBe(true); // the identity
    expect(expectSame(ristretto255.Point.BASE.toBytes())).toBe(true);
    for (let i = 0; i < 200; i++) {
      const k = toBig(randomBytes(32)) % ristretto255.Point.Fn.ORDER;
      expect(expectSame(ristretto255.Point.BASE.multiply(k + 1n).toBytes())).toBe(true);
    }
  });

  it('rejects what noble rejects: edges, non-canonical and negative encodings, random bytes', () => {
    for (const s of [1n, P - 1n, P, P + 1n, P + 2n, (1n << 255n) - 1n, (1n << 256n) - 1n])
      expectSame(le(s));
    let accepted = 0;
    for (let i = 0; i < 100; i++) {
      const valid = ristretto255.Point.BASE.multiply(BigInt(i + 2)).toBytes();
      const s = toBig(valid);
      // s + p (non-canonical: the same field element unreduced) and p - s (negative).
      expect(ours(le(s + P))).toBe('invalid');
      expect(ours(le(P - s))).toBe('invalid');
      const top = valid.slice();
      top[31]! |= 0x80;
      expect(ours(top)).toBe('invalid');
      // Random bytes, with the top bit and the sign bit cleared half the time (more valid ones).
      const r = randomBytes(32);
      if (i % 2) {
        r[31]! &= 0x7f;
        r[0]! &= 0xfe;
      }
      if (expectSame(r)) accepted++;
    }
    expect(accepted).toBeLessThan(100);
    expect(() => decodeRistretto(new Uint8Array(31))).toThrow();
  });
});

describe('encodeRistretto', () => {
  it("gives noble's encoding for the identity, the base, multiples and sums (Z not 1)", () => {
    const B = ristretto255.Point.BASE;
    const pts = [ristretto255.Point.ZERO, B, B.negate(), B.add(B), B.subtract(B)];
    let acc = B;
    for (let i = 0; i < 150; i++) {
      const k = toBig(randomBytes(32)) % ristretto255.Point.Fn.ORDER;
      const p = B.multiply(k + 1n);
      pts.push(p, p.negate());
      acc = acc.add(p).double();
      pts.push(acc);
    }
    for (const p of pts) expect(encodeRistretto(p)).toEqual(p.toBytes());
  });
});
