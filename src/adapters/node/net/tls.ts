/**
 * The raw TLS carrier: Entente's Transport over TCP between processes.
 *
 * Assumes: every party holds the same list of peers (index, address, SHA-256
 * fingerprint of the peer's self-signed certificate); the network is hostile
 * (anyone may connect, read, inject or drop packets). Channels: one TLS 1.3
 * connection per pair of parties, dialled by the lower index, mutually
 * authenticated by pinning both certificates' fingerprints; TLS gives
 * integrity, privacy and ordering. Leaks to the network: who talks to whom,
 * when, and the size of every message. Frames go straight onto the TLS
 * stream, with ALPN "entente/1" (docs/WIRE.md).
 */
import type { AddressInfo, OnReadOpts } from 'node:net';
import { connect, createServer, type ConnectionOptions, type Server } from 'node:tls';
import {
  checkTls,
  Endpoint,
  ReadTap,
  type Conn,
  type Dialer,
  type TlsEndpointOptions,
} from './endpoint.js';
import { ConnectError } from './errors.js';
import { describeError, type TlsSessionOptions, type TlsTransport } from './link.js';

export { ConnectError, type ConnectFailure } from './errors.js';
export type { TlsEndpointOptions } from './endpoint.js';
export { TlsTransport, type TlsPeer, type TlsSessionOptions } from './link.js';

/** The ALPN protocol id: a peer speaking anything else is refused during the handshake. */
export const ALPN = 'entente/1';

/** A listening TLS endpoint; `connect()` then establishes the links of one session. */
export class TlsEndpoint extends Endpoint {
  readonly #server: Server;

  private constructor(server: Server, opts: TlsEndpointOptions) {
    super(opts, ALPN);
    this.#server = server;
  }

  /**
   * Binds `host:port` and accepts TLS 1.3 connections that present a client certificate.
   * @throws {Error} if the address cannot be bound.
   */
  static async listen(opts: TlsEndpointOptions): Promise<TlsEndpoint> {
    const server = createServer({
      key: opts.key,
      cert: opts.cert,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      // Certificates are self-signed: verification is the fingerprint check after the handshake.
      requestCert: true,
      rejectUnauthorized: false,
      ALPNProtocols: [ALPN],
      handshakeTimeout: opts.handshakeTimeoutMs ?? 10_000,
    });
    const ep = new TlsEndpoint(server, opts);
    server.on('secureConnection', (s) => {
      s.setNoDelay(true);
      ep.offer({ tls: s, stream: s });
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
    this.#server.close();
  }

  protected dial: Dialer = (j, p, budgetMs) =>
    new Promise<Conn>((resolve, reject) => {
      // The dialling side reads into one reused buffer (ReadTap); Node offers
      // this only to sockets it opens itself, not to accepted ones.
      const tap = new ReadTap();
      const onread: OnReadOpts = {
        buffer: new Uint8Array(READ_BUFFER_BYTES),
        callback: (n, buf) => {
          tap.push(buf.subarray(0, n));
          return true;
        },
      };
      // tls.connect takes `onread` (Node docs) though @types/node does not list it.
      const s = connect({
        ...({ onread } as ConnectionOptions),
        host: p.host,
        port: p.port,
        key: this.opts.key,
        cert: this.opts.cert,
        minVersion: 'TLSv1.3',
        maxVersion: 'TLSv1.3',
        ALPNProtocols: [ALPN],
        rejectUnauthorized: false,
        // No SNI: the peer is identified by its pinned certificate, not by name.
        servername: '',
      });
      // Later errors belong to the link (or to nobody once refused); never crash.
      s.on('error', () => {});
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`no TLS handshake within ${budgetMs} ms`));
      }, budgetMs);
      s.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const code = e.code ?? '';
        // TLS alerts: retrying cannot help.
        if (code.startsWith('ERR_SSL') || code === 'EPROTO' || code.startsWith('ERR_TLS'))
          reject(
            new ConnectError(
              'handshake',
              j,
              p.id,
              `TLS handshake with ${p.host}:${p.port} failed (${describeError(e)})`,
            ),
          );
        else reject(e);
      });
      s.once('secureConnect', () => {
        clearTimeout(timer);
        const bad = checkTls(s, ALPN);
        if (bad) {
          s.destroy();
          return reject(new ConnectError('handshake', j, p.id, bad));
        }
        s.setNoDelay(true);
        resolve({ tls: s, stream: s, tap });
      });
    });
}

/** The dialling side's read buffer: TLS hands over one record (at most 16 KiB) per read. */
const READ_BUFFER_BYTES = 65536;

/**
 * Listens and connects in one call, for a party whose port is known.
 * @throws {ConnectError}, {RangeError} as TlsEndpoint.connect.
 */
export async function connectTls(
  endpoint: TlsEndpointOptions,
  session: TlsSessionOptions,
): Promise<TlsTransport> {
  const ep = await TlsEndpoint.listen(endpoint);
  return ep.connect(session);
}
