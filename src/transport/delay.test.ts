/**
 * The simulated one-way delay (issue 24): each message arrives `d` after it
 * was sent, several in flight at once, in order per link; a program of k
 * rounds over it takes at least k x d. Timing here is a property of the
 * transport, checked with a hand-driven clock or as a lower bound only.
 */
import { describe, expect, it } from 'vitest';
import { int, runLocal } from '../index.js';
import { DelayLine, delayedTransport, type DelayClock } from './delay.js';
import { createMemoryNetwork } from './memory.js';
import { TransportError } from './transport.js';

/** A clock moved by hand: `advance(ms)` fires, in time order, the timers that come due. */
function manualClock() {
  let t = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; f: () => void }>();
  const clock: DelayClock = {
    now: () => t,
    after: (ms, f) => {
      timers.set(++seq, { at: t + ms, f });
      return seq;
    },
    cancel: (h) => void timers.delete(h as number),
  };
  const advance = (ms: number) => {
    const end = t + ms;
    for (;;) {
      const next = [...timers.entries()]
        .filter(([, x]) => x.at <= end)
        .sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!next) break;
      timers.delete(next[0]);
      t = next[1].at;
      next[1].f();
    }
    t = end;
  };
  return { clock, advance, now: () => t, armed: () => timers.size };
}

describe('DelayLine', () => {
  it('delivers each message d after its push, several in flight at once, in order', () => {
    const c = manualClock();
    const line = new DelayLine(50, c.clock);
    const got: Array<[string, number]> = [];
    line.push(() => got.push(['a', c.now()]));
    c.advance(1);
    line.push(() => got.push(['b', c.now()]));
    c.advance(2);
    line.push(() => got.push(['c', c.now()]));
    line.push(() => got.push(['d', c.now()]));
    c.advance(40);
    expect(got).toEqual([]); // nothing early
    c.advance(1000);
    // Not serialised: b arrives at 51, not at 50 + 50.
    expect(got).toEqual([
      ['a', 50],
      ['b', 51],
      ['c', 53],
      ['d', 53],
    ]);
    expect(line.pending).toBe(0);
    expect(c.armed()).toBe(0);
  });

  it('keeps one timer armed whatever the number in flight', () => {
    const c = manualClock();
    const line = new DelayLine(10, c.clock);
    for (let i = 0; i < 1000; i++) line.push(() => {});
    expect(c.armed()).toBe(1);
    expect(line.pending).toBe(1000);
    c.advance(10);
    expect(line.pending).toBe(0);
  });

  it('never delivers early when the timer fires before the due time', () => {
    // A clock whose timers fire up to 1 ms early (as whole-millisecond loop times can).
    const c = manualClock();
    const early: DelayClock = {
      ...c.clock,
      after: (ms, f) => c.clock.after(Math.max(ms - 1, Math.min(ms, 0.5)), f),
    };
    const line = new DelayLine(5, early);
    let at = -1;
    line.push(() => (at = c.now()));
    c.advance(100);
    expect(at).toBe(5);
  });

  it('delivers a zero delay at the next timer, and refuses a negative one', () => {
    const c = manualClock();
    const line = new DelayLine(0, c.clock);
    let done = false;
    line.push(() => (done = true));
    expect(done).toBe(false);
    c.advance(0);
    expect(done).toBe(true);
    expect(() => new DelayLine(-1)).toThrow(RangeError);
    expect(() => new DelayLine(Number.NaN)).toThrow(RangeError);
    expect(() => createMemoryNetwork(2, 'm', { delayMs: -5 })).toThrow(/delayMs/);
  });

  it('resolves drained() once the last message is delivered; clear() drops the rest', async () => {
    const c = manualClock();
    const line = new DelayLine(20, c.clock);
    const got: number[] = [];
    await line.drained(); // nothing pending
    line.push(() => got.push(1));
    let drained = false;
    const d = line.drained().then(() => (drained = true));
    c.advance(19);
    await Promise.resolve();
    expect(drained).toBe(false);
    c.advance(1);
    await d;
    expect(got).toEqual([1]);
    line.push(() => got.push(2));
    line.clear();
    c.advance(100);
    expect(got).toEqual([1]);
  });
});

describe('delayed in-memory network', () => {
  it('delivers each message d after it was sent, in order, with all links independent', async () => {
    const c = manualClock();
    const [a, b, x] = createMemoryNetwork(3, 'm', { delayMs: 30, delayClock: c.clock });
    const got: string[] = [];
    const wait = (from: number, r: number) =>
      b!.receive(from, r, 0).then((m) => got.push(`${from}:${r}=${m[0]}`));
    const all = Promise.all([wait(0, 1), wait(0, 2), wait(2, 1)]);
    // Delivery is the next event-loop task after the delay line hands a message over.
    const at = async (t: number) => {
      c.advance(t - c.now());
      await new Promise((r) => setImmediate(r));
      return [...got];
    };
    a!.send(1, 1, Uint8Array.of(1));
    await at(10);
    x!.send(1, 1, Uint8Array.of(3));
    a!.send(1, 2, Uint8Array.of(2));
    expect(await at(29)).toEqual([]);
    expect(await at(30)).toEqual(['0:1=1']);
    expect(await at(39)).toEqual(['0:1=1']);
    // Messages of different links due at once may come in either order.
    expect((await at(40)).sort()).toEqual(['0:1=1', '0:2=2', '2:1=3']);
    await all;
  });

  it('drops what is in flight on close; peers then see peer-closed', async () => {
    const c = manualClock();
    const [a, b] = createMemoryNetwork(2, 'm', { delayMs: 30, delayClock: c.clock });
    a!.send(1, 1, Uint8Array.of(1));
    const r = b!.receive(0, 1, 0);
    a!.close();
    c.advance(100);
    await expect(r).rejects.toMatchObject({ reason: 'peer-closed' });
  });

  it('makes a program of k rounds take at least k x d, with the same rounds and result', async () => {
    const d = 15;
    const k = 6;
    // A chain of k dependent openings: one round each under rep3.
    const program = async (s: import('../index.js').Session) => {
      const x = s.input('p1', int(16), s.me === 'p1' ? [7] : 1);
      await x.shares;
      const before = s.stats().rounds;
      const t = performance.now();
      let sum = 0n;
      for (let i = 0; i < k; i++) sum += (await x.reveal())[0]!;
      return { ms: performance.now() - t, rounds: s.stats().rounds - before, sum };
    };
    const delayed = await runLocal(program, { suite: 'rep3', parties: 3, delayMs: d });
    const plain = await runLocal(program, { suite: 'rep3', parties: 3 });
    for (const [i, o] of delayed.entries()) {
      expect(o.result.sum).toBe(7n * BigInt(k));
      expect(o.result.rounds).toBe(k);
      expect(o.result.rounds).toBe(plain[i]!.result.rounds);
      // A lower bound only: the delay line never delivers early.
      expect(o.result.ms).toBeGreaterThanOrEqual(k * d);
    }
  });
});

describe('delayedTransport', () => {
  it('delays sends only, flushes on request and drops refused sends silently', async () => {
    const c = manualClock();
    const [a0, b] = createMemoryNetwork(2, 'm');
    const a = delayedTransport(a0!, 25, c.clock);
    expect([a.self, a.parties, a.sessionId]).toEqual([0, 2, 'm']);
    a.send(1, 1, Uint8Array.of(9));
    a.send(1, 2, [Uint8Array.of(1), Uint8Array.of(2)]);
    let flushed = false;
    const f = a.flushed().then(() => (flushed = true));
    const m1 = b!.receive(0, 1, 0);
    const m2 = b!.receive(0, 2, 0);
    c.advance(24);
    await Promise.resolve();
    expect(flushed).toBe(false);
    c.advance(1);
    await f;
    expect(await m1).toEqual(Uint8Array.of(9));
    expect(await m2).toEqual(Uint8Array.of(1, 2));
    // The inner transport closes before the message is due: it is dropped, not thrown from a timer.
    a.send(1, 3, Uint8Array.of(3));
    a0!.close();
    expect(() => c.advance(100)).not.toThrow();
    await expect(b!.receive(0, 3, 0)).rejects.toBeInstanceOf(TransportError);
    expect(() => a.send(5, 1, Uint8Array.of(0))).toThrow(RangeError);
  });

  it("throws a caller's bug that the inner send reports when the message is due, rather than lose it", () => {
    const c = manualClock();
    const [a0] = createMemoryNetwork(2, 'm');
    const inner = {
      ...a0!,
      self: 0,
      parties: 2,
      sessionId: 'm',
      send: () => {
        throw new RangeError('send: round 1 after round 2 (rounds must increase)');
      },
      receive: a0!.receive.bind(a0),
      close: a0!.close.bind(a0),
    };
    const a = delayedTransport(inner, 10, c.clock);
    a.send(1, 1, Uint8Array.of(1));
    expect(() => c.advance(10)).toThrow(/rounds must increase/);
  });

  it('closes at once, dropping what is in flight; later sends fail like the inner ones', () => {
    const c = manualClock();
    const [a0] = createMemoryNetwork(2, 'm');
    const a = delayedTransport(a0!, 25, c.clock);
    a.send(1, 1, Uint8Array.of(9));
    a.close();
    expect(c.armed()).toBe(0);
    expect(() => a.send(1, 2, Uint8Array.of(1))).toThrow(TransportError);
  });
});
