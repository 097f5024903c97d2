/**
 * Phrases of run reports that depend on the study, so that a report reads in
 * the study's own words: its parties by their names (a study of banks never
 * speaks of hospitals), and a minimum cell size of 1 as "no records" rather
 * than "fewer than 1 records".
 */
import { bringsData, type Study } from './spec.js';

/** `fewer than 10 records`; for k = 1, `no records`. */
export function fewerThan(k: number): string {
  return k === 1 ? 'no records' : `fewer than ${k} records`;
}

/** `at least 10 records`; for k = 1, `at least 1 record`. */
export function atLeast(k: number): string {
  return `at least ${k} record${k === 1 ? '' : 's'}`;
}

/** The note on suppressed groups: `groups of fewer than 10 records are suppressed`. */
export function groupsSuppressed(k: number): string {
  return k === 1
    ? 'groups with no records are suppressed'
    : `groups of ${fewerThan(k)} are suppressed`;
}

/**
 * The parties that bring data, as the subject of a sentence in the singular:
 * `each of Hospital A, Hospital B and Hospital C` (by name, up to five), else
 * `each of the 12 parties with data`.
 */
export function eachOwner(study: Study): string {
  const names = study.parties.filter(bringsData).map((p) => p.name);
  if (names.length === 1) return names[0]!;
  if (names.length > 5) return `each of the ${names.length} parties with data`;
  return `each of ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
