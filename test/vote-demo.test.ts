/**
 * `entente demo vote` (issue 16, item 6) at a small number of voters: the
 * whole election runs for real (ceremony, encryption, tally, decryption with
 * guardian 2 missing, record, verifier), and the counts it prints, both the
 * decrypted tally and its plaintext column, must equal the sum of the
 * simulated choices recomputed here from the seed. The record it writes
 * verifies again with `entente verify election`. Bad flags are usage errors.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../src/cli/exit.js';
import { main } from '../src/cli/main.js';
import { DEMO_MANIFEST, simulatedVoters } from '../src/cli/vote-demo.js';
import { checkChoices } from '../src/vote/ballot.js';
import { parseManifest } from '../src/vote/manifest.js';

const manifest = parseManifest(JSON.parse(await readFile(DEMO_MANIFEST, 'utf8')));
const VOTERS = 12;
// The first seed under which one of the voters spoils a ballot (1 in 100 does).
const SEED = Array.from({ length: 200 }, (_, i) => `test-${i}`).find((s) =>
  simulatedVoters(manifest, VOTERS, s).some((v) => v.spoilsFirst),
)!;

/** Runs the CLI, returning its exit status, stdout lines and stderr text. */
async function cli(argv: string[]) {
  const out: string[] = [];
  let err = '';
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
    out.push(a.join(' '));
  });
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  try {
    return { code: await main(argv), out, err };
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
}

describe('entente demo vote', () => {
  let tmp: string | undefined;
  afterEach(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('the simulated voters are a function of the seed, and their choices are within the limits', () => {
    const a = simulatedVoters(manifest, 50, 'x');
    expect(simulatedVoters(manifest, 50, 'x')).toEqual(a);
    expect(simulatedVoters(manifest, 50, 'y')).not.toEqual(a);
    for (const v of a) checkChoices(manifest, v.choices);
    expect(SEED).toBeDefined();
  });

  it('prints the decrypted tally beside the plaintext count, both equal to the simulated choices', async () => {
    tmp = await mkdtemp(join(tmpdir(), 'entente-demo-vote-'));
    const record = join(tmp, 'record.json');
    const r = await cli([
      'demo',
      'vote',
      '--voters',
      String(VOTERS),
      '--seed',
      SEED,
      '--out',
      record,
    ]);
    expect(r.code, r.out.join('\n')).toBe(0);

    const voters = simulatedVoters(manifest, VOTERS, SEED);
    const spoiled = voters.filter((v) => v.spoilsFirst).length;
    expect(spoiled).toBeGreaterThan(0);
    expect(r.out.join('\n')).toContain(
      `VERIFIED: ${VOTERS + spoiled} ballots (${VOTERS} cast, ${spoiled} spoiled and re-encrypted)`,
    );
    expect(r.out.join('\n')).toContain('decrypted by guardians 1 and 3 (guardian 2 missing');
    let rows = 0;
    for (const c of manifest.contests)
      for (const s of c.selections) {
        const expected = voters.reduce((n, v) => n + (v.choices[c.id]?.[s.id] ?? 0), 0);
        const line = r.out.find((l) => l.startsWith(`  ${s.name} `));
        expect(line, s.name).toBeDefined();
        const [tally, plain] = line!.trim().slice(s.name.length).trim().split(/\s+/).map(Number);
        expect([tally, plain], `${c.id}/${s.id}`).toEqual([expected, expected]);
        rows++;
      }
    expect(rows).toBe(9);
    expect(r.out).toContain('every count equals the plaintext count of the simulated choices');
    expect(r.out.at(-1)).toMatch(/^total +\d+\.\d s$/);
    expect(r.err).toContain(`voting: voters done: ${VOTERS}/${VOTERS}`);
    expect(r.err).toContain(
      `verification: ballots checked: ${VOTERS + spoiled}/${VOTERS + spoiled}`,
    );

    const again = await cli(['verify', 'election', record]);
    expect(again.code).toBe(0);
    expect(again.out[0]).toContain(`${VOTERS + spoiled} ballots`);
  }, 120_000);

  it('refuses a bad number of voters and an unknown flag', async () => {
    await expect(main(['demo', 'vote', '--voters', '0'])).rejects.toThrow(
      new UsageError("demo vote: --voters must be a positive integer, got '0'"),
    );
    await expect(main(['demo', 'vote', '--voters', '1e3'])).rejects.toThrow(UsageError);
    await expect(main(['demo', 'vote', '--voter', '5'])).rejects.toThrow(
      /demo vote: unknown option --voter; did you mean --voters\?/,
    );
  });
});
