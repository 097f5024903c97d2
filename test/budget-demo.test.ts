/**
 * `entente demo budget` (issue 23, item 1) at a few residents: the whole
 * election runs for real (ceremony, cumulative ballots with their proofs,
 * tally, decryption with guardian 2 missing, record, verifier), and the points
 * it prints, both the decrypted tally and its plaintext column, must equal
 * the sums of the allocations recomputed here from the seed, with the funding
 * rule applied to them. Bad flags are usage errors.
 */
import { describe, expect, it, vi } from 'vitest';
import { UsageError } from '../src/cli/exit.js';
import { main } from '../src/cli/main.js';
import { webCryptoProvider } from '../src/random/provider.js';
import {
  BUDGET,
  fundProjects,
  plaintextPoints,
  PROJECTS,
  residentAllocations,
} from '../src/vote/budget.js';

async function cli(argv: string[]) {
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
    out.push(a.join(' '));
  });
  const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { code: await main(argv), out };
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
}

describe('entente demo budget', () => {
  it('prints the decrypted points and the funding, equal to the plaintext computation', async () => {
    const { code, out } = await cli(['demo', 'budget', '--residents', '6', '--seed', 'test']);
    expect(code).toBe(0);
    expect(out.some((l) => l.startsWith('verification     VERIFIED'))).toBe(true);
    const want = plaintextPoints(residentAllocations(6, 'test', webCryptoProvider));
    const funding = fundProjects(want, BUDGET);
    for (const p of PROJECTS) {
      const line = out.find((l) => l.startsWith(p.name))!;
      const [tally, plain, funded] = line.slice(p.name.length).trim().split(/\s+/).slice(1);
      expect(Number(tally)).toBe(want[p.id]);
      expect(Number(plain)).toBe(want[p.id]);
      expect(funded).toBe(funding.order.find((o) => o.id === p.id)!.funded ? 'yes' : 'no');
    }
    expect(out).toContain(
      'every total and every funding decision equals the plaintext computation',
    );
  });

  it('refuses a bad --residents', async () => {
    await expect(main(['demo', 'budget', '--residents', '0'])).rejects.toThrow(UsageError);
    await expect(main(['demo', 'budget', '--resident', '5'])).rejects.toThrow(/--residents/);
  });
});
