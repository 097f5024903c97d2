/**
 * `entente demo scoring` as a user runs it (a real process): bad flag values
 * exit 2 before anything starts; with Chromium, one synthetic customer is
 * scored under encryption and the printed encrypted score matches the
 * printed plaintext cubic within the stated bound.
 */
import { describe, expect, it } from 'vitest';
import { Cli } from '../net/helpers.js';
import { RUN_BROWSER } from './seal-page.js';

describe('entente demo scoring', () => {
  for (const [args, message] of [
    [['--seed', 'abc'], /--seed must be 32 hex digits/],
    [['--customers', '0'], /--customers must be an integer in 1..20, got '0'/],
    [['--preset', 'bfv-8192'], /--preset must be one of ckks-8192, ckks-16384/],
  ] as const) {
    it(`refuses ${args.join(' ')} with exit 2`, async () => {
      const exit = await new Cli(['demo', 'scoring', ...args]).exit();
      expect(exit.code).toBe(2);
      expect(exit.stderr).toMatch(message);
    });
  }

  it.runIf(RUN_BROWSER)(
    'scores a customer under encryption and prints it beside the plaintext',
    async () => {
      const exit = await new Cli(['demo', 'scoring', '--customers', '1']).exit();
      expect(exit.stderr).toBe('');
      expect(exit.code).toBe(0);
      expect(exit.stdout).toMatch(
        /n = 8192, coefficient modulus \[50, 40, 40, 40, 48\] bits \(218 in all\), scale 2\^40/,
      );
      const row = exit.stdout.split('\n').find((l) => /^1\s/.test(l));
      expect(row).toBeDefined();
      const [, linear, logistic, cubic, encrypted] = row!.trim().split(/\s+/).map(Number);
      expect(logistic).toBeCloseTo(1 / (1 + Math.exp(-linear!)), 5);
      expect(Math.abs(encrypted! - cubic!)).toBeLessThan(1e-4);
    },
  );
});
