/**
 * Per-party counters the runtime keeps for every session, and per channel
 * (a channel's counters have its parent's as `parent`: operations counted on
 * a channel count for the parent too; the round engine credits rounds,
 * messages and bytes to every channel concerned and its ancestors).
 */
export class Stats {
  constructor(readonly parent?: Stats) {}

  /** Communication rounds this party took part in (flushes that sent or awaited data). */
  rounds = 0;
  messagesSent = 0;
  messagesReceived = 0;
  bytesSent = 0;
  bytesReceived = 0;
  /** Elements processed per operation name, e.g. { mul: 1000, ltz: 10 }. */
  readonly operations: Record<string, number> = {};

  count(op: string, elements: number): void {
    this.operations[op] = (this.operations[op] ?? 0) + elements;
    this.parent?.count(op, elements);
  }

  snapshot(): StatsSnapshot {
    return {
      rounds: this.rounds,
      messagesSent: this.messagesSent,
      messagesReceived: this.messagesReceived,
      bytesSent: this.bytesSent,
      bytesReceived: this.bytesReceived,
      operations: { ...this.operations },
    };
  }
}

export interface StatsSnapshot {
  rounds: number;
  messagesSent: number;
  messagesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  operations: Record<string, number>;
}

/** The difference `after - before`, for measuring one part of a program. */
export function diffStats(after: StatsSnapshot, before: StatsSnapshot): StatsSnapshot {
  const operations: Record<string, number> = {};
  for (const [k, v] of Object.entries(after.operations)) {
    const d = v - (before.operations[k] ?? 0);
    if (d) operations[k] = d;
  }
  return {
    rounds: after.rounds - before.rounds,
    messagesSent: after.messagesSent - before.messagesSent,
    messagesReceived: after.messagesReceived - before.messagesReceived,
    bytesSent: after.bytesSent - before.bytesSent,
    bytesReceived: after.bytesReceived - before.bytesReceived,
    operations,
  };
}
