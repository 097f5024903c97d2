/**
 * Endpoints: listening for and dialling the links of one session, whatever
 * carries the frames (a raw TLS socket in tls.ts, a WebSocket over TLS in
 * ws.ts). Both carriers share the rules of docs/WIRE.md: TLS 1.3 only, the
 * lower index dials the higher, each side pins the other's certificate
 * fingerprint, then both exchange hellos. An endpoint listens first (so tests
 * can bind port 0 and publish the port), then `connect()` sets up a session.
 * A party whose set-up fails tells every peer why before it gives up, those
 * it has not linked with yet included (docs/WIRE.md, Connections).
 */
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { encodeCloseReason, encodeFrame, FrameKind } from '../../../transport/frame.js';
import { ConnectError } from './errors.js';
import {
  describeError,
  resolveOptions,
  TlsTransport,
  type ResolvedOptions,
  type TlsPeer,
  type TlsSessionOptions,
} from './link.js';

/** Options of every endpoint. */
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

/** An accepted or dialled connection: the TLS socket (identity) and the frame stream over it. */
export interface Conn {
  readonly tls: TLSSocket;
  readonly stream: Duplex;
  /** Where the stream's bytes arrive when it was opened with `onread` (no 'data' events then). */
  readonly tap?: ReadTap;
}

/**
 * The bytes of a socket opened with Node's `onread` option, which reads into
 * one reused buffer instead of allocating a Buffer per TLS record (here about
 * 40% less CPU to receive; the garbage those Buffers made was a fifth of a
 * bulk receiver's time). Chunks are views of that buffer, valid only during
 * the call: the consumer copies what it keeps (FrameDecoder does). Bytes that
 * arrive before the consumer attaches are copied and replayed.
 */
export class ReadTap {
  #consumer: ((chunk: Uint8Array) => void) | undefined;
  #held: Uint8Array[] = [];

  /** For `onread.callback`. */
  push(chunk: Uint8Array): void {
    if (this.#consumer) this.#consumer(chunk);
    else this.#held.push(chunk.slice());
  }

  attach(consumer: (chunk: Uint8Array) => void): void {
    this.#consumer = consumer;
    const held = this.#held;
    this.#held = [];
    for (const c of held) consumer(c);
  }
}

/**
 * Dials peer `j`; resolves once the connection is up (TLS verified by the
 * caller). Rejects with a ConnectError when retrying cannot help (e.g. a TLS
 * alert), with any other error when it may (refused, reset, timeout).
 */
export type Dialer = (j: number, peer: TlsPeer, budgetMs: number) => Promise<Conn>;

const MAX_RETRY_DELAY_MS = 2_000;
/**
 * The longest wait between dials of a peer on this machine that is not
 * listening yet: a refused connection on the loopback interface costs well
 * under a millisecond, and parties started together (`entente local`) begin
 * listening within a few hundred milliseconds of each other, which doubling
 * waits would round up to the next power of two of the retry delay.
 */
const LOOPBACK_MAX_RETRY_DELAY_MS = 20;

/** 127.0.0.0/8, ::1 or localhost: a peer on this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
/**
 * After a failed set-up, how long this party goes on telling the peers it has
 * no link with why (accepting their connections, dialling the higher-index
 * ones), before it gives up on them; it stops earlier once every peer knows.
 */
const REFUSAL_LINGER_MS = 3_000;
/**
 * How long a refusal's connection stays open for the peer to read it and
 * close first (it closes as soon as it has read the refusal).
 */
const REFUSAL_GRACE_MS = 1_000;
/** The retry delay of those dials (a peer starting late is still told). */
const REFUSAL_RETRY_MS = 100;
/** Incoming connections held before `connect()` claims them. */
const MAX_UNCLAIMED = 64;

/**
 * Refuses anything but TLS 1.3 (and, for raw TLS, our ALPN id);
 * undefined when acceptable.
 */
export function checkTls(s: TLSSocket, alpn: string | undefined): string | undefined {
  const v = s.getProtocol();
  if (v !== 'TLSv1.3') return `protocol ${v ?? 'unknown'}, TLSv1.3 required`;
  if (alpn !== undefined && s.alpnProtocol !== alpn)
    return `ALPN '${s.alpnProtocol || 'none'}', '${alpn}' required`;
  return undefined;
}

/** What the carriers share: holding early connections, and running a session's set-up. */
export abstract class Endpoint {
  protected readonly log: (line: string) => void;
  #unclaimed: Conn[] = [];
  #claim: ((c: Conn) => void) | undefined;
  #closed = false;

  protected constructor(
    protected readonly opts: TlsEndpointOptions,
    /** Required ALPN id, if the carrier uses one. */
    private readonly alpn: string | undefined,
  ) {
    this.log = opts.log ?? (() => {});
  }

  /** The bound port. */
  abstract get port(): number;
  /** Dials one peer with this carrier. */
  protected abstract dial: Dialer;
  /** Stops accepting connections. */
  protected abstract stopListening(): void;

  /** Takes an incoming connection whose TLS handshake completed. */
  protected offer(c: Conn): void {
    const s = c.tls;
    // Errors of a socket that is refused or not yet claimed end it; they must not crash the process.
    s.on('error', () => {});
    c.stream.on('error', () => {});
    const drop = () => {
      c.stream.destroy();
      s.destroy();
    };
    if (this.#closed) return drop();
    // What does not depend on the session is refused before any session claims the socket.
    const bad =
      checkTls(s, this.alpn) ?? (s.getPeerX509Certificate() ? undefined : 'no client certificate');
    if (bad) {
      this.log(`refused connection from ${s.remoteAddress}:${s.remotePort}: ${bad}`);
      return drop();
    }
    if (this.#claim) return this.#claim(c);
    if (this.#unclaimed.length >= MAX_UNCLAIMED) {
      this.log(`refused connection from ${s.remoteAddress}: too many unclaimed connections`);
      return drop();
    }
    this.#unclaimed.push(c);
    c.stream.once('close', () => {
      this.#unclaimed = this.#unclaimed.filter((x) => x !== c);
    });
  }

  /**
   * Establishes the session's links: dials every higher-index peer (retrying
   * with exponential backoff while it is not listening yet) and accepts every
   * lower-index one; checks each peer's certificate fingerprint and hello.
   * Resolves when every link is up; stops listening either way.
   * @throws {ConnectError} naming the first peer that could not be linked, and why.
   * @throws {RangeError} for inconsistent options.
   */
  async connect(opts: TlsSessionOptions): Promise<TlsTransport> {
    if (this.#claim) throw new RangeError('connect: this endpoint already serves a session');
    const cfg = resolveOptions(opts);
    const transport = new TlsTransport(cfg, this.log);
    const setup = new Setup(
      transport,
      cfg,
      this.dial,
      this.opts.handshakeTimeoutMs ?? 10_000,
      this.log,
    );
    this.#claim = (c) => setup.accept(c);
    for (const c of this.#unclaimed.splice(0)) setup.accept(c);
    try {
      await setup.run();
    } catch (e) {
      // Every peer learns why, even one not linked yet, before this party gives up.
      await setup.tellEveryone(REFUSAL_LINGER_MS);
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
    this.stopListening();
    for (const c of this.#unclaimed.splice(0)) {
      c.stream.destroy();
      c.tls.destroy();
    }
  }
}

/** Establishes the links of one session. */
class Setup {
  readonly #t: TlsTransport;
  readonly #cfg: ResolvedOptions;
  readonly #dialer: Dialer;
  readonly #handshakeTimeoutMs: number;
  readonly #log: (line: string) => void;
  readonly #deadline: number;
  #failed: ConnectError | undefined;
  /** Why this party stops, for the peers: set with #failed. */
  #refusal = '';
  /** Peers that have been told (a close frame on their link, or a refusal). */
  readonly #told = new Set<number>();
  #onTold: (() => void) | undefined;
  #onFail: ((e: ConnectError) => void) | undefined;
  /** Refusals sent, each resolving once its connection has closed (bounded by REFUSAL_GRACE_MS). */
  readonly #lingering: Promise<void>[] = [];
  /** Per lower-index peer: resolves when its connection is accepted and greeted. */
  readonly #inbound = new Map<number, { resolve: () => void; refusals: string[] }>();

  constructor(
    t: TlsTransport,
    cfg: ResolvedOptions,
    dialer: Dialer,
    handshakeTimeoutMs: number,
    log: (l: string) => void,
  ) {
    this.#t = t;
    this.#cfg = cfg;
    this.#dialer = dialer;
    this.#handshakeTimeoutMs = handshakeTimeoutMs;
    this.#log = log;
    this.#deadline = Date.now() + cfg.connectTimeoutMs;
  }

  #fail(e: ConnectError): void {
    if (this.#failed) return;
    this.#failed = e;
    this.#refusal = `could not link every party: ${e.message}`;
    this.#onFail?.(e);
  }

  /**
   * After a failure: every peer learns why within `lingerMs`. Links made (or
   * being made) get a close frame with the reason; a peer without one is
   * refused with it (a close frame instead of the hello) when it connects, and
   * a higher-index one is dialled to be refused, until it answers or the
   * time is up. Then waits for the links' sockets to close (bounded too).
   * After the connect deadline (a 'timeout' or 'unreachable' failure) the
   * peers' deadlines are passing too: only the links made are told.
   */
  async tellEveryone(lingerMs: number): Promise<void> {
    const { self, peers } = this.#cfg;
    const deadline = Date.now() + lingerMs;
    const late = this.#failed?.reason === 'timeout' || this.#failed?.reason === 'unreachable';
    for (let j = 0; j < peers.length; j++)
      if (j !== self && (late || this.#t.adopted(j))) this.#told.add(j);
    const closing = this.#t.shutdown(lingerMs, this.#refusal);
    const dials: Promise<void>[] = [];
    for (let j = self + 1; j < peers.length; j++)
      if (!this.#told.has(j)) dials.push(this.#refuseByDialling(j, deadline));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      this.#onTold = () => {
        if (this.#told.size === peers.length - 1) {
          clearTimeout(timer);
          resolve();
        }
      };
      this.#onTold();
    });
    this.#onTold = undefined;
    await Promise.all([closing, ...dials]);
    // Refusals sent until now are read, or given up on, before this party exits.
    await Promise.all(this.#lingering);
  }

  /**
   * Sends the refusal (a close frame with the reason, no hello) on a new
   * connection from or to peer j, then lingers until the peer closes (it does
   * once it has read the refusal) or REFUSAL_GRACE_MS pass. Meanwhile what the
   * peer sends (its hello) is read and dropped: a socket closed with unread
   * bytes sends a TCP reset, and a reset can discard the refusal on the
   * peer's side before it is read, leaving it a bare hang-up to explain.
   */
  #refuse(c: Conn, j: number): void {
    const reason = encodeCloseReason(this.#refusal);
    c.stream.on('error', () => {});
    if (c.tap) c.tap.attach(() => {});
    else c.stream.resume();
    c.stream.end(
      encodeFrame(
        { kind: FrameKind.close, sender: this.#cfg.self, round: 0, session: this.#cfg.tag },
        reason,
      ),
    );
    this.#lingering.push(
      new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          c.stream.destroy();
          c.tls.destroy();
          resolve();
        };
        const timer = setTimeout(done, REFUSAL_GRACE_MS);
        if (c.stream.destroyed) done();
        else c.stream.once('close', done);
      }),
    );
    this.#told.add(j);
    this.#onTold?.();
  }

  /** Peer j cannot be told: stop waiting for it. */
  #giveUp(j: number): void {
    this.#told.add(j);
    this.#onTold?.();
  }

  /** Dials peer j (retrying while it is not listening, until `deadline`) to refuse it. */
  async #refuseByDialling(j: number, deadline: number): Promise<void> {
    if (this.#told.has(j)) return;
    const p = this.#cfg.peers[j]!;
    while (!this.#told.has(j) && Date.now() < deadline) {
      try {
        const c = await this.#dialer(j, p, Math.max(1, deadline - Date.now()));
        if (c.tls.getPeerX509Certificate()?.fingerprint256 === p.fingerprint)
          return this.#refuse(c, j);
        // Not the party the federation pins: it cannot be told.
        c.stream.destroy();
        return this.#giveUp(j);
      } catch (e) {
        // A TLS failure does not go away by retrying.
        if (e instanceof ConnectError) return this.#giveUp(j);
        await new Promise((r) =>
          setTimeout(r, Math.min(REFUSAL_RETRY_MS, Math.max(0, deadline - Date.now()))),
        );
      }
    }
  }

  async run(): Promise<void> {
    const { self, peers } = this.#cfg;
    const failed = new Promise<never>((_, reject) => {
      this.#onFail = reject;
      if (this.#failed) reject(this.#failed);
    });
    failed.catch(() => {});
    // A greeted link whose peer breaks the protocol or aborts fails the set-up at once.
    this.#t.onFatal((e) =>
      this.#fail(
        new ConnectError(
          'closed',
          e.peer,
          peers[e.peer]?.id ?? `#${e.peer}`,
          e.reason === 'peer-closed' ? e.detail : `${e.reason}: ${e.detail}`,
        ),
      ),
    );
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
  accept(c: Conn): void {
    const { peers, self } = this.#cfg;
    const s = c.tls;
    const from = `${s.remoteAddress}:${s.remotePort}`;
    const refuse = (why: string, peer?: number) => {
      this.#log(`refused connection from ${from}: ${why}`);
      if (peer !== undefined) this.#inbound.get(peer)?.refusals.push(why);
      else for (const v of this.#inbound.values()) v.refusals.push(`${from}: ${why}`);
      c.stream.destroy();
      s.destroy();
    };
    const cert = s.getPeerX509Certificate();
    if (!cert) return refuse('no client certificate');
    const fp = cert.fingerprint256;
    const j = peers.findIndex((p) => p.fingerprint === fp);
    if (j < 0) return refuse(`certificate ${fp} is not in the federation`);
    if (j === self) return refuse(`it presents this party's own certificate`, undefined);
    if (this.#failed) {
      // A party of the federation is told why, instead of finding a closed door.
      this.#log(
        `refused party ${peers[j]!.id} from ${from}: this party could not link every party`,
      );
      return this.#refuse(c, j);
    }
    if (j > self)
      return refuse(
        `party ${peers[j]!.id} has the higher index and should be dialled, not dial`,
        j,
      );
    if (this.#t.hasLink(j)) return refuse(`second connection from party ${peers[j]!.id}`, j);
    this.#greet(c, j).then(
      () => {
        this.#log(`accepted party ${peers[j]!.id} from ${from}`);
        this.#inbound.get(j)?.resolve();
      },
      (e: ConnectError) => {
        // After this party's own failure, a link it closed is no news.
        if (!this.#failed) this.#log(e.message);
        // A peer that greets wrongly is misconfigured, not a stranger: stop.
        this.#fail(e);
      },
    );
  }

  /** Sends our hello and waits for the peer's; installs the link. */
  #greet(c: Conn, j: number): Promise<void> {
    // A connection that completes after setup failed is not adopted: the peer is told why.
    if (this.#failed) {
      this.#refuse(c, j);
      return Promise.reject(this.#failed);
    }
    const link = this.#t.adopt(j, c.stream, c.tap);
    return link.greeted(Math.max(1, this.#deadline - Date.now()));
  }

  async #dial(j: number): Promise<void> {
    const p = this.#cfg.peers[j]!;
    const maxDelay = isLoopback(p.host) ? LOOPBACK_MAX_RETRY_DELAY_MS : MAX_RETRY_DELAY_MS;
    let delay = Math.min(this.#cfg.retryDelayMs, maxDelay);
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
      const outcome = await this.#attempt(j, Math.min(left, this.#handshakeTimeoutMs));
      if (outcome === 'ok') {
        this.#log(`connected to party ${p.id} at ${p.host}:${p.port}`);
        return;
      }
      last = outcome;
      // The peer may not be listening yet: back off exponentially (bounded by the deadline).
      const wait = Math.min(delay, Math.max(0, this.#deadline - Date.now()));
      await new Promise((r) => setTimeout(r, wait));
      delay = Math.min(delay * 2, maxDelay);
    }
  }

  /** One dial: 'ok', or a transient reason to retry; throws ConnectError when retrying cannot help. */
  async #attempt(j: number, budgetMs: number): Promise<'ok' | string> {
    const p = this.#cfg.peers[j]!;
    let c: Conn;
    try {
      c = await this.#dialer(j, p, budgetMs);
    } catch (e) {
      if (e instanceof ConnectError) {
        this.#log(e.message);
        throw e;
      }
      // Refused, reset, unreachable, slow: the peer may be starting.
      return describeError(e);
    }
    const fp = c.tls.getPeerX509Certificate()?.fingerprint256;
    if (fp !== p.fingerprint) {
      // Close politely, so the peer learns at once that it was refused.
      c.stream.end();
      setTimeout(() => c.stream.destroy(), 1_000).unref();
      const e = new ConnectError(
        'certificate',
        j,
        p.id,
        `${p.host}:${p.port} presented certificate ${fp ?? '(none)'}, the federation pins ${p.fingerprint}`,
      );
      this.#log(e.message);
      throw e;
    }
    try {
      await this.#greet(c, j);
    } catch (e) {
      if (!this.#failed) this.#log((e as Error).message);
      throw e;
    }
    return 'ok';
  }
}
