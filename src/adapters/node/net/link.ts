/**
 * The link layer of the network transports: one Link per peer over an
 * authenticated byte stream (a TLS socket, or a WebSocket over TLS), and the
 * Transport built from them.
 *
 * Assumes the stream is already authenticated as the peer (the endpoints in
 * endpoint.ts, tls.ts and ws.ts pin certificates) and private; it is ordered
 * and reliable. On it: a hello each way, then data frames with strictly
 * increasing rounds, heartbeats when a link has been quiet for `heartbeatMs`,
 * and a close frame with the reason when a party stops (docs/WIRE.md).
 *
 * Failures are per peer and sticky: a malformed, oversized, wrong-session,
 * duplicated or flooding frame, a closed connection or a silent peer fails
 * every pending and future receive from that peer with a TransportError
 * naming it. Messages that arrived intact before a disconnection are still
 * delivered; after a protocol violation nothing from that peer is.
 *
 * A protocol violation, or a peer's close frame with an abort reason, also
 * ends the whole session at once ("fatal"): every pending and future receive,
 * from every peer, fails with that error; the party's runtime is told
 * (Transport.onFatal) and aborts; every peer gets a close frame naming the
 * offender and the violation. So nobody waits for a round deadline after a
 * violation (docs/WIRE.md, "Failure semantics").
 *
 * Memory: a peer may have at most `maxAheadRounds` messages and
 * `maxAheadBytes` bytes (the frame being received included) buffered here
 * before this party asks for them; a frame beyond either is refused from its
 * header, before its payload is allocated, as a 'flood' violation.
 */
import type { Duplex } from 'node:stream';
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
  type FrameHeader,
} from '../../../transport/frame.js';
import {
  payloadBytes,
  payloadLength,
  TransportError,
  type Payload,
  type Transport,
} from '../../../transport/transport.js';
import type { ReadTap } from './endpoint.js';
import { ConnectError } from './errors.js';
import { normalizeFingerprint } from './fingerprint.js';

export interface TlsPeer {
  /** The party's id, for messages. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** SHA-256 fingerprint of its certificate (any common spelling). */
  readonly fingerprint: string;
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
  /**
   * Most bytes of messages one peer may have buffered here before this party
   * asks for them, the frame being received included (a message this party
   * already waits for is not counted). Default: 2 x maxFrameBytes, at least
   * MIN_DEFAULT_AHEAD_BYTES; never less than maxFrameBytes.
   */
  readonly maxAheadBytes?: number;
  /** Most messages (rounds) one peer may have buffered here. Default DEFAULT_MAX_AHEAD_ROUNDS. */
  readonly maxAheadRounds?: number;
  /** First retry delay when a peer is not listening yet; doubles up to 2 s. Default 50 ms. */
  readonly retryDelayMs?: number;
}

/** Frames up to this size go out as one buffer; larger ones as header + payload under cork. */
const COALESCE_BYTES = 64 * 1024;

/**
 * The default bound on what one peer may have buffered here ahead of this
 * party is 2 x maxFrameBytes (512 MiB with the default frame limit, as the
 * sending side's maxQueuedBytes), and never less than this: 256 MiB.
 * docs/WIRE.md ("Memory") gives what honest runs reach (at most tens of MiB).
 */
export const MIN_DEFAULT_AHEAD_BYTES = 256 * 1024 * 1024;
/** Default bound on the number of messages one peer may have buffered here ahead. */
export const DEFAULT_MAX_AHEAD_ROUNDS = 1024;

type Waiter = {
  resolve: (b: Uint8Array) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
};

/** @internal Session options with defaults filled in. */
export interface ResolvedOptions {
  readonly self: number;
  readonly peers: ReadonlyArray<TlsPeer & { readonly fingerprint: string }>;
  readonly sessionId: string;
  readonly tag: Uint8Array;
  readonly connectTimeoutMs: number;
  readonly heartbeatMs: number;
  readonly idleTimeoutMs: number;
  readonly maxFrameBytes: number;
  readonly maxQueuedBytes: number;
  readonly maxAheadBytes: number;
  readonly maxAheadRounds: number;
  readonly retryDelayMs: number;
}

/** @internal @throws {RangeError} for inconsistent options. */
export function resolveOptions(o: TlsSessionOptions): ResolvedOptions {
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
  const maxFrameBytes = o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (
    !Number.isInteger(maxFrameBytes) ||
    maxFrameBytes < FRAME_HEADER_BYTES ||
    maxFrameBytes > 0xffff_ffff
  )
    throw new RangeError(`maxFrameBytes: expected an integer 40..4294967295, got ${maxFrameBytes}`);
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
    maxAheadBytes: Math.max(
      maxFrameBytes,
      pos('maxAheadBytes', o.maxAheadBytes, Math.max(2 * maxFrameBytes, MIN_DEFAULT_AHEAD_BYTES)),
    ),
    maxAheadRounds: pos('maxAheadRounds', o.maxAheadRounds, DEFAULT_MAX_AHEAD_ROUNDS),
    retryDelayMs: pos('retryDelayMs', o.retryDelayMs, 50),
  };
}

/** @internal A one-line description of a socket error. */
export function describeError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const code = err.code ?? '';
  const msg = (err.message ?? String(e)).split('\n')[0]!;
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

/** @internal One peer's connection, its decoder, inbox and send queue. */
export class Link {
  readonly inbox = new Map<number, Uint8Array>();
  /** Payload bytes in `inbox`. */
  inboxBytes = 0;
  /** The payload length of the data frame being received, when it counts as ahead (else 0). */
  partialAhead = 0;
  /** Most bytes and messages this peer had buffered here ahead at any time (frame in progress included). */
  peakAheadBytes = 0;
  peakAheadRounds = 0;
  readonly waiters = new Map<number, Waiter>();
  readonly decoder: FrameDecoder;
  failure: TransportError | undefined;
  /** Highest round received (whole frame), -1 before any. */
  lastRound = -1;
  /** Highest round of a data frame header admitted, -1 before any. */
  #headerRound = -1;
  /** Highest round sent, -1 before any. */
  lastSent = -1;
  lastRx = Date.now();
  lastTx = Date.now();
  /** Frames waiting for 'drain'; bounded by maxQueuedBytes. */
  queue: Uint8Array[] = [];
  /** Per queued part: whether it ends its frame (the queue may start inside a frame). */
  queueEnds: boolean[] = [];
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
    /** The frame stream: a TLS socket, or a WebSocket's stream. */
    readonly socket: Duplex,
    private readonly t: TlsTransport,
    private readonly cfg: ResolvedOptions,
    tap?: ReadTap,
  ) {
    this.decoder = new FrameDecoder({
      maxFrameBytes: cfg.maxFrameBytes,
      admit: (h, length) => this.#admit(h, length),
    });
    if (tap) tap.attach((chunk) => this.#onData(chunk));
    else socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.#onDrain());
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.#lastSocketError = describeError(e);
      // The WebSocket layer refuses a message over its limit or a bad frame itself.
      if (e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
        this.#violation('oversized', `WebSocket message over the limit (${describeError(e)})`);
      else if (e.code?.startsWith('WS_ERR_'))
        this.#violation('malformed', `bad WebSocket frame (${describeError(e)})`);
    });
    socket.on('end', () => {
      if (!this.#truncated()) this.fail('peer-closed', `party ${this.id} closed the connection`);
    });
    socket.on('close', () => {
      if (!this.#truncated())
        this.fail(
          'peer-closed',
          `connection to party ${this.id} lost${this.#lastSocketError ? ` (${this.#lastSocketError})` : ''}`,
        );
    });
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

  #onData(chunk: Uint8Array): void {
    this.lastRx = Date.now();
    if (
      this.#peerClosed ||
      this.t.closed ||
      (this.failure && this.failure.reason !== 'peer-closed')
    )
      return;
    const error = this.decoder.feed(chunk, (f) => this.#onFrame(f));
    if (error) this.#violation(error.reason, error.message);
  }

  /**
   * A frame's header, before its payload is read or allocated: every check
   * that the header allows is made here, so a bad frame is refused at once
   * whatever its length. False once the link has failed.
   */
  #admit(h: FrameHeader, length: number): boolean {
    if (h.sender !== this.peer) {
      this.#violation(
        'malformed',
        `frame claims sender ${h.sender} on the link of party ${this.peer}`,
      );
      return false;
    }
    if (!sameTag(h.session, this.cfg.tag)) {
      this.#violation(
        'wrong-session',
        `${kindName(h.kind)} frame of another session (session id, suite or federation file differ)`,
      );
      return false;
    }
    if (h.kind === FrameKind.close) return true;
    if (!this.#greetingDone) {
      if (h.kind !== FrameKind.hello) {
        this.#violation('malformed', `${kindName(h.kind)} frame before hello`);
        return false;
      }
      return true;
    }
    if (h.kind === FrameKind.heartbeat) return true;
    if (h.kind === FrameKind.hello) {
      this.#violation('malformed', 'second hello');
      return false;
    }
    if (h.round <= this.#headerRound) {
      if (h.round === this.#headerRound)
        this.#violation('duplicate', `second frame for round ${h.round}`);
      else
        this.#violation(
          'malformed',
          `round ${h.round} after round ${this.#headerRound} (rounds must increase)`,
        );
      return false;
    }
    this.#headerRound = h.round;
    this.partialAhead = 0;
    // A message this party already waits for is handed over as it completes.
    if (this.waiters.has(h.round)) return true;
    const rounds = this.inbox.size + 1;
    const bytes = this.inboxBytes + length;
    if (rounds > this.cfg.maxAheadRounds) {
      this.#violation(
        'flood',
        `party ${this.id} sent round ${h.round} with ${this.inbox.size} messages already buffered here that this party has not asked for, over the limit of ${this.cfg.maxAheadRounds} rounds ahead (maxAheadRounds)`,
      );
      return false;
    }
    if (bytes > this.cfg.maxAheadBytes) {
      this.#violation(
        'flood',
        `party ${this.id} sent ${length} bytes for round ${h.round} with ${this.inboxBytes} bytes already buffered here that this party has not asked for, over the limit of ${this.cfg.maxAheadBytes} bytes ahead (maxAheadBytes)`,
      );
      return false;
    }
    if (bytes > this.peakAheadBytes) this.peakAheadBytes = bytes;
    if (rounds > this.peakAheadRounds) this.peakAheadRounds = rounds;
    this.partialAhead = length;
    return true;
  }

  /** Handles one complete frame (its header passed #admit); false once the link has failed. */
  #onFrame(f: Frame): boolean {
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
      // A peer that finished is no failure to report: only a later receive from it would be.
      this.fail(
        'peer-closed',
        why
          ? `party ${this.id} aborted: ${why}`
          : `party ${this.id} finished and closed the connection`,
        why !== '',
      );
      // A peer that aborts has stopped computing: this session cannot finish.
      if (why && this.#greetingDone && this.failure) this.t.fatal(this.failure);
      return false;
    }
    if (f.kind === FrameKind.hello) {
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
    this.lastRound = f.round;
    this.partialAhead = 0;
    const w = this.waiters.get(f.round);
    if (w) {
      this.waiters.delete(f.round);
      if (w.timer) clearTimeout(w.timer);
      w.resolve(f.payload);
    } else {
      this.inbox.set(f.round, f.payload);
      this.inboxBytes += f.payload.length;
    }
    return true;
  }

  /** Takes the buffered message of `round`, if there is one. */
  take(round: number): Uint8Array | undefined {
    const m = this.inbox.get(round);
    if (m) {
      this.inbox.delete(round);
      this.inboxBytes -= m.length;
    }
    return m;
  }

  /**
   * The connection ended inside a frame: a truncated frame, a violation.
   * False (nothing done) when it ended between frames.
   */
  #truncated(): boolean {
    const got = this.decoder.buffered;
    if (got === 0 || this.failure || !this.#greetingDone || this.t.closed) return false;
    const of = this.decoder.expected;
    this.#violation(
      'malformed',
      `truncated frame: the connection ended ${got} bytes into a ${of > 0 ? `frame of ${of} bytes` : 'frame header'}`,
    );
    return true;
  }

  /**
   * The peer broke the protocol: nothing more from it is trusted, including
   * what is queued; after the greeting the whole session ends (fatal).
   */
  #violation(
    reason: 'malformed' | 'oversized' | 'duplicate' | 'wrong-session' | 'flood',
    detail: string,
  ): void {
    if (this.failure && this.failure.reason !== 'peer-closed') return;
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
    this.inboxBytes = 0;
    this.partialAhead = 0;
    this.fail(reason, detail);
    // Tell the peer why it is cut off (header fields only, never payload bytes).
    this.sendClose(`refused your frames: ${reason}: ${detail}`);
    this.hangUp();
    if (this.#greetingDone) this.t.fatal(this.failure!);
  }

  /**
   * Writes a close frame with `reason` ('' for a normal end), if the socket still takes
   * writes. `abort`: the frames queued behind backpressure are dropped (they no longer
   * matter) and the close frame goes to the socket directly, after the whole frames it
   * already holds, so that the peer learns why even from a party with data in flight.
   */
  sendClose(reason: string, abort = false): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    if (this.blocked && !abort) return;
    const payload = encodeCloseReason(reason);
    const header = encodeFrameHeader(
      { kind: FrameKind.close, sender: this.cfg.self, round: 0, session: this.cfg.tag },
      payload.length,
    );
    if (!abort) return this.write(header, payload);
    // The rest of a frame the socket already has part of still goes (the peer must be
    // able to parse the close frame after it); the whole frames queued behind it do not.
    const rest = this.queueEnds.indexOf(true);
    for (const part of this.queue.slice(0, rest + 1)) this.socket.write(part);
    this.queue = [];
    this.queueEnds = [];
    this.queuedBytes = 0;
    this.socket.write(payloadBytes([header, payload]));
  }

  /**
   * Ends the connection after what is already written (our hello, so the peer
   * can see why), then destroys it if the peer does not close within a second.
   */
  hangUp(): void {
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1_000).unref();
  }

  /**
   * Fails every pending and future receive from this peer (first failure
   * wins); logs it unless `report` is false or this party is closing or
   * finishing (then links closing are expected).
   */
  fail(reason: TransportError['reason'], detail: string, report = true): void {
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
    this.failure = new TransportError(reason, this.peer, detail, this.id);
    if (report && !this.t.closed && !this.t.finishing)
      this.t.log(`link to party ${this.id} failed: ${this.failure.message}`);
    for (const w of this.waiters.values()) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(this.failure);
    }
    this.waiters.clear();
    this.queue = [];
    this.queueEnds = [];
    this.queuedBytes = 0;
  }

  /** Writes a frame (header + payload), queueing it while the socket is above its high-water mark. */
  write(header: Uint8Array, payload: Payload): void {
    const size = header.length + payloadLength(payload);
    const parts =
      size <= COALESCE_BYTES
        ? [payloadBytes([header, ...(payload instanceof Uint8Array ? [payload] : payload)])]
        : [header, ...(payload instanceof Uint8Array ? [payload] : payload)].filter(
            (p) => p.length > 0,
          );
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
      this.queueEnds.push(...parts.map((_, i) => i === parts.length - 1));
      this.queuedBytes += size;
      return;
    }
    // The runtime sends at most one data frame per link per round, so a small
    // frame is already one write (one TLS record, one system call). The parts
    // of a large frame (header, then the payload's parts, uncopied) go out
    // together under cork, as one writev.
    // Corking across a whole turn instead (uncork in a microtask) was measured
    // to add about 20 us to a round trip and save nothing.
    let ok: boolean;
    if (parts.length === 1) ok = this.socket.write(parts[0]!);
    else {
      this.socket.cork();
      ok = true;
      for (const p of parts) ok = this.socket.write(p);
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
      this.queueEnds.shift();
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

/** The Transport of one party over TLS links (raw or WebSocket); made by an endpoint's connect(). */
export class TlsTransport implements Transport {
  readonly self: number;
  readonly parties: number;
  readonly sessionId: string;
  readonly #cfg: ResolvedOptions;
  readonly #links: Array<Link | undefined>;
  readonly #logSink: (line: string) => void;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  /** The program finished (shutdown without a reason): peers' aborts no longer end the session. */
  #finishing = false;
  /** The violation or peer abort that ended the session, if any. */
  #fatal: TransportError | undefined;
  #fatalListeners: Array<(e: TransportError) => void> = [];
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

  /** @internal The program finished: this party is closing its links without a reason. */
  get finishing(): boolean {
    return this.#finishing;
  }

  /** @internal */
  log(line: string): void {
    this.#logSink(line);
  }

  /** @internal */
  hasLink(j: number): boolean {
    return this.#links[j] !== undefined && !this.#links[j]!.failure;
  }

  /** @internal A connection to peer j was adopted (greeted or not, failed or not). */
  adopted(j: number): boolean {
    return this.#links[j] !== undefined;
  }

  /** @internal */
  linkFailure(j: number): TransportError | undefined {
    return this.#links[j]?.failure;
  }

  /** The violation or peer abort that ended this session, if any. */
  get fatalError(): TransportError | undefined {
    return this.#fatal;
  }

  /**
   * What peer `j` has buffered here that this party has not asked for yet
   * (messages and bytes, the frame being received included), and the most it
   * ever had; bounded by maxAheadRounds and maxAheadBytes.
   */
  ahead(j: number): { rounds: number; bytes: number; peakRounds: number; peakBytes: number } {
    const l = this.#links[j];
    if (!l) return { rounds: 0, bytes: 0, peakRounds: 0, peakBytes: 0 };
    const partial = l.decoder.allocated > 0 ? l.partialAhead : 0;
    return {
      rounds: l.inbox.size + (partial > 0 ? 1 : 0),
      bytes: l.inboxBytes + partial,
      peakRounds: l.peakAheadRounds,
      peakBytes: l.peakAheadBytes,
    };
  }

  onFatal(listener: (e: TransportError) => void): void {
    if (this.#fatal) listener(this.#fatal);
    else this.#fatalListeners.push(listener);
  }

  /**
   * @internal A peer broke the protocol, or aborted: this party cannot
   * finish. Fails every pending receive (from every peer) with `e`, tells
   * the listeners (the runtime aborts, which closes the transport with its
   * reason), then closes every link with a close frame naming the offender.
   */
  fatal(e: TransportError): void {
    if (this.#fatal || this.#closed || this.#finishing) return;
    this.#fatal = e;
    this.log(
      `ending the session: ${e.reason} (party ${this.#cfg.peers[e.peer]?.id ?? e.peer}): ${e.detail}`,
    );
    for (const l of this.#links) {
      if (!l) continue;
      for (const w of l.waiters.values()) {
        if (w.timer) clearTimeout(w.timer);
        w.reject(e);
      }
      l.waiters.clear();
    }
    for (const f of this.#fatalListeners.splice(0)) f(e);
    if (!this.#closed) this.close();
  }

  /** The close reason that names the offender: the runtime's ProtocolAbort message, in its format. */
  #fatalReason(e: TransportError): string {
    return `protocol aborted: ${e.reason} (peer ${this.#cfg.peers[e.peer]?.id ?? e.peer}): ${e.detail}`;
  }

  /** @internal Installs the connection to peer j and sends our hello. */
  adopt(j: number, s: Duplex, tap?: ReadTap): Link {
    const link = new Link(j, s, this, this.#cfg, tap);
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

  send(to: number, round: number, payload: Payload): void {
    const link = this.#link(to, 'send');
    if (this.#fatal) throw this.#fatal;
    if (this.#closed) throw new TransportError('closed', to, 'transport is closed', link.id);
    if (!Number.isSafeInteger(round) || round <= link.lastSent)
      throw new RangeError(
        `send: round ${round} to party ${link.id} after round ${link.lastSent} (rounds must increase)`,
      );
    const length = payloadLength(payload);
    if (FRAME_HEADER_BYTES + length > this.#cfg.maxFrameBytes)
      throw new RangeError(
        `send: message of ${length} bytes exceeds maxFrameBytes ${this.#cfg.maxFrameBytes}`,
      );
    link.lastSent = round;
    // Like the in-memory transport, sending to a peer that is gone is silent:
    // its failure surfaces at the next receive from it, if one is needed.
    if (link.failure) return;
    link.write(
      encodeFrameHeader(
        { kind: FrameKind.data, sender: this.self, round, session: this.#cfg.tag },
        length,
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
    if (this.#fatal) return Promise.reject(this.#fatal);
    if (this.#closed)
      return Promise.reject(new TransportError('closed', from, 'transport is closed', link.id));
    const ready = link.take(round);
    if (ready) return Promise.resolve(ready);
    if (link.failure) return Promise.reject(link.failure);
    if (round <= link.lastRound)
      return Promise.reject(
        new TransportError(
          'malformed',
          from,
          `party ${link.id} sent round ${link.lastRound} but no message for round ${round}`,
          link.id,
        ),
      );
    if (link.waiters.has(round))
      return Promise.reject(
        new RangeError(`receive: already waiting for round ${round} from party ${link.id}`),
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
                  link.id,
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
      onFatal: (listener) => this.onFatal(listener),
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
    // Closed after a violation without a reason of its own: the peers still learn who and why.
    if (reason === undefined && this.#fatal) reason = this.#fatalReason(this.#fatal);
    if (this.#timer) clearInterval(this.#timer);
    for (const l of this.#links) {
      if (!l) continue;
      for (const w of l.waiters.values()) {
        if (w.timer) clearTimeout(w.timer);
        w.reject(new TransportError('closed', l.peer, 'transport closed while waiting', l.id));
      }
      l.waiters.clear();
      // end() sends what the socket holds, then close_notify and FIN. An abort still
      // tells the peer why when data is queued (that data is dropped); a normal end with
      // data still queued (after shutdown's linger) must not claim a clean finish.
      const abort = reason !== undefined && reason !== '';
      if (l.queue.length === 0 || abort) {
        if (!l.failure || l.failure.reason === 'peer-closed') l.sendClose(reason ?? '', abort);
        l.socket.end();
      } else l.socket.destroy();
    }
    for (const w of this.#drainWaiters.splice(0)) w();
  }

  /**
   * Closes gracefully and waits (at most `lingerMs` in all) for the bytes to
   * leave: with no `reason` (finished), first until every queued frame is
   * handed to the sockets; then sends the close frames, ends the sockets and
   * waits for them to close. Call it before the process exits, or the peers
   * may see a bare disconnection instead of the close frame.
   */
  async shutdown(lingerMs = 5_000, reason?: string): Promise<void> {
    const deadline = Date.now() + lingerMs;
    const pending = () => this.#links.some((l) => l && !l.failure && l.queue.length > 0);
    if (reason === undefined) this.#finishing = true;
    if (!this.#closed && reason === undefined && pending()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, lingerMs);
        this.#drainWaiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
    this.close(reason);
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
