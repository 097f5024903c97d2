/**
 * Shared by the lattice HE tests: one Chromium page per test file with SEAL
 * loaded (node-seal 7.0.0 cannot run on Node 20's V8, see
 * src/adapters/node/seal-browser.ts), the library on its globals, and a
 * helper that runs a function there and reports a thrown error by name.
 *
 * Skipped (with a message) only outside CI when `chromium` is not installed;
 * in CI (CI set) a missing browser fails.
 */
import type { Seal } from '../../src/he/lattice/seal.js';
import { findChromium, openSealPage, type SealPage } from '../../src/adapters/node/seal-browser.js';

export const CHROMIUM = findChromium();
export const RUN_BROWSER = !!CHROMIUM || !!process.env.CI;
if (!RUN_BROWSER)
  console.warn(
    'test/he: lattice HE tests SKIPPED: no `chromium` on PATH (Debian: apt-get install chromium). ' +
      'In CI (CI set) a missing chromium fails instead.',
  );

/** The page's globals as the functions sent to it see them. */
export interface PageGlobals {
  lattice: typeof import('../../src/he/lattice/index.js');
  latticeWire: typeof import('../../src/he/lattice/wire.js');
  seal: Seal;
  /** State a test file keeps in the page between calls (contexts, clients). */
  st: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Runs f and returns null, or the error it threw: its class name, message and whether it is a LatticeError. */
  caught: (f: () => unknown) => { name: string; message: string; lattice: boolean } | null;
}

export async function openPage(): Promise<SealPage> {
  const page = await openSealPage({ chromium: CHROMIUM, timeoutMs: 60_000 });
  await page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    g.st = {};
    g.caught = (f) => {
      try {
        f();
        return null;
      } catch (e) {
        const err = e as Error;
        return {
          name: err instanceof Error ? err.name : typeof e,
          message: String(err?.message ?? e),
          lattice: e instanceof g.lattice.LatticeError,
        };
      }
    };
  }, undefined);
  return page;
}
