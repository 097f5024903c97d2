/**
 * `entente demo survey` (issue 17 item 6) and `entente demo wellbeing` (issue
 * 23 item 4) at small sizes: every respondent's report made by the unmodified
 * @divviup/dap client and aggregated by a real Leader and Helper over HTTP on
 * 127.0.0.1; without noise every released histogram equals the plaintext one,
 * and exactly the batches below the minimum size are withheld.
 */
import { describe, expect, it, vi } from 'vitest';
import { CITY_DISTRICTS } from '../../src/apps/city-survey.js';
import {
  PHQ9_MAX,
  phq9Band,
  students,
  UNIVERSITIES,
  WELLBEING_BUCKETS,
  wellbeingBucket,
  wellbeingSummary,
} from '../../src/apps/wellbeing.js';
import { main } from '../../src/cli/main.js';
import { runCitySurvey } from '../../src/cli/survey-demo.js';
import { runWellbeing } from '../../src/cli/wellbeing.js';

const total = (h: readonly number[]) => h.reduce((a, b) => a + b, 0);

describe('the DAP survey demos', () => {
  it('city survey: released districts equal the plaintext histograms, small ones are withheld', async () => {
    const minBatchSize = 8;
    const r = await runCitySurvey({
      respondents: 100,
      minBatchSize,
      epsilon: undefined,
      seed: 7,
      collectWaitMs: 3000,
    });
    const sizes = r.plaintext.map(total);
    expect(total(sizes)).toBe(100);
    // The seed gives both kinds: districts above and below the minimum.
    expect(sizes.some((n) => n < minBatchSize)).toBe(true);
    expect(sizes.filter((n) => n >= minBatchSize).length).toBeGreaterThan(3);
    CITY_DISTRICTS.forEach((_, d) => {
      if (sizes[d]! < minBatchSize) expect(r.secure[d]).toBeUndefined();
      else expect(r.secure[d]).toEqual(r.plaintext[d]);
    });
    expect(r.run.reports).toBe(100);
    expect(r.run.rejected).toEqual({});
  }, 120_000);

  it('wellbeing: per university the (year, band) histogram equals the plaintext one; a small university is withheld', async () => {
    const minBatchSize = 8;
    const r = await runWellbeing({
      students: 80,
      minBatchSize,
      epsilon: undefined,
      seed: 11,
      collectWaitMs: 3000,
    });
    const sizes = r.plaintext.map(total);
    expect(sizes.some((n) => n < minBatchSize)).toBe(true);
    expect(sizes.filter((n) => n >= minBatchSize).length).toBeGreaterThan(2);
    UNIVERSITIES.forEach((_, u) => {
      if (sizes[u]! < minBatchSize) expect(r.secure[u]).toBeUndefined();
      else expect(r.secure[u]).toEqual(r.plaintext[u]);
    });
    // The plaintext side is the students' own answers, summed independently of the buckets.
    const ss = students(80, 11);
    const u0 = ss.filter((s) => s.university === 0);
    const high = u0.filter((s) => s.items.reduce((a, b) => a + b, 0) >= 10).length;
    expect(wellbeingSummary(r.secure[0]!, 1).all).toEqual({
      n: u0.length,
      atRisk: high / u0.length,
    });
  }, 120_000);

  it('the summary withholds small cells; buckets follow the severity bands', () => {
    const h = new Array<number>(WELLBEING_BUCKETS).fill(0);
    h[0] = 3; // year 1, minimal
    h[5 + 2] = 20; // year 2, moderate
    h[5 + 1] = 5; // year 2, mild
    const s = wellbeingSummary(h, 5);
    expect(s.years.map((c) => c.atRisk)).toEqual([undefined, 0.8, undefined, undefined]);
    expect(s.years.map((c) => c.n)).toEqual([3, 25, 0, 0]);
    expect(s.all).toEqual({ n: 28, atRisk: 20 / 28 });
    expect(s.bands).toEqual([3, 5, 20, 0, 0]);
    // Band edges: 4|5, 9|10 (the threshold), 14|15, 19|20, and the extremes.
    expect([0, 4, 5, 9, 10, 14, 15, 19, 20, PHQ9_MAX].map(phq9Band)).toEqual([
      0, 0, 1, 1, 2, 2, 3, 3, 4, 4,
    ]);
    const student = (year: number, item: number) => ({
      university: 0,
      year,
      items: new Array<number>(9).fill(item),
    });
    expect(wellbeingBucket(student(3, 3))).toBe(WELLBEING_BUCKETS - 1);
    expect(wellbeingBucket(student(0, 0))).toBe(0);
    // A noisy histogram: the share stays within [0, 1].
    const noisy = new Array<number>(WELLBEING_BUCKETS).fill(0);
    noisy[0] = -3;
    noisy[3] = 12;
    expect(wellbeingSummary(noisy, 5).years[0]!.atRisk).toBe(1);
  });

  it('refuses bad options with the flag named', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await expect(main(['demo', 'survey', '--respondents', '0'])).rejects.toThrow(
        "demo survey: --respondents must be an integer in 1..1000000, got '0'",
      );
      await expect(main(['demo', 'wellbeing', '--epsilon', '-1'])).rejects.toThrow(
        "demo wellbeing: --epsilon must be in (0, 64] or 'none', got '-1'",
      );
      await expect(main(['demo', 'wellbeing', '--respondents', '5'])).rejects.toThrow(
        /--respondents/,
      );
    } finally {
      err.mockRestore();
    }
  });
});
