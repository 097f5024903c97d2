/**
 * Data sets and R's numbers for the tests of ANOVA, the rank-sum test and
 * Cox regression (imported by tests only). The numbers come from
 * test/r/methods.R (run it with R to regenerate them; CI has no R); the
 * larger data sets are test/r/mw.csv and test/r/cox.csv, which that script
 * writes.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** R's datasets::PlantGrowth, weight x 100, and its groups (ctrl, trt1, trt2: 10 each). */
export const PLANT_WEIGHT = [
  417, 558, 518, 611, 450, 461, 517, 453, 533, 514, 481, 417, 441, 359, 587, 383, 603, 489, 432,
  469, 631, 512, 554, 550, 537, 529, 492, 615, 580, 526,
];
export const PLANT_GROUP = PLANT_WEIGHT.map((_, i) => Math.floor(i / 10));

/** ?wilcox.test's example (no ties), values x 100. */
export const WILCOX_X = [80, 83, 189, 104, 145, 138, 191, 164, 73, 146];
export const WILCOX_Y = [115, 88, 90, 74, 121];

/** airquality$Ozone (NA removed) in May and August. */
export const OZONE_MAY = [
  41, 36, 12, 18, 28, 23, 19, 8, 7, 16, 11, 14, 18, 14, 34, 6, 30, 11, 1, 11, 4, 32, 23, 45, 115,
  37,
];
export const OZONE_AUG = [
  39, 9, 16, 78, 35, 66, 122, 89, 110, 44, 28, 65, 22, 59, 23, 31, 44, 21, 9, 45, 168, 73, 76, 118,
  84, 85,
];

/** R's numbers (test/r/methods.R). */
export const R = {
  anovaPlant: { F: 4.84608786238, df1: 2, df2: 27, p: 0.0159099583256 },
  /** PlantGrowth with weight < 6. */
  anovaPlantBelow6: { F: 5.87417081562, df1: 2, df2: 23, p: 0.00869216903867 },
  /** mw.csv: score ~ arm. */
  anovaScore: { F: 2.73577908723, df1: 2, df2: 147, p: 0.0681466433845 },
  wilcoxExact: { W: 35, p: 0.254412254412 },
  wilcoxOzone: { W: 127.5, p: 0.000120807830769 },
  /** mw.csv: arm A vs arm B. */
  wilcoxScore: { W: 1084, p: 0.0385461075366, n1: 60, n2: 47 },
  /** PlantGrowth, ctrl vs trt1. */
  wilcoxPlant: { W: 67.5, p: 0.198595758633 },
} as const;

/** A CSV file of test/r as columns of strings. */
export function readRCsv(name: string): Record<string, string[]> {
  const path = fileURLToPath(new URL(`r/${name}`, import.meta.url));
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const names = head!.split(',');
  const out: Record<string, string[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const l of lines) l.split(',').forEach((v, j) => out[names[j]!]!.push(v));
  return out;
}
