/**
 * Encrypting and proving a ballot in Chromium (issue 16: "report Chromium
 * too"), part of `npm run bench -- vote` (`--only chromium` for this part
 * alone). The core (src/vote, src/he/elgamal) is bundled for the browser
 * with esbuild, as the voting page's build does with Vite, and run in
 * Debian's headless Chromium (playwright-core, the `chromium` package's
 * binary, as the browser tests launch it) on an empty page: the same
 * ceremony and the same ballot of --selections selections as the Node
 * figure, with WebCrypto's CSPRNG. Prints the first call beside the warm
 * mean. Skipped with a
 * message when `chromium` is not on PATH (or ENTENTE_CHROMIUM unset).
 */
import { findChromium } from '../src/adapters/node/seal-browser.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The page's side: a ceremony, a device, and the timed ballots (performance.now in the page). */
const ENTRY = `
import { webCryptoProvider as crypto } from './src/random/provider.ts';
import { Device } from './src/vote/ballot.ts';
import { parseManifest } from './src/vote/manifest.ts';
import { runCeremony } from './src/vote/simulate.ts';
globalThis.benchBallot = (selections, reps) => {
  const manifest = parseManifest({
    electionScope: 'bench',
    name: 'Benchmark election',
    contests: [{ id: 'contest', selectionLimit: 1,
      selections: Array.from({ length: selections }, (_, i) => ({ id: 'option-' + (i + 1) })) }],
  });
  const { election } = runCeremony(manifest, 3, 2, crypto);
  const device = new Device(election, 'bench-device', crypto);
  const choice = (i) => ({ contest: { ['option-' + ((i % selections) + 1)]: 1 } });
  let t0 = performance.now();
  device.cast(device.encrypt('first', choice(0)));
  const first = performance.now() - t0;
  for (let i = 0; i < 5; i++) device.cast(device.encrypt('w' + i, choice(i)));
  t0 = performance.now();
  for (let i = 0; i < reps; i++) device.cast(device.encrypt('b' + i, choice(i)));
  return { first, warm: (performance.now() - t0) / reps };
};
`;

/** Prints the Chromium figure (compare with the Node line "encrypt and prove"). */
export async function benchBallotInChromium(selections: number): Promise<void> {
  const executablePath = findChromium();
  if (!executablePath) {
    console.log(
      'ballot in Chromium: skipped (no `chromium` on PATH; Debian: apt-get install chromium)',
    );
    return;
  }
  const bundle = await build({
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    timeout: 30_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(300_000);
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
    const reps = 40;
    const r = await page.evaluate(
      ([s, n]) =>
        (
          globalThis as unknown as {
            benchBallot: (s: number, n: number) => { first: number; warm: number };
          }
        ).benchBallot(s, n),
      [selections, reps] as const,
    );
    const version = browser.version();
    console.log(
      `ballot of ${selections} selections in Chromium ${version} (headless, one tab, bundled with esbuild):`,
    );
    console.log(
      `  encrypt and prove   first ${r.first.toFixed(1)} ms, warm ${r.warm.toFixed(1)} ms (${Math.round(1000 / r.warm)} ballots/s)`,
    );
  } finally {
    await browser.close();
  }
}
