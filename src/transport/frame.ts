/**
 * The frame codec of Entente's network transports (TLS now, WebSocket later).
 *
 * Assumes an ordered, reliable, authenticated and private byte stream between
 * two parties (TLS 1.3 with pinned certificates): frames carry no MAC or
 * checksum of their own. The codec only delimits and labels messages; it
 * never interprets payloads (the round-message layout inside a data payload is
 * the runtime's, see src/runtime/party.ts).
 *
 * A frame is a 40-byte header followed by the payload (all integers
 * little-endian, like the round messages inside):
 *
 *   offset size  field
 *        0    4  magic "ENTE" (0x45 0x4e 0x54 0x45)
 *        4    1  version, 1
 *        5    1  kind: 1 hello, 2 data, 3 heartbeat, 4 close
 *        6    2  sender index (u16)
 *        8    4  total length of the frame, header included (u32, >= 40)
 *       12    4  reserved, must be 0
 *       16    8  round (u64, < 2^53; 0 outside data frames)
 *       24   16  session tag: SHA-256("entente/session/v1" || 0x00 || utf8(session id))[0..16]
 *       40    -  payload (total length - 40 bytes)
 *
 * The header is a multiple of 8 bytes, and the decoder hands out every payload
 * in a fresh buffer at offset 0, so round bodies can be viewed as 64-bit
 * typed arrays without another copy. docs/WIRE.md is the normative text.
 *
 * The decoder is incremental: feed it chunks split anywhere and it returns the
 * whole frames completed so far. It checks the length field against its limit
 * before allocating anything, never allocates more than that limit for one
 * frame, and reports bad input as a FrameError value; it never throws.
 * Session and sender are checked by the transport, which knows what to expect.
 */
import { sha256 } from '@noble/hashes/sha2.js';

export const FRAME_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0x45, 0x4e, 0x54, 0x45);
export const FRAME_VERSION = 1;
export const FRAME_HEADER_BYTES = 40;
export const SESSION_TAG_BYTES = 16;
/** Length of the hello payload: u32 party count, u32 reserved (0). */
export const HELLO_PAYLOAD_BYTES = 8;
/** Longest reason in a close frame (UTF-8 bytes). */
export const CLOSE_REASON_MAX_BYTES = 1024;
/** Largest value of the u32 length field. */
export const FRAME_LENGTH_MAX = 0xffff_ffff;
/** Default limit on one frame: 256 MiB, header included. */
export const DEFAULT_MAX_FRAME_BYTES = 256 * 1024 * 1024;

/** Frame kinds (byte 5). */
export const FrameKind = { hello: 1, data: 2, heartbeat: 3, close: 4 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Domain-separation labels of this module. */
const LABELS = { session: 'entente/session/v1' } as const;

export interface FrameHeader {
  readonly kind: FrameKind;
  /** The sender's party index, 0..65535. */
  readonly sender: number;
  /** Round number of a data frame, 0 for hello and heartbeat. */
  readonly round: number;
  /** The session tag (SESSION_TAG_BYTES bytes), see `sessionTag`. */
  readonly session: Uint8Array;
}

export interface Frame extends FrameHeader {
  readonly payload: Uint8Array;
}

export type FrameFailure = 'malformed' | 'oversized';

/** Bad bytes on the wire. Carries the header fields at fault, never payload bytes. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
  constructor(
    readonly reason: FrameFailure,
    detail: string,
  ) {
    super(`${reason} frame: ${detail}`);
  }
}

/** The 16-byte tag that stands for `sessionId` in every frame header. */
export function sessionTag(sessionId: string): Uint8Array {
  const label = new TextEncoder().encode(LABELS.session);
  const id = new TextEncoder().encode(sessionId);
  const input = new Uint8Array(label.length + 1 + id.length);
  input.set(label, 0);
  input.set(id, label.length + 1);
  return sha256(input).subarray(0, SESSION_TAG_BYTES);
}

/**
 * The header of a frame with a payload of `payloadLength` bytes.
 * @throws {RangeError} for fields out of range (a bug in the caller, not bad input).
 */
export function encodeFrameHeader(h: FrameHeader, payloadLength: number): Uint8Array {
  if (!Number.isInteger(h.sender) || h.sender < 0 || h.sender > 0xffff)
    throw new RangeError(`frame: sender ${h.sender} out of range 0..65535`);
  if (!Number.isSafeInteger(h.round) || h.round < 0)
    throw new RangeError(`frame: round ${h.round} out of range 0..2^53-1`);
  if (h.kind !== FrameKind.data && h.round !== 0)
    throw new RangeError(`frame: round must be 0 outside data frames`);
  if (h.session.length !== SESSION_TAG_BYTES)
    throw new RangeError(`frame: session tag of ${h.session.length} bytes, expected 16`);
  const total = FRAME_HEADER_BYTES + payloadLength;
  if (!Number.isInteger(payloadLength) || payloadLength < 0 || total > FRAME_LENGTH_MAX)
    throw new RangeError(`frame: payload of ${payloadLength} bytes does not fit a frame`);
  const out = new Uint8Array(FRAME_HEADER_BYTES);
  const dv = new DataView(out.buffer);
  out.set(FRAME_MAGIC, 0);
  out[4] = FRAME_VERSION;
  out[5] = h.kind;
  dv.setUint16(6, h.sender, true);
  dv.setUint32(8, total, true);
  dv.setUint32(12, 0, true);
  dv.setUint32(16, h.round % 2 ** 32, true);
  dv.setUint32(20, Math.floor(h.round / 2 ** 32), true);
  out.set(h.session, 24);
  return out;
}

/** A whole frame in one buffer (header then payload). @throws {RangeError} as encodeFrameHeader. */
export function encodeFrame(h: FrameHeader, payload: Uint8Array): Uint8Array {
  const header = encodeFrameHeader(h, payload.length);
  const out = new Uint8Array(header.length + payload.length);
  out.set(header, 0);
  out.set(payload, header.length);
  return out;
}

/** The hello payload: the party count the sender expects. */
export function encodeHello(parties: number): Uint8Array {
  const out = new Uint8Array(HELLO_PAYLOAD_BYTES);
  new DataView(out.buffer).setUint32(0, parties, true);
  return out;
}

/** The party count of a hello payload (its length was checked by the decoder). */
export function decodeHello(payload: Uint8Array): number {
  return new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(0, true);
}

/**
 * The close payload: why the sender stops (UTF-8, empty when it finished
 * normally), cut to CLOSE_REASON_MAX_BYTES on a character boundary.
 */
export function encodeCloseReason(reason: string): Uint8Array {
  const enc = new TextEncoder();
  let out = enc.encode(reason);
  let chars = reason.length;
  while (out.length > CLOSE_REASON_MAX_BYTES) {
    chars = Math.floor(chars * 0.9);
    // Never split a surrogate pair (it would encode as U+FFFD).
    const code = reason.charCodeAt(chars - 1);
    if (code >= 0xd800 && code <= 0xdbff) chars--;
    out = enc.encode(reason.slice(0, chars));
  }
  return out;
}

/** The reason of a close payload; invalid UTF-8 is replaced, never thrown. */
export function decodeCloseReason(payload: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(payload);
}

export interface FrameDecoderOptions {
  /** Largest frame accepted, header included (40..2^32-1). Default 256 MiB. */
  maxFrameBytes?: number;
  /**
   * Called with each frame's header once it is complete and valid, before
   * its payload is allocated: return false to refuse the frame. The decoder
   * then stops for good (the caller, which refused, reports why); frames
   * completed before it have already been handed out. With `feed`, the
   * caller's own state reflects every earlier frame when it decides.
   */
  admit?: (header: FrameHeader, payloadLength: number) => boolean;
}

export interface DecodeResult {
  /** Frames completed by this chunk, in stream order. */
  readonly frames: Frame[];
  /** Set when the stream is bad; the decoder then refuses all further input. */
  readonly error?: FrameError;
}

/**
 * Incremental frame decoder for one stream.
 * @example
 *   const d = new FrameDecoder({ maxFrameBytes: 1 << 20 });
 *   socket.on('data', (chunk) => { const { frames, error } = d.push(chunk); ... });
 */
export class FrameDecoder {
  readonly maxFrameBytes: number;
  readonly #header = new Uint8Array(FRAME_HEADER_BYTES);
  #headerFill = 0;
  /** The frame whose payload is being filled, once its header is complete and valid. */
  #current: { header: FrameHeader; payload: Uint8Array; fill: number } | undefined;
  #error: FrameError | undefined;
  /** The caller refused a frame (see `admit`): no more input is read. */
  #refused = false;
  readonly #admit: ((header: FrameHeader, payloadLength: number) => boolean) | undefined;

  /** @throws {RangeError} for a limit outside 40..2^32-1. */
  constructor(opts: FrameDecoderOptions = {}) {
    const max = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isInteger(max) || max < FRAME_HEADER_BYTES || max > FRAME_LENGTH_MAX)
      throw new RangeError(
        `maxFrameBytes: expected an integer 40..${FRAME_LENGTH_MAX}, got ${max}`,
      );
    this.maxFrameBytes = max;
    this.#admit = opts.admit;
  }

  /** Bytes of an incomplete frame held so far. */
  get buffered(): number {
    return this.#current ? FRAME_HEADER_BYTES + this.#current.fill : this.#headerFill;
  }

  /** The payload length of the frame being filled (allocated already), 0 between frames. */
  get allocated(): number {
    return this.#current?.payload.length ?? 0;
  }

  /** The total length of the frame being filled, 0 between frames or inside a header. */
  get expected(): number {
    return this.#current ? FRAME_HEADER_BYTES + this.#current.payload.length : 0;
  }

  /** The error that stopped the stream, if any. */
  get error(): FrameError | undefined {
    return this.#error;
  }

  /** Feeds the next bytes of the stream. Never throws. */
  push(chunk: Uint8Array): DecodeResult {
    const frames: Frame[] = [];
    const error = this.feed(chunk, (f) => (frames.push(f), true));
    return error ? { frames, error } : { frames };
  }

  /**
   * Feeds the next bytes of the stream, handing each frame to `onFrame` as
   * soon as it is complete (so the caller's state is current when `admit`
   * sees the next header). `onFrame` returns false to stop: the rest of the
   * chunk and all later input are ignored. Returns the error that stopped
   * the stream, if any. Never throws (unless a callback does).
   */
  feed(chunk: Uint8Array, onFrame: (f: Frame) => boolean): FrameError | undefined {
    if (this.#error) return this.#error;
    if (this.#refused) return undefined;
    let off = 0;
    while (off < chunk.length) {
      const cur = this.#current;
      if (cur === undefined) {
        const take = Math.min(FRAME_HEADER_BYTES - this.#headerFill, chunk.length - off);
        this.#header.set(chunk.subarray(off, off + take), this.#headerFill);
        this.#headerFill += take;
        off += take;
        if (this.#headerFill < FRAME_HEADER_BYTES) break;
        this.#headerFill = 0;
        const parsed = this.#parseHeader();
        if (parsed instanceof FrameError) {
          this.#error = parsed;
          return parsed;
        }
        if (this.#admit && !this.#admit(parsed.header, parsed.payloadLength)) {
          this.#refused = true;
          return undefined;
        }
        // Allocation is bounded: parseHeader checked the length against the limit.
        this.#current = {
          header: parsed.header,
          payload: new Uint8Array(parsed.payloadLength),
          fill: 0,
        };
      } else {
        const take = Math.min(cur.payload.length - cur.fill, chunk.length - off);
        cur.payload.set(chunk.subarray(off, off + take), cur.fill);
        cur.fill += take;
        off += take;
      }
      const done = this.#current;
      if (done !== undefined && done.fill === done.payload.length) {
        this.#current = undefined;
        if (!onFrame({ ...done.header, payload: done.payload })) {
          this.#refused = true;
          return undefined;
        }
      }
    }
    return undefined;
  }

  #parseHeader(): { header: FrameHeader; payloadLength: number } | FrameError {
    const h = this.#header;
    const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
    for (let i = 0; i < FRAME_MAGIC.length; i++) {
      if (h[i] !== FRAME_MAGIC[i])
        return new FrameError('malformed', 'bad magic (not an Entente frame stream)');
    }
    if (h[4] !== FRAME_VERSION)
      return new FrameError('malformed', `unsupported version ${h[4]} (this side speaks 1)`);
    const kind = h[5]!;
    if (
      kind !== FrameKind.hello &&
      kind !== FrameKind.data &&
      kind !== FrameKind.heartbeat &&
      kind !== FrameKind.close
    )
      return new FrameError('malformed', `unknown frame kind ${kind}`);
    const total = dv.getUint32(8, true);
    if (total > this.maxFrameBytes)
      return new FrameError(
        'oversized',
        `length field ${total} exceeds the limit of ${this.maxFrameBytes} bytes`,
      );
    if (total < FRAME_HEADER_BYTES)
      return new FrameError('malformed', `length field ${total} is shorter than the header`);
    if (dv.getUint32(12, true) !== 0) return new FrameError('malformed', 'reserved field not 0');
    const lo = dv.getUint32(16, true);
    const hi = dv.getUint32(20, true);
    if (hi >= 2 ** 21) return new FrameError('malformed', 'round number beyond 2^53');
    const round = hi * 2 ** 32 + lo;
    const payloadLength = total - FRAME_HEADER_BYTES;
    if (kind !== FrameKind.data && round !== 0)
      return new FrameError('malformed', `round ${round} in a ${kindName(kind)} frame`);
    if (kind === FrameKind.hello && payloadLength !== HELLO_PAYLOAD_BYTES)
      return new FrameError('malformed', `hello payload of ${payloadLength} bytes, expected 8`);
    if (kind === FrameKind.close && payloadLength > CLOSE_REASON_MAX_BYTES)
      return new FrameError(
        'malformed',
        `close reason of ${payloadLength} bytes, at most ${CLOSE_REASON_MAX_BYTES}`,
      );
    if (kind === FrameKind.heartbeat && payloadLength !== 0)
      return new FrameError('malformed', `heartbeat with a payload of ${payloadLength} bytes`);
    return {
      header: {
        kind,
        sender: dv.getUint16(6, true),
        round,
        session: h.slice(24, 24 + SESSION_TAG_BYTES),
      },
      payloadLength,
    };
  }
}

/** The kind's name, for messages. */
export function kindName(kind: number): string {
  return kind === FrameKind.hello
    ? 'hello'
    : kind === FrameKind.data
      ? 'data'
      : kind === FrameKind.heartbeat
        ? 'heartbeat'
        : kind === FrameKind.close
          ? 'close'
          : `kind ${kind}`;
}

/** Constant-shape comparison of two session tags (tags are public; no timing concern). */
export function sameTag(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
