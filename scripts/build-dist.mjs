#!/usr/bin/env node
/* global process, console */
// Compiles src/ into dist/ (ES modules with type declarations, tsconfig.build.json) for
// the published package: `npm run build`, and `npm pack` / `npm publish` through
// `prepack`. Each build starts from an empty folder, so a file removed from src/ cannot linger in a
// package. With --with-web (prepack), the dashboard is built too (scripts/build-web.mjs
// skips it when up to date), since an installed package cannot build it: it ships
// web/dist prebuilt.
//
// In a checkout, bin/entente.js runs dist/ instead of the sources through tsx when
// dist/BUILT_FROM (written last) says no source changed since the build began
// (scripts/build-stamp.mjs). The build compiles into a fresh folder and moves it into
// place at the end, so a command started during a build never sees half of one.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STAMP, newestSource } from './build-stamp.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** Folders of a build under way, removed if it fails (and by any later build). */
const partial = [];

function run(what, args) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`entente: ${what} failed (exit ${r.status ?? r.signal})`);
    for (const dir of partial) rmSync(dir, { recursive: true, force: true });
    process.exit(1);
  }
}

const withWeb = process.argv.includes('--with-web');
if (withWeb) {
  // npm pack leaves symbolic links out: a linked web/dist would silently not be shipped
  // (and building it would write into the folder it links to).
  const web = join(root, 'web', 'dist');
  if (lstatSync(web, { throwIfNoEntry: false })?.isSymbolicLink()) {
    console.error(
      'entente: web/dist is a symbolic link, which npm pack leaves out: replace it with the\n' +
        "  folder itself (or remove it and run 'npm run build:web') before packing",
    );
    process.exit(1);
  }
}

const dist = join(root, 'dist');
const fresh = join(root, `dist.building-${process.pid}`);
const old = join(root, `dist.old-${process.pid}`);
rmSync(fresh, { recursive: true, force: true });
partial.push(fresh);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const started = Date.now();
// Any source saved from here on is newer than the build: read before compiling.
const builtFrom = newestSource(join(root, 'src'));
run('compiling src/ (tsc -p tsconfig.build.json)', [
  tsc,
  '-p',
  join(root, 'tsconfig.build.json'),
  '--outDir',
  fresh,
]);
writeFileSync(join(fresh, STAMP), `${builtFrom}\n`);
if (existsSync(dist)) renameSync(dist, old);
renameSync(fresh, dist);
rmSync(old, { recursive: true, force: true });
console.log(`entente: compiled src/ into dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);

if (withWeb) {
  run('building the dashboard', [join(root, 'scripts', 'build-web.mjs')]);
  if (!existsSync(join(root, 'web', 'dist', 'index.html'))) {
    console.error('entente: web/dist/index.html is missing: the package would ship no dashboard');
    process.exit(1);
  }
}
