/**
 * What the browser tests share: Debian's Chromium (found as the library's
 * node-seal runner finds it), the rule that CI may not skip them, one launch
 * with the flags this sandbox needs, and axe-core's accessibility check.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { findChromium } from '../../src/adapters/node/seal-browser.js';

export const CHROMIUM = findChromium();
/** Browser tests run when Chromium is installed, and must run (failing without it) in CI. */
export const BROWSER_TESTS_RUN = !!CHROMIUM || !!process.env.CI;

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Says, outside CI, that `file`'s browser tests are skipped for want of Chromium. */
export function noteSkipped(file: string): void {
  if (!BROWSER_TESTS_RUN)
    console.warn(
      `${file}: SKIPPED: no \`chromium\` on PATH (Debian: apt-get install chromium). ` +
        'In CI (CI set) a missing chromium fails instead.',
    );
}

/** The Chromium binary; throws when it is missing (in CI, where the tests may not be skipped). */
export function requireChromium(): string {
  if (!CHROMIUM)
    throw new Error(
      'chromium is not installed (CI is set, so the browser tests may not be skipped): ' +
        'apt-get install chromium (.ci/run does this)',
    );
  return CHROMIUM;
}

/** Headless Chromium with the flags this sandbox needs (`requireChromium` first). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: requireChromium(),
    headless: true,
    timeout: 30_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/** axe-core on the page as it is: no serious or critical violation. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(AXE);
  const violations = (await page.evaluate(
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    })))`,
  )) as { id: string; impact: string; help: string; nodes: string[] }[];
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad, `axe on ${name}`).toEqual([]);
}
