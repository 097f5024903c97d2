/**
 * The mental-health survey of `entente demo wellbeing` (issue 23 item 4):
 * synthetic students of five universities answer the PHQ-9 (nine items, each
 * 0-3; the total, 0-27, is the depression score, and 10 or more is the usual
 * threshold for moderate depression), and the plaintext answer that the
 * secure one, through DAP, must equal: per university and year of study, the
 * distribution of total scores and the share at or above the threshold.
 *
 * Each university is one DAP task, and each student sends one Prio3Histogram
 * measurement: the bucket (year, severity band of the total), year-major, in
 * the PHQ-9's standard bands (minimal 0-4, mild 5-9, moderate 10-14,
 * moderately severe 15-19, severe 20-27; the threshold 10 is a band edge).
 * Bands rather than the 28 totals: with DP noise on every bucket, the share
 * above the threshold sums 3 noisy counts instead of 18, and a report is
 * cheaper to prove and check. The total is computed in the student's
 * browser; the histogram's proof makes each report exactly one (year, band),
 * so a student can shift a result by one response at most. A university's batch is released only with at least the minimum
 * number of reports, and no task mixes universities.
 *
 * The data are synthetic, from a seed (a small counter-based generator: not
 * for secrets, these students are made up).
 */
import { pickWeighted, seededUniform } from './hospitals.js';

export const UNIVERSITIES = ['Aldwych', 'Brennan', 'Castlegate', 'Dunmore', 'Elmfield'] as const;
export const STUDY_YEARS = 4;
export const PHQ9_ITEMS = 9;
export const PHQ9_MAX = 3 * PHQ9_ITEMS;
/** PHQ-9 totals of 10 or more: moderate depression or worse. */
export const PHQ9_THRESHOLD = 10;
/** The first total of each severity band (minimal, mild, moderate, moderately severe, severe). */
export const PHQ9_BANDS = [0, 5, 10, 15, 20] as const;
export const PHQ9_BAND_NAMES = [
  'minimal',
  'mild',
  'moderate',
  'moderately severe',
  'severe',
] as const;
const BANDS = PHQ9_BANDS.length;
/** Bands at or above the threshold. */
const FIRST_HIGH_BAND = PHQ9_BANDS.indexOf(PHQ9_THRESHOLD as 10);
export const WELLBEING_BUCKETS = STUDY_YEARS * BANDS;

/** Share of students per university: the last is small, so a small survey suppresses it. */
const UNIVERSITY_WEIGHTS = [0.3, 0.25, 0.2, 0.2, 0.05];
/** Each university's and year's tendency to score higher (item level 0..3). */
const UNIVERSITY_STRAIN = [0.55, 0.7, 0.45, 0.8, 0.6];
const YEAR_STRAIN = [0.15, 0.05, 0, 0.2];

export interface Student {
  readonly university: number;
  /** 0-based year of study. */
  readonly year: number;
  /** The nine PHQ-9 answers, each 0..3. */
  readonly items: readonly number[];
}

export const phq9Total = (s: Student): number => s.items.reduce((a, b) => a + b, 0);

export function phq9Band(total: number): number {
  let b = 0;
  while (b + 1 < BANDS && total >= PHQ9_BANDS[b + 1]!) b++;
  return b;
}

/** The histogram bucket a student's browser sends: year-major, then severity band. */
export const wellbeingBucket = (s: Student): number => s.year * BANDS + phq9Band(phq9Total(s));

export function students(n: number, seed: number): Student[] {
  const u = seededUniform(seed);
  return Array.from({ length: n }, () => {
    const university = pickWeighted(u(), UNIVERSITY_WEIGHTS);
    const year = Math.min(STUDY_YEARS - 1, Math.floor(u() * STUDY_YEARS));
    // A student's own level, then each item around it.
    const level = UNIVERSITY_STRAIN[university]! + YEAR_STRAIN[year]! + (u() - 0.5) * 1.6;
    const items = Array.from({ length: PHQ9_ITEMS }, () =>
      Math.min(3, Math.max(0, Math.round(level + (u() - 0.5) * 1.8))),
    );
    return { university, year, items };
  });
}

/** Per university, the histogram of (year, total) buckets. */
export function wellbeingHistograms(ss: readonly Student[]): number[][] {
  const h = UNIVERSITIES.map(() => new Array<number>(WELLBEING_BUCKETS).fill(0));
  for (const s of ss) h[s.university]![wellbeingBucket(s)]!++;
  return h;
}

export interface WellbeingCell {
  /** Students in the cell (from the released histogram: noisy with DP). */
  readonly n: number;
  /** The share at or above the threshold, or undefined when the cell is below the minimum size. */
  readonly atRisk: number | undefined;
}

/**
 * What is released for one university from its (released) histogram: per
 * year, the number of students and the share at or above the threshold, with
 * cells of fewer than `minCell` students withheld; and the counts per
 * severity band over all years. Post-processing only: applied to a noisy
 * histogram, it keeps the noise's guarantee.
 */
export function wellbeingSummary(
  histogram: readonly number[],
  minCell: number,
): { years: WellbeingCell[]; bands: number[]; all: WellbeingCell } {
  const bands = new Array<number>(BANDS).fill(0);
  const cell = (counts: readonly number[]): WellbeingCell => {
    const n = counts.reduce((a, b) => a + b, 0);
    const high = counts.slice(FIRST_HIGH_BAND).reduce((a, b) => a + b, 0);
    return {
      n,
      atRisk: n >= minCell && n > 0 ? Math.min(1, Math.max(0, high / n)) : undefined,
    };
  };
  const years = Array.from({ length: STUDY_YEARS }, (_, y) => {
    const counts = histogram.slice(y * BANDS, (y + 1) * BANDS);
    counts.forEach((c, b) => (bands[b]! += c));
    return cell(counts);
  });
  return { years, bands, all: cell(bands) };
}
