/**
 * TinyOT authenticated bits: linear operations and openings against the
 * plaintext XOR of every party's shares, on random bits and edges (empty,
 * length 1, all-zero and all-one public vectors); and malicious runs where a
 * corrupted party sends a wrong share, a wrong MAC hash or different shares
 * to different peers: every honest party must abort with Spdz2kAbort. The
 * positive control runs the same attack with the check switched off, and
 * the wrong bit goes through.
 */
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { localParties } from '../../primitives/testing.js';
import type { ExchangeRequest, Party } from '../../runtime/party.js';
import { Spdz2kAbort } from './mac.js';
import { AuthBits, packBits, TinyOt, unpackBits, type TinyOtOptions } from './tinyot.js';

/** The plaintext bits: the XOR of every party's shares. */
function plain(views: readonly AuthBits[]): Uint8Array {
  const out = new Uint8Array(views[0]!.length);
  for (const v of views) for (let i = 0; i < out.length; i++) out[i] = out[i]! ^ v.x[i]!;
  return out;
}

function randomBits(n: number): Uint8Array {
  const b = new Uint8Array(n);
  crypto.getRandomValues(b);
  for (let i = 0; i < n; i++) b[i] = b[i]! & 1;
  return b;
}

describe('tinyot bit packing', () => {
  it('packs and unpacks (lengths 0, 1, 7, 8, 9, 100)', () => {
    for (const n of [0, 1, 7, 8, 9, 100]) {
      const b = randomBits(n);
      expect(packBits(b).length).toBe(Math.ceil(n / 8));
      expect(unpackBits(packBits(b), n)).toEqual(b);
    }
  });
});

describe('tinyot authenticated bits', () => {
  for (const n of [2, 3]) {
    it(`n=${n}: random bits, inputs, xor, not, public xor/and and gather open to the plaintext`, async () => {
      const N = 300;
      // Party 1's chosen bits (with both values at the front).
      const inBits = randomBits(N);
      inBits[0] = 0;
      inBits[1] = 1;
      const parties = localParties(n, nodeCryptoProvider, 30_000);
      // The public vectors are the same at every party.
      const c = randomBits(N);
      c[0] = 1;
      c[1] = 0;
      const zeros = new Uint8Array(N);
      const ones = new Uint8Array(N).fill(1);
      const idx = Uint32Array.of(5, 0, 5, N - 1);
      const out = await Promise.all(
        parties.map(async (p) => {
          const t = new TinyOt(p);
          const a = await t.random(N);
          const b = await t.random(N);
          const one = await t.random(1);
          const empty = await t.random(0);
          const v = await t.input(1, N, p.index === 1 ? inBits : undefined);
          const none = await t.input(n - 1, 0, p.index === n - 1 ? new Uint8Array(0) : undefined);
          // Only the owner holds nonzero shares of an input.
          if (p.index !== 1) expect(v.x.every((bit) => bit === 0)).toBe(true);
          const vals = [
            a,
            b,
            t.xor(a, b),
            t.not(a),
            t.xorPublic(b, c),
            t.andPublic(a, c),
            t.andPublic(t.xor(a, b), zeros),
            t.andPublic(b, ones),
            t.xorPublic(t.xorPublic(a, c), c),
            v,
            t.xor(v, b),
          ];
          const opened = await Promise.all(vals.map((v) => t.open(v)));
          const small = [t.gather(a, idx), one, empty, none];
          const openedSmall = await Promise.all(small.map((v) => t.open(v)));
          expect(t.uncheckedOpenings).toBe(11 * N + 4 + 1);
          await t.check();
          expect(t.uncheckedOpenings).toBe(0);
          return { a, b, one, empty, opened, openedSmall };
        }),
      );
      const A = plain(out.map((o) => o.a));
      const B = plain(out.map((o) => o.b));
      const X = A.map((v, i) => v ^ B[i]!);
      const want = [
        A,
        B,
        X,
        A.map((v) => v ^ 1),
        B.map((v, i) => v ^ c[i]!),
        A.map((v, i) => v & c[i]!),
        zeros,
        B,
        A,
        inBits,
        inBits.map((v, i) => v ^ B[i]!),
      ];
      for (const o of out) {
        o.opened.forEach((got, k) => expect(got, `value ${k}`).toEqual(want[k]));
        expect(o.openedSmall[0]).toEqual(Uint8Array.from(idx, (i) => A[i]!));
        expect(o.openedSmall[1]).toEqual(plain(out.map((q) => q.one)));
        expect(o.openedSmall[2]).toEqual(new Uint8Array(0));
        expect(o.openedSmall[3]).toEqual(new Uint8Array(0));
      }
      // Random bits are not constant, and each party's shares alone are balanced.
      const ones1 = A.reduce((s, v) => s + v, 0);
      expect(ones1).toBeGreaterThan(N / 4);
      expect(ones1).toBeLessThan((3 * N) / 4);
      for (const o of out) {
        const k = o.a.x.reduce((s, v) => s + v, 0);
        expect(k).toBeGreaterThan(N / 4);
        expect(k).toBeLessThan((3 * N) / 4);
      }
    }, 60_000);
  }

  it('rejects bad public vectors and lengths with RangeError', async () => {
    const parties = localParties(2, nodeCryptoProvider, 30_000);
    await Promise.all(
      parties.map(async (p) => {
        const t = new TinyOt(p);
        const a = await t.random(4);
        expect(() => t.xorPublic(a, new Uint8Array(3))).toThrow(/expected 4 public bits, got 3/);
        expect(() => t.andPublic(a, Uint8Array.of(0, 1, 2, 0))).toThrow(/public bit 2 is 2/);
        expect(() => t.xor(a, t.gather(a, Uint32Array.of(0)))).toThrow(RangeError);
        expect(() => t.gather(a, Uint32Array.of(4))).toThrow(/out of range/);
        expect(String(a)).toBe('[AuthBits: 4 secret bits]');
        expect(() => JSON.stringify(a)).toThrow(TypeError);
      }),
    );
  });
});

/** Flips bit 0 of the first message of exchange `op` (to `only`, or to every peer). */
function tamperSend(p: Party, op: string, only?: number): void {
  const ex = p.exchange.bind(p);
  let done = false;
  p.exchange = (req: ExchangeRequest) => {
    if (req.op !== op || done) return ex(req);
    done = true;
    const send = req.send.map((b, j) => {
      if (!b || (only !== undefined && j !== only)) return b;
      const c = b.slice();
      c[0] = c[0]! ^ 1;
      return c;
    });
    return ex({ ...req, send });
  };
}

interface Attack {
  readonly name: string;
  /** The party counts to run it with (the one-peer attacks need three). */
  readonly parties: readonly number[];
  /** Deviation installed at the corrupted party (index 0) before the run. */
  readonly corrupt?: (p: Party) => void;
  /** Open an input of party 0 (all ones) instead of random bits. */
  readonly input?: boolean;
  /** Changes the corrupted party's view of the bits about to be opened. */
  readonly tamper?: (a: AuthBits) => void;
}

const ATTACKS: Attack[] = [
  {
    name: 'a wrong share sent when opening',
    parties: [2],
    corrupt: (p) => tamperSend(p, 'tinyot.open'),
  },
  {
    name: 'a flipped share with its MAC kept',
    parties: [2],
    tamper: (a) => void (a.x[0] = a.x[0]! ^ 1),
  },
  {
    name: 'a wrong bit MAC (towards one peer only)',
    parties: [2, 3],
    tamper: (a) => {
      const m = a.mac.find((v) => v !== undefined)!;
      m[0] = m[0]! ^ 1;
    },
  },
  {
    name: 'a wrong MAC hash',
    parties: [2],
    corrupt: (p) => tamperSend(p, 'tinyot.mac-check'),
  },
  {
    name: 'different shares to different peers',
    parties: [3],
    corrupt: (p) => tamperSend(p, 'tinyot.open', 1),
  },
  {
    name: 'an input difference equivocated',
    parties: [3],
    input: true,
    corrupt: (p) => tamperSend(p, 'tinyot.input', 1),
  },
];

/** Runs random bits, one opening and its check at every party; party 0 is corrupted. */
async function attackRun(
  n: number,
  attack: Attack,
  opts: TinyOtOptions,
): Promise<Array<PromiseSettledResult<Uint8Array>>> {
  const parties = localParties(n, nodeCryptoProvider, 20_000);
  attack.corrupt?.(parties[0]!);
  return Promise.allSettled(
    parties.map(async (p) => {
      const t = new TinyOt(p, opts);
      const ones = new Uint8Array(64).fill(1);
      const a = attack.input
        ? await t.input(0, 64, p.index === 0 ? ones : undefined)
        : await t.random(64);
      if (p.index === 0) attack.tamper?.(a);
      const y = await t.open(a);
      await t.check();
      // Fail closed: the opened bits are released only after the check.
      return y;
    }),
  );
}

describe('tinyot malicious: every honest party aborts', () => {
  for (const attack of ATTACKS)
    for (const n of attack.parties) {
      it(`n=${n}: ${attack.name}`, async () => {
        const res = await attackRun(n, attack, {});
        for (let i = 1; i < n; i++) {
          const r = res[i]!;
          expect(r.status, `party ${i}`).toBe('rejected');
          const e = (r as PromiseRejectedResult).reason as unknown;
          expect(e).toBeInstanceOf(Spdz2kAbort);
          expect(['mac-check', 'broadcast']).toContain((e as Spdz2kAbort).check);
        }
      }, 30_000);
    }

  it('positive control: with the check off, a wrong share goes through', async () => {
    const attack = ATTACKS[0]!;
    const res = await attackRun(2, attack, { testOnlySkipMacCheck: true });
    expect(res.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    const [y0, y1] = res.map((r) => (r as PromiseFulfilledResult<Uint8Array>).value);
    // The honest party opened a bit 0 that differs from the corrupted party's (correct) view.
    expect(y1![0]).toBe(y0![0]! ^ 1);
  }, 30_000);
});
