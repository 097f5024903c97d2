/**
 * A simulated wide-area link: a fixed one-way delay on every message,
 * for tests and benchmarks of how a computation behaves between distant
 * parties (issue 24). It is no security mechanism and hides nothing.
 *
 * The delay is a latency, not a bandwidth limit: a message handed over at
 * time t is passed on at t + delay, whatever else is in flight, so several
 * messages travel at once (as on a real link, where a message's bytes are
 * on the wire while the next is sent) and the order of one link is kept.
 * One timer per link, armed for the oldest message, rather than one timer
 * per message: a round of a large computation sends thousands of messages.
 */
import { TransportError, type Payload, type Transport } from './transport.js';

/** The clock and timer a delay line runs on; injected so tests can drive time by hand. */
export interface DelayClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Calls `f` once after at least `ms` milliseconds; returns a handle for `cancel`. */
  after(ms: number, f: () => void): unknown;
  cancel(handle: unknown): void;
}

/** The real clock: performance.now() and setTimeout (in browsers and Node alike). */
export const realClock: DelayClock = {
  now: () => performance.now(),
  after: (ms, f) => setTimeout(f, ms),
  cancel: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * One direction of one link: callbacks run in the order pushed, each at
 * least `delayMs` after its push.
 */
export class DelayLine {
  readonly #queue: Array<{ due: number; deliver: () => void }> = [];
  #timer: unknown;
  #idle: Array<() => void> = [];

  constructor(
    readonly delayMs: number,
    private readonly clock: DelayClock = realClock,
  ) {
    if (!Number.isFinite(delayMs) || delayMs < 0)
      throw new RangeError(`delay: expected a non-negative number of milliseconds, got ${delayMs}`);
  }

  /** Messages pushed and not yet delivered. */
  get pending(): number {
    return this.#queue.length;
  }

  push(deliver: () => void): void {
    this.#queue.push({ due: this.clock.now() + this.delayMs, deliver });
    if (this.#timer === undefined) this.#arm();
  }

  /** Resolves once every message pushed so far has been delivered (at once when none is pending). */
  drained(): Promise<void> {
    if (this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Drops every pending message (the link is closing); waiters of `drained` are released. */
  clear(): void {
    if (this.#timer !== undefined) this.clock.cancel(this.#timer);
    this.#timer = undefined;
    this.#queue.length = 0;
    for (const f of this.#idle.splice(0)) f();
  }

  #arm(): void {
    const head = this.#queue[0]!;
    // Timers may fire up to a millisecond early (whole-millisecond loop time);
    // #fire re-checks against the clock, so nothing is ever delivered early.
    this.#timer = this.clock.after(Math.max(0, Math.ceil(head.due - this.clock.now())), () =>
      this.#fire(),
    );
  }

  #fire(): void {
    this.#timer = undefined;
    const now = this.clock.now();
    while (this.#queue.length > 0 && this.#queue[0]!.due <= now) {
      const { deliver } = this.#queue.shift()!;
      deliver();
    }
    if (this.#queue.length > 0) this.#arm();
    else for (const f of this.#idle.splice(0)) f();
  }
}

/** A transport whose sends reach the inner transport `delayMs` later; see {@link delayedTransport}. */
export interface DelayedTransport extends Transport {
  /** Resolves once every message sent so far has been handed to the inner transport. */
  flushed(): Promise<void>;
}

/**
 * `inner` with a one-way delay of `delayMs` on every message it sends (each
 * peer has its own line). Receives are not delayed: with every party's
 * transport wrapped, each message is delayed once. Call `flushed()` before a
 * graceful shutdown of the inner transport, so the last messages still go
 * out; `close()` drops what is still in flight (the session is over).
 *
 * A send the inner transport refuses with a TransportError when its time
 * comes (it closed, or a peer broke the session meanwhile) is dropped: that
 * failure reaches the program through its next receive, as it would for an
 * undelayed send to a peer that is gone. Any other error of the inner send
 * (a caller's bug) is thrown from the timer.
 * @throws {RangeError} for a negative or non-finite delay.
 */
export function delayedTransport(
  inner: Transport,
  delayMs: number,
  clock: DelayClock = realClock,
): DelayedTransport {
  const lines = Array.from({ length: inner.parties }, () => new DelayLine(delayMs, clock));
  let closed = false;
  const wrapped: DelayedTransport = {
    self: inner.self,
    parties: inner.parties,
    sessionId: inner.sessionId,
    send(to: number, round: number, payload: Payload): void {
      const line = lines[to];
      if (!line) throw new RangeError(`send: no party ${to} (have ${inner.parties})`);
      if (closed) {
        inner.send(to, round, payload); // the inner transport names the failure
        return;
      }
      line.push(() => {
        try {
          inner.send(to, round, payload);
        } catch (e) {
          // A link failure surfaces at a receive (see the doc comment); anything
          // else is a caller's bug (a round out of order, an oversized message)
          // and is thrown from the timer, uncaught, rather than lost.
          if (!(e instanceof TransportError)) throw e;
        }
      });
    },
    receive: (from, round, deadlineMs) => inner.receive(from, round, deadlineMs),
    close(): void {
      closed = true;
      for (const l of lines) l.clear();
      inner.close();
    },
    flushed: async () => {
      await Promise.all(lines.map((l) => l.drained()));
    },
  };
  if (inner.onFatal) wrapped.onFatal = (listener) => inner.onFatal!(listener);
  return wrapped;
}
