/**
 * The runtime of one party: its identity, randomness, counters, and the
 * round engine that batches communication.
 *
 * Round batching. Protocol code calls `exchange()` for every interactive step
 * and gets a promise. Exchanges issued before the party next yields to the
 * event loop are sent together, one message per peer, as one round; so 1,000
 * independent multiplications issued in a loop cost one round, and a chain of
 * d dependent ones costs d rounds. All parties run the same program, so they
 * issue the same exchanges in the same order and group them identically: a
 * round's results are released all at once, after every expected peer message
 * of that round has arrived, which keeps the order deterministic. Each message
 * lists the sequence numbers of the exchanges it carries, so a party whose
 * program took a different path is detected ('divergence') instead of
 * misreading data.
 *
 * What this asks of concurrent protocol code (several tasks awaiting
 * exchanges at once, e.g. one OT instance per pair of parties): the order in
 * which their continuations issue the next round's exchanges must be the
 * same at every party. It is, when each continuation issues its next
 * exchange before any long work and every role of a protocol reaches it
 * through the same number of awaits; a role that returns through one async
 * call fewer than the others (a bystander loop inlined where the sender and
 * receiver run in their own async functions) reorders the round and shows as
 * 'divergence' with n >= 3. A role with long work between issuing an
 * exchange and awaiting it passes that work as the exchange's `afterSend`,
 * so the round's messages leave before it.
 */
import type { CryptoProvider } from '../random/provider.js';
import { Prg, randomSeed } from '../random/prg.js';
import { nextTask } from '../transport/schedule.js';
import {
  payloadLength,
  TransportError,
  type Payload,
  type Transport,
} from '../transport/transport.js';
import { ProtocolAbort } from './errors.js';
import { Stats } from './stats.js';

export interface ExchangeRequest {
  /** Operation name, for diagnostics. */
  readonly op: string;
  /** Payload per peer index (undefined: nothing for that peer). */
  readonly send: ReadonlyArray<Uint8Array | undefined>;
  /** Peers whose payload this exchange waits for. */
  readonly recvFrom: readonly number[];
  /**
   * The caller hands the send buffers over: it will never modify them again,
   * so large ones go to the transport as they are instead of being copied
   * into the round message (a whole pass over memory, and garbage, saved per
   * large message). Leave unset for buffers that are reused (scratch memory,
   * views of WebAssembly memory).
   */
  readonly handOver?: boolean;
  /**
   * Work to run once this exchange's round has been sent and before it is
   * collected (in the task that flushes the round). For a role that would
   * otherwise do long synchronous work between issuing an exchange and
   * awaiting it, which holds the round's messages back until the work ends:
   * here the peers get them first. The continuation after the exchange still
   * resumes with the round's release, in issue order, like every other
   * one's, so concurrent roles stay in step (an `await` of a task between
   * issuing and awaiting would not: the round can be released before it
   * ends). If the work throws, this exchange rejects with that error.
   */
  readonly afterSend?: () => void;
}

/** Payloads received, indexed by peer. */
export type Received = ReadonlyArray<Uint8Array | undefined>;

interface Pending {
  seq: number;
  req: ExchangeRequest;
  resolve: (r: Received) => void;
  reject: (e: Error) => void;
}

export interface PartyOptions {
  /** Party ids in index order, e.g. ['alice', 'bob', 'carol']. */
  ids: readonly string[];
  transport: Transport;
  crypto: CryptoProvider;
  /** Bound on waiting for one round's messages. Default 60 s. */
  roundTimeoutMs?: number;
}

export class Party {
  readonly index: number;
  readonly n: number;
  readonly ids: readonly string[];
  readonly crypto: CryptoProvider;
  readonly stats = new Stats();
  readonly roundTimeoutMs: number;
  /** This party's private PRG, seeded from the OS CSPRNG. */
  readonly prg: Prg;
  readonly #transport: Transport;
  #pending: Pending[] = [];
  #flushScheduled = false;
  #round = 0;
  #seq = 0;
  #failure: ProtocolAbort | undefined;

  constructor(opts: PartyOptions) {
    const t = opts.transport;
    if (opts.ids.length !== t.parties) {
      throw new RangeError(`Party: ${opts.ids.length} ids for ${t.parties} parties`);
    }
    this.index = t.self;
    this.n = t.parties;
    this.ids = opts.ids;
    this.crypto = opts.crypto;
    this.#transport = t;
    this.roundTimeoutMs = opts.roundTimeoutMs ?? 60_000;
    this.prg = new Prg(randomSeed(opts.crypto), opts.crypto);
    // A violation or a peer's abort stops this party at once, not at its next
    // receive from that peer (which may never come, or only at the deadline).
    t.onFatal?.((e) => this.abort(toAbort(e, this.ids)));
  }

  get id(): string {
    return this.ids[this.index]!;
  }

  /** Index of the party called `id`. @throws {RangeError} for an unknown id. */
  indexOf(id: string): number {
    const i = this.ids.indexOf(id);
    if (i < 0) throw new RangeError(`unknown party '${id}' (parties: ${this.ids.join(', ')})`);
    return i;
  }

  /** The failure that stopped this party, if any. */
  get failure(): ProtocolAbort | undefined {
    return this.#failure;
  }

  /**
   * Sends `req.send[j]` to each peer j and resolves with the payloads of the
   * peers in `req.recvFrom`, batched with every other exchange of the round.
   * @throws {ProtocolAbort} when a peer fails, times out or diverges.
   */
  exchange(req: ExchangeRequest): Promise<Received> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#pending.push({ seq: this.#seq++, req, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        nextTask(() => this.#flush());
      }
    });
  }

  /** Stops the party: pending and future exchanges fail with `reason` (or the failure before it). */
  abort(reason: ProtocolAbort): void {
    if (!this.#failure) this.#failure = reason;
    const first = this.#failure;
    const pending = this.#pending;
    this.#pending = [];
    for (const p of pending) p.reject(first);
    this.#transport.close();
  }

  close(): void {
    this.#transport.close();
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    if (this.#failure) {
      for (const p of batch) p.reject(this.#failure);
      return;
    }
    const round = this.#round++;
    this.stats.rounds++;
    const expectFrom = new Set<number>();
    try {
      for (let j = 0; j < this.n; j++) {
        if (j === this.index) continue;
        const parts = batch.filter((p) => p.req.send[j] !== undefined);
        if (parts.length > 0) {
          const msg = encodeRound(
            parts.map((p) => ({ seq: p.seq, body: p.req.send[j]!, handOver: !!p.req.handOver })),
          );
          this.stats.messagesSent++;
          this.stats.bytesSent += payloadLength(msg);
          this.#transport.send(j, round, msg);
        }
      }
    } catch (e) {
      // A send fails only when the link is gone; the round cannot complete.
      const abort = this.#failure ?? toAbort(e, this.ids);
      this.abort(abort);
      for (const p of batch) p.reject(abort);
      return;
    }
    for (const p of batch) {
      if (!p.req.afterSend) continue;
      try {
        p.req.afterSend();
      } catch (e) {
        p.reject(e instanceof Error ? e : new Error(String(e)));
      }
    }
    for (const p of batch) for (const j of p.req.recvFrom) expectFrom.add(j);
    void this.#collect(
      batch,
      round,
      [...expectFrom].sort((a, b) => a - b),
    );
  }

  async #collect(batch: Pending[], round: number, peers: number[]): Promise<void> {
    const results: Array<Array<Uint8Array | undefined>> = batch.map(() => new Array(this.n));
    try {
      await Promise.all(
        peers.map(async (j) => {
          const msg = await this.#transport.receive(j, round, this.roundTimeoutMs);
          this.stats.messagesReceived++;
          this.stats.bytesReceived += msg.length;
          const wanted = batch.filter((p) => p.req.recvFrom.includes(j));
          const parts = decodeRound(msg, j, this.ids[j]!);
          if (parts.length !== wanted.length || parts.some((q, k) => q.seq !== wanted[k]!.seq)) {
            throw new ProtocolAbort(
              'divergence',
              j,
              this.ids[j],
              `round ${round}: peer sent exchanges [${parts.map((q) => q.seq).join(',')}], ` +
                `expected [${wanted.map((p) => p.seq).join(',')}] (${wanted.map((p) => p.req.op).join(',')})`,
            );
          }
          for (let k = 0; k < wanted.length; k++) {
            results[batch.indexOf(wanted[k]!)]![j] = parts[k]!.body;
          }
        }),
      );
    } catch (e) {
      // The first failure is the cause (later ones are receives cut short by the abort).
      const abort = this.#failure ?? toAbort(e, this.ids);
      this.abort(abort);
      for (const p of batch) p.reject(abort);
      return;
    }
    // Release the whole round at once, in issue order (see the module comment).
    for (let k = 0; k < batch.length; k++) batch[k]!.resolve(results[k]!);
  }
}

function toAbort(e: unknown, ids: readonly string[]): ProtocolAbort {
  if (e instanceof ProtocolAbort) return e;
  if (e instanceof TransportError)
    return new ProtocolAbort(e.reason, e.peer, ids[e.peer], e.detail);
  return new ProtocolAbort(
    'aborted',
    undefined,
    undefined,
    e instanceof Error ? e.message : String(e),
  );
}

/*
 * Round message layout (little-endian):
 *   u32 count, then count x (u32 seq, u32 byteLength), padded to 8 bytes,
 *   then the bodies, each padded to 8 bytes so receivers can view them as
 *   64-bit typed arrays without copying.
 */

/** Handed-over bodies at least this large are sent as they are, not copied. */
const UNCOPIED_BYTES = 64 * 1024;
const ZEROS = new Uint8Array(8);

/**
 * The round message as parts to concatenate: runs of small or borrowed bodies
 * are copied into one buffer (with the header), large handed-over bodies are
 * parts of their own.
 */
function encodeRound(
  parts: ReadonlyArray<{ seq: number; body: Uint8Array; handOver: boolean }>,
): Payload {
  const headerLen = pad8(4 + 8 * parts.length);
  const own = (p: (typeof parts)[number]) => p.handOver && p.body.length >= UNCOPIED_BYTES;
  // Copied runs: [start, end) over parts, preceded by the header for the first.
  const out: Uint8Array[] = [];
  let k = 0;
  while (k <= parts.length) {
    let end = k;
    let size = k === 0 ? headerLen : 0;
    while (end < parts.length && !own(parts[end]!)) size += pad8(parts[end++]!.body.length);
    if (size > 0) {
      const buf = new Uint8Array(size);
      let off = 0;
      if (k === 0) {
        const dv = new DataView(buf.buffer);
        dv.setUint32(0, parts.length, true);
        parts.forEach((p, q) => {
          dv.setUint32(4 + 8 * q, p.seq, true);
          dv.setUint32(8 + 8 * q, p.body.length, true);
        });
        off = headerLen;
      }
      for (let q = k; q < end; q++) {
        buf.set(parts[q]!.body, off);
        off += pad8(parts[q]!.body.length);
      }
      out.push(buf);
    }
    if (end === parts.length) break;
    const body = parts[end]!.body;
    out.push(body);
    if (body.length % 8) out.push(ZEROS.subarray(0, 8 - (body.length % 8)));
    k = end + 1;
  }
  return out.length === 1 ? out[0]! : out;
}

function decodeRound(
  msg: Uint8Array,
  peer: number,
  peerId: string,
): Array<{ seq: number; body: Uint8Array }> {
  const bad = (why: string) => new ProtocolAbort('malformed', peer, peerId, why);
  // Copy if unaligned so bodies can be viewed as BigUint64Array.
  const buf = msg.byteOffset % 8 === 0 ? msg : msg.slice();
  if (buf.length < 4) throw bad(`message of ${buf.length} bytes has no header`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const count = dv.getUint32(0, true);
  const headerLen = pad8(4 + 8 * count);
  if (headerLen > buf.length) throw bad(`header claims ${count} parts in ${buf.length} bytes`);
  const parts: Array<{ seq: number; body: Uint8Array }> = [];
  let off = headerLen;
  for (let k = 0; k < count; k++) {
    const seq = dv.getUint32(4 + 8 * k, true);
    const len = dv.getUint32(8 + 8 * k, true);
    if (off + len > buf.length) throw bad(`part ${k} overruns the message`);
    parts.push({ seq, body: buf.subarray(off, off + len) });
    off += pad8(len);
  }
  if (off !== buf.length) throw bad(`${buf.length - off} trailing bytes`);
  return parts;
}

function pad8(n: number): number {
  return (n + 7) & ~7;
}
