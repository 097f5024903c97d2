/**
 * The fixed cost of a run (issue 22, item 4): `entente local` of a program with
 * one input and one reveal, three parties under rep3 over TLS 1.3 on
 * 127.0.0.1, timed as a whole command (wall, from spawning the command to its
 * exit), as MP-SPDZ's 0.2 s for the same program is.
 *
 *   npm run bench -- start [--runs 5]
 *
 * Rows: Node starting and exiting (the floor of each of the four processes);
 * the compiled command (dist/, built first if not current) on a JavaScript
 * program, first with an empty key cache and then with the keys cached; and
 * the TypeScript program through tsx (what a checkout without a build runs).
 * The first run of each row is printed apart; the rest as min / median / max,
 * with the median CPU time of all the command's processes together (Linux).
 * The 1-minute load average is printed with each row: on a shared machine the
 * wall time of four processes on few cores follows it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIsCurrent } from '../scripts/build-stamp.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const at = (p: string) => join(ROOT, p);

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/**
 * CPU seconds (user + system) of this process's children that have ended, with
 * theirs (Linux /proc, in clock ticks of 1/100 s); undefined elsewhere.
 */
function childrenCpu(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of stat(5) (cutime, cstime), counted from after the command name.
    return (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return undefined;
  }
}

/** CPU seconds of the commands timed so far (all processes of each). */
const cpu: number[] = [];

/** Wall seconds of one command to its exit; throws with its output if it fails. */
function timed(args: readonly string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const c0 = childrenCpu();
    const t0 = performance.now();
    const c = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.on('close', (code) => {
      const s = (performance.now() - t0) / 1000;
      const c1 = childrenCpu();
      if (c0 !== undefined && c1 !== undefined) cpu.push(c1 - c0);
      if (code === 0) resolve(s);
      else reject(new Error(`${args.join(' ')} exited ${code}:\n${out}`));
    });
  });
}

function row(label: string, first: number, rest: number[], cpuOfRest: number[]): void {
  const s = [...rest].sort((a, b) => a - b);
  const c = [...cpuOfRest].sort((a, b) => a - b);
  const median = c.length > 0 ? `, CPU ${c[Math.floor(c.length / 2)]!.toFixed(2)} s` : '';
  const spread =
    s.length > 0
      ? `then ${s[0]!.toFixed(2)} / ${s[Math.floor(s.length / 2)]!.toFixed(2)} / ${s[s.length - 1]!.toFixed(2)} s (min / median / max of ${s.length})`
      : '';
  console.log(
    `  ${label.padEnd(58)} first ${first.toFixed(2)} s  ${spread}${median}  load ${loadavg()[0]!.toFixed(1)}`,
  );
}

async function series(
  label: string,
  args: readonly string[],
  env: Record<string, string>,
  runs: number,
  firstEnv: Record<string, string> = env,
): Promise<void> {
  const first = await timed(args, firstEnv);
  const from = cpu.length;
  const rest: number[] = [];
  for (let i = 0; i < runs; i++) rest.push(await timed(args, env));
  row(label, first, rest, cpu.slice(from));
}

export async function runStartBench(args: string[]): Promise<void> {
  const runs = Number(option(args, 'runs') ?? '5');
  if (!Number.isInteger(runs) || runs < 0 || runs > 100)
    throw new RangeError(`--runs: expected an integer in 0..100, got '${option(args, 'runs')}'`);
  if (!buildIsCurrent(at('src'), at('dist'))) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [at('scripts/build-dist.mjs')], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm run build failed');
    console.log(
      `(dist/ was not the build of the sources: built it first, ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
  const cache = await mkdtemp(join(tmpdir(), 'entente-bench-keys-'));
  try {
    console.log(
      'entente local of a program with one input and one reveal: 3 parties, rep3, TLS 1.3 on 127.0.0.1; whole command, wall',
    );
    await series('node -e 0 (one Node process starting and exiting)', ['-e', '0'], {}, runs);
    const local = (program: string) => [
      at('bin/entente.js'),
      'local',
      program,
      '--parties',
      '3',
      '--suite',
      'rep3',
    ];
    const keys = { ENTENTE_KEY_CACHE: join(cache, 'keys') };
    await series(
      'compiled (dist/), JavaScript program; first: no cached keys',
      local('bench/one-reveal-program.mjs'),
      keys,
      runs,
    );
    await series(
      'sources through tsx, TypeScript program',
      local('bench/one-reveal-program.ts'),
      keys,
      runs,
    );
    console.log('  MP-SPDZ 0.4.2 (replicated-ring, C++), the same program: 0.2 s');
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
}
