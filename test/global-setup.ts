/**
 * Vitest global setup: `entente local` keeps its test keys between runs in a
 * cache folder (src/cli/keycache.ts, ~/.cache/entente/local-keys by default);
 * the test suite uses a private temporary one instead, removed at the end, so
 * that running the tests leaves nothing in the user's home.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'entente-test-keys-'));
  process.env.ENTENTE_KEY_CACHE = join(dir, 'local-keys');
  return () => rmSync(dir, { recursive: true, force: true });
}
