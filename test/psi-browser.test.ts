/**
 * The PSI layer runs without Node: bundle src/psi (with the in-memory test
 * parties and the portable WebCrypto provider) for the browser platform (any
 * node:* import fails the build) and run an ECDH PSI, libsodium's
 * WebAssembly included, in a bare VM context that offers only what browsers
 * offer (./browser-sandbox.ts). Checked against the intersection in the clear.
 */
import { build } from 'esbuild';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { browserSandbox } from './browser-sandbox.js';

describe('browser build of the ECDH PSI', () => {
  it('bundles without Node built-ins and intersects in a browser-like sandbox', async () => {
    const out = await build({
      stdin: {
        contents: [
          "export { ecdhPsi, digestSet } from './src/psi/index.js';",
          "export { localParties, runParties } from './src/primitives/testing.js';",
          "export { webCryptoProvider } from './src/random/provider.js';",
        ].join('\n'),
        resolveDir: '.',
        loader: 'ts',
      },
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'Psi',
      write: false,
      logLevel: 'silent',
    });
    const code = out.outputFiles[0]!.text;
    expect(code).not.toMatch(/require\(["']node:/);
    expect(code).toMatch(/crypto_scalarmult_ristretto255/);
    const sandbox = browserSandbox(code);
    const a = Array.from({ length: 60 }, (_, i) => `id-${3 * i}`); // multiples of 3
    const b = Array.from({ length: 50 }, (_, i) => `id-${2 * i}`); // even, below 100
    const result = await vm.runInContext(
      `(async () => {
        const { ecdhPsi, digestSet, localParties, runParties, webCryptoProvider } = Psi;
        const sets = [digestSet(${JSON.stringify(a)}), digestSet(${JSON.stringify(b)})];
        const [r] = await runParties(localParties(2, webCryptoProvider), (p) =>
          ecdhPsi(p, sets[p.index].digests, { receiver: 0, sender: 1, mode: 'intersection' }));
        return JSON.stringify(Array.from(r.intersection));
      })()`,
      sandbox,
    );
    const inB = new Set(b);
    const want = a.flatMap((x, i) => (inB.has(x) ? [i] : []));
    expect(want.length).toBe(17); // multiples of 6 below 100
    expect(JSON.parse(result as string)).toEqual(want);
  }, 60_000);
});
