/**
 * The runtime of one party: its identity, randomness, counters, and the
 * round engine that batches communication.
 *
 * Round batching. Protocol code calls `exchange()` for every interactive step
 * and gets a promise. Exchanges issued before the party next yields to the
 * event loop are sent together, one message per peer, as one round; so 1,000
 * independent multiplications issued in a loop cost one round, and a chain of
 * d dependent ones costs d rounds.
 *
 * Channels. Every exchange belongs to a channel: the default one, or one
 * named by a protocol instance's path (`party.channel('study/3')`, then
 * `.channel('ltz')`, giving the key 'study/3/ltz'). Exchanges are matched per
 * channel, never across channels: a round message carries one section per
 * channel that has something for that peer, and the k-th group of exchanges a
 * party issued on a channel (the ones of one round) is matched with the k-th
 * group its peer issued on that channel. So independent instances on
 * different channels may run at different paces, start in different orders
 * and share rounds in different ways at different parties; one round still
 * carries everything issued in the same turn, whatever its channel.
 *
 * Within one channel all parties run the same program, so they issue the same
 * exchanges in the same order and group them identically; a group's results
 * are released all at once, in issue order, after every expected peer part
 * of it has arrived, which keeps the order of continuations deterministic.
 * Each section lists the per-channel sequence numbers of its exchanges, so a
 * party whose program took a different path on a channel (a different
 * number or grouping of exchanges) is detected ('divergence', naming the
 * peer and the channel) instead of misreading data.
 *
 * What this asks of concurrent protocol code on ONE channel (several tasks
 * awaiting exchanges at once, e.g. one OT instance per pair of parties): the
 * order in which their continuations issue the next round's exchanges must be
 * the same at every party. It is, when each continuation issues its next
 * exchange before any long work and every role of a protocol reaches it
 * through the same number of awaits; a role that returns through one async
 * call fewer than the others reorders the group and shows as 'divergence'
 * with n >= 3. A role with long work between issuing an exchange and awaiting
 * it passes that work as the exchange's `afterSend`, so the round's messages
 * leave before it. Independent instances avoid all of this by running on
 * channels of their own.
 *
 * Correlated randomness (PRSS keys, triples, OT correlations) is consumed in
 * program order, so it is per channel too: a channel's suite is a fork of the
 * session's (Suite.fork), not the session's own.
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
   * resumes with its group's release, in issue order, like every other
   * one's, so concurrent roles stay in step (an `await` of a task between
   * issuing and awaiting would not: the round can be released before it
   * ends). If the work throws, this exchange rejects with that error.
   */
  readonly afterSend?: () => void;
}

/** Payloads received, indexed by peer. */
export type Received = ReadonlyArray<Uint8Array | undefined>;

/** The key of the default channel, which every party handle starts on. */
export const DEFAULT_CHANNEL = '';

export interface PartyOptions {
  /** Party ids in index order, e.g. ['alice', 'bob', 'carol']. */
  ids: readonly string[];
  transport: Transport;
  crypto: CryptoProvider;
  /** Bound on waiting for one round's messages. Default 60 s. */
  roundTimeoutMs?: number;
  /** Bound on a peer's bytes held for channels this party has not reached. Default MAX_UNMATCHED_BYTES. */
  maxUnmatchedBytes?: number;
}

/** One channel's state at this party, shared by every handle on it. */
interface Channel {
  readonly key: string;
  /** The key's 32-bit hash, which names the channel on the wire (0: default). */
  readonly id: number;
  /** This channel's counters, then its ancestors' up to the party's. */
  readonly chain: readonly Stats[];
  /** Sequence number of the next exchange issued on this channel. */
  seq: number;
  /** The handle on this channel (created once). */
  handle: Party | undefined;
}

interface Pending {
  readonly seq: number;
  readonly chan: Channel;
  readonly req: ExchangeRequest;
  resolve: (r: Received) => void;
  reject: (e: Error) => void;
}

/** The exchanges one party issued on one channel in one round. */
interface Group {
  readonly chan: Channel;
  readonly items: Pending[];
  readonly results: Array<Array<Uint8Array | undefined>>;
  /** Peers whose part of this group has not been matched yet. */
  waiting: number;
}

/** A peer's group for one channel, as decoded from its round message. */
interface PeerGroup {
  readonly parts: ReadonlyArray<{ seq: number; body: Uint8Array }>;
  readonly bytes: number;
}

/** What all handles of one party share: the transport and the round engine. */
class Engine {
  readonly channels = new Map<string, Channel>();
  readonly byId = new Map<number, string>();
  pending: Pending[] = [];
  flushScheduled = false;
  failure: ProtocolAbort | undefined;
  /** Released groups not yet complete, so an abort can reject them. */
  readonly live = new Set<Group>();
  /** Per peer: messages sent to it and received from it (the transport's tags). */
  readonly sent: number[];
  readonly received: number[];
  /** Per peer: my groups still waiting for its part, per channel id. */
  readonly mine: Array<Map<number, Group[]>>;
  /** Per peer: its groups not yet matched with mine, per channel id. */
  readonly theirs: Array<Map<number, PeerGroup[]>>;
  /** Per peer: bytes of its groups held unmatched (bounded: MAX_UNMATCHED_BYTES). */
  readonly unmatched: number[];
  /** Per peer: how many of my groups wait for it; its receive loop runs while > 0. */
  readonly outstanding: number[];
  readonly pumping: boolean[];

  constructor(
    readonly transport: Transport,
    readonly ids: readonly string[],
    readonly timeoutMs: number,
    readonly stats: Stats,
    readonly maxUnmatched: number,
  ) {
    const n = transport.parties;
    this.sent = new Array<number>(n).fill(0);
    this.received = new Array<number>(n).fill(0);
    this.outstanding = new Array<number>(n).fill(0);
    this.unmatched = new Array<number>(n).fill(0);
    this.pumping = new Array<boolean>(n).fill(false);
    this.mine = Array.from({ length: n }, () => new Map());
    this.theirs = Array.from({ length: n }, () => new Map());
  }
}

/**
 * A party's handle on one channel. `new Party(...)` gives the handle on the
 * default channel; `channel(name)` a handle on a sub-channel, sharing the
 * transport, identity and private randomness, with counters of its own that
 * also add up into the parent's.
 */
export class Party {
  readonly index: number;
  readonly n: number;
  readonly ids: readonly string[];
  readonly crypto: CryptoProvider;
  readonly stats: Stats;
  readonly roundTimeoutMs: number;
  /** This party's private PRG, seeded from the OS CSPRNG. */
  readonly prg: Prg;
  readonly #engine: Engine;
  readonly #chan: Channel;

  constructor(opts: PartyOptions);
  /** @internal A handle on a sub-channel (see `channel`). */
  constructor(opts: PartyOptions, parent: Party, chan: Channel);
  constructor(opts: PartyOptions, parent?: Party, chan?: Channel) {
    const t = opts.transport;
    if (opts.ids.length !== t.parties) {
      throw new RangeError(`Party: ${opts.ids.length} ids for ${t.parties} parties`);
    }
    this.index = t.self;
    this.n = t.parties;
    this.ids = opts.ids;
    this.crypto = opts.crypto;
    this.roundTimeoutMs = opts.roundTimeoutMs ?? 60_000;
    if (parent && chan) {
      this.prg = parent.prg;
      this.#engine = parent.#engine;
      this.#chan = chan;
      this.stats = chan.chain[0]!;
      return;
    }
    this.prg = new Prg(randomSeed(opts.crypto), opts.crypto);
    this.stats = new Stats();
    this.#engine = new Engine(
      t,
      opts.ids,
      this.roundTimeoutMs,
      this.stats,
      opts.maxUnmatchedBytes ?? MAX_UNMATCHED_BYTES,
    );
    this.#chan = { key: DEFAULT_CHANNEL, id: 0, chain: [this.stats], seq: 0, handle: this };
    this.#engine.channels.set(DEFAULT_CHANNEL, this.#chan);
    this.#engine.byId.set(0, DEFAULT_CHANNEL);
    // A violation or a peer's abort stops this party at once, not at its next
    // receive from that peer (which may never come, or only at the deadline).
    t.onFatal?.((e) => this.abort(toAbort(e, this.ids)));
  }

  get id(): string {
    return this.ids[this.index]!;
  }

  /** This handle's channel key ('' for the default channel). */
  get channelKey(): string {
    return this.#chan.key;
  }

  /**
   * The handle on sub-channel `name` of this one (key `parent/name`, or
   * `name` under the default channel). Every party must derive the same key
   * for the same protocol instance, e.g. from the instance's place in the
   * program ('study/3', 'ot-ext#2'), never from timing or local state. The
   * same key gives the same handle.
   * @throws {RangeError} for an empty name, or a key whose wire id collides
   *   with another channel's (rename one of them).
   */
  channel(name: string): Party {
    if (name.length === 0) throw new RangeError('channel: the name must not be empty');
    const key = this.#chan.key === DEFAULT_CHANNEL ? name : `${this.#chan.key}/${name}`;
    const e = this.#engine;
    let chan = e.channels.get(key);
    if (!chan) {
      const id = channelId(key);
      const other = e.byId.get(id);
      if (other !== undefined) {
        throw new RangeError(
          `channel: keys '${key}' and '${other}' share the wire id ${id}; rename one of them`,
        );
      }
      chan = {
        key,
        id,
        chain: [new Stats(this.stats), ...this.#chan.chain],
        seq: 0,
        handle: undefined,
      };
      e.channels.set(key, chan);
      e.byId.set(id, key);
    }
    chan.handle ??= new Party(
      {
        ids: this.ids,
        transport: e.transport,
        crypto: this.crypto,
        roundTimeoutMs: this.roundTimeoutMs,
      },
      this,
      chan,
    );
    return chan.handle;
  }

  /** Index of the party called `id`. @throws {RangeError} for an unknown id. */
  indexOf(id: string): number {
    const i = this.ids.indexOf(id);
    if (i < 0) throw new RangeError(`unknown party '${id}' (parties: ${this.ids.join(', ')})`);
    return i;
  }

  /** The failure that stopped this party, if any. */
  get failure(): ProtocolAbort | undefined {
    return this.#engine.failure;
  }

  /**
   * Sends `req.send[j]` to each peer j and resolves with the payloads of the
   * peers in `req.recvFrom`, batched with every other exchange of the round.
   * @throws {ProtocolAbort} when a peer fails, times out or diverges.
   */
  exchange(req: ExchangeRequest): Promise<Received> {
    const e = this.#engine;
    if (e.failure) return Promise.reject(e.failure);
    const chan = this.#chan;
    return new Promise((resolve, reject) => {
      e.pending.push({ seq: chan.seq++, chan, req, resolve, reject });
      if (!e.flushScheduled) {
        e.flushScheduled = true;
        nextTask(() => flush(e));
      }
    });
  }

  /** Stops the party (every channel): pending and future exchanges fail with `reason` (or the failure before it). */
  abort(reason: ProtocolAbort): void {
    abortEngine(this.#engine, reason);
  }

  close(): void {
    this.#engine.transport.close();
  }
}

function abortEngine(e: Engine, reason: ProtocolAbort): void {
  if (!e.failure) e.failure = reason;
  const first = e.failure;
  const pending = e.pending;
  e.pending = [];
  for (const p of pending) p.reject(first);
  const live = [...e.live];
  e.live.clear();
  for (const g of live) for (const p of g.items) p.reject(first);
  e.transport.close();
}

/** Sends one round: everything issued since the last flush, one message per peer. */
function flush(e: Engine): void {
  e.flushScheduled = false;
  const batch = e.pending;
  e.pending = [];
  if (batch.length === 0) return;
  if (e.failure) {
    for (const p of batch) p.reject(e.failure);
    return;
  }
  // The round's groups, one per channel, in order of first issue.
  const byChan = new Map<Channel, Pending[]>();
  for (const p of batch) {
    const g = byChan.get(p.chan);
    if (g) g.push(p);
    else byChan.set(p.chan, [p]);
  }
  // A round counts once for the party and once for every channel (and
  // ancestor) with an exchange in it.
  const counted = new Set<Stats>();
  for (const c of byChan.keys()) for (const s of c.chain) counted.add(s);
  for (const s of counted) s.rounds++;
  const self = e.transport.self;
  try {
    for (let j = 0; j < e.transport.parties; j++) {
      if (j === self) continue;
      const sections: Section[] = [];
      for (const [chan, items] of byChan) {
        const parts = items.filter((p) => p.req.send[j] !== undefined);
        if (parts.length === 0) continue;
        sections.push({
          chan,
          parts: parts.map((p) => ({
            seq: p.seq,
            body: p.req.send[j]!,
            handOver: !!p.req.handOver,
          })),
        });
      }
      if (sections.length === 0) continue;
      const msg = encodeRound(sections);
      creditSent(e, sections, payloadLength(msg));
      e.transport.send(j, e.sent[j]!++, msg);
    }
  } catch (err) {
    // A send fails only when the link is gone; the round cannot complete.
    const abort = e.failure ?? toAbort(err, e.ids);
    abortEngine(e, abort);
    for (const p of batch) p.reject(abort);
    return;
  }
  for (const p of batch) {
    if (!p.req.afterSend) continue;
    try {
      p.req.afterSend();
    } catch (err) {
      p.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
  for (const [chan, items] of byChan) {
    const peers = new Set<number>();
    for (const p of items) for (const j of p.req.recvFrom) peers.add(j);
    const group: Group = {
      chan,
      items,
      results: items.map(() => new Array(e.transport.parties)),
      waiting: peers.size,
    };
    if (peers.size === 0) {
      release(group);
      continue;
    }
    e.live.add(group);
    for (const j of peers) {
      const queue = e.mine[j]!.get(chan.id);
      if (queue) queue.push(group);
      else e.mine[j]!.set(chan.id, [group]);
      e.outstanding[j]!++;
      try {
        match(e, j, chan.id);
      } catch (err) {
        abortEngine(e, e.failure ?? toAbort(err, e.ids));
        return;
      }
      if (e.outstanding[j]! > 0) void pump(e, j);
    }
  }
}

/** Resolves a complete group's exchanges at once, in issue order. */
function release(g: Group): void {
  for (let k = 0; k < g.items.length; k++) g.items[k]!.resolve(g.results[k]!);
}

/**
 * Pairs my groups waiting for peer j on a channel with j's groups on it, in
 * order. @throws {ProtocolAbort} ('divergence') when a pair does not hold the
 * same exchanges.
 */
function match(e: Engine, j: number, id: number): void {
  const mine = e.mine[j]!.get(id);
  const theirs = e.theirs[j]!.get(id);
  while (mine?.length && theirs?.length) {
    const g = mine.shift()!;
    const got = theirs.shift()!;
    e.outstanding[j]!--;
    e.unmatched[j]! -= got.bytes;
    // Positions in the group of the exchanges that wait for this peer.
    const at: number[] = [];
    g.items.forEach((p, q) => {
      if (p.req.recvFrom.includes(j)) at.push(q);
    });
    const wanted = at.map((q) => g.items[q]!);
    if (got.parts.length !== wanted.length || got.parts.some((q, k) => q.seq !== wanted[k]!.seq)) {
      throw new ProtocolAbort(
        'divergence',
        j,
        e.ids[j],
        `${channelName(g.chan.key)}: peer sent exchanges [${got.parts.map((q) => q.seq).join(',')}], ` +
          `expected [${wanted.map((p) => p.seq).join(',')}] (${wanted.map((p) => p.req.op).join(',')})`,
      );
    }
    for (const s of g.chan.chain) {
      if (s === e.stats) continue;
      s.messagesReceived++;
      s.bytesReceived += got.bytes;
    }
    at.forEach((q, k) => (g.results[q]![j] = got.parts[k]!.body));
    if (--g.waiting === 0) {
      e.live.delete(g);
      release(g);
    }
  }
}

/** Receives peer j's messages in order while any of my groups waits for it. */
async function pump(e: Engine, j: number): Promise<void> {
  if (e.pumping[j]) return;
  e.pumping[j] = true;
  try {
    while (e.outstanding[j]! > 0 && !e.failure) {
      const msg = await e.transport.receive(j, e.received[j]!, e.timeoutMs);
      e.received[j]!++;
      e.stats.messagesReceived++;
      e.stats.bytesReceived += msg.length;
      for (const s of decodeRound(msg, j, e.ids[j]!)) {
        e.unmatched[j]! += s.bytes;
        const queue = e.theirs[j]!.get(s.id);
        const pg = { parts: s.parts, bytes: s.bytes };
        if (queue) queue.push(pg);
        else e.theirs[j]!.set(s.id, [pg]);
        match(e, j, s.id);
        // What is still unmatched waits for channels this party has not reached.
        if (e.unmatched[j]! > e.maxUnmatched) {
          throw new ProtocolAbort(
            'flood',
            j,
            e.ids[j],
            `${e.unmatched[j]} bytes of exchanges on channels this party has not reached, over the limit of ${e.maxUnmatched} (maxUnmatchedBytes)`,
          );
        }
      }
    }
  } catch (err) {
    // The first failure is the cause (later ones are receives cut short by the abort).
    abortEngine(e, e.failure ?? toAbort(err, e.ids));
  } finally {
    e.pumping[j] = false;
  }
}

/** Counts a sent message for the party and for each channel with a section in it. */
function creditSent(e: Engine, sections: readonly Section[], length: number): void {
  e.stats.messagesSent++;
  e.stats.bytesSent += length;
  const bytes = new Map<Stats, number>();
  for (const s of sections) {
    const b = sectionBytes(s.parts.map((p) => p.body.length));
    for (const st of s.chan.chain) if (st !== e.stats) bytes.set(st, (bytes.get(st) ?? 0) + b);
  }
  for (const [st, b] of bytes) {
    st.messagesSent++;
    st.bytesSent += b;
  }
}

/**
 * Most bytes a peer's groups may take here while waiting for this party to
 * reach their channels: a peer ahead on some channels is normal, one that
 * streams sections for channels never opened would otherwise fill memory
 * (the network transports bound only what the runtime has not received).
 */
export const MAX_UNMATCHED_BYTES = 1 << 30;

/** How a channel is named in errors. */
function channelName(key: string): string {
  return key === DEFAULT_CHANNEL ? 'default channel' : `channel '${key}'`;
}

/** The wire id of a channel key: FNV-1a (32-bit) of its UTF-8, never 0 (the default channel's). */
export function channelId(key: string): number {
  if (key === DEFAULT_CHANNEL) return 0;
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(key)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h === 0 ? 1 : h;
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
 * Round message layout, version 2 (little-endian):
 *   u32 version (2), u32 S (sections, one per channel, at least 1),
 *   S x (u32 channel id, u32 count), then for every part of every section in
 *   order (u32 seq, u32 byteLength), all padded to 8 bytes; then the bodies,
 *   each padded to 8 bytes so receivers can view them as 64-bit typed arrays
 *   without copying. `seq` numbers exchanges per channel.
 */
const ROUND_LAYOUT_VERSION = 2;

interface Section {
  readonly chan: Channel;
  readonly parts: ReadonlyArray<{ seq: number; body: Uint8Array; handOver: boolean }>;
}

/** Handed-over bodies at least this large are sent as they are, not copied. */
const UNCOPIED_BYTES = 64 * 1024;
const ZEROS = new Uint8Array(8);

/** A section's share of a message: its header entries and its padded bodies. */
function sectionBytes(lengths: readonly number[]): number {
  return 8 + lengths.reduce((a, n) => a + 8 + pad8(n), 0);
}

/**
 * The round message as parts to concatenate: runs of small or borrowed bodies
 * are copied into one buffer (with the header), large handed-over bodies are
 * parts of their own.
 */
function encodeRound(sections: readonly Section[]): Payload {
  const parts = sections.flatMap((s) => s.parts);
  const headerLen = pad8(8 + 8 * sections.length + 8 * parts.length);
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
        dv.setUint32(0, ROUND_LAYOUT_VERSION, true);
        dv.setUint32(4, sections.length, true);
        sections.forEach((s, q) => {
          dv.setUint32(8 + 8 * q, s.chan.id, true);
          dv.setUint32(12 + 8 * q, s.parts.length, true);
        });
        const base = 8 + 8 * sections.length;
        parts.forEach((p, q) => {
          dv.setUint32(base + 8 * q, p.seq, true);
          dv.setUint32(base + 4 + 8 * q, p.body.length, true);
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

interface DecodedSection {
  readonly id: number;
  readonly parts: Array<{ seq: number; body: Uint8Array }>;
  readonly bytes: number;
}

function decodeRound(msg: Uint8Array, peer: number, peerId: string): DecodedSection[] {
  const bad = (why: string) => new ProtocolAbort('malformed', peer, peerId, why);
  // Copy if unaligned so bodies can be viewed as BigUint64Array.
  const buf = msg.byteOffset % 8 === 0 ? msg : msg.slice();
  if (buf.length < 8) throw bad(`message of ${buf.length} bytes has no header`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const version = dv.getUint32(0, true);
  if (version !== ROUND_LAYOUT_VERSION) {
    throw bad(`round message layout version ${version}, expected ${ROUND_LAYOUT_VERSION}`);
  }
  const S = dv.getUint32(4, true);
  if (S === 0 || 8 + 8 * S > buf.length)
    throw bad(`header claims ${S} sections in ${buf.length} bytes`);
  const heads: Array<{ id: number; count: number }> = [];
  let total = 0;
  for (let q = 0; q < S; q++) {
    const id = dv.getUint32(8 + 8 * q, true);
    const count = dv.getUint32(12 + 8 * q, true);
    if (count === 0) throw bad(`section ${q} is empty`);
    if (heads.some((h) => h.id === id)) throw bad(`two sections for channel id ${id}`);
    heads.push({ id, count });
    total += count;
  }
  const base = 8 + 8 * S;
  const headerLen = pad8(base + 8 * total);
  if (headerLen > buf.length) throw bad(`header claims ${total} parts in ${buf.length} bytes`);
  const out: DecodedSection[] = [];
  let off = headerLen;
  let k = 0;
  for (const h of heads) {
    const parts: Array<{ seq: number; body: Uint8Array }> = [];
    const lengths: number[] = [];
    for (let q = 0; q < h.count; q++, k++) {
      const seq = dv.getUint32(base + 8 * k, true);
      const len = dv.getUint32(base + 4 + 8 * k, true);
      if (off + len > buf.length) throw bad(`part ${k} overruns the message`);
      parts.push({ seq, body: buf.subarray(off, off + len) });
      lengths.push(len);
      off += pad8(len);
    }
    out.push({ id: h.id, parts, bytes: sectionBytes(lengths) });
  }
  if (off !== buf.length) throw bad(`${buf.length - off} trailing bytes`);
  return out;
}

function pad8(n: number): number {
  return (n + 7) & ~7;
}
