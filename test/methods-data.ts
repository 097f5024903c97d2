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

/** R's coxph(ties = "breslow") on test/r/cox.csv (test/r/methods.R). */
export interface RCox {
  coef: number[];
  se: number[];
  hr: number[];
  lower: number[];
  upper: number[];
  p: number[];
  wald: number;
  lr: number;
  score: number;
  n: number;
  events: number;
}
export const R_COX: Record<'armFemaleStrata' | 'arm' | 'armnumStrata' | 'coarse', RCox> = {
  /** Surv(time, status) ~ arm + female + strata(site). */
  armFemaleStrata: {
    coef: [0.22821105654, -0.556127191655, 0.631440504236],
    se: [0.20297086233, 0.222536119668, 0.179027680249],
    hr: [1.25635045843, 0.573425536294, 1.88031723426],
    lower: [0.843998532158, 0.370726764528, 1.32386130661],
    upper: [1.87016495203, 0.886952001139, 2.67066714905],
    p: [0.260862971148, 0.0124529421567, 0.000420209203385],
    wald: 23.3697556944,
    lr: 24.5808590663,
    score: 24.0462010006,
    n: 240,
    events: 138,
  },
  /** Surv(time, status) ~ arm (no strata). */
  arm: {
    coef: [0.201737408994, -0.48150923928],
    se: [0.202373748363, 0.220667612104],
    hr: [1.22352667882, 0.617850203985],
    lower: [0.82291048641, 0.400913409438],
    upper: [1.81917420973, 0.952172877179],
    p: [0.318834594633, 0.0291053490774],
    wald: 10.737365069,
    lr: 11.3020468558,
    score: 11.0675416922,
    n: 240,
    events: 138,
  },
  /** Surv(time, status) ~ armnum + strata(site), armnum = 0, 1, 2 for A, B, C. */
  armnumStrata: {
    coef: [-0.227999721077],
    se: [0.101970163089],
    hr: [0.796124481893],
    lower: [0.651904260065],
    upper: [0.972250420034],
    p: [0.0253553453548],
    wald: 4.99945200633,
    lr: 4.99509808995,
    score: 5.04661272569,
    n: 240,
    events: 138,
  },
  /** As armFemaleStrata with times rounded up to 3, 6, 9, 12. */
  coarse: {
    coef: [0.210009061078, -0.469454051835, 0.558254194635],
    se: [0.202910588203, 0.222080680611, 0.177512768807],
    hr: [1.23368923846, 0.625343580285, 1.74761883318],
    lower: [0.828872957167, 0.404653478203, 1.23409210364],
    upper: [1.83621521722, 0.966393752849, 2.47483277552],
    p: [0.300676731295, 0.0345246935816, 0.00166161885088],
    wald: 18.696855422,
    lr: 19.524031826,
    score: 19.1498682016,
    n: 240,
    events: 138,
  },
};

/** A CSV file of test/r as columns of strings. */
export function readRCsv(name: string): Record<string, string[]> {
  const path = fileURLToPath(new URL(`r/${name}`, import.meta.url));
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const names = head!.split(',');
  const out: Record<string, string[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const l of lines) l.split(',').forEach((v, j) => out[names[j]!]!.push(v));
  return out;
}
