/**
 * `entente demo wage-gap` at a small size: three rep3 nodes (in memory) release exactly
 * the cells and gaps the pooled tables give in the clear; a table inflating a cell beyond
 * its declared range is dropped, not summed.
 */
import { describe, expect, it } from 'vitest';
import { contributionKeyPair, contribute, sealParts } from '../api/contributions.js';
import { runLocal } from '../api/run.js';
import {
  runWageGap,
  WAGE_GAP_SCHEMA,
  wageGapEmployers,
  wageGapNodeProgram,
  wageGapPlaintext,
} from './wagegap.js';

describe('wage gap (payroll tables contributed to three nodes)', () => {
  it('released cells and gaps equal the plaintext, with small cells suppressed', async () => {
    const r = await runWageGap({ employers: 6, minCell: 3, seed: 11 });
    expect(r.accepted).toBe(6);
    expect(r.secure).toEqual(r.plaintext);
    const released = r.secure.cells.filter((c) => c.headcount !== undefined);
    expect(released.length).toBeGreaterThan(0);
    expect(released.length).toBeLessThan(r.secure.cells.length);
    expect(released.every((c) => c.headcount! >= 3)).toBe(true);
  });

  it('a table with a cell beyond its declared range is dropped and counted', async () => {
    const employers = wageGapEmployers(4, 12);
    const keys = await Promise.all([0, 1, 2].map(() => contributionKeyPair()));
    const pub = keys.map((k) => k.publicKey);
    const envelopes = await Promise.all(
      employers.map((e) => contribute(WAGE_GAP_SCHEMA, pub, e.id, e.table.flat())),
    );
    // A cheating employer claims 10^12 in one cell's pay (declared at most 10^9).
    const cheat = BigUint64Array.from(employers[0]!.table.flat(), BigInt);
    cheat[1] = 10n ** 12n;
    envelopes.push(await sealParts(WAGE_GAP_SCHEMA, pub, 'cheat', cheat));
    const outcomes = await runLocal(
      (s) => wageGapNodeProgram(s, envelopes, keys[s.indexOf(s.me)]!.privateKey, 2),
      { suite: 'rep3', parties: 3 },
    );
    const plain = wageGapPlaintext(employers, 2);
    for (const { result } of outcomes) {
      expect(result.rejected['out of range']).toBe(1);
      expect(result.accepted).toEqual(employers.map((e) => e.id));
      const open = plain.cells.flatMap((c, i) => (c.headcount === undefined ? [] : [i]));
      expect(result.openCells).toEqual(open);
      open.forEach((cell, k) => {
        const sum = employers.reduce((a, e) => a + e.table[cell]![1], 0);
        expect(result.cellVals[4 * k + 1]).toBe(sum);
      });
    }
  });
});
