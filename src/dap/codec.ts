/**
 * The TLS presentation language's encoding (RFC 8446 section 3), as DAP uses
 * it: big-endian integers, fixed byte strings, and variable-length vectors
 * with a 1-, 2- or 4-byte length prefix. A decoder that runs off the end,
 * meets a length beyond its vector's range, or leaves bytes over throws
 * DapDecodeError naming the field, so a malformed message is never half read.
 */

/** A message that does not decode: names the field and the offset. */
export class DapDecodeError extends Error {
  override readonly name = 'DapDecodeError';
}

export class Writer {
  private parts: Uint8Array[] = [];
  private size = 0;

  private push(b: Uint8Array): this {
    this.parts.push(b);
    this.size += b.length;
    return this;
  }

  u8(v: number): this {
    return this.push(Uint8Array.of(v & 0xff));
  }

  u16(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`u16 out of range: ${v}`);
    return this.push(Uint8Array.of(v >>> 8, v & 0xff));
  }

  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
      throw new RangeError(`u32 out of range: ${v}`);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v);
    return this.push(b);
  }

  /** DAP's Time, Duration and counters: uint64, held as a safe integer. */
  u64(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`u64 out of range: ${v}`);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v));
    return this.push(b);
  }

  fixed(b: Uint8Array, length: number, what: string): this {
    if (b.length !== length)
      throw new RangeError(`${what}: expected ${length} bytes, got ${b.length}`);
    return this.push(b);
  }

  opaque16(b: Uint8Array): this {
    return this.u16(b.length).push(b);
  }

  opaque32(b: Uint8Array): this {
    return this.u32(b.length).push(b);
  }

  /** A vector of items with a 2- or 4-byte length prefix counting bytes, not items. */
  vector<T>(prefix: 2 | 4, items: readonly T[], encode: (w: Writer, item: T) => void): this {
    const inner = new Writer();
    for (const item of items) encode(inner, item);
    const body = inner.bytes();
    return (prefix === 2 ? this.u16(body.length) : this.u32(body.length)).push(body);
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

export class Reader {
  private at = 0;
  private readonly view: DataView;

  constructor(
    private readonly buf: Uint8Array,
    /** Names the message in errors. */
    private readonly message: string,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number, what: string): void {
    if (this.at + n > this.buf.length)
      throw new DapDecodeError(
        `${this.message}: ${what} needs ${n} bytes at offset ${this.at}, only ${this.buf.length - this.at} left`,
      );
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.at++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.at);
    this.at += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.at);
    this.at += 4;
    return v;
  }

  u64(what: string): number {
    this.need(8, what);
    const v = this.view.getBigUint64(this.at);
    if (v > BigInt(Number.MAX_SAFE_INTEGER))
      throw new DapDecodeError(`${this.message}: ${what} at offset ${this.at} exceeds 2^53 - 1`);
    this.at += 8;
    return Number(v);
  }

  fixed(n: number, what: string): Uint8Array {
    this.need(n, what);
    const b = this.buf.slice(this.at, this.at + n);
    this.at += n;
    return b;
  }

  opaque16(what: string, min = 0): Uint8Array {
    const n = this.u16(`${what} length`);
    if (n < min) throw new DapDecodeError(`${this.message}: ${what} shorter than ${min} bytes`);
    return this.fixed(n, what);
  }

  opaque32(what: string, min = 0): Uint8Array {
    const n = this.u32(`${what} length`);
    if (n < min) throw new DapDecodeError(`${this.message}: ${what} shorter than ${min} bytes`);
    return this.fixed(n, what);
  }

  vector<T>(prefix: 2 | 4, what: string, decode: (r: Reader) => T, minItems = 0): T[] {
    const n = prefix === 2 ? this.u16(`${what} length`) : this.u32(`${what} length`);
    const inner = new Reader(this.fixed(n, what), `${this.message}.${what}`);
    const items: T[] = [];
    while (!inner.done()) items.push(decode(inner));
    if (items.length < minItems)
      throw new DapDecodeError(`${this.message}: ${what} needs at least ${minItems} item(s)`);
    return items;
  }

  done(): boolean {
    return this.at === this.buf.length;
  }

  /** Every decoder ends here: trailing bytes are an error, not ignored. */
  end(): void {
    if (!this.done())
      throw new DapDecodeError(
        `${this.message}: ${this.buf.length - this.at} trailing byte(s) at offset ${this.at}`,
      );
  }
}

/** Runs a decoder over a whole buffer, refusing trailing bytes. */
export function decodeAll<T>(buf: Uint8Array, message: string, decode: (r: Reader) => T): T {
  const r = new Reader(buf, message);
  const v = decode(r);
  r.end();
  return v;
}

export function encodeWith<T>(v: T, encode: (w: Writer, v: T) => void): Uint8Array {
  const w = new Writer();
  encode(w, v);
  return w.bytes();
}

/** base64url without padding: task, job and report ids in URLs (draft-09 section 4.1). */
export function toBase64Url(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(s: string, length: number, what: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new DapDecodeError(`${what}: not base64url`);
  let bin: string;
  try {
    bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  } catch {
    throw new DapDecodeError(`${what}: not base64url`);
  }
  const b = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  if (b.length !== length)
    throw new DapDecodeError(`${what}: expected ${length} bytes, got ${b.length}`);
  return b;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
