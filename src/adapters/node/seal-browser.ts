/**
 * Running the lattice HE layer from Node through headless Chromium.
 *
 * node-seal 7.0.0's WebAssembly needs WebAssembly GC types and exception
 * references (exnref); Node 20's V8 (11.3) compiles neither, while Chromium
 * (Debian's `chromium` package, 150 here) runs it. So the CLI demo, the
 * benchmark and the tests bundle ./seal-page.ts (the library's own source,
 * for the browser) with esbuild, open it in Chromium through playwright-core
 * and call the library with page.evaluate. When Node itself can run the
 * WebAssembly (sealSupported()), callers use the library directly instead.
 *
 * esbuild and playwright-core are development dependencies of the repository:
 * they are imported only here, when needed, and their absence is reported as
 * a LatticeUnavailableError saying what to install.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LatticeError, LatticeUnavailableError } from '../../he/lattice/errors.js';

/** What page.evaluate needs of a Playwright page (kept structural so no type leaks from a dev dependency). */
export interface SealPage {
  /** Runs `fn` in the page (serialised: it may use only its argument and the page's globals). */
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  /** The browser's version string, for reports. */
  readonly browserVersion: string;
  close(): Promise<void>;
}

/** The Chromium binary: $ENTENTE_CHROMIUM, else `chromium` on PATH, else undefined. */
export function findChromium(): string | undefined {
  if (process.env.ENTENTE_CHROMIUM) return process.env.ENTENTE_CHROMIUM;
  const r = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  const path = r.stdout?.trim();
  return r.status === 0 && path ? path : undefined;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const ORIGIN = 'http://entente.test';

/** node-seal exports only an ES entry (no package.json, no require.resolve), so its WebAssembly is found by walking up to node_modules. */
function sealWasmPath(): string {
  for (let dir = HERE; ; dir = dirname(dir)) {
    const p = join(dir, 'node_modules', 'node-seal', 'dist', 'seal_throws.wasm');
    if (existsSync(p)) return p;
    if (dirname(dir) === dir)
      throw new LatticeUnavailableError(
        'seal-browser: node_modules/node-seal/dist/seal_throws.wasm not found',
      );
  }
}

/** The page's entry: the TypeScript source in the repository, the compiled .js in a build. */
function pageEntry(): string {
  for (const ext of ['ts', 'js']) {
    const p = join(HERE, `seal-page.${ext}`);
    if (existsSync(p)) return p;
  }
  throw new LatticeUnavailableError(`seal-browser: seal-page.ts/.js not found beside ${HERE}`);
}

async function devImport<T>(name: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch {
    throw new LatticeUnavailableError(
      `seal-browser: running node-seal from Node needs the development dependency '${name}' ` +
        '(npm install in the repository)',
    );
  }
}

interface Esbuild {
  build(o: Record<string, unknown>): Promise<{ outputFiles: { text: string }[] }>;
}
interface PlaywrightPage {
  route(url: string, handler: (route: PlaywrightRoute) => unknown): Promise<void>;
  on(event: 'pageerror', f: (e: Error) => void): void;
  goto(url: string, o?: Record<string, unknown>): Promise<unknown>;
  waitForFunction(f: () => unknown, arg: undefined, o: { timeout: number }): Promise<unknown>;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  setDefaultTimeout(ms: number): void;
}
interface PlaywrightRoute {
  request(): { url(): string };
  fulfill(r: { status?: number; contentType?: string; body: string | Buffer }): Promise<void>;
}
interface PlaywrightBrowser {
  newPage(): Promise<PlaywrightPage>;
  version(): string;
  close(): Promise<void>;
}
interface Playwright {
  chromium: { launch(o: Record<string, unknown>): Promise<PlaywrightBrowser> };
}

/**
 * `p`, or a LatticeError after `ms` (Playwright bounds no evaluate): the
 * computation in the page cannot be interrupted, so `stop` closes the browser.
 */
export async function bounded<T>(p: Promise<T>, ms: number, stop: () => Promise<void>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void stop().catch(() => {});
      reject(new LatticeError(`seal-browser: the page did not answer within ${ms} ms; closed it`));
    }, ms);
  });
  try {
    return await Promise.race([p, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Opens the lattice HE page in headless Chromium, with SEAL loaded, and
 * returns a handle whose evaluate runs code next to `globalThis.lattice`
 * (src/he/lattice), `globalThis.latticeWire` and `globalThis.seal`.
 *
 * @param timeoutMs bound on each step (start, load, every evaluate).
 * @throws {LatticeUnavailableError} without Chromium, esbuild or playwright-core, or if the page fails to load.
 */
export async function openSealPage(
  options: { chromium?: string; timeoutMs?: number } = {},
): Promise<SealPage> {
  const executablePath = options.chromium ?? findChromium();
  if (!executablePath)
    throw new LatticeUnavailableError(
      'seal-browser: no `chromium` on PATH (Debian: apt-get install chromium; or set ENTENTE_CHROMIUM)',
    );
  const timeout = options.timeoutMs ?? 120_000;
  const esbuild = await devImport<Esbuild>('esbuild');
  const { chromium } = await devImport<Playwright>('playwright-core');
  const out = await esbuild.build({
    entryPoints: [pageEntry()],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    // node-seal's loader imports 'module' only on its Node path, never taken in a page.
    external: ['module'],
  });
  const js = out.outputFiles[0]!.text;
  const wasm = readFileSync(sealWasmPath());
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'], timeout });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(timeout);
    await page.route(`${ORIGIN}/**`, (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/')
        return route.fulfill({
          contentType: 'text/html',
          body: '<!doctype html><script type="module" src="/main.js"></script>',
        });
      if (path === '/main.js') return route.fulfill({ contentType: 'text/javascript', body: js });
      if (path === '/wasm/seal_throws.wasm')
        return route.fulfill({ contentType: 'application/wasm', body: wasm });
      return route.fulfill({ status: 404, body: 'not found' });
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${ORIGIN}/`, { timeout });
    await page.waitForFunction(() => 'ready' in globalThis, undefined, { timeout });
    await page.evaluate(() => (globalThis as unknown as { ready: Promise<void> }).ready, undefined);
    if (errors.length)
      throw new LatticeUnavailableError(`seal-browser: the page failed: ${errors.join('; ')}`);
    return {
      evaluate: (fn, arg) => bounded(page.evaluate(fn, arg), timeout, () => browser.close()),
      browserVersion: browser.version(),
      close: () => browser.close(),
    };
  } catch (e) {
    await browser.close();
    throw e;
  }
}
