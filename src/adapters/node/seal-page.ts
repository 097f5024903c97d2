/**
 * Browser code (bundled by ./seal-browser.ts, never imported by Node): the
 * page that runs the lattice HE layer in Chromium. It loads SEAL from the
 * WebAssembly the page's server hands out at /wasm/ and exposes the library
 * (the same source files as the package) on globalThis for page.evaluate.
 */
import * as lattice from '../../he/lattice/index.js';
import * as wire from '../../he/lattice/wire.js';

const g = globalThis as unknown as Record<string, unknown>;
// Functions sent through page.evaluate are source text compiled by the
// caller's TypeScript loader, which may wrap named functions in __name().
g.__name ??= (f: unknown) => f;
g.lattice = lattice;
g.latticeWire = wire;
g.ready = lattice.loadSeal({ locateFile: (path) => `/wasm/${path}` }).then((seal) => {
  g.seal = seal;
});
