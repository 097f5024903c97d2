/**
 * The frame codec: round trips under any chunking, and bad streams (random
 * bytes, truncation, flipped bits, huge length fields) reported as typed
 * FrameErrors without throwing or over-allocating.
 */
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import vm from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeFrame,
  encodeFrameHeader,
  encodeHello,
  decodeHello,
  encodeCloseReason,
  decodeCloseReason,
  CLOSE_REASON_MAX_BYTES,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  FrameError,
  FrameKind,
  sessionTag,
  type Frame,
} from './frame.js';

const TAG = sessionTag('test-session');

const arbFrame: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({
    kind: fc.constant(FrameKind.data),
    sender: fc.integer({ min: 0, max: 0xffff }),
    round: fc.oneof(fc.nat(1000), fc.maxSafeNat()),
    session: fc.constant(TAG),
    payload: fc.uint8Array({ maxLength: 300 }),
  }),
  fc.record({
    kind: fc.constant(FrameKind.heartbeat),
    sender: fc.integer({ min: 0, max: 0xffff }),
    round: fc.constant(0),
    session: fc.constant(TAG),
    payload: fc.constant(new Uint8Array(0)),
  }),
  fc.record({
    kind: fc.constant(FrameKind.close),
    sender: fc.integer({ min: 0, max: 0xffff }),
    round: fc.constant(0),
    session: fc.constant(TAG),
    payload: fc.string({ maxLength: 50 }).map(encodeCloseReason),
  }),
  fc.record({
    kind: fc.constant(FrameKind.hello),
    sender: fc.integer({ min: 0, max: 0xffff }),
    round: fc.constant(0),
    session: fc.constant(TAG),
    payload: fc.integer({ min: 1, max: 0xffff }).map(encodeHello),
  }),
);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Feeds `bytes` cut at `cuts` (positions, any order); collects frames and the error. */
function decodeChunks(d: FrameDecoder, bytes: Uint8Array, cuts: readonly number[] = []) {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const frames: Frame[] = [];
  let error: FrameError | undefined;
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    const r = d.push(bytes.subarray(prev, p));
    frames.push(...r.frames);
    error ??= r.error;
    prev = p;
  }
  return { frames, error };
}

const plain = (f: Frame) => ({ ...f, session: [...f.session], payload: [...f.payload] });

describe('frame codec', () => {
  it('encodes the documented header layout', () => {
    const h = encodeFrameHeader(
      { kind: FrameKind.data, sender: 2, round: 2 ** 32 + 5, session: TAG },
      3,
    );
    expect([...h.subarray(0, 24)]).toEqual([
      0x45, 0x4e, 0x54, 0x45, 1, 2, 2, 0, 43, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0,
    ]);
    expect([...h.subarray(24)]).toEqual([...TAG]);
    expect(decodeHello(encodeHello(7))).toBe(7);
  });

  it('matches the known-answer vectors of docs/WIRE.md', () => {
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    // Ground truth from node:crypto, not @noble/hashes.
    const want = createHash('sha256').update('entente/session/v1\0test').digest('hex').slice(0, 32);
    expect(hex(sessionTag('test'))).toBe(want);
    expect(want).toBe('d8b23c8bfea6c5227bf57df1c094703c');
    const tag = sessionTag('test');
    expect(
      hex(
        encodeFrame({ kind: FrameKind.hello, sender: 0, round: 0, session: tag }, encodeHello(3)),
      ),
    ).toBe('454e5445010100003000000000000000' + '0000000000000000' + want + '0300000000000000');
    expect(
      hex(
        encodeFrame(
          { kind: FrameKind.data, sender: 2, round: 7, session: tag },
          Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0),
        ),
      ),
    ).toBe('454e5445010202003000000000000000' + '0700000000000000' + want + '0100000000000000');
  });

  it('session tags differ between sessions and are 16 bytes', () => {
    expect(sessionTag('a')).toHaveLength(16);
    expect([...sessionTag('a')]).not.toEqual([...sessionTag('b')]);
    expect([...sessionTag('')]).toEqual([...sessionTag('')]);
  });

  it('round-trips any sequence of frames, whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.array(arbFrame, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (frames, cuts) => {
          const bytes = concat(frames.map((f) => encodeFrame(f, f.payload)));
          const out = decodeChunks(new FrameDecoder(), bytes, cuts);
          expect(out.error).toBeUndefined();
          expect(out.frames.map(plain)).toEqual(frames.map(plain));
        },
      ),
    );
  });

  it('decodes a frame split at every position, and byte by byte', () => {
    const f: Frame = {
      kind: FrameKind.data,
      sender: 1,
      round: 9,
      session: TAG,
      payload: Uint8Array.from({ length: 37 }, (_, i) => i),
    };
    const bytes = encodeFrame(f, f.payload);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const out = decodeChunks(new FrameDecoder(), bytes, [cut]);
      expect(out.frames.map(plain)).toEqual([plain(f)]);
    }
    const d = new FrameDecoder();
    const got: Frame[] = [];
    for (let i = 0; i < bytes.length; i++) got.push(...d.push(bytes.subarray(i, i + 1)).frames);
    expect(got.map(plain)).toEqual([plain(f)]);
  });

  it('hands out payloads at offset 0 of their own buffer (8-byte aligned)', () => {
    const f: Frame = {
      kind: FrameKind.data,
      sender: 0,
      round: 1,
      session: TAG,
      payload: new Uint8Array(16),
    };
    const bytes = concat([new Uint8Array(3), encodeFrame(f, f.payload)]).subarray(3);
    const [out] = new FrameDecoder().push(bytes).frames;
    expect(out!.payload.byteOffset).toBe(0);
    expect(out!.payload.buffer.byteLength).toBe(16);
  });

  it('holds a truncated frame without error or output', () => {
    fc.assert(
      fc.property(arbFrame, fc.nat(), (f, k) => {
        const bytes = encodeFrame(f, f.payload);
        const cut = k % bytes.length;
        const d = new FrameDecoder();
        const r = d.push(bytes.subarray(0, cut));
        expect(r.error).toBeUndefined();
        expect(r.frames).toEqual([]);
        expect(d.buffered).toBe(cut);
      }),
    );
  });

  it('never throws on random bytes; reports a typed error or frames', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 500 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (bytes, cuts) => {
          const d = new FrameDecoder({ maxFrameBytes: 4096 });
          const out = decodeChunks(d, bytes, cuts);
          if (out.error) {
            expect(out.error).toBeInstanceOf(FrameError);
            expect(['malformed', 'oversized']).toContain(out.error.reason);
          }
        },
      ),
    );
    // Random bytes almost never start with the magic: the first header is refused.
    const r = new FrameDecoder().push(new Uint8Array(FRAME_HEADER_BYTES).fill(0xab));
    expect(r.error?.reason).toBe('malformed');
    expect(r.error?.message).toMatch(/bad magic/);
  });

  it('refuses flipped bits in magic, version, kind and reserved fields', () => {
    const f: Frame = {
      kind: FrameKind.data,
      sender: 1,
      round: 3,
      session: TAG,
      payload: new Uint8Array(8),
    };
    const good = encodeFrame(f, f.payload);
    const checked = [0, 1, 2, 3, 4, 12, 13, 14, 15];
    fc.assert(
      fc.property(fc.constantFrom(...checked), fc.integer({ min: 0, max: 7 }), (byte, bit) => {
        const bad = good.slice();
        bad[byte]! ^= 1 << bit;
        const out = decodeChunks(new FrameDecoder(), bad);
        expect(out.error?.reason).toBe('malformed');
        expect(out.frames).toEqual([]);
      }),
    );
  });

  it('never throws on frames with any bit flipped; a decoded frame differs from the original', () => {
    fc.assert(
      fc.property(
        arbFrame,
        arbFrame,
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (f, g, pos, bit) => {
          const good = concat([encodeFrame(f, f.payload), encodeFrame(g, g.payload)]);
          const bad = good.slice();
          const at = pos % bad.length;
          bad[at]! ^= 1 << bit;
          const out = decodeChunks(new FrameDecoder({ maxFrameBytes: 4096 }), bad);
          if (out.error) expect(out.error).toBeInstanceOf(FrameError);
          if (!out.error && out.frames.length === 2)
            expect(out.frames.map(plain)).not.toEqual([plain(f), plain(g)]);
        },
      ),
    );
  });

  it('refuses length fields beyond the limit before allocating, up to 2^32-1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1025, max: 0xffffffff }), (len) => {
        const h = encodeFrameHeader({ kind: FrameKind.data, sender: 0, round: 1, session: TAG }, 0);
        new DataView(h.buffer).setUint32(8, len, true);
        const d = new FrameDecoder({ maxFrameBytes: 1024 });
        const r = d.push(h);
        expect(r.error?.reason).toBe('oversized');
        expect(r.error?.message).toContain(String(len));
        // The decoder is now closed: nothing more is accepted or buffered.
        expect(d.push(new Uint8Array(100)).error).toBe(r.error);
        expect(d.buffered).toBe(0);
      }),
    );
    // The default limit (256 MiB) refuses the largest length field too.
    const h = encodeFrameHeader({ kind: FrameKind.data, sender: 0, round: 1, session: TAG }, 0);
    new DataView(h.buffer).setUint32(8, 0xffffffff, true);
    expect(new FrameDecoder().push(h).error?.reason).toBe('oversized');
  });

  it('accepts a frame of exactly the limit and refuses one byte more', () => {
    const mk = (n: number) =>
      encodeFrame({ kind: FrameKind.data, sender: 0, round: 1, session: TAG }, new Uint8Array(n));
    expect(new FrameDecoder({ maxFrameBytes: 100 }).push(mk(60)).frames).toHaveLength(1);
    expect(new FrameDecoder({ maxFrameBytes: 100 }).push(mk(61)).error?.reason).toBe('oversized');
  });

  it('refuses inconsistent frames: short length, rounds outside data, bad hello and heartbeat sizes', () => {
    const cases: Array<[string, (b: Uint8Array, dv: DataView) => void]> = [
      ['shorter than the header', (_b, dv) => dv.setUint32(8, 39, true)],
      [
        'round 7 in a heartbeat',
        (b, dv) => ((b[5] = FrameKind.heartbeat), dv.setUint32(16, 7, true)),
      ],
      ['heartbeat with a payload', (b) => (b[5] = FrameKind.heartbeat)],
      ['hello payload of 8', (b) => (b[5] = FrameKind.hello)],
      ['beyond 2^53', (_b, dv) => dv.setUint32(20, 2 ** 21, true)],
      ['unknown frame kind 9', (b) => (b[5] = 9)],
      ['unsupported version 2', (b) => (b[4] = 2)],
    ];
    for (const [why, mutate] of cases) {
      const b = encodeFrame(
        { kind: FrameKind.data, sender: 0, round: 0, session: TAG },
        new Uint8Array(16),
      );
      mutate(b, new DataView(b.buffer));
      const r = new FrameDecoder().push(b);
      expect(r.error?.reason, why).toBe('malformed');
      if (!why.startsWith('hello')) expect(r.error?.message).toContain(why.split(' ').slice(-1)[0]);
    }
  });

  it('carries close reasons of at most 1 KiB, cut on a character boundary', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'é', '€', '😀'), maxLength: 2000 }),
        (reason) => {
          const bytes = encodeCloseReason(reason);
          expect(bytes.length).toBeLessThanOrEqual(CLOSE_REASON_MAX_BYTES);
          expect(reason.startsWith(decodeCloseReason(bytes))).toBe(true);
        },
      ),
    );
    const long = encodeFrame(
      { kind: FrameKind.close, sender: 0, round: 0, session: TAG },
      new Uint8Array(CLOSE_REASON_MAX_BYTES + 1),
    );
    expect(new FrameDecoder().push(long).error?.message).toMatch(/close reason of 1025 bytes/);
  });

  it('bundles for browsers and decodes there (no Node built-ins)', async () => {
    const out = await build({
      entryPoints: ['src/transport/frame.ts'],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'Frame',
      write: false,
      logLevel: 'silent',
    });
    const code = out.outputFiles[0]!.text;
    expect(code).not.toMatch(/require\(["']node:/);
    const sandbox: Record<string, unknown> = { TextEncoder, TextDecoder };
    vm.createContext(sandbox);
    vm.runInContext(code, sandbox);
    const sender = vm.runInContext(
      `(() => {
        const { encodeFrame, FrameDecoder, FrameKind, sessionTag } = Frame;
        const f = encodeFrame({ kind: FrameKind.data, sender: 3, round: 9, session: sessionTag('s') }, new Uint8Array(5));
        return new FrameDecoder().push(f).frames[0].sender;
      })()`,
      sandbox,
    );
    expect(sender).toBe(3);
  });

  it('feed hands each frame over as it completes; admit sees each header before its payload is allocated', () => {
    const mk = (round: number, n: number) =>
      encodeFrame({ kind: FrameKind.data, sender: 0, round, session: TAG }, new Uint8Array(n));
    const seen: string[] = [];
    const d = new FrameDecoder({
      admit: (h, len) => {
        seen.push(`admit ${h.round} ${len}`);
        return h.round < 3;
      },
    });
    const bytes = concat([mk(1, 8), mk(2, 16), mk(3, 1 << 20), mk(4, 8)]);
    // Cut inside the second header; frame 1 is handed over before header 2 is admitted.
    const stop = d.feed(bytes.subarray(0, 60), (f) => (seen.push(`frame ${f.round}`), true));
    expect(stop).toBeUndefined();
    expect(
      d.feed(bytes.subarray(60), (f) => (seen.push(`frame ${f.round}`), true)),
    ).toBeUndefined();
    // Frame 3 is refused from its header: its megabyte is never allocated, and nothing after it is read.
    expect(seen).toEqual(['admit 1 8', 'frame 1', 'admit 2 16', 'frame 2', 'admit 3 1048576']);
    expect(d.allocated).toBe(0);
    expect(d.push(mk(5, 8)).frames).toEqual([]);
    // A callback that returns false stops the stream too.
    const e = new FrameDecoder();
    const got: number[] = [];
    e.feed(concat([mk(1, 8), mk(2, 8)]), (f) => (got.push(f.round), false));
    expect(got).toEqual([1]);
    expect(e.push(mk(3, 8)).frames).toEqual([]);
  });

  it('reports the length of the frame being received', () => {
    const f = encodeFrame(
      { kind: FrameKind.data, sender: 0, round: 1, session: TAG },
      new Uint8Array(1000),
    );
    const d = new FrameDecoder();
    d.push(f.subarray(0, 20));
    expect([d.buffered, d.expected, d.allocated]).toEqual([20, 0, 0]);
    d.push(f.subarray(20, 50));
    expect([d.buffered, d.expected, d.allocated]).toEqual([50, 1040, 1000]);
    expect(d.push(f.subarray(50)).frames).toHaveLength(1);
    expect([d.buffered, d.expected, d.allocated]).toEqual([0, 0, 0]);
  });

  it('rejects bad arguments to the encoder and decoder with RangeError', () => {
    expect(() => new FrameDecoder({ maxFrameBytes: 39 })).toThrow(RangeError);
    expect(() => new FrameDecoder({ maxFrameBytes: 2 ** 32 })).toThrow(RangeError);
    expect(() =>
      encodeFrameHeader({ kind: FrameKind.data, sender: 65536, round: 0, session: TAG }, 0),
    ).toThrow(RangeError);
    expect(() =>
      encodeFrameHeader({ kind: FrameKind.data, sender: 0, round: -1, session: TAG }, 0),
    ).toThrow(RangeError);
    expect(() =>
      encodeFrameHeader({ kind: FrameKind.heartbeat, sender: 0, round: 1, session: TAG }, 0),
    ).toThrow(RangeError);
    expect(() =>
      encodeFrameHeader({ kind: FrameKind.data, sender: 0, round: 0, session: TAG }, 2 ** 32),
    ).toThrow(RangeError);
  });
});
