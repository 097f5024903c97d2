import { describe, expect, it } from 'vitest';
import { defineStudy } from './spec.js';
import { atLeast, eachOwner, fewerThan, groupsSuppressed } from './wording.js';

describe('report wording', () => {
  it('reads right for k = 1 and for other k', () => {
    expect([fewerThan(1), fewerThan(10)]).toEqual(['no records', 'fewer than 10 records']);
    expect([atLeast(1), atLeast(5)]).toEqual(['at least 1 record', 'at least 5 records']);
    expect([groupsSuppressed(1), groupsSuppressed(3)]).toEqual([
      'groups with no records are suppressed',
      'groups of fewer than 3 records are suppressed',
    ]);
  });

  it('names the parties with data as the study does', () => {
    const study = (n: number, computeOnly = 0) =>
      defineStudy({
        study: 's',
        parties: [
          ...Array.from({ length: n }, (_, i) => ({
            id: `b${i}`,
            name: `Bank ${i}`,
            data: `b${i}.csv`,
          })),
          ...Array.from({ length: computeOnly }, (_, i) => ({ id: `c${i}` })),
        ],
        schema: { columns: [{ name: 'x', type: 'boolean' }] },
        analyses: [{ type: 'count' }],
      });
    expect(eachOwner(study(1, 2))).toBe('Bank 0');
    expect(eachOwner(study(2, 1))).toBe('each of Bank 0 and Bank 1');
    expect(eachOwner(study(3))).toBe('each of Bank 0, Bank 1 and Bank 2');
    expect(eachOwner(study(7))).toBe('each of the 7 parties with data');
  });
});
