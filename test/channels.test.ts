/**
 * Channels (src/runtime/party.ts): independent protocol instances on
 * channels of their own may start in different orders, at different paces
 * and share rounds differently at each party, over a transport that reorders
 * messages, and still agree; the same disorder on ONE channel is reported as
 * a divergence naming the peer, not answered wrongly and not left hanging.
 */
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../src/adapters/node/crypto.js';
import { runLocal } from '../src/api/run.js';
import type { Session } from '../src/api/session.js';
import { int } from '../src/index.js';
import {
  OtExtension,
  type OtOutput,
  type OtReceiverOutput,
  type OtSenderOutput,
} from '../src/primitives/ot/extension.js';
import { ProtocolAbort } from '../src/runtime/errors.js';
import { Party } from '../src/runtime/party.js';
import { semi2kFactory } from '../src/suites/semi2k/semi2k.js';
import type { SuiteFactory } from '../src/suites/suite.js';
import { createMemoryNetwork } from '../src/transport/memory.js';
import { testRng } from './harness.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A random order of 0..n-1 (test data only). */
function permutation(n: number, rng: () => number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

function parties(n: number, timeoutMs = 5_000): Party[] {
  const reorder = testRng(99);
  const ts = createMemoryNetwork(n, 'channels', { reorder });
  const ids = Array.from({ length: n }, (_, i) => `p${i + 1}`);
  return ts.map(
    (t) => new Party({ ids, transport: t, crypto: nodeCryptoProvider, roundTimeoutMs: timeoutMs }),
  );
}

/** Everyone sends (its index, instance, step) to everyone; returns what came from each peer. */
async function allToAll(p: Party, instance: number, step: number): Promise<number[][]> {
  const send = Array.from({ length: p.n }, (_, j) =>
    j === p.index ? undefined : Uint8Array.from([p.index, instance, step]),
  );
  const peers = Array.from({ length: p.n }, (_, j) => j).filter((j) => j !== p.index);
  const got = await p.exchange({ op: `test.${instance}`, send, recvFrom: peers });
  return peers.map((j) => Array.from(got[j]!));
}

describe('channels in the round engine', () => {
  it('runs 30 instances of different depths in a different random order and pace at each party', async () => {
    const ps = parties(3);
    const instances = 30;
    const depth = (k: number) => 1 + (k % 5);
    const outs = await Promise.all(
      ps.map(async (p) => {
        const rng = testRng(p.index + 11);
        const order = permutation(instances, rng);
        const seen: number[][][] = new Array(instances);
        await Promise.all(
          order.map(async (k, pos) => {
            const c = p.channel('inst').channel(String(k));
            if (rng() < 0.7) await sleep(Math.floor(rng() * 4) + (pos % 3));
            const mine: number[][] = [];
            for (let step = 0; step < depth(k); step++) {
              if (rng() < 0.3) await sleep(Math.floor(rng() * 3));
              mine.push(...(await allToAll(c, k, step)));
            }
            seen[k] = mine;
          }),
        );
        return { seen, p };
      }),
    );
    for (const { seen, p } of outs) {
      for (let k = 0; k < instances; k++) {
        const peers = [0, 1, 2].filter((j) => j !== p.index);
        const expected = Array.from({ length: depth(k) }, (_, step) =>
          peers.map((j) => [j, k, step]),
        ).flat();
        expect(seen[k]).toEqual(expected);
        // A channel's rounds are its own depth, whoever it shared them with.
        expect(p.channel(`inst/${k}`).stats.rounds).toBe(depth(k));
      }
      // The parent counts a round once, whichever of its channels were in it.
      const inst = p.channel('inst').stats.rounds;
      expect(inst).toBeGreaterThanOrEqual(5);
      expect(inst).toBeLessThanOrEqual(30 * 3);
      expect(p.stats.rounds).toBe(inst);
      expect(p.channel('inst').stats.operations).toEqual({});
    }
  });

  it('keys channels by path, and the same key gives the same handle', () => {
    const [p] = parties(1);
    const c = p!.channel('study').channel('3').channel('ltz');
    expect(c.channelKey).toBe('study/3/ltz');
    expect(p!.channel('study/3/ltz')).toBe(c);
    expect(p!.channelKey).toBe('');
    expect(() => p!.channel('')).toThrow(RangeError);
  });

  // The same schedule twice: instance 1 starts a turn later at p1 than at p2.
  async function skewed(ps: Party[], sameChannel: boolean): Promise<unknown[]> {
    return Promise.all(
      ps.map(async (p) => {
        const on = (k: number) => (sameChannel ? p.channel('shared') : p.channel(`own/${k}`));
        const settle = (x: Promise<unknown>) => x.catch((e: unknown) => e);
        const a = settle(allToAll(on(0), 0, 0));
        if (p.index === 0) await sleep(5);
        const b = settle(allToAll(on(1), 1, 0));
        const both = await Promise.all([a, b]);
        return both.find((x) => x instanceof Error) ?? both;
      }),
    );
  }

  it('positive: instances whose rounds are grouped differently agree on channels of their own', async () => {
    const outs = await skewed(parties(2), false);
    expect(outs).toEqual([
      [[[1, 0, 0]], [[1, 1, 0]]],
      [[[0, 0, 0]], [[0, 1, 0]]],
    ]);
  });

  it('negative control: the same skew on one channel is a divergence naming the peer', async () => {
    const t0 = Date.now();
    const outs = await skewed(parties(2), true);
    const errs = outs.filter((o): o is ProtocolAbort => o instanceof ProtocolAbort);
    expect(errs.length).toBe(2);
    const div = errs.find((e) => e.reason === 'divergence');
    expect(div).toBeDefined();
    expect(div!.message).toMatch(
      /^protocol aborted: divergence \(peer p[12]\): channel 'shared': /,
    );
    for (const e of errs) expect(['divergence', 'peer-closed', 'closed']).toContain(e.reason);
    // Detected at once, not at the round deadline (5 s).
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('runs 5 OT extensions on channels of their own, started in a different order at each party', async () => {
    const ps = parties(2, 20_000);
    // Each instance runs its own base OTs (about 1 s of CPU here), so few of them.
    const instances = 5;
    const outs = await Promise.all(
      ps.map(async (p) => {
        const rng = testRng(p.index + 5);
        const res: OtOutput[] = new Array(instances);
        await Promise.all(
          permutation(instances, rng).map(async (k) => {
            await sleep(Math.floor(rng() * 6));
            const ot = await OtExtension.create(p.channel(`ot-ext#${k}`), 0, 1);
            res[k] = await ot.random(64 + 8 * k);
          }),
        );
        return res;
      }),
    );
    for (let k = 0; k < instances; k++) {
      const s = outs[0]![k] as OtSenderOutput;
      const r = outs[1]![k] as OtReceiverOutput;
      expect(r.choices.length).toBe(64 + 8 * k);
      r.choices.forEach((c, i) => {
        const block = (m: Uint8Array) => m.subarray(16 * i, 16 * i + 16);
        expect(block(r.m)).toEqual(block(c ? s.m1 : s.m0));
      });
    }
  });
});

const dealer = (): SuiteFactory =>
  semi2kFactory({ preprocessing: 'insecureDealer', allowInsecureDealer: true });

/** Suites that fork, with how many concurrent instances to run under each. */
const SUITES: Array<{ label: string; suite: string | SuiteFactory; parties: number; k: number }> = [
  { label: 'rep3 n=3', suite: 'rep3', parties: 3, k: 20 },
  { label: 'shamir n=3', suite: 'shamir', parties: 3, k: 20 },
  { label: 'semi2k (dealer) n=2', suite: dealer(), parties: 2, k: 20 },
  { label: 'semi2k (dealer) n=3', suite: dealer(), parties: 3, k: 20 },
  // OT preprocessing: each fork runs its own base OTs, so fewer instances.
  { label: 'semi2k (OT) n=2', suite: 'semi2k', parties: 2, k: 3 },
  { label: 'plaintext n=3', suite: 'plaintext', parties: 3, k: 20 },
];

/**
 * k instances, each on channel 'inst/<i>': a product, a comparison and a
 * product of the product, revealed on the channel. Every party starts them in
 * its own random order, after random delays.
 */
async function instances(s: Session, k: number, xs: number[], ys: number[]) {
  const me = s.parties.indexOf(s.me);
  const rng = testRng(31 + me);
  const X = s.input('p1', int(16), s.me === 'p1' ? xs : k);
  const Y = s.input('p2', int(16), s.me === 'p2' ? ys : k);
  const out: Array<[bigint, boolean, bigint]> = new Array(k);
  await Promise.all(
    permutation(k, rng).map(async (i) => {
      await sleep(Math.floor(rng() * 5));
      const c = await s.channel(`inst/${i}`);
      const x = c.adopt(X.at(i));
      const y = c.adopt(Y.at(i));
      if (rng() < 0.5) await sleep(1);
      const xy = x.mul(y);
      const [p, lt, q] = await c.revealAll([xy, x.lt(y), xy.mul(x)]);
      out[i] = [(p as bigint[])[0]!, (lt as boolean[])[0]!, (q as bigint[])[0]!];
    }),
  );
  return out;
}

describe('concurrent instances on channels, under every suite that forks', () => {
  it.each(SUITES)('$label: results equal plaintext', async ({ suite, parties: n, k }) => {
    const rng = testRng(k + n);
    const edges = [0, -1, 1, 32767, -32768];
    const xs = Array.from({ length: k }, (_, i) => edges[i] ?? Math.floor(rng() * 65536) - 32768);
    const ys = Array.from({ length: k }, (_, i) =>
      i === 1 ? -1 : i === 3 ? -32768 : Math.floor(rng() * 65536) - 32768,
    );
    const outs = await runLocal((s) => instances(s, k, xs, ys), {
      suite,
      parties: n,
      crypto: nodeCryptoProvider,
      roundTimeoutMs: 20_000,
      reorder: testRng(3),
    });
    const want = xs.map((x, i) => {
      const p = BigInt(x) * BigInt(ys[i]!);
      return [p, x < ys[i]!, p * BigInt(x)];
    });
    for (const o of outs) expect(o.result).toEqual(want);
  });

  // p1 runs the instances one after another, the others all at once.
  const skewedProducts = (onChannels: boolean) => async (s: Session) => {
    const X = s.input('p1', int(16), s.me === 'p1' ? [2, 3, 4, 5] : 4);
    const one = async (i: number) => {
      const c = onChannels ? await s.channel(`inst/${i}`) : s;
      const x = c.adopt(X.at(i));
      return (await x.mul(x).reveal())[0];
    };
    if (s.me !== 'p1') return Promise.all([0, 1, 2, 3].map(one));
    const out = [];
    for (const i of [0, 1, 2, 3]) out.push(await one(i));
    return out;
  };

  it('rep3: instances skewed in time agree on channels of their own', async () => {
    const outs = await runLocal(skewedProducts(true), { suite: 'rep3', parties: 3 });
    for (const o of outs) expect(o.result).toEqual([4n, 9n, 16n, 25n]);
  });

  it('negative control, rep3: the same skew on one channel is a divergence naming the peer', async () => {
    const t0 = Date.now();
    const err = (await runLocal(skewedProducts(false), {
      suite: 'rep3',
      parties: 3,
      roundTimeoutMs: 5_000,
    }).catch((e: unknown) => e)) as ProtocolAbort;
    expect(err).toBeInstanceOf(ProtocolAbort);
    expect(err.reason).toBe('divergence');
    expect(err.message).toMatch(/^protocol aborted: divergence \(peer p[123]\): default channel: /);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it.each([
    ['spdz2k', 2],
    ['yao', 2],
  ] as const)('%s: refuses channels with a clear error (no fork yet)', async (suite, n) => {
    await expect(
      runLocal((s) => s.channel('x'), { suite, parties: n, crypto: nodeCryptoProvider }),
    ).rejects.toThrow(`channel: the ${suite} suite cannot run on channels`);
  });

  it('adopt refuses a secret of another computation', async () => {
    const outs = await runLocal(
      async (s) => {
        const other = await runLocal(async (t) => t.constant(int(8), 1), {
          suite: 'plaintext',
          parties: 1,
        });
        return (() => {
          try {
            s.adopt(other[0]!.result);
            return 'adopted';
          } catch (e) {
            return (e as Error).message;
          }
        })();
      },
      { suite: 'plaintext', parties: 1 },
    );
    expect(outs[0]!.result).toBe('adopt: the secret belongs to another computation');
  });
});
