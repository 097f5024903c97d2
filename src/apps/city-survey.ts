/**
 * The city satisfaction survey of `entente demo survey` (issue 17 item 6):
 * synthetic respondents, each living in one district and rating their
 * satisfaction with living there on a five-point scale, and the plaintext
 * answer (the histogram of ratings per district) that the secure one, through
 * DAP, must equal. Each district is one DAP task whose clients send a
 * Prio3Histogram measurement (their rating), so each district's batch is
 * released only with at least the minimum number of respondents.
 *
 * The data are synthetic, from a seed (a small counter-based generator: not
 * for secrets, these respondents are made up); the shares come from the
 * client library's CSPRNG.
 */
import { pickWeighted, seededUniform } from './hospitals.js';

export const CITY_DISTRICTS = [
  'Old Town',
  'Harbour',
  'Hillside',
  'Riverside',
  'University',
  'Market',
  'Northfield',
  'Airport',
] as const;

export const SATISFACTION_LEVELS = [
  'very dissatisfied',
  'dissatisfied',
  'neutral',
  'satisfied',
  'very satisfied',
] as const;

/** Share of respondents per district: the airport district is small, so a small survey suppresses it. */
const DISTRICT_WEIGHTS = [0.2, 0.16, 0.14, 0.14, 0.12, 0.12, 0.1, 0.02];
/** Each district's mean tendency, on 0..4. */
const DISTRICT_MOOD = [2.9, 2.4, 3.1, 2.6, 2.2, 2.7, 1.8, 1.5];

export interface Respondent {
  readonly district: number;
  readonly rating: number;
}

export function cityRespondents(n: number, seed: number): Respondent[] {
  const u = seededUniform(seed);
  return Array.from({ length: n }, () => {
    const district = pickWeighted(u(), DISTRICT_WEIGHTS);
    // The mood plus a spread of about one level, clamped to the scale.
    const x = DISTRICT_MOOD[district]! + (u() + u() + u() - 1.5) * 1.6;
    return { district, rating: Math.min(4, Math.max(0, Math.round(x))) };
  });
}

/** Per district, the number of respondents at each rating. */
export function cityHistograms(rs: readonly Respondent[]): number[][] {
  const h = CITY_DISTRICTS.map(() => new Array<number>(SATISFACTION_LEVELS.length).fill(0));
  for (const r of rs) h[r.district]![r.rating]!++;
  return h;
}
