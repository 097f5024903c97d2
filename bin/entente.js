#!/usr/bin/env node
/* global process, console */
// The `entente` command. An installed package has no src/ and runs the compiled dist/.
// In a checkout of the repository (src/ is there) it runs dist/ when that is the build
// of the sources as they are (`npm run build`; scripts/build-stamp.mjs), which starts in
// a fifth of the time, and otherwise the TypeScript sources through tsx: a fresh clone
// needs no build step, and an edited source is never run from a stale build. A
// TypeScript program (entente run prog.ts) still takes the sources through tsx.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const sources = new URL('../src/cli/bin.ts', import.meta.url);
const compiled = new URL('../dist/cli/bin.js', import.meta.url);

/**
 * The ES module of tsx's API as installed in the project at `dir` (its `import` export,
 * since the CommonJS one cannot register the loader from here), or undefined.
 */
function tsxIn(dir) {
  try {
    const manifest = createRequire(join(dir, 'noop.js')).resolve('tsx/package.json');
    const api = JSON.parse(readFileSync(manifest, 'utf8')).exports?.['./esm/api']?.import;
    const file = typeof api === 'string' ? api : api?.default;
    return file ? pathToFileURL(join(dirname(manifest), file)).href : undefined;
  } catch {
    return undefined;
  }
}

const typeScriptArgument = process.argv.slice(2).some((a) => /\.[cm]?ts$/.test(a));

/** A build of the checkout that no later edit of src/ has outdated. */
async function currentBuild() {
  if (!existsSync(compiled)) return false;
  const { buildIsCurrent } = await import('../scripts/build-stamp.mjs');
  const at = (p) => fileURLToPath(new URL(p, import.meta.url));
  return buildIsCurrent(at('../src'), at('../dist'));
}

if (existsSync(sources) && !typeScriptArgument && (await currentBuild())) {
  await import(compiled.href);
} else if (existsSync(sources)) {
  const tsx = await import('tsx/esm/api').catch(() => undefined);
  if (tsx) {
    tsx.register();
    await import(sources.href);
  } else if (existsSync(compiled)) {
    // A checkout installed without its development dependencies: use a build if there is one.
    await import(compiled.href);
  } else {
    console.error(
      "entente: this checkout has neither tsx (run 'npm install') nor a build (run 'npm run build')",
    );
    process.exit(1);
  }
} else {
  // A program given as TypeScript (entente run prog.ts) needs a loader on Node before 22.6:
  // use the tsx of the project the command runs in, when it has one.
  if (typeScriptArgument) {
    const tsx = tsxIn(process.cwd());
    if (tsx) (await import(tsx)).register();
  }
  await import(compiled.href);
}
