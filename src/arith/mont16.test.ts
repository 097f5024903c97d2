import { describe, expect, it } from 'vitest';
import { FIELD128, FIELD64, MontField } from './mont16.js';

const randBelow = (p: bigint): bigint => {
  const b = crypto.getRandomValues(new Uint8Array(24));
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  return x % p;
};

// Field64 and Field128 take the unrolled products; the same Field64 prime on five limbs and
// the prime 2^16 + 1 take the generic one.
const fields = [
  ['Field64', FIELD64.modulus, FIELD64.encodedSize],
  ['Field128', FIELD128.modulus, FIELD128.encodedSize],
  ['Field64 prime on five limbs (generic product)', FIELD64.modulus, 10],
  ['p = 2^16 + 1 (generic product)', 65537n, 4],
] as const;

describe('MontField: Montgomery arithmetic on 16-bit limbs against BigInt', () => {
  for (const [name, p, size] of fields) {
    it(`${name}: mul, add, sub, inv, pow on random elements and edges`, () => {
      const f = new MontField(p, size);
      const edges = [0n, 1n, 2n, p - 1n, p - 2n, (p - 1n) / 2n];
      const xs = [...edges, ...Array.from({ length: 200 }, () => randBelow(p))];
      const ys = [...edges.slice().reverse(), ...Array.from({ length: 200 }, () => randBelow(p))];
      const o = f.vec(1);
      for (let i = 0; i < xs.length; i++) {
        for (const y of [ys[i]!, ...edges]) {
          const x = xs[i]!;
          const a = f.fromBigInt(x);
          const b = f.fromBigInt(y);
          f.mul(o, 0, a, 0, b, 0);
          expect(f.toBigInt(o)).toBe((x * y) % p);
          f.add(o, 0, a, 0, b, 0);
          expect(f.toBigInt(o)).toBe((x + y) % p);
          f.sub(o, 0, a, 0, b, 0);
          expect(f.toBigInt(o)).toBe((x - y + p) % p);
        }
      }
      for (const x of xs.slice(1, 40)) {
        if (x === 0n) continue;
        f.inv(o, 0, f.fromBigInt(x), 0);
        expect((f.toBigInt(o) * x) % p).toBe(1n);
      }
      f.pow(o, 0, f.fromBigInt(3n), 0, 5n);
      expect(f.toBigInt(o)).toBe(243n % p);
      expect(() => f.inv(o, 0, f.vec(1), 0)).toThrow(/zero has no inverse/);
      // Aliasing: o is also an input.
      const a = f.fromBigInt(xs[7]!);
      f.mul(a, 0, a, 0, a, 0);
      expect(f.toBigInt(a)).toBe((xs[7]! * xs[7]!) % p);
    });

    it(`${name}: little-endian encoding round trip; p itself and above are refused`, () => {
      const f = new MontField(p, size);
      const xs = [0n, 1n, p - 1n, randBelow(p)];
      const v = f.vec(xs.length);
      xs.forEach((x, i) => f.copy(v, i, f.fromBigInt(x), 0));
      const bytes = f.encodeVec(v);
      expect(bytes.length).toBe(xs.length * size);
      for (let i = 0; i < xs.length; i++) {
        let x = 0n;
        for (let j = size - 1; j >= 0; j--) x = (x << 8n) | BigInt(bytes[i * size + j]!);
        expect(x).toBe(xs[i]);
      }
      const back = f.vec(xs.length);
      expect(f.decodeVec(bytes, xs.length, back)).toBe(-1);
      expect(Array.from(back)).toEqual(Array.from(v));
      const bad = new Uint8Array(size);
      for (let j = 0; j < size; j++) bad[j] = Number((p >> BigInt(8 * j)) & 0xffn);
      expect(f.decodeVec(bad, 1, f.vec(1))).toBe(0); // p is not below p
      expect(f.decodeVec(new Uint8Array(size).fill(0xff), 1, f.vec(1))).toBe(0);
    });
  }

  it('refuses a modulus that is not 1 mod 2^16 or does not fit', () => {
    expect(() => new MontField(2n ** 61n - 1n, 8)).toThrow(/1 mod 2\^16/);
    expect(() => new MontField(2n ** 70n + 1n, 8)).toThrow(/does not fit/);
  });
});
