#!/usr/bin/env node
/* global process, console */
// Builds the dashboard (web/) with Vite into web/dist, which every node serves on its
// API's origin. Runs from `npm install`/`npm ci` in the repository (after the native
// kernel), as `npm run build:web` and from `npm pack` (scripts/build-dist.mjs); in an
// installed package, which ships web/dist, it does nothing. Skips the build when web/dist is newer than every file of web/,
// the lockfile and the files outside web/ the last build bundled (so repeated installs
// cost nothing); `--force` builds anyway. Prints the size of the shipped JavaScript,
// gzipped, and fails above BUDGET_KB.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const web = join(root, 'web');
const dist = join(web, 'dist');
const index = join(dist, 'index.html');
// Files outside web/ that the last build bundled (e.g. src/analytics/study/report.ts).
const inputsFile = join(root, 'node_modules', '.cache', 'entente-web', 'inputs.json');
const BUDGET_KB = 300;
const force = process.argv.includes('--force');

function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (p === dist || e.name === 'node_modules') continue;
      yield* files(p);
    } else yield p;
  }
}

function mtime(p) {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return Infinity; // a missing input: build again
  }
}

function upToDate() {
  // The voting and survey pages are further pages of the build: a build without them is stale.
  if (
    force ||
    !existsSync(index) ||
    !existsSync(join(dist, 'vote.html')) ||
    !existsSync(join(dist, 'survey.html'))
  )
    return false;
  const built = mtime(index);
  let inputs = [];
  try {
    inputs = JSON.parse(readFileSync(inputsFile, 'utf8'));
  } catch {
    return false;
  }
  const all = [...files(web), join(root, 'package-lock.json'), ...inputs.map((f) => join(root, f))];
  return all.every((f) => mtime(f) < built);
}

function kb(n) {
  return `${(n / 1024).toFixed(1)} KB`;
}

/** Sizes of the shipped JavaScript and CSS, raw and gzipped (level 9). */
function sizes() {
  const out = { js: 0, jsGzip: 0, css: 0, cssGzip: 0 };
  const assets = join(dist, 'assets');
  for (const f of existsSync(assets) ? readdirSync(assets) : []) {
    const body = readFileSync(join(assets, f));
    const gz = gzipSync(body, { level: 9 }).length;
    if (f.endsWith('.js')) {
      out.js += body.length;
      out.jsGzip += gz;
    } else if (f.endsWith('.css')) {
      out.css += body.length;
      out.cssGzip += gz;
    }
  }
  return out;
}

function report() {
  const s = sizes();
  console.log(
    `entente: dashboard in web/dist: JavaScript ${kb(s.js)} (${kb(s.jsGzip)} gzipped, budget ${BUDGET_KB} KB), CSS ${kb(s.css)} (${kb(s.cssGzip)} gzipped)`,
  );
  if (s.jsGzip > BUDGET_KB * 1024) {
    console.error(
      `entente: the dashboard ships ${kb(s.jsGzip)} of gzipped JavaScript, over its budget of ${BUDGET_KB} KB`,
    );
    process.exit(1);
  }
}

// An installed package ships web/dist prebuilt (built by `npm pack`'s prepack) and not
// the dashboard's sources, nor Vite: nothing to build.
if (!existsSync(join(web, 'vite.config.ts'))) {
  if (!existsSync(index))
    console.warn('entente: this package has no dashboard (web/dist); the nodes answer / with 503');
  process.exit(0);
}

if (upToDate()) {
  console.log('entente: dashboard up to date (web/dist is newer than web/); --force rebuilds');
  report();
  process.exit(0);
}

let vite;
try {
  vite = await import('vite');
} catch (e) {
  // `npm install --omit=dev` has no build tools: the node then answers / with 503 and says why.
  console.warn(
    `entente: the dashboard was not built: Vite is not installed (${e.code ?? e.message}).\n` +
      "  Install the development dependencies (npm install) and run 'npm run build:web';\n" +
      '  the nodes and their API work without it.',
  );
  process.exit(0);
}

const started = Date.now();
let output;
try {
  output = await vite.build({
    root: web,
    configFile: join(web, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: dist, emptyOutDir: true },
  });
} catch (e) {
  console.error(
    `entente: building the dashboard (web/ with Vite) failed:\n  ${String(e?.message ?? e)
      .split('\n')
      .slice(0, 12)
      .join('\n  ')}\n` +
      "Fix the error and run 'npm run build:web'. The nodes and their API work without the\n" +
      'dashboard (they answer / with 503 until it is built).',
  );
  process.exit(1);
}

// Remember which files outside web/ went into the bundle, for the up-to-date check.
const outside = new Set();
for (const o of Array.isArray(output) ? output : [output])
  for (const chunk of o.output ?? [])
    for (const id of chunk.moduleIds ?? Object.keys(chunk.modules ?? {})) {
      const file = id.split('?')[0];
      const rel = relative(root, file);
      if (!file.startsWith(root + sep) || rel.startsWith(`web${sep}`)) continue;
      if (rel.split(sep).includes('node_modules')) continue;
      outside.add(rel);
    }
mkdirSync(dirname(inputsFile), { recursive: true });
writeFileSync(inputsFile, JSON.stringify([...outside].sort(), null, 1) + '\n');
console.log(
  `entente: dashboard built into web/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
report();
