/**
 * The package as a user gets it: `npm pack` (its prepack compiles dist/ and the
 * dashboard), then `npm install` of the tarball into an empty project, where
 *   - every entry point imports in Node and exports exactly what docs/API.md lists,
 *     and nothing outside the entry points can be imported;
 *   - a TypeScript file type-checks against the declarations (and a misuse does not);
 *   - a three-party program and a small study run, checked against the same
 *     computations in the clear on random inputs;
 *   - the browser entry points bundle for the browser without Node built-ins and
 *     compute in a sandbox offering only what browsers offer;
 *   - the `entente` command runs: --help, a program with every party in one process,
 *     and a study with one process per party (the party processes re-run the command);
 *     a TypeScript program with the project's tsx, and a clear error without it.
 * It needs the npm registry (or npm's cache) for the package's dependencies.
 */
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { browserSandbox } from './browser-sandbox.js';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentedExports } from './api-doc.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NPM = 'npm';
const NPX = 'npx';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (bounded), never throwing: the caller checks the exit code. */
function run(cmd: string, args: readonly string[], cwd: string, limitMs = 180_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd, timeout: limitMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({
          code,
          stdout,
          stderr: err && code === -1 ? `${stderr}\n${err.message}` : stderr,
        });
      },
    );
  });
}

/** Runs a command that must succeed; its output is in the failure message. */
async function ok(cmd: string, args: readonly string[], cwd: string): Promise<Ran> {
  const r = await run(cmd, args, cwd);
  expect(r.code, `${cmd} ${args.join(' ')} in ${cwd}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

let work: string;
let project: string;
let tarball: string;
let installed: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'entente-package-'));
  await ok(NPM, ['pack', '--pack-destination', work, '--no-audit', '--no-fund'], ROOT);
  const tgz = (await readdir(work)).filter((f) => f.endsWith('.tgz'));
  expect(tgz).toHaveLength(1);
  tarball = join(work, tgz[0]!);
  project = join(work, 'project');
  await mkdir(project);
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({ name: 'entente-consumer', private: true, type: 'module' }),
  );
  await ok(NPM, ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline'], project);
  installed = join(project, 'node_modules', 'entente');
}, 600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Writes `code` as a module in the project and runs it; resolves with its stdout as JSON. */
async function inProject(name: string, code: string, env: Record<string, string> = {}) {
  const file = join(project, name);
  await writeFile(file, code);
  const r = await new Promise<Ran>((resolve) =>
    execFile(
      process.execPath,
      [file],
      { cwd: project, env: { ...process.env, ...env }, timeout: 120_000, encoding: 'utf8' },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    ),
  );
  expect(r.code, `${name}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as unknown;
}

/** Random ages and smoking status of three parties' records (the OS CSPRNG). */
function randomRecords(rows: number): { age: number; smoker: boolean }[] {
  return Array.from({ length: rows }, () => ({
    age: randomInt(18, 96),
    smoker: randomInt(2) === 1,
  }));
}

const csv = (records: readonly { age: number; smoker: boolean }[]) =>
  `age,smoker\n${records.map((r) => `${r.age},${r.smoker}`).join('\n')}\n`;

/** R's quantile type 7 of the median. */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) / 2;
  const lo = Math.floor(h);
  return s[lo]! + (h - lo) * (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!);
}

const STUDY_INPUT = (parties: readonly string[]) => ({
  study: 'Package test',
  parties: parties.map((id) => ({ id, data: `${id}.csv` })),
  schema: {
    columns: [
      { name: 'age', type: 'integer', min: 18, max: 95 },
      { name: 'smoker', type: 'boolean' },
    ],
  },
  // The values are checked here, not small-cell suppression (tested in src/analytics).
  privacy: { minCellSize: 0 },
  analyses: [
    { type: 'count', id: 'n' },
    { type: 'mean', id: 'mean-age', column: 'age' },
    { type: 'rate', id: 'smokers', column: 'smoker' },
    { type: 'median', id: 'median-age', column: 'age' },
  ],
});

interface Row {
  statistic: string;
  value: number | null;
}

/** The released value of `statistic` in analysis `id` of a study outcome. */
function released(
  outcome: { analyses: readonly { id: string; rows: readonly Row[] }[] },
  id: string,
  statistic: string,
): number | null | undefined {
  return outcome.analyses.find((a) => a.id === id)?.rows.find((r) => r.statistic === statistic)
    ?.value;
}

function expectStudy(
  outcome: { analyses: readonly { id: string; rows: readonly Row[] }[] },
  all: readonly { age: number; smoker: boolean }[],
) {
  const ages = all.map((r) => r.age);
  expect(released(outcome, 'n', 'n')).toBe(all.length);
  expect(released(outcome, 'mean-age', 'mean')).toBeCloseTo(
    ages.reduce((a, b) => a + b, 0) / all.length,
    9,
  );
  expect(released(outcome, 'smokers', 'rate')).toBeCloseTo(
    all.filter((r) => r.smoker).length / all.length,
    9,
  );
  expect(Math.abs(released(outcome, 'median-age', 'median')! - median(ages))).toBeLessThanOrEqual(
    2 ** -19,
  );
}

// Generous bounds: CI runs this beside the rest of the suite on two cores.
describe('the npm package, installed into an empty project', { timeout: 180_000 }, () => {
  it('ships the compiled entry points, the prebuilt dashboard and the native sources, and no sources or tests', async () => {
    const files = (await ok('tar', ['-tzf', tarball], work)).stdout
      .split('\n')
      .filter((f) => f !== '')
      .map((f) => f.replace(/^package\//, ''));
    const pkg = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as {
      exports: Record<string, string | Record<string, string>>;
    };
    const targets = Object.values(pkg.exports).flatMap((t) =>
      typeof t === 'string' ? [t] : Object.values(t),
    );
    for (const f of [
      ...targets.map((t) => t.replace(/^\.\//, '')),
      'bin/entente.js',
      'dist/cli/main.js',
      'dist/cli/bin.js',
      'dist/cli/study-program.js',
      'web/dist/index.html',
      'web/dist/vote.html',
      'web/dist/survey.html',
      'native/aes.c',
      'native/binding.gyp',
      'examples/hospitals/study.yaml',
      'examples/vote/manifest.json',
      'LICENSE',
    ])
      expect(files, f).toContain(f);
    const stray = files.filter(
      (f) =>
        /^(src|test|bench|docs|web\/src|node_modules|native\/build)\//.test(f) ||
        /\.test\.(js|d\.ts)$/.test(f),
    );
    expect(stray).toEqual([]);
  });

  it('imports every entry point in Node, each exporting exactly what docs/API.md lists', async () => {
    const documented = documentedExports();
    const entries = [...documented.keys()];
    const seen = (await inProject(
      'exports.mjs',
      `const out = {};
      for (const entry of ${JSON.stringify(entries)}) {
        const m = await import(entry);
        out[entry] = Object.fromEntries(Object.entries(m).map(([k, v]) => [k,
          typeof v !== 'function' ? 'constant'
          : /^class\\b/.test(Function.prototype.toString.call(v)) ? 'class' : 'function']));
      }
      // Nothing else of the package can be imported.
      out.deep = await import('entente/dist/api/run.js').then(() => 'imported', (e) => e.code);
      console.log(JSON.stringify(out));`,
    )) as Record<string, Record<string, string>> & { deep: string };
    for (const [entry, exports] of documented) {
      const values = exports.filter((e) => e.kind !== 'type');
      expect(
        Object.entries(seen[entry]!)
          .map(([k, kind]) => `${k}: ${kind}`)
          .sort(),
        entry,
      ).toEqual(values.map((e) => `${e.name}: ${e.kind}`).sort());
    }
    expect(seen.deep).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('type-checks a TypeScript program against the declarations, and refuses a misuse', async () => {
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          // As most projects: the packages' own declarations are not checked again.
          skipLibCheck: true,
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['program.ts'],
      }),
    );
    await writeFile(
      join(project, 'program.ts'),
      `import { int, runLocal, type Session, type PartyOutcome } from 'entente';
import { defineStudy, studyProgram, STATISTICS, type StudyOutcome } from 'entente/analytics';
import { mean, type Column } from 'entente/stats';
import { nodeCryptoProvider, loadTable } from 'entente/node';
import { startNode, type RunningNode } from 'entente/server';

async function product(s: Session): Promise<bigint[]> {
  const x = s.input('p1', int(32), s.me === 'p1' ? [3] : 1);
  return x.mul(x).reveal();
}
export const outcomes: Promise<PartyOutcome<bigint[]>[]> = runLocal(product, {
  suite: 'rep3',
  parties: 3,
  crypto: nodeCryptoProvider,
});
export const mean2 = (c: Column) => mean(c);
export const study = defineStudy(${JSON.stringify(STUDY_INPUT(['a', 'b', 'c']))});
export const program: (s: Session) => Promise<StudyOutcome> = studyProgram(study, () => undefined, {
  implementations: STATISTICS,
});
export const starting: (dir: string) => Promise<RunningNode> = (dir) => startNode({ dir });
export const load = loadTable;
// @ts-expect-error int() takes a number of bits (declarations typed, not any)
int('32');
`,
    );
    // Passing also proves the misuse an error: an unused @ts-expect-error is one itself.
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await ok(process.execPath, [tsc, '-p', project], project);
  });

  it('runs a three-party program and a small study in Node, as in the clear', async () => {
    const x = Array.from({ length: 6 }, () => randomInt(-1000, 1000));
    const y = Array.from({ length: 6 }, () => randomInt(-1000, 1000));
    const parties = ['a', 'b', 'c'];
    const records = parties.map(() => randomRecords(12));
    for (const [i, id] of parties.entries())
      await writeFile(join(project, `${id}.csv`), csv(records[i]!));
    const out = (await inProject(
      'compute.mjs',
      `import { int, runLocal } from 'entente';
      import { defineStudy, studyProgram, STATISTICS } from 'entente/analytics';
      import { nodeCryptoProvider, loadTable } from 'entente/node';
      const x = ${JSON.stringify(x)}, y = ${JSON.stringify(y)};
      const outs = await runLocal(async (s) => {
        const a = s.input('p1', int(16), s.me === 'p1' ? x : x.length);
        const b = s.input('p2', int(16), s.me === 'p2' ? y : y.length);
        const [products, greater, dot] = await Promise.all([
          a.mul(b).reveal(), a.gt(b).reveal(), a.dot(b).reveal()]);
        return { products: products.map(String), greater, dot: dot.map(String) };
      }, { suite: 'rep3', parties: 3, crypto: nodeCryptoProvider });
      const study = defineStudy(${JSON.stringify(STUDY_INPUT(parties))});
      const tables = {};
      for (const p of study.parties) tables[p.id] = await loadTable(p.data, study.schema);
      const studied = await runLocal(
        studyProgram(study, (p) => tables[p], { implementations: STATISTICS }),
        { suite: 'rep3', parties: ${JSON.stringify(parties)}, crypto: nodeCryptoProvider });
      console.log(JSON.stringify({ program: outs.map((o) => o.result), study: studied.map((o) => o.result) }));`,
    )) as {
      program: { products: string[]; greater: boolean[]; dot: string[] }[];
      study: { analyses: { id: string; rows: Row[] }[] }[];
    };
    const expected = {
      products: x.map((v, i) => String(v * y[i]!)),
      greater: x.map((v, i) => v > y[i]!),
      dot: [String(x.reduce((acc, v, i) => acc + v * y[i]!, 0))],
    };
    expect(out.program).toEqual([expected, expected, expected]);
    expect(out.study).toHaveLength(3);
    for (const outcome of out.study) expectStudy(outcome, records.flat());
  });

  it('bundles the browser entry points without Node built-ins and computes in a browser-like sandbox', async () => {
    const bundle = await build({
      stdin: {
        contents: `export * from 'entente';
          export * as analytics from 'entente/analytics';
          export * as stats from 'entente/stats';`,
        resolveDir: project,
        loader: 'js',
      },
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'Entente',
      write: false,
      logLevel: 'silent',
    });
    const code = bundle.outputFiles[0]!.text;
    expect(code).not.toMatch(/require\(["']node:|from\s*["']node:|import\(["']node:/);
    // The Node-only entry points are not offered to a browser build at all.
    for (const entry of ['entente/node', 'entente/server'])
      await expect(
        build({
          stdin: { contents: `import '${entry}';`, resolveDir: project, loader: 'js' },
          bundle: true,
          platform: 'browser',
          write: false,
          logLevel: 'silent',
        }),
        entry,
      ).rejects.toThrow(/Could not resolve/);

    const x = Array.from({ length: 4 }, () => randomInt(-100, 100));
    const records = [randomRecords(10), randomRecords(10), randomRecords(10)];
    const sandbox = browserSandbox(code);
    const result = await vm.runInContext(
      `(async () => {
        const { runLocal, int, analytics } = Entente;
        const outs = await runLocal(async (s) => {
          const a = s.input('p1', int(16), s.me === 'p1' ? ${JSON.stringify(x)} : 4);
          return (await a.mul(a).sum().reveal()).map(String);
        }, { suite: 'rep3', parties: 3 });
        const study = analytics.defineStudy(${JSON.stringify(STUDY_INPUT(['a', 'b', 'c']))});
        const texts = ${JSON.stringify(Object.fromEntries(records.map((r, i) => [['a', 'b', 'c'][i], csv(r)])))};
        const studied = await runLocal(
          analytics.studyProgram(study, (p) => analytics.parseTable(texts[p], study.schema, p + '.csv'),
            { implementations: analytics.STATISTICS }),
          { suite: 'rep3', parties: ['a', 'b', 'c'] });
        return JSON.stringify({ program: outs.map((o) => o.result), study: studied[0].result });
      })()`,
      sandbox,
    );
    const parsed = JSON.parse(result as string) as {
      program: string[][];
      study: { analyses: { id: string; rows: Row[] }[] };
    };
    const squares = String(x.reduce((a, v) => a + v * v, 0));
    expect(parsed.program).toEqual([[squares], [squares], [squares]]);
    expectStudy(parsed.study, records.flat());
  });

  it('runs the entente command: --help, a program in one process, a study with a process per party, and main() of entente/cli', async () => {
    const help = await ok(NPX, ['--no', '--', 'entente', '--help'], project);
    expect(help.stdout).toMatch(/^usage: entente <command>/);

    const wealth = [randomInt(1, 1_000_000), randomInt(1, 1_000_000)];
    await writeFile(
      join(project, 'millionaires.mjs'),
      `import { int } from 'entente';
      export default async function (s) {
        const a = s.input('p1', int(32), s.me === 'p1' ? [${wealth[0]}] : 1);
        const b = s.input('p2', int(32), s.me === 'p2' ? [${wealth[1]}] : 1);
        return { p1IsRicher: (await a.gt(b).reveal())[0] };
      }\n`,
    );
    const ran = await ok(
      NPX,
      ['--no', '--', 'entente', 'run', 'millionaires.mjs', '--suite', 'rep3', '--parties', '3'],
      project,
    );
    for (const p of ['p1', 'p2', 'p3'])
      expect(ran.stdout).toContain(
        `${p}: ${JSON.stringify({ p1IsRicher: wealth[0]! > wealth[1]! })}`,
      );

    const parties = ['a', 'b', 'c'];
    const records = parties.map(() => randomRecords(12));
    for (const [i, id] of parties.entries())
      await writeFile(join(project, `${id}.csv`), csv(records[i]!));
    await writeFile(join(project, 'study.json'), JSON.stringify(STUDY_INPUT(parties)));
    const studied = await ok(
      NPX,
      ['--no', '--', 'entente', 'study', 'study.json', '--suite', 'rep3', '--out', 'report'],
      project,
    );
    expect(studied.stdout).toContain('Package test');
    const report = JSON.parse(await readFile(join(project, 'report', 'report.json'), 'utf8')) as {
      analyses: { id: string; rows: Row[] }[];
    };
    expectStudy(report, records.flat());

    // The command as a function (entente/cli): a process per party, started from the user's
    // own script, which the parties must not re-run.
    await writeFile(
      join(project, 'cli.mjs'),
      `import { main } from 'entente/cli';
      const code = await main(['local', 'millionaires.mjs', '--parties', '3', '--suite', 'rep3']);
      console.log('exit status ' + code);\n`,
    );
    const called = await ok(process.execPath, ['cli.mjs'], project);
    expect(called.stdout).toContain('exit status 0');
    for (const p of ['p1', 'p2', 'p3'])
      expect(called.stdout).toContain(
        `${p}: ${JSON.stringify({ p1IsRicher: wealth[0]! > wealth[1]! })}`,
      );
  });

  it('runs a TypeScript program with the tsx of the project, and says what is missing without it', async () => {
    const wealth = [randomInt(1, 1_000_000), randomInt(1, 1_000_000)];
    await writeFile(
      join(project, 'typed.ts'),
      `import { int, type Session } from 'entente';
      export default async function (s: Session): Promise<boolean> {
        const a = s.input('p1', int(32), s.me === 'p1' ? [${wealth[0]}] : 1);
        const b = s.input('p2', int(32), s.me === 'p2' ? [${wealth[1]}] : 1);
        return (await a.gt(b).reveal())[0]!;
      }\n`,
    );
    const args = ['--no', '--', 'entente', 'run', 'typed.ts', '--suite', 'rep3', '--parties', '3'];
    const without = await run(NPX, args, project);
    expect(without.code).toBe(2);
    expect(without.stderr).toContain('add tsx to your project');
    const { devDependencies } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    await ok(
      NPM,
      [
        'install',
        '-D',
        `tsx@${devDependencies.tsx}`,
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
      ],
      project,
    );
    const ran = await ok(NPX, args, project);
    for (const p of ['p1', 'p2', 'p3'])
      expect(ran.stdout).toContain(`${p}: ${wealth[0]! > wealth[1]!}`);
  });

  it('finds its files from the compiled code: the dashboard, the native kernel, the party command', async () => {
    const paths = (await inProject(
      'paths.mjs',
      `const at = (f) => new URL(${JSON.stringify(pathToFileURL(installed).href + '/')} + f).href;
      const { WEB_DIST } = await import(at('dist/node/http/static.js'));
      const { NATIVE_ADDON } = await import(at('dist/adapters/node/native.js'));
      console.log(JSON.stringify({ WEB_DIST, NATIVE_ADDON }));`,
    )) as { WEB_DIST: string; NATIVE_ADDON: string };
    expect(existsSync(join(paths.WEB_DIST, 'index.html'))).toBe(true);
    expect(paths.NATIVE_ADDON).toBe(
      join(installed, 'native', 'build', 'Release', 'entente_native.node'),
    );
    // CI (.ci/run) requires the kernel wherever it can be built: the install built it.
    if (process.env.ENTENTE_REQUIRE_NATIVE === '1')
      expect(existsSync(paths.NATIVE_ADDON)).toBe(true);
    // The party node runs each party as bin/entente.js (src/node/runs.ts), beside dist/.
    const runs = await readFile(join(installed, 'dist', 'node', 'runs.js'), 'utf8');
    expect(runs).toContain("'../../bin/entente.js'");
    expect(existsSync(join(installed, 'bin', 'entente.js'))).toBe(true);
  });
});
