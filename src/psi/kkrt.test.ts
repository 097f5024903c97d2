import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { localParties, runParties } from '../primitives/testing.js';
import { ProtocolAbort } from '../runtime/errors.js';
import type { Party } from '../runtime/party.js';
import { binCount, binsOf, cuckooInsert } from './cuckoo.js';
import { distinctDigests } from './items.js';
import { otPsi, valueBytes, type OtPsiOutput, type OtPsiResult } from './kkrt.js';
import { plain, sets } from '../../test/psi-sets.js';

async function run(
  a: Uint8Array,
  b: Uint8Array,
  output: OtPsiOutput,
  tamper?: (p: Party) => void,
): Promise<OtPsiResult[]> {
  const ps = localParties(2, nodeCryptoProvider, 60_000);
  for (const p of ps) tamper?.(p);
  return runParties(ps, (p) => otPsi(p, p.index === 0 ? a : b, { receiver: 0, sender: 1, output }));
}

describe('OT-based PSI (KKRT16 OPRF over cuckoo bins)', () => {
  for (const [nA, nB, common] of [
    [0, 0, 0],
    [0, 5, 0],
    [7, 0, 0],
    [1, 1, 1],
    [1, 1, 0],
    [1, 300, 1],
    [300, 1, 1],
    [100, 120, 37],
    [4096, 4096, 0], // 0% overlap
    [4096, 4096, 4096], // 100% overlap
    [5000, 3000, 1234],
    [1 << 14, 1 << 13, 999],
  ] as const) {
    it(`|A| = ${nA}, |B| = ${nB}, ${common} shared: both parties get the plaintext intersection`, async () => {
      const { a, b } = sets(nA, nB, common);
      const [r, s] = await run(a, b, 'both');
      expect(Array.from(r!.intersection!)).toEqual(plain(a, b));
      expect(Array.from(s!.intersection!)).toEqual(plain(b, a));
      expect(r!.intersection!.length).toBe(common);
      expect(r!.peerSize).toBe(nB);
      expect(s!.peerSize).toBe(nA);
    });
  }

  it('2^16 per side, receiver-only output: the sender learns no intersection', async () => {
    const n = 1 << 16;
    const { a, b } = sets(n, n, 20_000);
    const [r, s] = await run(a, b, 'receiver');
    expect(Array.from(r!.intersection!)).toEqual(plain(a, b));
    expect(s!.intersection).toBeUndefined();
  }, 120_000);

  it('duplicates are removed before the protocol (distinctDigests keeps the first)', async () => {
    const { a, b } = sets(50, 60, 10);
    const dupA = new Uint8Array(16 * 80);
    dupA.set(a);
    dupA.set(a.subarray(0, 16 * 30), 16 * 50); // 30 repeats, 10 of them shared
    const d = distinctDigests(dupA);
    expect(d.digests).toEqual(a);
    expect(Array.from(d.source)).toEqual(Array.from({ length: 50 }, (_, k) => k));
    const [r] = await run(d.digests, b, 'receiver');
    expect(Array.from(r!.intersection!)).toEqual(plain(a, b));
  });

  it('output lengths leave 40 bits of margin over all comparisons', () => {
    expect(valueBytes(1, 1)).toBe(6); // 40 + 0 + log2 3 -> 42 bits
    expect(valueBytes(1 << 20, 1 << 20)).toBe(11); // 40 + 20 + 21.6 -> 82 bits
    expect(valueBytes(1 << 24, 1 << 24)).toBe(12);
  });

  it('cuckoo hashing places 2^16 elements in 1.27 n + 16 bins, one per bin', () => {
    const n = 1 << 16;
    const d = new Uint8Array(16 * n);
    nodeCryptoProvider.randomFill(d);
    const bins = binCount(n);
    const seed = new Uint8Array(16).fill(7);
    const h = binsOf(nodeCryptoProvider, seed, d, bins);
    let x = 12345;
    const t = cuckooInsert(h, n, bins, () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0));
    expect(t).toBeDefined();
    const seen = new Set<number>();
    for (let b = 0; b < bins; b++) {
      const e = t!.item[b]!;
      if (e < 0) continue;
      expect(seen.has(e)).toBe(false);
      seen.add(e);
      expect(h[3 * e + t!.which[b]!]).toBe(b); // placed by the function it records
    }
    expect(seen.size).toBe(n);
  });

  describe('bad messages abort with the peer named', () => {
    const { a, b } = sets(300, 200, 50);
    const rewrite = (who: number, op: string, f: (m: Uint8Array) => Uint8Array) => (p: Party) => {
      if (p.index !== who) return;
      const ex = p.exchange.bind(p);
      p.exchange = (req) => {
        const peer = 1 - who;
        if (req.op === op && req.send[peer]) {
          const send = [...req.send];
          send[peer] = f(req.send[peer]);
          return ex({ ...req, send });
        }
        return ex(req);
      };
    };

    it('a truncated matrix', async () => {
      const bad = run(
        a,
        b,
        'both',
        rewrite(0, 'psi.kkrt.matrix', (m) => m.subarray(0, m.length - 4)),
      );
      await expect(bad).rejects.toThrow(ProtocolAbort);
      await expect(bad).rejects.toThrow(/malformed \(peer p1\): psi.kkrt.matrix: expected/);
    });

    it('an oversized value list', async () => {
      const bad = run(
        a,
        b,
        'both',
        rewrite(1, 'psi.kkrt.values', (m) => new Uint8Array(m.length + 1)),
      );
      await expect(bad).rejects.toThrow(/oversized \(peer p2\): psi.kkrt.values/);
    });

    it('an announced set beyond the limit', async () => {
      const huge = (m: Uint8Array) => {
        const c = m.slice();
        new DataView(c.buffer).setUint32(4, 0xffffffff, true);
        return c;
      };
      await expect(run(a, b, 'both', rewrite(1, 'psi.kkrt.hello', huge))).rejects.toThrow(
        /oversized \(peer p2\): psi.kkrt.hello: a set of 4294967295 elements exceeds/,
      );
    });

    it('disagreeing outputs', async () => {
      const other = (m: Uint8Array) => {
        const c = m.slice();
        c[2] = 0;
        return c;
      };
      await expect(run(a, b, 'both', rewrite(0, 'psi.kkrt.hello', other))).rejects.toThrow(
        /malformed \(peer p1\): psi.kkrt.hello: the peer asked for output 'receiver'/,
      );
    });

    it('match positions out of range or repeated', async () => {
      const out = (m: Uint8Array) => {
        const c = new Uint32Array(m.slice().buffer);
        c[0] = 0xfffffff0;
        return new Uint8Array(c.buffer);
      };
      await expect(run(a, b, 'both', rewrite(0, 'psi.kkrt.result', out))).rejects.toThrow(
        /malformed \(peer p1\): psi.kkrt.result: position \d+ out of range/,
      );
      const twice = (m: Uint8Array) => {
        const c = new Uint32Array(m.slice().buffer);
        c[1] = c[0]!;
        return new Uint8Array(c.buffer);
      };
      await expect(run(a, b, 'both', rewrite(0, 'psi.kkrt.result', twice))).rejects.toThrow(
        /psi.kkrt.result: element matched twice/,
      );
    });
  });
});
