/**
 * The exit status of `entente` as scripts see it (src/cli/exit.ts, docs/OPERATIONS.md
 * "Exit status"), with real processes: 0 a result printed, 1 the computation failed
 * or ended without a result, 2 bad input or usage, 130 / 143 interrupted.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cli } from './net/helpers.js';

const running: Cli[] = [];
afterEach(() => {
  for (const c of running.splice(0)) c.kill();
});

let dir: string;
/** A program that does not parse (written here: it would break the type check; .mts: an ES module wherever it is). */
let syntaxError: string;
/**
 * The stats program in a folder outside any `"type": "module"` package, as
 * .ts: Node (through tsx) takes it for CommonJS; in `esm/` beside a
 * package.json with `"type": "module"`, the same file loads.
 */
let commonJs: string;
let esm: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'entente-exit-codes-'));
  syntaxError = join(dir, 'syntax-error.mts');
  await writeFile(syntaxError, 'export default async function broken(s) {\n  return s.(;\n}\n');
  const stats = (await readFile(`${F}/stats.ts`, 'utf8')).replace(
    '../../../src/index.js',
    resolve('src/index.js'),
  );
  commonJs = join(dir, 'stats.ts');
  await writeFile(commonJs, stats);
  await mkdir(join(dir, 'esm'));
  await writeFile(join(dir, 'esm', 'package.json'), '{ "type": "module" }\n');
  esm = join(dir, 'esm', 'stats.ts');
  await writeFile(esm, stats);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function cli(args: readonly string[]): Cli {
  const c = new Cli(args);
  running.push(c);
  return c;
}

const F = 'test/net/fixtures';

describe('exit 0: a result was printed', () => {
  it('entente run (in process) prints every result and exits 0', async () => {
    const exit = await cli(['run', `${F}/stats.ts`, '--suite', 'rep3', '--parties', '3']).exit();
    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(/^p1: \{"total":\[1322\]/m);
  });
});

describe('a program in its own "type": "module" package', () => {
  it('loads wherever it is (the fix the CommonJS message gives)', async () => {
    const exit = await cli(['run', esm, '--suite', 'rep3', '--parties', '3']).exit();
    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(/^p1: \{"total":\[1322\]/m);
  });
});

describe('exit 1: the computation failed or ended without a result', () => {
  it('a program that throws (in process) exits 1', async () => {
    const exit = await cli(['run', `${F}/fails.ts`, '--suite', 'rep3', '--parties', '3']).exit();
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/entente: Error: p2 gives up/);
  });

  it('a program that never settles exits 1 in process, naming why', async () => {
    const exit = await cli(['run', `${F}/never.ts`, '--suite', 'rep3', '--parties', '3']).exit();
    expect(exit.code).toBe(1);
    expect(exit.stdout).toBe('');
    expect(exit.stderr).toMatch(/the program ended without a result \(its promise never settled\)/);
  });

  it('entente local: the party whose program never settles exits 1 once its peers are done, and the run fails', async () => {
    const exit = await cli(['local', `${F}/never.ts`, '--parties', '3']).exit(45_000);
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/\[p2\] entente: the program ended without a result/);
    expect(exit.stderr).toMatch(
      /entente local: failed: p2 \(exit 1\): the program ended without a result/,
    );
    expect(exit.stdout).toMatch(/^p2: \(no output\)$/m);
  });
});

describe('exit 2: bad input or usage', () => {
  for (const [what, fileOf, message] of [
    [
      'a missing program file',
      () => 'test/net/fixtures/no-such-program.ts',
      /cannot read the program \(ENOENT\)/,
    ],
    ['a folder', () => 'test/net/fixtures', /not a program file/],
    [
      'a program with a syntax error',
      () => syntaxError,
      /the program does not load: .*syntax-error\.ts:2/,
    ],
    [
      'a .ts program outside a "type": "module" package',
      () => commonJs,
      /stats\.ts: the program does not load: Node takes it for CommonJS \(no package\.json in its folder or above\), but a program is an ES module \(it imports Entente\)\. Fix: add a package\.json with \{"type": "module"\} to .*, or rename it stats\.mts\./,
    ],
  ] as const) {
    it(`${what}: entente run and entente local exit 2 before anything runs`, async () => {
      const file = fileOf();
      const run = await cli(['run', file, '--suite', 'rep3', '--parties', '3']).exit();
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      const local = await cli(['local', file, '--parties', '3']).exit();
      expect(local.code).toBe(2);
      expect(local.stderr).toMatch(message);
      // Refused before any key was made or any party started.
      expect(local.stderr).not.toMatch(/processes, suite/);
    });
  }
});

describe('exit 130 / 143: interrupted', () => {
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`entente local stopped with ${sig} stops every party and exits ${code}`, async () => {
      const run = cli(['local', `${F}/long.ts`, '--parties', '3']);
      await run.stderrMatches(/long: running/, 30_000);
      run.kill(sig);
      const exit = await run.exit(20_000);
      expect(exit.code).toBe(code);
      expect(exit.stderr).toMatch(new RegExp(`entente local: interrupted \\(${sig}\\)`));
    });

    it(`entente run (in process) stopped with ${sig} exits ${code}`, async () => {
      const run = cli(['run', `${F}/long.ts`, '--suite', 'rep3', '--parties', '3']);
      await run.stderrMatches(/long: running/, 30_000);
      run.kill(sig);
      const exit = await run.exit(20_000);
      expect(exit.code).toBe(code);
      expect(exit.stderr).toMatch(/entente: interrupted/);
    });
  }
});
