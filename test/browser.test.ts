/**
 * The core runs without Node: bundle src/index.ts for the browser platform
 * (any node:* import fails the build) and run a three-party rep3 program in a
 * bare VM context that offers only what browsers offer (WebCrypto,
 * MessageChannel, timers), with the portable AES and CSPRNG provider.
 */
import { build } from 'esbuild';
import vm from 'node:vm';
import { browserSandbox } from './browser-sandbox.js';
import { describe, expect, it } from 'vitest';

describe('browser build of the core', () => {
  it('bundles without Node built-ins and computes in a browser-like sandbox', async () => {
    const out = await build({
      entryPoints: ['src/index.ts'],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'Entente',
      write: false,
      logLevel: 'silent',
    });
    const code = out.outputFiles[0]!.text;
    expect(code).not.toMatch(/require\(["']node:/);
    const sandbox = browserSandbox(code);
    const result = await vm.runInContext(
      `(async () => {
        const { runLocal, int } = Entente;
        const outs = await runLocal(async (s) => {
          const x = s.input('p1', int(32), s.me === 'p1' ? [6, -7] : 2);
          const y = s.input('p2', int(32), s.me === 'p2' ? [7, 6] : 2);
          return (await x.mul(y).reveal()).map(String);
        }, { suite: 'rep3', parties: 3 });
        return JSON.stringify(outs.map((o) => o.result));
      })()`,
      sandbox,
    );
    expect(JSON.parse(result as string)).toEqual([
      ['42', '-42'],
      ['42', '-42'],
      ['42', '-42'],
    ]);
  });
});
