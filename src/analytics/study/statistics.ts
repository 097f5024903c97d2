/**
 * The analyses computed by the secure statistics library (src/analytics/stats):
 * adapters from a study's analysis to the library's functions, with
 * suppression applied to every released value. Analyses of counts and sums
 * are in counting.ts; a type with no entry here is refused before a run.
 */
import type { AnalysisImpl } from './context.js';
import type { AnalysisType } from './spec.js';
import type { ReferenceImpl } from './reference.js';

export const STATISTICS: Partial<Record<AnalysisType, AnalysisImpl>> = {};

/** Plaintext references of the same analyses on pooled data (demo and tests only). */
export const STATISTICS_REFERENCE: Partial<Record<AnalysisType, ReferenceImpl>> = {};
