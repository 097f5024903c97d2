/**
 * entente/paillier runs without Node: bundle its entry point for the browser
 * platform (any node:* import fails the build) and run key generation,
 * encryption, addition, decryption and a threshold decryption in a bare VM
 * context that offers only what browsers offer (./browser-sandbox.ts).
 */
import { build } from 'esbuild';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { browserSandbox } from './browser-sandbox.js';

describe('browser build of entente/paillier', () => {
  it('bundles without Node built-ins and encrypts, adds and decrypts in a browser-like sandbox', async () => {
    const out = await build({
      entryPoints: ['src/he/paillier/index.ts'],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'Paillier',
      write: false,
      logLevel: 'silent',
    });
    const code = out.outputFiles[0]!.text;
    expect(code).not.toMatch(/require\(["']node:/);
    const sandbox = browserSandbox(code);
    const result = vm.runInContext(
      `(() => {
        const { generateKeyPair, dealThresholdKey, webCryptoProvider: crypto } = Paillier;
        const { publicKey: pk, secretKey: sk } = generateKeyPair(crypto, { bits: 512 });
        const sum = pk.add(pk.encrypt(pk.n - 1n, crypto), pk.encrypt(43n, crypto));
        const { key, shares } = dealThresholdKey(crypto, { bits: 512, parties: 3, threshold: 2 });
        const c = key.publicKey.encrypt(1234n, crypto);
        const ds = [shares[0], shares[2]].map((s) => s.decryptShare(c, crypto));
        return [String(sk.decrypt(sum)), String(key.combine(c, ds))];
      })()`,
      sandbox,
    ) as string[];
    expect(result).toEqual(['42', '1234']);
  }, 30_000);
});
