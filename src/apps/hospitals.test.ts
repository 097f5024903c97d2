/**
 * The synthetic hospital generator at many hospitals (`entente demo hospitals
 * --input-parties N` goes up to 1,000): every hospital's patients are in the schema's
 * ranges and its mean age is a plausible one, whatever its index.
 */
import { describe, expect, it } from 'vitest';
import { generatePatients } from './hospitals.js';

describe('generatePatients', () => {
  it('keeps the first three hospitals as the bundled study has them', () => {
    // Means 58, 63, 67 (sd 14): 400 patients put each sample mean within about 2 years.
    const means = [0, 1, 2].map((i) => {
      const p = generatePatients(i, 400, 2025);
      return p.reduce((a, x) => a + x.age, 0) / p.length;
    });
    [58, 63, 67].forEach((m, i) => expect(Math.abs(means[i]! - m)).toBeLessThan(3));
  });

  it('gives every hospital up to index 999 ages in 18..95 around a mean of at most 83', () => {
    const outside: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const p = generatePatients(i, 20, 7);
      if (p.length !== 20) outside.push(`hospital ${i}: ${p.length} patients`);
      for (const x of p)
        if (x.age < 18 || x.age > 95 || x.survivalDays < 1 || x.survivalDays > 365)
          outside.push(`hospital ${i}: age ${x.age}, survival ${x.survivalDays}`);
    }
    expect(outside).toEqual([]);
    // Hospital 99 (once a mean of 199, whose redraws never ended): 58 + 4 (33 mod 5) = 70.
    const p = generatePatients(99, 400, 2025);
    expect(Math.abs(p.reduce((a, x) => a + x.age, 0) / p.length - 70)).toBeLessThan(3);
  });
});
