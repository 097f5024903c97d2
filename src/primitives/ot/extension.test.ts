import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { ProtocolAbort } from '../../runtime/errors.js';
import type { Party } from '../../runtime/party.js';
import { localParties, runParties } from '../testing.js';
import {
  batchSizes,
  MAX_BATCH,
  OtExtension,
  type CotSenderOutput,
  type OtOptions,
  type OtReceiverOutput,
  type OtSenderOutput,
} from './extension.js';

const block = (b: Uint8Array, i: number) => b.subarray(16 * i, 16 * i + 16);
const xor = (a: Uint8Array, b: Uint8Array) => a.map((x, k) => x ^ b[k]!);

function randomChoices(p: Party, n: number): Uint8Array {
  const c = p.prg.bytes(n);
  return c.map((x) => x & 1);
}

async function pair<S, R>(
  f: (ot: OtExtension, p: Party) => Promise<unknown>,
  opts: OtOptions = {},
  tamper?: (p: Party) => void,
): Promise<[S, R]> {
  const ps = localParties(2, nodeCryptoProvider);
  const out = await runParties(ps, async (p) => {
    const ot = await OtExtension.create(p, 0, 1, opts);
    tamper?.(p);
    return f(ot, p);
  });
  return out as [S, R];
}

/** Fraction of one bits in a byte array. */
function ones(b: Uint8Array): number {
  let c = 0;
  for (const x of b) for (let k = 0; k < 8; k++) c += (x >> k) & 1;
  return c / (8 * b.length);
}

describe('OT extension (IKNP + KOS check)', () => {
  it('random OT: the receiver holds m_c; m_(1-c) is independent of its view', async () => {
    const n = 5000;
    const [s, r] = await pair<OtSenderOutput, OtReceiverOutput>((ot) => ot.random(n));
    let agree = 0;
    const other = new Uint8Array(16 * n);
    for (let i = 0; i < n; i++) {
      const c = r.choices[i]!;
      expect(block(c ? s.m1 : s.m0, i)).toEqual(block(r.m, i));
      other.set(xor(block(c ? s.m0 : s.m1, i), block(r.m, i)), 16 * i);
      if (c) agree++;
    }
    // Choices are random, and the other message xor the receiver's is unbiased.
    expect(agree / n).toBeGreaterThan(0.45);
    expect(agree / n).toBeLessThan(0.55);
    expect(Math.abs(ones(other) - 0.5)).toBeLessThan(0.005);
  });

  it('chosen-message OT: the receiver decrypts m_c; decrypting m_(1-c) with its key gives noise', async () => {
    const n = 3000;
    const msgs = new Uint8Array(32 * n); // m0 = 0, m1 = 0xff..: fixed, so any leak would show
    msgs.fill(0xff, 16 * n);
    let choices: Uint8Array | undefined;
    const [, r] = await pair<OtSenderOutput, OtReceiverOutput>((ot, p) => {
      if (p.index === 1) choices = randomChoices(p, n);
      return ot.chosen(n, p.index === 0 ? msgs : choices);
    });
    for (let i = 0; i < n; i++)
      expect(block(r.m, i).every((x) => x === (choices![i] ? 0xff : 0))).toBe(true);
    expect(r.choices).toEqual(choices);
  });

  it('the receiver learns exactly one message: its decryption of m_(1-c) is noise whatever m_(1-c) is', async () => {
    // The receiver's view of a chosen OT is (its rows t_i, y_0, y_1). Run with two
    // different m_(1-c): the receiver's best decryption of the other ciphertext,
    // y_(1-c) xor H(t_i), is uniform noise in both runs, unrelated to m_(1-c).
    const n = 4000;
    for (const fill of [0x00, 0xff]) {
      const msgs = new Uint8Array(32 * n).fill(fill);
      const choices = new Uint8Array(n); // always choose 0; m1 is the secret one
      const ps = localParties(2, nodeCryptoProvider);
      let y: Uint8Array | undefined;
      const out = await runParties(ps, async (p) => {
        const ot = await OtExtension.create(p, 0, 1);
        if (p.index === 1) {
          const ex = p.exchange.bind(p);
          p.exchange = async (req) => {
            const got = await ex(req);
            if (req.op === 'ot.chosen.payload') y = got[0]!.slice();
            return got;
          };
        }
        return ot.chosen(n, p.index === 0 ? msgs : choices);
      });
      const r = out[1] as OtReceiverOutput;
      // H(t_i) = y0_i xor m_c; try it on y1.
      const guess = new Uint8Array(16 * n);
      for (let i = 0; i < n; i++) {
        const h = xor(block(y!, i), block(r.m, i));
        guess.set(xor(block(y!, n + i), h), 16 * i);
      }
      expect(Math.abs(ones(guess) - 0.5)).toBeLessThan(0.01);
      expect(Math.abs(ones(xor(guess, msgs.subarray(16 * n))) - 0.5)).toBeLessThan(0.01);
    }
  });

  it('correlated OT: m1 = m0 xor x; raw correlated OT: t = q xor c Delta', async () => {
    const n = 1000;
    const x = new Uint8Array(16 * n);
    for (let i = 0; i < x.length; i++) x[i] = (i * 37) & 255;
    const [s, r] = await pair<OtSenderOutput, OtReceiverOutput>((ot, p) =>
      ot.correlated(n, p.index === 0 ? x : undefined),
    );
    for (let i = 0; i < n; i++) {
      expect(xor(block(s.m0, i), block(s.m1, i))).toEqual(block(x, i));
      expect(block(r.choices[i] ? s.m1 : s.m0, i)).toEqual(block(r.m, i));
    }
    const [cs, cr] = await pair<CotSenderOutput, OtReceiverOutput>((ot) => ot.correlatedRaw(n), {
      deltaLsbOne: true,
    });
    expect(cs.delta[0]! & 1).toBe(1);
    for (let i = 0; i < n; i++) {
      const want = cr.choices[i] ? xor(block(cs.q, i), cs.delta) : block(cs.q, i);
      expect(block(cr.m, i)).toEqual(want);
    }
  });

  it('several batches after one setup, unchecked mode, odd sizes and n = 0, three parties', async () => {
    const ps = localParties(3, nodeCryptoProvider);
    const out = await runParties(ps, async (p) => {
      const ot = await OtExtension.create(p, 2, 0, { check: false });
      const a = await ot.random(1);
      const b = await ot.random(0);
      const c = await ot.random(333);
      return [a, b, c];
    });
    const [ra, rb, rc] = out[0] as OtReceiverOutput[];
    const [sa, , sc] = out[2] as OtSenderOutput[];
    expect(out[1]!.map((o) => o.role)).toEqual(['none', 'none', 'none']);
    expect(rb!.m.length).toBe(0);
    expect(block(ra!.choices[0] ? sa!.m1 : sa!.m0, 0)).toEqual(block(ra!.m, 0));
    for (let i = 0; i < 333; i++)
      expect(block(rc!.choices[i] ? sc!.m1 : sc!.m0, i)).toEqual(block(rc!.m, i));
    // Fresh batches: the first OT of the third batch is not the first of the first.
    expect(block(sc!.m0, 0)).not.toEqual(block(sa!.m0, 0));
  });

  it('the KOS check aborts when the receiver sends an inconsistent matrix', async () => {
    // A deviating receiver uses different choice bits in half the columns for row 5
    // (what it would do to probe Delta); the sender must abort before any output.
    const tamper = (p: Party) => {
      if (p.index !== 1) return;
      const ex = p.exchange.bind(p);
      p.exchange = (req) => {
        if (req.op === 'ot.extend') {
          const u = new Uint32Array(req.send[0]!.buffer.slice(0));
          const W = (u.length - 8) / 128;
          for (let j = 0; j < 64; j++) u[j * W] = u[j * W]! ^ (1 << 5);
          const send = [new Uint8Array(u.buffer), undefined];
          return ex({ ...req, send });
        }
        return ex(req);
      };
    };
    const run = pair((ot) => ot.random(200), {}, tamper);
    await expect(run).rejects.toThrow(ProtocolAbort);
    await expect(run).rejects.toThrow(/consistency check failed: the receiver's matrix/);
    // Unchecked (semi-honest) mode does not notice.
    await expect(pair((ot) => ot.random(200), { check: false }, tamper)).resolves.toBeDefined();
  });

  it('checked batches are pipelined: several batches agree, and a bad later batch aborts', async () => {
    // Three batches: the check of each completes two rounds after its matrix.
    const n = 2 * MAX_BATCH + 1000;
    const [s, r] = await pair<OtSenderOutput, OtReceiverOutput>((ot) => ot.random(n));
    for (const i of [0, 1, MAX_BATCH - 1, MAX_BATCH, 2 * MAX_BATCH + 999])
      expect(block(r.choices[i] ? s.m1 : s.m0, i)).toEqual(block(r.m, i));
    let same = 0;
    for (let i = 0; i < n; i++) {
      const c = r.choices[i]!;
      const want = c ? s.m1 : s.m0;
      let eqBlock = true;
      for (let b = 0; b < 16; b++) if (want[16 * i + b] !== r.m[16 * i + b]) eqBlock = false;
      if (eqBlock) same++;
    }
    expect(same).toBe(n);
    // The receiver cheats in the second batch's matrix only.
    let extends_ = 0;
    const tamper = (p: Party) => {
      if (p.index !== 1) return;
      const ex = p.exchange.bind(p);
      p.exchange = (req) => {
        if (req.op === 'ot.extend' && req.send[0] && extends_++ === 1) {
          // Row 224 of this batch gets other choice bits in every column; the
          // sender only sees the columns where its Delta bit is 1.
          const u = new Uint32Array(req.send[0].buffer.slice(0));
          const W = (MAX_BATCH + 256) / 32; // rows of a full batch plus the check's padding
          expect(u.length).toBe(128 * W + 8); // u_1 and the commitment (no reply yet)
          for (let j = 0; j < 128; j++) u[j * W + 7] = u[j * W + 7]! ^ 1;
          return ex({ ...req, send: [new Uint8Array(u.buffer), undefined] });
        }
        return ex(req);
      };
    };
    // (Settle to a string: a wrong resolution must not print 32 MiB of outputs.)
    const outcome = await pair((ot) => ot.random(n), {}, tamper).then(
      () => 'resolved',
      (e: unknown) => String(e),
    );
    expect(outcome).toMatch(/consistency check failed: the receiver's matrix/);
  });

  it('long calls ramp their batch sizes at both ends, and every size covers the call exactly', () => {
    const M = MAX_BATCH;
    expect(batchSizes(0)).toEqual([]);
    expect(batchSizes(1)).toEqual([1]);
    expect(batchSizes(M)).toEqual([M]);
    expect(batchSizes(2 * M + 1000)).toEqual([M, M, 1000]); // too short to ramp
    // M/8 + M/4 + M/2 at each end; six full batches and the remainder between.
    const ramp = [M / 8, M / 4, M / 2];
    expect(batchSizes(8 * M)).toEqual([...ramp, M, M, M, M, M, M, M / 4, ...[...ramp].reverse()]);
    for (const n of [0, 1, 127, M - 1, M + 1, 3 * M, 9 * M + 77, 40 * M + 5]) {
      const sizes = batchSizes(n);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
      for (const k of sizes) {
        expect(k).toBeGreaterThan(0);
        expect(k).toBeLessThanOrEqual(M);
      }
    }
  });

  it('a ramped call (batches of unequal sizes) agrees on every OT, checked', async () => {
    const n = (9 * MAX_BATCH) / 4 + 1000; // batches M/8, M, M, 1000, M/8
    expect(batchSizes(n)).toEqual([MAX_BATCH / 8, MAX_BATCH, MAX_BATCH, 1000, MAX_BATCH / 8]);
    const [s, r] = await pair<OtSenderOutput, OtReceiverOutput>((ot) => ot.random(n));
    let same = 0;
    for (let i = 0; i < n; i++) {
      const want = r.choices[i] ? s.m1 : s.m0;
      let eqBlock = true;
      for (let b = 0; b < 16; b++) if (want[16 * i + b] !== r.m[16 * i + b]) eqBlock = false;
      if (eqBlock) same++;
    }
    expect(same).toBe(n);
    // Distinct tweaks across batches: no two OTs share a first message.
    const seen = new Set<string>();
    for (const i of [0, MAX_BATCH / 8 - 1, MAX_BATCH / 8, n - MAX_BATCH / 8, n - 1])
      seen.add(Buffer.from(block(s.m0, i)).toString('hex'));
    expect(seen.size).toBe(5);
  });

  it('the JavaScript kernels (no WebAssembly) give the same flavours, checked or not', async () => {
    for (const check of [true, false]) {
      const n = MAX_BATCH + 300; // two batches, the second partial
      const msgs = new Uint8Array(32 * 50).map((_, i) => i * 7);
      const xs = new Uint8Array(16 * 50).map((_, i) => i * 3);
      const [s, r] = await pair<
        [OtSenderOutput, OtSenderOutput, OtSenderOutput, CotSenderOutput],
        [OtReceiverOutput, OtReceiverOutput, OtReceiverOutput, OtReceiverOutput]
      >(
        async (ot, p) => {
          const ch = p.index === 1 ? randomChoices(p, 50) : undefined;
          return [
            await ot.random(n),
            await ot.chosen(50, p.index === 0 ? msgs : ch),
            await ot.correlated(50, p.index === 0 ? xs : ch),
            await ot.correlatedRaw(300),
          ];
        },
        { check, kernels: false },
      );
      for (const i of [0, 1, MAX_BATCH - 1, MAX_BATCH, n - 1])
        expect(block(r[0].choices[i] ? s[0].m1 : s[0].m0, i)).toEqual(block(r[0].m, i));
      for (let i = 0; i < 50; i++) {
        const c = r[1].choices[i]!;
        expect(block(r[1].m, i)).toEqual(msgs.subarray(800 * c + 16 * i, 800 * c + 16 * i + 16));
        const want = r[2].choices[i] ? xor(block(s[2].m0, i), block(xs, i)) : block(s[2].m0, i);
        expect(block(r[2].m, i)).toEqual(want);
      }
      for (let i = 0; i < 300; i++) {
        const q = block(s[3].q, i);
        expect(block(r[3].m, i)).toEqual(r[3].choices[i] ? xor(q, s[3].delta) : q);
      }
    }
  });

  it('the check aborts on a coin that does not match its commitment', async () => {
    const tamper = (p: Party) => {
      if (p.index !== 1) return;
      const ex = p.exchange.bind(p);
      p.exchange = (req) => {
        if (req.op !== 'ot.check.proof') return ex(req);
        const proof = req.send[0]!.slice();
        proof[0] = proof[0]! ^ 1;
        return ex({ ...req, send: [proof, undefined] });
      };
    };
    await expect(pair((ot) => ot.random(10), {}, tamper)).rejects.toThrow(/commitment/);
  });

  it('a deviating sender: malformed coin or ciphertexts abort the receiver', async () => {
    const tamper = (op: string) => (p: Party) => {
      if (p.index !== 0) return;
      const ex = p.exchange.bind(p);
      p.exchange = (req) =>
        req.op === op ? ex({ ...req, send: [undefined, new Uint8Array(8)] }) : ex(req);
    };
    await expect(pair((ot) => ot.random(10), {}, tamper('ot.check.coin'))).rejects.toThrow(
      /ot.check.coin: bad length/,
    );
    const msgs = new Uint8Array(32 * 10);
    await expect(
      pair(
        (ot, p) => ot.chosen(10, p.index === 0 ? msgs : new Uint8Array(10)),
        {},
        tamper('ot.chosen.payload'),
      ),
    ).rejects.toThrow(/expected 320 bytes/);
  });

  it('concurrent calls on one instance run in call order and stay correct', async () => {
    const [s, r] = await pair<OtSenderOutput[], OtReceiverOutput[]>(
      (ot) => Promise.all([ot.random(3000), ot.random(70), ot.random(5000)]),
      { check: false },
    );
    s.forEach((so, k) => {
      const ro = r[k]!;
      for (let i = 0; i < ro.choices.length; i++)
        expect(block(ro.choices[i] ? so.m1 : so.m0, i)).toEqual(block(ro.m, i));
    });
  });

  it('refuses bad arguments', async () => {
    const [p0, p1] = localParties(2, nodeCryptoProvider);
    const [ot0, ot1] = await Promise.all([
      OtExtension.create(p0!, 0, 1),
      OtExtension.create(p1!, 0, 1),
    ]);
    await expect(ot0.random(-1)).rejects.toThrow(RangeError);
    await expect(ot1.random(2, Uint8Array.of(0, 2))).rejects.toThrow(/not 0 or 1/);
    await expect(ot0.chosen(2, new Uint8Array(3))).rejects.toThrow(/expected 64 bytes/);
    expect(ot0.role).toBe('sender');
    expect(ot1.delta).toBeUndefined();
  });
});
