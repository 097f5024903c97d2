/**
 * In-memory transport: all parties in one process, each with its own mailbox.
 *
 * Delivery is asynchronous (a macrotask after send) and, when `reorder` is
 * set, messages of different rounds are delivered in shuffled order, so tests
 * exercise the runtime's round matching. The shuffle uses a seeded generator
 * supplied by the caller; it does not touch secrets. With `delayMs`, every
 * message arrives that long after it was sent, as between distant parties
 * (see delay.ts: a latency, several messages in flight at once, order kept).
 */
import { DelayLine, type DelayClock } from './delay.js';
import { nextTask } from './schedule.js';
import { payloadBytes, TransportError, type Payload, type Transport } from './transport.js';

export interface MemoryNetworkOptions {
  /** Deliver messages of different rounds out of order (test aid). */
  reorder?: () => number;
  /**
   * One-way delay of every message in milliseconds (default 0: the next
   * event-loop task). Messages then keep their order (`reorder` is not applied).
   */
  delayMs?: number;
  /** The clock of the delay (tests); default performance.now() and setTimeout. */
  delayClock?: DelayClock;
}

type Waiter = {
  resolve: (b: Uint8Array) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
};

class Mailbox {
  readonly arrived = new Map<string, Uint8Array>();
  readonly waiting = new Map<string, Waiter>();
  closed = false;
}

/** Creates one connected transport per party. */
export function createMemoryNetwork(
  parties: number,
  sessionId = 'memory',
  options: MemoryNetworkOptions = {},
): Transport[] {
  const boxes = Array.from({ length: parties }, () => new Mailbox());
  const delay = options.delayMs ?? 0;
  if (!Number.isFinite(delay) || delay < 0)
    throw new RangeError(`delayMs: expected a non-negative number, got ${delay}`);
  const transports: MemoryTransport[] = [];
  for (let i = 0; i < parties; i++) {
    // One line per direction of each link: party i's messages to j keep their order.
    const lines =
      delay > 0
        ? Array.from({ length: parties }, () => new DelayLine(delay, options.delayClock))
        : undefined;
    transports.push(new MemoryTransport(i, parties, sessionId, boxes, options, lines));
  }
  return transports;
}

class MemoryTransport implements Transport {
  constructor(
    readonly self: number,
    readonly parties: number,
    readonly sessionId: string,
    private readonly boxes: Mailbox[],
    private readonly options: MemoryNetworkOptions,
    private readonly lines: DelayLine[] | undefined,
  ) {}

  send(to: number, round: number, parts: Payload): void {
    const payload = payloadBytes(parts);
    const box = this.boxes[to];
    if (!box) throw new RangeError(`send: no party ${to} (have ${this.parties})`);
    if (this.boxes[this.self]!.closed)
      throw new TransportError('closed', to, 'transport is closed');
    const from = this.self;
    const deliver = () => this.deliver(box, from, round, payload);
    if (this.lines) {
      this.lines[to]!.push(deliver);
    } else if (this.options.reorder && this.options.reorder() < 0.5) {
      // Delay by one extra hop so a later round's message can overtake this one.
      nextTask(() => nextTask(deliver));
    } else {
      nextTask(deliver);
    }
  }

  private deliver(box: Mailbox, from: number, round: number, payload: Uint8Array): void {
    if (box.closed) return;
    const key = `${from}:${round}`;
    const waiter = box.waiting.get(key);
    if (waiter) {
      box.waiting.delete(key);
      if (waiter.timer) clearTimeout(waiter.timer);
      waiter.resolve(payload);
      return;
    }
    if (box.arrived.has(key)) {
      // A second message for the same round is a protocol violation; fail the receiver's next wait.
      box.arrived.set(key, DUPLICATE);
      return;
    }
    box.arrived.set(key, payload);
  }

  receive(from: number, round: number, deadlineMs: number): Promise<Uint8Array> {
    const box = this.boxes[this.self]!;
    if (box.closed)
      return Promise.reject(new TransportError('closed', from, 'transport is closed'));
    const key = `${from}:${round}`;
    const ready = box.arrived.get(key);
    if (ready) {
      box.arrived.delete(key);
      if (ready === DUPLICATE) {
        return Promise.reject(
          new TransportError('duplicate', from, `two messages for round ${round}`),
        );
      }
      return Promise.resolve(ready);
    }
    if (this.boxes[from]?.closed) {
      return Promise.reject(
        new TransportError('peer-closed', from, 'the peer closed its transport'),
      );
    }
    return new Promise((resolve, reject) => {
      const timer =
        deadlineMs > 0 && Number.isFinite(deadlineMs)
          ? setTimeout(() => {
              box.waiting.delete(key);
              reject(
                new TransportError(
                  'timeout',
                  from,
                  `no message for round ${round} within ${deadlineMs} ms`,
                ),
              );
            }, deadlineMs)
          : undefined;
      box.waiting.set(key, { resolve, reject, timer });
    });
  }

  close(): void {
    const mine = this.boxes[this.self]!;
    if (mine.closed) return;
    mine.closed = true;
    for (const l of this.lines ?? []) l.clear();
    for (const [key, w] of mine.waiting) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(
        new TransportError('closed', Number(key.split(':')[0]), 'transport closed while waiting'),
      );
    }
    mine.waiting.clear();
    // Peers waiting on us learn that we are gone instead of waiting for the deadline.
    for (let j = 0; j < this.boxes.length; j++) {
      const box = this.boxes[j]!;
      for (const [key, w] of box.waiting) {
        if (Number(key.split(':')[0]) !== this.self) continue;
        box.waiting.delete(key);
        if (w.timer) clearTimeout(w.timer);
        w.reject(new TransportError('peer-closed', this.self, 'the peer closed its transport'));
      }
    }
  }
}

const DUPLICATE = new Uint8Array(0);
