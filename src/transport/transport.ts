/**
 * The transport contract between a party's runtime and the network.
 *
 * A transport carries opaque payloads between numbered parties of one
 * computation session. Each payload is tagged with a round number: the
 * runtime numbers the messages of each link 0, 1, 2, ... in sending order (a
 * party sends at most one message per peer per round; which rounds reach
 * which peer depends on its channels, see src/runtime/party.ts). The receiver
 * asks for "the message from party j for round r" and gets it whatever order
 * messages arrived in. Channels are assumed authenticated and
 * private (the in-memory transport trivially; the network transport through
 * mutually authenticated TLS). Framing on a real wire adds the session id,
 * sender and length around the same (round, payload) pair; see docs/WIRE.md.
 */

export interface Transport {
  /** This party's index, 0-based. */
  readonly self: number;
  /** Number of parties in the session. */
  readonly parties: number;
  /** Identifies the computation; frames of other sessions are refused. */
  readonly sessionId: string;
  /**
   * Queues `payload` for party `to` as its message of `round`: one buffer, or
   * the concatenation of several (a gather write, so large parts need not be
   * copied into one buffer first). Never blocks; the transport owns the bytes
   * after the call.
   */
  send(to: number, round: number, payload: Payload): void;
  /**
   * Resolves with party `from`'s message for `round`; rejects with a
   * TransportError if the peer closed, misbehaved or the deadline passed.
   */
  receive(from: number, round: number, deadlineMs: number): Promise<Uint8Array>;
  /** Releases resources; pending receives reject with a 'closed' error. */
  close(): void;
  /**
   * Optional: calls `listener` once when the session cannot go on, whatever
   * this party waits for: a peer broke the protocol (malformed, oversized,
   * duplicate, wrong-session or flood frames) or closed its link with an
   * abort reason. Called at once if that has already happened. The network
   * transports implement it so a party aborts at the first violation
   * instead of at its next receive from the offender (docs/WIRE.md).
   */
  onFatal?(listener: (e: TransportError) => void): void;
}

/** A message as one buffer or as parts to be concatenated. */
export type Payload = Uint8Array | readonly Uint8Array[];

/** The total length of a payload. */
export function payloadLength(p: Payload): number {
  if (p instanceof Uint8Array) return p.length;
  let n = 0;
  for (const x of p) n += x.length;
  return n;
}

/** A payload as one buffer (copies only when it has several parts). */
export function payloadBytes(p: Payload): Uint8Array {
  if (p instanceof Uint8Array) return p;
  if (p.length === 1) return p[0]!;
  const out = new Uint8Array(payloadLength(p));
  let off = 0;
  for (const x of p) {
    out.set(x, off);
    off += x.length;
  }
  return out;
}

export type TransportFailure =
  | 'timeout'
  | 'peer-closed'
  | 'closed'
  | 'duplicate'
  | 'malformed'
  | 'oversized'
  | 'wrong-session'
  | 'flood';

/**
 * A failure of the link to one peer. Never carries payload bytes. The
 * message names the peer by its id when the transport knows it (the network
 * transports do), else by its 0-based index.
 */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly reason: TransportFailure,
    readonly peer: number,
    /** What happened, without the reason and peer (which have their own fields). */
    readonly detail: string,
    /** The peer's configured id, when known. */
    readonly peerId?: string,
  ) {
    super(`${reason} (party ${peerId ?? peer}): ${detail}`);
  }
}
