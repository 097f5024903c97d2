/** The round engine: batching, matching under reordering, and faults that end cleanly. */
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { createMemoryNetwork } from '../transport/memory.js';
import { TransportError, type Transport } from '../transport/transport.js';
import { ProtocolAbort } from './errors.js';
import { Party } from './party.js';

function parties(
  n: number,
  roundTimeoutMs = 2000,
  reorder?: () => number,
): { ps: Party[]; ts: Transport[] } {
  const ts = createMemoryNetwork(n, 'test', reorder ? { reorder } : {});
  const ids = Array.from({ length: n }, (_, i) => `p${i + 1}`);
  return {
    ps: ts.map((t) => new Party({ ids, transport: t, crypto: nodeCryptoProvider, roundTimeoutMs })),
    ts,
  };
}

const bytes = (...xs: number[]) => Uint8Array.from(xs);

/** Everyone sends its index to everyone. */
function allToAll(p: Party, tag: number) {
  const send = Array.from({ length: p.n }, (_, j) =>
    j === p.index ? undefined : bytes(p.index, tag),
  );
  const from = Array.from({ length: p.n }, (_, j) => j).filter((j) => j !== p.index);
  return p.exchange({ op: 'test', send, recvFrom: from });
}

describe('Party.exchange', () => {
  it('batches exchanges issued together into one round and keeps them apart', async () => {
    const { ps } = parties(3);
    const results = await Promise.all(
      ps.map((p) => Promise.all([allToAll(p, 1), allToAll(p, 2), allToAll(p, 3)])),
    );
    results.forEach((perParty, i) => {
      perParty.forEach((got, k) => {
        for (let j = 0; j < 3; j++) {
          if (j === i) expect(got[j]).toBeUndefined();
          else expect(Array.from(got[j]!)).toEqual([j, k + 1]);
        }
      });
    });
    for (const p of ps) {
      expect(p.stats.rounds).toBe(1);
      expect(p.stats.messagesSent).toBe(2);
    }
  });

  it('afterSend runs once the round has left and before it resolves; a throw rejects only its exchange', async () => {
    const { ps } = parties(3);
    const log: string[] = [];
    const outs = await Promise.all(
      ps.map(async (p) => {
        const a = allToAll(p, 1);
        const send = Array.from({ length: p.n }, (_, j) =>
          j === p.index ? undefined : bytes(p.index, 2),
        );
        const from = Array.from({ length: p.n }, (_, j) => j).filter((j) => j !== p.index);
        const b = p.exchange({
          op: 'test',
          send,
          recvFrom: from,
          afterSend: () => {
            // The round's two messages are out; nothing has come back yet.
            log.push(`p${p.index}: sent ${p.stats.messagesSent}, rounds ${p.stats.rounds}`);
            if (p.index === 2) throw new Error('work failed');
          },
        });
        const settled = await Promise.allSettled([a, b]);
        return settled.map((r) => r.status);
      }),
    );
    expect(log).toEqual(['p0: sent 2, rounds 1', 'p1: sent 2, rounds 1', 'p2: sent 2, rounds 1']);
    expect(outs).toEqual([
      ['fulfilled', 'fulfilled'],
      ['fulfilled', 'fulfilled'],
      ['fulfilled', 'rejected'],
    ]);
  });

  it('delivers handed-over large bodies intact beside small and borrowed ones', async () => {
    const { ps } = parties(2);
    // Odd lengths exercise the padding; 100_001 bytes is above the no-copy size.
    const big = (seed: number, n: number) =>
      Uint8Array.from({ length: n }, (_, k) => (k * seed) & 255);
    const sizes = [3, 100_001, 5, 100_000, 0, 70_003];
    const outs = await Promise.all(
      ps.map((p) =>
        Promise.all(
          sizes.map((n, k) =>
            p.exchange({
              op: 'test',
              send: p.index === 0 ? [undefined, big(k + 1, n)] : [undefined, undefined],
              recvFrom: p.index === 1 ? [0] : [],
              handOver: k % 2 === 1 || k === 5,
            }),
          ),
        ),
      ),
    );
    sizes.forEach((n, k) => {
      const got = outs[1]![k]![0]!;
      expect(got.length).toBe(n);
      expect(got).toEqual(big(k + 1, n));
      expect(got.byteOffset % 8).toBe(0);
    });
    expect(ps[0]!.stats.rounds).toBe(1);
    expect(ps[0]!.stats.bytesSent).toBe(ps[1]!.stats.bytesReceived);
  });

  it('matches messages by round when delivery is reordered', async () => {
    let s = 12345;
    const reorder = () => ((s = (s * 1103515245 + 12345) % 2 ** 31), s / 2 ** 31);
    const { ps } = parties(3, 2000, reorder);
    const rounds = 40;
    const outs = await Promise.all(
      ps.map(async (p) => {
        const seen: number[] = [];
        for (let r = 0; r < rounds; r++) {
          const got = await allToAll(p, r);
          seen.push(got[(p.index + 1) % 3]![1]!);
        }
        return seen;
      }),
    );
    for (const o of outs) expect(o).toEqual(Array.from({ length: rounds }, (_, r) => r));
  });

  it('times out a stalled peer within the deadline, naming it', async () => {
    const { ps } = parties(2, 100);
    // p2 never takes part.
    const start = Date.now();
    const err = await allToAll(ps[0]!, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolAbort);
    expect((err as ProtocolAbort).reason).toBe('timeout');
    expect((err as ProtocolAbort).peerId).toBe('p2');
    expect(Date.now() - start).toBeLessThan(5000);
    // Later exchanges fail at once with the same cause.
    await expect(allToAll(ps[0]!, 2)).rejects.toBe(err);
  });

  it('reports a peer that closes its transport', async () => {
    const { ps } = parties(2);
    const pending = allToAll(ps[0]!, 1).catch((e: unknown) => e);
    ps[1]!.close();
    const err = (await pending) as ProtocolAbort;
    expect(err.reason).toBe('peer-closed');
    expect(err.peerId).toBe('p2');
  });

  it('rejects garbage from a peer as malformed', async () => {
    const { ps, ts } = parties(2);
    const pending = ps[0]!
      .exchange({ op: 'test', send: [undefined, undefined], recvFrom: [1] })
      .catch((e: unknown) => e);
    ts[1]!.send(0, 0, bytes(1, 2, 3));
    const err = (await pending) as ProtocolAbort;
    expect(err).toBeInstanceOf(ProtocolAbort);
    expect(err.reason).toBe('malformed');
    expect(err.peerId).toBe('p2');
  });

  it('refuses a round message of another layout version, naming the peer', async () => {
    const { ps, ts } = parties(2);
    const pending = ps[0]!
      .exchange({ op: 'test', send: [undefined, undefined], recvFrom: [1] })
      .catch((e: unknown) => e);
    // Version 1 had no channel sections: u32 count, (seq, length) pairs.
    ts[1]!.send(0, 0, bytes(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    const err = (await pending) as ProtocolAbort;
    expect(err.reason).toBe('malformed');
    expect(err.message).toBe(
      'protocol aborted: malformed (peer p2): round message layout version 1, expected 2',
    );
  });

  it('stops a peer that floods channels this party has not reached, naming it', async () => {
    const ts = createMemoryNetwork(2, 'flood');
    const ids = ['p1', 'p2'];
    const [a, b] = ts.map(
      (t) => new Party({ ids, transport: t, crypto: nodeCryptoProvider, maxUnmatchedBytes: 4096 }),
    );
    // p1 waits on channel 'x'; p2 sends 1 KiB on each of ten other channels first.
    const waiting = a!
      .channel('x')
      .exchange({ op: 'test', send: [undefined, undefined], recvFrom: [1] })
      .catch((e: unknown) => e);
    for (let k = 0; k < 10; k++)
      void b!
        .channel(`other/${k}`)
        .exchange({ op: 'test', send: [new Uint8Array(1024), undefined], recvFrom: [] });
    const err = (await waiting) as ProtocolAbort;
    expect(err.reason).toBe('flood');
    expect(err.peerId).toBe('p2');
    expect(err.message).toMatch(/over the limit of 4096 \(maxUnmatchedBytes\)$/);
  });

  it('detects parties whose programs diverged', async () => {
    const { ps } = parties(2);
    // p1 runs two exchanges in the round, p2 only one.
    const a = Promise.all([allToAll(ps[0]!, 1), allToAll(ps[0]!, 2)]).catch((e: unknown) => e);
    const b = allToAll(ps[1]!, 1).catch((e: unknown) => e);
    const [ea, eb] = await Promise.all([a, b]);
    // The first to notice reports the divergence; its peer then sees it leave.
    const reasons = [(ea as ProtocolAbort).reason, (eb as ProtocolAbort).reason];
    expect(reasons).toContain('divergence');
    for (const r of reasons) expect(['divergence', 'peer-closed']).toContain(r);
  });

  it('rejects a duplicated message for one round', async () => {
    const { ps, ts } = parties(2);
    ts[1]!.send(0, 0, bytes(0, 0, 0, 0, 0, 0, 0, 0));
    ts[1]!.send(0, 0, bytes(0, 0, 0, 0, 0, 0, 0, 0));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    const err = (await ps[0]!
      .exchange({ op: 'test', send: [undefined, undefined], recvFrom: [1] })
      .catch((e: unknown) => e)) as ProtocolAbort;
    expect(err.reason).toBe('duplicate');
  });

  it('aborts at once when the transport reports a fatal failure, whatever it waits for', async () => {
    // A 3-party memory network whose p1 transport can report a violation by p3.
    const { ts } = parties(3, 60_000);
    let report!: (e: TransportError) => void;
    let closed = 0;
    const t = ts[0]!;
    const watched: Transport = {
      self: t.self,
      parties: t.parties,
      sessionId: t.sessionId,
      send: (to, round, payload) => t.send(to, round, payload),
      receive: (from, round, ms) => t.receive(from, round, ms),
      close: () => (closed++, t.close()),
      onFatal: (l) => (report = l),
    };
    const p = new Party({
      ids: ['p1', 'p2', 'p3'],
      transport: watched,
      crypto: nodeCryptoProvider,
      roundTimeoutMs: 60_000,
    });
    // Waits for p2, which never answers; one more exchange is issued but not yet flushed.
    const waiting = p
      .exchange({ op: 'test', send: [undefined, bytes(1), undefined], recvFrom: [1] })
      .catch((e: unknown) => e);
    await new Promise((r) => setImmediate(r));
    const queued = p
      .exchange({ op: 'test', send: [undefined, bytes(2), undefined], recvFrom: [1] })
      .catch((e: unknown) => e);
    const t0 = performance.now();
    report(new TransportError('malformed', 2, 'bad magic'));
    const [a, b] = (await Promise.all([waiting, queued])) as ProtocolAbort[];
    expect(performance.now() - t0).toBeLessThan(1_000);
    for (const e of [a, b, p.failure]) {
      expect(e).toBeInstanceOf(ProtocolAbort);
      expect(e).toMatchObject({ reason: 'malformed', peer: 2, peerId: 'p3' });
      expect(e!.message).toBe('protocol aborted: malformed (peer p3): bad magic');
    }
    expect(closed).toBeGreaterThan(0);
    // Later exchanges fail with the same error.
    await expect(
      p.exchange({ op: 'test', send: [undefined, undefined, undefined], recvFrom: [1] }),
    ).rejects.toBe(p.failure);
  });
});
