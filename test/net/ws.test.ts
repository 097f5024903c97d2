/**
 * The WebSocket carrier over real sockets on 127.0.0.1: a computation with
 * the in-memory result, large messages, and the refusals it shares with raw
 * TLS (pinned certificates) plus its own (wrong path, plain HTTPS requests).
 */
import { request } from 'node:https';
import { connect as tcpConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../src/adapters/node/crypto.js';
import { ConnectError } from '../../src/adapters/node/net/errors.js';
import { WsEndpoint, WS_PATH } from '../../src/adapters/node/net/ws.js';
import { runLocal } from '../../src/api/run.js';
import { Session } from '../../src/api/session.js';
import { int } from '../../src/api/types.js';
import { Party } from '../../src/runtime/party.js';
import { suiteByName } from '../../src/suites/index.js';
import { bounded, connectAll, identity, listenAll, type Listen } from './helpers.js';

const listenWs: Listen = (o) => WsEndpoint.listen(o);
const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

async function program(s: Session) {
  const a = s.input('p1', int(16), s.me === 'p1' ? [5, -7, 1000] : 3);
  const b = s.input('p2', int(16), s.me === 'p2' ? [3, 4, -2] : 3);
  return Promise.all([a.mul(b).reveal(), a.lt(b).reveal()]);
}

describe('WebSocket carrier', () => {
  it('runs a rep3 program with 3 parties, with the same result as in memory', async () => {
    const net = await listenAll(3, 'p', listenWs);
    net.endpoints.forEach((e) => open.push(e));
    const ts = await connectAll(net);
    ts.forEach((t) => open.push(t));
    const ids = ['p1', 'p2', 'p3'];
    const got = await bounded(
      Promise.all(
        ts.map(async (t) => {
          const party = new Party({ ids, transport: t, crypto: nodeCryptoProvider });
          const suite = suiteByName('rep3').create(party);
          await suite.setup();
          return program(new Session(suite, party));
        }),
      ),
      30_000,
      'rep3 over ws',
    );
    const want = await runLocal(program, { suite: 'rep3', parties: 3, crypto: nodeCryptoProvider });
    for (const r of got) expect(r).toEqual(want[0]!.result);
    expect(got[0]).toEqual([
      [15n, -28n, -2000n],
      [false, true, false],
    ]);
  });

  it('carries large messages intact and in any asked order', async () => {
    const net = await listenAll(2, 'p', listenWs);
    net.endpoints.forEach((e) => open.push(e));
    const ts = await connectAll(net);
    ts.forEach((t) => open.push(t));
    const big = new Uint8Array(5 * 1024 * 1024).map((_, i) => i * 13);
    ts[1]!.send(0, 1, big);
    ts[1]!.send(0, 2, Uint8Array.of(9));
    expect([...(await ts[0]!.receive(1, 2, 10_000))]).toEqual([9]);
    const r = await ts[0]!.receive(1, 1, 10_000);
    expect(Buffer.compare(Buffer.from(r), Buffer.from(big))).toBe(0);
    ts[1]!.close();
    await expect(ts[0]!.receive(1, 3, 10_000)).rejects.toMatchObject({
      reason: 'peer-closed',
      peer: 1,
    });
  });

  it('refuses a peer whose certificate does not match the pinned fingerprint', async () => {
    const net = await listenAll(2, 'p', listenWs);
    net.endpoints.forEach((e) => open.push(e));
    const impostor = await identity('impostor');
    const wrong = net.peers.map((p, i) =>
      i === 1 ? { ...p, fingerprint: impostor.fingerprint } : p,
    );
    const [a, b] = await Promise.allSettled([
      net.endpoints[0]!.connect({
        self: 0,
        peers: wrong,
        sessionId: 'test',
        connectTimeoutMs: 3_000,
      }),
      net.endpoints[1]!.connect({
        self: 1,
        peers: net.peers,
        sessionId: 'test',
        connectTimeoutMs: 3_000,
      }),
    ]);
    expect(a).toMatchObject({
      status: 'rejected',
      reason: { reason: 'certificate', peerId: 'p2' },
    });
    expect(b).toMatchObject({ status: 'rejected', reason: { peerId: 'p1' } });
  });

  it('answers plain HTTPS requests with 404, logs plaintext connections, and fails to dial a wrong path', async () => {
    const net = await listenAll(2, 'p', listenWs);
    net.endpoints.forEach((e) => open.push(e));
    const port = net.endpoints[1]!.port;
    const pending = net.endpoints[1]!.connect({
      self: 1,
      peers: net.peers,
      sessionId: 'test',
      connectTimeoutMs: 3_000,
    });
    pending.catch(() => {});
    const me = net.ids[0]!;
    const status = await bounded(
      new Promise<number | undefined>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: WS_PATH,
            key: me.key,
            cert: me.cert,
            rejectUnauthorized: false,
          },
          (res) => {
            res.resume();
            resolve(res.statusCode);
          },
        );
        req.on('error', reject);
        req.end();
      }),
      10_000,
      'https request',
    );
    expect(status).toBe(404);
    const plain = tcpConnect(port, '127.0.0.1');
    plain.on('error', () => {});
    plain.write('GET / HTTP/1.1\r\n\r\n');
    await bounded(new Promise((r) => plain.once('close', r)), 10_000, 'plaintext close');
    expect(net.logs[1]!.join('\n')).toMatch(
      /refused connection from 127\.0\.0\.1:\d+: TLS handshake failed/,
    );
    // A dialer pointed at a plain HTTPS server path gets an HTTP answer, not an upgrade.
    const other = await WsEndpoint.listen({
      host: '127.0.0.1',
      port: 0,
      key: me.key,
      cert: me.cert,
    });
    open.push(other);
    const err = (await other
      .connect({
        self: 0,
        peers: [
          { id: 'p1', host: '127.0.0.1', port: other.port, fingerprint: me.fingerprint },
          {
            id: 'x',
            host: '127.0.0.1',
            port: (await httpsServer(me)).port,
            fingerprint: me.fingerprint,
          },
        ],
        sessionId: 'test',
        connectTimeoutMs: 3_000,
      })
      .catch((e: unknown) => e)) as ConnectError;
    expect(err).toBeInstanceOf(ConnectError);
    expect(err).toMatchObject({ reason: 'handshake', peerId: 'x' });
    expect(err.message).toMatch(/answered HTTP 403/);
  });
});

/** An HTTPS server that answers every request, upgrades included, with 403. */
async function httpsServer(idn: { key: string; cert: string }): Promise<{ port: number }> {
  const { createServer } = await import('node:https');
  const server = createServer({ key: idn.key, cert: idn.cert }, (_req, res) =>
    res.writeHead(403).end(),
  );
  server.on('upgrade', (_req, socket) =>
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  open.push(server);
  return { port: (server.address() as { port: number }).port };
}
