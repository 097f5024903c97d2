/**
 * The TLS transport: Entente's Transport over TCP between processes.
 *
 * Assumes: every party holds the same list of peers (index, address, SHA-256
 * fingerprint of the peer's self-signed certificate); the network is hostile
 * (anyone may connect, read, inject or drop packets). Channels: one TLS 1.3
 * connection per pair of parties, dialled by the lower index, mutually
 * authenticated by pinning both certificates' fingerprints; TLS gives
 * integrity, privacy and ordering. Leaks to the network: who talks to whom,
 * when, and the size of every message.
 *
 * Wire (docs/WIRE.md): ALPN "entente/1"; each side's first frame is a hello
 * (session tag, sender, party count); then data frames, one per round message,
 * with strictly increasing rounds on each link, and heartbeats when a link has
 * been quiet for `heartbeatMs`.
 *
 * Failures are per peer and sticky: a malformed, oversized, wrong-session or
 * duplicated frame, a closed connection or a silent peer fails every pending
 * and future receive from that peer with a TransportError naming it. Messages
 * that arrived intact before a disconnection are still delivered; after a
 * protocol violation nothing from that peer is.
 */
import { createServer, connect, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import {
  encodeFrameHeader,
  encodeHello,
  decodeHello,
  encodeCloseReason,
  decodeCloseReason,
  FrameDecoder,
  FrameKind,
  FRAME_HEADER_BYTES,
  kindName,
  sameTag,
  sessionTag,
  DEFAULT_MAX_FRAME_BYTES,
  type Frame,
} from '../../../transport/frame.js';
import { TransportError, type Transport } from '../../../transport/transport.js';
import { normalizeFingerprint } from './fingerprint.js';

/** The ALPN protocol id: a peer speaking anything else is refused during the handshake. */
export const ALPN = 'entente/1';

export interface TlsPeer {
  /** The party's id, for messages. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** SHA-256 fingerprint of its certificate (any common spelling). */
  readonly fingerprint: string;
}

export interface TlsEndpointOptions {
  /** Address to bind (127.0.0.1 in tests). */
  readonly host: string;
  /** Port to bind; 0 picks a free one (see `port`). */
  readonly port: number;
  /** This party's private key and certificate, PEM. */
  readonly key: string;
  readonly cert: string;
  /** Bound on a TLS handshake of an incoming connection. Default 10 s. */
  readonly handshakeTimeoutMs?: number;
  /** Where to report connections and failures (never payloads). Default: nowhere. */
  readonly log?: (line: string) => void;
}

export interface TlsSessionOptions {
  /** This party's index in `peers`. */
  readonly self: number;
  /** Every party, this one included, in index order. */
  readonly peers: readonly TlsPeer[];
  readonly sessionId: string;
  /** Bound on establishing every link. Default 30 s. */
  readonly connectTimeoutMs?: number;
  /** A link with nothing to send for this long sends a heartbeat. Default 5 s. */
  readonly heartbeatMs?: number;
  /** A link silent (or not draining) for this long has failed. Default 30 s. */
  readonly idleTimeoutMs?: number;
  /** Largest frame accepted, header included. Default 256 MiB. */
  readonly maxFrameBytes?: number;
  /** Largest amount queued for one peer that is not reading. Default 2 x maxFrameBytes. */
  readonly maxQueuedBytes?: number;
  /** First retry delay when a peer is not listening yet; doubles up to 2 s. Default 50 ms. */
  readonly retryDelayMs?: number;
}

export type ConnectFailure =
  'unreachable' | 'handshake' | 'certificate' | 'refused' | 'wrong-session' | 'timeout' | 'closed';

/** Setting up the links failed; names the peer and why. */
export class ConnectError extends Error {
  override readonly name = 'ConnectError';
  constructor(
    readonly reason: ConnectFailure,
    readonly peer: number,
    readonly peerId: string,
    detail: string,
  ) {
    super(`${reason} (party ${peerId}): ${detail}`);
  }
}

/** Frames up to this size go out as one buffer; larger ones as header + payload under cork. */
const COALESCE_BYTES = 64 * 1024;
const MAX_RETRY_DELAY_MS = 2_000;
/** Incoming connections held before `connect()` claims them. */
const MAX_UNCLAIMED = 64;

type Waiter = {
  resolve: (b: Uint8Array) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
};

/**
 * A listening TLS endpoint. `connect()` then establishes the links of one
 * session. Listening first lets tests bind port 0 and publish the port.
 */
export class TlsEndpoint {
  readonly #server: Server;
  readonly #opts: TlsEndpointOptions;
  readonly #log: (line: string) => void;
  #unclaimed: TLSSocket[] = [];
  #claim: ((s: TLSSocket) => void) | undefined;
  #closed = false;

  private constructor(server: Server, opts: TlsEndpointOptions) {
    this.#server = server;
    this.#opts = opts;
    this.#log = opts.log ?? (() => {});
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
    server.on('secureConnection', (s) => ep.#onSecure(s));
    server.on('tlsClientError', (err, s) => {
      ep.#log(
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
    server.on('error', (e) => ep.#log(`listener error: ${describeError(e)}`));
    return ep;
  }

  /** The bound port. */
  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  #onSecure(s: TLSSocket): void {
    // Errors of a socket that is refused or not yet claimed end it; they must not crash the process.
    s.on('error', () => {});
    if (this.#closed) {
      s.destroy();
      return;
    }
    // What does not depend on the session is refused before any session claims the socket.
    const bad = checkTls(s) ?? (s.getPeerX509Certificate() ? undefined : 'no client certificate');
    if (bad) {
      this.#log(`refused connection from ${s.remoteAddress}:${s.remotePort}: ${bad}`);
      s.destroy();
      return;
    }
    if (this.#claim) {
      this.#claim(s);
      return;
    }
    if (this.#unclaimed.length >= MAX_UNCLAIMED) {
      this.#log(`refused connection from ${s.remoteAddress}: too many unclaimed connections`);
      s.destroy();
      return;
    }
    this.#unclaimed.push(s);
    s.once('close', () => {
      this.#unclaimed = this.#unclaimed.filter((x) => x !== s);
    });
  }

  /**
   * Establishes the session's links: dials every higher-index peer (retrying
   * with exponential backoff while it is not listening yet) and accepts every
   * lower-index one; checks each peer's certificate fingerprint and hello.
   * Resolves when every link is up.
   * @throws {ConnectError} naming the first peer that could not be linked, and why.
   * @throws {RangeError} for inconsistent options.
   */
  async connect(opts: TlsSessionOptions): Promise<TlsTransport> {
    if (this.#claim) throw new RangeError('connect: this endpoint already serves a session');
    const cfg = resolveOptions(opts);
    const transport = new TlsTransport(cfg, this.#log);
    const setup = new Setup(transport, cfg, this.#opts, this.#log);
    this.#claim = (s) => setup.accept(s);
    for (const s of this.#unclaimed.splice(0)) setup.accept(s);
    try {
      await setup.run();
    } catch (e) {
      transport.close(`could not link every party: ${(e as Error).message}`);
      throw e;
    } finally {
      this.close();
    }
    return transport;
  }

  /** Stops listening (links already made stay up). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    for (const s of this.#unclaimed.splice(0)) s.destroy();
  }
}

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

interface ResolvedOptions {
  readonly self: number;
  readonly peers: ReadonlyArray<TlsPeer & { readonly fingerprint: string }>;
  readonly sessionId: string;
  readonly tag: Uint8Array;
  readonly connectTimeoutMs: number;
  readonly heartbeatMs: number;
  readonly idleTimeoutMs: number;
  readonly maxFrameBytes: number;
  readonly maxQueuedBytes: number;
  readonly retryDelayMs: number;
}

function resolveOptions(o: TlsSessionOptions): ResolvedOptions {
  const n = o.peers.length;
  if (n < 1 || n > 65_536) throw new RangeError(`peers: expected 1..65536 parties, got ${n}`);
  if (!Number.isInteger(o.self) || o.self < 0 || o.self >= n)
    throw new RangeError(`self: expected an index 0..${n - 1}, got ${o.self}`);
  const peers = o.peers.map((p, i) => {
    const fp = normalizeFingerprint(p.fingerprint);
    if (!fp) throw new RangeError(`peers[${i}].fingerprint: expected 64 hex digits`);
    return { ...p, fingerprint: fp };
  });
  const pos = (name: string, v: number | undefined, dflt: number) => {
    const x = v ?? dflt;
    if (!Number.isFinite(x) || x <= 0)
      throw new RangeError(`${name}: expected a positive number, got ${x}`);
    return x;
  };
  const maxFrameBytes = pos('maxFrameBytes', o.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES);
  return {
    self: o.self,
    peers,
    sessionId: o.sessionId,
    tag: sessionTag(o.sessionId),
    connectTimeoutMs: pos('connectTimeoutMs', o.connectTimeoutMs, 30_000),
    heartbeatMs: pos('heartbeatMs', o.heartbeatMs, 5_000),
    idleTimeoutMs: pos('idleTimeoutMs', o.idleTimeoutMs, 30_000),
    maxFrameBytes,
    maxQueuedBytes: pos('maxQueuedBytes', o.maxQueuedBytes, 2 * maxFrameBytes),
    retryDelayMs: pos('retryDelayMs', o.retryDelayMs, 50),
  };
}

/** Establishes the links of one session. */
class Setup {
  readonly #t: TlsTransport;
  readonly #cfg: ResolvedOptions;
  readonly #ep: TlsEndpointOptions;
  readonly #log: (line: string) => void;
  readonly #deadline: number;
  #failed: ConnectError | undefined;
  #onFail: ((e: ConnectError) => void) | undefined;
  /** Per lower-index peer: resolves when its connection is accepted and greeted. */
  readonly #inbound = new Map<number, { resolve: () => void; refusals: string[] }>();

  constructor(
    t: TlsTransport,
    cfg: ResolvedOptions,
    ep: TlsEndpointOptions,
    log: (l: string) => void,
  ) {
    this.#t = t;
    this.#cfg = cfg;
    this.#ep = ep;
    this.#log = log;
    this.#deadline = Date.now() + cfg.connectTimeoutMs;
  }

  #fail(e: ConnectError): void {
    if (this.#failed) return;
    this.#failed = e;
    this.#onFail?.(e);
  }

  async run(): Promise<void> {
    const { self, peers } = this.#cfg;
    const failed = new Promise<never>((_, reject) => {
      this.#onFail = reject;
      if (this.#failed) reject(this.#failed);
    });
    failed.catch(() => {});
    // Heartbeats start per link as soon as it is greeted, so a peer that waits
    // for its other links does not take this one for dead.
    this.#t.start();
    const tasks: Promise<void>[] = [];
    for (let j = 0; j < peers.length; j++) {
      if (j < self) tasks.push(this.#awaitInbound(j));
      if (j > self) tasks.push(this.#dial(j));
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Name the first lower-index peer still missing; dial loops report their own timeouts.
        const missing = [...this.#inbound.keys()].find((j) => !this.#t.hasLink(j));
        const j = missing ?? peers.findIndex((_p, k) => k !== self && !this.#t.hasLink(k));
        const refusals = missing !== undefined ? this.#inbound.get(missing)!.refusals : [];
        reject(
          new ConnectError(
            'timeout',
            j,
            peers[j]?.id ?? `#${j}`,
            `no link within ${this.#cfg.connectTimeoutMs} ms` +
              (refusals.length > 0 ? ` (refused meanwhile: ${refusals.slice(-3).join('; ')})` : ''),
          ),
        );
      }, this.#cfg.connectTimeoutMs + 100);
    });
    try {
      await Promise.race([Promise.all(tasks), failed, timeout]);
    } catch (e) {
      this.#fail(e as ConnectError);
      throw e;
    } finally {
      clearTimeout(timer);
    }
    // A link may have died between its greeting and now.
    for (let j = 0; j < peers.length; j++) {
      const err = this.#t.linkFailure(j);
      if (err) throw new ConnectError('closed', j, peers[j]!.id, err.message);
    }
    this.#log(`linked to ${peers.length - 1} peer(s)`);
  }

  #awaitInbound(j: number): Promise<void> {
    return new Promise((resolve) => this.#inbound.set(j, { resolve, refusals: [] }));
  }

  /** An incoming connection: identify the peer by its certificate, then greet. */
  accept(s: TLSSocket): void {
    const { peers, self } = this.#cfg;
    const from = `${s.remoteAddress}:${s.remotePort}`;
    const refuse = (why: string, peer?: number) => {
      this.#log(`refused connection from ${from}: ${why}`);
      if (peer !== undefined) this.#inbound.get(peer)?.refusals.push(why);
      else for (const v of this.#inbound.values()) v.refusals.push(`${from}: ${why}`);
      s.destroy();
    };
    if (this.#failed) return void s.destroy();
    const check = checkTls(s);
    if (check) return refuse(check);
    const cert = s.getPeerX509Certificate();
    if (!cert) return refuse('no client certificate');
    const fp = cert.fingerprint256;
    const j = peers.findIndex((p) => p.fingerprint === fp);
    if (j < 0) return refuse(`certificate ${fp} is not in the federation`);
    if (j === self) return refuse(`it presents this party's own certificate`, undefined);
    if (j > self)
      return refuse(
        `party ${peers[j]!.id} has the higher index and should be dialled, not dial`,
        j,
      );
    if (this.#t.hasLink(j)) return refuse(`second connection from party ${peers[j]!.id}`, j);
    this.#greet(s, j).then(
      () => {
        this.#log(`accepted party ${peers[j]!.id} from ${from}`);
        this.#inbound.get(j)?.resolve();
      },
      (e: ConnectError) => {
        this.#log(e.message);
        // A peer that greets wrongly is misconfigured, not a stranger: stop.
        this.#fail(e);
      },
    );
  }

  /** Sends our hello and waits for the peer's; installs the link. */
  #greet(s: TLSSocket, j: number): Promise<void> {
    // A connection that completes after setup failed is not adopted.
    if (this.#failed) {
      s.destroy();
      return Promise.reject(this.#failed);
    }
    const link = this.#t.adopt(j, s);
    return link.greeted(Math.max(1, this.#deadline - Date.now()));
  }

  async #dial(j: number): Promise<void> {
    const p = this.#cfg.peers[j]!;
    let delay = this.#cfg.retryDelayMs;
    let attempts = 0;
    let last = '';
    for (;;) {
      if (this.#failed) throw this.#failed;
      const left = this.#deadline - Date.now();
      if (left <= 0)
        throw new ConnectError(
          'unreachable',
          j,
          p.id,
          `no connection to ${p.host}:${p.port} within ${this.#cfg.connectTimeoutMs} ms after ${attempts} attempt(s) (last: ${last})`,
        );
      attempts++;
      const outcome = await this.#attempt(j, Math.min(left, this.#ep.handshakeTimeoutMs ?? 10_000));
      if (outcome === 'ok') {
        this.#log(`connected to party ${p.id} at ${p.host}:${p.port}`);
        return;
      }
      last = outcome;
      // The peer may not be listening yet: back off exponentially (bounded by the deadline).
      const wait = Math.min(delay, Math.max(0, this.#deadline - Date.now()));
      await new Promise((r) => setTimeout(r, wait));
      delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
    }
  }

  /** One dial: 'ok', or a transient reason to retry; throws ConnectError when retrying cannot help. */
  #attempt(j: number, budgetMs: number): Promise<'ok' | string> {
    const p = this.#cfg.peers[j]!;
    return new Promise((resolve, reject) => {
      let settled = false;
      const s = connect({
        host: p.host,
        port: p.port,
        key: this.#ep.key,
        cert: this.#ep.cert,
        minVersion: 'TLSv1.3',
        maxVersion: 'TLSv1.3',
        ALPNProtocols: [ALPN],
        rejectUnauthorized: false,
        // No SNI: the peer is identified by its pinned certificate, not by name.
        servername: '',
      });
      const timer = setTimeout(() => {
        s.destroy();
        done(`no TLS handshake within ${budgetMs} ms`);
      }, budgetMs);
      const done = (v: 'ok' | string | ConnectError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (v instanceof ConnectError) {
          this.#log(v.message);
          reject(v);
        } else resolve(v);
      };
      const onError = (e: NodeJS.ErrnoException) => {
        const code = e.code ?? '';
        // Refused, reset or unreachable: the peer may be starting. TLS alerts: it never will.
        if (code.startsWith('ERR_SSL') || code === 'EPROTO' || code.startsWith('ERR_TLS'))
          done(
            new ConnectError(
              'handshake',
              j,
              p.id,
              `TLS handshake with ${p.host}:${p.port} failed (${describeError(e)})`,
            ),
          );
        else done(describeError(e));
      };
      s.on('error', onError);
      s.once('secureConnect', () => {
        const bad = checkTls(s);
        if (bad) {
          s.destroy();
          return done(new ConnectError('handshake', j, p.id, bad));
        }
        const fp = s.getPeerX509Certificate()?.fingerprint256;
        if (fp !== p.fingerprint) {
          // Close politely, so the peer learns at once that it was refused.
          s.end();
          setTimeout(() => s.destroy(), 1_000).unref();
          return done(
            new ConnectError(
              'certificate',
              j,
              p.id,
              `${p.host}:${p.port} presented certificate ${fp ?? '(none)'}, the federation pins ${p.fingerprint}`,
            ),
          );
        }
        clearTimeout(timer);
        this.#greet(s, j).then(
          () => done('ok'),
          (e: ConnectError) => done(e),
        );
      });
    });
  }
}

/** Refuses anything but TLS 1.3 with our ALPN id; undefined when acceptable. */
function checkTls(s: TLSSocket): string | undefined {
  const v = s.getProtocol();
  if (v !== 'TLSv1.3') return `protocol ${v ?? 'unknown'}, TLSv1.3 required`;
  if (s.alpnProtocol !== ALPN) return `ALPN '${s.alpnProtocol || 'none'}', '${ALPN}' required`;
  return undefined;
}

function describeError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const code = err.code ?? '';
  const msg = (err.message ?? String(e)).split('\n')[0]!;
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

/** One peer's connection, its decoder, inbox and send queue. */
class Link {
  readonly inbox = new Map<number, Uint8Array>();
  readonly waiters = new Map<number, Waiter>();
  readonly decoder: FrameDecoder;
  failure: TransportError | undefined;
  /** Highest round received, -1 before any. */
  lastRound = -1;
  /** Highest round sent, -1 before any. */
  lastSent = -1;
  lastRx = Date.now();
  lastTx = Date.now();
  /** Frames waiting for 'drain'; bounded by maxQueuedBytes. */
  queue: Uint8Array[] = [];
  queuedBytes = 0;
  blocked = false;
  blockedSince = 0;
  #greeting: { resolve: () => void; reject: (e: ConnectError) => void } | undefined;
  #greetingDone = false;
  #greetingError: ConnectError | undefined;
  #lastSocketError = '';
  /** The peer sent its close frame: nothing after it is read. */
  #peerClosed = false;

  constructor(
    readonly peer: number,
    readonly socket: TLSSocket,
    private readonly t: TlsTransport,
    private readonly cfg: ResolvedOptions,
  ) {
    this.decoder = new FrameDecoder({ maxFrameBytes: cfg.maxFrameBytes });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.#onDrain());
    socket.on('error', (e) => {
      this.#lastSocketError = describeError(e);
    });
    socket.on('end', () => this.fail('peer-closed', `party ${this.id} closed the connection`));
    socket.on('close', () =>
      this.fail(
        'peer-closed',
        `connection to party ${this.id} lost${this.#lastSocketError ? ` (${this.#lastSocketError})` : ''}`,
      ),
    );
    this.write(
      encodeFrameHeader({ kind: FrameKind.hello, sender: cfg.self, round: 0, session: cfg.tag }, 8),
      encodeHello(cfg.peers.length),
    );
  }

  get id(): string {
    return this.cfg.peers[this.peer]!.id;
  }

  /** Resolves when the peer's hello arrived and matched; rejects with a ConnectError. */
  greeted(budgetMs: number): Promise<void> {
    if (this.#greetingDone) return Promise.resolve();
    if (this.#greetingError) return Promise.reject(this.#greetingError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#endGreeting(
          new ConnectError('timeout', this.peer, this.id, `no hello within ${budgetMs} ms`),
        );
      }, budgetMs);
      this.#greeting = {
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
    });
  }

  #endGreeting(err?: ConnectError): void {
    if (this.#greetingDone || this.#greetingError) return;
    if (err) {
      this.#greetingError = err;
      this.hangUp();
      this.#greeting?.reject(err);
    } else {
      this.#greetingDone = true;
      this.#greeting?.resolve();
    }
  }

  #onData(chunk: Buffer): void {
    this.lastRx = Date.now();
    if (this.#peerClosed || (this.failure && this.failure.reason !== 'peer-closed')) return;
    const { frames, error } = this.decoder.push(chunk);
    for (const f of frames) {
      if (!this.#onFrame(f)) return;
    }
    if (error) this.#violation(error.reason, error.message);
  }

  /** Handles one frame; false once the link has failed. */
  #onFrame(f: Frame): boolean {
    if (f.sender !== this.peer) {
      this.#violation(
        'malformed',
        `frame claims sender ${f.sender} on the link of party ${this.peer}`,
      );
      return false;
    }
    if (!sameTag(f.session, this.cfg.tag)) {
      this.#violation(
        'wrong-session',
        `${kindName(f.kind)} frame of another session (session id, suite or federation file differ)`,
      );
      return false;
    }
    if (f.kind === FrameKind.close) {
      const why = decodeCloseReason(f.payload);
      this.#peerClosed = true;
      if (!this.#greetingDone)
        this.#endGreeting(
          new ConnectError(
            'refused',
            this.peer,
            this.id,
            `party ${this.id} refused the link: ${why || 'no reason given'}`,
          ),
        );
      this.fail(
        'peer-closed',
        why
          ? `party ${this.id} aborted: ${why}`
          : `party ${this.id} finished and closed the connection`,
      );
      return false;
    }
    if (!this.#greetingDone) {
      if (f.kind !== FrameKind.hello) {
        this.#violation('malformed', `${kindName(f.kind)} frame before hello`);
        return false;
      }
      const n = decodeHello(f.payload);
      if (n !== this.cfg.peers.length) {
        this.#violation(
          'wrong-session',
          `peer expects ${n} parties, this party ${this.cfg.peers.length}`,
        );
        return false;
      }
      this.#endGreeting();
      return true;
    }
    if (f.kind === FrameKind.heartbeat) return true;
    if (f.kind === FrameKind.hello) {
      this.#violation('malformed', 'second hello');
      return false;
    }
    if (f.round <= this.lastRound) {
      if (f.round === this.lastRound)
        this.#violation('duplicate', `second frame for round ${f.round}`);
      else
        this.#violation(
          'malformed',
          `round ${f.round} after round ${this.lastRound} (rounds must increase)`,
        );
      return false;
    }
    this.lastRound = f.round;
    const w = this.waiters.get(f.round);
    if (w) {
      this.waiters.delete(f.round);
      if (w.timer) clearTimeout(w.timer);
      w.resolve(f.payload);
    } else {
      this.inbox.set(f.round, f.payload);
    }
    return true;
  }

  /** The peer broke the protocol: nothing more from it is trusted, including what is queued. */
  #violation(
    reason: 'malformed' | 'oversized' | 'duplicate' | 'wrong-session',
    detail: string,
  ): void {
    if (!this.#greetingDone) {
      this.#endGreeting(
        new ConnectError(
          reason === 'wrong-session' ? 'wrong-session' : 'refused',
          this.peer,
          this.id,
          detail,
        ),
      );
    }
    this.inbox.clear();
    this.fail(reason, detail);
    // Tell the peer why it is cut off (header fields only, never payload bytes).
    this.sendClose(`refused your frames: ${reason}: ${detail}`);
    this.hangUp();
  }

  /** Writes a close frame with `reason` ('' for a normal end), if the socket still takes writes. */
  sendClose(reason: string): void {
    if (this.socket.destroyed || !this.socket.writable || this.blocked) return;
    const payload = encodeCloseReason(reason);
    this.write(
      encodeFrameHeader(
        { kind: FrameKind.close, sender: this.cfg.self, round: 0, session: this.cfg.tag },
        payload.length,
      ),
      payload,
    );
  }

  /**
   * Ends the connection after what is already written (our hello, so the peer
   * can see why), then destroys it if the peer does not close within a second.
   */
  hangUp(): void {
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1_000).unref();
  }

  /** Fails every pending and future receive from this peer (first failure wins). */
  fail(reason: TransportError['reason'], detail: string): void {
    if (!this.#greetingDone)
      this.#endGreeting(
        new ConnectError(
          reason === 'peer-closed' ? 'refused' : 'closed',
          this.peer,
          this.id,
          reason === 'peer-closed'
            ? `party ${this.id} closed the connection before its hello: it may refuse our certificate (is our fingerprint in its federation file?) or may have stopped`
            : detail,
        ),
      );
    if (this.failure) return;
    this.failure = new TransportError(reason, this.peer, detail);
    if (!this.t.closed) this.t.log(`link to party ${this.id} failed: ${this.failure.message}`);
    for (const w of this.waiters.values()) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(this.failure);
    }
    this.waiters.clear();
    this.queue = [];
    this.queuedBytes = 0;
  }

  /** Writes a frame (header + payload), queueing it while the socket is above its high-water mark. */
  write(header: Uint8Array, payload: Uint8Array): void {
    const size = header.length + payload.length;
    const parts =
      size <= COALESCE_BYTES
        ? [concat2(header, payload)]
        : payload.length
          ? [header, payload]
          : [header];
    if (this.blocked || this.queue.length > 0) {
      if (this.queuedBytes + size > this.cfg.maxQueuedBytes) {
        this.fail(
          'timeout',
          `party ${this.id} is not reading: ${this.queuedBytes + size} bytes would be queued`,
        );
        this.socket.destroy();
        return;
      }
      this.queue.push(...parts);
      this.queuedBytes += size;
      return;
    }
    // The runtime sends at most one data frame per link per round, so a small
    // frame is already one write (one TLS record, one system call). Header and
    // payload of a large frame go out together under cork, as one writev.
    // Corking across a whole turn instead (uncork in a microtask) was measured
    // to add about 20 us to a round trip and save nothing.
    let ok: boolean;
    if (parts.length === 1) ok = this.socket.write(parts[0]!);
    else {
      this.socket.cork();
      this.socket.write(parts[0]!);
      ok = this.socket.write(parts[1]!);
      this.socket.uncork();
    }
    this.lastTx = Date.now();
    if (!ok) this.#block();
  }

  #block(): void {
    if (this.blocked) return;
    this.blocked = true;
    this.blockedSince = Date.now();
  }

  #onDrain(): void {
    this.blocked = false;
    while (this.queue.length > 0) {
      const p = this.queue.shift()!;
      this.queuedBytes -= p.length;
      this.lastTx = Date.now();
      if (!this.socket.write(p)) {
        this.#block();
        return;
      }
    }
    this.t.onDrained(this);
  }

  /** Heartbeats and liveness, called periodically. */
  tick(now: number): void {
    if (this.failure || !this.#greetingDone) return;
    if (this.blocked && now - this.blockedSince > this.cfg.idleTimeoutMs) {
      this.fail(
        'timeout',
        `party ${this.id} has not read anything for ${now - this.blockedSince} ms`,
      );
      this.socket.destroy();
      return;
    }
    if (!this.blocked && this.queue.length === 0 && now - this.lastTx >= this.cfg.heartbeatMs) {
      this.write(
        encodeFrameHeader(
          { kind: FrameKind.heartbeat, sender: this.cfg.self, round: 0, session: this.cfg.tag },
          0,
        ),
        new Uint8Array(0),
      );
    }
    if (now - this.lastRx > this.cfg.idleTimeoutMs) {
      // Decide after the poll phase: if this process was busy, the peer's data or
      // heartbeats may be waiting in the socket and are read before setImmediate runs.
      setImmediate(() => {
        const silent = Date.now() - this.lastRx;
        if (!this.failure && silent > this.cfg.idleTimeoutMs) {
          this.fail('timeout', `no data or heartbeat from party ${this.id} for ${silent} ms`);
          this.socket.destroy();
        }
      });
    }
  }
}

function concat2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** The Transport of one party over TLS links; made by TlsEndpoint.connect. */
export class TlsTransport implements Transport {
  readonly self: number;
  readonly parties: number;
  readonly sessionId: string;
  readonly #cfg: ResolvedOptions;
  readonly #links: Array<Link | undefined>;
  readonly #logSink: (line: string) => void;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  #drainWaiters: Array<() => void> = [];

  /** @internal */
  constructor(cfg: ResolvedOptions, log: (line: string) => void) {
    this.self = cfg.self;
    this.parties = cfg.peers.length;
    this.sessionId = cfg.sessionId;
    this.#cfg = cfg;
    this.#links = new Array<Link | undefined>(this.parties).fill(undefined);
    this.#logSink = log;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** @internal */
  log(line: string): void {
    this.#logSink(line);
  }

  /** @internal */
  hasLink(j: number): boolean {
    return this.#links[j] !== undefined && !this.#links[j]!.failure;
  }

  /** @internal */
  linkFailure(j: number): TransportError | undefined {
    return this.#links[j]?.failure;
  }

  /** @internal Installs the connection to peer j and sends our hello. */
  adopt(j: number, s: TLSSocket): Link {
    const link = new Link(j, s, this, this.#cfg);
    this.#links[j] = link;
    return link;
  }

  /** @internal Starts heartbeats and liveness checks (greeted links only). */
  start(): void {
    if (this.#timer) return;
    const period = Math.max(10, Math.min(this.#cfg.heartbeatMs, this.#cfg.idleTimeoutMs) / 2);
    this.#timer = setInterval(() => {
      const now = Date.now();
      for (const l of this.#links) l?.tick(now);
    }, period);
    this.#timer.unref();
  }

  /** @internal */
  onDrained(_link: Link): void {
    if (this.#drainWaiters.length > 0 && this.#links.every((l) => !l || l.queue.length === 0)) {
      for (const w of this.#drainWaiters.splice(0)) w();
    }
  }

  #link(j: number, what: string): Link {
    if (!Number.isInteger(j) || j < 0 || j >= this.parties || j === this.self)
      throw new RangeError(
        `${what}: no peer ${j} (parties 0..${this.parties - 1}, self ${this.self})`,
      );
    return this.#links[j]!;
  }

  send(to: number, round: number, payload: Uint8Array): void {
    const link = this.#link(to, 'send');
    if (this.#closed) throw new TransportError('closed', to, 'transport is closed');
    if (!Number.isSafeInteger(round) || round <= link.lastSent)
      throw new RangeError(
        `send: round ${round} to party ${to} after round ${link.lastSent} (rounds must increase)`,
      );
    if (FRAME_HEADER_BYTES + payload.length > this.#cfg.maxFrameBytes)
      throw new RangeError(
        `send: message of ${payload.length} bytes exceeds maxFrameBytes ${this.#cfg.maxFrameBytes}`,
      );
    link.lastSent = round;
    // Like the in-memory transport, sending to a peer that is gone is silent:
    // its failure surfaces at the next receive from it, if one is needed.
    if (link.failure) return;
    link.write(
      encodeFrameHeader(
        { kind: FrameKind.data, sender: this.self, round, session: this.#cfg.tag },
        payload.length,
      ),
      payload,
    );
  }

  receive(from: number, round: number, deadlineMs: number): Promise<Uint8Array> {
    let link: Link;
    try {
      link = this.#link(from, 'receive');
    } catch (e) {
      return Promise.reject(e as Error);
    }
    if (this.#closed)
      return Promise.reject(new TransportError('closed', from, 'transport is closed'));
    const ready = link.inbox.get(round);
    if (ready) {
      link.inbox.delete(round);
      return Promise.resolve(ready);
    }
    if (link.failure) return Promise.reject(link.failure);
    if (round <= link.lastRound)
      return Promise.reject(
        new TransportError(
          'malformed',
          from,
          `party ${link.id} sent round ${link.lastRound} but no message for round ${round}`,
        ),
      );
    if (link.waiters.has(round))
      return Promise.reject(
        new RangeError(`receive: already waiting for round ${round} from party ${from}`),
      );
    return new Promise((resolve, reject) => {
      const timer =
        deadlineMs > 0 && Number.isFinite(deadlineMs)
          ? setTimeout(() => {
              link.waiters.delete(round);
              reject(
                new TransportError(
                  'timeout',
                  from,
                  `no message from party ${link.id} for round ${round} within ${deadlineMs} ms`,
                ),
              );
            }, deadlineMs)
          : undefined;
      link.waiters.set(round, { resolve, reject, timer });
    });
  }

  /**
   * This transport, closing with the reason `why()` gives at close time: a
   * Party's close() after an abort then tells every peer why (its ProtocolAbort
   * message, which carries no secrets), so they can name the root cause.
   */
  reportingAborts(why: () => string | undefined): Transport {
    return {
      self: this.self,
      parties: this.parties,
      sessionId: this.sessionId,
      send: (to, round, payload) => this.send(to, round, payload),
      receive: (from, round, deadlineMs) => this.receive(from, round, deadlineMs),
      close: () => this.close(why()),
    };
  }

  /**
   * Closes every link at once: each peer gets a close frame with `reason`
   * (none: finished normally); pending receives reject with 'closed'.
   * Frames still queued behind backpressure are dropped (see shutdown).
   */
  close(reason?: string): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const l of this.#links) {
      if (!l) continue;
      for (const w of l.waiters.values()) {
        if (w.timer) clearTimeout(w.timer);
        w.reject(new TransportError('closed', l.peer, 'transport closed while waiting'));
      }
      l.waiters.clear();
      // end() sends what the socket holds, then close_notify and FIN.
      if (l.queue.length === 0) {
        if (!l.failure || l.failure.reason === 'peer-closed') l.sendClose(reason ?? '');
        l.socket.end();
      } else l.socket.destroy();
    }
    for (const w of this.#drainWaiters.splice(0)) w();
  }

  /**
   * Closes gracefully: waits (at most `lingerMs`) until every queued frame is
   * handed to the sockets, ends them, and waits for them to close.
   */
  async shutdown(lingerMs = 5_000): Promise<void> {
    const deadline = Date.now() + lingerMs;
    const pending = () => this.#links.some((l) => l && !l.failure && l.queue.length > 0);
    if (!this.#closed && pending()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, lingerMs);
        this.#drainWaiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
    this.close();
    await Promise.all(
      this.#links.map((l) =>
        !l || l.socket.closed
          ? undefined
          : new Promise<void>((resolve) => {
              const timer = setTimeout(
                () => {
                  l.socket.destroy();
                  resolve();
                },
                Math.max(1, deadline - Date.now()),
              );
              l.socket.once('close', () => (clearTimeout(timer), resolve()));
            }),
      ),
    );
  }
}
