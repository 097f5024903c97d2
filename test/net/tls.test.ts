/**
 * The TLS transport over real sockets on 127.0.0.1, all parties in this
 * process: computations under every suite, and the refusals (wrong or
 * missing certificate, plaintext, TLS 1.2), bad frames (garbage, oversized,
 * duplicated, other session), silence, stalls and disconnection, each
 * surfacing as a typed error that names the peer.
 */
import { spawn } from 'node:child_process';
import { createServer as createTcpServer, connect as tcpConnect, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../src/adapters/node/crypto.js';
import { ConnectError, TlsEndpoint, type TlsTransport } from '../../src/adapters/node/net/tls.js';
import { runLocal, type Program } from '../../src/api/run.js';
import { Session } from '../../src/api/session.js';
import { int } from '../../src/api/types.js';
import { Party } from '../../src/runtime/party.js';
import { suiteByName } from '../../src/suites/index.js';
import { encodeFrameHeader, FrameKind, sessionTag } from '../../src/transport/frame.js';
import { TransportError } from '../../src/transport/transport.js';
import { bounded, connectAll, identity, listenAll, Rogue, type Net } from './helpers.js';

const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});
function track<T extends { close(): void }>(x: T): T {
  open.push(x);
  return x;
}
async function session(n: number, opts: Parameters<typeof connectAll>[1] = {}) {
  const net = await listenAll(n);
  net.endpoints.forEach(track);
  const ts = await connectAll(net, opts);
  ts.forEach(track);
  return { net, ts };
}

/** Inputs from p1 and p2, a product, a comparison and a sum: several rounds of each kind. */
const program: Program<{ product: bigint[]; less: boolean[]; total: bigint[] }> = async (s) => {
  const xs = [5, -7, 1000, 0];
  const ys = [3, 4, -2, 9];
  const a = s.input('p1', int(16), s.me === 'p1' ? xs : xs.length);
  const b = s.input('p2', int(16), s.me === 'p2' ? ys : ys.length);
  const [product, less, total] = await Promise.all([
    a.mul(b).reveal(),
    a.lt(b).reveal(),
    a.add(b).sum().reveal(),
  ]);
  return { product, less, total };
};

async function runOverTls<R>(suite: string, ts: TlsTransport[], prog: Program<R>): Promise<R[]> {
  const ids = ts.map((_, i) => `p${i + 1}`);
  const factory = suiteByName(suite);
  return Promise.all(
    ts.map(async (t) => {
      const party = new Party({
        ids,
        transport: t,
        crypto: nodeCryptoProvider,
        roundTimeoutMs: 20_000,
      });
      const s = factory.create(party);
      await s.setup();
      return prog(new Session(s, party));
    }),
  );
}

describe('TLS transport: computations', () => {
  for (const suite of ['rep3', 'shamir', 'plaintext']) {
    it(`runs a program under ${suite} with 3 parties, with the same result as in memory`, async () => {
      const { ts } = await session(3);
      const got = await bounded(runOverTls(suite, ts, program), 30_000, suite);
      const want = await runLocal(program, { suite, parties: 3, crypto: nodeCryptoProvider });
      for (const r of got) expect(r).toEqual(want[0]!.result);
      expect(got[0]).toEqual({
        product: [15n, -28n, -2000n, 0n],
        less: [false, true, false, true],
        total: [1012n],
      });
    });
  }

  it('delivers messages by (sender, round) whatever order they are asked for, large ones intact', async () => {
    const { ts } = await session(2);
    const big = new Uint8Array(9 * 1024 * 1024).map((_, i) => i * 7);
    ts[0]!.send(1, 1, Uint8Array.of(1));
    ts[0]!.send(1, 2, big);
    ts[0]!.send(1, 5, Uint8Array.of(5));
    // A payload given as parts arrives as their concatenation.
    ts[0]!.send(1, 6, [Uint8Array.of(6, 6), big.subarray(0, 200_000), Uint8Array.of(7)]);
    ts[0]!.send(1, 7, [Uint8Array.of(1), Uint8Array.of(2, 3)]);
    const r7 = await ts[1]!.receive(0, 7, 10_000);
    const r6 = await ts[1]!.receive(0, 6, 10_000);
    expect([...r7]).toEqual([1, 2, 3]);
    expect(r6.length).toBe(200_003);
    expect([r6[0], r6[1], r6[200_002]]).toEqual([6, 6, 7]);
    expect(
      Buffer.compare(Buffer.from(r6.subarray(2, 200_002)), Buffer.from(big.subarray(0, 200_000))),
    ).toBe(0);
    const r5 = await ts[1]!.receive(0, 5, 10_000);
    const r2 = await ts[1]!.receive(0, 2, 10_000);
    const r1 = await ts[1]!.receive(0, 1, 10_000);
    expect([...r5]).toEqual([5]);
    expect([...r1]).toEqual([1]);
    expect(r2.length).toBe(big.length);
    expect(Buffer.compare(Buffer.from(r2), Buffer.from(big))).toBe(0);
    // A round the sender skipped can never come: refused at once, naming the peer.
    await expect(ts[1]!.receive(0, 3, 10_000)).rejects.toMatchObject({
      reason: 'malformed',
      peer: 0,
    });
  });

  it('sends heartbeats on an idle link', async () => {
    const net = await listenAll(2);
    net.endpoints.forEach(track);
    const rogue = await Rogue.dial(net.endpoints[1]!.port, net.ids[0]!);
    track({ close: () => rogue.socket.destroy() });
    rogue.hello(0, 2);
    const t = track(
      await net.endpoints[1]!.connect({
        self: 1,
        peers: net.peers,
        sessionId: 'test',
        heartbeatMs: 20,
        idleTimeoutMs: 60_000,
      }),
    );
    await rogue.until(() => rogue.frames.filter((f) => f.kind === FrameKind.heartbeat).length >= 3);
    expect(rogue.frames[0]!.kind).toBe(FrameKind.hello);
    expect(t.parties).toBe(2);
  });

  it('refuses non-increasing rounds and oversized messages at the sender', async () => {
    const { ts } = await session(2, { maxFrameBytes: 1024 });
    ts[0]!.send(1, 3, new Uint8Array(1));
    expect(() => ts[0]!.send(1, 3, new Uint8Array(1))).toThrow(RangeError);
    expect(() => ts[0]!.send(1, 4, new Uint8Array(1024))).toThrow(/exceeds maxFrameBytes/);
    expect(() => ts[0]!.send(0, 4, new Uint8Array(1))).toThrow(RangeError);
  });
});

describe('TLS transport: authentication', () => {
  it('refuses a peer whose certificate does not match the pinned fingerprint', async () => {
    const net = await listenAll(2);
    net.endpoints.forEach(track);
    const impostor = await identity('impostor');
    // p1's federation pins the impostor's certificate for p2.
    const wrong = net.peers.map((p, i) =>
      i === 1 ? { ...p, fingerprint: impostor.fingerprint } : p,
    );
    const [a, b] = await Promise.allSettled([
      net.endpoints[0]!.connect({
        self: 0,
        peers: wrong,
        sessionId: 'test',
        connectTimeoutMs: 5_000,
      }),
      net.endpoints[1]!.connect({
        self: 1,
        peers: net.peers,
        sessionId: 'test',
        connectTimeoutMs: 5_000,
      }),
    ]);
    expect(a.status).toBe('rejected');
    const e = (a as PromiseRejectedResult).reason as ConnectError;
    expect(e).toBeInstanceOf(ConnectError);
    expect(e.reason).toBe('certificate');
    expect(e.peerId).toBe('p2');
    expect(e.message).toContain(net.ids[1]!.fingerprint);
    // p2 learns that p1 hung up before greeting (it may have refused p2's certificate).
    expect(b.status).toBe('rejected');
    expect((b as PromiseRejectedResult).reason).toMatchObject({ peerId: 'p1' });
    expect(['refused', 'timeout']).toContain(
      ((b as PromiseRejectedResult).reason as ConnectError).reason,
    );
  });

  it('refuses connections with unknown certificates, without certificates, in plaintext or TLS 1.2, and still links the real peer', async () => {
    const net = await listenAll(2);
    net.endpoints.forEach(track);
    const port = net.endpoints[1]!.port;
    // p2 waits for p1 while strangers knock.
    const second = net.endpoints[1]!.connect({ self: 1, peers: net.peers, sessionId: 'test' });
    const stranger = await Rogue.dial(port, await identity('stranger'));
    await stranger.until(() => stranger.closed);
    // Plaintext: bytes that are not a TLS ClientHello.
    const plain = tcpConnect(port, '127.0.0.1');
    plain.on('error', () => {});
    plain.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await bounded(new Promise((r) => plain.once('close', r)), 10_000, 'plaintext close');
    await expect(Rogue.dial(port, net.ids[0]!, { maxVersion: 'TLSv1.2' })).rejects.toThrow();
    const ts = await Promise.all([
      net.endpoints[0]!.connect({ self: 0, peers: net.peers, sessionId: 'test' }),
      second,
    ]);
    ts.forEach(track);
    ts[0]!.send(1, 1, Uint8Array.of(42));
    expect([...(await ts[1]!.receive(0, 1, 10_000))]).toEqual([42]);
    const log = net.logs[1]!.join('\n');
    expect(log).toMatch(
      /refused connection from 127\.0\.0\.1:\d+: certificate [0-9A-F:]+ is not in the federation/,
    );
    expect(log).toMatch(/refused connection from 127\.0\.0\.1:\d+: TLS handshake failed/);
    expect(log.match(/TLS handshake failed/g)!.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses a client that presents no certificate', async () => {
    const net = await listenAll(2);
    net.endpoints.forEach(track);
    const { connect } = await import('node:tls');
    const s = connect({
      host: '127.0.0.1',
      port: net.endpoints[1]!.port,
      rejectUnauthorized: false,
      ALPNProtocols: ['entente/1'],
    });
    s.on('error', () => {});
    await bounded(new Promise((r) => s.once('close', r)), 10_000, 'close');
    await bounded(
      (async () => {
        while (!net.logs[1]!.some((l) => l.includes('no client certificate')))
          await new Promise((r) => setImmediate(r));
      })(),
      10_000,
      'refusal logged',
    );
  });

  it('fails to dial a peer that speaks plaintext, naming it', async () => {
    const me = await identity('p1');
    const other = await identity('p2');
    const server: Server = createTcpServer((c) => {
      c.on('error', () => {});
      c.end('hello\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    track(server);
    const port = (server.address() as { port: number }).port;
    const ep = track(
      await TlsEndpoint.listen({ host: '127.0.0.1', port: 0, key: me.key, cert: me.cert }),
    );
    const err = await ep
      .connect({
        self: 0,
        peers: [
          { id: 'p1', host: '127.0.0.1', port: ep.port, fingerprint: me.fingerprint },
          { id: 'p2', host: '127.0.0.1', port, fingerprint: other.fingerprint },
        ],
        sessionId: 'test',
        connectTimeoutMs: 5_000,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).peerId).toBe('p2');
    expect(['handshake', 'unreachable']).toContain((err as ConnectError).reason);
  });

  it('fails to dial a TLS 1.2-only peer with a handshake error', async () => {
    const me = await identity('p1');
    const other = await identity('p2');
    const server = createTlsServer({ key: other.key, cert: other.cert, maxVersion: 'TLSv1.2' });
    server.on('tlsClientError', () => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    track(server);
    const port = (server.address() as { port: number }).port;
    const ep = track(
      await TlsEndpoint.listen({ host: '127.0.0.1', port: 0, key: me.key, cert: me.cert }),
    );
    const err = (await ep
      .connect({
        self: 0,
        peers: [
          { id: 'p1', host: '127.0.0.1', port: ep.port, fingerprint: me.fingerprint },
          { id: 'p2', host: '127.0.0.1', port, fingerprint: other.fingerprint },
        ],
        sessionId: 'test',
        connectTimeoutMs: 5_000,
      })
      .catch((e: unknown) => e)) as ConnectError;
    expect(err).toMatchObject({ reason: 'handshake', peerId: 'p2' });
  });

  it('gives up on an unreachable peer after bounded retries, naming it', async () => {
    const me = await identity('p1');
    const other = await identity('p2');
    // A port that was free a moment ago: nothing listens there.
    const { freePorts } = await import('../../src/cli/net.js');
    const [port] = await freePorts(1);
    const ep = track(
      await TlsEndpoint.listen({ host: '127.0.0.1', port: 0, key: me.key, cert: me.cert }),
    );
    const err = (await ep
      .connect({
        self: 0,
        peers: [
          { id: 'p1', host: '127.0.0.1', port: ep.port, fingerprint: me.fingerprint },
          { id: 'p2', host: '127.0.0.1', port: port!, fingerprint: other.fingerprint },
        ],
        sessionId: 'test',
        connectTimeoutMs: 400,
        retryDelayMs: 20,
      })
      .catch((e: unknown) => e)) as ConnectError;
    expect(err).toMatchObject({ reason: 'unreachable', peerId: 'p2' });
    expect(err.message).toMatch(/ECONNREFUSED/);
    // Retried: on 127.0.0.1 every 20 ms at most (endpoint.ts), so about 20 attempts in 400 ms.
    expect(err.message).toMatch(/after ([2-9]|[1-9]\d+) attempt/);
  });

  it('waits a bounded time for a lower-index peer that never dials', async () => {
    const net = await listenAll(2);
    net.endpoints.forEach(track);
    const err = (await net.endpoints[1]!.connect({
      self: 1,
      peers: net.peers,
      sessionId: 'test',
      connectTimeoutMs: 300,
    }).catch((e: unknown) => e)) as ConnectError;
    expect(err).toMatchObject({ reason: 'timeout', peerId: 'p1' });
  });

  it('refuses a peer of another session at its hello', async () => {
    const net = await listenAll(2);
    net.endpoints.forEach(track);
    const [a, b] = await Promise.allSettled([
      net.endpoints[0]!.connect({
        self: 0,
        peers: net.peers,
        sessionId: 'one',
        connectTimeoutMs: 5_000,
      }),
      net.endpoints[1]!.connect({
        self: 1,
        peers: net.peers,
        sessionId: 'two',
        connectTimeoutMs: 5_000,
      }),
    ]);
    expect(a).toMatchObject({
      status: 'rejected',
      reason: { reason: 'wrong-session', peerId: 'p2' },
    });
    expect(b).toMatchObject({
      status: 'rejected',
      reason: { reason: 'wrong-session', peerId: 'p1' },
    });
  });
});

/** Party p2 (index 1) linked to a hand-driven p1 (index 0). */
async function withRogue(
  opts: {
    maxFrameBytes?: number;
    idleTimeoutMs?: number;
    heartbeatMs?: number;
    maxQueuedBytes?: number;
  } = {},
) {
  const net: Net = await listenAll(2);
  net.endpoints.forEach(track);
  const rogue = await Rogue.dial(net.endpoints[1]!.port, net.ids[0]!);
  track({ close: () => rogue.socket.destroy() });
  rogue.hello(0, 2);
  const t = track(
    await net.endpoints[1]!.connect({ self: 1, peers: net.peers, sessionId: 'test', ...opts }),
  );
  return { net, rogue, t };
}

async function failure(p: Promise<unknown>): Promise<TransportError> {
  const e = await bounded(
    p.then(
      () => undefined,
      (x: unknown) => x,
    ),
    20_000,
    'receive',
  );
  expect(e).toBeInstanceOf(TransportError);
  return e as TransportError;
}

describe('TLS transport: bad frames and failing peers', () => {
  it('refuses garbage bytes as malformed, naming the peer; nothing more is delivered', async () => {
    const { rogue, t } = await withRogue();
    rogue.data(0, 1, Uint8Array.of(1, 2, 3));
    rogue.write(new TextEncoder().encode('this is not a frame at all, not even close'));
    const e = await failure(t.receive(0, 2, 20_000));
    expect(e).toMatchObject({ reason: 'malformed', peer: 0 });
    expect(e.message).toMatch(/bad magic/);
    // After a violation, even the intact earlier message is withheld.
    await expect(t.receive(0, 1, 1_000)).rejects.toMatchObject({ reason: 'malformed' });
    await rogue.until(() => rogue.closed);
  });

  it('refuses an oversized frame from its length field', async () => {
    const { rogue, t } = await withRogue({ maxFrameBytes: 4096 });
    const pending = t.receive(0, 1, 20_000);
    const h = encodeFrameHeader(
      { kind: FrameKind.data, sender: 0, round: 1, session: sessionTag('test') },
      0,
    );
    new DataView(h.buffer).setUint32(8, 0xfffffff0, true);
    rogue.write(h);
    const e = await failure(pending);
    expect(e).toMatchObject({ reason: 'oversized', peer: 0 });
    expect(e.message).toContain('4096');
  });

  it('refuses a duplicated (sender, round) frame', async () => {
    const { rogue, t } = await withRogue();
    rogue.data(0, 4, Uint8Array.of(1));
    rogue.data(0, 4, Uint8Array.of(2));
    const e = await failure(t.receive(0, 4, 20_000).then(() => t.receive(0, 5, 20_000)));
    expect(e).toMatchObject({ reason: 'duplicate', peer: 0 });
  });

  it('refuses a frame of another session and a frame claiming another sender', async () => {
    const a = await withRogue();
    a.rogue.data(0, 1, Uint8Array.of(1), 'other-session');
    expect(await failure(a.t.receive(0, 1, 20_000))).toMatchObject({
      reason: 'wrong-session',
      peer: 0,
    });
    const b = await withRogue();
    b.rogue.data(2, 1, Uint8Array.of(1));
    expect(await failure(b.t.receive(0, 1, 20_000))).toMatchObject({
      reason: 'malformed',
      peer: 0,
    });
  });

  it('times out a stalled peer at the receive deadline (it still sends heartbeats)', async () => {
    const { t } = await withRogue();
    const e = await failure(t.receive(0, 1, 200));
    expect(e).toMatchObject({ reason: 'timeout', peer: 0 });
    expect(e.message).toMatch(/round 1 within 200 ms/);
  });

  it('declares a silent peer dead after the idle timeout, even with no deadline', async () => {
    const { t } = await withRogue({ heartbeatMs: 50, idleTimeoutMs: 300 });
    const e = await failure(t.receive(0, 1, Infinity));
    expect(e).toMatchObject({ reason: 'timeout', peer: 0 });
    expect(e.message).toMatch(/no data or heartbeat/);
  });

  it('does not take a live peer for silent after this process was busy longer than the idle timeout', async () => {
    // The peer runs in its own process, so it keeps sending heartbeats while this event loop is blocked.
    const net = await listenAll(2);
    net.endpoints.forEach(track);
    net.endpoints[0]!.close();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'test/net/fixtures/echo-peer.ts',
        JSON.stringify({
          peers: net.peers,
          key: net.ids[0]!.key,
          cert: net.ids[0]!.cert,
          heartbeatMs: 20,
          idleTimeoutMs: 60_000,
        }),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    track({ close: () => child.kill('SIGKILL') });
    const t = track(
      await net.endpoints[1]!.connect({
        self: 1,
        peers: net.peers,
        sessionId: 'test',
        heartbeatMs: 20,
        idleTimeoutMs: 300,
        connectTimeoutMs: 20_000,
      }),
    );
    t.send(0, 0, Uint8Array.of(1));
    expect([...(await t.receive(0, 0, 10_000))]).toEqual([1]);
    // Busy for 4 idle timeouts: the liveness check fires late, but reads the heartbeats waiting in the socket first.
    const until = Date.now() + 1_200;
    while (Date.now() < until) {
      /* busy */
    }
    // The echo needs the event loop to turn, so the late liveness check has run by then.
    t.send(0, 1, Uint8Array.of(2));
    expect([...(await t.receive(0, 1, 10_000))]).toEqual([2]);
    expect(t.linkFailure(0)).toBeUndefined();
  });

  it('reports a disconnected peer promptly to pending and later receives; delivers what arrived first', async () => {
    const { rogue, t } = await withRogue();
    rogue.data(0, 1, Uint8Array.of(7));
    const pending = t.receive(0, 2, 60_000);
    expect([...(await t.receive(0, 1, 10_000))]).toEqual([7]);
    rogue.socket.end();
    expect(await failure(pending)).toMatchObject({ reason: 'peer-closed', peer: 0 });
    expect(await failure(t.receive(0, 3, 60_000))).toMatchObject({
      reason: 'peer-closed',
      peer: 0,
    });
    // Sending to a peer that is gone is silent (its failure shows at receive), like the in-memory transport.
    expect(() => t.send(0, 1, Uint8Array.of(1))).not.toThrow();
  });

  it('bounds what it queues for a peer that does not read', async () => {
    const { rogue, t } = await withRogue({
      maxQueuedBytes: 2 * 1024 * 1024,
      maxFrameBytes: 2 * 1024 * 1024,
    });
    rogue.socket.pause();
    const chunk = new Uint8Array(1024 * 1024);
    let round = 0;
    // The kernel buffers absorb a few MiB; keep sending until the link gives up (bounded).
    while (t.linkFailure(0) === undefined && round < 200) {
      t.send(0, ++round, chunk);
      await new Promise((r) => setImmediate(r));
    }
    const e = t.linkFailure(0)!;
    expect(e).toMatchObject({ reason: 'timeout', peer: 0 });
    expect(e.message).toMatch(/not reading/);
    expect(await failure(t.receive(0, 1, 60_000))).toBe(e);
  });

  it('rejects pending receives with closed when this side closes', async () => {
    const { t } = await withRogue();
    const pending = t.receive(0, 1, 60_000);
    t.close();
    expect(await failure(pending)).toMatchObject({ reason: 'closed', peer: 0 });
    expect(() => t.send(0, 1, Uint8Array.of(1))).toThrow(TransportError);
  });
});
