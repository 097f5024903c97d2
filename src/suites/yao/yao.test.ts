import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EVALUATOR, GARBLER, YaoSuite } from './yao.js';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { runLocal, type Program } from '../../api/run.js';
import { fixed, int } from '../../api/types.js';
import { testRng } from '../../../test/harness.js';
import { bristolCircuit } from '../../../test/circuits.js';

async function yao<R>(program: Program<R>): Promise<[R, R]> {
  const outs = await runLocal(program, {
    suite: 'yao',
    parties: ['alice', 'bob'],
    crypto: nodeCryptoProvider,
    roundTimeoutMs: 20_000,
  });
  return [outs[0]!.result, outs[1]!.result];
}

const rng = testRng(42);
function randInt(bits: number, n: number): bigint[] {
  const half = 2 ** (bits - 1);
  const edges = [0, -1, 1, -half, half - 1].map(BigInt);
  return Array.from({ length: n }, (_, i) =>
    i < edges.length ? edges[i]! : BigInt(Math.floor(rng() * 2 * half) - half),
  );
}

describe('yao suite (two-party garbled circuits)', () => {
  it("the millionaires' problem: each learns only who is richer", async () => {
    for (const [a, b] of [
      [5_000_000, 7_000_000],
      [9, 3],
      [4, 4],
    ] as const) {
      const [ra, rb] = await yao(async (s) => {
        const x = s.input('alice', int(32), s.me === 'alice' ? [a] : 1);
        const y = s.input('bob', int(32), s.me === 'bob' ? [b] : 1);
        return x.lt(y).reveal();
      });
      expect(ra).toEqual([a < b]);
      expect(rb).toEqual([a < b]);
    }
  });

  it('32-bit comparisons, additions and multiplications agree with plaintext (random and edges)', async () => {
    const n = 200;
    const xs = randInt(32, n);
    const ys = randInt(32, n).reverse();
    const [res] = await yao(async (s) => {
      const x = s.input('alice', int(32), s.me === 'alice' ? xs : n);
      const y = s.input('bob', int(32), s.me === 'bob' ? ys : n);
      const [lt, le, eq, sum, diff, prod] = await s.revealAll([
        x.lt(y),
        x.le(y),
        x.eq(y),
        x.add(y),
        x.sub(y),
        x.mul(y),
      ]);
      return { lt, le, eq, sum, diff, prod };
    });
    expect(res.lt).toEqual(xs.map((x, i) => x < ys[i]!));
    expect(res.le).toEqual(xs.map((x, i) => x <= ys[i]!));
    expect(res.eq).toEqual(xs.map((x, i) => x === ys[i]!));
    expect(res.sum).toEqual(xs.map((x, i) => x + ys[i]!));
    expect(res.diff).toEqual(xs.map((x, i) => x - ys[i]!));
    expect(res.prod).toEqual(xs.map((x, i) => x * ys[i]!));
  });

  it('min, max, argmax, abs, select, sum, dot and sort', async () => {
    const xs = [5n, -3n, 12n, 12n, 0n, -7n, 2n];
    const ys = [1n, 2n, 3n, 4n, 5n, 6n, 7n];
    const [res] = await yao(async (s) => {
      const x = s.input('alice', int(16), s.me === 'alice' ? xs : xs.length);
      const y = s.input('bob', int(16), s.me === 'bob' ? ys : ys.length);
      const [mn, mx, am, ab, sel, sum, dot, sorted, mins] = await s.revealAll([
        x.min(),
        x.max(),
        x.argmax(),
        x.abs(),
        x.gt(y).select(x, y),
        x.sum(),
        x.dot(y),
        x.sort(),
        x.minimum(y),
      ]);
      return { mn, mx, am, ab, sel, sum, dot, sorted, mins };
    });
    expect(res.mn).toEqual([-7n]);
    expect(res.mx).toEqual([12n]);
    expect(res.am).toEqual([2n]);
    expect(res.ab).toEqual(xs.map((x) => (x < 0n ? -x : x)));
    expect(res.sel).toEqual(xs.map((x, i) => (x > ys[i]! ? x : ys[i]!)));
    expect(res.sum).toEqual([xs.reduce((a, b) => a + b)]);
    expect(res.dot).toEqual([xs.reduce((a, x, i) => a + x * ys[i]!, 0n)]);
    expect(res.sorted).toEqual([...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(res.mins).toEqual(xs.map((x, i) => (x < ys[i]! ? x : ys[i]!)));
  });

  it('reveals to one party only; the other gets nothing', async () => {
    const [ra, rb] = await yao(async (s) => {
      const x = s.input('alice', int(8), s.me === 'alice' ? [100] : 1);
      const y = s.input('bob', int(8), s.me === 'bob' ? [-27] : 1);
      const toBob = await x.add(y).revealTo(['bob']);
      const toAlice = await x.mul(y).revealTo(['alice']);
      return { toBob, toAlice };
    });
    expect(ra.toBob).toEqual({ recipient: false });
    expect(rb.toBob).toEqual({ recipient: true, values: [73n] });
    expect(ra.toAlice).toEqual({ recipient: true, values: [-2700n] });
    expect(rb.toAlice).toEqual({ recipient: false });
  });

  it('booleans, bits, trunc, constants and empty vectors', async () => {
    const [res] = await yao(async (s) => {
      const x = s.input('bob', int(8), s.me === 'bob' ? [-6, 5, 0] : 3);
      const c = s.constant(int(8), [1, -2, 3]);
      const b = x.gt(0);
      const [and, or, xor, not, bitsOf, tr, cnt, withC, empty] = await s.revealAll([
        b.and(x.lt(3)),
        b.or(x.eq(0)),
        b.xor(x.ne(5)),
        b.not(),
        x.bits(),
        x.trunc(1),
        b.count(),
        x.mul(c).add(c),
        s.input('alice', int(8), s.me === 'alice' ? [] : 0).sum(),
      ]);
      return { and, or, xor, not, bitsOf, tr, cnt, withC, empty };
    });
    expect(res.and).toEqual([false, false, false]);
    expect(res.or).toEqual([false, true, true]);
    expect(res.xor).toEqual([true, true, true]);
    expect(res.not).toEqual([true, false, true]);
    const bits8 = (v: number) => Array.from({ length: 8 }, (_, j) => ((v >> j) & 1) === 1);
    expect(res.bitsOf).toEqual([...bits8(-6), ...bits8(5), ...bits8(0)]);
    expect(res.tr).toEqual([-3n, 2n, 0n]);
    expect(res.cnt).toEqual([1n]);
    expect(res.withC).toEqual([-5n, -12n, 3n]);
    expect(res.empty).toEqual([0n]);
  });

  it('AES-128 in 2PC: garbler holds the key, evaluator the block; agrees with node:crypto', async () => {
    const aes = bristolCircuit('aes_128.txt');
    const n = 3;
    const keys = Array.from({ length: n }, (_, i) => Buffer.alloc(16, 17 * i + 1));
    const pts = Array.from({ length: n }, (_, i) =>
      Buffer.from(Array.from({ length: 16 }, (_, k) => (31 * k + i * 7) & 255)),
    );
    // Bristol order: a 128-bit big-endian integer, least significant bit first (wire-major here).
    const wireMajor = (blocks: Buffer[]) => {
      const bits = new Uint8Array(128 * n);
      blocks.forEach((b, i) => {
        for (let j = 0; j < 128; j++) bits[j * n + i] = (b[15 - (j >> 3)]! >> (j & 7)) & 1;
      });
      return bits;
    };
    const outs = await yao(async (s) => {
      const y = s.suite as YaoSuite;
      const me = s.party.index;
      return y.runCircuit(
        aes,
        n,
        [GARBLER, EVALUATOR],
        [
          me === GARBLER ? wireMajor(keys) : undefined,
          me === EVALUATOR ? wireMajor(pts) : undefined,
        ],
        [EVALUATOR],
      );
    });
    const out = outs[EVALUATOR];
    for (let i = 0; i < n; i++) {
      const ct = Buffer.alloc(16);
      for (let j = 0; j < 128; j++) ct[15 - (j >> 3)]! |= out![j * n + i]! << (j & 7);
      expect(ct).toEqual(
        createCipheriv('aes-128-ecb', keys[i]!, null).setAutoPadding(false).update(pts[i]!),
      );
    }
  });

  it('a large circuit streams its tables under flow control (AES x 640: 131 MB in 17 messages, two acknowledgements, the first awaited a window late)', async () => {
    const aes = bristolCircuit('aes_128.txt');
    const n = 640;
    const key = Buffer.alloc(16, 7);
    const keyBits = new Uint8Array(128 * n);
    const ptBits = new Uint8Array(128 * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < 128; j++) {
        keyBits[j * n + i] = (key[15 - (j >> 3)]! >> (j & 7)) & 1;
        ptBits[j * n + i] = j === (i & 127) ? 1 : 0;
      }
    const outs = await yao(async (s) => {
      const y = s.suite as YaoSuite;
      const me = s.party.index;
      const before = s.stats().rounds;
      const bits = await y.runCircuit(
        aes,
        n,
        [GARBLER, EVALUATOR],
        [me === GARBLER ? keyBits : undefined, me === EVALUATOR ? ptBits : undefined],
        [EVALUATOR],
      );
      return { bits, rounds: s.stats().rounds - before };
    });
    const out = outs[EVALUATOR];
    // Input OT, 16 chunks of 8 MiB of tables and a last message with the decoding bits, 2 acknowledgements.
    expect(out.rounds).toBe(1 + 17 + 2);
    for (const i of [0, 1, 200, 319, 320, 639]) {
      const pt = Buffer.alloc(16);
      pt[15 - ((i & 127) >> 3)] = 1 << (i & 7);
      const ct = Buffer.alloc(16);
      for (let j = 0; j < 128; j++) ct[15 - (j >> 3)]! |= out.bits![j * n + i]! << (j & 7);
      expect(ct).toEqual(createCipheriv('aes-128-ecb', key, null).setAutoPadding(false).update(pt));
    }
  });

  it('fixed-point arithmetic and functions, and shuffling, work unchanged', async () => {
    const [res] = await yao(async (s) => {
      const x = s.input('alice', fixed(), s.me === 'alice' ? [1.5, -2.25] : 2);
      const y = s.input('bob', fixed(), s.me === 'bob' ? [2, 0.5] : 2);
      const [prod, quot] = await s.revealAll([x.mul(y), x.div(y)]);
      const v = s.input('bob', int(8), s.me === 'bob' ? [4, 1, 3, 2] : 4);
      const shuffled = await s.shuffle([v])[0]!.sort().reveal();
      return { prod, quot, shuffled };
    });
    expect(res.prod).toEqual([3, -1.125]);
    expect(res.quot![0]).toBeCloseTo(0.75, 3);
    expect(res.quot![1]).toBeCloseTo(-4.5, 3);
    expect(res.shuffled).toEqual([1n, 2n, 3n, 4n]);
  });

  it('a truncated garbled stream aborts the evaluator, naming the garbler', async () => {
    const run = runLocal(
      async (s) => {
        if (s.party.index === GARBLER) {
          const ex = s.party.exchange.bind(s.party);
          s.party.exchange = (req) => {
            if (req.op !== 'yao.garbled') return ex(req);
            const send = [...req.send];
            send[EVALUATOR] = send[EVALUATOR]!.subarray(0, 40);
            return ex({ ...req, send });
          };
        }
        const x = s.input('alice', int(8), s.me === 'alice' ? [3, 4] : 2);
        const y = s.input('bob', int(8), s.me === 'bob' ? [5, 1] : 2);
        return x.mul(y).reveal();
      },
      {
        suite: 'yao',
        parties: ['alice', 'bob'],
        crypto: nodeCryptoProvider,
        roundTimeoutMs: 5_000,
      },
    );
    const garbler = ['alice', 'bob'][GARBLER]!;
    await expect(run).rejects.toThrow(new RegExp(`malformed \\(peer ${garbler}\\): yao.garbled`));
  });

  it('needs exactly two parties', async () => {
    await expect(
      runLocal(async () => 0, { suite: 'yao', parties: 3, crypto: nodeCryptoProvider }),
    ).rejects.toThrow(/expected 2 parties/);
  });
});
