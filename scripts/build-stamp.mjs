/* global process */
// Whether dist/ is the build of the sources as they are: scripts/build-dist.mjs writes
// dist/BUILT_FROM with the newest modification time (ms) among src/'s compiled files
// when it began; bin/entente.js runs dist/ only if no such file is newer now. Tests
// (*.test.ts) are not compiled, so editing one leaves the build current. A removed
// source is not noticed (the build still has it, which no command that passed before
// depends on); `npm run build` starts over.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const STAMP = 'BUILT_FROM';

/** The newest modification time (ms) of the compiled sources under `dir`. */
export function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (!e.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * True when `dist` holds a build of `src` that no later edit has outdated; false when
 * there is no build, it is incomplete (no stamp), or a source is newer.
 */
export function buildIsCurrent(src, dist) {
  let builtFrom;
  try {
    builtFrom = Number(readFileSync(join(dist, STAMP), 'utf8'));
  } catch {
    return false;
  }
  if (!Number.isFinite(builtFrom)) return false;
  try {
    return newestSource(src) <= builtFrom;
  } catch (e) {
    process.emitWarning(`entente: cannot check ${src} against the build: ${e.message}`);
    return false;
  }
}
