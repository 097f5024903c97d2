import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nativeProvider, opensslProvider } from './crypto.js';
import { nativeAes } from './native.js';

const status = nativeAes();
const required = process.env.ENTENTE_REQUIRE_NATIVE === '1';

describe('native AES kernel availability', () => {
  it(`is built and loads${required ? '' : ' (or the reason it is not is stated)'}`, () => {
    if (required) expect(status).toMatchObject({ ok: true });
    else if (!status.ok) expect(status.reason).toMatch(/\S/);
  });
});

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

function ivOf(x: bigint): Uint8Array {
  const iv = new Uint8Array(16);
  for (let i = 15; i >= 0; i--) {
    iv[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return iv;
}

const paths: ('aesni' | 'vaes')[] = !status.ok
  ? []
  : status.binding.best() === 'vaes'
    ? ['aesni', 'vaes']
    : ['aesni'];

describe.skipIf(!status.ok).each(paths)('native AES, %s kernel', (path) => {
  const aes = status.ok ? status.binding : undefined!;
  const withPath = (f: () => void) => {
    const before = aes.path() as 'aesni' | 'vaes';
    aes.path(path);
    try {
      f();
    } finally {
      aes.path(before);
    }
  };
  const provider = status.ok ? nativeProvider(aes) : undefined!;

  it('matches the FIPS 197 appendix C.1 vector', () =>
    withPath(() => {
      const enc = provider.aesEcb!(hex('000102030405060708090a0b0c0d0e0f'));
      const out = new Uint8Array(16);
      enc(hex('00112233445566778899aabbccddeeff'), out);
      expect(Buffer.from(out).toString('hex')).toBe('69c4e0d86a7b0430d8cdb78070b4c55a');
    }));

  it('ECB agrees with node:crypto on random blocks of every tail length, in place and not', () =>
    withPath(() => {
      for (const blocks of [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 100, 16391]) {
        const key = new Uint8Array(randomBytes(16));
        const input = new Uint8Array(randomBytes(16 * blocks));
        const want = new Uint8Array(16 * blocks);
        opensslProvider.aesEcb!(key)(input, want);
        const got = new Uint8Array(16 * blocks);
        const enc = provider.aesEcb!(key);
        enc(input, got);
        expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
        const inPlace = input.slice();
        enc(inPlace, inPlace);
        expect(Buffer.from(inPlace).equals(Buffer.from(want))).toBe(true);
      }
    }));

  it('ECB reads and writes views of WebAssembly memory at unaligned offsets', () =>
    withPath(() => {
      const mem = new WebAssembly.Memory({ initial: 1 });
      const key = new Uint8Array(randomBytes(16));
      const src = new Uint8Array(mem.buffer, 4, 16 * 37);
      src.set(randomBytes(16 * 37));
      const dst = new Uint8Array(mem.buffer, 20_001, 16 * 37);
      provider.aesEcb!(key)(src, dst);
      const want = new Uint8Array(16 * 37);
      opensslProvider.aesEcb!(key)(src, want);
      expect(Buffer.from(dst).equals(Buffer.from(want))).toBe(true);
    }));

  it('refuses bad lengths and partly overlapping arrays with a RangeError', () =>
    withPath(() => {
      const enc = provider.aesEcb!(new Uint8Array(16));
      expect(() => enc(new Uint8Array(17), new Uint8Array(17))).toThrow(RangeError);
      expect(() => enc(new Uint8Array(32), new Uint8Array(16))).toThrow(RangeError);
      const buf = new Uint8Array(64);
      expect(() => aes.ecb(new Uint8Array(176), buf.subarray(0, 48), buf.subarray(16, 64))).toThrow(
        /overlap/,
      );
      expect(() => aes.ecb(new Uint8Array(175), buf, buf)).toThrow(RangeError);
      expect(() => provider.aesEcb!(new Uint8Array(15))).toThrow(RangeError);
    }));

  it('CTR agrees with node:crypto across counter carries and uneven call lengths', () =>
    withPath(() => {
      const starts = [
        0n,
        (1n << 32n) - 3n, // 32-bit boundary (OpenSSL's ctr32 carry)
        (1n << 64n) - 5n, // carry from the low into the high 64 bits
        (1n << 64n) - 40n, // a 32-block batch that crosses it
        (1n << 128n) - 3n, // wrap of the whole counter
        BigInt('0x' + Buffer.from(randomBytes(16)).toString('hex')),
      ];
      for (const start of starts) {
        const key = new Uint8Array(randomBytes(16));
        const lengths = [16, 0, 512, 7, 9, 33, 16 * 40, 1, 15, 16 * 1000 + 3];
        const total = lengths.reduce((a, b) => a + b, 0);
        const want = new Uint8Array(total);
        opensslProvider.aesCtr(key, ivOf(start))(want);
        const got = new Uint8Array(total);
        const next = provider.aesCtr(key, ivOf(start));
        let off = 0;
        for (const len of lengths) {
          next(got.subarray(off, off + len));
          off += len;
        }
        expect(Buffer.from(got).equals(Buffer.from(want)), `start ${start}`).toBe(true);
      }
    }));
});
