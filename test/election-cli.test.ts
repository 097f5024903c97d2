/**
 * The election commands (src/cli/election.ts) end to end, each step as the
 * CLI runs it, over files in a temporary folder: the key ceremony (with a
 * tampered share, a complaint and its public answer), voting on a device,
 * the tally, decryption by 2 of 3 guardians, the record, and
 * `entente verify election` on it and on a tampered copy.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { electionCommand, verifyCommand } from '../src/cli/election.js';
import { EXIT, UsageError } from '../src/cli/exit.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'entente-election-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (positional: string[], flags: Record<string, string | number>) =>
  electionCommand(positional, new Map(Object.entries(flags).map(([k, v]) => [k, String(v)])));

describe('entente election and entente verify election', () => {
  it('a whole election from the command line, one guardian missing at decryption', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const e = join(dir, 'e');
      expect(
        await run(['init', 'examples/vote/manifest.json'], { dir: e, guardians: 3, threshold: 2 }),
      ).toBe(0);
      for (const i of [1, 2, 3]) await run(['guardian', 'keys'], { dir: e, index: i });
      expect((await stat(join(e, 'guardian-1.secret.json'))).mode & 0o777).toBe(0o600);
      for (const i of [1, 2, 3]) await run(['guardian', 'shares'], { dir: e, index: i });
      // Guardian 2's share for guardian 3 is altered in transit: 3 complains, 2 answers in public.
      const f = join(e, 'public', 'share-2-to-3.json');
      const share = JSON.parse(await readFile(f, 'utf8')) as { ciphertext: string };
      share.ciphertext = (share.ciphertext[0] === '0' ? '1' : '0') + share.ciphertext.slice(1);
      await writeFile(f, JSON.stringify(share));
      for (const i of [1, 2, 3]) await run(['guardian', 'receive'], { dir: e, index: i });
      expect(JSON.parse(await readFile(join(e, 'public', 'complaints-3.json'), 'utf8'))).toEqual([
        { by: 3, against: 2 },
      ]);
      for (const i of [1, 2, 3]) await run(['guardian', 'answer'], { dir: e, index: i });
      expect(await run(['finalize'], { dir: e })).toBe(0);
      expect(
        JSON.parse(await readFile(join(e, 'public', 'ceremony.json'), 'utf8')).qualified,
      ).toEqual([1, 2, 3]);

      expect(await run(['vote', 'examples/vote/ballots.json'], { dir: e, device: 'kiosk-1' })).toBe(
        0,
      );
      await writeFile(
        join(dir, 'more.json'),
        JSON.stringify([{ id: 'b-100', choices: { park: { no: 1 } } }]),
      );
      expect(await run(['vote', join(dir, 'more.json')], { dir: e, device: 'kiosk-1' })).toBe(0);
      await run(['tally'], { dir: e });
      // Guardian 3 (the one that complained) and 1 decrypt; 2 is missing.
      await run(['guardian', 'decrypt'], { dir: e, index: 3 });
      await run(['guardian', 'decrypt'], { dir: e, index: 1 });
      const record = join(dir, 'record.json');
      expect(await run(['publish'], { dir: e, out: record })).toBe(0);

      log.mockClear();
      expect(await verifyCommand(['election', record])).toBe(EXIT.ok);
      const out = log.mock.calls.map((c) => String(c[0])).join('\n');
      // examples/vote/ballots.json: b-003 is spoiled; b-100 adds a 'no'.
      expect(out).toContain('6 ballots (5 cast, 1 spoiled and checked)');
      expect(out).toContain('mayor: ada 2, grace 1, alan 0');
      expect(out).toContain('council: emmy 2, kurt 1, sofia 1, john 1');
      expect(out).toContain('park: yes 2, no 2');

      // A tampered record: exit 1, the failure named on stderr.
      const j = JSON.parse(await readFile(record, 'utf8')) as {
        tally: { contests: { selections: { value: number }[] }[] };
      };
      j.tally.contests[2]!.selections[0]!.value = 3;
      await writeFile(join(dir, 'bad.json'), JSON.stringify(j));
      expect(await verifyCommand(['election', join(dir, 'bad.json')])).toBe(EXIT.failed);
      expect(String(errors.mock.calls.at(-1)?.[0])).toContain(
        "FAILED: tally contest 'park' selection 'yes': the published count 3 is not what the guardians' shares decrypt to",
      );
    } finally {
      log.mockRestore();
      errors.mockRestore();
    }
  });

  it('bad input is a usage error naming the file and field', async () => {
    await writeFile(
      join(dir, 'm.json'),
      JSON.stringify({
        electionScope: 'x',
        name: 'y',
        contests: [{ id: 'c', selectionLimit: 0, selections: [{ id: 's' }] }],
      }),
    );
    await expect(
      run(['init', join(dir, 'm.json')], { dir: join(dir, 'x'), guardians: 3, threshold: 2 }),
    ).rejects.toThrow(
      new UsageError(
        `${join(dir, 'm.json')}: manifest.contests[0].selectionLimit: expected an integer in 1..1000`,
      ),
    );
    await expect(
      run(['init', 'examples/vote/manifest.json'], {
        dir: join(dir, 'x'),
        guardians: 3,
        threshold: 4,
      }),
    ).rejects.toThrow(/--threshold must be an integer in 1..3/);
    await expect(verifyCommand(['election'])).rejects.toThrow(
      /usage: entente verify election RECORD/,
    );
  });
});
