/**
 * Failure semantics with real processes (docs/OPERATIONS.md, "Failure
 * semantics"): p2 and p3 are `entente run` processes of a three-party
 * federation; p1 is this test, holding p1's key from the federation folder,
 * which links to both like a party and then breaks the protocol towards p2
 * only. Both honest processes must exit 1 within seconds (the round deadline
 * is 600 s), each naming p1 and the violation on its last line; a flood of
 * large frames for rounds ahead must be refused before the attacked process
 * holds more than the bound.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadFederation } from '../../src/adapters/node/net/federation.js';
import { loadIdentity } from '../../src/adapters/node/net/identity.js';
import { writeLocalFederation } from '../../src/cli/launch.js';
import {
  decodeCloseReason,
  encodeFrame,
  FrameKind,
  sessionTag,
} from '../../src/transport/frame.js';
import { bounded, Cli, Rogue } from './helpers.js';

let dir: string;
const running: Cli[] = [];
const rogues: Rogue[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'entente-abort-'));
});
afterEach(() => {
  for (const c of running.splice(0)) c.kill();
  for (const r of rogues.splice(0)) r.socket.destroy();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Stops every honest party well before this (the round deadline is 600 s). */
const PROMPT_MS = 5_000;

/**
 * A federation p1..p3 in its own folder; p2 and p3 run `long.ts`; p1 (this
 * test) dials both and greets them. Resolves once both report their links.
 */
async function start(name: string, extra: Record<string, unknown> = {}) {
  const d = join(dir, name);
  const fedPath = await writeLocalFederation(d, {
    ids: ['p1', 'p2', 'p3'],
    suite: 'rep3',
    name,
    timeouts: { roundMs: 600_000 },
  });
  if (Object.keys(extra).length > 0) {
    const raw = JSON.parse(await readFile(fedPath, 'utf8')) as Record<string, unknown>;
    await writeFile(fedPath, JSON.stringify({ ...raw, ...extra }));
  }
  const fed = await loadFederation(fedPath);
  const session = `${fed.session}|rep3|${fed.digest}`;
  const me = await loadIdentity(join(d, 'p1.key'), join(d, 'p1.crt'));
  const ps = ['p2', 'p3'].map((id) => {
    const c = new Cli(['run', 'test/net/fixtures/long.ts', '--federation', fedPath, '--party', id]);
    running.push(c);
    return c;
  });
  // p1 dials the higher indices, retrying while they start listening.
  const dial = async (port: number): Promise<Rogue> => {
    for (;;) {
      try {
        const r = await Rogue.dial(port, me);
        rogues.push(r);
        r.hello(0, 3, session);
        return r;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const [r2, r3] = await bounded(
    Promise.all([dial(fed.parties[1]!.port), dial(fed.parties[2]!.port)]),
    20_000,
    'p1 dials p2 and p3',
  );
  await Promise.all(ps.map((p) => p.stderrMatches(/linked to 2 peer\(s\)/)));
  // Let both start computing (they wait for p1's first round).
  await new Promise((r) => setTimeout(r, 200));
  return { p2: ps[0]!, p3: ps[1]!, r2: r2!, r3: r3!, session };
}

/** Both honest parties' exits, and how long after `t0` the later one ended. */
async function exits(p2: Cli, p3: Cli, t0: number) {
  const ended: number[] = [];
  const [e2, e3] = await Promise.all(
    [p2, p3].map((p) => p.exit(30_000).then((e) => (ended.push(performance.now()), e))),
  );
  return { e2: e2!, e3: e3!, ms: Math.max(...ended) - t0 };
}

function lastLine(stderr: string): string {
  return stderr.trimEnd().split('\n').at(-1)!;
}

describe('entente run: a violation by an authenticated peer ends every party at once', () => {
  it('random bytes from p1 to p2: p2 and p3 exit 1 within seconds, naming p1 and the violation', async () => {
    const { p2, p3, r2, r3 } = await start('garbage');
    const t0 = performance.now();
    r2.write(new TextEncoder().encode('this is not a frame at all, not even close'));
    const { e2, e3, ms } = await exits(p2, p3, t0);
    expect(ms).toBeLessThan(PROMPT_MS);
    expect(e2.code).toBe(1);
    expect(e3.code).toBe(1);
    expect(lastLine(e2.stderr)).toMatch(
      /^entente: party p2: ProtocolAbort: protocol aborted: malformed \(peer p1\): malformed frame: bad magic/,
    );
    expect(lastLine(e3.stderr)).toMatch(
      /^entente: party p3: ProtocolAbort: protocol aborted: peer-closed \(peer p2\): party p2 aborted: protocol aborted: malformed \(peer p1\): malformed frame: bad magic/,
    );
    // Log lines name parties by id, never by 0-based index.
    for (const e of [e2, e3]) expect(e.stderr).not.toMatch(/\(party \d+\)/);
    // p1 was told by both why the session ended.
    await r3.until(() => r3.frames.some((f) => f.kind === FrameKind.close));
    const told = [r2, r3].map((r) =>
      r.frames
        .filter((f) => f.kind === FrameKind.close)
        .map((f) => decodeCloseReason(f.payload))
        .join(' '),
    );
    expect(told[0]).toMatch(/refused your frames: malformed: malformed frame: bad magic/);
    expect(told[1]).toMatch(/malformed \(peer p1\): malformed frame: bad magic/);
  });

  it('a flood of 16 MiB frames for rounds ahead is refused at the bound; the attacked process stays bounded', async () => {
    // maxFrameBytes 16 MiB: a peer may hold max(2 x 16 MiB, 256 MiB) = 256 MiB here ahead.
    const bound = 256 * 1024 * 1024;
    const { p2, p3, r2, session } = await start('flood', { maxFrameBytes: 16 * 1024 * 1024 });
    const pid = p2.child.pid!;
    const rss = () => {
      try {
        return (
          Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024
        );
      } catch {
        return 0;
      }
    };
    const before = rss();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rss())), 5);
    const payload = new Uint8Array(16 * 1024 * 1024 - 40);
    const tag = sessionTag(session);
    const s = r2.socket;
    // Timed from the frame that crosses the bound (the 17th): 16 fit in 256 MiB.
    let t0 = performance.now();
    let sent = 0;
    // The reproduction: 40 frames of 16 MiB (640 MiB), as fast as p2 reads them.
    for (let k = 0; k < 40 && !r2.closed; k++) {
      if (k === 16) t0 = performance.now();
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
    const { e2, e3, ms } = await exits(p2, p3, t0);
    clearInterval(sampler);
    expect(ms).toBeLessThan(PROMPT_MS);
    expect(e2.code).toBe(1);
    expect(e3.code).toBe(1);
    expect(lastLine(e2.stderr)).toMatch(
      /^entente: party p2: ProtocolAbort: protocol aborted: flood \(peer p1\): party p1 sent 16777176 bytes for round 1016 with 268434816 bytes already buffered here .* over the limit of 268435456 bytes ahead \(maxAheadBytes\)/,
    );
    expect(lastLine(e3.stderr)).toMatch(
      /^entente: party p3: ProtocolAbort: protocol aborted: peer-closed \(peer p2\): party p2 aborted: protocol aborted: flood \(peer p1\)/,
    );
    expect(sent).toBeLessThan(40);
    // What p2 buffered is bounded by the limit (plus what TLS and Node hold while reading).
    if (before > 0) expect(peak - before).toBeLessThan(bound + 128 * 1024 * 1024);
  });
});

describe('entente run: a failure while linking reaches every party', () => {
  for (const transport of ['tls', 'ws'] as const)
    it(`a party running another suite (${transport}): all three exit 1 within seconds, naming it and why`, async () => {
      const d = join(dir, `suite-${transport}`);
      const fedPath = await writeLocalFederation(d, {
        ids: ['p1', 'p2', 'p3'],
        suite: 'rep3',
        name: 'suite',
        transport,
        timeouts: { connectMs: 60_000 },
      });
      const raw = JSON.parse(await readFile(fedPath, 'utf8')) as {
        parties: Array<{ suites: string[] }>;
      };
      for (const p of raw.parties) p.suites = ['rep3', 'shamir'];
      await writeFile(fedPath, JSON.stringify(raw));
      const t0 = performance.now();
      const ps = ['p1', 'p2', 'p3'].map((id) => {
        const c = new Cli([
          'run',
          'test/net/fixtures/stats.ts',
          '--federation',
          fedPath,
          '--party',
          id,
          ...(id === 'p3' ? ['--suite', 'shamir'] : []),
        ]);
        running.push(c);
        return c;
      });
      const ends = await Promise.all(ps.map((p) => p.exit(30_000)));
      // Process start-up included; the connect deadline is 60 s.
      expect(performance.now() - t0).toBeLessThan(15_000);
      const lines = ends.map((e) => lastLine(e.stderr));
      for (const e of ends) {
        expect(e.code).toBe(1);
        expect(e.stderr).not.toMatch(/\(party \d+\)/);
      }
      // p1 and p2 both name p3 and why: its hello (or, once it has given up, its
      // refusal) is of another session; neither blames a certificate.
      for (const line of lines.slice(0, 2)) {
        expect(line).toMatch(
          /ConnectError: .*wrong-session \(party p3\): (hello|close) frame of another session \(session id, suite or federation file differ\)/,
        );
        expect(line).not.toMatch(/certificate/);
      }
      expect(lines[2]).toMatch(
        /^entente: party p3: ConnectError: .*wrong-session \(party p[12]\): (hello|close) frame of another session/,
      );
    });
});
