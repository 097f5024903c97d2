/**
 * `entente election serve` without a browser (the voting page itself is
 * tested in Chromium by test/web/vote.test.ts): its usage errors, and a
 * ballot box whose page is not built answers 503 naming the build command
 * while its API still serves the election's public context.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBallotServer } from '../src/cli/election-serve.js';
import { electionCommand } from '../src/cli/election.js';
import { UsageError } from '../src/cli/exit.js';
import { parseElectionContext } from '../src/vote/intake.js';

const run = (positional: string[], flags: Record<string, string | number>) =>
  electionCommand(positional, new Map(Object.entries(flags).map(([k, v]) => [k, String(v)])));

describe('entente election serve', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'entente-serve-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('refuses a missing --dir, a bad port and a folder without an election', async () => {
    await expect(run(['serve'], {})).rejects.toThrow(
      new UsageError('election serve: --dir is required'),
    );
    await expect(run(['serve'], { dir: tmp, port: 70000 })).rejects.toThrow(
      new UsageError("election serve: --port must be an integer in 0..65535, got '70000'"),
    );
    await expect(run(['serve'], { dir: tmp, port: 0 })).rejects.toThrow(
      /election serve: .*election\.json does not exist \(run 'entente election init' first\)/,
    );
  });

  it('without a built page: 503 naming the build, and the API serves the context', async () => {
    const dir = join(tmp, 'e');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(
        await run(['init', 'examples/vote/manifest.json'], { dir, guardians: 3, threshold: 2 }),
      ).toBe(0);
      for (const step of ['keys', 'shares', 'receive', 'answer'])
        for (const i of [1, 2, 3]) expect(await run(['guardian', step], { dir, index: i })).toBe(0);
      expect(await run(['finalize'], { dir })).toBe(0);
    } finally {
      log.mockRestore();
    }
    const server = await startBallotServer({ dir, pageRoot: join(tmp, 'no-page') });
    try {
      const page = await fetch(server.url);
      expect(page.status).toBe(503);
      expect(((await page.json()) as { error: string }).error).toMatch(/npm run build:web/);
      const context = (await (await fetch(`${server.url}api/election`)).json()) as unknown;
      const election = parseElectionContext(context);
      expect(election.hashes.extendedBase).toBe(server.box.election.hashes.extendedBase);
      // A context whose key is not the transcript's is refused.
      expect(() =>
        parseElectionContext({ ...(context as object), jointKey: '00'.repeat(32) }),
      ).toThrow("context.jointKey: not the key the ceremony's transcript gives");
      expect((await fetch(`${server.url}api/ballots`, { method: 'GET' })).status).toBe(405);
    } finally {
      await server.close();
    }
  }, 60_000);
});
