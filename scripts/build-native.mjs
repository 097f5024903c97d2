#!/usr/bin/env node
/* global process, console */
// Builds the optional native AES kernel (native/aes.c) with node-gyp, which npm
// ships. Runs from `npm install`/`npm ci`, in the repository and in a project that
// installs the package (which ships native/aes.c and binding.gyp): a failure (no
// compiler, no Node headers) is reported in one line and the install goes on, since
// Entente falls back to node:crypto. With ENTENTE_REQUIRE_NATIVE=1 (CI) a failure fails the install.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
// The installation prefix of the running Node (its npm and, where installed, its headers).
const prefix = dirname(dirname(process.execPath));
const required = process.env.ENTENTE_REQUIRE_NATIVE === '1';

function nodeGyp() {
  // npm puts its own node-gyp beside npm-cli.js; npm_execpath points at npm-cli.js.
  const candidates = [];
  if (process.env.npm_execpath)
    candidates.push(
      join(
        dirname(process.env.npm_execpath),
        '..',
        'node_modules',
        'node-gyp',
        'bin',
        'node-gyp.js',
      ),
    );
  candidates.push(
    join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  );
  return candidates.find((p) => existsSync(p));
}

function fail(why) {
  const msg = `entente: native AES kernel not built (${why}); node:crypto will be used instead`;
  if (required) {
    console.error(`${msg}\nENTENTE_REQUIRE_NATIVE=1: failing.`);
    process.exit(1);
  }
  console.warn(msg);
  process.exit(0);
}

// ENTENTE_NATIVE=0 turns the kernel off at run time; no need to build it then.
if (process.env.ENTENTE_NATIVE === '0' && !required) {
  console.log('entente: native AES kernel not built (ENTENTE_NATIVE=0)');
  process.exit(0);
}
const gyp = nodeGyp();
if (!gyp) fail('node-gyp not found beside npm');
const args = [gyp, 'rebuild', '--directory', join(root, 'native')];
// Build against the running Node's own headers when they are installed (no download).
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h')))
  args.push(`--nodedir=${prefix}`);
const r = spawnSync(process.execPath, args, {
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
});
if (r.status !== 0) {
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /error|ERR!/i.test(l));
  fail(`node-gyp exited with ${r.status}: ${lines.slice(0, 6).join(' | ') || 'no error output'}`);
}
console.log('entente: built the native AES kernel (native/build/Release/entente_native.node)');
