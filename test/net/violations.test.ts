/**
 * Failure semantics against an authenticated peer that breaks the protocol
 * (docs/OPERATIONS.md, "Failure semantics"): three parties over TLS on
 * 127.0.0.1 in this process, p1 a hand-driven rogue holding its real key,
 * p2 and p3 honest parties computing rounds between themselves (so neither
 * needs anything from p1 while it misbehaves). Each violation must stop both
 * honest parties at once, not at a round deadline (60 s here), with errors
 * that name p1 and the violation, and every peer must get a close frame that
 * says so. A flood of frames for rounds ahead is refused from the headers,
 * with the attacked link's buffered bytes held under the bound.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../src/adapters/node/crypto.js';
import type { TlsTransport } from '../../src/adapters/node/net/tls.js';
import { ProtocolAbort } from '../../src/runtime/errors.js';
import { Party } from '../../src/runtime/party.js';
import {
  decodeCloseReason,
  encodeFrame,
  encodeFrameHeader,
  FrameKind,
  sessionTag,
} from '../../src/transport/frame.js';
import type { TransportFailure } from '../../src/transport/transport.js';
import { bounded, listenAll, Rogue } from './helpers.js';

const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});
function track<T extends { close(): void }>(x: T): T {
  open.push(x);
  return x;
}

const ROUND_MS = 60_000;
/** Well under the round deadline: a violation must stop every honest party about at once. */
const PROMPT_MS = 3_000;

interface Linked {
  /** The rogue p1's connections to p2 and p3. */
  r2: Rogue;
  r3: Rogue;
  /** The transports of p2 and p3. */
  t2: TlsTransport;
  t3: TlsTransport;
}

/** p1 (index 0) is the rogue: it dials p2 and p3 with its real key and greets them. */
async function linkWithRogue(
  opts: { maxAheadBytes?: number; maxAheadRounds?: number; maxFrameBytes?: number } = {},
): Promise<Linked> {
  const net = await listenAll(3);
  net.endpoints.forEach(track);
  const [r2, r3] = await Promise.all([
    Rogue.dial(net.endpoints[1]!.port, net.ids[0]!),
    Rogue.dial(net.endpoints[2]!.port, net.ids[0]!),
  ]);
  for (const r of [r2, r3]) {
    track({ close: () => r.socket.destroy() });
    r.hello(0, 3);
  }
  const [t2, t3] = await Promise.all(
    [1, 2].map((self) =>
      net.endpoints[self]!.connect({
        self,
        peers: net.peers,
        sessionId: 'test',
        connectTimeoutMs: 10_000,
        ...opts,
      }),
    ),
  );
  return { r2: r2!, r3: r3!, t2: track(t2!), t3: track(t3!) };
}

/**
 * p2 and p3 exchange a message every round, for ever: the promise settles
 * only when the party aborts. `running` resolves once both are under way.
 */
function computeUntilAborted(l: Linked) {
  const ids = ['p1', 'p2', 'p3'];
  let started = 0;
  let markRunning!: () => void;
  const running = new Promise<void>((r) => (markRunning = r));
  const run = (t: TlsTransport, other: number) => {
    const party: Party = new Party({
      ids,
      transport: t.reportingAborts(() => party.failure?.message),
      crypto: nodeCryptoProvider,
      roundTimeoutMs: ROUND_MS,
    });
    return (async () => {
      for (let r = 0; ; r++) {
        const send: Array<Uint8Array | undefined> = [undefined, undefined, undefined];
        send[other] = Uint8Array.of(r & 0xff);
        await party.exchange({ op: 'ping', send, recvFrom: [other] });
        if (r === 20 && ++started === 2) markRunning();
      }
    })().then(
      () => {
        throw new Error('unreachable');
      },
      (e: unknown) => ({ error: e as Error, at: performance.now() }),
    );
  };
  return { running, p2: run(l.t2, 2), p3: run(l.t3, 1) };
}

/** The close frames' reasons a rogue connection received. */
function closeReasons(r: Rogue): string[] {
  return r.frames
    .filter((f) => f.kind === FrameKind.close)
    .map((f) => decodeCloseReason(f.payload));
}

interface Case {
  name: string;
  reason: TransportFailure;
  detail: RegExp;
  send(r: Rogue): void;
}

const tag = sessionTag('test');
const CASES: Case[] = [
  {
    name: 'an oversize length',
    reason: 'oversized',
    detail: /length field 4294967280 exceeds the limit of 268435456 bytes/,
    send(r) {
      const h = encodeFrameHeader({ kind: FrameKind.data, sender: 0, round: 1, session: tag }, 0);
      new DataView(h.buffer).setUint32(8, 0xfffffff0, true);
      r.write(h);
    },
  },
  {
    name: 'random bytes',
    reason: 'malformed',
    detail: /bad magic/,
    send: (r) => r.write(randomBytes(200)),
  },
  {
    name: 'a truncated frame',
    reason: 'malformed',
    detail: /truncated frame: the connection ended 50 bytes into a frame of 1040 bytes/,
    send(r) {
      const h = encodeFrameHeader(
        { kind: FrameKind.data, sender: 0, round: 1, session: tag },
        1000,
      );
      r.write(h);
      r.write(new Uint8Array(10));
      r.socket.end();
    },
  },
  {
    name: 'a wrong sender',
    reason: 'malformed',
    detail: /frame claims sender 2 on the link of party 0/,
    send: (r) => r.data(2, 1, Uint8Array.of(1)),
  },
  {
    name: 'a duplicate round',
    reason: 'duplicate',
    detail: /second frame for round 5/,
    send(r) {
      r.data(0, 5, Uint8Array.of(1));
      r.data(0, 5, Uint8Array.of(2));
    },
  },
  {
    name: 'a decreasing round',
    reason: 'malformed',
    detail: /round 3 after round 5 \(rounds must increase\)/,
    send(r) {
      r.data(0, 5, Uint8Array.of(1));
      r.data(0, 3, Uint8Array.of(2));
    },
  },
  {
    name: 'a second hello',
    reason: 'malformed',
    detail: /second hello/,
    send: (r) => r.hello(0, 3),
  },
  {
    name: 'a frame of another session',
    reason: 'wrong-session',
    detail: /data frame of another session/,
    send: (r) => r.data(0, 1, Uint8Array.of(1), 'another'),
  },
];

/** Both honest parties' errors, and how long after `t0` the later one stopped. */
async function outcome(c: ReturnType<typeof computeUntilAborted>, t0: number) {
  const [a, b] = await bounded(Promise.all([c.p2, c.p3]), 20_000, 'both parties abort');
  return { e2: a.error, e3: b.error, ms: Math.max(a.at, b.at) - t0 };
}

/** What every case checks: prompt aborts everywhere, errors and close frames naming p1 and the violation. */
async function expectNamed(l: Linked, o: Awaited<ReturnType<typeof outcome>>, c: Case) {
  expect(o.ms).toBeLessThan(PROMPT_MS);
  // p2 saw the violation itself.
  expect(o.e2).toBeInstanceOf(ProtocolAbort);
  expect(o.e2).toMatchObject({ reason: c.reason, peerId: 'p1' });
  expect(o.e2.message).toMatch(c.detail);
  // p3 learned it from p2's close frame, and names both.
  expect(o.e3).toBeInstanceOf(ProtocolAbort);
  expect(o.e3).toMatchObject({ reason: 'peer-closed', peerId: 'p2' });
  expect(o.e3.message).toContain(`party p2 aborted: protocol aborted: ${c.reason} (peer p1)`);
  expect(o.e3.message).toMatch(c.detail);
  // Every peer was told: the offender by both (p3 relays p2's reason).
  await l.r2.until(() => l.r2.closed);
  await l.r3.until(() => closeReasons(l.r3).length > 0);
  expect(closeReasons(l.r2).join('\n')).toMatch(new RegExp(`${c.reason}: .*${c.detail.source}`));
  expect(closeReasons(l.r3)[0]).toContain(`(peer p1)`);
  expect(closeReasons(l.r3)[0]).toMatch(c.detail);
}

describe('a protocol violation by an authenticated peer aborts every party at once', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.reason}`, async () => {
      const l = await linkWithRogue();
      const computing = computeUntilAborted(l);
      await bounded(computing.running, 10_000, 'computing');
      const t0 = performance.now();
      c.send(l.r2);
      const o = await outcome(computing, t0);
      await expectNamed(l, o, c);
    });
  }
});

describe('memory is bounded against a peer that floods rounds ahead', () => {
  it('refuses frames beyond maxAheadBytes from their headers, holding the link under the bound', async () => {
    const bound = 8 * 1024 * 1024;
    const l = await linkWithRogue({ maxAheadBytes: bound, maxFrameBytes: 4 * 1024 * 1024 });
    const computing = computeUntilAborted(l);
    await bounded(computing.running, 10_000, 'computing');
    const payload = new Uint8Array(1024 * 1024);
    const t0 = performance.now();
    // 64 MiB for rounds far ahead, written as fast as p2 reads them, until it hangs up.
    const s = l.r2.socket;
    let sent = 0;
    for (let k = 0; k < 64 && !l.r2.closed; k++) {
      const ok = s.write(
        encodeFrame({ kind: FrameKind.data, sender: 0, round: 1_000 + k, session: tag }, payload),
      );
      sent++;
      if (!ok)
        await new Promise<void>((resolve) => {
          const done = () => (s.off('drain', done).off('close', done), resolve());
          s.on('drain', done).on('close', done);
        });
    }
    const o = await outcome(computing, t0);
    await expectNamed(l, o, {
      name: 'flood',
      reason: 'flood',
      detail: /over the limit of 8388608 bytes ahead \(maxAheadBytes\)/,
      send: () => {},
    });
    // The link never held more than the bound, and the flood was cut short.
    const ahead = l.t2.ahead(0);
    expect(ahead.peakBytes).toBeLessThanOrEqual(bound);
    expect(ahead.peakBytes).toBeGreaterThan(bound - 2 * payload.length);
    expect(ahead.bytes).toBe(0);
    expect(sent).toBeLessThan(64);
  });

  it('refuses a frame beyond maxAheadRounds messages buffered ahead', async () => {
    const l = await linkWithRogue({ maxAheadRounds: 32 });
    const computing = computeUntilAborted(l);
    await bounded(computing.running, 10_000, 'computing');
    const t0 = performance.now();
    for (let k = 0; k < 100; k++) l.r2.data(0, 1_000 + k, Uint8Array.of(k));
    const o = await outcome(computing, t0);
    await expectNamed(l, o, {
      name: 'flood',
      reason: 'flood',
      detail:
        /sent round 1032 with 32 messages already buffered here .* over the limit of 32 rounds ahead \(maxAheadRounds\)/,
      send: () => {},
    });
    expect(l.t2.ahead(0).peakRounds).toBe(32);
  });

  it('takes messages up to the bounds, and counts what the party takes off', async () => {
    const l = await linkWithRogue({ maxAheadRounds: 4, maxAheadBytes: 4096, maxFrameBytes: 2048 });
    for (let k = 1; k <= 4; k++) l.r2.data(0, k, new Uint8Array(1000));
    await bounded(
      (async () => {
        while (l.t2.ahead(0).rounds < 4) await new Promise((r) => setTimeout(r, 5));
      })(),
      5_000,
      'four messages buffered',
    );
    expect(l.t2.ahead(0)).toMatchObject({ rounds: 4, bytes: 4000 });
    expect((await l.t2.receive(0, 1, 1_000)).length).toBe(1000);
    expect(l.t2.ahead(0)).toMatchObject({ rounds: 3, bytes: 3000 });
    // A message the party already waits for is not ahead: it is handed over at once.
    const waiting = l.t2.receive(0, 6, 5_000);
    l.r2.data(0, 5, new Uint8Array(1000));
    l.r2.data(0, 6, new Uint8Array(2000));
    expect((await waiting).length).toBe(2000);
    expect(l.t2.ahead(0)).toMatchObject({ rounds: 4, bytes: 4000, peakRounds: 4, peakBytes: 4000 });
    expect(l.t2.fatalError).toBeUndefined();
  });
});

describe('a failure while linking reaches every party', () => {
  it('a party that fails tells a peer that was not linked yet why, when it connects', async () => {
    const net = await listenAll(3);
    net.endpoints.forEach(track);
    const session = (i: number) =>
      net.endpoints[i]!.connect({
        self: i,
        peers: net.peers,
        // p2 holds another federation file (its session tag differs).
        sessionId: i === 1 ? 'other' : 'test',
        connectTimeoutMs: 20_000,
      });
    const first = Promise.all([0, 1].map((i) => session(i).catch((e: Error) => e)));
    // p3 starts only once p1 has failed: p1 and p2 are giving up, and tell it why on their way out.
    await bounded(
      (async () => {
        while (!net.logs[0]!.some((l) => l.includes('wrong-session (party p2)')))
          await new Promise((r) => setTimeout(r, 5));
      })(),
      10_000,
      'p1 fails',
    );
    const t0 = performance.now();
    const e3 = (await session(2).catch((e: Error) => e)) as Error;
    expect(performance.now() - t0).toBeLessThan(PROMPT_MS);
    expect(e3.name).toBe('ConnectError');
    // From p1 (a close frame on the link it had dialled, or a refusal instead of its
    // hello), naming p2 and why; or from p2 itself, whose frames are of another session.
    expect(e3.message).toMatch(
      /\(party p1\): party p1 (aborted|refused the link): could not link every party: wrong-session \(party p2\): hello frame of another session|^wrong-session \(party p2\)/,
    );
    expect(e3.message).not.toMatch(/may refuse our certificate/);
    const [e1, e2] = await first;
    expect(e1).toMatchObject({ reason: 'wrong-session', peerId: 'p2' });
    expect(e2).toMatchObject({ reason: 'wrong-session', peerId: 'p1' });
  });
});
