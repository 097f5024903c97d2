/**
 * The mental-health survey of `entente demo wellbeing` (issue 23 item 4):
 * synthetic students of five universities answer the PHQ-9 (nine items, each
 * 0-3; the total, 0-27, is the depression score, and 10 or more is the usual
 * threshold for moderate depression), and the plaintext answer that the
 * secure one, through DAP, must equal: per university and year of study, the
 * distribution of total scores and the share at or above the threshold.
 *
 * Each university is one DAP task, and each student sends one Prio3Histogram
 * measurement: the bucket (year, total score), year-major. The total is
 * computed in the student's browser; the histogram's proof makes each report
 * exactly one (year, score), so a student can shift a result by one response
 * at most. A university's batch is released only with at least the minimum
 * number of reports, and no task mixes universities.
 *
 * The data are synthetic, from a seed (a small counter-based generator: not
 * for secrets, these students are made up).
 */
import { seededUniform } from './hospitals.js';

export const UNIVERSITIES = ['Aldwych', 'Brennan', 'Castlegate', 'Dunmore', 'Elmfield'] as const;
export const STUDY_YEARS = 4;
export const PHQ9_ITEMS = 9;
export const PHQ9_MAX = 3 * PHQ9_ITEMS;
/** PHQ-9 totals of 10 or more: moderate depression or worse. */
export const PHQ9_THRESHOLD = 10;
export const WELLBEING_BUCKETS = STUDY_YEARS * (PHQ9_MAX + 1);

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

/** The histogram bucket a student's browser sends: year-major, then total score. */
export const wellbeingBucket = (s: Student): number => s.year * (PHQ9_MAX + 1) + phq9Total(s);

function pick(u: number, weights: readonly number[]): number {
  let acc = 0;
  for (const [i, w] of weights.entries()) {
    acc += w;
    if (u < acc) return i;
  }
  return weights.length - 1;
}

export function students(n: number, seed: number): Student[] {
  const u = seededUniform(seed);
  return Array.from({ length: n }, () => {
    const university = pick(u(), UNIVERSITY_WEIGHTS);
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
 * cells of fewer than `minCell` students withheld; and the distribution of
 * totals over all years. Post-processing only: applied to a noisy histogram,
 * it keeps the noise's guarantee.
 */
export function wellbeingSummary(
  histogram: readonly number[],
  minCell: number,
): { years: WellbeingCell[]; totals: number[]; all: WellbeingCell } {
  const totals = new Array<number>(PHQ9_MAX + 1).fill(0);
  const cell = (counts: readonly number[]): WellbeingCell => {
    const n = counts.reduce((a, b) => a + b, 0);
    const high = counts.slice(PHQ9_THRESHOLD).reduce((a, b) => a + b, 0);
    return {
      n,
      atRisk: n >= minCell && n > 0 ? Math.min(1, Math.max(0, high / n)) : undefined,
    };
  };
  const years = Array.from({ length: STUDY_YEARS }, (_, y) => {
    const counts = histogram.slice(y * (PHQ9_MAX + 1), (y + 1) * (PHQ9_MAX + 1));
    counts.forEach((c, t) => (totals[t]! += c));
    return cell(counts);
  });
  return { years, totals, all: cell(totals) };
}
