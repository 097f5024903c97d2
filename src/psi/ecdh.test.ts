import { ristretto255_hasher } from '@noble/curves/ed25519.js';
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

describe('the PSI hash to ristretto255', () => {
  it('is hash_to_ristretto255 under its own DST (against @noble/curves), for a batch', async () => {
    const d = unhex('000102030405060708090a0b0c0d0e0f' + 'ff'.repeat(16));
    const h = await hashToGroup(d);
    for (let i = 0; i < 2; i++) {
      const di = d.subarray(16 * i, 16 * i + 16);
      const want = ristretto255_hasher.hashToCurve(di, { DST: ECDH_DST }).toBytes();
      expect(hex(h.subarray(32 * i, 32 * i + 32))).toBe(hex(want));
      expect(hex(want)).not.toBe(hex(ristretto255_hasher.hashToCurve(di).toBytes()));
    }
    await expect(hashToGroup(new Uint8Array(15))).rejects.toThrow(RangeError);
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

  it('several chunks of unequal counts (4,500 and 2,100 elements, 1,500 shared) in both roles', async () => {
    const { a, b } = sets(4500, 2100, 1500);
    const [r, s] = await run(a, b, { mode: 'intersection', both: true });
    expect(Array.from(r!.intersection!)).toEqual(plain(a, b));
    expect(Array.from(s!.intersection!)).toEqual(plain(b, a));
    const [rc] = await run(a, b, { mode: 'cardinality' });
    expect(rc!.cardinality).toBe(1500);
    const [rb] = await run(b, a, { mode: 'intersection' });
    expect(Array.from(rb!.intersection!)).toEqual(plain(b, a));
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

  it('the identity from the peer aborts naming the peer, at either party', async () => {
    const { a, b } = sets(5, 5, 2);
    for (const [who, op, to, name] of [
      [0, 'psi.ecdh.blinded', 1, 'p1'],
      [1, 'psi.ecdh.sender', 0, 'p2'],
    ] as const) {
      const tamper = (p: Party) => {
        if (p.index !== who) return;
        const ex = p.exchange.bind(p);
        p.exchange = (req) => {
          const m = req.send[to];
          if (req.op === op && m) {
            const bad = m.slice();
            bad.fill(0, 64, 96);
            const send = [...req.send];
            send[to] = bad;
            return ex({ ...req, send });
          }
          return ex(req);
        };
      };
      await expect(run(a, b, { mode: 'cardinality' }, tamper)).rejects.toThrow(
        new RegExp(
          `malformed \\(peer ${name}\\): ${op.replace('.', '\\.')}: element 2 is the identity`,
        ),
      );
    }
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
