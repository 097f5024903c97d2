/** Declarations of scripts/build-stamp.mjs, for the tests and benchmarks that call it. */
export const STAMP: string;
export function newestSource(dir: string): number;
export function buildIsCurrent(src: string, dist: string): boolean;
