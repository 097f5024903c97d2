/**
 * The WebSocket carrier: the same frames, links and rules as the raw TLS
 * carrier (docs/WIRE.md), carried by WebSocket binary messages over TLS 1.3
 * (wss), for networks that pass only HTTPS (proxies, load balancers, ingress).
 *
 * Assumes and protects the same as tls.ts: one connection per pair, dialled
 * by the lower index, both certificates pinned by fingerprint after the TLS
 * handshake (the WebSocket upgrade happens inside the authenticated channel).
 * The WebSocket layer adds nothing to security: frames form a byte stream cut
 * into messages arbitrarily, and the frame decoder reassembles it. Compression
 * (permessage-deflate) is off: it costs CPU on random-looking shares and would
 * let message sizes depend on content.
 *
 * Browsers cannot present client certificates to a WebSocket in a way a page
 * controls, so this carrier links Node parties only, for now.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createWebSocketStream, WebSocket, WebSocketServer } from 'ws';
import { DEFAULT_MAX_FRAME_BYTES } from '../../../transport/frame.js';
import { checkTls, Endpoint, type Conn, type Dialer, type TlsEndpointOptions } from './endpoint.js';
import { ConnectError } from './errors.js';
import { describeError } from './link.js';

/** The HTTP path of the upgrade request. */
export const WS_PATH = '/entente/1';
/** The WebSocket subprotocol (Sec-WebSocket-Protocol) both sides require. */
export const WS_PROTOCOL = 'entente.v1';

export interface WsEndpointOptions extends TlsEndpointOptions {
  /** Largest WebSocket message accepted; at least the session's maxFrameBytes. Default 256 MiB. */
  readonly maxMessageBytes?: number;
}

/** A listening wss:// endpoint; `connect()` then establishes the links of one session. */
export class WsEndpoint extends Endpoint {
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #maxMessageBytes: number;

  private constructor(server: Server, wss: WebSocketServer, opts: WsEndpointOptions) {
    super(opts, undefined);
    this.#server = server;
    this.#wss = wss;
    this.#maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /**
   * Binds `host:port` and accepts WebSocket upgrades at WS_PATH over TLS 1.3
   * with a client certificate.
   * @throws {Error} if the address cannot be bound.
   */
  static async listen(opts: WsEndpointOptions): Promise<WsEndpoint> {
    const server = createServer({
      key: opts.key,
      cert: opts.cert,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      // Certificates are self-signed: verification is the fingerprint check after the handshake.
      requestCert: true,
      rejectUnauthorized: false,
      handshakeTimeout: opts.handshakeTimeoutMs ?? 10_000,
    });
    const wss = new WebSocketServer({
      server,
      path: WS_PATH,
      perMessageDeflate: false,
      maxPayload: opts.maxMessageBytes ?? DEFAULT_MAX_FRAME_BYTES,
      handleProtocols: (offered) => (offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
    });
    const ep = new WsEndpoint(server, wss, opts);
    wss.on('connection', (ws, req) => {
      const tls = req.socket as TLSSocket;
      tls.setNoDelay(true);
      if (ws.protocol !== WS_PROTOCOL) {
        ep.log(
          `refused connection from ${tls.remoteAddress}:${tls.remotePort}: WebSocket subprotocol '${ws.protocol}', '${WS_PROTOCOL}' required`,
        );
        ws.terminate();
        return;
      }
      ep.offer({ tls, stream: createWebSocketStream(ws) });
    });
    wss.on('error', (e) => ep.log(`listener error: ${describeError(e)}`));
    // Plain HTTPS requests (not upgrades) get a 404 and nothing else.
    server.on('request', (_req, res) => {
      res.writeHead(404).end();
    });
    server.on('tlsClientError', (err, s) => {
      ep.log(
        `refused connection from ${s.remoteAddress}:${s.remotePort}: TLS handshake failed (${describeError(err)})`,
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => ep.log(`listener error: ${describeError(e)}`));
    return ep;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  protected stopListening(): void {
    // Stop accepting; links already upgraded keep their sockets.
    this.#server.close();
    this.#wss.close();
  }

  protected dial: Dialer = (j, p, budgetMs) =>
    new Promise<Conn>((resolve, reject) => {
      const host = p.host.includes(':') ? `[${p.host}]` : p.host;
      const url = `wss://${host}:${p.port}${WS_PATH}`;
      const ws = new WebSocket(url, WS_PROTOCOL, {
        key: this.opts.key,
        cert: this.opts.cert,
        minVersion: 'TLSv1.3',
        maxVersion: 'TLSv1.3',
        // The peer is identified by its pinned certificate; ws sends SNI only for host names.
        rejectUnauthorized: false,
        perMessageDeflate: false,
        maxPayload: this.#maxMessageBytes,
        handshakeTimeout: budgetMs,
      });
      let tls: TLSSocket | undefined;
      let settled = false;
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        ws.terminate();
        reject(e);
      };
      ws.on('upgrade', (res) => {
        tls = res.socket as TLSSocket;
      });
      ws.on('error', (e: NodeJS.ErrnoException) => {
        const code = e.code ?? '';
        // TLS alerts: retrying cannot help.
        if (code.startsWith('ERR_SSL') || code === 'EPROTO' || code.startsWith('ERR_TLS'))
          fail(
            new ConnectError(
              'handshake',
              j,
              p.id,
              `TLS handshake with ${p.host}:${p.port} failed (${describeError(e)})`,
            ),
          );
        else fail(e);
      });
      ws.on('unexpected-response', (_req, res) => {
        fail(
          new ConnectError(
            'handshake',
            j,
            p.id,
            `${url} answered HTTP ${res.statusCode} instead of a WebSocket upgrade`,
          ),
        );
      });
      ws.once('open', () => {
        if (settled) return;
        const bad = tls ? checkTls(tls, undefined) : 'no TLS socket';
        if (bad || !tls) return fail(new ConnectError('handshake', j, p.id, bad ?? 'no TLS'));
        settled = true;
        tls.setNoDelay(true);
        resolve({ tls, stream: createWebSocketStream(ws) });
      });
    });
}
