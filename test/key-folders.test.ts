/**
 * Keys left on disk (issue 21, item 6), with real processes: the temporary
 * folder holding every party's private key is gone after SIGINT and SIGTERM
 * to `entente local` and to `entente demo`; after kill -9 of the `entente
 * local` launcher its parties die with it (they watch its pipe), and the
 * folder, which no code could remove, is removed at the next start.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PID_FILE, removeStaleKeyFolders } from '../src/cli/tempdir.js';
import { Cli } from './net/helpers.js';

const running: Cli[] = [];
afterEach(() => {
  for (const c of running.splice(0)) c.kill();
});

function cli(args: readonly string[]): Cli {
  const c = new Cli(args);
  running.push(c);
  return c;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Children of `pid` (Linux /proc). */
async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) out.push(Number(name));
  }
  return out;
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

describe('entente local: the key folder', () => {
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`is gone after ${sig}`, async () => {
      const run = cli(['local', 'test/net/fixtures/long.ts', '--parties', '3']);
      await run.stderrMatches(/long: running/, 30_000);
      const dir = /keys and federation in (\S+)/.exec(run.stderr)![1]!;
      expect(existsSync(join(dir, 'p1.key'))).toBe(true);
      expect(existsSync(join(dir, PID_FILE))).toBe(true);
      run.kill(sig);
      expect((await run.exit(20_000)).code).toBe(code);
      expect(existsSync(dir)).toBe(false);
    });
  }

  it('after kill -9 of the launcher: the parties die with it, and the next start removes the folder', async () => {
    const run = cli(['local', 'test/net/fixtures/long.ts', '--parties', '3']);
    await run.stderrMatches(/long: running/, 30_000);
    const dir = /keys and federation in (\S+)/.exec(run.stderr)![1]!;
    const parties = await childrenOf(run.child.pid!);
    expect(parties).toHaveLength(3);
    run.kill('SIGKILL');
    await run.exited;
    // No code ran in the launcher: the folder is still there, but every party stops.
    expect(await until(() => parties.every((p) => !alive(p)), 10_000)).toBe(true);
    expect(existsSync(join(dir, 'p1.key'))).toBe(true);
    const next = await cli(['local', 'test/net/fixtures/stats.ts', '--parties', '3']).exit(45_000);
    expect(next.code).toBe(0);
    expect(next.stderr).toContain(
      `removed ${dir}, the keys of an earlier run whose process is gone`,
    );
    expect(existsSync(dir)).toBe(false);
  });
});

describe('entente demo: the key folder', () => {
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`is gone after ${sig}, with a clean "interrupted"`, async () => {
      const run = cli(['demo', '--rows', '50']);
      await run.stderrMatches(/three hospital nodes in (\S+)/, 30_000);
      const dir = /three hospital nodes in (\S+)/.exec(run.stderr)![1]!;
      // Let the nodes come up (their keys are written), then interrupt.
      await run.stderrMatches(/each owner registers|database/, 60_000).catch(() => undefined);
      run.kill(sig);
      const exit = await run.exit(30_000);
      expect(exit.code).toBe(code);
      expect(exit.stderr).toMatch(
        new RegExp(
          `entente demo: interrupted \\(${sig}\\); stopping the nodes and removing their keys`,
        ),
      );
      expect(exit.stderr).not.toMatch(/ENOENT/);
      expect(existsSync(dir)).toBe(false);
    });
  }
});

describe('stale key folders', () => {
  it('are removed when the process in their pid file is gone, and only then', async () => {
    const base = await mkdtemp(join(tmpdir(), 'entente-stale-test-'));
    try {
      const gone = join(base, 'entente-local-gone');
      const live = join(base, 'entente-study-live');
      const unmarked = join(base, 'entente-demo-unmarked');
      const other = join(base, 'something-else');
      for (const d of [gone, live, unmarked, other]) await mkdir(d);
      // A pid no process can have: above Linux's largest pid_max (2^22).
      const dead = 2 ** 22 + 12345;
      await writeFile(join(gone, PID_FILE), `${dead}\n`);
      await writeFile(join(live, PID_FILE), `${process.ppid}\n`);
      await writeFile(join(other, PID_FILE), `${dead}\n`);
      expect(await removeStaleKeyFolders(base)).toEqual([gone]);
      expect([live, unmarked, other].every((d) => existsSync(d))).toBe(true);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});
