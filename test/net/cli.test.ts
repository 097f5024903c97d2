/**
 * `entente keygen`, `entente run --federation` and `entente local` as real
 * processes over TLS on 127.0.0.1: the same results as in memory under rep3
 * and shamir; a party killed or frozen mid-computation makes the others fail
 * with an error naming it; configuration mistakes name the field. Also
 * `entente run --plan` in one process.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../src/adapters/node/crypto.js';
import { certificateFingerprint } from '../../src/adapters/node/net/fingerprint.js';
import { writeIdentity } from '../../src/adapters/node/net/identity.js';
import { runLocal } from '../../src/api/run.js';
import { freePorts, show } from '../../src/cli/net.js';
import stats from './fixtures/stats.js';
import { Cli } from './helpers.js';

let dir: string;
const running: Cli[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'entente-cli-'));
});
afterEach(() => {
  for (const c of running.splice(0)) c.kill();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function cli(args: readonly string[]): Cli {
  const c = new Cli(args);
  running.push(c);
  return c;
}

/** `pN: {...}` lines of a run's stdout, by party. */
function results(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of stdout.matchAll(/^(p\d+): (.*)$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

/** Keys and a federation file for p1..pn on free 127.0.0.1 ports. */
async function federation(
  name: string,
  n: number,
  timeouts: Record<string, number> = {},
): Promise<string> {
  const d = join(dir, name);
  const ports = await freePorts(n);
  const parties = [];
  for (let i = 0; i < n; i++) {
    const f = await writeIdentity(d, `p${i + 1}`);
    parties.push({
      id: `p${i + 1}`,
      host: '127.0.0.1',
      port: ports[i]!,
      fingerprint: f.fingerprint,
      suites: ['rep3', 'shamir', 'plaintext'],
    });
  }
  const path = join(d, 'federation.json');
  await writeFile(path, JSON.stringify({ name, suite: 'rep3', timeouts, parties }, null, 2));
  return path;
}

describe('entente local', () => {
  for (const [suite, transport] of [
    ['rep3', 'tls'],
    ['shamir', 'tls'],
    ['rep3', 'ws'],
  ] as const) {
    it(`runs a program in 3 processes under ${suite} over ${transport} with the in-memory result`, async () => {
      const run = cli([
        'local',
        'test/net/fixtures/stats.ts',
        '--parties',
        '3',
        '--suite',
        suite,
        '--transport',
        transport,
      ]);
      const exit = await run.exit(45_000);
      expect(exit.stderr).not.toMatch(/entente: /);
      // A party that finished and closed its links is no failure to report.
      expect(exit.stderr).not.toMatch(/failed/);
      expect(exit.code).toBe(0);
      const want = show(
        (await runLocal(stats, { suite, parties: 3, crypto: nodeCryptoProvider }))[0]!.result,
      );
      const got = results(exit.stdout);
      expect([...got.keys()]).toEqual(['p1', 'p2', 'p3']);
      for (const r of got.values()) expect(r).toBe(want);
      expect(want).toBe(
        '{"total":[1322],"largest":[1000],"p1Ahead":[true],"products":[48,-20,-2700,7000]}',
      );
      expect(exit.stdout).toMatch(/rounds, \d+ messages, \d+ bytes sent/);
    });
  }

  it('stops the other parties and fails when one party fails', async () => {
    const exit = await cli([
      'local',
      'test/net/fixtures/fails.ts',
      '--parties',
      '3',
      '--suite',
      'rep3',
    ]).exit(45_000);
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/\[p2\] entente: Error: p2 gives up/);
    // p2 is named first with its reason, whoever ended first (p2 lingers to tell its
    // peers why); p3 (and p1, if it was still computing) aborted because p2 did.
    const summary = exit.stderr.split('\n').find((l) => l.startsWith('entente local: failed'));
    expect(summary).toMatch(
      /^entente local: failed: p2 \(exit 1\): Error: p2 gives up(; because of it: p[13] \(exit 1\)(, p[13] \(exit 1\))?)?$/,
    );
    expect(exit.stderr).not.toMatch(/\(party \d+\)/);
  });

  it('parties whose inputs differ in size fail at once, naming the party and the sizes (OPERATIONS.md)', async () => {
    const exit = await cli([
      'local',
      'test/net/fixtures/sizes.ts',
      '--parties',
      '3',
      '--suite',
      'rep3',
    ]).exit(45_000);
    expect(exit.code).toBe(1);
    // p3 expects 5 values from p1, which inputs 4: the documented malformed message.
    expect(exit.stderr).toMatch(
      /\[p3\] entente: party p3: ProtocolAbort: protocol aborted: malformed \(peer p1\): sent 32 bytes, expected 40$/m,
    );
    const summary = exit.stderr.split('\n').find((l) => l.startsWith('entente local: failed'));
    expect(summary).toMatch(
      /^entente local: failed: p3 \(exit 1\): ProtocolAbort: protocol aborted: malformed \(peer p1\): sent 32 bytes, expected 40/,
    );
  });

  it('stops every party after --timeout-ms and fails', async () => {
    const exit = await cli([
      'local',
      'test/net/fixtures/long.ts',
      '--parties',
      '3',
      '--timeout-ms',
      '3000',
    ]).exit(45_000);
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/entente local: stopped all parties after 3000 ms/);
    expect(exit.stdout.trim().split('\n')).toEqual([
      'p1: (no output)',
      'p2: (no output)',
      'p3: (no output)',
    ]);
  });
});

describe('entente run --federation', () => {
  it('fails the other parties, naming the party killed mid-computation', async () => {
    const fed = await federation('kill', 3, { roundMs: 20_000 });
    const ps = ['p1', 'p2', 'p3'].map((id) =>
      cli(['run', 'test/net/fixtures/long.ts', '--federation', fed, '--party', id]),
    );
    await ps[1]!.stderrMatches(/long: running/);
    ps[1]!.kill('SIGKILL');
    for (const i of [0, 2]) {
      const exit = await ps[i]!.exit(20_000);
      expect(exit.code).toBe(1);
      // The party that noticed first names p2; a party that was waiting on the
      // other survivor names it and, through its close frame, p2.
      const line = /^entente: party p[13]: (.*)$/m.exec(exit.stderr)?.[1] ?? exit.stderr;
      expect(line).toMatch(/^ProtocolAbort: protocol aborted: peer-closed \(peer p[23]\)/);
      expect(line).toMatch(/peer-closed \(peer p2\)/);
    }
  });

  it('runs again on the same federation after a party was killed', async () => {
    const fed = await federation('restart', 3, { roundMs: 20_000 });
    const first = ['p1', 'p2', 'p3'].map((id) =>
      cli(['run', 'test/net/fixtures/long.ts', '--federation', fed, '--party', id]),
    );
    await first[0]!.stderrMatches(/long: running/);
    first[0]!.kill('SIGKILL');
    for (const i of [1, 2]) expect((await first[i]!.exit(20_000)).code).toBe(1);
    // Same keys, same ports: the computation runs to completion.
    const again = ['p1', 'p2', 'p3'].map((id) =>
      cli(['run', 'test/net/fixtures/stats.ts', '--federation', fed, '--party', id]),
    );
    for (const p of again) {
      const exit = await p.exit(45_000);
      expect(exit.code).toBe(0);
      expect(exit.stdout).toMatch(/"total":\[1322\]/);
    }
  });

  it('tells the others when a party is stopped with SIGTERM, and exits 143', async () => {
    const fed = await federation('term', 3, { roundMs: 20_000 });
    const ps = ['p1', 'p2', 'p3'].map((id) =>
      cli(['run', 'test/net/fixtures/long.ts', '--federation', fed, '--party', id]),
    );
    await ps[0]!.stderrMatches(/long: running/);
    ps[0]!.kill('SIGTERM');
    expect((await ps[0]!.exit(20_000)).code).toBe(143);
    for (const i of [1, 2]) {
      const exit = await ps[i]!.exit(20_000);
      expect(exit.code).toBe(1);
      expect(exit.stderr).toMatch(/party p1 aborted: party p1 was stopped \(SIGTERM\)/);
    }
  });

  it('times out a frozen party, naming it', async () => {
    const fed = await federation('stall', 3, { roundMs: 3_000, heartbeatMs: 200, idleMs: 1_500 });
    const ps = ['p1', 'p2', 'p3'].map((id) =>
      cli(['run', 'test/net/fixtures/long.ts', '--federation', fed, '--party', id]),
    );
    await ps[2]!.stderrMatches(/long: running/);
    ps[2]!.kill('SIGSTOP');
    try {
      for (const i of [0, 1]) {
        const exit = await ps[i]!.exit(20_000);
        expect(exit.code).toBe(1);
        const line = /^entente: party p[12]: (.*)$/m.exec(exit.stderr)?.[1] ?? exit.stderr;
        expect(line).toMatch(
          /^ProtocolAbort: protocol aborted: (timeout|peer-closed) \(peer p[13]\)/,
        );
        expect(line).toMatch(/timeout \(peer p3\)/);
      }
    } finally {
      ps[2]!.kill('SIGKILL');
    }
  });

  it('refuses a bad federation file, naming the field, and a certificate the file does not pin', async () => {
    const fed = await federation('config', 2);
    const raw = JSON.parse(await readFile(fed, 'utf8')) as { parties: Array<{ port: number }> };
    raw.parties[1]!.port = 70000;
    const bad = join(dir, 'config', 'bad.json');
    await writeFile(bad, JSON.stringify(raw));
    const e1 = await cli([
      'run',
      'examples/millionaires.ts',
      '--federation',
      bad,
      '--party',
      'p1',
    ]).exit();
    expect(e1.code).toBe(2);
    expect(e1.stderr).toContain('parties[1].port: expected an integer 1..65535, got 70000');
    // p2 regenerated its key but the federation still pins the old certificate.
    const fresh = await writeIdentity(join(dir, 'config', 'new'), 'p2');
    const e2 = await cli([
      'run',
      'examples/millionaires.ts',
      '--federation',
      fed,
      '--party',
      'p2',
      '--key',
      fresh.keyPath,
      '--cert',
      fresh.certPath,
    ]).exit();
    expect(e2.code).toBe(2);
    const idFile = join(dir, 'config', 'p1.party.json');
    await writeFile(idFile, JSON.stringify({ party: 'p1', key: 'p1.key', cert: 'p1.crt' }));
    const e3 = await cli([
      'run',
      'examples/millionaires.ts',
      '--federation',
      fed,
      '--party',
      'p2',
      '--identity',
      idFile,
    ]).exit();
    expect(e3.code).toBe(2);
    expect(e3.stderr).toContain(`${idFile} is the identity of party 'p1', not 'p2'`);
    expect(e2.stderr).toContain(`has fingerprint ${fresh.fingerprint}, but ${fed} pins`);
  });
});

describe('preprocessing plans from the command line (run --plan, plan --out, --plan-file)', () => {
  it('reports the preprocessing a program needs, generates it first, then runs it', async () => {
    const exit = await cli([
      'run',
      'examples/millionaires.ts',
      '--suite',
      'spdz2k',
      '--parties',
      '2',
      '--plan',
    ]).exit();
    // stderr: only the line that states the suite and its security model.
    expect(exit.stderr).toMatch(
      /^entente run: suite spdz2k \(security: malicious.*\), 2 parties in this process\n$/,
    );
    expect(exit.code).toBe(0);
    // The plan line comes before any result, and names every kind with its count.
    const lines = exit.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^preprocessing for this program under spdz2k with 2 parties \(each party, by a dry run in the clear\): .*bit 33.*triple \d+/,
    );
    expect(results(exit.stdout)).toEqual(
      new Map([
        ['p1', '{"p1IsRicher":true}'],
        ['p2', '{"p1IsRicher":true}'],
      ]),
    );
    expect(exit.stdout).toMatch(/setup and preprocessing \d+\.\d\d s, online \d+\.\d\d s/);
  });

  it('entente plan --out writes a plan that local --plan-file runs; a mismatched plan is refused first', async () => {
    const planFile = join(dir, 'millionaires.plan.json');
    const made = await cli([
      'plan',
      'examples/millionaires.ts',
      '--suite',
      'spdz2k',
      '--parties',
      '2',
      '--out',
      planFile,
    ]).exit();
    expect(made.code).toBe(0);
    expect(made.stdout).toContain('under spdz2k with 2 parties');
    expect(JSON.parse(await readFile(planFile, 'utf8'))).toMatchObject({
      suite: 'spdz2k',
      parties: 2,
      counts: { bit: 33 },
    });
    const run = await cli([
      'local',
      'examples/millionaires.ts',
      '--suite',
      'spdz2k',
      '--parties',
      '2',
      '--plan-file',
      planFile,
    ]).exit();
    expect(run.code).toBe(0);
    expect(results(run.stdout).get('p2')).toBe('{"p1IsRicher":true}');
    expect(run.stdout).toMatch(/preprocessed in \d+ ms, online computed in \d+ ms/);
    expect(run.stderr).toContain(`preprocessing the plan in ${planFile}: bit 33`);
    const wrong = await cli([
      'local',
      'examples/millionaires.ts',
      '--suite',
      'semi2k',
      '--parties',
      '2',
      '--plan-file',
      planFile,
    ]).exit();
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(
      `${planFile} plans spdz2k with 2 parties, but this run is semi2k with 2`,
    );
  });

  it('refuses --plan for a suite without preprocessing', async () => {
    const exit = await cli([
      'run',
      'examples/millionaires.ts',
      '--suite',
      'rep3',
      '--parties',
      '3',
      '--plan',
    ]).exit();
    expect(exit.code).not.toBe(0);
    expect(exit.stderr).toContain("suite 'rep3' has no preprocessing to plan");
  });
});

describe('entente keygen', () => {
  it('writes a 0600 key and a certificate, and prints its fingerprint', async () => {
    const out = join(dir, 'kg');
    const exit = await cli(['keygen', '--out', out, '--id', 'alice']).exit();
    expect(exit.code).toBe(0);
    const cert = await readFile(join(out, 'alice.crt'), 'utf8');
    expect(exit.stdout.trim()).toBe(certificateFingerprint(cert));
    expect((await stat(join(out, 'alice.key'))).mode & 0o777).toBe(0o600);
  });
});
